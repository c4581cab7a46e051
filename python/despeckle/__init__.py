"""Speckle filters for SAR images: fast, exact, and frugal with memory.

The filters run in compiled Rust code (the ``despeckle`` core crate) on the numpy
buffer itself: no copy of the input, no image-sized temporaries, the GIL released,
all cores used (``threads=``), float32 kept float32 and float64 kept float64.
``out=img`` filters in place with no image-sized buffer at all.

Filters (definitions in ``docs/filters.md``):

* :func:`enhanced_lee` -- Enhanced Lee (Lopes, Touzi & Nezry 1990);
* :func:`lee`, :func:`kuan` -- Lee (1980) and Kuan et al. (1985) local-statistics MMSE;
* :func:`gamma_map` -- Gamma MAP (Lopes et al. 1990);
* :func:`frost`, :func:`enhanced_frost` -- Frost et al. (1982), Enhanced Frost (Lopes 1990);
* :func:`refined_lee` -- Refined Lee (Lee 1981, ESA SNAP's edge-aligned windows);
* :func:`lee_sigma` -- improved Lee Sigma (Lee et al. 2009);
* :func:`idan` -- intensity-driven adaptive neighbourhood (Vasile et al. 2006);
* :func:`median`, :func:`mean` -- window median and boxcar mean;
* :func:`local_stats` -- local mean, variance, standard deviation, coefficient of variation.

Quality measures: :mod:`despeckle.metrics` (ENL, SSI, EPI, mean ratio, the M index of the
ratio image; PSNR and SSIM against a clean reference).

Image-wide estimates: :func:`estimate_enl` (the equivalent number of looks behind
``looks="auto"``) and :func:`quantile` (Lee Sigma's ``z98``).

Files: :func:`filter_file` filters a GeoTIFF into another, streaming (memory bounded by the
image width), georeferencing and no-data kept -- the command line's ``despeckle FILTER IN
OUT``, with the same filters, parameter names and defaults as the functions above (one
registry of filters, shared by both).

Chunked and labelled arrays:

* :mod:`despeckle.dask` -- the same filters on dask arrays (``map_overlap``), bit-identical
  to the in-memory result;
* :mod:`despeckle.xarray` -- the ``DataArray.despeckle`` accessor (``da.despeckle.enhanced_lee()``),
  registered as soon as both despeckle and xarray are imported.

Shared conventions
------------------
Window
    ``size × size`` (odd, 3 … 1001) centred on each pixel, ``h = size // 2``.
Valid pixels
    finite values that are not equal to ``nodata`` (compared in the image's dtype). NaN and
    ±inf are always no-data. Only valid pixels enter the window statistics; a pixel that is
    itself no-data is copied unchanged to the output.
Statistics
    ``n`` valid pixels, ``μ = Σx / n``, ``σ² = max(0, Σx² − μ·Σx) / (n − ddof)`` (0 when
    ``n ≤ ddof``), ``Ci = σ / μ``. Sums are accumulated in float64.
Borders (``border=``)
    for a row ``a b c d``: ``"reflect"`` (default) ``b a | a b c d | d c``; ``"mirror"``
    ``c b | a b c d | c b``; ``"nearest"`` ``a a | a b c d | d d``; ``"wrap"``
    ``c d | a b c d | a b``; ``"constant"`` ``k k | a b c d | k k`` with ``k = cval``
    (default 0; ``"constant:0.5"`` also works; a NaN or no-data constant counts as no-data);
    ``"shrink"``: the window is cut at the image edge. The first five mean what they mean in
    ``scipy.ndimage``.
Arrays
    ``img`` is a float32 or float64 numpy array, 2-D ``(y, x)`` or 3-D ``(band, y, x)``
    (each band filtered on its own), C-ordered or any strided view. ``out`` is ``None``
    (a new array), ``img`` itself (in place), or a writable array of the same shape and
    dtype that does not overlap ``img``. Any invalid argument raises ``TypeError`` or
    ``ValueError`` before anything is written. A dask array or an ``xarray.DataArray``
    given as ``img`` is passed on to :mod:`despeckle.dask` or the xarray accessor.
Accuracy
    float64 results agree with an exact float64 evaluation to 1e-9 (relative), float32
    results to 2e-5 of ``|μ| + |z|``; results do not depend on ``threads``, the layout, or
    (for dask) the chunks.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys

import numpy as _np

from . import _despeckle as _ext

__all__ = [
    "enhanced_lee", "lee", "kuan", "gamma_map", "frost", "enhanced_frost", "refined_lee",
    "lee_sigma", "idan", "median", "mean", "local_stats", "estimate_enl", "quantile",
    "filter_file", "FILTERS", "STATISTICS", "BORDERS", "__version__",
]

try:  # the version of the installed distribution
    from importlib.metadata import version as _version

    __version__ = _version("despeckle")
except Exception:  # pragma: no cover - e.g. running from a source tree
    __version__ = _ext.CORE_VERSION

#: The filter functions (each also in :mod:`despeckle.dask` and the xarray accessor).
FILTERS = ("enhanced_lee", "lee", "kuan", "gamma_map", "frost", "enhanced_frost", "refined_lee",
           "lee_sigma", "idan", "median", "mean", "local_stats")
#: Names accepted by ``local_stats(stat=...)``.
STATISTICS = ("mean", "variance", "std", "cv")
#: Border mode names (``"constant"`` takes ``cval=`` or the ``"constant:VALUE"`` form).
BORDERS = ("reflect", "mirror", "nearest", "wrap", "constant", "shrink")


def _kind(img):
    """'dask', 'xarray', or None for anything else (without importing dask or xarray)."""
    mod = type(img).__module__ or ""
    name = type(img).__name__
    if mod.startswith("dask.array") and name == "Array":
        return "dask"
    if mod.startswith("xarray.") and name == "DataArray":
        return "xarray"
    return None


def _attrs_nodata(arr):
    """The no-data value a DataArray declares (``_FillValue``, ``nodata`` or ``missing_value``
    in its attrs or encoding), or None (also for NaN: NaN is always no-data)."""
    for source in (arr.attrs, arr.encoding):
        for key in ("_FillValue", "nodata", "missing_value"):
            v = source.get(key)
            if v is not None:
                try:
                    v = float(_np.asarray(v).ravel()[0])
                except (TypeError, ValueError, IndexError):
                    continue
                return None if _np.isnan(v) else v
    return None


def _as_array(img):
    """``img`` as a numpy array for the compiled functions (no copy for ndarrays)."""
    if isinstance(img, _np.ndarray):
        ma = sys.modules.get("numpy.ma")  # (not imported: img cannot be a masked array)
        if ma is not None and isinstance(img, ma.MaskedArray):
            raise TypeError(
                "img is a masked array: pass img.filled(numpy.nan) (masked pixels become "
                "no-data), or its .data with nodata="
            )
        return img
    return _np.asarray(img)


def _delegate(kind, func_name, img, out, kwargs):
    if out is not None:
        raise TypeError(
            f"out= is for numpy arrays; img is a {kind} array: use the return value "
            f"(despeckle.{'dask' if kind == 'dask' else 'xarray'} computes lazily)"
        )
    if kind == "dask":
        from . import dask as _dask

        return getattr(_dask, func_name)(img, **kwargs)
    from . import xarray as _xarray  # noqa: F401  (registers the accessor)

    return getattr(img.despeckle, func_name)(**kwargs)


def _filter(name, img, out, **kwargs):
    """Runs the compiled filter ``name`` (or passes a dask / xarray input on)."""
    kind = _kind(img)
    if kind is not None:
        return _delegate(kind, name, img, out, kwargs)
    return _ext.filter(name, _as_array(img), out=out, **kwargs)


_COMMON = """size : int, default 7
        Window side, odd, 3 … 1001.
    border : str, default "reflect"
        ``"reflect"``, ``"mirror"``, ``"nearest"``, ``"wrap"``, ``"constant"`` (value ``cval``,
        or ``"constant:0.5"``), or ``"shrink"`` (window cut at the edge, as ESA SNAP).
    nodata : float, optional
        Value marking no-data pixels (besides NaN and ±inf, always no-data): left out of
        every window and copied unchanged to the output.
    out : numpy.ndarray, optional
        Where to write the result: ``img`` itself to filter in place (no image-sized buffer
        is allocated), or an array of the same shape and dtype that does not overlap
        ``img``. Default: a new array.
    threads : int, optional
        Worker threads (default: all cores). The result does not depend on it. More threads
        than cores are not started (a ``ResourceWarning`` says so).
    cval : float, optional
        The constant of ``border="constant"`` (default 0).
    max_memory : int or str, optional
        Memory budget of the filter's working buffers (beyond ``img`` and ``out``): bytes, or
        a string such as ``"512M"``, ``"4G"`` or ``"25%"`` (of the RAM). Fewer threads are
        used when needed; a window that does not fit even on one thread raises
        ``MemoryError`` before anything is allocated. Default: half the available memory."""

_LOOKS = """looks : float or "auto", default 4.0
        Equivalent number of looks ``L`` (> 0, need not be an integer), or ``"auto"``: estimated
        from each image plane by :func:`estimate_enl`, at least 1 (an estimate below one look
        means texture everywhere: speckle has at least one look)."""

_DOMAIN = """domain : {"intensity", "amplitude"}, default "intensity"
        Selects ``Cu = 1/√L`` (intensity) or ``√((4/π − 1)/L)`` (amplitude)."""

_DDOF = """ddof : {0, 1}, default 0
        Variance denominator ``n − ddof``: 0 population, 1 sample (ESA SNAP, Orfeo ToolBox)."""

_RETURNS = """Returns
    -------
    numpy.ndarray
        ``out`` (``img`` itself when filtering in place), same shape and dtype as ``img``.

    Raises
    ------
    TypeError
        ``img`` is not float32/float64 (integer, complex, ...), or ``out`` has another dtype.
    ValueError
        Bad parameter, wrong ``ndim``, ``out`` of another shape, read-only, or overlapping
        ``img`` without being ``img``. Nothing is written."""

_IMG = """img : numpy.ndarray
        float32 or float64 image, 2-D ``(y, x)`` or 3-D ``(band, y, x)`` (bands filtered one
        by one). A dask array or xarray.DataArray is passed on to :mod:`despeckle.dask` or
        the xarray accessor."""


def _doc(func):
    """Fills the shared parameter descriptions into ``func``'s docstring."""
    for key, text in (("%(common)s", _COMMON), ("%(looks)s", _LOOKS), ("%(domain)s", _DOMAIN),
                      ("%(ddof)s", _DDOF), ("%(returns)s", _RETURNS), ("%(img)s", _IMG)):
        func.__doc__ = func.__doc__.replace(key, text)
    return func


@_doc
def enhanced_lee(img, size=7, looks=4.0, damping=1.0, domain="intensity", border="reflect",
                 nodata=None, out=None, threads=None, cmax=None, ddof=0, *, cval=None,
                 max_memory=None):
    """Enhanced Lee filter (Lopes, Touzi & Nezry, IEEE TGRS 28(6), 1990).

    For each pixel ``z`` with window mean ``μ``, standard deviation ``σ`` and
    ``Ci = σ / μ``::

        Cu   = 1/√L                 (intensity)   or  √((4/π − 1)/L)  (amplitude)
        Cmax = √(1 + 2/L)           (unless cmax is given)

        μ ≤ 0            → μ
        Ci ≤ Cu          → μ                                   homogeneous area
        Cu < Ci < Cmax   → W = exp(−D · (Ci − Cu) / (Cmax − Ci))
                           μ·W + z·(1 − W)                     heterogeneous area
        Ci ≥ Cmax        → z                                   point target, strong edge

    The output is continuous in ``Ci``. ``Cmax = √(1 + 2/L)`` is the value of Lopes et
    al. and PCI Geomatica's FELEE (not the ``√(1 + 2L)`` of widely copied numpy code).

    Parameters
    ----------
    %(img)s
    %(looks)s
    damping : float, default 1.0
        Damping factor ``D ≥ 0``; larger keeps more of ``z`` near edges.
    %(domain)s
    cmax : float, optional
        Overrides ``Cmax`` (must be finite and greater than ``Cu``).
    %(ddof)s
    %(common)s

    %(returns)s

    Examples
    --------
    >>> import numpy, despeckle
    >>> img = numpy.random.default_rng(0).gamma(4.0, 0.25, (512, 512)).astype(numpy.float32)
    >>> smooth = despeckle.enhanced_lee(img, size=7, looks=4)
    >>> smooth.dtype, smooth.shape
    (dtype('float32'), (512, 512))
    >>> _ = despeckle.enhanced_lee(img, size=7, looks=4, out=img)   # in place
    """
    return _filter("enhanced_lee", img, out, size=size, looks=looks, damping=damping,
                   domain=domain, border=border, cval=cval, nodata=nodata, threads=threads,
                   max_memory=max_memory,
                   cmax=cmax, ddof=ddof)


@_doc
def lee(img, size=7, looks=4.0, domain="intensity", border="reflect", nodata=None, out=None,
        threads=None, ddof=0, *, cval=None, max_memory=None):
    """Lee filter (Lee 1980), multiplicative-noise form: local-statistics MMSE.

    With the window's ``μ``, ``σ²``, ``Ci = σ/μ`` and ``Cu``::

        μ ≤ 0  → μ
        r = Cu² / Ci²                    (r = ∞ where Ci = 0)
        W = clamp(1 − r, 0, 1)           (Ci ≤ Cu gives W = 0: the mean)
        out = μ + W · (z − μ)

    PCI Geomatica's FLE, ESA SNAP's and the Orfeo ToolBox's Lee (with ``ddof=1``; add
    ``border="nearest"`` for OTB, ``border="shrink"`` for SNAP).

    Parameters
    ----------
    %(img)s
    %(looks)s
    %(domain)s
    %(ddof)s
    %(common)s

    %(returns)s
    """
    return _filter("lee", img, out, size=size, looks=looks, domain=domain, border=border,
                   cval=cval, nodata=nodata, threads=threads, max_memory=max_memory, ddof=ddof)


@_doc
def kuan(img, size=7, looks=4.0, domain="intensity", border="reflect", nodata=None, out=None,
         threads=None, ddof=0, *, cval=None, max_memory=None):
    """Kuan filter (Kuan, Sawchuk, Strand & Chavel 1985): local-statistics MMSE.

    With the window's ``μ``, ``σ²``, ``Ci = σ/μ`` and ``Cu``::

        μ ≤ 0  → μ
        W = clamp((1 − Cu²/Ci²) / (1 + Cu²), 0, 1)
        out = μ + W · (z − μ)

    The Orfeo ToolBox's Kuan (with ``ddof=1, border="nearest"``).

    Parameters
    ----------
    %(img)s
    %(looks)s
    %(domain)s
    %(ddof)s
    %(common)s

    %(returns)s
    """
    return _filter("kuan", img, out, size=size, looks=looks, domain=domain, border=border,
                   cval=cval, nodata=nodata, threads=threads, max_memory=max_memory, ddof=ddof)


@_doc
def gamma_map(img, size=7, looks=4.0, border="reflect", nodata=None, out=None, threads=None,
              ddof=0, *, cval=None, max_memory=None):
    """Gamma MAP filter (Lopes, Nezry, Touzi & Laur 1990), for ``L``-look intensity data.

    With the window's ``μ``, ``Ci = σ/μ`` and ``Cu = 1/√L``::

        μ ≤ 0 or Ci ≤ Cu   → μ
        Ci ≥ √2 · Cu       → z
        otherwise            α = (1 + Cu²) / (Ci² − Cu²),   b = α − L − 1
                             D = μ² b² + 4 α L μ z
                             out = (b μ + √D) / (2α)      (z where D < 0)

    ``out`` is the positive root of ``α x² − b μ x − L μ z = 0``, the MAP estimate under a
    Gamma prior. Amplitude images: filter their squares.

    Parameters
    ----------
    %(img)s
    %(looks)s
    %(ddof)s
    %(common)s

    %(returns)s
    """
    return _filter("gamma_map", img, out, size=size, looks=looks, border=border, cval=cval,
                   nodata=nodata, threads=threads, max_memory=max_memory, ddof=ddof)


@_doc
def frost(img, size=7, damping=2.0, distance="euclidean", border="reflect", nodata=None,
          out=None, threads=None, ddof=0, *, cval=None, max_memory=None):
    """Frost filter (Frost, Stiles, Shanmugan & Holtzman 1982).

    With the window's ``μ`` and ``σ²``, over the valid pixels ``j`` of the window::

        μ ≤ 0  → μ
        A   = K · σ² / μ²                       (K · Ci²)
        m_j = exp(−A · d_j)                     d_j: distance of pixel j to the centre
        out = Σ m_j x_j / Σ m_j

    Parameters
    ----------
    %(img)s
    damping : float, default 2.0
        ``K ≥ 0`` (ESA SNAP's default 2; the Orfeo ToolBox's ``deramp``, default 0.1).
    distance : {"euclidean", "chebyshev"}, default "euclidean"
        ``√(dx² + dy²)`` (Frost et al., OTB) or ``max(|dx|, |dy|)`` (ESA SNAP).
    %(ddof)s
    %(common)s

    %(returns)s
    """
    return _filter("frost", img, out, size=size, damping=damping, distance=distance,
                   border=border, cval=cval, nodata=nodata, threads=threads,
                   max_memory=max_memory, ddof=ddof)


@_doc
def enhanced_frost(img, size=7, looks=4.0, damping=1.0, domain="intensity", cmax=None,
                   distance="euclidean", border="reflect", nodata=None, out=None, threads=None,
                   ddof=0, *, cval=None, max_memory=None):
    """Enhanced Frost filter (Lopes, Touzi & Nezry 1990).

    With the window's ``μ``, ``Ci = σ/μ``, ``Cu`` and ``Cmax = √(1 + 2/L)``::

        μ ≤ 0 or Ci ≤ Cu   → μ
        Ci ≥ Cmax          → z
        otherwise            m_j = exp(−K · (Ci − Cu) / (Cmax − Ci) · d_j)
                             out = Σ m_j x_j / Σ m_j        over the valid pixels j

    Continuous in ``Ci``: all weights 1 at ``Cu`` (the mean), only the centre's at ``Cmax``.

    Parameters
    ----------
    %(img)s
    %(looks)s
    damping : float, default 1.0
        ``K ≥ 0`` (PCI Geomatica's FEFROST default).
    %(domain)s
    cmax : float, optional
        Overrides ``Cmax`` (must be finite and greater than ``Cu``).
    distance : {"euclidean", "chebyshev"}, default "euclidean"
        How ``d_j`` is measured (see :func:`frost`).
    %(ddof)s
    %(common)s

    %(returns)s
    """
    return _filter("enhanced_frost", img, out, size=size, looks=looks, damping=damping,
                   domain=domain, cmax=cmax, distance=distance, border=border, cval=cval,
                   nodata=nodata, threads=threads, max_memory=max_memory, ddof=ddof)


@_doc
def refined_lee(img, size=7, looks=None, domain="intensity", border="reflect", nodata=None,
                out=None, threads=None, ddof=0, *, cval=None, max_memory=None):
    """Refined Lee filter (Lee 1981), single-band form of ESA SNAP's, edge-aligned windows.

    For a window of side ``n`` (5, 7 -- the classic --, 9, 11, 13, 15 or 17): the 3 × 3 grid
    of sub-window means, the direction of the largest gradient between opposite sub-windows,
    the half window (centre line included) on the side of the edge closer to the centre's
    sub-window; over it ``μ``, ``σ²`` and::

        b = max(0, (σ² − μ² η²) / (1 + η²)) / σ²      (0 where σ² = 0)
        out = μ + b (z − μ)                            (μ ≤ 0 → μ)

    The noise level ``η² = Cu²`` when ``looks`` is given; otherwise ESA SNAP's local estimate,
    the mean of the five smallest ``σ_k²/μ_k²`` of the nine sub-windows. A window with an
    invalid pixel uses all its valid pixels instead of a half window. Details:
    ``docs/filters.md``.

    Parameters
    ----------
    %(img)s
    size : int, default 7
        5, 7, 9, 11, 13, 15 or 17.
    looks : float or "auto", optional
        Equivalent number of looks (``η² = Cu²``), ``"auto"`` (estimated from each plane by
        :func:`estimate_enl`, at least 1), or None (default): the local noise estimate, as
        ESA SNAP.
    %(domain)s
    %(ddof)s
    %(common)s

    %(returns)s
    """
    return _filter("refined_lee", img, out, size=size, looks=looks, domain=domain,
                   border=border, cval=cval, nodata=nodata, threads=threads,
                   max_memory=max_memory, ddof=ddof)


@_doc
def lee_sigma(img, size=7, looks=4.0, sigma=0.9, target_window=3, min_cluster=6, z98=None,
              domain="intensity", border="reflect", nodata=None, out=None, threads=None, ddof=0,
              *, cval=None, max_memory=None):
    """Improved Lee Sigma filter (Lee, Wen, Ainsworth, Chen & Chen, IEEE TGRS 2009).

    ``[I1, I2]``: the interval of probability ``sigma`` of mean-1 ``L``-look speckle whose
    truncated mean is 1; ``η′``: the truncated distribution's standard deviation; ``η = Cu``.
    For a pixel ``z``:

    1. Point targets: a pixel ``> z98`` with at least ``min_cluster`` pixels ``> z98`` in its
       ``target_window`` (or in the target window of such a pixel) is kept: ``out = z``.
    2. A-priori mean ``x̂ = μ_t + b_t (z − μ_t)``, MMSE over the target window with ``η``.
    3. Selection: the window pixels ``x`` with ``I1·x̂ ≤ x ≤ I2·x̂`` (none: ``out = z``).
    4. ``out = μ_s + b (z − μ_s)``, ``b = max(0, (σ_s² − μ_s² η′²)/(1 + η′²)) / σ_s²``
       over the selection.

    Parameters
    ----------
    %(img)s
    size : int, default 7
        Window side, at least ``2 · target_window − 1`` (7 recommended).
    %(looks)s
    sigma : float, default 0.9
        Probability of the sigma range, in (0, 1) (Lee et al. tabulate 0.5–0.9).
    target_window : {3, 5}, default 3
        Side of the target window.
    min_cluster : int, default 6
        Pixels ``> z98`` in a target window that make a point target (1 to target_window²).
    z98 : float, optional
        The image's 98th percentile; default: computed exactly from each plane
        (:func:`quantile`); ``inf`` disables the point-target test.
    %(domain)s
    %(ddof)s
    %(common)s

    %(returns)s
    """
    return _filter("lee_sigma", img, out, size=size, looks=looks, sigma=sigma,
                   target_window=target_window, min_cluster=min_cluster, z98=z98, domain=domain,
                   border=border, cval=cval, nodata=nodata, threads=threads,
                   max_memory=max_memory, ddof=ddof)


@_doc
def idan(img, size=7, looks=4.0, region=50, domain="intensity", border="reflect", nodata=None,
         out=None, threads=None, ddof=0, *, cval=None, max_memory=None):
    """IDAN: intensity-driven adaptive neighbourhood (Vasile, Trouvé, Lee & Buzuloiu 2006),
    as ESA SNAP computes it.

    For each pixel, inside its window: a region grown breadth-first from the centre over
    8-connected neighbours whose intensity is within ``(2/3)·σv·seed`` of the seed (the upper
    median of the 3 × 3 neighbourhood, ``σv = 1/√L``), at most ``region`` pixels; then the
    rejected pixels within ``2·σv·seed′`` of the region's mean ``seed′`` join. Over the
    region, ``b = max(0, (σ_I² − μ_I² σv²)/(1 + σv²)) / σ_I²`` and ``out = μ + b (z − μ)``
    (an empty region keeps ``z``). Amplitude data are grown on their squares.

    Parameters
    ----------
    %(img)s
    size : int, default 7
        Window side: the region never leaves the window (``2 · region + 1`` reproduces ESA
        SNAP's bound exactly; a compact region of 50 pixels fits in 9 × 9 or 11 × 11).
    %(looks)s
    region : int, default 50
        Maximum size of the first growth (1 … 10,000).
    %(domain)s
    %(ddof)s
    %(common)s

    %(returns)s
    """
    return _filter("idan", img, out, size=size, looks=looks, region=region, domain=domain,
                   border=border, cval=cval, nodata=nodata, threads=threads,
                   max_memory=max_memory, ddof=ddof)


@_doc
def median(img, size=7, border="reflect", nodata=None, out=None, threads=None, *, cval=None, max_memory=None):
    """Median filter: the median of each window's valid pixels.

    An even count of valid pixels gives the mean of the two middle values (ESA SNAP takes the
    upper one). Exact for every border mode and no-data pattern.

    Parameters
    ----------
    %(img)s
    %(common)s

    %(returns)s
    """
    return _filter("median", img, out, size=size, border=border, cval=cval, nodata=nodata,
                   threads=threads, max_memory=max_memory)


@_doc
def mean(img, size=7, border="reflect", nodata=None, out=None, threads=None, *, cval=None, max_memory=None):
    """Boxcar (moving average) filter: ``out = μ = Σx / n`` over the window's valid pixels.

    Unlike ``scipy.ndimage.uniform_filter``, no-data pixels (NaN, ±inf, ``nodata``) are
    left out of the mean instead of spreading, and ``border="shrink"`` averages only the
    pixels inside the image. A window without any valid pixel gives NaN.

    Parameters
    ----------
    %(img)s
    %(common)s

    %(returns)s
    """
    return _filter("mean", img, out, size=size, border=border, cval=cval, nodata=nodata,
                   threads=threads, max_memory=max_memory)


def _stat_names(stat):
    """(names, single): the statistics requested and whether one array is returned."""
    if stat is None:
        return ["mean", "variance"], False
    if isinstance(stat, str):
        return [stat], True
    names = list(stat)
    if not names or not all(isinstance(s, str) for s in names):
        raise TypeError(
            f"stat must be one of {STATISTICS}, a sequence of them, or None, got {stat!r}")
    return names, False


def local_stats(
    img,
    size=7,
    border="reflect",
    nodata=None,
    out=None,
    threads=None,
    ddof=0,
    stat=None,
    *,
    cval=None,
    max_memory=None,
):
    """Local statistics of each pixel's window: mean and variance (or std, cv).

    Over the window's valid pixels (``n`` of them)::

        mean      μ  = Σx / n
        variance  σ² = max(0, Σx² − μ·Σx) / (n − ddof)      (0 when n ≤ ddof)
        std       σ
        cv        σ / μ where μ > 0, else 0                  (coefficient of variation)

    The sums are accumulated in float64 whatever the image dtype, with a bounded rounding
    error (``|σ² − exact| ≤ 1e-12 · (μ² + σ²)``), so the variance is accurate even on data
    with a large offset -- unlike ``uniform_filter(x**2) - uniform_filter(x)**2`` in float32.

    Parameters
    ----------
    img : numpy.ndarray
        float32 or float64, 2-D ``(y, x)`` or 3-D ``(band, y, x)``.
    size : int, default 7
        Window side, odd, 3 … 1001.
    border : str, default "reflect"
        See :mod:`despeckle`.
    nodata : float, optional
        No-data value (NaN and ±inf always are). No-data pixels are copied to every output.
    out : numpy.ndarray or sequence of them, optional
        One array per statistic returned (a tuple ``(mean_out, variance_out)`` by default,
        entries may be None). One of them may be ``img`` itself: it is computed last, in place.
    threads : int, optional
        Worker threads (default: all cores).
    ddof : {0, 1}, default 0
        Variance denominator ``n − ddof`` (0 population, 1 sample).
    stat : str or sequence of str, optional
        ``"mean"``, ``"variance"`` (or ``"var"``), ``"std"``, ``"cv"``; a single name returns a
        single array, a sequence a tuple. Default: ``("mean", "variance")``.
    cval : float, optional
        Constant of ``border="constant"`` (default 0).
    max_memory : int or str, optional
        Memory budget, as for every filter (see :mod:`despeckle`).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray) or numpy.ndarray
        ``(mean, variance)`` by default; see ``stat``. Same dtype as ``img``.
    """
    kind = _kind(img)
    if kind is not None:
        return _delegate(kind, "local_stats", img, out, dict(
            size=size, border=border, nodata=nodata, threads=threads,
            max_memory=max_memory, ddof=ddof, stat=stat,
            cval=cval))
    names, single = _stat_names(stat)
    if out is None:
        outs = None
    elif single:
        outs = [out]
    elif isinstance(out, (list, tuple)):
        outs = list(out)
    else:
        raise TypeError(
            f"out must be a tuple of {len(names)} arrays (or None entries) for stat={stat!r}, "
            f"got {type(out).__name__}")
    res = _ext.local_stats(_as_array(img), names, size=size, border=border, cval=cval,
                           nodata=nodata, out=outs, threads=threads,
                           max_memory=max_memory, ddof=ddof)
    return res[0] if single else tuple(res)


# ---------------------------------------------------------------------------------------
# Every other filter of the registry (the table the command line is made from, in the
# ``despeckle-file`` crate): a function with the registry's parameter names and defaults, so
# that a filter added there is exposed here (and in despeckle.dask and the xarray accessor).
# ---------------------------------------------------------------------------------------

#: The registry: one dict per filter (``name``, ``summary``, ``params``), shared with the CLI.
_REGISTRY = tuple(_ext.filter_table())


def _registry_default(p):
    text = p["default"]
    if text is None or p["kind"] == "choice" or text.strip().lower() == "auto":
        return text
    return int(text) if p["kind"] == "int" else float(text)


def _make_filter(entry):
    import inspect

    name = entry["name"].replace("-", "_")
    P = inspect.Parameter
    params = [P("img", P.POSITIONAL_OR_KEYWORD), P("size", P.POSITIONAL_OR_KEYWORD, default=7)]
    params += [P(p["name"], P.POSITIONAL_OR_KEYWORD, default=_registry_default(p))
               for p in entry["params"]]
    params += [P("border", P.POSITIONAL_OR_KEYWORD, default="reflect"),
               P("nodata", P.POSITIONAL_OR_KEYWORD, default=None),
               P("out", P.POSITIONAL_OR_KEYWORD, default=None),
               P("threads", P.POSITIONAL_OR_KEYWORD, default=None),
               P("cval", P.KEYWORD_ONLY, default=None),
               P("max_memory", P.KEYWORD_ONLY, default=None)]
    sig = inspect.Signature(params)

    def func(*args, **kwargs):
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        kw = dict(bound.arguments)
        img, out = kw.pop("img"), kw.pop("out")
        return _filter(name, img, out, **kw)

    func.__name__ = func.__qualname__ = name
    func.__signature__ = sig
    lines = [f"{entry['summary']}.", "", "Parameters", "----------", "img : numpy.ndarray",
             "    float32 or float64 image, 2-D (y, x) or 3-D (band, y, x).",
             "size : int, default 7", "    Window side, odd, 3 … 1001."]
    for p in entry["params"]:
        lines += [f"{p['name']} : {p['kind']}, default {_registry_default(p)!r}",
                  f"    {p['help']}"]
    lines += ["border, nodata, out, threads, cval, max_memory", "    As for every filter (see despeckle)."]
    func.__doc__ = "\n    ".join(lines)
    return func


for _entry in _REGISTRY:
    _name = _entry["name"].replace("-", "_")
    if _name not in globals():
        globals()[_name] = _make_filter(_entry)
        FILTERS = FILTERS + (_name,)
        __all__.append(_name)


def filter_file(src, dst, filter, *, size=7, border="reflect", nodata=None, threads=None,
                band=None, compress=None, level=None, predictor=None, tiled=None, strips=None,
                bigtiff="auto", dtype=None, complex=None, overwrite=False, quicklook=None,
                progress=None, cval=None, cog=False, max_memory=None, **filter_params):
    """Filters a GeoTIFF file into another, streaming: what ``despeckle FILTER IN OUT`` does.

    The image is read, filtered and written strip by strip (memory grows with its width,
    not its height), on all cores, with the GIL released for the whole run. The output keeps
    the size, georeferencing, GDAL metadata and no-data value of the input, and (unless told
    otherwise) its layout and compression; it is written to a temporary file renamed when
    complete: on any error no output is left. The result equals the in-memory filter
    (``despeckle.<filter>(array, ...)`` on the band converted to float32/float64) bit for bit.

    Parameters
    ----------
    src, dst : str or os.PathLike
        Input GeoTIFF (strips or tiles, classic or BigTIFF, none/LZW/Deflate/ZSTD/PackBits,
        integer, float or complex samples) and output GeoTIFF.
    filter : str
        The filter: ``"enhanced_lee"`` (or ``"enhanced-lee"``), ``"lee"``, ``"kuan"``,
        ``"gamma_map"``, ``"frost"``, ``"enhanced_frost"``, ``"refined_lee"``,
        ``"lee_sigma"``, ``"idan"``, ``"median"``, ``"mean"``, ``"local_stats"``
        (:data:`FILTERS`).
    **filter_params
        The filter's parameters, with the names and defaults of the in-memory function
        (``looks=4``, ``damping=1.0``, ``ddof=1``, ``stat="cv"``, ...). ``looks="auto"``
        and Lee Sigma's ``z98`` (default ``"auto"``) are estimated from each band of the file
        before it is filtered (extra passes over the band); the values used are returned.
    size : int, default 7
        Window side, odd, 3 … 1001.
    border : str, default "reflect"
        As for the in-memory filters (``cval=`` for ``"constant"``).
    nodata : float or "none", optional
        No-data value. Default: the input's ``GDAL_NODATA``; ``"none"`` ignores it. NaN and
        ±inf are always no-data. The value used is written to the output.
    threads : int, optional
        Worker threads (default: all cores). The result does not depend on it.
    band : int or sequence of int, optional
        Input band(s) to filter, numbered from 1 as in GDAL (default: all), in output order.
    compress : {"none", "deflate", "lzw", "zstd", "packbits"}, optional
        Output compression (default: the input's). ``level=``: Deflate 1–9 (default 6), ZSTD
        1–22 (default 9).
    predictor : {"none", "float"} or bool, optional
        Floating-point predictor with compression (default: if the input uses a predictor).
    tiled : bool, int or (int, int), optional
        Tiled output (``True``: 256 × 256; sides multiples of 16); ``False``: strips. Default:
        the input's layout. ``strips=N`` (or ``True``): strips of ``N`` rows (about 512 KiB).
    bigtiff : {"auto", "yes", "no"} or bool, default "auto"
        BigTIFF when the output could pass 4 GiB, or always / never.
    cog : bool, default False
        Write a Cloud-Optimized GeoTIFF, laid out as GDAL's COG driver does: tiles (512 × 512,
        or ``tiled=``; ``strips=`` is refused), internal overviews down to one tile (each
        pixel the mean of the valid pixels of a 2 × 2 block of the level above; no-data when
        there is none), all directories before the data. Still streamed: the levels are
        spilled to temporary files beside ``dst`` and assembled at the end.
    dtype : {"float32", "float64"}, optional
        Output sample type (default: float64 for float64 input, float32 otherwise).
    complex : {"intensity", "amplitude"}, optional
        How complex (SLC) samples are read (default: the filter's ``domain``, else intensity).
    overwrite : bool, default False
        Replace an existing output (else ``FileExistsError``).
    quicklook : str or os.PathLike, optional
        Also write a quick-look PNG of the first output band (≤ 1024 px, dB, 2–98 % stretch).
    progress : callable, optional
        ``progress(rows_done, rows_total)`` (rows summed over the bands), called at most ten
        times a second from the calling thread; an exception it raises stops the run (no
        output) and is raised. Ctrl-C stops the run too.

    Returns
    -------
    dict
        ``filter``, ``output``, ``width``, ``height``, ``bands`` (numbered from 1),
        ``estimates`` (``{"looks": [value per band], ...}`` for ``"auto"`` parameters),
        ``input_type``, ``nodata``, ``dtype``, ``compress``, ``tiled`` (``(w, h)`` or False),
        ``bigtiff``, ``cog``, ``quicklook``, ``seconds``.

    Raises
    ------
    FileNotFoundError
        ``src`` (or ``dst``'s folder) does not exist.
    FileExistsError
        ``dst`` exists and ``overwrite`` is False.
    TypeError, ValueError
        A bad parameter (the message says what to change); ``ValueError`` also for a file
        that is not a readable TIFF (corrupt, unsupported), naming the file.
    OSError
        Reading or writing failed (permissions, disk full, ...).

    Examples
    --------
    >>> despeckle.filter_file("s1.tif", "s1_el.tif", "enhanced_lee", size=7, looks=4)
    ... # doctest: +SKIP
    >>> despeckle.filter_file("s1.tif", "s1_ls.tif", "lee_sigma", looks="auto")["estimates"]
    ... # doctest: +SKIP
    {'looks': [4.37], 'z98': [0.8125]}
    """
    return _ext.filter_file(
        src, dst, filter, size=size, border=border, cval=cval, nodata=nodata, threads=threads,
        band=band, complex=complex, compress=compress, level=level, predictor=predictor,
        tiled=tiled, strips=strips, bigtiff=bigtiff, dtype=dtype, overwrite=overwrite,
        quicklook=quicklook, progress=progress, cog=cog, max_memory=max_memory, **filter_params)


def _per_plane(values, img):
    """A float for a 2-D image, an array of one value per band for a 3-D stack."""
    return float(values[0]) if _np.ndim(img) == 2 else _np.asarray(values, dtype=_np.float64)


def estimate_enl(img, nodata=None, domain="intensity"):
    """Estimates the equivalent number of looks of an image from its most homogeneous areas.

    What ``looks="auto"`` uses (at least 1: an estimate below one look means texture
    everywhere, as speckle has at least one look; this function reports the estimate as it
    is). The image is cut into non-overlapping 9 × 9 blocks; a block
    counts when all its pixels are valid and its mean and sample variance are positive
    (amplitude data are squared first). ``c_b = s_b²/μ_b²`` is histogrammed in ``ln c``; the
    mode locates the homogeneous population, and ``L = 1/mean(c_b)`` over the blocks up to
    ``mode·(1 + 2.5 r)`` (``r`` the spread expected for ``L``-look speckle), iterated. Within
    2.5 % on simulated speckle of 1–16 looks. Details: ``docs/filters.md``.

    Parameters
    ----------
    img : numpy.ndarray
        float32 or float64, 2-D, or 3-D ``(band, y, x)``: one estimate per band. A dask array
        is read strip by strip (:func:`despeckle.dask.estimate_enl`).
    nodata : float, optional
        No-data value (NaN and ±inf always are).
    domain : {"intensity", "amplitude"}, default "intensity"

    Returns
    -------
    float, or numpy.ndarray of one value per band

    Raises
    ------
    ValueError
        No 9 × 9 block of valid pixels with a positive mean and variance.
    """
    if _kind(img) == "dask":
        from . import dask as _dask

        return _dask.estimate_enl(img, nodata=nodata, domain=domain)
    img = _as_array(img)
    return _per_plane(_ext.estimate(img, "enl", nodata=nodata, domain=domain), img)


def quantile(img, q, nodata=None):
    """The exact nearest-rank ``q``-quantile of an image's valid pixels.

    The ``⌈q·n⌉``-th smallest of the ``n`` valid values (``q = 0``: the smallest), by radix
    selection (no sort, no copy of the image). ``quantile(img, 0.98)`` is Lee Sigma's ``z98``.

    Parameters
    ----------
    img : numpy.ndarray
        float32 or float64, 2-D, or 3-D ``(band, y, x)``: one value per band. A dask array is
        read strip by strip (:func:`despeckle.dask.quantile`).
    q : float
        In [0, 1].
    nodata : float, optional
        No-data value (NaN and ±inf always are).

    Returns
    -------
    float (NaN when there is no valid pixel), or numpy.ndarray of one value per band
    """
    if _kind(img) == "dask":
        from . import dask as _dask

        return _dask.quantile(img, q, nodata=nodata)
    img = _as_array(img)
    return _per_plane(_ext.estimate(img, "quantile", q=q, nodata=nodata), img)


# ---------------------------------------------------------------------------------------
# The xarray accessor: registered now if xarray is loaded, else as soon as it is imported
# (a post-import hook, so that `import despeckle` does not pay for importing xarray).
# ---------------------------------------------------------------------------------------


def _register_xarray():
    from . import xarray as _xarray  # noqa: F401  (registers DataArray.despeckle)


class _XarrayHook(importlib.abc.MetaPathFinder):
    """Registers the accessor right after ``xarray`` has been imported, then removes itself."""

    def find_spec(self, name, path=None, target=None):
        if name != "xarray":
            return None
        try:
            sys.meta_path.remove(self)
        except ValueError:  # pragma: no cover - already removed
            pass
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader = spec.loader
        run = loader.exec_module

        def exec_module(module):
            run(module)
            try:
                _register_xarray()
            except Exception:  # pragma: no cover - never break `import xarray`
                pass

        loader.exec_module = exec_module  # this spec's own loader instance only
        return spec


if "xarray" in sys.modules:
    _register_xarray()
elif importlib.util.find_spec("xarray") is not None:
    sys.meta_path.insert(0, _XarrayHook())

from . import metrics  # noqa: E402,F401  (despeckle.metrics)
from . import polsar  # noqa: E402,F401  (despeckle.polsar)
