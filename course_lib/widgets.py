"""Interactive demos (ipywidgets) with a static figure for the website.

The website is static, so every demo comes in two forms:

* ``*_figure``: a plain matplotlib figure showing a few fixed settings (what the book prints);
* ``*_widget``: the same picture behind sliders and drop-downs, for Jupyter and Colab.

Both take a ``chain_factory(name, N) -> (alpha, beta)`` returning the signal and noise
scales alpha_k, beta_k (k = 0..N, tensors of shape (N+1,)); the default builds them with
``course_lib.processes.DDPMChain``.
"""
from __future__ import annotations

import math
from numbers import Real
from typing import Callable, Sequence

import numpy as np
import torch

from ._checks import check_points, check_positive_int
from .device import make_generator, randn

__all__ = ["default_chain_factory", "forward_marginals_figure", "forward_marginals_widget"]

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
