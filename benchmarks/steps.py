"""Benchmark: the cost of one sampler step, with a network and with an exact denoiser.

    python benchmarks/steps.py [--repeats 7] [--compare OLD_CHECKOUT] [--out benchmarks/STEPS.md]

Times the course's samplers per step (wall time of a whole run divided by its number of steps):
with a small network (TimeMLP, width 64, 10,000 points: the chapters' typical sampling) and with
an exact mixture denoiser on 1,000 points, where the network is cheap and any per-step overhead
(input checks, host round trips, conversions written twice) shows. Reports the median over
``repeats`` fresh interpreters, and the thread count.

With ``--compare`` the same runs are timed, interleaved, on another checkout of the repository
(its ``course_lib`` imported in a subprocess), so that the drift of a shared machine hits both
alike; ``benchmarks/training.py --compare`` does the same for a training step.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

# (label, sampler, process, denoiser kind, points, steps)
CASES = [
    ("ddpm_ancestral", "ddpm_ancestral", "chain", "net", 10_000, 100),
    ("ddim", "ddim", "chain", "net", 10_000, 100),
    ("edm_euler", "edm_euler", "edm", "net", 10_000, 36),
    ("edm_heun", "edm_heun", "edm", "net", 10_000, 18),
    ("ddpm_ancestral", "ddpm_ancestral", "chain", "exact", 1_000, 100),
    ("euler_maruyama", "euler_maruyama", "vp", "exact", 1_000, 100),
    ("pf_ode_heun", "pf_ode_heun", "vp", "exact", 1_000, 50),
    ("edm_heun", "edm_heun", "edm", "exact", 1_000, 18),
]


def _imports():
    """The names this benchmark needs, from either layout of course_lib (before/after issue 17)."""
    import importlib
    from course_lib import samplers
    from course_lib.device import make_generator
    from course_lib.distributions import GaussianMixture
    from course_lib.models import TimeMLP
    from course_lib.processes import DDPMChain, EDM, VP
    import course_lib
    here = os.path.dirname(course_lib.__file__)    # look in this checkout only (an editable install can see others)
    wrappers = importlib.import_module("course_lib.denoisers" if os.path.exists(os.path.join(here, "denoisers.py"))
                                       else "course_lib.params")
    EpsDenoiser, EDMPrecond = wrappers.EpsDenoiser, wrappers.EDMPrecond
    return samplers, make_generator, GaussianMixture, TimeMLP, DDPMChain, EDM, VP, EpsDenoiser, EDMPrecond


def time_case(case: tuple) -> float:
    """Seconds per step of one sampler run (after a warm-up run)."""
    import torch
    samplers, make_generator, GaussianMixture, TimeMLP, DDPMChain, EDM, VP, EpsDenoiser, EDMPrecond = _imports()
    _, name, proc_name, kind, n, steps = case
    process = {"chain": lambda: DDPMChain("linear", 100), "edm": EDM, "vp": VP}[proc_name]()
    torch.manual_seed(0)
    if kind == "net":
        net = TimeMLP(2, hidden=64, depth=3)
        denoiser = (EpsDenoiser(net, process) if proc_name == "chain" else EDMPrecond(net, sigma_data=0.5)).eval()
        dtype = torch.float32
    else:
        mix = GaussianMixture(torch.full((4,), 0.25), torch.tensor([[1.0, 0], [-1, 0], [0, 1], [0, -1]]), 0.1)
        denoiser = mix.denoiser_for(process)
        dtype = torch.float64
    grid = (process.grid(steps, spacing="edm", rho=7) if proc_name == "edm" else process.grid(steps))
    sampler = getattr(samplers, name)
    x_T = process.prior(n, 2, generator=make_generator(1), dtype=dtype)
    with torch.no_grad():
        sampler(denoiser, x_T, grid, generator=make_generator(2))
        t0 = time.perf_counter()
        sampler(denoiser, x_T, grid, generator=make_generator(2))
    return (time.perf_counter() - t0) / steps


def time_in(checkout: str | None) -> list[float]:
    """One timing per case, in a fresh interpreter importing ``course_lib`` from ``checkout``."""
    root = os.path.abspath(checkout if checkout is not None else os.path.join(os.path.dirname(__file__), ".."))
    env = dict(os.environ, COURSE_QUIET="1", PYTHONPATH=root)
    code = (f"import json, sys; sys.path.insert(1, {os.path.dirname(os.path.abspath(__file__))!r}); "
            f"import course_lib, steps as b; "
            f"print(json.dumps([course_lib.__file__, [b.time_case(c) for c in b.CASES]]))")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"timing in {root} failed:\n{out.stderr[-3000:]}")
    where, times = json.loads(out.stdout.strip().splitlines()[-1])
    if not os.path.abspath(where).startswith(root):
        raise RuntimeError(f"expected course_lib from {root}, imported {where}")
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--compare", default=None, help="another checkout of the repository to time alongside")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    import torch

    runs: dict[str, list[list[float]]] = {"this": [], "other": []}
    for _ in range(args.repeats):
        runs["this"].append(time_in(None))
        if args.compare:
            runs["other"].append(time_in(args.compare))
    med = {key: [1e3 * statistics.median(r[i] for r in rs) for i in range(len(CASES))] for key, rs in runs.items() if rs}
    lines = [
        "# Sampler benchmark: milliseconds per step",
        "",
        f"Generated by `benchmarks/steps.py --repeats {args.repeats}"
        f"{' --compare ' + args.compare if args.compare else ''}` on {datetime.date.today()}, machine: "
        f"{platform.machine()} ({platform.system()}), torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}. Median over {args.repeats} fresh interpreters "
        "of one run each (after a warm-up run); 'net': TimeMLP(2, hidden=64, depth=3) as an eps-network on the chain "
        "or EDM-preconditioned, float32; 'exact': a 4-component Gaussian mixture's exact denoiser, float64.",
        "",
    ]
    head = "| sampler | process | denoiser | points | steps |"
    if args.compare:
        lines += [head + " this checkout (ms/step) | other checkout (ms/step) | speed-up |",
                  "|---|---|---|---:|---:|---:|---:|---:|"]
        for i, (label, _, proc, kind, n, steps) in enumerate(CASES):
            lines.append(f"| {label} | {proc} | {kind} | {n:,} | {steps} | {med['this'][i]:.3f} | {med['other'][i]:.3f} | "
                         f"{med['other'][i] / med['this'][i]:.2f}x |")
    else:
        lines += [head + " ms/step |", "|---|---|---|---:|---:|---:|"]
        for i, (label, _, proc, kind, n, steps) in enumerate(CASES):
            lines.append(f"| {label} | {proc} | {kind} | {n:,} | {steps} | {med['this'][i]:.3f} |")
    print("\n".join(lines))
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
