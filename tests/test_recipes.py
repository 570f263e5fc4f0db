"""Chapter 2's toy recipe: standardise, train, sample back in data units."""
import pytest
import torch

from course_lib.device import make_generator
from course_lib.metrics import wasserstein_1d
from course_lib.processes import DDPMChain
from course_lib.recipes import ToyDDPM, fit_toy_ddpm


def test_fit_toy_ddpm_learns_a_shifted_gaussian_in_data_units():
    chain = DDPMChain("linear", 50)
    x = 5.0 + 2.0 * torch.randn(20000, 1, generator=make_generator(0))
    fit = fit_toy_ddpm(x, chain, hidden=32, steps=600, batch_size=512, ema_decay=0.98, seed=1, device="cpu")
    assert isinstance(fit, ToyDDPM) and fit.seconds > 0
    assert torch.allclose(fit.mean, x.mean(0)) and torch.allclose(fit.std, x.std(0))
    with torch.no_grad():
        s = fit.sample(4000, generator=make_generator(2))
    assert s.shape == (4000, 1)
    assert abs(float(s.mean()) - 5.0) < 0.15 and abs(float(s.std()) - 2.0) < 0.15
    # a sub-grid and the sampler's info come through; the trajectory stays in standardised units
    with torch.no_grad():
        s2, info = fit.sample(500, chain.grid(10), generator=make_generator(2), return_info=True)
    assert s2.shape == (500, 1) and len(info.trajectory) == 11
    assert torch.allclose(fit.to_data(info.trajectory[-1]), s2)
    # seeded: the same call gives the same model
    again = fit_toy_ddpm(x, chain, hidden=32, steps=600, batch_size=512, ema_decay=0.98, seed=1, device="cpu")
    with torch.no_grad():
        assert wasserstein_1d(again.sample(4000, generator=make_generator(2)), s) == 0.0


def test_fit_toy_ddpm_raw_and_bad_input():
    chain = DDPMChain("linear", 20)
    x = torch.rand(500, 2, generator=make_generator(0))
    fit = fit_toy_ddpm(x, chain, hidden=8, steps=5, standardise=False, device="cpu")
    assert torch.equal(fit.mean, torch.zeros(2)) and torch.equal(fit.std, torch.ones(2))
    with pytest.raises(TypeError, match="DDPMChain"):
        fit_toy_ddpm(x, "linear")
    with pytest.raises(ValueError, match="shape"):
        fit_toy_ddpm(x[:, 0], chain)
    with pytest.raises(ValueError, match="zero spread"):
        fit_toy_ddpm(torch.ones(10, 1), chain)
    with pytest.raises(TypeError, match="standardise"):
        fit_toy_ddpm(x, chain, standardise="yes")
    with pytest.raises(ValueError, match="n must"):
        fit.sample(0)
