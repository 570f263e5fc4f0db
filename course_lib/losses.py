"""Training losses. Each factory returns a callable ``loss(model, x0, generator) -> scalar``
that :func:`course_lib.training.train` minimises."""
from __future__ import annotations

import math

import torch
from torch import nn

from ._checks import (as_column, check_choice, check_generator, check_points, check_positive_float, check_probability,
                      check_real, check_same_process, check_signature)
from .denoisers import NetDenoiser
from .device import rand, randn
from .processes import DDPMChain, Process

__all__ = ["one_shot_loss", "ddpm_eps_loss", "dsm_loss", "edm_loss"]


def one_shot_loss(alpha: float, *, target: str = "x0"):
    """Chapter 1's loss: noise x0 once to x_T = alpha x0 + beta eps (beta = sqrt(1 - alpha^2)),
    and regress the network's output on x0 (``target="x0"``) or on eps (``target="eps"``).

    The model takes x_T alone (no time input). Its MSE-optimal output for ``target="x0"``
    is the posterior mean E[x0 | x_T].
    """
    alpha = check_probability("alpha", alpha)
    if alpha <= 0 or alpha >= 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    check_choice("target", target, {"x0", "eps"})
    beta = math.sqrt(1.0 - alpha**2)

    def loss(model: nn.Module, x0: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        _check_model_input(model, x0, generator, 1, "(x_T)")
        eps = randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        x_T = alpha * x0 + beta * eps
        want = x0 if target == "x0" else eps
        return ((model(x_T) - want) ** 2).sum(dim=1).mean()

    return loss


def _eps_hat_unchecked(model, x, t, alpha, beta, process) -> torch.Tensor:
    """eps_hat from a wrapper, an object with ``.eps``, or a bare network (its output at c = condition(t)),
    for checked inputs: t of shape (n,) in the process's range, alpha and beta its columns (n, 1)
    (computed once by the loss, for x_t and for the network wrapper alike)."""
    if isinstance(model, NetDenoiser):
        return model._denoise(x, t, alpha, beta)[1]
    if hasattr(model, "eps"):
        return model.eps(x, t)
    return model(x, process._condition(t).to(dtype=x.dtype, device=x.device))


def _check_model_input(model, x0, generator, n_args=2, expected="(x, t)", process=None):
    if not isinstance(model, nn.Module) and not callable(model):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not hasattr(model, "eps"):
        check_signature("model", model, n_args, expected)
    check_points("x0", x0)
    dim = getattr(model, "dim", None)
    if isinstance(dim, int) and x0.shape[1] != dim:
        raise ValueError(f"x0 must have {dim} column(s) for this model, got shape {tuple(x0.shape)}")
    check_generator(generator)
    if process is not None:
        check_same_process("model", getattr(model, "process", None), "the loss's process", process)


def ddpm_eps_loss(chain: DDPMChain):
    """Ho et al. (2020) simple loss: k ~ U{1..N}, x_k = alpha_k x0 + beta_k eps,
    loss = E ||eps_hat(x_k, k) - eps||^2 (sum over coordinates, mean over the batch).

    ``model`` is a wrapper from :mod:`course_lib.denoisers` (its ``eps(x, k)`` is used, so any of them
    works, not only EpsDenoiser) or a bare network ``net(x, c)`` predicting eps with c = k/N.
    """
    if not isinstance(chain, DDPMChain):
        raise TypeError(f"chain must be a DDPMChain, got {type(chain).__name__}")

    def loss(model: nn.Module, x0: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        _check_model_input(model, x0, generator, process=chain)
        return unchecked(model, x0, generator)

    def unchecked(model, x0, generator):
        n = x0.shape[0]
        u = rand((n,), generator=generator, device=x0.device, dtype=torch.float64)
        k = torch.clamp(torch.floor(u * chain.N) + 1, max=chain.N).to(x0.dtype)  # uniform on 1..N
        eps = randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        alpha_k, beta_k = (as_column(v, x0) for v in chain._alpha_beta(k))
        x_k = alpha_k * x0 + beta_k * eps                                          # chain.marginal, once
        return ((_eps_hat_unchecked(model, x_k, k, alpha_k, beta_k, chain) - eps) ** 2).sum(dim=1).mean()

    loss.unchecked = unchecked
    return loss


def dsm_loss(process: Process, weighting="eps", t_min: float = 1e-3):
    """Denoising score matching (Vincent 2011; Song et al. 2021, eq. 7) with weighting lambda(t):

        t ~ U[t_min, T], x_t = alpha x0 + beta eps,
        loss = E lambda(t) || s_hat(x_t, t) + eps/beta ||^2 = E lambda(t)/beta^2 || eps_hat - eps ||^2.

    ``weighting``: ``"eps"`` (lambda = beta^2: the plain eps-regression, DDPM's choice),
    ``"likelihood"`` (lambda = g(t)^2, Song et al. 2021b: the loss bounds the negative
    log-likelihood; its variance grows near t_min) or a callable ``lambda(t) -> tensor (n,)``.
    """
    if not isinstance(process, Process):
        raise TypeError(f"process must be a Process (VP, VE, EDM, DDPMChain, ...), got {type(process).__name__}")
    if callable(weighting):
        check_signature("weighting", weighting, 1, "(t)")
    else:
        check_choice("weighting", weighting, {"eps", "likelihood"})
    t_min = check_positive_float("t_min", t_min)
    if t_min >= process.T:
        raise ValueError(f"t_min must be < T={process.T}, got {t_min}")

    def loss(model: nn.Module, x0: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        _check_model_input(model, x0, generator, process=process)
        return unchecked(model, x0, generator)

    def unchecked(model, x0, generator):
        n = x0.shape[0]
        u = rand((n,), generator=generator, device=x0.device, dtype=x0.dtype)
        t = t_min + (process.T - t_min) * u
        eps = randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        alpha, beta = (as_column(v, x0) for v in process._alpha_beta(t))
        x_t = alpha * x0 + beta * eps                                              # process.marginal, once
        err = ((_eps_hat_unchecked(model, x_t, t, alpha, beta, process) - eps) ** 2).sum(dim=1)
        if weighting == "eps":
            w = torch.ones_like(t)
        elif weighting == "likelihood":
            w = process.g2(t) / process.beta(t) ** 2
        else:
            lam = torch.as_tensor(weighting(t), dtype=x0.dtype, device=x0.device)
            if lam.shape != t.shape:
                raise ValueError(f"weighting(t) must return shape {tuple(t.shape)}, got {tuple(lam.shape)}")
            if not bool((torch.isfinite(lam) & (lam >= 0)).all()):
                raise ValueError("weighting(t) must return finite values >= 0, got NaN, inf or negative ones")
            w = lam / process.beta(t) ** 2
        return (w.to(err.dtype) * err).mean()

    loss.unchecked = unchecked

    return loss


def edm_loss(P_mean: float = -1.2, P_std: float = 1.2, sigma_data: float = 0.5):
    """Karras et al. (2022, eq. 8 and Table 1) loss: ln sigma ~ N(P_mean, P_std^2), x = x0 + sigma eps,
    loss = E lambda(sigma) ||D(x, sigma) - x0||^2 with lambda = (sigma^2 + sigma_data^2)/(sigma sigma_data)^2.

    ``model`` is a denoiser D(x, t) on the :class:`EDM` process (t = sigma), typically
    :class:`course_lib.denoisers.EDMPrecond`. ``sigma_data`` is the data's root mean square,
    sqrt(E ||x0||^2 / d) (the standard deviation only for centred data); 0.5 is Karras et al.'s value
    for images in [-1, 1], and is used for the course's toys too (U[0, 1] has 1/sqrt(3) ~ 0.58).
    """
    P_mean = check_real("P_mean", P_mean)
    P_std = check_positive_float("P_std", P_std)
    sigma_data = check_positive_float("sigma_data", sigma_data)

    def loss(model: nn.Module, x0: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        _check_model_input(model, x0, generator)
        return unchecked(model, x0, generator)

    def unchecked(model, x0, generator):
        n = x0.shape[0]
        sigma = torch.exp(P_mean + P_std * randn((n,), generator=generator, device=x0.device, dtype=x0.dtype))
        eps = randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        proc = getattr(model, "process", None)
        if isinstance(proc, Process):
            # x_t = s(t) (x0 + sigma eps) at the time t with sigma(t) = sigma (for EDM: s = 1, t = sigma)
            sigma = sigma.clamp(max=float(proc.sigma(proc.T)))
            t = proc._t_of_sigma(sigma).clamp(max=proc.T)
            alpha, beta = (as_column(v, x0) for v in proc._alpha_beta(t))
            x = alpha * (x0 + sigma[:, None] * eps)
            x0_hat = (model._denoise(x, t, alpha, beta)[0] if isinstance(model, NetDenoiser) else model(x, t))
        else:   # a bare denoiser D(x, sigma): the time is sigma
            t = sigma
            x = x0 + sigma[:, None] * eps
            x0_hat = model(x, t)
        lam = (sigma**2 + sigma_data**2) / (sigma * sigma_data) ** 2
        return (lam * ((x0_hat - x0) ** 2).sum(dim=1)).mean()

    loss.unchecked = unchecked
    return loss
