#!/usr/bin/env python3
"""The non-local filter of docs/nonlocal.md (numpy prototype) on the quality benchmark's recipe.

Runs, in one process and on the same speckled images (``bench/quality.py``'s ``clean_image``,
``centre_crop``, ``speckle``, scored by its ``evaluate``):

* the anchors and the classic filters, through ``quality.run_looks``: homomorphic BM3D,
  scikit-image NL-means, every despeckle filter at the best setting of its sweep
  (``FILTER*``; the table shows the best ``--classic`` of them by PSNR);
* the non-local candidates, an ablation from plain PPB to the recommended two-pass filter
  (``CANDIDATES`` below), computed by ``bench/nl_fast.py`` (vectorised numpy; agrees with the
  plain reference ``python/tests/nonlocal_reference.py`` to 1e-9 relative, checked first on a
  small image unless ``--no-check``), and the variants that compare the pilot relative to its
  variance (``nl2+var*``, ``bench/nl_select.py``, whose passes are checked the same way).

The full images (512²) take minutes per candidate in numpy; ``--crop 256`` (default) keeps
the run to about 15 minutes on a shared 2-core machine. Pass ``--crop 0`` for full images.

Examples::

    python3 bench/nonlocal_prototype.py --looks 1,4
    python3 bench/nonlocal_prototype.py --looks 1 --crop 128 --only '^nl2'
"""

from __future__ import annotations

import argparse
import functools
import math
import re
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "python" / "tests"))

import nl_fast as nf  # noqa: E402
import nl_select as ns  # noqa: E402
import quality as q  # noqa: E402

from nonlocal_reference import default_constants, psi1  # noqa: E402

m_glr = nf.m_glr


@functools.lru_cache(maxsize=None)
def ppb_h(looks: float, patch: int, alpha: float = 0.92, n: int = 20000) -> float:
    """``h`` of plain PPB: the α-quantile of ``D = Σ_{P×P} log cosh(δ/2)`` on pure L-look
    speckle (independent patch pairs, fixed seed: the same value every run)."""
    rng = np.random.default_rng(12345)
    g1 = rng.gamma(looks, 1.0 / looks, size=(n, patch * patch))
    g2 = rng.gamma(looks, 1.0 / looks, size=(n, patch * patch))
    d = np.abs(np.log(g1) - np.log(g2))
    D = (0.5 * d + np.log1p(np.exp(-d)) - math.log(2.0)).sum(axis=1)
    return float(np.quantile(D, alpha))


def h1_of(looks: float, c1: float, patch1: int = 7, presmooth: int = 3) -> float:
    return c1 * patch1 * patch1 * 2.0 * psi1(presmooth * presmooth * looks)


def glr_pass(c=None, h=None, patch=7, agg=1, search=21):
    """One PPB-style pass: GLR of the noisy log-intensities, h = c·P²·m_L (or h(L))."""
    def run(noisy, looks):
        hh = h(looks) if h is not None else c * patch * patch * m_glr(looks)
        return nf.nl_pass(noisy, None, looks=looks, search=search, patch=patch, agg=agg, h=hh)
    return run


def pre_pass(c=None, agg=3, search=21):
    """One pass of the recommended pass 1 alone (squared differences of ln 3×3 means)."""
    from scipy import ndimage

    def run(noisy, looks):
        x = noisy.astype(np.float64)
        cc = default_constants(looks)[0] if c is None else c
        return nf.nl_pass(x, ndimage.uniform_filter(x, 3, mode="reflect"), looks=looks,
                          search=search, patch=7, agg=agg, h=h1_of(looks, cc), kind="sq")
    return run


def recommended(search=21, agg1=3, agg2=3, multi=False, blend=False, k2_factor=1.0, hsel=None,
                var2=None, f2=1.0):
    """The filter at its defaults, or a variant; ``var2 = (e0, form, flat)``: pass 2 compares
    the pilot's logs relative to their variance, ``h₂ = f2·P₂²`` (``nl_select.nl2_var``)."""
    def run(noisy, looks):
        c1, k2 = default_constants(looks)
        h2 = f2 if var2 is not None else k2 * k2_factor * 25
        return nf.nl2(noisy, looks, search=search, agg1=agg1, agg2=agg2, h1=h1_of(looks, c1),
                      h2=h2, multi=multi, blend=blend, hsel=hsel, var2=var2)
    return run


def glr_pilot_two_pass(ppb_refine=False):
    """Pass 1 = GLR on the noisy logs (c = 0.12, 3×3 aggregation); pass 2 as recommended, or
    PPB's refinement (noisy GLR at PPB's h plus the pilots' symmetric KL, P = 7)."""
    def run(noisy, looks):
        _, k2 = default_constants(looks)
        pilot = nf.nl_pass(noisy, None, looks=looks, patch=7, agg=3, h=0.12 * 49 * m_glr(looks))
        if ppb_refine:
            return nf.nl_pass(noisy, pilot, looks=looks, patch=7, agg=1, h=k2 * 49 * looks,
                              kind="kl", noisy_term=1.0, h_noisy=ppb_h(looks, 7))
        return nf.nl_pass(noisy, pilot, looks=looks, patch=5, agg=3, h=k2 * 25, kind="sq")
    return run


#: (name, description, function(noisy, looks) or a sweep of one-pass c). The ablation, from
#: plain PPB to the recommended filter and the variants that did not help.
CANDIDATES = [
    ("ppb", "PPB, 1 pass: GLR of noisy logs, P=7, W=21, h = 0.92-quantile of D on speckle",
     glr_pass(h=lambda L: ppb_h(L, 7))),
    ("ppb-h*", "as ppb, h = c·P²·m_L with the best c of {0.1, 0.15, 0.2, 0.3, 0.5} (oracle)",
     ("sweep", glr_pass, (0.1, 0.15, 0.2, 0.3, 0.5))),
    ("ppb-refine", "GLR pilot (c=0.12, A=3), then PPB refinement: noisy GLR/h_ppb + pilot KL/h",
     glr_pilot_two_pass(ppb_refine=True)),
    ("glr-2pass", "GLR pilot (c=0.12, A=3), then the recommended pass 2", glr_pilot_two_pass()),
    ("pre-1pass*", "pass 1 alone (ln 3×3 means), A=3, best c₁ of {0.4, 0.8, 1.6, 3.2} (oracle)",
     ("sweep", pre_pass, (0.4, 0.8, 1.6, 3.2))),
    ("nl2", "the previous definition: pass 1 (ln 3×3 means, P=7, A=3) + pass 2 (ln pilot, "
     "P=5, A=3, plain squared differences, h₂ = 0.09/√L·P₂²), W=21", recommended()),
    ("nl2-agg1", "nl2 without aggregation (A₁ = A₂ = 1)", recommended(agg1=1, agg2=1)),
    ("nl2-w15", "nl2 with W=15 (112 offset pairs instead of 220)", recommended(search=15)),
    ("nl2+multi", "nl2, pass 2 averaged over P ∈ {3,5,7} with weights ENL (3× pass-2 cost)",
     recommended(multi=True)),
    ("nl2+hsel", "nl2, pass 2 with h ∈ {0.7, 1, 1.4}·h₂: per pixel the smallest h whose "
     "weights reach ENL ≥ 30 (3 exp per offset in pass 2)",
     recommended(hsel=((0.7, 1.0, 1.4), 30.0))),
    ("nl2+blend", "nl2 + Lee-type MMSE blend with the pixel in pass 2 (weighted variance)",
     recommended(blend=True)),
    ("nl2+hsel5", "nl2, pass 2 with h ∈ {0.5, 0.7, 1, 1.4, 2}·h₂, the smallest reaching ENL ≥ 30 "
     "(5 exp per offset in pass 2)", recommended(hsel=((0.5, 0.7, 1.0, 1.4, 2.0), 30.0))),
    ("nl2+var", "nl2, pass 2 compares δ²·u(q)·u(q+d), u = 1/√(2v), v = (1/ENL₁ + 1/35)/L "
     "(ENL₁ of the pilot's weights; v = 1/(35L) where pass 1 found no match), h₂ = P₂² (no "
     "extra exp: Q = Σw² in pass 1, 2 mul per position in pass 2)",
     recommended(var2=(35.0, "geo", 0.0, "strict"))),
    ("nl2+var-div", "as nl2+var with δ²/(v(q) + v(q+d)) (1 add + 1 division per position)",
     recommended(var2=(35.0, "sum", 0.0, "strict"))),
    ("nl2+var-flat", "as nl2+var with a flat top: exp(−max(D − P₂², 0)/h₂), h₂ = 0.6·P₂² "
     "(+1 sub, 1 max per offset)", recommended(var2=(35.0, "geo", 1.0, "strict"), f2=0.6)),
    ("nl2+var-flat50", "as nl2+var-flat with v = (1/ENL₁ + 1/50)/L and flat 1.25·P₂²",
     recommended(var2=(50.0, "geo", 1.25, "strict"), f2=0.6)),
    ("nl2+var-max", "as nl2+var-flat with δ²·max(u(q), u(q+d))² (the smaller variance of the "
     "two), v = (1/ENL₁ + 1/50)/L, flat 1.5·P₂², h₂ = 0.7·P₂² (**the definition**, "
     "docs/nonlocal.md §3)",
     recommended(var2=(50.0, "max", 1.5, "strict"), f2=0.7)),
    ("nl2+var-max-w25", "nl2+var-max with W = 25 in pass 2 (312 offset pairs instead of 220)",
     recommended(var2=(50.0, "max", 1.5, "strict", 25), f2=0.7)),
]


def check_reference() -> float:
    """nl_fast against the plain reference on a 40 × 40 image (reflect border)."""
    from nonlocal_reference import nonlocal_filter

    rng = np.random.default_rng(7)
    img = np.kron(rng.uniform(1, 50, (4, 4)), np.ones((10, 10))) * rng.gamma(1.0, 1.0, (40, 40))
    worst = 0.0
    for looks in (1.0, 4.0):
        # the definition's pass 2 (relative to the pilot's variance) and the plain one (nl2)
        # (the prototype's pass 1 is W = 21 at c₁ = 0.4: the defaults until 2026-11-30, now
        # W = 23, c₁ = 0.35)
        want = nonlocal_filter(img, looks, search=21, c1=0.4)
        got = recommended(var2=(50.0, "max", 1.5, "strict"), f2=0.7)(img, looks)
        worst = max(worst, float(np.max(np.abs(got - want) / np.abs(want))))
        want = nonlocal_filter(img, looks, pass2="plain")
        got = recommended()(img, looks)
        worst = max(worst, float(np.max(np.abs(got - want) / np.abs(want))))
        # nl_select's half-plane passes (the base of the nl2+var variants) at the definition
        c1, k2 = default_constants(looks)
        pilot, _ = ns.pilot_and_enl(img, h1=h1_of(looks, c1))
        got = ns.estimates(ns.pass_stats(img, pilot, hs=(k2 * 25,)))[0][0]
        worst = max(worst, float(np.max(np.abs(got - want) / np.abs(want))))
    return worst


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--looks", default="1,4")
    ap.add_argument("--images", default=",".join(q.DEFAULT_IMAGES))
    ap.add_argument("--crop", type=int, default=256, help="centre crop N × N (0 = full images)")
    ap.add_argument("--only", default="",
                    help="regular expression on the non-local candidates' names "
                    "(the anchors and classic filters always run)")
    ap.add_argument("--classic", type=int, default=2, help="best classic filters shown (default 2)")
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("--out", default=str(REPO / "target" / "nonlocal" / "nonlocal.md"))
    args = ap.parse_args(argv)
    looks_list = [float(v) for v in args.looks.split(",") if v.strip()]
    images = [v.strip() for v in args.images.split(",") if v.strip()]
    want = (lambda m: re.search(args.only, m) is not None) if args.only else (lambda m: True)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    lines = ["# Non-local filter prototype (bench/nonlocal_prototype.py)", "",
             "Command: `python3 bench/nonlocal_prototype.py "
             + " ".join(argv if argv is not None else sys.argv[1:]) + "`", "",
             f"Images: {', '.join(images)}"
             + (f" (centre {args.crop}²)" if args.crop else " (full)")
             + "; seed 0; PSNR on amplitude (peak 255) / SSIM 7 × 7; `FILTER*` = best of "
             "quality.py's sweep; µs/px = numpy prototype time (not the Rust speed).", ""]
    if not args.no_check:
        err = check_reference()
        log(f"nl_fast vs nonlocal_reference: max relative difference {err:.2e}")
        if err > 1e-9:
            log("nonlocal_prototype: the fast prototype disagrees with the reference")
            return 1
        lines += [f"Prototype vs plain reference (40², L = 1 and 4): max relative difference "
                  f"{err:.1e}.", ""]
    for looks in looks_list:
        classic = q.run_looks(looks, images, 1, args.crop, r"^(noisy|nlmeans|bm3d|[a-z_]+\*)$",
                              True, False, 0.0, log)
        named = {s.method: s for s in classic}
        anchors = [named[m] for m in ("noisy", "nlmeans", "bm3d") if m in named]
        best = sorted((s for s in classic if s.method.endswith("*") and not s.error),
                      key=lambda s: -s.mean_psnr())[:args.classic]
        truths = {n: q.centre_crop(q.clean_image(n), args.crop) for n in images}
        cases = [(n, 0, truths[n], q.speckle(truths[n], looks, 0, q.ALL_IMAGES.index(n)))
                 for n in images]
        rows, notes = [], []
        for name, desc, fn in CANDIDATES:
            if not want(name):
                continue
            if isinstance(fn, tuple):  # ("sweep", maker, values): the best c by mean PSNR
                _, maker, values = fn
                tries = [q.evaluate(name, {"c": c}, maker(c=c), cases, looks, False)
                         for c in values]
                c = max(tries, key=lambda s: s.mean_psnr()).params["c"]
                s = q.evaluate(name, {"c": c}, maker(c=c), cases, looks, True)
            else:
                s = q.evaluate(name, {}, fn, cases, looks, True)
            log(f"L={looks:g} {name:<12} PSNR {s.mean_psnr():6.2f}  SSIM {s.mean_ssim():.3f}  "
                f"{s.us_per_pixel():.1f} us/px")
            rows.append(s)
            chosen = f" (chosen c = {s.params['c']})" if s.params else ""
            notes.append(f"- `{name}`: {desc}{chosen}")
        c1, k2 = default_constants(looks)
        lines += q.table(looks, anchors + best + rows, images)
        lines += ["", f"Defaults at L = {looks:g}: c₁ = {c1:g}, k₂ = 0.09/√L = {k2:.4g}."]
        lines += notes + [""]
        write_report(args.out, lines)
    print("\n".join(lines))
    return 0


def write_report(path, lines) -> None:
    """Writes the Markdown ``lines`` to ``path`` (its folder created if missing)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
