r"""Toy distributions with exact answers for the noised marginal.

For data x0 ~ p and the forward noising ``x_t = alpha * x0 + beta * eps`` with
eps ~ N(0, I), each distribution below knows, in closed form,

* ``log_prob_noised(x, alpha, beta)``: log of the density of x_t at x,
* ``score(x, alpha, beta)``: the gradient of that log density,
* ``denoiser(x, alpha, beta)``: the ideal denoiser E[x0 | x_t = x],

which are tied together by Tweedie's formula
``denoiser = (x + beta**2 * score) / alpha``.

``alpha`` and ``beta`` are Python floats or tensors of shape (n,) (one value per
point); alpha > 0 and beta >= 0. At beta = 0 there is no noise and the denoiser
returns x / alpha (the identity when alpha = 1); the score and log density of a
distribution without a density (``Empirical``, ``Uniform01`` at its edges) then
raise a ``ValueError``.

``denoiser_for(process)`` and ``score_for(process)`` turn these into the
``D(x, t)`` / ``score(x, t)`` callables the samplers consume, looking up
``alpha`` and ``beta`` from the process (``process.alpha_beta(t)``; t is the step
index k for the discrete DDPM chain).

Classes: :class:`GaussianMixture`, :class:`Gaussian` (a one-component mixture),
:class:`Uniform01`, :class:`CircleMixture` (points uniform on circles in 2D, e.g. the
true distribution behind the two-circles training set) and :class:`Empirical` (a finite training set: its denoiser
is the "memorising" softmax-weighted average of the training points).
"""
from __future__ import annotations

import math
from numbers import Real
from typing import Callable

import torch

from ._checks import (as_coef_column, as_param, check_float_dtype, check_generator, check_points, check_positive_int,
                      check_process, check_real)
from .denoisers import _score_to_x0
from .device import rand, randn

__all__ = ["Distribution", "Gaussian", "GaussianMixture", "Uniform01", "CircleMixture", "Empirical"]

_LOG_2PI = math.log(2 * math.pi)


# --- helpers -----------------------------------------------------------------
class Distribution:
    """Base class: subclasses define ``dim``, ``sample``, ``denoiser`` and usually ``score``."""

    dim: int

    # -- to implement ----------------------------------------------------------
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        raise TypeError(f"{type(self).__name__} is an abstract distribution: use Gaussian, GaussianMixture, Uniform01, "
                        "CircleMixture or Empirical, or subclass Distribution and define sample and _denoiser")

    def _denoiser(self, x: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _score(self, x: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _log_prob(self, x: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    _score_needs_noise = True  # score/log density need beta > 0

    # -- public, checked API -----------------------------------------------------
    def _prepare(self, x, alpha, beta, *, need_noise: bool):
        if not hasattr(self, "dim"):
            self.sample(1)   # raises: an abstract Distribution
        check_points("x", x, dim=self.dim)
        a = as_coef_column("alpha", alpha, x, allow_zero=False)
        b = as_coef_column("beta", beta, x, allow_zero=not need_noise)
        return x, a, b

    def log_prob_noised(self, x: torch.Tensor, alpha, beta) -> torch.Tensor:
        """log q(x_t = x) for x_t = alpha x0 + beta eps, shape (n,)."""
        x, a, b = self._prepare(x, alpha, beta, need_noise=self._score_needs_noise)
        return self._log_prob(x, a, b)

    def score(self, x: torch.Tensor, alpha, beta) -> torch.Tensor:
        """grad_x log q(x_t = x), shape (n, d)."""
        x, a, b = self._prepare(x, alpha, beta, need_noise=self._score_needs_noise)
        return self._score(x, a, b)

    def denoiser(self, x: torch.Tensor, alpha, beta) -> torch.Tensor:
        """E[x0 | x_t = x], shape (n, d); x / alpha where beta = 0."""
        return self._denoise(*self._prepare(x, alpha, beta, need_noise=False))

    def _denoise(self, x, a, b):
        """The denoiser at checked x and alpha, beta columns (x / alpha where beta = 0)."""
        safe_b = torch.where(b > 0, b, torch.ones_like(b))
        return torch.where(b > 0, self._denoiser(x, a, safe_b), x / a)

    def denoiser_for(self, process) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        """``D(x, t)`` = E[x0 | x_t = x] with alpha, beta read from ``process`` at time t."""
        check_process(process)

        def denoiser(x: torch.Tensor, t) -> torch.Tensor:
            return self.denoiser(x, *process.alpha_beta(t))

        def unchecked(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            # what a sampler calls once it has checked x and the grid: t of shape (n,) on x's device
            a, b = process._alpha_beta(t)
            return self._denoise(x, a.detach().to(x.dtype)[:, None], b.detach().to(x.dtype)[:, None])

        denoiser.process = process   # a sampler refuses a grid of another process
        denoiser.dim = getattr(self, "dim", None)   # ... and points of another dimension
        denoiser._unchecked = unchecked
        return denoiser

    def score_for(self, process) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        """``score(x, t)`` = grad log q_t(x) with alpha, beta read from ``process`` at time t."""
        check_process(process)

        def score(x: torch.Tensor, t) -> torch.Tensor:
            return self.score(x, *process.alpha_beta(t))

        score.process = process
        return score


# --- Gaussian mixtures --------------------------------------------------------
def _draw_components(weights: torch.Tensor, n: int, generator: torch.Generator | None) -> torch.Tensor:
    """``n`` mixture-component indices drawn with probabilities ``weights`` (on the generator's device), on the CPU."""
    gen_device = generator.device if generator is not None else "cpu"
    return torch.multinomial(weights.to(gen_device), n, replacement=True, generator=generator).cpu()


class GaussianMixture(Distribution):
    r"""Mixture sum_k w_k N(m_k, diag(s_k^2)) in d dimensions.

    ``weights``: (K,), non-negative, summing to 1. ``means``: (K, d) (a 1-D list of K
    numbers means d = 1). ``stds``: a number, (K,) (isotropic per component) or (K, d)
    (diagonal), all > 0. Noised, component k becomes N(alpha m_k, alpha^2 s_k^2 + beta^2),
    so every answer is a responsibility-weighted sum of Gaussian answers.
    """

    _score_needs_noise = False

    def __init__(self, weights, means, stds):
        w = as_param("weights", weights, ndim_max=1).reshape(-1)
        m = as_param("means", means)
        if m.ndim == 1:
            m = m[:, None]
        if m.ndim == 0 or m.shape[0] != w.shape[0]:
            raise ValueError(
                f"means must have shape (K, d) with K = len(weights) = {w.shape[0]}, got shape {tuple(m.shape)}"
            )
        if (w < 0).any() or abs(w.sum().item() - 1.0) > 1e-6:
            raise ValueError(f"weights must be >= 0 and sum to 1, got {w.tolist()} (sum {w.sum().item():.6g})")
        s = as_param("stds", stds)
        K, d = m.shape
        if s.ndim == 0:
            s = s.expand(K, d)
        elif s.ndim == 1 and s.shape[0] == K:
            s = s[:, None].expand(K, d)
        elif s.shape != (K, d):
            raise ValueError(f"stds must be a number, shape ({K},) or ({K}, {d}), got shape {tuple(s.shape)}")
        if (s <= 0).any():
            raise ValueError(f"stds must be > 0, got min {s.min().item():.4g}")
        self.weights, self.means, self.stds = w, m, s.clone()
        self.dim = int(d)

    def __repr__(self) -> str:
        return f"GaussianMixture(K={self.weights.shape[0]}, dim={self.dim})"

    def sample(self, n: int, generator: torch.Generator | None = None, dtype=torch.float32) -> torch.Tensor:
        """``n`` i.i.d. draws, shape (n, d), on the CPU."""
        n = check_positive_int("n", n)
        check_generator(generator)
        check_float_dtype("dtype", dtype)
        k = _draw_components(self.weights, n, generator)
        z = randn((n, self.dim), generator=generator, dtype=torch.float64).cpu()
        return (self.means[k] + self.stds[k] * z).to(dtype)

    def _parts(self, x, a, b):
        """Per-component quantities, shapes (n, K, d) / (n, K)."""
        w, m, s = (p.to(device=x.device, dtype=x.dtype) for p in (self.weights, self.means, self.stds))
        a3, b3 = a[:, :, None], b[:, :, None]
        var = a3**2 * s**2 + b3**2  # (n, K, d)
        diff = x[:, None, :] - a3 * m  # (n, K, d)
        log_comp = -0.5 * ((diff**2 / var) + torch.log(var) + _LOG_2PI).sum(-1)  # (n, K)
        log_joint = torch.log(w) + log_comp
        return m, s, a3, var, diff, log_joint

    def _log_prob(self, x, a, b):
        return torch.logsumexp(self._parts(x, a, b)[-1], dim=1)

    def _score(self, x, a, b):
        _, _, _, var, diff, log_joint = self._parts(x, a, b)
        r = torch.softmax(log_joint, dim=1)[:, :, None]
        return (r * (-diff / var)).sum(1)

    def _denoiser(self, x, a, b):
        m, s, a3, var, diff, log_joint = self._parts(x, a, b)
        r = torch.softmax(log_joint, dim=1)[:, :, None]
        return (r * (m + a3 * s**2 / var * diff)).sum(1)


class Gaussian(GaussianMixture):
    """N(mean, diag(std^2)): ``mean`` a number or (d,), ``std`` a number or (d,).

    ``dim`` sets d when both are numbers (default 1). Noised: N(alpha mean, alpha^2 std^2 + beta^2).
    """

    def __init__(self, mean=0.0, std=1.0, dim: int | None = None):
        m = as_param("mean", mean, ndim_max=1)
        s = as_param("std", std, ndim_max=1)
        d = max(m.numel() if m.ndim else 1, s.numel() if s.ndim else 1)
        if dim is not None:
            dim = check_positive_int("dim", dim)
            if d > 1 and d != dim:
                raise ValueError(f"dim={dim} does not match mean/std of length {d}")
            d = dim
        for name, p in (("mean", m), ("std", s)):
            if p.ndim == 1 and p.numel() not in (1, d):
                raise ValueError(f"{name} must be a number or have length {d}, got length {p.numel()}")
        super().__init__([1.0], m.reshape(-1).expand(d)[None, :], s.reshape(-1).expand(d)[None, :])
        self.mean, self.std = self.means[0], self.stds[0]

    def __repr__(self) -> str:
        return f"Gaussian(mean={self.mean.tolist()}, std={self.std.tolist()})"


# --- U[0, 1] --------------------------------------------------------------------
def _log_ndtr_diff(hi: torch.Tensor, lo: torch.Tensor) -> torch.Tensor:
    """log(Phi(hi) - Phi(lo)) for hi > lo, accurate in both tails."""
    flip = (hi + lo) > 0  # both far right: use Phi(hi) - Phi(lo) = Phi(-lo) - Phi(-hi)
    hi, lo = torch.where(flip, -lo, hi), torch.where(flip, -hi, lo)
    log_hi, log_lo = torch.special.log_ndtr(hi), torch.special.log_ndtr(lo)
    return log_hi + torch.log(-torch.expm1(log_lo - log_hi))


def _log_phi(z: torch.Tensor) -> torch.Tensor:
    return -0.5 * z**2 - 0.5 * _LOG_2PI


class Uniform01(Distribution):
    r"""U[0, 1] in 1D. Noised, its density is (Phi(x/beta) - Phi((x - alpha)/beta)) / alpha.

    The score is (phi(x/beta) - phi((x - alpha)/beta)) / (beta Z) with Z the cdf
    difference; everything is evaluated in log space (and in float64 where the device
    has it), so it stays accurate far outside [0, alpha].
    """

    dim = 1

    def __repr__(self) -> str:
        return "Uniform01()"

    def sample(self, n: int, generator: torch.Generator | None = None, dtype=torch.float32) -> torch.Tensor:
        """``n`` i.i.d. draws, shape (n, 1), on the CPU."""
        n = check_positive_int("n", n)
        check_generator(generator)
        check_float_dtype("dtype", dtype)
        return rand((n, 1), generator=generator, dtype=dtype).cpu()

    @staticmethod
    def _wide(*ts):
        if ts[0].device.type == "mps":
            return ts
        return tuple(t.double() for t in ts)

    def _log_prob(self, x, a, b):
        xw, aw, bw = self._wide(x, a, b)
        out = _log_ndtr_diff(xw / bw, (xw - aw) / bw) - torch.log(aw)
        return out[:, 0].to(x.dtype)

    def _score_wide(self, x, a, b):
        hi, lo = x / b, (x - a) / b
        log_z = _log_ndtr_diff(hi, lo)
        return (torch.exp(_log_phi(hi) - log_z) - torch.exp(_log_phi(lo) - log_z)) / b

    def _score(self, x, a, b):
        return self._score_wide(*self._wide(x, a, b)).to(x.dtype)

    def _denoiser(self, x, a, b):
        xw, aw, bw = self._wide(x, a, b)
        d = _score_to_x0(xw, self._score_wide(xw, aw, bw), aw, bw)  # Tweedie, from the conversion table
        return d.clamp(0.0, 1.0).to(x.dtype)  # clamp only removes rounding outside [0, 1]


# --- uniform on circles (2D) ---------------------------------------------------------
class CircleMixture(Distribution):
    r"""Points uniform on K circles in 2D: circle k (centre c_k, radius r) chosen w.p. w_k.

    Noised, with y = x - alpha c_k and kappa = alpha r |y| / beta^2, circle k has density
    exp(-(|y|^2 + alpha^2 r^2) / (2 beta^2)) I0(kappa) / (2 pi beta^2), and the posterior mean
    of x0 on it is c_k + r (I1(kappa) / I0(kappa)) y / |y| (modified Bessel functions,
    evaluated with the scaled ``i0e``/``i1e`` so that large kappa does not overflow).
    :meth:`two_circles` gives the distribution that ``data.two_circles`` samples evenly.
    """

    dim = 2

    def __init__(self, centres, radius: float = 0.5, weights=None):
        c = as_param("centres", centres)
        if c.ndim != 2 or c.shape[1] != 2:
            raise ValueError(f"centres must have shape (K, 2), got shape {tuple(c.shape)}")
        K = c.shape[0]
        w = torch.full((K,), 1.0 / K, dtype=torch.float64) if weights is None else as_param("weights", weights, ndim_max=1)
        if w.shape != (K,):
            raise ValueError(f"weights must have shape ({K},) like the centres, got shape {tuple(w.shape)}")
        if (w < 0).any() or abs(w.sum().item() - 1.0) > 1e-6:
            raise ValueError(f"weights must be >= 0 and sum to 1, got {w.tolist()} (sum {w.sum().item():.6g})")
        if isinstance(radius, bool) or not isinstance(radius, Real) or not math.isfinite(radius) or radius <= 0:
            raise ValueError(f"radius must be a finite number > 0, got {radius!r}")
        self.centres, self.weights, self.radius = c, w, float(radius)

    @classmethod
    def two_circles(cls, radius: float = 0.5, offset: float = 0.7) -> "CircleMixture":
        """Two equally likely circles centred at (+offset, +offset) and (-offset, -offset)."""
        offset = check_real("offset", offset)
        return cls([[offset, offset], [-offset, -offset]], radius)

    def __repr__(self) -> str:
        return f"CircleMixture(centres={self.centres.tolist()}, radius={self.radius})"

    def sample(self, n: int, generator: torch.Generator | None = None, dtype=torch.float32) -> torch.Tensor:
        """``n`` i.i.d. points, shape (n, 2), on the CPU."""
        n = check_positive_int("n", n)
        check_generator(generator)
        check_float_dtype("dtype", dtype)
        k = _draw_components(self.weights, n, generator)
        theta = 2 * math.pi * rand((n,), generator=generator, dtype=torch.float64).cpu()
        ring = self.radius * torch.stack([torch.cos(theta), torch.sin(theta)], dim=1)
        return (self.centres[k] + ring).to(dtype)

    def _parts(self, x, a, b):
        """y (n, K, 2), |y| (n, K), kappa (n, K) and log w_k p_k(x) (n, K)."""
        c, w = self.centres.to(x), self.weights.to(x)
        y = x[:, None, :] - a[:, :, None] * c  # (n, K, 2)
        ny = y.norm(dim=-1)
        kappa = a * self.radius * ny / b**2
        log_p = (
            torch.log(w) - torch.log(2 * math.pi * b**2)
            - (ny - a * self.radius) ** 2 / (2 * b**2) + torch.log(torch.special.i0e(kappa))
        )
        return c, y, ny, kappa, log_p

    def _log_prob(self, x, a, b):
        return torch.logsumexp(self._parts(x, a, b)[-1], dim=1)

    def _posterior_offsets(self, x, a, b):
        """sum_k r_k (alpha E[x0 | circle k] - x): the common part of score and denoiser, (n, 2)."""
        c, y, ny, kappa, log_p = self._parts(x, a, b)
        resp = torch.softmax(log_p, dim=1)[:, :, None]
        ratio = torch.special.i1e(kappa) / torch.special.i0e(kappa)  # I1/I0, in [0, 1)
        unit = y / ny.clamp_min(torch.finfo(x.dtype).tiny)[:, :, None]
        return (resp * (-y + (a * self.radius * ratio)[:, :, None] * unit)).sum(1)

    def _score(self, x, a, b):
        return self._posterior_offsets(x, a, b) / b**2

    def _denoiser(self, x, a, b):
        return (x + self._posterior_offsets(x, a, b)) / a


# --- finite training set -----------------------------------------------------------
class Empirical(Distribution):
    r"""The empirical distribution (1/m) sum_i delta(x_i) of a finite training set.

    Noised, it is the mixture (1/m) sum_i N(alpha x_i, beta^2 I). Its denoiser is the
    softmax-weighted average sum_i w_i x_i with w = softmax(-|x - alpha x_i|^2 / (2 beta^2)):
    the ideal denoiser for this training set, which can only reproduce training points
    ("memorisation"). Computed with a stable softmax, in chunks of rows for large n * m.
    """

    def __init__(self, points: torch.Tensor, chunk_elements: int = 2**22):
        check_points("points", points)
        self.points = points.detach()
        self.dim = int(points.shape[1])
        self.chunk_elements = check_positive_int("chunk_elements", chunk_elements)

    def __repr__(self) -> str:
        return f"Empirical(m={self.points.shape[0]}, dim={self.dim})"

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` training points drawn uniformly with replacement, shape (n, d)."""
        n = check_positive_int("n", n)
        check_generator(generator)
        gen_device = generator.device if generator is not None else "cpu"
        idx = torch.randint(self.points.shape[0], (n,), generator=generator, device=gen_device)
        return self.points[idx.to(self.points.device)]

    def _chunks(self, x, a, b):
        """Yield (rows, log-weights (c, m) before normalisation, points) chunk by chunk."""
        pts = self.points.to(device=x.device, dtype=x.dtype)
        sq = (pts**2).sum(1)  # (m,)
        rows = max(1, self.chunk_elements // max(pts.shape[0] * (self.dim + 1), 1))
        for start in range(0, x.shape[0], rows):
            sl = slice(start, start + rows)
            xs, ac, bc = x[sl], a[sl], b[sl]
            # |x - a x_i|^2 = |x|^2 - 2 a x.x_i + a^2 |x_i|^2 ; |x|^2 is constant per row
            dist = (xs**2).sum(1, keepdim=True) - 2 * ac * (xs @ pts.T) + ac**2 * sq
            yield sl, -dist.clamp_min(0) / (2 * bc**2), pts

    def _mean_offset(self, x, a, b):
        """sum_i w_i (a x_i - x) for each row, shape (n, d)."""
        out = torch.empty_like(x)
        for sl, logits, pts in self._chunks(x, a, b):
            w = torch.softmax(logits, dim=1)
            out[sl] = a[sl] * (w @ pts) - x[sl]
        return out

    def _log_prob(self, x, a, b):
        out = torch.empty(x.shape[0], dtype=x.dtype, device=x.device)
        m = self.points.shape[0]
        for sl, logits, _ in self._chunks(x, a, b):
            out[sl] = torch.logsumexp(logits, dim=1) - math.log(m)
        return out - self.dim * (torch.log(b[:, 0]) + 0.5 * _LOG_2PI)

    def _score(self, x, a, b):
        return self._mean_offset(x, a, b) / b**2

    def _denoiser(self, x, a, b):
        return (x + self._mean_offset(x, a, b)) / a
