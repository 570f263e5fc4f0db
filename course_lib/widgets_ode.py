"""Chapter 5 demo: drag the number of steps N and watch Euler and Heun follow the probability-flow ODE.

* :func:`euler_vs_heun_figure`: static matplotlib figure for a few fixed N (what the website shows);
* :func:`euler_vs_heun_widget`: the same picture behind a slider (Jupyter / Colab).

Both draw, in the (t, x) plane, PF-ODE trajectories from the same starting noise with Euler,
with Heun, and with a fine Heun reference, for the exact denoiser of U[0, 1] under the VP process
(or any ``denoiser`` / ``process`` you pass).
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch

from ._checks import check_positive_int
from .device import make_generator

__all__ = ["euler_vs_heun_paths", "euler_vs_heun_figure", "euler_vs_heun_widget"]


def _defaults(denoiser, process):
    if process is None:
        from .processes import VP

        process = VP()
    if denoiser is None:
        from .distributions import Uniform01

        denoiser = Uniform01().denoiser_for(process)
    return denoiser, process


def euler_vs_heun_paths(N: int, *, n_paths: int = 12, denoiser: Callable | None = None, process=None,
                        seed: int = 0, n_ref: int = 512):
    """Trajectories (times, Euler, Heun, reference) on a uniform grid of ``N`` steps from T to 0.

    Returns a dict with ``t`` (the grid, (N+1,)), ``euler`` and ``heun`` (shape (N+1, n_paths)),
    ``t_ref`` and ``ref`` (a Heun solution with ``n_ref`` steps). The last step of every solver
    returns the denoiser's x0_hat (see :mod:`course_lib.samplers`).
    """
    from .samplers import pf_ode_euler, pf_ode_heun

    N = check_positive_int("N", N)
    n_paths = check_positive_int("n_paths", n_paths)
    n_ref = check_positive_int("n_ref", n_ref)
    denoiser, process = _defaults(denoiser, process)
    x_T = process.prior(n_paths, 1, make_generator(seed))
    grid = process.grid(N)
    _, info_e = pf_ode_euler(denoiser, x_T, grid, return_info=True)
    _, info_h = pf_ode_heun(denoiser, x_T, grid, return_info=True)
    _, info_r = pf_ode_heun(denoiser, x_T, process.grid(n_ref), return_info=True)
    return dict(t=info_e.times, euler=info_e.trajectory[:, :, 0], heun=info_h.trajectory[:, :, 0],
                t_ref=info_r.times, ref=info_r.trajectory[:, :, 0])


def _draw(ax, N, **kw):
    p = euler_vs_heun_paths(N, **kw)
    ax.plot(p["t_ref"], p["ref"], color="0.75", lw=2.5, zorder=1)
    ax.plot(p["t"], p["euler"], "o-", color="tab:orange", ms=3, lw=1, zorder=2)
    ax.plot(p["t"], p["heun"], "s-", color="tab:blue", ms=3, lw=1, zorder=3)
    err_e = float((p["euler"][-1] - p["ref"][-1]).abs().mean())
    err_h = float((p["heun"][-1] - p["ref"][-1]).abs().mean())
    ax.plot([], [], "o-", color="tab:orange", label=f"Euler, mean error {err_e:.3f}")
    ax.plot([], [], "s-", color="tab:blue", label=f"Heun, mean error {err_h:.3f}")
    ax.plot([], [], color="0.75", lw=2.5, label="reference")
    ax.set(xlabel="t", ylabel="x", title=f"N = {N} steps")
    ax.invert_xaxis()
    ax.legend(fontsize=8, loc="lower left")
    return err_e, err_h


def euler_vs_heun_figure(N_values: Sequence[int] = (4, 16), **kw):
    """One panel per N in ``N_values``; returns the matplotlib figure."""
    import matplotlib.pyplot as plt

    if isinstance(N_values, (int, str)) or not hasattr(N_values, "__len__") or len(N_values) == 0:
        raise TypeError(f"N_values must be a non-empty sequence of integers, got {N_values!r}")
    for N in N_values:
        check_positive_int("N_values (each N)", N)
    fig, axes = plt.subplots(1, len(N_values), figsize=(5 * len(N_values), 3.6), squeeze=False)
    for ax, N in zip(axes[0], N_values):
        _draw(ax, N, **kw)
    fig.tight_layout()
    return fig


def euler_vs_heun_widget(N: int = 8, N_max: int = 64, **kw):
    """A slider for N; returns an ``ipywidgets.interactive`` (display it). Use the figure on the website."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    N = check_positive_int("N", N)
    N_max = check_positive_int("N_max", N_max, minimum=2)

    def show(N: int):
        fig, ax = plt.subplots(figsize=(6, 3.6))
        _draw(ax, N, **kw)
        fig.tight_layout()
        plt.show()

    return widgets.interactive(show, N=widgets.IntSlider(value=min(N, N_max), min=1, max=N_max, step=1,
                                                         description="N steps", continuous_update=False))
