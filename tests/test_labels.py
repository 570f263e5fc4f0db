"""Every equation label a course_lib docstring cites (``eq-...``) is defined in the book.

A label is defined by a MyST dollarmath display ``$$ ... $$ (label)`` or an ``{math}`` directive
with ``:label:`` in a markdown cell of book/*.ipynb or in book/*.md.
"""
import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CITED = re.compile(r"eq-[a-z0-9]+(?:-[a-z0-9]+)*")
DEFINED = [re.compile(r"\$\$[ \t]*\(([A-Za-z0-9_-]+)\)[ \t]*$", re.M),      # $$ (label) after a display
           re.compile(r"^[ \t]*:label:[ \t]*([A-Za-z0-9_-]+)[ \t]*$", re.M)]  # {math} directive


EQ_ROLE = re.compile(r"\{eq\}`([^`]+)`")


def book_texts() -> list[str]:
    texts = [p.read_text() for p in sorted((ROOT / "book").glob("*.md"))]
    for nb in sorted((ROOT / "book").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        texts += ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    return texts


def defined_labels() -> list[str]:
    return [m for t in book_texts() for rx in DEFINED for m in rx.findall(t)]


def book_labels() -> set[str]:
    return set(defined_labels())


def cited_labels() -> dict[str, list[str]]:
    """label -> the docstrings (module.object) that cite it."""
    cited: dict[str, list[str]] = {}
    for path in (ROOT / "course_lib").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in [tree, *ast.walk(tree)]:
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                doc = ast.get_docstring(node) or ""
                for label in CITED.findall(doc):
                    cited.setdefault(label, []).append(f"{path.stem}.{getattr(node, 'name', '<module>')}")
    return cited


def test_docstrings_cite_labels():
    assert cited_labels(), "no docstring cites an equation label: the pattern is broken"


def test_book_defines_labels():
    assert "ch2-one-jump" in book_labels(), "the label pattern no longer finds a known label"
    assert "eq-no-such-label" not in book_labels()


def test_labels_are_unique():
    labels = defined_labels()
    assert not {x for x in labels if labels.count(x) > 1}


def test_eq_roles_point_to_labels():
    missing = {m for t in book_texts() for m in EQ_ROLE.findall(t)} - book_labels()
    assert not missing, f"{{eq}} roles to labels no page defines: {sorted(missing)}"


@pytest.mark.parametrize("label", sorted(cited_labels()))
def test_cited_label_is_defined(label):
    assert label in book_labels(), f"{label} is cited by {cited_labels()[label]} but no page of the book defines it"
