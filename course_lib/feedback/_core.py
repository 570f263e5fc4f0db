"""The machinery behind every exercise check: run an answer, compare, print a friendly verdict.

A chapter module (``course_lib/feedback/chN.py``) writes one small function per exercise, e.g.::

    from ._core import check_function, check_value

    def check_posterior_mean(your_fn, *, seed=None):
        "Check your posterior mean E[x0 | x_t = x] for the two-point data set."
        return check_function(
            your_fn, _reference_posterior_mean,
            inputs=lambda g: (randn((64, 1), generator=g), 0.5),
            name="posterior_mean", trials=3, seed=seed)

The verdict says what matched and what did not, and by how much, but never prints the expected
output itself (the reference stays hidden). Each check returns a :class:`Feedback`, which is truthy
when the answer passed, so ``assert check_x(fn)`` works in a solution cell and in unit tests.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Callable, Iterable, Sequence

import torch

__all__ = ["Check", "Feedback", "report", "compare", "check_value", "check_function", "check_true"]

PASS_MARK = "✓"  # plain glyphs that every monospace font has (emoji show as boxes on some systems)
FAIL_MARK = "✗"


@dataclass
class Check:
    """One line of a verdict: what was checked, whether it held, and a short detail."""

    what: str
    ok: bool
    detail: str = ""

    def line(self) -> str:
        mark = PASS_MARK if self.ok else FAIL_MARK
        return f"  {mark} {self.what}" + (f": {self.detail}" if self.detail else "")


@dataclass
class Feedback:
    """The verdict on one exercise answer; ``bool(feedback)`` is True when every check held."""

    name: str
    checks: list[Check] = field(default_factory=list)
    hint: str = ""
    _printed: bool = field(default=False, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def __bool__(self) -> bool:
        return self.passed

    def add(self, what: str, ok: bool, detail: str = "") -> bool:
        self.checks.append(Check(what, bool(ok), detail))
        return bool(ok)

    def text(self) -> str:
        n_ok = sum(c.ok for c in self.checks)
        if self.passed:
            head = f"Well done: {self.name} passes all {len(self.checks)} check(s)."
        else:
            head = f"Not yet: {self.name} passes {n_ok} of {len(self.checks)} check(s)."
        lines = [head, *(c.line() for c in self.checks)]
        if not self.passed and self.hint:
            lines.append(f"  Hint: {self.hint}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def _ipython_display_(self) -> None:
        """In Jupyter, a check that ends a cell was already printed by :func:`report`: show it once."""
        if self._printed:
            self._printed = False  # evaluating the object again later shows the verdict
        else:
            print(self.text())

    def __repr__(self) -> str:
        return f"Feedback(name={self.name!r}, passed={self.passed}, checks={len(self.checks)})"


def report(feedback: Feedback, *, quiet: bool | None = None) -> Feedback:
    """Print the verdict (unless ``quiet``) and return ``feedback`` unchanged.

    ``quiet=None`` reads the environment: silent when ``COURSE_FEEDBACK_QUIET`` is set.
    """
    if quiet is None:
        quiet = bool(os.environ.get("COURSE_FEEDBACK_QUIET"))
    if not quiet:
        print(feedback.text())
        feedback._printed = True
    return feedback


def _as_tensor(x: Any) -> torch.Tensor | None:
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, bool):
        return None
    if isinstance(x, Real):
        return torch.tensor(float(x), dtype=torch.float64)
    try:
        import numpy as np

        if isinstance(x, np.ndarray) or isinstance(x, np.generic):
            return torch.as_tensor(x)
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    return None


def compare(answer: Any, expected: Any, *, rtol: float = 1e-4, atol: float = 1e-6) -> tuple[bool, str]:
    """Compare an answer with the expected value without revealing the latter.

    Works on numbers, tensors, numpy arrays, and tuples/lists of those. Returns ``(ok, detail)``;
    ``detail`` names a type or shape mismatch or the size of the error, never the expected value.
    """
    if isinstance(expected, (tuple, list)):
        if not isinstance(answer, (tuple, list)):
            return False, f"expected a {type(expected).__name__} of {len(expected)} items, got {type(answer).__name__}"
        if len(answer) != len(expected):
            return False, f"expected {len(expected)} items, got {len(answer)}"
        details = []
        for i, (a, e) in enumerate(zip(answer, expected)):
            ok, d = compare(a, e, rtol=rtol, atol=atol)
            if not ok:
                return False, f"item {i}: {d}"
            details.append(d)
        return True, "; ".join(details) if len(details) <= 1 else f"all {len(details)} items match"
    e = _as_tensor(expected)
    if e is None:
        ok = answer == expected
        return bool(ok), ("matches" if ok else f"got {answer!r} (type {type(answer).__name__}), which is not the expected value")
    a = _as_tensor(answer)
    if a is None:
        if answer is None:
            return False, "got None: did you forget a `return`?"
        return False, f"expected a number or tensor, got {type(answer).__name__}"
    if tuple(a.shape) != tuple(e.shape):
        return False, f"shape {tuple(a.shape)}, expected shape {tuple(e.shape)}"
    a = a.detach().to("cpu", torch.float64)
    e = e.detach().to("cpu", torch.float64)
    if not torch.isfinite(a).all():
        return False, "contains NaN or infinite values"
    err = (a - e).abs()
    bound = atol + rtol * e.abs()
    ok = bool((err <= bound).all())
    max_err = float(err.max()) if err.numel() else 0.0
    scale = float(e.abs().max()) if e.numel() else 0.0
    rel = max_err / scale if scale > 0 else math.inf if max_err > 0 else 0.0
    if ok:
        return True, f"matches (largest difference {max_err:.1e})"
    n_bad = int((err > bound).sum())
    where = f"{n_bad} of {err.numel()} entries off" if err.numel() > 1 else "off"
    return False, f"{where}; largest difference {max_err:.2e} (relative {rel:.1e}; tolerance rtol={rtol:g}, atol={atol:g})"


def _direction(answer: Any, expected: Any) -> str:
    a, e = _as_tensor(answer), _as_tensor(expected)
    if a is None or e is None or a.numel() != 1 or e.numel() != 1:
        return ""
    a, e = float(a), float(e)
    if not (math.isfinite(a) and math.isfinite(e)) or a == e:
        return ""
    size = "a little" if abs(a - e) <= 0.1 * abs(e) else "much"
    return f"your value is {size} too {'large' if a > e else 'small'}"


def check_value(answer: Any, expected: Any, *, name: str = "your answer", rtol: float = 1e-3,
                atol: float = 1e-8, hint: str = "", quiet: bool | None = None) -> Feedback:
    """Check a number (or tensor) against the expected value; prints and returns a :class:`Feedback`.

    For a scalar the message says only whether the answer is too large or too small (and whether
    by a little, within 10 %, or by much), never the expected value.
    """
    fb = Feedback(name=name, hint=hint)
    if isinstance(answer, type(Ellipsis)) or answer is None:
        fb.add("an answer was given", False, "replace the `...` (or None) with your value")
        return report(fb, quiet=quiet)
    ok, detail = compare(answer, expected, rtol=rtol, atol=atol)
    if not ok:
        direction = _direction(answer, expected)
        t_e = _as_tensor(expected)
        if direction:
            detail = f"{direction} (tolerance rtol={rtol:g})"
        elif t_e is not None and t_e.numel() == 1 and "shape" not in detail:
            detail = "not within tolerance"
    fb.add("value", ok, detail)
    return report(fb, quiet=quiet)


def check_true(name: str, checks: Iterable[tuple[str, bool, str]], *, hint: str = "",
               quiet: bool | None = None) -> Feedback:
    """Build a verdict from ready-made ``(what, ok, detail)`` triples (for custom checks)."""
    fb = Feedback(name=name, hint=hint)
    for what, ok, detail in checks:
        fb.add(what, ok, detail)
    return report(fb, quiet=quiet)


def _describe_error(exc: BaseException) -> str:
    if isinstance(exc, NotImplementedError):
        return "raised NotImplementedError: replace the stub with your code"
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"raised {type(exc).__name__}" + (f": {msg[:200]}" if msg else "")


def _clone(args):
    """Copy the tensors of a tuple/dict of arguments (other values are shared)."""
    if isinstance(args, dict):
        return {k: v.clone() if isinstance(v, torch.Tensor) else v for k, v in args.items()}
    return tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)


def _call(fn, args):
    return fn(**args) if isinstance(args, dict) else fn(*args)


def _same(a, b) -> bool:
    pairs = zip(a.values(), b.values()) if isinstance(a, dict) else zip(a, b)
    return all(not isinstance(x, torch.Tensor) or torch.equal(x, y) for x, y in pairs)


def check_function(your_fn: Callable, reference_fn: Callable, inputs: Callable[[torch.Generator], Sequence | dict],
                   *, name: str | None = None, trials: int = 3, seed: int | None = None,
                   rtol: float = 1e-4, atol: float = 1e-6, hint: str = "",
                   extra: Callable[[Any, Sequence | dict], tuple[bool, str]] | None = None,
                   quiet: bool | None = None) -> Feedback:
    """Run ``your_fn`` and ``reference_fn`` on ``trials`` fresh random inputs and compare outputs.

    ``inputs(generator)`` returns the positional arguments (a tuple) or keyword arguments (a dict)
    of one trial, drawn with the given ``torch.Generator``. ``seed=None`` draws a fresh seed each
    call, so an answer cannot be tuned to one input. Each trial gives one line of the verdict; the
    reference's outputs are never printed. ``extra(output, args)`` may add a custom check.
    Returns a :class:`Feedback` (truthy when every trial matched).
    """
    if not callable(your_fn):
        raise TypeError(f"your_fn must be a function, got {type(your_fn).__name__}")
    if not callable(reference_fn) or not callable(inputs):
        raise TypeError("reference_fn and inputs must be callables")
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ValueError(f"trials must be an integer >= 1, got {trials!r}")
    name = name or getattr(your_fn, "__name__", "your function")
    fb = Feedback(name=name, hint=hint)
    if seed is None:
        seed = int(torch.randint(0, 2**31 - 1, (1,)).item())
    for trial in range(trials):
        g = torch.Generator().manual_seed(seed + trial)
        args = inputs(g)
        with torch.no_grad():
            expected = _call(reference_fn, _clone(args))
        what = f"random input {trial + 1}"
        mine = _clone(args)  # the student's own copy, so an in-place change can be detected
        try:
            got = _call(your_fn, mine)
        except Exception as exc:  # the student's code may raise anything; report it kindly
            fb.add(what, False, _describe_error(exc))
            if isinstance(exc, NotImplementedError):
                break
            continue
        ok, detail = compare(got, expected, rtol=rtol, atol=atol)
        if ok and extra is not None:
            ok, detail = extra(got, args)
        if ok and not _same(mine, args):
            ok, detail = False, "the output matches, but your function changed its input tensors in place"
        fb.add(what, ok, detail)
    return report(fb, quiet=quiet)
