"""Quality measures of a speckle filter's output (definitions in ``docs/metrics.md``).

Computed by the core crate in one pass over the rows (no image-sized temporaries), skipping
no-data (NaN, ±inf and ``nodata``). ``roi=(x, y, w, h)`` restricts a measure to a rectangle
(columns ``x .. x + w``, rows ``y .. y + h``, clipped to the image).

Without a clean reference (``input`` the speckled image, ``output`` the filtered one):

* :func:`enl` -- equivalent number of looks ``μ²/σ²`` of a region (intensity; amplitude:
  ``(4/π − 1)·μ²/σ²``), by default over the most homogeneous 15 × 15 blocks;
* :func:`ssi` -- speckle suppression index ``(σ_f/μ_f) / (σ_o/μ_o)``;
* :func:`mean_ratio` -- mean preservation ``μ_f / μ_o``;
* :func:`epi` -- edge preservation index ``Σ|Δf| / Σ|Δo|``;
* :func:`m_index` -- the M index of Gomez, Ospina & Frery (2017) from the ratio image
  ``input / output``;
* :func:`assess` -- all of them at once (and the ratio image's mean and ENL), as a dict.

With a clean reference ``truth``: :func:`psnr`, :func:`ssim` (as scikit-image's
``structural_similarity(truth, estimate, data_range=peak)``), :func:`bias`, and
:func:`compare_to_reference` (all three).
"""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from . import _despeckle

Roi = Tuple[int, int, int, int]

__all__ = [
    "assess",
    "enl",
    "ssi",
    "mean_ratio",
    "epi",
    "m_index",
    "psnr",
    "ssim",
    "bias",
    "compare_to_reference",
]


def _pair(a: Any, b: Any) -> Tuple[np.ndarray, np.ndarray]:
    """Two 2-D float arrays of one dtype (float32 kept when both are float32)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(
            f"expected 2-D images (y, x), got shapes {a.shape} and {b.shape}"
        )
    if a.dtype == b.dtype and a.dtype in (np.float32, np.float64):
        return a, b
    return a.astype(np.float64), b.astype(np.float64)


def _roi(roi: Optional[Sequence[int]]) -> Roi:
    if roi is None:
        raise ValueError("roi is required")
    t = tuple(int(v) for v in roi)
    if len(t) != 4 or any(v < 0 for v in t):
        raise ValueError(f"roi must be (x, y, width, height) of non-negative ints, got {roi!r}")
    return t  # type: ignore[return-value]


def assess(
    input: Any,
    output: Any,
    rois: Sequence[Sequence[int]] = (),
    *,
    domain: str = "intensity",
    nodata: Optional[float] = None,
) -> dict:
    """Every no-reference measure of ``output`` (filtered) against ``input``.

    Returns a dict with ``whole`` (the whole image), ``regions`` (one per ``rois`` entry) --
    each a dict of ``pixels``, ``enl_input``, ``enl_output``, ``ssi``, ``mean_ratio``,
    ``epi``, ``ratio_mean``, ``ratio_enl`` --, ``homogeneous`` (the same over the
    automatically found homogeneous blocks, or ``None``) and ``m_index`` (``m``,
    ``first_order``, ``delta_h``, ``homogeneity``, ``shuffled_homogeneity``, ``blocks``, or
    ``None`` when the image has no complete homogeneous 15 × 15 block).
    """
    a, b = _pair(input, output)
    return _despeckle.assess(
        a, b, [_roi(r) for r in rois], domain=domain, nodata=nodata
    )


def enl(
    img: Any,
    roi: Optional[Sequence[int]] = None,
    *,
    domain: str = "intensity",
    nodata: Optional[float] = None,
) -> float:
    """Equivalent number of looks of ``img`` over ``roi`` (``μ²/σ²``, population variance).

    Without ``roi``: ``1 / mean(σ²/μ²)`` over the 5 % most homogeneous (lowest coefficient
    of variation) complete 15 × 15 blocks (at most 1,000); chosen for their low variance,
    these blocks over-estimate the ENL of pure speckle (see ``docs/metrics.md``). NaN when
    the image has no such block.
    """
    a = np.asarray(img)
    if roi is None:
        h = assess(a, a, domain=domain, nodata=nodata)["homogeneous"]
        return math.nan if h is None else h["enl_input"]
    return assess(a, a, [roi], domain=domain, nodata=nodata)["regions"][0]["enl_input"]


def _region(input: Any, output: Any, roi: Optional[Sequence[int]], nodata, key: str) -> float:
    m = assess(input, output, [] if roi is None else [roi], nodata=nodata)
    return (m["whole"] if roi is None else m["regions"][0])[key]


def ssi(
    input: Any, output: Any, roi: Optional[Sequence[int]] = None, *, nodata: Optional[float] = None
) -> float:
    """Speckle suppression index ``(σ_f/μ_f) / (σ_o/μ_o)`` over ``roi`` (default: the whole
    image); below 1: speckle reduced."""
    return _region(input, output, roi, nodata, "ssi")


def mean_ratio(
    input: Any, output: Any, roi: Optional[Sequence[int]] = None, *, nodata: Optional[float] = None
) -> float:
    """Mean preservation ratio ``μ_f / μ_o`` over ``roi`` (default: the whole image); 1 is
    ideal."""
    return _region(input, output, roi, nodata, "mean_ratio")


def epi(
    input: Any, output: Any, roi: Optional[Sequence[int]] = None, *, nodata: Optional[float] = None
) -> float:
    """Edge preservation index ``Σ|Δf| / Σ|Δo|`` over the horizontally and vertically
    adjacent pixel pairs of ``roi`` (default: the whole image) valid in both images; 1 keeps
    edges, smoothing lowers it."""
    return _region(input, output, roi, nodata, "epi")


def m_index(
    input: Any, output: Any, *, domain: str = "intensity", nodata: Optional[float] = None
) -> float:
    """The M index of Gomez, Ospina & Frery (2017): ``(r_ENL,μ + δh) / 2`` from the ratio
    image ``input / output`` (0 ideal, lower is better; NaN without homogeneous blocks).
    ``assess(...)["m_index"]`` gives its parts."""
    m = assess(input, output, domain=domain, nodata=nodata)["m_index"]
    return math.nan if m is None else m["m"]


def _peak(truth: np.ndarray, nodata: Optional[float]) -> float:
    valid = np.isfinite(truth)
    if nodata is not None:
        valid &= truth != truth.dtype.type(nodata)
    if not valid.any():
        raise ValueError("truth has no valid pixel")
    v = truth[valid]
    return float(v.max()) - float(v.min())


def compare_to_reference(
    truth: Any,
    estimate: Any,
    peak: Optional[float] = None,
    *,
    nodata: Optional[float] = None,
) -> dict:
    """PSNR, SSIM and bias of ``estimate`` against a clean ``truth``, as a dict (``psnr``,
    ``ssim``, ``ssim_windows``, ``mse``, ``bias``, ``relative_bias``, ``pixels``, ``peak``).

    ``peak`` is the data range (default: max − min of the valid pixels of ``truth``).
    """
    t, e = _pair(truth, estimate)
    if peak is None:
        peak = _peak(t, nodata)
    return _despeckle.reference(t, e, float(peak), nodata=nodata)


def psnr(truth: Any, estimate: Any, peak: Optional[float] = None, *, nodata: Optional[float] = None) -> float:
    """Peak signal-to-noise ratio ``10·log10(peak² / MSE)`` in dB (scikit-image's
    ``peak_signal_noise_ratio(truth, estimate, data_range=peak)``)."""
    return compare_to_reference(truth, estimate, peak, nodata=nodata)["psnr"]


def ssim(truth: Any, estimate: Any, peak: Optional[float] = None, *, nodata: Optional[float] = None) -> float:
    """Mean SSIM (Wang et al. 2004) with scikit-image's defaults: 7 × 7 uniform windows,
    sample covariances, K1 = 0.01, K2 = 0.03, averaged over the windows inside the image
    (``structural_similarity(truth, estimate, data_range=peak)``); windows with a no-data
    pixel are skipped. NaN for images smaller than 7 × 7."""
    return compare_to_reference(truth, estimate, peak, nodata=nodata)["ssim"]


def bias(truth: Any, estimate: Any, *, nodata: Optional[float] = None) -> float:
    """Mean bias ``mean(estimate − truth)`` over the pixels valid in both."""
    return compare_to_reference(truth, estimate, 1.0, nodata=nodata)["bias"]
