#!/usr/bin/env python3
"""Sweep of pass 2 compared relative to the pilot's variance (``bench/nl_select.py``) on the
quality benchmark's recipe, beside homomorphic BM3D and the defined filter (``nl2``) of the
same run.

One pilot per image and L (pass 1 at its defaults, with the ENL of each pilot value's
weights), then, per (form, e0, flat), one pass 2 with every ``f`` of the grid at once (shared
patch sums, one ``exp`` per ``f``). Scores as ``bench/quality.py`` (amplitude truth from
scikit-image's camera, moon, brick, text, coins, ``I = A²·Gamma(L, 1/L)``, seed 0, PSNR / SSIM
on amplitude); centre crops.

Example (about two minutes on a shared 2-core machine)::

    python3 bench/nl_select_sweep.py --crop 128 --looks 1,4 --forms geo,max \\
        --e0 35,50 --flat 0,1,1.5 --f 0.6,0.7,1.0
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "python" / "tests"))

import nl_select as ns  # noqa: E402
import quality as q  # noqa: E402
from nonlocal_prototype import h1_of, recommended, write_report  # noqa: E402
from nonlocal_reference import default_constants  # noqa: E402


def floats(text):
    return [float(v) for v in text.split(",") if v.strip()]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--crop", type=int, default=128, help="centre crop N × N (0 = full images)")
    ap.add_argument("--looks", default="1,4")
    ap.add_argument("--images", default=",".join(q.DEFAULT_IMAGES))
    ap.add_argument("--forms", default="geo,max", help="geo, max, sum (nl_select.nl2_var)")
    ap.add_argument("--e0", default="35,50")
    ap.add_argument("--flat", default="0,1,1.5", help="flat top, in units of P₂²")
    ap.add_argument("--f", default="0.6,0.7,1.0", help="h₂ = f·P₂²")
    ap.add_argument("--no-ssim", action="store_true")
    ap.add_argument("--out", default=str(REPO / "target" / "nonlocal" / "nl_select_sweep.md"))
    args = ap.parse_args(argv)
    images = [v.strip() for v in args.images.split(",") if v.strip()]
    fs = floats(args.f)
    with_ssim = not args.no_ssim
    lines = ["# Pass 2 relative to the pilot's variance (bench/nl_select_sweep.py)", "",
             "Command: `python3 bench/nl_select_sweep.py "
             + " ".join(argv if argv is not None else sys.argv[1:]) + "`", "",
             f"Images: {', '.join(images)}"
             + (f" (centre {args.crop}²)" if args.crop else " (full)")
             + "; seed 0; mean PSNR (peak 255) / SSIM on amplitude.", ""]

    def score(cases, ests):
        p = [q.psnr(t, q.amplitude(e)) for (_, t, _), e in zip(cases, ests)]
        s = [q.ssim(t, q.amplitude(e)) for (_, t, _), e in zip(cases, ests)] if with_ssim \
            else [float("nan")]
        return float(np.mean(p)), float(np.mean(s)), p

    for looks in floats(args.looks):
        cases = []
        for n in images:
            t = q.centre_crop(q.clean_image(n), args.crop)
            cases.append((n, t, q.speckle(t, looks, 0, q.ALL_IMAGES.index(n))))
        rows = [("bm3d", score(cases, [q.run_bm3d(nz, looks) for _, _, nz in cases])),
                ("nl2", score(cases, [recommended()(nz, looks) for _, _, nz in cases]))]
        c1, _ = default_constants(looks)
        pilots = [ns.pilot_and_enl(nz, h1=h1_of(looks, c1)) for _, _, nz in cases]
        for form, e0, flat in itertools.product(args.forms.split(","), floats(args.e0),
                                                floats(args.flat)):
            stats = [ns.pass_stats(nz.astype(np.float64), p, hs=tuple(25.0 * f for f in fs),
                                   gvar=ns.pilot_variance(enl, looks, e0), gmode=form,
                                   flat=flat * 25.0)
                     for (_, _, nz), (p, enl) in zip(cases, pilots)]
            for k, f in enumerate(fs):
                name = f"{form} e0={e0:g} flat={flat:g} f={f:g}"
                rows.append((name, score(cases, [ns.estimates(s)[0][k] for s in stats])))
                print(f"L={looks:g} {name:<32} {rows[-1][1][0]:6.2f} / {rows[-1][1][1]:.3f}",
                      file=sys.stderr, flush=True)
        lines += [f"## L = {looks:g}", "", "| method | " + " | ".join(images)
                  + " | mean PSNR | mean SSIM |", "|---" * (len(images) + 3) + "|"]
        for name, (p, s, per) in rows:
            lines.append(f"| {name} | " + " | ".join(f"{v:.2f}" for v in per)
                         + f" | {p:.2f} | {s:.3f} |")
        lines.append("")
    write_report(args.out, lines)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
