"""One numbering scheme, kept by the sources (the built pages are checked in tests/browser/).

Chapters, sections, equations and exercises are numbered by Sphinx (numbered "Chapters" part of
_toc.yml, numfig): chapter C, sections C.k, equations (C.k), exercises "Exercise C.k". So the
notebooks type no number: no "## 2. Title" headings, no MathJax ``\\tag{}`` (its labels show as raw
names and push equations off a phone's screen), no typed "Exercise 2.4" / "Section 6.3" /
"(ch4-em)" in the prose (MyST references instead), and labels in lower case (Sphinx lower-cases
ids; a mixed-case exercise label loses its number in references).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
CHAPTERS = [ROOT / (ch["file"] + ".ipynb") for part in TOC["parts"] if part.get("numbered")
            for ch in part["chapters"] if (ROOT / (ch["file"] + ".ipynb")).exists()]


def markdown(path: Path) -> list[tuple[int, str]]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [(i, "".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown"]


def prose(text: str) -> str:
    """Markdown without maths, code spans, code blocks and MyST roles/targets."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$(\s*\([\w-]+\))?", " ", text, flags=re.S)
    text = re.sub(r"\$[^$\n]*\$", " ", text)
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", " ", text)
    text = re.sub(r"`[^`]*`", " ", text)
    return re.sub(r"^\([\w-]+\)=$", " ", text, flags=re.M)


def test_chapters_part_is_numbered():
    parts = {p.get("caption"): p for p in TOC["parts"]}
    assert parts["Chapters"].get("numbered"), "_toc.yml: the Chapters part must be `numbered`"
    assert not any(p.get("numbered") for name, p in parts.items() if name != "Chapters"), \
        "back matter stays unnumbered"
    assert CHAPTERS


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_typed_numbers(path):
    problems = []
    for i, text in markdown(path):
        for line in re.findall(r"^#{1,6} +\d+(?:\.\d+)*\.? .*$", text, flags=re.M):
            problems.append(f"cell {i}: typed heading number {line!r}")
        if "\\tag{" in text:
            problems.append(f"cell {i}: \\tag{{}} (write `$$ ... $$ (label)`)")
        for m in re.findall(r"\b(?:Exercise|Section|Equation|Figure|Eq\.|Fig\.) \d+(?:\.\d+)*|\(ch\d+-[\w-]+\)",
                            prose(text)):
            problems.append(f"cell {i}: typed reference {m!r} (use {{numref}} / {{eq}})")
        for label in re.findall(r":label:\s*(\S+)|^\(([\w-]+)\)=$|\$\$ *\(([\w-]+)\)", text, flags=re.M):
            label = next(x for x in label if x)
            if label != label.lower():
                problems.append(f"cell {i}: label {label!r} is not in lower case")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_prose_filter_keeps_what_it_should():
    text = "See (ch4-em) and Exercise 2.4, not {eq}`ch4-em` or `(ch4-em)` or $$x$$ (ch4-em)."
    found = re.findall(r"\b(?:Exercise) \d+(?:\.\d+)*|\(ch\d+-[\w-]+\)", prose(text))
    assert found == ["(ch4-em)", "Exercise 2.4"]
