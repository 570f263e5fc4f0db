"""Small networks for toy data: a plain MLP and a time-conditioned MLP."""
from __future__ import annotations

import math
from numbers import Real

import torch
from torch import nn

from ._checks import check_points, check_positive_float, check_positive_int

__all__ = ["MLP", "TimeMLP", "sinusoidal_features"]


def _mlp(d_in: int, d_out: int, hidden: int, depth: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = d_in
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), nn.SiLU()]
        width = hidden
    layers.append(nn.Linear(width, d_out))
    return nn.Sequential(*layers)


_CHUNK_ELEMENTS = 2 ** 21   # rows x width of one activation chunk: about 8 MB, small enough for a CPU cache


def _evaluate(net: nn.Sequential, h: torch.Tensor, hidden: int) -> torch.Tensor:
    """``net(h)``; on a CPU and without autograd (sampling), in chunks of rows.

    Same result, but a 100,000 x 128 activation no longer spills out of the cache: 2-3x faster
    (``benchmarks/inference.py``).
    """
    rows = max(1024, _CHUNK_ELEMENTS // hidden)
    if h.device.type != "cpu" or torch.is_grad_enabled() or h.shape[0] <= rows:
        return net(h)
    return torch.cat([net(part) for part in h.split(rows)])


class MLP(nn.Module):
    """x -> y, both of dimension ``dim``: ``depth`` hidden layers of width ``hidden``, SiLU."""

    def __init__(self, dim: int, hidden: int = 128, depth: int = 3):
        super().__init__()
        self.dim = check_positive_int("dim", dim)
        self.hidden = check_positive_int("hidden", hidden)
        self.net = _mlp(self.dim, self.dim, self.hidden, check_positive_int("depth", depth))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_points("x", x, dim=self.dim, finite=False)
        w = self.net[0].weight.dtype     # float64 points into a float32 net: computed in float32, returned in float64
        return _evaluate(self.net, x.to(w), self.hidden).to(x.dtype)


def sinusoidal_features(c: torch.Tensor, n_features: int, max_period: float = 100.0) -> torch.Tensor:
    """Sin/cos features of a scalar input ``c`` of shape (n,), with geometric frequencies.

    The input should be of order one (e.g. k/N or log(sigma)/4): the features are
    sin(2 pi f c) and cos(2 pi f c) with frequencies f from 1/``max_period`` to 1, in
    cycles per unit of c (angular frequencies 2 pi f radians per unit).
    """
    if not isinstance(c, torch.Tensor) or not torch.is_floating_point(c):
        raise TypeError(f"c must be a floating torch.Tensor of shape (n,), got "
                        f"{c.dtype if isinstance(c, torch.Tensor) else type(c).__name__}")
    if c.ndim != 1:
        raise ValueError(f"c must have shape (n,) (one scalar per point), got shape {tuple(c.shape)}")
    n_features = check_positive_int("n_features", n_features, minimum=2)
    if n_features % 2:
        raise ValueError(f"n_features must be even, got {n_features}")
    max_period = check_positive_float("max_period", max_period)
    half = n_features // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=c.device, dtype=c.dtype) / max(half - 1, 1))
    angles = c[:, None] * freqs[None, :] * 2 * math.pi
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


class TimeMLP(nn.Module):
    """(x, c) -> y: an MLP on x concatenated with sinusoidal features of a scalar condition c.

    ``c`` is whatever the caller feeds as the noise level (k/N, t, or log sigma / 4);
    keeping it of order one matters more than the network's size.
    """

    def __init__(self, dim: int, hidden: int = 128, depth: int = 3, n_features: int = 16):
        super().__init__()
        self.dim = check_positive_int("dim", dim)
        self.n_features = check_positive_int("n_features", n_features, minimum=2)
        if self.n_features % 2:
            raise ValueError(f"n_features must be even, got {n_features}")
        self.hidden = check_positive_int("hidden", hidden)
        self.net = _mlp(self.dim + self.n_features + 1, self.dim, self.hidden, check_positive_int("depth", depth))

    def forward(self, x: torch.Tensor, c: torch.Tensor | float) -> torch.Tensor:
        check_points("x", x, dim=self.dim, finite=False)
        w = self.net[0].weight.dtype     # float64 input into a float32 net: computed in float32, returned in float64
        if isinstance(c, bool) or not isinstance(c, (torch.Tensor, Real)):
            raise TypeError(f"c must be a number or a tensor of shape ({x.shape[0]},), got {type(c).__name__}")
        c = torch.as_tensor(c, dtype=w, device=x.device)
        if c.ndim == 0:
            c = c.expand(x.shape[0])
        if c.ndim == 2 and c.shape[1] == 1:
            c = c[:, 0]
        if c.shape != (x.shape[0],):
            raise ValueError(f"c must be a scalar or have shape ({x.shape[0]},), got shape {tuple(c.shape)}")
        h = torch.cat([x.to(w), c[:, None], sinusoidal_features(c, self.n_features)], dim=1)
        return _evaluate(self.net, h, self.hidden).to(x.dtype)
