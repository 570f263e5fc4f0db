"""The machinery behind every exercise check: run an answer, compare, print a verdict that teaches.

An exercise is described once, as data, in its chapter module (``course_lib/feedback/chN.py``)::

    POSTERIOR = FunctionExercise(
        "ch1-ex-posterior-mean", answer="posterior_mean", reference=_reference,
        cases=[Case("moderate noise", _moderate), Case("very small noise (beta = 1e-3)", _small)],
        hint="...")

    def check_posterior_mean(your_fn, *, hint=False, quiet=None):
        return POSTERIOR.check(your_fn, hint=hint, quiet=quiet)

Checking is split in two steps so that the grader (:mod:`course_lib.grade`) can run them in two
processes: :meth:`Exercise.run` calls the student's answer on fixed, seeded inputs and returns plain
data (tensors, numbers, error names); :meth:`Exercise.judge` rebuilds the same inputs, computes the
hidden reference and turns the comparison into a :class:`Feedback`. In a notebook ``check`` does
both.

What the verdict says:

* an untouched stub (a function raising ``NotImplementedError`` or with an empty body, a value left
  at ``...`` or ``None``) is **not attempted yet**, nothing more;
* a wrong answer gets a diagnosis per input case (wrong shape or dtype, which output of a tuple,
  the opposite sign, a constant factor, the size of the error, at which noise level), never the
  expected values and never the formula;
* a hint, written by the exercise's author, only on request: ``check_...(..., hint=True)`` or
  ``course_lib.feedback.hint("chN-ex-...")``.

Inputs are deterministic (each case has a fixed seed), so a wrong answer fails every time.
Each check returns a :class:`Feedback`, truthy when the answer passed, so ``assert check_x(fn)``
works in a solution cell and in unit tests.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any, Callable, Iterable, Sequence

import torch

__all__ = ["Check", "Feedback", "Case", "Exercise", "FunctionExercise", "ValueExercise", "report", "compare",
           "check_value", "check_function", "check_true", "register", "registered", "with_dtype"]

PASS_MARK = "✓"  # plain glyphs that every monospace font has (emoji show as boxes on some systems)
FAIL_MARK = "✗"
DEFAULT_SEED = 0  # checks are deterministic: the same answer gets the same verdict every time

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"


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
    """The verdict on one exercise answer; ``bool(feedback)`` is True when every check held.

    ``hint`` holds the author's hint; :meth:`text` shows it only when ``show_hint`` is set (the
    student asked for it) and the answer has not passed.
    """

    name: str
    checks: list[Check] = field(default_factory=list)
    hint: str = ""
    attempted: bool = True
    show_hint: bool = False
    exercise: str = ""
    _printed: bool = field(default=False, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return self.attempted and bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def status(self) -> str:
        """``"passed"``, ``"failed"`` or ``"not attempted"``."""
        return PASSED if self.passed else FAILED if self.attempted else NOT_ATTEMPTED

    def __bool__(self) -> bool:
        return self.passed

    def add(self, what: str, ok: bool, detail: str = "") -> bool:
        self.checks.append(Check(what, bool(ok), detail))
        return bool(ok)

    def summary(self) -> str:
        """One line for a grade sheet: the status and the first failing checks."""
        if not self.attempted:
            return "not attempted"
        if self.passed:
            return "passes its check" if len(self.checks) == 1 else f"passes all {len(self.checks)} checks"
        bad = [c for c in self.checks if not c.ok]
        if len(self.checks) == 1:
            return f"{bad[0].what}: {bad[0].detail}" if bad[0].detail else bad[0].what
        n_ok = len(self.checks) - len(bad)
        first = "; ".join(f"{c.what}: {c.detail}" if c.detail else c.what for c in bad[:2])
        return f"passes {n_ok} of {len(self.checks)} checks; {first}"

    def text(self) -> str:
        if not self.attempted:
            lines = [f"Not attempted yet: {self.name}. Replace the placeholder with your answer and run "
                     "this cell again."]
        else:
            n_ok = sum(c.ok for c in self.checks)
            if self.passed:
                head = f"Well done: {self.name} passes all {len(self.checks)} check(s)."
            else:
                head = f"Not yet: {self.name} passes {n_ok} of {len(self.checks)} check(s)."
            lines = [head, *(c.line() for c in self.checks)]
        if not self.passed and self.hint:
            if self.show_hint:
                lines.append(f"  Hint: {self.hint}")
            elif self.attempted:
                lines.append("  Stuck? Call the check again with hint=True.")
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
        return f"Feedback(name={self.name!r}, status={self.status!r}, checks={len(self.checks)})"


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


# ----------------------------------------------------------------------------- comparing values
def _as_tensor(x: Any) -> torch.Tensor | None:
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, bool):
        return None
    if isinstance(x, Real):
        return torch.tensor(float(x), dtype=torch.float64)
    try:
        import numpy as np

        if isinstance(x, (np.ndarray, np.generic)) and np.issubdtype(np.asarray(x).dtype, np.number):
            return torch.as_tensor(np.asarray(x))
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    return None


def _type_name(x: Any) -> str:
    if isinstance(x, dict) and "__type__" in x:  # a portable stand-in (see _portable)
        return x["__type__"]
    return type(x).__name__


def _pattern(a: torch.Tensor, e: torch.Tensor, rtol: float, atol: float) -> str:
    """Name a simple relation between a wrong answer ``a`` and the right one ``e``, if any."""
    def close(x, y):
        return bool(((x - y).abs() <= 10 * (atol + rtol * y.abs())).all())

    if e.abs().max() == 0:
        return ""
    if close(-a, e):
        return "it has the wrong sign (it is minus the right value)"
    denom = float((e * e).sum())
    c = float((a * e).sum()) / denom if denom > 0 else 0.0
    if c != 0 and math.isfinite(c) and abs(c - 1) > 1e-3 and close(a, c * e):
        return f"it is a constant multiple of the right value (about {c:.3g} times it)"
    d = a - e
    if d.numel() > 1 and float(d.std()) <= 1e-3 * max(float(d.abs().mean()), 1e-300):
        return f"it is shifted by a constant (about {float(d.mean()):.3g}) from the right value"
    return ""


def compare(answer: Any, expected: Any, *, rtol: float = 1e-4, atol: float = 1e-6) -> tuple[bool, str]:
    """Compare an answer with the expected value without revealing the latter.

    Works on numbers, tensors, numpy arrays, and tuples/lists of those. Returns ``(ok, detail)``;
    ``detail`` names a type, shape or dtype mismatch, a simple pattern (sign, constant factor or
    shift) or the size of the error, never the expected value.
    """
    if isinstance(expected, (tuple, list)):
        if not isinstance(answer, (tuple, list)):
            return False, f"expected a {type(expected).__name__} of {len(expected)} items, got {_type_name(answer)}"
        if len(answer) != len(expected):
            return False, f"expected {len(expected)} items, got {len(answer)}"
        for i, (a, e) in enumerate(zip(answer, expected)):
            ok, d = compare(a, e, rtol=rtol, atol=atol)
            if not ok:
                return False, f"item {i}: {d}"
        return True, f"all {len(expected)} items match"
    e = _as_tensor(expected)
    if e is None:
        ok = answer == expected
        return bool(ok), ("matches" if ok else f"got {answer!r} (type {_type_name(answer)}), which is not the expected value")
    if answer is None:
        return False, "got None: did you forget a `return`?"
    a = _as_tensor(answer)
    if a is None:
        kind = "a tensor" if e.dim() > 0 else "a number"
        return False, f"expected {kind}, got {_type_name(answer)}"
    if tuple(a.shape) != tuple(e.shape):
        return False, f"shape {tuple(a.shape)}, expected shape {tuple(e.shape)}"
    if a.is_complex() or e.is_complex():
        return False, "got a complex value, expected a real one"
    a_dtype = a.dtype
    a = a.detach().to("cpu", torch.float64)
    e64 = e.detach().to("cpu", torch.float64)
    if not torch.isfinite(a).all():
        bad = int((~torch.isfinite(a)).sum())
        where = f"{bad} of {a.numel()} entries are" if a.numel() > 1 else "it is"
        finite = " where the right answer is finite" if torch.isfinite(e64).all() else ""
        return False, f"{where} NaN or infinite{finite}"
    err = (a - e64).abs()
    bound = atol + rtol * e64.abs()
    ok = bool((err <= bound).all())
    max_err = float(err.max()) if err.numel() else 0.0
    scale = float(e64.abs().max()) if e64.numel() else 0.0
    rel = max_err / scale if scale > 0 else math.inf if max_err > 0 else 0.0
    if ok:
        return True, f"matches (largest difference {max_err:.1e})"
    if e.dtype == torch.float64 and a_dtype in (torch.float32, torch.float16, torch.bfloat16) and rel < 1e-3:
        return False, f"close, but your output is {str(a_dtype).replace('torch.', '')} although the inputs are " \
                      "float64: keep the inputs' dtype"
    pattern = _pattern(a, e64, rtol, atol)
    n_bad = int((err > bound).sum())
    where = f"{n_bad} of {err.numel()} entries off" if err.numel() > 1 else "off"
    detail = f"{where}; largest difference {max_err:.2e} (relative {rel:.1e})"
    return False, f"{detail}; {pattern}" if pattern else detail


def _direction(answer: Any, expected: Any) -> str:
    a, e = _as_tensor(answer), _as_tensor(expected)
    if a is None or e is None or a.numel() != 1 or e.numel() != 1:
        return ""
    a, e = float(a), float(e)
    if not (math.isfinite(a) and math.isfinite(e)) or a == e:
        return ""
    size = "a little" if abs(a - e) <= 0.1 * abs(e) else "much"
    return f"your value is {size} too {'large' if a > e else 'small'}"


# ----------------------------------------------------------------------------- stubs and portable outcomes
def _empty_body_codes() -> set:
    def a(*args, **kwargs):
        pass

    def b(*args, **kwargs):
        ...

    def c(*args, **kwargs):
        """doc"""

    def d(*args, **kwargs):
        return None

    return {f.__code__.co_code for f in (a, b, c, d)}


_EMPTY_CODES = _empty_body_codes()


def is_placeholder(answer: Any) -> bool:
    """True for an untouched value stub: ``...`` or ``None``."""
    return answer is None or answer is Ellipsis


def _is_empty_function(fn: Any) -> bool:
    code = getattr(fn, "__code__", None)
    return code is not None and code.co_code in _EMPTY_CODES


def _portable(x: Any, depth: int = 0) -> Any:
    """``x`` as data that ``torch.load(weights_only=True)`` can read back: tensors (detached, on the
    CPU), numbers, strings, None, lists/tuples of those; anything else becomes ``{"__type__": name}``."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().clone()
    if x is None or isinstance(x, (bool, str)):
        return x[:200] if isinstance(x, str) else x
    if x is Ellipsis:
        return {"__type__": "ellipsis"}
    if isinstance(x, Integral):
        return int(x)
    if isinstance(x, Real):
        return float(x)
    try:
        import numpy as np

        if isinstance(x, (np.ndarray, np.generic)):
            if np.issubdtype(np.asarray(x).dtype, np.number) or np.asarray(x).dtype == bool:
                return torch.as_tensor(np.array(x))
    except ImportError:  # pragma: no cover
        pass
    if isinstance(x, (tuple, list)) and depth < 3 and len(x) <= 64:
        items = [_portable(v, depth + 1) for v in x]
        return tuple(items) if isinstance(x, tuple) else items
    return {"__type__": type(x).__name__}


def _error(exc: BaseException) -> dict:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return {"error": type(exc).__name__, "message": msg[:200]}


def _describe_error(outcome: dict) -> str:
    if outcome["error"] == "NotImplementedError":
        return "raised NotImplementedError: replace the stub with your code"
    return f"raised {outcome['error']}" + (f": {outcome['message']}" if outcome["message"] else "")


# ----------------------------------------------------------------------------- exercises
REGISTRY: dict[str, "Exercise"] = {}


def register(exercise: "Exercise") -> "Exercise":
    """Make ``exercise`` findable by its label (for :func:`course_lib.feedback.hint` and the grader)."""
    if exercise.label:
        REGISTRY[exercise.label] = exercise
    return exercise


def registered(label: str) -> "Exercise | None":
    return REGISTRY.get(label)


@dataclass(frozen=True)
class Case:
    """One input of a function check: a label the student sees (e.g. "sigma_next = 0 (last step)"),
    ``make(generator)`` returning the positional arguments (a tuple) or keyword arguments (a dict),
    and optionally its own tolerances (e.g. looser for float32 inputs)."""

    label: str
    make: Callable[[torch.Generator], Sequence | dict]
    rtol: float | None = None
    atol: float | None = None


def with_dtype(args, dtype: torch.dtype):
    """A copy of ``args`` (tuple or dict) with every floating tensor cast to ``dtype``."""
    def cast(v):
        return v.to(dtype) if isinstance(v, torch.Tensor) and v.is_floating_point() else v

    if isinstance(args, dict):
        return {k: cast(v) for k, v in args.items()}
    return tuple(cast(v) for v in args)


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


class Exercise:
    """Base class: ``run`` the student's answer (returns plain data), ``judge`` it, ``check`` = both."""

    def __init__(self, label: str, *, name: str, answer: str = "", hint: str = ""):
        self.label, self.name, self.answer, self.hint = label, name, answer, hint

    def run(self, answer: Any, *, seed: int | None = None) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def judge(self, outcome: dict, *, seed: int | None = None) -> Feedback:  # pragma: no cover - abstract
        raise NotImplementedError

    def check(self, answer: Any, *, seed: int | None = None, hint: bool = False,
              quiet: bool | None = None) -> Feedback:
        fb = self.judge(self.run(answer, seed=seed), seed=seed)
        fb.show_hint = bool(hint)
        return report(fb, quiet=quiet)

    def _feedback(self) -> Feedback:
        return Feedback(name=self.name, hint=self.hint, exercise=self.label)


class FunctionExercise(Exercise):
    """A function to write: compared with ``reference`` on every :class:`Case`.

    ``items`` names the outputs when the function returns a tuple (so a verdict can say which output
    is off); ``prepare(output)`` may normalise a student's output before comparing (e.g. a
    one-element tensor to a float); ``extra(output, args)`` may add a custom check.
    """

    def __init__(self, label: str, *, name: str, reference: Callable, cases: Sequence[Case], answer: str = "",
                 rtol: float = 1e-6, atol: float = 1e-9, items: Sequence[str] | None = None,
                 prepare: Callable[[Any], Any] | None = None,
                 extra: Callable[[Any, Sequence | dict], tuple[bool, str]] | None = None, hint: str = ""):
        super().__init__(label, name=name, answer=answer or name, hint=hint)
        if not callable(reference):
            raise TypeError(f"reference must be a callable, got {type(reference).__name__}")
        if not cases or not all(isinstance(c, Case) for c in cases):
            raise TypeError("cases must be a non-empty list of Case")
        self.reference, self.cases, self.rtol, self.atol = reference, list(cases), rtol, atol
        self.items, self.prepare, self.extra = tuple(items) if items else None, prepare, extra

    def _args(self, i: int, seed: int | None):
        g = torch.Generator().manual_seed((DEFAULT_SEED if seed is None else int(seed)) * 1000 + i)
        return self.cases[i].make(g)

    def run(self, answer: Any, *, seed: int | None = None) -> dict:
        """Call ``answer`` on every case; returns ``{"outputs": [...]}`` or a verdict-only marker."""
        if is_placeholder(answer):
            return {"stub": True}
        if not callable(answer):
            return {"not_callable": _type_name(answer)}
        if _is_empty_function(answer):
            return {"stub": True}
        outputs = []
        for i in range(len(self.cases)):
            args = self._args(i, seed)
            mine = _clone(args)
            try:
                got = _call(answer, mine)
            except Exception as exc:  # the student's code may raise anything; report it kindly
                outputs.append(_error(exc))
                if isinstance(exc, NotImplementedError):
                    break
                continue
            outputs.append({"value": _portable(got), "mutated": not _same(mine, args)})
        return {"outputs": outputs}

    def judge(self, outcome: dict, *, seed: int | None = None) -> Feedback:
        fb = self._feedback()
        if outcome.get("stub"):
            fb.attempted = False
            return fb
        if "not_callable" in outcome:
            fb.add("your answer", False, f"expected a function, got {outcome['not_callable']}")
            return fb
        outputs = outcome.get("outputs") or []
        if outputs and outputs[0].get("error") == "NotImplementedError":
            fb.attempted = False
            return fb
        for i, out in enumerate(outputs[:len(self.cases)]):
            case = self.cases[i]
            if "error" in out:
                fb.add(case.label, False, _describe_error(out))
                continue
            args = self._args(i, seed)
            with torch.no_grad():
                expected = _call(self.reference, _clone(args))
            got = out["value"]
            if self.prepare is not None:
                got = self.prepare(got)
            ok, detail = self._compare(got, expected, case)
            if ok and self.extra is not None:
                ok, detail = self.extra(got, args)
            if ok and out.get("mutated"):
                ok, detail = False, "the output matches, but your function changed its input tensors in place"
            fb.add(case.label, ok, detail)
        if len(outputs) < len(self.cases) and not fb.checks:
            fb.add("your answer", False, "could not be run")
        return fb

    def _compare(self, got, expected, case: Case) -> tuple[bool, str]:
        rtol = self.rtol if case.rtol is None else case.rtol
        atol = self.atol if case.atol is None else case.atol
        if not self.items:
            return compare(got, expected, rtol=rtol, atol=atol)
        n = len(self.items)
        if not isinstance(got, (tuple, list)) or isinstance(got, dict):
            return False, f"expected a tuple of {n} items ({', '.join(self.items)}), got {_type_name(got)}"
        if len(got) != n:
            return False, f"expected {n} items ({', '.join(self.items)}), got {len(got)}"
        bad = []
        for item, a, e in zip(self.items, got, expected):
            ok, d = compare(a, e, rtol=rtol, atol=atol)
            if not ok:
                bad.append(f"{item} {d}")
        return (not bad), ("all of " + ", ".join(self.items) + " match") if not bad else "; ".join(bad)


class ValueExercise(Exercise):
    """A value to compute (a number, or a tensor): compared with ``expected`` (a value or a
    zero-argument callable). ``integer=True`` for a count: the answer must be a whole number and the
    verdict gives no direction (a count is not bracketed by "too small"/"too large")."""

    def __init__(self, label: str, *, name: str, expected: Any, answer: str = "", rtol: float = 1e-3,
                 atol: float = 1e-8, integer: bool = False, hint: str = ""):
        super().__init__(label, name=name, answer=answer, hint=hint)
        self._expected, self.rtol, self.atol, self.integer = expected, rtol, atol, integer

    @property
    def expected(self):
        return self._expected() if callable(self._expected) else self._expected

    def run(self, answer: Any, *, seed: int | None = None) -> dict:
        if is_placeholder(answer):
            return {"stub": True}
        return {"value": _portable(answer)}

    def judge(self, outcome: dict, *, seed: int | None = None) -> Feedback:
        fb = self._feedback()
        if outcome.get("stub"):
            fb.attempted = False
            return fb
        ok, detail = self._judge_value(outcome.get("value"))
        fb.add("value", ok, detail)
        return fb

    def _judge_value(self, answer) -> tuple[bool, str]:
        expected = self.expected
        e = _as_tensor(expected)
        if e is not None and e.numel() == 1:
            a = _as_tensor(answer)
            if a is None:
                if isinstance(answer, str):
                    return False, f"expected a number, got str ({answer!r}): write the number without quotes"
                return False, f"expected a number, got {_type_name(answer)}"
            if a.numel() != 1:
                return False, f"expected a single number, got a tensor of shape {tuple(a.shape)}"
            v = float(a.reshape(()).to(torch.float64)) if not a.is_complex() else float("nan")
            if not math.isfinite(v):
                return False, "got NaN or an infinite value"
            if self.integer:
                if not float(v).is_integer():
                    return False, f"expected a whole number (a count), got {v:g}"
                ok = int(v) == int(round(float(e)))
                return ok, "matches" if ok else "not the right count"
            ok, detail = compare(v, float(e), rtol=self.rtol, atol=self.atol)
            if ok:
                return ok, detail
            pattern = _scalar_pattern(v, float(e), self.rtol)
            direction = _direction(v, float(e))
            return False, f"{direction} (tolerance rtol={self.rtol:g})" + (f"; {pattern}" if pattern else "")
        return compare(answer, expected, rtol=self.rtol, atol=self.atol)


def _scalar_pattern(a: float, e: float, rtol: float) -> str:
    def close(x, y):
        return abs(x - y) <= 10 * rtol * abs(y)

    if e != 0 and close(-a, e):
        return "it has the wrong sign"
    if e > 0 and a > 0 and close(a, e * e):
        return "it looks like the square of the right value (a variance where a scale is asked?)"
    if e > 0 and a > 0 and close(a * a, e):
        return "it looks like the square root of the right value (a scale where a variance is asked?)"
    if e != 0 and (close(a, 2 * e) or close(2 * a, e)):
        return "it is off by a factor of 2"
    return ""


# ----------------------------------------------------------------------------- the original helpers
def check_value(answer: Any, expected: Any, *, name: str = "your answer", rtol: float = 1e-3,
                atol: float = 1e-8, hint: str = "", quiet: bool | None = None, integer: bool = False,
                show_hint: bool = False) -> Feedback:
    """Check a number (or tensor) against the expected value; prints and returns a :class:`Feedback`.

    For a number the message says whether the answer is too large or too small (and whether by a
    little, within 10 %, or by much), and names a simple slip (sign, square, square root, factor 2);
    with ``integer=True`` (a count) it says neither. It never prints the expected value. ``hint``
    is shown only with ``show_hint=True``.
    """
    ex = ValueExercise("", name=name, expected=expected, rtol=rtol, atol=atol, integer=integer, hint=hint)
    fb = ex.judge(ex.run(answer))
    fb.show_hint = show_hint
    return report(fb, quiet=quiet)


def check_true(name: str, checks: Iterable[tuple[str, bool, str]], *, hint: str = "",
               quiet: bool | None = None, show_hint: bool = False) -> Feedback:
    """Build a verdict from ready-made ``(what, ok, detail)`` triples (for custom checks)."""
    fb = Feedback(name=name, hint=hint, show_hint=show_hint)
    for what, ok, detail in checks:
        fb.add(what, ok, detail)
    return report(fb, quiet=quiet)


def check_function(your_fn: Callable, reference_fn: Callable, inputs: Callable[[torch.Generator], Sequence | dict],
                   *, name: str | None = None, trials: int = 3, seed: int | None = None,
                   rtol: float = 1e-4, atol: float = 1e-6, hint: str = "",
                   extra: Callable[[Any, Sequence | dict], tuple[bool, str]] | None = None,
                   quiet: bool | None = None, cases: Sequence[Case] = (), show_hint: bool = False) -> Feedback:
    """Run ``your_fn`` and ``reference_fn`` on ``trials`` seeded random inputs (plus any fixed
    ``cases``) and compare outputs.

    ``inputs(generator)`` returns the positional arguments (a tuple) or keyword arguments (a dict)
    of one trial. ``seed=None`` uses a fixed seed, so the same answer always gets the same verdict.
    Each trial or case gives one line of the verdict; the reference's outputs are never printed.
    ``extra(output, args)`` may add a custom check. A stub (``NotImplementedError``, an empty body,
    ``...`` or None) is "not attempted"; a non-function gets a verdict saying a function was expected.
    """
    if not callable(reference_fn) or not callable(inputs):
        raise TypeError("reference_fn and inputs must be callables")
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ValueError(f"trials must be an integer >= 1, got {trials!r}")
    name = name or getattr(your_fn, "__name__", None) or "your function"
    if not isinstance(name, str) or name == "<lambda>":
        name = "your function"
    all_cases = [Case(f"random input {i + 1}", inputs) for i in range(trials)] + list(cases)
    ex = FunctionExercise("", name=name, reference=reference_fn, cases=all_cases, rtol=rtol, atol=atol,
                          extra=extra, hint=hint)
    fb = ex.judge(ex.run(your_fn, seed=seed), seed=seed)
    fb.show_hint = show_hint
    return report(fb, quiet=quiet)
