"""Feedback for Chapter 6 (the EDM design space).

Each ``check_*`` runs a student's answer, prints a verdict (never the expected answer) and returns a
:class:`course_lib.feedback._core.Feedback`, truthy when the answer passed; ``hint=True`` adds the hint.
"""
from __future__ import annotations

import math

import torch

from ._core import Case, Feedback, FunctionExercise, ValueExercise, register
from ..device import randn
from ..denoisers import edm_coefficients
from ..grids import edm_sigmas

__all__ = ["check_edm_coefficients", "check_rho_sigmas", "check_heun_nfe", "check_heun_step"]


def _sigmas(lo: float, hi: float, sigma_data: float, dtype=torch.float64):
    def make(g: torch.Generator):
        sigma = torch.exp(torch.linspace(math.log(lo), math.log(hi), 16, dtype=torch.float64)).to(dtype)
        return sigma, sigma_data
    return make


PRECOND = register(FunctionExercise(
    "ch6-ex-precond", name="edm_coefficients", reference=edm_coefficients, rtol=1e-6, atol=1e-12,
    items=("c_skip", "c_out", "c_in", "c_noise"),
    cases=[Case("EDM's noise levels 0.002 to 80, sigma_data = 0.5", _sigmas(0.002, 80.0, 0.5)),
           Case("very small noise (sigma 1e-5 to 1e-3), sigma_data = 0.5", _sigmas(1e-5, 1e-3, 0.5)),
           Case("very large noise (sigma 1e2 to 1e4), sigma_data = 1", _sigmas(1e2, 1e4, 1.0)),
           Case("float32 sigma (0.01 to 50), sigma_data = 0.25", _sigmas(0.01, 50.0, 0.25, torch.float32),
                rtol=1e-5, atol=1e-7)],
    hint="each coefficient answers one requirement of Section 6.3: c_in gives the network's input unit "
         "variance, c_skip minimises the variance of the network's target, c_out gives that target unit "
         "variance; c_noise is a rescaled log of sigma. Return the four as a tuple, in that order."))


def _ref_rho_sigmas(n: int, sigma_min: float, sigma_max: float, rho: float) -> torch.Tensor:
    return torch.cat([edm_sigmas(n, sigma_min, sigma_max, rho), torch.zeros(1, dtype=torch.float64)])


def _grid(n: int, sigma_min: float, sigma_max: float, rho: float):
    return lambda g: (n, sigma_min, sigma_max, rho)


RHO = register(FunctionExercise(
    "ch6-ex-rho", name="rho_sigmas", reference=_ref_rho_sigmas, rtol=1e-6, atol=1e-9,
    cases=[Case("EDM's grid (n = 18, 0.002 to 80, rho = 7)", _grid(18, 0.002, 80.0, 7.0)),
           Case("the shortest grid (n = 2)", _grid(2, 0.01, 10.0, 7.0)),
           Case("rho = 1 (n = 5, 0.1 to 1)", _grid(5, 0.1, 1.0, 1.0)),
           Case("a large rho = 50 (n = 10, 0.001 to 100)", _grid(10, 0.001, 100.0, 50.0))],
    hint="Section 6.5 interpolates linearly, but not in sigma itself: in sigma raised to a power that "
         "depends on rho. Mind the direction (sigma_max first) and the length n + 1."))

NFE = register(ValueExercise(
    "ch6-ex-nfe", name="Heun NFE for N = 18", answer="nfe_18", expected=35, integer=True,
    hint="count the denoiser calls of one Heun step, then look at what the sampler does on the step that "
         "lands on sigma = 0."))


def _ref_heun_step(D, x, sigma, sigma_next):
    d = (x - D(x, sigma)) / sigma
    x_next = x + (sigma_next - sigma) * d
    if sigma_next > 0:
        d2 = (x_next - D(x_next, sigma_next)) / sigma_next
        x_next = x + (sigma_next - sigma) * (d + d2) / 2
    return x_next


def _heun_case(sigma: float, sigma_next: float, dtype=torch.float64):
    def make(g: torch.Generator):
        x = (sigma + 1) * randn((32, 2), generator=g, dtype=torch.float64)
        mu = randn((1, 2), generator=g, dtype=torch.float64)

        def D(x, sigma):  # exact denoiser of N(mu, 0.5^2 I)
            w = 0.25 / (0.25 + float(sigma) ** 2)
            m = mu.to(x.dtype)
            return m + w * (x - m)

        return D, x.to(dtype), sigma, sigma_next
    return make


HEUN = register(FunctionExercise(
    "ch6-ex-heun", name="heun_step", reference=_ref_heun_step, rtol=1e-6, atol=1e-9,
    cases=[Case("sigma_next = 0 (the last step, 1.5 -> 0)", _heun_case(1.5, 0.0)),
           Case("a middle step (sigma 2 -> 1)", _heun_case(2.0, 1.0)),
           Case("very small noise (sigma 0.002 -> 0.001)", _heun_case(0.002, 0.001)),
           Case("very large noise (sigma 80 -> 60)", _heun_case(80.0, 60.0)),
           Case("float32 inputs (sigma 5 -> 2.5)", _heun_case(5.0, 2.5, torch.float32), rtol=1e-4, atol=1e-5)],
    hint="evaluate the slope where you are, take an Euler step, and, unless you landed on sigma = 0 (where "
         "the slope cannot be evaluated), correct the step with the slope at the point you landed on."))


def check_edm_coefficients(your_fn, *, seed: int | None = None, hint: bool = False, quiet: bool | None = None):
    """Exercise ch6-ex-precond: ``your_fn(sigma, sigma_data) -> (c_skip, c_out, c_in, c_noise)``
    for a tensor ``sigma`` of shape (n,) and a float ``sigma_data`` (Karras et al. 2022, Table 1)."""
    return PRECOND.check(your_fn, seed=seed, hint=hint, quiet=quiet)


def check_rho_sigmas(your_fn, *, seed: int | None = None, hint: bool = False, quiet: bool | None = None):
    """Exercise ch6-ex-rho: ``your_fn(n, sigma_min, sigma_max, rho)`` returns the n noise levels of
    Karras et al. (2022, eq. 5) followed by a final 0 (a float64 tensor of length n + 1)."""
    return RHO.check(your_fn, seed=seed, hint=hint, quiet=quiet)


def check_heun_nfe(answer, *, hint: bool = False, quiet: bool | None = None):
    """Exercise ch6-ex-nfe: the number of denoiser evaluations of EDM's Heun sampler with 18 steps
    (the last one ending at sigma = 0). A whole number; the verdict gives no direction."""
    return NFE.check(answer, hint=hint, quiet=quiet)


def check_heun_step(your_fn, *, seed: int | None = None, hint: bool = False, quiet: bool | None = None):
    """Exercise ch6-ex-heun: ``your_fn(D, x, sigma, sigma_next)`` makes one Heun step of
    dx/dsigma = (x - D(x, sigma))/sigma (s = 1 frame), with an Euler step when ``sigma_next`` is 0."""
    return HEUN.check(your_fn, seed=seed, hint=hint, quiet=quiet)
