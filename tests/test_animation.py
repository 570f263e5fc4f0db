"""Tests for course_lib.demos (JS/HTML particle animations)."""
import matplotlib

matplotlib.use("Agg")
import pytest
import torch

from course_lib.demos import animate_particles, pick_frames


def test_pick_frames_keeps_ends_and_limit():
    idx = pick_frames(101, 10)
    assert idx[0] == 0 and idx[-1] == 100
    assert len(idx) <= 10
    assert idx == sorted(set(idx))
    assert pick_frames(5, 10) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("bad", [(0, 5), (5, 1)])
def test_pick_frames_bad(bad):
    with pytest.raises(ValueError):
        pick_frames(*bad)


def test_pick_frames_type():
    with pytest.raises(TypeError):
        pick_frames(5.0, 3)


def test_animation_2d_html():
    traj = [torch.randn(200, 2) * (1 - i / 10) for i in range(11)]
    out = animate_particles(traj, labels=[f"k = {10 - i}" for i in range(11)], max_frames=4, reference=torch.zeros(5, 2))
    html = out.data
    assert "<script" in html and "k = 0" not in html  # titles are drawn in the PNGs, not as text
    assert html.count("data:image/png;base64") == 4  # exactly max_frames frames embedded


def test_animation_1d_returns_funcanimation():
    traj = torch.randn(6, 300, 1)
    anim = animate_particles(traj, html=False, bins=10)
    from matplotlib.animation import FuncAnimation

    assert isinstance(anim, FuncAnimation)


def test_animation_bad_input():
    with pytest.raises(TypeError):
        animate_particles("not a trajectory")
    with pytest.raises(ValueError):
        animate_particles([torch.randn(10, 3)])
    with pytest.raises(ValueError):
        animate_particles(torch.randn(10, 3))
    with pytest.raises(ValueError):
        animate_particles([torch.randn(10, 2)] * 3, labels=["a"])
    with pytest.raises(ValueError):
        animate_particles([torch.randn(10, 2)] * 3, lim=(1.0, 0.0))
