"""Type stubs of the compiled module ``despeckle._despeckle`` (private: use ``despeckle``).

Every parameter is keyword-only and ``None`` means its default (the defaults are those of the
public functions in ``despeckle``).
"""

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

__all__ = [
    "enhanced_lee", "mean", "local_stats", "lee", "kuan", "gamma_map", "frost", "enhanced_frost",
    "median", "refined_lee", "lee_sigma", "idan", "estimate", "estimate_rows", "border_mode",
    "REFRESH_ROWS", "REFRESH_COLS", "CORE_VERSION",
]

_Float = np.float32 | np.float64
_Array = npt.NDArray[_Float]
_Looks = float | str

REFRESH_ROWS: int
REFRESH_COLS: int
CORE_VERSION: str

def enhanced_lee(
    img: _Array,
    *,
    size: int | None = None,
    looks: _Looks | None = None,
    damping: float | None = None,
    domain: str | None = None,
    border: str | None = None,
    cval: float | None = None,
    nodata: float | None = None,
    out: _Array | None = None,
    threads: int | None = None,
    cmax: float | None = None,
    ddof: int | None = None,
) -> _Array: ...
def mean(
    img: _Array,
    *,
    size: int | None = None,
    border: str | None = None,
    cval: float | None = None,
    nodata: float | None = None,
    out: _Array | None = None,
    threads: int | None = None,
) -> _Array: ...
def local_stats(
    img: _Array,
    stats: Sequence[str],
    *,
    size: int | None = None,
    border: str | None = None,
    cval: float | None = None,
    nodata: float | None = None,
    out: Sequence[_Array | None] | None = None,
    threads: int | None = None,
    ddof: int | None = None,
) -> list[_Array]: ...
def border_mode(border: str | None, cval: float | None = None) -> str: ...
def lee(
    img: _Array, *, size: int | None = None, looks: _Looks | None = None,
    domain: str | None = None, border: str | None = None, cval: float | None = None,
    nodata: float | None = None, out: _Array | None = None, threads: int | None = None,
    ddof: int | None = None,
) -> _Array: ...
def kuan(
    img: _Array, *, size: int | None = None, looks: _Looks | None = None,
    domain: str | None = None, border: str | None = None, cval: float | None = None,
    nodata: float | None = None, out: _Array | None = None, threads: int | None = None,
    ddof: int | None = None,
) -> _Array: ...
def gamma_map(
    img: _Array, *, size: int | None = None, looks: _Looks | None = None,
    border: str | None = None, cval: float | None = None, nodata: float | None = None,
    out: _Array | None = None, threads: int | None = None, ddof: int | None = None,
) -> _Array: ...
def frost(
    img: _Array, *, size: int | None = None, damping: float | None = None,
    distance: str | None = None, border: str | None = None, cval: float | None = None,
    nodata: float | None = None, out: _Array | None = None, threads: int | None = None,
    ddof: int | None = None,
) -> _Array: ...
def enhanced_frost(
    img: _Array, *, size: int | None = None, looks: _Looks | None = None,
    damping: float | None = None, domain: str | None = None, cmax: float | None = None,
    distance: str | None = None, border: str | None = None, cval: float | None = None,
    nodata: float | None = None, out: _Array | None = None, threads: int | None = None,
    ddof: int | None = None,
) -> _Array: ...
def median(
    img: _Array, *, size: int | None = None, border: str | None = None,
    cval: float | None = None, nodata: float | None = None, out: _Array | None = None,
    threads: int | None = None,
) -> _Array: ...
def refined_lee(
    img: _Array, *, size: int | None = None, looks: _Looks | None = None,
    domain: str | None = None, border: str | None = None, cval: float | None = None,
    nodata: float | None = None, out: _Array | None = None, threads: int | None = None,
    ddof: int | None = None,
) -> _Array: ...
def lee_sigma(
    img: _Array, *, size: int | None = None, looks: _Looks | None = None,
    sigma: float | None = None, target_window: int | None = None,
    min_cluster: int | None = None, z98: float | None = None, domain: str | None = None,
    border: str | None = None, cval: float | None = None, nodata: float | None = None,
    out: _Array | None = None, threads: int | None = None, ddof: int | None = None,
) -> _Array: ...
def idan(
    img: _Array, *, size: int | None = None, looks: _Looks | None = None,
    region: int | None = None, domain: str | None = None, border: str | None = None,
    cval: float | None = None, nodata: float | None = None, out: _Array | None = None,
    threads: int | None = None, ddof: int | None = None,
) -> _Array: ...
def estimate(
    img: _Array, what: str, *, q: float | None = None, nodata: float | None = None,
    domain: str | None = None,
) -> list[float]: ...
def estimate_rows(
    read: Callable[[int, int], _Array], height: int, width: int, dtype: str, what: str, *,
    q: float | None = None, nodata: float | None = None, domain: str | None = None,
) -> float: ...
