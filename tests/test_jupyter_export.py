"""The Jupyter-native notebooks (book/_ext/jupyter_export.py, `make notebooks`).

Each conversion on a small synthetic book, the render check on bad and good markdown, the Colab
cell's pin, and -- when `make notebooks` has run (required under `make notebooks-check`) -- the
render check on every generated notebook of both editions.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("jupyter_export", ROOT / "book" / "_ext" / "jupyter_export.py")
jx = importlib.util.module_from_spec(_spec)
sys.modules["jupyter_export"] = jx
_spec.loader.exec_module(jx)


def md(s, **meta):
    return {"cell_type": "markdown", "metadata": meta, "source": s}


def code(s, **meta):
    return {"cell_type": "code", "metadata": meta, "source": s, "outputs": [], "execution_count": None}


CH2 = {"cells": [
    md("# 2. Diffusion\n\n(sec-chain)=\n## The chain\n\n$$\nx_k = a x_0\n$$ (ch2-one)\n\ntext\n\n$$\ny = b\n$$ (ch2-two)"),
    md("## Exercises\n\n:::{exercise} First\n:label: ch2-ex-a\n\nDo $a$.\n:::"),
    md(":::{solution} ch2-ex-a\n:class: dropdown\n\nAnswer $a = 1$.\n:::", tags=["solution"]),
    code("x = 1", tags=["solution"]),
    md("```{exercise} Second\n:label: ch2-ex-b\n\nDo b.\n```"),
]}
CH3 = {"cells": [md("# 3. Bayes\n\n$$\nz\n$$ (ch3-z)")]}


@pytest.fixture
def book():
    b = jx.Book(site_url="https://x.github.io/course/")
    for c, nb in ((2, CH2), (3, CH3)):
        title, targets = jx.collect_targets(nb, c)
        b.chapters[c] = title
        b.targets.update(targets)
    b.docs.update({"notation": "Notation", "references": "References"})
    b.bib.update({"karras2022edm": ("Karras et al.", "2022"), "efron2011tweedie": ("Efron", "2011"),
                  "song2019": ("Song and Ermon", "2019")})
    return b


def ctx(book, chapter=2, glue=None):
    return jx.Context(book, chapter, glue or {})


def test_numbering(book):
    t = book.targets
    assert (t["ch2-one"].number, t["ch2-two"].number, t["ch3-z"].number) == ("2.1", "2.2", "3.1")
    assert (t["ch2-ex-a"].kind, t["ch2-ex-a"].number, t["ch2-ex-b"].number) == ("exercise", "2.1", "2.2")
    assert (t["sec-chain"].kind, t["sec-chain"].number, t["sec-chain"].title) == ("section", "2.1", "The chain")
    assert book.chapters == {2: "2. Diffusion", 3: "3. Bayes"}


def test_glue_uses_the_websites_format(book):
    c = ctx(book, glue={"a": {"text/plain": "0.123456"}, "n": {"text/plain": "np.int64(7)"}, "s": {"text/plain": "'hi'"}})
    assert jx.convert_markdown("x = {glue:text}`a:.2f`, {glue:text}`a:.1%`, {glue:text}`s`", c) == "x = 0.12, 12.3%, hi"
    assert c.used_glue
    with pytest.raises(jx.ExportError, match="no glued value 'b'"):
        jx.convert_markdown("{glue:text}`b:.2f`", c)
    with pytest.raises(jx.ExportError, match="no number"):
        jx.convert_markdown("{glue:text}`x:.2f`", ctx(book, glue={"x": {"text/plain": "nan"}}))


def test_glue_values_reads_myst_nb_outputs():
    nb = {"cells": [code("glue('a', 1.5, display=False)") | {"outputs": [
        {"output_type": "display_data", "metadata": {"scrapbook": {"name": "a", "mime_prefix": jx.GLUE_PREFIX}},
         "data": {jx.GLUE_PREFIX + "text/plain": "1.5"}},
        {"output_type": "stream", "name": "stdout", "text": "x"}]}]}
    assert jx.glue_values(nb) == {"a": {"text/plain": "1.5"}}


def test_citations(book):
    c = ctx(book)
    url = "https://x.github.io/course/book/references.html"
    assert jx.convert_markdown("see {cite}`karras2022edm`", c) == f"see ([Karras et al., 2022]({url}))"
    assert jx.convert_markdown("{cite:t}`efron2011tweedie,song2019`", c) == \
        f"[Efron (2011)]({url}); [Song and Ermon (2019)]({url})"
    book.site_url = ""
    assert jx.convert_markdown("{cite:p}`karras2022edm`", c) == "(Karras et al., 2022)"
    with pytest.raises(jx.ExportError, match="unknown citation"):
        jx.convert_markdown("{cite}`nobody`", c)


def test_cross_references(book):
    c = ctx(book)
    assert jx.convert_markdown("by {eq}`ch2-two`", c) == "by (2.2)"
    assert jx.convert_markdown("by {eq}`ch3-z`", c) == "by (3.1) in Chapter 3 (Bayes)"
    assert jx.convert_markdown("{ref}`ch2-ex-b`, {numref}`ch2-ex-a`", c) == "Exercise 2.2, Exercise 2.1"
    assert jx.convert_markdown("{ref}`sec-chain`", c) == "Section 2.1 (The chain)"
    assert jx.convert_markdown("{ref}`this one <sec-chain>`", c) == "this one"
    assert jx.convert_markdown("{numref}`Sec. %s <sec-chain>`", c) == "Sec. 2.1"
    assert jx.convert_markdown("the {doc}`page <notation>`", c) == "the [page](https://x.github.io/course/book/notation.html)"
    assert jx.convert_markdown("{doc}`notation`", c) == "[Notation](https://x.github.io/course/book/notation.html)"
    for bad in ("{ref}`nope`", "{eq}`nope`", "{doc}`nope`", "{weird}`x`"):
        with pytest.raises(jx.ExportError):
            jx.convert_markdown(bad, c)


def test_equation_labels_become_tags(book):
    out = jx.convert_markdown(jx._src(CH2["cells"][0]), ctx(book))
    assert "$$\nx_k = a x_0\n\\tag{2.1}\n$$" in out and "$$\ny = b\n\\tag{2.2}\n$$" in out
    assert '<a id="sec-chain"></a>\n## The chain' in out
    assert jx.convert_markdown("$$ z $$ (ch3-z)", ctx(book, 3)) == "$$ z \\tag{3.1}$$"
    assert jx.convert_markdown("$$\na\n$$\n\nthen $$b$$", ctx(book)) == "$$\na\n$$\n\nthen $$b$$"


def test_exercises_solutions_admonitions(book):
    c = ctx(book)
    ex = jx.convert_markdown(jx._src(CH2["cells"][1]), c)
    assert "### Exercise 2.1 (ch2-ex-a): First\n\nDo $a$." in ex and ":::" not in ex
    assert jx.convert_markdown(jx._src(CH2["cells"][4]), c).endswith("### Exercise 2.2 (ch2-ex-b): Second\n\nDo b.")
    sol = jx.convert_markdown(jx._src(CH2["cells"][2]), c)
    assert sol == "<details>\n<summary>Solution to Exercise 2.1</summary>\n\nAnswer $a = 1$.\n\n</details>"
    note = jx.convert_markdown("before\n\n```{note}\nSee $x$ and {eq}`ch2-one`.\n```\n\nafter", c)
    assert note == "before\n\n> **Note**\n>\n> See $x$ and (2.1).\n\nafter"
    adm = jx.convert_markdown("```{admonition} A kind note\n:class: note\nText\n\nmore\n```", c)
    assert adm == "> **A kind note**\n>\n> Text\n>\n> more"
    nested = jx.convert_markdown("::::{exercise} Outer\n:label: ch2-ex-a\n\n:::{note}\ninner\n:::\n::::", c)
    assert "> **Note**\n>\n> inner" in nested and ":::" not in nested
    assert jx.convert_markdown(":::{margin} Aside\nshort\n:::", c) == "> **Aside**\n>\n> short"
    with pytest.raises(jx.ExportError, match="never closed"):
        jx.convert_markdown(":::{note}\nopen", c)
    with pytest.raises(jx.ExportError, match="unsupported directive"):
        jx.convert_markdown("```{mermaid}\nx\n```", c)


def test_extra_boxes_are_kept(book):
    box = '<details class="extra">\n<summary>EXTRA — a derivation</summary>\n\nText $a$ and\n\n$$\nx = y\n$$\n\n</details>'
    assert jx.convert_markdown(box, ctx(book)) == box


@pytest.mark.parametrize("bad", [
    "{glue:text}`a:.2f`", "{glue}`a`", "{cite}`k`", "{cite:t}`k`", "{ref}`x`", "{numref}`x`", "{eq}`x`",
    "{doc}`x`", ":::{note}\nx\n:::", "```{note}\nx\n```", "(my-label)=\n# T", "$$\nx\n$$ (lab)",
    "value {{ name }} here",
])
def test_render_check_catches_myst(bad):
    assert jx.myst_leftovers({"cells": [md(bad)]})


def test_render_check_accepts_plain_markdown():
    good = ("# T\n\n> **Note**\n>\n> x\n\n$$\n\\frac{a}{b} \\tag{1.1}\n$$\n\n```python\nprint(1)\n```\n\n"
            "<details>\n<summary>Solution</summary>\n\nok\n\n</details>\n\n`{glue}` in code is fine? no")
    assert jx.myst_leftovers({"cells": [md(good.replace("`{glue}` in code is fine? no", "")), code("glue('a', 1)")]}) == []


def test_export_editions_and_colab_pin(book):
    boot = ('import sys\nCOURSE_LIB = "course_lib @ git+https://github.com/a/b@main"  # pinned by make notebooks\n'
            'if "google.colab" in sys.modules:\n    pass')
    nb = {"metadata": {}, "nbformat": 4, "nbformat_minor": 5, "cells": [md("# 2. Diffusion"), code(boot)] + CH2["cells"][1:]}
    kw = dict(repo_url="https://github.com/fork/course", ref="v1.2", source_name="02_x.ipynb")
    inst = jx.export_notebook(nb, None, book, 2, student=False, **kw)
    stud = jx.export_notebook(nb, None, book, 2, student=True, **kw)
    boot_out = jx._src(next(c for c in inst["cells"] if c["cell_type"] == "code"))
    assert 'git+https://github.com/fork/course@v1.2"' in boot_out
    text = lambda n: "\n".join(jx._src(c) for c in n["cells"])
    assert "Solution to Exercise 2.1" in text(inst) and "Solution" not in text(stud)
    assert "x = 1" in text(inst) and "x = 1" not in text(stud)
    sol_code = next(c for c in inst["cells"] if jx._src(c) == "x = 1")
    assert sol_code["metadata"]["jupyter"]["source_hidden"] is True
    assert "Exercise 2.2 (ch2-ex-b)" in text(stud)
    assert jx.myst_leftovers(inst) == [] and jx.myst_leftovers(stud) == []
    with pytest.raises(jx.ExportError, match="COURSE_LIB"):
        jx.pin_bootstrap("print(1)", "u", "r")


def test_site_url():
    assert jx.site_url_from_config({"repository": {"url": "https://github.com/o/r"}}) == "https://o.github.io/r/"
    assert jx.site_url_from_config({"html": {"baseurl": "https://c.org/x"}}) == "https://c.org/x/"
    assert jx.site_url_from_config({"repository": {"url": "https://gitlab.com/o/r"}}) == ""


def test_the_books_chapters_convert(tmp_path):
    """Every chapter's markdown converts (glue filled from a fake run) and leaves no MyST."""
    book = jx.load_book([])
    for path in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        names = set()
        for c in nb["cells"]:
            for m in jx.ROLE.finditer(jx._src(c)):
                if m.group("role").startswith("glue"):
                    names.add(m.group("content").rsplit(":", 1)[0] if ":" in m.group("content") else m.group("content"))
        fake = {"cells": [code("") | {"outputs": [
            {"output_type": "display_data", "metadata": {"scrapbook": {"name": n}}, "data": {jx.GLUE_PREFIX + "text/plain": "12.5"}}
            for n in names]}]}
        for student in (False, True):
            out = jx.export_notebook(nb, fake, book, jx.chapter_number(path), student=student,
                                     repo_url="https://github.com/a/b", ref="abc", source_name=path.name)
            assert jx.myst_leftovers(out) == []


# ----------------------------------------------------------------------------- generated notebooks
GENERATED = [ROOT / "_build" / d / "book" for d in ("notebooks", "student-notebooks")]
REQUIRED = os.environ.get("COURSE_NOTEBOOKS_REQUIRED") == "1"


@pytest.mark.parametrize("folder", GENERATED, ids=["instructor", "student"])
def test_render_check_on_generated_notebooks(folder):
    sources = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    if not REQUIRED:
        pytest.skip("checked by `make notebooks-check` (after `make notebooks`)")
    for src in sources:
        path = folder / src.name
        assert path.exists(), f"{path} missing: run `make notebooks`"
        assert path.stat().st_mtime >= src.stat().st_mtime, f"{path} is older than {src}: run `make notebooks`"
        nb = json.loads(path.read_text(encoding="utf-8"))
        assert jx.myst_leftovers(nb) == [], path
        assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
        if "student" in folder.parts[-2]:
            assert not any("solution" in (c.get("metadata", {}).get("tags") or []) for c in nb["cells"])
            assert "Solution to Exercise" not in json.dumps(nb)


def test_colab_cell_stops_the_run_when_the_install_fails(tmp_path):
    """The generated Colab cell, run as on Colab with an install that fails, raises a clear error."""
    src = json.loads((ROOT / "book" / "01_one_shot_denoiser.ipynb").read_text(encoding="utf-8"))
    boot = jx._src(next(c for c in src["cells"] if c["cell_type"] == "code"))
    boot = jx.pin_bootstrap(boot, f"file://{tmp_path}/no-such-repo", "v0")
    script = tmp_path / "colab.py"
    script.write_text("import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')\n" + boot)
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PIP_NO_INDEX": "1"})
    assert res.returncode != 0
    assert "RuntimeError: Installing course_lib failed, so this chapter cannot run" in res.stderr
