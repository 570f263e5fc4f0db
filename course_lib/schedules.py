"""Noise schedules of the discrete DDPM chain: the per-step variances B_k^2, k = 1..N.

Each step of the chain is x_k = A_k x_{k-1} + B_k eps_k with A_k^2 + B_k^2 = 1
(Ho et al. 2020 call B_k^2 "beta_t"). :class:`course_lib.processes.DDPMChain`
turns these variances into A_k, B_k, alpha_k = A_1...A_k and beta_k = sqrt(1 - alpha_k^2).
"""
from __future__ import annotations

import math

import torch

from ._checks import check_bool, check_choice, check_positive_float, check_positive_int

__all__ = ["step_variances", "SCHEDULES"]

SCHEDULES = ("linear", "cosine", "sigmoid", "quadratic")
_MAX_VARIANCE = 0.999  # Nichol & Dhariwal 2021 clip B_k^2 here so that A_k never reaches 0


def _endpoints(N: int, beta_start: float, beta_end: float, rescale: bool) -> tuple[float, float]:
    if rescale:  # DDPM's 1e-4 .. 0.02 are for N = 1000; keep alpha_N about the same for other N
        beta_start, beta_end = beta_start * 1000 / N, beta_end * 1000 / N
    return beta_start, beta_end


def step_variances(name: str, N: int, *, beta_start: float = 1e-4, beta_end: float = 0.02,
                   rescale: bool = True, s: float = 0.008) -> torch.Tensor:
    """The per-step variances B_k^2 for k = 1..N as a float64 tensor of shape (N,).

    * ``"linear"``: B_k^2 linear from ``beta_start`` to ``beta_end`` (Ho et al. 2020: 1e-4..0.02
      at N = 1000). With ``rescale`` (default) both ends are multiplied by 1000/N.
    * ``"quadratic"``: sqrt(B_k^2) linear between the square roots of the same ends.
    * ``"sigmoid"``: B_k^2 = start + (end - start) * sigmoid(u_k), u_k linear in [-6, 6].
    * ``"cosine"``: Nichol & Dhariwal (2021): alpha_k^2 = c(k)/c(0), c(k) = cos^2(pi/2 (k/N + s)/(1 + s)),
      and B_k^2 = 1 - alpha_k^2/alpha_{k-1}^2 (offset ``s`` = 0.008).

    Every schedule is clipped at 0.999 (as Nichol & Dhariwal do) so that A_k > 0.
    """
    check_choice("schedule name", name, set(SCHEDULES))
    N = check_positive_int("N", N)
    beta_start = check_positive_float("beta_start", beta_start)
    beta_end = check_positive_float("beta_end", beta_end)
    if beta_end >= 1:
        raise ValueError(f"beta_end must be < 1 (a step variance B_k^2), got {beta_end}")
    if beta_end < beta_start:
        raise ValueError(f"beta_end must be >= beta_start, got beta_start={beta_start}, beta_end={beta_end}")
    s = check_positive_float("s", s)
    rescale = check_bool("rescale", rescale)
    lo, hi = _endpoints(N, beta_start, beta_end, rescale)
    if name == "linear":
        B2 = torch.linspace(lo, hi, N, dtype=torch.float64)
    elif name == "quadratic":
        B2 = torch.linspace(math.sqrt(lo), math.sqrt(hi), N, dtype=torch.float64) ** 2
    elif name == "sigmoid":
        u = torch.linspace(-6.0, 6.0, N, dtype=torch.float64)
        B2 = lo + (hi - lo) * torch.sigmoid(u)
    else:  # cosine
        k = torch.arange(N + 1, dtype=torch.float64)
        c = torch.cos((k / N + s) / (1 + s) * math.pi / 2) ** 2
        alpha2 = c / c[0]
        B2 = 1 - alpha2[1:] / alpha2[:-1]
    return B2.clamp(min=0.0, max=_MAX_VARIANCE)
