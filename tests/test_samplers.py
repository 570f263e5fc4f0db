"""Tests for course_lib.samplers: signature, NFE, algebra, equivalences, bad input.

Distribution-level convergence with exact denoisers is in tests/test_convergence.py.
"""
import math

import pytest
import torch

from course_lib.device import make_generator, randn
from course_lib.grids import Grid
from course_lib.processes import EDM, VE, VP, DDPMChain
from course_lib.samplers import (SAMPLERS, SampleInfo, ddim, ddpm_ancestral, edm_euler, edm_heun, euler_maruyama,
                                 one_shot, pf_ode_euler, pf_ode_heun, pf_ode_rk45, predictor_corrector,
                                 sample_from_prior, x0_renoise)

torch.set_num_threads(1)

def gaussian_denoiser(process, m=1.0, s=0.5):
    """Exact E[x0 | x_t] for data N(m, s^2 I), computed here in closed form."""
    def D(x, t):
        a = process.alpha(t).to(x)[:, None]
        b = process.beta(t).to(x)[:, None]
        return m + a * s**2 / (a**2 * s**2 + b**2) * (x - a * m)
    return D


def expected_nfe(name, n_steps, n_corrector=1):
    if name == "one_shot":
        return 1
    if name in ("pf_ode_heun", "edm_heun"):
        return 2 * n_steps - 1
    if name == "predictor_corrector":
        return (1 + n_corrector) * n_steps
    return n_steps


@pytest.mark.parametrize("name", sorted(SAMPLERS))
@pytest.mark.parametrize("proc", [DDPMChain("linear", 100), VP(), EDM()], ids=repr)
def test_signature_nfe_callback_trajectory_and_seeding(name, proc):
    sampler = SAMPLERS[name]
    grid = proc.grid(10) if isinstance(proc, DDPMChain) else proc.grid(10, spacing="edm")
    D = gaussian_denoiser(proc)
    x = proc.prior(64, 2, make_generator(0))
    seen = []
    y, info = sampler(D, x, grid, generator=make_generator(1), callback=seen.append, return_info=True)
    assert y.shape == x.shape and torch.isfinite(y).all()
    assert isinstance(info, SampleInfo)
    if name != "pf_ode_rk45":
        assert info.nfe == expected_nfe(name, 10)
        n_times = 2 if name == "one_shot" else 11
        assert info.trajectory.shape == (n_times, 64, 2) and len(seen) == n_times - 1
        assert info.times[0] == grid.t[0] and info.times[-1] == 0
        assert set(seen[0]) == {"i", "t", "x", "x0_hat"}
        torch.testing.assert_close(info.trajectory[-1], y)
    else:
        assert info.nfe > 10
    y2 = sampler(D, x, grid, generator=make_generator(1))
    torch.testing.assert_close(y, y2, rtol=0, atol=0)
    assert torch.equal(x, proc.prior(64, 2, make_generator(0)))  # input not modified


def test_ddpm_ancestral_is_ho_et_al_algorithm_2():
    c = DDPMChain("linear", 50)
    D = gaussian_denoiser(c)
    x = c.prior(100, 2, make_generator(0))
    for variance in ("beta", "posterior"):
        y = ddpm_ancestral(D, x, c.grid(), variance=variance, generator=make_generator(7))
        # literal transcription: x_{k-1} = (x_k - B_k^2/beta_k eps_hat)/A_k + sigma_k z (no z at k = 1)
        g = make_generator(7)
        xr = x.clone()
        for k in range(c.N, 0, -1):
            kk = torch.full((100,), float(k))
            eps_hat = (xr - c.alphas[k].item() * D(xr, kk)) / c.betas[k].item()
            xr = (xr - c.B2[k].item() / c.betas[k].item() * eps_hat) / c.A[k].item()
            if k > 1:
                s2 = c.B2[k].item() if variance == "beta" else (c.B2[k] * c.betas[k - 1] ** 2 / c.betas[k] ** 2).item()
                xr = xr + math.sqrt(s2) * randn(xr.shape, generator=g)
        torch.testing.assert_close(y, xr, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("grid_of", [lambda: DDPMChain("linear", 200).grid(), lambda: DDPMChain("cosine", 200).grid(17),
                                     lambda: VP().grid(25), lambda: VE().grid(25, spacing="edm")],
                         ids=["chain", "chain-skip", "VP", "VE"])
def test_ddim_eta1_equals_ancestral_with_posterior_variance(grid_of):
    grid = grid_of()
    D = gaussian_denoiser(grid.process)
    x = grid.process.prior(500, 2, make_generator(0))
    a = ddim(D, x, grid, eta=1.0, generator=make_generator(3))
    b = ddpm_ancestral(D, x, grid, variance="posterior", generator=make_generator(3))
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("grid_of", [lambda: EDM().grid(20, spacing="edm"), lambda: VP().grid(20, spacing="edm"),
                                     lambda: VE().grid(20), lambda: DDPMChain().grid(20)],
                         ids=["EDM", "VP", "VE", "chain"])
def test_ddim_eta0_equals_edm_euler_step(grid_of):
    grid = grid_of()
    D = gaussian_denoiser(grid.process)
    x = grid.process.prior(500, 2, make_generator(0))
    a, ia = ddim(D, x, grid, eta=0.0, return_info=True)
    b, ib = edm_euler(D, x, grid, return_info=True)
    torch.testing.assert_close(ia.trajectory, ib.trajectory, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_edm_heun_is_karras_algorithm_2_with_churn():
    proc = EDM()
    grid = proc.grid(12, spacing="edm")
    D = gaussian_denoiser(proc, m=0.3, s=0.7)
    x = proc.prior(300, 2, make_generator(0))
    opts = dict(S_churn=40.0, S_min=0.05, S_max=50.0, S_noise=1.003)
    y = edm_heun(D, x, grid, generator=make_generator(5), **opts)
    # literal transcription of Karras et al. (2022), Algorithm 2
    g = make_generator(5)
    t = grid.t.tolist()
    N = len(t) - 1
    xi = x.clone()
    for i in range(N):
        gamma = min(opts["S_churn"] / N, math.sqrt(2) - 1) if opts["S_min"] <= t[i] <= opts["S_max"] else 0.0
        t_hat = t[i] + gamma * t[i]
        if gamma > 0:
            xi = xi + math.sqrt(t_hat**2 - t[i] ** 2) * opts["S_noise"] * randn(xi.shape, generator=g)
        d = (xi - D(xi, torch.full((300,), t_hat))) / t_hat
        x_next = xi + (t[i + 1] - t_hat) * d
        if t[i + 1] != 0:
            d2 = (x_next - D(x_next, torch.full((300,), t[i + 1]))) / t[i + 1]
            x_next = xi + (t[i + 1] - t_hat) * (0.5 * d + 0.5 * d2)
        xi = x_next
    torch.testing.assert_close(y, xi, rtol=1e-5, atol=1e-5)


def test_pf_ode_samplers_follow_the_same_ode():
    """Euler, Heun and RK45 on the PF-ODE, and EDM Heun (in sigma), reach the same end point."""
    proc = VP()
    D = gaussian_denoiser(proc)
    x = proc.prior(200, 2, make_generator(0))
    ref = pf_ode_rk45(D, x, proc.grid(2, t_min=1e-3), rtol=1e-8, atol=1e-8)
    heun = pf_ode_heun(D, x, proc.grid(400, spacing="edm"))
    euler = pf_ode_euler(D, x, proc.grid(400, spacing="edm"))
    edmh = edm_heun(D, x, proc.grid(400, spacing="edm"))
    assert (heun - ref).abs().max() < 1e-3
    assert (edmh - ref).abs().max() < 1e-3
    assert 1e-4 < (euler - ref).abs().max() < 5e-2


def test_one_shot_and_x0_renoise():
    proc = VP()
    D = gaussian_denoiser(proc, m=1.0, s=0.5)
    x = proc.prior(4000, 1, make_generator(0))
    y = one_shot(D, x, proc.grid(10))
    torch.testing.assert_close(y, D(x, torch.full((4000,), 1.0)))
    # "predict x0 then re-noise" shrinks the spread: it is not a sampler of the data law
    z = x0_renoise(D, x, proc.grid(200), generator=make_generator(1))
    assert z.std().item() < 0.4  # data std is 0.5


def test_grid_ending_above_zero_adds_a_final_denoising_step():
    proc = VP()
    D = gaussian_denoiser(proc)
    grid = Grid(proc, torch.linspace(1.0, 0.01, 11, dtype=torch.float64))
    x = proc.prior(50, 2, make_generator(0))
    y, info = euler_maruyama(D, x, grid, generator=make_generator(1), return_info=True)
    assert info.nfe == 11 and info.times[-1] == 0
    _, info2 = euler_maruyama(D, x, grid, generator=make_generator(1), return_info=True, denoise_final=False)
    assert info2.nfe == 10


def test_predictor_corrector_counts_corrector_steps():
    proc = VE()
    D = gaussian_denoiser(proc)
    x = proc.prior(50, 2, make_generator(0))
    _, info = predictor_corrector(D, x, proc.grid(8), n_corrector=3, return_info=True, generator=make_generator(1))
    assert info.nfe == 32
    y0 = predictor_corrector(D, x, proc.grid(8), n_corrector=0, generator=make_generator(1))
    y1 = euler_maruyama(D, x, proc.grid(8), generator=make_generator(1))
    torch.testing.assert_close(y0, y1)


def test_bad_input():
    c = DDPMChain("linear", 10)
    grid = c.grid()
    D = gaussian_denoiser(c)
    x = torch.zeros(5, 2)
    with pytest.raises(ValueError, match="variance"):
        ddpm_ancestral(D, x, grid, variance="sigma")
    with pytest.raises(ValueError, match="eta"):
        ddim(D, x, grid, eta=1.5)
    # the chain is a Process (log alpha linear between steps): the SDE/ODE samplers walk it too
    assert torch.isfinite(euler_maruyama(D, x, grid, generator=make_generator(0))).all()
    assert torch.isfinite(pf_ode_heun(D, x, grid)).all()
    with pytest.raises(ValueError, match="NaN"):
        ddim(D, torch.full((5, 2), float("nan")), grid)
    with pytest.raises(TypeError, match="floating"):
        ddim(D, torch.zeros(5, 2, dtype=torch.long), grid)
    with pytest.raises(ValueError, match=r"shape \(n, d\)"):
        ddim(D, torch.zeros(5), grid)
    with pytest.raises(TypeError, match="Grid"):
        ddim(D, x, torch.linspace(10, 0, 11))
    with pytest.raises(TypeError, match="callable"):
        ddim("D", x, grid)
    with pytest.raises(ValueError, match="shaped like x"):
        ddim(lambda x, t: x[:, :1], x, grid)
    with pytest.raises(TypeError, match="generator"):
        ddpm_ancestral(D, x, grid, generator=42)
    with pytest.raises(TypeError, match="callback"):
        ddim(D, x, grid, callback=3)
    with pytest.raises(ValueError, match="n_corrector"):
        predictor_corrector(gaussian_denoiser(VE()), x, VE().grid(4), n_corrector=-1)
    with pytest.raises(ValueError, match="snr"):
        predictor_corrector(gaussian_denoiser(VE()), x, VE().grid(4), snr=0.0)
    with pytest.raises(ValueError, match="S_max"):
        edm_heun(gaussian_denoiser(EDM()), x, EDM().grid(4), S_min=1.0, S_max=0.5)
    with pytest.raises(ValueError, match="rtol"):
        pf_ode_rk45(gaussian_denoiser(VP()), x, VP().grid(4), rtol=-1.0)
    with pytest.raises(TypeError):
        ddim(D, x, grid, unknown_option=1)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_samplers_on_cuda_match_cpu(name):
    proc = VP()
    D = gaussian_denoiser(proc)
    x = proc.prior(64, 2, make_generator(0))
    grid = proc.grid(8)
    y_cpu = SAMPLERS[name](D, x, grid, generator=make_generator(1))
    y_gpu = SAMPLERS[name](D, x.cuda(), grid, generator=make_generator(1))
    assert y_gpu.device.type == "cuda"
    torch.testing.assert_close(y_gpu.cpu(), y_cpu, rtol=1e-4, atol=1e-4)


def test_sample_from_prior_is_prior_then_sampler():
    proc = DDPMChain("linear", 50)
    D = gaussian_denoiser(proc)
    y = sample_from_prior(ddpm_ancestral, D, proc.grid(10), 30, 2, generator=make_generator(3), dtype=torch.float64,
                          variance="posterior")
    g = make_generator(3)
    x = proc.prior(30, 2, generator=g, dtype=torch.float64)
    assert torch.equal(y, ddpm_ancestral(D, x, proc.grid(10), generator=g, variance="posterior"))


def test_samplers_call_the_unchecked_path_with_the_same_result():
    """A network wrapper and an exact denoiser are called through ``_unchecked`` inside the loop:
    the result equals a run through the checked public call, bit for bit."""
    from course_lib.denoisers import EpsDenoiser
    from course_lib.distributions import Gaussian
    from course_lib.models import TimeMLP

    torch.manual_seed(0)
    for proc in (DDPMChain("linear", 50), VP()):
        for D in (EpsDenoiser(TimeMLP(2, hidden=8, depth=1), proc), Gaussian(0.5, 0.7, dim=2).denoiser_for(proc)):
            x = proc.prior(20, 2, make_generator(0))
            grid = proc.grid(8)
            fast = ddpm_ancestral(D, x, grid, generator=make_generator(1))
            checked = ddpm_ancestral(lambda x, t, D=D: D(x, t), x, grid, generator=make_generator(1))
            assert hasattr(D, "_unchecked") and torch.equal(fast, checked)
