"""Notebook hygiene: every chapter in book/ follows the course's conventions (CONTRIBUTING.md).

* stored without outputs;
* first code cell is the Colab bootstrap, and its repository URL is _config.yml's;
* EXTRA boxes are `<details class="extra">` with an "EXTRA — " summary and blank lines around the
  content, checked by parsing each cell the way MyST does (no maths may end up inside raw HTML,
  where the website would show raw `$$`);
* exercises/solutions follow the sphinx-exercise convention, solution cells are tagged, and the
  student copy of each notebook holds no solution;
* no `torch.set_num_threads` in notebooks;
* the set-up cell seeds torch's global RNG (a fresh kernel seeds it at random).
"""
from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
REPO_URL = CONFIG["repository"]["url"].rstrip("/")

_spec = importlib.util.spec_from_file_location("course_site", BOOK / "_ext" / "course_site.py")
course_site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(course_site)

BOOTSTRAP = f'''# Colab setup: installs course_lib at this edition's version, keeping Colab's torch; does nothing elsewhere.
import sys
COURSE_LIB = "course_lib @ git+{REPO_URL}@main"  # `make notebooks` pins the commit
if "google.colab" in sys.modules:
    import subprocess, torch
    with open("/tmp/keep_torch.txt", "w") as f:   # a constraint: pip may not touch the installed torch
        f.write(f"torch=={{torch.__version__}}\\n")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-c", "/tmp/keep_torch.txt", COURSE_LIB],
                         capture_output=True, text=True)
    if pip.returncode != 0:
        raise RuntimeError(f"Installing course_lib failed, so this chapter cannot run:\\n{{pip.stderr[-1500:]}}\\n"
                           "Check the connection (or the version in COURSE_LIB) and run this cell again.")'''
"""The Colab cell (book/_ext/jupyter_export.py pins `@main` to the built commit in the generated copies)."""


EXTRA_PREFIX = "EXTRA — "


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def src(cell: dict) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def tags(cell: dict) -> list:
    return cell.get("metadata", {}).get("tags", []) or []


# ----------------------------------------------------------------------------- EXTRA box checker
_MD = (MarkdownIt("commonmark").use(dollarmath_plugin, allow_space=True, allow_digits=True)
       .use(amsmath_plugin).enable("table"))
_DETAILS_OPEN = re.compile(r"<details\b[^>]*>", re.IGNORECASE)


def extra_box_problems(markdown: str) -> list[str]:
    """Problems with the EXTRA boxes of one markdown cell (empty list: all good)."""
    problems = []
    opens = _DETAILS_OPEN.findall(markdown)
    if len(opens) != markdown.count("</details>"):
        problems.append(f"{len(opens)} <details> but {markdown.count('</details>')} </details>")
    for tag in opens:
        if not re.search(r'class\s*=\s*"extra"', tag):
            problems.append(f'{tag} lacks class="extra" (write <details class="extra">)')
    for summary in re.findall(r"<summary>(.*?)</summary>", markdown, flags=re.S):
        if not summary.strip().startswith(EXTRA_PREFIX):
            problems.append(f"summary {summary.strip()[:60]!r} must start with {EXTRA_PREFIX!r}")
    if opens and len(re.findall(r"<summary>", markdown)) != len(opens):
        problems.append("every <details> needs one <summary>EXTRA — ...</summary>")
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        if "</summary>" in line and (i + 1 >= len(lines) or lines[i + 1].strip()):
            problems.append(f"line {i + 1}: put a blank line after </summary> (else the maths is not typeset)")
        if line.strip().startswith("</details>") and (i == 0 or lines[i - 1].strip()):
            problems.append(f"line {i + 1}: put a blank line before </details> (else the maths is not typeset)")
        if "</details>" in line and line.strip() != "</details>":
            problems.append(f"line {i + 1}: </details> must stand alone on its line")
    # The decisive check: parse like MyST; maths swallowed by a raw-HTML block is shown as raw $$.
    for tok in _MD.parse(markdown):
        pieces = [tok] + list(tok.children or [])
        for t in pieces:
            if t.type in ("html_block", "html_inline") and ("$" in t.content or "\\begin{" in t.content):
                problems.append(f"maths inside raw HTML (not typeset on the website): {t.content.strip()[:80]!r}")
    return problems


GOOD_BOX = '<details class="extra">\n<summary>EXTRA — a derivation</summary>\n\nText $a$ and\n\n$$\nx = y\n$$\n\n</details>'


@pytest.mark.parametrize("bad", [
    GOOD_BOX.replace("</summary>\n\n", "</summary>\n"),          # no blank line after summary
    GOOD_BOX.replace("$$\n\n</details>", "$$\n</details>"),     # no blank line before </details>
    GOOD_BOX.replace("EXTRA — ", "Derivation: "),                 # summary without the prefix
    GOOD_BOX.replace(' class="extra"', ""),                       # not marked as an EXTRA box
    GOOD_BOX.replace("\n\n</details>", ""),                       # never closed
])
def test_checker_catches_bad_boxes(bad):
    assert extra_box_problems(bad)


def test_checker_accepts_the_convention():
    assert extra_box_problems(GOOD_BOX) == []
    assert extra_box_problems("No box here, just $x$ and\n\n$$\ny\n$$\n") == []


# ----------------------------------------------------------------------------- per notebook
def _ids(paths):
    return [p.name for p in paths]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_stored_without_outputs(path):
    dirty = [i for i, c in enumerate(load(path)["cells"])
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, (f"{path.name}: code cells {dirty} hold outputs; clear them with "
                       f"`python book/_ext/course_site.py clear {path.relative_to(ROOT)}`")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_first_code_cell_is_colab_bootstrap(path):
    code = [c for c in load(path)["cells"] if c["cell_type"] == "code"]
    assert code, f"{path.name} has no code cell"
    first = src(code[0]).strip()
    urls = re.findall(r"git\+([^\"'@\s]+)", first)
    assert urls == [REPO_URL], f"{path.name}: bootstrap installs from {urls}, _config.yml says {REPO_URL}"
    assert first == BOOTSTRAP, f"{path.name}: the first code cell must be exactly the Colab bootstrap:\n{BOOTSTRAP}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_extra_boxes(path):
    problems = [f"cell {i}: {p}" for i, c in enumerate(load(path)["cells"])
                if c["cell_type"] == "markdown" for p in extra_box_problems(src(c))]
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_exercises_and_solutions(path):
    cells = load(path)["cells"]
    problems = []
    labels = []
    for i, c in enumerate(cells):
        s = src(c)
        if c["cell_type"] == "markdown":
            if re.search(r"\{solution(-start)?\}", s):
                if "solution" not in tags(c):
                    problems.append(f"cell {i}: a solution cell must be tagged 'solution'")
                if re.search(r"\{exercise(-start)?\}", s):
                    problems.append(f"cell {i}: exercise and solution must be separate cells")
            for label in re.findall(r"\{exercise(?:-start)?\}[^\n]*\n:label:\s*(\S+)", s):
                labels.append(label)
            if re.search(r"\{exercise(-start)?\}", s) and ":label:" not in s:
                problems.append(f"cell {i}: every exercise needs a :label:")
        # (a stub that really raises is caught by nbval unless tagged 'raises-exception')
    dup = {x for x in labels if labels.count(x) > 1}
    if dup:
        problems.append(f"duplicate exercise labels {sorted(dup)}")
    solved = set(re.findall(r"\{solution\}\s*(\S+)", "\n".join(src(c) for c in cells)))
    unknown = solved - set(labels)
    if unknown:
        problems.append(f"solutions to unknown exercises {sorted(unknown)}")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_student_copy_has_no_solution(path):
    nb = load(path)
    student = course_site.student_notebook(nb)
    solution_text = [src(c) for c in nb["cells"] if course_site.is_solution_cell(c)]
    kept = "\n".join(src(c) for c in student["cells"])
    assert not any(course_site.is_solution_cell(c) for c in student["cells"])
    for text in solution_text:
        assert text.strip() not in kept
    assert len(student["cells"]) == len(nb["cells"]) - len(solution_text)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_no_thread_setting_in_notebooks(path):
    bad = [i for i, c in enumerate(load(path)["cells"]) if c["cell_type"] == "code" and "set_num_threads" in src(c)]
    assert not bad, f"{path.name}: cells {bad} call torch.set_num_threads (CI decides the threads)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_setup_seeds_the_global_rng(path):
    """A network built without a generator (a UNet, a bare TimeMLP) takes its initial weights from
    torch's global RNG, which a fresh kernel seeds at random: Chapter 7's U-Net differed from one run
    to the next until its set-up seeded it. Every chapter's set-up cell (the one that imports
    course_lib) seeds it."""
    cells = load(path)["cells"]
    setup = next(i for i, c in enumerate(cells) if c["cell_type"] == "code" and re.search(r"^import course_lib", src(c), re.M))
    assert re.search(r"^torch\.manual_seed\(", src(cells[setup]), re.M), \
        f"{path.name}: the set-up cell (cell {setup}) does not seed torch's global RNG (torch.manual_seed)"


# ----------------------------------------------------------------------------- site configuration
def test_toc_files_exist():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]] + [ch["file"] for part in toc.get("parts", []) for ch in part.get("chapters", [])]
    missing = [f for f in files if not any((ROOT / f).with_suffix(s).exists() for s in (".md", ".ipynb"))]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


def test_student_config(tmp_path):
    target = course_site.merged_config(ROOT / "_config.yml", ROOT / "_config_student.yml", tmp_path / "c.yml")
    student = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert student["repository"]["url"] == CONFIG["repository"]["url"]
    assert student["repository"]["branch"] == "student"
    assert student["sphinx"]["config"]["course_student"] is True
    assert student["sphinx"]["config"]["html_copy_source"] is False
    assert Path(student["sphinx"]["local_extensions"]["course_site"]).is_absolute()
    assert "path_to_book" not in CONFIG["repository"], "leave repository.path_to_book unset (links would double book/)"
    assert CONFIG["launch_buttons"]["colab_url"].startswith("https://colab.research.google.com")


def test_student_notebook_drops_tagged_and_directive_cells():
    nb = {"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ":::{exercise} T\n:label: x\n\nQ\n:::"},
        {"cell_type": "markdown", "metadata": {"tags": ["solution"]}, "source": ":::{solution} x\nA\n:::"},
        {"cell_type": "markdown", "metadata": {}, "source": "```{solution} x\nuntagged answer\n```"},
        {"cell_type": "code", "metadata": {"tags": ["solution"]}, "source": "answer = 42", "outputs": [], "execution_count": 3},
        {"cell_type": "code", "metadata": {}, "source": "check(answer)", "outputs": [{"x": 1}], "execution_count": 4},
    ]}
    out = course_site.student_notebook(nb)
    assert [c["source"] for c in out["cells"]] == [nb["cells"][0]["source"], "check(answer)"]
    assert out["cells"][1]["outputs"] == [] and out["cells"][1]["execution_count"] is None
    kept_code = course_site.student_notebook(nb, drop_code=False, clear_outputs=False)
    assert [c["source"] for c in kept_code["cells"]][1:] == ["answer = 42", "check(answer)"]


def test_exercise_list_kinds():
    md = lambda s, **meta: {"cell_type": "markdown", "metadata": meta, "source": s}
    code = lambda s, **meta: {"cell_type": "code", "metadata": meta, "source": s, "outputs": [], "execution_count": None}
    nb = {"cells": [
        md(":::{exercise} Prove it\n:label: a\n\nShow that.\n:::"),
        md(":::{solution} a\nproof\n:::", tags=["solution"]),
        md(":::{exercise} Code it\n:label: b\n\nWrite f.\n:::", effort="45 min"),
        code("def f(x):\n    raise NotImplementedError\n\nch9.check_f(f)"),
        code("def f(x):\n    return x", tags=["solution"]),
        md(":::{exercise} A number\n:label: c\n\nCompute it.\n:::"),
        code("value = ...\nch9.check_value_thing(value)"),
        md("```{exercise} Train again\n:label: d\n\nTrain the model with twice the steps.\n```"),
    ]}
    got = [(e["label"], e["kind"], e["effort"], e["feedback"]) for e in course_site.exercises_of(nb)]
    assert got == [("a", "pen and paper", "not set", False), ("b", "implement", "45 min", True),
                   ("c", "a number", "not set", True), ("d", "experiment", "not set", False)]
    nb["cells"][0]["metadata"].update(kind="proof", effort="5 min", points=1)  # the author's word wins
    first = course_site.exercises_of(nb)[0]
    assert (first["kind"], first["effort"], first["points"]) == ("proof", "5 min", 1)


def test_solution_scanner_finds_leaks(tmp_path):
    (tmp_path / "ok.html").write_text("<p>exercise only</p>")
    assert course_site.find_solution_traces(tmp_path) == []
    (tmp_path / "leak.html").write_text('<div class="solution dropdown admonition">answer</div>')
    (tmp_path / "_sources").mkdir()
    (tmp_path / "_sources" / "x.ipynb").write_text(json.dumps({"cells": [
        {"cell_type": "code", "metadata": {"tags": ["solution"]}, "source": "x = 1"}]}))
    problems = course_site.find_solution_traces(tmp_path)
    assert len(problems) == 2 and any("leak.html" in p for p in problems)


def test_clear_outputs(tmp_path):
    p = tmp_path / "n.ipynb"
    p.write_text(json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "source": "1",
                                        "outputs": [{"output_type": "stream"}], "execution_count": 1}]}))
    assert course_site.clear_outputs([str(p)]) == [p]
    cell = json.loads(p.read_text())["cells"][0]
    assert cell["outputs"] == [] and cell["execution_count"] is None
    assert course_site.clear_outputs([str(p)]) == []
