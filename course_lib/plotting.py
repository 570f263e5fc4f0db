"""Plotting helpers shared by the chapters (matplotlib only, no seaborn).

Each function draws on an existing ``ax`` (or a fresh one when ``ax=None``) and returns
it, so figures are composed with ``plt.subplots`` in the notebook. Inputs may be torch
tensors (any device) or numpy arrays; points have shape (n, d) as everywhere in the course.

=================  ====================================================================
scatter_2d         2D points, optionally over the training points
density_2d         heatmap of a 2D point cloud (histogram or Gaussian KDE)
hist_vs_density    1D histogram of samples against a reference density
loss_curve         a training-loss curve, smoothed by a running mean, log scale
image_grid         a grid of small grey images (e.g. 8x8 digits)
=================  ====================================================================
"""
from __future__ import annotations

from typing import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from ._checks import check_bool, check_positive_float, check_positive_int, check_signature

__all__ = ["to_numpy", "scatter_2d", "density_grid", "density_2d", "hist_vs_density", "loss_curve", "image_grid",
           "TRAIN_STYLE"]

TRAIN_STYLE = dict(s=40, c="tab:red", marker="x", linewidths=1.5, label="training points", zorder=3)
"""How training points are drawn on top of samples, in every chapter."""


def to_numpy(name: str, x, *, ndim: int | None = None, dim: int | None = None) -> np.ndarray:
    """``x`` (tensor, array or nested list) as a float64 numpy array, checked.

    ``ndim`` fixes the number of axes, ``dim`` the size of the last axis. Non-finite
    values raise a ``ValueError``.
    """
    if ndim is not None:
        ndim = check_positive_int("ndim", ndim)
    if dim is not None:
        dim = check_positive_int("dim", dim)
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
        x = x.detach().to("cpu", torch.float64).numpy()
    elif isinstance(x, np.ndarray) and np.iscomplexobj(x):
        raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
    elif isinstance(x, (np.ndarray, list, tuple)):
        try:
            x = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name} must hold numbers, got {type(x).__name__} that numpy cannot convert") from err
    else:
        raise TypeError(f"{name} must be a torch.Tensor or numpy array, got {type(x).__name__}")
    if ndim is not None and x.ndim != ndim:
        want = "(n, d)" if ndim == 2 else f"{ndim} axes"
        raise ValueError(f"{name} must have shape {want}, got shape {x.shape}")
    if dim is not None and (x.ndim == 0 or x.shape[-1] != dim):
        raise ValueError(f"{name} must have {dim} column(s), got shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"{name} is empty; expected at least one value")
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    elif not isinstance(ax, plt.Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def _lim(lim) -> tuple[float, float] | None:
    if lim is None:
        return None
    if isinstance(lim, (int, float)) and not isinstance(lim, bool):
        lim = check_positive_float("lim", lim)
        return (-lim, lim)
    if isinstance(lim, (tuple, list)) and len(lim) == 2 and all(isinstance(v, (int, float)) for v in lim):
        lo, hi = float(lim[0]), float(lim[1])
        if not lo < hi:
            raise ValueError(f"lim must be (low, high) with low < high, got {lim}")
        return (lo, hi)
    raise TypeError(f"lim must be a positive number L (meaning (-L, L)) or a pair (low, high), got {lim!r}")


def scatter_2d(points, *, train=None, ax=None, title: str | None = None, lim=2.0,
               label: str | None = None, s: float = 4, color: str = "tab:blue", alpha: float = 0.5) -> plt.Axes:
    """Scatter 2D ``points`` (n, 2); ``train`` (m, 2) is drawn on top with :data:`TRAIN_STYLE`.

    ``lim``: L for the square [-L, L]^2, a pair (low, high), or None for matplotlib's choice.
    """
    p = to_numpy("points", points, ndim=2, dim=2)
    ax = _axes(ax)
    ax.scatter(p[:, 0], p[:, 1], s=s, c=color, alpha=alpha, label=label, linewidths=0)
    if train is not None:
        t = to_numpy("train", train, ndim=2, dim=2)
        ax.scatter(t[:, 0], t[:, 1], **TRAIN_STYLE)
    lims = _lim(lim)
    if lims is not None:
        ax.set_xlim(*lims)
        ax.set_ylim(*lims)
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    if label or train is not None:
        ax.legend(loc="upper left", fontsize="small")
    return ax


def density_grid(points, *, lim=2.0, bins: int = 100, bandwidth: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Density of 2D ``points`` on a ``bins`` x ``bins`` grid over ``lim``.

    Returns (density (bins, bins) indexed [y, x], edges (bins + 1,)). With ``bandwidth=None``
    it is a normalised 2D histogram; with a bandwidth h > 0 a Gaussian KDE with std h
    (evaluated at the cell centres). The density integrates to about the fraction of points
    inside the square.
    """
    p = to_numpy("points", points, ndim=2, dim=2)
    bins = check_positive_int("bins", bins, minimum=2)
    lo, hi = _lim(lim) or (-2.0, 2.0)
    edges = np.linspace(lo, hi, bins + 1)
    if bandwidth is None:
        h, _, _ = np.histogram2d(p[:, 1], p[:, 0], bins=[edges, edges])
        cell = (edges[1] - edges[0]) ** 2
        return h / (p.shape[0] * cell), edges
    bw = check_positive_float("bandwidth", bandwidth)
    c = 0.5 * (edges[1:] + edges[:-1])
    # separable Gaussian kernel: K(x) K(y), summed over points; (bins, n) @ (n, bins)
    kx = np.exp(-0.5 * ((c[:, None] - p[None, :, 0]) / bw) ** 2)
    ky = np.exp(-0.5 * ((c[:, None] - p[None, :, 1]) / bw) ** 2)
    dens = ky @ kx.T / (p.shape[0] * 2 * np.pi * bw**2)
    return dens, edges


def density_2d(points, *, ax=None, lim=2.0, bins: int = 100, bandwidth: float | None = None,
               title: str | None = None, cmap: str = "magma", train=None) -> plt.Axes:
    """Heatmap of the density of 2D ``points`` (histogram, or Gaussian KDE with ``bandwidth``).

    See :func:`density_grid` for the arguments; ``train`` overlays the training points.
    """
    dens, edges = density_grid(points, lim=lim, bins=bins, bandwidth=bandwidth)
    ax = _axes(ax)
    ax.imshow(dens, origin="lower", extent=(edges[0], edges[-1], edges[0], edges[-1]), cmap=cmap,
              interpolation="nearest", aspect="equal")
    if train is not None:
        t = to_numpy("train", train, ndim=2, dim=2)
        style = dict(TRAIN_STYLE, c="tab:cyan")
        ax.scatter(t[:, 0], t[:, 1], **style)
        ax.legend(loc="upper left", fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def hist_vs_density(samples, density: Callable | None = None, *, ax=None, bins: int = 60, range=None,
                    label: str = "samples", density_label: str = "reference density",
                    title: str | None = None, color: str = "tab:blue") -> plt.Axes:
    """Normalised histogram of 1D ``samples`` ((n,) or (n, 1)) against ``density``.

    ``density`` maps a numpy array of x values to density values (e.g. a scipy ``pdf``)
    or is None (histogram only). ``range`` (low, high) fixes the histogram's range.
    """
    x = to_numpy("samples", samples)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise ValueError(f"samples must have shape (n,) or (n, 1), got shape {x.shape}")
    bins = check_positive_int("bins", bins)
    if density is not None:
        check_signature("density", density, 1, "(x)")
    rng = _lim(range) if range is not None else (float(x.min()), float(x.max()) + 1e-9)
    ax = _axes(ax)
    ax.hist(x, bins=bins, range=rng, density=True, alpha=0.6, color=color, label=label)
    if density is not None:
        lo, hi = ax.get_xlim()
        grid = np.linspace(lo, hi, 400)
        ax.plot(grid, np.asarray(density(grid), dtype=float), "k-", lw=1.5, label=density_label)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def loss_curve(losses: Sequence[float], *, ax=None, window: int = 50, log: bool = True,
               label: str | None = None, title: str | None = "training loss") -> plt.Axes:
    """Plot a loss curve (faint) and its running mean over ``window`` steps (solid)."""
    y = to_numpy("losses", list(losses) if not isinstance(losses, (torch.Tensor, np.ndarray)) else losses, ndim=1)
    window = check_positive_int("window", window)
    log = check_bool("log", log)
    ax = _axes(ax)
    steps = np.arange(1, y.size + 1)
    line = ax.plot(steps, y, alpha=0.25)[0]
    w = min(window, y.size)
    smooth = np.convolve(y, np.ones(w) / w, mode="valid")
    ax.plot(steps[w - 1:], smooth, color=line.get_color(), label=label)
    if log and (y > 0).all():
        ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("loss")
    if label:
        ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def image_grid(images, *, shape: tuple[int, int] | None = None, ncols: int = 8, ax=None,
               title: str | None = None, vmin: float | None = -1.0, vmax: float | None = 1.0,
               cmap: str = "gray_r") -> plt.Axes:
    """Tile ``images`` into one picture: (n, h, w), or (n, h*w) with ``shape=(h, w)``.

    Square images (n, h*h) need no ``shape``. Values are shown between ``vmin`` and ``vmax``
    (defaults suit data scaled to [-1, 1]; pass None for automatic limits).
    """
    x = to_numpy("images", images)
    ncols = check_positive_int("ncols", ncols)
    if x.ndim == 2:
        if shape is None:
            side = int(round(np.sqrt(x.shape[1])))
            if side * side != x.shape[1]:
                raise ValueError(f"images of {x.shape[1]} pixels are not square; pass shape=(h, w)")
            shape = (side, side)
        if not (isinstance(shape, tuple) and len(shape) == 2 and shape[0] * shape[1] == x.shape[1]):
            raise ValueError(f"shape must be a pair (h, w) with h * w = {x.shape[1]}, got {shape!r}")
        x = x.reshape(-1, *shape)
    elif x.ndim != 3:
        raise ValueError(f"images must have shape (n, h, w) or (n, h*w), got shape {x.shape}")
    n, h, w = x.shape
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    canvas = np.full((nrows * (h + 1) + 1, ncols * (w + 1) + 1), np.nan)
    for i in np.arange(n):
        r, c = divmod(int(i), ncols)
        canvas[1 + r * (h + 1):1 + r * (h + 1) + h, 1 + c * (w + 1):1 + c * (w + 1) + w] = x[i]
    ax = _axes(ax)
    ax.imshow(canvas, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax
