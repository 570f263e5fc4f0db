"""Feedback for Chapter 7 (guidance, flow matching, diffusers).

Each ``check_*`` runs a student's answer, prints a verdict (never the expected answer) and returns a
:class:`course_lib.feedback._core.Feedback`, truthy when the answer passed.
"""
from __future__ import annotations

import torch

from ._core import check_function, check_value
from ..device import rand, randn

__all__ = ["check_cfg", "check_rf_sigma", "check_fm_velocity", "check_fm_euler_step"]


def _ref_cfg(d_uncond, d_cond, w):
    return d_uncond + w * (d_cond - d_uncond)


def check_cfg(your_fn, *, seed: int | None = None, quiet: bool | None = None):
    """Exercise ch7-ex-cfg: ``your_fn(d_uncond, d_cond, w)`` returns the guided denoiser output
    D_w = D_none + w (D_cond - D_none) (Ho & Salimans 2022; book eq. eq-cfg)."""

    def inputs(g):
        d0, d1 = randn((16, 3), generator=g, dtype=torch.float64), randn((16, 3), generator=g, dtype=torch.float64)
        return d0, d1, float(5 * rand((1,), generator=g))

    return check_function(your_fn, _ref_cfg, inputs, name="cfg", trials=4, seed=seed, rtol=1e-9, atol=1e-12,
                          hint="start from the unconditional output and move w times the difference "
                               "(conditional minus unconditional).", quiet=quiet)


def check_rf_sigma(answer, *, quiet: bool | None = None):
    """Exercise ch7-ex-sigma: the time t at which x_t = (1 - t) x0 + t eps has noise level sigma = 1."""
    return check_value(answer, 0.5, name="t with sigma(t) = 1", rtol=0, atol=1e-3,
                       hint="sigma = beta / alpha = t / (1 - t); solve t / (1 - t) = 1.", quiet=quiet)


def _ref_fm_velocity(x, x0_hat, t):
    return (x - x0_hat) / t[:, None]


def check_fm_velocity(your_fn, *, seed: int | None = None, quiet: bool | None = None):
    """Exercise ch7-ex-velocity: ``your_fn(x, x0_hat, t)`` returns v_hat = (x - x0_hat)/t (book eq.
    eq-fm-velocity) for x, x0_hat of shape (n, d) and t of shape (n,)."""

    def inputs(g):
        n = 20
        x, x0 = randn((n, 2), generator=g, dtype=torch.float64), randn((n, 2), generator=g, dtype=torch.float64)
        return x, x0, 0.05 + 0.95 * rand((n,), generator=g, dtype=torch.float64)

    return check_function(your_fn, _ref_fm_velocity, inputs, name="fm_velocity", trials=3, seed=seed, rtol=1e-9,
                          atol=1e-12, hint="E[eps | x] = (x - (1 - t) D)/t; subtract D. Mind the shape of t: "
                                           "one time per row.", quiet=quiet)


def _ref_fm_euler_step(x, x0_hat, t, r):
    return x + (r - t) * (x - x0_hat) / t


def check_fm_euler_step(your_fn, *, seed: int | None = None, quiet: bool | None = None):
    """Exercise ch7-ex-euler: ``your_fn(x, x0_hat, t, r)`` makes one Euler step of dx/dt = (x - D)/t from
    time t to r < t (floats; book eq. eq-fm-euler)."""

    def inputs(g):
        x, x0 = randn((12, 2), generator=g, dtype=torch.float64), randn((12, 2), generator=g, dtype=torch.float64)
        u = rand((2,), generator=g, dtype=torch.float64)
        t = float(0.1 + 0.9 * u[0])
        return x, x0, t, float(t * u[1])

    return check_function(your_fn, _ref_fm_euler_step, inputs, name="fm_euler_step", trials=4, seed=seed,
                          rtol=1e-9, atol=1e-12, hint="the velocity is (x - x0_hat)/t; the step is r - t "
                                                      "(negative: time runs backwards).", quiet=quiet)
