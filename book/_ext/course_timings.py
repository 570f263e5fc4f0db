"""Sphinx extension: the book's run-time sentences come from the benchmark, not from typing.

``benchmarks/book.py --json benchmarks/book_times.json`` records the median execution time of
each chapter (alone on the benchmark machine). This extension reads that file and defines MyST
substitutions that ``book/intro.md`` and ``book/instructor.md`` use:

* ``{{ chapter_time_range }}`` — e.g. "between 12 and 95 seconds";
* ``{{ book_time_total }}`` — e.g. "about 6 minutes";
* ``{{ bench_machine }}`` — e.g. "2 CPU cores, torch with 2 threads (benchmark of 2026-12-02)".
"""
from __future__ import annotations

import json
from pathlib import Path

TIMES = Path(__file__).resolve().parents[2] / "benchmarks" / "book_times.json"


def substitutions(path: Path = TIMES) -> dict[str, str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    med = data["median_seconds"]
    lo, hi, total = min(med.values()), max(med.values()), sum(med.values())
    threads = "/".join(str(t) for t in data["torch_threads"])
    return {
        "chapter_time_range": f"between {lo:.0f} and {hi:.0f} seconds",
        "book_time_total": f"about {total / 60:.0f} minutes",
        "bench_machine": f"{data['cores']} CPU cores, torch with {threads} threads (benchmark of {data['date']})",
    }


def _on_config(app, config):
    subs = dict(config.myst_substitutions or {})
    subs.update(substitutions())
    config.myst_substitutions = subs


def setup(app):
    app.connect("config-inited", _on_config)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
