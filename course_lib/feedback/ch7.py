"""Feedback for Chapter 7 (guidance, flow matching, diffusers).

Each ``check_*`` runs a student's answer, prints a verdict (never the expected answer) and returns a
:class:`course_lib.feedback._core.Feedback`, truthy when the answer passed; ``hint=True`` adds the hint.
"""
from __future__ import annotations

import torch

from ..device import rand, randn
from ._core import Case, Feedback, FunctionExercise, ValueExercise, register, with_dtype

__all__ = ["check_cfg", "check_rf_sigma", "check_fm_velocity", "check_fm_euler_step"]


def _ref_cfg(d_uncond: torch.Tensor, d_cond: torch.Tensor, w: float) -> torch.Tensor:
    return d_uncond + w * (d_cond - d_uncond)


def _cfg_case(w: float, dtype=torch.float64):
    def make(g: torch.Generator):
        d0 = randn((16, 3), generator=g, dtype=torch.float64)
        d1 = randn((16, 3), generator=g, dtype=torch.float64)
        return with_dtype((d0, d1, w), dtype)
    return make


CFG = register(FunctionExercise(
    "ch7-ex-cfg", name="cfg", reference=_ref_cfg, rtol=1e-9, atol=1e-12,
    cases=[Case("w = 0 (no guidance)", _cfg_case(0.0)),
           Case("w = 1 (the conditional model)", _cfg_case(1.0)),
           Case("w = 3.5 (strong guidance)", _cfg_case(3.5)),
           Case("float32 outputs, w = 2", _cfg_case(2.0, torch.float32), rtol=1e-5, atol=1e-6)],
    hint="the guided output is linear in w; w = 0 must give back the unconditional output and w = 1 the "
         "conditional one."))

SIGMA = register(ValueExercise(
    "ch7-ex-sigma", name="t with sigma(t) = 1", answer="t_sigma_one", expected=0.5, rtol=2e-3, atol=1e-6,
    hint="write the noise level of this path as the ratio of its noise scale to its signal scale, as "
         "a function of t, and solve for the t where that ratio is one."))


def _ref_fm_velocity(x: torch.Tensor, x0_hat: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    return (x - x0_hat) / t[:, None]


def _velocity_case(lo: float, hi: float, dtype=torch.float64):
    def make(g: torch.Generator):
        n = 20
        x, x0 = randn((n, 2), generator=g, dtype=torch.float64), randn((n, 2), generator=g, dtype=torch.float64)
        t = lo + (hi - lo) * rand((n,), generator=g, dtype=torch.float64)
        return with_dtype((x, x0, t), dtype)
    return make


VELOCITY = register(FunctionExercise(
    "ch7-ex-velocity", name="fm_velocity", reference=_ref_fm_velocity, rtol=1e-9, atol=1e-12,
    cases=[Case("times spread over (0.05, 1)", _velocity_case(0.05, 1.0)),
           Case("times close to 1 (almost pure noise)", _velocity_case(0.95, 1.0)),
           Case("very small times (0.001 to 0.01)", _velocity_case(1e-3, 1e-2)),
           Case("float32 inputs", _velocity_case(0.1, 0.9, torch.float32), rtol=1e-5, atol=1e-6)],
    hint="start from the path x = (1 - t) x0 + t eps: express eps through x and x0_hat, then differentiate "
         "the path in t. One time per row: mind the shape of t."))


def _ref_fm_euler_step(x: torch.Tensor, x0_hat: torch.Tensor, t: float, r: float) -> torch.Tensor:
    return x + (r - t) * (x - x0_hat) / t


def _euler_case(t: float, r: float, dtype=torch.float64):
    def make(g: torch.Generator):
        x, x0 = randn((12, 2), generator=g, dtype=torch.float64), randn((12, 2), generator=g, dtype=torch.float64)
        return with_dtype((x, x0, t, r), dtype)
    return make


EULER = register(FunctionExercise(
    "ch7-ex-euler", name="fm_euler_step", reference=_ref_fm_euler_step, rtol=1e-9, atol=1e-12,
    cases=[Case("a middle step (t = 0.6 -> r = 0.4)", _euler_case(0.6, 0.4)),
           Case("the first step (t = 1 -> r = 0.9)", _euler_case(1.0, 0.9)),
           Case("the last step (t = 0.2 -> r = 0)", _euler_case(0.2, 0.0)),
           Case("a tiny step at low noise (t = 0.011 -> r = 0.01)", _euler_case(0.011, 0.01)),
           Case("float32 inputs (t = 0.5 -> r = 0.25)", _euler_case(0.5, 0.25, torch.float32),
                rtol=1e-5, atol=1e-6)],
    hint="an Euler step moves by (time step) x (velocity at the current point); time runs backwards here, "
         "so the time step is negative."))


def check_cfg(your_fn, *, seed: int | None = None, hint: bool = False, quiet: bool | None = None) -> Feedback:
    """Exercise ch7-ex-cfg: ``your_fn(d_uncond, d_cond, w)`` returns the guided denoiser output of
    classifier-free guidance (Ho & Salimans 2022; book eq. ``eq-cfg``)."""
    return CFG.check(your_fn, seed=seed, hint=hint, quiet=quiet)


def check_rf_sigma(answer, *, hint: bool = False, quiet: bool | None = None) -> Feedback:
    """Exercise ch7-ex-sigma: the time t at which x_t = (1 - t) x0 + t eps has noise level sigma = 1."""
    return SIGMA.check(answer, hint=hint, quiet=quiet)


def check_fm_velocity(your_fn, *, seed: int | None = None, hint: bool = False,
                      quiet: bool | None = None) -> Feedback:
    """Exercise ch7-ex-velocity: ``your_fn(x, x0_hat, t)`` returns the flow-matching velocity (book eq.
    ``eq-fm-velocity``) for x, x0_hat of shape (n, d) and t of shape (n,)."""
    return VELOCITY.check(your_fn, seed=seed, hint=hint, quiet=quiet)


def check_fm_euler_step(your_fn, *, seed: int | None = None, hint: bool = False,
                        quiet: bool | None = None) -> Feedback:
    """Exercise ch7-ex-euler: ``your_fn(x, x0_hat, t, r)`` makes one Euler step of the flow-matching ODE
    (book eq. ``eq-fm-euler``) from time t to r < t (floats)."""
    return EULER.check(your_fn, seed=seed, hint=hint, quiet=quiet)
