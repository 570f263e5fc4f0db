"""Feedback for Chapter 6 (the EDM design space).

Each ``check_*`` runs a student's answer, prints a verdict (never the expected answer) and returns a
:class:`course_lib.feedback._core.Feedback`, truthy when the answer passed.
"""
from __future__ import annotations

import math

import torch

from ._core import check_function, check_value
from ..device import rand, randn
from ..params import edm_coefficients
from ..processes import edm_sigmas

__all__ = ["check_edm_coefficients", "check_rho_sigmas", "check_heun_nfe", "check_heun_step"]


def check_edm_coefficients(your_fn, *, seed: int | None = None, quiet: bool | None = None):
    """Exercise ch6-ex-precond: ``your_fn(sigma, sigma_data) -> (c_skip, c_out, c_in, c_noise)``
    for a tensor ``sigma`` of shape (n,) and a float ``sigma_data`` (Karras et al. 2022, Table 1)."""

    def inputs(g):
        sigma = torch.exp(4 * randn((16,), generator=g, dtype=torch.float64) - 1)
        return sigma, float(0.2 + rand((1,), generator=g))

    return check_function(your_fn, edm_coefficients, inputs, name="edm_coefficients", seed=seed, rtol=1e-5,
                          hint="c_skip = sd^2/(sigma^2+sd^2), c_out = sigma sd/sqrt(sigma^2+sd^2), "
                               "c_in = 1/sqrt(sigma^2+sd^2), c_noise = ln(sigma)/4; return a tuple of four tensors.",
                          quiet=quiet)


def _ref_rho_sigmas(n: int, sigma_min: float, sigma_max: float, rho: float) -> torch.Tensor:
    return torch.cat([edm_sigmas(n, sigma_min, sigma_max, rho), torch.zeros(1, dtype=torch.float64)])


def check_rho_sigmas(your_fn, *, seed: int | None = None, quiet: bool | None = None):
    """Exercise ch6-ex-rho: ``your_fn(n, sigma_min, sigma_max, rho)`` returns the n noise levels of
    Karras et al. (2022, eq. 5) followed by a final 0 (a float64 tensor of length n + 1)."""

    def inputs(g):
        u = rand((4,), generator=g, dtype=torch.float64)
        return int(5 + 20 * u[0]), float(0.001 + 0.01 * u[1]), float(10 + 90 * u[2]), float(1 + 9 * u[3])

    return check_function(your_fn, _ref_rho_sigmas, inputs, name="rho_sigmas", seed=seed, rtol=1e-6, atol=1e-9,
                          hint="interpolate linearly between sigma_max^(1/rho) and sigma_min^(1/rho) with i/(n-1), "
                               "raise to the power rho, and append sigma_n = 0.",
                          quiet=quiet)


def check_heun_nfe(answer, *, quiet: bool | None = None):
    """Exercise ch6-ex-nfe: the number of denoiser evaluations of EDM's Heun sampler with 18 steps
    (the last one ending at sigma = 0)."""
    return check_value(answer, 35, name="Heun NFE for N = 18", rtol=0, atol=0.5,
                       hint="each step costs two evaluations except the one that lands on sigma = 0.", quiet=quiet)


def _ref_heun_step(D, x, sigma, sigma_next):
    d = (x - D(x, sigma)) / sigma
    x_next = x + (sigma_next - sigma) * d
    if sigma_next > 0:
        d2 = (x_next - D(x_next, sigma_next)) / sigma_next
        x_next = x + (sigma_next - sigma) * (d + d2) / 2
    return x_next


def check_heun_step(your_fn, *, seed: int | None = None, quiet: bool | None = None):
    """Exercise ch6-ex-heun: ``your_fn(D, x, sigma, sigma_next)`` makes one Heun step of
    dx/dsigma = (x - D(x, sigma))/sigma (s = 1 frame), with an Euler step when ``sigma_next`` is 0."""

    def inputs(g):
        n = 32
        x = 3 * randn((n, 2), generator=g, dtype=torch.float64)
        mu = randn((1, 2), generator=g, dtype=torch.float64)

        def D(x, sigma):  # exact denoiser of N(mu, 0.5^2 I)
            sigma = float(sigma)
            w = 0.25 / (0.25 + sigma**2)
            return mu + w * (x - mu)

        u = float(rand((1,), generator=g))
        sigma = 0.5 + 5 * u
        sigma_next = 0.0 if u < 0.3 else sigma * 0.5
        return D, x, sigma, sigma_next

    return check_function(your_fn, _ref_heun_step, inputs, name="heun_step", trials=4, seed=seed, rtol=1e-6,
                          atol=1e-9, hint="d = (x - D(x, sigma))/sigma; Euler to sigma_next; if sigma_next > 0 "
                                          "average d with the slope at the Euler point.", quiet=quiet)
