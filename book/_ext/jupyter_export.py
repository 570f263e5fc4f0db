"""Jupyter-native notebooks from the book's MyST notebooks (``make notebooks``).

The chapters (``book/NN_*.ipynb``) are written for the website: their markdown uses MyST roles
and directives that Jupyter and Colab show as raw text. This script writes two editions that read
natively in any Jupyter:

* instructor (``_build/notebooks/book/``): exercises as headed markdown, solutions in collapsed
  ``<details>`` blocks (solution code cells collapsed);
* student (``_build/student-notebooks/book/``): the same, without any solution cell.

Conversions (each one unit-tested in tests/test_jupyter_export.py):

* ``{glue:text}`name:fmt``` and friends -> the value from the reference run (the book build's
  jupyter-cache; on a miss the notebook is executed here and cached), formatted with myst-nb's
  own ``format_plain_text``, so the numbers are the website's;
* ``{cite}`` -> "(Karras et al., 2022)", ``{cite:t}`` -> "Karras et al. (2022)", linked to the
  website's references page;
* ``{eq}``, ``{ref}``, ``{numref}``, ``{doc}`` -> text: "(2.1)", "Exercise 6.3", "Section 2.3", page titles
  (the numbering of the website: chapter C from the file prefix, k-th labelled equation (C.k),
  k-th exercise C.k, k-th ``##`` section C.k);
* ``$$ ... $$ (label)`` -> ``$$ ... \\tag{C.k} $$``; ``(label)=`` targets -> ``<a id="label"></a>``;
* exercise/solution directives -> "### Exercise C.k (label): title" / ``<details>``;
  admonitions (note, tip, ``admonition`` ...) -> a blockquote with a bold title.

Anything else MyST-only raises :class:`ExportError`; :func:`myst_leftovers` is the render check.

Usage: ``python book/_ext/jupyter_export.py [--edition both|instructor|student] [--ref REF] NB...``
"""
from __future__ import annotations

import argparse
import copy
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import course_site  # noqa: E402  (is_solution_cell: one definition of "solution")

GLUE_PREFIX = "application/papermill.record/"
ADMONITIONS = {"note", "tip", "hint", "important", "warning", "caution", "attention", "danger",
               "error", "seealso", "admonition"}
GLUE_NOTE = ("*The numbers quoted in the text are those of the website's reference run (default seeds); "
             "your own run prints and checks its values in the cells, and they may differ slightly.*")


class ExportError(ValueError):
    """A MyST construct the exporter cannot turn into plain Jupyter markdown."""


# ----------------------------------------------------------------------------- the book's labels
@dataclass
class Target:
    kind: str        # "exercise", "equation", "section", "chapter"
    number: str      # "6.3", "2.1", ...
    chapter: int
    title: str = ""


@dataclass
class Book:
    """What the conversion needs to know about the whole book: labels, chapters, bibliography."""
    chapters: dict[int, str] = field(default_factory=dict)       # number -> title
    docs: dict[str, str] = field(default_factory=dict)           # docname ("notation") -> title
    targets: dict[str, Target] = field(default_factory=dict)
    bib: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (authors, year)
    site_url: str = ""                                           # ends with "/" or is ""

    def page_url(self, docname: str) -> str:
        return f"{self.site_url}book/{docname}.html" if self.site_url else ""


def _src(cell: dict) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def chapter_number(path: str | Path) -> int:
    m = re.match(r"(\d+)_", Path(path).name)
    if not m:
        raise ExportError(f"{path}: chapter notebooks are named NN_name.ipynb")
    return int(m.group(1))


EXERCISE_LABEL = re.compile(r"^(?::{3,}|`{3,})\{exercise(?:-start)?\}[^\n]*\n(?::(?!label)[^\n]*\n)*:label:\s*(\S+)", re.M)
EQ_LABEL = re.compile(r"^\$\$\s*\((\S+)\)\s*$", re.M)
TARGET = re.compile(r"^\((\S+)\)=\s*$", re.M)
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$", re.M)


def collect_targets(nb: dict, chapter: int) -> tuple[str, dict[str, Target]]:
    """The chapter's title and labels (exercises, labelled equations, ``(label)=`` targets)."""
    title, targets, n_ex, n_eq, n_sec = "", {}, 0, 0, 0
    pending: list[str] = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        text = _src(cell)
        events = ([(m.start(), "ex", m.group(1)) for m in EXERCISE_LABEL.finditer(text)]
                  + [(m.start(), "eq", m.group(1)) for m in EQ_LABEL.finditer(text)]
                  + [(m.start(), "target", m.group(1)) for m in TARGET.finditer(text)]
                  + [(m.start(), "h" + str(len(m.group(1))), m.group(2)) for m in HEADING.finditer(text)])
        for _, kind, value in sorted(events):
            if kind == "ex":
                n_ex += 1
                targets[value] = Target("exercise", f"{chapter}.{n_ex}", chapter)
            elif kind == "eq":
                n_eq += 1
                targets[value] = Target("equation", f"{chapter}.{n_eq}", chapter)
            elif kind == "target":
                pending.append(value)
            else:
                level = int(kind[1:])
                if level == 1 and not title:
                    title = value
                if level == 2:
                    n_sec += 1
                for label in pending:   # a target names the heading that follows it
                    targets[label] = (Target("chapter", str(chapter), chapter, value) if level == 1 else
                                      Target("section", f"{chapter}.{n_sec}" if level == 2 else "", chapter, value))
                pending = []
    for label in pending:
        targets[label] = Target("section", "", chapter, title)
    return title, targets


def parse_bib(path: Path) -> dict[str, tuple[str, str]]:
    """``key -> (authors, year)`` in author-year style: "Efron", "Song and Ermon", "Ho et al."."""
    from pybtex.database import parse_file

    out = {}
    for key, entry in parse_file(str(path)).entries.items():
        people = entry.persons.get("author", []) or entry.persons.get("editor", [])
        last = [" ".join(p.prelast_names + p.last_names).replace("{", "").replace("}", "") for p in people]
        if not last:
            authors = entry.fields.get("title", key)
        elif len(last) == 1:
            authors = last[0]
        elif len(last) == 2:
            authors = f"{last[0]} and {last[1]}"
        else:
            authors = f"{last[0]} et al."
        out[key] = (authors, entry.fields.get("year", "n.d."))
    return out


def site_url_from_config(config: dict) -> str:
    """The website's URL: GitHub Pages of ``repository.url`` (``html.baseurl`` wins when set)."""
    base = (config.get("html") or {}).get("baseurl") or ""
    if base:
        return base.rstrip("/") + "/"
    m = re.match(r"https?://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?$", (config.get("repository") or {}).get("url", ""))
    return f"https://{m.group(1)}.github.io/{m.group(2)}/" if m else ""


def load_book(notebooks: list[Path], root: Path = ROOT) -> Book:
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    book = Book(site_url=site_url_from_config(config))
    bibfiles = config.get("bibtex_bibfiles") or []
    for bib in bibfiles:
        book.bib.update(parse_bib(root / bib))
    for path in sorted((root / "book").glob("[0-9][0-9]_*.ipynb")) + [Path(p) for p in notebooks]:
        c = chapter_number(path)
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        title, targets = collect_targets(nb, c)
        book.chapters[c] = title
        book.docs[Path(path).stem] = title
        book.targets.update(targets)
    for md in (root / "book").glob("*.md"):
        m = HEADING.search(md.read_text(encoding="utf-8"))
        book.docs.setdefault(md.stem, m.group(2) if m else md.stem)
    return book


# ----------------------------------------------------------------------------- glued values
def glue_values(nb: dict) -> dict[str, dict]:
    """``name -> mime bundle`` of every value an executed notebook glued (myst-nb's format)."""
    values = {}
    for cell in nb["cells"]:
        for out in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            name = (out.get("metadata") or {}).get("scrapbook", {}).get("name")
            if out.get("output_type") == "display_data" and name:
                values[name] = {k.removeprefix(GLUE_PREFIX): v for k, v in out["data"].items()}
    return values


def executed_notebook(path: Path, cache_path: Path, timeout: int = 600) -> dict:
    """The executed notebook from the book build's jupyter-cache; executed (and cached) on a miss."""
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from jupyter_cache.executors.utils import single_nb_execution

    nb = nbformat.read(str(path), as_version=4)
    cache = get_cache(str(cache_path))
    try:
        _, merged = cache.merge_match_into_notebook(nb)
        return merged
    except KeyError:
        pass
    print(f"jupyter_export: {path.name} is not in {cache_path}; executing it once (as `make book` would)")
    record = cache.add_nb_to_project(str(path.resolve()))
    result = single_nb_execution(nb, cwd=str(path.resolve().parent), allow_errors=False, timeout=timeout,
                                 meta_override=True)
    if result.err is not None:
        raise ExportError(f"{path}: executing the notebook failed:\n{result.exc_string}")
    cache.cache_notebook_bundle(CacheBundleIn(nb, record.uri, data={"execution_seconds": result.time}),
                                check_validity=False, overwrite=True)
    return nb


def format_glue(bundle: dict, role: str, spec: str) -> str:
    from myst_nb.core.variables import format_plain_text  # the website's formatting, exactly

    if role in ("glue:text", "glue", "glue:", "glue:any"):
        if "text/plain" not in bundle:
            raise ExportError(f"glued value has no text/plain: {sorted(bundle)}")
        return format_plain_text(bundle["text/plain"], spec) if role == "glue:text" else format_plain_text(bundle["text/plain"], "")
    if role == "glue:md":
        return bundle.get("text/markdown") or bundle["text/plain"]
    if role == "glue:math":
        latex = bundle.get("text/latex") or bundle["text/plain"]
        return latex if latex.strip().startswith("$") else f"${latex}$"
    raise ExportError(f"unsupported glue role {{{role}}}")


# ----------------------------------------------------------------------------- markdown conversion
ROLE = re.compile(r"\{(?P<role>[a-zA-Z][\w:-]*)\}`(?P<content>[^`]*)`")
OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>:{3,}|`{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<arg>.*?)\s*$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")


@dataclass
class Context:
    book: Book
    chapter: int
    glue: dict[str, dict] = field(default_factory=dict)
    used_glue: bool = False


def _explicit(content: str) -> tuple[str | None, str]:
    m = re.match(r"^(.*?)\s*<([^<>]+)>$", content.strip(), re.S)
    return (m.group(1), m.group(2)) if m else (None, content.strip())


def _where(ctx: Context, t: Target) -> str:
    title = re.sub(r"^\d+\.?\s+", "", ctx.book.chapters.get(t.chapter, ""))  # "2. DDPM" -> "DDPM"
    return "" if t.chapter == ctx.chapter else f" in Chapter {t.chapter} ({title})"


def _link(text: str, url: str) -> str:
    return f"[{text}]({url})" if url else text


def render_role(role: str, content: str, ctx: Context) -> str:
    book = ctx.book
    if role.startswith("glue"):
        key, _, spec = content.rpartition(":") if role == "glue:text" and ":" in content else (content, "", "")
        key = key.split("::")[-1]
        if key not in ctx.glue:
            raise ExportError(f"no glued value {key!r} in the executed Chapter {ctx.chapter} notebook")
        ctx.used_glue = True
        value = format_glue(ctx.glue[key], role, spec)
        if not value.strip() or value.strip().lower() in ("nan", "none", "-nan", "inf"):
            raise ExportError(f"glued value {key!r} is {value!r}: no number to show")
        return value
    if role.startswith("cite"):
        refs = []
        for key in [k.strip() for k in content.split(",") if k.strip()]:
            if key not in book.bib:
                raise ExportError(f"unknown citation key {key!r} (not in the .bib files)")
            refs.append(book.bib[key])
        url = book.page_url("references")
        if role in ("cite:t", "cite:ts"):
            return "; ".join(_link(f"{a} ({y})", url) for a, y in refs)
        return "(" + "; ".join(_link(f"{a}, {y}", url) for a, y in refs) + ")"
    if role in ("eq", "ref", "numref"):
        text, label = _explicit(content)
        t = book.targets.get(label)
        if t is None:
            raise ExportError(f"{{{role}}}`{content}`: unknown label {label!r}")
        if role == "eq":
            return text or f"({t.number}){_where(ctx, t)}"
        if text and role == "ref":
            return text
        name = {"exercise": f"Exercise {t.number}", "equation": f"({t.number})",
                "section": f"Section {t.number}" if t.number else "", "chapter": f"Chapter {t.number}"}[t.kind]
        if text:  # numref with a template like "Section %s"
            return text.replace("%s", t.number).replace("{number}", t.number)
        if role == "ref" and t.title and t.kind in ("section", "chapter"):
            return f"{name} ({t.title})" if name else t.title
        return f"{name}{_where(ctx, t)}"
    if role == "doc":
        text, doc = _explicit(content)
        doc = doc.removeprefix("/").removeprefix("book/").removesuffix(".md").removesuffix(".ipynb")
        if doc not in book.docs:
            raise ExportError(f"{{doc}}`{content}`: no page {doc!r} in book/")
        return _link(text or book.docs[doc], book.page_url(doc))
    if role == "math":
        return f"${content}$"
    raise ExportError(f"unsupported role {{{role}}}`{content}`")


def convert_roles(text: str, ctx: Context) -> str:
    # inline code spans stay as they are (a role inside backticks is an example, not a role)
    out, pos = [], 0
    for m in ROLE.finditer(text):
        out.append(text[pos:m.start()])
        out.append(render_role(m.group("role"), m.group("content"), ctx))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _blockquote(title: str, body: str) -> str:
    lines = [f"**{title}**", ""] + body.strip("\n").split("\n")
    return "\n".join(("> " + ln).rstrip() for ln in lines)


def render_directive(name: str, arg: str, options: dict, body: str, ctx: Context) -> str:
    body = convert_markdown(body, ctx)
    if name in ("exercise", "exercise-start"):
        label = options.get("label", "")
        t = ctx.book.targets.get(label)
        number = t.number if t else "?"
        head = f"### Exercise {number}" + (f" ({label})" if label else "") + (f": {arg}" if arg else "")
        anchor = f'<a id="{label}"></a>\n\n' if label else ""
        return f"{anchor}{head}\n\n{body.strip()}".rstrip()
    if name in ("exercise-end", "solution-end"):
        return ""
    if name in ("solution", "solution-start"):
        t = ctx.book.targets.get(arg.strip())
        title = f"Solution to Exercise {t.number}" if t else "Solution"
        if name == "solution-start":
            return f"**{title}**\n\n{body.strip()}".rstrip()
        return f"<details>\n<summary>{title}</summary>\n\n{body.strip()}\n\n</details>"
    if name in ADMONITIONS or name in ("margin", "sidebar", "topic"):
        title = arg if name in ("admonition", "margin", "sidebar", "topic") and arg else (arg or name.capitalize())
        return _blockquote(title, body)
    if name == "dropdown":
        return f"<details>\n<summary>{arg}</summary>\n\n{body.strip()}\n\n</details>"
    if name == "math":
        label = options.get("label")
        t = ctx.book.targets.get(label) if label else None
        tag = f"\n\\tag{{{t.number}}}" if t else ""
        return f"$$\n{body.strip()}{tag}\n$$"
    raise ExportError(f"unsupported directive {{{name}}}: add its conversion to book/_ext/jupyter_export.py "
                      "(with a test in tests/test_jupyter_export.py), or write it as plain markdown")


def _close_index(lines: list[str], start: int, fence: str) -> int:
    char, depth = fence[0], 0
    for i in range(start, len(lines)):
        s = lines[i].strip()
        if char == ":" and re.match(r"^:{3,}\{", s):
            depth += 1
        elif char == ":" and depth and re.fullmatch(r":{3,}", s):
            depth -= 1
        elif re.fullmatch(re.escape(char) + "{%d,}" % len(fence), s):
            return i
    raise ExportError(f"directive opened with {fence} is never closed")


def _tag(label: str, ctx: Context) -> str:
    t = ctx.book.targets.get(label)
    if t is None or t.kind != "equation":
        raise ExportError(f"unknown equation label {label!r}")
    return f"\\tag{{{t.number}}}"


def convert_markdown(text: str, ctx: Context) -> str:
    """Directives, labelled equations and targets of one markdown text, then its roles."""
    lines, out, i = text.split("\n"), [], 0
    eq_open = False
    while i < len(lines):
        line = lines[i]
        m = OPEN.match(line)
        if m:
            j = _close_index(lines, i + 1, m.group("fence"))
            k, options = i + 1, {}
            while k < j and OPTION.match(lines[k]):
                om = OPTION.match(lines[k])
                options[om.group("key")] = om.group("value")
                k += 1
            if k < j and not lines[k].strip():
                k += 1
            out.append(render_directive(m.group("name"), m.group("arg"), options, "\n".join(lines[k:j]), ctx))
            i = j + 1
            continue
        if TARGET.fullmatch(line.strip()):
            out.append(f'<a id="{line.strip()[1:-2]}"></a>')
            i += 1
            continue
        stripped = line.strip()
        if stripped.startswith("$$"):
            one_line = re.match(r"^\$\$(.+)\$\$\s*(?:\((\S+)\))?$", stripped)
            closing = re.match(r"^\$\$\s*(?:\((\S+)\))?$", stripped)
            if eq_open and closing:
                if closing.group(1):
                    out.append(_tag(closing.group(1), ctx))
                out.append("$$")
                eq_open = False
                i += 1
                continue
            if not eq_open and one_line:
                label = one_line.group(2)
                out.append(f"$${one_line.group(1).rstrip()}" + (f" {_tag(label, ctx)}" if label else "") + "$$")
                i += 1
                continue
            if not eq_open:
                eq_open = True
        elif eq_open and stripped.endswith("$$"):
            eq_open = False
        out.append(line)
        i += 1
    return convert_roles("\n".join(out), ctx)


# ----------------------------------------------------------------------------- the render check
LEFTOVERS = [
    (re.compile(r"\{glue[\w:-]*\}`"), "a {glue} role"),
    (re.compile(r"\{cite[\w:-]*\}`"), "a {cite} role"),
    (re.compile(r"\{(?:ref|numref|eq|doc|term|download|math)\}`"), "a cross-reference role"),
    (re.compile(r"^\s*:{3,}", re.M), "a ::: directive"),
    (re.compile(r"^\s*`{3,}\{", re.M), "a ```{ directive"),
    (re.compile(r"^\(\S+\)=\s*$", re.M), "a (label)= target"),
    (re.compile(r"^\$\$\s*\(\S+\)\s*$", re.M), "a $$ (label) equation label"),
    (re.compile(r"^:label:", re.M), "a :label: option"),
    (re.compile(r"\{\{\s*[A-Za-z_][\w.]*\s*\}\}"), "a {{ substitution }} placeholder"),
    (re.compile(r"\{glue\}|\{glue:\w*\}"), "a glue placeholder without value"),
]


def myst_leftovers(nb: dict) -> list[str]:
    """Every MyST-only construct (or unfilled placeholder) left in a notebook's markdown cells."""
    problems = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        text = _src(cell)
        for pattern, what in LEFTOVERS:
            for m in pattern.finditer(text):
                line = text[:m.start()].count("\n") + 1
                problems.append(f"cell {i}, line {line}: {what}: {text.splitlines()[line - 1].strip()[:80]!r}")
    return problems


# ----------------------------------------------------------------------------- notebooks
COLAB_LINE = re.compile(r'(COURSE_LIB = "course_lib @ git\+)([^"@]+?)(?:@([^"]*))?"')


def pin_bootstrap(source: str, repo_url: str, ref: str) -> str:
    """The Colab cell with ``COURSE_LIB`` pinned to ``repo_url@ref``."""
    new, n = COLAB_LINE.subn(lambda m: f'{m.group(1)}{repo_url}@{ref}"', source)
    if n != 1:
        raise ExportError("the first code cell has no `COURSE_LIB = \"course_lib @ git+URL@REF\"` line to pin")
    return new


def export_notebook(nb: dict, executed: dict | None, book: Book, chapter: int, *, student: bool,
                    repo_url: str, ref: str, source_name: str) -> dict:
    """One generated notebook (a new dict; outputs cleared)."""
    out = copy.deepcopy(nb)
    if student:
        out = course_site.student_notebook(out)
    ctx = Context(book, chapter, glue_values(executed) if executed else {})
    first_code = True
    for cell in out["cells"]:
        if cell["cell_type"] == "markdown":
            cell["source"] = convert_markdown(_src(cell), ctx)
        elif cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
            if first_code:
                cell["source"] = pin_bootstrap(_src(cell), repo_url, ref)
                first_code = False
            if course_site.is_solution_cell(cell):
                cell.setdefault("metadata", {}).setdefault("jupyter", {})["source_hidden"] = True
    note = f"*Generated from `book/{source_name}` by `make notebooks` ({'student' if student else 'instructor'} edition); edit the source, not this copy.*"
    if ctx.used_glue:
        note += "\n\n" + GLUE_NOTE
    idx = next((i + 1 for i, c in enumerate(out["cells"]) if c["cell_type"] == "markdown"), 0)
    out["cells"].insert(idx, {"cell_type": "markdown", "metadata": {}, "source": note})
    for cell in out["cells"]:
        cell.pop("id", None)
    out["nbformat"], out["nbformat_minor"] = 4, 4
    out.setdefault("metadata", {})["course_export"] = {"edition": "student" if student else "instructor",
                                                      "source": f"book/{source_name}", "ref": ref}
    problems = myst_leftovers(out)
    if problems:
        raise ExportError(f"{source_name}: MyST left in the generated notebook:\n" + "\n".join(problems))
    return out


def git_ref(root: Path = ROOT) -> str:
    """The commit the notebooks are built from (warns when the work tree has changes)."""
    try:
        ref = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "course_lib", "pyproject.toml"], cwd=root,
                               capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "main"
    if dirty:
        print(f"jupyter_export: warning: course_lib has uncommitted changes; the Colab cell pins {ref[:12]}")
    return ref


def main(argv: list[str] | None = None) -> int:
    import yaml

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("notebooks", nargs="+", type=Path)
    p.add_argument("--edition", choices=["both", "instructor", "student"], default="both")
    p.add_argument("--ref", default=None, help="tag or commit the Colab cell installs (default: git HEAD)")
    p.add_argument("--cache", type=Path, default=ROOT / "_build" / ".jupyter_cache")
    p.add_argument("--out", type=Path, default=ROOT / "_build" / "notebooks")
    p.add_argument("--student-out", type=Path, default=ROOT / "_build" / "student-notebooks")
    args = p.parse_args(argv)
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    repo_url = config["repository"]["url"].rstrip("/")
    ref = args.ref or git_ref()
    book = load_book(args.notebooks)
    editions = {"instructor": [(False, args.out)], "student": [(True, args.student_out)],
                "both": [(False, args.out), (True, args.student_out)]}[args.edition]
    for path in args.notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        needs_glue = any(ROLE.search(_src(c)) and "{glue" in _src(c) for c in nb["cells"] if c["cell_type"] == "markdown")
        executed = executed_notebook(path, args.cache) if needs_glue else None
        for student, out_dir in editions:
            gen = export_notebook(nb, executed, book, chapter_number(path), student=student, repo_url=repo_url,
                                  ref=ref, source_name=path.name)
            target = out_dir / "book" / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(gen, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
