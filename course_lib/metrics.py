"""Distances between two samples, and their noise floor.

Every metric here is estimated from finite samples, so even two samples of the
*same* distribution are at a positive distance. :func:`noise_floor` measures that
distance (mean and spread over repeats), and every "good enough" claim in the
course is stated relative to it.

* :func:`wasserstein_1d` -- W1 between two 1D samples (exact, any sizes),
* :func:`sliced_wasserstein` -- sliced W2 in d dimensions (random 1D projections),
* :func:`moments` -- mean, std, skewness, excess kurtosis per coordinate,
* :func:`noise_floor` -- a metric between two independent true samples of size n,
* :func:`batch_mean` -- a metric at size n averaged over batches of a large sample.

Metrics return Python floats and work on any device; sums run in float64.
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np
import torch

from ._checks import as_points, check_generator, check_points, check_positive_int, check_signature
from .device import randn

__all__ = ["wasserstein_1d", "sliced_wasserstein", "moments", "Moments", "noise_floor", "NoiseFloor", "batch_mean"]


def _pair(a, b) -> tuple[torch.Tensor, torch.Tensor]:
    a, b = as_points("a", a), as_points("b", b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a and b must have the same dimension, got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    if a.device != b.device:
        raise ValueError(f"a and b must be on one device, got {a.device} and {b.device}")
    return a, b


def _sorted_rows(x: torch.Tensor) -> torch.Tensor:
    """``x.sort(1).values``; on the CPU through numpy, whose sort is about ten times faster than torch's
    there (benchmarks/RESULTS.md, "The book"). Sorting is exact, so the values are the same either way."""
    if x.device.type != "cpu":
        return x.sort(1).values
    return torch.from_numpy(np.sort(x.contiguous().numpy(), axis=1))


def _wasserstein_sorted(a: torch.Tensor, b: torch.Tensor, p: int) -> torch.Tensor:
    """W_p^p between 1D samples sorted along the last dim, batched over the first: shapes (P, n), (P, m) -> (P,).

    Exact: integrates |Q_a(u) - Q_b(u)|^p over u in (0, 1], both quantile functions being step functions.
    """
    n, m = a.shape[1], b.shape[1]
    if n == m:
        return ((a - b).abs() ** p).mean(1)
    f64 = dict(device=a.device, dtype=torch.float64)
    u = _sorted_rows(torch.cat([torch.arange(1, n + 1, **f64) / n, torch.arange(1, m + 1, **f64) / m])[None])[0]
    du = torch.diff(u, prepend=u.new_zeros(1))
    mid = u - du / 2
    ia = (mid * n).long().clamp(max=n - 1)
    ib = (mid * m).long().clamp(max=m - 1)
    return ((a[:, ia] - b[:, ib]).abs() ** p * du).sum(1)


def wasserstein_1d(a: torch.Tensor, b: torch.Tensor) -> float:
    """Wasserstein-1 distance between two 1D samples (shapes (n,) or (n, 1); sizes may differ).

    W1 = integral over u in (0, 1) of |Q_a(u) - Q_b(u)|, with Q the empirical quantile
    functions; for equal sizes this is the mean of |sorted(a) - sorted(b)|. Exact.
    """
    a, b = _pair(a, b)
    if a.shape[1] != 1:
        raise ValueError(f"wasserstein_1d needs 1D samples (shape (n,) or (n, 1)), got shape {tuple(a.shape)}")
    return float(_wasserstein_sorted(_sorted_rows(a.T), _sorted_rows(b.T), 1)[0])


def sliced_wasserstein(
    a: torch.Tensor, b: torch.Tensor, n_projections: int = 256, generator: torch.Generator | None = None
) -> float:
    """Sliced Wasserstein-2 distance: sqrt of the mean over random unit directions theta of W2^2(a.theta, b.theta).

    Directions are drawn with ``generator`` (use the same seed to compare several samples
    on the same slices). In 1D this is the exact W2. Cost: O(n_projections * n log n).
    """
    a, b = _pair(a, b)
    n_projections = check_positive_int("n_projections", n_projections)
    check_generator(generator)
    d = a.shape[1]
    if d == 1:
        theta = a.new_ones(1, 1)
    else:
        theta = randn((d, n_projections), generator=generator, dtype=torch.float64).to(a.device)
        theta = theta / theta.norm(dim=0, keepdim=True)
    pa, pb = _sorted_rows(theta.T @ a.T), _sorted_rows(theta.T @ b.T)  # (P, n): sort along contiguous rows
    return math.sqrt(float(_wasserstein_sorted(pa, pb, 2).mean()))


def _median_distance(x: torch.Tensor, max_points: int = 1000) -> float:
    """Median pairwise Euclidean distance of (an evenly strided subset of) x."""
    step = max(1, x.shape[0] // max_points)
    sub = x[::step][:max_points]
    dist = torch.cdist(sub, sub)
    iu = torch.triu_indices(sub.shape[0], sub.shape[0], offset=1, device=sub.device)
    return float(dist[iu[0], iu[1]].median()) if sub.shape[0] > 1 else 1.0


def _kernel_sum(x: torch.Tensor, y: torch.Tensor, h: float, block: int = 2048) -> torch.Tensor:
    """sum_{i,j} exp(-|x_i - y_j|^2 / (2 h^2)), in row blocks to bound memory."""
    total = x.new_zeros(())
    for s in range(0, x.shape[0], block):
        d2 = torch.cdist(x[s : s + block], y, compute_mode="donot_use_mm_for_euclid_dist") ** 2
        total = total + torch.exp(-d2 / (2 * h * h)).sum()
    return total


class Moments(NamedTuple):
    """Per-coordinate sample moments, each a tensor of shape (d,). ``kurtosis`` is the excess (0 for a Gaussian)."""

    mean: torch.Tensor
    std: torch.Tensor
    skew: torch.Tensor
    kurtosis: torch.Tensor


def moments(x: torch.Tensor) -> Moments:
    """Mean, std (unbiased), skewness and excess kurtosis of each coordinate of x ((n,) or (n, d), n >= 2)."""
    x = as_points("x", x)
    if x.shape[0] < 2:
        raise ValueError(f"moments needs at least 2 points, got {x.shape[0]}")
    mean = x.mean(0)
    c = x - mean
    m2 = (c**2).mean(0)
    safe = torch.where(m2 > 0, m2, torch.ones_like(m2))
    skew = torch.where(m2 > 0, (c**3).mean(0) / safe**1.5, torch.zeros_like(m2))
    kurt = torch.where(m2 > 0, (c**4).mean(0) / safe**2 - 3, torch.zeros_like(m2))
    return Moments(mean, x.std(0), skew, kurt)


class NoiseFloor(NamedTuple):
    """A metric between two independent true samples of size ``n``, over ``repeats`` draws."""

    mean: float
    std: float
    values: tuple
    n: int

    def __str__(self) -> str:
        return f"noise floor at n={self.n}: {self.mean:.4g} +/- {self.std:.2g} ({len(self.values)} repeats)"


def _draw_fn(sampler) -> Callable:
    """``sampler(n, generator)``, or a distribution's ``.sample`` method; checked callable."""
    draw = sampler.sample if hasattr(sampler, "sample") else sampler
    check_signature("sampler", draw, 2, "(n, generator)")
    return draw


def _value(metric, a, b) -> float:
    """float(metric(a, b)), checked finite."""
    v = float(metric(a, b))
    if not math.isfinite(v):
        raise ValueError(f"metric returned {v}; expected a finite number")
    return v


def noise_floor(
    metric: Callable[[torch.Tensor, torch.Tensor], float],
    sampler,
    n: int,
    repeats: int = 5,
    generator: torch.Generator | None = None,
) -> NoiseFloor:
    """The metric's value between two independent samples of the true distribution.

    ``metric(a, b)`` returns a number; ``sampler`` is ``sampler(n, generator)`` returning
    an (n, d) tensor, or an object with such a ``.sample`` method (a distribution).
    Draws ``repeats`` >= 2 independent pairs of size ``n`` and returns their mean and
    (sample) standard deviation. A result "within the noise floor" is one whose metric,
    at the same n, is comparable to ``mean`` (e.g. below mean + 2 std).
    """
    check_signature("metric", metric, 2, "(a, b)")
    draw = _draw_fn(sampler)
    n = check_positive_int("n", n)
    repeats = check_positive_int("repeats", repeats, minimum=2)
    check_generator(generator)
    values = []
    for _ in range(repeats):
        a, b = draw(n, generator), draw(n, generator)
        values.append(_value(metric, a, b))
    v = torch.tensor(values, dtype=torch.float64)
    return NoiseFloor(float(v.mean()), float(v.std()), tuple(values), n)


def batch_mean(
    metric: Callable[[torch.Tensor, torch.Tensor], float],
    x: torch.Tensor,
    sampler,
    n: int,
    generator: torch.Generator | None = None,
) -> float:
    """The metric at sample size ``n``, averaged over the ``len(x) // n`` batches of ``x``.

    Batch i of ``x`` (rows i*n to (i+1)*n) is compared with its own fresh true sample
    ``sampler(n, generator)``. One batch scatters as much as the noise floor itself (tens of
    per cent); the mean over several batches, divided by ``noise_floor(...).mean`` at the same
    n, is a stable "times the floor" figure (1 for a perfect sampler).
    """
    check_signature("metric", metric, 2, "(a, b)")
    draw = _draw_fn(sampler)
    n = check_positive_int("n", n)
    x = check_points("x", x)
    check_generator(generator)
    batches = x.shape[0] // n
    if batches < 1:
        raise ValueError(f"x has {x.shape[0]} points, fewer than one batch of n={n}")
    values = []
    for i in range(batches):
        ref = draw(n, generator)
        if isinstance(ref, torch.Tensor) and ref.ndim == 2 and ref.shape[1] != x.shape[1]:
            raise ValueError(f"x has {x.shape[1]} column(s) but sampler draws points with {ref.shape[1]}")
        values.append(_value(metric, x[i * n:(i + 1) * n], ref))
    return sum(values) / batches
