"""Tests for course_lib.processes: the DDPM chain, continuous processes, grids."""
import math

import pytest
import torch

from course_lib.device import make_generator, randn
from course_lib.grids import Grid, edm_sigmas
from course_lib.processes import EDM, VE, VP, AlphaBetaProcess, DDPMChain, Process

torch.set_num_threads(1)


# --- DDPM chain ----------------------------------------------------------------------------
def test_chain_arrays():
    c = DDPMChain("linear", 1000)
    for name in ("A", "B", "alphas", "betas"):
        assert getattr(c, name).shape == (1001,)
    assert c.alphas[0] == 1 and c.betas[0] == 0 and c.A[0] == 1 and c.B[0] == 0
    torch.testing.assert_close(c.A**2 + c.B**2, torch.ones(1001, dtype=torch.float64))
    torch.testing.assert_close(c.alphas**2 + c.betas**2, torch.ones(1001, dtype=torch.float64))
    torch.testing.assert_close(c.alphas, torch.cumprod(c.A, 0))
    assert 0.004 < c.alphas[-1] < 0.01  # DDPM's alpha_N = sqrt(alpha_bar_N) ~ 0.0064
    assert isinstance(c, Process)


def test_chain_alpha_beta_sigma_and_inverse():
    c = DDPMChain("cosine", 50)
    k = torch.arange(51, dtype=torch.float32)
    torch.testing.assert_close(c.alpha(k), c.alphas.float())
    torch.testing.assert_close(c.beta(k), c.betas.float())
    # fractional steps interpolate log alpha, and t_of_sigma inverts sigma
    kf = torch.tensor([0.3, 1.5, 2.5, 17.25, 49.9], dtype=torch.float64)
    a = c.alpha(kf)
    assert ((a < c.alphas[kf.floor().long()]) & (a > c.alphas[kf.ceil().long()])).all()
    torch.testing.assert_close(c.t_of_sigma(c.sigma(kf)), kf, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(c.t_of_sigma(c.betas[1:] / c.alphas[1:]), torch.arange(1, 51, dtype=torch.float64))
    assert c.t_of_sigma(0.0).item() == 0.0
    assert c.condition(torch.tensor([25.0])).item() == pytest.approx(0.5)


def test_chain_alpha_beta_together_and_accurate_in_float32():
    c = DDPMChain("linear", 1000)
    k = torch.tensor([1.0, 2.0, 500.0, 1000.0])                        # float32 step indices
    a, b = c.alpha_beta(k)
    assert a.dtype == b.dtype == torch.float32
    torch.testing.assert_close(a, c.alpha(k)); torch.testing.assert_close(b, c.beta(k))
    # beta_1 = 0.01 is computed in float64 and only then rounded: float32 accuracy, not the
    # 7e-5 relative error of sqrt(1 - alpha^2) from an alpha already rounded to float32
    rel = ((b.double() - c.betas[k.long()]) / c.betas[k.long()]).abs()
    assert float(rel.max()) < 1e-6, rel
    with pytest.raises(ValueError, match="step index"):
        c.alpha_beta(1001)
    vp = VP()
    t = torch.tensor([0.1, 0.5, 1.0], dtype=torch.float64)
    a, b = vp.alpha_beta(t)
    torch.testing.assert_close(a, vp.alpha(t)); torch.testing.assert_close(b, vp.beta(t))
    with pytest.raises(ValueError, match="lie in"):
        vp.alpha_beta(2.0)


def test_chain_iterated_step_by_step_matches_one_jump_formula():
    c = DDPMChain("linear", 100)
    g = make_generator(0)
    n = 40_000
    x0 = torch.full((n, 1), 1.5, dtype=torch.float64)
    x = x0.clone()
    for k in range(1, c.N + 1):
        x = c.forward_step(x, k, randn(x.shape, generator=g, dtype=torch.float64))
        if k in (1, 10, 50, 100):
            mean, std = x.mean().item(), x.std().item()
            a, b = c.alphas[k].item(), c.betas[k].item()
            assert abs(mean - a * 1.5) < 4 * b / math.sqrt(n) + 1e-12
            assert abs(std - b) < 4 * b / math.sqrt(2 * n)
    # the one-jump formula with the same kind of noise gives the same law at k = N
    xN, _ = c.sample_marginal(x0, c.N, make_generator(1))
    assert abs(xN.std().item() - x.std().item()) < 5 * c.betas[-1].item() / math.sqrt(n)


def test_posterior_matches_monte_carlo():
    c = DDPMChain("linear", 200)
    g = make_generator(1)
    n, x0v = 200_000, 0.8
    for k in (1, 2, 37, 200):
        x0 = torch.full((n, 1), x0v, dtype=torch.float64)
        x_prev, _ = c.sample_marginal(x0, k - 1, g)
        x_k = c.forward_step(x_prev, k, randn(x0.shape, generator=g, dtype=torch.float64))
        # q(x_{k-1} | x_k, x0) is Gaussian with a mean linear in x_k: a least-squares fit recovers it
        X = torch.cat([torch.ones_like(x_k), x_k], 1)
        coef = torch.linalg.lstsq(X, x_prev).solution[:, 0]
        resid = x_prev - X @ coef[:, None]
        mean, var = c.posterior(x_k, x0, k)
        # slope and intercept implied by the closed form
        slope = (c.A[k] * c.betas[k - 1] ** 2 / c.betas[k] ** 2).item()
        intercept = (c.alphas[k - 1] * c.B2[k] / c.betas[k] ** 2).item() * x0v
        torch.testing.assert_close(mean, intercept + slope * x_k)
        if k == 1:
            assert var.abs().max().item() == 0 and resid.abs().max().item() < 1e-10
            continue
        se = math.sqrt(float(var) / n)
        assert abs(coef[1].item() - slope) < 6 * se / x_k.std().item()
        assert resid.var().item() == pytest.approx(float(var), rel=6 * math.sqrt(2 / n))


def test_chain_grid():
    c = DDPMChain("linear", 1000)
    g = c.grid()
    assert isinstance(g, Grid) and g.n_steps == 1000 and g.t[0] == 1000 and g.t[-1] == 0
    assert torch.equal(g.t, torch.arange(1000, -1, -1, dtype=torch.float64))
    g10 = c.grid(10)
    assert g10.t.tolist() == [1000, 900, 800, 700, 600, 500, 400, 300, 200, 100, 0]
    g7 = c.grid(7)
    assert g7.n_steps == 7 and (g7.t == g7.t.round()).all() and (g7.t[1:] < g7.t[:-1]).all()


def test_chain_prior():
    c = DDPMChain()
    x = c.prior(5000, 2, make_generator(0))
    assert x.shape == (5000, 2) and x.dtype == torch.float32
    assert abs(x.std().item() - 1) < 0.03


def test_chain_bad_input():
    c = DDPMChain("linear", 10)
    x = torch.zeros(4, 2)
    with pytest.raises(ValueError, match="unknown schedule"):
        DDPMChain("exp", 10)
    with pytest.raises(ValueError, match="N"):
        DDPMChain("linear", 0)
    with pytest.raises(ValueError, match="k must lie"):
        c.alpha(11)
    with pytest.raises(ValueError, match="k must lie"):
        c.forward_step(x, 0, torch.zeros(4, 2))
    with pytest.raises(ValueError, match="whole step"):
        c.marginal(x, 2.5, torch.zeros(4, 2))
    with pytest.raises(ValueError, match="shape"):
        c.marginal(x, 2, torch.zeros(4, 3))
    with pytest.raises(ValueError, match="NaN"):
        c.marginal(torch.full((4, 2), float("nan")), 2, torch.zeros(4, 2))
    with pytest.raises(ValueError, match="NaN"):
        c.alpha(float("nan"))
    with pytest.raises(TypeError, match="floating"):
        c.posterior(torch.zeros(4, 2, dtype=torch.int64), x, 3)
    with pytest.raises(TypeError):
        c.alpha("3")
    with pytest.raises(ValueError, match="n_steps"):
        c.grid(0)
    with pytest.raises(ValueError, match="n_steps"):
        c.grid(11)
    with pytest.raises(ValueError, match="k must lie"):
        c.marginal(x, torch.tensor([1, 2, 3, 12]), torch.zeros(4, 2))


# --- continuous processes --------------------------------------------------------------------
def _vp_alpha(t, bmin=0.1, bmax=20.0):
    return torch.exp(-0.25 * t**2 * (bmax - bmin) - 0.5 * t * bmin)


def test_vp_closed_forms():
    p = VP()
    t = torch.linspace(0, 1, 11, dtype=torch.float64)
    torch.testing.assert_close(p.alpha(t), _vp_alpha(t))
    torch.testing.assert_close(p.alpha(t) ** 2 + p.beta(t) ** 2, torch.ones_like(t))
    torch.testing.assert_close(p.sigma(t), p.beta(t) / p.alpha(t))
    torch.testing.assert_close(p.f(t), -0.5 * (0.1 + t * 19.9))
    torch.testing.assert_close(p.g(t), torch.sqrt(0.1 + t * 19.9))
    assert p.alpha(0.0).item() == 1 and p.beta(0.0).item() == 0


def test_ve_and_edm_closed_forms():
    p = VE(0.01, 50.0)
    t = torch.linspace(0, 1, 11, dtype=torch.float64)
    torch.testing.assert_close(p.beta(t) ** 2, 0.01**2 * ((50 / 0.01) ** (2 * t) - 1))
    torch.testing.assert_close(p.g(t), 0.01 * (5000.0**t) * math.sqrt(2 * math.log(5000)))  # Song's g
    assert (p.alpha(t) == 1).all() and (p.f(t) == 0).all()
    e = EDM()
    s = torch.tensor([0.0, 0.5, 80.0], dtype=torch.float64)
    torch.testing.assert_close(e.sigma(s), s)
    torch.testing.assert_close(e.g(s) ** 2, 2 * s)
    assert e.T == 80.0


@pytest.mark.parametrize("proc", [VP(), VP(0.5, 10.0, T=2.0), VE(), EDM()], ids=repr)
def test_f_g_from_alpha_beta_by_autograd_match_closed_forms(proc):
    """(f, g) derived from (alpha, beta) by AlphaBetaProcess equal the closed forms."""
    ab = AlphaBetaProcess(proc._alpha, proc._beta, T=proc.T)
    t = torch.linspace(0.01, 1, 9, dtype=torch.float64) * proc.T
    torch.testing.assert_close(ab.f(t), proc.f(t), rtol=1e-8, atol=1e-10)
    torch.testing.assert_close(ab.g2(t), proc.g2(t), rtol=1e-8, atol=1e-10)
    # the base class's bisection t_of_sigma agrees with the closed-form inverse
    torch.testing.assert_close(ab.t_of_sigma(proc.sigma(t)), t, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("proc", [VP(), VE(), EDM(sigma_max=5.0), AlphaBetaProcess(
    lambda t: torch.cos(0.5 * math.pi * t * 0.99), lambda t: torch.sin(0.5 * math.pi * t * 0.99))], ids=repr)
def test_forward_sde_euler_maruyama_reproduces_marginals(proc):
    """Simulate dx = f x dt + g dW from a fixed x0; mean and std match alpha x0 and beta."""
    g = make_generator(3)
    n, steps, x0v = 20_000, 1000, 1.5
    x = torch.full((n, 1), x0v, dtype=torch.float64)
    ts = torch.linspace(0, proc.T, steps + 1, dtype=torch.float64)
    checks = {steps // 4, steps // 2, steps}
    f, g2 = proc.f(ts).tolist(), proc.g2(ts).tolist()
    for i in range(steps):
        h = (ts[i + 1] - ts[i]).item()
        x = x + f[i] * x * h + math.sqrt(g2[i] * h) * randn(x.shape, generator=g, dtype=torch.float64)
        if i + 1 in checks:
            a, b = proc.alpha(ts[i + 1]).item(), proc.beta(ts[i + 1]).item()
            assert abs(x.mean().item() - a * x0v) < 5 * b / math.sqrt(n) + 0.01 * a * x0v
            assert x.std().item() == pytest.approx(b, rel=5 / math.sqrt(2 * n) + 0.01)


def test_marginal_drifts_prior_and_t_of_sigma():
    p = VP()
    x0 = torch.randn(6, 2)
    eps = torch.randn(6, 2)
    t = torch.full((6,), 0.3)
    torch.testing.assert_close(p.marginal(x0, t, eps), p.alpha(0.3).float() * x0 + p.beta(0.3).float() * eps)
    xt, e = p.sample_marginal(x0, 0.3, make_generator(0))
    torch.testing.assert_close(xt, p.marginal(x0, 0.3, e))
    score = torch.randn(6, 2)
    torch.testing.assert_close(p.reverse_sde_drift(xt, 0.3, score),
                               p.f(0.3).float() * xt - p.g2(0.3).float() * score)
    torch.testing.assert_close(p.pf_ode_drift(xt, 0.3, score),
                               p.f(0.3).float() * xt - 0.5 * p.g2(0.3).float() * score)
    for proc in (VP(), VE(), EDM()):
        t = torch.tensor([0.0, 0.1, 0.5, 0.9], dtype=torch.float64) * proc.T
        torch.testing.assert_close(proc.t_of_sigma(proc.sigma(t)), t, rtol=1e-9, atol=1e-12)
        xT = proc.prior(4000, 2, make_generator(1))
        assert abs(xT.std().item() / proc.beta(proc.T).item() - 1) < 0.05
    assert VE().condition(VE().t_of_sigma(1.0)).item() == pytest.approx(0.0, abs=1e-9)
    assert EDM().condition(math.e**4).item() == pytest.approx(1.0)
    assert VP().condition(0.5).item() == pytest.approx(0.5)


def test_continuous_grids():
    e = EDM()
    g = e.grid(18, spacing="edm")
    i = torch.arange(18, dtype=torch.float64)
    karras = (80 ** (1 / 7) + i / 17 * (0.002 ** (1 / 7) - 80 ** (1 / 7))) ** 7  # Karras et al. eq. 5
    torch.testing.assert_close(g.t[:-1], karras)
    assert g.t[-1] == 0 and g.n_steps == 18
    v = VP()
    gu = v.grid(10)
    assert gu.t[0] == 1.0 and gu.t[-2].item() == pytest.approx(1e-3) and gu.t[-1] == 0
    torch.testing.assert_close(gu.t[:-1], torch.linspace(1, 1e-3, 10, dtype=torch.float64))
    assert v.grid(1).t.tolist() == [1.0, 0.0]
    torch.testing.assert_close(v.grid(4, t_min=0).t, torch.linspace(1, 0, 5, dtype=torch.float64))
    ge = v.grid(12, spacing="edm")
    torch.testing.assert_close(v.sigma(ge.t[-2]), v.sigma(torch.tensor(1e-3, dtype=torch.float64)))
    assert (ge.t[1:] < ge.t[:-1]).all()


def test_edm_sigmas_is_karras_eq_5_and_checks_its_input():
    s = edm_sigmas(18, 0.002, 80.0, 7.0)
    i = torch.arange(18, dtype=torch.float64)
    torch.testing.assert_close(s, (80 ** (1 / 7) + i / 17 * (0.002 ** (1 / 7) - 80 ** (1 / 7))) ** 7)
    assert s[0].item() == pytest.approx(80.0) and s[-1].item() == pytest.approx(0.002)
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        edm_sigmas(1, 0.002, 80.0)
    with pytest.raises(ValueError, match="sigma_min must be < sigma_max"):
        edm_sigmas(5, 80.0, 0.002)
    with pytest.raises(ValueError, match="rho"):
        edm_sigmas(5, 0.002, 80.0, rho=0.0)


def test_process_bad_input():
    with pytest.raises(ValueError, match="sigma_min must be < sigma_max"):
        VE(sigma_min=1.0, sigma_max=1.0)
    with pytest.raises(ValueError, match="sigma_min must be < sigma_max"):
        EDM(sigma_min=5.0, sigma_max=1.0)
    with pytest.raises(ValueError, match="beta_max"):
        VP(beta_min=1.0, beta_max=0.5)
    with pytest.raises(ValueError, match=r"\[0, T"):
        VP().alpha(1.5)
    with pytest.raises(ValueError, match=r"\[0, T"):
        VE().beta(torch.tensor([-0.1, 0.5]))
    with pytest.raises(ValueError, match="NaN"):
        VP().sigma(float("nan"))
    with pytest.raises(TypeError):
        VP().f("0.5")
    with pytest.raises(ValueError, match="sigma must lie"):
        EDM().t_of_sigma(100.0)
    with pytest.raises(ValueError, match="n_steps"):
        VP().grid(0)
    with pytest.raises(ValueError, match="spacing"):
        VP().grid(10, spacing="log")
    with pytest.raises(ValueError, match="t_min"):
        VP().grid(10, t_min=2.0)
    with pytest.raises(ValueError, match="shape"):
        VP().marginal(torch.zeros(3, 2), 0.5, torch.zeros(3, 1))
    with pytest.raises(ValueError, match="shape"):
        VP().marginal(torch.zeros(3, 2), torch.full((4,), 0.5), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="NaN"):
        VP().marginal(torch.full((3, 2), float("inf")), 0.5, torch.zeros(3, 2))
    with pytest.raises(ValueError, match="shape"):
        VP().reverse_sde_drift(torch.zeros(3, 2), 0.5, torch.zeros(3, 3))
    with pytest.raises(TypeError, match="generator"):
        VP().prior(3, 2, generator=0)
    with pytest.raises(ValueError, match="increase"):
        AlphaBetaProcess(lambda t: torch.ones_like(t), lambda t: 1 - t)
    with pytest.raises(TypeError, match="callable"):
        AlphaBetaProcess(1.0, lambda t: t)
    with pytest.raises(ValueError, match="decreasing"):
        Grid(VP(), torch.tensor([0.5, 0.7]))
    with pytest.raises(ValueError, match=r"\[0, T"):
        Grid(VP(), torch.tensor([2.0, 0.0]))
    with pytest.raises(TypeError, match="Process"):
        Grid("VP", torch.tensor([1.0, 0.0]))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_processes_on_cuda():
    x0 = torch.randn(8, 2, device="cuda")
    eps = torch.randn(8, 2, device="cuda")
    t = torch.full((8,), 0.4, device="cuda")
    for proc in (VP(), VE(), EDM()):
        tt = t * proc.T
        assert proc.marginal(x0, tt, eps).device.type == "cuda"
    k = torch.full((8,), 5.0, device="cuda")
    assert DDPMChain("linear", 10).marginal(x0, k, eps).device.type == "cuda"
    with pytest.raises(ValueError, match="one device"):
        VP().marginal(x0, 0.4, eps.cpu())


def test_chain_is_a_process_with_piecewise_vp_coefficients():
    c = DDPMChain("linear", 100)
    assert isinstance(c, Process) and c.T == 100.0
    # on each segment (k-1, k], log alpha is linear: f = log A_k and g^2 = -2 f (alpha^2 + beta^2 = 1)
    k = torch.tensor([0.5, 1.0, 37.25, 100.0], dtype=torch.float64)
    hi = torch.ceil(k).long()
    torch.testing.assert_close(c.f(k), torch.log(c.A[hi]))
    torch.testing.assert_close(c.g2(k), -2 * torch.log(c.A[hi]))
    a, b = c.alpha_beta(k)
    torch.testing.assert_close(a**2 + b**2, torch.ones_like(k))
    # the drift matches a finite difference of alpha inside a segment
    h = 1e-6
    kk = torch.tensor(37.25, dtype=torch.float64)
    fd = (torch.log(c.alpha(kk + h)) - torch.log(c.alpha(kk - h))) / (2 * h)
    assert abs(float(fd) - float(c.f(kk))) < 1e-7
    x, score = torch.randn(5, 2, dtype=torch.float64), torch.randn(5, 2, dtype=torch.float64)
    torch.testing.assert_close(c.reverse_sde_drift(x, kk, score), c.f(kk) * x - c.g2(kk) * score)
    # the grid carries alpha, beta and sigma at its times
    grid = c.grid(10)
    torch.testing.assert_close(grid.sigmas, c.sigma(grid.t))
    torch.testing.assert_close(grid.alphas, c.alpha(grid.t))
