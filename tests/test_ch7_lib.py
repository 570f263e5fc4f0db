"""Chapter 7's library parts: the U-Net, classifier-free guidance, rectified flow."""
import math

import pytest
import torch

from course_lib import make_generator
from course_lib.device import randn
from course_lib.distributions import GaussianMixture, Uniform01
from course_lib.flow import (RectifiedFlow, VelocityDenoiser, denoiser_from_velocity, fm_euler, fm_loss,
                             make_fm_recipe, velocity_from_denoiser)
from course_lib.guidance import ClassEDMPrecond, class_edm_loss, guided_denoiser, pack_labels, unpack_labels
from course_lib.models import TimeMLP, UNet
from course_lib.samplers import ddim


def test_unet_shapes_and_labels():
    net = UNet(channels=8, num_classes=10)
    x = torch.randn(5, 64)
    assert net(x, torch.zeros(5)).shape == (5, 64)
    out_none = net(x, 0.3)
    out_null = net(x, 0.3, torch.full((5,), 10))
    assert torch.allclose(out_none, out_null, atol=1e-6)      # no label = the "no class" label
    assert not torch.allclose(net(x, 0.3, torch.arange(5)), out_none)
    with pytest.raises(ValueError, match="labels y"):
        net(x, 0.3, torch.full((5,), 11))
    with pytest.raises(ValueError, match="no class embedding"):
        UNet(channels=8)(x, 0.3, torch.zeros(5))
    with pytest.raises(ValueError, match="side must be even"):
        UNet(side=7)
    with pytest.raises(ValueError, match="x"):
        net(torch.randn(5, 63), 0.3)
    with pytest.raises(ValueError, match="c must be"):
        net(x, torch.zeros(4))


def test_pack_unpack_labels():
    x, y = torch.randn(4, 3), torch.tensor([0, 3, 9, 2])
    x2, y2 = unpack_labels(pack_labels(x, y))
    assert torch.equal(x2, x) and torch.equal(y2, y)
    with pytest.raises(ValueError, match="labels"):
        pack_labels(x, torch.tensor([0.5, 1, 2, 3]))


def test_guided_denoiser_is_the_affine_combination():
    model = ClassEDMPrecond(UNet(channels=8, num_classes=10), sigma_data=0.5)
    x, t, y = torch.randn(6, 64), torch.full((6,), 0.7), torch.arange(6)
    with torch.no_grad():
        d0, d1 = model(x, t, None), model(x, t, y)
        for w in [0.0, 1.0, 3.0]:
            assert torch.allclose(guided_denoiser(model, y, w)(x, t), d0 + w * (d1 - d0), atol=1e-5)
    with pytest.raises(ValueError, match="w"):
        guided_denoiser(model, y, -1.0)


def test_cfg_on_a_gaussian_sharpens_the_conditional():
    """For p(x|y) = N(m_y, 1) (y = 0, 1 equally likely) the guided denoiser is the denoiser of the
    tilted density p(x|y)^w p(x)^(1-w) (eq. eq-cfg): its score is w score_c + (1 - w) score_u."""
    mix = GaussianMixture([0.5, 0.5], [[-1.0], [1.0]], 0.5)
    comp = [GaussianMixture([1.0], [[m]], 0.5) for m in (-1.0, 1.0)]

    def model(x, t, y):
        if y is None:
            return mix.denoiser(x, 1.0, t)
        out = torch.where(y[:, None] == 1, comp[1].denoiser(x, 1.0, t), comp[0].denoiser(x, 1.0, t))
        return torch.where(y[:, None] == 2, mix.denoiser(x, 1.0, t), out)    # label 2 = "no class"

    model.num_classes = 2

    x, sig, w = torch.linspace(-3, 3, 50, dtype=torch.float64)[:, None], 0.8, 2.5
    D = guided_denoiser(model, torch.ones(50, dtype=torch.long), w)(x, torch.full((50,), sig, dtype=torch.float64))
    score = lambda d: (d - x) / sig**2
    s_tilted = w * comp[1].score(x, 1.0, sig) + (1 - w) * mix.score(x, 1.0, sig)
    assert torch.allclose(score(D), s_tilted, atol=1e-9)


def test_class_edm_loss_runs_and_drops_labels():
    model = ClassEDMPrecond(UNet(channels=8, num_classes=10), sigma_data=0.5)
    seen = []
    orig = model.forward
    model.forward = lambda x, t, y=None: (seen.append(y.clone()), orig(x, t, y))[1]
    data = pack_labels(torch.randn(400, 64), torch.arange(400) % 10)
    loss = class_edm_loss(10, p_uncond=0.25)(model, data, make_generator(0))
    assert loss.ndim == 0 and torch.isfinite(loss)
    frac = float((seen[0] == 10).double().mean())
    assert abs(frac - 0.25) < 0.08
    with pytest.raises(ValueError, match="p_uncond"):
        class_edm_loss(10, p_uncond=1.5)


def test_class_edm_loss_keeps_sigma_within_the_process():
    # ln sigma ~ N(P_mean, P_std^2) reaches beyond EDM's sigma_max = 80 about once in 6e5 draws (a long
    # training run); like edm_loss, the labelled loss clamps sigma there instead of failing the range check
    model = ClassEDMPrecond(UNet(channels=8, num_classes=10), sigma_data=0.5)
    data = pack_labels(torch.randn(64, 64), torch.arange(64) % 10)
    loss = class_edm_loss(10, P_mean=6.0, P_std=0.5)(model, data, make_generator(0))   # sigma ~ 400
    assert loss.ndim == 0 and torch.isfinite(loss)


def test_rectified_flow_coefficients():
    rf = RectifiedFlow()
    t = torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64)
    assert torch.allclose(rf.alpha(t), 1 - t) and torch.allclose(rf.beta(t), t)
    assert torch.allclose(rf.sigma(t), t / (1 - t))
    assert torch.allclose(rf.t_of_sigma(rf.sigma(t)), t)
    assert float(rf.beta(1.0)) == 1.0 and float(rf.alpha(1.0)) == 0.0


def test_velocity_denoiser_roundtrip_and_target():
    g = make_generator(0)
    x0, eps = randn((100, 2), generator=g), randn((100, 2), generator=g)
    t = torch.rand(100, generator=g) * 0.98 + 0.01
    x = RectifiedFlow().marginal(x0, t, eps)
    v = velocity_from_denoiser(x, x0, t)                    # with the true x0, v is the true velocity
    assert torch.allclose(v, eps - x0, atol=1e-4)
    assert torch.allclose(denoiser_from_velocity(x, v, t), x0, atol=1e-5)
    with pytest.raises(ValueError, match="t must be > 0"):
        velocity_from_denoiser(x, x0, 0.0)
    model = VelocityDenoiser(TimeMLP(2, hidden=16, depth=2))
    with torch.no_grad():
        assert torch.allclose(model(x, t), x - t[:, None] * model.velocity(x, t), atol=1e-6)
    with pytest.raises(TypeError, match="RectifiedFlow"):
        from course_lib.processes import EDM
        VelocityDenoiser(TimeMLP(2), EDM())


def test_fm_loss_equals_weighted_denoiser_loss():
    """||v_hat - (eps - x0)||^2 = ||D - x0||^2 / t^2 (eq. eq-fm-velocity)."""
    model = VelocityDenoiser(TimeMLP(1, hidden=16, depth=2))
    x0 = Uniform01().sample(256, make_generator(1))
    loss = fm_loss()(model, x0, make_generator(2))
    g = make_generator(2)
    t = torch.rand(256, generator=g)
    eps = torch.randn(256, 1, generator=g)
    x = (1 - t[:, None]) * x0 + t[:, None] * eps
    manual = (((model(x, t) - x0) ** 2).sum(1) / t**2).mean()
    assert torch.allclose(loss, manual, rtol=1e-3)


def test_fm_euler_equals_ddim_and_is_exact_on_a_gaussian():
    rf = RectifiedFlow()
    gauss = GaussianMixture([1.0], [[0.3]], 0.5)
    D = rf.exact_denoiser(gauss)
    z = randn((4000, 1), generator=make_generator(3), dtype=torch.float64)
    grid = rf.grid(50, "uniform", t_min=0.0)
    x_fm = fm_euler(D, z.clone(), grid)
    assert torch.allclose(x_fm, ddim(D, z.clone(), grid), atol=1e-10)
    assert abs(float(x_fm.mean()) - 0.3) < 0.03 and abs(float(x_fm.std()) - 0.5) < 0.03
    with pytest.raises(TypeError, match="RectifiedFlow"):
        from course_lib.processes import EDM
        fm_euler(D, z, EDM().grid(5))


def test_make_fm_recipe_samples():
    r = make_fm_recipe(1, hidden=16, depth=2)
    x, info = r.sample(torch.randn(10, 1), 4)
    assert x.shape == (10, 1) and info.nfe == 4


def test_make_fm_recipe_is_seeded_and_leaves_the_global_rng_alone():
    """Like make_recipe: the initial weights follow ``seed`` (Chapter 7's sweeps are reproducible in a
    fresh kernel, whose global RNG torch seeds at random), and the caller's global RNG is not consumed."""
    weights = lambda r: torch.cat([p.detach().flatten() for p in r.model.parameters()])
    state = torch.random.get_rng_state()
    a, b, c = (make_fm_recipe(2, hidden=16, depth=2, seed=s) for s in (3, 3, 4))
    assert torch.equal(torch.random.get_rng_state(), state)
    assert torch.equal(weights(a), weights(b))
    assert not torch.equal(weights(a), weights(c))


def test_guided_denoiser_unchecked_path_is_the_checked_one():
    """edm_heun calls the guided denoiser through its unchecked path: the same samples, bit for bit."""
    from course_lib.device import make_generator
    from course_lib.processes import EDM
    from course_lib.samplers import edm_heun

    torch.manual_seed(0)
    model = ClassEDMPrecond(UNet(channels=8, num_classes=10), sigma_data=0.5).eval()
    y = torch.arange(4)
    x = 80.0 * torch.randn(4, 64, generator=make_generator(1))
    grid = EDM().grid(4, spacing="edm")
    with torch.no_grad():
        for w in (0.0, 2.0):
            D = guided_denoiser(model, y, w)
            assert hasattr(D, "_unchecked")
            fast = edm_heun(D, x, grid)
            checked = edm_heun(lambda x, t, D=D: D(x, t), x, grid)
            assert torch.equal(fast, checked)
