"""Quality of multi-temporal filtering on a synthetic stack with a known truth: Quegan & Yu
(boxcar or Lee local means) against a ratio-based composition in the spirit of RABASAR (Zhao
et al., IEEE TGRS 2019), built from despeckle's own filters.

    python3 bench/temporal_quality.py [--dates 10] [--looks 1] [--image camera] [--crop 256]

The truth is a scikit-image picture (as in bench/quality.py: amplitude ``A`` = the 8-bit image
clipped to ≥ 1, intensity ``R = A²``), the same on every date except a bright square (×8 in
intensity) that appears in one date only — a change that must stay in that date. Each date
gets independent ``L``-look gamma speckle. Every output is scored per date on amplitude
(``√max(R̂, 0)``, PSNR with peak 255, SSIM 7 × 7), then averaged over the dates; the changed
square's mean is checked in the changed date (it must stay ≈ 8×) and in the others (≈ 1×).

Methods:
* ``quegan mean 7`` / ``quegan lee 7``: ``despeckle.temporal.quegan`` with a boxcar or Lee
  (``looks=L``) local mean, 7 × 7;
* ``ratio (ppb)``: the temporal arithmetic mean ``S`` (≈ ``N·L`` looks where nothing changes)
  denoised by the non-local filter (``despeckle.ppb``, ``looks=N·L``); each date's ratio
  ``I_k / Ŝ`` denoised by the same filter (``looks=L``), multiplied back: ``Ĵ_k = Ŝ · r̂_k``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import despeckle
from despeckle.temporal import quegan


def truth_image(name, crop):
    import skimage.data

    a = getattr(skimage.data, name)().astype(np.float64)
    if a.ndim == 3:
        a = a.mean(axis=2)
    a = np.maximum(a, 1.0)
    if crop:
        a = a[:crop, :crop]
    return a * a


def scores(truth_r, est_r):
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    t, e = np.sqrt(truth_r), np.sqrt(np.maximum(est_r, 0.0))
    return (peak_signal_noise_ratio(t, e, data_range=255.0),
            structural_similarity(t, e, data_range=255.0, win_size=7, gaussian_weights=False))


def ratio_method(stack, looks):
    n = stack.shape[0]
    s = stack.mean(axis=0)
    s_hat = despeckle.ppb(s, looks=n * looks)
    s_hat = np.maximum(s_hat, 1e-12)
    return np.stack([s_hat * despeckle.ppb(d / s_hat, looks=looks) for d in stack])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dates", type=int, default=10)
    ap.add_argument("--looks", type=float, default=1.0)
    ap.add_argument("--image", default="camera")
    ap.add_argument("--crop", type=int, default=256, help="0: the whole image")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()

    r = truth_image(a.image, a.crop)
    h, w = r.shape
    change = a.dates // 2
    sq = (slice(h // 4, h // 4 + h // 8), slice(w // 2, w // 2 + w // 8))
    truths = np.repeat(r[None], a.dates, axis=0)
    truths[change][sq] *= 8.0
    rng = np.random.default_rng(a.seed)
    stack = truths * rng.gamma(a.looks, 1.0 / a.looks, size=truths.shape)

    methods = {
        "noisy": lambda x: x,
        "quegan mean 7": lambda x: quegan(x, size=7),
        "quegan lee 7": lambda x: quegan(x, size=7, filter="lee", looks=a.looks),
        "ratio (ppb)": lambda x: ratio_method(x, a.looks),
    }
    print(f"{a.dates} dates of {a.image} {h} × {w}, L = {a.looks:g}, a ×8 square in date "
          f"{change} only; PSNR (dB) / SSIM on amplitude, mean over the dates")
    print(f"{'method':16} {'PSNR':>6} {'SSIM':>6}  {'square ×, changed date':>22}  "
          f"{'other dates':>11}  {'seconds':>7}")
    for name, f in methods.items():
        t0 = time.perf_counter()
        est = np.asarray(f(stack.copy()), dtype=np.float64)
        dt = time.perf_counter() - t0
        ps, ss = zip(*(scores(truths[k], est[k]) for k in range(a.dates)))
        inner = (slice(sq[0].start + 4, sq[0].stop - 4), slice(sq[1].start + 4, sq[1].stop - 4))
        gain = est[change][inner].mean() / r[inner].mean()
        others = np.mean([est[k][inner].mean() / r[inner].mean()
                          for k in range(a.dates) if k != change])
        print(f"{name:16} {np.mean(ps):6.2f} {np.mean(ss):6.3f}  {gain:22.2f}  {others:11.2f}  "
              f"{dt:7.2f}")


if __name__ == "__main__":
    main()
