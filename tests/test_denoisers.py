"""Tests for course_lib.denoisers: conversions among eps, x0, score, v, and the network wrappers."""
import math

import pytest
import torch
from torch import nn

from course_lib import denoisers as P
from course_lib.device import make_generator
from course_lib.models import TimeMLP
from course_lib.processes import EDM, VE, VP, DDPMChain

torch.set_num_threads(1)


def test_conversions_round_trip_and_tweedie():
    g = make_generator(0)
    n = 64
    x0 = torch.randn(n, 3, generator=g, dtype=torch.float64)
    eps = torch.randn(n, 3, generator=g, dtype=torch.float64)
    alpha = torch.rand(n, generator=g, dtype=torch.float64) * 0.9 + 0.05
    beta = torch.rand(n, generator=g, dtype=torch.float64) * 3 + 0.05
    x = alpha[:, None] * x0 + beta[:, None] * eps
    C = P.convert
    torch.testing.assert_close(C(x, eps, alpha, beta, src="eps", dst="x0"), x0)
    torch.testing.assert_close(C(x, x0, alpha, beta, src="x0", dst="eps"), eps)
    score = C(x, x0, alpha, beta, src="x0", dst="score")
    torch.testing.assert_close(score, -eps / beta[:, None])
    torch.testing.assert_close(C(x, eps, alpha, beta, src="eps", dst="score"), score)
    torch.testing.assert_close(C(x, score, alpha, beta, src="score", dst="eps"), eps)
    torch.testing.assert_close(C(x, score, alpha, beta, src="score", dst="x0"), x0)
    v = C(x, x0, alpha, beta, src="x0", dst="v")
    torch.testing.assert_close(v, alpha[:, None] * eps - beta[:, None] * x0)
    torch.testing.assert_close(C(x, v, alpha, beta, src="v", dst="x0"), x0)
    torch.testing.assert_close(C(x, v, alpha, beta, src="v", dst="eps"), eps)
    torch.testing.assert_close(C(x, eps, alpha, beta, src="eps", dst="v"), v)          # through x0
    torch.testing.assert_close(C(x, v, alpha, beta, src="v", dst="score"), score)
    # scalar alpha, beta broadcast too
    torch.testing.assert_close(C(x, eps, 0.5, 2.0, src="eps", dst="x0"), (x - 2 * eps) / 0.5)


def test_score_of_exact_gaussian_denoiser():
    """For N(m, s^2) data the score of the noised marginal is -(x - a m)/(a^2 s^2 + b^2)."""
    proc = VP()
    m, s = 2.0, 0.7

    def D(x, t):
        a, b = proc.alpha(t).to(x)[:, None], proc.beta(t).to(x)[:, None]
        return m + a * s**2 / (a**2 * s**2 + b**2) * (x - a * m)

    x = torch.linspace(-3, 3, 13, dtype=torch.float64)[:, None]
    t = torch.full((13,), 0.4, dtype=torch.float64)
    a, b = proc.alpha(0.4).item(), proc.beta(0.4).item()
    torch.testing.assert_close(P.score_from_denoiser(D, proc)(x, t), -(x - a * m) / (a**2 * s**2 + b**2))
    torch.testing.assert_close(P.eps_from_denoiser(D, proc)(x, t), b * (x - a * m) / (a**2 * s**2 + b**2))


class Recorder(nn.Module):
    """A fake network: returns a fixed output and records the condition it was fed."""

    def __init__(self, dim, value):
        super().__init__()
        self.dim, self.value, self.seen = dim, value, None

    def forward(self, x, c):
        self.seen = (x.clone(), c.clone())
        return torch.full_like(x, self.value)


@pytest.mark.parametrize("proc, t, c_want", [
    (DDPMChain("linear", 1000), 250.0, 0.25),
    (VP(), 0.3, 0.3),
    (VE(), VE().t_of_sigma(math.e**2).item(), 0.5),
    (EDM(), math.e**-4, -1.0),
])
def test_wrappers_feed_an_order_one_condition_and_convert(proc, t, c_want):
    x = torch.randn(5, 2)
    tt = torch.full((5,), t)
    a = proc.alpha(tt).float()[:, None]
    b = proc.beta(tt).float()[:, None]
    for cls, out_to_x0 in [
        (P.EpsDenoiser, lambda o: (x - b * o) / a),
        (P.ScoreDenoiser, lambda o: (x + b * o) / a),
    ]:
        net = Recorder(2, 0.3)
        D = cls(net, proc)
        x0_hat = D(x, tt)
        assert net.seen[1].shape == (5,) and net.seen[1][0].item() == pytest.approx(c_want, rel=1e-5, abs=1e-6)
        torch.testing.assert_close(x0_hat, out_to_x0(torch.full_like(x, 0.3)))
        torch.testing.assert_close(D.eps(x, tt), (x - a * x0_hat) / b, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(D.score(x, tt), -(x - a * x0_hat) / b**2, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(D(x, t), x0_hat)  # a float time is broadcast


def test_edm_precond_is_karras_table_1():
    net = Recorder(2, 0.0)
    D = P.EDMPrecond(net, sigma_data=0.5)
    sigma = torch.tensor([0.002, 0.5, 3.0, 80.0])
    c_skip, c_out, c_in, c_noise = D.coefficients(sigma)
    torch.testing.assert_close(c_skip, 0.25 / (sigma**2 + 0.25))
    torch.testing.assert_close(c_out, sigma * 0.5 / torch.sqrt(sigma**2 + 0.25))
    torch.testing.assert_close(c_in, 1 / torch.sqrt(sigma**2 + 0.25))
    torch.testing.assert_close(c_noise, torch.log(sigma) / 4)
    x = torch.randn(4, 2)
    y = D(x, sigma)  # net outputs 0: D = c_skip x, and the net saw c_in x and c_noise
    torch.testing.assert_close(y, c_skip[:, None] * x)
    torch.testing.assert_close(net.seen[0], c_in[:, None] * x)
    torch.testing.assert_close(net.seen[1], c_noise)
    # on another process it works on x / s(t) at sigma(t)
    vp = VP()
    Dvp = P.EDMPrecond(Recorder(2, 0.0), sigma_data=0.5, process=vp)
    t = torch.full((4,), 0.5)
    s, sg = vp.alpha(t)[:, None], vp.sigma(t)
    torch.testing.assert_close(Dvp(x, t), (0.25 / (sg**2 + 0.25))[:, None] * x / s)


def test_edm_coefficients_function_checks_its_input():
    sigma = torch.tensor([0.01, 1.0, 50.0])
    c_skip, c_out, c_in, c_noise = P.edm_coefficients(sigma, 0.5)
    torch.testing.assert_close(c_skip**2 * sigma**2 + (1 - c_skip) ** 2 * 0.25, c_out**2)  # the error c_out scales
    torch.testing.assert_close(c_in, 1 / torch.sqrt(sigma**2 + 0.25))
    with pytest.raises(TypeError, match="sigma must be a torch.Tensor"):
        P.edm_coefficients(1.0, 0.5)
    with pytest.raises(ValueError, match="sigma_data"):
        P.edm_coefficients(sigma, -0.5)


def test_wrappers_train_with_a_real_timemlp_and_keep_gradients():
    net = TimeMLP(2, hidden=16, depth=2)
    D = P.EpsDenoiser(net, VP())
    x = torch.randn(8, 2)
    out = D(x, torch.rand(8) * 0.9 + 0.05)
    out.sum().backward()
    assert net.net[0].weight.grad is not None


def test_bad_input():
    net = TimeMLP(2, hidden=8, depth=1)
    with pytest.raises(TypeError, match="nn.Module"):
        P.EpsDenoiser(lambda x, c: x, VP())
    with pytest.raises(TypeError, match="Process"):
        P.EpsDenoiser(net, "VP")
    D = P.EpsDenoiser(net, VP())
    with pytest.raises(ValueError, match="column"):
        D(torch.zeros(3, 3), 0.5)  # data dimension does not match the model
    with pytest.raises(ValueError, match="shape"):
        D(torch.zeros(3, 2), torch.full((4,), 0.5))
    with pytest.raises(ValueError, match=r"\[0, T"):
        D(torch.zeros(3, 2), 1.5)
    with pytest.raises(ValueError, match="NaN"):
        D(torch.full((3, 2), float("nan")), 0.5)
    with pytest.raises(ValueError, match="shape"):
        P.convert(torch.zeros(3, 2), torch.zeros(3, 1), 0.5, 0.5, src="eps", dst="x0")
    with pytest.raises(ValueError, match="shape"):
        P.convert(torch.zeros(3, 2), torch.zeros(3, 2), torch.ones(4), 0.5, src="eps", dst="x0")
    with pytest.raises(TypeError):
        P.convert(torch.zeros(3, 2), torch.zeros(3, 2), "a", 0.5, src="x0", dst="score")
    with pytest.raises(ValueError, match="sigma_data"):
        P.EDMPrecond(net, sigma_data=0.0)
    with pytest.raises(TypeError, match="callable"):
        P.score_from_denoiser(3, VP())
