"""Type stubs of ``despeckle`` (see the module's docstring for the conventions)."""

import os
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar, overload

import numpy as np
import numpy.typing as npt

from . import polsar as polsar

__all__ = [
    "enhanced_lee", "lee", "kuan", "gamma_map", "frost", "enhanced_frost", "refined_lee",
    "lee_sigma", "idan", "ppb", "median", "mean", "local_stats", "estimate_enl", "quantile",
    "filter_file", "FILTERS", "STATISTICS", "BORDERS", "__version__",
]

__version__: str
FILTERS: tuple[str, ...]
STATISTICS: tuple[str, ...]
BORDERS: tuple[str, ...]

_F = TypeVar("_F", np.float32, np.float64)
_Domain = Literal["intensity", "amplitude", "power", "magnitude"]
_Stat = Literal["mean", "variance", "var", "std", "cv"]
_Looks = float | Literal["auto"]
_Distance = Literal["euclidean", "chebyshev"]

def enhanced_lee(
    img: npt.NDArray[_F],
    size: int = 7,
    looks: _Looks = 4.0,
    damping: float = 1.0,
    domain: _Domain = "intensity",
    border: str = "reflect",
    nodata: float | None = None,
    out: npt.NDArray[_F] | None = None,
    threads: int | None = None,
    cmax: float | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> npt.NDArray[_F]: ...
def lee(
    img: npt.NDArray[_F],
    size: int = 7,
    looks: _Looks = 4.0,
    domain: _Domain = "intensity",
    border: str = "reflect",
    nodata: float | None = None,
    out: npt.NDArray[_F] | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> npt.NDArray[_F]: ...
def kuan(
    img: npt.NDArray[_F],
    size: int = 7,
    looks: _Looks = 4.0,
    domain: _Domain = "intensity",
    border: str = "reflect",
    nodata: float | None = None,
    out: npt.NDArray[_F] | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> npt.NDArray[_F]: ...
def gamma_map(
    img: npt.NDArray[_F],
    size: int = 7,
    looks: _Looks = 4.0,
    border: str = "reflect",
    nodata: float | None = None,
    out: npt.NDArray[_F] | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> npt.NDArray[_F]: ...
def frost(
    img: npt.NDArray[_F],
    size: int = 7,
    damping: float = 2.0,
    distance: _Distance = "euclidean",
    border: str = "reflect",
    nodata: float | None = None,
    out: npt.NDArray[_F] | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> npt.NDArray[_F]: ...
def enhanced_frost(
    img: npt.NDArray[_F],
    size: int = 7,
    looks: _Looks = 4.0,
    damping: float = 1.0,
    domain: _Domain = "intensity",
    cmax: float | None = None,
    distance: _Distance = "euclidean",
    border: str = "reflect",
    nodata: float | None = None,
    out: npt.NDArray[_F] | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> npt.NDArray[_F]: ...
def refined_lee(
    img: npt.NDArray[_F],
    size: int = 7,
    looks: _Looks | None = None,
    domain: _Domain = "intensity",
    border: str = "reflect",
    nodata: float | None = None,
    out: npt.NDArray[_F] | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> npt.NDArray[_F]: ...
def lee_sigma(
    img: npt.NDArray[_F],
    size: int = 7,
    looks: _Looks = 4.0,
    sigma: float = 0.9,
    target_window: Literal[3, 5] = 3,
    min_cluster: int = 6,
    z98: float | Literal["auto"] | None = None,
    domain: _Domain = "intensity",
    border: str = "reflect",
    nodata: float | None = None,
    out: npt.NDArray[_F] | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> npt.NDArray[_F]: ...
def idan(
    img: npt.NDArray[_F],
    size: int = 7,
    looks: _Looks = 4.0,
    region: int = 50,
    domain: _Domain = "intensity",
    border: str = "reflect",
    nodata: float | None = None,
    out: npt.NDArray[_F] | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> npt.NDArray[_F]: ...
def ppb(
    img: npt.NDArray[_F],
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
    out: npt.NDArray[_F] | None = None,
    threads: int | None = None,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> npt.NDArray[_F]: ...
def median(
    img: npt.NDArray[_F],
    size: int = 7,
    border: str = "reflect",
    nodata: float | None = None,
    out: npt.NDArray[_F] | None = None,
    threads: int | None = None,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> npt.NDArray[_F]: ...
def estimate_enl(
    img: object, nodata: float | None = None, domain: _Domain = "intensity"
) -> float | npt.NDArray[np.float64]: ...
def quantile(
    img: object, q: float, nodata: float | None = None
) -> float | npt.NDArray[np.float64]: ...
def mean(
    img: npt.NDArray[_F],
    size: int = 7,
    border: str = "reflect",
    nodata: float | None = None,
    out: npt.NDArray[_F] | None = None,
    threads: int | None = None,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> npt.NDArray[_F]: ...
@overload
def local_stats(
    img: npt.NDArray[_F],
    size: int = 7,
    border: str = "reflect",
    nodata: float | None = None,
    out: tuple[npt.NDArray[_F] | None, npt.NDArray[_F] | None] | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    stat: None = None,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> tuple[npt.NDArray[_F], npt.NDArray[_F]]: ...
@overload
def local_stats(
    img: npt.NDArray[_F],
    size: int = 7,
    border: str = "reflect",
    nodata: float | None = None,
    out: npt.NDArray[_F] | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    stat: _Stat,
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> npt.NDArray[_F]: ...
@overload
def local_stats(
    img: npt.NDArray[_F],
    size: int = 7,
    border: str = "reflect",
    nodata: float | None = None,
    out: Sequence[npt.NDArray[_F] | None] | None = None,
    threads: int | None = None,
    ddof: Literal[0, 1] = 0,
    *,
    stat: list[_Stat] | tuple[_Stat, ...],
    cval: float | None = None,
    max_memory: int | str | None = None,
) -> tuple[npt.NDArray[_F], ...]: ...

def filter_file(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    filter: str,
    *,
    size: int = 7,
    border: str = "reflect",
    nodata: float | Literal["none"] | None = None,
    threads: int | None = None,
    band: int | Sequence[int] | None = None,
    compress: Literal["none", "deflate", "lzw", "zstd", "packbits"] | None = None,
    level: int | None = None,
    predictor: Literal["none", "float"] | bool | None = None,
    tiled: bool | int | tuple[int, int] | None = None,
    strips: bool | int | None = None,
    bigtiff: Literal["auto", "yes", "no"] | bool = "auto",
    dtype: Literal["float32", "float64"] | type[np.floating[Any]] | None = None,
    complex: Literal["intensity", "amplitude"] | None = None,
    overwrite: bool = False,
    quicklook: str | os.PathLike[str] | None = None,
    progress: Callable[[int, int], object] | None = None,
    cval: float | None = None,
    max_memory: int | str | None = None,
    **filter_params: float | int | str | None,
) -> dict[str, Any]: ...
