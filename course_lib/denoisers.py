"""Denoisers: the conversion table between what a network can predict, the network wrappers, and
EDM's preconditioning.

**The conversion table.** For x_t = alpha x0 + beta eps (alpha, beta numbers or columns that
broadcast against x), the four quantities a model can predict are tied together by

    x0 = (x - beta eps) / alpha          eps = (x - alpha x0) / beta
    score = (alpha x0 - x) / beta^2 = -eps / beta      x0 = (x + beta^2 score) / alpha
    v = alpha eps - beta x0              x0 = (alpha x - beta v) / (alpha^2 + beta^2)

and in EDM's frame (alpha = 1, beta = sigma) the PF-ODE slope dx/dsigma = (x - x0)/sigma is the eps row.
The unchecked functions below (``_x0_to_eps``, ``_x0_to_score``, ...) are that table: every sampler,
wrapper, loss and guidance helper converts with them (as k-diffusion's ``to_d`` serves all its
samplers). :func:`convert` is its checked public entry.

**Network wrappers** (``nn.Module``): :class:`EpsDenoiser`, :class:`ScoreDenoiser` and
:class:`EDMPrecond` hold a :class:`course_lib.models.TimeMLP` ``net(x, c)`` and a process; each is a
denoiser ``D(x, t) -> x0_hat`` (what every sampler consumes) and also offers ``.eps(x, t)``
(what ``ddpm_eps_loss`` and ``dsm_loss`` regress) and ``.score(x, t)``. The network's condition c is
the process's order-one ``condition(t)``: k/N for the DDPM chain, t/T for VP, log(sigma)/4 for VE and EDM.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ._checks import (as_alpha_beta_columns, as_column, as_tensor, check_choice, check_denoiser_process,
                      check_matching_points, check_points, check_positive_float)
from .processes import EDM, Process

__all__ = ["convert", "NetDenoiser", "EpsDenoiser", "ScoreDenoiser", "EDMPrecond", "edm_coefficients",
           "score_from_denoiser", "eps_from_denoiser"]


# --- the conversion table (unchecked: a, b are floats or columns against x; b > 0 where it divides) ---------
def _x0_to_eps(x, x0, a, b):
    return (x - a * x0) / b


def _eps_to_x0(x, eps, a, b):
    return (x - b * eps) / a


def _x0_to_score(x, x0, a, b):
    return (a * x0 - x) / b**2


def _score_to_x0(x, score, a, b):
    return (x + b**2 * score) / a


def _eps_to_score(x, eps, a, b):
    return -eps / b


def _score_to_eps(x, score, a, b):
    return -b * score


def _x0_to_v(x, x0, a, b):
    return a * _x0_to_eps(x, x0, a, b) - b * x0


def _v_to_x0(x, v, a, b):
    return (a * x - b * v) / (a**2 + b**2)


def _v_to_eps(x, v, a, b):
    return (b * x + a * v) / (a**2 + b**2)


def _slope_in_sigma(x, x0, sigma):
    """dx/dsigma = (x - x0)/sigma of the PF-ODE in EDM's frame (alpha = 1, beta = sigma): the eps row."""
    return (x - x0) / sigma


_TABLE = {("x0", "eps"): _x0_to_eps, ("eps", "x0"): _eps_to_x0, ("x0", "score"): _x0_to_score,
          ("score", "x0"): _score_to_x0, ("eps", "score"): _eps_to_score, ("score", "eps"): _score_to_eps,
          ("x0", "v"): _x0_to_v, ("v", "x0"): _v_to_x0, ("v", "eps"): _v_to_eps}
_KINDS = ("x0", "eps", "score", "v")


def convert(x: torch.Tensor, value: torch.Tensor, alpha, beta, *, src: str, dst: str) -> torch.Tensor:
    """Convert a prediction ``value`` of kind ``src`` at the noisy point x to kind ``dst``
    (kinds: "x0", "eps", "score", "v"; see the table in the module docstring).

    ``alpha``, ``beta``: numbers or tensors of shape (n,); alpha > 0, and beta > 0 wherever the
    conversion divides by it. E.g. Tweedie: ``convert(x, D(x, t), a, b, src="x0", dst="score")``.
    """
    check_choice("src", src, set(_KINDS)); check_choice("dst", dst, set(_KINDS))
    check_matching_points("x", x, src, value)
    if src == dst:
        return value
    fns = [_TABLE[(src, dst)]] if (src, dst) in _TABLE else [_TABLE[(src, "x0")], _TABLE[("x0", dst)]]
    beta_zero = all(f in (_eps_to_x0, _score_to_x0, _score_to_eps, _v_to_x0, _v_to_eps) for f in fns)
    a, b = as_alpha_beta_columns(x, alpha, beta, beta_zero=beta_zero)
    for f in fns:
        value = f(x, value, a, b)
    return value


# ---------------------------------------------------------------------------------------------
class NetDenoiser(nn.Module):
    """Base of the network wrappers: ``forward(x, t)`` returns x0_hat; ``eps(x, t)`` returns eps_hat,
    ``score(x, t)`` the score estimate.

    ``t`` is the process's time (the step index k for a :class:`DDPMChain`), a number or a
    tensor of shape (n,). Subclasses define ``predicts`` and ``_x0_eps(x, out, a, b)``.
    """

    predicts = "x0"
    _eps_needs_noise = False   # eps_hat divides by beta (undefined at t = 0)

    def __init__(self, net: nn.Module, process: Process):
        super().__init__()
        if type(self) is NetDenoiser:
            raise TypeError("NetDenoiser is a base class: use EpsDenoiser, ScoreDenoiser or EDMPrecond "
                            "(or subclass it and define _x0_eps)")
        if not isinstance(net, nn.Module):
            raise TypeError(f"net must be a torch.nn.Module (e.g. TimeMLP), got {type(net).__name__}")
        if not isinstance(process, Process):
            raise TypeError(f"process must be a Process (VP, VE, EDM, DDPMChain, ...), got {type(process).__name__}")
        self.net = net
        self.process = process
        self.dim = getattr(net, "dim", None)

    # -- checked entry (a user's call) -------------------------------------------------------
    def _inputs(self, x, t, need_noise: bool = False):
        """Checked x and t (a number or shape (n,)) -> t of shape (n,) on x's device and alpha, beta columns."""
        check_points("x", x, dim=self.dim)
        t = as_tensor("t", t, max_ndim=1)
        if t.ndim == 0:
            t = t.expand(x.shape[0])
        if t.shape != (x.shape[0],):
            raise ValueError(f"t must be a number or have shape ({x.shape[0]},), got shape {tuple(t.shape)}")
        t = self.process._t(t.to(device=x.device))
        a, b = self.process._alpha_beta(t)
        if need_noise and (b == 0).any():
            raise ValueError(f"t must be > 0 here: beta(t) = 0 at t = {t[b == 0][0].item()} (clean data), where "
                             "eps_hat and the score are undefined; the denoiser D(x, t) itself is defined at t = 0")
        return t, as_column(a, x), as_column(b, x)

    def _outputs(self, x, t, need_noise: bool = False, *net_args):
        """Checked (x0_hat, eps_hat) at (x, t); ``net_args`` (e.g. class labels) go to the network."""
        return self._denoise(x, *self._inputs(x, t, need_noise), *net_args)

    def forward(self, x, t) -> torch.Tensor:
        return self._outputs(x, t)[0]

    def eps(self, x, t) -> torch.Tensor:
        """The noise estimate eps_hat(x, t)."""
        return self._outputs(x, t, self._eps_needs_noise)[1]

    def score(self, x, t) -> torch.Tensor:
        """The score estimate -eps_hat / beta (t > 0)."""
        t, a, b = self._inputs(x, t, need_noise=True)
        return _eps_to_score(x, self._denoise(x, t, a, b)[1], a, b)

    # -- unchecked internals (what the samplers' inner loops call) ---------------------------
    def _unchecked(self, x, t) -> torch.Tensor:
        """x0_hat for x already checked and t of shape (n,) on x's device, in the process's range."""
        a, b = self.process._alpha_beta(t)
        return self._denoise(x, t, as_column(a, x), as_column(b, x))[0]

    def _denoise(self, x, t, a, b, *net_args):
        """(x0_hat, eps_hat) from the network's output at the process's condition c(t)."""
        c = self.process._condition(t).to(dtype=x.dtype)
        return self._x0_eps(x, self._net(x, c, *net_args), a, b)

    def _net(self, x, c, *args) -> torch.Tensor:
        """net(x, c, *args) in the network's own dtype (float64 points into a float32 net are converted),
        returned in x's; ``args`` (e.g. class labels) are passed on unchanged."""
        p = next(self.net.parameters(), None)
        if p is None or p.dtype == x.dtype:
            return self.net(x, c, *args)
        return self.net(x.to(p.dtype), c.to(p.dtype), *args).to(x.dtype)

    def _raw(self, x, t) -> torch.Tensor:
        """The network's own output at (x, t) (checked)."""
        t, _, _ = self._inputs(x, t)
        return self._net(x, self.process._condition(t).to(dtype=x.dtype))


class EpsDenoiser(NetDenoiser):
    """The network predicts eps (Ho et al. 2020); x0_hat = (x - beta eps_hat)/alpha."""

    predicts = "eps"

    def _x0_eps(self, x, out, a, b):
        return _eps_to_x0(x, out, a, b), out


class ScoreDenoiser(NetDenoiser):
    """The network's output divided by beta(t) is the score (the scaling of Song et al.'s code,
    which keeps the network's target of order one): score_hat = net(x, c)/beta,
    x0_hat = (x + beta^2 score_hat)/alpha. (This is eps-prediction with the sign flipped.)"""

    predicts = "score"

    def _x0_eps(self, x, out, a, b):
        eps = -out
        return _eps_to_x0(x, eps, a, b), eps


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

    def _denoise(self, x, t, a, b, *net_args):
        sigma = (b / a)[:, 0]  # sigma(t) = beta/alpha from the alpha, beta already at hand (no second lookup)
        noisy = sigma > 0      # at sigma = 0 the limit is D = x~ (c_skip = 1, c_out = 0)
        c_skip, c_out, c_in, c_noise = _edm_coefficients(torch.where(noisy, sigma, torch.ones_like(sigma)), self.sigma_data)
        xs = x / a
        x0 = c_skip[:, None] * xs + c_out[:, None] * self._net(c_in[:, None] * xs, c_noise, *net_args)
        x0 = torch.where(noisy[:, None], x0, xs)
        return x0, _x0_to_eps(x, x0, a, b)


def score_from_denoiser(denoiser: Callable, process: Process) -> Callable:
    """score(x, t) = (alpha(t) D(x, t) - x) / beta(t)^2 for any denoiser D(x, t) -> x0_hat (t > 0)."""
    return _from_denoiser(denoiser, process, "score")


def eps_from_denoiser(denoiser: Callable, process: Process) -> Callable:
    """eps(x, t) = (x - alpha(t) D(x, t)) / beta(t) for any denoiser D(x, t) -> x0_hat (t > 0)."""
    return _from_denoiser(denoiser, process, "eps")


def _from_denoiser(denoiser, process, dst: str) -> Callable:
    """``fn(x, t)``: the denoiser's x0_hat converted to ``dst`` with the table, at checked x and t > 0."""
    check_denoiser_process(denoiser, process)
    to_dst = _TABLE[("x0", dst)]

    def fn(x, t):
        check_points("x", x)
        t = as_tensor("t", t, max_ndim=1).to(x.device)
        a, b = process.alpha_beta(t)
        if (b == 0).any():
            raise ValueError(f"t must be > 0: beta(t) = 0 at t = 0 (clean data), where the {dst} is undefined")
        return to_dst(x, denoiser(x, t), as_column(a, x, "t"), as_column(b, x, "t"))

    fn.__name__ = dst
    fn.process = process
    return fn
