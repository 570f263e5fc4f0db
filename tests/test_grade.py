"""course_lib.grade on a small made-up class: Chapter 6's exercise section, five submissions.

The class is a trimmed copy of ``book/06_edm.ipynb`` (the Colab cell, one import cell, the
Exercises section) so that each submission runs in seconds:

* ``student``: the student edition, untouched     -> every exercise "not attempted", 0 points;
* ``instructor``: the instructor edition            -> full points;
* ``wrong``: a wrong ``edm_coefficients`` (c_out without its square root) and NFE 36;
* ``raises``: right answers, but the NFE cell raises -> that exercise "error", the others graded;
* ``loop``: right answers, but the rho cell loops forever -> "timeout", the others graded.
"""
from __future__ import annotations

import csv
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib import grade
from course_lib.feedback import exercise

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
_spec = importlib.util.spec_from_file_location("course_site", BOOK / "_ext" / "course_site.py")
course_site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(course_site)

IMPORTS = """import math
import torch
from course_lib import make_generator
from course_lib.device import randn
from course_lib.distributions import Uniform01
from course_lib.processes import EDM
from course_lib.samplers import edm_heun"""

RIGHT = {
    "ch6-ex-precond": """from course_lib.feedback.ch6 import check_edm_coefficients, check_heun_nfe, check_heun_step, check_rho_sigmas

def edm_coefficients(sigma, sigma_data):
    s2 = sigma**2 + sigma_data**2
    return sigma_data**2 / s2, sigma * sigma_data / s2.sqrt(), 1 / s2.sqrt(), sigma.log() / 4""",
    "ch6-ex-rho": """def rho_sigmas(n, sigma_min, sigma_max, rho):
    i = torch.arange(n, dtype=torch.float64)
    s = (sigma_max ** (1 / rho) + i / (n - 1) * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
    return torch.cat([s, torch.zeros(1, dtype=torch.float64)])""",
    "ch6-ex-nfe": "nfe_18 = 35",
    "ch6-ex-heun": """def heun_step(D, x, sigma, sigma_next):
    d = (x - D(x, sigma)) / sigma
    x_next = x + (sigma_next - sigma) * d
    if sigma_next > 0:
        x_next = x + (sigma_next - sigma) * (d + (x_next - D(x_next, sigma_next)) / sigma_next) / 2
    return x_next""",
}
CHECKED = ["ch6-ex-precond", "ch6-ex-rho", "ch6-ex-nfe", "ch6-ex-heun"]
POINTS = {"ch6-ex-precond": 2, "ch6-ex-rho": 2, "ch6-ex-nfe": 1, "ch6-ex-heun": 2}


def _trimmed_chapter() -> dict:
    nb = json.loads((BOOK / "06_edm.ipynb").read_text(encoding="utf-8"))
    cells = nb["cells"]
    start = next(i for i, c in enumerate(cells) if "## Exercises" in "".join(c["source"]))
    code = {"cell_type": "code", "execution_count": None, "id": "imports", "metadata": {}, "outputs": [],
            "source": IMPORTS}
    nb["cells"] = [cells[1], code] + cells[start:]
    return nb


def _stub_cell(nb: dict, label: str) -> dict:
    """The first non-solution code cell after exercise ``label``."""
    cells = nb["cells"]
    i = next(i for i, c in enumerate(cells) if f":label: {label}" in "".join(c["source"]))
    return next(c for c in cells[i + 1:] if c["cell_type"] == "code" and not course_site.is_solution_cell(c))


def _submission(student: dict, answers: dict) -> dict:
    nb = json.loads(json.dumps(student))
    for label, source in answers.items():
        _stub_cell(nb, label)["source"] = source
    return nb


def make_class(folder: Path) -> list[str]:
    instructor = _trimmed_chapter()
    student = course_site.student_notebook(instructor)
    wrong_coefficients = RIGHT["ch6-ex-precond"].replace("sigma * sigma_data / s2.sqrt()", "sigma * sigma_data / s2")
    subs = {
        "student": student,
        "instructor": instructor,
        "wrong": _submission(student, {"ch6-ex-precond": wrong_coefficients, "ch6-ex-nfe": "nfe_18 = 36"}),
        "raises": _submission(student, {**RIGHT, "ch6-ex-nfe": "nfe_18 = 35\nraise RuntimeError('my cell broke')"}),
        "loop": _submission(student, {**RIGHT, "ch6-ex-rho": RIGHT["ch6-ex-rho"] + "\nwhile True:\n    pass"}),
    }
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, nb in subs.items():
        p = folder / f"{name}.ipynb"
        p.write_text(json.dumps(nb, indent=1), encoding="utf-8")
        paths.append(str(p))
    return paths


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    paths = make_class(folder)
    csv_path = folder / "grades.csv"
    rows = grade.grade(paths + [paths[2]], out=csv_path, feedback_dir=folder / "feedback", timeout=10)
    by = {}
    for r in rows:
        by.setdefault(Path(r["notebook"]).stem, []).append(r)
    return folder, csv_path, rows, by


def table(rows):
    return {r["exercise"]: (r["status"], r["points"], r["max_points"]) for r in rows}


def test_points_are_declared_on_the_exercise_cells():
    found = {e["label"]: e["points"] for e in grade.exercises_in(_trimmed_chapter())}
    assert {k: found[k] for k in CHECKED} == POINTS
    assert found["ch6-ex-vein"] is None  # a derivation and an experiment: graded by hand


def test_untouched_student_edition_is_not_attempted(graded):
    _, _, _, by = graded
    assert table(by["student"][:4]) == {k: ("not attempted", 0, POINTS[k]) for k in CHECKED}


def test_instructor_edition_gets_full_points(graded):
    _, _, _, by = graded
    assert table(by["instructor"]) == {k: ("passed", POINTS[k], POINTS[k]) for k in CHECKED}


def test_wrong_answers_fail_with_a_diagnosis_and_no_answer(graded):
    _, _, _, by = graded
    rows = {r["exercise"]: r for r in by["wrong"][:4]}
    assert rows["ch6-ex-precond"]["status"] == "failed" and rows["ch6-ex-precond"]["points"] == 0
    assert "c_out" in rows["ch6-ex-precond"]["message"]
    assert rows["ch6-ex-nfe"]["status"] == "failed" and "35" not in rows["ch6-ex-nfe"]["message"]
    assert rows["ch6-ex-rho"]["status"] == "not attempted"


def test_a_cell_that_raises_is_an_error_and_the_others_are_graded(graded):
    _, _, _, by = graded
    t = table(by["raises"])
    assert t["ch6-ex-nfe"][0] == "error" and t["ch6-ex-nfe"][1] == 0
    assert "RuntimeError" in {r["exercise"]: r for r in by["raises"]}["ch6-ex-nfe"]["message"]
    assert all(t[k] == ("passed", POINTS[k], POINTS[k]) for k in CHECKED if k != "ch6-ex-nfe")


def test_an_endless_loop_times_out_and_the_others_are_graded(graded):
    _, _, _, by = graded
    t = table(by["loop"])
    assert t["ch6-ex-rho"] == ("timeout", 0, 2)
    assert all(t[k] == ("passed", POINTS[k], POINTS[k]) for k in CHECKED if k != "ch6-ex-rho")


def test_csv_columns_and_determinism(graded):
    folder, csv_path, rows, by = graded
    with open(csv_path, newline="", encoding="utf-8") as f:
        read = list(csv.DictReader(f))
    assert list(read[0]) == grade.FIELDS
    assert len(read) == 6 * 4
    first, second = by["wrong"][:4], by["wrong"][4:]
    assert [{k: r[k] for k in grade.FIELDS} for r in first] == [{k: r[k] for k in grade.FIELDS} for r in second]
    text = (folder / "feedback" / "wrong.md").read_text(encoding="utf-8")
    assert "ch6-ex-precond" in text and "Hint" not in text


def test_checks_registered_for_every_exercise_with_points():
    for nb_path in sorted(BOOK.glob("*.ipynb")):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        for ex in grade.exercises_in(nb):
            has_check = exercise(ex["label"]) is not None
            assert has_check == (ex["points"] is not None), f"{nb_path.name} {ex['label']}: points without a check or vice versa"
            assert nb["cells"][ex["start"]]["metadata"].get("effort"), f"{ex['label']} has no effort estimate"


def test_confined_kernel_cannot_write_outside(tmp_path):
    inside, outside = tmp_path / "in", tmp_path / "out"
    inside.mkdir()
    code = f"""
import os, subprocess
from course_lib.grade import _confine
_confine({str(inside)!r})
open({str(inside / 'ok.txt')!r}, 'w').write('fine')
for attempt in (lambda: open({str(outside / 'x.txt')!r}, 'w'), lambda: os.remove({str(inside / 'ok.txt')!r} + '/../../x'),
                lambda: subprocess.run(['true'])):
    try:
        attempt()
        print('ALLOWED')
    except PermissionError:
        print('refused')
"""
    outside.mkdir()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert out.stdout.split() == ["refused"] * 3, out.stdout + out.stderr
    assert (inside / "ok.txt").read_text() == "fine" and not (outside / "x.txt").exists()


def test_command_line_errors(tmp_path, capsys):
    with pytest.raises(SystemExit):
        grade.main([str(tmp_path / "missing.ipynb"), "--out", str(tmp_path / "g.csv")])
    assert "no such notebook" in capsys.readouterr().err
