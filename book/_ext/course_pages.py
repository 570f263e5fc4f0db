"""Local Sphinx extension: how the chapter pages read on the website (both sites).

Display only: nothing here changes what a notebook executes (the execution cache is untouched),
and the notebooks themselves keep every line for Jupyter/Colab readers.

* Solution code cells (tagged ``solution``) move *into* the solution dropdown next to them (the
  one just before, or else the one just after), so the instructor site shows no solution code or
  output outside a closed dropdown.
* In the chapter text (before the first exercise), top-level ``assert`` statements and
  ``glue(...)`` calls of code cells (self-checks and book-keeping) move from the displayed code
  into a closed "self-checks" box below it: out of the way, still there to open. Empty output
  boxes are dropped.
* Notebook outputs that load third-party assets (matplotlib's JavaScript animation player links
  font-awesome 4 from a CDN) are made self-contained: the link is removed, the theme's own
  font-awesome draws the player's icons (see course.css).
* Output images get an alt text (the first sentence of the paragraph that introduces them) instead
  of their file path; cells with wide figures are marked ``wide-figure`` (see course.css).
* The reference list uses author-year labels, like the in-text citations (a pybtex style,
  ``bibtex_default_style: course_authoryear``).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from docutils import nodes
from sphinx.transforms import SphinxTransform

CDN_LINK = re.compile(r"<link\b[^>]*href=\"https?://[^\"]*font-awesome[^\"]*\"[^>]*>\s*", re.I)


def _cells(document, element: str):
    return [n for n in document.findall(nodes.container) if n.get("nb_element") == element]


def _is_exercise(node) -> bool:
    return type(node).__name__.startswith("exercise")


def _is_solution(node) -> bool:
    return type(node).__name__ == "solution_node"


# ----------------------------------------------------------------------------- solution cells
def _solution_content(node):
    for child in node.children:
        if isinstance(child, nodes.section):
            return child
    return node


class SolutionCellsIntoDropdowns(SphinxTransform):
    """Move each code cell tagged ``solution`` into the neighbouring sphinx-exercise solution."""

    default_priority = 700

    def apply(self, **kwargs):
        for cell in _cells(self.document, "cell_code"):
            if "tag_solution" not in cell.get("classes", []) or cell.parent is None:
                continue
            parent = cell.parent
            siblings = list(parent.children)
            i = siblings.index(cell)
            before = next((s for s in reversed(siblings[:i]) if "tag_solution" not in s.get("classes", [])
                           or _is_solution(s)), None) if i else None
            after = next((s for s in siblings[i + 1:] if "tag_solution" not in s.get("classes", [])
                          or _is_solution(s)), None)
            if before is not None and _is_solution(before):
                parent.remove(cell)
                _solution_content(before).append(cell)
            elif after is not None and _is_solution(after):
                parent.remove(cell)
                content = _solution_content(after)
                # keep the source order of several cells placed before the same solution
                k = sum(1 for c in content.children if isinstance(c, nodes.container)
                        and "tag_solution" in c.get("classes", []))
                content.insert(k, cell)


# ----------------------------------------------------------------------------- self-checks
def _is_check(stmt) -> bool:
    """An ``assert``, a ``glue(...)`` call, or a loop/``if`` that holds nothing else."""
    if isinstance(stmt, ast.Assert):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        return isinstance(stmt.value.func, ast.Name) and stmt.value.func.id == "glue"
    if isinstance(stmt, (ast.For, ast.If)):
        return all(map(_is_check, stmt.body + stmt.orelse))
    return False


def _hidden_lines(code: str) -> set[int]:
    """0-based line numbers of top-level asserts and glue() calls, with the comments just above."""
    try:
        tree = ast.parse(code)
    except SyntaxError:  # IPython magics etc.: leave the cell alone
        return set()
    lines = code.splitlines()
    hidden: set[int] = set()
    for stmt in tree.body:
        if _is_check(stmt):
            first = stmt.lineno - 1
            while first > 0 and lines[first - 1].lstrip().startswith("#"):
                first -= 1
            hidden.update(range(first, stmt.end_lineno))
    return hidden


def _strip_blank_runs(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line)
    while out and not out[-1].strip():
        out.pop()
    return out


def _visible(node) -> bool:
    """Whether an output node would show anything."""
    if isinstance(node, (nodes.image, nodes.raw, nodes.math_block, nodes.table)):
        return not isinstance(node, nodes.raw) or bool(node.astext().strip())
    if isinstance(node, nodes.Text):
        return bool(node.strip())
    return any(_visible(c) for c in node.children)


CHECKS_SUMMARY = "self-checks (asserts and glue() calls, run when this page was built)"


class HideSelfChecks(SphinxTransform):
    """Fold self-check asserts and glue() calls of the chapter text's code cells into a closed
    box below the cell's code (readers can still open them); empty output boxes are dropped."""

    default_priority = 710

    def apply(self, **kwargs):
        in_exercises = False
        for node in list(self.document.findall(nodes.Element)):
            if _is_exercise(node):
                in_exercises = True
            if in_exercises or node.get("nb_element") != "cell_code" or node.parent is None:
                continue
            if "tag_solution" in node.get("classes", []):
                continue
            for src in [c for c in node.children if c.get("nb_element") == "cell_code_source"]:
                for block in list(src.findall(nodes.literal_block)):
                    code = block.astext()
                    hidden = _hidden_lines(code)
                    if not hidden:
                        continue
                    lines = code.splitlines()
                    kept = _strip_blank_runs([ln for k, ln in enumerate(lines) if k not in hidden])
                    checks = "\n".join(_strip_blank_runs([ln for k, ln in enumerate(lines) if k in hidden]))
                    folded = block.deepcopy()
                    folded.children = [nodes.Text(checks)]
                    folded.rawsource = checks
                    box = [nodes.raw("", f'<details class="course-checks"><summary>{CHECKS_SUMMARY}</summary>',
                                     format="html"),
                           folded, nodes.raw("", "</details>", format="html")]
                    parent = block.parent
                    at = parent.index(block)
                    if kept:
                        text = "\n".join(kept)
                        block.children = [nodes.Text(text)]
                        block.rawsource = text
                        at += 1
                    else:
                        parent.remove(block)
                    for k, item in enumerate(box):
                        parent.insert(at + k, item)
            for out in [c for c in node.children if c.get("nb_element") == "cell_code_output"]:
                if not _visible(out):
                    node.remove(out)


# ----------------------------------------------------------------------------- outputs
def _first_sentence(text: str, limit: int = 160) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    m = re.match(r"(.+?[.!?:])(\s|$)", text)
    s = m.group(1) if m else text
    return s if len(s) <= limit else s[: limit - 1].rsplit(" ", 1)[0] + "…"


def png_width(path) -> int:
    """Pixel width of a PNG file (0 when it is not a readable PNG)."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return 0
    return int.from_bytes(head[16:20], "big") if head[:8] == b"\x89PNG\r\n\x1a\n" else 0


# Figures wider than this (px at matplotlib's 100 dpi) shrink below ~0.75 of their size in the
# text column; their cell is marked "wide-figure": on narrow screens they keep a legible width and
# scroll sideways (course.css). On desktops the browser test checks that their tick labels stay
# legible (figures wider than ~13 in are too wide for the column).
WIDE_FIGURE_PX = 1000


class SelfContainedOutputs(SphinxTransform):
    """Drop CDN stylesheet links from raw HTML outputs; give output images a readable alt text;
    mark the cells of wide figures."""

    default_priority = 720

    def apply(self, **kwargs):
        for raw in list(self.document.findall(nodes.raw)):
            text = raw.astext()
            if "font-awesome" in text:
                new = CDN_LINK.sub("", text)
                raw.parent.replace(raw, nodes.raw(new, new, format=raw.get("format", "html")))
        intro = ""
        for node in self.document.findall(nodes.Element):
            if isinstance(node, nodes.paragraph) and not any(
                    a.get("nb_element", "").startswith("cell_code") for a in _ancestors(node)):
                intro = _first_sentence(node.astext())
            elif isinstance(node, nodes.image) and any(
                    a.get("nb_element") == "cell_code_output" for a in _ancestors(node)):
                if not node.get("alt") or "/" in node.get("alt", "") or node["alt"] == node.get("uri"):
                    node["alt"] = f"Figure: {intro}" if intro else "Figure"
                uri = node.get("uri", "")
                # myst-nb writes outputs under the source folder; "/_build/..." is relative to it
                uri = Path(uri) if Path(uri).is_file() else Path(self.env.srcdir) / uri.lstrip("/")
                if png_width(uri) > WIDE_FIGURE_PX:
                    cell = next((a for a in _ancestors(node) if a.get("nb_element") == "cell_code"), None)
                    if cell is not None and "wide-figure" not in cell["classes"]:
                        cell["classes"].append("wide-figure")


def _ancestors(node):
    p = node.parent
    while p is not None:
        if isinstance(p, nodes.Element):
            yield p
        p = p.parent


# ----------------------------------------------------------------------------- bibliography
def _register_bibtex_style() -> None:
    """``course_authoryear``: pybtex's ``plain`` entries, labelled "Ho et al., 2020"."""
    try:
        from pybtex.plugin import register_plugin
        from pybtex.style.formatting.plain import Style as Plain
        from pybtex.style.labels import BaseLabelStyle
    except ImportError:
        return

    class AuthorYearLabels(BaseLabelStyle):
        def format_labels(self, sorted_entries):
            labels = []
            for entry in sorted_entries:
                people = entry.persons.get("author") or entry.persons.get("editor") or []
                names = [" ".join(p.prelast_names + p.last_names) for p in people]
                names = [re.sub(r"[{}]", "", n) for n in names]
                who = (names[0] if len(names) == 1 else f"{names[0]} and {names[1]}" if len(names) == 2
                       else f"{names[0]} et al." if names else entry.key)
                labels.append(f"{who}, {entry.fields.get('year', 'n.d.')}")
            seen: dict[str, int] = {}
            for lab in labels:
                seen[lab] = seen.get(lab, 0) + 1
            suffix: dict[str, int] = {}
            for lab in labels:
                if seen[lab] > 1:  # two "Song et al., 2021": 2021a, 2021b
                    suffix[lab] = suffix.get(lab, 0) + 1
                    yield lab + "abcdefghijklmnopqrstuvwxyz"[suffix[lab] - 1]
                else:
                    yield lab

    class AuthorYearStyle(Plain):
        default_label_style = "course_authoryear"

    for group, obj in (("pybtex.style.labels", AuthorYearLabels), ("pybtex.style.formatting", AuthorYearStyle)):
        try:
            register_plugin(group, "course_authoryear", obj)
        except Exception:  # already registered (Sphinx re-runs setup in one process)
            pass


def setup(app):
    _register_bibtex_style()
    app.add_transform(SolutionCellsIntoDropdowns)
    app.add_transform(HideSelfChecks)
    app.add_transform(SelfContainedOutputs)
    app.add_js_file("course_search.js")
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
