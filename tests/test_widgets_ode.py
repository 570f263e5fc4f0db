import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch

from course_lib.demos import euler_vs_heun_figure, euler_vs_heun_paths, euler_vs_heun_widget


def test_paths_shapes_and_heun_beats_euler():
    p = euler_vs_heun_paths(16, n_paths=6, n_ref=128)
    assert p["euler"].shape == (17, 6) and p["heun"].shape == (17, 6)
    assert torch.equal(p["euler"][0], p["heun"][0])
    # at the same N (not too small) the second-order method is closer to the reference
    err_e = (p["euler"][-2] - p["ref"][-2]).abs().mean()
    err_h = (p["heun"][-2] - p["ref"][-2]).abs().mean()
    assert err_h < err_e


def test_figure_and_widget():
    fig = euler_vs_heun_figure((2, 4), n_paths=3, n_ref=32)
    assert len(fig.axes) == 2
    plt.close(fig)
    w = euler_vs_heun_widget(4, N_max=8, n_paths=3, n_ref=32)
    assert hasattr(w, "children")
    plt.close("all")


def test_bad_input():
    with pytest.raises(TypeError):
        euler_vs_heun_figure(4)
    with pytest.raises(ValueError):
        euler_vs_heun_paths(0)
    with pytest.raises(TypeError):
        euler_vs_heun_paths(2.5)
