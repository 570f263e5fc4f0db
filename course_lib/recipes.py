"""Recipes: a process, a model, a loss, a sampler and a grid, and what one does with them
(fit, sample, sweep).

* :class:`Recipe` bundles the choices that Karras et al. (2022, Table 1) call the design space:
  the process (s(t), sigma(t)), what the network predicts and how its input/output are scaled, the
  training loss (noise-level distribution and weighting), the time grid and the ODE solver.
  :func:`make_recipe` builds the four classic points of that space (DDPM, VP, VE, EDM) from
  ``course_lib`` parts, :func:`train_recipe` fits one, and :func:`nfe_sweep` samples every recipe
  at several numbers of denoiser evaluations (NFE) from the same noise and scores the result with a
  distribution metric (Chapter 6); :func:`sigma_range` and :func:`denoiser_error` compare a
  recipe's denoiser with the exact one.
* :func:`fit_toy_ddpm` is Chapter 2's recipe for toy data, reused by Chapter 3: standardise, train
  an eps-network on a DDPM chain, sample in standardised units and map the samples back
  (:class:`ToyDDPM`). Its defaults are the settings Chapter 2 measures against the noise floor: a
  3 x 64 :class:`~course_lib.models.TimeMLP` fed c = k/N, 3,000 AdamW steps on batches of 1,024, a
  learning rate decaying from 1e-2 to 0 (cosine) and an EMA copy of the weights.
"""
from __future__ import annotations

import inspect
import math
import time
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from ._checks import (check_bool, check_choice, check_device, check_finite, check_points, check_positive_float,
                      check_positive_int, check_same_process, check_seed, check_signature)
from .denoisers import EDMPrecond, EpsDenoiser, ScoreDenoiser
from .device import get_device, make_generator, randn
from .losses import ddpm_eps_loss, dsm_loss, edm_loss
from .models import TimeMLP
from .grids import Grid
from .processes import EDM, VE, VP, DDPMChain, Process
from .samplers import ddim, ddpm_ancestral, edm_euler, edm_heun, pf_ode_euler
from .training import TrainResult, train

__all__ = ["Recipe", "RECIPE_NAMES", "make_recipe", "train_recipe", "nfe_sweep", "SweepResult", "sigma_range",
           "denoiser_error", "ToyDDPM", "fit_toy_ddpm"]

RECIPE_NAMES = ("DDPM", "VP", "VE", "EDM")


@dataclass
class Recipe:
    """One point of the design space: process, denoiser wrapper (holding the net), loss, sampler, grid.

    ``grid_for(n_steps)`` builds the recipe's time grid; ``nfe_per_step`` is 1 for the Euler-type
    samplers and 2 for Heun (whose last step, to sigma = 0, costs 1: NFE = 2 n_steps - 1).
    """

    name: str
    process: object
    model: nn.Module
    loss: Callable
    sampler: Callable
    grid_for: Callable[[int], Grid]
    nfe_per_step: int

    def steps_for_nfe(self, nfe: int) -> int:
        """The largest number of steps whose NFE does not exceed ``nfe`` (at least 1)."""
        nfe = check_positive_int("nfe", nfe)
        if self.nfe_per_step == 1:
            return nfe
        return max(1, (nfe + 1) // 2)

    @property
    def prior_std(self) -> float:
        """Standard deviation of the prior x_T ~ N(0, beta(T)^2 I) (for the chain: beta_N)."""
        return self.process.prior_std

    def sample(self, x_T: torch.Tensor, n_steps: int, denoiser: Callable | None = None, **options):
        """Run the recipe's sampler from ``x_T`` with ``n_steps`` steps; returns (x, SampleInfo).

        ``denoiser`` defaults to the recipe's trained model (any D(x, t) for this process works,
        e.g. an exact one from :mod:`course_lib.distributions`)."""
        D = self.model if denoiser is None else denoiser
        check_signature("denoiser", D, 2, "(x, t)")
        if isinstance(x_T, torch.Tensor) and x_T.ndim == 2:
            dim = getattr(self.model, "dim", None)
            if dim is not None and x_T.shape[1] != dim:
                raise ValueError(f"x_T must have {dim} column(s) for this recipe's model, got shape {tuple(x_T.shape)}")
        check_points("x_T", x_T)
        grid = self.grid_for(check_positive_int("n_steps", n_steps))
        return self.sampler(D, x_T, grid, return_info=True, keep_trajectory=False, **options)


def _seeded_time_mlp(dim: int, hidden: int, depth: int, seed: int, n_features: int = 16) -> TimeMLP:
    """A fresh TimeMLP whose initial weights depend on ``seed`` only; torch's global RNG is left as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return TimeMLP(dim, hidden=hidden, depth=depth, n_features=n_features)


def make_recipe(name: str, dim: int, *, hidden: int = 64, depth: int = 3, n_features: int = 16,
                sigma_data: float = 0.5, edm_sigma_max: float = 80.0, chain_steps: int = 100, seed: int = 0) -> Recipe:
    """The classic recipes of Karras et al. (2022, Table 1), built from course_lib parts.

    * ``"DDPM"``: the discrete chain (linear schedule, ``chain_steps`` steps), eps-prediction,
      Ho et al.'s loss, DDIM (eta = 0, the chain's Euler step in sigma) on a sub-grid of the chain.
    * ``"VP"``: VP SDE (beta_min = 0.1, beta_max = 20), eps-prediction, t ~ U[1e-3, 1], plain eps
      loss (lambda = 1/sigma^2 for D), Euler on the PF-ODE in t with uniform steps.
    * ``"VE"``: VE SDE (sigma in [0.01, 50]), Song et al.'s score scaling (c_skip = 1, c_out = sigma,
      c_in = 1: the raw x goes in), t ~ U (so sigma log-uniform), eps loss, Euler steps in sigma
      on the geometric sigma grid (uniform in the VE time; Euler in the VE time itself overshoots
      when the steps are few, because sigma grows exponentially in t).
    * ``"EDM"``: s = 1, sigma = t, EDM preconditioning with ``sigma_data`` (the data's root mean
      square; default 0.5, Karras et al.'s value), log-normal sigma and
      lambda = 1/c_out^2, Heun with the rho = 7 grid from ``edm_sigma_max`` to 0.002.
    The network is a fresh :class:`TimeMLP` (``hidden``, ``depth``, ``n_features``) whose initial weights
    depend on ``seed`` only (torch's global RNG is left untouched).
    """
    check_choice("name", name, set(RECIPE_NAMES))
    seed = check_seed(seed)
    dim = check_positive_int("dim", dim)
    sigma_data = check_positive_float("sigma_data", sigma_data)
    edm_sigma_max = check_positive_float("edm_sigma_max", edm_sigma_max)
    chain_steps = check_positive_int("chain_steps", chain_steps, minimum=2)
    if edm_sigma_max <= 0.002:
        raise ValueError(f"edm_sigma_max must exceed sigma_min = 0.002, got {edm_sigma_max}")
    net = _seeded_time_mlp(dim, hidden, depth, seed, n_features)
    if name == "DDPM":
        chain = DDPMChain("linear", N=chain_steps)
        return Recipe(name, chain, EpsDenoiser(net, chain), ddpm_eps_loss(chain), ddim,
                      lambda n: chain.grid(min(n, chain.N)), 1)
    if name == "VP":
        vp = VP()
        return Recipe(name, vp, EpsDenoiser(net, vp), dsm_loss(vp, "eps"), pf_ode_euler,
                      lambda n: vp.grid(n, "uniform"), 1)
    if name == "VE":
        ve = VE()
        return Recipe(name, ve, ScoreDenoiser(net, ve), dsm_loss(ve, "eps", t_min=ve.t_min_default), edm_euler,
                      lambda n: ve.grid(n, "uniform"), 1)
    edm = EDM(sigma_max=edm_sigma_max)
    return Recipe(name, edm, EDMPrecond(net, sigma_data=sigma_data, process=edm), edm_loss(sigma_data=sigma_data),
                  edm_heun, lambda n: edm.grid(n, "edm", rho=7.0), 2)


def train_recipe(recipe: Recipe, data: torch.Tensor, **train_options) -> TrainResult:
    """Train ``recipe.model`` on ``data`` with its own loss (options go to :func:`course_lib.training.train`).

    The recipe's model is replaced by the EMA copy when ``ema_decay`` is given."""
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be a Recipe (from make_recipe), got {type(recipe).__name__}")
    allowed = [p for p in inspect.signature(train).parameters if p not in ("model", "loss_fn", "data")]
    unknown = sorted(set(train_options) - set(allowed))
    if unknown:
        raise TypeError(f"unknown training option(s) {unknown} for train_recipe; expected some of {allowed}")
    result = train(recipe.model, recipe.loss, data, **train_options)
    recipe.model = result.best
    return result


@dataclass
class SweepResult:
    """Errors of an NFE sweep: ``errors[name]`` and ``nfe[name]`` are lists aligned with ``targets``."""

    targets: list[int]
    nfe: dict[str, list[int]]
    errors: dict[str, list[float]]
    samples: dict[str, list[torch.Tensor]]

    def error_at(self, name: str, nfe: int) -> float:
        """The error of recipe ``name`` at the target NFE ``nfe``."""
        if name not in self.errors:
            raise ValueError(f"unknown recipe name {name!r}; expected one of {sorted(self.errors)}")
        if isinstance(nfe, bool) or not isinstance(nfe, int) or nfe not in self.targets:
            raise ValueError(f"nfe must be one of the sweep's targets {self.targets}, got {nfe!r}")
        return self.errors[name][self.targets.index(nfe)]


def nfe_sweep(recipes: dict[str, Recipe], metric: Callable[[torch.Tensor], float], targets, *, n: int = 10_000,
              dim: int = 1, seed: int = 0, denoisers: dict[str, Callable] | None = None,
              keep_samples: bool = False) -> SweepResult:
    """Sample each recipe with at most each target NFE and score the samples with ``metric(x) -> float``.

    Every recipe starts from the same standard normal z (scaled by its prior's std), so the
    differences come from the recipes, not from the noise. ``denoisers`` optionally replaces a
    recipe's trained model (e.g. by the exact denoiser for that process).
    """
    if not isinstance(recipes, dict) or not recipes or not all(isinstance(r, Recipe) for r in recipes.values()):
        raise TypeError("recipes must be a non-empty dict name -> Recipe")
    check_signature("metric", metric, 1, "(x)")
    if isinstance(targets, (str, bytes)) or not hasattr(targets, "__iter__"):
        raise TypeError(f"targets must be a list of NFE (integers >= 1), got {type(targets).__name__}")
    targets = [check_positive_int("targets (each NFE)", t) for t in targets]
    if not targets:
        raise ValueError("targets must hold at least one NFE")
    n = check_positive_int("n", n)
    dim = check_positive_int("dim", dim)
    seed = check_seed(seed)
    for name, recipe in recipes.items():
        model_dim = getattr(recipe.model, "dim", None)
        if model_dim is not None and model_dim != dim:
            raise ValueError(f"dim={dim} does not match recipe {name!r}, whose model takes {model_dim} column(s)")
    denoisers = denoisers or {}
    g = make_generator(seed)        # the common noise z, and any noise a sampler draws
    z = randn((n, dim), generator=g)
    out = SweepResult(targets, {}, {}, {})
    for name, recipe in recipes.items():
        params = list(recipe.model.parameters()) if isinstance(recipe.model, nn.Module) else []
        x_T = recipe.prior_std * (z.to(params[0].device) if params else z)
        out.nfe[name], out.errors[name], out.samples[name] = [], [], []
        for target in targets:
            x, info = recipe.sample(x_T, recipe.steps_for_nfe(target), denoisers.get(name), generator=g)
            x = x.detach().cpu()
            out.nfe[name].append(info.nfe)
            err = float(metric(x))
            if not math.isfinite(err):
                raise ValueError(f"metric returned {err} for recipe {name!r} at NFE {info.nfe}; expected a finite number")
            out.errors[name].append(err)
            if keep_samples:
                out.samples[name].append(x)
    return out


def sigma_range(process) -> tuple[float, float]:
    """The smallest nonzero and the largest sigma = beta/alpha a recipe's process trains on."""
    if not isinstance(process, Process):
        raise TypeError(f"process must be a Process (VP, VE, EDM, DDPMChain, ...), got {type(process).__name__}")
    t_min = float(process.t_min_default)
    return float(process.sigma(t_min)), float(process.sigma(process.T))


def denoiser_error(recipe: Recipe, distribution, sigmas, *, n: int = 2000, seed: int = 0) -> torch.Tensor:
    """Root-mean-square error of the recipe's denoiser against the exact one, at each noise level.

    In the s = 1 frame: x0 ~ ``distribution``, x~ = x0 + sigma eps, and the recipe's network is asked
    at x = s(t) x~, t = t(sigma); the exact answer is ``distribution.denoiser(x~, 1, sigma)``. Returns a
    float64 tensor shaped like ``sigmas`` (each sigma must lie in :func:`sigma_range` of the process).
    """
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be a Recipe (from make_recipe), got {type(recipe).__name__}")
    if not hasattr(distribution, "denoiser") or not hasattr(distribution, "sample"):
        raise TypeError(f"distribution must offer .sample and .denoiser, got {type(distribution).__name__}")
    try:
        sig = torch.as_tensor(sigmas, dtype=torch.float64).reshape(-1)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"sigmas must be a list or tensor of noise levels, got {type(sigmas).__name__}") from None
    if sig.numel() == 0 or not torch.isfinite(sig).all() or (sig <= 0).any():
        raise ValueError("sigmas must be a non-empty list of positive, finite noise levels")
    lo, hi = sigma_range(recipe.process)
    if (sig < lo * (1 - 1e-6)).any() or (sig > hi * (1 + 1e-6)).any():
        raise ValueError(f"sigmas must lie in [{lo:.4g}, {hi:.4g}] for {recipe.name}, got [{sig.min():.4g}, {sig.max():.4g}]")
    n = check_positive_int("n", n)
    g = make_generator(check_seed(seed))
    params = list(recipe.model.parameters()) if isinstance(recipe.model, nn.Module) else []
    device = params[0].device if params else torch.device("cpu")
    out = []
    for s_ in sig.tolist():
        x0 = distribution.sample(n, g).float()
        xs = x0 + s_ * randn(x0.shape, generator=g)
        t = recipe.process.t_of_sigma(torch.tensor(min(s_, hi), dtype=torch.float64))
        a = float(recipe.process.alpha(t))
        with torch.no_grad():
            d_net = recipe.model((a * xs).to(device), torch.full((n,), float(t), device=device)).cpu()
        d_true = distribution.denoiser(xs, 1.0, s_)
        out.append(float(((d_net - d_true) ** 2).sum(1).mean().sqrt()))
    return torch.tensor(out, dtype=torch.float64).reshape(torch.as_tensor(sigmas).shape)


# --- Chapter 2's toy-data recipe ------------------------------------------------------------------
@dataclass
class ToyDDPM:
    """A trained eps-model and the affine map between data units and the units it was trained in.

    ``x = mean + std * z``: the chain runs on z (standardised data), samples come back as x.
    """

    result: TrainResult
    chain: DDPMChain
    mean: torch.Tensor
    std: torch.Tensor
    seconds: float

    @property
    def denoiser(self) -> nn.Module:
        """The EMA model (the one to sample with)."""
        return self.result.best

    def to_data(self, z: torch.Tensor) -> torch.Tensor:
        """Map standardised points (or a trajectory point) back to data units."""
        if not isinstance(z, torch.Tensor) or not torch.is_floating_point(z) or z.ndim not in (2, 3) \
                or z.shape[-1] != self.mean.shape[0] or z.numel() == 0:
            raise ValueError(f"z must be a floating tensor of standardised points, shape (n, {self.mean.shape[0]}) "
                             f"(or a trajectory (T, n, {self.mean.shape[0]})), got "
                             f"{tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__}")
        check_finite("z", z)
        return self.mean.to(z.device, z.dtype) + self.std.to(z.device, z.dtype) * z

    def sample(self, n: int, grid: Grid | None = None, *, generator: torch.Generator | None = None,
               sampler: Callable = ddpm_ancestral, model: nn.Module | None = None, device=None, **options):
        """``n`` samples in data units: x_N from the chain's prior, then ``sampler`` over ``grid``
        (all N steps by default) with the EMA model (or ``model``). Extra keyword options go to the
        sampler; with ``return_info=True`` the sampler's info (trajectory in standardised units) is
        returned too, as ``(x, info)``."""
        n = check_positive_int("n", n)
        check_signature("sampler", sampler, 3, "(denoiser, x, grid)")
        device = self.mean.device if device is None else check_device("device", device)
        grid = self.chain.grid() if grid is None else grid
        if not isinstance(grid, Grid):
            raise TypeError(f"grid must be a Grid of the model's chain (e.g. fit.chain.grid(n_steps)), got {type(grid).__name__}")
        check_same_process("this model", self.chain, "grid", grid.process)
        x_N = self.chain.prior(n, self.mean.shape[0], generator=generator, device=device)
        out = sampler(self.denoiser if model is None else model, x_N, grid, generator=generator, **options)
        if isinstance(out, tuple):
            return self.to_data(out[0]), out[1]
        return self.to_data(out)


def fit_toy_ddpm(x_train: torch.Tensor, chain: DDPMChain, *, hidden: int = 64, depth: int = 3,
                 steps: int = 3000, batch_size: int = 1024, lr: float = 1e-2, final_lr: float = 0.0,
                 ema_decay: float = 0.995, standardise: bool = True, seed: int = 0, device=None) -> ToyDDPM:
    """Train ``EpsDenoiser(TimeMLP)`` with the DDPM eps-loss on ``x_train`` (shape (n, d)).

    With ``standardise`` (the default) the network sees (x - mean) / std, per coordinate;
    without it, the raw data. Seeded; returns a :class:`ToyDDPM` whose ``seconds`` is the
    training time.
    """
    if not isinstance(chain, DDPMChain):
        raise TypeError(f"chain must be a DDPMChain, got {type(chain).__name__}")
    check_points("x_train", x_train)
    if x_train.shape[0] < 2:
        raise ValueError(f"x_train needs at least 2 points, got {x_train.shape[0]}")
    standardise = check_bool("standardise", standardise)
    seed = check_seed(seed)
    device = check_device("device", device) or get_device()
    d = x_train.shape[1]
    x_train = x_train.float()
    if not bool(torch.isfinite(x_train).all()):
        raise ValueError("x_train has values beyond float32's range (|x| > 3.4e38); rescale the data first")
    if standardise:
        mean, std = x_train.mean(0), x_train.std(0)
        if (std == 0).any():
            raise ValueError("x_train has a coordinate with zero spread; cannot standardise it")
    else:
        mean, std = torch.zeros(d), torch.ones(d)
    net = _seeded_time_mlp(d, hidden, depth, seed)
    t0 = time.perf_counter()
    result = train(EpsDenoiser(net, chain), ddpm_eps_loss(chain), (x_train - mean) / std, steps=steps,
                   batch_size=batch_size, lr=lr, final_lr=final_lr, ema_decay=ema_decay, seed=seed, device=device)
    seconds = time.perf_counter() - t0
    return ToyDDPM(result, chain, mean.to(device), std.to(device), seconds)
