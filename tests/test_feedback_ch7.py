"""Chapter 7 feedback functions: a right answer passes, a wrong one fails, nothing leaks."""
from course_lib.feedback import ch7


def test_cfg(capsys):
    assert ch7.check_cfg(lambda d0, d1, w: d0 + w * (d1 - d0), seed=0)
    assert not ch7.check_cfg(lambda d0, d1, w: d1 + w * (d1 - d0), seed=0)    # extrapolates from the wrong end
    out = capsys.readouterr().out
    assert "Not yet" in out and "Well done" in out


def test_rf_sigma():
    assert ch7.check_rf_sigma(0.5, quiet=True)
    assert not ch7.check_rf_sigma(1.0, quiet=True)
    assert not ch7.check_rf_sigma(..., quiet=True)


def test_fm_velocity():
    assert ch7.check_fm_velocity(lambda x, d, t: (x - d) / t[:, None], seed=1, quiet=True)
    assert not ch7.check_fm_velocity(lambda x, d, t: (d - x) / t[:, None], seed=1, quiet=True)
    assert not ch7.check_fm_velocity(lambda x, d, t: (x - d) / (1 - t[:, None]), seed=1, quiet=True)


def test_fm_euler_step():
    assert ch7.check_fm_euler_step(lambda x, d, t, r: r / t * x + (1 - r / t) * d, seed=2, quiet=True)
    assert not ch7.check_fm_euler_step(lambda x, d, t, r: x + (t - r) * (x - d) / t, seed=2, quiet=True)


def test_no_leak(capsys):
    ch7.check_rf_sigma(0.7)
    out = capsys.readouterr().out
    assert "0.5" not in out
