"""Unit tests for the foundation modules: device, input checks, models, training, one-shot loss."""
import math

import pytest
import torch

from course_lib import _checks
from course_lib.device import get_device, make_generator, rand, randn
from course_lib.losses import one_shot_loss
from course_lib import models
from course_lib.models import MLP, TimeMLP, sinusoidal_features
from course_lib.training import TrainResult, train


# --- device -----------------------------------------------------------------
def test_get_device_prefers_cuda_then_mps_then_cpu():
    d = get_device()
    if torch.cuda.is_available():
        assert d.type == "cuda"
    elif torch.backends.mps.is_available():
        assert d.type == "mps"
    else:
        assert d.type == "cpu"
    assert get_device("cpu").type == "cpu"


def test_get_device_rejects_unknown_and_absent(monkeypatch):
    with pytest.raises(ValueError, match="unknown device"):
        get_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="cuda"):
            get_device("cuda")
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert get_device().type == "cpu"


def test_generator_is_seeded_and_noise_reproducible():
    a = randn((3, 2), generator=make_generator(7))
    b = randn((3, 2), generator=make_generator(7))
    c = randn((3, 2), generator=make_generator(8))
    assert torch.equal(a, b) and not torch.equal(a, c)
    u = rand((1000, 1), generator=make_generator(0))
    assert 0 <= u.min() and u.max() < 1
    with pytest.raises(TypeError):
        make_generator("seed")


# --- checks -----------------------------------------------------------------
def test_checks_raise_clear_errors():
    with pytest.raises(TypeError, match="integer"):
        _checks.check_positive_int("steps", 2.5)
    with pytest.raises(ValueError, match="steps must be an integer >= 1, got 0"):
        _checks.check_positive_int("steps", 0)
    with pytest.raises(ValueError, match="finite"):
        _checks.check_positive_float("lr", math.inf)
    with pytest.raises(ValueError, match="shape \\(n, d\\)"):
        _checks.check_points("x", torch.zeros(3))
    with pytest.raises(ValueError, match="2 column"):
        _checks.check_points("x", torch.zeros(3, 3), dim=2)
    with pytest.raises(TypeError, match="floating"):
        _checks.check_points("x", torch.zeros(3, 2, dtype=torch.int64))
    with pytest.raises(ValueError, match="NaN"):
        _checks.check_points("x", torch.tensor([[0.0, float("nan")]]))
    with pytest.raises(ValueError, match="unknown schedule"):
        _checks.check_choice("schedule", "cosin", {"cosine", "linear"})
    with pytest.raises(TypeError, match="generator"):
        _checks.check_generator(42)
    with pytest.raises(ValueError, match="\\[0, 1\\]"):
        _checks.check_probability("p", 1.5)


# --- models -----------------------------------------------------------------
def test_mlp_and_timemlp_shapes_and_errors():
    x = torch.randn(5, 2)
    assert MLP(2)(x).shape == (5, 2)
    net = TimeMLP(2, hidden=16, depth=2, n_features=8)
    assert net(x, 0.5).shape == (5, 2)
    assert net(x, torch.rand(5)).shape == (5, 2)
    assert net(x, torch.rand(5, 1)).shape == (5, 2)
    with pytest.raises(ValueError, match="2 column"):
        net(torch.randn(5, 3), 0.5)
    with pytest.raises(ValueError, match="shape"):
        net(x, torch.rand(4))
    with pytest.raises(ValueError, match="even"):
        TimeMLP(2, n_features=7)
    with pytest.raises(ValueError):
        MLP(0)


def test_large_batches_are_evaluated_in_chunks_with_the_same_result():
    # width 4096 -> chunks of 2**21 // 4096 = 512 rows, raised to the minimum of 1,024: 2,500 rows = 3 chunks
    torch.manual_seed(0)
    x, c = torch.randn(2500, 2), torch.rand(2500)
    for net, call in ((TimeMLP(2, hidden=4096, depth=1), lambda m: m(x, c)), (MLP(2, hidden=4096, depth=1), lambda m: m(x))):
        whole = call(net)                       # autograd on: one pass
        assert whole.requires_grad
        with torch.no_grad():
            chunked = call(net)                 # inference on a CPU: three chunks
        assert chunked.shape == whole.shape
        torch.testing.assert_close(chunked, whole.detach(), rtol=1e-5, atol=1e-6)
    h = torch.randn(2500, 3)
    seen = []
    seq = torch.nn.Sequential(torch.nn.Linear(3, 2))
    seq[0].register_forward_hook(lambda m, i, o: seen.append(i[0].shape[0]))
    with torch.no_grad():
        models._evaluate(seq, h, 4096)
    assert seen == [1024, 1024, 452]


def test_inference_with_in_place_activations_is_bitwise_the_same():
    # without autograd the activations overwrite the Linear layers' outputs: the same numbers,
    # and the input is left alone (also when the first layer is an activation)
    torch.manual_seed(0)
    x, c = torch.randn(3000, 2), torch.rand(3000)
    for net, call in ((TimeMLP(2, hidden=32, depth=3), lambda m: m(x, c)), (MLP(2, hidden=32, depth=2), lambda m: m(x))):
        with torch.no_grad():
            fast = call(net)
            plain = torch.cat([net.net(h) for h in ([torch.cat([x, c[:, None], sinusoidal_features(c, 16)], 1)]
                                                    if isinstance(net, TimeMLP) else [x])])
        assert torch.equal(fast, plain)
    seq = torch.nn.Sequential(torch.nn.SiLU(), torch.nn.Linear(2, 4), torch.nn.SiLU(), torch.nn.Linear(4, 2))
    h = torch.randn(10, 2)
    before = h.clone()
    with torch.no_grad():
        out = models._evaluate(seq, h, 4)
        assert torch.equal(out, seq(h))
    assert torch.equal(h, before)


def test_sinusoidal_features_distinguish_times():
    f = sinusoidal_features(torch.tensor([0.0, 0.01, 0.5, 1.0]), 16)
    assert f.shape == (4, 16)
    # nearby inputs give nearby features, distant ones distant features
    assert (f[0] - f[1]).norm() < (f[0] - f[2]).norm()


# --- training ---------------------------------------------------------------
def _line_data(n=256):
    g = make_generator(0)
    t = torch.rand(n, 1, generator=g)
    return torch.cat([t, 2 * t], dim=1)


def test_train_reduces_loss_and_is_seeded():
    data = _line_data()
    loss = one_shot_loss(0.9)
    torch.manual_seed(0)
    r1 = train(MLP(2, hidden=32, depth=2), loss, data, steps=300, batch_size=64, seed=3, device="cpu")
    torch.manual_seed(0)
    r2 = train(MLP(2, hidden=32, depth=2), loss, data, steps=300, batch_size=64, seed=3, device="cpu")
    assert isinstance(r1, TrainResult)
    assert r1.losses == r2.losses  # same seed, same run
    first, last = sum(r1.losses[:30]) / 30, sum(r1.losses[-30:]) / 30
    assert last < 0.5 * first


def test_train_learning_rate_schedule():
    data = _line_data(64)
    r = train(MLP(2, hidden=8, depth=1), one_shot_loss(0.5), data, steps=50, lr=1e-2, device="cpu")
    assert len(r.lrs) == 50 and r.lrs[0] == pytest.approx(1e-2)
    assert all(a >= b for a, b in zip(r.lrs, r.lrs[1:]))          # cosine: never increases
    assert r.lrs[-1] == pytest.approx(1e-3 + 0.5 * 9e-3 * (1 + math.cos(math.pi * 49 / 50)))
    r0 = train(MLP(2, hidden=8, depth=1), one_shot_loss(0.5), data, steps=50, lr=1e-2, final_lr=0.0, device="cpu")
    assert r0.lrs[-1] == pytest.approx(0.5e-2 * (1 + math.cos(math.pi * 49 / 50))) and r0.lrs[-1] < 1e-4
    with pytest.raises(ValueError, match="final_lr"):
        train(MLP(2), one_shot_loss(0.5), data, final_lr=1.5)


def test_train_ema_is_the_moving_average_of_the_weights():
    data = _line_data(64)
    net = MLP(2, hidden=8, depth=1)
    start = [p.detach().clone() for p in net.parameters()]
    r = train(net, one_shot_loss(0.5), data, steps=1, ema_decay=0.9, device="cpu")
    for p0, p, p_ema in zip(start, r.model.parameters(), r.ema.parameters()):
        assert not torch.equal(p, p0)                                   # the step moved the weights
        torch.testing.assert_close(p_ema, p0 + 0.1 * (p.detach() - p0))  # ema = 0.9 start + 0.1 new
    r0 = train(MLP(2, hidden=8, depth=1), one_shot_loss(0.5), data, steps=3, ema_decay=0.0, device="cpu")
    for p, p_ema in zip(r0.model.parameters(), r0.ema.parameters()):
        torch.testing.assert_close(p_ema, p.detach())                   # decay 0: the EMA is the model


def test_train_ema_and_bad_input():
    data = _line_data(64)
    r = train(MLP(2, hidden=8, depth=1), one_shot_loss(0.5), data, steps=20, ema_decay=0.9, device="cpu")
    assert r.ema is not None and r.best is r.ema
    with pytest.raises(TypeError, match="nn.Module"):
        train(lambda x: x, one_shot_loss(0.5), data)
    with pytest.raises(ValueError, match="steps"):
        train(MLP(2), one_shot_loss(0.5), data, steps=0)
    with pytest.raises(ValueError, match="shape"):
        train(MLP(2), one_shot_loss(0.5), data[:, 0])
    with pytest.raises(ValueError, match="scalar"):
        train(MLP(2), lambda m, x, g: (m(x) - x) ** 2, data, steps=1, device="cpu")


# --- one-shot loss ----------------------------------------------------------
def test_one_shot_loss_targets_and_validation():
    x0 = torch.randn(4096, 2, generator=make_generator(123))  # independent of the loss noise
    identity = torch.nn.Identity()
    # target eps with alpha -> 0: predicting x_T itself is nearly optimal
    val = one_shot_loss(1e-3, target="eps")(identity, x0, make_generator(0))
    assert val.item() < 0.01
    # target x0, perfect-signal limit: identity's loss equals beta^2 * d + (alpha - 1)^2 E|x0|^2
    alpha = 0.6
    val = one_shot_loss(alpha)(identity, x0, make_generator(0)).item()
    expected = (1 - alpha**2) * 2 + (alpha - 1) ** 2 * 2
    assert abs(val - expected) < 0.1
    for bad in (0.0, 1.0, -0.5):
        with pytest.raises(ValueError):
            one_shot_loss(bad)
    with pytest.raises(ValueError, match="target"):
        one_shot_loss(0.1, target="score")
