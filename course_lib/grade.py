"""Grade a class: run each submitted notebook, check every exercise, write one CSV row per exercise.

    python -m course_lib.grade NOTEBOOK... --out grades.csv [--feedback-dir DIR] [--timeout SECONDS]

For each notebook the grader

1. copies it into a fresh temporary folder and starts a kernel there (the Python running the grader,
   ``HOME`` and ``TMPDIR`` inside the folder), then installs an audit hook in the kernel that refuses
   to write, delete, rename or spawn a process outside that folder;
2. executes the cells one by one with nbclient, each with a time limit (``--timeout``); a cell that
   raises is recorded and execution goes on; a cell that runs past its limit is interrupted (and, if
   the kernel does not come back, the kernel is restarted and the cells that had run are replayed);
3. at the end of each exercise's cells, asks the kernel to *run* the student's answer on the check's
   fixed inputs (:meth:`course_lib.feedback.Exercise.run`): only plain data (tensors, numbers, error
   names) comes back, through a file read with ``torch.load(weights_only=True)``;
4. *judges* that data in the grader's own process (:meth:`~course_lib.feedback.Exercise.judge`):
   the reference answers and the comparison never run in the kernel, so a submission that redefines
   or patches the checks changes nothing but its own outputs.

Points are declared once, in the notebook, on the exercise's markdown cell (cell metadata
``"points": 2``); exercises without a registered check (derivations, experiments) are not graded
here. Status: ``passed`` (all points), ``failed``, ``not attempted``, ``error`` (a cell of the
exercise raised, or the answer is missing), ``timeout``.
"""
from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._checks import check_positive_float

__all__ = ["exercises_in", "grade_notebook", "grade", "write_csv", "main", "FIELDS"]

FIELDS = ["notebook", "exercise", "points", "max_points", "status", "message"]
EXERCISE_RE = re.compile(r"(?:```|:::)\{exercise\}[^\n]*\n(?:(?::(?!label)[^\n]*\n)*):label:\s*(?P<label>\S+)")
TIMEOUT_NAME = "CellTimeoutError"


def _check_nb(nb) -> None:
    """Raise unless ``nb`` looks like a notebook read with nbformat or json: a dict with a list of cell dicts."""
    if isinstance(nb, (str, os.PathLike)):
        raise TypeError(f"nb must be a notebook dict, got the path {str(nb)!r}; read it first "
                        "(nbformat.read(path, as_version=4) or json.load)")
    if not isinstance(nb, Mapping) or not isinstance(nb.get("cells"), list):
        raise TypeError(f"nb must be a notebook: a dict with a list of cells (nbformat.read or json.load), got "
                        f"{type(nb).__name__}" + (f" with cells={type(nb.get('cells')).__name__}" if isinstance(nb, Mapping) else ""))
    bad = next((i for i, c in enumerate(nb["cells"]) if not isinstance(c, Mapping)), None)
    if bad is not None:
        raise TypeError(f"nb must hold cells that are dicts, got {type(nb['cells'][bad]).__name__} as cell {bad}")


def _check_path(name: str, path) -> Path:
    """A str or os.PathLike, not empty -> Path."""
    if not isinstance(path, (str, os.PathLike)) or isinstance(path, bytes):
        raise TypeError(f"{name} must be a path (str or pathlib.Path), got {type(path).__name__} {path!r}")
    if str(path) == "":
        raise ValueError(f"{name} must be a path, got an empty string")
    return Path(path)


def _check_notebook_file(name: str, path) -> Path:
    path = _check_path(name, path)
    if not path.is_file():
        raise ValueError(f"{name}: no such notebook {str(path)!r} (expected an existing .ipynb file)"
                         + (", got a folder" if path.is_dir() else ""))
    return path


def _check_out_file(name: str, path) -> Path:
    path = _check_path(name, path)
    if path.is_dir():
        raise ValueError(f"{name} must be a file to write, got the folder {str(path)!r}")
    if not path.resolve().parent.is_dir():
        raise ValueError(f"{name}: the folder of {str(path)!r} does not exist; create it first")
    return path


def _check_out_dir(name: str, path) -> Path:
    path = _check_path(name, path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{name} must be a folder (created if missing), got the file {str(path)!r}")
    return path


def _source(cell: dict) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def exercises_in(nb: dict) -> list[dict]:
    """The exercises of a notebook, in order: ``label``, ``points`` (cell metadata, None if not set),
    and the cells ``start`` (the exercise's markdown cell) to ``end`` (exclusive: the next exercise)."""
    _check_nb(nb)
    found = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "markdown":
            continue
        m = EXERCISE_RE.search(_source(cell))
        if m:
            found.append({"label": m.group("label"), "points": cell.get("metadata", {}).get("points"), "start": i})
    n = len(nb.get("cells", []))
    for ex, nxt in zip(found, found[1:] + [None]):
        ex["end"] = nxt["start"] if nxt else n
    return found


# ----------------------------------------------------------------------------- kernel side
def _confine(root: str) -> None:
    """Install an audit hook (it cannot be removed) that refuses writes, deletions, renames and new
    processes outside ``root``. Runs inside the grading kernel, before the submission's cells."""
    root = os.path.realpath(root)
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    path_events = {"os.remove", "os.rmdir", "os.mkdir", "os.rename", "os.replace", "shutil.rmtree", "os.chmod",
                   "os.chown", "os.symlink", "os.link", "os.truncate", "os.utime", "shutil.copyfile",
                   "shutil.copymode", "shutil.copystat", "shutil.move", "sqlite3.connect", "os.mkfifo", "os.mknod"}
    process_events = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                      "os.forkpty", "os.startfile", "pty.spawn", "os.kill", "os.killpg"}

    def inside(path) -> bool:
        try:
            p = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return False
        return p == root or p.startswith(root + os.sep) or p == os.devnull

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, 0))[:3]
            if path is None or isinstance(path, int):
                return
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool((flags or 0) & write_flags)
            if writing and not inside(path):
                raise PermissionError(f"grading: writing outside the grading folder is not allowed ({path})")
        elif event in path_events:
            for a in args:
                if isinstance(a, (str, bytes, os.PathLike)) and not inside(a) and a != ":memory:":
                    raise PermissionError(f"grading: {event} outside the grading folder is not allowed ({a})")
        elif event in process_events:
            raise PermissionError(f"grading: {event} is not allowed")

    sys.addaudithook(hook)


def _collect(label: str, path: str) -> None:
    """Run the student's answer to exercise ``label`` on the check's inputs; save plain data to ``path``."""
    import torch
    from IPython import get_ipython

    from . import feedback

    ex = feedback.exercise(label)
    ns = get_ipython().user_ns
    outcome = {"missing": ex.answer} if ex.answer not in ns else ex.run(ns[ex.answer])
    torch.save(outcome, path)


_PREAMBLE = """import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot
import torch
import course_lib.grade
course_lib.grade._confine({root!r})
del matplotlib, torch"""


# ----------------------------------------------------------------------------- grader side
def _kernel_manager():
    import ipykernel.kernelspec
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    class CurrentPython(KernelSpecManager):
        """The kernel runs the Python that runs the grader (the course's environment)."""

        def get_kernel_spec(self, kernel_name):
            return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES,
                                          **ipykernel.kernelspec.get_kernel_dict())

    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=CurrentPython())


def _kernel_env(root: str) -> dict:
    import matplotlib

    env = dict(os.environ)
    env.update(HOME=root, TMPDIR=root, TEMP=root, TMP=root, IPYTHONDIR=os.path.join(root, ".ipython"),
               MPLCONFIGDIR=matplotlib.get_configdir(), MPLBACKEND="Agg", COURSE_QUIET="1",
               COURSE_FEEDBACK_QUIET="1", PYTHONHASHSEED="0", PYDEVD_DISABLE_FILE_VALIDATION="1")
    env.pop("JPY_PARENT_PID", None)
    return env


class _Runner:
    """Executes cells one at a time in one kernel; remembers which ran, restarts a stuck kernel."""

    def __init__(self, nb, root: str, timeout: float, startup_timeout: float):
        import nbformat
        from nbclient import NotebookClient

        self.nbformat, self.root, self.timeout = nbformat, root, timeout
        # nbclient stores each executed cell in its notebook at the cell's index: give it a scratch
        # notebook of one cell, so that the submission itself is never touched
        scratch = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")], metadata=nb.get("metadata", {}))
        self.client = NotebookClient(
            scratch, km=_kernel_manager(), timeout=int(timeout), startup_timeout=int(startup_timeout),
            allow_errors=True, interrupt_on_timeout=True, iopub_timeout=10,
            error_on_timeout={"ename": TIMEOUT_NAME, "evalue": f"did not finish within {timeout:g} s", "traceback": []},
            timeout_func=lambda cell: cell.get("metadata", {}).get("grade_timeout", timeout),
            resources={"metadata": {"path": root}})
        self.client.on_cell_executed = self._on_executed
        self._reply: dict = {}
        self.replay: list = []  # sources of the cells that ran without a timeout, for a restart
        self.startup_timeout = startup_timeout
        self.restarts = 0

    def _on_executed(self, cell, cell_index, execute_reply):
        self._reply = execute_reply.get("content", {}) if execute_reply else {}

    def start(self):
        self._ctx = self.client.setup_kernel(env=_kernel_env(self.root), cwd=self.root)
        self._ctx.__enter__()
        self.run_code(_PREAMBLE.format(root=self.root), timeout=max(120.0, self.timeout), remember=True)

    def stop(self):
        self._ctx.__exit__(None, None, None)

    def run_code(self, source: str, *, timeout: float | None = None, remember: bool = False) -> tuple[str, str]:
        """Run ``source``; returns ("ok" | "error" | "timeout", detail)."""
        cell = self.nbformat.v4.new_code_cell(source)
        cell.metadata["grade_timeout"] = timeout or self.timeout
        self._reply = {}
        try:
            self.client.execute_cell(cell, 0, store_history=False)
        except Exception as exc:  # a dead kernel or a protocol failure: restart and go on
            self._restart()
            return "error", f"the kernel failed ({type(exc).__name__}); it was restarted"
        reply = self._reply
        if reply.get("status") == "error" and reply.get("ename") == TIMEOUT_NAME:
            self._recover()
            return "timeout", str(reply.get("evalue", ""))
        if remember:
            self.replay.append(source)
        if reply.get("status") == "error":
            return "error", f"{reply.get('ename', 'Error')}: {str(reply.get('evalue', ''))[:200]}".rstrip(": ")
        return "ok", ""

    def _recover(self):
        """After an interrupted cell: if the kernel does not answer within 20 s, restart it."""
        cell = self.nbformat.v4.new_code_cell("pass")
        cell.metadata["grade_timeout"] = 20
        self._reply = {}
        try:
            self.client.execute_cell(cell, 0, store_history=False)
            if self._reply.get("ename") != TIMEOUT_NAME:
                return
        except Exception:  # noqa: BLE001 - any failure here means: restart
            pass
        self._restart()

    def _restart(self):
        from jupyter_core.utils import run_sync

        self.restarts += 1
        if self.restarts > 3:
            raise RuntimeError("the kernel had to be restarted more than 3 times; giving up on this notebook")
        run_sync(self.client.km.restart_kernel)(now=True)
        run_sync(self.client.kc.wait_for_ready)(timeout=self.startup_timeout)
        sources, self.replay = self.replay, []
        for src in sources:
            self.run_code(src, timeout=max(120.0, self.timeout), remember=True)


def _judge(ex: dict, outcome: dict | None, cell_issue: tuple[str, str] | None,
           collect_issue: tuple[str, str] | None):
    """Status, message and verdict of one exercise from what the kernel reported."""
    from .feedback import exercise

    spec = exercise(ex["label"])
    fb = spec.judge(outcome) if outcome is not None and "missing" not in outcome else None
    if collect_issue and collect_issue[0] == "timeout":
        return "timeout", f"your answer did not return within the time limit ({collect_issue[1]})", fb
    if cell_issue:  # a submission must run cleanly: a cell that raised or hung costs the exercise's points
        return cell_issue[0], cell_issue[1], fb
    if collect_issue:
        return "error", f"could not check the answer: {collect_issue[1]}", fb
    if outcome is None or "missing" in outcome:
        name = outcome["missing"] if outcome else spec.answer
        return "error", f"`{name}` is not defined", fb
    return fb.status, fb.summary(), fb


def grade_notebook(path: str | Path, *, timeout: float = 300, startup_timeout: float = 120) -> list[dict]:
    """Grade one notebook; returns one row per checked exercise (dicts with :data:`FIELDS` and ``verdict``)."""
    import nbformat
    import torch

    from .feedback import exercise

    path = _check_notebook_file("path", path)
    timeout = check_positive_float("timeout", timeout)
    startup_timeout = check_positive_float("startup_timeout", startup_timeout)
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # noqa: BLE001 - whatever nbformat or json raise: not a notebook
        raise ValueError(f"path {str(path)!r} is not a readable notebook ({type(exc).__name__}: {str(exc)[:200]})") from exc
    graded = [ex for ex in exercises_in(nb) if exercise(ex["label"]) is not None]
    rows = []
    if not graded:
        return rows
    with tempfile.TemporaryDirectory(prefix="course-grade-") as root:
        root = os.path.realpath(root)
        shutil.copy(path, os.path.join(root, path.name))
        runner = _Runner(nb, root, timeout, startup_timeout)
        runner.start()
        issues: dict[int, tuple[str, str]] = {}  # first problem per cell index
        results: dict[str, tuple] = {}
        try:
            ends = {}
            for ex in graded:
                ends.setdefault(ex["end"], []).append(ex)
            for i, cell in enumerate(nb.cells):
                if cell.cell_type == "code" and cell.source.strip():
                    status, detail = runner.run_code(cell.source, remember=True)
                    if status != "ok":
                        what = "did not finish within the time limit" if status == "timeout" else f"raised {detail}"
                        issues[i] = (status, f"cell {i} {what}")
                for ex in ends.get(i + 1, []):
                    out_path = os.path.join(root, f"outcome-{ex['start']}.pt")
                    status, detail = runner.run_code(
                        f"import course_lib.grade\ncourse_lib.grade._collect({ex['label']!r}, {out_path!r})")
                    outcome = None
                    if status == "ok" and os.path.exists(out_path):
                        try:
                            outcome = torch.load(out_path, weights_only=True)
                        except Exception as exc:  # noqa: BLE001 - a corrupt file is the submission's doing
                            status, detail = "error", f"unreadable answer ({type(exc).__name__})"
                    span = [issues[j] for j in range(ex["start"], ex["end"]) if j in issues]
                    cell_issue = next((s for s in span if s[0] == "timeout"), span[0] if span else None)
                    collect_issue = None if status == "ok" else (status, detail)
                    results[ex["label"]] = _judge(ex, outcome, cell_issue, collect_issue)
        finally:
            runner.stop()
    for ex in graded:
        status, message, fb = results.get(ex["label"], ("error", "not reached", None))
        max_points = ex["points"] if ex["points"] is not None else 1
        rows.append({"notebook": str(path), "exercise": ex["label"],
                     "points": max_points if status == "passed" else 0, "max_points": max_points,
                     "status": status, "message": " ".join(str(message).split()), "verdict": fb})
    return rows


def _feedback_markdown(path: str, rows: list[dict]) -> str:
    total = sum(r["points"] for r in rows)
    out = [f"# Feedback on {Path(path).name}", "", f"Points: {total} of {sum(r['max_points'] for r in rows)}", "",
           "| exercise | points | status |", "| --- | --- | --- |"]
    out += [f"| {r['exercise']} | {r['points']} / {r['max_points']} | {r['status']} |" for r in rows]
    for r in rows:
        out += ["", f"## {r['exercise']}: {r['status']}", ""]
        fb = r.get("verdict")
        body = fb.text() if fb is not None and r["status"] in ("passed", "failed", "not attempted") else r["message"]
        out += ["```text", body, "```"]
    return "\n".join(out) + "\n"


def grade(notebooks: list[str], *, out: str | Path | None = None, feedback_dir: str | Path | None = None,
          timeout: float = 300, startup_timeout: float = 120) -> list[dict]:
    """Grade ``notebooks`` in order; write the CSV (and one feedback markdown file per notebook).

    Every path is checked before the first notebook runs; a notebook that cannot be read or run gets
    one ``error`` row, and the others are graded."""
    if isinstance(notebooks, (str, os.PathLike)):
        raise TypeError(f"notebooks must be a list of paths, got the single path {str(notebooks)!r}; "
                        f"use [{str(notebooks)!r}]")
    if not isinstance(notebooks, (list, tuple)):
        raise TypeError(f"notebooks must be a list of notebook paths, got {type(notebooks).__name__}")
    if not notebooks:
        raise ValueError("notebooks must name at least one notebook, got an empty list")
    for nb in notebooks:
        _check_notebook_file("notebooks", nb)
    if out is not None:
        _check_out_file("out", out)
    if feedback_dir is not None:
        _check_out_dir("feedback_dir", feedback_dir)
    timeout = check_positive_float("timeout", timeout)
    startup_timeout = check_positive_float("startup_timeout", startup_timeout)
    rows = []
    for nb in notebooks:
        try:
            nb_rows = grade_notebook(nb, timeout=timeout, startup_timeout=startup_timeout)
        except Exception as exc:  # noqa: BLE001 - one unreadable notebook must not stop the class
            nb_rows = [{"notebook": str(nb), "exercise": "", "points": 0, "max_points": 0, "status": "error",
                        "message": f"could not grade: {type(exc).__name__}: {str(exc)[:200]}", "verdict": None}]
        rows += nb_rows
        if feedback_dir is not None:
            Path(feedback_dir).mkdir(parents=True, exist_ok=True)
            (Path(feedback_dir) / (Path(nb).stem + ".md")).write_text(_feedback_markdown(nb, nb_rows), encoding="utf-8")
    if out is not None:
        write_csv(rows, out)
    return rows


def write_csv(rows: list[dict], out: str | Path) -> None:
    """Write ``rows`` (dicts with the keys :data:`FIELDS`, as :func:`grade` returns them) to the CSV file ``out``."""
    if not isinstance(rows, (list, tuple)):
        raise TypeError(f"rows must be a list of dicts (as grade() returns), got {type(rows).__name__}")
    for i, r in enumerate(rows):
        if not isinstance(r, Mapping):
            raise TypeError(f"rows must hold dicts, got {type(r).__name__} as rows[{i}]")
        missing = [k for k in FIELDS if k not in r]
        if missing:
            raise ValueError(f"rows[{i}] lacks the field(s) {missing}; every row needs {FIELDS}")
    out = _check_out_file("out", out)
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m course_lib.grade", description=__doc__.split("\n\n")[0])
    p.add_argument("notebooks", nargs="+", help="submitted notebooks (.ipynb)")
    p.add_argument("--out", required=True, help="the CSV to write")
    p.add_argument("--feedback-dir", help="also write one feedback markdown file per notebook here")
    p.add_argument("--timeout", type=float, default=300, help="time limit per cell, in seconds (default 300)")
    args = p.parse_args(argv)
    missing = [n for n in args.notebooks if not Path(n).is_file()]
    if missing:
        p.error(f"no such notebook: {', '.join(missing)}")
    if not args.timeout > 0 or args.timeout == float("inf"):
        p.error(f"--timeout must be a positive number of seconds, got {args.timeout}")
    try:
        _check_out_file("--out", args.out)
        if args.feedback_dir is not None:
            _check_out_dir("--feedback-dir", args.feedback_dir)
    except ValueError as exc:
        p.error(str(exc))
    rows = grade(args.notebooks, out=args.out, feedback_dir=args.feedback_dir, timeout=args.timeout)
    for r in rows:
        print(f"{r['notebook']}  {r['exercise']:<24} {r['points']}/{r['max_points']}  {r['status']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
