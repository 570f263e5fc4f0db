"""Pick the compute device: CUDA, then Apple MPS, then CPU."""
from __future__ import annotations

import os

import torch

__all__ = ["get_device", "make_generator", "randn", "rand"]


def get_device(prefer: str | None = None) -> torch.device:
    """Return the best available device (CUDA, then MPS, then CPU).

    ``prefer`` (or the environment variable ``COURSE_DEVICE``) forces one of
    ``"cuda"``, ``"mps"`` or ``"cpu"``; asking for one that is absent raises.
    """
    prefer = prefer or os.environ.get("COURSE_DEVICE") or None
    if prefer is not None:
        if prefer not in ("cuda", "mps", "cpu"):
            raise ValueError(f"unknown device {prefer!r}; expected 'cuda', 'mps' or 'cpu'")
        if prefer == "cuda" and not torch.cuda.is_available():
            raise ValueError("device 'cuda' was asked for but torch.cuda.is_available() is False")
        if prefer == "mps" and not torch.backends.mps.is_available():
            raise ValueError("device 'mps' was asked for but torch.backends.mps.is_available() is False")
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def make_generator(seed: int = 0, device: torch.device | str | None = None) -> torch.Generator:
    """A seeded ``torch.Generator`` on ``device`` (CPU by default)."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    g = torch.Generator(device=torch.device(device) if device is not None else "cpu")
    g.manual_seed(seed)
    return g


def randn(shape, *, generator: torch.Generator | None = None, device=None, dtype=torch.float32) -> torch.Tensor:
    """Standard normal noise drawn on the generator's device, then moved to ``device``.

    Drawing on the generator's device (the CPU by default) makes a seeded run
    give the same numbers whether the model lives on the CPU or a GPU.
    """
    gen_device = generator.device if generator is not None else torch.device("cpu")
    z = torch.randn(tuple(shape), generator=generator, device=gen_device, dtype=dtype)
    return z.to(device) if device is not None else z


def rand(shape, *, generator: torch.Generator | None = None, device=None, dtype=torch.float32) -> torch.Tensor:
    """Uniform [0, 1) noise, drawn like :func:`randn`."""
    gen_device = generator.device if generator is not None else torch.device("cpu")
    u = torch.rand(tuple(shape), generator=generator, device=gen_device, dtype=dtype)
    return u.to(device) if device is not None else u
