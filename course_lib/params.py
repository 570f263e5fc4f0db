"""Parametrisations: what a network predicts (eps, x0, score, v) and how to turn it into a denoiser.

Tensor-level conversions, for x_t = alpha x0 + beta eps (alpha, beta numbers or tensors that
broadcast against x):

    x0 = (x - beta eps) / alpha          score = -eps / beta = (alpha x0 - x) / beta^2
    v  = alpha eps - beta x0             x0 = (alpha x - beta v) / (alpha^2 + beta^2)

Network wrappers (``nn.Module``): ``EpsDenoiser``, ``X0Denoiser``, ``ScoreDenoiser``, ``VDenoiser``
and ``EDMPrecond`` hold a :class:`course_lib.models.TimeMLP` ``net(x, c)`` and a process; each is a
denoiser ``D(x, t) -> x0_hat`` (what every sampler consumes) and also offers ``.eps(x, t)``
(what ``ddpm_eps_loss`` and ``dsm_loss`` regress). The network's condition c is the process's
order-one ``condition(t)``: k/N for the DDPM chain, t/T for VP, log(sigma)/4 for VE and EDM.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ._checks import check_matching_points, check_points, check_positive_float, check_same_process, check_signature
from ._checks import as_column, as_tensor
from .processes import EDM, Process

__all__ = ["eps_to_x0", "x0_to_eps", "score_to_x0", "x0_to_score", "eps_to_score", "score_to_eps",
           "v_to_x0", "x0_to_v", "v_to_eps",
           "NetDenoiser", "EpsDenoiser", "X0Denoiser", "ScoreDenoiser", "VDenoiser", "EDMPrecond", "edm_coefficients",
           "score_from_denoiser", "eps_from_denoiser"]


def _coefs(x_name, x, y_name, y, alpha, beta, *, beta_zero: bool):
    """Checked (alpha, beta) as columns against x: alpha > 0 and beta > 0 (>= 0 with ``beta_zero``)."""
    check_matching_points(x_name, x, y_name, y)
    out = []
    for name, c, zero_ok in (("alpha", alpha, False), ("beta", beta, beta_zero)):
        c = as_tensor(name, c, max_ndim=1)
        if (c < 0).any() or (not zero_ok and (c == 0).any()):
            bound = ">= 0" if zero_ok else "> 0"
            raise ValueError(f"{name} must be {bound}, got values in [{c.min().item():.4g}, {c.max().item():.4g}]"
                             + ("" if zero_ok else f" (this conversion divides by {name})"))
        out.append(as_column(c, x, name))
    return out


def eps_to_x0(x, eps, alpha, beta):
    """x0 = (x - beta eps) / alpha."""
    a, b = _coefs("x", x, "eps", eps, alpha, beta, beta_zero=True)
    return (x - b * eps) / a


def x0_to_eps(x, x0, alpha, beta):
    """eps = (x - alpha x0) / beta (beta > 0)."""
    a, b = _coefs("x", x, "x0", x0, alpha, beta, beta_zero=False)
    return (x - a * x0) / b


def x0_to_score(x, x0, alpha, beta):
    """score = grad log p_t(x) = (alpha x0 - x) / beta^2 (Tweedie, with x0 = E[x0 | x])."""
    a, b = _coefs("x", x, "x0", x0, alpha, beta, beta_zero=False)
    return (a * x0 - x) / b**2


def score_to_x0(x, score, alpha, beta):
    """x0 = (x + beta^2 score) / alpha (Tweedie's formula)."""
    a, b = _coefs("x", x, "score", score, alpha, beta, beta_zero=True)
    return (x + b**2 * score) / a


def eps_to_score(x, eps, alpha, beta):
    """score = -eps / beta."""
    _, b = _coefs("x", x, "eps", eps, alpha, beta, beta_zero=False)
    return -eps / b


def score_to_eps(x, score, alpha, beta):
    """eps = -beta score."""
    _, b = _coefs("x", x, "score", score, alpha, beta, beta_zero=True)
    return -b * score


def x0_to_v(x, x0, alpha, beta):
    """v = alpha eps - beta x0 (Salimans & Ho 2022), with eps = (x - alpha x0)/beta."""
    a, b = _coefs("x", x, "x0", x0, alpha, beta, beta_zero=False)
    return a * ((x - a * x0) / b) - b * x0


def v_to_x0(x, v, alpha, beta):
    """x0 = (alpha x - beta v) / (alpha^2 + beta^2)."""
    a, b = _coefs("x", x, "v", v, alpha, beta, beta_zero=True)
    return (a * x - b * v) / (a**2 + b**2)


def v_to_eps(x, v, alpha, beta):
    """eps = (beta x + alpha v) / (alpha^2 + beta^2)."""
    a, b = _coefs("x", x, "v", v, alpha, beta, beta_zero=True)
    return (b * x + a * v) / (a**2 + b**2)


# ---------------------------------------------------------------------------------------------
class NetDenoiser(nn.Module):
    """Base of the network wrappers: ``forward(x, t)`` returns x0_hat; ``eps(x, t)`` returns eps_hat.

    ``t`` is the process's time (the step index k for a :class:`DDPMChain`), a number or a
    tensor of shape (n,). Subclasses define ``predicts`` and ``_x0_eps(x, out, a, b)``.
    """

    predicts = "x0"
    _eps_needs_noise = False   # eps_hat divides by beta (undefined at t = 0)

    def __init__(self, net: nn.Module, process: Process):
        super().__init__()
        if type(self) is NetDenoiser:
            raise TypeError("NetDenoiser is a base class: use EpsDenoiser, X0Denoiser, ScoreDenoiser, VDenoiser "
                            "or EDMPrecond (or subclass it and define _x0_eps)")
        if not isinstance(net, nn.Module):
            raise TypeError(f"net must be a torch.nn.Module (e.g. TimeMLP), got {type(net).__name__}")
        if not isinstance(process, Process):
            raise TypeError(f"process must be a Process (VP, VE, EDM, DDPMChain, ...), got {type(process).__name__}")
        self.net = net
        self.process = process
        self.dim = getattr(net, "dim", None)

    def _inputs(self, x, t, need_noise: bool = False):
        check_points("x", x, dim=self.dim)
        t = as_tensor("t", t, max_ndim=1)
        if t.ndim == 0:
            t = t.expand(x.shape[0])
        if t.shape != (x.shape[0],):
            raise ValueError(f"t must be a number or have shape ({x.shape[0]},), got shape {tuple(t.shape)}")
        t = t.to(device=x.device)
        a, b = self.process.alpha_beta(t)
        if need_noise and (b == 0).any():
            raise ValueError(f"t must be > 0 here: beta(t) = 0 at t = {t[b == 0][0].item()} (clean data), where "
                             "eps_hat and the score are undefined; the denoiser D(x, t) itself is defined at t = 0")
        a, b = as_column(a, x), as_column(b, x)
        c = self.process.condition(t).to(device=x.device, dtype=x.dtype)
        return t, a, b, c

    def _net(self, x, c, *args) -> torch.Tensor:
        """net(x, c, *args) in the network's own dtype (float64 points into a float32 net are converted),
        returned in x's; ``args`` (e.g. class labels) are passed on unchanged."""
        p = next(self.net.parameters(), None)
        if p is None or p.dtype == x.dtype:
            return self.net(x, c, *args)
        return self.net(x.to(p.dtype), c.to(p.dtype), *args).to(x.dtype)

    def raw(self, x, t) -> torch.Tensor:
        """The network's own output at (x, t)."""
        _, _, _, c = self._inputs(x, t)
        return self._net(x, c)

    def _outputs(self, x, t, need_noise: bool = False):
        _, a, b, c = self._inputs(x, t, need_noise)
        return self._x0_eps(x, self._net(x, c), a, b)

    def forward(self, x, t) -> torch.Tensor:
        return self._outputs(x, t)[0]

    def eps(self, x, t) -> torch.Tensor:
        """The noise estimate eps_hat(x, t)."""
        return self._outputs(x, t, self._eps_needs_noise)[1]

    def score(self, x, t) -> torch.Tensor:
        """The score estimate -eps_hat / beta."""
        _, a, b, c = self._inputs(x, t, need_noise=True)
        return -self._x0_eps(x, self._net(x, c), a, b)[1] / b


class EpsDenoiser(NetDenoiser):
    """The network predicts eps (Ho et al. 2020); x0_hat = (x - beta eps_hat)/alpha."""

    predicts = "eps"

    def _x0_eps(self, x, out, a, b):
        return (x - b * out) / a, out


class X0Denoiser(NetDenoiser):
    """The network predicts x0 directly; eps_hat = (x - alpha x0_hat)/beta."""

    predicts = "x0"
    _eps_needs_noise = True

    def _x0_eps(self, x, out, a, b):
        return out, (x - a * out) / b


class ScoreDenoiser(NetDenoiser):
    """The network's output divided by beta(t) is the score (the scaling of Song et al.'s code,
    which keeps the network's target of order one): score_hat = net(x, c)/beta,
    x0_hat = (x + beta^2 score_hat)/alpha. (This is eps-prediction with the sign flipped.)"""

    predicts = "score"

    def _x0_eps(self, x, out, a, b):
        return (x + b * out) / a, -out


class VDenoiser(NetDenoiser):
    """The network predicts v = alpha eps - beta x0 (Salimans & Ho 2022)."""

    predicts = "v"

    def _x0_eps(self, x, out, a, b):
        n2 = a**2 + b**2
        return (a * x - b * out) / n2, (b * x + a * out) / n2


def edm_coefficients(sigma: torch.Tensor, sigma_data: float):
    """Karras et al. (2022, Table 1): (c_skip, c_out, c_in, c_noise) at noise level(s) ``sigma``."""
    if not isinstance(sigma, torch.Tensor):
        raise TypeError(f"sigma must be a torch.Tensor of noise levels, got {type(sigma).__name__}")
    if not torch.is_floating_point(sigma):
        raise TypeError(f"sigma must be a floating tensor, got dtype {sigma.dtype}")
    if sigma.numel() == 0 or not torch.isfinite(sigma).all() or (sigma <= 0).any():
        raise ValueError(f"sigma must hold at least one noise level, all finite and > 0, got {sigma.tolist()[:5]}")
    return _edm_coefficients(sigma, check_positive_float("sigma_data", sigma_data))


def _edm_coefficients(sigma: torch.Tensor, sd: float):
    c_skip = sd**2 / (sigma**2 + sd**2)
    c_out = sigma * sd / torch.sqrt(sigma**2 + sd**2)
    c_in = 1 / torch.sqrt(sigma**2 + sd**2)
    c_noise = torch.log(sigma) / 4
    return c_skip, c_out, c_in, c_noise


class EDMPrecond(NetDenoiser):
    """Karras et al. (2022, Table 1) preconditioning: with x~ = x / s(t) and sigma = sigma(t),

        D(x, t) = c_skip x~ + c_out F(c_in x~, c_noise),
        c_skip = sigma_data^2/(sigma^2 + sigma_data^2), c_out = sigma sigma_data / sqrt(sigma^2 + sigma_data^2),
        c_in = 1/sqrt(sigma^2 + sigma_data^2),          c_noise = ln(sigma)/4.

    The process defaults to :class:`EDM` (s = 1, sigma = t). ``F`` is the network ``net(x, c)``.
    """

    predicts = "F"
    _eps_needs_noise = True

    def __init__(self, net: nn.Module, sigma_data: float = 0.5, process: Process | None = None):
        super().__init__(net, process if process is not None else EDM())
        self.sigma_data = check_positive_float("sigma_data", sigma_data)

    def coefficients(self, sigma: torch.Tensor):
        """(c_skip, c_out, c_in, c_noise) at noise level(s) ``sigma``."""
        return edm_coefficients(sigma, self.sigma_data)

    def _outputs(self, x, t, need_noise: bool = False, *net_args):
        t, a, b, _ = self._inputs(x, t, need_noise)
        sigma = self.process.sigma(t).to(device=x.device, dtype=x.dtype)
        noisy = sigma > 0      # at sigma = 0 the limit is D = x~ (c_skip = 1, c_out = 0)
        c_skip, c_out, c_in, c_noise = _edm_coefficients(torch.where(noisy, sigma, torch.ones_like(sigma)), self.sigma_data)
        xs = x / a
        x0 = c_skip[:, None] * xs + c_out[:, None] * self._net(c_in[:, None] * xs, c_noise, *net_args)
        x0 = torch.where(noisy[:, None], x0, xs)
        return x0, (x - a * x0) / b


def score_from_denoiser(denoiser: Callable, process: Process) -> Callable:
    """score(x, t) = (alpha(t) D(x, t) - x) / beta(t)^2 for any denoiser D(x, t) -> x0_hat (t > 0)."""
    _check_denoiser_process(denoiser, process)

    def score(x, t):
        x, a, b, d = _denoised(denoiser, process, x, t)
        return (a * d - x) / b**2

    score.process = process
    return score


def _check_denoiser_process(denoiser, process) -> None:
    check_signature("denoiser", denoiser, 2, "(x, t)")
    if not isinstance(process, Process):
        raise TypeError(f"process must be a Process (VP, VE, EDM, DDPMChain, ...), got {type(process).__name__}")
    own = getattr(denoiser, "process", None)
    if own is not None:
        check_same_process("denoiser", own, "process", process)


def _denoised(denoiser, process, x, t):
    """Checked x, alpha and beta (columns, beta > 0) and D(x, t)."""
    check_points("x", x)
    t = as_tensor("t", t, max_ndim=1).to(x.device)
    a, b = process.alpha_beta(t)
    if (b == 0).any():
        raise ValueError("t must be > 0: beta(t) = 0 at t = 0 (clean data), where the score and eps are undefined")
    return x, as_column(a, x, "t"), as_column(b, x, "t"), denoiser(x, t)


def eps_from_denoiser(denoiser: Callable, process: Process) -> Callable:
    """eps(x, t) = (x - alpha(t) D(x, t)) / beta(t) for any denoiser D(x, t) -> x0_hat (t > 0)."""
    _check_denoiser_process(denoiser, process)

    def eps(x, t):
        x, a, b, d = _denoised(denoiser, process, x, t)
        return (x - a * d) / b

    eps.process = process
    return eps
