r"""Integrators: the three steps every solver in the course is made of, and the path simulators.

For dx = d(x, t) dt (+ g dW), one step from t to s = t + h (h < 0 when running backward in time):

* :func:`euler_step`: x + h d (book eq. ``eq-pf-ode-euler``; in sigma: ``eq-edm-euler``);
* :func:`heun_step`: x + h (d + d') / 2 with d' the slope at the Euler prediction (explicit
  trapezoid; book eq. ``eq-pf-ode-heun``, ``eq-edm-heun``);
* :func:`em_step`: Euler-Maruyama, x + h d + noise_scale z (book eq. ``ch4-em``), where the caller
  passes noise_scale = g sqrt(|h|) and the standard normal z.

The three steps are unchecked (their callers check once): every sampler in
:mod:`course_lib.samplers` and the two simulators below step with them.

* :func:`simulate_sde`: Euler-Maruyama paths of dx = f(x, t) dt + g(t) dW on a time grid,
  forward (increasing ``times``) or backward (decreasing ``times``, e.g. a reverse SDE whose
  drift the caller supplies); the noise always scales with sqrt(|dt|) (Chapter 4).
* :func:`solve_ode`: Euler or Heun for dx = drift(x, t) dt in either direction of time (e.g.
  deterministic encoding with the PF-ODE, Chapter 5).
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from ._checks import as_returned_column, check_bool, check_choice, check_generator, check_points, check_signature, check_times
from .device import randn

__all__ = ["euler_step", "heun_step", "em_step", "simulate_sde", "solve_ode"]


def euler_step(x: torch.Tensor, d: torch.Tensor, h: float) -> torch.Tensor:
    """x + h d."""
    return x + h * d


def heun_step(x: torch.Tensor, d: torch.Tensor, d_next: torch.Tensor, h: float) -> torch.Tensor:
    """x + h (d + d_next) / 2 (d_next: the slope at the Euler prediction x + h d)."""
    return x + h * 0.5 * (d + d_next)


def em_step(x: torch.Tensor, drift: torch.Tensor, h: float, noise_scale, z: torch.Tensor) -> torch.Tensor:
    """x + h drift + noise_scale z (noise_scale = g sqrt(|h|), a number or a column)."""
    return x + drift * h + noise_scale * z


def simulate_sde(
    drift: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    diffusion: Callable[[torch.Tensor], torch.Tensor | float],
    x0: torch.Tensor,
    times,
    *,
    generator: torch.Generator | None = None,
    noise: bool = True,
) -> torch.Tensor:
    r"""Euler--Maruyama paths of ``dx = drift(x, t) dt + diffusion(t) dW`` on the grid ``times``.

    ``x0``: start points, shape (n, d). ``times``: 1-D grid t_0, ..., t_K, strictly increasing
    or strictly decreasing. ``drift(x, t)`` gets x of shape (n, d) and t of shape (n,) and returns
    (n, d); ``diffusion(t)`` returns the scalar g(t) (a number, or a tensor of shape () or (n,)).
    Each step is ``x + drift * dt + g * sqrt(|dt|) * z`` (book eq. ``ch4-em``); ``noise=False``
    drops the noise (Euler's method for the ODE dx = drift dt).

    Returns all states, a tensor of shape (K + 1, n, d) (index 0 is ``x0``).
    """
    check_signature("drift", drift, 2, "(x, t)")
    check_signature("diffusion", diffusion, 1, "(t)")
    check_points("x0", x0)
    check_generator(generator)
    noise = check_bool("noise", noise)
    times = check_times(times)
    x = x0
    out = [x0]
    for i in range(times.numel() - 1):
        t_i, dt = float(times[i]), float(times[i + 1] - times[i])
        t = torch.full((x.shape[0],), t_i, dtype=x.dtype, device=x.device)
        f = drift(x, t)
        if not isinstance(f, torch.Tensor) or f.shape != x.shape:
            got = tuple(f.shape) if isinstance(f, torch.Tensor) else type(f).__name__
            raise ValueError(f"drift must return a tensor of shape {tuple(x.shape)}, got {got}")
        if noise:
            g = as_returned_column(diffusion(t), x, "diffusion")
            z = randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
            x = em_step(x, f, dt, g * math.sqrt(abs(dt)), z)
        else:
            x = euler_step(x, f, dt)
        if not torch.isfinite(x).all():
            raise ValueError(f"the paths became NaN or infinite in the step from t={t_i:.4g}: check that drift "
                             f"and diffusion are finite there (e.g. g(t) at t = 0)")
        out.append(x)
    return torch.stack(out)


def solve_ode(
    drift: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    x0: torch.Tensor,
    times,
    *,
    method: str = "heun",
) -> torch.Tensor:
    r"""Solve ``dx/dt = drift(x, t)`` on the grid ``times`` (increasing or decreasing) from ``x0``.

    ``method="euler"``: x_{i+1} = x_i + h d_i with d_i = drift(x_i, t_i), h = t_{i+1} - t_i.
    ``method="heun"`` (book eq. ``eq-pf-ode-heun``): x' = x_i + h d_i, then
    x_{i+1} = x_i + h (d_i + drift(x', t_{i+1})) / 2 (second order, 2 evaluations per step).
    Unlike the samplers in :mod:`course_lib.samplers` (which always run from noise to data), this
    also runs forward in time, e.g. to *encode* data into noise with the probability-flow ODE.
    Returns all states, shape (K + 1, n, d).
    """
    check_signature("drift", drift, 2, "(x, t)")
    check_points("x0", x0)
    check_choice("method", method, {"euler", "heun"})
    times = check_times(times)

    def F(x, t):
        tt = torch.full((x.shape[0],), t, dtype=x.dtype, device=x.device)
        d = drift(x, tt)
        if not isinstance(d, torch.Tensor) or d.shape != x.shape:
            got = tuple(d.shape) if isinstance(d, torch.Tensor) else type(d).__name__
            raise ValueError(f"drift must return a tensor of shape {tuple(x.shape)}, got {got}")
        return d

    x = x0
    out = [x0]
    for i in range(times.numel() - 1):
        t, s = float(times[i]), float(times[i + 1])
        h = s - t
        d = F(x, t)
        if method == "euler":
            x = euler_step(x, d, h)
        else:
            x = heun_step(x, d, F(euler_step(x, d, h), s), h)
        if not torch.isfinite(x).all():
            raise ValueError(f"the solution became NaN or infinite in the step from t={t:.4g}")
        out.append(x)
    return torch.stack(out)
