"""The three steps every integrator in the course is made of (unchecked: the callers check once).

For dx = d(x, t) dt (+ g dW), one step from t to s = t + h (h < 0 when running backward in time):

* :func:`euler_step`: x + h d (book eq. ``eq-pf-ode-euler``; in sigma: ``eq-edm-euler``);
* :func:`heun_step`: x + h (d + d') / 2 with d' the slope at the Euler prediction (explicit
  trapezoid; book eq. ``eq-pf-ode-heun``, ``eq-edm-heun``);
* :func:`em_step`: Euler-Maruyama, x + h d + noise_scale z (book eq. ``ch4-em``), where the caller
  passes noise_scale = g sqrt(|h|) and the standard normal z.

The samplers (:mod:`course_lib.samplers`) and Chapter 4-5's path simulators
(:mod:`course_lib.sde_paths`) all step with these.
"""
from __future__ import annotations

import torch

__all__ = ["euler_step", "heun_step", "em_step"]


def euler_step(x: torch.Tensor, d: torch.Tensor, h: float) -> torch.Tensor:
    """x + h d."""
    return x + h * d


def heun_step(x: torch.Tensor, d: torch.Tensor, d_next: torch.Tensor, h: float) -> torch.Tensor:
    """x + h (d + d_next) / 2 (d_next: the slope at the Euler prediction x + h d)."""
    return x + h * 0.5 * (d + d_next)


def em_step(x: torch.Tensor, drift: torch.Tensor, h: float, noise_scale, z: torch.Tensor) -> torch.Tensor:
    """x + h drift + noise_scale z (noise_scale = g sqrt(|h|), a number or a column)."""
    return x + drift * h + noise_scale * z
