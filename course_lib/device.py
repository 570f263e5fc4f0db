"""Pick the compute device: CUDA, then Apple MPS, then CPU."""
from __future__ import annotations

import os

import torch

from ._checks import check_device, check_float_dtype, check_generator, check_seed, check_shape

__all__ = ["get_device", "make_generator", "randn", "rand"]


def get_device(prefer: str | None = None) -> torch.device:
    """Return the best available device (CUDA, then MPS, then CPU).

    ``prefer`` (or the environment variable ``COURSE_DEVICE``) forces one of
    ``"cuda"``, ``"mps"`` or ``"cpu"``; asking for one that is absent raises.
    """
    name = "prefer"
    if prefer is None and os.environ.get("COURSE_DEVICE"):
        prefer, name = os.environ["COURSE_DEVICE"], "the environment variable COURSE_DEVICE"
    if prefer is not None:
        if prefer not in ("cuda", "mps", "cpu"):
            raise ValueError(f"unknown device {prefer!r} in {name}; expected 'cuda', 'mps', 'cpu' (or None: the best one)")
        if prefer == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device 'cuda' was asked for ({name}) but torch.cuda.is_available() is False")
        if prefer == "mps" and not torch.backends.mps.is_available():
            raise ValueError(f"device 'mps' was asked for ({name}) but torch.backends.mps.is_available() is False")
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def make_generator(seed: int = 0, device: torch.device | str | None = None) -> torch.Generator:
    """A seeded ``torch.Generator`` on ``device`` (CPU by default); ``seed`` a Python or numpy integer."""
    seed = check_seed(seed)
    g = torch.Generator(device=check_device("device", device) or "cpu")
    g.manual_seed(seed)
    return g


def _draw_args(shape, generator, device, dtype):
    """Checked (shape, generator's device) for :func:`randn` and :func:`rand`."""
    check_generator(generator)
    check_device("device", device)
    check_float_dtype("dtype", dtype)
    return check_shape("shape", shape), (generator.device if generator is not None else torch.device("cpu"))


def randn(shape, *, generator: torch.Generator | None = None, device=None, dtype=torch.float32) -> torch.Tensor:
    """Standard normal noise drawn on the generator's device, then moved to ``device``.

    Drawing on the generator's device (the CPU by default) makes a seeded run
    give the same numbers whether the model lives on the CPU or a GPU.
    """
    shape, _ = _draw_args(shape, generator, device, dtype)
    return _randn(shape, generator, device, dtype)


def _randn(shape, generator, device, dtype) -> torch.Tensor:
    """:func:`randn` without the checks (for samplers' inner loops)."""
    gen_device = generator.device if generator is not None else torch.device("cpu")
    z = torch.randn(shape, generator=generator, device=gen_device, dtype=dtype)
    return z.to(device) if device is not None else z


def rand(shape, *, generator: torch.Generator | None = None, device=None, dtype=torch.float32) -> torch.Tensor:
    """Uniform [0, 1) noise, drawn like :func:`randn`."""
    shape, gen_device = _draw_args(shape, generator, device, dtype)
    u = torch.rand(shape, generator=generator, device=gen_device, dtype=dtype)
    return u.to(device) if device is not None else u
