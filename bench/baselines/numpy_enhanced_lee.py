#!/usr/bin/env python3
"""numpy / scipy / numexpr Enhanced Lee, reproduced as a BENCHMARK BASELINE.

This is the users' code (a widely copied StackOverflow question, "Improving memory
usage in an array-wide filter to avoid block-processing", and its accepted answer;
see shared/user-question.txt) kept as close to the original as runs today, so that
the Rust implementation can be compared with what users actually run.

    *** It is NOT a correct Enhanced Lee filter, and must not be "fixed". ***

Its defects are kept on purpose (see docs/filters.md for the correct definition):

* ``Cmax = sqrt(1 + 2 * nlooks)`` instead of ``sqrt(1 + 2 / nlooks)`` (for 4 looks
  3.0 instead of 1.22: the "keep the pixel" branch almost never fires);
* the local standard deviation is ``sqrt(uniform((x - uniform(x))**2))``, which is
  not the window's standard deviation (each pixel is compared with the mean of
  *its own* window, not of the output pixel's window);
* a window whose mean is 0 gives 0/0 = NaN (float32 variants);
* the numexpr variant returns float64 for float32 input (``dfactor`` is a Python
  float, which numexpr treats as double).

Changes needed to run at all on numpy >= 2 / scipy >= 1.8, nothing else:

* ``dtype='Float32'`` (no longer understood by numpy) -> ``numpy.float32``;
* ``scipy.ndimage.filters.uniform_filter`` (deprecated module path) ->
  ``scipy.ndimage.uniform_filter`` (the same function).

Note on dtypes with numpy >= 2 (NEP 50 promotion): in the original ``select``
variant, ``Cu`` and ``Cmax`` are numpy.float64 scalars, which now promote the
float32 arrays they touch to float64 (under numpy 1.x value-based casting kept
them float32). So the original code, run as written today, builds float64
temporaries and returns float64; that is what this baseline measures, and the
JSON line reports ``out_dtype``. The ``putmask`` and ``numexpr`` rewrites cast
``Cu``/``Cmax`` to float32 themselves and are unaffected (except numexpr's
``dfactor``, above).

Variants (``--variant``):

``select``
    the question's original: ``moving_average`` / ``moving_stddev`` +
    ``numpy.select``.
``putmask``
    the answer's in-place numpy rewrite (``out=`` arguments, ``numpy.putmask``).
``numexpr``
    the answer's numexpr rewrite (``numexpr.evaluate`` with ``where``).
``copy``
    not a filter: ``out = numpy.empty_like(img); out[...] = img``, a fresh
    buffer copy including first-touch page faults: the numpy-side floor.

Command line (prints exactly one JSON line on stdout)::

    python3 bench/baselines/numpy_enhanced_lee.py --variant putmask \\
        --n 10000 --size 7 --looks 4 --damping 1 --seed 0

    {"case": "numpy-putmask", "size": 7, "n": 10000, "seconds": ...,
     "peak_rss_bytes": ..., "rss_before_bytes": ..., "input_bytes": ...,
     "out_dtype": "float32"}

``seconds`` times only the filter call (``time.perf_counter``).
``rss_before_bytes`` is VmRSS after the input image was built;
``peak_rss_bytes`` is VmHWM after the call. The peak is reset (``/proc/self/clear_refs``)
just before the call where the kernel allows it, so it is the peak during the
filter (input included), not during input generation. Run each case in its own
process (``bench/run.py`` does).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time

import numpy
import scipy.ndimage

VARIANTS = ("select", "putmask", "numexpr", "copy")


# ---------------------------------------------------------------------------
# Variant "select": the question's original code
# ---------------------------------------------------------------------------


def moving_average(Ic, filtsize):
    Im = numpy.empty(Ic.shape, dtype=numpy.float32)  # was dtype='Float32'
    scipy.ndimage.uniform_filter(Ic, filtsize, output=Im)
    return Im


def moving_stddev(Ic, filtsize):
    Im = numpy.empty(Ic.shape, dtype=numpy.float32)
    scipy.ndimage.uniform_filter(Ic, filtsize, output=Im)
    S = numpy.empty(Ic.shape, dtype=numpy.float32)
    scipy.ndimage.uniform_filter(((Ic - Im) ** 2), filtsize, output=S)
    return numpy.sqrt(S)


def enh_lee_select(Ic, filtsize, nlooks, dfactor):
    # Implementation based on PCI Geomatica's FELEE function documentation
    Ci = moving_stddev(Ic, filtsize) / moving_average(Ic, filtsize)  # 1st array in memory
    Cu = numpy.sqrt(1 / nlooks)  # scalar
    Cmax = numpy.sqrt(1 + (2 * nlooks))  # scalar  (defect kept: should be 2 / nlooks)
    W = numpy.exp(-dfactor * (Ci - Cu) / (Cmax - Ci))  # 2nd array in memory
    Im = moving_average(Ic, filtsize)  # 3rd array in memory
    If = Im * W + Ic * (1 - W)  # 4th array in memory
    W = None  # Back to 3 arrays in memory
    return numpy.select([Ci <= Cu, (Cu < Ci) * (Ci < Cmax), Ci >= Cmax], [Im, If, Ic])


# ---------------------------------------------------------------------------
# Variant "putmask": the answer's in-place numpy rewrite
# ---------------------------------------------------------------------------


def moving_average_inplace(Ic, filtsize):
    Im = numpy.empty(Ic.shape, dtype=numpy.float32)
    scipy.ndimage.uniform_filter(Ic, filtsize, output=Im)
    return Im


def moving_stddev_inplace(Ic, filtsize):
    Im = numpy.empty(Ic.shape, dtype=numpy.float32)
    scipy.ndimage.uniform_filter(Ic, filtsize, output=Im)
    Im *= -1
    Im += Ic
    Im **= 2
    scipy.ndimage.uniform_filter(Im, filtsize, output=Im)
    return numpy.sqrt(Im, Im)


def enh_lee_putmask(Ic, filtsize, nlooks, dfactor):
    # Implementation based on PCI Geomatica's FELEE function documentation
    Ci = moving_stddev_inplace(Ic, filtsize)
    Im = moving_average_inplace(Ic, filtsize)
    Ci /= Im

    Cu = numpy.sqrt(1 / nlooks).astype(numpy.float32)
    Cmax = numpy.sqrt(1 + (2 * nlooks)).astype(numpy.float32)

    W = Ci.copy()
    W -= Cu
    W *= -dfactor
    W /= Cmax - Ci
    W = numpy.exp(W, W)

    If = Im * W
    W *= -1
    W += 1
    W *= Ic
    If += W
    del W

    # Replace the call to numpy.select
    out = If
    filter = Ci <= Cu  # noqa: A001  (name kept from the original)
    numpy.putmask(out, filter, Im)
    del Im

    filter = Ci >= Cmax  # noqa: A001
    numpy.putmask(out, filter, Ic)
    return out


# ---------------------------------------------------------------------------
# Variant "numexpr": the answer's numexpr rewrite
# ---------------------------------------------------------------------------


def moving_average_ne(Ic, filtsize):
    Im = numpy.empty(Ic.shape, dtype=numpy.float32)
    scipy.ndimage.uniform_filter(Ic, filtsize, output=Im)
    return Im


def moving_stddev_ne(Ic, filtsize):
    import numexpr as ne

    Im = numpy.empty(Ic.shape, dtype=numpy.float32)
    scipy.ndimage.uniform_filter(Ic, filtsize, output=Im)
    Im = ne.evaluate("((Ic-Im) ** 2)")
    scipy.ndimage.uniform_filter(Im, filtsize, output=Im)
    return ne.evaluate("sqrt(Im)")


def enh_lee_numexpr(Ic, filtsize, nlooks, dfactor):
    import numexpr as ne

    # Implementation based on PCI Geomatica's FELEE function documentation
    Ci = moving_stddev_ne(Ic, filtsize)
    Im = moving_average_ne(Ic, filtsize)
    Ci /= Im

    Cu = numpy.sqrt(1 / nlooks).astype(numpy.float32)  # noqa: F841  (used by numexpr)
    Cmax = numpy.sqrt(1 + (2 * nlooks)).astype(numpy.float32)  # noqa: F841

    W = ne.evaluate("exp(-dfactor * (Ci - Cu) / (Cmax - Ci))")
    If = ne.evaluate("Im * W + Ic * (1 - W)")  # noqa: F841
    del W

    out = ne.evaluate("where(Ci <= Cu, Im, If)")
    del Im
    del If
    out = ne.evaluate("where(Ci >= Cmax, Ic, out)")
    return out


# ---------------------------------------------------------------------------
# Variant "copy": the numpy-side floor
# ---------------------------------------------------------------------------


def fresh_copy(img, filtsize=None, nlooks=None, dfactor=None):
    out = numpy.empty_like(img)
    out[...] = img
    return out


FUNCTIONS = {
    "select": enh_lee_select,
    "putmask": enh_lee_putmask,
    "numexpr": enh_lee_numexpr,
    "copy": fresh_copy,
}


def enhanced_lee(img, size, looks, damping, variant="select"):
    """Run one baseline variant (for tests and comparisons)."""
    return FUNCTIONS[variant](img, size, looks, damping)


# ---------------------------------------------------------------------------
# Synthetic input
# ---------------------------------------------------------------------------


def make_scene(n, looks, seed=0, block_rows=256, tile=250):
    """A float32 (n, n) speckled intensity scene.

    Reflectivity: piecewise-constant tiles (``tile`` pixels square) with levels
    drawn log-uniformly in [0.05, 5], times a smooth horizontal ramp
    (0.75 ... 1.25), plus a sparse grid of bright point targets (x 50).
    Speckle: gamma with shape = looks, scale = 1 / looks (mean 1), so the
    pixel's expected value is the reflectivity.

    Built in blocks of ``block_rows`` rows straight into the float32 output, so
    nothing image-sized besides the result is allocated, and nothing in float64.
    """
    rng = numpy.random.default_rng(seed)
    img = numpy.empty((n, n), dtype=numpy.float32)
    ntiles = (n + tile - 1) // tile
    levels = numpy.exp(rng.uniform(numpy.log(0.05), numpy.log(5.0), size=(ntiles, ntiles)))
    levels = levels.astype(numpy.float32)
    col_tile = numpy.arange(n) // tile
    ramp = numpy.linspace(0.75, 1.25, n, dtype=numpy.float32)
    pt_step = 97  # point targets on a sparse grid
    pt_cols = numpy.arange(pt_step // 2, n, pt_step)
    inv_looks = numpy.float32(1.0 / looks)
    for r0 in range(0, n, block_rows):
        r1 = min(n, r0 + block_rows)
        blk = img[r0:r1]
        rng.standard_gamma(looks, size=blk.shape, dtype=numpy.float32, out=blk)
        blk *= inv_looks
        # reflectivity = levels[row tile, col tile] * ramp, one tile row at a time
        a = r0
        while a < r1:
            b = min(r1, (a // tile + 1) * tile)
            refl = levels[a // tile][col_tile]
            refl *= ramp
            blk[a - r0:b - r0] *= refl
            a = b
        pt_rows = numpy.arange(r0 + (pt_step // 2 - r0) % pt_step, r1, pt_step)
        if pt_rows.size:
            blk[numpy.ix_(pt_rows - r0, pt_cols)] *= numpy.float32(50.0)
    return img


# ---------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------


def _status_bytes(key):
    """A ``kB`` field of /proc/self/status (VmRSS, VmHWM) in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{key} not in /proc/self/status")


def _reset_peak_rss():
    """Reset VmHWM to the current RSS (Linux >= 4.0); harmless if not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Time one numpy Enhanced Lee baseline variant (the users' code, "
        "defects included) and print one JSON line.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    ap.add_argument("--variant", choices=VARIANTS, required=True,
                    help="select: original; putmask: in-place numpy rewrite; "
                    "numexpr: numexpr rewrite; copy: fresh-buffer copy floor")
    ap.add_argument("--n", type=int, default=10000, help="image is n x n float32")
    ap.add_argument("--size", type=int, default=7, help="window size (odd)")
    ap.add_argument("--looks", type=float, default=4.0, help="number of looks")
    ap.add_argument("--damping", type=float, default=1.0, help="damping factor (dfactor)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the synthetic scene")
    args = ap.parse_args(argv)
    if args.n < 1 or args.size < 1 or args.looks <= 0:
        ap.error("need n >= 1, size >= 1, looks > 0")

    func = FUNCTIONS[args.variant]
    if args.variant == "numexpr":
        import numexpr  # noqa: F401  (import outside the timed region)

    img = make_scene(args.n, args.looks, args.seed)
    gc.collect()
    _reset_peak_rss()
    rss_before = _status_bytes("VmRSS")

    # errstate: the original code overflows exp() where Ci > Cmax (the branch is
    # then discarded by select/where); silence the warnings, numerics unchanged.
    with numpy.errstate(all="ignore"):
        t0 = time.perf_counter()
        out = func(img, args.size, args.looks, args.damping)
        seconds = time.perf_counter() - t0

    peak = _status_bytes("VmHWM")
    record = {
        "case": f"numpy-{args.variant}",
        "size": args.size,
        "n": args.n,
        "seconds": seconds,
        "peak_rss_bytes": peak,
        "rss_before_bytes": rss_before,
        "input_bytes": int(img.nbytes),
        "out_dtype": str(out.dtype),
    }
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
