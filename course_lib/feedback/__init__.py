"""Feedback functions for the exercises: each chapter module checks a student answer.

Use them from a notebook as ``from course_lib.feedback import ch1`` then ``ch1.check_...(your_fn)``.
Chapter modules (``ch1`` ... ``ch6``) are imported lazily, on first use, so a chapter that is
not written yet never breaks the others. The shared machinery lives in :mod:`._core`.
"""
from __future__ import annotations

import importlib

from ._core import Check, Feedback, check_function, check_true, check_value, compare, report

CHAPTERS = ("ch1", "ch2", "ch3", "ch4", "ch5", "ch6")

__all__ = ["Check", "Feedback", "check_function", "check_true", "check_value", "compare", "report", *CHAPTERS]


def __getattr__(name: str):
    if name in CHAPTERS:
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                raise AttributeError(f"course_lib.feedback has no module {name!r} yet") from None
            raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
