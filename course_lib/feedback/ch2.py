"""Feedback for the exercises of Chapter 2 (multistep DDPM).

Each check prints a friendly verdict and returns a :class:`~course_lib.feedback._core.Feedback`
(truthy when the answer passed); the expected answers are never printed.
"""
from __future__ import annotations

import torch

from ..device import randn
from ..processes import DDPMChain
from ._core import Feedback, check_function, check_value, report

__all__ = ["check_alpha_N", "check_ddpm_step", "check_renoise_step"]


def _alpha_N_ho() -> float:
    B2 = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    return float(torch.sqrt(1 - B2).prod())


def check_alpha_N(value, *, quiet: bool | None = None) -> Feedback:
    """Exercise ch2-ex-alpha-N: alpha_N of Ho et al.'s linear schedule (N = 1000, B_k^2 from 1e-4 to 0.02)."""
    return check_value(value, _alpha_N_ho(), name="alpha_N of the linear schedule", rtol=1e-3,
                       hint="alpha_N is the product of A_k = sqrt(1 - B_k^2) over k = 1..N: a scale, "
                            "not a variance (do not confuse it with DDPM's alpha-bar = alpha_N^2).",
                       quiet=quiet)


def _ref_ddpm_step(x_k, eps_hat, k, chain, z):
    mean = (x_k - float(chain.B2[k] / chain.beta[k]) * eps_hat) / float(chain.A[k])
    return mean + float(chain.B[k]) * z if k > 1 else mean


def _ref_renoise_step(x_k, x0_hat, k, chain, z):
    return float(chain.alpha[k - 1]) * x0_hat + float(chain.beta[k - 1]) * z


def _step_inputs(chain: DDPMChain, ks):
    def inputs(g: torch.Generator):
        k = ks[int(torch.randint(0, len(ks), (1,), generator=g))]
        shape = (16, 2)
        return (randn(shape, generator=g, dtype=torch.float64), randn(shape, generator=g, dtype=torch.float64), k,
                chain, randn(shape, generator=g, dtype=torch.float64))
    return inputs


def check_ddpm_step(your_fn, *, seed: int | None = None, quiet: bool | None = None) -> Feedback:
    """Exercise ch2-ex-ddpm-step: ``your_fn(x_k, eps_hat, k, chain, z) -> x_{k-1}`` (sigma_k = B_k, no noise at k = 1).

    Tried at random steps of a 100-step linear chain, always including k = 1 (the last step) and k = N.
    """
    chain = DDPMChain("linear", 100)
    fb = Feedback(name="ddpm_step")
    for label, ks in (("a middle step", [17, 50, 73]), ("the first step k = N", [100]), ("the last step k = 1", [1])):
        sub = check_function(your_fn, _ref_ddpm_step, _step_inputs(chain, ks), name="ddpm_step", trials=2,
                             seed=seed, rtol=1e-6, atol=1e-8, quiet=True)
        detail = "; ".join(c.detail for c in sub.checks if not c.ok) or "matches"
        fb.add(label, sub.passed, detail)
        if not sub.passed and any("NotImplementedError" in c.detail for c in sub.checks):
            break
    fb.hint = ("The mean is (x_k - B_k^2 / beta_k * eps_hat) / A_k; add B_k z except when k = 1. "
               "Mind B_k (a scale) versus B2[k] = B_k^2 (a variance).")
    return report(fb, quiet=quiet)


def check_renoise_step(your_fn, *, seed: int | None = None, quiet: bool | None = None) -> Feedback:
    """``your_fn(x_k, x0_hat, k, chain, z) -> x_{k-1}`` for the "predict x0, then re-noise" sampler."""
    chain = DDPMChain("linear", 100)
    return check_function(your_fn, _ref_renoise_step, _step_inputs(chain, [1, 2, 40, 100]), name="renoise_step",
                          trials=4, seed=seed, rtol=1e-6, atol=1e-8,
                          hint="Re-noise to the *next* level k-1: alpha_{k-1} x0_hat + beta_{k-1} z.", quiet=quiet)
