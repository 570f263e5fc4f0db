"""Feedback for the exercises of Chapter 4 (SDE and reverse SDE).

* :func:`check_g_squared_cosine`: the number g(1/2)^2 for the cosine schedule.
* :func:`check_ve_diffusion`: the number g(1) for the VE process with sigma(t)^2 = t^2.
* :func:`check_gaussian_score`: your score of N(mu, s^2) after noising with (alpha, beta).
* :func:`check_reverse_em_step`: your Euler--Maruyama step of the reverse-time SDE.

Every check prints a short verdict and returns a :class:`~course_lib.feedback.Feedback`
(truthy when the answer is right); it never prints the expected answer.
"""
from __future__ import annotations

import math

import torch

from ._core import Feedback, check_function, check_value

__all__ = ["check_g_squared_cosine", "check_ve_diffusion", "check_gaussian_score", "check_reverse_em_step"]


def check_g_squared_cosine(value, *, quiet: bool | None = None) -> Feedback:
    """Exercise ch4-ex-cosine: g(t)^2 at t = 1/2 for alpha = cos(pi t / 2), beta = sin(pi t / 2)."""
    return check_value(value, math.pi, name="g(1/2)^2 for the cosine schedule", rtol=1e-3, quiet=quiet,
                       hint="use g^2 = alpha^2 d/dt (beta^2 / alpha^2) with beta/alpha = tan(pi t / 2).")


def check_ve_diffusion(value, *, quiet: bool | None = None) -> Feedback:
    """Exercise ch4-ex-ve: g(1) for alpha = 1, beta = sigma(t) = t (so sigma^2 = t^2)."""
    return check_value(value, math.sqrt(2.0), name="g(1) for sigma(t) = t", rtol=1e-3, quiet=quiet,
                       hint="with alpha = 1, g^2 is the time derivative of the variance sigma(t)^2.")


def _ref_gaussian_score(x, alpha, beta, mu, s):
    return -(x - alpha * mu) / (alpha**2 * s**2 + beta**2)


def _gaussian_inputs(g: torch.Generator):
    x = torch.randn(64, 1, generator=g, dtype=torch.float64) * 3
    alpha = float(torch.rand(1, generator=g)) * 0.9 + 0.05
    beta = math.sqrt(1 - alpha**2)
    mu = float(torch.randn(1, generator=g)) * 3
    s = float(torch.rand(1, generator=g)) * 2 + 0.2
    return (x, alpha, beta, mu, s)


def check_gaussian_score(your_fn, *, seed: int | None = None, quiet: bool | None = None) -> Feedback:
    """Exercise ch4-ex-score: ``your_fn(x, alpha, beta, mu, s)`` = grad log p_t(x) when
    x0 ~ N(mu, s^2) and x_t = alpha x0 + beta eps (x of shape (n, 1), the rest floats)."""
    return check_function(your_fn, _ref_gaussian_score, _gaussian_inputs, name="gaussian_score", seed=seed,
                          rtol=1e-6, atol=1e-8, quiet=quiet,
                          hint="x_t is Gaussian: find its mean and variance, then differentiate the log density.")


def _ref_reverse_em_step(x, t, dt, f, g, score, z):
    return x - (f * x - g**2 * score) * dt + g * math.sqrt(dt) * z


def _em_inputs(g: torch.Generator):
    x = torch.randn(32, 2, generator=g, dtype=torch.float64)
    t = float(torch.rand(1, generator=g)) * 0.8 + 0.2
    dt = float(torch.rand(1, generator=g)) * 0.05 + 0.001
    f = -float(torch.rand(1, generator=g)) * 5
    gg = float(torch.rand(1, generator=g)) * 3 + 0.1
    score = torch.randn(32, 2, generator=g, dtype=torch.float64)
    z = torch.randn(32, 2, generator=g, dtype=torch.float64)
    return (x, t, dt, f, gg, score, z)


def check_reverse_em_step(your_fn, *, seed: int | None = None, quiet: bool | None = None) -> Feedback:
    """Exercise ch4-ex-em: ``your_fn(x, t, dt, f, g, score, z)`` returns x at time t - dt (dt > 0)
    after one Euler--Maruyama step of the reverse SDE dx = [f x - g^2 score] dt + g dW."""
    return check_function(your_fn, _ref_reverse_em_step, _em_inputs, name="reverse_em_step", seed=seed,
                          rtol=1e-6, atol=1e-8, quiet=quiet,
                          hint="time runs backwards: the drift is subtracted times dt, and the noise "
                               "scales with sqrt(dt), not dt.")
