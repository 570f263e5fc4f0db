"""Toy data sets of the course, as float32 tensors of shape (n, d).

Every random data set takes an explicit ``generator`` (``None`` = torch's global
RNG) and draws on the CPU through :func:`course_lib.device.randn`/``rand``, so a
seed gives the same points everywhere (a CUDA generator draws, and returns, on the GPU).
Move the result with ``.to(device)``.

==================  ===  ==========================================================
name                d    what
==================  ===  ==========================================================
two_circles         2    the 20 fixed training points of the two-circles example
swiss_roll          2    2D swiss roll (scaled by 1/10, as in the swiss-roll tutorial)
torus               3    points uniform on the surface of a torus
digits              64   scikit-learn's 8x8 digit images, scaled to [-1, 1]
==================  ===  ==========================================================

Samples of the toy *laws* (a Gaussian, U[0, 1], points on two circles) come from their one home,
:mod:`course_lib.distributions` (e.g. ``Uniform01().sample(n, generator)``), which also knows their
exact denoisers.
"""
from __future__ import annotations

import math

import torch

from ._checks import check_generator, check_positive_float, check_positive_int, check_real
from .device import rand, randn

__all__ = [
    "two_circles",
    "swiss_roll",
    "torus",
    "digits",
]


def _centres(offset: float) -> torch.Tensor:
    return torch.tensor([[offset, offset], [-offset, -offset]], dtype=torch.float32)


def two_circles(n_per_circle: int = 10, radius: float = 0.5, offset: float = 0.7) -> torch.Tensor:
    """The fixed training set of the two-circles example (deterministic).

    ``n_per_circle`` points evenly spaced (angles 2 pi j / n, j = 0..n-1) on each of two
    circles of radius ``radius`` centred at (+offset, +offset) and (-offset, -offset);
    the first circle's points come first. Default: 2 x 10 = 20 points, shape (20, 2).
    """
    n = check_positive_int("n_per_circle", n_per_circle)
    radius = check_positive_float("radius", radius)
    offset = check_real("offset", offset)
    angles = 2 * math.pi * torch.arange(n, dtype=torch.float64) / n
    ring = radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)
    centres = _centres(offset).double()
    return torch.cat([ring + centres[0], ring + centres[1]]).float()




def swiss_roll(n: int, generator: torch.Generator | None = None, noise: float = 0.01) -> torch.Tensor:
    """2D swiss roll: (t cos t, t sin t) / 10 with t uniform on [1.5 pi, 4.5 pi].

    This is scikit-learn's ``make_swiss_roll`` seen from above (its 1st and 3rd
    coordinates) and scaled by 1/10, as in the swiss-roll tutorial. ``noise`` is the
    std of Gaussian jitter **in the output units** (0.01 here = 0.1 before scaling).
    """
    n = check_positive_int("n", n)
    check_generator(generator)
    noise = check_positive_float("noise", noise, allow_zero=True)
    t = 1.5 * math.pi * (1 + 2 * rand((n,), generator=generator))
    x = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1) / 10
    return x + noise * randn((n, 2), generator=generator)


def torus(n: int, generator: torch.Generator | None = None, R: float = 1.0, r: float = 0.4) -> torch.Tensor:
    """``n`` points uniform (by area) on a torus surface in 3D, axis along z.

    Point at angles (u, v): ((R + r cos v) cos u, (R + r cos v) sin u, r sin v). The
    area element is proportional to R + r cos v, so v is drawn by rejection sampling
    (uniform u and v would crowd the inner rim). Needs 0 < r < R.
    """
    n = check_positive_int("n", n)
    check_generator(generator)
    R = check_positive_float("R", R)
    r = check_positive_float("r", r)
    if r >= R:
        raise ValueError(f"the tube radius r must be smaller than R, got r={r}, R={R}")
    vs: list[torch.Tensor] = []
    have = 0
    while have < n:
        u = rand((2 * n, 2), generator=generator)
        v = 2 * math.pi * u[:, 0]
        keep = v[u[:, 1] * (R + r) <= R + r * torch.cos(v)]
        vs.append(keep)
        have += keep.numel()
    v = torch.cat(vs)[:n]
    u = 2 * math.pi * rand((n,), generator=generator)
    ring = R + r * torch.cos(v)
    return torch.stack([ring * torch.cos(u), ring * torch.sin(u), r * torch.sin(v)], dim=1)






def digits(normalise: bool = True) -> torch.Tensor:
    """scikit-learn's 1797 8x8 handwritten digits as a (1797, 64) float32 tensor.

    Pixel values 0..16 are mapped to [-1, 1] (``x / 8 - 1``) when ``normalise`` is
    true, kept as 0..16 otherwise. The images ship with scikit-learn (no download).
    """
    if not isinstance(normalise, bool):
        raise TypeError(f"normalise must be True or False, got {type(normalise).__name__}")
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "digits() needs scikit-learn; install it with `pip install scikit-learn` "
            "(or `pip install course_lib[digits]`)"
        ) from err
    x = torch.as_tensor(load_digits().data, dtype=torch.float32)
    return x / 8 - 1 if normalise else x



