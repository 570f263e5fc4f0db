"""Local Sphinx extension for the course website: one source, two sites.

Instructor build (``make book``): nothing changes, solutions sit in dropdowns.

Student build (``make book-student``, ``course_student: true`` in the Sphinx config):

* markdown cells tagged ``solution`` are dropped from each notebook before myst-nb parses it
  (markdown cells do not enter the execution cache, so the cache is shared with the instructor
  build);
* code cells tagged ``solution`` are still executed (later cells may use them) but their nodes
  are removed from the page, and so is every sphinx-exercise solution node (this replaces
  ``hide_solutions``, which crashes with gated solutions: executablebooks/sphinx-exercise#89);
* the ".ipynb" download button serves a *student copy* of the notebook (solution cells removed,
  outputs cleared) written to ``_sources/``; the site itself is built with
  ``html_copy_source: false`` so no original source is published;
* after the build every HTML page and every file under ``_sources/`` is scanned; any trace of a
  solution is a warning, which ``-W`` turns into a failed build.

The same stripping is available from the command line, to publish the student notebooks that the
student site's Colab buttons open (see book/instructor.md)::

    python book/_ext/course_site.py strip OUT_DIR book/*.ipynb

and the Makefile builds the student config with
``python book/_ext/course_site.py config _config.yml _config_student.yml _build/_config_student.yml``.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

SOLUTION_TAG = "solution"
# What a solution looks like in built HTML (sphinx-exercise and myst-nb markup) or in a source.
HTML_SOLUTION_MARKERS = ("solution-content", 'class="solution', "tag_solution")
SOURCE_SOLUTION_PATTERN = re.compile(r"(```|:::)\{solution(-start|-end)?\}")


# ----------------------------------------------------------------------------- notebooks
def _tags(cell: dict) -> list:
    return list(cell.get("metadata", {}).get("tags", []) or [])


def is_solution_cell(cell: dict) -> bool:
    """A cell is a solution when tagged ``solution`` or when it holds a solution directive."""
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    return SOLUTION_TAG in _tags(cell) or (cell.get("cell_type") == "markdown" and bool(SOURCE_SOLUTION_PATTERN.search(source)))


def student_notebook(nb: dict, *, drop_code: bool = True, clear_outputs: bool = True) -> dict:
    """Return a copy of notebook ``nb`` (a JSON dict) without solution cells.

    ``drop_code=False`` keeps solution *code* cells (for the site build, where they still run but
    are hidden); ``clear_outputs`` empties outputs and execution counts.
    """
    out = json.loads(json.dumps(nb))
    kept = []
    for cell in out.get("cells", []):
        if is_solution_cell(cell) and (drop_code or cell.get("cell_type") != "code"):
            continue
        if clear_outputs and cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        kept.append(cell)
    out["cells"] = kept
    return out


def strip_files(out_dir: str | Path, paths: list[str]) -> list[Path]:
    """Write student copies of the notebooks ``paths`` into ``out_dir`` (same file names)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for p in map(Path, paths):
        nb = json.loads(p.read_text(encoding="utf-8"))
        target = out_dir / p.name
        target.write_text(json.dumps(student_notebook(nb), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    return written


# ----------------------------------------------------------------------------- Sphinx side
def _is_student(app) -> bool:
    return bool(getattr(app.config, "course_student", False))


def _on_source_read(app, docname, source):
    if not _is_student(app) or not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    nb = json.loads(source[0])
    source[0] = json.dumps(student_notebook(nb, drop_code=False, clear_outputs=False))


def _make_post_transform():
    from docutils import nodes
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class DropSolutions(SphinxPostTransform):
        """Remove solution nodes and solution-tagged cells (student build only)."""

        default_priority = 999  # after sphinx-exercise has resolved everything

        def run(self, **kwargs):
            if not _is_student(self.app):
                return
            names = {"solution_node", "solution_start_node", "solution_end_node"}
            doomed = [n for n in self.document.findall(nodes.Element)
                      if type(n).__name__ in names or "tag_solution" in n.get("classes", [])]
            for node in doomed:
                if node.parent is not None:
                    node.parent.remove(node)

    return DropSolutions


def _on_page_context(app, pagename, templatename, context, doctree):
    if not _is_student(app):
        return
    path = Path(app.env.doc2path(pagename)) if pagename in app.env.all_docs else None
    if path is not None and path.suffix == ".ipynb":
        context["sourcename"] = pagename + ".ipynb"  # the student copy written by _on_finished
    else:
        context["page_source_suffix"] = ""  # no download button for pages without a student copy


def _repository_button_on_branch(app, pagename, templatename, context, doctree):
    """Student site: the repository button opens the published student branch, not `main`.

    (sphinx-book-theme links the repository's default branch, which holds the solutions.)
    """
    branch = app.config.html_theme_options.get("repository_branch", "")
    if not _is_student(app) or not branch:
        return
    buttons = list(context.get("header_buttons", []))
    for group in list(buttons):
        buttons.extend(group.get("buttons", []))
    for button in buttons:
        if button.get("label") == "source-repository-button" and "/tree/" not in button["url"]:
            button["url"] = f"{button['url'].rstrip('/')}/tree/{branch}"


def _on_finished(app, exception):
    if exception is not None or not _is_student(app) or app.builder.format != "html":
        return
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    outdir = Path(app.outdir)
    for docname in app.env.found_docs:
        src = Path(app.env.doc2path(docname))
        if src.suffix == ".ipynb":
            target = outdir / "_sources" / (docname + ".ipynb")
            target.parent.mkdir(parents=True, exist_ok=True)
            nb = json.loads(src.read_text(encoding="utf-8"))
            target.write_text(json.dumps(student_notebook(nb), indent=1, ensure_ascii=False), encoding="utf-8")
    problems = find_solution_traces(outdir)
    for problem in problems:
        logger.warning(f"student site leaks a solution: {problem}", type="course", subtype="student")


def find_solution_traces(outdir: str | Path) -> list[str]:
    """List the files of a built student site that still show a solution."""
    outdir = Path(outdir)
    problems = []
    for html in outdir.rglob("*.html"):
        text = html.read_text(encoding="utf-8", errors="replace")
        for marker in HTML_SOLUTION_MARKERS:
            if marker in text:
                problems.append(f"{html.relative_to(outdir)} contains {marker!r}")
    sources = outdir / "_sources"
    if sources.is_dir():
        for f in sources.rglob("*"):
            if not f.is_file():
                continue
            text = f.read_text(encoding="utf-8", errors="replace")
            if f.suffix == ".ipynb":
                cells = json.loads(text).get("cells", [])
                if any(is_solution_cell(c) for c in cells):
                    problems.append(f"{f.relative_to(outdir)} holds a solution cell")
            elif SOURCE_SOLUTION_PATTERN.search(text):
                problems.append(f"{f.relative_to(outdir)} holds a solution directive")
    return problems


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    """Drop repeated identical scripts (sphinx-thebe's inline config can be added twice, which
    declares `const THEBE_JS_URL` twice: a JavaScript error on every page)."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        name = getattr(js, "filename", js) or ""  # inline scripts come with filename None or ""
        key = (str(name), tuple(sorted((k, str(v)) for k, v in getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"] = unique
    # pydata-sphinx-theme logs a console error ("Got invalid theme mode: .") when no mode is set.
    context.setdefault("default_mode", "light")


# ----------------------------------------------------------------------------- exercise list
EXERCISE_RE = re.compile(r"(?:```|:::)\{exercise\}\s*(?P<title>[^\n]*)\n(?:(?::(?!label)[^\n]*\n)*):label:\s*(?P<label>\S+)")


def exercises_of(nb: dict) -> list[dict]:
    """The exercises of a notebook: label, title, kind, effort, points, whether a feedback check exists.

    Effort and points are the author's, read from the exercise cell's metadata (``"effort": "20 min"``,
    ``"points": 2``; points only on exercises that ``course_lib.grade`` checks); nothing is guessed.
    The kind is metadata ``"kind"`` when given, else read from the cells up to the next exercise: a
    stub raising NotImplementedError means "implement", a `...` placeholder "a number", a training
    run "experiment", no student code cell "pen and paper".
    """
    cells = nb.get("cells", [])
    found = []
    for i, cell in enumerate(cells):
        text = "".join(cell.get("source", "")) if isinstance(cell.get("source"), list) else cell.get("source", "")
        m = EXERCISE_RE.search(text) if cell.get("cell_type") == "markdown" else None
        if not m:
            continue
        student_code = []
        for nxt in cells[i + 1:]:
            nsrc = "".join(nxt.get("source", "")) if isinstance(nxt.get("source"), list) else nxt.get("source", "")
            if nxt.get("cell_type") == "markdown" and EXERCISE_RE.search(nsrc):
                break
            if nxt.get("cell_type") == "code" and not is_solution_cell(nxt):
                student_code.append(nsrc)
        code = "\n".join(student_code)
        body = text[m.end():]
        meta = cell.get("metadata", {})
        if meta.get("kind"):
            kind = meta["kind"]
        elif "NotImplementedError" in code and re.search(r"\b[Tt]rain\b", body):
            kind = "experiment"
        elif "NotImplementedError" in code or (code.strip() and not re.search(r"=\s*\.\.\.", code)):
            kind = "implement"
        elif re.search(r"=\s*\.\.\.", code):
            kind = "a number"
        elif re.search(r"\b[Tt]rain\b", body):
            kind = "experiment"
        else:
            kind = "pen and paper"
        found.append({"label": m.group("label"), "title": m.group("title").strip(), "kind": kind,
                      "effort": meta.get("effort") or "not set", "points": meta.get("points"),
                      "feedback": bool(re.search(r"\bcheck_\w+\(", code))})
    return found


def _exercise_list_directive():
    from docutils.parsers.rst import Directive

    class ExerciseList(Directive):
        """``{exercise-list}``: a table of every exercise of every chapter notebook."""

        has_content = False

        def run(self):
            env = self.state.document.settings.env
            rows = []
            docs = sorted(d for d in env.found_docs if str(env.doc2path(d)).endswith(".ipynb"))
            for doc in docs:
                path = Path(env.doc2path(doc))
                env.note_dependency(str(path))
                nb = json.loads(path.read_text(encoding="utf-8"))
                for ex in exercises_of(nb):
                    check = "yes" if ex["feedback"] else ""
                    points = "" if ex["points"] is None else str(ex["points"])
                    title = ex["title"].replace("|", "\\|")
                    rows.append(f"| {{doc}}`/{doc}` | {{ref}}`{ex['label']}`: {title} | {ex['kind']} | {ex['effort']} "
                                f"| {check} | {points} |")
            text = ["| chapter | exercise | kind | effort | feedback check | points |",
                    "| --- | --- | --- | --- | --- | --- |", *rows]
            if not rows:
                text = ["(No exercise yet.)"]
            from docutils import nodes
            from docutils.statemachine import StringList

            container = nodes.container(classes=["course-exercise-list"])
            self.state.nested_parse(StringList(text, source="exercise-list"), 0, container)
            return [container]

    return ExerciseList


def setup(app):
    app.add_config_value("course_student", False, "env")
    app.connect("source-read", _on_source_read)
    app.add_post_transform(_make_post_transform())
    app.add_directive("exercise-list", _exercise_list_directive())
    app.connect("html-page-context", _on_page_context, priority=100)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.connect("html-page-context", _repository_button_on_branch, priority=600)  # after the theme's (501)
    app.connect("build-finished", _on_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}


def merged_config(base: str | Path, overrides: str | Path, target: str | Path) -> Path:
    """Write ``base`` updated recursively with ``overrides`` (both Jupyter Book YAML) to ``target``.

    Local-extension paths are made absolute, since Jupyter Book resolves them against the
    folder of the config file.
    """
    import yaml

    base, overrides, target = Path(base), Path(overrides), Path(target)
    config = yaml.safe_load(base.read_text(encoding="utf-8"))

    def update(a: dict, b: dict) -> None:
        for k, v in b.items():
            if isinstance(v, dict) and isinstance(a.get(k), dict):
                update(a[k], v)
            else:
                a[k] = v

    update(config, yaml.safe_load(overrides.read_text(encoding="utf-8")) or {})
    local = config.get("sphinx", {}).get("local_extensions") or {}
    for name, path in local.items():
        local[name] = str((base.parent / path).resolve())
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(f"# GENERATED from {base.name} + {overrides.name}; do not edit\n"
                      + yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return target


def clear_outputs(paths: list[str]) -> list[Path]:
    """Clear outputs and execution counts of notebooks in place (keeps everything else)."""
    changed = []
    for p in map(Path, paths):
        nb = json.loads(p.read_text(encoding="utf-8"))
        dirty = False
        for cell in nb.get("cells", []):
            if cell.get("cell_type") == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
                cell["outputs"], cell["execution_count"] = [], None
                dirty = True
        if dirty:
            p.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            changed.append(p)
    return changed


def _main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "clear":
        for path in clear_outputs(argv[1:]):
            print(f"cleared {path}")
        return 0
    if len(argv) == 4 and argv[0] == "config":
        print(f"wrote {merged_config(*argv[1:])}")
        return 0
    if len(argv) >= 2 and argv[0] == "strip":
        for path in strip_files(argv[1], argv[2:]):
            print(f"wrote {path}")
        return 0
    if len(argv) == 2 and argv[0] == "check":
        problems = find_solution_traces(argv[1])
        print("\n".join(problems) or f"no solution found in {argv[1]}")
        return 1 if problems else 0
    print("usage: course_site.py strip OUT_DIR NOTEBOOK... | clear NOTEBOOK... | check SITE_DIR"
          " | config BASE OVERRIDES TARGET")
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
