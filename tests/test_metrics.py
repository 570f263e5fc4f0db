"""Unit tests for course_lib.metrics: known values, estimator behaviour, noise floor, bad input."""
import math

import pytest
import torch

from course_lib.device import make_generator
from course_lib.metrics import Moments, NoiseFloor, moments, noise_floor, sliced_wasserstein, wasserstein_1d


def normal(n, seed, d=1):
    return torch.randn(n, d, generator=make_generator(seed), dtype=torch.float64)


def test_w1_small_exact_cases():
    assert wasserstein_1d(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.0])) == 0.0
    assert wasserstein_1d(torch.tensor([0.0, 1.0]), torch.tensor([2.0, 3.0])) == pytest.approx(2.0)
    # unequal sizes: {0} vs {0, 1} -> half the mass moves by 1
    assert wasserstein_1d(torch.tensor([0.0]), torch.tensor([0.0, 1.0])) == pytest.approx(0.5)
    # {0, 1, 2} vs {0, 3}: |Q_a - Q_b| is 1 on (1/3, 1/2], 2 on (1/2, 2/3], 1 on (2/3, 1]
    assert wasserstein_1d(torch.tensor([[0.0], [1.0], [2.0]]), torch.tensor([[0.0], [3.0]])) == pytest.approx(5 / 6)


def test_w1_matches_scipy_for_unequal_sizes():
    scipy_stats = pytest.importorskip("scipy.stats")
    a, b = normal(700, 0)[:, 0], 1.5 * normal(301, 1)[:, 0] + 0.3
    assert wasserstein_1d(a, b) == pytest.approx(scipy_stats.wasserstein_distance(a.numpy(), b.numpy()), rel=1e-10)


def test_w1_known_gaussian_values():
    a, b = normal(20000, 2), normal(20000, 3)
    # shift: W1(N(0,1), N(1.5,1)) = 1.5 ; floor at n=20000 is about 0.01
    assert abs(wasserstein_1d(a, b + 1.5) - 1.5) < 0.03
    # scale: W1(N(0,1), N(0,s^2)) = |1 - s| sqrt(2/pi)
    s = 2.0
    assert abs(wasserstein_1d(a, s * b) - abs(1 - s) * math.sqrt(2 / math.pi)) < 0.03


def test_sliced_wasserstein_known_values():
    g = make_generator(4)
    a, b = normal(2000, 5, d=3), normal(2000, 6, d=3)
    # 1D: sliced W2 is the exact W2; a shift c moves every quantile by c
    assert sliced_wasserstein(a[:, :1], a[:, :1] + 0.7) == pytest.approx(0.7, rel=1e-9)
    # d dims, shift by vector v: W2^2 along theta is (v.theta)^2, mean over the sphere |v|^2 / d
    v = torch.tensor([1.0, -2.0, 2.0], dtype=torch.float64)  # |v| = 3
    sw = sliced_wasserstein(a, a + v, n_projections=1000, generator=g)
    assert abs(sw - 3 / math.sqrt(3)) < 0.1  # slice-sampling sd at 1000 projections is about 0.025
    # same distribution: small, and the same generator seed gives the same slices
    same = sliced_wasserstein(a, b, generator=make_generator(7))
    assert same < 0.12  # between 0.04 and 0.07 over 8 seeds
    assert same == sliced_wasserstein(a, b, generator=make_generator(7))


def test_moments():
    x = normal(40000, 10)
    m = moments(x)
    assert isinstance(m, Moments) and m.mean.shape == (1,)
    assert abs(m.mean.item()) < 0.02 and abs(m.std.item() - 1) < 0.02
    assert abs(m.skew.item()) < 0.05 and abs(m.kurtosis.item()) < 0.1
    e = moments(-torch.log(torch.rand(40000, generator=make_generator(11), dtype=torch.float64)))  # Exp(1)
    assert abs(e.skew.item() - 2) < 0.2 and abs(e.kurtosis.item() - 6) < 1.5
    two = moments(torch.tensor([[0.0, 1.0], [2.0, 1.0]]))
    assert torch.allclose(two.mean, torch.tensor([1.0, 1.0], dtype=torch.float64))
    assert two.std[1] == 0 and two.skew[1] == 0 and two.kurtosis[1] == 0  # constant column: no NaN


def test_noise_floor_shrinks_like_one_over_sqrt_n():
    def sampler(n, generator):
        return torch.randn(n, 1, generator=generator)

    small = noise_floor(wasserstein_1d, sampler, 250, repeats=20, generator=make_generator(12))
    large = noise_floor(wasserstein_1d, sampler, 4000, repeats=20, generator=make_generator(13))
    assert isinstance(small, NoiseFloor) and small.n == 250 and len(small.values) == 20
    assert small.std > 0
    ratio = small.mean / large.mean  # sqrt(4000 / 250) = 4
    assert 2.5 < ratio < 6.5
    assert "noise floor" in str(large)


def test_noise_floor_accepts_a_distribution_and_is_seeded():
    from course_lib.distributions import Gaussian

    def metric(a, b):
        return sliced_wasserstein(a, b, generator=make_generator(0))

    f1 = noise_floor(metric, Gaussian([0.0, 0.0], 1.0), 500, repeats=3, generator=make_generator(1))
    f2 = noise_floor(metric, Gaussian([0.0, 0.0], 1.0), 500, repeats=3, generator=make_generator(1))
    assert f1 == f2 and f1.mean > 0


def test_bad_input():
    a = torch.zeros(5, 2)
    with pytest.raises(ValueError, match="same dimension"):
        sliced_wasserstein(a, torch.zeros(5, 3))
    with pytest.raises(ValueError, match="1D samples"):
        wasserstein_1d(a, a)
    with pytest.raises(ValueError, match="NaN"):
        wasserstein_1d(torch.tensor([0.0, float("nan")]), torch.tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match="torch.Tensor"):
        wasserstein_1d([0.0, 1.0], torch.tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match="floating"):
        wasserstein_1d(torch.tensor([0, 1]), torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="at least one point"):
        wasserstein_1d(torch.zeros(0), torch.zeros(3))
    with pytest.raises(ValueError, match="n_projections"):
        sliced_wasserstein(a, a, n_projections=0)
    with pytest.raises(TypeError, match="generator"):
        sliced_wasserstein(a, a, generator=1)
    with pytest.raises(ValueError, match="at least 2 points"):
        moments(torch.zeros(1, 1))
    with pytest.raises(TypeError, match="metric"):
        noise_floor(3, lambda n, g: torch.zeros(n, 1), 10)
    with pytest.raises(TypeError, match="sampler"):
        noise_floor(wasserstein_1d, 3, 10)
    with pytest.raises(ValueError, match="repeats"):
        noise_floor(wasserstein_1d, lambda n, g: torch.zeros(n, 1), 10, repeats=1)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    a, b = normal(1000, 1, d=2), normal(1000, 2, d=2) + 0.3
    assert sliced_wasserstein(a.cuda(), b.cuda(), generator=make_generator(0)) == pytest.approx(
        sliced_wasserstein(a, b, generator=make_generator(0)), rel=1e-9
    )
    assert wasserstein_1d(a[:, 0].cuda(), b[:300, 0].cuda()) == pytest.approx(wasserstein_1d(a[:, 0], b[:300, 0]))


def test_batch_mean_averages_fresh_comparisons():
    from course_lib.metrics import batch_mean
    g = make_generator(3)
    sampler = lambda n, gen: torch.rand(n, 1, generator=gen)
    x = torch.rand(8000, 1, generator=g)
    floor = noise_floor(wasserstein_1d, sampler, 1000, repeats=40, generator=make_generator(4))
    ratio = batch_mean(wasserstein_1d, x, sampler, 1000, generator=make_generator(5)) / floor.mean
    assert 0.7 < ratio < 1.3                    # true samples: about one floor
    shifted = batch_mean(wasserstein_1d, x + 0.05, sampler, 1000, generator=make_generator(5)) / floor.mean
    assert shifted > 3                          # a shift of 0.05 is ~5 floors at n = 1000
    # the same generator gives the same number; only whole batches count
    a = batch_mean(wasserstein_1d, x[:2500], sampler, 1000, generator=make_generator(6))
    b = batch_mean(wasserstein_1d, x[:2000], sampler, 1000, generator=make_generator(6))
    assert a == b
    with pytest.raises(ValueError, match="fewer than one batch"):
        batch_mean(wasserstein_1d, x[:10], sampler, 1000)
    with pytest.raises(TypeError):
        batch_mean(3, x, sampler, 1000)
