"""The filter family (Lee, Kuan, Gamma MAP, Frost, Enhanced Frost, median, Refined Lee,
Lee Sigma, IDAN) and the image-wide estimates, against the independent float64 references of
tests/reference.py."""

from __future__ import annotations

import numpy as np
import pytest

import despeckle
import reference as ref
from conftest import BORDERS, NODATA, assert_matches, scene

DTYPES = (np.float32, np.float64)
dtypes = pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)


def scale_of(img, mu=None):
    z = np.abs(img.astype(np.float64))
    return z + (np.abs(mu) if mu is not None else z) + 1e-30


# -- functions of the window statistics and weighted windows: every border mode --------------

STAT_CASES = {
    "lee": (despeckle.lee, ref.lee, dict(looks=3.0)),
    "lee-amplitude-ddof1": (despeckle.lee, ref.lee, dict(looks=2.0, domain="amplitude", ddof=1)),
    "kuan": (despeckle.kuan, ref.kuan, dict(looks=4.4)),
    "kuan-ddof1": (despeckle.kuan, ref.kuan, dict(looks=1.0, ddof=1)),
    "gamma_map": (despeckle.gamma_map, ref.gamma_map, dict(looks=3.0)),
    "gamma_map-L1": (despeckle.gamma_map, ref.gamma_map, dict(looks=1.0, ddof=1)),
    "frost": (despeckle.frost, ref.frost, dict()),
    "frost-chebyshev": (despeckle.frost, ref.frost, dict(damping=0.1, distance="chebyshev")),
    "enhanced_frost": (despeckle.enhanced_frost, ref.enhanced_frost, dict(looks=3.0)),
    "enhanced_frost-cheb": (despeckle.enhanced_frost, ref.enhanced_frost,
                            dict(looks=2.0, damping=2.0, distance="chebyshev", ddof=1)),
}


@dtypes
@pytest.mark.parametrize("case", STAT_CASES)
@pytest.mark.parametrize("size", (3, 7, 11))
def test_window_statistics_filters(dtype, case, size):
    func, reference, kw = STAT_CASES[case]
    img = scene((31, 40), dtype, seed=size, nodata=NODATA)
    for border in BORDERS:
        got = func(img, size=size, border=border, nodata=NODATA, **kw)
        want, mu = reference(img, size=size, border=border, nodata=NODATA, **kw)
        assert_matches(got, want, scale_of(img, mu), dtype, f"{case} {border} {size}")


@dtypes
@pytest.mark.parametrize("size", (3, 5, 9))
def test_median(dtype, size):
    img = scene((30, 33), dtype, seed=size, nodata=NODATA)
    for border in BORDERS:
        got = despeckle.median(img, size=size, border=border, nodata=NODATA)
        want = ref.median(img, size=size, border=border, nodata=NODATA)
        assert_matches(got, want, scale_of(img, want), dtype, f"median {border} {size}")


# -- the neighbourhood filters (per-pixel references: small images) ----------------------------


def mostly_matches(got, want, scale, dtype, what, budget):
    """float64: as assert_matches. float32: a discrete decision (a pixel in or out of a range)
    taken in float32 lanes may flip for values within float32 rounding of a threshold, so a
    few pixels (≤ budget) may differ more."""
    if dtype == np.float64 or budget == 0:
        return assert_matches(got, want, scale, dtype, what)
    g = got.astype(np.float64)
    close = np.isclose(g, want, rtol=0, atol=0) | (np.abs(g - want) <= 2e-5 * scale)
    close |= np.isnan(g) & np.isnan(want)
    assert (~close).sum() <= budget, f"{what}: {(~close).sum()} pixels differ"


@dtypes
@pytest.mark.parametrize("size", (5, 7, 9))
def test_refined_lee(dtype, size):
    # float64 images with float32 values: sub-window sums are then exact in both the filter and
    # the reference, so exact ties between sub-windows (e.g. a reflected edge next to a zero
    # area) are ties in both and take the documented side; with arbitrary float64 values the
    # rounding of each implementation's sums would break such ties differently.
    img = scene((26, 29), np.float32, seed=40 + size, nodata=NODATA).astype(dtype)
    for border in ("reflect", "nearest", "wrap", "shrink", "constant:nan"):
        for looks in (None, 3.0):
            got = despeckle.refined_lee(img, size=size, looks=looks, border=border,
                                        nodata=NODATA, ddof=1)
            want = ref.refined_lee(img, size=size, looks=looks, border=border, nodata=NODATA,
                                   ddof=1)
            assert_matches(got, want, scale_of(img, want), dtype,
                           f"refined_lee {border} {size} looks={looks}")


@dtypes
@pytest.mark.parametrize("params", [
    dict(size=7, looks=2.0),
    dict(size=5, looks=1.0, sigma=0.7, ddof=1),
    dict(size=9, looks=4.0, target_window=5, min_cluster=8),
    dict(size=7, looks=3.0, domain="amplitude", sigma=0.8),
    dict(size=7, looks=2.0, z98=float("inf")),
], ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()))
def test_lee_sigma(dtype, params):
    img = scene((27, 31), dtype, seed=50, looks=params["looks"], nodata=NODATA)
    if params.get("domain") == "amplitude":
        img = np.where(img > 0, np.sqrt(np.abs(img)), img).astype(dtype)
    img[10:13, 12:15] = img[10:13, 12:15] * 40  # a point-target cluster
    for border in ("reflect", "mirror", "shrink"):
        got = despeckle.lee_sigma(img, border=border, nodata=NODATA, **params)
        want = ref.lee_sigma(img, border=border, nodata=NODATA, **params)
        mostly_matches(got, want, scale_of(img, want), dtype, f"lee_sigma {border} {params}",
                       budget=3)


@dtypes
@pytest.mark.parametrize("params", [
    dict(size=7, looks=2.0),
    dict(size=9, looks=4.0, region=20, ddof=1),
    dict(size=5, looks=1.0, domain="amplitude"),
], ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()))
def test_idan(dtype, params):
    img = scene((22, 25), dtype, seed=60, looks=params["looks"], nodata=NODATA)
    for border in ("reflect", "wrap", "shrink"):
        got = despeckle.idan(img, border=border, nodata=NODATA, **params)
        want = ref.idan(img, border=border, nodata=NODATA, **params)
        mostly_matches(got, want, scale_of(img, want), dtype, f"idan {border} {params}",
                       budget=3)


# -- image-wide estimates -------------------------------------------------------------------


@dtypes
def test_quantile_is_exact(dtype):
    img = scene((70, 90), dtype, seed=70, nodata=NODATA)
    valid = img[np.isfinite(img) & (img != NODATA)].astype(np.float64)
    for q in (0.0, 0.02, 0.5, 0.98, 1.0):
        want = np.sort(valid)[max(0, int(np.ceil(q * valid.size)) - 1)]
        assert despeckle.quantile(img, q, nodata=NODATA) == want
    stack = np.stack([img, img * 2])
    np.testing.assert_array_equal(despeckle.quantile(stack, 0.98, nodata=NODATA),
                                  [despeckle.quantile(b, 0.98, nodata=NODATA) for b in stack])
    assert np.isnan(despeckle.quantile(np.full((4, 4), np.nan, dtype), 0.5))


@pytest.mark.parametrize("looks", (1.0, 3.0, 8.0))
def test_enl_estimate_on_speckle(looks):
    rng = np.random.default_rng(int(looks))
    img = (rng.gamma(looks, 1.0 / looks, (360, 360)) * 2.5).astype(np.float32)
    img[100:200, 100:200] *= np.float32(7.0)  # a brighter area: its edges are heterogeneous
    est = despeckle.estimate_enl(img)
    assert abs(est - looks) < 0.05 * looks, est
    amp = np.sqrt(img)
    assert abs(despeckle.estimate_enl(amp, domain="amplitude") - est) < 1e-6 * est
    with pytest.raises(ValueError, match="block"):
        despeckle.estimate_enl(np.full((8, 8), 1.0, np.float32))


def test_looks_auto_is_the_estimate():
    img = scene((90, 99), np.float32, seed=80, looks=3.0)
    enl = despeckle.estimate_enl(img)
    for name in ("enhanced_lee", "lee", "kuan", "gamma_map", "enhanced_frost", "refined_lee",
                 "idan"):
        func = getattr(despeckle, name)
        np.testing.assert_array_equal(func(img, looks="auto"), func(img, looks=enl),
                                      err_msg=name)
    z98 = despeckle.quantile(img, 0.98)
    np.testing.assert_array_equal(despeckle.lee_sigma(img, looks="auto"),
                                  despeckle.lee_sigma(img, looks=enl, z98=z98))
    # 3-D: one estimate per band
    stack = np.stack([img, scene((90, 99), np.float32, seed=81, looks=8.0)])
    enls = despeckle.estimate_enl(stack)
    out = despeckle.lee(stack, looks="auto")
    for b in range(2):
        np.testing.assert_array_equal(out[b], despeckle.lee(stack[b], looks=enls[b]))


def test_family_errors():
    img = scene((20, 20), np.float32)
    out = np.zeros_like(img)
    cases = [
        (despeckle.refined_lee, dict(size=3), ValueError, "5, 7, 9"),
        (despeckle.refined_lee, dict(size=19), ValueError, "17"),
        (despeckle.lee_sigma, dict(size=3), ValueError, "at least 5"),
        (despeckle.lee_sigma, dict(sigma=1.5), ValueError, "sigma"),
        (despeckle.lee_sigma, dict(target_window=4), ValueError, "3 or 5"),
        (despeckle.lee_sigma, dict(min_cluster=0), ValueError, "min_cluster"),
        (despeckle.lee_sigma, dict(z98=float("nan")), ValueError, "z98"),
        (despeckle.idan, dict(region=0), ValueError, "region"),
        (despeckle.frost, dict(distance="manhattan"), ValueError, "euclidean or chebyshev"),
        (despeckle.frost, dict(damping=-1.0), ValueError, "damping"),
        (despeckle.enhanced_frost, dict(cmax=0.1), ValueError, "cmax"),
        (despeckle.lee, dict(looks="autox"), ValueError, "looks"),
        (despeckle.lee, dict(looks=[1]), TypeError, "looks"),
        (despeckle.gamma_map, dict(looks=0.0), ValueError, "looks"),
        # no 9 × 9 block of valid pixels: the looks cannot be estimated
        (despeckle.lee, dict(looks="auto", nodata=float(img[0, 0]), size=3), None, None),
    ]
    for func, kw, exc, fragment in cases[:-1]:
        before = out.copy()
        with pytest.raises(exc, match=fragment):
            func(img, out=out, **kw)
        np.testing.assert_array_equal(out, before)
    tiny = np.ones((6, 6), np.float32)
    with pytest.raises(ValueError, match="block"):
        despeckle.lee(tiny, looks="auto", out=tiny)
    np.testing.assert_array_equal(tiny, 1.0)  # nothing written
