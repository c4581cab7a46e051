"""The ``DataArray.despeckle`` accessor: despeckle filters that keep dims, coords and attrs.

Importing this module (or importing :mod:`despeckle` and xarray in any order) registers::

    import xarray as xr, despeckle
    da = xr.open_dataarray("s1_vv.nc", chunks={"y": 2048, "x": 2048})   # or rioxarray
    smooth = da.despeckle.enhanced_lee(size=7, looks=4.4)                # lazy if dask-backed
    mean, var = da.despeckle.local_stats(size=5)

The image axes are ``dims`` if given, else ``("y", "x")`` when the array has both, else its
last two dimensions; any other dimensions (band, time, polarisation, ...) are filtered plane
by plane. The result has the input's dims (in the same order), coords, attrs, name and
encoding. numpy-backed arrays are filtered at once (no copy of the input); dask-backed ones
lazily with :mod:`despeckle.dask` (bit-identical to the in-memory result).

``nodata="auto"`` (the default here) uses the ``_FillValue`` (or ``nodata``) attribute or
encoding of the array, as written by rioxarray / GDAL / netCDF, if there is one; pass
``nodata=None`` to use NaN only, or a number.
"""

from __future__ import annotations

import inspect as _inspect

import numpy as _np
import xarray as _xr

import despeckle as _pkg

from . import _attrs_nodata, _stat_names

__all__ = ["DespeckleAccessor"]


def _is_dask(data):
    return type(data).__module__.startswith("dask.array")


class DespeckleAccessor:
    """``DataArray.despeckle``: :mod:`despeckle`'s filters on labelled arrays."""

    def __init__(self, da):
        self._da = da

    # -- helpers -----------------------------------------------------------------------------

    def _image_dims(self, dims):
        da = self._da
        if dims is None:
            if "y" in da.dims and "x" in da.dims:
                dims = ("y", "x")
            elif da.ndim >= 2:
                dims = da.dims[-2:]
            else:
                raise ValueError(
                    f"the DataArray has dims {da.dims}: despeckle needs two image dimensions")
        dims = tuple(dims)
        if len(dims) != 2 or any(d not in da.dims for d in dims) or dims[0] == dims[1]:
            raise ValueError(
                f"dims must name two different dimensions of the array {da.dims}, got {dims}")
        return dims

    def _nodata(self, nodata):
        if not (isinstance(nodata, str) and nodata == "auto"):
            return nodata
        return _attrs_nodata(self._da)

    def _apply(self, dims, numpy_func, dask_name, kwargs):
        """Runs the filter on the array with ``dims`` last; returns result DataArrays."""
        da = self._da
        ydim, xdim = self._image_dims(dims)
        t = da.transpose(..., ydim, xdim)
        data = t.data
        if _is_dask(data):
            from . import dask as _dask

            res = getattr(_dask, dask_name)(data, **kwargs)
        elif data.ndim <= 3:
            res = numpy_func(data, **kwargs)
        else:
            # Plane by plane into preallocated outputs (no reshaping copy of the input).
            res = None
            for idx in _np.ndindex(*data.shape[:-2]):
                r = numpy_func(data[idx], **kwargs)
                if res is None:
                    single = not isinstance(r, tuple)
                    res = tuple(_np.empty(data.shape, dtype=data.dtype)
                                for _ in range(1 if single else len(r)))
                for o, x in zip(res, (r,) if single else r):
                    o[idx] = x
            if single:
                res = res[0]
        rs = res if isinstance(res, tuple) else (res,)
        outs = tuple(t.copy(data=r).transpose(*da.dims) for r in rs)
        return outs if isinstance(res, tuple) else outs[0]



def _method(name):
    """``DataArray.despeckle.<name>``: the filter with the in-memory function's parameters
    (no ``img``, ``out``), ``nodata="auto"`` and ``dims``."""
    func = getattr(_pkg, name)
    sig = _inspect.signature(func)
    params = [_inspect.Parameter("self", _inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for p in sig.parameters.values():
        if p.name in ("img", "out"):
            continue
        params.append(p.replace(default="auto") if p.name == "nodata" else p)
    params.append(_inspect.Parameter("dims", _inspect.Parameter.KEYWORD_ONLY, default=None))
    msig = sig.replace(parameters=params)

    def method(self, *args, **kwargs):
        bound = msig.bind(self, *args, **kwargs)
        bound.apply_defaults()
        kw = dict(bound.arguments)
        del kw["self"]
        dims = kw.pop("dims")
        kw["nodata"] = self._nodata(kw["nodata"])
        if name == "local_stats":
            _stat_names(kw.get("stat"))  # validates the type of `stat` now
        return self._apply(dims, lambda a, **k: func(a, **k), name, kw)

    method.__name__ = method.__qualname__ = name
    method.__signature__ = msig
    first = (func.__doc__ or "").strip().splitlines()[0]
    method.__doc__ = (
        f"{first}\n\n        :func:`despeckle.{name}` on this DataArray (see it for the "
        "definition and the\n        parameters); returns DataArray(s) with the same dims, "
        "coords, attrs and name, lazy\n        when dask-backed. ``dims``: the two image "
        "dimensions (default ``(\"y\", \"x\")`` or\n        the last two); "
        "``nodata=\"auto\"``: the array's ``_FillValue`` (or ``nodata``) if any.\n")
    return method


for _name in _pkg.FILTERS:
    setattr(DespeckleAccessor, _name, _method(_name))


# Registered once per process (re-importing this module must not warn about overriding).
if "despeckle" not in _xr.DataArray.__dict__:
    _xr.register_dataarray_accessor("despeckle")(DespeckleAccessor)
