"""Benchmark: how long each chapter notebook takes to execute, alone and beside a busy process.

    python benchmarks/book.py [--runs 3] [--threads 2] [--contended] [--chapters 01 03] [--out FILE]

Each chapter (``book/NN_*.ipynb``) is executed with nbclient in a fresh kernel, ``--runs``
times, one after another; the script reports the median, min and max wall time per chapter,
the total of the medians, the torch thread count the kernels saw, and the environment
(``OMP_NUM_THREADS``, ``OMP_WAIT_POLICY``). With ``--contended`` every chapter is executed once
more while one bounded CPU-bound busy loop (a child ``python -c 'while ...'`` that stops by
itself after ``--busy-seconds``) runs beside it, and the contended/alone ratio is printed.

Time alone: anything else running on the cores makes these numbers meaningless.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUSY = "import time\nt=time.time()+{s}\nwhile time.time()<t:\n    pass\n"
PROBE = "import torch; print('COURSE_BENCH_THREADS', torch.get_num_threads())"


def execute(path: Path, timeout: int) -> tuple[float, int]:
    """Seconds to execute one notebook in a fresh kernel, and the torch threads it used."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - t0
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    threads = int(text.split("COURSE_BENCH_THREADS")[1].split()[0])
    return seconds, threads


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None,
                    help="set OMP_NUM_THREADS for the kernels (default: leave the environment as it is)")
    ap.add_argument("--contended", action="store_true", help="also run each chapter once beside a busy loop")
    ap.add_argument("--busy-seconds", type=int, default=900, help="upper bound on the busy loop's life")
    ap.add_argument("--chapters", nargs="*", default=None, help="chapter number prefixes, e.g. 01 03")
    ap.add_argument("--timeout", type=int, default=900, help="per-cell timeout in seconds")
    ap.add_argument("--out", default=None, help="append the markdown table to this file")
    ap.add_argument("--json", default=None,
                    help="write the medians here (benchmarks/book_times.json feeds the book's run-time sentences)")
    args = ap.parse_args()

    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("COURSE_QUIET", "1")
    if args.threads is not None:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    paths = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    if args.chapters:
        paths = [p for p in paths if p.name[:2] in args.chapters]
    rows, total, threads_seen = [], 0.0, set()
    for p in paths:
        times = []
        for _ in range(args.runs):
            s, th = execute(p, args.timeout)
            times.append(s)
            threads_seen.add(th)
            print(f"{p.name}: {s:.1f} s (torch threads {th})", flush=True)
        med = statistics.median(times)
        total += med
        cont = None
        if args.contended:
            busy = subprocess.Popen([sys.executable, "-c", BUSY.format(s=args.busy_seconds)])
            try:
                cont, _ = execute(p, args.timeout)
            finally:
                busy.kill()
                busy.wait()
            print(f"{p.name}: {cont:.1f} s beside one busy loop ({cont / med:.1f}x)", flush=True)
        rows.append((p.name, med, min(times), max(times), cont))

    env = {k: os.environ.get(k, "(unset)") for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
    head = (f"\n## {datetime.date.today()} — {platform.machine()} {platform.system()}, {os.cpu_count()} cores, "
            f"torch threads {sorted(threads_seen)}, OMP_NUM_THREADS={env['OMP_NUM_THREADS']}, "
            f"OMP_WAIT_POLICY={env['OMP_WAIT_POLICY']}, {args.runs} run(s) per chapter\n\n")
    table = "| chapter | median s | min s | max s | beside a busy loop s | ratio |\n|---|---:|---:|---:|---:|---:|\n"
    for name, med, lo, hi, cont in rows:
        c = f"{cont:.1f} | {cont / med:.1f}x" if cont is not None else "– | –"
        table += f"| {name} | {med:.1f} | {lo:.1f} | {hi:.1f} | {c} |\n"
    table += f"| **total (medians)** | {total:.1f} | | | | |\n"
    print(head + table)
    if args.out:
        with open(args.out, "a") as f:
            f.write(head + table)
    if args.json:
        import json

        with open(args.json, "w") as f:
            json.dump({"date": str(datetime.date.today()), "cores": os.cpu_count(), "runs": args.runs,
                       "torch_threads": sorted(threads_seen), "omp_wait_policy": env["OMP_WAIT_POLICY"],
                       "median_seconds": {name[:2]: round(med, 1) for name, med, *_ in rows},
                       "contended_ratio": {name[:2]: round(c / med, 2) for name, med, _, _, c in rows if c}},
                      f, indent=1)


if __name__ == "__main__":
    main()
