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


def test_stub_raising_is_reported():
    def stub(*args):
        raise NotImplementedError
    assert not ch6.check_heun_step(stub, seed=0, quiet=True)
