"""despeckle.ppb (the non-local filter): the float64 reference of docs/nonlocal.md (one and
two passes), dask bit for bit, in place, and its parameters from the registry."""

from __future__ import annotations

import numpy as np
import pytest

import despeckle
from conftest import NODATA, scene

SMALL = dict(search=7, patch=3, aggregation=3, presmooth=3, patch2=3)


def _atol(img, ok):
    """1e-6 of the mean absolute valid value: pass 2's output in zero areas is a zero averaged
    with vanishing weights exp(−D/h), D near the cut-off made of (ln ε − ln x)² ≈ 7600 terms
    whose float32 sums carry ≈ 1e-3 absolute error: relative errors of that order on values
    1e-4 … 1e-11 of the image's level (crates/despeckle/tests/ppb.rs, `check`)."""
    return 1e-6 * float(np.abs(img[ok]).mean())


@pytest.mark.parametrize("passes", [1, 2])
@pytest.mark.parametrize("border", ["reflect", "mirror", "nearest", "wrap", "constant:0.5",
                                    "shrink"])
@pytest.mark.parametrize("targets", [1e-5, 0.0, 0.05])
def test_matches_the_nonlocal_reference(border, passes, targets):
    """python/tests/nonlocal_reference.py (one pass: the pilot; two: nl2), to 1e-4 relative
    (float32 maths); the point-target rule at its default, off, and at p = 0.05 (q = 3.0: it
    fires on many pixels)."""
    nlr = pytest.importorskip("nonlocal_reference")
    img = scene((21, 26), dtype=np.float64, looks=1.0, seed=3, nodata=NODATA)
    got = despeckle.ppb(img, looks=1.0, border=border, nodata=NODATA, passes=passes,
                        targets=targets, **SMALL)
    want = nlr.nonlocal_filter(img, 1.0, search=7, patch1=3, agg1=3, presmooth=3, patch2=3,
                               agg2=3, passes=passes, border=border, nodata=NODATA,
                               targets=targets)
    ok = np.isfinite(img) & (img != NODATA)
    np.testing.assert_allclose(got[ok], want[ok], rtol=1e-4, atol=_atol(img, ok))
    assert np.array_equal(got[~ok], img[~ok], equal_nan=True)
    if targets == 0.05:
        assert np.sum((got == img) & ok) > 10


@pytest.mark.parametrize("passes", [1, 2])
def test_clusters_match_the_reference_and_are_kept(passes):
    """The point-target rule against the mean outside the 3 × 3 neighbourhood (§4): a 2 × 2
    cluster at 30 × its background and one at 1000 × (no similar pixel outside their
    neighbourhoods) are returned unchanged, as the reference says."""
    nlr = pytest.importorskip("nonlocal_reference")
    rng = np.random.default_rng(8)
    img = rng.gamma(1.0, 1.0, (32, 34))
    img[6:8, 6:8] = 30.0
    img[20:22, 22:24] = 1000.0
    got = despeckle.ppb(img, looks=1.0, passes=passes, **SMALL)
    want = nlr.nonlocal_filter(img, 1.0, search=7, patch1=3, agg1=3, presmooth=3, patch2=3,
                               agg2=3, passes=passes)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    for block in ((slice(6, 8), slice(6, 8)), (slice(20, 22), slice(22, 24))):
        assert np.array_equal(got[block], img[block])


@pytest.mark.parametrize("looks", [1.0, 4.0])
def test_two_passes_with_the_defaults_match_the_definition(looks):
    """The defaults are the reference's definition (W = 23, P₁ = 7, P₂ = 5, c₁ = 0.35; pass 2
    relative to the pilot's variance, h₂ = 0.7·P₂²)."""
    nlr = pytest.importorskip("nonlocal_reference")
    img = scene((40, 34), dtype=np.float64, looks=looks, seed=4, nodata=NODATA)
    got = despeckle.ppb(img, looks=looks, nodata=NODATA)
    want = nlr.nonlocal_filter(img, looks, nodata=NODATA)
    ok = np.isfinite(img) & (img != NODATA)
    np.testing.assert_allclose(got[ok], want[ok], rtol=1e-4, atol=_atol(img, ok))


@pytest.mark.parametrize("passes", [1, 2])
@pytest.mark.parametrize("scale", [1e35, 2e37, 1e-20])
def test_large_and_small_float32_values_follow_the_reference(passes, scale):
    """float32 speckle scaled towards the top of the type's range (where the f32 sums of
    weighted differences overflowed to ∞ or NaN before the values were divided by 2^k) and
    towards its bottom: finite, and the reference's output times the scale (the definition
    is homogeneous: the guides are logs) to 1e-4 relative — with a target at the type's
    largest value in the large cases (docs/filters.md, "Numeric range")."""
    nlr = pytest.importorskip("nonlocal_reference")
    rng = np.random.default_rng(11)
    base = rng.gamma(1.0, 1.0, (30, 33))
    img = (base * scale).astype(np.float32)
    if scale > 1:
        img[12, 15] = np.finfo(np.float32).max
    got = despeckle.ppb(img, looks=1.0, passes=passes, **SMALL)
    assert got.dtype == np.float32 and np.isfinite(got).all()
    want = nlr.nonlocal_filter(img.astype(np.float64), 1.0, search=7, patch1=3, agg1=3,
                               presmooth=3, patch2=3, agg2=3, passes=passes)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6 * scale)


def test_dask_is_bit_identical_and_in_place_too():
    da = pytest.importorskip("dask.array")
    import despeckle.dask as dd

    img = scene((90, 150), looks=1.0, seed=5, nodata=NODATA)
    for params in (dict(SMALL, passes=1), SMALL, {}):
        want = despeckle.ppb(img, looks=1.0, nodata=NODATA, **params)
        for chunks in ((37, 53), (32, 128), (90, 150)):
            got = dd.ppb(da.from_array(img, chunks=chunks), looks=1.0, nodata=NODATA,
                         **params).compute(scheduler="threads")
            assert np.array_equal(got.view(np.uint32), want.view(np.uint32)), (params, chunks)
        inplace = img.copy()
        despeckle.ppb(inplace, looks=1.0, nodata=NODATA, out=inplace, **params)
        assert np.array_equal(inplace.view(np.uint32), want.view(np.uint32))


def test_flat_area_is_smoothed_far_more_than_by_enhanced_lee():
    rng = np.random.default_rng(1)
    img = rng.gamma(1.0, 1.0, (64, 64)).astype(np.float32)
    nl = despeckle.ppb(img, looks=1.0)[8:-8, 8:-8]
    el = despeckle.enhanced_lee(img, looks=1.0)[8:-8, 8:-8]
    enl = lambda a: a.mean() ** 2 / a.var()  # noqa: E731
    assert enl(nl) > 3 * enl(el), (enl(nl), enl(el))


def test_bad_parameters_are_refused_with_the_parameter_named():
    img = np.ones((8, 8), np.float32)
    with pytest.raises(ValueError, match="patch"):
        despeckle.ppb(img, looks=1.0, patch=4)
    with pytest.raises(ValueError, match="search"):
        despeckle.ppb(img, looks=1.0, search=1)
    with pytest.raises(ValueError, match="passes"):
        despeckle.ppb(img, looks=1.0, passes=3)
    with pytest.raises(ValueError, match="patch2"):
        despeckle.ppb(img, looks=1.0, patch2=2)
    assert "ppb" in despeckle.FILTERS
