"""Unit tests for course_lib.distributions: exact scores and denoisers of noised toys.

Each answer is checked against an independent computation: scores by finite
differences of log_prob_noised, denoisers by quadrature or self-normalised Monte
Carlo, densities by integrating to one, plus Tweedie's formula tying them.
"""
import math

import pytest
import torch

from course_lib import data
from course_lib.device import make_generator
from course_lib.processes import Process
from course_lib.distributions import CircleMixture, Empirical, Gaussian, GaussianMixture, Uniform01

D64 = torch.float64


def mixture_2d():
    return GaussianMixture([0.3, 0.7], [[-1.0, 0.5], [1.5, -0.5]], [[0.3, 0.6], [0.5, 0.2]])


def all_distributions():
    return {
        "gaussian": Gaussian([1.0, -2.0], [0.5, 1.5]),
        "mixture": mixture_2d(),
        "uniform": Uniform01(),
        "empirical": Empirical(data.two_circles().double()),
        "circles": CircleMixture([[0.7, 0.7], [-0.7, -0.7], [1.0, -1.0]], 0.5, [0.25, 0.5, 0.25]),
    }


def points_and_levels(dist, n=64, seed=0):
    g = make_generator(seed)
    x = 2 * torch.randn(n, dist.dim, generator=g, dtype=D64)
    alpha = 0.3 + torch.rand(n, generator=g, dtype=D64)
    beta = 0.2 + torch.rand(n, generator=g, dtype=D64)
    return x, alpha, beta


@pytest.mark.parametrize("name", ["gaussian", "mixture", "uniform", "empirical", "circles"])
def test_tweedie_links_score_and_denoiser(name):
    dist = all_distributions()[name]
    x, alpha, beta = points_and_levels(dist)
    d = dist.denoiser(x, alpha, beta)
    s = dist.score(x, alpha, beta)
    assert d.shape == x.shape and s.shape == x.shape
    tweedie = (x + beta[:, None] ** 2 * s) / alpha[:, None]
    torch.testing.assert_close(d, tweedie, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", ["gaussian", "mixture", "uniform", "empirical", "circles"])
def test_score_is_gradient_of_log_prob(name):
    dist = all_distributions()[name]
    x, alpha, beta = points_and_levels(dist, n=16, seed=1)
    s = dist.score(x, alpha, beta)
    h = 1e-5
    for j in range(dist.dim):
        e = torch.zeros_like(x)
        e[:, j] = h
        fd = (dist.log_prob_noised(x + e, alpha, beta) - dist.log_prob_noised(x - e, alpha, beta)) / (2 * h)
        torch.testing.assert_close(s[:, j], fd, rtol=1e-5, atol=1e-6)


def test_log_prob_integrates_to_one():
    grid = torch.linspace(-12, 12, 6001, dtype=D64)[:, None]
    dx = (grid[1] - grid[0]).item()
    for dist in (Uniform01(), GaussianMixture([0.2, 0.8], [-2.0, 3.0], [0.1, 1.0]), Empirical(torch.tensor([[0.0], [1.0]]))):
        for alpha, beta in ((1.0, 0.05), (0.5, 1.0)):
            mass = dist.log_prob_noised(grid, alpha, beta).exp().sum().item() * dx
            assert abs(mass - 1) < 1e-6, (dist, alpha, beta, mass)
    # 2D mixture on a grid
    t = torch.linspace(-6, 6, 241, dtype=D64)
    xx, yy = torch.meshgrid(t, t, indexing="ij")
    pts = torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)
    mass = mixture_2d().log_prob_noised(pts, 0.8, 0.5).exp().sum().item() * (t[1] - t[0]).item() ** 2
    assert abs(mass - 1) < 1e-5


def test_gaussian_closed_forms():
    dist = Gaussian([1.0, -2.0], [0.5, 1.5])
    x, alpha, beta = points_and_levels(dist, seed=2)
    a, b = alpha[:, None], beta[:, None]
    m, s = torch.tensor([1.0, -2.0], dtype=D64), torch.tensor([0.5, 1.5], dtype=D64)
    var = a**2 * s**2 + b**2
    torch.testing.assert_close(dist.score(x, alpha, beta), -(x - a * m) / var)
    torch.testing.assert_close(dist.denoiser(x, alpha, beta), m + a * s**2 / var * (x - a * m))
    # a mixture whose components are equal is that Gaussian
    twin = GaussianMixture([0.4, 0.6], [[1.0, -2.0]] * 2, [[0.5, 1.5]] * 2)
    torch.testing.assert_close(twin.denoiser(x, alpha, beta), dist.denoiser(x, alpha, beta))
    assert Gaussian(5.0, 2.0).dim == 1 and Gaussian(0.0, 1.0, dim=3).dim == 3


def test_uniform_denoiser_matches_quadrature():
    dist = Uniform01()
    u = torch.linspace(0, 1, 20001, dtype=D64)
    for alpha, beta in ((1.0, 0.02), (0.9, 0.3), (0.2, 2.0)):
        x = torch.linspace(-1.5, 2.5, 41, dtype=D64)[:, None]
        logw = -((x - alpha * u) ** 2) / (2 * beta**2)  # (41, U) log-likelihood on the u grid
        logw[:, [0, -1]] += math.log(0.5)  # trapezoid rule
        quad = torch.softmax(logw, dim=1) @ u
        torch.testing.assert_close(dist.denoiser(x, alpha, beta)[:, 0], quad, rtol=1e-5, atol=1e-5)  # quadrature error ~2e-6 at beta=0.02


def test_uniform_is_stable_far_outside():
    dist = Uniform01()
    x = torch.tensor([[-50.0], [-3.0], [4.0], [60.0]])
    for beta in (1e-3, 0.05, 1.0):
        d, s, lp = dist.denoiser(x, 1.0, beta), dist.score(x, 1.0, beta), dist.log_prob_noised(x, 1.0, beta)
        assert torch.isfinite(d).all() and torch.isfinite(s).all() and torch.isfinite(lp).all()
        assert (d >= 0).all() and (d <= 1).all()
        assert s[0] > 0 and s[1] > 0 and s[2] < 0 and s[3] < 0  # the score points back to [0, 1]
    # far below 0 the posterior is a half-normal-like tail at 0: mean ~ beta^2 / |x| for small beta
    d = dist.denoiser(torch.tensor([[-3.0]], dtype=D64), 1.0, 0.05)
    assert abs(d.item() - 0.05**2 / 3.0) < 1e-4
    # float32 and float64 agree
    torch.testing.assert_close(dist.denoiser(x, 1.0, 0.05), dist.denoiser(x.double(), 1.0, 0.05).float())


def test_circles_match_a_fine_ring_of_points():
    # the even ring of M points is the trapezoid rule in the angle: spectrally accurate
    dist = CircleMixture.two_circles()
    theta = 2 * math.pi * torch.arange(4000, dtype=D64) / 4000
    circle = 0.5 * torch.stack([torch.cos(theta), torch.sin(theta)], 1)
    ring = Empirical(torch.cat([circle + 0.7, circle - 0.7]))  # float64 (data.two_circles is float32)
    x = 1.5 * torch.randn(50, 2, generator=make_generator(10), dtype=D64)
    for alpha, beta in ((1.0, 0.05), (0.8, 0.3), (0.3, 1.5)):
        torch.testing.assert_close(dist.denoiser(x, alpha, beta), ring.denoiser(x, alpha, beta), rtol=1e-9, atol=1e-10)
        torch.testing.assert_close(
            dist.log_prob_noised(x, alpha, beta), ring.log_prob_noised(x, alpha, beta), rtol=1e-9, atol=1e-9
        )
    # far from the data and with little noise, kappa is huge: still finite, projects onto the circle
    d = dist.denoiser(torch.tensor([[3.0, 3.0], [0.7, 0.7]]), 1.0, 1e-3)
    torch.testing.assert_close(d, torch.tensor([[0.7 + 0.5 / math.sqrt(2)] * 2, [0.7, 0.7]]))
    s = dist.sample(1000, make_generator(11))
    assert torch.allclose(((s.abs() - 0.7) ** 2).sum(1), torch.full((1000,), 0.25), atol=1e-5)


def test_mixture_denoiser_matches_monte_carlo():
    dist = mixture_2d()
    g = make_generator(3)
    x0 = dist.sample(400000, g, dtype=D64)
    x = torch.tensor([[0.0, 0.0], [1.0, -1.0], [-1.5, 1.0]], dtype=D64)
    alpha, beta = 0.8, 0.6
    # self-normalised importance sampling: E[x0 | x_t = x] = E_p[x0 N(x; a x0, b^2)] / E_p[N(x; a x0, b^2)]
    logw = -((x[:, None, :] - alpha * x0[None]) ** 2).sum(-1) / (2 * beta**2)
    w = torch.softmax(logw, dim=1)
    mc = w @ x0
    ess = 1 / (w**2).sum(1)
    assert (ess > 10000).all()  # about 80,000 here
    torch.testing.assert_close(dist.denoiser(x, alpha, beta), mc, rtol=0, atol=0.01)  # MC error <= 0.004 over 5 seeds


def test_empirical_matches_explicit_softmax_and_chunks():
    pts = torch.randn(37, 3, generator=make_generator(4), dtype=D64)
    x = torch.randn(25, 3, generator=make_generator(5), dtype=D64)
    alpha, beta = 0.7, 0.4
    d2 = ((x[:, None, :] - alpha * pts[None]) ** 2).sum(-1)
    w = torch.softmax(-d2 / (2 * beta**2), dim=1)
    expected = w @ pts
    torch.testing.assert_close(Empirical(pts).denoiser(x, alpha, beta), expected)
    torch.testing.assert_close(Empirical(pts, chunk_elements=50).denoiser(x, alpha, beta), expected)
    lp = torch.logsumexp(-d2 / (2 * beta**2), 1) - math.log(37) - 1.5 * math.log(2 * math.pi * beta**2)
    torch.testing.assert_close(Empirical(pts, chunk_elements=50).log_prob_noised(x, alpha, beta), lp)


def test_empirical_small_noise_snaps_and_large_noise_averages():
    pts = data.two_circles()
    emp = Empirical(pts)
    x = pts + 0.01 * torch.randn(20, 2, generator=make_generator(6))
    d = emp.denoiser(x, 1.0, 1e-3)
    assert torch.isfinite(d).all()
    torch.testing.assert_close(d, pts)  # each noisy point snaps back to its training point
    far = emp.denoiser(torch.zeros(3, 2), 1e-3, 10.0)
    torch.testing.assert_close(far, pts.mean(0).expand(3, 2), atol=1e-4, rtol=0)


def test_no_noise_means_identity():
    for dist in all_distributions().values():
        x = torch.rand(5, dist.dim, dtype=D64)
        torch.testing.assert_close(dist.denoiser(x, 1.0, 0.0), x)
        torch.testing.assert_close(dist.denoiser(x, 2.0, 0.0), x / 2)
    # per-point levels with one beta = 0
    emp = Empirical(data.two_circles())
    x = torch.tensor([[0.3, 0.3], [0.3, 0.3]])
    d = emp.denoiser(x, torch.tensor([1.0, 1.0]), torch.tensor([0.0, 0.5]))
    assert torch.equal(d[0], x[0]) and not torch.allclose(d[1], x[1])
    with pytest.raises(ValueError, match="beta must be > 0"):
        emp.score(x, 1.0, 0.0)
    with pytest.raises(ValueError, match="beta must be > 0"):
        Uniform01().log_prob_noised(x[:, :1], 1.0, 0.0)


def test_sampling():
    g = make_generator(7)
    x = Gaussian(5.0, 2.0).sample(40000, g)
    assert x.shape == (40000, 1) and x.dtype == torch.float32
    assert abs(x.mean().item() - 5) < 0.04 and abs(x.std().item() - 2) < 0.04
    m = mixture_2d().sample(40000, g)
    assert abs((m[:, 0] > 0).float().mean().item() - 0.7) < 0.015
    u = Uniform01().sample(1000, g)
    assert u.min() >= 0 and u.max() < 1
    pts = data.two_circles()
    e = Empirical(pts).sample(100, g)
    assert all((pts == row).all(1).any() for row in e)
    assert torch.equal(Empirical(pts).sample(10, make_generator(1)), Empirical(pts).sample(10, make_generator(1)))


class FakeProcess(Process):
    def _alpha(self, t):
        return torch.exp(-t)

    def _beta(self, t):
        return torch.sqrt(1 - torch.exp(-2 * t))


class FakeChain(Process):
    T = 10.0

    def _alpha(self, k):
        return 0.9 ** k

    def _beta(self, k):
        return torch.sqrt(1 - 0.81 ** k)


def test_denoiser_for_and_score_for():
    dist = mixture_2d()
    x = torch.randn(6, 2, generator=make_generator(8))
    t = torch.linspace(0.1, 1.0, 6)
    D = dist.denoiser_for(FakeProcess())
    torch.testing.assert_close(D(x, t), dist.denoiser(x, torch.exp(-t), torch.sqrt(1 - torch.exp(-2 * t))))
    S = dist.score_for(FakeProcess())
    torch.testing.assert_close(S(x, t), dist.score(x, torch.exp(-t), torch.sqrt(1 - torch.exp(-2 * t))))
    k = torch.full((6,), 3.0)
    Dk = dist.denoiser_for(FakeChain())
    torch.testing.assert_close(Dk(x, k), dist.denoiser(x, 0.9**3, math.sqrt(1 - 0.81**3)))
    torch.testing.assert_close(Dk(x, torch.zeros(6)), x)  # k = 0: no noise yet
    with pytest.raises(TypeError, match="Process"):
        dist.denoiser_for(object())


def test_bad_input():
    dist = mixture_2d()
    x = torch.zeros(4, 2)
    with pytest.raises(ValueError, match="2 column"):
        dist.denoiser(torch.zeros(4, 3), 1.0, 0.5)
    with pytest.raises(ValueError, match="NaN"):
        dist.denoiser(torch.full((4, 2), float("nan")), 1.0, 0.5)
    with pytest.raises(TypeError, match="torch.Tensor"):
        dist.denoiser([[0.0, 0.0]], 1.0, 0.5)
    with pytest.raises(ValueError, match="beta must be >= 0"):
        dist.denoiser(x, 1.0, -0.1)
    with pytest.raises(ValueError, match="alpha must be > 0"):
        dist.denoiser(x, 0.0, 0.5)
    with pytest.raises(ValueError, match="shape \\(4,\\)"):
        dist.denoiser(x, torch.ones(3), 0.5)
    with pytest.raises(ValueError, match="NaN"):
        dist.score(x, 1.0, torch.tensor([0.1, float("nan"), 0.1, 0.1]))
    with pytest.raises(TypeError, match="alpha"):
        dist.score(x, "1", 0.5)
    with pytest.raises(ValueError, match="sum to 1"):
        GaussianMixture([0.5, 0.6], [[0.0], [1.0]], 1.0)
    with pytest.raises(ValueError, match="sum to 1"):
        GaussianMixture([-0.5, 1.5], [[0.0], [1.0]], 1.0)
    with pytest.raises(ValueError, match="means must have shape"):
        GaussianMixture([0.5, 0.5], [[0.0, 1.0]], 1.0)
    with pytest.raises(ValueError, match="stds must be > 0"):
        GaussianMixture([1.0], [[0.0]], 0.0)
    with pytest.raises(ValueError, match="stds must be"):
        GaussianMixture([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="NaN"):
        Gaussian(float("nan"), 1.0)
    with pytest.raises(ValueError, match="length"):
        Gaussian([0.0, 0.0], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="NaN"):
        Empirical(torch.tensor([[0.0], [float("inf")]]))
    with pytest.raises(TypeError, match="floating"):
        Empirical(torch.tensor([[0], [1]]))
    with pytest.raises(ValueError, match="1 column"):
        Uniform01().denoiser(x, 1.0, 0.5)
    with pytest.raises(ValueError, match="n must be"):
        Uniform01().sample(0)
    with pytest.raises(TypeError, match="generator"):
        dist.sample(3, generator=0)
    with pytest.raises(ValueError, match="shape \\(K, 2\\)"):
        CircleMixture([0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="radius"):
        CircleMixture([[0.0, 0.0]], radius=0.0)
    with pytest.raises(ValueError, match="sum to 1"):
        CircleMixture([[0.0, 0.0], [1.0, 1.0]], weights=[0.5, 0.6])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    for dist in all_distributions().values():
        x, alpha, beta = points_and_levels(dist)
        cpu = dist.denoiser(x, alpha, beta)
        gpu = dist.denoiser(x.cuda(), alpha.cuda(), beta.cuda())
        assert gpu.device.type == "cuda"
        torch.testing.assert_close(gpu.cpu(), cpu)
        torch.testing.assert_close(dist.score(x.cuda(), alpha, beta).cpu(), dist.score(x, alpha, beta))


def test_with_the_course_processes():
    processes = pytest.importorskip("course_lib.processes")
    dist = Empirical(data.two_circles())
    x = torch.randn(5, 2, generator=make_generator(9))
    t = torch.full((5,), 0.5)
    # EDM: alpha = 1, beta = sigma = t
    torch.testing.assert_close(dist.denoiser_for(processes.EDM())(x, t), dist.denoiser(x, 1.0, 0.5))
    # DDPM chain: step index k = 0 is the clean data
    chain = processes.DDPMChain("linear", 100)
    torch.testing.assert_close(dist.denoiser_for(chain)(x, torch.zeros(5)), x)
    assert torch.isfinite(dist.score_for(processes.VP())(x, t)).all()
