"""Type stubs of the compiled module ``despeckle._despeckle`` (private: use ``despeckle``).

Every parameter is keyword-only and ``None`` means its default (the defaults are those of the
public functions in ``despeckle``). ``filter(name, img, **params)`` runs any filter of the
registry shared with the command line (``filter_table()`` describes it).
"""

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "filter", "local_stats", "filter_table", "filter_file", "estimate", "estimate_rows",
    "border_mode", "assess", "reference", "polsar", "polsar_elements", "polsar_recognise", "polsar_z98",
    "polsar_convert",
    "REFRESH_ROWS", "REFRESH_COLS", "CORE_VERSION",
]

_Float = np.float32 | np.float64
_Array = npt.NDArray[_Float]
_Looks = float | str

REFRESH_ROWS: int
REFRESH_COLS: int
CORE_VERSION: str

def filter(
    name: str,
    img: _Array,
    *,
    size: int | None = None,
    border: str | None = None,
    cval: float | None = None,
    max_memory: int | str | None = None,
    nodata: float | None = None,
    out: _Array | None = None,
    threads: int | None = None,
    **params: float | int | str | None,
) -> _Array: ...
def local_stats(
    img: _Array,
    stats: Sequence[str],
    *,
    size: int | None = None,
    border: str | None = None,
    cval: float | None = None,
    max_memory: int | str | None = None,
    nodata: float | None = None,
    out: Sequence[_Array | None] | None = None,
    threads: int | None = None,
    ddof: int | None = None,
) -> list[_Array]: ...
def border_mode(border: str | None, cval: float | None = None) -> str: ...
def filter_table() -> list[dict[str, Any]]: ...
def filter_file(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    filter: str,
    *,
    size: int | None = None,
    border: str | None = None,
    cval: float | None = None,
    max_memory: int | str | None = None,
    nodata: float | str | None = None,
    threads: int | None = None,
    band: int | Sequence[int] | None = None,
    complex: str | None = None,
    compress: str | None = None,
    level: int | None = None,
    predictor: str | bool | None = None,
    tiled: bool | int | tuple[int, int] | None = None,
    strips: bool | int | None = None,
    bigtiff: str | bool | None = None,
    dtype: Any = None,
    overwrite: bool = False,
    quicklook: str | os.PathLike[str] | None = None,
    progress: Callable[[int, int], object] | None = None,
    **params: float | int | str | None,
) -> dict[str, Any]: ...
def estimate(
    img: _Array, what: str, *, q: float | None = None, nodata: float | None = None,
    domain: str | None = None,
) -> list[float]: ...
def estimate_rows(
    read: Callable[[int, int], _Array], height: int, width: int, dtype: str, what: str, *,
    q: float | None = None, nodata: float | None = None, domain: str | None = None,
) -> float: ...
def assess(
    input: _Array, output: _Array, rois: Sequence[tuple[int, int, int, int]] = ..., *,
    domain: str | None = None, nodata: float | None = None,
) -> dict[str, Any]: ...
def reference(
    truth: _Array, estimate: _Array, peak: float, *, nodata: float | None = None,
) -> dict[str, Any]: ...

def polsar(
    planes: _Array,
    *,
    filter: str,
    matrix: str | None = None,
    size: int | None = None,
    border: str | None = None,
    cval: float | None = None,
    nodata: float | None = None,
    out: _Array | None = None,
    threads: int | None = None,
    max_memory: int | str | None = None,
    looks: float | None = None,
    ddof: int | None = None,
    edge_rule: str | None = None,
    sigma: float | None = None,
    target_window: int | None = None,
    min_cluster: int | None = None,
    z98: Sequence[float] | None = None,
    region: int | None = None,
    criterion: str | None = None,
) -> _Array: ...
def polsar_z98(
    read: Any, planes: int, height: int, width: int, dtype: str, *,
    matrix: str | None = None, nodata: float | None = None,
) -> list[float]: ...
def polsar_convert(
    planes: _Array, to: str, *, matrix: str | None = None, nodata: float | None = None,
) -> _Array: ...
def polsar_elements(matrix: str) -> tuple[str, list[str]]: ...
def polsar_recognise(names: Sequence[str]) -> tuple[str, list[int]]: ...
