"""Type stubs of ``despeckle.dask``."""

from typing import Literal, overload

import dask.array as da
import numpy.typing as npt

__all__ = [
    "enhanced_lee", "lee", "kuan", "gamma_map", "frost", "enhanced_frost", "refined_lee",
    "lee_sigma", "idan", "ppb", "median", "mean", "local_stats", "estimate_enl", "quantile",
]

_Domain = Literal["intensity", "amplitude", "power", "magnitude"]
_Stat = Literal["mean", "variance", "var", "std", "cv"]
_In = da.Array | npt.NDArray
_Looks = float | Literal["auto"]
_Distance = Literal["euclidean", "chebyshev"]

def enhanced_lee(
    darr: _In,
    size: int = 7,
    looks: _Looks = 4.0,
    damping: float = 1.0,
    domain: _Domain = "intensity",
    border: str = "reflect",
    nodata: float | None = None,
    threads: int | None = None,
    cmax: float | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> da.Array: ...
def lee(
    darr: _In,
    size: int = 7,
    looks: _Looks = 4.0,
    domain: _Domain = "intensity",
    border: str = "reflect",
    nodata: float | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> da.Array: ...
def kuan(
    darr: _In,
    size: int = 7,
    looks: _Looks = 4.0,
    domain: _Domain = "intensity",
    border: str = "reflect",
    nodata: float | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> da.Array: ...
def gamma_map(
    darr: _In,
    size: int = 7,
    looks: _Looks = 4.0,
    border: str = "reflect",
    nodata: float | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> da.Array: ...
def frost(
    darr: _In,
    size: int = 7,
    damping: float = 2.0,
    distance: _Distance = "euclidean",
    border: str = "reflect",
    nodata: float | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> da.Array: ...
def enhanced_frost(
    darr: _In,
    size: int = 7,
    looks: _Looks = 4.0,
    damping: float = 1.0,
    domain: _Domain = "intensity",
    cmax: float | None = None,
    distance: _Distance = "euclidean",
    border: str = "reflect",
    nodata: float | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> da.Array: ...
def refined_lee(
    darr: _In,
    size: int = 7,
    looks: _Looks | None = None,
    domain: _Domain = "intensity",
    border: str = "reflect",
    nodata: float | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> da.Array: ...
def lee_sigma(
    darr: _In,
    size: int = 7,
    looks: _Looks = 4.0,
    sigma: float = 0.9,
    target_window: Literal[3, 5] = 3,
    min_cluster: int = 6,
    z98: float | None = None,
    domain: _Domain = "intensity",
    border: str = "reflect",
    nodata: float | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> da.Array: ...
def idan(
    darr: _In,
    size: int = 7,
    looks: _Looks = 4.0,
    region: int = 50,
    domain: _Domain = "intensity",
    border: str = "reflect",
    nodata: float | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> da.Array: ...
def ppb(
    darr: _In,
    size: int = 7,
    looks: _Looks = 4.0,
    search: int = 23,
    patch: int = 7,
    aggregation: int = 3,
    presmooth: int = 3,
    strength: float = 0.35,
    h: float | None = None,
    border: str = "reflect",
    nodata: float | None = None,
    threads: int | None = None,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> da.Array: ...
def median(
    darr: _In,
    size: int = 7,
    border: str = "reflect",
    nodata: float | None = None,
    threads: int | None = None,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> da.Array: ...
def mean(
    darr: _In,
    size: int = 7,
    border: str = "reflect",
    nodata: float | None = None,
    threads: int | None = None,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> da.Array: ...
@overload
def local_stats(
    darr: _In,
    size: int = 7,
    border: str = "reflect",
    nodata: float | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    stat: None = None,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> tuple[da.Array, da.Array]: ...
@overload
def local_stats(
    darr: _In,
    size: int = 7,
    border: str = "reflect",
    nodata: float | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    stat: _Stat,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> da.Array: ...
@overload
def local_stats(
    darr: _In,
    size: int = 7,
    border: str = "reflect",
    nodata: float | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    stat: list[_Stat] | tuple[_Stat, ...],
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> tuple[da.Array, ...]: ...
def estimate_enl(
    darr: _In, nodata: float | None = None, domain: _Domain = "intensity"
) -> float | npt.NDArray: ...
def quantile(darr: _In, q: float, nodata: float | None = None) -> float | npt.NDArray: ...
