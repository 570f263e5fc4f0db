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

from ._checks import check_callable, check_matching_points, check_points, check_positive_float
from .processes import EDM, DDPMChain, Process, _as_tensor, _col

__all__ = ["eps_to_x0", "x0_to_eps", "score_to_x0", "x0_to_score", "eps_to_score", "score_to_eps",
           "v_to_x0", "x0_to_v", "v_to_eps",
           "NetDenoiser", "EpsDenoiser", "X0Denoiser", "ScoreDenoiser", "VDenoiser", "EDMPrecond", "edm_coefficients",
           "score_from_denoiser", "eps_from_denoiser"]


def _coef(name: str, c, x: torch.Tensor) -> torch.Tensor:
    c = _as_tensor(name, c)
    return _col(c, x)


def eps_to_x0(x, eps, alpha, beta):
    """x0 = (x - beta eps) / alpha."""
    check_matching_points("x", x, "eps", eps)
    return (x - _coef("beta", beta, x) * eps) / _coef("alpha", alpha, x)


def x0_to_eps(x, x0, alpha, beta):
    """eps = (x - alpha x0) / beta (beta > 0)."""
    check_matching_points("x", x, "x0", x0)
    return (x - _coef("alpha", alpha, x) * x0) / _coef("beta", beta, x)


def x0_to_score(x, x0, alpha, beta):
    """score = grad log p_t(x) = (alpha x0 - x) / beta^2 (Tweedie, with x0 = E[x0 | x])."""
    check_matching_points("x", x, "x0", x0)
    return (_coef("alpha", alpha, x) * x0 - x) / _coef("beta", beta, x) ** 2


def score_to_x0(x, score, alpha, beta):
    """x0 = (x + beta^2 score) / alpha (Tweedie's formula)."""
    check_matching_points("x", x, "score", score)
    return (x + _coef("beta", beta, x) ** 2 * score) / _coef("alpha", alpha, x)


def eps_to_score(x, eps, alpha, beta):
    """score = -eps / beta."""
    check_matching_points("x", x, "eps", eps)
    return -eps / _coef("beta", beta, x)


def score_to_eps(x, score, alpha, beta):
    """eps = -beta score."""
    check_matching_points("x", x, "score", score)
    return -_coef("beta", beta, x) * score


def x0_to_v(x, x0, alpha, beta):
    """v = alpha eps - beta x0 (Salimans & Ho 2022), with eps = (x - alpha x0)/beta."""
    eps = x0_to_eps(x, x0, alpha, beta)
    return _coef("alpha", alpha, x) * eps - _coef("beta", beta, x) * x0


def v_to_x0(x, v, alpha, beta):
    """x0 = (alpha x - beta v) / (alpha^2 + beta^2)."""
    check_matching_points("x", x, "v", v)
    a, b = _coef("alpha", alpha, x), _coef("beta", beta, x)
    return (a * x - b * v) / (a**2 + b**2)


def v_to_eps(x, v, alpha, beta):
    """eps = (beta x + alpha v) / (alpha^2 + beta^2)."""
    check_matching_points("x", x, "v", v)
    a, b = _coef("alpha", alpha, x), _coef("beta", beta, x)
    return (b * x + a * v) / (a**2 + b**2)


# ---------------------------------------------------------------------------------------------
class NetDenoiser(nn.Module):
    """Base of the network wrappers: ``forward(x, t)`` returns x0_hat; ``eps(x, t)`` returns eps_hat.

    ``t`` is the process's time (the step index k for a :class:`DDPMChain`), a number or a
    tensor of shape (n,). Subclasses define ``predicts`` and ``_x0_eps(x, out, a, b)``.
    """

    predicts = "x0"

    def __init__(self, net: nn.Module, process: Process | DDPMChain):
        super().__init__()
        if not isinstance(net, nn.Module):
            raise TypeError(f"net must be a torch.nn.Module (e.g. TimeMLP), got {type(net).__name__}")
        if not isinstance(process, (Process, DDPMChain)):
            raise TypeError(f"process must be a Process or DDPMChain, got {type(process).__name__}")
        self.net = net
        self.process = process
        self.dim = getattr(net, "dim", None)

    def _inputs(self, x, t):
        check_points("x", x, dim=self.dim)
        t = _as_tensor("t", t)
        if t.ndim == 0:
            t = t.expand(x.shape[0])
        if t.shape != (x.shape[0],):
            raise ValueError(f"t must be a number or have shape ({x.shape[0]},), got shape {tuple(t.shape)}")
        t = t.to(device=x.device)
        a, b = self.process.alpha_beta(t)
        a, b = _col(a, x), _col(b, x)
        c = self.process.condition(t).to(device=x.device, dtype=x.dtype)
        return t, a, b, c

    def raw(self, x, t) -> torch.Tensor:
        """The network's own output at (x, t)."""
        _, _, _, c = self._inputs(x, t)
        return self.net(x, c)

    def _outputs(self, x, t):
        _, a, b, c = self._inputs(x, t)
        return self._x0_eps(x, self.net(x, c), a, b)

    def forward(self, x, t) -> torch.Tensor:
        return self._outputs(x, t)[0]

    def eps(self, x, t) -> torch.Tensor:
        """The noise estimate eps_hat(x, t)."""
        return self._outputs(x, t)[1]

    def score(self, x, t) -> torch.Tensor:
        """The score estimate -eps_hat / beta."""
        _, a, b, c = self._inputs(x, t)
        return -self._x0_eps(x, self.net(x, c), a, b)[1] / b


class EpsDenoiser(NetDenoiser):
    """The network predicts eps (Ho et al. 2020); x0_hat = (x - beta eps_hat)/alpha."""

    predicts = "eps"

    def _x0_eps(self, x, out, a, b):
        return (x - b * out) / a, out


class X0Denoiser(NetDenoiser):
    """The network predicts x0 directly; eps_hat = (x - alpha x0_hat)/beta."""

    predicts = "x0"

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
    sd = check_positive_float("sigma_data", sigma_data)
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

    def __init__(self, net: nn.Module, sigma_data: float = 0.5, process: Process | DDPMChain | None = None):
        super().__init__(net, process if process is not None else EDM())
        self.sigma_data = check_positive_float("sigma_data", sigma_data)

    def coefficients(self, sigma: torch.Tensor):
        """(c_skip, c_out, c_in, c_noise) at noise level(s) ``sigma``."""
        return edm_coefficients(sigma, self.sigma_data)

    def _outputs(self, x, t):
        t, a, b, _ = self._inputs(x, t)
        sigma = self.process.sigma_at(t).to(device=x.device, dtype=x.dtype)
        c_skip, c_out, c_in, c_noise = self.coefficients(sigma)
        xs = x / a
        x0 = c_skip[:, None] * xs + c_out[:, None] * self.net(c_in[:, None] * xs, c_noise)
        return x0, (x - a * x0) / b


def score_from_denoiser(denoiser: Callable, process: Process | DDPMChain) -> Callable:
    """score(x, t) = (alpha(t) D(x, t) - x) / beta(t)^2 for any denoiser D(x, t) -> x0_hat."""
    check_callable("denoiser", denoiser)
    if not isinstance(process, (Process, DDPMChain)):
        raise TypeError(f"process must be a Process or DDPMChain, got {type(process).__name__}")

    def score(x, t):
        check_points("x", x)
        t = _as_tensor("t", t).to(x.device)
        a, b = process.alpha_beta(t)
        return (_col(a, x) * denoiser(x, t) - x) / _col(b, x) ** 2

    return score


def eps_from_denoiser(denoiser: Callable, process: Process | DDPMChain) -> Callable:
    """eps(x, t) = (x - alpha(t) D(x, t)) / beta(t) for any denoiser D(x, t) -> x0_hat."""
    check_callable("denoiser", denoiser)
    if not isinstance(process, (Process, DDPMChain)):
        raise TypeError(f"process must be a Process or DDPMChain, got {type(process).__name__}")

    def eps(x, t):
        check_points("x", x)
        t = _as_tensor("t", t).to(x.device)
        a, b = process.alpha_beta(t)
        return (x - _col(a, x) * denoiser(x, t)) / _col(b, x)

    return eps
