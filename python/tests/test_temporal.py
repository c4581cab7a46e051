"""despeckle.temporal.quegan against a plain numpy float64 reference; in place, dask
(bit-identical to in memory) and xarray (dims, coords and attrs kept)."""

import numpy as np
import pytest

import despeckle
from despeckle.temporal import quegan


def box_mean(img, size, valid):
    """Boxcar mean of the valid pixels of every window, reflect border (numpy "symmetric")."""
    h = size // 2
    H, W = img.shape
    v = np.pad(np.where(valid, img, 0.0), h, mode="symmetric")
    m = np.pad(valid.astype(float), h, mode="symmetric")
    s = np.zeros((H, W))
    n = np.zeros((H, W))
    for dy in range(size):
        for dx in range(size):
            s += v[dy:dy + H, dx:dx + W]
            n += m[dy:dy + H, dx:dx + W]
    with np.errstate(invalid="ignore", divide="ignore"):
        return s / n


def reference(stack, size, means=None, nodata=None):
    """J_k = E_k / N_u · Σ_{usable} I_i / E_i (docs/filters.md), in float64."""
    x = stack.astype(np.float64)
    valid = np.isfinite(x) if nodata is None else np.isfinite(x) & (x != nodata)
    e = np.stack([box_mean(x[i], size, valid[i]) for i in range(len(x))]) if means is None \
        else means
    usable = valid & np.isfinite(e) & (e > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(usable, x / np.where(usable, e, 1.0), 0.0)
    n_u = usable.sum(axis=0)
    s = ratio.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        j = np.where(usable, e * (s / np.maximum(n_u, 1)), e)
    j = np.where(valid, j, x)
    sup = np.where(n_u > 0, s / np.maximum(n_u, 1), np.nan)
    return j, sup


def make_stack(t=4, h=33, w=29, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    level = np.where(np.arange(w) < w // 2, 1.0, 5.0)[None, None, :]
    x = level * rng.gamma(2.0, 0.5, size=(t, h, w))
    for k in range(t):
        x[k].flat[k::37] = np.nan      # no-data of its own in every date
    x[1, 3:10, 4:12] = 0.0             # a zero-filled area in one date: mean 0 there
    return x.astype(dtype)


def test_boxcar_matches_the_float64_reference():
    x = make_stack()
    got = quegan(x, size=5)
    want, _ = reference(x, 5)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14, equal_nan=True)
    assert got.dtype == np.float64 and got.shape == x.shape


def test_float32_and_nodata_value():
    x = make_stack(dtype=np.float32, seed=3)
    x[2, ::5, ::3] = -1.0
    got = quegan(x, size=3, nodata=-1.0)
    assert got.dtype == np.float32
    want, _ = reference(x, 3, nodata=-1.0)
    # the float64 result rounded once to float32
    np.testing.assert_allclose(got, want.astype(np.float32), rtol=2e-7, equal_nan=True)
    assert np.all(got[2, ::5, ::3] == -1.0)


def test_any_registry_filter_is_the_local_mean():
    x = make_stack(seed=5)
    got = quegan(x, filter="lee", looks=2.0, size=5)
    means = np.stack([despeckle.lee(x[i], size=5, looks=2.0) for i in range(len(x))])
    want, _ = reference(x, 5, means=means)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14, equal_nan=True)


def test_super_image_and_in_place():
    x = make_stack(seed=7)
    dates, sup = quegan(x, size=5, super_image="ratio")
    want, want_sup = reference(x, 5)
    np.testing.assert_allclose(dates, want, rtol=1e-12, atol=1e-14, equal_nan=True)
    np.testing.assert_allclose(sup, want_sup, rtol=1e-12, equal_nan=True)
    y = x.copy()
    res = quegan(y, size=5, out=y)
    assert res is y
    np.testing.assert_array_equal(y.view(np.uint64), quegan(x, size=5).view(np.uint64))


def test_errors():
    x = make_stack()
    with pytest.raises(ValueError, match="t, y, x"):
        quegan(x[0])
    with pytest.raises(TypeError, match="out must be"):
        quegan(x, out=np.empty_like(x))
    with pytest.raises(TypeError, match="float32"):
        quegan(x.astype(np.int16))
    with pytest.raises(ValueError, match="auto"):
        quegan(x, filter="lee", looks="auto")
    with pytest.raises(ValueError, match="super image"):
        quegan(x, super_image="ratio", out=x)
    with pytest.raises(TypeError, match="unexpected keyword"):
        quegan(x, filter="mean", looks=3)


def test_dask_is_bit_identical_to_in_memory():
    da = pytest.importorskip("dask.array")
    x = make_stack(t=3, h=50, w=45, seed=11)
    want = quegan(x, size=5, filter="lee", looks=3.0)
    d = da.from_array(x, chunks=(2, 13, 17))
    got = quegan(d, size=5, filter="lee", looks=3.0)
    assert got.chunks[1:] == d.chunks[1:]
    np.testing.assert_array_equal(np.asarray(got).view(np.uint64), want.view(np.uint64))
    dates, sup = quegan(d, size=3, super_image="mean")
    w_dates, w_sup = quegan(x, size=3, super_image="mean")
    np.testing.assert_array_equal(np.asarray(dates).view(np.uint64), w_dates.view(np.uint64))
    np.testing.assert_array_equal(np.asarray(sup).view(np.uint64), w_sup.view(np.uint64))


def test_xarray_keeps_dims_coords_and_attrs():
    xr = pytest.importorskip("xarray")
    x = make_stack(t=3, h=20, w=24, seed=13)
    arr = xr.DataArray(
        x.transpose(1, 2, 0), dims=("y", "x", "time"),
        coords={"y": np.arange(20) * 10.0, "x": np.arange(24) * 10.0,
                "time": np.array(["2024-01-01", "2024-01-13", "2024-01-25"],
                                 dtype="datetime64[ns]")},
        attrs={"units": "intensity"}, name="vv")
    got = quegan(arr, size=3)
    assert got.dims == arr.dims and got.attrs == arr.attrs and got.name == "vv"
    for c in arr.coords:
        np.testing.assert_array_equal(got[c].values, arr[c].values)
    want = quegan(x, size=3)
    np.testing.assert_array_equal(got.transpose("time", "y", "x").values.view(np.uint64),
                                  want.view(np.uint64))
    dates, sup = quegan(arr.chunk({"y": 8, "x": 8}), size=3, super_image="ratio")
    assert sup.dims == ("y", "x") and "time" not in sup.coords
    np.testing.assert_array_equal(dates.values.view(np.uint64), got.values.view(np.uint64))


def bits(a):
    return np.asarray(a).view(np.uint64)


def test_groups_are_filtered_apart():
    """Labels per date: each group is filtered as a stack of its own, one super image per
    group in order of first appearance; numpy, dask and xarray agree bit for bit."""
    x = make_stack(t=6, h=31, w=27, seed=17)
    labels = ["VV", "VH", "VV", "VH", "VH", "VV"]
    dates, sup = quegan(x, size=5, filter="lee", looks=2.0, super_image="mean", groups=labels)
    assert dates.shape == x.shape and sup.shape == (2, 31, 27)
    for g, label in enumerate(["VV", "VH"]):
        members = [k for k, lab in enumerate(labels) if lab == label]
        w_dates, w_sup = quegan(x[members], size=5, filter="lee", looks=2.0,
                                super_image="mean")
        np.testing.assert_array_equal(bits(dates[members]), bits(w_dates))
        np.testing.assert_array_equal(bits(sup[g]), bits(w_sup))
    # without a super image, and in place
    alone = quegan(x, size=5, groups=labels)
    y = x.copy()
    quegan(y, size=5, groups=labels, out=y)
    np.testing.assert_array_equal(bits(alone), bits(y))

    da = pytest.importorskip("dask.array")
    d_dates, d_sup = quegan(da.from_array(x, chunks=(3, 11, 13)), size=5, filter="lee",
                            looks=2.0, super_image="mean", groups=labels)
    assert d_sup.shape == (2, 31, 27)
    np.testing.assert_array_equal(bits(d_dates), bits(dates))
    np.testing.assert_array_equal(bits(d_sup), bits(sup))

    xr = pytest.importorskip("xarray")
    arr = xr.DataArray(x, dims=("time", "y", "x"), name="s1")
    a_dates, a_sup = quegan(arr, size=5, filter="lee", looks=2.0, super_image="mean",
                            groups=labels)
    assert a_sup.dims == ("group", "y", "x") and list(a_sup["group"].values) == ["VV", "VH"]
    np.testing.assert_array_equal(bits(a_sup.values), bits(sup))
    np.testing.assert_array_equal(bits(a_dates.values), bits(dates))

    with pytest.raises(ValueError, match="groups has 5 labels for 6 dates"):
        quegan(x, groups=labels[:5])
