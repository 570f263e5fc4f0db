import math

import numpy as np

from course_lib.feedback import ch5


def test_pf_drift():
    assert ch5.check_pf_drift(lambda x, f, g2, score: f * x - 0.5 * g2 * score, seed=0, quiet=True)
    assert not ch5.check_pf_drift(lambda x, f, g2, score: f * x - g2 * score, seed=0, quiet=True)  # reverse-SDE drift


def test_heun_step():
    def right(F, x, t, s):
        h = s - t
        d = F(x, t)
        return x + h / 2 * (d + F(x + h * d, s))

    def euler(F, x, t, s):
        return x + (s - t) * F(x, t)

    assert ch5.check_heun_step(right, seed=1, quiet=True)
    assert not ch5.check_heun_step(euler, seed=1, quiet=True)


def test_gaussian_flow_endpoint():
    assert ch5.check_gaussian_flow_endpoint(5 + 10 / math.sqrt(104), quiet=True)
    assert not ch5.check_gaussian_flow_endpoint(5 + 5 * 2 / 10, quiet=True)  # forgot s^2 under the root


def test_estimate_order():
    def right(nfe, err):
        return -np.polyfit(np.log(nfe), np.log(err), 1)[0]

    def two_points(nfe, err):  # uses only the first two points: not the least-squares fit
        return math.log(err[0] / err[1]) / math.log(nfe[1] / nfe[0])

    assert ch5.check_estimate_order(right, seed=2, quiet=True)
    assert not ch5.check_estimate_order(two_points, seed=2, quiet=True)
