"""Feedback functions for the exercises: each chapter module checks a student answer.

Use them from a notebook as ``from course_lib.feedback import ch1`` then ``ch1.check_...(your_fn)``;
add ``hint=True`` to the call, or call ``course_lib.feedback.hint("ch1-ex-posterior-mean")``, for
the exercise author's hint. Chapter modules (``ch1``, ``ch2``, ...) are imported lazily, on first
use, so a chapter that is not written yet never breaks the others. The shared machinery lives in
:mod:`._core`.
"""
from __future__ import annotations

import importlib
import re

from ._core import (Case, Check, Exercise, Feedback, FunctionExercise, ValueExercise, check_function, check_true,
                    check_value, compare, report)

CHAPTERS = ("ch1", "ch2", "ch3", "ch4", "ch5", "ch6", "ch7")

__all__ = ["Case", "Check", "Exercise", "Feedback", "FunctionExercise", "ValueExercise", "check_function",
           "check_true", "check_value", "compare", "report", "exercise", "hint", *CHAPTERS]

_CHAPTER_RE = re.compile(r"ch\d+")


def __getattr__(name: str):
    if name in CHAPTERS or _CHAPTER_RE.fullmatch(name):
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                raise AttributeError(f"course_lib.feedback has no module {name!r} yet") from None
            raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def exercise(label: str) -> Exercise | None:
    """The checked exercise with this label (e.g. ``"ch6-ex-precond"``), or None if it has no check."""
    from ._core import registered

    if not isinstance(label, str):
        raise TypeError(f"label must be a str such as 'ch6-ex-precond', got {type(label).__name__}")
    chapter = label.split("-", 1)[0]
    if _CHAPTER_RE.fullmatch(chapter):
        try:
            importlib.import_module(f".{chapter}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{chapter}":
                raise
    return registered(label)


def hint(label: str) -> None:
    """Print the author's hint for exercise ``label`` (e.g. ``hint("ch6-ex-precond")``)."""
    ex = exercise(label)
    if ex is None:
        raise ValueError(f"no checked exercise is labelled {label!r} (labels look like 'ch6-ex-precond')")
    print(f"Hint for {label}: {ex.hint}" if ex.hint else f"No hint is written for {label} yet.")
