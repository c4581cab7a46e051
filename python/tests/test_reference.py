"""Every exposed filter against the independent float64 reference (tests/reference.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import despeckle
import reference as ref
from conftest import BORDERS, NODATA, assert_matches, scene

DTYPES = (np.float32, np.float64)
SIZES = (3, 5, 7, 9, 11, 15)


def el_scale(img, mu):
    """|μ| + |z|: the scale of the documented tolerance."""
    return np.abs(mu) + np.abs(img.astype(np.float64))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("size", SIZES)
def test_enhanced_lee(dtype, border, size):
    img = scene((37, 45), dtype, seed=size, nodata=NODATA)
    out = despeckle.enhanced_lee(img, size=size, looks=4.0, border=border, nodata=NODATA)
    want, mu = ref.enhanced_lee(img, size=size, looks=4.0, border=border, nodata=NODATA)
    assert_matches(out, want, el_scale(img, mu), dtype, f"enhanced_lee {border} {size}")
    # no-data pixels are kept as they were, bit for bit
    bad = ~np.isfinite(img) | (img == NODATA)
    np.testing.assert_array_equal(out[bad], img[bad])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize(
    "params",
    [
        dict(looks=1.0),
        dict(looks=4.4, damping=0.0),
        dict(looks=2.0, damping=3.0),
        dict(looks=10.0, domain="amplitude"),
        dict(looks=3.0, domain="amplitude", ddof=1),
        dict(looks=4.0, cmax=1.6),
        dict(looks=0.7, ddof=1, cmax=5.0),
    ],
    ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()),
)
def test_enhanced_lee_parameters(dtype, params):
    img = scene((41, 53), dtype, seed=7, looks=params["looks"])
    if params.get("domain") == "amplitude":
        img = np.sqrt(img)
    out = despeckle.enhanced_lee(img, size=7, **params)
    want, mu = ref.enhanced_lee(img, size=7, **params)
    assert_matches(out, want, el_scale(img, mu), dtype, str(params))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("size", (3, 7, 15))
def test_mean(dtype, border, size):
    img = scene((33, 40), dtype, seed=100 + size, nodata=NODATA)
    out = despeckle.mean(img, size=size, border=border, nodata=NODATA)
    want, mu = ref.mean(img, size=size, border=border, nodata=NODATA)
    assert_matches(out, want, np.abs(mu) + np.abs(img.astype(np.float64)), dtype,
                   f"mean {border} {size}")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("size,ddof", [(3, 0), (7, 1), (13, 0)])
def test_local_stats(dtype, border, size, ddof):
    img = scene((35, 38), dtype, seed=200 + size, nodata=NODATA)
    kw = dict(size=size, border=border, nodata=NODATA, ddof=ddof)
    m, v = despeckle.local_stats(img, **kw)
    s, cv = despeckle.local_stats(img, stat=("std", "cv"), **kw)
    assert despeckle.local_stats(img, stat="variance", **kw).dtype == dtype
    tol_f = 1e-9 if dtype == np.float64 else 2e-5
    for name, got in (("mean", m), ("variance", v), ("std", s), ("cv", cv)):
        want, mu, var = ref.local_stats(img, name, **kw)
        z = np.abs(img.astype(np.float64))
        if name == "mean":
            scale = np.abs(mu) + z
        elif name == "variance":
            scale = mu * mu + var + z * z
        else:
            # sqrt of a variance computed with a bounded rounding error (≤ 1e-12·(μ² + σ²)):
            # an absolute error up to √(1e-12·(μ² + σ²)) where σ ≈ 0.
            scale = np.abs(mu) + np.sqrt(var) + z + 2e-6 / tol_f * np.sqrt(mu * mu + var)
            if name == "cv":
                with np.errstate(all="ignore"):
                    scale = np.where(mu > 0, scale / mu, 1.0)
        assert_matches(got, want, scale, dtype, f"{name} {border} {size}")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [(1, 1), (1, 6), (6, 1), (2, 2), (3, 17), (17, 4), (5, 5)])
def test_tiny_images_every_border(dtype, shape):
    """Windows larger than the image: the border extension repeats (or is cut)."""
    img = scene(shape, dtype, seed=sum(shape), nan=False)
    for border, size in itertools.product(BORDERS, (3, 7, 15)):
        out = despeckle.enhanced_lee(img, size=size, looks=2.0, border=border)
        want, mu = ref.enhanced_lee(img, size=size, looks=2.0, border=border)
        assert_matches(out, want, el_scale(img, mu), dtype, f"{shape} {border} {size}")
        m = despeckle.mean(img, size=size, border=border)
        want, mu = ref.mean(img, size=size, border=border)
        assert_matches(m, want, np.abs(mu) + 1.0, dtype, f"mean {shape} {border} {size}")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_zero_and_nodata_areas_give_no_nan(dtype):
    img = np.zeros((30, 30), dtype)
    img[10:20, 10:20] = np.random.default_rng(1).gamma(4, 0.25, (10, 10))
    out = despeckle.enhanced_lee(img, size=7)
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out[:3, :3], 0)  # an all-zero window: the mean, 0
    m, v = despeckle.local_stats(img, stat=("mean", "cv"))
    assert np.isfinite(m).all() and np.isfinite(v).all()
    # all no-data: every pixel stays as it was
    nd = np.full((9, 9), NODATA, dtype)
    np.testing.assert_array_equal(despeckle.enhanced_lee(nd, nodata=NODATA), nd)
    allnan = np.full((5, 4), np.nan, dtype)
    assert np.isnan(despeckle.enhanced_lee(allnan)).all()
    # ±inf is no-data too, and is kept
    img2 = scene((20, 20), dtype, nan=False)
    img2[5, 5], img2[6, 6] = np.inf, -np.inf
    out2 = despeckle.enhanced_lee(img2, size=5)
    assert out2[5, 5] == np.inf and out2[6, 6] == -np.inf
    assert np.isfinite(np.delete(out2.ravel(), [5 * 20 + 5, 6 * 20 + 6])).all()


def test_cval_keyword_equals_colon_form():
    img = scene((25, 31), np.float64)
    a = despeckle.enhanced_lee(img, border="constant", cval=0.5)
    b = despeckle.enhanced_lee(img, border="constant:0.5")
    np.testing.assert_array_equal(a, b)
    c = despeckle.mean(img, border="constant")  # cval defaults to 0, as in scipy
    want, mu = ref.mean(img, border="constant", cval=0.0)
    assert_matches(c, want, np.abs(mu) + 1, np.float64)


def test_nodata_compared_in_the_image_dtype():
    """A float64 no-data value that float32 cannot hold exactly still matches."""
    img = scene((20, 20), np.float32, nan=False)
    nd = 0.1  # float32(0.1) != 0.1
    img[3, 4] = nd
    out = despeckle.enhanced_lee(img, size=5, nodata=nd)
    assert out[3, 4] == np.float32(nd)
    want, mu = ref.enhanced_lee(img, size=5, nodata=nd)
    assert_matches(out, want, el_scale(img, mu), np.float32)


def test_large_offset_float32_variance():
    """Values ≈ 1e6 with σ ≈ 1: the documented bound |σ² − exact| ≤ 1e-12·(μ² + σ²) holds
    (plus float32 rounding of the output)."""
    rng = np.random.default_rng(5)
    img = (1e6 + rng.normal(0, 1, (64, 300))).astype(np.float32)
    v = despeckle.local_stats(img, size=7, stat="variance")
    # two-pass reference (the one-pass Σx² − μΣx of reference.py cancels catastrophically here)
    p = np.pad(img.astype(np.float64), 3, mode="symmetric")
    w = np.lib.stride_tricks.sliding_window_view(p, (7, 7))
    mu = w.mean(axis=(-2, -1))
    want = ((w - mu[..., None, None]) ** 2).mean(axis=(-2, -1))
    err = np.abs(v.astype(np.float64) - want)
    assert (err <= 1e-12 * (mu * mu + want) + 1e-7 * want).all(), err.max()
    assert want.min() > 0.1
