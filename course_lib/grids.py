"""Time grids: the decreasing times a sampler walks, and Karras et al.'s noise levels.

* :class:`Grid`: a process plus times t_0 > t_1 > ... > t_n, with alpha, beta and sigma at those
  times computed once (``process.grid(n_steps, ...)`` builds one; ``DDPMChain.grid`` uses whole steps).
* :func:`edm_sigmas`: Karras et al.'s (2022, eq. 5) rho-spaced noise levels.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ._checks import as_tensor, check_positive_float, check_positive_int

__all__ = ["Grid", "edm_sigmas"]



@dataclass
class Grid:
    """Decreasing times t[0] > t[1] > ... > t[-1] of a process that a sampler walks through.

    ``t`` is a 1D float64 tensor (for :class:`DDPMChain` it holds integer step indices).
    t[0] is where sampling starts (usually T) and t[-1] where it ends (usually 0, clean data).
    The grid also carries, computed once, ``alphas``, ``betas`` and ``sigmas`` = betas/alphas at
    those times (float64): samplers in sigma (EDM, DDIM) walk ``sigmas`` directly.
    """

    process: "Process"
    t: torch.Tensor
    alphas: torch.Tensor = field(init=False, repr=False)
    betas: torch.Tensor = field(init=False, repr=False)
    sigmas: torch.Tensor = field(init=False, repr=False)

    def __post_init__(self):
        from .processes import Process
        if not isinstance(self.process, Process):
            raise TypeError(f"Grid.process must be a Process (VP, VE, EDM, DDPMChain, ...), got {type(self.process).__name__}")
        t = as_tensor("Grid.t", self.t).to(torch.float64).cpu()
        if t.ndim != 1 or t.shape[0] < 2:
            raise ValueError(f"Grid.t must be a 1D tensor with at least 2 times, got shape {tuple(t.shape)}")
        if not (t[1:] < t[:-1]).all():
            raise ValueError("Grid.t must be strictly decreasing (from noise to data)")
        if t[-1] < 0 or t[0] > self.process.T * (1 + 1e-9):
            raise ValueError(f"Grid.t must lie in [0, T={self.process.T}], got [{t[-1].item()}, {t[0].item()}]")
        self.t = t
        self.alphas, self.betas = (v.to(torch.float64) for v in self.process._alpha_beta(t))
        self.sigmas = self.betas / self.alphas

    @property
    def n_steps(self) -> int:
        return self.t.shape[0] - 1

    def __len__(self) -> int:
        return self.t.shape[0]


def edm_sigmas(n: int, sigma_min: float, sigma_max: float, rho: float = 7.0) -> torch.Tensor:
    """Karras et al. (2022, eq. 5): the ``n`` >= 2 noise levels, float64, from sigma_max down to sigma_min,
    sigma_i = (sigma_max^(1/rho) + i/(n-1) (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho."""
    n = check_positive_int("n", n, minimum=2)
    sigma_max = check_positive_float("sigma_max", sigma_max)
    sigma_min = check_positive_float("sigma_min", sigma_min)
    if sigma_min >= sigma_max:
        raise ValueError(f"sigma_min must be < sigma_max, got sigma_min={sigma_min}, sigma_max={sigma_max}")
    rho = check_positive_float("rho", rho)
    i = torch.arange(n, dtype=torch.float64)
    return (sigma_max ** (1 / rho) + i / (n - 1) * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
