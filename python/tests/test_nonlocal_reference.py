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
from scipy import special

import nonlocal_reference as nlr
import reference as ref
from conftest import BORDERS, NODATA


def naive_pass(x, g, margin, shape, search, patch, agg, h, f, looks, u=None, flat=0.0,
               q=None, alone=None):
    """docs/nonlocal.md §1 for one pixel at a time; x, g padded by margin, NaN = not valid.
    ``u`` (pass 2, padded like g): each f is multiplied by max(u(q), u(q+d)); ``flat``: the
    weight is exp(−max(D − flat, 0)/h). Point targets (§4), returned as they are: with ``κ``
    the pixels above ``κ`` times the weighted mean of the pixels outside their 3 × 3
    neighbourhood, or with no positive weight outside it; with ``alone`` those it marks. Returns the estimates, each pixel's u² = 1/(2v), v = (1/E + 1/E₀)/L,
    E = (M + S)²/(M² + Σw²), v = 1/(E₀·L) if M + S = 0 or at a point target, and the pixels
    returned unchanged (a point target or M + S = 0)."""
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
                    scale = 1.0 if u is None else max(u[a], u[b])
                    total += f(g[a], g[b]) * scale
                    n += 1
        if n == 0:
            return 0.0
        t = max(total * patch * patch / n - flat, 0.0) / h
        return math.exp(-t) if t <= nlr.TAU else 0.0

    out = np.empty(shape)
    u2 = np.empty(shape)
    unchanged = np.zeros(shape, bool)
    for i in range(ny):
        for j in range(nx):
            si, sj = i + margin, j + margin
            num = den = wmax = sq = 0.0
            far_num = far_den = 0.0  # outside the 3 × 3 neighbourhood
            for dy in range(-rs, rs + 1):
                for dx in range(-rs, rs + 1):
                    if (dy, dx) == (0, 0) or not valid(si + dy, sj + dx):
                        continue
                    w = sum(omega(si - jy, sj - jx, dy, dx)
                            for jy in range(-ra, ra + 1) for jx in range(-ra, ra + 1))
                    num += w * x[si + dy, sj + dx]
                    den += w
                    sq += w * w
                    wmax = max(wmax, w)
                    if max(abs(dy), abs(dx)) >= 2:
                        far_num += w * x[si + dy, sj + dx]
                        far_den += w
            z = x[si, sj]
            if alone is not None:
                target = bool(alone[i, j])
            else:
                target = q is not None and (
                    far_den == 0 or (far_num > 0 and z > q * far_num / far_den))
            if wmax + den > 0 and not target:
                enl = (wmax + den) ** 2 / (wmax ** 2 + sq)
                v = (1.0 / enl + 1.0 / nlr.E0) / looks
            else:
                v = 1.0 / (nlr.E0 * looks)
            u2[i, j] = 1.0 / (2.0 * v)
            unchanged[i, j] = target or wmax + den == 0
            if math.isnan(z):
                out[i, j] = np.nan
                continue
            num += wmax * z
            den += wmax
            out[i, j] = num / den if den > 0 and not target else z
    return out, u2, unchanged


def naive_filter(img, looks, search, patch1, agg1, patch2, agg2, border, nodata=None,
                 targets=nlr.TARGETS):
    h1 = nlr.C1 * patch1 ** 2 * 2.0 * nlr.psi1(9 * looks)
    h2 = 0.7 * patch2 ** 2
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
    # the point-target ratio from L-look speckle's tail by bisection: P(X > κ) = p
    q = None
    if targets > 0:
        lo, hi = 0.0, 1000.0
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if special.gammaincc(looks, looks * mid) > targets else (lo, mid)
        q = (lo + hi) / 2
    r1, u2, alone = naive_pass(x1, g1, m1, img.shape, search, patch1, agg1, h1, sq, looks, q=q)
    m2 = search // 2 + patch2 // 2 + agg2 // 2
    x2 = ref.padded(img, m2, border, None, nodata)
    p2 = ref.padded(r1, m2, border, None, None)
    g2 = np.where(np.isnan(x2), np.nan, np.log(np.maximum(np.nan_to_num(p2, nan=1.0), nlr.EPS)))
    g2[np.isnan(p2)] = np.nan
    # u² extended like the pilot; a constant border: E₀·L/2 (v = 1/(E₀·L))
    if border.startswith("constant"):
        u2p = np.pad(u2, m2, mode="constant", constant_values=50.0 * looks / 2.0)
    else:
        u2p = np.nan_to_num(ref.padded(u2, m2, border, None, None), nan=1.0)
    return naive_pass(x2, g2, m2, img.shape, search, patch2, agg2, h2, sq, looks, u=u2p,
                      flat=1.5 * patch2 ** 2, alone=alone if targets > 0 else None)[0]


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
@pytest.mark.parametrize("targets", [0.0, nlr.TARGETS, 0.05])
def test_reference_matches_naive_reading(border, targets):
    img = tiny_scene()
    got = nlr.nonlocal_filter(img, 1.0, search=5, patch1=3, agg1=3, patch2=3, agg2=3,
                              border=border, nodata=NODATA, targets=targets)
    want = naive_filter(img, 1.0, 5, 3, 3, 3, 3, border, nodata=NODATA, targets=targets)
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


def test_isolated_pilot_values_get_the_smallest_variance():
    """M + S = 0 (no positive weight in pass 1): v = 1/(E₀·L), u² = E₀·L/2, tested as such
    and not as E == 1; a pixel with weights gets u² < E₀·L/2."""
    assert nlr.pilot_u2(np.array(0.0), np.array(0.0), np.array(0.0), 4.0) == 100.0
    got = nlr.pilot_u2(np.array(0.5), np.array(0.5), np.array(0.25), 1.0)
    assert got == pytest.approx(0.5 / (0.5 + 0.02), rel=1e-15)     # E = 2


def test_point_target_survives_pass_two():
    """A target pass 1 leaves alone (M + S = 0) keeps its value through pass 2; the plain
    pass 2 (pilot logs compared without their variance) averages it down."""
    rng = np.random.default_rng(5)
    img = 8.0 * rng.gamma(1.0, 1.0, (24, 24))
    img[12, 12] = 12000.0
    one = nlr.nonlocal_filter(img, 1.0, search=9, passes=1)
    assert one[12, 12] == img[12, 12]
    assert nlr.nonlocal_filter(img, 1.0, search=9)[12, 12] == img[12, 12]
    assert nlr.nonlocal_filter(img, 1.0, search=9, pass2="plain")[12, 12] < 0.5 * img[12, 12]


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


def test_point_target_rule():
    """§4: a pixel 20 × its 1-look background is returned unchanged by both passes with the
    rule (κ = −ln 1e−5 = 11.5), averaged away without it; the ratio is L-look speckle's
    upper quantile."""
    assert nlr.target_ratio(1.0, 1e-5) == pytest.approx(math.log(1e5), rel=1e-12)
    assert special.gammaincc(4.0, 4.0 * nlr.target_ratio(4.0, 1e-5)) == pytest.approx(1e-5)
    assert nlr.target_ratio(1.0, 0.0) is None
    rng = np.random.default_rng(5)
    img = rng.gamma(1.0, 1.0, (40, 40))
    img[20, 20] = 20.0
    for passes in (1, 2):
        assert nlr.nonlocal_filter(img, 1.0, search=9, passes=passes)[20, 20] == 20.0
        off = nlr.nonlocal_filter(img, 1.0, search=9, passes=passes, targets=0.0)[20, 20]
        assert off < 10.0, off
