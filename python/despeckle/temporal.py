"""Multi-temporal speckle filtering of a stack of dates: :func:`quegan`.

``despeckle.temporal.quegan(stack, ...)`` filters a ``(t, y, x)`` stack (numpy, dask or an
xarray.DataArray with a ``time`` dimension) with the filter of Quegan & Yu (IEEE TGRS 2001)::

    J_k = E[I_k] / N_u · Σ_{i usable} I_i / E[I_i]

``E[·]`` is the local mean given by any filter of :data:`despeckle.FILTERS` (``filter="mean"``,
the boxcar, by default; ``"lee"`` with ``looks=``, ``"refined_lee"``, ``"lee_sigma"``, ...),
with that filter's parameters as keywords. A date that is no-data at a pixel (NaN, ±inf or
``nodata``), or whose local mean is ``≤ 0``, is left out of the sums there (``N_u`` counts the
others); a no-data pixel stays no-data in its own date's output. Definition in
docs/filters.md.
"""

from __future__ import annotations

import numpy as _np

from . import _despeckle as _ext
from . import _attrs_nodata, _kind

__all__ = ["quegan"]


def _group_numbers(groups, t):
    """The group labels of the dates as numbers 0, 1, ... in order of first appearance, and
    the labels in that order."""
    if groups is None:
        return None, None
    labels = list(groups)
    if len(labels) != t:
        raise ValueError(f"groups has {len(labels)} labels for {t} dates: give one per date")
    order = list(dict.fromkeys(labels))
    return [order.index(g) for g in labels], order


def _split(res, t, kw):
    """``(dates, super)`` of the extension's result: the super image is ``(y, x)``, or
    ``(groups, y, x)`` with groups."""
    if kw.get("super_image") is None:
        return res
    sup = res[t:]
    return res[:t], (sup if kw.get("groups") is not None else sup[0])


def _numpy(stack, out, kw):
    if out is not None and out is not stack:
        raise TypeError("out must be None (a new array) or the stack itself (in place)")
    if out is None:
        arr = _np.ascontiguousarray(stack)
        res = _ext.quegan(arr, **kw)
    else:
        res = _ext.quegan(stack, out=stack, **kw)
    return _split(res, stack.shape[0], kw)


def _dask(darr, kw):
    import dask.array as da

    from .dask import _as_dask, _chunked

    darr = _as_dask(darr)
    if darr.ndim != 3:
        raise ValueError(f"stack has shape {darr.shape}: pass a (t, y, x) array")
    # checks the parameters and the dtype now, not at compute time
    _ext.quegan(_np.zeros((darr.shape[0], 1, 1), dtype=darr.dtype), **kw)
    # every date of a chunk in one block: the dates are combined per pixel
    darr = darr.rechunk({0: -1})
    kind = kw.get("super_image")
    dates_kw = dict(kw, super_image=None)

    def dates(block, lead):
        return _ext.quegan(_np.ascontiguousarray(block), **dates_kw)

    size, border, cval = kw.get("size") or 7, kw.get("border") or "reflect", kw.get("cval")
    out = _chunked(darr, size, border, cval, dates)
    if kind is None:
        return out

    t = darr.shape[0]

    def super_block(block, lead):
        # the super image planes (one per group) in the first planes of a block of t
        res = _ext.quegan(_np.ascontiguousarray(block), **kw)
        sup = _np.zeros_like(block)
        sup[: res.shape[0] - t] = res[t:]
        return sup

    groups = 1 if kw.get("groups") is None else max(kw["groups"]) + 1
    sup = _chunked(darr, size, border, cval, super_block)[:groups]
    assert isinstance(sup, da.Array)
    return out, (sup if kw.get("groups") is not None else sup[0])


def _xarray(arr, kw, time_dim, labels):
    import xarray as xr

    if time_dim not in arr.dims:
        raise ValueError(f"the DataArray has dims {arr.dims}: no {time_dim!r} dimension")
    if arr.ndim != 3:
        raise ValueError(f"the DataArray has dims {arr.dims}: pass (time, y, x)")
    if kw.get("nodata") is None:
        kw["nodata"] = _attrs_nodata(arr)
    image_dims = [d for d in arr.dims if d != time_dim]
    moved = arr.transpose(time_dim, *image_dims)
    data = moved.data
    if _kind(data) == "dask":
        res = _dask(data, kw)
    else:
        res = _numpy(_np.asarray(data), None, kw)
    dates, sup = res if kw.get("super_image") is not None else (res, None)
    out = xr.DataArray(dates, dims=moved.dims, coords=moved.coords, attrs=dict(arr.attrs),
                       name=arr.name).transpose(*arr.dims)
    if sup is None:
        return out
    coords = {k: c for k, c in moved.coords.items() if time_dim not in c.dims}
    dims = image_dims
    if labels is not None:
        dims = ["group", *image_dims]
        coords["group"] = labels
    sup = xr.DataArray(sup, dims=dims, coords=coords, attrs=dict(arr.attrs),
                       name=f"{arr.name}_super" if arr.name is not None else "super_image")
    return out, sup


def quegan(stack, filter="mean", size=7, super_image=None, border="reflect", nodata=None,
           out=None, threads=None, *, groups=None, cval=None, max_memory=None, time_dim="time",
           **params):
    """Multi-temporal filter of Quegan & Yu (2001) on a stack of dates.

    Parameters
    ----------
    stack : numpy.ndarray, dask array or xarray.DataArray
        float32 or float64, ``(t, y, x)``: one plane per date, all on one grid. A DataArray
        has a ``time_dim`` dimension (any order; the result has the input's dims, coords and
        attrs). A dask array is filtered lazily, chunked in y and x and whole in t,
        bit-identical to the in-memory result.
    filter : str, default "mean"
        The filter giving each date's local mean ``E[I]``: any name of
        :data:`despeckle.FILTERS`; its parameters are passed as keywords (``looks=2``, ...;
        ``"auto"`` is not available here).
    size : int, default 7
        Window side of the local mean, odd, 3 … 1001.
    super_image : {None, "ratio", "mean"}, default None
        Also return the temporal super image: ``"ratio"``, the mean over the usable dates of
        ``I_i / E[I_i]``; ``"mean"``, the arithmetic temporal mean of the valid dates.
    groups : sequence, optional
        One label per date (``["VV", "VH", "VV", "VH", ...]``): the dates of each label are
        filtered as a stack of their own (the sums run over the dates of the same label), in
        one pass. With ``super_image``, one super image per group, in the order in which the
        labels first appear. Default: one group of every date.
    border, nodata, threads, cval, max_memory
        As for the other filters (:func:`despeckle.enhanced_lee`).
    out : numpy.ndarray, optional
        ``stack`` itself to filter in place (C-contiguous, no super image). Default: a new
        array.
    time_dim : str, default "time"
        The dates' dimension of a DataArray.

    Returns
    -------
    The filtered dates (same shape and dtype as ``stack``), or with ``super_image`` a pair
    ``(dates, super)`` with ``super`` of shape ``(y, x)`` — ``(groups, y, x)`` with
    ``groups`` (a DataArray then has a ``group`` dimension whose coordinate is the labels).
    """
    kw = dict(params, filter=filter, size=size, super_image=super_image, border=border,
              nodata=nodata, threads=threads, cval=cval, max_memory=max_memory)
    kind = _kind(stack)
    if groups is not None:
        t = (stack.sizes[time_dim] if kind == "xarray" and time_dim in stack.dims
             else _np.shape(stack)[0])
        kw["groups"], labels = _group_numbers(groups, t)
    else:
        labels = None
    if kind is not None and out is not None:
        raise TypeError(f"out= is for numpy arrays; stack is a {kind} array: use the result")
    if kind == "dask":
        return _dask(stack, kw)
    if kind == "xarray":
        return _xarray(stack, kw, time_dim, labels)
    return _numpy(stack if isinstance(stack, _np.ndarray) else _np.asarray(stack), out, kw)
