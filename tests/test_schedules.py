"""Tests for course_lib.schedules: the DDPM step variances B_k^2."""
import math

import pytest
import torch

from course_lib.schedules import SCHEDULES, step_variances


def test_linear_matches_ddpm_at_1000_and_rescales():
    B2 = step_variances("linear", 1000)
    assert B2.shape == (1000,) and B2.dtype == torch.float64
    assert B2[0].item() == pytest.approx(1e-4) and B2[-1].item() == pytest.approx(0.02)
    B2_250 = step_variances("linear", 250)
    assert B2_250[0].item() == pytest.approx(4e-4) and B2_250[-1].item() == pytest.approx(0.08)
    # rescaling keeps alpha_N^2 = prod(1 - B_k^2) about the same
    a1000 = torch.prod(1 - B2).item()
    a250 = torch.prod(1 - B2_250).item()
    assert a250 == pytest.approx(a1000, rel=0.5)
    assert step_variances("linear", 250, rescale=False)[-1].item() == pytest.approx(0.02)


def test_cosine_matches_nichol_dhariwal_formula():
    N, s = 200, 0.008
    B2 = step_variances("cosine", N)
    alpha2 = torch.cumprod(1 - B2, 0)
    k = torch.arange(1, N + 1, dtype=torch.float64)
    c = lambda u: torch.cos((u / N + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    want = c(k) / c(torch.zeros(1, dtype=torch.float64))
    unclipped = B2 < 0.999
    # alpha^2 is exact until the first clipped step (only the very last steps are clipped)
    first_clip = int(torch.nonzero(~unclipped)[0]) if (~unclipped).any() else N
    assert first_clip >= N - 2
    torch.testing.assert_close(alpha2[:first_clip], want[:first_clip], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", SCHEDULES)
def test_every_schedule_is_a_valid_increasing_variance_sequence(name):
    B2 = step_variances(name, 100)
    assert B2.shape == (100,)
    assert (B2 > 0).all() and (B2 <= 0.999).all()
    assert (B2[1:] >= B2[:-1] - 1e-15).all()


def test_quadratic_and_sigmoid_shapes():
    q = step_variances("quadratic", 1000)
    assert q[0].item() == pytest.approx(1e-4) and q[-1].item() == pytest.approx(0.02)
    assert q[500].item() < step_variances("linear", 1000)[500].item()  # quadratic starts slower
    sg = step_variances("sigmoid", 1000)
    assert sg[0].item() == pytest.approx(1e-4 + 0.0199 * torch.sigmoid(torch.tensor(-6.0)).item(), rel=1e-6)


def test_bad_input():
    with pytest.raises(ValueError, match="unknown schedule"):
        step_variances("exponential", 10)
    with pytest.raises(TypeError):
        step_variances(3, 10)
    with pytest.raises(ValueError, match="N"):
        step_variances("linear", 0)
    with pytest.raises(TypeError, match="N"):
        step_variances("linear", 10.5)
    with pytest.raises(ValueError, match="beta_end"):
        step_variances("linear", 10, beta_start=0.1, beta_end=0.01)
    with pytest.raises(ValueError, match="finite"):
        step_variances("linear", 10, beta_start=float("nan"))
