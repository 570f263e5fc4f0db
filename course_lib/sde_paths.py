r"""Many sample paths of a scalar-diffusion SDE, and the density p_t(x) they trace out.

Chapter 4 draws SDE solutions ``dx = f(x, t) dt + g(t) dW`` as noisy curves and, from many of
them, the density p_t(x) as a colour map over time. The Euler--Maruyama step (book eq. ``ch4-em``)
is

    x_{i+1} = x_i + f(x_i, t_i) dt_i + g(t_i) sqrt(|dt_i|) z_i,   z_i ~ N(0, I),

with dt_i = t_{i+1} - t_i. The same function runs forward in time (increasing ``times``) or
backward (decreasing ``times``, e.g. a reverse SDE, whose drift the caller supplies); the noise
always scales with sqrt(|dt|).

Functions: :func:`simulate_sde` (all paths on a time grid), :func:`solve_ode` (Euler or Heun for
dx = drift(x, t) dt in either direction of time: e.g. deterministic encoding with the PF-ODE), :func:`density_map` (histogram of
the paths at every time: the colour map), :func:`plot_density_map` (draw it) and
:func:`gaussian_density_map` (the exact colour map when p_t is a known Gaussian, for checking).
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from ._checks import (as_returned_column, as_values, check_bool, check_choice, check_edges, check_generator, check_points,
                      check_signature, check_times)
from .device import randn
from .solvers import em_step, euler_step, heun_step

__all__ = ["simulate_sde", "solve_ode", "density_map", "gaussian_density_map", "plot_density_map"]


def simulate_sde(
    drift: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    diffusion: Callable[[torch.Tensor], torch.Tensor | float],
    x0: torch.Tensor,
    times,
    *,
    generator: torch.Generator | None = None,
    noise: bool = True,
) -> torch.Tensor:
    r"""Euler--Maruyama paths of ``dx = drift(x, t) dt + diffusion(t) dW`` on the grid ``times``.

    ``x0``: start points, shape (n, d). ``times``: 1-D grid t_0, ..., t_K, strictly increasing
    or strictly decreasing. ``drift(x, t)`` gets x of shape (n, d) and t of shape (n,) and returns
    (n, d); ``diffusion(t)`` returns the scalar g(t) (a number, or a tensor of shape () or (n,)).
    Each step is ``x + drift * dt + g * sqrt(|dt|) * z`` (book eq. ``ch4-em``); ``noise=False``
    drops the noise (Euler's method for the ODE dx = drift dt).

    Returns all states, a tensor of shape (K + 1, n, d) (index 0 is ``x0``).
    """
    check_signature("drift", drift, 2, "(x, t)")
    check_signature("diffusion", diffusion, 1, "(t)")
    check_points("x0", x0)
    check_generator(generator)
    noise = check_bool("noise", noise)
    times = check_times(times)
    x = x0
    out = [x0]
    for i in range(times.numel() - 1):
        t_i, dt = float(times[i]), float(times[i + 1] - times[i])
        t = torch.full((x.shape[0],), t_i, dtype=x.dtype, device=x.device)
        f = drift(x, t)
        if not isinstance(f, torch.Tensor) or f.shape != x.shape:
            got = tuple(f.shape) if isinstance(f, torch.Tensor) else type(f).__name__
            raise ValueError(f"drift must return a tensor of shape {tuple(x.shape)}, got {got}")
        if noise:
            g = as_returned_column(diffusion(t), x, "diffusion")
            z = randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
            x = em_step(x, f, dt, g * math.sqrt(abs(dt)), z)
        else:
            x = euler_step(x, f, dt)
        if not torch.isfinite(x).all():
            raise ValueError(f"the paths became NaN or infinite in the step from t={t_i:.4g}: check that drift "
                             f"and diffusion are finite there (e.g. g(t) at t = 0)")
        out.append(x)
    return torch.stack(out)


def solve_ode(
    drift: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    x0: torch.Tensor,
    times,
    *,
    method: str = "heun",
) -> torch.Tensor:
    r"""Solve ``dx/dt = drift(x, t)`` on the grid ``times`` (increasing or decreasing) from ``x0``.

    ``method="euler"``: x_{i+1} = x_i + h d_i with d_i = drift(x_i, t_i), h = t_{i+1} - t_i.
    ``method="heun"`` (book eq. ``eq-pf-ode-heun``): x' = x_i + h d_i, then
    x_{i+1} = x_i + h (d_i + drift(x', t_{i+1})) / 2 (second order, 2 evaluations per step).
    Unlike the samplers in :mod:`course_lib.samplers` (which always run from noise to data), this
    also runs forward in time, e.g. to *encode* data into noise with the probability-flow ODE.
    Returns all states, shape (K + 1, n, d).
    """
    check_signature("drift", drift, 2, "(x, t)")
    check_points("x0", x0)
    check_choice("method", method, {"euler", "heun"})
    times = check_times(times)

    def F(x, t):
        tt = torch.full((x.shape[0],), t, dtype=x.dtype, device=x.device)
        d = drift(x, tt)
        if not isinstance(d, torch.Tensor) or d.shape != x.shape:
            got = tuple(d.shape) if isinstance(d, torch.Tensor) else type(d).__name__
            raise ValueError(f"drift must return a tensor of shape {tuple(x.shape)}, got {got}")
        return d

    x = x0
    out = [x0]
    for i in range(times.numel() - 1):
        t, s = float(times[i]), float(times[i + 1])
        h = s - t
        d = F(x, t)
        if method == "euler":
            x = euler_step(x, d, h)
        else:
            x = heun_step(x, d, F(euler_step(x, d, h), s), h)
        if not torch.isfinite(x).all():
            raise ValueError(f"the solution became NaN or infinite in the step from t={t:.4g}")
        out.append(x)
    return torch.stack(out)


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
    import matplotlib.pyplot as plt

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
