r"""Demos: the course's interactive widgets and animations (one notebook cell each).

* Forward marginals of the DDPM chain (Chapter 2): :func:`forward_marginals_figure` and
  :func:`forward_marginals_widget`.
* Euler versus Heun on the PF-ODE (Chapter 5): :func:`euler_vs_heun_paths`,
  :func:`euler_vs_heun_figure` and :func:`euler_vs_heun_widget`.
* Particles moving along a sampler's trajectory: :func:`animate_particles` (with :func:`pick_frames`).

Each widget has a static ``*_figure`` twin (what the website and the tests draw); widgets need
ipywidgets. The sections below keep each demo's own notes.

--- forward marginals ---
Interactive demos (ipywidgets) with a static figure for the website.

The website is static, so every demo comes in two forms:

* ``*_figure``: a plain matplotlib figure showing a few fixed settings (what the book prints);
* ``*_widget``: the same picture behind sliders and drop-downs, for Jupyter and Colab.

Both take a ``chain_factory(name, N) -> (alpha, beta)`` returning the signal and noise
scales alpha_k, beta_k (k = 0..N, tensors of shape (N+1,)); the default builds them with
``course_lib.processes.DDPMChain``.

--- Euler versus Heun ---
Chapter 5 demo: drag the number of steps N and watch Euler and Heun follow the probability-flow ODE.

* :func:`euler_vs_heun_figure`: static matplotlib figure for a few fixed N (what the website shows);
* :func:`euler_vs_heun_widget`: the same picture behind a slider (Jupyter / Colab).

Both draw, in the (t, x) plane, PF-ODE trajectories from the same starting noise with Euler,
with Heun, and with a fine Heun reference, for the exact denoiser of U[0, 1] under the VP process
(or any ``denoiser`` / ``process`` you pass).

--- animations ---
Particle animations for the website: a JavaScript/HTML player, no ffmpeg needed.

:func:`animate_particles` turns a sampling trajectory (one point cloud per step)
into matplotlib's ``FuncAnimation.to_jshtml()`` player: every frame is a small
PNG embedded in the page, so the animation plays in Jupyter, Colab and on the
static website alike. Keep it small: a few dozen frames of a small figure.
"""
from __future__ import annotations

import math
from numbers import Real
from typing import Callable, Sequence

import numpy as np
import torch

from ._checks import check_points, check_positive_int
from .device import make_generator, randn

__all__ = ["default_chain_factory", "forward_marginals_figure", "forward_marginals_widget",
           "euler_vs_heun_paths", "euler_vs_heun_figure", "euler_vs_heun_widget", "pick_frames", "animate_particles"]


# === forward marginals (Chapter 2) ============================================================
ChainFactory = Callable[[str, int], "tuple[torch.Tensor, torch.Tensor]"]


def default_chain_factory(name: str, N: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(alpha_k, beta_k), k = 0..N, of the DDPM chain with schedule ``name`` and ``N`` steps."""
    from .processes import DDPMChain

    chain = DDPMChain(name, N)
    return torch.as_tensor(chain.alphas), torch.as_tensor(chain.betas)


def _check_schedules(schedules) -> None:
    if isinstance(schedules, str) or not hasattr(schedules, "__len__") or len(schedules) == 0:
        raise TypeError(f"schedules must be a non-empty sequence of names, got {schedules!r}")
    for s in schedules:
        if not isinstance(s, str):
            raise TypeError(f"schedules must hold schedule names (strings), got {s!r}")


def _scales(chain_factory, name, N):
    alpha, beta = chain_factory(name, N)
    alpha = torch.as_tensor(alpha, dtype=torch.float64).flatten()
    beta = torch.as_tensor(beta, dtype=torch.float64).flatten()
    if alpha.shape != (N + 1,) or beta.shape != (N + 1,):
        raise ValueError(f"chain_factory must return alpha, beta of shape ({N + 1},), "
                         f"got {tuple(alpha.shape)} and {tuple(beta.shape)}")
    return alpha, beta


def _draw(ax_hist, ax_curve, x0, eps, alpha, beta, k, name, lim):
    N = alpha.shape[0] - 1
    xk = float(alpha[k]) * x0 + float(beta[k]) * eps
    grid = np.linspace(lim[0], lim[1], 300)
    ax_hist.hist(xk, bins=60, range=lim, density=True, color="C0", alpha=0.7, label="$x_k$")
    ax_hist.plot(grid, np.exp(-grid**2 / 2) / math.sqrt(2 * math.pi), "k--", lw=1, label="N(0, 1)")
    ax_hist.set_xlim(*lim)
    ax_hist.set_title(f"{name}: k = {k} of {N}\n" + rf"$\alpha_k$ = {float(alpha[k]):.3f}, $\beta_k$ = {float(beta[k]):.3f}",
                      fontsize=9)
    ax_hist.set_yticks([])
    if ax_curve is not None:
        ks = np.arange(N + 1)
        ax_curve.plot(ks, alpha.numpy(), label=r"signal $\alpha_k$")
        ax_curve.plot(ks, beta.numpy(), label=r"noise $\beta_k$")
        ax_curve.axvline(k, color="k", lw=0.8)
        ax_curve.set_xlabel("step k")
        ax_curve.set_ylim(-0.02, 1.02)
        ax_curve.legend(fontsize=8, loc="center right")


def _prepare(data, n_max, seed):
    check_points("data", data, dim=1)
    x0 = data[:n_max, 0].detach().cpu().double().numpy()
    eps = randn((x0.shape[0],), generator=make_generator(seed), dtype=torch.float64).numpy()
    return x0, eps


def forward_marginals_figure(
    data: torch.Tensor,
    *,
    schedules: Sequence[str] = ("linear", "cosine"),
    N: int = 100,
    fractions: Sequence[float] = (0.0, 0.1, 0.3, 0.6, 1.0),
    chain_factory: ChainFactory | None = None,
    lim: tuple[float, float] = (-4.0, 4.0),
    n_max: int = 5000,
    seed: int = 0,
):
    """Static version of the forward-marginals demo: one row per schedule, one histogram of
    x_k = alpha_k x0 + beta_k eps per fraction k/N, with N(0, 1) dashed. 1D ``data`` (n, 1)."""
    import matplotlib.pyplot as plt

    N = check_positive_int("N", N)
    _check_schedules(schedules)
    if isinstance(fractions, str) or not hasattr(fractions, "__len__") or len(fractions) == 0 or not all(
            isinstance(f, Real) and not isinstance(f, bool) for f in fractions):
        raise TypeError(f"fractions must be a non-empty sequence of numbers in [0, 1], got {fractions!r}")
    if any(not 0 <= f <= 1 for f in fractions):
        raise ValueError(f"fractions must lie in [0, 1], got {fractions}")
    chain_factory = chain_factory or default_chain_factory
    x0, eps = _prepare(data, n_max, seed)
    fig, axes = plt.subplots(len(schedules), len(fractions), figsize=(2.2 * len(fractions), 2.0 * len(schedules)),
                             squeeze=False)
    for row, name in zip(axes, schedules):
        alpha, beta = _scales(chain_factory, name, N)
        for ax, f in zip(row, fractions):
            _draw(ax, None, x0, eps, alpha, beta, int(round(f * N)), name, lim)
    fig.tight_layout()
    return fig


def forward_marginals_widget(
    data: torch.Tensor,
    *,
    schedules: Sequence[str] = ("linear", "cosine", "sigmoid", "quadratic"),
    N: int = 100,
    chain_factory: ChainFactory | None = None,
    lim: tuple[float, float] = (-4.0, 4.0),
    n_max: int = 5000,
    seed: int = 0,
):
    """Pick a schedule, the number of steps N and a step k; watch the histogram of x_k and where
    k sits on the alpha/beta curves. Returns an ``ipywidgets.interactive`` (display it).

    On the static website use :func:`forward_marginals_figure` instead.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    N = check_positive_int("N", N)
    chain_factory = chain_factory or default_chain_factory
    x0, eps = _prepare(data, n_max, seed)
    _check_schedules(schedules)

    def show(schedule: str, N: int, k_over_N: float):
        alpha, beta = _scales(chain_factory, schedule, N)
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 2.8))
        _draw(ax1, ax2, x0, eps, alpha, beta, int(round(k_over_N * N)), schedule, lim)
        fig.tight_layout()
        plt.show()

    return widgets.interactive(
        show,
        schedule=widgets.Dropdown(options=list(schedules), value=schedules[0], description="schedule"),
        N=widgets.IntSlider(value=N, min=10, max=1000, step=10, description="N steps", continuous_update=False),
        k_over_N=widgets.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.01, description="k / N",
                                     continuous_update=False),
    )


# === Euler versus Heun on the PF-ODE (Chapter 5) ==============================================
def _ode_defaults(denoiser, process):
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
    denoiser, process = _ode_defaults(denoiser, process)
    x_T = process.prior(n_paths, 1, make_generator(seed))
    grid = process.grid(N)
    _, info_e = pf_ode_euler(denoiser, x_T, grid, return_info=True)
    _, info_h = pf_ode_heun(denoiser, x_T, grid, return_info=True)
    _, info_r = pf_ode_heun(denoiser, x_T, process.grid(n_ref), return_info=True)
    return dict(t=info_e.times, euler=info_e.trajectory[:, :, 0], heun=info_h.trajectory[:, :, 0],
                t_ref=info_r.times, ref=info_r.trajectory[:, :, 0])


def _draw_ode(ax, N, **kw):
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
        _draw_ode(ax, N, **kw)
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
        _draw_ode(ax, N, **kw)
        fig.tight_layout()
        plt.show()

    return widgets.interactive(show, N=widgets.IntSlider(value=min(N, N_max), min=1, max=N_max, step=1,
                                                         description="N steps", continuous_update=False))


# === animations ===============================================================================
def pick_frames(n_total: int, max_frames: int) -> list[int]:
    """At most ``max_frames`` evenly spread indices into ``range(n_total)``, always with the first and last."""
    n_total = check_positive_int("n_total", n_total)
    max_frames = check_positive_int("max_frames", max_frames, minimum=2)
    if n_total <= max_frames:
        return list(range(n_total))
    idx = np.unique(np.round(np.linspace(0, n_total - 1, max_frames)).astype(int))
    return [int(i) for i in idx]


def _as_frames(trajectory) -> list[np.ndarray]:
    if isinstance(trajectory, torch.Tensor):
        if trajectory.ndim != 3:
            raise ValueError(f"trajectory tensor must have shape (steps, n, d), got {tuple(trajectory.shape)}")
        trajectory = list(trajectory)
    if not isinstance(trajectory, (list, tuple)) or len(trajectory) == 0:
        raise TypeError("trajectory must be a non-empty list of (n, d) tensors or a (steps, n, d) tensor, "
                        f"got {type(trajectory).__name__}")
    frames = []
    for i, x in enumerate(trajectory):
        if isinstance(x, torch.Tensor):
            x = x.detach().cpu().numpy()
        try:
            x = np.asarray(x, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"trajectory[{i}] must hold numbers, got {type(trajectory[i]).__name__}") from None
        if x.ndim != 2 or x.shape[1] not in (1, 2):
            raise ValueError(f"trajectory[{i}] must have shape (n, 1) or (n, 2), got {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError(f"trajectory[{i}] contains NaN or infinite values (did the sampler diverge?)")
        frames.append(x)
    if len({f.shape[1] for f in frames}) != 1:
        raise ValueError("all frames of trajectory must have the same dimension d")
    return frames


def animate_particles(
    trajectory: Sequence[torch.Tensor] | torch.Tensor,
    *,
    labels: Sequence[str] | None = None,
    max_frames: int = 24,
    max_points: int = 2000,
    lim: tuple[float, float] | None = None,
    bins: int = 50,
    reference: torch.Tensor | None = None,
    figsize: tuple[float, float] = (3.6, 3.2),
    dpi: int = 72,
    interval: int = 150,
    html: bool = True,
):
    """Animate particles moving along a sampler's trajectory.

    ``trajectory``: the point clouds x_N, ..., x_0 (each of shape (n, 1) or (n, 2)), e.g.
    ``info.trajectory`` of a sampler called with ``return_info=True``. 2D clouds are drawn as
    scatter plots, 1D clouds as histograms (density). ``labels`` gives one title per frame
    (e.g. ``"k = 37"``); ``reference`` (n, d) is drawn faintly in every frame (the data).
    At most ``max_frames`` frames and ``max_points`` points are drawn, to keep the page light.

    Returns an ``IPython.display.HTML`` player (``html=True``) or the matplotlib
    ``FuncAnimation`` itself (``html=False``).
    """
    import matplotlib.pyplot as plt
    from matplotlib import animation

    frames = _as_frames(trajectory)
    max_frames = check_positive_int("max_frames", max_frames, minimum=2)
    max_points = check_positive_int("max_points", max_points)
    bins = check_positive_int("bins", bins)
    if labels is not None and len(labels) != len(frames):
        raise ValueError(f"labels must have one entry per frame ({len(frames)}), got {len(labels)}")
    keep = pick_frames(len(frames), max_frames)
    d = frames[0].shape[1]
    frames = [frames[i][:max_points] for i in keep]
    titles = [labels[i] for i in keep] if labels is not None else [f"frame {i}" for i in keep]
    ref = None
    if reference is not None:
        ref = _as_frames([reference])[0][:max_points]
        if ref.shape[1] != d:
            raise ValueError(f"reference must have {d} column(s), got {ref.shape[1]}")
    if lim is None:
        allx = np.concatenate(frames[-1:] + ([ref] if ref is not None else []))
        lo, hi = np.percentile(allx, 0.5), np.percentile(allx, 99.5)
        pad = 0.15 * (hi - lo) + 1e-6
        lim = (float(min(lo - pad, -3.0)), float(max(hi + pad, 3.0)))
    if not isinstance(lim, (tuple, list)) or len(lim) != 2 or not all(
            isinstance(v, Real) and not isinstance(v, bool) for v in lim):
        raise TypeError(f"lim must be a pair (low, high) of numbers or None, got {lim!r}")
    lo, hi = lim
    if not lo < hi:
        raise ValueError(f"lim must be (low, high) with low < high, got {lim}")

    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    if d == 2:
        if ref is not None:
            ax.scatter(ref[:, 0], ref[:, 1], s=2, c="0.8", zorder=0)
        art = ax.scatter(frames[0][:, 0], frames[0][:, 1], s=3, c="C0", alpha=0.6)
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_aspect("equal")

        def update(i):
            art.set_offsets(frames[i])
            ax.set_title(titles[i], fontsize=10)
            return (art,)
    else:
        edges = np.linspace(lo, hi, bins + 1)
        width = edges[1] - edges[0]
        heights = [np.histogram(f[:, 0], bins=edges, density=True)[0] for f in frames]
        top = max(h.max() for h in heights) * 1.1
        if ref is not None:
            ax.hist(ref[:, 0], bins=edges, density=True, color="0.85", zorder=0)
        bars = ax.bar(edges[:-1], heights[0], width=width, align="edge", color="C0", alpha=0.7)
        ax.set_xlim(lo, hi)
        ax.set_ylim(0, top)

        def update(i):
            for bar, h in zip(bars, heights[i]):
                bar.set_height(h)
            ax.set_title(titles[i], fontsize=10)
            return tuple(bars)

    update(0)
    fig.tight_layout()
    anim = animation.FuncAnimation(fig, update, frames=len(frames), interval=interval, blit=False)
    if not html:
        return anim
    from IPython.display import HTML

    out = HTML(anim.to_jshtml(default_mode="once"))
    plt.close(fig)
    return out
