"""Training losses. Each factory returns a callable ``loss(model, x0, generator) -> scalar``
that :func:`course_lib.training.train` minimises."""
from __future__ import annotations

import math

import torch
from torch import nn

from ._checks import check_choice, check_positive_float
from .device import randn

__all__ = ["one_shot_loss"]


def one_shot_loss(alpha: float, *, target: str = "x0"):
    """Chapter 1's loss: noise x0 once to x_T = alpha x0 + beta eps (beta = sqrt(1 - alpha^2)),
    and regress the network's output on x0 (``target="x0"``) or on eps (``target="eps"``).

    The model takes x_T alone (no time input). Its MSE-optimal output for ``target="x0"``
    is the posterior mean E[x0 | x_T].
    """
    alpha = check_positive_float("alpha", alpha)
    if alpha >= 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    check_choice("target", target, {"x0", "eps"})
    beta = math.sqrt(1.0 - alpha**2)

    def loss(model: nn.Module, x0: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        eps = randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        x_T = alpha * x0 + beta * eps
        want = x0 if target == "x0" else eps
        return ((model(x_T) - want) ** 2).sum(dim=1).mean()

    return loss
