"""Feedback for the exercises of Chapter 5 (the probability-flow ODE).

* :func:`check_pf_drift`: your right-hand side of the probability-flow ODE.
* :func:`check_heun_step`: your Heun step for dx/dt = F(x, t).
* :func:`check_gaussian_flow_endpoint`: the number x(0) of the exact PF-ODE flow of a Gaussian.
* :func:`check_estimate_order`: your estimate of a method's order from (NFE, error) pairs.

Each check prints a short verdict and returns a :class:`~course_lib.feedback.Feedback`
(truthy when right); the expected answer is never printed. ``hint=True`` adds the hint.
"""
from __future__ import annotations

import math

import torch

from ..device import randn
from ._core import Case, Feedback, FunctionExercise, ValueExercise, register, with_dtype

__all__ = ["check_pf_drift", "check_heun_step", "check_gaussian_flow_endpoint", "check_estimate_order"]


def _ref_pf_drift(x, f, g2, score):
    return f * x - 0.5 * g2 * score


def _drift_case(f: float, g2: float, dtype=torch.float64):
    def make(g: torch.Generator):
        return with_dtype((randn((32, 2), generator=g, dtype=torch.float64), f, g2,
                           randn((32, 2), generator=g, dtype=torch.float64)), dtype)
    return make


PF_DRIFT = register(FunctionExercise(
    "ch5-ex-drift", name="pf_drift", reference=_ref_pf_drift, rtol=1e-6, atol=1e-8,
    cases=[Case("f = -2, g^2 = 3", _drift_case(-2.0, 3.0)), Case("no drift term (f = 0, g^2 = 1)", _drift_case(0.0, 1.0)),
           Case("a large g^2 = 100 (f = -0.5)", _drift_case(-0.5, 100.0)),
           Case("float32 inputs (f = -1, g^2 = 2)", _drift_case(-1.0, 2.0, torch.float32), rtol=1e-5, atol=1e-6)],
    hint="start from the reverse SDE's drift and ask how much of the g^2 score term the noise-free member keeps."))


def _F(x, t):
    return -x * (1.0 + t) + torch.sin(3 * x)


def _ref_heun(F, x, t, s):
    h = s - t
    d = F(x, t)
    x_pred = x + h * d
    return x + h * 0.5 * (d + F(x_pred, s))


def _heun_case(t: float, s: float, dtype=torch.float64):
    def make(g: torch.Generator):
        return (_F, randn((16, 1), generator=g, dtype=torch.float64).to(dtype), t, s)
    return make


HEUN = register(FunctionExercise(
    "ch5-ex-heun", name="heun_step", reference=_ref_heun, rtol=1e-6, atol=1e-8,
    cases=[Case("a backward step t = 1 -> s = 0.6", _heun_case(1.0, 0.6)),
           Case("a forward step t = 0.2 -> s = 0.5", _heun_case(0.2, 0.5)),
           Case("a tiny step t = 0.5 -> s = 0.499", _heun_case(0.5, 0.499)),
           Case("no step (s = t = 0.7)", _heun_case(0.7, 0.7)),
           Case("float32 inputs, t = 0.9 -> s = 0.3", _heun_case(0.9, 0.3, torch.float32), rtol=1e-5, atol=1e-6)],
    hint="two evaluations of F: one where you start, one where a first (Euler) guess lands at the new time; "
         "then step from the start with a combination of the two slopes."))

FLOW_ENDPOINT = register(ValueExercise(
    "ch5-ex-gauss", name="x(0) of the Gaussian flow", answer="x_at_0", rtol=1e-4,
    expected=5.0 + 5.0 * 2.0 / math.sqrt(4.0 + 100.0),
    hint="write p_t for this process and data, plug its score into the ODE, and separate the variables: "
         "one quantity built from x - mu and t stays constant along the flow."))


def _ref_order(nfe, err):
    nfe = torch.as_tensor(nfe, dtype=torch.float64)
    err = torch.as_tensor(err, dtype=torch.float64)
    X = torch.stack([torch.ones_like(nfe), torch.log(nfe)], 1)
    coef = torch.linalg.lstsq(X, torch.log(err)[:, None]).solution[:, 0]
    return float(-coef[1])


def _order_case(p: float, nfe: list[float], jitter: float):
    def make(g: torch.Generator):
        noise = torch.exp(jitter * randn((len(nfe),), generator=g, dtype=torch.float64))
        return (list(nfe), [float(3.0 * n ** (-p) * e) for n, e in zip(nfe, noise)])
    return make


def _as_number(out):
    if isinstance(out, torch.Tensor) and out.numel() == 1:
        return float(out.reshape(()))
    return out


ORDER = register(FunctionExercise(
    "ch5-ex-order", name="estimate_order", reference=_ref_order, rtol=1e-6, atol=1e-8, prepare=_as_number,
    cases=[Case("an exact power law, order 2", _order_case(2.0, [8.0, 16.0, 32.0, 64.0, 128.0], 0.0)),
           Case("noisy errors, order 1.3", _order_case(1.3, [8.0, 16.0, 32.0, 64.0, 128.0], 0.1)),
           Case("unevenly spaced NFE, order 0.7", _order_case(0.7, [5.0, 9.0, 40.0, 300.0], 0.05)),
           Case("only two points, order 3", _order_case(3.0, [10.0, 20.0], 0.0))],
    hint="on a log-log plot a power law is a straight line; fit that line by least squares (e.g. np.polyfit) "
         "and read the order from its slope."))


def check_pf_drift(your_fn, *, seed: int | None = None, hint: bool = False, quiet: bool | None = None) -> Feedback:
    """Exercise ch5-ex-drift: ``your_fn(x, f, g2, score)`` = dx/dt of the probability-flow ODE."""
    return PF_DRIFT.check(your_fn, seed=seed, hint=hint, quiet=quiet)


def check_heun_step(your_fn, *, seed: int | None = None, hint: bool = False, quiet: bool | None = None) -> Feedback:
    """Exercise ch5-ex-heun: ``your_fn(F, x, t, s)`` returns x at time s after one Heun step from t
    for dx/dt = F(x, t) (s may be smaller than t: the step h = s - t is then negative)."""
    return HEUN.check(your_fn, seed=seed, hint=hint, quiet=quiet)


def check_gaussian_flow_endpoint(value, *, hint: bool = False, quiet: bool | None = None) -> Feedback:
    """Exercise ch5-ex-gauss: x(0) for data N(5, 2^2), x_t = x0 + t eps, started at x(10) = 10."""
    return FLOW_ENDPOINT.check(value, hint=hint, quiet=quiet)


def check_estimate_order(your_fn, *, seed: int | None = None, hint: bool = False,
                         quiet: bool | None = None) -> Feedback:
    """Exercise ch5-ex-order: ``your_fn(nfe, errors)`` returns the order p of error ~ C NFE^(-p), fitted
    by least squares on the log-log points (lists of floats in, a float out)."""
    return ORDER.check(your_fn, seed=seed, hint=hint, quiet=quiet)
