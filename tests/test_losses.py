"""Tests for the diffusion losses in course_lib.losses (one_shot_loss is tested in test_foundation.py).

With the exact denoiser of Gaussian data each loss has a known expected value, which the
Monte-Carlo estimate must match; a small network trained on each loss must improve.
"""

import pytest
import torch
from torch import nn

from course_lib.device import make_generator
from course_lib.losses import ddpm_eps_loss, dsm_loss, edm_loss
from course_lib.models import TimeMLP
from course_lib.denoisers import EDMPrecond, EpsDenoiser, ScoreDenoiser
from course_lib.processes import EDM, VE, VP, DDPMChain
from course_lib.training import train

torch.set_num_threads(1)


class ExactGaussian(nn.Module):
    """The exact denoiser of N(0, s^2 I) data for a process (an nn.Module with .eps like the wrappers)."""

    def __init__(self, process, s):
        super().__init__()
        self.process, self.s = process, s

    def _ab(self, x, t):
        return self.process.alpha(t).to(x)[:, None], self.process.beta(t).to(x)[:, None]

    def forward(self, x, t):
        a, b = self._ab(x, t)
        return a * self.s**2 / (a**2 * self.s**2 + b**2) * x

    def eps(self, x, t):
        a, b = self._ab(x, t)
        return b / (a**2 * self.s**2 + b**2) * x


def _mc(loss, model, x0, seeds=range(4)):
    return sum(loss(model, x0, make_generator(s)).item() for s in seeds) / len(seeds)


def test_ddpm_eps_loss_with_exact_denoiser_has_the_minimal_value():
    chain, s, d = DDPMChain("linear", 100), 0.6, 2
    x0 = torch.randn(50_000, d, generator=make_generator(9)) * s
    # E ||eps - E[eps|x_k]||^2 = d * mean_k Var(eps | x_k) = d * mean_k a^2 s^2 / (a^2 s^2 + b^2)
    a2 = chain.alphas[1:] ** 2
    want = d * (a2 * s**2 / (a2 * s**2 + 1 - a2)).mean().item()
    got = _mc(ddpm_eps_loss(chain), ExactGaussian(chain, s), x0)
    assert got == pytest.approx(want, rel=0.03)
    # a wrong predictor (eps_hat = 0) costs d on average: the loss can tell them apart
    assert _mc(ddpm_eps_loss(chain), lambda x, c: torch.zeros_like(x), x0) == pytest.approx(d, rel=0.03)


def test_ddpm_eps_loss_is_seeded_and_trains():
    chain = DDPMChain("linear", 100)
    x0 = torch.randn(2000, 1, generator=make_generator(0)) * 0.5 + 2.0
    loss = ddpm_eps_loss(chain)
    model = EpsDenoiser(TimeMLP(1, hidden=32, depth=2), chain)
    assert loss(model, x0[:64], make_generator(1)).item() == loss(model, x0[:64], make_generator(1)).item()
    res = train(model, loss, x0, steps=200, batch_size=128, lr=3e-3, seed=0, device="cpu", progress=False)
    first, last = sum(res.losses[:20]) / 20, sum(res.losses[-50:]) / 50
    assert last < 0.7 * first


@pytest.mark.parametrize("proc", [VP(), VE()], ids=repr)
def test_dsm_loss_eps_weighting_expected_value(proc):
    s, d, t_min = 0.5, 2, 1e-3
    x0 = torch.randn(50_000, d, generator=make_generator(2)) * s
    t = torch.linspace(t_min, proc.T, 20001, dtype=torch.float64)
    a2, b2 = proc.alpha(t) ** 2, proc.beta(t) ** 2
    want = d * torch.trapezoid(a2 * s**2 / (a2 * s**2 + b2), t).item() / (proc.T - t_min)
    got = _mc(dsm_loss(proc, "eps", t_min=t_min), ExactGaussian(proc, s), x0)
    assert got == pytest.approx(want, rel=0.04)


def test_dsm_loss_weightings():
    proc = VP()
    x0 = torch.randn(20_000, 1, generator=make_generator(3)) * 0.5
    model = ExactGaussian(proc, 0.5)
    # lambda(t) = beta^2 as a callable is the same as "eps"
    a = dsm_loss(proc, "eps")(model, x0, make_generator(4)).item()
    b = dsm_loss(proc, lambda t: proc.beta(t) ** 2)(model, x0, make_generator(4)).item()
    assert a == pytest.approx(b, rel=1e-5)
    # likelihood weighting g^2/beta^2 >= ... is positive and larger (it blows up near t = 0)
    c = dsm_loss(proc, "likelihood")(model, x0, make_generator(4)).item()
    assert c > a > 0


def test_edm_loss_with_exact_denoiser_equals_dimension():
    """With x0 ~ N(0, sigma_data^2 I) and the exact D, lambda(sigma) Var[x0 | x] = 1 per dimension."""
    sd, d = 0.5, 3
    x0 = torch.randn(50_000, d, generator=make_generator(5)) * sd
    got = _mc(edm_loss(sigma_data=sd), ExactGaussian(EDM(), sd), x0)
    assert got == pytest.approx(d, rel=0.02)
    # through EDMPrecond on another process (VP) the loss is still defined and finite
    net = TimeMLP(d, hidden=16, depth=1)
    val = edm_loss(sigma_data=sd)(EDMPrecond(net, sd, process=VP()), x0[:256], make_generator(0))
    assert torch.isfinite(val)


def test_edm_loss_trains_edm_precond():
    g = make_generator(6)  # two blobs: for Gaussian data F = 0 is already optimal
    x0 = torch.sign(torch.randn(2000, 1, generator=g)) * torch.tensor([[0.5, -0.5]]) + 0.05 * torch.randn(2000, 2, generator=g)
    model = EDMPrecond(TimeMLP(2, hidden=32, depth=2), sigma_data=0.5)
    res = train(model, edm_loss(), x0, steps=200, batch_size=128, lr=3e-3, seed=0, device="cpu", progress=False)
    assert sum(res.losses[-50:]) / 50 < sum(res.losses[:20]) / 20


def test_dsm_loss_trains_score_denoiser():
    x0 = torch.randn(2000, 1, generator=make_generator(7)) * 0.5 + 1
    model = ScoreDenoiser(TimeMLP(1, hidden=32, depth=2), VE(sigma_max=5.0))
    res = train(model, dsm_loss(model.process), x0, steps=200, batch_size=128, lr=3e-3, seed=0, device="cpu",
                progress=False)
    assert sum(res.losses[-50:]) / 50 < sum(res.losses[:20]) / 20


def test_bad_input():
    with pytest.raises(TypeError, match="DDPMChain"):
        ddpm_eps_loss(VP())
    with pytest.raises(TypeError, match="Process"):
        dsm_loss(object())
    with pytest.raises(ValueError, match="weighting"):
        dsm_loss(VP(), "snr")
    with pytest.raises(ValueError, match="t_min"):
        dsm_loss(VP(), t_min=0.0)
    with pytest.raises(ValueError, match="t_min"):
        dsm_loss(VP(), t_min=1.5)
    with pytest.raises(ValueError, match="P_std"):
        edm_loss(P_std=-1.0)
    with pytest.raises(TypeError, match="P_mean"):
        edm_loss(P_mean="a")
    loss = dsm_loss(VP(), lambda t: torch.ones(3))
    with pytest.raises(ValueError, match="weighting"):
        loss(ExactGaussian(VP(), 1.0), torch.zeros(5, 1), None)
    chain = DDPMChain("linear", 10)
    model = EpsDenoiser(TimeMLP(2, hidden=8, depth=1), chain)
    with pytest.raises(ValueError, match="column"):
        ddpm_eps_loss(chain)(model, torch.zeros(4, 3), None)  # data dimension does not match the model
    with pytest.raises(ValueError, match="NaN"):
        ddpm_eps_loss(chain)(model, torch.full((4, 2), float("nan")), None)
    with pytest.raises(TypeError, match="generator"):
        ddpm_eps_loss(chain)(model, torch.zeros(4, 2), 5)


def _unchecked_cases():
    chain, vp, ve, edm = DDPMChain("linear", 50), VP(), VE(), EDM()
    net = lambda: TimeMLP(2, hidden=16, depth=2)
    ref = lambda kind, proc, **kw: (lambda m, x0, g: _reference_loss(kind, proc, m, x0, g, **kw))
    w = lambda t: 1 + t
    return [
        ("ddpm, EpsDenoiser", ddpm_eps_loss(chain), EpsDenoiser(net(), chain), ref("ddpm", chain)),
        ("ddpm, bare network", ddpm_eps_loss(chain), net(), ref("ddpm", chain)),
        ("ddpm, exact (has .eps)", ddpm_eps_loss(chain), ExactGaussian(chain, 1.0), ref("ddpm", chain)),
        ("dsm eps, VP", dsm_loss(vp), EpsDenoiser(net(), vp), ref("dsm", vp)),
        ("dsm likelihood, VE score", dsm_loss(ve, weighting="likelihood"), ScoreDenoiser(net(), ve),
         ref("dsm", ve, weighting="likelihood")),
        ("dsm callable, bare network", dsm_loss(vp, weighting=w), net(), ref("dsm", vp, weighting=w)),
        ("edm, EDMPrecond", edm_loss(), EDMPrecond(net(), process=edm), ref("edm", edm)),
        ("edm, EDMPrecond on VP", edm_loss(), EDMPrecond(net(), process=vp), ref("edm", vp)),
        ("edm, bare denoiser", edm_loss(), lambda x, sigma: x / (1 + sigma[:, None] ** 2), ref("edm", None)),
    ]


def _reference_loss(kind, process, model, x0, g, weighting="eps"):
    """The losses written with the public, checked calls (process.marginal, model.eps / model(x, t)),
    drawing the same random numbers in the same order."""
    from course_lib.device import rand, randn
    n = x0.shape[0]
    eps_hat = lambda x, t: model.eps(x, t) if hasattr(model, "eps") else model(x, process.condition(t).to(x.dtype))
    if kind == "ddpm":
        u = rand((n,), generator=g, dtype=torch.float64)
        k = torch.clamp(torch.floor(u * process.N) + 1, max=process.N).to(x0.dtype)
        eps = randn(x0.shape, generator=g)
        return ((eps_hat(process.marginal(x0, k, eps), k) - eps) ** 2).sum(dim=1).mean()
    if kind == "dsm":
        t = 1e-3 + (process.T - 1e-3) * rand((n,), generator=g)
        eps = randn(x0.shape, generator=g)
        err = ((eps_hat(process.marginal(x0, t, eps), t) - eps) ** 2).sum(dim=1)
        w = (torch.ones_like(t) if weighting == "eps" else process.g2(t) / process.beta(t) ** 2
             if weighting == "likelihood" else weighting(t) / process.beta(t) ** 2)
        return (w.to(err.dtype) * err).mean()
    sigma = torch.exp(-1.2 + 1.2 * randn((n,), generator=g))
    eps = randn(x0.shape, generator=g)
    if process is None:
        return ((sigma**2 + 0.25) / (sigma * 0.5) ** 2 * ((model(x0 + sigma[:, None] * eps, sigma) - x0) ** 2).sum(dim=1)).mean()
    sigma = sigma.clamp(max=float(process.sigma(process.T)))
    t = process.t_of_sigma(sigma).clamp(max=process.T)
    x = process.alpha(t)[:, None] * (x0 + sigma[:, None] * eps)
    return ((sigma**2 + 0.25) / (sigma * 0.5) ** 2 * ((model(x, t) - x0) ** 2).sum(dim=1)).mean()


@pytest.mark.parametrize("case", range(9))
def test_losses_match_their_definition_with_public_calls(case):
    # the losses compute alpha, beta once and call the wrappers' unchecked path (train() calls
    # ``loss.unchecked`` after its first, checked, step): bitwise the same value and gradients as the
    # loss written with the public calls
    torch.manual_seed(0)
    name, loss, model, ref = _unchecked_cases()[case]
    x0 = torch.randn(64, 2)
    for fn in (loss, loss.unchecked):
        values, grads = [], []
        for f in (fn, ref):
            if isinstance(model, nn.Module):
                model.zero_grad()
            v = f(model, x0, make_generator(3))
            if isinstance(model, nn.Module) and any(p.requires_grad for p in model.parameters()):
                v.backward()
                grads.append([p.grad.clone() for p in model.parameters()])
            values.append(v.detach())
        assert torch.equal(values[0], values[1]), name
        if grads:
            assert all(torch.equal(a, b) for a, b in zip(*grads)), name


def test_train_checks_the_first_step_with_the_checked_loss():
    chain = DDPMChain("linear", 50)
    wrong = EpsDenoiser(TimeMLP(2, hidden=8, depth=1), DDPMChain("cosine", 50))   # another process
    with pytest.raises(ValueError, match="process"):
        train(wrong, ddpm_eps_loss(chain), torch.randn(100, 2), steps=3, device="cpu")
