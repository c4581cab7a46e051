#!/usr/bin/env python3
"""The non-local filter's point-target rule (``ppb``'s ``targets`` p, docs/nonlocal.md §4),
measured: what it keeps and what it costs.

* ``detection``: 81 single-pixel targets, 40 pixels apart, on a 400² speckle background of
  mean 1 (``numpy.random.default_rng(3)``), at 8 … 50 × the background, L = 1 and 4: the share
  returned unchanged and the median output, for each ``p``;
* ``clusters``: a 2 × 2 target and a 3-pixel line on a 200² 1-look background of level 8
  (``default_rng(23)``), at 10 … 1000 ×: their mean output relative to the background, and
  that of the 2 × 2 target's twelve neighbours (``ring``: its halo, 1 without one);
* ``sample``: the bundled 1-look Sentinel-1 sample (data/): the whole image's and the brightest
  0.1 %'s output power over their input power, and the pixels returned unchanged;
* ``quality``: PSNR / SSIM of the quality benchmark's five images (``bench/quality.py``'s
  speckle, one draw), whose truths have no point targets: what the rule costs there.

Example::

    python3 bench/ppb_targets.py                      # all four, p = 0, 1e-6, 1e-5, 1e-4
    python3 bench/ppb_targets.py --only sample --p 0,1e-5
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import despeckle

REPO = Path(__file__).resolve().parent.parent


def detection(ps):
    print("## single-pixel targets: share returned unchanged, median output (background 1)")
    for looks in (1, 4):
        rng = np.random.default_rng(3)
        n = 400
        bg = rng.gamma(looks, 1.0 / looks, (n, n)).astype(np.float32)
        ys, xs = np.meshgrid(np.arange(30, n - 30, 40), np.arange(30, n - 30, 40))
        ys, xs = ys.ravel(), xs.ravel()
        for amp in (8, 10, 15, 20, 25, 30, 50):
            v = bg.copy()
            v[ys, xs] = amp
            cells = []
            for p in ps:
                o = despeckle.ppb(v.copy(), looks=looks, targets=p)
                cells.append(f"p={p:g}: {100 * np.mean(o[ys, xs] == amp):5.1f} % "
                             f"{np.median(o[ys, xs]):6.2f}")
            print(f"L={looks} {amp:3d} ×  " + " | ".join(cells), flush=True)


def clusters(ps):
    print("## clusters (2 × 2, 3-pixel line) and a single pixel: mean output / background")
    rng = np.random.default_rng(23)
    w = 200
    bg = 8 * rng.gamma(1, 1, (w, w)).astype(np.float32)
    for amp in (10, 20, 30, 50, 100, 1000):
        v = bg.copy()
        v[40:42, 40:42] = 8 * amp
        v[100, 100] = 8 * amp
        v[150, 50:53] = 8 * amp
        cells = []
        for p in ps:
            o = despeckle.ppb(v.copy(), looks=1, targets=p)
            ring = (o[39:43, 39:43].sum() - o[40:42, 40:42].sum()) / 12
            cells.append(f"p={p:g}: 2×2 {o[40:42, 40:42].mean() / 8:6.1f} ring "
                         f"{ring / 8:5.1f} single {o[100, 100] / 8:6.1f} line "
                         f"{o[150, 50:53].mean() / 8:6.1f}")
        print(f"{amp:4d} ×  " + " | ".join(cells), flush=True)


def sample(ps):
    print("## bundled Sentinel-1 sample (L = 1): output / input power")
    a = np.fromfile(REPO / "data" / "shanghai_s1_vv_intensity_256x256.f32",
                    dtype=np.float32).reshape(256, 256)
    top = a >= np.quantile(a, 0.999)
    for p in ps:
        o = despeckle.ppb(a.copy(), looks=1, targets=p)
        print(f"p={p:g}: whole {o.sum() / a.sum():.3f}, brightest 0.1 % "
              f"{o[top].sum() / a[top].sum():.2f}, pixels unchanged {int(np.sum(o == a))}",
              flush=True)


def quality(ps):
    print("## quality benchmark images (one draw): PSNR / SSIM, pixels unchanged")
    sys.path.insert(0, str(REPO / "bench"))
    import quality as q

    names = ["camera", "moon", "brick", "text", "coins"]
    for looks in (1.0, 4.0):
        cases = [(n, 0, q.clean_image(n), q.speckle(q.clean_image(n), looks, 0,
                                                    q.ALL_IMAGES.index(n))) for n in names]
        for p in ps:
            score = q.evaluate("ppb", {"targets": p},
                               lambda noisy, lk, p=p: despeckle.ppb(noisy.copy(), looks=lk,
                                                                    targets=p),
                               cases, looks, True)
            same = sum(int(np.sum(despeckle.ppb(c[3].copy(), looks=looks, targets=p) == c[3]))
                       for c in cases)
            print(f"L={looks:g} p={p:g}: {score.mean_psnr():.3f} dB / {score.mean_ssim():.5f}, "
                  f"pixels unchanged {same}", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--p", default="0,1e-6,1e-5,1e-4",
                    help="comma-separated false-alarm probabilities (default 0,1e-6,1e-5,1e-4)")
    ap.add_argument("--only", default="detection,clusters,sample,quality",
                    help="comma-separated parts (default: all)")
    args = ap.parse_args(argv)
    ps = [float(v) for v in args.p.split(",")]
    parts = {"detection": detection, "clusters": clusters, "sample": sample, "quality": quality}
    for name in args.only.split(","):
        if name not in parts:
            ap.error(f"unknown part {name!r} (choose from {', '.join(parts)})")
        parts[name](ps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
