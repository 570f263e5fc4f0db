"""Input checks shared by every public function.

Each helper raises a ``TypeError`` or ``ValueError`` whose message names the
argument, what was received and what was expected, so that bad input never
turns into a silent wrong answer or a shape error deep inside torch.
"""
from __future__ import annotations

import math
from numbers import Integral, Real

import torch

__all__ = [
    "check_positive_int",
    "check_positive_float",
    "check_probability",
    "check_points",
    "check_finite",
    "check_generator",
    "check_choice",
    "check_callable",
    "check_same_device",
    "check_matching_points",
]


def check_positive_int(name: str, value, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_positive_float(name: str, value, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number > 0 (>= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def check_probability(name: str, value) -> float:
    """Return ``value`` as a float in [0, 1], or raise."""
    value = check_positive_float(name, value, allow_zero=True)
    if value > 1:
        raise ValueError(f"{name} must lie in [0, 1], got {value}")
    return value


def check_finite(name: str, x: torch.Tensor) -> torch.Tensor:
    """Raise if ``x`` holds NaN or infinite values."""
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values; expected finite numbers")
    return x


def check_points(name: str, x, *, dim: int | None = None, finite: bool = True) -> torch.Tensor:
    """Check that ``x`` is a floating tensor of points with shape (n, d).

    ``dim`` fixes d when given. Returns ``x`` unchanged.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (n, d), got {type(x).__name__}")
    if not torch.is_floating_point(x):
        raise TypeError(f"{name} must have a floating dtype (float32 or float64), got {x.dtype}")
    if x.ndim != 2:
        raise ValueError(f"{name} must have shape (n, d), got shape {tuple(x.shape)}")
    if x.shape[0] < 1:
        raise ValueError(f"{name} must hold at least one point, got shape {tuple(x.shape)}")
    if dim is not None and x.shape[1] != dim:
        raise ValueError(f"{name} must have {dim} column(s) (data dimension {dim}), got shape {tuple(x.shape)}")
    if finite:
        check_finite(name, x)
    return x


def check_generator(generator) -> None:
    """Raise unless ``generator`` is None or a ``torch.Generator``."""
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")


def check_choice(name: str, value, choices) -> str:
    """Raise unless ``value`` is one of ``choices`` (strings)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {sorted(choices)}, got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; expected one of {sorted(choices)}")
    return value


def check_callable(name: str, fn) -> None:
    """Raise unless ``fn`` is callable."""
    if not callable(fn):
        raise TypeError(f"{name} must be callable, got {type(fn).__name__}")


def check_same_device(**tensors: torch.Tensor) -> None:
    """Raise if the given tensors live on different devices."""
    devices = {name: t.device for name, t in tensors.items() if isinstance(t, torch.Tensor)}
    if len(set(devices.values())) > 1:
        listing = ", ".join(f"{k} on {v}" for k, v in devices.items())
        raise ValueError(f"tensors must be on one device, got {listing}; move them with .to(device)")


def check_matching_points(x_name: str, x: torch.Tensor, y_name: str, y: torch.Tensor) -> None:
    """Raise unless ``x`` and ``y`` are point sets of one shape (n, d) on one device."""
    check_points(x_name, x)
    check_points(y_name, y, dim=x.shape[1])
    if x.shape != y.shape:
        raise ValueError(f"{y_name} must have the shape of {x_name} {tuple(x.shape)}, got {tuple(y.shape)}")
    check_same_device(**{x_name: x, y_name: y})
