"""How the course runs: the thread policy, the book's run-time sentences, and nbval's execution
stored for the book build (tests/nbval_cache.py)."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _policy_after_import(env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if env_value is not None:
        env["OMP_WAIT_POLICY"] = env_value
    code = "import os, course_lib, torch; print(os.environ['OMP_WAIT_POLICY'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_course_lib_makes_torch_threads_sleep_while_waiting():
    assert _policy_after_import(None) == "PASSIVE"


def test_a_users_thread_policy_is_kept():
    assert _policy_after_import("ACTIVE") == "ACTIVE"


def test_the_makefile_exports_the_same_policy():
    assert "export OMP_WAIT_POLICY := PASSIVE" in (ROOT / "Makefile").read_text()


def test_run_time_sentences_come_from_the_benchmark(tmp_path):
    timings = _load("course_timings", ROOT / "book" / "_ext" / "course_timings.py")
    f = tmp_path / "t.json"
    f.write_text(json.dumps({"date": "2026-01-02", "cores": 2, "runs": 3, "torch_threads": [2],
                             "omp_wait_policy": "PASSIVE", "median_seconds": {"01": 12.4, "02": 61.6, "03": 50.0}}))
    subs = timings.substitutions(f)
    assert subs["chapter_time_range"] == "between 12 and 62 seconds"
    assert subs["book_time_total"] == "about 2 minutes"
    assert "2 CPU cores" in subs["bench_machine"] and "2026-01-02" in subs["bench_machine"]


def test_the_committed_benchmark_covers_every_chapter():
    data = json.loads((ROOT / "benchmarks" / "book_times.json").read_text())
    chapters = {p.name[:2] for p in (ROOT / "book").glob("[0-9][0-9]_*.ipynb")}
    assert set(data["median_seconds"]) == chapters


def _toy_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), nbformat.v4.new_code_cell("print(1)"),
                nbformat.v4.new_markdown_cell("x"), nbformat.v4.new_code_cell("1 + 1")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_nbval_outputs_become_a_valid_executed_notebook(tmp_path):
    cache_plugin = _load("nbval_cache", ROOT / "tests" / "nbval_cache.py")
    path = tmp_path / "n.ipynb"
    _toy_notebook(path)
    outs = [(1, [{"output_type": "execute_result", "data": {"text/plain": "2"}, "metadata": {},
                  "execution_count": 2}]),
            (0, [{"output_type": "stream", "name": "stdout", "text": "1\n"}])]
    nb = cache_plugin.executed_notebook(str(path), outs)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2]
    assert code[0].outputs[0].text == "1\n" and code[1].outputs[0].data["text/plain"] == "2"
    with pytest.raises(KeyError):
        cache_plugin.executed_notebook(str(path), outs[:1])  # a cell nbval did not run


def test_nbval_run_fills_the_cache_the_book_build_reads(tmp_path):
    """End to end on a two-cell notebook: nbval executes it, the plugin stores it, and the
    jupyter-cache lookup that myst-nb makes (match on the code cells) finds it."""
    from jupyter_cache import get_cache

    path = tmp_path / "n.ipynb"
    _toy_notebook(path)
    cache = tmp_path / "cache"
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.nbval_cache", "--nbval-lax",
                          "--nbval-current-env", "--nbval-cache", str(cache), str(path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    _, merged = get_cache(str(cache)).merge_match_into_notebook(nbformat.read(path, as_version=4))
    code = [c for c in merged.cells if c.cell_type == "code"]
    assert code[0].outputs[0]["text"] == "1\n"
    assert code[1].outputs[0]["data"]["text/plain"] == "2"


def test_a_failing_notebook_is_not_stored(tmp_path):
    from jupyter_cache import get_cache

    path = tmp_path / "bad.ipynb"
    _toy_notebook(path)
    nb = nbformat.read(path, as_version=4)
    nb.cells[3].source = "assert False, 'a failing check'"
    nbformat.write(nb, path)
    cache = tmp_path / "cache"
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.nbval_cache", "--nbval-lax",
                          "--nbval-current-env", "--nbval-cache", str(cache), str(path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode != 0
    with pytest.raises(KeyError):
        get_cache(str(cache)).match_cache_notebook(nbformat.read(path, as_version=4))
