"""Chapter 7 feedback functions: a right answer passes, a wrong one fails, a stub is not attempted,
nothing leaks."""
import torch

from course_lib.feedback import ch7, exercise


def test_cfg(capsys):
    assert ch7.check_cfg(lambda d0, d1, w: d0 + w * (d1 - d0))
    assert not ch7.check_cfg(lambda d0, d1, w: d1 + w * (d1 - d0))    # extrapolates from the wrong end
    assert not ch7.check_cfg(lambda d0, d1, w: d0 + w * (d1 - d0) if w else d1)   # w = 0 wrong only
    out = capsys.readouterr().out
    assert "w = 0" in out


def test_rf_sigma():
    assert ch7.check_rf_sigma(0.5, quiet=True)
    assert not ch7.check_rf_sigma(1.0, quiet=True)
    stub = ch7.check_rf_sigma(..., quiet=True)
    assert not stub and stub.status == "not attempted"
    assert not ch7.check_rf_sigma("0.5", quiet=True)


def test_fm_velocity():
    assert ch7.check_fm_velocity(lambda x, d, t: (x - d) / t[:, None], quiet=True)
    assert not ch7.check_fm_velocity(lambda x, d, t: (d - x) / t[:, None], quiet=True)
    assert not ch7.check_fm_velocity(lambda x, d, t: (x - d) / (1 - t[:, None]), quiet=True)
    assert not ch7.check_fm_velocity(lambda x, d, t: (x - d) / t, quiet=True)     # broadcasting slip


def test_fm_euler_step():
    assert ch7.check_fm_euler_step(lambda x, d, t, r: r / t * x + (1 - r / t) * d, quiet=True)
    assert not ch7.check_fm_euler_step(lambda x, d, t, r: x + (t - r) * (x - d) / t, quiet=True)

    def stub(x, d, t, r):
        raise NotImplementedError("your code here")
    assert ch7.check_fm_euler_step(stub, quiet=True).status == "not attempted"


def test_registered_with_hints(capsys):
    for label in ("ch7-ex-cfg", "ch7-ex-sigma", "ch7-ex-velocity", "ch7-ex-euler"):
        assert exercise(label) is not None and exercise(label).hint
    ch7.check_rf_sigma(0.7)
    assert "Hint" not in capsys.readouterr().out          # hints only on request
    ch7.check_rf_sigma(0.7, hint=True)
    assert "Hint" in capsys.readouterr().out


def test_no_leak(capsys):
    ch7.check_rf_sigma(0.7, hint=True)
    ch7.check_cfg(lambda d0, d1, w: torch.zeros_like(d0), hint=True)
    out = capsys.readouterr().out
    assert "0.5" not in out and "d_uncond +" not in out
