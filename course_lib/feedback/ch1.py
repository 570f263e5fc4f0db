"""Feedback for the exercises of Chapter 1 (the one-shot denoiser).

``check_posterior_mean(fn)`` tests a student's posterior mean of a finite training set;
``check_one_shot_std(value)`` tests the standard deviation of one-shot samples in 1D.
Each prints a verdict and returns a :class:`~course_lib.feedback._core.Feedback`
(truthy when the answer passed); neither prints the expected answer.
"""
from __future__ import annotations

import math

import torch

from ..device import rand, randn
from ..distributions import Empirical
from ._core import Feedback, check_function, check_value

__all__ = ["check_posterior_mean", "check_one_shot_std"]


def _reference_posterior_mean(x: torch.Tensor, points: torch.Tensor, alpha: float, beta: float) -> torch.Tensor:
    return Empirical(points).denoiser(x, alpha, beta)


def _posterior_mean_inputs(g: torch.Generator) -> tuple:
    """One random trial: n points in d dims, m training points, a noise level; sometimes a small beta."""
    d = int(torch.randint(1, 4, (1,), generator=g))
    m = int(torch.randint(3, 12, (1,), generator=g))
    points = randn((m, d), generator=g, dtype=torch.float64)
    alpha = 0.05 + 0.9 * float(rand((1,), generator=g))
    beta = math.sqrt(1 - alpha**2)
    if float(rand((1,), generator=g)) < 0.6:  # a low-noise trial: naive exp() underflows here
        beta = 0.01
    near = alpha * points[torch.randint(0, m, (40,), generator=g)] + beta * randn((40, d), generator=g, dtype=torch.float64)
    far = 2 * randn((10, d), generator=g, dtype=torch.float64)  # far from every training point
    return (torch.cat([near, far]), points, alpha, beta)


def check_posterior_mean(your_fn, *, seed: int | None = None, quiet: bool | None = None) -> Feedback:
    """Check ``your_fn(x, points, alpha, beta)`` = E[x0 | x_T = x] for x0 uniform on ``points``.

    Runs four random trials (dimension 1 to 3, 3 to 11 training points, float64 inputs),
    about half of them at a small noise level beta = 0.01 where an unstabilised softmax gives 0/0
    for the inputs far from every training point.
    """
    return check_function(
        your_fn, _reference_posterior_mean, _posterior_mean_inputs, name="posterior_mean",
        trials=4, seed=seed, rtol=1e-5, atol=1e-6, quiet=quiet,
        hint="weights are softmax(-|x - alpha x_i|^2 / (2 beta^2)) over the training points i, "
             "one row per point of x; torch.softmax keeps small beta stable.",
    )


def check_one_shot_std(value, *, quiet: bool | None = None) -> Feedback:
    """Check the std of one-shot samples for N(5, 2^2) data at alpha = 0.5 (exercise ch1-ex-shrinkage)."""
    alpha, s = 0.5, 2.0
    beta2 = 1 - alpha**2
    expected = alpha * s**2 / (alpha**2 * s**2 + beta2)
    return check_value(value, expected, name="one-shot std", rtol=1e-2, quiet=quiet,
                       hint="the samples are mu + k (x_T - alpha mu) with x_T ~ N(0, 1); their std is |k|.")
