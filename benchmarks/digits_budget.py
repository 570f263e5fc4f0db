"""What more training buys Chapter 7's U-Net on the 8x8 digits (issue 16).

    python benchmarks/digits_budget.py [--configs 1200:16:128 4800:16:128 4800:32:128] [--seed 0]

Chapter 7 trains its class-conditional U-Net for 1,200 steps with 16 channels (batch 128), which
keeps the chapter near two minutes on 2 CPU cores. This script trains the same recipe (EDM loss,
label dropout 0.5, Chapter 7's learning rate; EMA 0.995 at Chapter 7's budget, 0.999 for longer
runs) with more steps and/or channels and reports Chapter 7's measure: the share of 500 samples
(18 Heun steps, the same starting noise as the chapter) on which a logistic-regression classifier,
trained on 1,200 real digits, is confident (p > 0.9), without a label (w = 0) and given it (w = 1),
beside the held-out real digits. Each configuration is one line of the table (steps:channels:batch).
Training times are wall-clock seconds on this machine and mean something only when run alone.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import course_lib  # noqa: F401  (thread policy before torch)
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from course_lib import make_generator
from course_lib.data import digits
from course_lib.device import randn
from course_lib.guidance import ClassEDMPrecond, class_edm_loss, guided_denoiser, pack_labels
from course_lib.models import UNet
from course_lib.processes import EDM
from course_lib.samplers import edm_heun
from course_lib.training import train


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", nargs="+", default=["1200:16:128", "4800:16:128", "4800:32:128"])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    seed = args.seed
    X = digits()
    labels = torch.as_tensor(load_digits().target)
    sigma_data = float(X.pow(2).mean().sqrt())
    Xn = X.numpy().astype(np.float64)
    perm = np.random.default_rng(seed).permutation(len(Xn))
    tr, te = perm[:1200], perm[1200:]
    clf = LogisticRegression(max_iter=3000).fit(Xn[tr], labels.numpy()[tr])

    def confident(samples) -> float:
        p = clf.predict_proba(np.clip(np.asarray(samples, dtype=np.float64), -1, 1))
        return float((p.max(axis=1) > 0.9).mean())

    grid = EDM().grid(18, spacing="edm", rho=7)
    z = EDM().sigma_max * randn((500, 64), generator=make_generator(seed + 10))
    y = torch.arange(500) % 10
    print(json.dumps(dict(real=confident(Xn[te]), seed=seed, threads=torch.get_num_threads(),
                          omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"))), flush=True)
    for config in args.configs:
        steps, channels, batch = (int(v) for v in config.split(":"))
        t0 = time.time()
        torch.manual_seed(seed)     # the U-Net's initial weights (a fresh interpreter seeds the global RNG at random)
        model = ClassEDMPrecond(UNet(channels=channels, num_classes=10), sigma_data=sigma_data)
        res = train(model, class_edm_loss(10, p_uncond=0.5, sigma_data=sigma_data), pack_labels(X, labels),
                    steps=steps, batch_size=batch, lr=2e-3, ema_decay=0.995 if steps <= 1200 else 0.999,
                    seed=seed, device="cpu")
        seconds = time.time() - t0
        with torch.no_grad():
            x_u = edm_heun(guided_denoiser(res.best, 0, 0.0), z, grid).clamp(-1, 1)
            x_c = edm_heun(guided_denoiser(res.best, y, 1.0), z, grid).clamp(-1, 1)
        print(json.dumps(dict(steps=steps, channels=channels, batch=batch, unconditional=confident(x_u),
                              given_label=confident(x_c), train_seconds=round(seconds))), flush=True)


if __name__ == "__main__":
    main()
