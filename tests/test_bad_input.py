"""Bad input to every public course_lib function: a clear ValueError/TypeError, never a hang,
never a silent wrong answer (issue 20).

A table (``_specs``) lists, for every public name of every course_lib module (``__all__``, and the
public methods of its classes), one good call and the kind of each argument. Each argument is
replaced in turn by every bad value of its kind (wrong types, shapes, NaN/inf, zero or negative
counts, unknown names, t out of range, wrong callables...), and hand-written cases add what needs
two arguments at once (mismatched processes and dtypes, NaN from a network, t = 0 limits).

Each call is classified:

* ``clear``: a ValueError/TypeError raised from course_lib's own code (the innermost traceback
  frame is a course_lib file) whose message names the argument;
* ``unclear``: any other exception (or one from torch/Python internals, or not naming the argument);
* ``silent``: the call returned (a bad input accepted) or, where the call is allowed to succeed
  (``ok`` cases, e.g. float64 points into a float32 network), returned NaN/inf;
* ``hang``: it ran past the per-call time bound (signal.alarm).

``python tests/test_bad_input.py`` prints the counts per class and per module (and every
non-clear call with ``-v``). A public name without an entry in the table fails the suite.
"""
from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import math
import os
import pkgutil
import re
import shutil
import signal
import sys
import tempfile
import traceback
from collections import Counter

import numpy as np
import pytest
import torch
from torch import nn

import course_lib

LIB_DIR = os.path.dirname(os.path.abspath(course_lib.__file__))
TIME_LIMIT_S = 10  # per call; every call here is meant to take milliseconds
SKIP_MODULES = {"feedback"}  # per-chapter exercise checkers, tested by their own suite
RECORDS = {  # plain records with no behaviour of their own: built by the library, not by the reader
    "samplers.SampleInfo", "training.TrainResult", "training.LossFn", "recipes.SweepResult",
    "metrics.Moments", "metrics.NoiseFloor", "recipes.ToyDDPM", "recipes.Recipe",
}
NOT_CALLED = {  # public names not called with generated bad input, and why
    **{f"solvers.{n}": "one arithmetic line on tensors its callers (samplers, simulate_sde, solve_ode) have checked; unchecked "
                       "on purpose, it runs once per step" for n in ("euler_step", "heun_step", "em_step")},
    "grade.main": "the command-line entry: argparse answers bad arguments with a usage message and SystemExit(2) "
                  "(tests/test_grade.py::test_command_line_errors); its checks are those of grade.grade, covered here",
}


# ---------------------------------------------------------------------------------------------
def public_names() -> list[str]:
    """``module.name`` for every public callable, and ``module.Class.method`` for its public methods."""
    out = []
    for info in pkgutil.iter_modules(course_lib.__path__):
        if info.name.startswith("_") or info.name in SKIP_MODULES:
            continue
        mod = importlib.import_module(f"course_lib.{info.name}")
        names = getattr(mod, "__all__", None) or [n for n in vars(mod) if not n.startswith("_")]
        for name in names:
            obj = getattr(mod, name)
            if not callable(obj) or (inspect.isclass(obj) is False and getattr(obj, "__module__", "") != mod.__name__
                                     and not inspect.isfunction(obj) and not inspect.isclass(obj)):
                continue
            if inspect.ismodule(obj):
                continue
            out.append(f"{info.name}.{name}")
            if inspect.isclass(obj) and obj.__module__ == mod.__name__:
                for attr, val in vars(obj).items():
                    if attr.startswith("_") or isinstance(val, property):
                        continue
                    if callable(val) or isinstance(val, (classmethod, staticmethod)):
                        if attr == "forward" and issubclass(obj, nn.Module):
                            continue  # covered by calling the module itself
                        out.append(f"{info.name}.{name}.{attr}")
    return sorted(set(out))


# ---------------------------------------------------------------------------------------------
class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang()


def _finite(obj, depth=0) -> bool:
    """False if ``obj`` (a tensor, number, array, tuple, dataclass...) holds NaN or inf."""
    if depth > 4:
        return True
    if isinstance(obj, torch.Tensor):
        return not torch.is_floating_point(obj) or bool(torch.isfinite(obj).all())
    if isinstance(obj, np.ndarray):
        return not np.issubdtype(obj.dtype, np.floating) or bool(np.isfinite(obj).all())
    if isinstance(obj, float):
        return math.isfinite(obj)
    if isinstance(obj, (tuple, list)):
        return all(_finite(o, depth + 1) for o in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return all(_finite(getattr(obj, f.name), depth + 1) for f in dataclasses.fields(obj))
    return True


def classify(thunk, names=(), expect="raise") -> tuple[str, str]:
    """Run ``thunk()`` under a time bound; return (class, detail)."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIME_LIMIT_S)
    try:
        result = thunk()
    except _Hang:
        return "hang", f"no answer within {TIME_LIMIT_S} s"
    except (ValueError, TypeError) as exc:
        signal.alarm(0)
        tb = traceback.extract_tb(exc.__traceback__)
        origin = os.path.abspath(tb[-1].filename) if tb else ""
        msg = f"{type(exc).__name__}: {exc}"
        if not origin.startswith(LIB_DIR):
            return "unclear", f"raised in {origin}:{tb[-1].lineno if tb else '?'}: {msg}"
        text = str(exc)
        if names and not any(n in text for n in names):
            return "unclear", f"message names none of {names}: {msg}"
        if re.search(r"takes \d+ positional argument|were given|was given|got an unexpected keyword", text):
            return "unclear", f"Python's own call error: {msg}"
        return "clear", msg
    except Exception as exc:  # noqa: BLE001
        signal.alarm(0)
        tb = traceback.extract_tb(exc.__traceback__)
        where = f"{tb[-1].filename}:{tb[-1].lineno}" if tb else "?"
        return "unclear", f"{type(exc).__name__} at {where}: {str(exc)[:200]}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    if expect == "ok":
        return ("clear", "ok, finite") if _finite(result) else ("silent", "returned NaN/inf")
    return "silent", f"returned {type(result).__name__}" + ("" if _finite(result) else " holding NaN/inf")


# ---------------------------------------------------------------------------------------------
NAN, INF = float("nan"), float("inf")


def _one_arg(x):
    return x


def _no_arg():
    return 0


def _bad_values(kind: str, good, ctx) -> list[tuple[str, object]]:
    """The bad values of one kind of argument (``good`` is the value of the good call)."""
    if kind == "int":        # a count >= 1
        return [("zero", 0), ("negative", -2), ("float", 2.5), ("str", "3"), ("None", None), ("bool", True),
                ("nan", NAN), ("tensor", torch.ones(2))]
    if kind == "int0":       # an integer >= 0
        return [("negative", -1), ("float", 2.5), ("str", "3"), ("None", None), ("bool", True)]
    if kind == "pos":        # a number > 0
        return [("zero", 0.0), ("negative", -1.0), ("nan", NAN), ("inf", INF), ("str", "1"), ("bool", True),
                ("tensor", torch.ones(2))]
    if kind == "nonneg":     # a number >= 0
        return [("negative", -1.0), ("nan", NAN), ("inf", INF), ("str", "1"), ("bool", True)]
    if kind == "nonneg_inf":  # a number >= 0, inf allowed
        return [("negative", -1.0), ("nan", NAN), ("str", "1"), ("bool", True), ("None", None)]
    if kind == "arraylike":  # points for a plot: a tensor, array or nested list of shape (n, d)
        g = good
        return [("str", "x"), ("None", None), ("empty", g[:0]), ("complex", g.to(torch.complex64)), ("3D", g[None]),
                ("wrong d", torch.cat([g, g[:, :1]], 1) if g.shape[1] > 1 else torch.cat([g, g], 1))]
    if kind == "real":       # any finite number
        return [("nan", NAN), ("inf", -INF), ("str", "1"), ("bool", True), ("None", None)]
    if kind == "prob":       # a number in [0, 1]
        return [("negative", -0.1), ("above one", 1.5), ("nan", NAN), ("str", "0.5"), ("bool", True)]
    if kind == "seed":
        return [("str", "a"), ("float", 1.5), ("None", None), ("bool", True), ("nan", NAN)]
    if kind == "gen":
        return [("int", 0), ("str", "g"), ("numpy rng", np.random.default_rng(0))]
    if kind == "choice":
        return [("unknown", "nope"), ("int", 3), ("None", None)]
    if kind == "bool_opt":   # True, False or None
        return [("str", "no"), ("int", 2)]
    if kind == "bool":
        return [("str", "no"), ("int", 2), ("None", None)]
    if kind == "callable":   # a generic callable argument
        return [("int", 3), ("str", "f"), ("no-arg function", _no_arg)]
    if kind == "callable1":  # a one-argument callable (diffusion(t), metric(x), ...)
        return [("int", 3), ("str", "f"), ("no-arg function", _no_arg)]
    if kind == "callback":
        return [("int", 3), ("no-arg function", _no_arg)]
    if kind == "module":
        return [("int", 3), ("str", "net"), ("function", _one_arg)]
    if kind == "process":
        return [("int", 3), ("str", "VP"), ("None", None)]
    if kind == "chain":
        return [("int", 3), ("str", "linear"), ("None", None), ("VP", ctx["vp"])]
    if kind == "grid":
        return [("int", 3), ("str", "g"), ("tensor", torch.linspace(1, 0, 5))]
    if kind == "dtype":
        return [("str", "float"), ("int dtype", torch.int64)]
    if kind == "device":
        return [("unknown str", "gpu"), ("int", 3.5)]
    if kind == "shape":
        return [("negative", (-1, 2)), ("str", "x"), ("float", (2.5,)), ("None", None)]
    if kind == "tensor":     # a float tensor of any shape (noise levels, ...)
        return [("list of str", ["a"]), ("str", "x"), ("None", None), ("nan", torch.tensor([NAN])),
                ("int tensor", torch.ones(2, dtype=torch.int64)), ("empty", torch.zeros(0))]
    if kind in ("points", "points1", "points_d"):  # (n, d) float tensor; points1 also takes (n,); points_d fixes d
        g = good
        d = g.shape[1]
        bad = [("list", g.tolist()), ("numpy", g.numpy()), ("empty", g[:0]), ("int dtype", g.long()),
               ("complex", g.to(torch.complex64)), ("NaN", torch.full_like(g, NAN)), ("inf", torch.full_like(g, INF)),
               ("3D", g[None]), ("None", None)]
        if kind != "points1":
            bad.append(("1D", g[:, 0].contiguous()))
        if kind == "points_d":
            bad.append(("wrong d", torch.cat([g, g[:, :1]], 1) if d > 1 else torch.cat([g, g], 1)))
        return bad
    if kind == "t":          # a time of a process with horizon ctx T
        T = good[1]
        return [("negative", -0.5), ("above T", 2 * T + 1), ("nan", NAN), ("inf", INF), ("str", "t"), ("None", None),
                ("2D tensor", torch.zeros(3, 3)), ("bool", True)]
    if kind == "sigma":
        return [("negative", -0.5), ("nan", NAN), ("inf", INF), ("str", "s"), ("None", None)]
    if kind == "coef0":      # beta of a conversion that allows beta = 0
        return [(lab, v) for lab, v in _bad_values("coef", good, ctx) if lab != "zero"]
    if kind == "int_opt":    # a count >= 1 or None
        return [(lab, v) for lab, v in _bad_values("int", good, ctx) if lab != "None"]
    if kind == "process_opt":
        return [("int", 3), ("str", "VP")]
    if kind == "coef":       # alpha or beta of a conversion (> 0)
        return [("zero", 0.0), ("negative", -0.5), ("nan", NAN), ("inf", INF), ("str", "a"), ("None", None),
                ("wrong shape", torch.ones(3))]
    if kind == "denoiser":
        return [("int", 3), ("str", "D"), ("one-arg function", _one_arg), ("no-arg function", _no_arg),
                ("wrong shape", lambda x, t: x[:, :1]), ("NaN output", lambda x, t: torch.full_like(x, NAN)),
                ("inf output", lambda x, t: torch.full_like(x, INF)),
                ("numpy output", lambda x, t: x.numpy()), ("int output", lambda x, t: x.long())]
    if kind == "ax":
        return [("int", 3), ("str", "ax")]
    if kind == "lim":
        return [("reversed", (1.0, -1.0)), ("nan", (NAN, 1.0)), ("str", "x"), ("negative", -2.0)]
    if kind == "seq_int":
        return [("empty", []), ("str", "ab"), ("zero", [0]), ("floats", [2.5])]
    if kind == "seq_real":
        return [("empty", []), ("str", "ab"), ("nan", [NAN, 1.0])]
    if kind == "labels":     # integer class labels, one per point (good: an int64 tensor of shape (n,))
        g = good
        return [("float", g.float() + 0.5), ("negative", -1 - g), ("too large", g * 0 + 100), ("wrong count", g[:-1]),
                ("str", "a"), ("None", None), ("bool", g > 0), ("complex", g.to(torch.complex64)),
                ("list of str", ["a"] * len(g)), ("2D", g[None].expand(2, -1)), ("empty", g[:0])]
    if kind == "name":       # a non-empty string
        return [("int", 3), ("None", None), ("empty", "")]
    if kind == "nb":         # a notebook as a dict (nbformat.read / json.load)
        return [("path str", "x.ipynb"), ("None", None), ("list", []), ("no cells", {}), ("cells not a list", {"cells": 3}),
                ("cell not a dict", {"cells": [3]})]
    if kind == "nb_path":    # an existing notebook file
        return [("missing", os.path.join(ctx["tmp"], "missing.ipynb")), ("int", 3), ("None", None), ("empty", ""),
                ("folder", ctx["tmp"]), ("not a notebook", ctx["txt"])]
    if kind == "nb_paths":   # a non-empty list of existing notebook files
        return [("single str", good[0]), ("empty", []), ("missing", [os.path.join(ctx["tmp"], "missing.ipynb")]),
                ("int", 3), ("None", None), ("list of int", [3]), ("folder", [ctx["tmp"]])]
    if kind == "out_file":   # a file to write, in an existing folder
        return [("int", 3), ("empty", ""), ("folder", ctx["tmp"]), ("missing folder", os.path.join(ctx["tmp"], "no", "g.csv")),
                ("list", [good]), ("bytes", b"g.csv")]
    if kind == "out_dir":    # a folder (created if missing)
        return [("int", 3), ("empty", ""), ("a file", ctx["txt"]), ("list", [good])]
    if kind == "rows":       # grade rows: a list of dicts with the FIELDS keys
        return [("single dict", good[0]), ("str", "rows"), ("None", None), ("list of int", [3]),
                ("row lacking fields", [{"notebook": "a.ipynb"}])]
    raise KeyError(kind)


@dataclasses.dataclass
class Spec:
    """One public name: ``fn`` called as fn(*args, **kw) with each (name, good, kind) entry."""

    key: str
    fn: object
    args: list = dataclasses.field(default_factory=list)     # positional: (name, good, kind)
    kw: list = dataclasses.field(default_factory=list)       # keyword: (name, good, kind)
    extra: list = dataclasses.field(default_factory=list)    # (label, thunk, names, expect)
    fixed: dict = dataclasses.field(default_factory=dict)    # keyword arguments never mutated

    def cases(self, ctx):
        """(label, thunk, names, expect) for every mutation and extra."""
        entries = [(True, i, e) for i, e in enumerate(self.args)] + [(False, i, e) for i, e in enumerate(self.kw)]
        good_args = [e[1] for e in self.args]  # entries: (name, good value, kind[, labels of bad values to skip])
        good_kw = {e[0]: e[1] for e in self.kw}
        for positional, i, (name, good, kind, *skip) in entries:
            if kind is None:
                continue
            for label, bad in _bad_values(kind, good, ctx):
                if skip and label in skip[0]:
                    continue
                args = list(good_args)
                kw = dict(good_kw)
                if positional:
                    args[i] = bad
                else:
                    kw[name] = bad
                fn = self.fn
                yield (f"{self.key}({name}={label})",
                       (lambda fn=fn, args=args, kw=kw: fn(*args, **kw, **self.fixed)), (name,), "raise")
        yield from self.extra


# ---------------------------------------------------------------------------------------------
def _context():
    from course_lib import data, distributions as dist, metrics, models, denoisers as params, processes as P
    torch.manual_seed(0)
    tmp = tempfile.mkdtemp(prefix="course-bad-input-")
    import atexit
    atexit.register(shutil.rmtree, tmp, True)
    txt = os.path.join(tmp, "notes.txt")
    with open(txt, "w", encoding="utf-8") as f:
        f.write("not a notebook\n")
    g = course_lib.make_generator(0)
    vp, ve, edm, chain = P.VP(), P.VE(), P.EDM(), P.DDPMChain("linear", 20)
    x = torch.randn(8, 2, generator=g)
    net = models.TimeMLP(2, hidden=8, depth=1)
    gauss = dist.Gaussian(0.0, 0.5, dim=2)
    return dict(tmp=tmp, txt=txt, g=g, vp=vp, ve=ve, edm=edm, chain=chain, x=x, net=net, gauss=gauss,
                D_vp=gauss.denoiser_for(vp), D_chain=gauss.denoiser_for(chain), D_edm=gauss.denoiser_for(edm),
                x1=torch.randn(50, 1, generator=g), dist=dist, data=data, metrics=metrics, models=models,
                params=params, P=P)


def _specs(ctx) -> list[Spec]:
    from course_lib import (demos, data, device, distributions as dist, grids, losses, metrics, models,
                            denoisers as params, plotting, processes as P, recipes, samplers as S, schedules, solvers,
                            training)
    g, vp, ve, edm, chain, x, net = (ctx[k] for k in ("g", "vp", "ve", "edm", "chain", "x", "net"))
    x1 = ctx["x1"]
    D_vp, D_chain, D_edm = ctx["D_vp"], ctx["D_chain"], ctx["D_edm"]
    gauss = ctx["gauss"]
    specs: list[Spec] = []
    add = specs.append
    nan_net = _NaNNet(2)  # a diverged network: samplers and train() must stop on it

    # -- device ----------------------------------------------------------------------------
    add(Spec("device.get_device", device.get_device, args=[("prefer", "cpu", None)],
             extra=[(f"get_device(prefer={lab})", (lambda v=v: device.get_device(v)), ("prefer",), "raise")
                    for lab, v in (("unknown", "nope"), ("int", 3), ("upper case", "CPU"))]))
    add(Spec("device.make_generator", course_lib.make_generator, args=[("seed", 0, "seed")],
             kw=[("device", "cpu", "device")],
             extra=[("make_generator(seed=np.int64) is accepted", lambda: course_lib.make_generator(np.int64(3)), (), "ok")]))
    for name in ("randn", "rand"):
        add(Spec(f"device.{name}", getattr(device, name), args=[("shape", (3, 2), "shape")],
                 kw=[("generator", g, "gen"), ("device", "cpu", "device"), ("dtype", torch.float32, "dtype")]))
    # -- data --------------------------------------------------------------------------------
    add(Spec("data.two_circles", data.two_circles, args=[("n_per_circle", 4, "int"), ("radius", 0.5, "pos"),
                                                          ("offset", 0.7, "real")]))
    for name, extra_args in (("swiss_roll", [("noise", 0.01, "nonneg")]),
                             ("torus", [("R", 1.0, "pos"), ("r", 0.4, "pos")])):
        add(Spec(f"data.{name}", getattr(data, name), args=[("n", 10, "int"), ("generator", g, "gen")] + extra_args))
    add(Spec("data.digits", data.digits, args=[("normalise", True, "bool")]))
    # -- schedules -----------------------------------------------------------------------------
    add(Spec("schedules.step_variances", schedules.step_variances, args=[("name", "linear", "choice"), ("N", 10, "int")],
             kw=[("beta_start", 1e-4, "pos"), ("beta_end", 0.02, "pos"), ("rescale", True, "bool"), ("s", 0.008, "pos")],
             extra=[("step_variances(beta_end=2.0) (above 1)", lambda: schedules.step_variances("linear", 10, beta_end=2.0,
                                                                                               rescale=False), ("beta_end",), "raise")]))
    # -- processes -----------------------------------------------------------------------------
    add(Spec("processes.DDPMChain", P.DDPMChain, args=[("schedule", "linear", "choice"), ("N", 10, "int")],
             extra=[("DDPMChain(unknown kw)", lambda: P.DDPMChain("linear", 10, bogus=1), ("bogus",), "raise")]))
    Tc = (None, chain.T)
    for meth in ("alpha_beta", "alpha", "beta", "sigma", "f", "g2", "condition"):
        add(Spec(f"processes.DDPMChain.{meth}", getattr(chain, meth), args=[("k", Tc, "t")]))
        specs[-1].args = [("k", 3, None)]
        specs[-1].extra = [(f"chain.{meth}(k={lab})", (lambda m=getattr(chain, meth), v=v: m(v)), ("k",), "raise")
                           for lab, v in _bad_values("t", Tc, ctx)]
    add(Spec("processes.DDPMChain.t_of_sigma", chain.t_of_sigma, args=[("sigma", 0.5, "sigma")],
             extra=[("chain.t_of_sigma(huge)", lambda: chain.t_of_sigma(1e6), ("sigma",), "raise")]))
    add(Spec("processes.DDPMChain.grid", chain.grid, args=[("n_steps", 5, "int_opt")],
             extra=[("chain.grid(n_steps > N)", lambda: chain.grid(50), ("n_steps",), "raise")]))
    add(Spec("processes.DDPMChain.prior", chain.prior, args=[("n", 5, "int"), ("d", 2, "int"), ("generator", g, "gen")],
             kw=[("dtype", torch.float32, "dtype")]))
    for meth, second in (("marginal", "eps"), ("forward_step", "eps"), ("posterior", "x0")):
        add(Spec(f"processes.DDPMChain.{meth}", getattr(chain, meth),
                 args=[("x", x, "points_d"), ("k", 3, None), (second, x, "points_d")]))
        if meth == "posterior":
            specs[-1].args = [("x_k", x, "points_d"), ("x0", x, "points_d"), ("k", 3, None)]
        specs[-1].extra = [(f"chain.{meth}(k=2.5)", (lambda m=getattr(chain, meth), meth=meth:
                            m(x, x, 2.5) if meth == "posterior" else m(x, 2.5, x)), ("k",), "raise"),
                           (f"chain.{meth}(k=0 or N+1)", (lambda m=getattr(chain, meth), meth=meth:
                            m(x, x, 21) if meth == "posterior" else m(x, 21, x)), ("k",), "raise"),
                           (f"chain.{meth}(float64 and float32)", (lambda m=getattr(chain, meth), meth=meth:
                            m(x, x.double(), 2) if meth == "posterior" else m(x, 2, x.double())), (), "ok")]
    add(Spec("processes.DDPMChain.sample_marginal", chain.sample_marginal,
             args=[("x0", x, "points"), ("k", 3, None), ("generator", g, "gen")],
             extra=[("chain.sample_marginal(k=nan)", lambda: chain.sample_marginal(x, NAN), ("k",), "raise")]))
    # continuous processes
    add(Spec("processes.Process", P.Process, extra=[("Process().alpha(0.5) (abstract)", lambda: P.Process().alpha(0.5),
                                                      ("Process", "abstract", "subclass"), "raise")]))
    add(Spec("processes.VP", P.VP, args=[("beta_min", 0.1, "pos"), ("beta_max", 20.0, "pos"), ("T", 1.0, "pos")],
             extra=[("VP(beta_max < beta_min)", lambda: P.VP(5.0, 1.0), ("beta_max",), "raise")]))
    add(Spec("processes.VE", P.VE, args=[("sigma_min", 0.01, "pos"), ("sigma_max", 50.0, "pos"), ("T", 1.0, "pos")]))
    add(Spec("processes.EDM", P.EDM, args=[("sigma_min", 0.002, "pos"), ("sigma_max", 80.0, "pos")]))
    add(Spec("processes.AlphaBetaProcess", P.AlphaBetaProcess,
             args=[("alpha_fn", lambda t: torch.cos(t * 1.5), "callable1"), ("beta_fn", lambda t: torch.sin(t * 1.5), "callable1"),
                   ("T", 1.0, "pos"), ("t_min", 1e-3, "pos")],
             extra=[("AlphaBetaProcess(alpha_fn returns a float)", lambda: P.AlphaBetaProcess(lambda t: 1.0, torch.sin),
                     ("alpha_fn",), "raise")]))
    Tv = (None, vp.T)
    for meth in ("alpha_beta", "alpha", "beta", "sigma", "f", "g", "g2", "condition"):
        add(Spec(f"processes.Process.{meth}", getattr(vp, meth), args=[("t", Tv, "t")]))
        specs[-1].args = [("t", 0.5, None)]
        specs[-1].extra = [(f"vp.{meth}(t={lab})", (lambda m=getattr(vp, meth), v=v: m(v)), ("t",), "raise")
                           for lab, v in _bad_values("t", Tv, ctx)]
        specs[-1].extra.append((f"vp.{meth}(np.float32)", lambda m=getattr(vp, meth): m(np.float32(0.5)), (), "ok"))
    add(Spec("processes.Process.t_of_sigma", vp.t_of_sigma, args=[("sigma", 1.0, "sigma")]))
    for meth in ("marginal",):
        add(Spec(f"processes.Process.{meth}", vp.marginal, args=[("x0", x, "points_d"), ("t", 0.5, None), ("eps", x, "points_d")],
                 extra=[("vp.marginal(t=1.5)", lambda: vp.marginal(x, 1.5, x), ("t",), "raise"),
                        ("vp.marginal(t shape (3,))", lambda: vp.marginal(x, torch.ones(3) * 0.5, x), ("t",), "raise")]))
    add(Spec("processes.Process.sample_marginal", vp.sample_marginal,
             args=[("x0", x, "points"), ("t", 0.5, None), ("generator", g, "gen")]))
    add(Spec("processes.Process.prior", vp.prior, args=[("n", 5, "int"), ("d", 2, "int"), ("generator", g, "gen")],
             kw=[("dtype", torch.float32, "dtype")]))
    for meth in ("reverse_sde_drift", "pf_ode_drift"):
        add(Spec(f"processes.Process.{meth}", getattr(vp, meth), args=[("x", x, "points_d"), ("t", 0.5, None), ("score", x, "points_d")],
                 extra=[(f"vp.{meth}(t=-1)", lambda m=getattr(vp, meth): m(x, -1.0, x), ("t",), "raise")]))
    add(Spec("processes.Process.grid", vp.grid, args=[("n_steps", 5, "int"), ("spacing", "uniform", "choice"),
                                                       ("rho", 7.0, "pos"), ("t_min", 1e-3, "nonneg")]))
    add(Spec("grids.Grid", grids.Grid, args=[("process", vp, "process"), ("t", torch.tensor([1.0, 0.5, 0.0]), "tensor")],
             extra=[("Grid(increasing t)", lambda: grids.Grid(vp, torch.tensor([0.0, 1.0])), ("t",), "raise"),
                    ("Grid(t beyond T)", lambda: grids.Grid(vp, torch.tensor([3.0, 0.0])), ("t",), "raise")]))
    add(Spec("grids.edm_sigmas", grids.edm_sigmas, args=[("n", 5, "int"), ("sigma_min", 0.002, "pos"),
                                                         ("sigma_max", 80.0, "pos"), ("rho", 7.0, "pos")]))
    # -- distributions --------------------------------------------------------------------------
    add(Spec("distributions.Distribution", dist.Distribution,
             extra=[("Distribution().denoiser(x, 1, 0.5)", lambda: dist.Distribution().denoiser(x, 1.0, 0.5),
                     ("Distribution", "abstract", "subclass", "dim"), "raise")]))
    add(Spec("distributions.Distribution.sample", dist.Distribution().sample, args=[("n", 3, None)],
             extra=[("Distribution().sample(3)", lambda: dist.Distribution().sample(3), ("Distribution", "abstract", "subclass"),
                     "raise")]))
    add(Spec("distributions.Gaussian", dist.Gaussian, args=[("mean", 0.0, "real"), ("std", 1.0, "pos", ("tensor",))],
             kw=[("dim", 2, "int_opt")]))
    add(Spec("distributions.GaussianMixture", dist.GaussianMixture,
             args=[("weights", [0.5, 0.5], "seq_real"), ("means", [[0.0, 0.0], [1.0, 1.0]], "seq_real"), ("stds", 0.5, "pos", ("tensor",))]))
    add(Spec("distributions.GaussianMixture.sample", gauss.sample, args=[("n", 5, "int"), ("generator", g, "gen")],
             kw=[("dtype", torch.float32, "dtype")]))
    add(Spec("distributions.Uniform01", dist.Uniform01))
    add(Spec("distributions.Uniform01.sample", dist.Uniform01().sample, args=[("n", 5, "int"), ("generator", g, "gen")],
             kw=[("dtype", torch.float32, "dtype")]))
    add(Spec("distributions.CircleMixture", dist.CircleMixture, args=[("centres", [[0.0, 0.0]], "seq_real"),
                                                                      ("radius", 0.5, "pos")]))
    add(Spec("distributions.CircleMixture.two_circles", dist.CircleMixture.two_circles,
             args=[("radius", 0.5, "pos"), ("offset", 0.7, "real")]))
    add(Spec("distributions.CircleMixture.sample", dist.CircleMixture.two_circles().sample,
             args=[("n", 5, "int"), ("generator", g, "gen")], kw=[("dtype", torch.float32, "dtype")]))
    add(Spec("distributions.Empirical", dist.Empirical, args=[("points", x, "points")], kw=[("chunk_elements", 100, "int")]))
    add(Spec("distributions.Empirical.sample", dist.Empirical(x).sample, args=[("n", 5, "int"), ("generator", g, "gen")]))
    for meth in ("log_prob_noised", "score", "denoiser"):
        add(Spec(f"distributions.Distribution.{meth}", getattr(gauss, meth),
                 args=[("x", x, "points_d"), ("alpha", 0.5, "pos"), ("beta", 0.5, "nonneg" if meth == "denoiser" else "pos")]))
        if meth != "denoiser":
            specs[-1].args[2] = ("beta", 0.5, "nonneg")
    for meth in ("denoiser_for", "score_for"):
        add(Spec(f"distributions.Distribution.{meth}", getattr(gauss, meth), args=[("process", vp, "process")],
                 extra=[(f"gauss.{meth}(vp)(x, t=2)", lambda m=getattr(gauss, meth): m(vp)(x, 2.0), ("t",), "raise")]))
    # -- metrics ---------------------------------------------------------------------------------
    add(Spec("metrics.wasserstein_1d", metrics.wasserstein_1d, args=[("a", x1, "points1"), ("b", x1, "points1")]))
    add(Spec("metrics.sliced_wasserstein", metrics.sliced_wasserstein, args=[("a", x, "points1"), ("b", x, "points1"),
                                                                             ("n_projections", 8, "int"), ("generator", g, "gen")]))
    add(Spec("metrics.moments", metrics.moments, args=[("x", x, "points1")]))
    add(Spec("metrics.noise_floor", metrics.noise_floor,
             args=[("metric", metrics.wasserstein_1d, "callable"), ("sampler", lambda n, gen: data.swiss_roll(n, gen)[:, :1], "callable"),
                   ("n", 20, "int"), ("repeats", 2, "int"), ("generator", g, "gen")]))
    add(Spec("metrics.batch_mean", metrics.batch_mean,
             args=[("metric", metrics.wasserstein_1d, "callable"), ("x", x1, "points_d"),
                   ("sampler", lambda n, gen: data.swiss_roll(n, gen)[:, :1], "callable"), ("n", 10, "int"), ("generator", g, "gen")],
             extra=[("batch_mean(metric returns NaN)", lambda: metrics.batch_mean(lambda a, b: NAN, x1, lambda n, gen: data.swiss_roll(n, gen)[:, :1], 10),
                     ("metric",), "raise")]))
    # -- models ------------------------------------------------------------------------------------
    mlp = models.MLP(2, hidden=8, depth=1)
    add(Spec("models.MLP", models.MLP, args=[("dim", 2, "int"), ("hidden", 8, "int"), ("depth", 1, "int")],
             extra=[("MLP(x=" + lab + ")", (lambda v=v: mlp(v)), ("x",), "raise") for lab, v in _bad_values("points_d", x, ctx)
                    if lab not in ("NaN", "inf")]  # a network propagates NaN; samplers and train() catch it
             + [("MLP(float64 x) works", lambda: mlp(x.double()), (), "ok")]))
    add(Spec("models.TimeMLP", models.TimeMLP, args=[("dim", 2, "int"), ("hidden", 8, "int"), ("depth", 1, "int"),
                                                     ("n_features", 4, "int")],
             extra=[("TimeMLP(x=" + lab + ")", (lambda v=v: net(v, 0.5)), ("x",), "raise") for lab, v in _bad_values("points_d", x, ctx)
                    if lab not in ("NaN", "inf")]
             + [("TimeMLP(c wrong shape)", lambda: net(x, torch.ones(3)), ("c",), "raise"),
                ("TimeMLP(c str)", lambda: net(x, "c"), ("c",), "raise"),
                ("TimeMLP(float64 x) works", lambda: net(x.double(), 0.5), (), "ok")]))
    add(Spec("models.sinusoidal_features", models.sinusoidal_features,
             args=[("c", torch.rand(5), "tensor", ("nan", "empty")), ("n_features", 4, "int"), ("max_period", 100.0, "pos")],
             extra=[("sinusoidal_features(c of shape (8, 2))", lambda: models.sinusoidal_features(torch.rand(8, 2), 4), ("c",), "raise")]))
    # -- params -------------------------------------------------------------------------------------
    for src, dst in (("eps", "x0"), ("x0", "eps"), ("score", "x0"), ("x0", "score"), ("eps", "score"), ("score", "eps"),
                     ("v", "x0"), ("x0", "v"), ("v", "eps")):
        beta_zero = (src, dst) in (("eps", "x0"), ("score", "x0"), ("score", "eps"), ("v", "x0"), ("v", "eps"))
        fn = (lambda src=src, dst=dst: lambda x, y, alpha, beta: params.convert(x, y, alpha, beta, src=src, dst=dst))()
        add(Spec(f"denoisers.convert[{src}->{dst}]", fn, args=[("x", x, "points_d"), (src, x, "points_d"),
                                                            ("alpha", 0.8, "coef"), ("beta", 0.6, "coef0" if beta_zero else "coef")]))
    add(Spec("denoisers.convert", params.convert, extra=[
        ("convert(src='sigma')", lambda: params.convert(x, x, 0.8, 0.6, src="sigma", dst="x0"), ("src",), "raise"),
        ("convert(dst=3)", lambda: params.convert(x, x, 0.8, 0.6, src="x0", dst=3), ("dst",), "raise")]))
    Dn = params.EpsDenoiser(net, vp)
    add(Spec("denoisers.NetDenoiser", params.NetDenoiser, extra=[("NetDenoiser(net, vp) (a base class)", lambda: params.NetDenoiser(net, vp),
                                                               ("NetDenoiser",), "raise")]))
    for cls in ("EpsDenoiser", "ScoreDenoiser"):
        C = getattr(params, cls)
        add(Spec(f"denoisers.{cls}", C, args=[("net", net, "module"), ("process", vp, "process")],
                 extra=[(f"{cls}(net, vp)(x, t=" + lab + ")", (lambda C=C, v=v: C(net, vp)(x, v)), ("t",), "raise")
                        for lab, v in _bad_values("t", Tv, ctx)]
                 + [(f"{cls}(net, vp)(x=" + lab + ")", (lambda C=C, v=v: C(net, vp)(v, 0.5)), ("x",), "raise")
                    for lab, v in _bad_values("points_d", x, ctx)]
                 + [(f"{cls}(net, vp)(float64 x) works", lambda C=C: C(net, vp)(x.double(), 0.5), (), "ok"),
                    (f"{cls}(net, vp)(x, t=0): its limit or a clear error", lambda C=C: C(net, vp)(x, 0.0), ("t",), "ok"),
                    (f"{cls}(net, vp).eps(x, t=0)", lambda C=C: C(net, vp).eps(x, 0.0), ("t",), "ok"),
                    (f"{cls}(net, vp).score(x, t=0)", lambda C=C: C(net, vp).score(x, 0.0), ("t",), "ok")]))
    for meth in ("eps", "score"):
        add(Spec(f"denoisers.NetDenoiser.{meth}", getattr(Dn, meth), args=[("x", x, "points_d"), ("t", 0.5, None)],
                 extra=[(f"EpsDenoiser.{meth}(t={lab})", (lambda m=getattr(Dn, meth), v=v: m(x, v)), ("t",), "raise")
                        for lab, v in _bad_values("t", Tv, ctx)]))
    pre = params.EDMPrecond(net)
    add(Spec("denoisers.EDMPrecond", params.EDMPrecond, args=[("net", net, "module"), ("sigma_data", 0.5, "pos")],
             kw=[("process", edm, "process_opt")],
             extra=[("EDMPrecond(net)(x, t=0): its limit or a clear error", lambda: pre(x, 0.0), ("t",), "ok"),
                    ("EDMPrecond(net)(x, t=-1)", lambda: pre(x, -1.0), ("t",), "raise"),
                    ("EDMPrecond(net)(float64 x)", lambda: pre(x.double(), 1.0), (), "ok")]))
    add(Spec("denoisers.EDMPrecond.coefficients", pre.coefficients, args=[("sigma", torch.ones(3), "tensor")]))
    add(Spec("denoisers.edm_coefficients", params.edm_coefficients, args=[("sigma", torch.ones(3), "tensor"), ("sigma_data", 0.5, "pos")],
             extra=[("edm_coefficients(sigma=-1)", lambda: params.edm_coefficients(-torch.ones(3), 0.5), ("sigma",), "raise")]))
    for name in ("score_from_denoiser", "eps_from_denoiser"):
        fn = getattr(params, name)
        add(Spec(f"denoisers.{name}", fn, args=[("denoiser", D_vp, "callable"), ("process", vp, "process")],
                 extra=[(f"{name}(D, vp)(x, t=0): its limit or a clear error", lambda fn=fn: fn(D_vp, vp)(x, 0.0), ("t",), "ok"),
                        (f"{name}(D, vp)(x, t=2)", lambda fn=fn: fn(D_vp, vp)(x, 2.0), ("t",), "raise"),
                        (f"{name}(D of a chain, vp)", lambda fn=fn: fn(D_chain, vp), ("process",), "raise")]))
    # -- losses ---------------------------------------------------------------------------------------
    add(Spec("losses.one_shot_loss", losses.one_shot_loss, args=[("alpha", 0.5, "prob")], kw=[("target", "x0", "choice")],
             extra=[("one_shot_loss(0.5)(model, x0=" + lab + ")", (lambda v=v: losses.one_shot_loss(0.5)(mlp, v, g)), ("x0",), "raise")
                    for lab, v in _bad_values("points_d", x, ctx)]
             + [("one_shot_loss(0.5)(model=3)", lambda: losses.one_shot_loss(0.5)(3, x, g), ("model",), "raise")]))
    add(Spec("losses.ddpm_eps_loss", losses.ddpm_eps_loss, args=[("chain", chain, "chain")],
             extra=[("ddpm_eps_loss(chain)(VP model)", lambda: losses.ddpm_eps_loss(chain)(params.EpsDenoiser(net, vp), x, g),
                     ("process", "chain"), "raise"),
                    ("ddpm_eps_loss(chain)(model, x0=NaN)", lambda: losses.ddpm_eps_loss(chain)(params.EpsDenoiser(net, chain),
                                                                                               x * NAN, g), ("x0",), "raise"),
                    ("ddpm_eps_loss(chain)(one-arg model)", lambda: losses.ddpm_eps_loss(chain)(_one_arg, x, g), ("model",), "raise")]))
    add(Spec("losses.dsm_loss", losses.dsm_loss, args=[("process", vp, "process"), ("weighting", "eps", "choice"),
                                                       ("t_min", 1e-3, "pos")],
             extra=[("dsm_loss(vp)(chain's model)", lambda: losses.dsm_loss(vp)(params.EpsDenoiser(net, chain), x, g),
                     ("process", "chain"), "raise"),
                    ("dsm_loss(vp, weighting=no-arg)", lambda: losses.dsm_loss(vp, _no_arg)(params.EpsDenoiser(net, vp), x, g),
                     ("weighting",), "raise"),
                    ("dsm_loss(vp, weighting -> NaN)", lambda: losses.dsm_loss(vp, lambda t: t * NAN)(params.EpsDenoiser(net, vp), x, g),
                     ("weighting",), "raise")]))
    add(Spec("losses.edm_loss", losses.edm_loss, args=[("P_mean", -1.2, "real"), ("P_std", 1.2, "pos"), ("sigma_data", 0.5, "pos")],
             extra=[("edm_loss()(model, x0=NaN)", lambda: losses.edm_loss()(pre, x * NAN, g), ("x0",), "raise"),
                    ("edm_loss()(one-arg model)", lambda: losses.edm_loss()(_one_arg, x, g), ("model",), "raise")]))
    # -- samplers -------------------------------------------------------------------------------------
    x_vp = vp.prior(8, 2, course_lib.make_generator(1))
    opts = {"ddpm_ancestral": [("variance", "beta", "choice")], "ddim": [("eta", 0.0, "prob")],
            "predictor_corrector": [("snr", 0.16, "pos"), ("n_corrector", 1, "int0")],
            "pf_ode_rk45": [("rtol", 1e-3, "pos"), ("atol", 1e-3, "pos")],
            "edm_euler": [("S_churn", 0.0, "nonneg"), ("S_min", 0.0, "nonneg"), ("S_max", 10.0, "nonneg_inf"), ("S_noise", 1.0, "nonneg")],
            "edm_heun": [("S_churn", 0.0, "nonneg"), ("S_min", 0.0, "nonneg"), ("S_max", 10.0, "nonneg_inf"), ("S_noise", 1.0, "nonneg")]}
    for name, fn in S.SAMPLERS.items():
        gr = vp.grid(5)
        kw = [("generator", g, "gen"), ("callback", None, "callback"), ("return_info", False, "bool")] + opts.get(name, [])
        extra = [(f"{name}(D_chain on a VP grid)", lambda fn=fn: fn(D_chain, x_vp, gr), ("grid", "process", "denoiser"), "raise"),
                 (f"{name}(EpsDenoiser(chain) on a VP grid)", lambda fn=fn: fn(params.EpsDenoiser(net, chain), x_vp, gr),
                  ("grid", "process"), "raise"),
                 (f"{name}(EpsDenoiser(net, vp), float64 x)", lambda fn=fn: fn(params.EpsDenoiser(net, vp), x_vp.double(), gr), (), "ok"),
                 (f"{name}(NaN network)", lambda fn=fn: fn(params.EpsDenoiser(nan_net, vp), x_vp, gr), ("step", "NaN"), "raise")]
        if name == "pf_ode_rk45":
            extra.append(("pf_ode_rk45(rtol=atol=1e-12): NFE cap", lambda: S.pf_ode_rk45(D_vp, x_vp, vp.grid(10), rtol=1e-12, atol=1e-12),
                          ("max_nfe", "NFE", "rtol"), "raise"))
            extra.append(("pf_ode_rk45(float64, rtol=1e-13, atol=1e-300, max_nfe=200): NFE cap",
                          lambda: S.pf_ode_rk45(D_vp, x_vp.double(), vp.grid(10), rtol=1e-13, atol=1e-300, max_nfe=200),
                          ("max_nfe",), "raise"))
            extra.append(("pf_ode_rk45(max_nfe=0)", lambda: S.pf_ode_rk45(D_vp, x_vp, vp.grid(10), max_nfe=0), ("max_nfe",), "raise"))
        if name.startswith("edm"):
            extra.append((f"{name}(S_max=nan)", lambda fn=fn: fn(D_vp, x_vp, gr, S_churn=40, S_max=NAN), ("S_max",), "raise"))
        add(Spec(f"samplers.{name}", fn, args=[("denoiser", D_vp, "denoiser"), ("x", x_vp, "points_d"), ("grid", gr, "grid")],
                 kw=kw, extra=extra))
    add(Spec("samplers.sample_from_prior", S.sample_from_prior,
             args=[("sampler", S.ddim, "callable"), ("denoiser", D_vp, "denoiser"), ("grid", vp.grid(3), "grid"),
                   ("n", 4, "int"), ("d", 2, "int")],
             kw=[("generator", g, "gen"), ("dtype", torch.float32, "dtype"), ("device", "cpu", "device")]))
    # -- training ------------------------------------------------------------------------------------
    loss = losses.one_shot_loss(0.5)
    small = dict(steps=2, batch_size=4, progress=False, device="cpu")
    add(Spec("training.train", training.train, args=[("model", mlp, "module"), ("loss_fn", loss, "callable"), ("data", x, "points_d")],
             kw=[("steps", 2, "int"), ("batch_size", 4, "int"), ("lr", 1e-3, "pos"), ("final_lr", 0.1, "prob"),
                 ("weight_decay", 0.0, "nonneg"), ("ema_decay", 0.9, "prob"), ("seed", 0, "seed"), ("device", "cpu", "device"),
                 ("progress", False, "bool_opt")],
             extra=[("train(loss -> NaN)", lambda: training.train(models.MLP(2, 8, 1), lambda m, x0, gen: m(x0).sum() * NAN, x, **small),
                     ("loss", "step"), "raise"),
                    ("train(NaN network)", lambda: training.train(_NaNNet(2, nn.Linear(2, 2)), loss, x, **small), ("loss", "step"), "raise"),
                    ("train(loss returns a float)", lambda: training.train(models.MLP(2, 8, 1), lambda m, x0, gen: 1.0, x, **small),
                     ("loss_fn",), "raise"),
                    ("train(float64 data, float32 model) works", lambda: training.train(models.MLP(2, 8, 1), loss, x.double(), **small),
                     (), "ok"),
                    ("train(device='cuda') without CUDA" if not torch.cuda.is_available() else "train(device='mps') without MPS",
                     lambda: training.train(models.MLP(2, 8, 1), loss, x, steps=2, batch_size=4, progress=False,
                                            device="cuda" if not torch.cuda.is_available() else "mps"), ("device",), "raise")]))
    # -- recipes -----------------------------------------------------------------------
    add(Spec("recipes.fit_toy_ddpm", recipes.fit_toy_ddpm, args=[("x_train", x, "points"), ("chain", chain, "chain")],
             kw=[("hidden", 8, "int"), ("depth", 1, "int"), ("steps", 2, "int"), ("batch_size", 4, "int"), ("lr", 1e-3, "pos"),
                 ("final_lr", 0.0, "prob"), ("ema_decay", 0.9, "prob"), ("standardise", True, "bool"), ("seed", 0, "seed"),
                 ("device", "cpu", "device")],
             extra=[("fit_toy_ddpm(data x 1e40)", lambda: recipes.fit_toy_ddpm(x * 1e40, chain, hidden=8, depth=1, steps=2,
                                                                                  batch_size=4, device="cpu"), ("x_train",), "raise")]))
    toy = recipes.fit_toy_ddpm(x, chain, hidden=8, depth=1, steps=2, batch_size=4, device="cpu")
    add(Spec("recipes.ToyDDPM.to_data", toy.to_data, args=[("z", x, "points_d", ("3D",))]))  # (T, n, d) trajectories are fine
    add(Spec("recipes.ToyDDPM.sample", toy.sample, args=[("n", 4, "int"), ("grid", chain.grid(5), "grid")],
             kw=[("generator", g, "gen"), ("sampler", S.ddpm_ancestral, "denoiser")],
             extra=[("ToyDDPM.sample(grid=VP grid)", lambda: toy.sample(4, vp.grid(5)), ("grid", "process"), "raise")]))
    rec = recipes.make_recipe("VP", 2, hidden=8, depth=1)
    rec_edm = recipes.make_recipe("EDM", 1, hidden=8, depth=1)
    add(Spec("recipes.make_recipe", recipes.make_recipe, args=[("name", "VP", "choice"), ("dim", 2, "int")],
             kw=[("hidden", 8, "int"), ("depth", 1, "int"), ("n_features", 4, "int"), ("sigma_data", 0.5, "pos"),
                 ("edm_sigma_max", 80.0, "pos"), ("chain_steps", 10, "int")]))
    add(Spec("recipes.train_recipe", recipes.train_recipe, args=[("recipe", rec, "module"), ("data", x, "points")],
             fixed=dict(steps=1, batch_size=4, progress=False, device="cpu"),
             extra=[("train_recipe(bogus option)", lambda: recipes.train_recipe(rec, x, bogus=1), ("bogus",), "raise")]))
    add(Spec("recipes.Recipe.steps_for_nfe", rec.steps_for_nfe, args=[("nfe", 3, "int")]))
    add(Spec("recipes.Recipe.sample", rec.sample, args=[("x_T", x_vp, "points_d"), ("n_steps", 3, "int"), ("denoiser", D_vp, "denoiser")],
             extra=[("Recipe.sample(denoiser of another process)", lambda: rec.sample(x_vp, 3, D_chain), ("process", "grid", "denoiser"), "raise")]))
    add(Spec("recipes.nfe_sweep", recipes.nfe_sweep,
             args=[("recipes", {"VP": rec}, "choice"), ("metric", lambda s: float(s.std()), "callable1"), ("targets", [2], "seq_int")],
             kw=[("n", 16, "int"), ("dim", 2, "int"), ("seed", 0, "seed")],
             extra=[("nfe_sweep(metric -> NaN)", lambda: recipes.nfe_sweep({"VP": rec}, lambda s: NAN, [2], n=8, dim=2),
                     ("metric",), "raise"),
                    ("nfe_sweep(dim mismatch)", lambda: recipes.nfe_sweep({"VP": rec}, lambda s: 0.0, [2], n=8, dim=3),
                     ("dim",), "raise")]))
    sweep = recipes.nfe_sweep({"VP": rec}, lambda s: float(s.std()), [2], n=8, dim=2)
    add(Spec("recipes.SweepResult.error_at", sweep.error_at, args=[("name", "VP", "choice"), ("nfe", 2, "int")]))
    add(Spec("recipes.sigma_range", recipes.sigma_range, args=[("process", vp, "process")]))
    add(Spec("recipes.denoiser_error", recipes.denoiser_error,
             args=[("recipe", rec_edm, "module"), ("distribution", dist.Gaussian(0.0, 0.5), "process"), ("sigmas", [0.1, 1.0], "seq_real")],
             kw=[("n", 16, "int"), ("seed", 0, "seed")]))
    # -- solvers and density maps -------------------------------------------------------------------------------------
    drift = lambda x_, t_: -x_  # noqa: E731
    times = torch.linspace(0, 1, 5)
    add(Spec("solvers.simulate_sde", solvers.simulate_sde,
             args=[("drift", drift, "callable"), ("diffusion", lambda t_: 1.0, "callable1"), ("x0", x, "points"), ("times", times, "tensor")],
             kw=[("generator", g, "gen"), ("noise", True, "bool")],
             extra=[("simulate_sde(drift -> NaN)", lambda: solvers.simulate_sde(lambda a, b: a * NAN, lambda t_: 1.0, x, times),
                     ("drift",), "raise")]))
    add(Spec("solvers.solve_ode", solvers.solve_ode, args=[("drift", drift, "callable"), ("x0", x, "points"), ("times", times, "tensor")],
             kw=[("method", "heun", "choice")]))
    paths = solvers.simulate_sde(drift, lambda t_: 1.0, x1, times, generator=g)
    edges = torch.linspace(-3, 3, 7)
    add(Spec("plotting.density_map", plotting.density_map, args=[("paths", paths, "tensor"), ("edges", edges, "tensor")]))
    add(Spec("plotting.gaussian_density_map", plotting.gaussian_density_map,
             args=[("means", torch.zeros(5), "tensor"), ("stds", torch.ones(5), "tensor"), ("edges", edges, "tensor")],
             extra=[("gaussian_density_map(stds=0)", lambda: plotting.gaussian_density_map(torch.zeros(5), torch.zeros(5), edges),
                     ("stds",), "raise")]))
    dens = plotting.density_map(paths, edges)
    ax = _ax()
    add(Spec("plotting.plot_density_map", plotting.plot_density_map,
             args=[("ax", ax, "ax"), ("dens", dens, "tensor"), ("times", times, "tensor"), ("edges", edges, "tensor")],
             kw=[("colorbar", False, "bool")]))
    # -- plotting / animation / widgets ----------------------------------------------------------------
    add(Spec("plotting.to_numpy", plotting.to_numpy, args=[("name", "x", None), ("x", x, "arraylike")], kw=[("ndim", 2, "int_opt"), ("dim", 2, "int_opt")]))
    add(Spec("plotting.scatter_2d", plotting.scatter_2d, args=[("points", x, "arraylike")], kw=[("ax", ax, "ax"), ("lim", 2.0, "lim")]))
    add(Spec("plotting.density_grid", plotting.density_grid, args=[("points", x, "arraylike")],
             kw=[("lim", 2.0, "lim"), ("bins", 10, "int"), ("bandwidth", 0.3, "pos")]))
    add(Spec("plotting.density_2d", plotting.density_2d, args=[("points", x, "arraylike")],
             kw=[("ax", ax, "ax"), ("lim", 2.0, "lim"), ("bins", 10, "int")]))
    add(Spec("plotting.hist_vs_density", plotting.hist_vs_density, args=[("samples", x1, "arraylike"), ("density", None, None)],
             kw=[("ax", ax, "ax"), ("bins", 10, "int")],
             extra=[("hist_vs_density(density=no-arg)", lambda: plotting.hist_vs_density(x1, _no_arg, ax=ax), ("density",), "raise")]))
    add(Spec("plotting.loss_curve", plotting.loss_curve, args=[("losses", [1.0, 0.5, 0.4, 0.3], "seq_real")],
             kw=[("ax", ax, "ax"), ("window", 2, "int"), ("log", True, "bool")]))
    add(Spec("plotting.image_grid", plotting.image_grid, args=[("images", torch.zeros(4, 64), "tensor")],
             kw=[("ncols", 2, "int"), ("ax", ax, "ax")]))
    add(Spec("demos.pick_frames", demos.pick_frames, args=[("n_total", 10, "int"), ("max_frames", 4, "int")]))
    traj = torch.randn(3, 5, 2, generator=g)
    add(Spec("demos.animate_particles", demos.animate_particles, args=[("trajectory", traj, "tensor")],
             kw=[("max_frames", 2, "int"), ("max_points", 5, "int"), ("lim", (-2.0, 2.0), "lim")],
             extra=[("animate_particles(NaN trajectory)", lambda: demos.animate_particles(traj * NAN, max_frames=2),
                     ("trajectory",), "raise")]))
    add(Spec("demos.default_chain_factory", demos.default_chain_factory, args=[("name", "linear", "choice"), ("N", 10, "int")]))
    add(Spec("demos.forward_marginals_figure", demos.forward_marginals_figure, args=[("data", x1, "points")],
             kw=[("schedules", ("linear",), "seq_int"), ("N", 10, "int"), ("fractions", (0.0, 1.0), "seq_real")]))
    add(Spec("demos.forward_marginals_widget", demos.forward_marginals_widget, args=[("data", x1, "points")],
             kw=[("N", 10, "int")]))
    add(Spec("demos.euler_vs_heun_paths", demos.euler_vs_heun_paths, args=[("N", 3, "int")],
             kw=[("n_paths", 2, "int"), ("denoiser", None, None), ("seed", 0, "seed"), ("n_ref", 8, "int")],
             extra=[("euler_vs_heun_paths(denoiser=no-arg)", lambda: demos.euler_vs_heun_paths(3, n_paths=2, n_ref=8, denoiser=_no_arg),
                     ("denoiser",), "raise")]))
    add(Spec("demos.euler_vs_heun_figure", demos.euler_vs_heun_figure, args=[("N_values", (2,), "seq_int")],
             fixed=dict(n_paths=2, n_ref=8)))
    add(Spec("demos.euler_vs_heun_widget", demos.euler_vs_heun_widget, args=[("N", 2, "int"), ("N_max", 4, "int")],
             fixed=dict(n_paths=2, n_ref=8)))
    specs += _ch7_specs(ctx, nan_net)
    return specs


def _ch7_specs(ctx, nan_net) -> list[Spec]:
    """Chapter 7 (U-Net, guidance, flow matching), the grader and the notebook helpers."""
    from course_lib import flow as F, grade, guidance as G, models, notebook, denoisers as params, processes as P
    g, vp, edm, chain, x, net, gauss = (ctx[k] for k in ("g", "vp", "edm", "chain", "x", "net", "gauss"))
    D_chain = ctx["D_chain"]
    specs: list[Spec] = []
    add = specs.append
    # -- models.UNet -------------------------------------------------------------------------------
    unet = models.UNet(side=4, channels=4, n_features=4, num_classes=3)
    xi = torch.randn(6, 16, generator=course_lib.make_generator(2))
    yi = torch.arange(6) % 3
    add(Spec("models.UNet", models.UNet, args=[("side", 4, "int"), ("channels", 4, "int"), ("n_features", 4, "int"),
                                               ("num_classes", 3, "int_opt")],
             extra=[("UNet(side=5) (odd)", lambda: models.UNet(side=5), ("side",), "raise"),
                    ("UNet(n_features=5) (odd)", lambda: models.UNet(n_features=5), ("n_features",), "raise")]
             + [("UNet(x=" + lab + ")", (lambda v=v: unet(v, 0.3)), ("x",), "raise") for lab, v in _bad_values("points_d", xi, ctx)
                if lab not in ("NaN", "inf")]  # a network propagates NaN; samplers and train() catch it
             + [("UNet(y=" + lab + ")", (lambda v=v: unet(xi, 0.3, v)), ("y",), "raise") for lab, v in _bad_values("labels", yi, ctx)
                if lab != "None"]  # y=None: the "no class" label
             + [("UNet(c wrong shape)", lambda: unet(xi, torch.ones(3)), ("c",), "raise"),
                ("UNet(c str)", lambda: unet(xi, "c"), ("c",), "raise"),
                ("UNet(num_classes=None)(x, c, y)", lambda: models.UNet(side=4, channels=4, n_features=4)(xi, 0.3, yi), ("y",), "raise"),
                ("UNet(float64 x) works", lambda: unet(xi.double(), 0.3), (), "ok"),
                ("UNet(y=one int) works", lambda: unet(xi, 0.3, 2), (), "ok"),
                ("UNet(y=3, the no-class label) works", lambda: unet(xi, 0.3, [3] * 6), (), "ok")]))
    # -- guidance ----------------------------------------------------------------------------------
    cpre = G.ClassEDMPrecond(unet, sigma_data=0.5)
    Te = (None, edm.T)
    add(Spec("guidance.ClassEDMPrecond", G.ClassEDMPrecond, args=[("net", unet, "module"), ("sigma_data", 0.5, "pos")],
             kw=[("process", edm, "process_opt")],
             extra=[("ClassEDMPrecond(TimeMLP) (no classes)", lambda: G.ClassEDMPrecond(net), ("net", "num_classes"), "raise")]
             + [("ClassEDMPrecond(x=" + lab + ")", (lambda v=v: cpre(v, 1.0, yi)), ("x",), "raise")
                for lab, v in _bad_values("points_d", xi, ctx)]
             + [("ClassEDMPrecond(t=" + lab + ")", (lambda v=v: cpre(xi, v, yi)), ("t",), "raise") for lab, v in _bad_values("t", Te, ctx)]
             + [("ClassEDMPrecond(y=" + lab + ")", (lambda v=v: cpre(xi, 1.0, v)), ("y",), "raise")
                for lab, v in _bad_values("labels", yi, ctx) if lab != "None"]
             + [("ClassEDMPrecond(x, t=0): its limit or a clear error", lambda: cpre(xi, 0.0, yi), ("t",), "ok"),
                ("ClassEDMPrecond(float64 x) works", lambda: cpre(xi.double(), 1.0, yi), (), "ok"),
                ("ClassEDMPrecond(y=None) works", lambda: cpre(xi, 1.0), (), "ok"),
                ("ClassEDMPrecond.eps(x, t=0)", lambda: cpre.eps(xi, 0.0), ("t",), "ok")]))
    x8 = torch.randn(8, 2, generator=course_lib.make_generator(3))
    y8 = torch.arange(8) % 3
    add(Spec("guidance.pack_labels", G.pack_labels, args=[("x", x8, "points"), ("y", y8, "labels", ("too large",))],
             extra=[("pack_labels(bfloat16 x, label 300)", lambda: G.pack_labels(x8.bfloat16(), torch.full((8,), 300)), ("y",), "raise"),
                    ("pack_labels(y=list of int) works", lambda: G.pack_labels(x8, [0, 1, 2, 0, 1, 2, 0, 1]), (), "ok")]))
    packed = G.pack_labels(x8, y8)
    add(Spec("guidance.unpack_labels", G.unpack_labels, args=[("data", packed, "points")],
             extra=[("unpack_labels(1 column)", lambda: G.unpack_labels(packed[:, :1]), ("data",), "raise"),
                    ("unpack_labels(label 0.5)", lambda: G.unpack_labels(torch.cat([x8, torch.full((8, 1), 0.5)], 1)), ("data", "label"), "raise"),
                    ("unpack_labels(label -1)", lambda: G.unpack_labels(torch.cat([x8, torch.full((8, 1), -1.0)], 1)), ("data", "label"), "raise")]))
    closs = G.class_edm_loss(3, p_uncond=0.2)
    data_i = G.pack_labels(xi, yi)
    add(Spec("guidance.class_edm_loss", G.class_edm_loss, args=[("num_classes", 3, "int"), ("p_uncond", 0.2, "prob")],
             extra=[("class_edm_loss(bogus option)", lambda: G.class_edm_loss(3, bogus=1), ("bogus",), "raise"),
                    ("class_edm_loss(P_std=-1)", lambda: G.class_edm_loss(3, P_std=-1.0), ("P_std",), "raise"),
                    ("class_edm_loss(np.int64) works", lambda: G.class_edm_loss(np.int64(3))(cpre, data_i, g), (), "ok")]
             + [("class_edm_loss(3)(model, data=" + lab + ")", (lambda v=v: closs(cpre, v, g)), ("data",), "raise")
                for lab, v in _bad_values("points_d", data_i, ctx)]
             + [("class_edm_loss(3)(model=3)", lambda: closs(3, data_i, g), ("model",), "raise"),
                ("class_edm_loss(3)(unconditional EDMPrecond)", lambda: closs(params.EDMPrecond(net), data_i, g), ("model",), "raise"),
                ("class_edm_loss(3)(one-arg model)", lambda: closs(_one_arg, data_i, g), ("model",), "raise"),
                ("class_edm_loss(5)(3-class model)", lambda: G.class_edm_loss(5)(cpre, data_i, g), ("num_classes",), "raise"),
                ("class_edm_loss(3)(model, label 7)", lambda: closs(cpre, G.pack_labels(xi, yi + 7), g), ("y", "label"), "raise"),
                ("class_edm_loss(3)(model, generator='g')", lambda: closs(cpre, data_i, "g"), ("generator",), "raise")]))
    D_w = G.guided_denoiser(cpre, yi, 2.0)
    add(Spec("guidance.guided_denoiser", G.guided_denoiser,
             args=[("model", cpre, "callable"), ("y", yi, "labels", ("wrong count",)), ("w", 2.0, "nonneg")],
             extra=[("guided_denoiser(unconditional EDMPrecond)", lambda: G.guided_denoiser(params.EDMPrecond(net), yi, 1.0),
                     ("model",), "raise"),
                    ("guided_denoiser(y=3, the no-class label)", lambda: G.guided_denoiser(cpre, 3, 1.0), ("y",), "raise"),
                    ("guided_denoiser(...)(x with another count of points)", lambda: D_w(xi[:4], 1.0), ("y",), "raise"),
                    ("guided_denoiser(...)(float64 x) works", lambda: D_w(xi.double(), 1.0), (), "ok"),
                    ("guided_denoiser(w=0)(x) works", lambda: G.guided_denoiser(cpre, 0, 0.0)(xi, 1.0), (), "ok")]
             + [("guided_denoiser(...)(x=" + lab + ")", (lambda v=v: D_w(v, 1.0)), ("x",), "raise") for lab, v in _bad_values("points_d", xi, ctx)]
             + [("guided_denoiser(...)(t=" + lab + ")", (lambda v=v: D_w(xi, v)), ("t",), "raise") for lab, v in _bad_values("t", Te, ctx)]))
    # -- flow --------------------------------------------------------------------------------------
    rf = F.RectifiedFlow()
    T1 = (None, rf.T)
    add(Spec("flow.RectifiedFlow", F.RectifiedFlow,
             extra=[(f"rf.{m}(t={lab})", (lambda m=m, v=v: getattr(rf, m)(v)), ("t",), "raise")
                    for m in ("alpha", "sigma", "condition") for lab, v in _bad_values("t", T1, ctx)]
             + [("rf.marginal(t=1.5)", lambda: rf.marginal(x, 1.5, x), ("t",), "raise"),
                ("rf.grid(0)", lambda: rf.grid(0), ("n_steps",), "raise"),
                ("rf.t_of_sigma(-1)", lambda: rf.t_of_sigma(-1.0), ("sigma",), "raise")]))
    D_rf = rf.exact_denoiser(gauss)
    add(Spec("flow.RectifiedFlow.exact_denoiser", rf.exact_denoiser, args=[("distribution", gauss, "process")],
             extra=[("rf.exact_denoiser(gauss)(x, t=" + lab + ")", (lambda v=v: D_rf(x, v)), ("t",), "raise") for lab, v in _bad_values("t", T1, ctx)]
             + [("rf.exact_denoiser(gauss)(x=" + lab + ")", (lambda v=v: D_rf(v, 0.5)), ("x",), "raise")
                for lab, v in _bad_values("points_d", x, ctx)]
             + [("rf.exact_denoiser(gauss)(x, t=1) works", lambda: D_rf(x, 1.0), (), "ok"),
                ("rf.exact_denoiser(gauss)(x, t=0) works", lambda: D_rf(x, 0.0), (), "ok")]))
    vd = F.VelocityDenoiser(net, rf)
    add(Spec("flow.VelocityDenoiser", F.VelocityDenoiser, args=[("net", net, "module"), ("process", rf, "process_opt")],
             extra=[("VelocityDenoiser(net, VP)", lambda: F.VelocityDenoiser(net, vp), ("process",), "raise")]
             + [("VelocityDenoiser(net)(x, t=" + lab + ")", (lambda v=v: vd(x, v)), ("t",), "raise") for lab, v in _bad_values("t", T1, ctx)]
             + [("VelocityDenoiser(net)(x=" + lab + ")", (lambda v=v: vd(v, 0.5)), ("x",), "raise") for lab, v in _bad_values("points_d", x, ctx)]
             + [("VelocityDenoiser(net)(float64 x) works", lambda: vd(x.double(), 0.5), (), "ok"),
                ("VelocityDenoiser(net)(x, t=0): its limit or a clear error", lambda: vd(x, 0.0), ("t",), "ok"),
                ("VelocityDenoiser(net)(x, t=1)", lambda: vd(x, 1.0), ("t",), "ok"),
                ("VelocityDenoiser(net).eps(x, t=0)", lambda: vd.eps(x, 0.0), ("t",), "ok"),
                ("VelocityDenoiser(net).score(x, t=0)", lambda: vd.score(x, 0.0), ("t",), "ok")]))
    add(Spec("flow.VelocityDenoiser.velocity", vd.velocity, args=[("x", x, "points_d"), ("t", 0.5, None)],
             extra=[("VelocityDenoiser.velocity(t=" + lab + ")", (lambda v=v: vd.velocity(x, v)), ("t",), "raise")
                    for lab, v in _bad_values("t", T1, ctx)]))
    for name, second in (("velocity_from_denoiser", "x0_hat"), ("denoiser_from_velocity", "v_hat")):
        fn = getattr(F, name)
        add(Spec(f"flow.{name}", fn, args=[("x", x, "points_d"), (second, x, "points_d"), ("t", 0.5, None)],
                 extra=[(f"{name}(t={lab})", (lambda fn=fn, v=v: fn(x, x, v)), ("t",), "raise") for lab, v in _bad_values("t", T1, ctx)]
                 + [(f"{name}(t of shape (3,))", lambda fn=fn: fn(x, x, torch.full((3,), 0.5)), ("t",), "raise"),
                    (f"{name}(float64 and float32) works", lambda fn=fn: fn(x, x.double(), 0.5), (), "ok")]))
    specs[-2].extra.append(("velocity_from_denoiser(t=0)", lambda: F.velocity_from_denoiser(x, x, 0.0), ("t",), "raise"))
    floss = F.fm_loss()
    add(Spec("flow.fm_loss", F.fm_loss, args=[("process", rf, "process_opt")],
             extra=[("fm_loss(VP)", lambda: F.fm_loss(vp), ("process",), "raise")]
             + [("fm_loss()(model, x0=" + lab + ")", (lambda v=v: floss(vd, v, g)), ("x0",), "raise") for lab, v in _bad_values("points_d", x, ctx)]
             + [("fm_loss()(model=3)", lambda: floss(3, x, g), ("model",), "raise"),
                ("fm_loss()(EpsDenoiser on VP)", lambda: floss(params.EpsDenoiser(net, vp), x, g), ("model",), "raise"),
                ("fm_loss()(one-arg model)", lambda: floss(_one_arg, x, g), ("model",), "raise"),
                ("fm_loss()(model, generator='g')", lambda: floss(vd, x, "g"), ("generator",), "raise"),
                ("fm_loss()(float64 x0) works", lambda: floss(vd, x.double(), g), (), "ok")]))
    x_rf = rf.prior(8, 2, course_lib.make_generator(1))
    gr = rf.grid(5, "uniform", t_min=0.0)
    add(Spec("flow.fm_euler", F.fm_euler, args=[("denoiser", D_rf, "denoiser"), ("x", x_rf, "points_d"), ("grid", gr, "grid")],
             kw=[("generator", g, "gen"), ("callback", None, "callback"), ("return_info", False, "bool"),
                 ("keep_trajectory", True, "bool")],
             extra=[("fm_euler(D_chain on a RectifiedFlow grid)", lambda: F.fm_euler(D_chain, x_rf, gr), ("grid", "process", "denoiser"), "raise"),
                    ("fm_euler(EpsDenoiser(chain) on a RectifiedFlow grid)", lambda: F.fm_euler(params.EpsDenoiser(net, chain), x_rf, gr),
                     ("grid", "process"), "raise"),
                    ("fm_euler(on a VP grid)", lambda: F.fm_euler(ctx["D_vp"], x_rf, vp.grid(5)), ("grid", "RectifiedFlow"), "raise"),
                    ("fm_euler(VelocityDenoiser, float64 x) works", lambda: F.fm_euler(vd, x_rf.double(), gr), (), "ok"),
                    ("fm_euler(grid ending at t_min > 0) works", lambda: F.fm_euler(D_rf, x_rf, rf.grid(4)), (), "ok"),
                    ("fm_euler(NaN network)", lambda: F.fm_euler(F.VelocityDenoiser(nan_net, rf), x_rf, gr), ("step", "NaN"), "raise")]))
    add(Spec("flow.make_fm_recipe", F.make_fm_recipe, args=[("dim", 2, "int")],
             kw=[("hidden", 8, "int"), ("depth", 1, "int"), ("n_features", 4, "int"), ("seed", 0, "seed")],
             extra=[("make_fm_recipe(n_features=5) (odd)", lambda: F.make_fm_recipe(2, n_features=5), ("n_features",), "raise"),
                    ("make_fm_recipe(2).sample(x, 3) works", lambda: F.make_fm_recipe(2, hidden=8, depth=1).sample(x_rf, 3), (), "ok")]))
    # -- grade -------------------------------------------------------------------------------------
    import nbformat
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# nothing to grade here")])
    nb_path = os.path.join(ctx["tmp"], "empty.ipynb")
    nbformat.write(nb, nb_path)
    csv_path, fb_dir = os.path.join(ctx["tmp"], "grades.csv"), os.path.join(ctx["tmp"], "feedback")
    add(Spec("grade.exercises_in", grade.exercises_in, args=[("nb", nb, "nb")],
             extra=[("exercises_in(json dict) works", lambda: grade.exercises_in({"cells": []}), (), "ok")]))
    add(Spec("grade.grade_notebook", grade.grade_notebook, args=[("path", nb_path, "nb_path")],
             kw=[("timeout", 10.0, "pos"), ("startup_timeout", 10.0, "pos")]))
    add(Spec("grade.grade", grade.grade, args=[("notebooks", [nb_path], "nb_paths")],
             kw=[("out", csv_path, "out_file"), ("feedback_dir", fb_dir, "out_dir"), ("timeout", 10.0, "pos"),
                 ("startup_timeout", 10.0, "pos")]))
    row = {"notebook": "a.ipynb", "exercise": "ch6-ex-nfe", "points": 0, "max_points": 1, "status": "failed", "message": "m"}
    add(Spec("grade.write_csv", grade.write_csv, args=[("rows", [row], "rows"), ("out", csv_path, "out_file")],
             extra=[("write_csv(no rows) works", lambda: grade.write_csv([], csv_path), (), "ok")]))
    # -- notebook ----------------------------------------------------------------------------------
    add(Spec("notebook.glue", notebook.glue, args=[("name", "bad_input_check", "name"), ("variable", 1.0, None)],
             kw=[("display", False, "bool")]))
    return specs


class _NaNNet(nn.Module):
    """A network whose output is NaN (a diverged model)."""

    def __init__(self, dim, inner=None):
        super().__init__()
        self.dim = dim
        self.inner = inner if inner is not None else nn.Linear(dim, dim)

    def forward(self, x, c=None):
        return self.inner(x) * NAN


def _ax():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt.figure().add_subplot()


# ---------------------------------------------------------------------------------------------
_CACHE: dict = {}


def _all_specs():
    if "specs" not in _CACHE:
        _CACHE["ctx"] = _context()
        _CACHE["specs"] = _specs(_CACHE["ctx"])
    return _CACHE["ctx"], _CACHE["specs"]


def run_all(verbose: bool = False):
    """Classify every bad call; returns (Counter of classes, list of (class, label, detail))."""
    ctx, specs = _all_specs()
    counts: Counter = Counter()
    rows = []
    for spec in specs:
        for label, thunk, names, expect in spec.cases(ctx):
            cls, detail = classify(thunk, names, expect)
            counts[cls] += 1
            rows.append((cls, label, detail, spec.key.split(".")[0]))
            if verbose and cls != "clear":
                print(f"{cls:8s} {label}: {detail[:300]}")
    return counts, rows


def test_every_public_name_has_an_entry():
    _, specs = _all_specs()
    keys = {s.key for s in specs}
    missing = [n for n in public_names() if n not in keys and n not in RECORDS and n not in NOT_CALLED]
    assert not missing, f"public course_lib names without a bad-input entry in tests/test_bad_input.py: {missing}"


def test_every_bad_call_is_answered_clearly():
    counts, rows = run_all()
    bad = [f"{c}: {label}: {detail[:200]}" for c, label, detail, _ in rows if c != "clear"]
    assert sum(counts.values()) > 500
    assert not bad, f"{len(bad)} of {len(rows)} bad calls not answered clearly:\n" + "\n".join(bad)


def _flat(module: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in module.parameters()])


def test_seeds_mean_what_they_say():
    """make_recipe's initial weights follow its seed; train() follows its seed and leaves the global RNG alone."""
    from course_lib import recipes, losses, models, training
    torch.manual_seed(123)
    state = torch.get_rng_state()
    a, b, c = (recipes.make_recipe("VP", 2, hidden=8, depth=1, seed=s) for s in (1, 1, 2))
    assert torch.equal(torch.get_rng_state(), state), "make_recipe changed torch's global RNG"
    assert torch.equal(_flat(a.model), _flat(b.model)) and not torch.equal(_flat(a.model), _flat(c.model))
    x = torch.randn(32, 2, generator=course_lib.make_generator(0))
    net = models.MLP(2, hidden=8, depth=1)
    runs = {}
    for seed in (0, 0, 1):
        state = torch.get_rng_state()
        runs.setdefault(seed, []).append(training.train(copy.deepcopy(net), losses.one_shot_loss(0.5), x, steps=5,
                                                        batch_size=8, seed=seed, device="cpu", progress=False).model)
        assert torch.equal(torch.get_rng_state(), state), "train() changed torch's global RNG"
    assert torch.equal(_flat(runs[0][0]), _flat(runs[0][1]))
    assert not torch.equal(_flat(runs[0][0]), _flat(runs[1][0]))


@pytest.mark.parametrize("check_every", [None, 16])
def test_nan_from_the_denoiser_names_the_first_bad_step(monkeypatch, check_every):
    """At once on the CPU; with the deferred check used on GPUs (every 16 calls and at the end) too."""
    from course_lib import processes as P, samplers as S
    if check_every is not None:
        monkeypatch.setattr(S, "_CHECK_EVERY", {})
    vp = P.VP()
    grid = vp.grid(10)
    bad_from = float(grid.t[3])

    def D(x, t):
        return x * 0.5 if float(t[0]) > bad_from else torch.full_like(x, NAN)

    # the first NaN comes at t_3: step 3's evaluation (ddim), or step 2's second evaluation (Heun)
    for sampler, step in ((S.ddim, 3), (S.pf_ode_heun, 2), (S.edm_heun, 2)):
        with pytest.raises(ValueError, match=rf"NaN or inf at step {step} of 10 \(t = [0-9.]+, noise level sigma"):
            sampler(D, vp.prior(8, 2, course_lib.make_generator(0)), grid)


def test_numpy_scalars_are_accepted_like_python_numbers():
    from course_lib import data, grids, recipes, processes as P
    vp, chain = P.VP(), P.DDPMChain("linear", 10)
    pairs = [
        (lambda v: course_lib.make_generator(v).initial_seed(), 3, np.int64(3)),
        (lambda v: float(vp.alpha(v)), 0.5, np.float32(0.5)),
        (lambda v: float(vp.alpha(v)), 0.5, np.float64(0.5)),
        (lambda v: float(chain.alpha(v)), 3, np.int64(3)),
        (lambda v: data.swiss_roll(v, course_lib.make_generator(0)).shape, 5, np.int64(5)),
        (lambda v: float(data.torus(4, course_lib.make_generator(0), R=v).sum()), 1.0, np.float32(1.0)),
        (lambda v: P.VP(beta_min=v).beta_min, 0.5, np.float64(0.5)),
        (lambda v: grids.edm_sigmas(v, 0.002, 80.0).tolist(), 5, np.int64(5)),
        (lambda v: P.DDPMChain("linear", v).N, 10, np.int32(10)),
        (lambda v: _flat(recipes.make_recipe("VP", 2, hidden=4, depth=1, seed=v).model).tolist(), 1, np.int64(1)),
        (lambda v: vp.grid(v).t.tolist(), 4, np.int64(4)),
    ]
    for fn, plain, numpy_value in pairs:
        assert fn(numpy_value) == pytest.approx(fn(plain), rel=1e-6)


if __name__ == "__main__":
    os.environ.setdefault("COURSE_QUIET", "1")
    counts, rows = run_all(verbose="-v" in sys.argv)
    by_mod: dict = {}
    for c, _, _, mod in rows:
        by_mod.setdefault(mod, Counter())[c] += 1
    for mod, cnt in sorted(by_mod.items()):
        print(f"  {mod:14s} " + "  ".join(f"{k} {cnt[k]}" for k in ("clear", "unclear", "silent", "hang")))
    print(f"TOTAL {sum(counts.values())} calls: " + ", ".join(f"{k} {counts[k]}" for k in ("clear", "unclear", "silent", "hang")))
