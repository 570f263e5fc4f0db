"""Particle animations for the website: a JavaScript/HTML player, no ffmpeg needed.

:func:`animate_particles` turns a sampling trajectory (one point cloud per step)
into matplotlib's ``FuncAnimation.to_jshtml()`` player: every frame is a small
PNG embedded in the page, so the animation plays in Jupyter, Colab and on the
static website alike. Keep it small: a few dozen frames of a small figure.
"""
from __future__ import annotations

from numbers import Real
from typing import Sequence

import numpy as np
import torch

from ._checks import check_positive_int

__all__ = ["pick_frames", "animate_particles"]


def pick_frames(n_total: int, max_frames: int) -> list[int]:
    """At most ``max_frames`` evenly spread indices into ``range(n_total)``, always with the first and last."""
    n_total = check_positive_int("n_total", n_total)
    max_frames = check_positive_int("max_frames", max_frames, minimum=2)
    if n_total <= max_frames:
        return list(range(n_total))
    idx = np.unique(np.round(np.linspace(0, n_total - 1, max_frames)).astype(int))
    return [int(i) for i in idx]


def _as_frames(trajectory) -> list[np.ndarray]:
    if isinstance(trajectory, torch.Tensor):
        if trajectory.ndim != 3:
            raise ValueError(f"trajectory tensor must have shape (steps, n, d), got {tuple(trajectory.shape)}")
        trajectory = list(trajectory)
    if not isinstance(trajectory, (list, tuple)) or len(trajectory) == 0:
        raise TypeError("trajectory must be a non-empty list of (n, d) tensors or a (steps, n, d) tensor, "
                        f"got {type(trajectory).__name__}")
    frames = []
    for i, x in enumerate(trajectory):
        if isinstance(x, torch.Tensor):
            x = x.detach().cpu().numpy()
        try:
            x = np.asarray(x, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"trajectory[{i}] must hold numbers, got {type(trajectory[i]).__name__}") from None
        if x.ndim != 2 or x.shape[1] not in (1, 2):
            raise ValueError(f"trajectory[{i}] must have shape (n, 1) or (n, 2), got {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError(f"trajectory[{i}] contains NaN or infinite values (did the sampler diverge?)")
        frames.append(x)
    if len({f.shape[1] for f in frames}) != 1:
        raise ValueError("all frames of trajectory must have the same dimension d")
    return frames


def animate_particles(
    trajectory: Sequence[torch.Tensor] | torch.Tensor,
    *,
    labels: Sequence[str] | None = None,
    max_frames: int = 24,
    max_points: int = 2000,
    lim: tuple[float, float] | None = None,
    bins: int = 50,
    reference: torch.Tensor | None = None,
    figsize: tuple[float, float] = (3.6, 3.2),
    dpi: int = 72,
    interval: int = 150,
    html: bool = True,
):
    """Animate particles moving along a sampler's trajectory.

    ``trajectory``: the point clouds x_N, ..., x_0 (each of shape (n, 1) or (n, 2)), e.g.
    ``info.trajectory`` of a sampler called with ``return_info=True``. 2D clouds are drawn as
    scatter plots, 1D clouds as histograms (density). ``labels`` gives one title per frame
    (e.g. ``"k = 37"``); ``reference`` (n, d) is drawn faintly in every frame (the data).
    At most ``max_frames`` frames and ``max_points`` points are drawn, to keep the page light.

    Returns an ``IPython.display.HTML`` player (``html=True``) or the matplotlib
    ``FuncAnimation`` itself (``html=False``).
    """
    import matplotlib.pyplot as plt
    from matplotlib import animation

    frames = _as_frames(trajectory)
    max_frames = check_positive_int("max_frames", max_frames, minimum=2)
    max_points = check_positive_int("max_points", max_points)
    bins = check_positive_int("bins", bins)
    if labels is not None and len(labels) != len(frames):
        raise ValueError(f"labels must have one entry per frame ({len(frames)}), got {len(labels)}")
    keep = pick_frames(len(frames), max_frames)
    d = frames[0].shape[1]
    frames = [frames[i][:max_points] for i in keep]
    titles = [labels[i] for i in keep] if labels is not None else [f"frame {i}" for i in keep]
    ref = None
    if reference is not None:
        ref = _as_frames([reference])[0][:max_points]
        if ref.shape[1] != d:
            raise ValueError(f"reference must have {d} column(s), got {ref.shape[1]}")
    if lim is None:
        allx = np.concatenate(frames[-1:] + ([ref] if ref is not None else []))
        lo, hi = np.percentile(allx, 0.5), np.percentile(allx, 99.5)
        pad = 0.15 * (hi - lo) + 1e-6
        lim = (float(min(lo - pad, -3.0)), float(max(hi + pad, 3.0)))
    if not isinstance(lim, (tuple, list)) or len(lim) != 2 or not all(
            isinstance(v, Real) and not isinstance(v, bool) for v in lim):
        raise TypeError(f"lim must be a pair (low, high) of numbers or None, got {lim!r}")
    lo, hi = lim
    if not lo < hi:
        raise ValueError(f"lim must be (low, high) with low < high, got {lim}")

    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    if d == 2:
        if ref is not None:
            ax.scatter(ref[:, 0], ref[:, 1], s=2, c="0.8", zorder=0)
        art = ax.scatter(frames[0][:, 0], frames[0][:, 1], s=3, c="C0", alpha=0.6)
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_aspect("equal")

        def update(i):
            art.set_offsets(frames[i])
            ax.set_title(titles[i], fontsize=10)
            return (art,)
    else:
        edges = np.linspace(lo, hi, bins + 1)
        width = edges[1] - edges[0]
        heights = [np.histogram(f[:, 0], bins=edges, density=True)[0] for f in frames]
        top = max(h.max() for h in heights) * 1.1
        if ref is not None:
            ax.hist(ref[:, 0], bins=edges, density=True, color="0.85", zorder=0)
        bars = ax.bar(edges[:-1], heights[0], width=width, align="edge", color="C0", alpha=0.7)
        ax.set_xlim(lo, hi)
        ax.set_ylim(0, top)

        def update(i):
            for bar, h in zip(bars, heights[i]):
                bar.set_height(h)
            ax.set_title(titles[i], fontsize=10)
            return tuple(bars)

    update(0)
    fig.tight_layout()
    anim = animation.FuncAnimation(fig, update, frames=len(frames), interval=interval, blit=False)
    if not html:
        return anim
    from IPython.display import HTML

    out = HTML(anim.to_jshtml(default_mode="once"))
    plt.close(fig)
    return out
