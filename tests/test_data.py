"""Unit tests for course_lib.data: shapes, seeding, geometry, bad input."""
import math

import pytest
import torch

from course_lib import data
from course_lib.device import make_generator
from course_lib.distributions import CircleMixture, Gaussian, Uniform01


def test_two_circles_is_the_fixed_twenty_point_set():
    x = data.two_circles()
    assert x.shape == (20, 2) and x.dtype == torch.float32
    # first point: angle 0 on the circle centred at (0.7, 0.7); 11th: angle 0 on the other one
    assert torch.allclose(x[0], torch.tensor([1.2, 0.7]))
    assert torch.allclose(x[10], torch.tensor([-0.2, -0.7]))
    centres = torch.tensor([[0.7, 0.7]] * 10 + [[-0.7, -0.7]] * 10)
    assert torch.allclose((x - centres).norm(dim=1), torch.full((20,), 0.5), atol=1e-6)
    # evenly spaced: consecutive points on a circle are one chord 2 r sin(pi/10) apart
    chord = (x[1:10] - x[:9]).norm(dim=1)
    assert torch.allclose(chord, torch.full((9,), 2 * 0.5 * math.sin(math.pi / 10)), atol=1e-6)
    assert torch.equal(x, data.two_circles())  # deterministic


def test_two_circles_options_and_sample():
    x = data.two_circles(n_per_circle=4, radius=1.0, offset=2.0)
    assert x.shape == (8, 2)
    assert torch.allclose(x[:4].mean(0), torch.tensor([2.0, 2.0]), atol=1e-6)
    s = CircleMixture.two_circles().sample(4000, make_generator(0))   # the law of the 20 points
    c = torch.where((s.sum(1) > 0)[:, None], torch.tensor([0.7, 0.7]), torch.tensor([-0.7, -0.7]))
    assert torch.allclose((s - c).norm(dim=1), torch.full((4000,), 0.5), atol=1e-5)
    assert abs((s.sum(1) > 0).float().mean().item() - 0.5) < 0.05  # 5 sigma of a fair coin at n=4000 is 0.04
    assert abs(s.mean().item()) < 0.05


SETS = {"two_circles": CircleMixture.two_circles().sample, "swiss_roll": data.swiss_roll, "torus": data.torus,
        "gaussian": Gaussian(5.0, 2.0).sample, "uniform": Uniform01().sample}


@pytest.mark.parametrize("name", sorted(SETS))
def test_shapes_seeding_and_dtype(name):
    a = SETS[name](50, make_generator(1))
    b = SETS[name](50, make_generator(1))
    c = SETS[name](50, make_generator(2))
    assert a.shape[0] == 50 and a.ndim == 2 and a.dtype == torch.float32
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.isfinite(a).all()


def test_dimensions():
    g = make_generator(0)
    assert data.swiss_roll(10, g).shape == (10, 2)
    assert data.torus(10, g).shape == (10, 3)


def test_curves_without_noise_lie_on_their_curves():
    g = make_generator(3)
    x = data.swiss_roll(500, g, noise=0.0) * 10
    t = x.norm(dim=1)  # |(t cos t, t sin t)| = t
    assert t.min() >= 1.5 * math.pi - 1e-4 and t.max() <= 4.5 * math.pi + 1e-4
    assert torch.allclose(x, torch.stack([t * torch.cos(t), t * torch.sin(t)], 1), atol=1e-3)


def test_torus_on_surface_and_uniform_by_area():
    R, r = 1.0, 0.4
    x = data.torus(20000, make_generator(0), R=R, r=r).double()
    rho = x[:, :2].norm(dim=1)
    assert torch.allclose((rho - R) ** 2 + x[:, 2] ** 2, torch.full_like(rho, r * r), atol=1e-5)
    # uniform by area: the outer half (rho > R) holds (pi R + 2 r) / (2 pi R) of the area
    outer = (rho > R).double().mean().item()
    expected = (math.pi * R + 2 * r) / (2 * math.pi * R)
    assert abs(outer - expected) < 0.015  # binomial sd at n=20000 is 0.0035
    # naive uniform angles would give exactly 1/2 in each half: make sure we are not that
    assert outer > 0.55


def test_gaussian_and_uniform_moments():
    g = make_generator(0)
    x = Gaussian(5.0, 2.0).sample(40000, g)
    assert abs(x.mean().item() - 5.0) < 0.04 and abs(x.std().item() - 2.0) < 0.04
    u = Uniform01().sample(40000, g)
    assert u.min() >= 0 and u.max() < 1
    assert abs(u.mean().item() - 0.5) < 0.01 and abs(u.var().item() - 1 / 12) < 0.003


def test_digits():
    pytest.importorskip("sklearn")
    x = data.digits()
    assert x.shape == (1797, 64) and x.dtype == torch.float32
    assert x.min().item() == -1.0 and x.max().item() == 1.0
    raw = data.digits(normalise=False)
    assert torch.allclose(raw / 8 - 1, x)
    with pytest.raises(TypeError):
        data.digits(normalise="yes")


def test_bad_input():
    g = make_generator(0)
    with pytest.raises(ValueError, match="n must be"):
        data.swiss_roll(0, g)
    with pytest.raises(TypeError):
        data.swiss_roll(2.5, g)
    with pytest.raises(TypeError, match="generator"):
        data.swiss_roll(10, generator=3)
    with pytest.raises(ValueError, match="noise"):
        data.swiss_roll(10, g, noise=-0.1)
    with pytest.raises(ValueError, match="smaller than R"):
        data.torus(10, g, R=1.0, r=1.5)
    with pytest.raises(ValueError, match="n_per_circle"):
        data.two_circles(n_per_circle=0)
    with pytest.raises(ValueError, match="radius"):
        data.two_circles(radius=-1)
    with pytest.raises(ValueError, match="finite"):
        data.two_circles(offset=float("nan"))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", sorted(SETS))
def test_cuda_generator(name):
    x = SETS[name](100, make_generator(0, device="cuda"))
    assert x.device.type == "cuda" and torch.isfinite(x).all()
