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
density_map        histogram of 1D paths at every time (the colour map of p_t(x) over time)
gaussian_density_map  the exact colour map when p_t is a known Gaussian (for checking)
plot_density_map   draw a density map (time across, x up)
=================  ====================================================================
"""
from __future__ import annotations

from typing import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from ._checks import (as_values, check_bool, check_edges, check_positive_float, check_positive_int, check_signature,
                      check_times)

__all__ = ["to_numpy", "scatter_2d", "density_grid", "density_2d", "hist_vs_density", "loss_curve", "image_grid",
           "density_map", "gaussian_density_map", "plot_density_map", "TRAIN_STYLE"]

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


def density_map(paths: torch.Tensor, edges) -> torch.Tensor:
    r"""Histogram density of 1-D paths at every time: the colour map of p_t(x).

    ``paths``: shape (K + 1, n, 1) as returned by :func:`simulate_sde` (or (K + 1, n)).
    ``edges``: bin edges, increasing, shape (B + 1,). Returns a float64 tensor of shape (B, K + 1)
    whose column i is the density estimate of p_{t_i} on the bins (points outside the edges are
    counted in the normalisation, so a column integrates to the fraction of points inside).
    """
    if not isinstance(paths, torch.Tensor):
        raise TypeError(f"paths must be a torch.Tensor of shape (K+1, n, 1), got {type(paths).__name__}")
    if paths.ndim == 3:
        if paths.shape[2] != 1:
            raise ValueError(f"density_map draws 1-D data: paths must have shape (K+1, n, 1), got {tuple(paths.shape)}")
        paths = paths[:, :, 0]
    if paths.ndim != 2:
        raise ValueError(f"paths must have shape (K+1, n, 1) or (K+1, n), got {tuple(paths.shape)}")
    edges = check_edges(edges)
    p = paths.detach().to("cpu", torch.float64)
    n = p.shape[1]
    widths = edges[1:] - edges[:-1]
    cols = []
    for row in p:
        counts = torch.histogram(row, bins=edges).hist
        cols.append(counts / (n * widths))
    return torch.stack(cols, dim=1)


def gaussian_density_map(means, stds, edges) -> torch.Tensor:
    r"""The exact colour map when p_t = N(mean_t, std_t^2): bin-averaged densities, shape (B, K + 1).

    ``means``, ``stds``: 1-D, one value per time (stds > 0). Bin averages (cdf differences over
    bin widths) make it directly comparable with :func:`density_map`.
    """
    m = as_values("means", means).reshape(-1)
    s = as_values("stds", stds).reshape(-1)
    if m.shape != s.shape:
        raise ValueError(f"means and stds must have the same length, got {m.numel()} and {s.numel()}")
    if (s <= 0).any():
        raise ValueError("stds must all be > 0")
    edges = check_edges(edges)
    cdf = torch.special.ndtr((edges[:, None] - m[None, :]) / s[None, :])
    return (cdf[1:] - cdf[:-1]) / (edges[1:] - edges[:-1])[:, None]


def plot_density_map(ax, dens: torch.Tensor, times, edges, *, cmap: str = "magma", vmax: float | None = None,
                     colorbar: bool = True):
    """Draw a (B, K + 1) density map from :func:`density_map` on ``ax`` (time across, x up)."""

    if not hasattr(ax, "pcolormesh"):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    if not isinstance(dens, torch.Tensor):
        raise TypeError(f"dens must be a torch.Tensor from density_map, got {type(dens).__name__}")
    colorbar = check_bool("colorbar", colorbar)
    times = check_times(times)
    edges = check_edges(edges)
    if dens.shape != (edges.numel() - 1, times.numel()):
        raise ValueError(f"dens must have shape ({edges.numel() - 1}, {times.numel()}), got {tuple(dens.shape)}")
    t = times.detach().cpu().double()
    # cell edges in time: midpoints between grid times
    t_edges = torch.cat([t[:1] - (t[1] - t[0]) / 2, (t[1:] + t[:-1]) / 2, t[-1:] + (t[-1] - t[-2]) / 2])
    mesh = ax.pcolormesh(t_edges.numpy(), edges.numpy(), dens.numpy(), cmap=cmap, vmin=0.0, vmax=vmax,
                         shading="flat")
    ax.set_xlabel("t")
    ax.set_ylabel("x")
    if colorbar:
        plt.colorbar(mesh, ax=ax, label="$p_t(x)$")
    return mesh
