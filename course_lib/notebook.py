"""What a chapter needs from the book toolchain, without the toolchain.

The website build (Jupyter Book / myst-nb) fills ``{glue:text}`name``` placeholders in the prose
with values the chapter's code "glues". In Jupyter or Colab, without myst-nb, :func:`glue` keeps the
value in :data:`GLUED` (and shows it when ``display=True``), so every chapter runs after a plain
``pip install course_lib``.
"""
from __future__ import annotations

from typing import Any

from ._checks import check_bool

__all__ = ["glue", "GLUED"]

GLUED: dict[str, Any] = {}
"""Every value glued in this session, by name (also when myst-nb does the gluing)."""

try:  # the website build
    from myst_nb import glue as _myst_glue
except ImportError:  # Jupyter, Colab, a plain pip install
    _myst_glue = None


def glue(name: str, variable: Any, display: bool = True) -> None:
    """Glue ``variable`` under ``name`` for the book's prose (myst-nb's ``glue`` when installed).

    Without myst-nb the value is recorded in :data:`GLUED` and, when ``display`` is true, shown
    as the cell's output (as myst-nb would show it).
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"glue: name must be a non-empty str, got {name!r}")
    display = check_bool("display", display)
    GLUED[name] = variable
    if _myst_glue is not None:
        _myst_glue(name, variable, display=display)
    elif display:
        from IPython.display import display as show

        show(variable)
