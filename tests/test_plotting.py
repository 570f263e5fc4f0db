"""Tests for course_lib.plotting (run with the Agg backend, no display)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_lib.plotting import (density_2d, density_grid, hist_vs_density, image_grid, loss_curve,
                                 scatter_2d, to_numpy)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_to_numpy_accepts_tensor_array_list():
    assert to_numpy("x", torch.ones(3, 2), ndim=2, dim=2).dtype == np.float64
    assert to_numpy("x", np.zeros((4, 1)), dim=1).shape == (4, 1)
    assert to_numpy("x", [1.0, 2.0], ndim=1).shape == (2,)


@pytest.mark.parametrize("bad, err", [("abc", TypeError), (torch.ones(3, 3), ValueError),
                                      (torch.tensor([[0.0, float("nan")]]), ValueError),
                                      (torch.ones(3), ValueError), (torch.empty(0, 2), ValueError)])
def test_to_numpy_bad(bad, err):
    with pytest.raises(err):
        to_numpy("x", bad, ndim=2, dim=2)


def test_scatter_2d_draws_points_and_training_points():
    pts, train = torch.randn(50, 2), torch.randn(5, 2)
    ax = scatter_2d(pts, train=train, lim=3, title="t")
    offsets = [c.get_offsets() for c in ax.collections]
    assert [o.shape[0] for o in offsets] == [50, 5]
    assert np.allclose(offsets[0], pts.numpy())
    assert ax.get_xlim() == (-3.0, 3.0) and ax.get_title() == "t"


def test_scatter_2d_uses_given_axes_and_pair_limits():
    fig, ax = plt.subplots()
    out = scatter_2d(np.zeros((3, 2)), ax=ax, lim=(-0.5, 1.0))
    assert out is ax and ax.get_ylim() == (-0.5, 1.0)


@pytest.mark.parametrize("kwargs, err", [(dict(lim=-1.0), ValueError), (dict(lim=(1, 0)), ValueError),
                                         (dict(lim="big"), TypeError), (dict(ax="axes"), TypeError)])
def test_scatter_2d_bad_options(kwargs, err):
    with pytest.raises(err):
        scatter_2d(torch.zeros(3, 2), **kwargs)


def test_scatter_2d_rejects_3d_points():
    with pytest.raises(ValueError):
        scatter_2d(torch.zeros(3, 3))


@pytest.mark.parametrize("bandwidth", [None, 0.2])
def test_density_grid_integrates_to_one_and_peaks_at_data(bandwidth):
    g = torch.Generator().manual_seed(0)
    pts = 0.1 * torch.randn(4000, 2, generator=g) + torch.tensor([0.5, -0.5])
    dens, edges = density_grid(pts, lim=2.0, bins=40, bandwidth=bandwidth)
    cell = (edges[1] - edges[0]) ** 2
    assert dens.shape == (40, 40)
    assert abs(dens.sum() * cell - 1.0) < 0.02
    iy, ix = np.unravel_index(np.argmax(dens), dens.shape)
    centres = 0.5 * (edges[1:] + edges[:-1])
    assert abs(centres[ix] - 0.5) < 0.2 and abs(centres[iy] + 0.5) < 0.2  # rows are y, columns x


def test_density_grid_bad_input():
    with pytest.raises(ValueError):
        density_grid(torch.zeros(5, 2), bandwidth=0.0)
    with pytest.raises(ValueError):
        density_grid(torch.zeros(5, 2), bins=1)
    with pytest.raises(TypeError):
        density_grid(torch.zeros(5, 2), bins=10.5)


def test_density_2d_draws_an_image():
    ax = density_2d(torch.randn(100, 2), train=torch.zeros(2, 2), bins=20)
    assert len(ax.images) == 1 and ax.images[0].get_array().shape == (20, 20)


def test_hist_vs_density_draws_hist_and_curve():
    x = torch.randn(500, 1)
    ax = hist_vs_density(x, lambda t: np.exp(-t**2 / 2) / np.sqrt(2 * np.pi), bins=30, range=(-4, 4))
    assert len(ax.patches) == 30 and len(ax.lines) == 1
    heights = np.array([p.get_height() for p in ax.patches])
    assert abs((heights * 8 / 30).sum() - 1.0) < 1e-6  # a normalised histogram


def test_hist_vs_density_bad_input():
    with pytest.raises(ValueError):
        hist_vs_density(torch.randn(10, 2))
    with pytest.raises(TypeError):
        hist_vs_density(torch.randn(10), density=3.0)


def test_loss_curve_smooths():
    losses = list(np.linspace(2.0, 1.0, 200))
    ax = loss_curve(losses, window=10, label="run")
    raw, smooth = ax.lines
    assert len(raw.get_xdata()) == 200 and len(smooth.get_xdata()) == 191
    assert ax.get_yscale() == "log"
    assert np.allclose(smooth.get_ydata()[0], np.mean(losses[:10]))


def test_loss_curve_linear_scale_for_nonpositive_and_bad_window():
    ax = loss_curve([1.0, 0.0, -1.0], log=True)
    assert ax.get_yscale() == "linear"
    with pytest.raises(ValueError):
        loss_curve([1.0, 2.0], window=0)


def test_image_grid_layout():
    imgs = torch.arange(5 * 16, dtype=torch.float32).reshape(5, 16)
    ax = image_grid(imgs, ncols=3, vmin=None, vmax=None)
    canvas = ax.images[0].get_array()
    assert canvas.shape == (2 * 5 + 1, 3 * 5 + 1)        # 2 rows x 3 columns of 4x4 tiles + borders
    assert np.allclose(np.asarray(canvas[1:5, 1:5]), imgs[0].reshape(4, 4).numpy())


def test_image_grid_bad_shapes():
    with pytest.raises(ValueError):
        image_grid(torch.zeros(3, 10))  # 10 pixels: not square
    with pytest.raises(ValueError):
        image_grid(torch.zeros(3, 10), shape=(3, 3))
    assert image_grid(torch.zeros(3, 10), shape=(2, 5)) is not None
    with pytest.raises(ValueError):
        image_grid(torch.zeros(2, 2, 2, 2))
