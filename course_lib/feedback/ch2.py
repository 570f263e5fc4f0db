"""Feedback for the exercises of Chapter 2 (multistep DDPM).

Each check prints a verdict and returns a :class:`~course_lib.feedback._core.Feedback`
(truthy when the answer passed); the expected answers are never printed. ``hint=True`` adds the hint.
"""
from __future__ import annotations

from functools import lru_cache

import torch

from ..device import randn
from ..processes import DDPMChain
from ._core import Case, Feedback, FunctionExercise, ValueExercise, register, with_dtype

__all__ = ["check_alpha_N", "check_ddpm_step"]


def _alpha_N_ho() -> float:
    B2 = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    return float(torch.sqrt(1 - B2).prod())


@lru_cache(maxsize=1)
def _chain() -> DDPMChain:
    return DDPMChain("linear", 100)


def _ref_ddpm_step(x_k, eps_hat, k, chain, z):
    mean = (x_k - float(chain.B2[k] / chain.betas[k]) * eps_hat) / float(chain.A[k])
    return mean + float(chain.B[k]) * z if k > 1 else mean


def _step(k: int, dtype=torch.float64):
    def make(g: torch.Generator):
        shape = (16, 2)
        args = (randn(shape, generator=g, dtype=torch.float64), randn(shape, generator=g, dtype=torch.float64), k,
                _chain(), randn(shape, generator=g, dtype=torch.float64))
        return with_dtype(args, dtype)
    return make


ALPHA_N = register(ValueExercise(
    "ch2-ex-alpha-n", name="alpha_N of the linear schedule", answer="alpha_N_ho", expected=_alpha_N_ho, rtol=1e-3,
    hint="each step multiplies the signal's scale by A_k, and A_k^2 + B_k^2 = 1. Mind scale versus variance."))

DDPM_STEP = register(FunctionExercise(
    "ch2-ex-ddpm-step", name="ddpm_step", reference=_ref_ddpm_step, rtol=1e-6, atol=1e-8,
    cases=[Case("the first step k = N = 100", _step(100)), Case("a middle step k = 50", _step(50)),
           Case("step k = 2", _step(2)), Case("the last step k = 1", _step(1)),
           Case("float32 inputs, k = 50", _step(50, torch.float32), rtol=1e-4, atol=1e-5)],
    hint="write the mean first: remove the share of eps_hat that the last step added, then undo that step's "
         "scaling. Check which of chain.B (a scale) and chain.B2 (a variance) each term needs, and what the "
         "last step does differently."))

def check_alpha_N(value, *, hint: bool = False, quiet: bool | None = None) -> Feedback:
    """Exercise ch2-ex-alpha-n: alpha_N of Ho et al.'s linear schedule (N = 1000, B_k^2 from 1e-4 to 0.02)."""
    return ALPHA_N.check(value, hint=hint, quiet=quiet)


def check_ddpm_step(your_fn, *, seed: int | None = None, hint: bool = False, quiet: bool | None = None) -> Feedback:
    """Exercise ch2-ex-ddpm-step: ``your_fn(x_k, eps_hat, k, chain, z) -> x_{k-1}`` (sigma_k = B_k, no noise
    at k = 1), on a 100-step linear chain at k = 100, 50, 2, 1 and with float32 inputs."""
    return DDPM_STEP.check(your_fn, seed=seed, hint=hint, quiet=quiet)


