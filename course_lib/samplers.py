"""Samplers: from noise x at grid.t[0] to data at grid.t[-1], one signature for all.

    x = sampler(denoiser, x, grid, *, generator=None, callback=None, return_info=False, **options)

* ``denoiser(x, t) -> x0_hat`` (E[x0 | x_t = x]); ``t`` is passed as a tensor of shape (n,).
* ``grid`` is a :class:`course_lib.grids.Grid`: the process and decreasing times t_0 > ... > t_n.
* With ``return_info=True`` the result is ``(x, SampleInfo(nfe, times, trajectory))``; ``nfe``
  counts denoiser calls, ``trajectory`` stacks x at every time of ``times`` (shape (len, n, d);
  pass ``keep_trajectory=False`` to skip it).
* ``callback(dict(i=, t=, x=, x0_hat=))`` is called after each step i with the new time t and state x.

Conventions shared by all samplers. For a step from t to s < t we write a_t, b_t for alpha, beta
at t, and (A, B) for the one-jump coefficients between the two levels: A = a_t / a_s,
B^2 = b_t^2 - A^2 b_s^2 (for the DDPM chain and consecutive k: A_k and B_k). The **last step to
t = 0** returns the denoiser's estimate x0_hat: the ancestral/DDIM/EDM updates give exactly that
by themselves (b_s = 0), and the samplers that integrate in t (Euler-Maruyama, PF-ODE Euler, Heun,
RK45, predictor-corrector) take it as their last step (Song et al.'s final "denoising" step,
free here because it reuses the step's evaluation). If a grid ends at t > 0, a final x0_hat step
is added unless ``denoise_final=False``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import Callable

import torch

from ._checks import (check_bool, check_choice, check_generator, check_points, check_positive_float, check_positive_int,
                      check_probability, check_same_process, check_signature)
from .denoisers import _slope_in_sigma, _x0_to_eps, _x0_to_score
from .device import _randn
from .grids import Grid
from .solvers import em_step, euler_step, heun_step

__all__ = ["SampleInfo", "one_shot", "ddpm_ancestral", "x0_renoise", "ddim", "euler_maruyama",
           "predictor_corrector", "pf_ode_euler", "pf_ode_heun", "pf_ode_rk45", "edm_euler", "edm_heun",
           "SAMPLERS", "sample_from_prior"]


_CHECK_EVERY = {"cpu": 1}   # denoiser calls between NaN checks (host syncs) per device type; 16 elsewhere


@dataclass
class SampleInfo:
    """What a sampler returns with ``return_info=True``."""

    nfe: int
    times: torch.Tensor
    trajectory: torch.Tensor | None


class _Run:
    """Bookkeeping shared by every sampler: the checks (once, here), denoiser calls (NFE), noise,
    callback, trajectory. A denoiser that offers ``_unchecked(x, t)`` (the network wrappers of
    :mod:`course_lib.denoisers`) is called through it: x and the grid are checked once here, so the
    inner loop skips the per-call checks (and their host syncs on a GPU)."""

    def __init__(self, denoiser, x, grid, generator, callback, return_info, keep_trajectory=True):
        check_signature("denoiser", denoiser, 2, "(x, t)")
        dim = getattr(denoiser, "dim", None)
        check_points("x", x, dim=dim if isinstance(dim, int) else None)
        if not isinstance(grid, Grid):
            raise TypeError(f"grid must be a course_lib.grids.Grid (e.g. process.grid(n_steps)), "
                            f"got {type(grid).__name__}")
        check_same_process("denoiser", getattr(denoiser, "process", None), "grid", grid.process)
        return_info = check_bool("return_info", return_info)
        keep_trajectory = check_bool("keep_trajectory", keep_trajectory)
        check_generator(generator)
        if callback is not None:
            check_signature("callback", callback, 1, "(info dict)")
        self.denoiser, self.generator, self.callback = denoiser, generator, callback
        self._call = getattr(denoiser, "_unchecked", None) or denoiser
        self.process = grid.process
        self.t = grid.t
        self.n = grid.n_steps
        self.alphas, self.betas, self.sigmas = grid.alphas, grid.betas, grid.sigmas
        self.nfe = 0
        self.keep = bool(return_info and keep_trajectory)
        self.return_info = return_info
        self.traj = [x.detach().clone()] if self.keep else None
        self.times = [float(self.t[0])]
        # NaN/inf checks of the denoiser's output: at once on the CPU; on a GPU every 16 calls and at the end
        # (one host sync per 16 steps), naming the first bad step
        self._check_every = _CHECK_EVERY.get(x.device.type, 16)
        self._pending: list = []

    def D(self, x: torch.Tensor, t: float) -> torch.Tensor:
        """One network evaluation x0_hat = D(x, t)."""
        tt = torch.full((x.shape[0],), float(t), dtype=x.dtype, device=x.device)
        with torch.no_grad():
            out = self._call(x, tt)
        if not isinstance(out, torch.Tensor) or out.shape != x.shape or not torch.is_floating_point(out):
            raise ValueError(f"denoiser(x, t) must return a floating tensor shaped like x {tuple(x.shape)}, got "
                             f"{(tuple(out.shape), out.dtype) if isinstance(out, torch.Tensor) else type(out).__name__}")
        self.nfe += 1
        ok = torch.isfinite(out).all()      # one reduction per call; a host sync only on the CPU or every 16 calls
        if self._check_every == 1:
            if not bool(ok):
                self._pending.append((len(self.times) - 1, float(t), ok))
                self.check_finite()
        else:
            self._pending.append((len(self.times) - 1, float(t), ok))
            if len(self._pending) >= self._check_every:
                self.check_finite()
        return out.to(x.dtype)

    def check_finite(self) -> None:
        """Raise at the first pending denoiser call whose output held NaN or inf."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        ok = torch.stack([p[2] for p in pending]).cpu()
        if not bool(ok.all()):
            step, t, _ = pending[int((~ok).nonzero()[0])]
            sigma = float(self.process.sigma(torch.tensor(t, dtype=torch.float64)))
            raise ValueError(f"the denoiser returned NaN or inf at step {step} of {self.n} (t = {t:.6g}, noise level "
                             f"sigma = {sigma:.6g}); check the network (a diverged training run?) and its input")

    def noise(self, x: torch.Tensor) -> torch.Tensor:
        return _randn(x.shape, self.generator, x.device, x.dtype)

    def done(self, i: int, t: float, x: torch.Tensor, x0_hat: torch.Tensor | None) -> None:
        if self.callback is not None:
            self.callback(dict(i=i, t=float(t), x=x, x0_hat=x0_hat))
        if self.keep:
            self.traj.append(x.detach().clone())
        self.times.append(float(t))

    def finish(self, x: torch.Tensor, denoise_final: bool = True):
        denoise_final = check_bool("denoise_final", denoise_final)
        t_end = float(self.t[-1])
        if denoise_final and t_end > 0 and float(self.betas[-1]) > 0:
            x0 = self.D(x, t_end)
            x = x0
            self.done(self.n, 0.0, x, x0)
        self.check_finite()
        if not bool(torch.isfinite(x).all()):
            raise ValueError("the sampler's result holds NaN or inf although every denoiser output was finite: "
                             "the steps overflowed (too few steps for this grid, or a grid reaching too close to t = 0?)")
        if not self.return_info:
            return x
        traj = torch.stack(self.traj) if self.keep else None
        return x, SampleInfo(self.nfe, torch.tensor(self.times, dtype=torch.float64), traj)


# ---------------------------------------------------------------------------------------------
def one_shot(denoiser: Callable, x: torch.Tensor, grid: Grid, *, generator=None, callback=None,
             return_info: bool = False, keep_trajectory: bool = True) -> torch.Tensor:
    """Chapter 1's one-shot denoiser: x0_hat = D(x, t_0) in a single evaluation (eq. ``eq-one-shot``).

    Only grid.t[0] is used. It returns the posterior *mean*, not a sample: it converges to
    nothing but E[x0 | x_T] (a blurred point cloud), whatever the grid.
    """
    run = _Run(denoiser, x, grid, generator, callback, return_info, keep_trajectory)
    x0_hat = run.D(x, run.t[0])
    run.done(0, 0.0, x0_hat, x0_hat)
    run.t = run.t[[0, -1]]
    return run.finish(x0_hat, denoise_final=False)


def ddpm_ancestral(denoiser: Callable, x: torch.Tensor, grid: Grid, *, variance: str = "beta", generator=None,
                   callback=None, return_info: bool = False, keep_trajectory: bool = True):
    """DDPM ancestral sampling (Ho et al. 2020, Algorithm 2; book eq. ``eq-ddpm-ancestral``).

    For each step t -> s:  eps_hat = (x - a_t x0_hat)/b_t,
        x <- (x - B^2/b_t eps_hat) / A + sigma z,   z ~ N(0, I),
    with ``variance="beta"``: sigma^2 = B^2 (Ho's sigma_t^2 = beta_t), or ``"posterior"``:
    sigma^2 = B^2 b_s^2 / b_t^2 (the variance of q(x_s | x_t, x0)). No noise when b_s = 0
    (the last step). On a sub-grid of the chain (or a continuous VP/VE) A and B are the
    one-jump coefficients between the two levels.
    """
    check_choice("variance", variance, {"beta", "posterior"})
    run = _Run(denoiser, x, grid, generator, callback, return_info, keep_trajectory)
    for i in range(run.n):
        a_t, b_t, a_s, b_s = (float(v) for v in (run.alphas[i], run.betas[i], run.alphas[i + 1], run.betas[i + 1]))
        A = a_t / a_s
        B2 = b_t**2 - A**2 * b_s**2
        x0_hat = run.D(x, run.t[i])
        eps_hat = _x0_to_eps(x, x0_hat, a_t, b_t)
        x = (x - B2 / b_t * eps_hat) / A
        if b_s > 0:
            var = B2 if variance == "beta" else B2 * b_s**2 / b_t**2
            x = x + math.sqrt(var) * run.noise(x)
        run.done(i, run.t[i + 1], x, x0_hat)
    return run.finish(x)


def x0_renoise(denoiser: Callable, x: torch.Tensor, grid: Grid, *, generator=None, callback=None,
               return_info: bool = False, keep_trajectory: bool = True):
    """"Predict x0, then re-noise it to the next level" (seed 002's multistep sampler; book eq.
    ``eq-x0-renoise``): x <- a_s x0_hat + b_s z with fresh z ~ N(0, I), and x0_hat at the end.

    Seed 002's loop, as written, differs in three places (Chapter 2 measures it): it reads its
    first level at ``betas[-i]`` with i = 0 (the smallest level, not the largest), re-noises to
    the current level instead of the next (``alpha[-i-1]`` picks a row of the batch, not a level),
    and returns the last re-noised state instead of x0_hat.

    It forgets x except through x0_hat, so it is *not* a discretisation of the reverse process:
    its output does not converge to the data distribution as steps are refined (it is DDIM with
    the largest possible noise, sigma = b_s).
    """
    run = _Run(denoiser, x, grid, generator, callback, return_info, keep_trajectory)
    for i in range(run.n):
        a_s, b_s = float(run.alphas[i + 1]), float(run.betas[i + 1])
        x0_hat = run.D(x, run.t[i])
        x = a_s * x0_hat
        if b_s > 0:
            x = x + b_s * run.noise(x)
        run.done(i, run.t[i + 1], x, x0_hat)
    return run.finish(x)


def ddim(denoiser: Callable, x: torch.Tensor, grid: Grid, *, eta: float = 0.0, generator=None, callback=None,
         return_info: bool = False, keep_trajectory: bool = True):
    """DDIM (Song, Meng & Ermon 2021, eq. 12; book eq. ``eq-ddim``). For each step t -> s:

        eps_hat = (x - a_t x0_hat)/b_t,  c = eta * sqrt(B^2 b_s^2 / b_t^2),
        x <- a_s x0_hat + sqrt(b_s^2 - c^2) eps_hat + c z.

    eta = 0: deterministic (the Euler step of the PF-ODE in sigma, see :func:`edm_euler`);
    eta = 1: the same distribution step as DDPM ancestral with the posterior variance.
    """
    eta = check_probability("eta", eta)
    run = _Run(denoiser, x, grid, generator, callback, return_info, keep_trajectory)
    for i in range(run.n):
        a_t, b_t, a_s, b_s = (float(v) for v in (run.alphas[i], run.betas[i], run.alphas[i + 1], run.betas[i + 1]))
        A = a_t / a_s
        B2 = b_t**2 - A**2 * b_s**2
        c = eta * math.sqrt(max(B2, 0.0)) * b_s / b_t
        x0_hat = run.D(x, run.t[i])
        eps_hat = _x0_to_eps(x, x0_hat, a_t, b_t)
        x = a_s * x0_hat + math.sqrt(max(b_s**2 - c**2, 0.0)) * eps_hat
        if c > 0:
            x = x + c * run.noise(x)
        run.done(i, run.t[i + 1], x, x0_hat)
    return run.finish(x)


def _reverse_em_step(run: "_Run", x: torch.Tensor, x0_hat: torch.Tensor, t: float, s: float,
                     a_t: float, b_t: float) -> torch.Tensor:
    """One Euler-Maruyama step of the reverse SDE from t to s < t (x0_hat when s = 0), with the
    process's drift f(t) x - g(t)^2 score at score = (a_t x0_hat - x)/b_t^2:
    x <- x + (s - t) drift + g(t) sqrt(t - s) z."""
    if s == 0:
        return x0_hat
    proc = run.process
    drift = proc._reverse_sde_drift(x, t, _x0_to_score(x, x0_hat, a_t, b_t))
    g2 = proc._f_g2(t, x)[1]
    return em_step(x, drift, s - t, math.sqrt(g2 * (t - s)), run.noise(x))


def euler_maruyama(denoiser: Callable, x: torch.Tensor, grid: Grid, *, generator=None, callback=None,
                   return_info: bool = False, keep_trajectory: bool = True, denoise_final: bool = True):
    """Euler-Maruyama on the reverse-time SDE (Anderson 1982; Song et al. 2021, eq. 6; book eq.
    ``eq-reverse-sde-em``), any continuous process. For each step t -> s (h = t - s > 0):

        score = (a_t x0_hat - x)/b_t^2,   x <- x - (f(t) x - g(t)^2 score) h + g(t) sqrt(h) z.

    The last step to t = 0 returns x0_hat (see the module docstring).
    """
    run = _Run(denoiser, x, grid, generator, callback, return_info, keep_trajectory)
    for i in range(run.n):
        t, s = float(run.t[i]), float(run.t[i + 1])
        a_t, b_t = float(run.alphas[i]), float(run.betas[i])
        x0_hat = run.D(x, t)
        x = _reverse_em_step(run, x, x0_hat, t, s, a_t, b_t)
        run.done(i, s, x, x0_hat)
    return run.finish(x, denoise_final)


def predictor_corrector(denoiser: Callable, x: torch.Tensor, grid: Grid, *, snr: float = 0.16,
                        n_corrector: int = 1, generator=None, callback=None, return_info: bool = False,
                        keep_trajectory: bool = True, denoise_final: bool = True):
    """Predictor-corrector sampling (Song et al. 2021, Algorithms 2-3; book eq. ``eq-pc``).

    At each time t_i: ``n_corrector`` Langevin steps at t_i,
        eps_L = 2 r (snr ||z|| / ||score||)^2,  x <- x + eps_L score + sqrt(2 eps_L) z,
    (norms per sample, averaged over the batch as in Song et al.'s code; r = (a_s/a_t)^2, which is
    1/(1 - beta_i) in their VP notation, where their code uses alpha_i = 1 - beta_i instead (both are
    1 + O(beta_i)); r = 1 for VE), then one Euler-Maruyama predictor step to t_{i+1}.
    NFE = (1 + n_corrector) per step. With a fixed ``snr`` the Langevin steps keep a bias that
    does not vanish as the grid is refined.
    """
    snr = check_positive_float("snr", snr)
    n_corrector = check_positive_int("n_corrector", n_corrector, minimum=0)
    run = _Run(denoiser, x, grid, generator, callback, return_info, keep_trajectory)
    for i in range(run.n):
        t, s = float(run.t[i]), float(run.t[i + 1])
        a_t, b_t, a_s = float(run.alphas[i]), float(run.betas[i]), float(run.alphas[i + 1])
        r = (a_s / a_t) ** 2
        for _ in range(n_corrector):
            score = _x0_to_score(x, run.D(x, t), a_t, b_t)
            z = run.noise(x)
            z_norm = z.flatten(1).norm(dim=1).mean()
            s_norm = score.flatten(1).norm(dim=1).mean()
            eps_L = 2 * r * (snr * z_norm / s_norm) ** 2
            x = x + eps_L * score + torch.sqrt(2 * eps_L) * z
        x0_hat = run.D(x, t)
        x = _reverse_em_step(run, x, x0_hat, t, s, a_t, b_t)
        run.done(i, s, x, x0_hat)
    return run.finish(x, denoise_final)


def _pf_drift(run: _Run, x: torch.Tensor, t: float, a_t: float, b_t: float):
    """The process's PF-ODE right-hand side f x - g^2/2 score at score = (a_t D - x)/b_t^2; returns (drift, x0_hat)."""
    x0_hat = run.D(x, t)
    return run.process._pf_ode_drift(x, t, _x0_to_score(x, x0_hat, a_t, b_t)), x0_hat


def pf_ode_euler(denoiser: Callable, x: torch.Tensor, grid: Grid, *, generator=None, callback=None,
                 return_info: bool = False, keep_trajectory: bool = True, denoise_final: bool = True):
    """Euler's method on the probability-flow ODE dx/dt = f x - g^2/2 score (Song et al. 2021, eq. 13;
    book eq. ``eq-pf-ode-euler``), integrated in the process's own time t. Last step: x0_hat."""
    run = _Run(denoiser, x, grid, generator, callback, return_info, keep_trajectory)
    for i in range(run.n):
        t, s = float(run.t[i]), float(run.t[i + 1])
        d, x0_hat = _pf_drift(run, x, t, float(run.alphas[i]), float(run.betas[i]))
        x = x0_hat if s == 0 else euler_step(x, d, s - t)
        run.done(i, s, x, x0_hat)
    return run.finish(x, denoise_final)


def pf_ode_heun(denoiser: Callable, x: torch.Tensor, grid: Grid, *, generator=None, callback=None,
                return_info: bool = False, keep_trajectory: bool = True, denoise_final: bool = True):
    """Heun's method (explicit trapezoid) on the probability-flow ODE in the process's time t
    (book eq. ``eq-pf-ode-heun``): d = F(x, t), x' = x + h d, x <- x + h (d + F(x', s))/2.
    2 NFE per step; the last step (to t = 0) returns x0_hat (1 NFE)."""
    run = _Run(denoiser, x, grid, generator, callback, return_info, keep_trajectory)
    for i in range(run.n):
        t, s = float(run.t[i]), float(run.t[i + 1])
        d, x0_hat = _pf_drift(run, x, t, float(run.alphas[i]), float(run.betas[i]))
        if s == 0:
            x = x0_hat
        else:
            x_pred = euler_step(x, d, s - t)
            d2, _ = _pf_drift(run, x_pred, s, float(run.alphas[i + 1]), float(run.betas[i + 1]))
            x = heun_step(x, d, d2, s - t)
        run.done(i, s, x, x0_hat)
    return run.finish(x, denoise_final)


def pf_ode_rk45(denoiser: Callable, x: torch.Tensor, grid: Grid, *, rtol: float = 1e-5, atol: float = 1e-5,
                generator=None, callback=None, return_info: bool = False, keep_trajectory: bool = True,
                denoise_final: bool = True, max_nfe: int = 50_000):
    """The probability-flow ODE solved by scipy's adaptive RK45 (``solve_ivp``, as in Song et al.'s
    code; the ODE of book eq. ``eq-pf-ode``) from grid.t[0] to the last nonzero time of the grid, then
    x0_hat there. The solver chooses its own steps (``rtol``, ``atol``); NFE counts its evaluations
    (all points integrated as one system, in float64) plus the final x0_hat. A ValueError is raised
    after ``max_nfe`` evaluations (a stiff or diverging run stops with a message instead of hanging)."""
    from scipy.integrate import solve_ivp

    rtol = check_positive_float("rtol", rtol); atol = check_positive_float("atol", atol)
    max_nfe = check_positive_int("max_nfe", max_nfe)
    run = _Run(denoiser, x, grid, generator, callback, return_info, keep_trajectory)
    floor = 0.01 * torch.finfo(x.dtype).eps   # the denoiser works in x's dtype: a far tighter rtol is never met
    if rtol < floor:
        raise ValueError(f"rtol={rtol:g} is below what {x.dtype} x can resolve (>= {floor:.2g}); "
                         f"pass x.double() or a larger rtol")
    t0 = float(run.t[0])
    ends_at_zero = float(run.t[-1]) == 0.0
    t1 = float(run.t[-2]) if ends_at_zero else float(run.t[-1])
    shape, dtype, device = x.shape, x.dtype, x.device
    proc = run.process

    def fun(t, y):
        if run.nfe >= max_nfe:
            raise _NFECap(t)
        xt = torch.as_tensor(y, dtype=torch.float64).reshape(shape).to(device=device, dtype=dtype)
        tt = torch.tensor(t, dtype=torch.float64)
        a, b = (float(v) for v in proc._alpha_beta(tt))
        with torch.no_grad():
            d, _ = _pf_drift(run, xt, t, a, b)
        return d.detach().to(torch.float64).cpu().numpy().reshape(-1)

    try:
        sol = solve_ivp(fun, (t0, t1), x.detach().to(torch.float64).cpu().numpy().reshape(-1),
                        method="RK45", rtol=rtol, atol=atol)
    except _NFECap as cap:
        raise ValueError(f"pf_ode_rk45 reached max_nfe={max_nfe} denoiser calls at t = {cap.args[0]:.6g} "
                         f"(integrating from {t0:g} to {t1:g}) with rtol={rtol:g}, atol={atol:g}: loosen rtol/atol "
                         "or raise max_nfe") from None
    run.check_finite()
    if not sol.success:
        raise ValueError(f"pf_ode_rk45: scipy's solve_ivp failed ({sol.message}) with rtol={rtol:g}, atol={atol:g}")
    x = torch.as_tensor(sol.y[:, -1]).reshape(shape).to(device=device, dtype=dtype)
    run.done(0, t1, x, None)
    if ends_at_zero:
        x0_hat = run.D(x, t1)
        x = x0_hat
        run.done(1, 0.0, x, x0_hat)
    run.t = torch.tensor(run.times, dtype=torch.float64)
    return run.finish(x, denoise_final)


class _NFECap(Exception):
    """Raised inside scipy's solver when pf_ode_rk45 reaches max_nfe."""


def _edm(denoiser, x, grid, heun, S_churn, S_min, S_max, S_noise, generator, callback, return_info, keep_trajectory):
    S_churn = check_positive_float("S_churn", S_churn, allow_zero=True)
    S_min = check_positive_float("S_min", S_min, allow_zero=True)
    if isinstance(S_max, bool) or not isinstance(S_max, Real) or math.isnan(S_max) or S_max < S_min:
        raise ValueError(f"S_max must be a number >= S_min={S_min} (inf: no upper bound), got {S_max!r}")
    S_noise = check_positive_float("S_noise", S_noise, allow_zero=True)
    run = _Run(denoiser, x, grid, generator, callback, return_info, keep_trajectory)
    proc = run.process
    sigma = run.sigmas.tolist()                                # the grid carries sigma(t): no conversion here
    s_of = run.alphas.tolist()
    sigma_top = float(proc._sigma(torch.tensor(proc.T, dtype=torch.float64)))
    N = run.n
    for i in range(N):
        t_i, t_next = float(run.t[i]), float(run.t[i + 1])
        sig_i, sig_next = sigma[i], sigma[i + 1]
        gamma = min(S_churn / N, math.sqrt(2) - 1) if S_min <= sig_i <= S_max else 0.0
        xs = x / s_of[i]                                       # x~ = x / s(t_i)
        sig_hat, t_hat, s_hat = sig_i, t_i, s_of[i]
        if gamma > 0:                                          # churn: raise the noise level to sigma_hat
            sig_hat = min(sig_i * (1 + gamma), sigma_top)
            t_hat = proc._t_of_sigma(torch.tensor(sig_hat, dtype=torch.float64))
            s_hat = float(proc._alpha(t_hat))
            t_hat = float(t_hat)
            xs = xs + math.sqrt(max(sig_hat**2 - sig_i**2, 0.0)) * S_noise * run.noise(x)
        x0_hat = run.D(s_hat * xs, t_hat)
        d = _slope_in_sigma(xs, x0_hat, sig_hat)               # dx~/dsigma at sigma_hat
        xs_next = euler_step(xs, d, sig_next - sig_hat)        # Euler step
        if heun and sig_next != 0:                             # 2nd-order correction
            x0_next = run.D(s_of[i + 1] * xs_next, t_next)
            d2 = _slope_in_sigma(xs_next, x0_next, sig_next)
            xs_next = heun_step(xs, d, d2, sig_next - sig_hat)
        x = s_of[i + 1] * xs_next
        run.done(i, t_next, x, x0_hat)
    return run.finish(x)


def edm_heun(denoiser: Callable, x: torch.Tensor, grid: Grid, *, S_churn: float = 0.0, S_min: float = 0.0,
             S_max: float = float("inf"), S_noise: float = 1.0, generator=None, callback=None,
             return_info: bool = False, keep_trajectory: bool = True):
    """EDM sampler (Karras et al. 2022, Algorithm 2; book eq. ``eq-edm-heun``), any process.

    Works with x~ = x / s(t) and sigma = sigma(t), where the PF-ODE reads dx~/dsigma = (x~ - D)/sigma
    (their eq. 4 with the time change t -> sigma; for the EDM process s = 1 and sigma = t, so this
    is exactly their algorithm). Per step i (N = grid.n_steps):
        gamma = min(S_churn/N, sqrt(2) - 1) if S_min <= sigma_i <= S_max else 0;
        sigma_hat = sigma_i (1 + gamma);  x~_hat = x~ + sqrt(sigma_hat^2 - sigma_i^2) S_noise z;
        d = (x~_hat - D(x_hat, t_hat))/sigma_hat;  x~' = x~_hat + (sigma_{i+1} - sigma_hat) d;
        if sigma_{i+1} != 0: d' = (x~' - D(x', t_{i+1}))/sigma_{i+1},
                             x~' = x~_hat + (sigma_{i+1} - sigma_hat)(d + d')/2.
    NFE = 2N - 1 on a grid ending at sigma = 0. sigma_hat is capped at sigma(T).
    Use the grid ``process.grid(N, spacing="edm", rho=7)`` for Karras's time steps (their eq. 5).
    """
    return _edm(denoiser, x, grid, True, S_churn, S_min, S_max, S_noise, generator, callback, return_info,
                keep_trajectory)


def edm_euler(denoiser: Callable, x: torch.Tensor, grid: Grid, *, S_churn: float = 0.0, S_min: float = 0.0,
              S_max: float = float("inf"), S_noise: float = 1.0, generator=None, callback=None,
              return_info: bool = False, keep_trajectory: bool = True):
    """:func:`edm_heun` without the second-order correction (Euler in sigma; book eq. ``eq-edm-euler``).
    Without churn each step equals DDIM with eta = 0 on the same grid."""
    return _edm(denoiser, x, grid, False, S_churn, S_min, S_max, S_noise, generator, callback, return_info,
                keep_trajectory)


SAMPLERS = {f.__name__: f for f in (one_shot, ddpm_ancestral, x0_renoise, ddim, euler_maruyama, predictor_corrector,
                                    pf_ode_euler, pf_ode_heun, pf_ode_rk45, edm_euler, edm_heun)}


def sample_from_prior(sampler: Callable, denoiser: Callable, grid: Grid, n: int, d: int, *, generator=None,
                      dtype=torch.float32, device=None, **options):
    """``n`` points of dimension ``d``: x_T ~ the grid's process prior (``process.prior``, drawn with
    ``generator``), then ``sampler(denoiser, x_T, grid, generator=generator, **options)``.

    The one helper for "sample with this denoiser on this grid" (e.g. an exact denoiser from
    :mod:`course_lib.distributions`); the prior and the sampler share the generator, in that order.
    """
    check_signature("sampler", sampler, 3, "(denoiser, x, grid)")
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a course_lib.grids.Grid (e.g. process.grid(n_steps)), got {type(grid).__name__}")
    x_T = grid.process.prior(n, d, generator=generator, device=device, dtype=dtype)
    return sampler(denoiser, x_T, grid, generator=generator, **options)
