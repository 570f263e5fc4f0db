"""Colab-like check: the generated notebooks run with only what Colab preinstalls plus course_lib.

Run with the project's interpreter after `make notebooks` (``make colab-check``). Offline:

1. a fresh virtual environment sees ONLY the distributions Colab preinstalls that the chapters
   use (torch, numpy, scipy, matplotlib, ipywidgets, tqdm, scikit-learn, ipykernel) and their
   dependencies, reused from this interpreter's site-packages through symlinks (no myst-nb, no
   jupyter-book: checked);
2. course_lib is pip-installed into it from a wheel of this repository (as ``pip install .``);
3. a Jupyter kernel of that environment executes the generated Chapter 1 notebook end to end,
   the imports and first experiment of every other chapter, and builds and updates every
   ipywidgets demo (so the widgets are live in Jupyter/Colab).
"""
from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import re
import sys
import tempfile
import time
from pathlib import Path

from packaging.requirements import Requirement

sys.path.insert(0, str(Path(__file__).resolve().parent))
from install_check import ROOT, fresh_env, run  # noqa: E402

COLAB = ["torch", "numpy", "scipy", "matplotlib", "ipywidgets", "tqdm", "scikit-learn", "ipykernel"]
FORBIDDEN = ["myst_nb", "jupyter_book", "sphinx", "myst_parser", "jupyter_cache"]
WIDGETS = '''
import torch
from course_lib.demos import forward_marginals_widget
from course_lib.demos import euler_vs_heun_widget
for w in (forward_marginals_widget(torch.rand(400, 1) * 2 - 1, N=50),
          euler_vs_heun_widget(4, N_max=8, n_paths=4, n_ref=64)):
    w.update()                      # what moving a slider does: re-runs the callback
    assert len(w.children) >= 2, w.children
    slider = [c for c in w.children if hasattr(c, "max") and hasattr(c, "value")][-1]
    slider.value = slider.max       # drive a control and let the callback run again
print("widgets live")
'''


def closure(names: list[str]) -> list[md.Distribution]:
    """The distributions ``names`` and everything they require (extras left out), as installed here."""
    seen, todo, out = set(), list(names), []
    while todo:
        req = Requirement(todo.pop())
        key = re.sub(r"[-_.]+", "-", req.name).lower()
        if key in seen or (req.marker is not None and not req.marker.evaluate({"extra": ""})):
            continue
        seen.add(key)
        try:
            dist = md.distribution(req.name)
        except md.PackageNotFoundError:
            raise SystemExit(f"FAILED: {req.name} (needed by the Colab-like environment) is not installed here")
        out.append(dist)
        todo.extend(dist.requires or [])
    return out


def colab_site(tmp: Path) -> Path:
    """A folder of symlinks to the Colab distributions' files (top-level entries only)."""
    site = tmp / "colab-site"
    site.mkdir()
    for dist in closure(COLAB):
        base = Path(dist.locate_file(""))
        for f in dist.files or []:
            top = Path(f).parts[0]
            if top == ".." or top.endswith(".pth") or (site / top).exists():
                continue
            if (base / top).exists():
                (site / top).symlink_to(base / top)
    return site


def first_experiment(nb: dict) -> dict:
    """The notebook cut after its third code cell: Colab setup, imports, first experiment."""
    out, n_code = dict(nb), 0
    for i, cell in enumerate(nb["cells"]):
        n_code += cell["cell_type"] == "code"
        if n_code == 3:
            out["cells"] = nb["cells"][:i + 1]
            return out
    return out


def execute(nb: dict, kernel: str, cwd: Path, label: str) -> float:
    import nbformat
    from nbclient import NotebookClient

    t0 = time.perf_counter()
    node = nbformat.reads(json.dumps(nb), as_version=4)
    NotebookClient(node, kernel_name=kernel, timeout=600, resources={"metadata": {"path": str(cwd)}}).execute()
    dt = time.perf_counter() - t0
    errors = [o for c in node.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        raise SystemExit(f"FAILED: {label}: {errors[0]['ename']}: {errors[0]['evalue']}")
    print(f"  ok  {label} ({sum(c.cell_type == 'code' for c in node.cells)} code cells, {dt:.0f} s)", flush=True)
    return dt


def main(argv: list[str] | None = None) -> int:
    import os

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--notebooks", type=Path, default=ROOT / "_build" / "notebooks" / "book")
    p.add_argument("--full", nargs="*", default=["01"], help="chapter prefixes to run end to end (default: 01)")
    args = p.parse_args(argv)
    chapters = sorted(args.notebooks.glob("[0-9][0-9]_*.ipynb"))
    sources = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    if [c.name for c in chapters] != [s.name for s in sources]:
        raise SystemExit(f"FAILED: {args.notebooks} does not hold every chapter: run `make notebooks`")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="course-colab-") as tmp:
        tmp = Path(tmp)
        py, site = fresh_env(tmp, colab_site(tmp))
        probe = ("import importlib.util, importlib.metadata as md, pathlib, course_lib\n"
                 "from packaging.requirements import Requirement\n"
                 f"bad = [m for m in {FORBIDDEN!r} if importlib.util.find_spec(m) is not None]\n"
                 "assert not bad, f'not on Colab, yet importable: {bad}'\n"
                 f"assert pathlib.Path(course_lib.__file__).is_relative_to({str(site)!r}), course_lib.__file__\n"
                 "for r in map(Requirement, md.requires('course_lib')):\n"
                 "    if r.marker is None or r.marker.evaluate({'extra': ''}):\n"
                 "        assert r.specifier.contains(md.version(r.name), prereleases=True), (str(r), md.version(r.name))\n"
                 "print('course_lib', course_lib.__version__, 'installed, its dependencies satisfied')\n")
        res = run(py, "-c", probe, cwd=tmp)
        print("Colab-like environment:", res.strip(), "(no " + ", ".join(FORBIDDEN) + ")")
        kdir = tmp / "jupyter" / "kernels" / "colab-like"
        kdir.mkdir(parents=True)
        env = {"MPLBACKEND": "module://matplotlib_inline.backend_inline", "PYTHONNOUSERSITE": "1"}
        kdir.joinpath("kernel.json").write_text(json.dumps({
            "argv": [str(py), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Colab-like", "language": "python", "env": env}))
        os.environ["JUPYTER_PATH"] = str(tmp / "jupyter")
        work = tmp / "work"
        work.mkdir()
        for path in chapters:
            nb = json.loads(path.read_text(encoding="utf-8"))
            full = any(path.name.startswith(prefix) for prefix in args.full)
            execute(nb if full else first_experiment(nb), "colab-like", work,
                    f"{path.name} {'end to end' if full else 'imports + first experiment'}")
        widget_nb = {"nbformat": 4, "nbformat_minor": 4, "metadata": {},
                     "cells": [{"cell_type": "code", "metadata": {}, "source": WIDGETS, "outputs": [], "execution_count": None}]}
        execute(widget_nb, "colab-like", work, "ipywidgets demos (built, updated, slider moved)")
    print(f"Colab-like check passed ({time.perf_counter() - t0:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
