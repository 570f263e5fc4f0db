"""The bridge to Hugging Face diffusers (von Platen et al.): course_lib's samplers and diffusers'
schedulers, driven by the same exact denoiser of U[0, 1] and the same noise, give the same samples.

diffusers is a test-only dependency (requirements.txt, not pyproject); no weights are downloaded:
the "model" is the exact noise predictor of the toy. Conventions bridged here:

* diffusers' timestep ``t`` is the course's chain index ``k = t + 1`` (its ``alphas_cumprod[t]`` is our
  alpha_{t+1}^2); the step from t = 0 lands on clean data (``set_alpha_to_one``, "final_alpha_cumprod").
* ``DDIMScheduler``'s ``timestep_spacing="trailing"`` is the course's ``chain.grid(n)``; its default
  "leading" spacing is the course grid k = N/n * i + 1 (tested separately).
* ``EulerDiscreteScheduler``/``HeunDiscreteScheduler`` work on x~ = x_t / alpha (EDM's s = 1 frame) and
  feed the network ``x~ / sqrt(sigma^2 + 1)`` (= x_t of the VP chain); with ``use_karras_sigmas`` their
  sigma grid is Karras et al.'s rho = 7 grid between the chain's sigma_1 and sigma_N, i.e. the course's
  ``edm_sigmas`` on the EDM process (t = sigma).
* ``FlowMatchEulerDiscreteScheduler`` (shift = 1) calls our rectified-flow time t its "sigma" and
  takes the velocity eps - x0 as the model output: it is ``course_lib.flow.fm_euler``.
"""
import numpy as np
import pytest
import torch

diffusers = pytest.importorskip("diffusers")
from diffusers import DDIMScheduler, DDPMScheduler, EulerDiscreteScheduler, HeunDiscreteScheduler  # noqa: E402

from course_lib import make_generator  # noqa: E402
from course_lib.device import randn  # noqa: E402
from course_lib.distributions import Uniform01  # noqa: E402
from course_lib.metrics import wasserstein_1d  # noqa: E402
from course_lib.denoisers import eps_from_denoiser  # noqa: E402
from course_lib.grids import Grid, edm_sigmas  # noqa: E402
from course_lib.processes import EDM, DDPMChain  # noqa: E402
from course_lib.samplers import ddim, ddpm_ancestral, edm_euler, edm_heun  # noqa: E402

N_TRAIN, N_POINTS = 100, 4000
U = Uniform01()
CHAIN = DDPMChain("linear", N=N_TRAIN)
BETAS = CHAIN.B2[1:].numpy()                      # the same step variances B_k^2 for both libraries
EPS = eps_from_denoiser(U.denoiser_for(CHAIN), CHAIN)   # the exact noise predictor eps(x_k, k)


def _z(seed=0):
    return randn((N_POINTS, 1), generator=make_generator(seed))


def _chain_eps(x, t):
    """diffusers calls the network with its timestep t; the course's chain index is k = t + 1."""
    return EPS(x, torch.full((x.shape[0],), float(t) + 1.0))


def test_ddpm_ancestral_equals_DDPMScheduler():
    sched = DDPMScheduler(num_train_timesteps=N_TRAIN, trained_betas=BETAS, variance_type="fixed_small",
                          clip_sample=False, prediction_type="epsilon")
    sched.set_timesteps(N_TRAIN)
    x, g = _z(), make_generator(1)
    for t in sched.timesteps:
        x = sched.step(_chain_eps(x, t), t, x, generator=g).prev_sample
    ours = ddpm_ancestral(U.denoiser_for(CHAIN), _z(), CHAIN.grid(), variance="posterior", generator=make_generator(1))
    diff = float((x - ours).abs().max())
    print(f"DDPM: max |diffusers - course_lib| = {diff:.2e}")
    assert diff < 1e-4          # float32 coefficients in diffusers, float64 in course_lib


@pytest.mark.parametrize("n_steps", [10, 25])
def test_ddim_equals_DDIMScheduler_trailing(n_steps):
    sched = DDIMScheduler(num_train_timesteps=N_TRAIN, trained_betas=BETAS, clip_sample=False, set_alpha_to_one=True,
                          timestep_spacing="trailing", prediction_type="epsilon")
    sched.set_timesteps(n_steps)
    assert torch.equal(torch.as_tensor(sched.timesteps, dtype=torch.float64) + 1, CHAIN.grid(n_steps).t[:-1])
    x = _z()
    for t in sched.timesteps:
        x = sched.step(_chain_eps(x, t), t, x, eta=0.0).prev_sample
    ours = ddim(U.denoiser_for(CHAIN), _z(), CHAIN.grid(n_steps))
    diff = float((x - ours).abs().max())
    print(f"DDIM ({n_steps} steps): max |diffusers - course_lib| = {diff:.2e}")
    assert diff < 1e-4


def test_ddim_default_leading_spacing():
    """diffusers' default "leading" spacing visits t = 90, 80, ..., 0, i.e. k = 91, ..., 1: a grid that
    never starts at k = N, although x starts as pure noise. The same grid in course_lib gives the same
    samples. The course's own grid (k = 100, 98, ..., 2, diffusers' "trailing" spacing) is a different
    grid, so exact agreement is impossible: we check instead that both give samples of U[0, 1] to
    within a few noise floors of each other (50 DDIM steps on this toy leave both ~5 floors from U[0, 1])."""
    n_steps = 50
    sched = DDIMScheduler(num_train_timesteps=N_TRAIN, trained_betas=BETAS, clip_sample=False, set_alpha_to_one=True,
                          prediction_type="epsilon")
    sched.set_timesteps(n_steps)
    x = _z()
    for t in sched.timesteps:
        x = sched.step(_chain_eps(x, t), t, x).prev_sample
    k = torch.cat([torch.as_tensor(sched.timesteps, dtype=torch.float64) + 1, torch.zeros(1, dtype=torch.float64)])
    same_grid = ddim(U.denoiser_for(CHAIN), _z(), Grid(CHAIN, k))
    assert float((x - same_grid).abs().max()) < 1e-4
    ours = ddim(U.denoiser_for(CHAIN), _z(), CHAIN.grid(n_steps))
    assert float((x - ours).abs().max()) > 1e-3           # the grids differ, so the samples do
    ref = U.sample(N_POINTS, make_generator(7))
    floor = wasserstein_1d(U.sample(N_POINTS, make_generator(8)), ref)
    w_leading, w_ours = wasserstein_1d(x, ref), wasserstein_1d(ours, ref)
    print(f"DDIM 50 steps, W1 to U[0,1] / noise floor: leading {w_leading / floor:.1f}, trailing {w_ours / floor:.1f}")
    assert wasserstein_1d(x, ours) < 2 * floor and w_leading < 8 * floor and w_ours < 8 * floor


def _karras_run(scheduler_cls, n_steps):
    sched = scheduler_cls(num_train_timesteps=N_TRAIN, trained_betas=BETAS, use_karras_sigmas=True,
                          prediction_type="epsilon")
    sched.set_timesteps(n_steps)
    sig = sched.sigmas.to(torch.float64)
    x = float(sig[0]) * _z()
    for i, t in enumerate(sched.timesteps):
        x_in = sched.scale_model_input(x, t)                  # x~ / sqrt(sigma^2 + 1): the chain's x_k
        s = float(sig[i])
        a, b = 1 / np.sqrt(1 + s**2), s / np.sqrt(1 + s**2)
        eps = (x_in - a * U.denoiser(x_in, a, b)) / b          # the exact eps-model at this noise level
        x = sched.step(eps, t, x).prev_sample
    return x, sig


@pytest.mark.parametrize("scheduler_cls, sampler", [(EulerDiscreteScheduler, edm_euler),
                                                     (HeunDiscreteScheduler, edm_heun)])
def test_edm_samplers_equal_karras_schedulers(scheduler_cls, sampler):
    n_steps = 12
    x, sig = _karras_run(scheduler_cls, n_steps)
    s_min, s_max = float(CHAIN.sigma(1)), float(CHAIN.sigma(N_TRAIN))
    levels = torch.cat([edm_sigmas(n_steps, s_min, s_max, 7.0), torch.zeros(1, dtype=torch.float64)])
    assert torch.allclose(levels, torch.unique_consecutive(sig.flip(0)).flip(0), rtol=1e-5)   # same rho = 7 grid
    edm = EDM(sigma_min=s_min, sigma_max=s_max)
    ours = sampler(U.denoiser_for(edm), float(levels[0]) * _z(), Grid(edm, levels))
    diff = float((x - ours).abs().max())
    print(f"{scheduler_cls.__name__}: max |diffusers - course_lib| = {diff:.2e}")
    assert diff < 1e-4


def test_fm_euler_equals_FlowMatchEulerDiscreteScheduler():
    """diffusers' flow-matching scheduler (shift = 1) uses x_t = (1 - sigma) x0 + sigma eps with its
    "sigma" = our t, steps uniform in t from 1 to 1/N_train, then 0, and x <- x + (t' - t) v: our
    ``fm_euler`` on ``RectifiedFlow().grid(n, "uniform", t_min=1/N_train)``."""
    from diffusers import FlowMatchEulerDiscreteScheduler

    from course_lib.flow import RectifiedFlow, fm_euler, velocity_from_denoiser

    rf, n_steps = RectifiedFlow(), 12
    D = rf.exact_denoiser(U)
    sched = FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=1.0)
    sched.set_timesteps(n_steps)
    grid = rf.grid(n_steps, "uniform", t_min=1 / 1000)
    assert torch.allclose(sched.sigmas.to(torch.float64), grid.t, atol=1e-6)
    x = _z()
    for i, t in enumerate(sched.timesteps):
        s = float(sched.sigmas[i])
        v = velocity_from_denoiser(x, D(x, torch.full((N_POINTS,), s)), s)    # the exact velocity model
        x = sched.step(v, t, x).prev_sample
    ours = fm_euler(D, _z(), grid)
    diff = float((x - ours).abs().max())
    print(f"FlowMatchEulerDiscreteScheduler: max |diffusers - course_lib| = {diff:.2e}")
    assert diff < 1e-4
