"""Chapter 6 feedback functions: a right answer passes, a wrong one fails, nothing leaks."""
import torch

from course_lib.feedback import ch6


def right_coefficients(sigma, sigma_data):
    s2 = sigma**2 + sigma_data**2
    return sigma_data**2 / s2, sigma * sigma_data / s2.sqrt(), 1 / s2.sqrt(), sigma.log() / 4


def wrong_coefficients(sigma, sigma_data):  # c_out without the square root
    s2 = sigma**2 + sigma_data**2
    return sigma_data**2 / s2, sigma * sigma_data / s2, 1 / s2.sqrt(), sigma.log() / 4


def right_rho(n, sigma_min, sigma_max, rho):
    i = torch.arange(n, dtype=torch.float64)
    s = (sigma_max ** (1 / rho) + i / (n - 1) * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
    return torch.cat([s, torch.zeros(1, dtype=torch.float64)])


def wrong_rho(n, sigma_min, sigma_max, rho):  # forgets the final zero
    return right_rho(n, sigma_min, sigma_max, rho)[:-1]


def right_heun(D, x, sigma, sigma_next):
    d = (x - D(x, sigma)) / sigma
    x1 = x + (sigma_next - sigma) * d
    if sigma_next == 0:
        return x1
    return x + (sigma_next - sigma) * (d + (x1 - D(x1, sigma_next)) / sigma_next) / 2


def euler_only(D, x, sigma, sigma_next):
    return x + (sigma_next - sigma) * (x - D(x, sigma)) / sigma


def test_coefficients(capsys):
    assert ch6.check_edm_coefficients(right_coefficients, seed=0)
    assert not ch6.check_edm_coefficients(wrong_coefficients, seed=0)
    out = capsys.readouterr().out
    assert "Not yet" in out and "Well done" in out


def test_rho():
    assert ch6.check_rho_sigmas(right_rho, seed=1, quiet=True)
    assert not ch6.check_rho_sigmas(wrong_rho, seed=1, quiet=True)


def test_nfe(capsys):
    assert ch6.check_heun_nfe(35, quiet=True)
    assert not ch6.check_heun_nfe(36)
    assert "35" not in capsys.readouterr().out  # the answer is never printed
    assert not ch6.check_heun_nfe(..., quiet=True)


def test_heun_step():
    assert ch6.check_heun_step(right_heun, seed=2, quiet=True)
    assert not ch6.check_heun_step(euler_only, seed=2, quiet=True)


def test_heun_written_as_euler_fails_every_time_and_heun_at_zero_too():
    def heun_everywhere(D, x, sigma, sigma_next):  # forgets the Euler step onto sigma = 0
        d = (x - D(x, sigma)) / sigma
        x1 = x + (sigma_next - sigma) * d
        return x + (sigma_next - sigma) * (d + (x1 - D(x1, sigma_next)) / sigma_next) / 2

    for seed in (None, 0, 1, 2, 3):
        fb = ch6.check_heun_step(euler_only, seed=seed, quiet=True)
        assert not fb and [c.ok for c in fb.checks] == [True, False, False, False, False]
        fb = ch6.check_heun_step(heun_everywhere, seed=seed, quiet=True)
        assert not fb and not fb.checks[0].ok and "sigma_next = 0" in fb.checks[0].what


def test_nfe_is_a_count(capsys):
    for bad in (35.4, "35", True, float("nan"), [35]):
        assert not ch6.check_heun_nfe(bad, quiet=True)
    ch6.check_heun_nfe(34)
    ch6.check_heun_nfe(36)
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == out[3:6] and "small" not in "".join(out) and "large" not in "".join(out)


def test_non_function_gets_a_verdict():
    fb = ch6.check_edm_coefficients(3.0, quiet=True)
    assert not fb and "expected a function" in fb.checks[0].detail
    fb = ch6.check_edm_coefficients(lambda s, sd: s, quiet=True)
    assert not fb and "tuple of 4 items (c_skip, c_out, c_in, c_noise)" in fb.checks[0].detail


def test_stub_is_not_attempted_and_shows_no_hint(capsys):
    def stub(*args):
        raise NotImplementedError
    fb = ch6.check_heun_step(stub, seed=0)
    out = capsys.readouterr().out
    assert not fb and fb.status == "not attempted" and "Hint" not in out and "sigma" not in out
