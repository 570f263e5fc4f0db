"""Tests for course_lib.feedback.ch2: each check passes a right answer and fails a wrong one."""
import torch

from course_lib.feedback import ch2


def test_alpha_N_right_and_wrong():
    B2 = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    right = float(torch.sqrt(1 - B2).prod())
    assert ch2.check_alpha_N(right, quiet=True)
    assert not ch2.check_alpha_N(right**2, quiet=True)        # alpha-bar instead of alpha
    assert not ch2.check_alpha_N(..., quiet=True)


def good_step(x_k, eps_hat, k, chain, z):
    mean = (x_k - float(chain.B2[k] / chain.betas[k]) * eps_hat) / float(chain.A[k])
    return mean + float(chain.B[k]) * z if k > 1 else mean


def test_ddpm_step_right():
    assert ch2.check_ddpm_step(good_step, seed=1, quiet=True)


def test_ddpm_step_wrong_variants():
    def noise_at_last_step(x_k, eps_hat, k, chain, z):
        mean = (x_k - float(chain.B2[k] / chain.betas[k]) * eps_hat) / float(chain.A[k])
        return mean + float(chain.B[k]) * z

    def slides_shortcut(x_k, eps_hat, k, chain, z):
        mean = (x_k - float(chain.B[k]) * eps_hat) / float(chain.A[k])
        return mean + float(chain.B[k]) * z if k > 1 else mean

    def stub(*args):
        raise NotImplementedError

    fb = ch2.check_ddpm_step(noise_at_last_step, seed=1, quiet=True)
    assert not fb and [c.ok for c in fb.checks] == [True, True, True, False, True]   # only the last step is wrong
    assert "k = 1" in fb.checks[3].what
    assert not ch2.check_ddpm_step(slides_shortcut, seed=1, quiet=True)
    assert not ch2.check_ddpm_step(stub, seed=1, quiet=True)


def test_verdict_never_prints_expected(capsys):
    ch2.check_alpha_N(0.5)
    out = capsys.readouterr().out
    assert "Not yet" in out and "0.0066" not in out and "0.006" not in out


