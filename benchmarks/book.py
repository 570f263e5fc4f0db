"""Benchmark: how long each chapter notebook takes to execute, alone and beside a busy process.

    python benchmarks/book.py [--runs 3] [--threads 2] [--contended] [--chapters 01 03] [--out FILE]

Each chapter (``book/NN_*.ipynb``) is executed with nbclient in a fresh kernel, ``--runs``
times, one after another; the script reports the median, min and max wall time per chapter,
the total of the medians, the torch thread count the kernels saw, and the environment
(``OMP_NUM_THREADS``, ``OMP_WAIT_POLICY``). With ``--contended`` every chapter is executed once
more while one bounded CPU-bound busy loop (a child ``python -c 'while ...'`` that stops by
itself after ``--busy-seconds``) runs beside it, and the contended/alone ratio is printed.

The header records a speed reference for the machine, before and after the chapters: milliseconds
per step of a fixed torch workload the size of the chapters' toy training (no course_lib in it, so
it does not change with the code), always under ``OMP_WAIT_POLICY=PASSIVE``. Cloud machines of the
same name differ by 1.5x from day to day and drift within the hour: compare tables from different
days through it, and distrust a table whose two references differ much.
With ``--compare OTHER_CHECKOUT`` every run of a chapter here is followed by a run of the same
chapter in the other checkout (its notebooks, its ``course_lib``), so that a before/after is
measured on the same machine in the same minutes.

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
PROBE = ("import torch, course_lib; print('COURSE_BENCH_THREADS', torch.get_num_threads()); "
         "print('COURSE_BENCH_LIB', course_lib.__file__)")


def execute(path: Path, timeout: int) -> tuple[float, int]:
    """Seconds to execute one notebook in a fresh kernel, and the torch threads it used.

    The kernel imports ``course_lib`` from the checkout that holds ``path`` (checked)."""
    import nbformat
    from nbclient import NotebookClient

    root = path.resolve().parent.parent
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(root)      # the kernel inherits it
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        t0 = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - t0
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    threads = int(text.split("COURSE_BENCH_THREADS")[1].split()[0])
    lib = Path(text.split("COURSE_BENCH_LIB")[1].split()[0]).resolve()
    if root not in lib.parents:
        raise RuntimeError(f"{path} ran with course_lib from {lib}, not from {root}")
    return seconds, threads


REFERENCE = """
import time, torch
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(18, 64), torch.nn.SiLU(), torch.nn.Linear(64, 64), torch.nn.SiLU(),
                          torch.nn.Linear(64, 64), torch.nn.SiLU(), torch.nn.Linear(64, 1))
opt = torch.optim.AdamW(net.parameters(), lr=1e-3, foreach=True)
x, y = torch.randn(1024, 18), torch.randn(1024, 1)
def step():
    loss = (net(x) - y).pow(2).mean(); opt.zero_grad(); loss.backward(); opt.step()
for _ in range(30):
    step()
t = time.perf_counter()
for _ in range(300):
    step()
print((time.perf_counter() - t) / 300 * 1e3)
"""


def speed_reference() -> float:
    """The machine's speed: milliseconds per step of a fixed torch workload (a 3 x 64 SiLU MLP,
    batch 1,024, AdamW; no course_lib, so it does not change with the code), median of 3 fresh
    interpreters, always with ``OMP_WAIT_POLICY=PASSIVE`` (the course's policy) whatever the caller's
    environment says: the same workload takes about 1.4x longer under PASSIVE than with spinning
    threads, so a reference taken under another policy is not comparable."""
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    runs = [float(subprocess.run([sys.executable, "-c", REFERENCE], capture_output=True, text=True, check=True,
                                 env=env).stdout)
            for _ in range(3)]
    return statistics.median(runs)


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
    ap.add_argument("--compare", default=None, help="another checkout: run its chapters interleaved with these")
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
    reference = speed_reference()
    print(f"speed reference: {reference:.2f} ms per step", flush=True)
    other = Path(args.compare).resolve() if args.compare else None
    rows, total, threads_seen, others = [], 0.0, set(), {}
    for p in paths:
        times, times_other = [], []
        for _ in range(args.runs):
            s, th = execute(p, args.timeout)
            times.append(s)
            threads_seen.add(th)
            print(f"{p.name}: {s:.1f} s (torch threads {th})", flush=True)
            if other is not None:
                s, _ = execute(other / "book" / p.name, args.timeout)
                times_other.append(s)
                print(f"{p.name} in {other}: {s:.1f} s", flush=True)
        med = statistics.median(times)
        total += med
        if times_other:
            others[p.name] = statistics.median(times_other)
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

    reference_end = speed_reference()      # the host's speed drifts within the hour: taken again at the end
    print(f"speed reference at the end: {reference_end:.2f} ms per step", flush=True)
    env = {k: os.environ.get(k, "(unset)") for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
    head = (f"\n## {datetime.date.today()} — {platform.machine()} {platform.system()}, {os.cpu_count()} cores, "
            f"torch threads {sorted(threads_seen)}, OMP_NUM_THREADS={env['OMP_NUM_THREADS']}, "
            f"OMP_WAIT_POLICY={env['OMP_WAIT_POLICY']}, {args.runs} run(s) per chapter; "
            f"speed reference {reference:.2f} ms per step before, {reference_end:.2f} after (REFERENCE in book.py, "
            f"always under OMP_WAIT_POLICY=PASSIVE)\n\n")
    table = "| chapter | median s | min s | max s | beside a busy loop s | ratio |\n|---|---:|---:|---:|---:|---:|\n"
    for name, med, lo, hi, cont in rows:
        c = f"{cont:.1f} | {cont / med:.1f}x" if cont is not None else "– | –"
        table += f"| {name} | {med:.1f} | {lo:.1f} | {hi:.1f} | {c} |\n"
    table += f"| **total (medians)** | {total:.1f} | | | | |\n"
    if others:
        table += (f"\nInterleaved with {other} (the same chapters, {args.runs} run(s) each, alternating):\n\n"
                  "| chapter | this checkout s | other checkout s | speed-up |\n|---|---:|---:|---:|\n")
        for name, med, *_ in rows:
            table += f"| {name} | {med:.1f} | {others[name]:.1f} | {others[name] / med:.2f}x |\n"
        table += f"| **total** | {total:.1f} | {sum(others.values()):.1f} | {sum(others.values()) / total:.2f}x |\n"
    print(head + table)
    if args.out:
        with open(args.out, "a") as f:
            f.write(head + table)
    if args.json:
        import json

        with open(args.json, "w") as f:
            json.dump({"date": str(datetime.date.today()), "cores": os.cpu_count(), "runs": args.runs,
                       "torch_threads": sorted(threads_seen), "omp_wait_policy": env["OMP_WAIT_POLICY"],
                       "speed_reference_ms_per_step": [round(reference, 2), round(reference_end, 2)],
                       "median_seconds": {name[:2]: round(med, 1) for name, med, *_ in rows},
                       "contended_ratio": {name[:2]: round(c / med, 2) for name, med, _, _, c in rows if c}},
                      f, indent=1)


if __name__ == "__main__":
    main()
