"""The non-local filter's float64 reference (nonlocal_reference.py) checked on its own.

The reference is the oracle for the compiled filter, so it is checked here against a second,
deliberately naive reading of docs/nonlocal.md (one pixel, one offset, one patch position at a
time, plain Python loops) on tiny images, and for the behaviour the definition promises.
Tolerance 1e-12 relative: both are float64 and sum the same terms in different orders.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import nonlocal_reference as nlr
import reference as ref
from conftest import BORDERS, NODATA


def naive_pass(x, g, margin, shape, search, patch, agg, h, f):
    """docs/nonlocal.md §1 for one pixel at a time; x, g padded by margin, NaN = not valid."""
    rs, rp, ra = search // 2, patch // 2, agg // 2
    ny, nx = shape

    def valid(p, q):
        return not (math.isnan(x[p, q]) or math.isnan(g[p, q]))

    def omega(uy, ux, dy, dx):  # the pair weight of the patches centred on u and u + d
        total, n = 0.0, 0
        for ky in range(-rp, rp + 1):
            for kx in range(-rp, rp + 1):
                a, b = (uy + ky, ux + kx), (uy + ky + dy, ux + kx + dx)
                if valid(*a) and valid(*b):
                    total += f(g[a], g[b])
                    n += 1
        if n == 0:
            return 0.0
        t = total * patch * patch / n / h
        return math.exp(-t) if t <= nlr.TAU else 0.0

    out = np.empty(shape)
    for i in range(ny):
        for j in range(nx):
            si, sj = i + margin, j + margin
            num = den = wmax = 0.0
            for dy in range(-rs, rs + 1):
                for dx in range(-rs, rs + 1):
                    if (dy, dx) == (0, 0) or not valid(si + dy, sj + dx):
                        continue
                    w = sum(omega(si - jy, sj - jx, dy, dx)
                            for jy in range(-ra, ra + 1) for jx in range(-ra, ra + 1))
                    num += w * x[si + dy, sj + dx]
                    den += w
                    wmax = max(wmax, w)
            z = x[si, sj]
            if math.isnan(z):
                out[i, j] = np.nan
                continue
            num += wmax * z
            den += wmax
            out[i, j] = num / den if den > 0 else z
    return out


def naive_filter(img, looks, search, patch1, agg1, patch2, agg2, border, nodata=None):
    c1, k2 = nlr.default_constants(looks)
    h1 = c1 * patch1 ** 2 * 2.0 * nlr.psi1(9 * looks)
    h2 = k2 * patch2 ** 2
    sq = lambda a, b: (a - b) ** 2  # noqa: E731
    lg = lambda v: math.log(max(v, nlr.EPS))  # noqa: E731
    m1 = search // 2 + patch1 // 2 + agg1 // 2
    xb = ref.padded(img, m1 + 1, border, None, nodata)
    x1 = xb[1:-1, 1:-1]
    g1 = np.full(x1.shape, np.nan)
    for p in range(x1.shape[0]):
        for q in range(x1.shape[1]):
            vals = [v for v in xb[p:p + 3, q:q + 3].ravel() if not math.isnan(v)]
            if not math.isnan(x1[p, q]):
                g1[p, q] = lg(sum(vals) / len(vals))
    r1 = naive_pass(x1, g1, m1, img.shape, search, patch1, agg1, h1, sq)
    m2 = search // 2 + patch2 // 2 + agg2 // 2
    x2 = ref.padded(img, m2, border, None, nodata)
    p2 = ref.padded(r1, m2, border, None, None)
    g2 = np.where(np.isnan(x2), np.nan, np.log(np.maximum(np.nan_to_num(p2, nan=1.0), nlr.EPS)))
    g2[np.isnan(p2)] = np.nan
    return naive_pass(x2, g2, m2, img.shape, search, patch2, agg2, h2, sq)


def tiny_scene(seed=3, shape=(7, 8)):
    rng = np.random.default_rng(seed)
    img = np.where(np.arange(shape[1])[None, :] < shape[1] // 2, 4.0, 0.5)
    img = img * rng.gamma(1.0, 1.0, shape)
    img[2, 5] *= 60.0     # point target
    img[5, 1] = 0.0       # zero
    img[0, 0] = np.nan    # no-data (NaN)
    img[4, 6] = NODATA    # no-data (value)
    return img


@pytest.mark.parametrize("border", ["reflect", "nearest", "constant:0.5", "shrink"])
def test_reference_matches_naive_reading(border):
    img = tiny_scene()
    got = nlr.nonlocal_filter(img, 1.0, search=5, patch1=3, agg1=3, patch2=3, agg2=3,
                              border=border, nodata=NODATA)
    want = naive_filter(img, 1.0, 5, 3, 3, 3, 3, border, nodata=NODATA)
    want = ref.keep_nodata(np.where(np.isnan(want), 0.0, want), img, NODATA)
    ok = np.isfinite(img) & (img != NODATA)
    np.testing.assert_allclose(got[ok], want[ok], rtol=1e-12, atol=0.0)
    assert np.isnan(got[0, 0]) and got[4, 6] == NODATA


def test_constant_image_is_unchanged():
    img = np.full((12, 13), 3.25)
    np.testing.assert_allclose(nlr.nonlocal_filter(img, 4.0, search=7), img, rtol=1e-15)


@pytest.mark.parametrize("border", BORDERS)
def test_finite_for_every_border_and_tiny_images(border):
    rng = np.random.default_rng(1)
    img = rng.gamma(1.0, 1.0, (5, 4)) * 10.0
    img[1, 1] = 0.0
    out = nlr.nonlocal_filter(img, 1.0, search=11, border=border)  # window > image
    assert np.all(np.isfinite(out))
    assert np.all(out >= 0.0) and np.all(out <= img.max())


def test_flat_area_smoothed_and_point_target_kept():
    rng = np.random.default_rng(2)
    truth = np.full((24, 24), 1.0)
    truth[12, 12] = 400.0
    img = truth * rng.gamma(4.0, 0.25, truth.shape)
    out = nlr.nonlocal_filter(img, 4.0, search=9)
    flat = np.ones_like(truth, bool)
    flat[8:17, 8:17] = False
    enl = out[flat].mean() ** 2 / out[flat].var()
    assert enl > 40.0                             # the input's ENL is 4
    assert out[12, 12] > 0.5 * img[12, 12]        # the target is not averaged away
