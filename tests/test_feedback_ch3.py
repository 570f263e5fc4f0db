"""Tests for course_lib.feedback.ch3: each check passes a right answer and fails a wrong one."""
import torch

from course_lib.feedback import ch3
from course_lib.processes import DDPMChain


def right(x_k, x0, k, chain):
    b2k, b2p = float(chain.betas[k]) ** 2, float(chain.betas[k - 1]) ** 2
    mean = float(chain.alphas[k - 1] * chain.B2[k]) / b2k * x0 + float(chain.A[k]) * b2p / b2k * x_k
    return mean, float(chain.B2[k]) * b2p / b2k


def test_posterior_right():
    assert ch3.check_posterior(right, seed=3, quiet=True)


def test_posterior_wrong():
    def scale_not_variance(x_k, x0, k, chain):   # B_k where B_k^2 is meant
        m, _ = right(x_k, x0, k, chain)
        b2k, b2p = float(chain.betas[k]) ** 2, float(chain.betas[k - 1]) ** 2
        return m, float(chain.B[k]) * b2p / b2k

    def swapped_weights(x_k, x0, k, chain):
        b2k, b2p = float(chain.betas[k]) ** 2, float(chain.betas[k - 1]) ** 2
        mean = float(chain.alphas[k - 1] * chain.B2[k]) / b2k * x_k + float(chain.A[k]) * b2p / b2k * x0
        return mean, float(chain.B2[k]) * b2p / b2k

    def stub(*a):
        raise NotImplementedError

    fb = ch3.check_posterior(scale_not_variance, seed=3, quiet=True)
    assert not fb and all(c.ok for c in fb.checks if c.what.endswith("mean"))
    assert not ch3.check_posterior(swapped_weights, seed=3, quiet=True)
    assert not ch3.check_posterior(stub, seed=3, quiet=True)
    assert not ch3.check_posterior(lambda *a: 1.0, seed=3, quiet=True)


def test_sigma2_k2(capsys):
    chain = DDPMChain("linear", 100)
    v = float(chain.B2[2] * chain.betas[1] ** 2 / chain.betas[2] ** 2)
    assert ch3.check_sigma2_k2(v, quiet=True)
    assert not ch3.check_sigma2_k2(float(chain.B2[2]), quiet=True)
    ch3.check_sigma2_k2(1.0)
    out = capsys.readouterr().out
    assert "Not yet" in out and f"{v:.4g}" not in out
