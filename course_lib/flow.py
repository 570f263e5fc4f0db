"""Chapter 7: flow matching / rectified flow as one more point of the (s, sigma) design space.

Rectified flow (Liu et al. 2023) and conditional flow matching with straight paths (Lipman et al.
2023) noise the data along a straight line, x_t = (1 - t) x0 + t eps, t in [0, 1]: alpha = s = 1 - t,
beta = t, sigma = t / (1 - t). The network predicts the velocity v = dx_t/dt = eps - x0; its
regression target is affine in the denoiser (book eq. ``eq-fm-velocity``):

    v_hat(x, t) = (x - D(x, t)) / t,        D(x, t) = x - t v_hat(x, t).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ._checks import as_column, check_flow_time, check_matching_points, check_positive_int, check_seed
from .device import rand, randn
from .recipes import Recipe, _seeded_time_mlp
from .losses import _check_model_input
from .denoisers import NetDenoiser, _slope_in_sigma
from .grids import Grid
from .solvers import euler_step
from .processes import Process
from .samplers import _Run

__all__ = ["RectifiedFlow", "VelocityDenoiser", "velocity_from_denoiser", "denoiser_from_velocity", "fm_loss",
           "fm_euler", "make_fm_recipe"]


class RectifiedFlow(Process):
    """x_t = (1 - t) x0 + t eps on t in [0, 1]: s(t) = 1 - t, sigma(t) = t / (1 - t) (infinite at t = 1,
    where x_1 = eps exactly, so the prior is N(0, I) with no approximation). The network's
    condition is t itself."""

    t_min_default = 1e-3

    def __repr__(self) -> str:
        return "RectifiedFlow()"

    def _alpha(self, t):
        return 1 - t

    def _beta(self, t):
        return t.clone()

    def _f(self, t):
        return -1 / (1 - t)

    def _t_of_sigma(self, sigma):
        return sigma / (1 + sigma)

    def exact_denoiser(self, distribution) -> Callable:
        """``distribution.denoiser_for(self)`` with t capped at 1 - 1e-6 (in float64): at t = 1 (alpha = 0)
        the exact denoiser is the data mean, reached there to ~1e-6 of the data scale (sigma = 1e6)."""
        if not hasattr(distribution, "denoiser_for"):
            raise TypeError(f"distribution must offer denoiser_for (course_lib.distributions), got "
                            f"{type(distribution).__name__}")
        D = distribution.denoiser_for(self)
        def denoiser(x, t):
            t = self._t(t)                                               # in [0, 1]: checked before the cap
            t = t if t.device.type == "mps" else t.to(torch.float64)     # MPS has no float64
            return D(x, t.clamp(max=1 - 1e-6))

        return denoiser


def velocity_from_denoiser(x: torch.Tensor, x0_hat: torch.Tensor, t) -> torch.Tensor:
    """v_hat = (x - D) / t (eq. ``eq-fm-velocity``), for t in (0, 1]."""
    check_matching_points("x", x, "x0_hat", x0_hat)
    t = check_flow_time(t)
    if (t <= 0).any():
        raise ValueError("t must be > 0 (at t = 0 the velocity is not a function of D)")
    return _slope_in_sigma(x, x0_hat, as_column(t, x, "t"))


def denoiser_from_velocity(x: torch.Tensor, v_hat: torch.Tensor, t) -> torch.Tensor:
    """D = x - t v_hat (eq. ``eq-fm-velocity``), for t in [0, 1]."""
    check_matching_points("x", x, "v_hat", v_hat)
    return x - as_column(check_flow_time(t), x, "t") * v_hat


class VelocityDenoiser(NetDenoiser):
    """The network predicts the rectified-flow velocity v = eps - x0: x0_hat = x - t v_hat,
    eps_hat = x + (1 - t) v_hat. ``velocity(x, t)`` is the network's own output."""

    predicts = "v_flow"

    def __init__(self, net: nn.Module, process: RectifiedFlow | None = None):
        process = RectifiedFlow() if process is None else process
        if not isinstance(process, RectifiedFlow):
            raise TypeError(f"process must be a RectifiedFlow, got {type(process).__name__}")
        super().__init__(net, process)

    def _x0_eps(self, x, out, a, b):
        return x - b * out, x + a * out

    velocity = NetDenoiser._raw


def fm_loss(process: RectifiedFlow | None = None):
    """Conditional flow matching (Lipman et al. 2023; Liu et al. 2023): t ~ U[0, 1],
    x_t = (1 - t) x0 + t eps, loss = E || v_hat(x_t, t) - (eps - x0) ||^2 (sum over coordinates).
    ``model`` is a :class:`VelocityDenoiser`."""
    process = RectifiedFlow() if process is None else process
    if not isinstance(process, RectifiedFlow):
        raise TypeError(f"process must be a RectifiedFlow, got {type(process).__name__}")

    def loss(model, x0, generator=None):
        _check_model_input(model, x0, generator)
        if not hasattr(model, "velocity"):
            raise TypeError(f"model must predict a velocity (VelocityDenoiser), got {type(model).__name__}")
        t = rand((x0.shape[0],), generator=generator, device=x0.device, dtype=x0.dtype)
        eps = randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        x_t = process.marginal(x0, t, eps)
        return ((model.velocity(x_t, t) - (eps - x0)) ** 2).sum(dim=1).mean()

    return loss


def fm_euler(denoiser: Callable, x: torch.Tensor, grid: Grid, *, generator=None, callback=None,
             return_info: bool = False, keep_trajectory: bool = True):
    """Euler's method on the flow dx/dt = v_hat(x, t) = (x - D(x, t))/t (book eq. ``eq-fm-euler``):
    x <- x + (s - t) v_hat for each step t -> s; the step to s = 0 returns D. On a
    :class:`RectifiedFlow` this is the same update as DDIM (eta = 0)."""
    run = _Run(denoiser, x, grid, generator, callback, return_info, keep_trajectory)
    if not isinstance(run.process, RectifiedFlow):
        raise TypeError(f"fm_euler needs a grid on a RectifiedFlow, got {type(run.process).__name__}")
    for i in range(run.n):
        t, s = float(run.t[i]), float(run.t[i + 1])
        x0_hat = run.D(x, t)
        v_hat = _slope_in_sigma(x, x0_hat, t)     # the table's (x - D)/t: sigma = t on the flow
        x = euler_step(x, v_hat, s - t)
        run.done(i, s, x, x0_hat)
    return run.finish(x)


def make_fm_recipe(dim: int, *, hidden: int = 64, depth: int = 3, n_features: int = 16, seed: int = 0) -> Recipe:
    """The flow-matching point of the design space as a :class:`course_lib.recipes.Recipe`:
    RectifiedFlow, a :class:`TimeMLP` predicting the velocity, :func:`fm_loss`, and :func:`fm_euler`
    on a uniform grid from t = 1 to 0 (one NFE per step). As in :func:`make_recipe`, the network's
    initial weights depend on ``seed`` only (torch's global RNG is left untouched)."""
    dim = check_positive_int("dim", dim)
    seed = check_seed(seed)
    rf = RectifiedFlow()
    net = _seeded_time_mlp(dim, hidden, depth, seed, n_features)
    return Recipe("FM", rf, VelocityDenoiser(net, rf), fm_loss(rf), fm_euler,
                  lambda n: rf.grid(n, "uniform", t_min=0.0), 1)
