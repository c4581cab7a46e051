"""The DataArray.despeckle accessor: dims, coords, attrs kept; lazy on dask; exact."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import despeckle
from conftest import scene

xr = pytest.importorskip("xarray")
import despeckle.xarray  # noqa: E402,F401  (registers the accessor; harmless if already done)


def labelled(data, dims=("band", "y", "x")):
    shape = dict(zip(dims, data.shape))
    coords = {
        "y": ("y", 4.5e6 - 10.0 * np.arange(shape["y"]), {"units": "m"}),
        "x": ("x", 3.0e5 + 10.0 * np.arange(shape["x"]), {"units": "m"}),
        "time": ((), np.datetime64("2024-01-01T06:00")),
    }
    if "band" in shape:
        coords["band"] = ("band", ["VV", "VH", "HH", "HV"][: shape["band"]])
    return xr.DataArray(data, dims=dims, coords=coords, name="sigma0",
                        attrs={"units": "1", "long_name": "backscatter", "looks": 4.4})


def same_labels(a, b):
    assert a.dims == b.dims
    assert a.name == b.name
    assert a.attrs == b.attrs
    assert set(a.coords) == set(b.coords)
    for k in a.coords:
        xr.testing.assert_identical(a.coords[k], b.coords[k])


def test_numpy_backed():
    data = scene((2, 40, 50), np.float32, seed=31)
    da = labelled(data)
    out = da.despeckle.enhanced_lee(size=7, looks=4.4)
    same_labels(out, da)
    assert isinstance(out.data, np.ndarray) and out.dtype == np.float32
    np.testing.assert_array_equal(out.values, despeckle.enhanced_lee(data, size=7, looks=4.4))
    np.testing.assert_array_equal(da.values, data)  # the input is untouched


def test_dask_backed_is_lazy_and_exact():
    dask = pytest.importorskip("dask")
    data = scene((2, 70, 90), np.float64, seed=32)
    da = labelled(data).chunk({"band": 1, "y": 23, "x": 31})
    with dask.config.set(scheduler="sync"):
        out = da.despeckle.enhanced_lee(size=5, border="mirror")
        assert dask.is_dask_collection(out.data)  # nothing computed yet
        assert out.chunks == da.chunks
        same_labels(out, da)
        want = despeckle.enhanced_lee(data, size=5, border="mirror")
        np.testing.assert_array_equal(out.values, want)
        m, v = da.despeckle.local_stats(size=3)
        assert dask.is_dask_collection(m.data) and dask.is_dask_collection(v.data)
        wm, wv = despeckle.local_stats(data, size=3)
        np.testing.assert_array_equal(m.values, wm)
        np.testing.assert_array_equal(v.values, wv)


def test_image_dims_not_last_are_found_by_name():
    data = scene((3, 30, 40), np.float32, seed=33)
    da = labelled(np.moveaxis(data, 0, -1), dims=("y", "x", "band"))  # (y, x, band)
    out = da.despeckle.mean(size=5)
    assert out.dims == ("y", "x", "band")
    np.testing.assert_array_equal(out.transpose("band", "y", "x").values,
                                  despeckle.mean(data, size=5))
    # explicit dims, other names
    db = xr.DataArray(data, dims=("pol", "row", "col"))
    o2 = db.despeckle.mean(size=5, dims=("row", "col"))
    np.testing.assert_array_equal(o2.values, despeckle.mean(data, size=5))
    with pytest.raises(ValueError, match="dims"):
        db.despeckle.mean(dims=("row", "nope"))


def test_four_dimensional_numpy():
    data = scene((2, 3, 20, 25), np.float32, seed=34)
    da = xr.DataArray(data, dims=("time", "band", "y", "x"))
    out = da.despeckle.local_stats(size=3, stat="std")
    want = np.stack([despeckle.local_stats(t, size=3, stat="std") for t in data])
    np.testing.assert_array_equal(out.values, want)


def test_nodata_auto_from_fill_value():
    data = scene((30, 30), np.float32, seed=35, nan=False)
    data[5, 5] = -9999.0
    da = xr.DataArray(data, dims=("y", "x"), attrs={"_FillValue": -9999.0})
    out = da.despeckle.enhanced_lee(size=5)
    np.testing.assert_array_equal(out.values, despeckle.enhanced_lee(data, size=5,
                                                                      nodata=-9999.0))
    assert out.values[5, 5] == -9999.0
    # nodata=None: only NaN is no-data
    out2 = da.despeckle.enhanced_lee(size=5, nodata=None)
    np.testing.assert_array_equal(out2.values, despeckle.enhanced_lee(data, size=5))


def test_top_level_functions_accept_dataarrays():
    data = scene((25, 30), np.float64, seed=36)
    da = labelled(data, dims=("y", "x"))
    out = despeckle.enhanced_lee(da, size=3)
    assert isinstance(out, xr.DataArray)
    same_labels(out, da)
    m, v = despeckle.local_stats(da, size=3)
    assert isinstance(m, xr.DataArray) and isinstance(v, xr.DataArray)


def test_accessor_registered_whatever_the_import_order():
    code = ("import despeckle, xarray as xr, numpy as np; "
            "print(hasattr(xr.DataArray(np.ones((4, 4), 'f4')), 'despeckle'))")
    assert subprocess.check_output([sys.executable, "-c", code]).strip() == b"True"
    code = ("import xarray as xr, despeckle, numpy as np; "
            "print(hasattr(xr.DataArray(np.ones((4, 4), 'f4')), 'despeckle'))")
    assert subprocess.check_output([sys.executable, "-c", code]).strip() == b"True"
    # and importing despeckle alone does not import xarray
    code = "import sys, despeckle; print('xarray' in sys.modules)"
    assert subprocess.check_output([sys.executable, "-c", code]).strip() == b"False"


def test_every_filter_has_an_accessor_method():
    data = scene((2, 30, 35), np.float32, seed=37)
    da = labelled(data)
    for name in despeckle.FILTERS:
        method = getattr(da.despeckle, name)
        assert method.__doc__ and "DataArray" in method.__doc__
        res = method(size=5)
        for r, want in zip(res if isinstance(res, tuple) else (res,),
                           (lambda w: w if isinstance(w, tuple) else (w,))(
                               getattr(despeckle, name)(data, size=5))):
            same_labels(r, da)
            np.testing.assert_array_equal(r.values, want)
