"""course_lib.recipes: the four recipes, the NFE sweep and the denoiser-error probe."""
import math

import pytest
import torch

from course_lib.distributions import Uniform01
from course_lib.device import make_generator
from course_lib.recipes import (RECIPE_NAMES, Recipe, denoiser_error, make_recipe, nfe_sweep, sigma_range,
                                    train_recipe)
from course_lib.metrics import wasserstein_1d
from course_lib.denoisers import EDMPrecond, EpsDenoiser, ScoreDenoiser
from course_lib.processes import EDM, VE, VP, DDPMChain


def test_make_recipe_builds_the_table_columns():
    kinds = {"DDPM": (DDPMChain, EpsDenoiser, "ddim", 1), "VP": (VP, EpsDenoiser, "pf_ode_euler", 1),
             "VE": (VE, ScoreDenoiser, "edm_euler", 1), "EDM": (EDM, EDMPrecond, "edm_heun", 2)}
    for name in RECIPE_NAMES:
        r = make_recipe(name, 2, hidden=16, depth=1)
        proc, wrapper, sampler, per_step = kinds[name]
        assert isinstance(r.process, proc) and isinstance(r.model, wrapper)
        assert r.sampler.__name__ == sampler and r.nfe_per_step == per_step
        x0 = torch.rand(8, 2)
        assert torch.isfinite(r.loss(r.model, x0, make_generator(0)))


def test_steps_and_nfe():
    heun, euler = make_recipe("EDM", 1), make_recipe("VP", 1)
    assert [heun.steps_for_nfe(k) for k in (1, 3, 4, 35)] == [1, 2, 2, 18]
    assert heun.steps_for_nfe(35) == 18 and euler.steps_for_nfe(7) == 7


def test_prior_std():
    assert make_recipe("EDM", 1).prior_std == pytest.approx(80.0)
    assert make_recipe("VE", 1).prior_std == pytest.approx(50.0, rel=1e-6)
    assert make_recipe("VP", 1).prior_std == pytest.approx(1.0, abs=1e-3)


def test_sweep_with_exact_denoisers_counts_nfe_and_converges():
    recipes = {name: make_recipe(name, 1, hidden=8, depth=1) for name in RECIPE_NAMES}
    ref = Uniform01().sample(4000, make_generator(1))
    exact = {k: Uniform01().denoiser_for(r.process) for k, r in recipes.items()}
    res = nfe_sweep(recipes, lambda x: wasserstein_1d(x, ref), [3, 63], n=4000, seed=0, denoisers=exact,
                    keep_samples=True)
    assert res.nfe["EDM"] == [3, 63] and res.nfe["VP"] == [3, 63] and res.nfe["DDPM"] == [3, 63]
    for name in RECIPE_NAMES:
        assert res.error_at(name, 63) < 0.5 * res.error_at(name, 3)   # more steps, much better
        assert res.error_at(name, 63) < 0.03                           # W1 floor at n=4000 is ~0.008
        assert res.samples[name][0].shape == (4000, 1)


def test_sweep_same_noise_gives_same_result():
    recipes = {"EDM": make_recipe("EDM", 1, hidden=8, depth=1)}
    exact = {"EDM": Uniform01().denoiser_for(recipes["EDM"].process)}
    a = nfe_sweep(recipes, lambda x: float(x.mean()), [5], n=200, seed=3, denoisers=exact)
    b = nfe_sweep(recipes, lambda x: float(x.mean()), [5], n=200, seed=3, denoisers=exact)
    assert a.errors == b.errors


def test_train_recipe_replaces_model_by_ema():
    r = make_recipe("EDM", 1, hidden=8, depth=1)
    net_before = r.model
    res = train_recipe(r, Uniform01().sample(256, make_generator(0)), steps=5, batch_size=32, ema_decay=0.9, progress=False,
                       device="cpu")
    assert r.model is res.ema and r.model is not net_before and len(res.losses) == 5


def test_denoiser_error_is_zero_for_the_exact_denoiser_and_not_for_a_fresh_net():
    for name in RECIPE_NAMES:
        r = make_recipe(name, 1, hidden=8, depth=1)
        lo, hi = sigma_range(r.process)
        sig = [max(lo, 0.05), 1.0, min(hi, 20.0)]
        fresh = denoiser_error(r, Uniform01(), sig, n=500)
        r.model = Uniform01().denoiser_for(r.process)
        exact = denoiser_error(r, Uniform01(), sig, n=500)
        assert exact.max() < 1e-3, (name, exact)
        assert fresh.max() > 0.05, (name, fresh)


def test_bad_input():
    with pytest.raises(ValueError):
        make_recipe("DDIM", 1)
    with pytest.raises(TypeError):
        make_recipe(3, 1)
    with pytest.raises(ValueError):
        make_recipe("EDM", 0)
    with pytest.raises(ValueError):
        make_recipe("EDM", 1, edm_sigma_max=0.001)
    r = make_recipe("EDM", 1, hidden=8, depth=1)
    with pytest.raises(ValueError):
        r.steps_for_nfe(0)
    with pytest.raises(TypeError):
        nfe_sweep([r], lambda x: 0.0, [3])
    with pytest.raises(ValueError):
        nfe_sweep({"EDM": r}, lambda x: 0.0, [])
    with pytest.raises(TypeError):
        nfe_sweep({"EDM": r}, "w1", [3])
    with pytest.raises(TypeError):
        train_recipe("EDM", Uniform01().sample(10))
    with pytest.raises(ValueError):
        denoiser_error(r, Uniform01(), [100.0])          # above EDM's sigma_max = 80
    with pytest.raises(ValueError):
        denoiser_error(r, Uniform01(), [-1.0])
    with pytest.raises(TypeError):
        denoiser_error(r, "uniform", [1.0])
