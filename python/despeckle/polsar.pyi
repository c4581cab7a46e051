"""Type stubs of ``despeckle.polsar`` (polarimetric speckle filters; see polsar.py)."""

from collections.abc import Sequence
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt

__all__ = ["boxcar", "refined_lee", "lee_sigma", "idan", "z98", "convert", "elements",
           "to_planes", "to_matrix"]

_Matrix = Literal["c2", "c3", "t3", "c4", "t4", "C2", "C3", "T3", "C4", "T4"]
# numpy (k², y, x) float32/float64 or (k, k, y, x) complex64/complex128, a dask array or an
# xarray.DataArray: the result has the input's type, shape and dtype.
_X = TypeVar("_X", npt.NDArray[np.float32], npt.NDArray[np.float64],
             npt.NDArray[np.complex64], npt.NDArray[np.complex128], Any)

def elements(matrix: _Matrix | str) -> list[str]: ...
def to_planes(m: Any) -> Any: ...
def to_matrix(p: Any) -> Any: ...
def boxcar(
    x: _X,
    size: int = 7,
    matrix: _Matrix | None = None,
    border: str = "reflect",
    nodata: float | None = None,
    out: _X | None = None,
    threads: int | None = None,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
    element_dim: str | tuple[str, str] = "element",
) -> _X: ...
def refined_lee(
    x: _X,
    size: int = 7,
    looks: float = 1.0,
    matrix: _Matrix | None = None,
    ddof: Literal[0, 1] = 0,
    edge_rule: Literal["gradient", "closer"] = "gradient",
    border: str = "reflect",
    nodata: float | None = None,
    out: _X | None = None,
    threads: int | None = None,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
    element_dim: str | tuple[str, str] = "element",
) -> _X: ...
def lee_sigma(
    x: _X,
    size: int = 7,
    looks: float = 1.0,
    sigma: float = 0.9,
    target_window: Literal[3, 5] = 3,
    min_cluster: int = 6,
    z98: Sequence[float] | None = None,
    matrix: _Matrix | None = None,
    ddof: Literal[0, 1] = 0,
    border: str = "reflect",
    nodata: float | None = None,
    out: _X | None = None,
    threads: int | None = None,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
    element_dim: str | tuple[str, str] = "element",
) -> _X: ...
def idan(
    x: _X,
    size: int = 7,
    looks: float = 1.0,
    region: int = 50,
    criterion: Literal["each", "sum"] = "each",
    matrix: _Matrix | None = None,
    ddof: Literal[0, 1] = 0,
    border: str = "reflect",
    nodata: float | None = None,
    out: _X | None = None,
    threads: int | None = None,
    *,
    cval: float | None = None,
    max_memory: int | str | None = None,
    element_dim: str | tuple[str, str] = "element",
) -> _X: ...
def z98(
    x: Any, matrix: _Matrix | None = None, nodata: float | None = None,
) -> list[float]: ...
def convert(
    x: _X, to: _Matrix, matrix: _Matrix | None = None, nodata: float | None = None, *,
    element_dim: str | tuple[str, str] = "element",
) -> _X: ...
