"""Polarimetric speckle filtering of C2, C3, T3, C4 and T4 matrices: :func:`boxcar`,
:func:`refined_lee`, :func:`lee_sigma`, :func:`idan`.

A polarimetric pixel is a k × k Hermitian positive semi-definite matrix (k = 2, 3, 4). The
filters take it in either of two layouts and return the result in the layout and dtype given:

* **real planes** ``(k², y, x)``, float32 or float64, in the element order of ESA SNAP and
  PolSARpro: the upper triangle row by row, a diagonal element as one plane, an off-diagonal
  one as ``_real`` and ``_imag`` planes (C3: C11, C12_real, C12_imag, C13_real, C13_imag, C22,
  C23_real, C23_imag, C33; :func:`elements`);
* **complex matrices** ``(k, k, y, x)``, complex64 or complex128 (the upper triangle and the
  real part of the diagonal are read; the result is exactly Hermitian).

numpy arrays are filtered in memory (``out=`` filters real planes in place); dask arrays lazily,
chunked in y and x and whole along the element axes, bit-identical to the in-memory result;
an ``xarray.DataArray`` of real planes has an element dimension (``element_dim``, default
``"element"``) whose coordinate labels (C11, C12_real, ...) are set on the result; a complex
one has two matrix dimensions (``element_dim=("i", "j")``, default its first two dims).

Every filter applies one decision to every element. Boxcar and Refined Lee decide from the
span (the trace), so a C3 and a T3 (or a C4 and a T4) image filter identically and
``matrix=`` only names the elements; Lee Sigma and IDAN also select pixels from each diagonal
element, which differ between C and T. Definitions: docs/polarimetry.md, docs/filters.md.
"""

from __future__ import annotations

import numpy as _np

from . import _despeckle as _ext
from . import _attrs_nodata, _kind

__all__ = ["boxcar", "refined_lee", "lee_sigma", "idan", "z98", "convert", "elements",
           "to_planes", "to_matrix"]

_REAL = {_np.dtype(_np.complex64): _np.dtype(_np.float32),
         _np.dtype(_np.complex128): _np.dtype(_np.float64)}
_COMPLEX = {v: k for k, v in _REAL.items()}
_K = {4: 2, 9: 3, 16: 4}


def elements(matrix):
    """The element names of ``matrix`` (``"c2"``, ``"c3"``, ``"t3"``, ``"c4"``, ``"t4"``) in
    plane order: ``elements("c2") == ["C11", "C12_real", "C12_imag", "C22"]``."""
    return _ext.polsar_elements(matrix)[1]


def _layout(k):
    """``(diag, off)``: the plane of each diagonal element ``i`` and the ``(real, imag)``
    planes of each off-diagonal element ``(i, j)``, ``i < j``."""
    diag, off, p = {}, {}, 0
    for i in range(k):
        diag[i] = p
        p += 1
        for j in range(i + 1, k):
            off[(i, j)] = (p, p + 1)
            p += 2
    return diag, off


def _to_planes_np(m):
    k = m.shape[0]
    out = _np.empty((k * k,) + m.shape[2:], dtype=_REAL[m.dtype])
    diag, off = _layout(k)
    for i, p in diag.items():
        out[p] = m[i, i].real
    for (i, j), (re, im) in off.items():
        out[re] = m[i, j].real
        out[im] = m[i, j].imag
    return out


def _to_matrix_np(p):
    k = _K[p.shape[0]]
    out = _np.empty((k, k) + p.shape[1:], dtype=_COMPLEX[p.dtype])
    diag, off = _layout(k)
    for i, q in diag.items():
        out[i, i].real = p[q]
        out[i, i].imag = 0
    for (i, j), (re, im) in off.items():
        out[i, j].real = p[re]
        out[i, j].imag = p[im]
        out[j, i].real = p[re]
        out[j, i].imag = -p[im]
    return out


def _check_complex(m):
    if m.dtype not in _REAL:
        raise TypeError(f"a complex matrix must be complex64 or complex128, got {m.dtype}")
    if m.ndim != 4 or m.shape[0] != m.shape[1] or m.shape[0] not in (2, 3, 4):
        raise ValueError(f"a complex matrix has shape (k, k, y, x) with k = 2, 3 or 4, got "
                         f"{m.shape}")


def _check_planes(p):
    if p.dtype not in _COMPLEX:
        raise TypeError(f"real planes must be float32 or float64, got {p.dtype}")
    if p.ndim != 3 or p.shape[0] not in _K:
        raise ValueError(f"real planes have shape (k², y, x) with k² = 4, 9 or 16, got "
                         f"{p.shape}")


def to_planes(m):
    """The ``(k², y, x)`` real planes (float32 for complex64, float64 for complex128) of a
    ``(k, k, y, x)`` complex matrix (numpy or dask), in the element order of
    :func:`elements`: the upper triangle and the real part of the diagonal are read."""
    _check_complex(m)
    if _kind(m) == "dask":
        k = m.shape[0]
        m = m.rechunk({0: -1, 1: -1})
        return m.map_blocks(_to_planes_np, drop_axis=0, chunks=((k * k,),) + m.chunks[2:],
                            dtype=_REAL[m.dtype],
                            meta=_np.empty((0, 0, 0), dtype=_REAL[m.dtype]))
    return _to_planes_np(_np.asarray(m))


def to_matrix(p):
    """The ``(k, k, y, x)`` Hermitian complex matrix (complex64 for float32, complex128 for
    float64) of ``(k², y, x)`` real planes (numpy or dask), the inverse of :func:`to_planes`."""
    _check_planes(p)
    if _kind(p) == "dask":
        k = _K[p.shape[0]]
        p = p.rechunk({0: -1})
        return p.map_blocks(_to_matrix_np, new_axis=0, chunks=((k,), (k,)) + p.chunks[1:],
                            dtype=_COMPLEX[p.dtype],
                            meta=_np.empty((0, 0, 0, 0), dtype=_COMPLEX[p.dtype]))
    return _to_matrix_np(_np.asarray(p))


def _convert_np(x, to, matrix, nodata):
    if _is_complex(x):
        _check_complex(x)
        if matrix is None and x.shape[0] == 3:
            raise ValueError("a 3 × 3 complex matrix is C3 or T3: give matrix=")
        planes = _ext.polsar_convert(_to_planes_np(x), to, matrix=matrix, nodata=nodata)
        return _to_matrix_np(planes)
    _check_planes(x)
    return _ext.polsar_convert(_np.require(x, requirements="CA"), to, matrix=matrix,
                               nodata=nodata)


def convert(x, to, matrix=None, nodata=None, *, element_dim="element"):
    """The matrix in another basis: covariance C3 ↔ coherency T3, C4 ↔ T4, with
    ``T = U C Uᴴ`` (ESA SNAP's and PolSARpro's conversions; docs/polarimetry.md). The trace and
    the eigenvalues are kept. Lee Sigma and IDAN select pixels from the diagonal elements, so
    they filter C3 and T3 differently: ESA SNAP filters C3 input as T3 (convert first to
    reproduce it).

    Parameters
    ----------
    x : numpy.ndarray, dask array or xarray.DataArray
        ``(k², y, x)`` float32/float64 real planes or a ``(k, k, y, x)`` complex64/complex128
        matrix, as for the filters.
    to : {"c3", "t3", "c4", "t4"}
        The kind of the result (the same size as ``x``'s; a kind to itself is a copy).
    matrix : {None, "c3", "t3", "c4", "t4"}
        The kind of ``x`` (default: C3 or C4 for 9 or 16 real planes; a DataArray's element
        labels; required for a 3 × 3 complex matrix).
    nodata : float, optional
        A pixel with this value, NaN or ±inf in any element is ``nodata`` (NaN by default) in
        every element of the result.
    element_dim : str or (str, str), default "element"
        As for the filters; the result's element labels name the new kind.

    Returns
    -------
    The converted matrix, in ``x``'s layout, shape and dtype.
    """
    kind = _kind(x)
    if kind == "xarray":
        return _convert_xarray(x, to, matrix, nodata, element_dim)
    if kind == "dask":
        from .dask import _as_dask

        darr = _as_dask(x)
        # checks the kinds now, not at compute time
        probe = (_np.zeros((darr.shape[0], darr.shape[1], 1, 1), darr.dtype) if _is_complex(darr)
                 else _np.zeros((darr.shape[0], 1, 1), darr.dtype))
        _convert_np(probe, to, matrix, nodata)
        whole = {0: -1, 1: -1} if _is_complex(darr) else {0: -1}
        return darr.rechunk(whole).map_blocks(_convert_np, to, matrix, nodata,
                                              dtype=darr.dtype)
    if not isinstance(x, _np.ndarray):
        x = _np.asarray(x)
    return _convert_np(x, to, matrix, nodata)


def _convert_xarray(arr, to, matrix, nodata, element_dim):
    import xarray as xr

    if nodata is None:
        nodata = _attrs_nodata(arr)
    if _is_complex(arr):
        pair = tuple(element_dim) if isinstance(element_dim, (tuple, list)) else arr.dims[:2]
        moved = arr.transpose(*pair, *[d for d in arr.dims if d not in pair])
        res = convert(moved.data, to, matrix, nodata)
        return xr.DataArray(res, dims=moved.dims, coords=moved.coords, attrs=dict(arr.attrs),
                            name=arr.name).transpose(*arr.dims)
    if element_dim not in arr.dims or arr.ndim != 3:
        raise ValueError(f"the DataArray has dims {arr.dims}: pass ({element_dim!r}, y, x)")
    if element_dim in arr.coords:
        labels = [str(v) for v in arr.coords[element_dim].values]
        kind, order = _ext.polsar_recognise(labels)
        if list(order) != list(range(len(labels))):
            raise ValueError(f"the {element_dim!r} labels {labels} are not in the element "
                             f"order: reorder with .sel({element_dim}={elements(kind)})")
        if matrix is not None and _ext.polsar_elements(matrix)[0] != kind:
            raise ValueError(f"matrix={matrix!r}, but the labels name a {kind} matrix")
        matrix = kind
    moved = arr.transpose(element_dim, *[d for d in arr.dims if d != element_dim])
    res = convert(moved.data, to, matrix, nodata)
    coords = {k: v for k, v in moved.coords.items() if element_dim not in v.dims}
    out = xr.DataArray(res, dims=moved.dims, coords=coords, attrs=dict(arr.attrs),
                       name=arr.name).assign_coords({element_dim: elements(to)})
    return out.transpose(*arr.dims)


def _is_complex(x):
    return _np.issubdtype(x.dtype, _np.complexfloating)


def _z98_of(planes, kw):
    """Fills Lee Sigma's ``z98`` (unless given) from the whole ``(k², y, x)`` planes (numpy or
    dask): the exact 98th percentile of each diagonal element over the jointly valid pixels."""
    if kw.get("filter") == "lee_sigma" and kw.get("z98") is None:
        kw["z98"] = z98(planes, matrix=kw.get("matrix"), nodata=kw.get("nodata"))
    return kw


def _numpy(x, out, kw):
    if _is_complex(x):
        _check_complex(x)
        planes = _to_planes_np(x)
        res = _to_matrix_np(_ext.polsar(planes, **_z98_of(planes, kw)))
        if out is None:
            return res
        if out is not x:
            raise TypeError("out must be None (a new array) or the input itself")
        out[...] = res
        return out
    if x.dtype not in _COMPLEX:
        raise TypeError(f"x has dtype {x.dtype}: pass float32/float64 (k², y, x) real planes or "
                        "a complex64/complex128 (k, k, y, x) matrix (convert with "
                        ".astype(numpy.float32))")
    if out is not None and out is not x:
        raise TypeError("out must be None (a new array) or the input itself (in place)")
    if x.ndim != 3:
        raise ValueError(f"real planes have shape (k², y, x), got {x.shape} ({x.ndim}-D): "
                         "pass (k², y, x) float planes or a (k, k, y, x) complex matrix")
    if kw.get("filter") == "lee_sigma" and kw.get("z98") is None:
        # the parameters are checked before the image is read
        probe = dict(kw, z98=[_np.inf] * _K.get(x.shape[0], 1))
        _ext.polsar(_np.zeros((x.shape[0], 1, 1), dtype=x.dtype), **probe)
        _z98_of(x, kw)
    if out is None:
        return _ext.polsar(_np.ascontiguousarray(x), **kw)
    return _ext.polsar(x, out=x, **kw)


def _dask_planes(darr, kw):
    from .dask import _chunked

    _check_planes(darr)
    # checks the parameters now, not at compute time
    probe = dict(kw)
    if kw.get("filter") == "lee_sigma" and kw.get("z98") is None:
        probe["z98"] = [_np.inf] * _K[darr.shape[0]]
    _ext.polsar(_np.zeros((darr.shape[0], 1, 1), dtype=darr.dtype), **probe)
    darr = darr.rechunk({0: -1})
    # image-wide estimates now, from the whole array, as in memory
    kw = _z98_of(darr, dict(kw))

    def planes(block, lead):
        return _ext.polsar(_np.ascontiguousarray(block), **kw)

    return _chunked(darr, kw["size"], kw["border"], kw["cval"], planes)


def _dask(darr, kw):
    from .dask import _as_dask

    darr = _as_dask(darr)
    if _is_complex(darr):
        return to_matrix(_dask_planes(to_planes(darr), kw))
    return _dask_planes(darr, kw)


def _xarray_complex(arr, kw, element_dim):
    """A complex DataArray: two matrix dimensions (``element_dim`` as a pair, default the
    first two dims) and two image dimensions."""
    import xarray as xr

    if arr.ndim != 4:
        raise ValueError(f"a complex DataArray has dims (i, j, y, x), got {arr.dims}")
    pair = tuple(element_dim) if isinstance(element_dim, (tuple, list)) else arr.dims[:2]
    if len(pair) != 2 or any(d not in arr.dims for d in pair):
        raise ValueError(f"element_dim={element_dim!r}: give the two matrix dims of "
                         f"{arr.dims} as a pair")
    moved = arr.transpose(*pair, *[d for d in arr.dims if d not in pair])
    data = moved.data
    res = _dask(data, kw) if _kind(data) == "dask" else _numpy(_np.asarray(data), None, kw)
    out = xr.DataArray(res, dims=moved.dims, coords=moved.coords, attrs=dict(arr.attrs),
                       name=arr.name)
    return out.transpose(*arr.dims)


def _xarray(arr, kw, element_dim):
    import xarray as xr

    if _is_complex(arr):
        return _xarray_complex(arr, kw, element_dim)
    if element_dim not in arr.dims:
        raise ValueError(f"the DataArray has dims {arr.dims}: no {element_dim!r} dimension "
                         "(element_dim=)")
    if arr.ndim != 3:
        raise ValueError(f"the DataArray has dims {arr.dims}: pass ({element_dim}, y, x)")
    if kw.get("nodata") is None:
        kw["nodata"] = _attrs_nodata(arr)
    labels = None
    if element_dim in arr.coords:
        labels = [str(v) for v in arr.coords[element_dim].values]
        kind, order = _ext.polsar_recognise(labels)
        if list(order) != list(range(len(labels))):
            want = elements(kind)
            raise ValueError(f"the {element_dim!r} labels {labels} are not in the element "
                             f"order: reorder with .sel({element_dim}={want})")
        if kw.get("matrix") is not None and \
                _ext.polsar_elements(kw["matrix"])[0] != kind:
            raise ValueError(f"matrix={kw['matrix']!r}, but the labels name a {kind} matrix")
        kw["matrix"] = kind
    moved = arr.transpose(element_dim, *[d for d in arr.dims if d != element_dim])
    data = moved.data
    if _kind(data) == "dask":
        res = _dask(data, kw)
    else:
        res = _numpy(_np.asarray(data), None, kw)
    out = xr.DataArray(res, dims=moved.dims, coords=moved.coords, attrs=dict(arr.attrs),
                       name=arr.name)
    if labels is None:
        names = elements(kw.get("matrix") or {4: "c2", 9: "c3", 16: "c4"}[res.shape[0]])
        out = out.assign_coords({element_dim: names})
    return out.transpose(*arr.dims)


def _run(x, out, kw, element_dim):
    kind = _kind(x)
    if kind is not None and out is not None:
        raise TypeError(f"out= is for numpy arrays; the input is a {kind} array: use the "
                        "result")
    if kind == "dask":
        return _dask(x, kw)
    if kind == "xarray":
        return _xarray(x, kw, element_dim)
    if not isinstance(x, _np.ndarray):
        x = _np.asarray(x)
    return _numpy(x, out, kw)


def boxcar(x, size=7, matrix=None, border="reflect", nodata=None, out=None, threads=None, *,
           cval=None, max_memory=None, element_dim="element"):
    """Polarimetric boxcar: every element's mean over the window's valid pixels (the
    multilook average of the matrices).

    Parameters
    ----------
    x : numpy.ndarray, dask array or xarray.DataArray
        ``(k², y, x)`` float32/float64 real planes or a ``(k, k, y, x)`` complex64/complex128
        matrix (module docstring). A pixel is no-data in every element if it is in any (NaN,
        ±inf or ``nodata`` in one plane).
    size : int, default 7
        Window side, odd, ≥ 3.
    matrix : {None, "c2", "c3", "t3", "c4", "t4"}
        The matrix kind of real planes (default: C2, C3 or C4 for 4, 9 or 16 planes; C and T
        filter identically, the kind names the elements of a DataArray's result).
    border, nodata, threads, cval, max_memory
        As for the other filters (:func:`despeckle.enhanced_lee`).
    out : numpy.ndarray, optional
        ``x`` itself: real planes are filtered in place (C-contiguous), a complex matrix is
        overwritten with the result.
    element_dim : str or (str, str), default "element"
        The element dimension of a DataArray of real planes; the two matrix dimensions of a
        complex one (default: its first two dims).

    Returns
    -------
    The filtered matrix, in ``x``'s layout, shape and dtype.
    """
    kw = dict(filter="boxcar", matrix=matrix, size=size, border=border, nodata=nodata,
              threads=threads, cval=cval, max_memory=max_memory)
    return _run(x, out, kw, element_dim)


def refined_lee(x, size=7, looks=1.0, matrix=None, ddof=0, edge_rule="gradient",
                border="reflect", nodata=None, out=None, threads=None, *, cval=None,
                max_memory=None, element_dim="element"):
    """Polarimetric Refined Lee (Lee, Grunes & de Grandi 1999): the span's edge-aligned half
    window and MMSE weight applied to every element (PolSARpro's and ESA SNAP's filter).

    Parameters
    ----------
    x : numpy.ndarray, dask array or xarray.DataArray
        As for :func:`boxcar`.
    size : int, default 7
        Window side: 5, 7, 9, 11, 13, 15 or 17.
    looks : float, default 1.0
        Number of looks of the input (speckle variance η² = 1/looks).
    matrix : {None, "c2", "c3", "t3", "c4", "t4"}
        As for :func:`boxcar`.
    ddof : {0, 1}, default 0
        Variance convention: 0 population (PolSARpro), 1 sample (SNAP).
    edge_rule : {"gradient", "closer"}, default "gradient"
        How the half window is chosen: ``"gradient"`` (PolSARpro, SNAP's polarimetric
        filter) or ``"closer"`` (SNAP's single-band Refined Lee).
    border, nodata, out, threads, cval, max_memory, element_dim
        As for :func:`boxcar`.

    Returns
    -------
    The filtered matrix, in ``x``'s layout, shape and dtype.
    """
    kw = dict(filter="refined_lee", matrix=matrix, size=size, looks=looks, ddof=ddof,
              edge_rule=edge_rule, border=border, nodata=nodata, threads=threads, cval=cval,
              max_memory=max_memory)
    return _run(x, out, kw, element_dim)


def z98(x, matrix=None, nodata=None):
    """The exact 98th percentile of each diagonal element of ``(k², y, x)`` real planes (numpy
    or dask; dask arrays are read now, one band of row chunks at a time), over the pixels
    valid in every element: the ``z98`` of :func:`lee_sigma` (``inf`` for an element without
    valid pixels). Nearest rank, as :func:`despeckle.quantile`.
    """
    _check_planes(x)
    k2, ny, nx = x.shape
    if _kind(x) == "dask":
        bounds = _np.cumsum((0,) + x.chunks[1])
        band = {"lo": 0, "hi": 0, "data": None}

        def read(y0, n):
            if not (band["lo"] <= y0 and y0 + n <= band["hi"]):
                lo = int(bounds[_np.searchsorted(bounds, y0, side="right") - 1])
                hi = int(bounds[_np.searchsorted(bounds, y0 + n, side="left")])
                band.update(lo=lo, hi=hi, data=_np.asarray(x[:, lo:hi].compute()))
            return band["data"][:, y0 - band["lo"]:y0 - band["lo"] + n]
    else:
        arr = _np.asarray(x)

        def read(y0, n):
            return arr[:, y0:y0 + n]
    return _ext.polsar_z98(read, k2, ny, nx, str(x.dtype), matrix=matrix, nodata=nodata)


def lee_sigma(x, size=7, looks=1.0, sigma=0.9, target_window=3, min_cluster=6, z98=None,
              matrix=None, ddof=0, border="reflect", nodata=None, out=None, threads=None, *,
              cval=None, max_memory=None, element_dim="element"):
    """Polarimetric improved Lee Sigma (Lee et al. 2009, 2015; ESA SNAP's polarimetric
    filter): point targets kept (any diagonal element above its image-wide 98th percentile in
    a cluster), pixels selected whose every diagonal element lies in its sigma range around
    the a-priori mean, and the span's MMSE weight over them applied to every element.

    Parameters
    ----------
    x : numpy.ndarray, dask array or xarray.DataArray
        As for :func:`boxcar`.
    size : int, default 7
        Window side, at least ``2 · target_window − 1``.
    looks : float, default 1.0
        Number of looks (η² = 1/looks; the sigma range and η′ are computed for any looks).
    sigma : float, default 0.9
        Probability of the sigma range (SNAP: 0.5–0.9).
    target_window : {3, 5}, default 3
        Window of the point-target test and of the a-priori mean.
    min_cluster : int, default 6
        Target-window pixels above Z98 that make a point target.
    z98 : sequence of float, optional
        The 98th percentile of each diagonal element (k values; ``inf`` disables the test for
        one). Default: computed exactly from the whole image (:func:`z98`; a dask array is
        read once for it, when the filter is called).
    matrix : {None, "c2", "c3", "t3", "c4", "t4"}
        As for :func:`boxcar`; a complex ``(k, k, y, x)`` matrix's diagonal is read directly.
    ddof : {0, 1}, default 0
        Variance convention: 0 population, 1 sample (SNAP).
    border, nodata, out, threads, cval, max_memory, element_dim
        As for :func:`boxcar`.

    Returns
    -------
    The filtered matrix, in ``x``'s layout, shape and dtype.
    """
    if z98 is not None:
        z98 = [float(v) for v in z98]
    kw = dict(filter="lee_sigma", matrix=matrix, size=size, looks=looks, sigma=sigma,
              target_window=target_window, min_cluster=min_cluster, z98=z98, ddof=ddof,
              border=border, nodata=nodata, threads=threads, cval=cval,
              max_memory=max_memory)
    return _run(x, out, kw, element_dim)


def idan(x, size=7, looks=1.0, region=50, criterion="each", matrix=None, ddof=0,
         border="reflect", nodata=None, out=None, threads=None, *, cval=None,
         max_memory=None, element_dim="element"):
    """Polarimetric IDAN (Vasile et al. 2006; ESA SNAP's polarimetric filter): a region
    grown from the pixel on its diagonal elements (within the tolerance of the 3 × 3 marginal
    median, then of the region's mean), then the span's LLMMSE weight over the region applied
    to every element.

    Parameters
    ----------
    x : numpy.ndarray, dask array or xarray.DataArray
        As for :func:`boxcar`.
    size : int, default 7
        Window side: the region never leaves the window (a compact region of 50 pixels fits
        in 9 × 9 or 11 × 11; ``2 · region + 1`` never limits it).
    looks : float, default 1.0
        Number of looks (σv = 1/√looks).
    region : int, default 50
        The most pixels of the first growth (1 to 10,000).
    criterion : {"each", "sum"}, default "each"
        ``"each"``: every diagonal element within the tolerance; ``"sum"``: the sum of their
        relative deviations within k tolerances (SNAP).
    matrix, ddof, border, nodata, out, threads, cval, max_memory, element_dim
        As for :func:`lee_sigma`.

    Returns
    -------
    The filtered matrix, in ``x``'s layout, shape and dtype.
    """
    kw = dict(filter="idan", matrix=matrix, size=size, looks=looks, region=region,
              criterion=criterion, ddof=ddof, border=border, nodata=nodata, threads=threads,
              cval=cval, max_memory=max_memory)
    return _run(x, out, kw, element_dim)
