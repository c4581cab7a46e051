"""Sweeps the non-local filter's parameters on the quality benchmark's images.

The recipe of ``bench/quality.py`` (amplitude truth from scikit-image, ``I = A²·Gamma(L, 1/L)``
with its seeds, PSNR and SSIM on the amplitude), one line per setting of a grid: the mean
PSNR / SSIM over the images, then each image's PSNR. Used to calibrate ``ppb``'s constants per
number of looks (docs/nonlocal.md §6)::

    python3 bench/ppb_sweep.py --looks 4 --grid '{"strength": [0.3, 0.4], "strength2": [0.5, 0.7, 1.0]}'
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import quality as q  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--looks", type=float, default=4.0)
    ap.add_argument("--grid", default="{}", help="JSON: keyword of despeckle.ppb -> list of values")
    ap.add_argument("--images", default=",".join(q.DEFAULT_IMAGES))
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    import despeckle

    grid = json.loads(a.grid)
    cases = []
    for name in a.images.split(","):
        truth = q.clean_image(name)
        cases.append((name, truth, q.speckle(truth, a.looks, a.seed, q.ALL_IMAGES.index(name))))
    print("L", "params", "PSNR", "SSIM", " ".join(n for n, _, _ in cases))
    for values in itertools.product(*grid.values()):
        kw = dict(zip(grid, values))
        ps, ss = [], []
        for _, truth, noisy in cases:
            est = q.amplitude(despeckle.ppb(noisy, looks=a.looks, **kw))
            ps.append(q.psnr(truth, est))
            ss.append(q.ssim(truth, est))
        print(a.looks, json.dumps(kw), f"{np.mean(ps):.3f} {np.mean(ss):.4f}",
              " ".join(f"{p:.2f}" for p in ps), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
