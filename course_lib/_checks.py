"""Input checks and coercions shared by every public function (all of them live here).

Each helper raises a ``TypeError`` or ``ValueError`` whose message names the
argument, what was received and what was expected, so that bad input never
turns into a silent wrong answer or a shape error deep inside torch.
"""
from __future__ import annotations

import inspect
import math
from numbers import Integral, Real

import numpy as np
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
    "check_signature",
    "check_seed",
    "check_real",
    "check_bool",
    "check_device",
    "check_float_dtype",
    "check_shape",
    "same_process",
    "check_same_process",
    "check_labels",
    "as_tensor",
    "as_column",
    "as_param",
    "as_coef_column",
    "check_process",
    "as_alpha_beta_columns",
    "check_denoiser_process",
    "as_points",
    "check_times",
    "as_returned_column",
    "as_values",
    "check_edges",
    "check_flow_time",
    "FLOAT_DTYPES",
]

FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def check_positive_int(name: str, value, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_positive_float(name: str, value, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number > 0 (>= 0 with ``allow_zero``)."""
    value = check_real(name, value)
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


def check_signature(name: str, fn, n_args: int, expected: str) -> None:
    """Raise unless ``fn`` is callable with ``n_args`` positional arguments (``expected`` names them)."""
    check_callable(name, fn)
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin without a signature: trust it
        return
    try:
        sig.bind(*range(n_args))
    except TypeError:
        raise TypeError(f"{name} must accept {n_args} positional argument(s) {expected}, "
                        f"got a callable with signature {sig}") from None


def check_seed(seed, name: str = "seed") -> int:
    """Return ``seed`` as an int (Python or numpy integer), or raise."""
    if isinstance(seed, bool) or not isinstance(seed, Integral):
        raise TypeError(f"{name} must be an integer (e.g. 0), got {type(seed).__name__} {seed!r}")
    return int(seed)


def check_real(name: str, value) -> float:
    """Return ``value`` as a finite float (Python or numpy number, any sign), or raise."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_bool(name: str, value, *, allow_none: bool = False):
    """Return ``value`` as a bool (or None with ``allow_none``), or raise."""
    if value is None and allow_none:
        return None
    if not isinstance(value, (bool, np.bool_)):
        expected = "True, False or None" if allow_none else "True or False"
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__} {value!r}")
    return bool(value)


def check_device(name: str, device) -> torch.device | None:
    """None, a ``torch.device`` or a device string, present on this machine -> ``torch.device`` (or None)."""
    if device is None:
        return None
    if isinstance(device, str):
        try:
            device = torch.device(device)
        except RuntimeError:
            raise ValueError(f"{name} must be a device such as 'cpu', 'cuda' or 'mps', got {device!r}") from None
    if not isinstance(device, torch.device):
        raise TypeError(f"{name} must be a torch.device, a string such as 'cpu', or None, got {type(device).__name__}")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{name}={str(device)!r} was asked for but torch.cuda.is_available() is False; use 'cpu'")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"{name}={str(device)!r} was asked for but torch.backends.mps.is_available() is False; use 'cpu'")
    return device


def check_float_dtype(name: str, dtype) -> torch.dtype:
    """Raise unless ``dtype`` is a floating torch dtype."""
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"{name} must be a torch dtype such as torch.float32, got {type(dtype).__name__} {dtype!r}")
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be a floating dtype (torch.float32 or torch.float64), got {dtype}")
    return dtype


def check_shape(name: str, shape) -> tuple[int, ...]:
    """A tuple of non-negative integers (a torch.Size, tuple or list), or raise."""
    if isinstance(shape, Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list, torch.Size)) or not all(
            isinstance(s, Integral) and not isinstance(s, bool) for s in shape):
        raise TypeError(f"{name} must be a tuple of integers such as (n, d), got {shape!r}")
    if any(s < 0 for s in shape):
        raise ValueError(f"{name} must hold sizes >= 0, got {tuple(shape)}")
    return tuple(int(s) for s in shape)


def same_process(a, b) -> bool:
    """Whether two processes (or chains) are the same object or define the same alpha(t), beta(t) on [0, T]."""
    if a is b:
        return True
    if type(a) is not type(b) or float(a.T) != float(b.T):
        return False
    ts = torch.linspace(0.0, float(a.T), 7, dtype=torch.float64)
    (aa, ab), (ba, bb) = a.alpha_beta(ts), b.alpha_beta(ts)
    return bool(torch.allclose(aa, ba, rtol=1e-9, atol=0) and torch.allclose(ab, bb, rtol=1e-9, atol=1e-12))


def check_same_process(what: str, proc, name: str, expected) -> None:
    """Raise if ``proc`` (the process ``what`` was built for; None = unknown) is not ``expected``."""
    if proc is not None and not same_process(proc, expected):
        raise ValueError(f"{what} was built for {proc!r}, but {name} belongs to {expected!r}; "
                         "both must come from the same process (e.g. a grid from process.grid(n_steps))")


def check_same_device(**tensors: torch.Tensor) -> None:
    """Raise if the given tensors live on different devices."""
    devices = {name: t.device for name, t in tensors.items() if isinstance(t, torch.Tensor)}
    if len(set(devices.values())) > 1:
        listing = ", ".join(f"{k} on {v}" for k, v in devices.items())
        raise ValueError(f"tensors must be on one device, got {listing}; move them with .to(device)")


def check_matching_points(x_name: str, x: torch.Tensor, y_name: str, y: torch.Tensor) -> None:
    """Raise unless ``x`` and ``y`` are point sets of one shape (n, d) on one device."""
    check_points(x_name, x)
    check_points(y_name, y)
    if x.shape != y.shape:
        raise ValueError(f"{x_name} and {y_name} must have one shape (n, d), got {x_name} {tuple(x.shape)} "
                         f"and {y_name} {tuple(y.shape)}")
    check_same_device(**{x_name: x, y_name: y})


def check_labels(name: str, y, *, n: int | None = None, num_classes: int | None = None,
                 allow_null: bool = False) -> torch.Tensor:
    """Integer class labels -> an int64 tensor of shape (m,) on ``y``'s device, or raise.

    ``y``: one integer, or a tensor, array or list of integers of shape (m,) (or (m, 1)). With ``n``
    there must be one label (broadcast to all n points) or n (one per point); the result then has
    shape (n,). With ``num_classes`` = K the labels must lie in 0..K-1 (0..K with ``allow_null``:
    K means "no class").
    """
    count = f"one label or {n} labels (one per point)" if n is not None else "one or more labels"
    if isinstance(y, (bool, np.bool_)):
        raise TypeError(f"labels {name} must be integers, got bool {y!r}")
    if isinstance(y, Integral):
        y = torch.tensor([int(y)])
    elif isinstance(y, (list, tuple, np.ndarray)):
        try:
            y = torch.as_tensor(np.asarray(y))
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"labels {name} must be integers (a tensor, array or list of int), got "
                            f"{type(y).__name__} {str(y)[:60]}") from None
    elif not isinstance(y, torch.Tensor):
        raise TypeError(f"labels {name} must be an integer or a tensor of integers, got {type(y).__name__} {y!r}")
    if y.dtype == torch.bool or torch.is_floating_point(y) or torch.is_complex(y):
        raise ValueError(f"labels {name} must be integers (e.g. torch.int64), got dtype {y.dtype}")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim > 1 or y.numel() == 0 or (n is not None and y.numel() not in (1, n)):
        raise ValueError(f"labels {name} must be {count}, got shape {tuple(y.shape)}")
    y = y.reshape(-1).long()
    top = None if num_classes is None else num_classes if allow_null else num_classes - 1
    if (y < 0).any() or (top is not None and (y > top).any()):
        extra = f" ({num_classes} = no class)" if allow_null else ""
        raise ValueError(f"labels {name} must lie in {'0..' + str(top) + extra if top is not None else '0, 1, 2, ...'}, "
                         f"got values in [{int(y.min())}, {int(y.max())}]")
    return y.expand(n) if n is not None else y


def as_tensor(name: str, t, *, dtype=torch.float64, max_ndim: int | None = None) -> torch.Tensor:
    """A Python or numpy number or a tensor of times -> a floating tensor (finite, at most ``max_ndim`` axes)."""
    if isinstance(t, bool):
        raise TypeError(f"{name} must be a number or a tensor, got bool")
    if isinstance(t, Real):
        t = torch.tensor(float(t), dtype=dtype)
    elif isinstance(t, torch.Tensor):
        if not (torch.is_floating_point(t) or t.dtype in (torch.int32, torch.int64)):
            raise TypeError(f"{name} must be a float or integer tensor, got dtype {t.dtype}")
        if not torch.is_floating_point(t):
            t = t.to(torch.get_default_dtype())
    else:
        raise TypeError(f"{name} must be a number or a torch.Tensor, got {type(t).__name__}")
    if max_ndim is not None and t.ndim > max_ndim:
        raise ValueError(f"{name} must be a number or a 1D tensor of shape (n,), got shape {tuple(t.shape)}")
    check_finite(name, t)
    return t


def as_column(v: torch.Tensor, x: torch.Tensor, name: str = "times") -> torch.Tensor:
    """Coefficient of shape () or (n,) -> broadcastable against points x of shape (n, d)."""
    v = v.to(device=x.device, dtype=x.dtype)
    if v.ndim == 0:
        return v
    if v.ndim == 1 and v.shape[0] == x.shape[0]:
        return v[:, None]
    raise ValueError(f"{name} must be a scalar or have shape ({x.shape[0]},) to match x, got shape {tuple(v.shape)}")


def as_param(name: str, value, *, ndim_max: int = 2) -> torch.Tensor:
    """A float64 CPU tensor from a number, list or tensor, checked finite."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number, list or tensor, got bool")
    try:
        t = torch.as_tensor(value, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(f"{name} must be a number, list or tensor of numbers, got {type(value).__name__}") from err
    t = t.detach().cpu()
    if t.ndim > ndim_max:
        raise ValueError(f"{name} must have at most {ndim_max} dimensions, got shape {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} contains NaN or infinite values; expected finite numbers")
    return t


def as_coef_column(name: str, value, x: torch.Tensor, *, allow_zero: bool) -> torch.Tensor:
    """``alpha`` or ``beta`` as a (n, 1) tensor on x's device and dtype, checked."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a float or a tensor of shape (n,), got bool")
    if isinstance(value, Real):
        c = torch.full((x.shape[0], 1), float(value), dtype=x.dtype, device=x.device)
    elif isinstance(value, torch.Tensor):
        if not torch.is_floating_point(value) and value.dtype not in (torch.int32, torch.int64):
            raise TypeError(f"{name} must be a real tensor, got dtype {value.dtype}")
        c = value.detach().to(device=x.device, dtype=x.dtype)
        if c.ndim == 2 and c.shape[1] == 1:
            c = c[:, 0]
        if c.ndim == 0:
            c = c.expand(x.shape[0])
        if c.ndim != 1 or c.shape[0] not in (1, x.shape[0]):
            raise ValueError(
                f"{name} must be a float or a tensor of shape ({x.shape[0]},) (one value per point), "
                f"got shape {tuple(value.shape)}"
            )
        c = c.expand(x.shape[0])[:, None]
    else:
        raise TypeError(f"{name} must be a float or a tensor of shape (n,), got {type(value).__name__}")
    if not torch.isfinite(c).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    if allow_zero:
        if (c < 0).any():
            raise ValueError(f"{name} must be >= 0, got min {c.min().item():.4g}")
    elif (c <= 0).any():
        raise ValueError(f"{name} must be > 0, got min {c.min().item():.4g}")
    return c


def check_process(process) -> None:
    """Raise unless ``process`` is a :class:`course_lib.processes.Process` (VP, VE, EDM, DDPMChain, ...)."""
    from .processes import Process
    if not isinstance(process, Process):
        raise TypeError(f"process must be a Process (VP, VE, EDM, DDPMChain, ...), got {type(process).__name__}")


def as_alpha_beta_columns(x, alpha, beta, *, beta_zero: bool):
    """Checked (alpha, beta) as columns against x: alpha > 0 and beta > 0 (>= 0 with ``beta_zero``)."""
    out = []
    for name, c, zero_ok in (("alpha", alpha, False), ("beta", beta, beta_zero)):
        c = as_tensor(name, c, max_ndim=1)
        if (c < 0).any() or (not zero_ok and (c == 0).any()):
            bound = ">= 0" if zero_ok else "> 0"
            raise ValueError(f"{name} must be {bound}, got values in [{c.min().item():.4g}, {c.max().item():.4g}]"
                             + ("" if zero_ok else f" (this conversion divides by {name})"))
        out.append(as_column(c, x, name))
    return out


def check_denoiser_process(denoiser, process) -> None:
    """Raise unless ``denoiser`` is D(x, t) and ``process`` a Process it was built for (when it says)."""
    from .processes import Process
    check_signature("denoiser", denoiser, 2, "(x, t)")
    if not isinstance(process, Process):
        raise TypeError(f"process must be a Process (VP, VE, EDM, DDPMChain, ...), got {type(process).__name__}")
    own = getattr(denoiser, "process", None)
    if own is not None:
        check_same_process("denoiser", own, "process", process)


def as_points(name: str, x) -> torch.Tensor:
    """(n,) or (n, d) floating tensor -> (n, d) float64, checked finite."""
    if isinstance(x, torch.Tensor) and x.ndim == 1:
        x = x[:, None]
    check_points(name, x)
    return x.detach().double()


def check_times(times) -> torch.Tensor:
    if not isinstance(times, torch.Tensor):
        try:
            times = torch.as_tensor(times, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(f"times must be a 1-D tensor or list of numbers, got {type(times).__name__}") from err
    if times.ndim != 1 or times.numel() < 2:
        raise ValueError(f"times must be a 1-D grid with at least 2 points, got shape {tuple(times.shape)}")
    if not torch.isfinite(times).all():
        raise ValueError("times contains NaN or infinite values")
    dt = times[1:] - times[:-1]
    if not ((dt > 0).all() or (dt < 0).all()):
        raise ValueError("times must be strictly increasing (forward SDE) or strictly decreasing (reverse SDE)")
    return times


def as_returned_column(value, x: torch.Tensor, name: str) -> torch.Tensor | float:
    """g(t) as a float or an (n, 1) tensor broadcastable against x."""
    if isinstance(value, torch.Tensor):
        v = value.to(device=x.device, dtype=x.dtype)
        if v.ndim == 0:
            return v
        v = v.reshape(-1)
        if v.numel() not in (1, x.shape[0]):
            raise ValueError(f"{name} must return a number or a tensor of shape ({x.shape[0]},), got {tuple(value.shape)}")
        return v[:, None] if v.numel() > 1 else v[0]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"{name} must return a number or a tensor, got {type(value).__name__}")


def as_values(name: str, values) -> torch.Tensor:
    """A tensor, array or list of numbers -> a finite float64 CPU tensor, or a clear error naming ``name``."""
    if isinstance(values, (str, bytes)) or values is None:
        raise TypeError(f"{name} must be a tensor or list of numbers, got {type(values).__name__}")
    try:
        v = torch.as_tensor(values, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"{name} must be a tensor or list of numbers, got {type(values).__name__}") from None
    v = v.detach().cpu()
    if not torch.isfinite(v).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return v


def check_edges(edges) -> torch.Tensor:
    edges = as_values("edges", edges)
    if edges.ndim != 1 or edges.numel() < 2 or not (edges[1:] > edges[:-1]).all():
        raise ValueError("edges must be a strictly increasing 1-D grid of at least 2 bin edges")
    return edges


def check_flow_time(t) -> torch.Tensor:
    """A checked rectified-flow time: a number or a tensor of shape (n,), finite, in [0, 1]."""
    t = as_tensor("t", t, max_ndim=1)
    if (t < 0).any() or (t > 1).any():
        raise ValueError(f"t must lie in [0, 1] (rectified flow's time), got values in [{t.min().item()}, {t.max().item()}]")
    return t
