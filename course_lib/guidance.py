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

import inspect

import torch
from torch import nn

from ._checks import (as_column, as_tensor, check_labels, check_points, check_positive_float, check_positive_int,
                      check_probability, check_signature)
from .denoisers import EDMPrecond
from .device import rand
from .losses import edm_loss

__all__ = ["ClassEDMPrecond", "pack_labels", "unpack_labels", "class_edm_loss", "guided_denoiser"]


class ClassEDMPrecond(EDMPrecond):
    """:class:`course_lib.denoisers.EDMPrecond` around a class-conditional network ``net(x, c, y)``
    (e.g. :class:`course_lib.models.UNet` with ``num_classes``): ``D(x, t, y=None)``, where
    ``y`` holds labels 0..K-1, or K (``None``) for "no class"."""

    def __init__(self, net, sigma_data: float = 0.5, process=None):
        super().__init__(net, sigma_data=sigma_data, process=process)
        self.num_classes = getattr(net, "num_classes", None)
        if not self.num_classes:
            raise ValueError("net must be class-conditional (e.g. UNet(num_classes=10)), got num_classes=None")

    def forward(self, x, t, y=None):
        return self._outputs(x, t, False, y)[0]     # EDMPrecond's outputs with the labels passed to the net

    def _unchecked_labels(self, x, t, y):
        """D(x, t, y) for checked x and t of shape (n,) on x's device (what a guided sampler's loop calls)."""
        a, b = self.process._alpha_beta(t)
        return self._denoise(x, t, as_column(a, x), as_column(b, x), y)[0]


def pack_labels(x: torch.Tensor, y) -> torch.Tensor:
    """Points (n, d) and integer labels (n,) -> one (n, d + 1) tensor for :func:`course_lib.training.train`."""
    check_points("x", x)
    y = check_labels("y", y)
    if y.shape != (x.shape[0],):
        raise ValueError(f"labels y must hold {x.shape[0]} labels (one per point of x), got shape {tuple(y.shape)}")
    exact = 2 / torch.finfo(x.dtype).eps           # the largest integer up to which x's dtype holds every integer
    if int(y.max()) > exact:
        raise ValueError(f"labels y up to {int(y.max())} cannot be stored exactly in x's dtype {x.dtype} (integers up to "
                         f"{exact:.0f} only); convert x to torch.float32 first")
    return torch.cat([x, y.to(device=x.device, dtype=x.dtype)[:, None]], dim=1)


def unpack_labels(data: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Inverse of :func:`pack_labels`: (points (n, d), labels (n,) as int64)."""
    x, y = _unpack(data)
    last = data[:, -1]
    if (last < 0).any() or (last != last.round()).any():
        raise ValueError("data's last column must hold the labels (integers >= 0, as pack_labels writes them), got "
                         f"values such as {last[(last < 0) | (last != last.round())][0].item()}")
    return x, y


def _unpack(data: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    check_points("data", data)
    if data.shape[1] < 2:
        raise ValueError(f"data must have the label as an extra last column, got shape {tuple(data.shape)}")
    return data[:, :-1], data[:, -1].round().long()


def class_edm_loss(num_classes: int, p_uncond: float = 0.1, **edm_options) -> Callable:
    """EDM's loss (:func:`course_lib.losses.edm_loss`) on packed (x0, y) batches, with label dropout:
    each label becomes ``num_classes`` ("no class") with probability ``p_uncond``."""
    num_classes = check_positive_int("num_classes", num_classes)
    p_uncond = check_probability("p_uncond", p_uncond)
    known = inspect.signature(edm_loss).parameters
    unknown = sorted(k for k in edm_options if k not in known)
    if unknown:
        raise TypeError(f"class_edm_loss: unknown option(s) {unknown}; edm_loss takes {sorted(known)}")
    base = edm_loss(**edm_options)

    def loss(model, data, generator=None):
        _check_class_model(model)
        own = getattr(model, "num_classes", None)
        if own is not None and own != num_classes:
            raise ValueError(f"model has num_classes={own} but the loss was built with num_classes={num_classes}")
        x0, y = _unpack(data)
        dim = getattr(model, "dim", None)
        if isinstance(dim, int) and x0.shape[1] != dim:
            raise ValueError(f"data must have {dim + 1} columns for this model (the points and their label as the "
                             f"last column, see pack_labels), got shape {tuple(data.shape)}")
        drop = rand((y.shape[0],), generator=generator).to(y.device) < p_uncond
        y = torch.where(drop, torch.full_like(y, num_classes), y)
        def labelled(x, t):
            return model(x, t, y)
        labelled.process = getattr(model, "process", None)   # so edm_loss keeps sigma within the process's range
        return base(labelled, x0, generator)

    loss.extra_columns = 1   # train() expects the label packed after each point
    return loss


def _check_class_model(model) -> None:
    """Raise unless ``model`` can be called as model(x, t, y) (for a module: its ``forward``)."""
    if isinstance(model, nn.Module) and not callable(getattr(model, "forward", None)):
        raise TypeError(f"model must define forward(x, t, y), got {type(model).__name__}")
    check_signature("model", model.forward if isinstance(model, nn.Module) else model, 3,
                    "(x, t, y): a class-conditional denoiser such as ClassEDMPrecond")


def guided_denoiser(model: Callable, y, w: float) -> Callable:
    """Classifier-free guidance (book eq. ``eq-cfg``): D_w(x, t) = D(x, t, none) + w (D(x, t, y) - D(x, t, none)).

    ``model(x, t, y)`` is a class-conditional denoiser (``y=None``: unconditional); ``y`` holds one
    label per point (or one label for all); ``w >= 0`` is the guidance weight. Returns a plain
    ``D(x, t)`` that any sampler accepts; each call costs two network evaluations (one batch).
    """
    _check_class_model(model)
    w = check_positive_float("w", w, allow_zero=True)
    K = getattr(model, "num_classes", None)
    y = check_labels("y", y, num_classes=K)
    null_label = K if K is not None else int(y.max()) + 1     # the "no class" label

    def guide(call, x, t):
        # eq-cfg with one batch of 2n: ``call`` is the model, checked or not
        n = x.shape[0]
        yy = y.to(x.device).expand(n) if y.numel() == 1 else y.to(x.device)
        if yy.shape != (n,):
            raise ValueError(f"y must hold one label or {n} labels (one per point), got {y.numel()}")
        if w == 0:
            return call(x, t, None)
        null = torch.full_like(yy, null_label)
        tt = t.expand(n) if t.ndim == 0 else t
        both = call(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([null, yy]))
        d_none, d_cond = both[:n], both[n:]
        return d_none + w * (d_cond - d_none)

    def D(x, t):
        check_points("x", x)
        return guide(model, x, as_tensor("t", t).to(x.device))

    fast = getattr(model, "_unchecked_labels", None)
    if fast is not None:       # a ClassEDMPrecond: the samplers' loop skips the per-call checks
        def unchecked(x, t):
            return guide(fast, x, t)

        D._unchecked = unchecked
    return D
