"""Tests for course_lib.feedback._core: right answers pass, wrong ones fail kindly, nothing leaks."""
import math

import numpy as np
import pytest
import torch

from course_lib import feedback
from course_lib.feedback import Feedback, check_function, check_true, check_value, compare


def reference(x, t):
    return x * math.exp(-t)


def inputs(g):
    return (torch.randn(16, 2, generator=g), float(torch.rand(1, generator=g)))


def test_right_function_passes_and_prints_verdict(capsys):
    fb = check_function(lambda x, t: x * math.exp(-t), reference, inputs, name="shrink", trials=3, seed=1)
    out = capsys.readouterr().out
    assert fb and fb.passed and isinstance(fb, Feedback)
    assert len(fb.checks) == 3
    assert "Well done" in out and "shrink" in out


def test_wrong_function_fails_with_size_of_error(capsys):
    fb = check_function(lambda x, t: x * (1 - t), reference, inputs, name="shrink", trials=2, seed=1)
    out = capsys.readouterr().out
    assert not fb
    assert "Not yet" in out and "largest difference" in out


def test_wrong_shape_and_none_are_explained():
    fb = check_function(lambda x, t: x.sum(1), reference, inputs, trials=1, seed=0, quiet=True)
    assert not fb and "shape" in fb.checks[0].detail
    def forgot_return(x, t):
        x = x * math.exp(-t)

    fb = check_function(forgot_return, reference, inputs, trials=1, seed=0, quiet=True)
    assert not fb and fb.attempted and "return" in fb.checks[0].detail


def test_stub_raising_not_implemented_is_not_attempted():
    def stub(x, t):
        raise NotImplementedError

    def empty(x, t):
        ...

    for s in (stub, empty, ..., None):
        fb = check_function(s, reference, inputs, trials=3, seed=0, quiet=True)
        assert not fb and not fb.attempted and fb.status == "not attempted"
        assert "Not attempted yet" in fb.text() and "Hint" not in fb.text()


def test_other_exceptions_are_caught_and_named():
    fb = check_function(lambda x, t: x @ x, reference, inputs, trials=2, seed=0, quiet=True)
    assert not fb and all("RuntimeError" in c.detail for c in fb.checks)


def test_same_inputs_each_call_when_seed_is_none():
    seen = []

    def record(g):
        x = torch.randn(3, 1, generator=g)
        seen.append(x)
        return (x, 0.1)

    check_function(reference, reference, record, trials=1, quiet=True)
    check_function(reference, reference, record, trials=1, quiet=True)
    check_function(reference, reference, record, trials=1, seed=5, quiet=True)
    # each call draws the inputs twice (running the answer, then judging it)
    assert torch.equal(seen[0], seen[2]) and not torch.equal(seen[0], seen[4])


def test_keyword_inputs_and_extra_check():
    fb = check_function(reference, reference, lambda g: {"x": torch.randn(4, 1, generator=g), "t": 0.3},
                        trials=1, seed=0, quiet=True, extra=lambda out, args: (out.dtype == torch.float64, "dtype"))
    assert not fb and fb.checks[0].detail == "dtype"


def test_check_value_never_prints_expected(capsys):
    expected = 0.7321
    assert check_value(0.73215, expected, name="ratio", rtol=1e-3)
    fb = check_value(0.9, expected, name="ratio")
    out = capsys.readouterr().out
    assert not fb and "too large" in out and "0.73" not in out
    assert "much" in check_value(0.1, expected, quiet=True).checks[0].detail
    assert "a little" in check_value(0.74, expected, quiet=True).checks[0].detail
    fb = check_value(..., expected, quiet=True)
    assert not fb and fb.status == "not attempted"


def test_compare_containers_arrays_and_nan():
    assert compare((torch.ones(2), 3.0), (torch.ones(2), 3.0))[0]
    assert not compare([1.0], (1.0, 2.0))[0]
    assert compare(np.ones(3), torch.ones(3))[0]
    ok, detail = compare(torch.tensor([float("nan")]), torch.tensor([1.0]))
    assert not ok and "NaN" in detail
    assert compare("a", "a")[0] and not compare("a", "b")[0]


def test_check_true_and_empty_feedback():
    assert not Feedback("nothing")  # no checks is not a pass
    fb = check_true("custom", [("sum is one", True, ""), ("non-negative", False, "one entry < 0")], quiet=True)
    assert not fb and "1 of 2" in fb.text()


def test_hint_shown_only_on_request_and_failure():
    fb = check_value(1.0, 2.0, hint="think of the variance", quiet=True)
    assert "think of the variance" not in fb.text() and "hint=True" in fb.text()
    fb = check_value(1.0, 2.0, hint="think of the variance", quiet=True, show_hint=True)
    assert "Hint: think of the variance" in fb.text()
    assert "Hint" not in check_value(2.0, 2.0, hint="x", quiet=True, show_hint=True).text()
    assert "Hint" not in check_value(None, 2.0, hint="x", quiet=True).text()


def test_bad_arguments_raise_or_get_a_verdict():
    fb = check_function(3, reference, inputs, quiet=True)  # the student's mistake: a verdict, no TypeError
    assert not fb and "expected a function, got int" in fb.checks[0].detail
    with pytest.raises(TypeError):
        check_function(reference, 3, inputs)
    with pytest.raises(ValueError):
        check_function(reference, reference, inputs, trials=0)


def test_lazy_chapter_modules():
    with pytest.raises(AttributeError):
        feedback.not_a_chapter


def test_verdict_printed_once_in_jupyter(capsys):
    fb = check_value(2.0, 2.0, name="x")
    fb._ipython_display_()  # what IPython calls when the check ends a cell
    assert capsys.readouterr().out.count("Well done") == 1
    fb._ipython_display_()  # shown again when evaluated later on its own
    assert capsys.readouterr().out.count("Well done") == 1


def test_in_place_change_of_inputs_is_reported():
    def sneaky(x, t):
        x.mul_(math.exp(-t))
        return x

    fb = check_function(sneaky, reference, inputs, trials=1, seed=0, quiet=True)
    assert not fb and "in place" in fb.checks[0].detail


@pytest.mark.parametrize("bad, words", [("1.14", "expected a number, got str"), ([1.14], "expected a number, got list"),
                                        (True, "expected a number, got bool"), (float("nan"), "NaN"),
                                        (torch.ones(3), "single number"), ({"a": 1}, "got dict")])
def test_bad_types_get_a_verdict_saying_what_was_expected(bad, words):
    fb = check_value(bad, 1.14, quiet=True)
    assert not fb and fb.attempted and words in fb.checks[0].detail


def test_integer_answers_are_not_bracketed():
    assert check_value(35, 35, integer=True, quiet=True) and check_value(35.0, 35, integer=True, quiet=True)
    fb = check_value(35.4, 35, integer=True, quiet=True)
    assert not fb and "whole number" in fb.checks[0].detail
    low, high = (check_value(v, 35, integer=True, quiet=True).checks[0].detail for v in (34, 36))
    assert low == high and "small" not in low and "large" not in low


def test_diagnoses_name_sign_factor_and_dtype():
    def neg(x, t):
        return -reference(x, t)

    def double(x, t):
        return 2 * reference(x, t)

    def single(x, t):
        return reference(x, t).float()

    def inputs64(g):
        return (torch.randn(16, 2, generator=g, dtype=torch.float64), 0.5)

    assert "wrong sign" in check_function(neg, reference, inputs64, trials=1, quiet=True).checks[0].detail
    assert "constant multiple" in check_function(double, reference, inputs64, trials=1, quiet=True).checks[0].detail
    assert "float32" in check_function(single, reference, inputs64, trials=1, rtol=1e-9, atol=0,
                                       quiet=True).checks[0].detail
    assert "square" in check_value(4.0, 2.0, quiet=True).checks[0].detail


def test_hint_on_request_by_label(capsys):
    from course_lib.feedback import ch6

    feedback.hint("ch6-ex-precond")
    out = capsys.readouterr().out
    assert "ch6-ex-precond" in out and len(out) > 40
    ch6.check_heun_nfe(34, hint=True)
    assert "Hint:" in capsys.readouterr().out
    ch6.check_heun_nfe(34)
    assert "Hint:" not in capsys.readouterr().out
    with pytest.raises(ValueError):
        feedback.hint("ch6-ex-nothing")
