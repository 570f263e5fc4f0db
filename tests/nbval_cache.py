"""A pytest plugin: nbval's execution of each notebook becomes the book build's execution.

    python -m pytest -p tests.nbval_cache --nbval-lax --nbval-current-env \\
        --nbval-cache _build/.jupyter_cache book/*.ipynb

nbval executes every cell of a notebook and fails on any error (every ``assert`` in a chapter is
a check). When ALL cells of a notebook passed, this plugin writes the notebook, with the outputs
nbval collected, into the jupyter-cache that ``jupyter-book build`` reads
(``execute_notebooks: cache``). The cache is keyed on the code cells' source, so the book build
then finds every chapter cached and executes nothing: CI pays for each notebook once, and the
website shows exactly the outputs that passed nbval. A notebook with a failed cell is not cached
(and nbval fails the run), so the book build can never show an unchecked execution.
"""
from __future__ import annotations

import copy
import time
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest

_KEY = pytest.StashKey[dict]()


def pytest_addoption(parser):
    parser.addoption("--nbval-cache", default=None, metavar="DIR",
                     help="store each fully passing notebook, with nbval's outputs, in this jupyter-cache")


def pytest_configure(config):
    config.stash[_KEY] = {"cells": defaultdict(list), "failed": set(), "seconds": defaultdict(float)}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not hasattr(item, "test_outputs") or not hasattr(item, "cell_num"):
        return  # not an nbval cell
    state = item.config.stash[_KEY]
    path = str(Path(item.parent.path).resolve())
    if report.failed:
        state["failed"].add(path)
    if call.when == "call":
        state["seconds"][path] += call.duration
        if report.passed:
            state["cells"][path].append((item.cell_num, item.test_outputs or []))


def _output(out: dict) -> nbformat.NotebookNode:
    """One nbval output as a valid nbformat v4 output."""
    kind = out["output_type"]
    if kind == "stream":
        return nbformat.v4.new_output("stream", name=out["name"], text=out["text"])
    if kind == "error":
        return nbformat.v4.new_output("error", ename=out["ename"], evalue=out["evalue"], traceback=out["traceback"])
    node = nbformat.v4.new_output(kind, data=out.get("data", {}), metadata=out.get("metadata", {}))
    if kind == "execute_result":
        node.execution_count = out.get("execution_count")
    return node


def executed_notebook(path: str, cells: list) -> nbformat.NotebookNode:
    """The notebook at ``path`` with nbval's outputs put into its code cells."""
    nb = nbformat.read(path, as_version=4)
    outputs = dict(cells)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    if sorted(outputs) != list(range(len(code))):
        raise KeyError(f"{path}: nbval ran cells {sorted(outputs)} of {len(code)} code cells")
    for i, cell in enumerate(code):  # nbval numbers the code cells 0, 1, ...
        cell.execution_count = i + 1
        cell.outputs = [_output(copy.deepcopy(o)) for o in outputs[i]]
    return nb


def pytest_sessionfinish(session, exitstatus):
    target = session.config.getoption("--nbval-cache")
    if not target:
        return
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    state = session.config.stash[_KEY]
    cache = get_cache(target)
    stored = []
    for path, cells in state["cells"].items():
        if path in state["failed"]:
            continue
        try:
            nb = executed_notebook(path, cells)
        except KeyError:  # some cells did not run (e.g. -k, or a skipped cell): nothing to cache
            continue
        cache.cache_notebook_bundle(
            CacheBundleIn(nb, path, data={"execution_seconds": state["seconds"][path], "by": "nbval",
                                          "stored": time.time()}),
            check_validity=False, overwrite=True)
        stored.append(Path(path).name)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and stored:
        reporter.write_line(f"nbval-cache: stored {len(stored)} executed notebook(s) in {target}: {', '.join(sorted(stored))}")
