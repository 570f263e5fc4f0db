"""Every sampler checked against the truth, with exact denoisers (no network).

* Convergence order: on the deterministic PF-ODE map from a fixed x_T, the error against a
  tight-tolerance RK45 reference falls like h (Euler) and h^2 (Heun): log-log slopes ~1 and ~2.
* Distributions: with the exact denoiser of a 1D and a 2D Gaussian mixture, the stochastic
  samplers' distribution error at enough steps lies in the noise-floor band
  (floor.mean + 4 floor.std, floor = the metric between two independent true samples of the
  same size; n stated below). Deterministic samplers are compared point by point with the
  reference ODE solution from the same x_T (mean |x - x_ref| well below the floor), and the
  reference itself lies in the band. W1(y, truth) <= mean|y - x_ref| + W1(x_ref, truth).
* Known result (seed 000): exact-score reverse SDE, VP, 1000 steps, from N(0, 1) to N(5, 2^2).
"""
import math

import pytest
import torch

from course_lib.device import make_generator, randn
from course_lib.distributions import Gaussian, GaussianMixture
from course_lib.metrics import noise_floor, sliced_wasserstein, wasserstein_1d
from course_lib.processes import EDM, VE, VP, DDPMChain
from course_lib.samplers import (ddim, ddpm_ancestral, edm_euler, edm_heun, euler_maruyama, pf_ode_euler, pf_ode_heun,
                                 pf_ode_rk45, predictor_corrector, x0_renoise)

torch.set_num_threads(1)

MIX1 = GaussianMixture([0.4, 0.6], [[-1.0], [1.5]], [0.3, 0.5])
MIX2 = GaussianMixture([0.3, 0.5, 0.2], [[-1.0, 0.0], [1.0, 0.5], [0.0, -1.2]], [0.3, 0.2, 0.4])


def _sw(a, b):
    return sliced_wasserstein(a, b, 64, make_generator(5))  # the same 64 directions every time


CASES = {"1d": (MIX1, 8000, wasserstein_1d), "2d": (MIX2, 4000, _sw)}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    dist, n, metric = CASES[request.param]
    floor = noise_floor(metric, dist, n, repeats=8, generator=make_generator(99))
    truth = dist.sample(n, make_generator(1))
    return dict(dist=dist, n=n, metric=metric, floor=floor, band=floor.mean + 4 * floor.std, truth=truth)


def _x_T(dist, proc, n, seed):
    """A sample of the exact marginal at t = T (so that no prior mismatch enters)."""
    g = make_generator(seed)
    x0 = dist.sample(n, g)
    return proc.marginal(x0, proc.T, randn(x0.shape, generator=g))


# --- convergence order -------------------------------------------------------------------------
def _slope(steps, errs):
    x = torch.log(torch.tensor(steps, dtype=torch.float64))
    y = torch.log(torch.tensor(errs, dtype=torch.float64))
    return -float(((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum())


@pytest.mark.parametrize("proc, spacing, euler, heun", [
    (VP(), "uniform", pf_ode_euler, pf_ode_heun),
    (VE(), "edm", edm_euler, edm_heun),
], ids=["VP-pf_ode", "VE-edm"])
def test_convergence_order_euler_1_heun_2(proc, spacing, euler, heun):
    D = MIX2.denoiser_for(proc)
    x = _x_T(MIX2, proc, 400, seed=0).double()
    ref = pf_ode_rk45(D, x, proc.grid(2, spacing), rtol=1e-10, atol=1e-10)
    steps = [16, 32, 64, 128]
    e_euler = [(euler(D, x, proc.grid(s, spacing)) - ref).norm(dim=1).mean().item() for s in steps]
    e_heun = [(heun(D, x, proc.grid(s, spacing)) - ref).norm(dim=1).mean().item() for s in steps]
    assert 0.85 < _slope(steps, e_euler) < 1.25, e_euler
    assert 1.75 < _slope(steps, e_heun) < 2.4, e_heun
    assert e_heun[-1] < 1e-3 < e_euler[-1]


# --- distributions -------------------------------------------------------------------------------
STOCHASTIC = [
    ("ancestral-beta", DDPMChain("linear", 1000), lambda p: p.grid(200), ddpm_ancestral, dict(variance="beta")),
    ("ancestral-posterior", DDPMChain("cosine", 1000), lambda p: p.grid(200), ddpm_ancestral,
     dict(variance="posterior")),
    ("ddim-eta-0.5", VP(), lambda p: p.grid(200, "edm"), ddim, dict(eta=0.5)),
    ("euler_maruyama-VP", VP(), lambda p: p.grid(200, "edm"), euler_maruyama, {}),
    ("euler_maruyama-VE", VE(), lambda p: p.grid(200, "edm"), euler_maruyama, {}),
    ("predictor_corrector-VE", VE(), lambda p: p.grid(100, "edm"), predictor_corrector, {}),
    ("edm_heun-churn", EDM(), lambda p: p.grid(64, "edm"), edm_heun, dict(S_churn=20.0)),
]


@pytest.mark.parametrize("name, proc, grid_of, sampler, opts", STOCHASTIC, ids=[s[0] for s in STOCHASTIC])
def test_stochastic_samplers_reach_the_noise_floor(case, name, proc, grid_of, sampler, opts):
    x = _x_T(case["dist"], proc, case["n"], seed=2)
    y = sampler(case["dist"].denoiser_for(proc), x, grid_of(proc), generator=make_generator(3), **opts)
    err = case["metric"](y, case["truth"])
    assert err < case["band"], f"{name}: error {err:.4g} vs {case['floor']}"


DETERMINISTIC = [
    ("ddim-VP", VP(), lambda p: p.grid(500, "edm"), ddim),
    ("pf_ode_euler-VP", VP(), lambda p: p.grid(500, "edm"), pf_ode_euler),
    ("pf_ode_heun-VP", VP(), lambda p: p.grid(40, "edm"), pf_ode_heun),
    ("edm_euler-EDM", EDM(), lambda p: p.grid(500, "edm"), edm_euler),
    ("edm_heun-EDM", EDM(), lambda p: p.grid(40, "edm"), edm_heun),
    ("edm_heun-VP", VP(), lambda p: p.grid(40, "edm"), edm_heun),
]


@pytest.mark.parametrize("name, proc, grid_of, sampler", DETERMINISTIC, ids=[s[0] for s in DETERMINISTIC])
def test_deterministic_samplers_match_the_ode_solution(case, name, proc, grid_of, sampler):
    dist, n = case["dist"], min(case["n"], 2000)
    D = dist.denoiser_for(proc)
    x = _x_T(dist, proc, n, seed=4)
    grid = grid_of(proc)
    ref = pf_ode_rk45(D, x.double(), grid, rtol=1e-7, atol=1e-7).float()
    y = sampler(D, x, grid)
    map_err = (y - ref).norm(dim=1).mean().item()
    assert map_err < 0.25 * case["floor"].mean, f"{name}: mean |x - x_ref| = {map_err:.3g} vs {case['floor']}"


def test_ddim_on_the_chain_approaches_its_fine_grid_limit(case):
    """Deterministic DDIM on the discrete chain: 250 of the 1000 steps vs all 1000, same x_N."""
    dist, proc = case["dist"], DDPMChain("linear", 1000)
    D = dist.denoiser_for(proc)
    x = _x_T(dist, proc, 2000, seed=5)
    ref = ddim(D, x, proc.grid(1000))
    errs = [(ddim(D, x, proc.grid(s)) - ref).norm(dim=1).mean().item() for s in (50, 250)]
    assert errs[1] < 0.25 * case["floor"].mean and errs[1] < errs[0] / 3


@pytest.mark.parametrize("proc", [VP(), EDM()], ids=repr)
def test_reference_ode_solution_reaches_the_noise_floor(case, proc):
    x = _x_T(case["dist"], proc, case["n"], seed=6)
    y = pf_ode_rk45(case["dist"].denoiser_for(proc), x, proc.grid(2, "edm"), rtol=1e-5, atol=1e-5)
    assert case["metric"](y, case["truth"]) < case["band"]


def test_x0_renoise_does_not_converge(case):
    """Seed 002's "predict x0, re-noise" loop stays far from the data law however many steps."""
    proc = DDPMChain("linear", 1000)
    x = _x_T(case["dist"], proc, case["n"], seed=7)
    y = x0_renoise(case["dist"].denoiser_for(proc), x, proc.grid(200), generator=make_generator(8))
    assert case["metric"](y, case["truth"]) > 4 * case["floor"].mean


# --- seed 000 ----------------------------------------------------------------------------------
def test_seed000_reverse_sde_from_standard_normal_to_n_5_4(seed=0):
    """VP, 1000 Euler-Maruyama steps with the exact score, x_T ~ N(0, 1): mean ~ 5, std ~ 2.

    Starting from N(0, 1) instead of the exact x_T ~ N(5 alpha_T, ...) shifts the mean by about
    alpha_T * 5 * 2 = 0.07 at most; the sampling error of the mean is 2/sqrt(n) = 0.014."""
    dist, n = Gaussian(5.0, 2.0), 20_000
    proc = VP()
    g = make_generator(seed)
    x = randn((n, 1), generator=g)
    y = euler_maruyama(dist.denoiser_for(proc), x, proc.grid(1000), generator=g)
    se = 2 / math.sqrt(n)
    assert abs(y.mean().item() - 5) < 4 * se + 0.02
    assert abs(y.std().item() - 2) < 4 * 2 / math.sqrt(2 * n) + 0.01
