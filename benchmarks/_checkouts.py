"""Timing in fresh interpreters, one per checkout of the repository, interleaved.

Shared by ``training.py`` and ``steps.py``: each repeat times every case in this checkout and then,
with ``--compare``, in the other one, so that the drift of a shared machine hits both alike.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def time_in(checkout: str | None, module: str, call: str) -> list[float]:
    """Evaluate ``call`` (a list of seconds, with this folder's ``module`` imported as ``b``) in a
    fresh interpreter that imports ``course_lib`` from ``checkout`` (default: this repository)."""
    root = os.path.abspath(checkout if checkout is not None else os.path.join(HERE, ".."))
    env = dict(os.environ, COURSE_QUIET="1", PYTHONPATH=root)
    code = (f"import json, sys; sys.path.insert(1, {HERE!r}); import course_lib, {module} as b; "
            f"print(json.dumps([course_lib.__file__, {call}]))")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"timing in {root} failed:\n{out.stderr[-3000:]}")
    where, times = json.loads(out.stdout.strip().splitlines()[-1])
    if not os.path.abspath(where).startswith(root):
        raise RuntimeError(f"expected course_lib from {root}, imported {where}")
    return times


def interleaved(module: str, call: str, repeats: int, compare: str | None) -> dict[str, list[float]]:
    """Median milliseconds per case: ``{"this": [...]}``, plus ``"other"`` with ``compare``."""
    runs: dict[str, list[list[float]]] = {"this": [], "other": []}
    for _ in range(repeats):
        runs["this"].append(time_in(None, module, call))
        if compare:
            runs["other"].append(time_in(compare, module, call))
    return {key: [1e3 * statistics.median(r[i] for r in rs) for i in range(len(rs[0]))] for key, rs in runs.items() if rs}
