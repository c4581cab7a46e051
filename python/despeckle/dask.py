"""The despeckle filters on dask arrays: chunked, lazy, bit-identical to the in-memory result.

``despeckle.dask.enhanced_lee(darr, ...)`` returns a lazy dask array with the same shape,
dtype and chunks as ``darr``. Every output chunk is computed by the in-memory filter on the
chunk plus a halo taken from its neighbours (``dask.array.map_overlap``), and equals the
corresponding part of ``despeckle.enhanced_lee(darr.compute(), ...)`` **bit for bit**, for
every border mode, window size and chunking (chunks smaller than the window and odd sizes
included). The last two axes are the image axes ``(y, x)``; leading axes (bands, time, ...)
may be chunked freely and are filtered plane by plane.

How the result is made exact
----------------------------
* Halo: the window needs ``h = size // 2`` rows and columns around a chunk. The engine also
  recomputes its running sums at fixed absolute positions (every ``REFRESH_ROWS`` = 16 rows
  and ``REFRESH_COLS`` = 128 columns) and guards them against drift block by block, so that
  its float64 rounding depends on the pixel position only. Each chunk is therefore filtered
  from a start aligned to that grid, ``h`` rounded up to the grid before the chunk (plus the
  chunk start's offset in the grid), to ``h`` past the end of the grid block holding the
  chunk's end. On chunks aligned to the grid (multiples of 16 rows and 128 columns) and
  ``size ≤ 33`` that is 16 rows and 128 columns before, ``h`` after.
* Borders: ``map_overlap(boundary="none")``; at the image's true edges the in-memory filter
  applies the border mode itself, exactly as on the whole image. ``"wrap"``, which needs the
  opposite edge, is first padded with the wrapped rows (aligned to the grid), and its chunks
  span the whole width (the columns are not split).
* Chunks smaller than the halo are merged with a neighbour before ``map_overlap`` and the
  result is rechunked back to ``darr``'s chunks.

Each chunk is filtered with the GIL released on ``threads`` cores (default: all, shared
with the other chunks running at the same time). Tip: chunks of a multiple of 128 columns and
16 rows (e.g. 2048 × 2048) need the smallest halo.
"""

from __future__ import annotations

import numpy as _np

import inspect as _inspect

import despeckle as _pkg

from . import _despeckle as _ext
from . import _stat_names

__all__ = list(_pkg.FILTERS) + ["estimate_enl", "quantile"]


def _align_down(v, step):
    return (v // step) * step


def _align_up(v, step):
    return -(-v // step) * step


def _starts(chunks):
    s, out = 0, []
    for c in chunks:
        out.append(s)
        s += c
    return out


def _depths(chunks, h, step):
    """(before, after): the halo a chunk needs on each side along one axis.

    Before: back to the grid-aligned start of the engine's running sums for the chunk's first
    row (column), minus ``h`` rounded down to the grid. After: ``h`` beyond the end of the grid
    block holding the chunk's last row (column) -- the engine's drift guard looks at a whole
    block of ``step`` columns plus the window. 0 for an axis in one chunk.
    """
    if len(chunks) <= 1:
        return 0, 0
    starts = _starts(chunks)
    before = max(a - max(0, _align_down(_align_down(a, step) - h, step)) for a in starts[1:])
    ends = [a + c for a, c in zip(starts, chunks)][:-1]
    after = max(_align_up(e, step) - e + h for e in ends)
    return max(before, h), after


def _merge_small(chunks, minimum):
    """Merges neighbouring chunks until every chunk has at least ``minimum`` elements."""
    if len(chunks) <= 1 or min(chunks) >= minimum:
        return tuple(chunks)
    merged = []
    for c in chunks:
        if merged and merged[-1] < minimum:
            merged[-1] += c
        else:
            merged.append(c)
    if len(merged) > 1 and merged[-1] < minimum:
        last = merged.pop()
        merged[-1] += last
    return tuple(merged)


def _wrap_pad_rows(x, p):
    """Pads the rows (axis −2) by ``p`` on both sides with periodic copies."""
    import dask.array as da

    n = x.shape[-2]
    before = [(i % n) for i in range(-p, 0)]
    after = [(i % n) for i in range(n, n + p)]
    return da.concatenate([x[..., before, :], x, x[..., after, :]], axis=-2)


def _as_dask(darr):
    import dask.array as da

    if not isinstance(darr, da.Array):
        darr = da.asarray(darr)
    if darr.ndim < 2:
        raise ValueError(
            f"darr has shape {darr.shape} ({darr.ndim}-D): pass at least 2-D (..., y, x)")
    if any(_np.isnan(c) for axis in darr.chunks for c in axis):
        raise ValueError(
            f"darr has unknown chunk sizes (shape {darr.shape}), e.g. after boolean indexing: "
            "call darr.compute_chunk_sizes() first (or darr.rechunk() with known sizes)")
    return darr


def _chunked(darr, size, border, cval, plane_filter):
    """Applies ``plane_filter(block, lead)`` (in-memory despeckle calls with these window
    options on a block of shape (..., y, x) whose first plane has the leading indices
    ``lead``) chunk by chunk, exactly as on the whole array."""
    import dask.array as da

    h = int(size) // 2
    rows_step, cols_step = _ext.REFRESH_ROWS, _ext.REFRESH_COLS
    wrap = _ext.border_mode(border, cval) == "wrap"
    ny, nx = darr.shape[-2:]
    if ny == 0 or nx == 0 or any(s == 0 for s in darr.shape):
        return darr.map_blocks(_np.copy, dtype=darr.dtype)

    x = darr
    pad = 0
    if wrap:
        # Wrapped rows as real data, by a multiple of the grid so that it stays aligned. The
        # columns are not split: the engine's drift guard on the last column block looks at
        # the wrapped columns beyond the right edge, which only the whole width reproduces.
        pad = _align_up(h, rows_step)
        x = _wrap_pad_rows(x.rechunk({x.ndim - 1: -1}), pad)

    steps = (rows_step, cols_step)
    # Merge chunks smaller than the halo (computed on the unmerged chunks: an upper bound).
    chunks = list(x.chunks)
    for k, step in zip((-2, -1), steps):
        chunks[k] = _merge_small(chunks[k], max(_depths(chunks[k], h, step)))
    x = x.rechunk(tuple(chunks))

    nd = x.ndim
    depth = {k: 0 for k in range(nd)}
    for k, step in zip((nd - 2, nd - 1), steps):
        d = _depths(x.chunks[k], h, step)
        depth[k] = d if d != (0, 0) else 0
    starts = [_starts(x.chunks[nd - 2]), _starts(x.chunks[nd - 1])]
    sizes = [x.chunks[nd - 2], x.chunks[nd - 1]]
    lead_starts = [_starts(c) for c in x.chunks[:nd - 2]]

    def block(b, block_id=None):
        sl = [Ellipsis]
        keep = [Ellipsis]
        for axis, (k, step) in enumerate(zip((nd - 2, nd - 1), steps)):
            i = block_id[k]
            a = starts[axis][i]
            top = depth[k][0] if (depth[k] and i > 0) else 0
            first = a - top  # index of b's first row / column in x
            origin = max(0, _align_down(_align_down(a, step) - h, step))
            sl.append(slice(origin - first, None))
            keep.append(slice(a - origin, a - origin + sizes[axis][i]))
        # A block that arrived from another process (pickle protocol 5 buffers) may not be
        # aligned for its dtype; the compiled filters refuse such arrays: copy it then.
        sub = _np.require(b[tuple(sl)], requirements="A")
        lead = tuple(lead_starts[k][block_id[k]] for k in range(nd - 2))
        return plane_filter(sub, lead)[tuple(keep)]

    out = da.map_overlap(
        block, x, depth=depth, boundary="none", trim=False, allow_rechunk=False,
        dtype=x.dtype, chunks=x.chunks, meta=_np.empty((0,) * nd, dtype=x.dtype),
    )
    if wrap:
        out = out[..., pad:pad + ny, :]
    if out.chunks != darr.chunks:
        out = out.rechunk(darr.chunks)
    return out


def _planes(shape):
    """The leading indices of every 2-D plane of an array of this shape."""
    return list(_np.ndindex(*shape[:-2]))


def _row_reader(plane):
    """``read(y0, n)`` over a 2-D dask array, computing one band of row chunks at a time
    (each chunk row is computed once per pass, not once per strip)."""
    bounds = _np.cumsum((0,) + plane.chunks[0])
    band = {"lo": 0, "hi": 0, "data": None}

    def read(y0, n):
        if not (band["lo"] <= y0 and y0 + n <= band["hi"]):
            lo = int(bounds[_np.searchsorted(bounds, y0, side="right") - 1])
            hi = int(bounds[_np.searchsorted(bounds, y0 + n, side="left")])
            band.update(lo=lo, hi=hi, data=_np.asarray(plane[lo:hi].compute()))
        return band["data"][y0 - band["lo"]:y0 - band["lo"] + n]

    return read


def _estimate(darr, what, **kw):
    """One estimate per plane of a dask array (eager: reads the array, strip by strip)."""
    darr = _as_dask(darr)
    if darr.dtype not in (_np.float32, _np.float64):
        # the same TypeError as the in-memory functions
        _ext.estimate(_np.zeros((1, 1), dtype=darr.dtype), "quantile", q=0.5)
    ny, nx = darr.shape[-2:]
    values = {idx: _ext.estimate_rows(_row_reader(darr[idx]), ny, nx, str(darr.dtype), what, **kw)
              for idx in _planes(darr.shape)}
    return values


def _per_plane(values, shape):
    if len(shape) == 2:
        return float(values[()])
    out = _np.empty(shape[:-2])
    for idx, v in values.items():
        out[idx] = v
    return out


def estimate_enl(darr, nodata=None, domain="intensity"):
    """:func:`despeckle.estimate_enl` of a dask array: computed now (not lazily), reading the
    array once, one band of row chunks at a time. Equal to the in-memory estimate.

    Returns a float for a 2-D array, else an array with one value per plane.
    """
    darr = _as_dask(darr)
    return _per_plane(_estimate(darr, "enl", nodata=nodata, domain=domain), darr.shape)


def quantile(darr, q, nodata=None):
    """:func:`despeckle.quantile` of a dask array: computed now, exactly (a few passes over
    the array, one band of row chunks at a time). Equal to the in-memory value.

    Returns a float for a 2-D array, else an array with one value per plane.
    """
    darr = _as_dask(darr)
    return _per_plane(_estimate(darr, "quantile", q=q, nodata=nodata), darr.shape)


def _is_auto(looks):
    return isinstance(looks, str) and looks.strip().lower() == "auto"


def _estimated(name, params):
    """The parameters of filter ``name`` (the registry's) that are estimated from the image:
    given as ``"auto"`` (``looks="auto"``), or left at an ``"auto"`` default (Lee Sigma's
    ``z98``)."""
    entry = next((e for e in _pkg._REGISTRY if e["name"].replace("-", "_") == name), None)
    return [p for p in (entry["params"] if entry else ())
            if p["kind"] == "estimated" and (_is_auto(params.get(p["name"])) or (
                params.get(p["name"]) is None and _is_auto(p["default"])))]


def _plane_params(name, darr, params):
    """Per-plane parameters: image-wide estimates (``looks="auto"``, Lee Sigma's ``z98``) are
    computed now, from each whole plane, as the in-memory function would."""
    per_plane = {}
    for p in _estimated(name, params):
        if p["estimate"] == "enl":
            domain = params.get("domain") or "intensity"
            per_plane[p["name"]] = _estimate(darr, "looks", nodata=params.get("nodata"),
                                             domain=domain)
        else:
            values = _estimate(darr, "quantile", q=p["q"], nodata=params.get("nodata"))
            # A plane without a valid pixel has no quantile: as the in-memory filter does,
            # +inf (no point target; every output pixel is no-data anyway).
            per_plane[p["name"]] = {k: (_np.inf if _np.isnan(v) else v)
                                    for k, v in values.items()}
    return per_plane


def _run(name, darr, params):
    """The dask version of the in-memory filter ``name`` with these parameters."""
    func = getattr(_pkg, name)
    darr = _as_dask(darr)
    # Parameters and dtype are checked now (on a 1×1 image), not at compute time; estimated
    # parameters with stand-ins.
    probe = dict(params)
    for p in _estimated(name, params):
        probe[p["name"]] = 1.0 if p["estimate"] == "enl" else float("inf")
    func(_np.zeros((1, 1), dtype=darr.dtype), **probe)
    per_plane = _plane_params(name, darr, params)

    def plane_filter(block, lead):
        if not per_plane:
            if block.ndim > 3:
                flat = block.reshape((-1,) + block.shape[-2:])
                return func(flat, **params).reshape(block.shape)
            return func(block, **params)
        out = _np.empty(block.shape, dtype=block.dtype)
        for idx in _np.ndindex(*block.shape[:-2]):
            glob = tuple(a + i for a, i in zip(lead, idx))
            kw = dict(params)
            kw.update({k: v[glob] for k, v in per_plane.items()})
            func(block[idx], out=out[idx], **kw)
        return out

    return _chunked(darr, _halo_size(name, params), params.get("border", "reflect"),
                    params.get("cval"), plane_filter)


def _halo_size(name, params):
    """The window side whose halo (``size // 2``) covers what an output chunk depends on: the
    core's ``despeckle::halo`` for these parameters (the window radius; for ``ppb``, whose
    state runs from row to row, ``reach + warmup + 16``, so that a chunk's rows see the same
    tiles of 16 rows as the whole image)."""
    return 2 * _ext.halo(name, **params) + 1


def _make(name):
    """The dask version of ``despeckle.<name>``: same parameters but ``out``, lazy."""
    func = getattr(_pkg, name)
    sig = _inspect.signature(func)
    params = [p.replace(name="darr") if p.name == "img" else p
              for p in sig.parameters.values() if p.name != "out"]
    dsig = sig.replace(parameters=params)

    def wrapper(darr, *args, **kwargs):
        bound = dsig.bind(darr, *args, **kwargs)
        bound.apply_defaults()
        kw = dict(bound.arguments)
        del kw["darr"]
        return _run(name, darr, kw)

    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__module__ = __name__
    wrapper.__signature__ = dsig
    first = (func.__doc__ or "").strip().splitlines()[0]
    wrapper.__doc__ = (
        f"{first}\n\n    Lazy dask version of :func:`despeckle.{name}` (see it for the "
        "definition and the parameters;\n    no ``out=``): ``darr`` is a float32 or float64 "
        "dask array (a numpy array is wrapped),\n    at least 2-D, image axes last. Returns "
        "dask array(s) with ``darr``'s shape, dtype and chunks,\n    equal bit for bit to "
        "the in-memory result. Parameters are checked now; ``looks=\"auto\"``\n    and Lee "
        "Sigma's default ``z98`` are estimated now, from each whole plane (one pass over\n"
        "    the array each).\n")
    return wrapper


for _name in _pkg.FILTERS:
    if _name != "local_stats":
        globals()[_name] = _make(_name)


def local_stats(darr, size=7, border="reflect", nodata=None, threads=None, ddof=0, stat=None,
                *, cval=None, max_memory=None):
    """Local statistics of a dask array (lazy): ``(mean, variance)`` by default.

    ``μ = Σx / n``, ``σ² = max(0, Σx² − μ·Σx) / (n − ddof)``, ``std = σ``,
    ``cv = σ/μ`` (0 where ``μ ≤ 0``). ``stat``: a name (one array returned) or a sequence of
    names (a tuple); see :func:`despeckle.local_stats`. Each result is a dask array with
    ``darr``'s shape, dtype and chunks, bit-identical to the in-memory result.
    """
    names, single = _stat_names(stat)
    results = [_run("local_stats", darr, dict(size=size, border=border, nodata=nodata,
                                              threads=threads, ddof=ddof, stat=n, cval=cval,
                                              max_memory=max_memory))
               for n in names]
    return results[0] if single else tuple(results)
