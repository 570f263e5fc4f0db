"""Feedback for the exercises of Chapter 3 (the Bayesian posterior of one DDPM step).

Each check prints a friendly verdict and returns a :class:`~course_lib.feedback._core.Feedback`
(truthy when the answer passed); the expected answers are never printed.
"""
from __future__ import annotations

import torch

from ..device import randn
from ..processes import DDPMChain
from ._core import Feedback, check_value, compare, report

__all__ = ["check_posterior", "check_sigma2_k2"]


def _chain() -> DDPMChain:
    return DDPMChain("linear", 100)


def check_posterior(your_fn, *, seed: int | None = None, quiet: bool | None = None) -> Feedback:
    """Exercise ch3-ex-posterior: ``your_fn(x_k, x0, k, chain) -> (mean, var)`` for q(x_{k-1} | x_k, x0).

    Compared with ``DDPMChain.posterior`` at random points and steps, always including k = 1 and k = N.
    """
    chain = _chain()
    fb = Feedback(name="posterior",
                  hint="mean = alpha_{k-1} B_k^2/beta_k^2 x0 + A_k beta_{k-1}^2/beta_k^2 x_k and "
                       "var = B_k^2 beta_{k-1}^2/beta_k^2; chain.B2 holds B_k^2, chain.B holds B_k.")
    if seed is None:
        seed = int(torch.randint(0, 2**31 - 1, (1,)).item())
    g = torch.Generator().manual_seed(seed)
    for k in (1, int(torch.randint(2, 100, (1,), generator=g)), 100):
        x_k = randn((8, 2), generator=g, dtype=torch.float64)
        x0 = randn((8, 2), generator=g, dtype=torch.float64)
        m_ref, v_ref = chain.posterior(x_k, x0, k)
        try:
            out = your_fn(x_k.clone(), x0.clone(), k, chain)
        except NotImplementedError:
            fb.add(f"k = {k}", False, "raised NotImplementedError: replace the stub with your code")
            break
        except Exception as exc:  # noqa: BLE001 - report whatever the student's code raised
            fb.add(f"k = {k}", False, f"raised {type(exc).__name__}: {str(exc)[:200]}")
            continue
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            fb.add(f"k = {k}", False, "return a pair (mean, var)")
            continue
        ok_m, d_m = compare(out[0], m_ref, rtol=1e-6, atol=1e-9)
        var = out[1]
        var_ref = float(v_ref.reshape(-1)[0])
        if isinstance(var, torch.Tensor) and var.numel() > 1:
            ok_v, d_v = compare(var, torch.full_like(var, var_ref, dtype=torch.float64), rtol=1e-6, atol=1e-12)
        else:
            ok_v, d_v = compare(float(var) if isinstance(var, (int, float, torch.Tensor)) else var,
                                var_ref, rtol=1e-6, atol=1e-12)
        fb.add(f"k = {k}: mean", ok_m, d_m)
        fb.add(f"k = {k}: variance", ok_v, d_v)
    return report(fb, quiet=quiet)


def check_sigma2_k2(value, *, quiet: bool | None = None) -> Feedback:
    """Exercise ch3-ex-point: the posterior variance at k = 2 of the 100-step linear chain."""
    chain = _chain()
    expected = float(chain.B2[2] * chain.beta[1] ** 2 / chain.beta[2] ** 2)
    return check_value(value, expected, name="posterior variance at k = 2", rtol=1e-4,
                       hint="sigma_2^2 = B_2^2 beta_1^2 / beta_2^2 (a variance: square the scales).", quiet=quiet)
