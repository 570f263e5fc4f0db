"""Tests for course_lib.feedback.ch1: a right and a wrong answer for each check."""
import math

import torch

from course_lib.feedback import ch1


def right_posterior_mean(x, points, alpha, beta):
    logits = -torch.cdist(x, alpha * points) ** 2 / (2 * beta**2)
    return torch.softmax(logits, dim=1) @ points


def naive_posterior_mean(x, points, alpha, beta):
    # correct formula without the softmax's max-subtraction: NaN at small beta
    w = torch.exp(-torch.cdist(x, alpha * points) ** 2 / (2 * beta**2))
    return (w / w.sum(1, keepdim=True)) @ points


def forgot_alpha(x, points, alpha, beta):
    logits = -torch.cdist(x, points) ** 2 / (2 * beta**2)
    return torch.softmax(logits, dim=1) @ points


def stub(x, points, alpha, beta):
    raise NotImplementedError


def test_posterior_mean_right_answer_passes(capsys):
    fb = ch1.check_posterior_mean(right_posterior_mean, seed=0)
    assert fb and fb.passed
    assert "Well done" in capsys.readouterr().out


def test_posterior_mean_wrong_answers_fail(capsys):
    assert not ch1.check_posterior_mean(forgot_alpha, seed=0, quiet=True)
    assert not ch1.check_posterior_mean(naive_posterior_mean, seed=0, quiet=True)
    fb = ch1.check_posterior_mean(stub, seed=0)
    assert not fb
    out = capsys.readouterr().out
    assert "Not attempted yet" in out and "Hint" not in out and fb.status == "not attempted"


def test_posterior_mean_naive_exp_fails_every_time():
    for seed in (None, 0, 1, 2, 3, 4):
        fb = ch1.check_posterior_mean(naive_posterior_mean, seed=seed, quiet=True)
        assert not fb and fb.attempted
        small = [c for c in fb.checks if "very small noise" in c.what]
        assert small and not small[0].ok and "NaN" in small[0].detail


def test_posterior_mean_passes_for_other_seeds():
    for seed in (1, 2, 3):
        assert ch1.check_posterior_mean(right_posterior_mean, seed=seed, quiet=True)


def test_one_shot_std(capsys):
    alpha = 0.5
    k = alpha * 4 / (alpha**2 * 4 + 1 - alpha**2)
    assert ch1.check_one_shot_std(k, quiet=True)
    assert not ch1.check_one_shot_std(2.0, quiet=True)           # the data's std: no shrinkage
    assert not ch1.check_one_shot_std(..., quiet=True)           # the unfilled stub
    fb = ch1.check_one_shot_std(alpha * 2.0, quiet=False)         # forgot the denominator
    out = capsys.readouterr().out
    assert not fb and f"{k:.4f}" not in out and "1.14" not in out  # never reveals the answer
