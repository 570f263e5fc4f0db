"""Chapter 2's recipe for toy data, reused by Chapter 3: standardise, train an eps-network on a
DDPM chain, sample in standardised units and map the samples back.

The defaults are the settings Chapter 2 measures against the noise floor (Section 5 and 6):
a 3 x 64 :class:`~course_lib.models.TimeMLP` fed c = k/N, 3,000 AdamW steps on batches of 1,024,
a learning rate decaying from 1e-2 to 0 (cosine) and an EMA copy of the weights.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from ._checks import (check_bool, check_device, check_finite, check_points, check_positive_int, check_same_process,
                      check_seed, check_signature)
from .device import get_device
from .losses import ddpm_eps_loss
from .models import TimeMLP
from .denoisers import EpsDenoiser
from .processes import DDPMChain, Grid
from .samplers import ddpm_ancestral
from .training import TrainResult, train

__all__ = ["ToyDDPM", "fit_toy_ddpm"]


@dataclass
class ToyDDPM:
    """A trained eps-model and the affine map between data units and the units it was trained in.

    ``x = mean + std * z``: the chain runs on z (standardised data), samples come back as x.
    """

    result: TrainResult
    chain: DDPMChain
    mean: torch.Tensor
    std: torch.Tensor
    seconds: float

    @property
    def denoiser(self) -> nn.Module:
        """The EMA model (the one to sample with)."""
        return self.result.best

    def to_data(self, z: torch.Tensor) -> torch.Tensor:
        """Map standardised points (or a trajectory point) back to data units."""
        if not isinstance(z, torch.Tensor) or not torch.is_floating_point(z) or z.ndim not in (2, 3) \
                or z.shape[-1] != self.mean.shape[0] or z.numel() == 0:
            raise ValueError(f"z must be a floating tensor of standardised points, shape (n, {self.mean.shape[0]}) "
                             f"(or a trajectory (T, n, {self.mean.shape[0]})), got "
                             f"{tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__}")
        check_finite("z", z)
        return self.mean.to(z.device, z.dtype) + self.std.to(z.device, z.dtype) * z

    def sample(self, n: int, grid: Grid | None = None, *, generator: torch.Generator | None = None,
               sampler: Callable = ddpm_ancestral, model: nn.Module | None = None, device=None, **options):
        """``n`` samples in data units: x_N from the chain's prior, then ``sampler`` over ``grid``
        (all N steps by default) with the EMA model (or ``model``). Extra keyword options go to the
        sampler; with ``return_info=True`` the sampler's info (trajectory in standardised units) is
        returned too, as ``(x, info)``."""
        n = check_positive_int("n", n)
        check_signature("sampler", sampler, 3, "(denoiser, x, grid)")
        device = self.mean.device if device is None else check_device("device", device)
        grid = self.chain.grid() if grid is None else grid
        if not isinstance(grid, Grid):
            raise TypeError(f"grid must be a Grid of the model's chain (e.g. fit.chain.grid(n_steps)), got {type(grid).__name__}")
        check_same_process("this model", self.chain, "grid", grid.process)
        x_N = self.chain.prior(n, self.mean.shape[0], generator=generator, device=device)
        out = sampler(self.denoiser if model is None else model, x_N, grid, generator=generator, **options)
        if isinstance(out, tuple):
            return self.to_data(out[0]), out[1]
        return self.to_data(out)


def fit_toy_ddpm(x_train: torch.Tensor, chain: DDPMChain, *, hidden: int = 64, depth: int = 3,
                 steps: int = 3000, batch_size: int = 1024, lr: float = 1e-2, final_lr: float = 0.0,
                 ema_decay: float = 0.995, standardise: bool = True, seed: int = 0, device=None) -> ToyDDPM:
    """Train ``EpsDenoiser(TimeMLP)`` with the DDPM eps-loss on ``x_train`` (shape (n, d)).

    With ``standardise`` (the default) the network sees (x - mean) / std, per coordinate;
    without it, the raw data. Seeded; returns a :class:`ToyDDPM` whose ``seconds`` is the
    training time.
    """
    if not isinstance(chain, DDPMChain):
        raise TypeError(f"chain must be a DDPMChain, got {type(chain).__name__}")
    check_points("x_train", x_train)
    if x_train.shape[0] < 2:
        raise ValueError(f"x_train needs at least 2 points, got {x_train.shape[0]}")
    standardise = check_bool("standardise", standardise)
    seed = check_seed(seed)
    device = check_device("device", device) or get_device()
    d = x_train.shape[1]
    x_train = x_train.float()
    if not bool(torch.isfinite(x_train).all()):
        raise ValueError("x_train has values beyond float32's range (|x| > 3.4e38); rescale the data first")
    if standardise:
        mean, std = x_train.mean(0), x_train.std(0)
        if (std == 0).any():
            raise ValueError("x_train has a coordinate with zero spread; cannot standardise it")
    else:
        mean, std = torch.zeros(d), torch.ones(d)
    with torch.random.fork_rng(devices=[]):     # the initial weights depend on ``seed`` only
        torch.manual_seed(seed)
        net = TimeMLP(d, hidden=hidden, depth=depth)
    t0 = time.perf_counter()
    result = train(EpsDenoiser(net, chain), ddpm_eps_loss(chain), (x_train - mean) / std, steps=steps,
                   batch_size=batch_size, lr=lr, final_lr=final_lr, ema_decay=ema_decay, seed=seed, device=device)
    seconds = time.perf_counter() - t0
    return ToyDDPM(result, chain, mean.to(device), std.to(device), seconds)
