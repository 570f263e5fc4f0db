import math

from course_lib.feedback import ch4


def test_g_squared_cosine():
    assert ch4.check_g_squared_cosine(math.pi, quiet=True)
    assert not ch4.check_g_squared_cosine(math.pi / 2, quiet=True)
    assert not ch4.check_g_squared_cosine(..., quiet=True)


def test_ve_diffusion():
    assert ch4.check_ve_diffusion(math.sqrt(2), quiet=True)
    assert not ch4.check_ve_diffusion(2.0, quiet=True)  # the slides' "2t" at t = 1


def test_gaussian_score_right_and_wrong():
    def right(x, alpha, beta, mu, s):
        return (alpha * mu - x) / (alpha**2 * s**2 + beta**2)

    def wrong(x, alpha, beta, mu, s):  # forgets the signal's own spread
        return (alpha * mu - x) / beta**2

    def stub(x, alpha, beta, mu, s):
        raise NotImplementedError

    assert ch4.check_gaussian_score(right, seed=1, quiet=True)
    assert not ch4.check_gaussian_score(wrong, seed=1, quiet=True)
    assert not ch4.check_gaussian_score(stub, seed=1, quiet=True)


def test_reverse_em_step_right_and_wrong():
    def right(x, t, dt, f, g, score, z):
        return x + (g**2 * score - f * x) * dt + g * math.sqrt(dt) * z

    def wrong(x, t, dt, f, g, score, z):  # noise scaled by dt instead of sqrt(dt)
        return x + (g**2 * score - f * x) * dt + g * dt * z

    assert ch4.check_reverse_em_step(right, seed=2, quiet=True)
    assert not ch4.check_reverse_em_step(wrong, seed=2, quiet=True)
