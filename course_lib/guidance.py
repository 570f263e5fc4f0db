"""Chapter 7: class-conditional denoisers and classifier-free guidance (Ho & Salimans 2022).

One network learns both the conditional denoiser D(x; sigma, y) and the unconditional one
D(x; sigma, none): during training each label is replaced by "none" with probability
``p_uncond`` (label dropout). At sampling time the **guided denoiser** (book eq. ``eq-cfg``)

    D_w(x; sigma, y) = D(x; sigma, none) + w (D(x; sigma, y) - D(x; sigma, none))

is the denoiser of the sharpened conditional p(x | y)^w p(x)^(1 - w) (w = 1: plain conditional,
w = 0: unconditional). The training loop takes points only, so labels travel as the last column
of the data (:func:`pack_labels`).
"""
from __future__ import annotations

from typing import Callable

import torch

from ._checks import check_points, check_positive_float, check_probability
from .device import rand
from .losses import edm_loss
from .params import EDMPrecond
from .processes import _as_tensor

__all__ = ["ClassEDMPrecond", "pack_labels", "unpack_labels", "class_edm_loss", "guided_denoiser"]


class ClassEDMPrecond(EDMPrecond):
    """:class:`course_lib.params.EDMPrecond` around a class-conditional network ``net(x, c, y)``
    (e.g. :class:`course_lib.models.UNet` with ``num_classes``): ``D(x, t, y=None)``, where
    ``y`` holds labels 0..K-1, or K (``None``) for "no class"."""

    def __init__(self, net, sigma_data: float = 0.5, process=None):
        super().__init__(net, sigma_data=sigma_data, process=process)
        self.num_classes = getattr(net, "num_classes", None)
        if not self.num_classes:
            raise ValueError("net must be class-conditional (e.g. UNet(num_classes=10)), got num_classes=None")

    def forward(self, x, t, y=None):
        t, a, _, _ = self._inputs(x, t)
        sigma = self.process.sigma_at(t).to(device=x.device, dtype=x.dtype)
        c_skip, c_out, c_in, c_noise = self.coefficients(sigma)
        xs = x / a
        return c_skip[:, None] * xs + c_out[:, None] * self.net(c_in[:, None] * xs, c_noise, y)


def pack_labels(x: torch.Tensor, y) -> torch.Tensor:
    """Points (n, d) and integer labels (n,) -> one (n, d + 1) tensor for :func:`course_lib.training.train`."""
    check_points("x", x)
    y = torch.as_tensor(y)
    if y.shape != (x.shape[0],) or torch.is_floating_point(y) or (y < 0).any():
        raise ValueError(f"y must hold {x.shape[0]} non-negative integer labels, got shape {tuple(y.shape)}, dtype {y.dtype}")
    return torch.cat([x, y.to(x.dtype)[:, None]], dim=1)


def unpack_labels(data: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Inverse of :func:`pack_labels`: (points (n, d), labels (n,) as int64)."""
    check_points("data", data)
    if data.shape[1] < 2:
        raise ValueError(f"data must have the label as an extra last column, got shape {tuple(data.shape)}")
    return data[:, :-1], data[:, -1].round().long()


def class_edm_loss(num_classes: int, p_uncond: float = 0.1, **edm_options) -> Callable:
    """EDM's loss (:func:`course_lib.losses.edm_loss`) on packed (x0, y) batches, with label dropout:
    each label becomes ``num_classes`` ("no class") with probability ``p_uncond``."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    p_uncond = check_probability("p_uncond", p_uncond)
    base = edm_loss(**edm_options)

    def loss(model, data, generator=None):
        x0, y = unpack_labels(data)
        drop = rand((y.shape[0],), generator=generator).to(y.device) < p_uncond
        y = torch.where(drop, torch.full_like(y, num_classes), y)
        return base(lambda x, t: model(x, t, y), x0, generator)

    return loss


def guided_denoiser(model: Callable, y, w: float) -> Callable:
    """Classifier-free guidance (book eq. ``eq-cfg``): D_w(x, t) = D(x, t, none) + w (D(x, t, y) - D(x, t, none)).

    ``model(x, t, y)`` is a class-conditional denoiser (``y=None``: unconditional); ``y`` holds one
    label per point (or one label for all); ``w >= 0`` is the guidance weight. Returns a plain
    ``D(x, t)`` that any sampler accepts; each call costs two network evaluations (one batch).
    """
    if not callable(model):
        raise TypeError(f"model must be a callable D(x, t, y), got {type(model).__name__}")
    w = check_positive_float("w", w, allow_zero=True)
    y = torch.as_tensor(y).long().reshape(-1)
    if (y < 0).any():
        raise ValueError("labels y must be >= 0")

    def D(x, t):
        check_points("x", x)
        n = x.shape[0]
        yy = y.to(x.device).expand(n) if y.numel() == 1 else y.to(x.device)
        if yy.shape != (n,):
            raise ValueError(f"y must hold one label or {n} labels (one per point), got {y.numel()}")
        t = _as_tensor("t", t).to(x.device)
        if w == 0:
            return model(x, t, None)
        null = torch.full_like(yy, getattr(model, "num_classes", int(yy.max()) + 1))
        tt = t.expand(n) if t.ndim == 0 else t
        both = model(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([null, yy]))
        d_none, d_cond = both[:n], both[n:]
        return d_none + w * (d_cond - d_none)

    return D
