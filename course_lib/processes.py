"""Forward (noising) processes in one frame: x_t = alpha_t x0 + beta_t eps.

Every process is a :class:`Process`: time t in [0, T], x_t = alpha(t) x0 + beta(t) eps and the SDE
dx = f(t) x dt + g(t) dW with f = alpha'/alpha and g^2 = alpha^2 d/dt(beta^2/alpha^2).

* :class:`VP`, :class:`VE`, :class:`EDM`, :class:`AlphaBetaProcess`: continuous time (Chapters 4-6).
* :class:`DDPMChain`: the discrete chain x_k = A_k x_{k-1} + B_k eps_k, k = 1..N (Chapters 2-3); its
  time is the step index k (T = N), and between whole steps log alpha is interpolated linearly.
* ``process.grid(n_steps, ...)`` builds a :class:`course_lib.grids.Grid`, what every sampler walks.

The interface the samplers, losses and denoisers use: ``alpha(t)``, ``beta(t)`` (both at once:
``alpha_beta(t)``), ``sigma(t)`` (= beta/alpha), ``f(t)``, ``g2(t)``, ``t_of_sigma(sigma)``,
``condition(t)`` (the order-one number a network is fed), ``prior(n, d)``, ``prior_std`` and ``T``.
Public methods check their input; the underscored ones (``_alpha_beta``, ``_sigma``, ``_f``, ...) are
the unchecked internals that inner loops call. At t = 0 every process is clean data (alpha = 1, beta = 0).
"""
from __future__ import annotations

import inspect
import math
from typing import Callable

import torch

from ._checks import (as_column, as_tensor, check_signature, check_generator, check_matching_points, check_points,
                      check_positive_float, check_positive_int, check_choice)
from .device import randn
from .grids import Grid, edm_sigmas
from .schedules import step_variances

__all__ = ["Process", "VP", "VE", "EDM", "AlphaBetaProcess", "DDPMChain"]


# ---------------------------------------------------------------------------------------------
# ---------------------------------------------------------------------------------------------
class Process:
    """A continuous-time forward process x_t = alpha(t) x0 + beta(t) eps, t in [0, T].

    Subclasses implement ``_alpha``, ``_beta`` (and where known in closed form ``_f``, ``_g2``,
    ``_t_of_sigma``) on float tensors without checks; the public methods check their input.
    The SDE is dx = f(t) x dt + g(t) dW with f = alpha'/alpha, g^2 = alpha^2 d/dt(beta^2/alpha^2).
    """

    T: float = 1.0
    t_min_default: float = 1e-3

    # -- to implement ------------------------------------------------------------------------
    def _alpha(self, t: torch.Tensor) -> torch.Tensor:
        raise TypeError(f"{type(self).__name__} is an abstract process: use VP, VE, EDM or AlphaBetaProcess, "
                        "or subclass Process and define _alpha(t) and _beta(t)")

    _beta = _alpha

    def _f(self, t: torch.Tensor) -> torch.Tensor:
        return _autograd_f_g2(self._alpha, self._beta, t)[0]

    def _g2(self, t: torch.Tensor) -> torch.Tensor:
        return _autograd_f_g2(self._alpha, self._beta, t)[1]

    def _sigma(self, t: torch.Tensor) -> torch.Tensor:
        return self._beta(t) / self._alpha(t)

    def _t_of_sigma(self, sigma: torch.Tensor) -> torch.Tensor:
        """Bisection on the increasing sigma(t) (subclasses with a closed form override this)."""
        s = sigma.to(torch.float64)
        lo = torch.zeros_like(s); hi = torch.full_like(s, self.T)
        for _ in range(80):
            mid = (lo + hi) / 2
            big = self._sigma(mid) > s
            hi = torch.where(big, mid, hi); lo = torch.where(big, lo, mid)
        return ((lo + hi) / 2).to(sigma.dtype)

    def _alpha_beta(self, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self._alpha(t), self._beta(t)

    def _condition(self, t: torch.Tensor) -> torch.Tensor:
        return t / self.T

    @property
    def prior_std(self) -> float:
        """beta(T): the standard deviation of the prior x_T ~ N(0, beta(T)^2 I)."""
        return float(self._beta(torch.tensor(self.T, dtype=torch.float64)))

    # -- checked public interface ------------------------------------------------------------
    def _t(self, t, name: str = "t") -> torch.Tensor:
        t = as_tensor(name, t, max_ndim=1)
        if (t < 0).any() or (t > self.T * (1 + 1e-9)).any():
            raise ValueError(f"{name} must lie in [0, T={self.T}], got values in [{t.min().item()}, {t.max().item()}]")
        return t

    def alpha_beta(self, t) -> tuple[torch.Tensor, torch.Tensor]:
        """(alpha(t), beta(t)) together (one check)."""
        return self._alpha_beta(self._t(t))

    def alpha(self, t) -> torch.Tensor:
        """Signal scale alpha(t) (EDM's s(t))."""
        return self._alpha(self._t(t))

    def beta(self, t) -> torch.Tensor:
        """Noise scale beta(t)."""
        return self._beta(self._t(t))

    def sigma(self, t) -> torch.Tensor:
        """EDM noise level sigma(t) = beta(t) / alpha(t)."""
        return self._sigma(self._t(t))

    def f(self, t) -> torch.Tensor:
        """Drift coefficient f(t) = alpha'(t) / alpha(t) of dx = f x dt + g dW."""
        return self._f(self._t(t))

    def g(self, t) -> torch.Tensor:
        """Diffusion coefficient g(t) = sqrt(alpha^2 d/dt (beta^2 / alpha^2))."""
        return torch.sqrt(self._g2(self._t(t)).clamp_min(0))

    def g2(self, t) -> torch.Tensor:
        """g(t)^2."""
        return self._g2(self._t(t))

    def condition(self, t) -> torch.Tensor:
        """The order-one number a network is fed for time t (t/T; log(sigma)/4 for VE and EDM)."""
        return self._condition(self._t(t))

    def t_of_sigma(self, sigma) -> torch.Tensor:
        """The time t with sigma(t) = ``sigma`` (sigma in [0, sigma(T)])."""
        sigma = as_tensor("sigma", sigma)
        top = float(self._sigma(torch.tensor(self.T, dtype=torch.float64)))
        if (sigma < 0).any() or (sigma > top * (1 + 1e-6)).any():
            raise ValueError(f"sigma must lie in [0, sigma(T)={top:.6g}], got values in "
                             f"[{sigma.min().item()}, {sigma.max().item()}]")
        return self._t_of_sigma(sigma)

    def marginal(self, x0: torch.Tensor, t, eps: torch.Tensor) -> torch.Tensor:
        """x_t = alpha(t) x0 + beta(t) eps; ``t`` a number or a tensor of shape (n,)."""
        check_matching_points("x0", x0, "eps", eps)
        a, b = self._alpha_beta(self._t(t))
        return as_column(a, x0) * x0 + as_column(b, x0) * eps

    def sample_marginal(self, x0: torch.Tensor, t, generator: torch.Generator | None = None):
        """Draw x_t ~ q(x_t | x0); returns (x_t, eps)."""
        check_points("x0", x0); check_generator(generator)
        eps = randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        return self.marginal(x0, t, eps), eps

    def prior(self, n: int, d: int, generator: torch.Generator | None = None, device=None,
              dtype=torch.float32) -> torch.Tensor:
        """A sample of x_T ~ N(0, beta(T)^2 I) (the alpha(T) x0 part of the marginal is neglected)."""
        n = check_positive_int("n", n); d = check_positive_int("d", d); check_generator(generator)
        return self.prior_std * randn((n, d), generator=generator, device=device, dtype=dtype)

    def reverse_sde_drift(self, x: torch.Tensor, t, score: torch.Tensor) -> torch.Tensor:
        """Drift of the reverse-time SDE (Anderson 1982): f(t) x - g(t)^2 score."""
        check_matching_points("x", x, "score", score)
        return self._reverse_sde_drift(x, self._t(t), score)

    def pf_ode_drift(self, x: torch.Tensor, t, score: torch.Tensor) -> torch.Tensor:
        """Right-hand side of the probability-flow ODE: f(t) x - g(t)^2 / 2 score."""
        check_matching_points("x", x, "score", score)
        return self._pf_ode_drift(x, self._t(t), score)

    # the samplers' versions: unchecked, t a float (one time for the batch) or a checked tensor
    def _f_g2(self, t, x):
        """(f(t), g(t)^2): numbers for a float t, columns against x for a tensor t."""
        if isinstance(t, float):
            last = self.__dict__.get("_f_g2_last")        # a sampler's step asks twice at one time
            if last is None or last[0] != t:
                tt = torch.tensor(t, dtype=torch.float64)
                last = self._f_g2_last = (t, float(self._f(tt)), float(self._g2(tt)))
            return last[1], last[2]
        return as_column(self._f(t), x), as_column(self._g2(t), x)

    def _reverse_sde_drift(self, x, t, score):
        f, g2 = self._f_g2(t, x)
        return f * x - g2 * score

    def _pf_ode_drift(self, x, t, score):
        f, g2 = self._f_g2(t, x)
        return f * x - 0.5 * g2 * score

    def grid(self, n_steps: int, spacing: str = "uniform", rho: float = 7.0, t_min: float | None = None) -> Grid:
        """Times T = t_0 > ... > t_{n-1} = t_min > t_n = 0: ``n_steps`` steps ending at clean data.

        ``spacing="uniform"``: t_0..t_{n-1} evenly spaced in t; ``"edm"``: Karras et al. (2022, eq. 5)
        sigma_i = (sigma_max^(1/rho) + i/(n-1) (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho mapped
        back to t with :meth:`t_of_sigma`. The last step (t_min -> 0) is where every sampler
        returns its denoiser's estimate x0_hat. ``t_min=0`` with uniform spacing gives
        ``linspace(T, 0, n_steps + 1)``. One step (``n_steps=1``) is the one-shot jump T -> 0.
        """
        n_steps = check_positive_int("n_steps", n_steps)
        check_choice("spacing", spacing, {"uniform", "edm"})
        rho = check_positive_float("rho", rho)
        t_min = self.t_min_default if t_min is None else check_positive_float("t_min", t_min, allow_zero=True)
        if t_min >= self.T:
            raise ValueError(f"t_min must be < T={self.T}, got {t_min}")
        zero = torch.zeros(1, dtype=torch.float64)
        if n_steps == 1:
            return Grid(self, torch.tensor([self.T, 0.0], dtype=torch.float64))
        if spacing == "uniform":
            if t_min == 0:
                return Grid(self, torch.linspace(self.T, 0.0, n_steps + 1, dtype=torch.float64))
            return Grid(self, torch.cat([torch.linspace(self.T, t_min, n_steps, dtype=torch.float64), zero]))
        if t_min == 0:
            raise ValueError("spacing='edm' needs t_min > 0 (sigma_min > 0)")
        s_max = float(self._sigma(torch.tensor(self.T, dtype=torch.float64)))
        s_min = float(self._sigma(torch.tensor(t_min, dtype=torch.float64)))
        t = self._t_of_sigma(edm_sigmas(n_steps, s_min, s_max, rho))
        t[0] = self.T
        t[-1] = t_min
        return Grid(self, torch.cat([t, zero]))


def _autograd_f_g2(alpha_fn: Callable, beta_fn: Callable, t: torch.Tensor):
    """f = alpha'/alpha and g^2 = alpha^2 d/dt (beta^2/alpha^2), differentiated by autograd."""
    with torch.enable_grad():
        tt = t.detach().to(torch.float64).clone().requires_grad_(True)
        a = alpha_fn(tt) + 0 * tt  # "+ 0 * tt" keeps a graph when alpha is constant
        r = (beta_fn(tt) / a) ** 2
        da, = torch.autograd.grad(a.sum(), tt, retain_graph=True)
        dr, = torch.autograd.grad(r.sum(), tt)
    f = (da / a).detach()
    g2 = (a.detach() ** 2 * dr)
    return f.to(t.dtype), g2.to(t.dtype)


class VP(Process):
    """Variance-preserving SDE (Song et al. 2021): beta(t) = beta_min + t (beta_max - beta_min),
    alpha(t) = exp(-t^2 (beta_max - beta_min)/4 - t beta_min/2), beta(t)^2 = 1 - alpha(t)^2,
    f = -beta(t)/2, g^2 = beta(t). (Here "beta(t)" in f, g is Song's rate, not our noise scale.)"""

    def __init__(self, beta_min: float = 0.1, beta_max: float = 20.0, T: float = 1.0):
        self.beta_min = check_positive_float("beta_min", beta_min)
        self.beta_max = check_positive_float("beta_max", beta_max)
        if self.beta_max < self.beta_min:
            raise ValueError(f"beta_max must be >= beta_min, got beta_min={beta_min}, beta_max={beta_max}")
        self.T = check_positive_float("T", T)
        self.t_min_default = 1e-3 * self.T

    def __repr__(self) -> str:
        return f"VP(beta_min={self.beta_min}, beta_max={self.beta_max}, T={self.T})"

    def _log_alpha(self, t):
        return -0.25 * t**2 * (self.beta_max - self.beta_min) - 0.5 * t * self.beta_min

    def _alpha(self, t):
        return torch.exp(self._log_alpha(t))

    def _beta(self, t):
        return torch.sqrt(-torch.expm1(2 * self._log_alpha(t)))

    def _sigma(self, t):
        return torch.sqrt(torch.expm1(-2 * self._log_alpha(t)))

    def _f(self, t):
        return -0.5 * (self.beta_min + t * (self.beta_max - self.beta_min))

    def _g2(self, t):
        return self.beta_min + t * (self.beta_max - self.beta_min)

    def _t_of_sigma(self, sigma):
        L = torch.log1p(sigma.to(torch.float64) ** 2)  # = -2 log alpha = t^2 (bmax - bmin)/2 + t bmin
        d = self.beta_max - self.beta_min
        if d == 0:
            return (L / self.beta_min).to(sigma.dtype)
        return ((-self.beta_min + torch.sqrt(self.beta_min**2 + 2 * d * L)) / d).to(sigma.dtype)


class VE(Process):
    """Variance-exploding SDE (Song et al. 2021): f = 0, g^2 = d/dt sigma^2 with
    sigma(t)^2 = sigma_min^2 ((sigma_max/sigma_min)^(2t/T) - 1), alpha = 1, beta = sigma.

    This is the *exact* marginal of Song's VE SDE started from clean data at t = 0 (Song et al.
    approximate it by sigma_min (sigma_max/sigma_min)^t, which never reaches 0); g is the same.
    """

    def __init__(self, sigma_min: float = 0.01, sigma_max: float = 50.0, T: float = 1.0):
        self.sigma_min = check_positive_float("sigma_min", sigma_min)
        self.sigma_max = check_positive_float("sigma_max", sigma_max)
        if self.sigma_min >= self.sigma_max:
            raise ValueError(f"sigma_min must be < sigma_max, got sigma_min={sigma_min}, sigma_max={sigma_max}")
        self.T = check_positive_float("T", T)
        self._L = 2 * math.log(self.sigma_max / self.sigma_min) / self.T
        self.t_min_default = float(self._t_of_sigma(torch.tensor(self.sigma_min, dtype=torch.float64)))

    def __repr__(self) -> str:
        return f"VE(sigma_min={self.sigma_min}, sigma_max={self.sigma_max}, T={self.T})"

    def _alpha(self, t):
        return torch.ones_like(t)

    def _beta(self, t):
        return self.sigma_min * torch.sqrt(torch.expm1(self._L * t))

    _sigma = _beta

    def _f(self, t):
        return torch.zeros_like(t)

    def _g2(self, t):
        return self.sigma_min**2 * self._L * torch.exp(self._L * t)

    def _t_of_sigma(self, sigma):
        return torch.log1p((sigma / self.sigma_min) ** 2) / self._L

    def _condition(self, t):
        return torch.log(self._sigma(t).clamp_min(1e-12)) / 4


class EDM(Process):
    """Karras et al. (2022) process: s(t) = 1, sigma(t) = t, so x_t = x0 + t eps, t in [0, sigma_max];
    f = 0, g^2 = 2t. ``sigma_min`` is the default smallest nonzero grid time."""

    def __init__(self, sigma_min: float = 0.002, sigma_max: float = 80.0):
        self.sigma_min = check_positive_float("sigma_min", sigma_min)
        self.sigma_max = check_positive_float("sigma_max", sigma_max)
        if self.sigma_min >= self.sigma_max:
            raise ValueError(f"sigma_min must be < sigma_max, got sigma_min={sigma_min}, sigma_max={sigma_max}")
        self.T = self.sigma_max
        self.t_min_default = self.sigma_min

    def __repr__(self) -> str:
        return f"EDM(sigma_min={self.sigma_min}, sigma_max={self.sigma_max})"

    def _alpha(self, t):
        return torch.ones_like(t)

    def _beta(self, t):
        return t.clone()

    _sigma = _beta

    def _f(self, t):
        return torch.zeros_like(t)

    def _g2(self, t):
        return 2 * t

    def _t_of_sigma(self, sigma):
        return sigma.clone()

    def _condition(self, t):
        return torch.log(t.clamp_min(1e-12)) / 4


class AlphaBetaProcess(Process):
    """A process from any user-chosen pair (alpha(t), beta(t)) on [0, T].

    ``alpha_fn`` and ``beta_fn`` map a float tensor of times to tensors of the same shape
    (written with torch operations so that autograd can differentiate them). f = alpha'/alpha
    and g^2 = alpha^2 d/dt(beta^2/alpha^2) are obtained by automatic differentiation.
    sigma = beta/alpha must increase with t (checked on a grid).
    """

    def __init__(self, alpha_fn: Callable, beta_fn: Callable, T: float = 1.0, t_min: float = 1e-3):
        check_signature("alpha_fn", alpha_fn, 1, "(t)"); check_signature("beta_fn", beta_fn, 1, "(t)")
        self.T = check_positive_float("T", T)
        self.t_min_default = check_positive_float("t_min", t_min)
        self.alpha_fn, self.beta_fn = alpha_fn, beta_fn
        ts = torch.linspace(0, self.T, 257, dtype=torch.float64)
        a, b = alpha_fn(ts), beta_fn(ts)
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)) or a.shape != ts.shape or b.shape != ts.shape:
            raise TypeError("alpha_fn and beta_fn must map a tensor of times to a tensor of the same shape")
        if not (torch.isfinite(a).all() and torch.isfinite(b).all()) or (a <= 0).any() or (b < 0).any():
            raise ValueError("alpha_fn must be > 0 and beta_fn >= 0 and both finite on [0, T]")
        if ((b / a)[1:] <= (b / a)[:-1]).any():
            raise ValueError("sigma = beta/alpha must increase strictly with t on [0, T]")

    def _alpha(self, t):
        return self.alpha_fn(t)

    def _beta(self, t):
        return self.beta_fn(t)


# ---------------------------------------------------------------------------------------------
class DDPMChain(Process):
    """The discrete DDPM chain x_k = A_k x_{k-1} + B_k eps_k, k = 1..N (Ho et al. 2020), as a process
    whose time is the step index k in [0, N] (T = N).

    Tables of shape (N+1,) in float64, index k (index 0: A=1, B=0): ``A``, ``B``,
    ``alphas`` (alpha_k = A_1...A_k, alpha_0 = 1) and ``betas`` (beta_k = sqrt(1 - alpha_k^2)).
    ``B2`` holds the step variances B_k^2 (DDPM's "beta_t").

    As a :class:`Process`, ``alpha(k)``, ``beta(k)``, ``sigma(k)`` accept fractional k: log alpha
    is interpolated linearly between whole steps, so on each segment (k-1, k] the chain is a VP
    process with f = log A_k and g^2 = -2 f (alpha^2 + beta^2 = 1).
    """

    def __init__(self, schedule: str = "linear", N: int = 1000, **kw):
        allowed = [p for p in inspect.signature(step_variances).parameters if p not in ("name", "N")]
        unknown = sorted(set(kw) - set(allowed))
        if unknown:
            raise TypeError(f"unknown keyword argument(s) {unknown} for DDPMChain; expected some of {allowed}")
        B2 = step_variances(schedule, N, **kw)
        self._build(B2)
        self.schedule = schedule

    def _build(self, B2: torch.Tensor) -> None:
        self.N = int(B2.shape[0])
        self.T = float(self.N)
        self.t_min_default = 1.0
        zero = torch.zeros(1, dtype=torch.float64)
        self.B2 = torch.cat([zero, B2])
        self.A = torch.sqrt(1 - self.B2)
        self.B = torch.sqrt(self.B2)
        self.alphas = torch.cumprod(self.A, 0)
        self._log_alpha = torch.log(self.alphas)
        self.betas = torch.sqrt(-torch.expm1(torch.cumsum(torch.log1p(-self.B2), 0)))  # sqrt(1 - alpha^2), accurate
        self._tables = {torch.device("cpu"): self._log_alpha}

    def __repr__(self) -> str:
        return f"DDPMChain(schedule={self.schedule!r}, N={self.N})"

    # -- checks ----------------------------------------------------------------------------
    def _t(self, t, name: str = "k") -> torch.Tensor:
        return self._k(t, name=name)

    def _k(self, k, *, integer: bool = False, lo: int = 0, name: str = "k") -> torch.Tensor:
        k = as_tensor(name, k, max_ndim=1)
        if integer and not torch.equal(k, torch.round(k)):
            raise ValueError(f"{name} must hold whole step indices (0, 1, ..., N)")
        if k.numel() and (float(k.min()) < lo or float(k.max()) > self.N):
            raise ValueError(f"step index {name} must lie in [{lo}, N={self.N}], got values in "
                             f"[{k.min().item()}, {k.max().item()}]")
        return k

    # -- the process's functions of k (unchecked) --------------------------------------------
    def _table(self, device: torch.device) -> torch.Tensor:
        """log alpha_k on ``device`` (copied once per device: no host round trip per call)."""
        tab = self._tables.get(device)
        if tab is None:
            dtype = torch.float32 if device.type == "mps" else torch.float64
            tab = self._tables[device] = self._log_alpha.to(device=device, dtype=dtype)
        return tab

    def _log_alpha_at(self, k: torch.Tensor) -> torch.Tensor:
        la = self._table(k.device)
        kd = k.detach().to(la.dtype)
        lo = kd.floor().long().clamp(max=self.N - 1)
        return torch.lerp(la[lo], la[lo + 1], kd - lo)

    def _alpha_beta(self, k: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # both from log alpha in float64 (beta = sqrt(1 - alpha^2) stays accurate for small beta),
        # rounded to k's dtype only at the end
        log_a = self._log_alpha_at(k)
        a, b = torch.exp(log_a), torch.sqrt(-torch.expm1(2 * log_a))
        return a.to(k.dtype), b.to(k.dtype)

    def _alpha(self, k):
        return self._alpha_beta(k)[0]

    def _beta(self, k):
        return self._alpha_beta(k)[1]

    def _sigma(self, k):
        a, b = self._alpha_beta(k)
        return b / a

    def _f(self, k):
        # d log alpha / dk on the segment (k-1, k] that a reverse step from k walks through
        la = self._table(k.device)
        hi = torch.ceil(k.detach().to(la.dtype)).long().clamp(1, self.N)
        return (la[hi] - la[hi - 1]).to(k.dtype)

    def _g2(self, k):
        return -2 * self._f(k)

    def _t_of_sigma(self, sigma: torch.Tensor) -> torch.Tensor:
        s = sigma.detach().to(torch.float64).cpu()
        # alpha^2 = 1/(1 + sigma^2) and log alpha is linear in k between whole steps (see _alpha_beta)
        la_t = -0.5 * torch.log1p(s**2)
        la = self._log_alpha
        idx = torch.searchsorted(-la, (-la_t).reshape(-1)).reshape(s.shape).clamp(1, self.N)
        w = ((la_t - la[idx - 1]) / (la[idx] - la[idx - 1])).clamp(0, 1)
        out = (idx - 1).to(torch.float64) + w
        out = torch.where(s == 0, torch.zeros_like(out), out)
        return out.to(dtype=sigma.dtype, device=sigma.device)

    # -- grid and prior ----------------------------------------------------------------------
    def grid(self, n_steps: int | None = None) -> Grid:
        """Integer times N, ..., 0 (all N steps), or ``n_steps`` evenly spaced ones for DDIM-style skipping."""
        if n_steps is None:
            n_steps = self.N
        n_steps = check_positive_int("n_steps", n_steps)
        if n_steps > self.N:
            raise ValueError(f"n_steps must be <= N={self.N}, got {n_steps}")
        k = torch.floor(torch.linspace(self.N, 0, n_steps + 1, dtype=torch.float64) + 0.5)
        return Grid(self, k)

    @property
    def prior_std(self) -> float:
        """beta_N (from the accurate table)."""
        return float(self.betas[-1])

    # -- the chain --------------------------------------------------------------------------
    def marginal(self, x0: torch.Tensor, k, eps: torch.Tensor) -> torch.Tensor:
        """One-jump formula x_k = alpha_k x0 + beta_k eps (whole steps k)."""
        check_matching_points("x0", x0, "eps", eps)
        alpha_k, beta_k = self._alpha_beta(self._k(k, integer=True))
        return as_column(alpha_k, x0) * x0 + as_column(beta_k, x0) * eps

    def forward_step(self, x_prev: torch.Tensor, k, eps: torch.Tensor) -> torch.Tensor:
        """One step of the chain: x_k = A_k x_{k-1} + B_k eps (k in 1..N)."""
        check_matching_points("x_prev", x_prev, "eps", eps)
        k = self._k(k, integer=True, lo=1)
        kl = k.detach().cpu().long()
        return as_column(self.A[kl], x_prev) * x_prev + as_column(self.B[kl], x_prev) * eps

    def posterior(self, x_k: torch.Tensor, x0: torch.Tensor, k):
        """Mean and variance of q(x_{k-1} | x_k, x0) (k in 1..N).

        mean = alpha_{k-1} B_k^2 / beta_k^2 x0 + A_k beta_{k-1}^2 / beta_k^2 x_k,
        var = B_k^2 beta_{k-1}^2 / beta_k^2 (returned with shape (n, 1), or () for a scalar k).
        """
        check_matching_points("x_k", x_k, "x0", x0)
        k = self._k(k, integer=True, lo=1)
        kl = k.detach().cpu().long()
        b2k, b2p = self.betas[kl] ** 2, self.betas[kl - 1] ** 2
        c0 = self.alphas[kl - 1] * self.B2[kl] / b2k
        ck = self.A[kl] * b2p / b2k
        var = self.B2[kl] * b2p / b2k
        return as_column(c0, x0) * x0 + as_column(ck, x_k) * x_k, as_column(var, x0)
