"""Feedback for the exercises of Chapter 1 (the one-shot denoiser).

``check_posterior_mean(fn)`` tests a student's posterior mean of a finite training set;
``check_one_shot_std(value)`` tests the standard deviation of one-shot samples in 1D.
Each prints a verdict and returns a :class:`~course_lib.feedback._core.Feedback`
(truthy when the answer passed); neither prints the expected answer. ``hint=True`` adds the hint.
"""
from __future__ import annotations

import math

import torch

from ..device import randn
from ..distributions import Empirical
from ._core import Case, Feedback, FunctionExercise, ValueExercise, register, with_dtype

__all__ = ["check_posterior_mean", "check_one_shot_std"]


def _reference_posterior_mean(x: torch.Tensor, points: torch.Tensor, alpha: float, beta: float) -> torch.Tensor:
    return Empirical(points).denoiser(x, alpha, beta)


def _inputs(d: int, m: int, alpha: float, dtype=torch.float64):
    """n = 50 points in d dims: 40 noised copies of training points and 10 far from all of them."""
    beta = math.sqrt(1 - alpha**2)

    def make(g: torch.Generator):
        points = randn((m, d), generator=g, dtype=torch.float64)
        idx = torch.randint(0, m, (40,), generator=g)
        near = alpha * points[idx] + beta * randn((40, d), generator=g, dtype=torch.float64)
        far = 2 * randn((10, d), generator=g, dtype=torch.float64)
        return with_dtype((torch.cat([near, far]), points, alpha, beta), dtype)
    return make


POSTERIOR_MEAN = register(FunctionExercise(
    "ch1-ex-posterior-mean", name="posterior_mean", reference=_reference_posterior_mean, rtol=1e-5, atol=1e-6,
    cases=[
        Case("moderate noise (alpha = 0.6), 2D, 8 points", _inputs(2, 8, 0.6)),
        Case("very small noise (beta = 1e-3), 2D, 5 points", _inputs(2, 5, math.sqrt(1 - 1e-6))),
        Case("very large noise (alpha = 0.01), 3D, 11 points", _inputs(3, 11, 0.01)),
        Case("1D, 3 points, alpha = 0.9", _inputs(1, 3, 0.9)),
        Case("float32 inputs, small noise (beta = 0.05)", _inputs(2, 6, math.sqrt(1 - 0.05**2), torch.float32),
             rtol=1e-4, atol=1e-5),
    ],
    hint="compute one number per (row of x, training point) pair, turn each row of these numbers into "
         "weights that sum to one, and average the points with them. For small beta, look for a torch "
         "function that makes such weights without computing exp of a huge negative number."))

ONE_SHOT_STD = register(ValueExercise(
    "ch1-ex-shrinkage", name="one-shot std", answer="one_shot_std", rtol=1e-2,
    expected=lambda: 0.5 * 2.0**2 / (0.5**2 * 2.0**2 + (1 - 0.5**2)),
    hint="(x0, x_T) is jointly Gaussian: the posterior mean is a straight line in x_T, and a straight "
         "line applied to N(0, 1) has the standard deviation |slope|. The slope is a covariance over a variance."))


def check_posterior_mean(your_fn, *, seed: int | None = None, hint: bool = False,
                         quiet: bool | None = None) -> Feedback:
    """Exercise ch1-ex-posterior-mean: ``your_fn(x, points, alpha, beta)`` = E[x0 | x_T = x] for x0
    uniform on ``points``. Five fixed cases: moderate, very small (beta = 1e-3) and very large noise,
    1D, and float32 inputs; the small-noise cases make an unstabilised softmax give 0/0."""
    return POSTERIOR_MEAN.check(your_fn, seed=seed, hint=hint, quiet=quiet)


def check_one_shot_std(value, *, hint: bool = False, quiet: bool | None = None) -> Feedback:
    """Exercise ch1-ex-shrinkage: the std of one-shot samples for N(5, 2^2) data at alpha = 0.5."""
    return ONE_SHOT_STD.check(value, hint=hint, quiet=quiet)
