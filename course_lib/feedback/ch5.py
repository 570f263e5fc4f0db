"""Feedback for the exercises of Chapter 5 (the probability-flow ODE).

* :func:`check_pf_drift`: your right-hand side of the probability-flow ODE.
* :func:`check_heun_step`: your Heun step for dx/dt = F(x, t).
* :func:`check_gaussian_flow_endpoint`: the number x(0) of the exact PF-ODE flow of a Gaussian.
* :func:`check_estimate_order`: your estimate of a method's order from (NFE, error) pairs.

Each check prints a short verdict and returns a :class:`~course_lib.feedback.Feedback`
(truthy when right); the expected answer is never printed.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ._core import Feedback, check_function, check_value

__all__ = ["check_pf_drift", "check_heun_step", "check_gaussian_flow_endpoint", "check_estimate_order"]


def _ref_pf_drift(x, f, g2, score):
    return f * x - 0.5 * g2 * score


def _drift_inputs(g: torch.Generator):
    x = torch.randn(32, 2, generator=g, dtype=torch.float64)
    f = -float(torch.rand(1, generator=g)) * 5
    g2 = float(torch.rand(1, generator=g)) * 10 + 0.1
    score = torch.randn(32, 2, generator=g, dtype=torch.float64)
    return (x, f, g2, score)


def check_pf_drift(your_fn, *, seed: int | None = None, quiet: bool | None = None) -> Feedback:
    """Exercise ch5-ex-drift: ``your_fn(x, f, g2, score)`` = dx/dt of the probability-flow ODE."""
    return check_function(your_fn, _ref_pf_drift, _drift_inputs, name="pf_drift", seed=seed, rtol=1e-6, atol=1e-8,
                          quiet=quiet, hint="the ODE member of the family keeps only half of the g^2 score term.")


def _F(x, t):
    return -x * (1.0 + t) + torch.sin(3 * x)


def _ref_heun(F, x, t, s):
    h = s - t
    d = F(x, t)
    x_pred = x + h * d
    return x + h * 0.5 * (d + F(x_pred, s))


def _heun_inputs(g: torch.Generator):
    x = torch.randn(16, 1, generator=g, dtype=torch.float64)
    t = float(torch.rand(1, generator=g)) + 0.5
    s = t - float(torch.rand(1, generator=g)) * 0.4 - 0.05
    return (_F, x, t, s)


def check_heun_step(your_fn, *, seed: int | None = None, quiet: bool | None = None) -> Feedback:
    """Exercise ch5-ex-heun: ``your_fn(F, x, t, s)`` returns x at time s after one Heun step from t
    for dx/dt = F(x, t) (s may be smaller than t: the step h = s - t is then negative)."""
    return check_function(your_fn, _ref_heun, _heun_inputs, name="heun_step", seed=seed, rtol=1e-6, atol=1e-8,
                          quiet=quiet, hint="predict with an Euler step, evaluate F again at the predicted point "
                                            "and the new time, and average the two slopes.")


def check_gaussian_flow_endpoint(value, *, quiet: bool | None = None) -> Feedback:
    """Exercise ch5-ex-gauss: x(0) for data N(5, 2^2), x_t = x0 + t eps, started at x(10) = 10."""
    expected = 5.0 + 5.0 * 2.0 / math.sqrt(4.0 + 100.0)
    return check_value(value, expected, name="x(0) of the Gaussian flow", rtol=1e-4, quiet=quiet,
                       hint="the flow keeps (x - mu) / sqrt(s^2 + t^2) constant.")


def _ref_order(nfe, err):
    nfe = torch.as_tensor(nfe, dtype=torch.float64)
    err = torch.as_tensor(err, dtype=torch.float64)
    X = torch.stack([torch.ones_like(nfe), torch.log(nfe)], 1)
    coef = torch.linalg.lstsq(X, torch.log(err)[:, None]).solution[:, 0]
    return float(-coef[1])


def _order_inputs(g: torch.Generator):
    p = float(torch.rand(1, generator=g)) * 3 + 0.5
    nfe = [8.0, 16.0, 32.0, 64.0, 128.0]
    noise = torch.exp(0.1 * torch.randn(5, generator=g, dtype=torch.float64))
    err = [float(3.0 * n ** (-p) * e) for n, e in zip(nfe, noise)]
    return (nfe, err)


def check_estimate_order(your_fn, *, seed: int | None = None, quiet: bool | None = None) -> Feedback:
    """Exercise ch5-ex-order: ``your_fn(nfe, errors)`` returns the order p of error ~ C NFE^(-p), fitted
    by least squares on the log-log points (lists of floats in, a float out)."""
    def as_float(fn):
        def wrapped(nfe, err):
            out = fn(nfe, err)
            if isinstance(out, (torch.Tensor, np.ndarray, np.generic)):
                out = float(out)
            return out
        return wrapped

    return check_function(as_float(your_fn), _ref_order, _order_inputs, name="estimate_order", seed=seed,
                          rtol=1e-6, atol=1e-8, quiet=quiet,
                          hint="fit a straight line to (log NFE, log error); the order is minus its slope.")
