"""One training loop for every chapter: seeded, device-aware, AdamW, optional EMA."""
from __future__ import annotations

import copy
import math
import os
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn
from tqdm.auto import tqdm

from ._checks import (check_bool, check_device, check_points, check_positive_float, check_positive_int,
                      check_probability, check_seed, check_signature)
from .device import get_device, make_generator

__all__ = ["train", "TrainResult", "LossFn"]

LossFn = Callable[[nn.Module, torch.Tensor, torch.Generator], torch.Tensor]
"""A loss takes (model, batch of clean data x0, generator) and returns a scalar tensor."""


@dataclass
class TrainResult:
    """What :func:`train` returns: the trained model, its EMA copy (or None), the loss curve and
    the learning rate used at each step."""

    model: nn.Module
    ema: nn.Module | None
    losses: list[float] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)

    @property
    def best(self) -> nn.Module:
        """The EMA model when there is one, otherwise the trained model."""
        return self.ema if self.ema is not None else self.model


def _progress_enabled(progress: bool | None) -> bool:
    if progress is not None:
        return progress
    return not os.environ.get("CI") and not os.environ.get("COURSE_QUIET")


def train(
    model: nn.Module,
    loss_fn: LossFn,
    data: torch.Tensor,
    *,
    steps: int = 2000,
    batch_size: int = 256,
    lr: float = 2e-3,
    final_lr: float = 0.1,
    weight_decay: float = 0.0,
    ema_decay: float | None = None,
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: bool | None = None,
) -> TrainResult:
    """Train ``model`` with AdamW on mini-batches of ``data`` drawn with replacement.

    Each step draws a batch x0 from ``data`` and minimises ``loss_fn(model, x0, generator)``; the
    first step calls ``loss_fn`` itself (its input checks run once), later steps its unchecked twin
    ``loss_fn.unchecked`` when it has one (the course's losses do: the same value, without the checks).
    The learning rate decays with a cosine schedule from ``lr`` to ``final_lr * lr`` (0.1 by
    default; 0 lets the last steps settle the fine detail of the model, e.g. sharp edges). With ``ema_decay``
    (e.g. 0.999) an exponential moving average of the weights is kept and returned as ``ema``.
    Seeded: the same ``seed`` gives the same model (torch's global RNG is seeded inside a fork and
    restored on return). A NaN or infinite loss stops training at once. The progress bar is silent when the
    environment variable ``CI`` is set (or with ``progress=False``).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    check_signature("loss_fn", loss_fn, 3, "(model, x0, generator)")
    check_points("data", data)
    dim = getattr(model, "dim", None)
    extra = getattr(loss_fn, "extra_columns", 0)   # e.g. a class label packed after the point (guidance)
    if isinstance(dim, int) and data.shape[1] != dim + extra:
        raise ValueError(f"data must have {dim + extra} column(s) for this model and loss, got shape "
                         f"{tuple(data.shape)}" + (f" ({dim} for the point, {extra} packed after it)" if extra else ""))
    steps = check_positive_int("steps", steps)
    batch_size = check_positive_int("batch_size", batch_size)
    lr = check_positive_float("lr", lr)
    final_lr = check_probability("final_lr", final_lr)
    weight_decay = check_positive_float("weight_decay", weight_decay, allow_zero=True)
    if ema_decay is not None:
        ema_decay = check_probability("ema_decay", ema_decay)
    seed = check_seed(seed)
    progress = check_bool("progress", progress, allow_none=True)
    device = check_device("device", device) or get_device()
    # any randomness inside the model itself follows ``seed``; the caller's global RNG is left as it was
    fork = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=fork):
        torch.manual_seed(seed)
        return _train(model, loss_fn, data, steps, batch_size, lr, final_lr, weight_decay, ema_decay, seed, device,
                      progress)


def _train(model, loss_fn, data, steps, batch_size, lr, final_lr, weight_decay, ema_decay, seed, device, progress):
    generator = make_generator(seed)
    model.to(device).train()
    p = next(model.parameters(), None)     # float64 data for a float32 model: converted once, here
    data = data.to(device=device, dtype=p.dtype if p is not None and p.is_floating_point() else data.dtype)
    ema = copy.deepcopy(model).eval().requires_grad_(False) if ema_decay is not None else None
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, foreach=True)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=final_lr * lr)

    params = list(model.parameters())
    ema_params = list(ema.parameters()) if ema is not None else []
    losses: list[float] = []
    lrs: list[float] = []
    step_loss = getattr(loss_fn, "unchecked", loss_fn)   # same value, without the per-call input checks
    bar = tqdm(range(steps), desc="training", disable=not _progress_enabled(progress), leave=False)
    for step in bar:
        idx = torch.randint(0, data.shape[0], (batch_size,), generator=generator).to(device)
        # the first step checks model and data; later steps use the loss's unchecked twin if it has one
        loss = (loss_fn if step == 0 else step_loss)(model, data[idx], generator)
        if not isinstance(loss, torch.Tensor):
            raise TypeError(f"loss_fn must return a scalar tensor, got {type(loss).__name__}")
        if loss.ndim != 0:
            raise ValueError(f"loss_fn must return a scalar tensor, got shape {tuple(loss.shape)}")
        value = loss.item()
        if not math.isfinite(value):
            raise ValueError(f"the loss is {value} at training step {step} of {steps} (the weights are left as they were "
                             "before it); lower lr, or check the data and the network's output")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        if ema is not None:
            with torch.no_grad():   # p_ema <- p_ema + (1 - decay) (p - p_ema)
                for p_ema, p in zip(ema_params, params):
                    p_ema.lerp_(p, 1.0 - ema_decay)
        losses.append(value)
        if len(losses) % 100 == 0:
            bar.set_postfix(loss=f"{sum(losses[-100:]) / 100:.4f}")
    model.eval()
    return TrainResult(model=model, ema=ema, losses=losses, lrs=lrs)
