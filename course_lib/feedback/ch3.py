"""Feedback for the exercises of Chapter 3 (the Bayesian posterior of one DDPM step).

Each check prints a verdict and returns a :class:`~course_lib.feedback._core.Feedback`
(truthy when the answer passed); the expected answers are never printed. ``hint=True`` adds the hint.
"""
from __future__ import annotations

from functools import lru_cache

import torch

from ..device import randn
from ..processes import DDPMChain
from ._core import Case, Feedback, FunctionExercise, ValueExercise, register, with_dtype

__all__ = ["check_posterior", "check_sigma2_k2"]


@lru_cache(maxsize=1)
def _chain() -> DDPMChain:
    return DDPMChain("linear", 100)


def _ref_posterior(x_k, x0, k, chain):
    mean, var = chain.posterior(x_k, x0, k)
    return mean, float(var.reshape(-1)[0])


def _one_variance(var):
    """Accept the variance as a number or as a tensor whose entries are all the same."""
    if isinstance(var, torch.Tensor) and var.numel() >= 1 and bool((var == var.reshape(-1)[0]).all()):
        return float(var.reshape(-1)[0])
    return var


def _prepare(out):
    if isinstance(out, (tuple, list)) and len(out) == 2:
        return (out[0], _one_variance(out[1]))
    return out


def _at(k: int, dtype=torch.float64):
    def make(g: torch.Generator):
        return with_dtype((randn((8, 2), generator=g, dtype=torch.float64),
                           randn((8, 2), generator=g, dtype=torch.float64), k, _chain()), dtype)
    return make


POSTERIOR = register(FunctionExercise(
    "ch3-ex-posterior", name="posterior", reference=_ref_posterior, rtol=1e-6, atol=1e-9,
    items=("mean", "variance"), prepare=_prepare,
    cases=[Case("k = 1 (the last step)", _at(1)), Case("k = 2", _at(2)), Case("k = 50", _at(50)),
           Case("k = N = 100", _at(100)), Case("float32 inputs, k = 50", _at(50, torch.float32), rtol=1e-4, atol=1e-6)],
    hint="complete the square in x_{k-1} in the product of the two Gaussians of (ch3-posterior). chain.B2 "
         "holds the variances B_k^2 and chain.betas the scales beta_k: square the scales, not the variances."))

SIGMA2_K2 = register(ValueExercise(
    "ch3-ex-point", name="posterior variance at k = 2", answer="sigma2_k2", rtol=1e-4,
    expected=lambda: float(_chain().B2[2] * _chain().betas[1] ** 2 / _chain().betas[2] ** 2),
    hint="use the variance of your posterior at k = 2; it involves B_2^2 and the two noise scales beta_1, beta_2."))


def check_posterior(your_fn, *, seed: int | None = None, hint: bool = False, quiet: bool | None = None) -> Feedback:
    """Exercise ch3-ex-posterior: ``your_fn(x_k, x0, k, chain) -> (mean, var)`` for q(x_{k-1} | x_k, x0),
    compared with ``DDPMChain.posterior`` at k = 1, 2, 50, N and with float32 inputs."""
    return POSTERIOR.check(your_fn, seed=seed, hint=hint, quiet=quiet)


def check_sigma2_k2(value, *, hint: bool = False, quiet: bool | None = None) -> Feedback:
    """Exercise ch3-ex-point: the posterior variance at k = 2 of the 100-step linear chain."""
    return SIGMA2_K2.check(value, hint=hint, quiet=quiet)
