"""Feedback for the exercises of Chapter 4 (SDE and reverse SDE).

* :func:`check_g_squared_cosine`: the number g(1/2)^2 for the cosine schedule.
* :func:`check_ve_diffusion`: the number g(1) for the VE process with sigma(t)^2 = t^2.
* :func:`check_gaussian_score`: your score of N(mu, s^2) after noising with (alpha, beta).
* :func:`check_reverse_em_step`: your Euler--Maruyama step of the reverse-time SDE.

Every check prints a short verdict and returns a :class:`~course_lib.feedback.Feedback`
(truthy when the answer is right); it never prints the expected answer. ``hint=True`` adds the hint.
"""
from __future__ import annotations

import math

import torch

from ..device import randn
from ._core import Case, Feedback, FunctionExercise, ValueExercise, register, with_dtype

__all__ = ["check_g_squared_cosine", "check_ve_diffusion", "check_gaussian_score", "check_reverse_em_step"]

G2_COSINE = register(ValueExercise(
    "ch4-ex-cosine", name="g(1/2)^2 for the cosine schedule", answer="g2_half", expected=math.pi, rtol=1e-3,
    hint="use (ch4-fg) with beta/alpha = tan(pi t / 2), and differentiate the square of that ratio."))

VE_DIFFUSION = register(ValueExercise(
    "ch4-ex-ve", name="g(1) for sigma(t) = t", answer="g_at_1", expected=math.sqrt(2.0), rtol=1e-3,
    hint="with alpha = 1 there is no drift, and g^2 is the rate at which the variance grows. The question asks for g."))


def _ref_gaussian_score(x, alpha, beta, mu, s):
    return -(x - alpha * mu) / (alpha**2 * s**2 + beta**2)


def _score_case(alpha: float, mu: float, s: float, dtype=torch.float64):
    def make(g: torch.Generator):
        x = alpha * mu + 3 * randn((64, 1), generator=g, dtype=torch.float64) * math.sqrt(alpha**2 * s**2 + 1 - alpha**2)
        return with_dtype((x, alpha, math.sqrt(1 - alpha**2), mu, s), dtype)
    return make


GAUSSIAN_SCORE = register(FunctionExercise(
    "ch4-ex-score", name="gaussian_score", reference=_ref_gaussian_score, rtol=1e-6, atol=1e-8,
    cases=[Case("moderate noise (alpha = 0.6), mu = 5, s = 2", _score_case(0.6, 5.0, 2.0)),
           Case("very small noise (beta = 1e-3), mu = -1, s = 0.5", _score_case(math.sqrt(1 - 1e-6), -1.0, 0.5)),
           Case("very large noise (alpha = 1e-3), mu = 3, s = 1.5", _score_case(1e-3, 3.0, 1.5)),
           Case("float32 inputs, alpha = 0.8, mu = 2, s = 0.3", _score_case(0.8, 2.0, 0.3, torch.float32),
                rtol=1e-4, atol=1e-5)],
    hint="x_t is Gaussian: find its mean and variance from x_t = alpha x0 + beta eps, then differentiate "
         "the log of a Gaussian density with respect to x."))


def _ref_reverse_em_step(x, t, dt, f, g, score, z):
    return x - (f * x - g**2 * score) * dt + g * math.sqrt(dt) * z


def _em_case(dt: float, f: float, gg: float, dtype=torch.float64):
    def make(g: torch.Generator):
        x = randn((32, 2), generator=g, dtype=torch.float64)
        score = randn((32, 2), generator=g, dtype=torch.float64)
        z = randn((32, 2), generator=g, dtype=torch.float64)
        return with_dtype((x, 0.5, dt, f, gg, score, z), dtype)
    return make


REVERSE_EM = register(FunctionExercise(
    "ch4-ex-em", name="reverse_em_step", reference=_ref_reverse_em_step, rtol=1e-6, atol=1e-8,
    cases=[Case("a step dt = 0.01 (f = -2, g = 1.5)", _em_case(0.01, -2.0, 1.5)),
           Case("a tiny step dt = 1e-5 (f = -1, g = 2)", _em_case(1e-5, -1.0, 2.0)),
           Case("no drift (f = 0, g = 1, dt = 0.05)", _em_case(0.05, 0.0, 1.0)),
           Case("a large g = 10 (f = -5, dt = 0.002)", _em_case(0.002, -5.0, 10.0)),
           Case("float32 inputs (dt = 0.02, f = -1, g = 1)", _em_case(0.02, -1.0, 1.0, torch.float32),
                rtol=1e-4, atol=1e-5)],
    hint="time runs backwards: going from t to t - dt, which sign does the drift term get? And how does the "
         "size of a Brownian increment scale with dt?"))


def check_g_squared_cosine(value, *, hint: bool = False, quiet: bool | None = None) -> Feedback:
    """Exercise ch4-ex-cosine: g(t)^2 at t = 1/2 for alpha = cos(pi t / 2), beta = sin(pi t / 2)."""
    return G2_COSINE.check(value, hint=hint, quiet=quiet)


def check_ve_diffusion(value, *, hint: bool = False, quiet: bool | None = None) -> Feedback:
    """Exercise ch4-ex-ve: g(1) for alpha = 1, beta = sigma(t) = t (so sigma^2 = t^2)."""
    return VE_DIFFUSION.check(value, hint=hint, quiet=quiet)


def check_gaussian_score(your_fn, *, seed: int | None = None, hint: bool = False,
                         quiet: bool | None = None) -> Feedback:
    """Exercise ch4-ex-score: ``your_fn(x, alpha, beta, mu, s)`` = grad log p_t(x) when
    x0 ~ N(mu, s^2) and x_t = alpha x0 + beta eps (x of shape (n, 1), the rest floats)."""
    return GAUSSIAN_SCORE.check(your_fn, seed=seed, hint=hint, quiet=quiet)


def check_reverse_em_step(your_fn, *, seed: int | None = None, hint: bool = False,
                          quiet: bool | None = None) -> Feedback:
    """Exercise ch4-ex-em: ``your_fn(x, t, dt, f, g, score, z)`` returns x at time t - dt (dt > 0)
    after one Euler--Maruyama step of the reverse SDE dx = [f x - g^2 score] dt + g dW."""
    return REVERSE_EM.check(your_fn, seed=seed, hint=hint, quiet=quiet)
