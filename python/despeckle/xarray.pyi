"""Type stubs of ``despeckle.xarray`` (the ``DataArray.despeckle`` accessor)."""

from collections.abc import Hashable, Sequence
from typing import Literal

import xarray as xr

__all__ = ["DespeckleAccessor"]

_Domain = Literal["intensity", "amplitude", "power", "magnitude"]
_Stat = Literal["mean", "variance", "var", "std", "cv"]
_NoData = float | None | Literal["auto"]
_Looks = float | Literal["auto"]
_Distance = Literal["euclidean", "chebyshev"]

class DespeckleAccessor:
    def __init__(self, da: xr.DataArray) -> None: ...
    def enhanced_lee(
        self,
        size: int = 7,
        looks: _Looks = 4.0,
        damping: float = 1.0,
        domain: _Domain = "intensity",
        border: str = "reflect",
        nodata: _NoData = "auto",
        threads: int | None = None,
        cmax: float | None = None,
        ddof: Literal[0, 1] = 0,
        *,
        cval: float | None = None,
        max_memory: int | str | None = None,
        dims: tuple[Hashable, Hashable] | None = None,
    ) -> xr.DataArray: ...
    def lee(
        self,
        size: int = 7,
        looks: _Looks = 4.0,
        domain: _Domain = "intensity",
        border: str = "reflect",
        nodata: _NoData = "auto",
        threads: int | None = None,
        ddof: Literal[0, 1] = 0,
        *,
        cval: float | None = None,
        max_memory: int | str | None = None,
        dims: tuple[Hashable, Hashable] | None = None,
    ) -> xr.DataArray: ...
    def kuan(
        self,
        size: int = 7,
        looks: _Looks = 4.0,
        domain: _Domain = "intensity",
        border: str = "reflect",
        nodata: _NoData = "auto",
        threads: int | None = None,
        ddof: Literal[0, 1] = 0,
        *,
        cval: float | None = None,
        max_memory: int | str | None = None,
        dims: tuple[Hashable, Hashable] | None = None,
    ) -> xr.DataArray: ...
    def gamma_map(
        self,
        size: int = 7,
        looks: _Looks = 4.0,
        border: str = "reflect",
        nodata: _NoData = "auto",
        threads: int | None = None,
        ddof: Literal[0, 1] = 0,
        *,
        cval: float | None = None,
        max_memory: int | str | None = None,
        dims: tuple[Hashable, Hashable] | None = None,
    ) -> xr.DataArray: ...
    def frost(
        self,
        size: int = 7,
        damping: float = 2.0,
        distance: _Distance = "euclidean",
        border: str = "reflect",
        nodata: _NoData = "auto",
        threads: int | None = None,
        ddof: Literal[0, 1] = 0,
        *,
        cval: float | None = None,
        max_memory: int | str | None = None,
        dims: tuple[Hashable, Hashable] | None = None,
    ) -> xr.DataArray: ...
    def enhanced_frost(
        self,
        size: int = 7,
        looks: _Looks = 4.0,
        damping: float = 1.0,
        domain: _Domain = "intensity",
        cmax: float | None = None,
        distance: _Distance = "euclidean",
        border: str = "reflect",
        nodata: _NoData = "auto",
        threads: int | None = None,
        ddof: Literal[0, 1] = 0,
        *,
        cval: float | None = None,
        max_memory: int | str | None = None,
        dims: tuple[Hashable, Hashable] | None = None,
    ) -> xr.DataArray: ...
    def refined_lee(
        self,
        size: int = 7,
        looks: _Looks | None = None,
        domain: _Domain = "intensity",
        border: str = "reflect",
        nodata: _NoData = "auto",
        threads: int | None = None,
        ddof: Literal[0, 1] = 0,
        *,
        cval: float | None = None,
        max_memory: int | str | None = None,
        dims: tuple[Hashable, Hashable] | None = None,
    ) -> xr.DataArray: ...
    def lee_sigma(
        self,
        size: int = 7,
        looks: _Looks = 4.0,
        sigma: float = 0.9,
        target_window: Literal[3, 5] = 3,
        min_cluster: int = 6,
        z98: float | None = None,
        domain: _Domain = "intensity",
        border: str = "reflect",
        nodata: _NoData = "auto",
        threads: int | None = None,
        ddof: Literal[0, 1] = 0,
        *,
        cval: float | None = None,
        max_memory: int | str | None = None,
        dims: tuple[Hashable, Hashable] | None = None,
    ) -> xr.DataArray: ...
    def idan(
        self,
        size: int = 7,
        looks: _Looks = 4.0,
        region: int = 50,
        domain: _Domain = "intensity",
        border: str = "reflect",
        nodata: _NoData = "auto",
        threads: int | None = None,
        ddof: Literal[0, 1] = 0,
        *,
        cval: float | None = None,
        max_memory: int | str | None = None,
        dims: tuple[Hashable, Hashable] | None = None,
    ) -> xr.DataArray: ...
    def ppb(
        self,
        size: int = 7,
        looks: _Looks = 4.0,
        search: int = 23,
        patch: int = 7,
        aggregation: int = 3,
        presmooth: int = 3,
        strength: float = 0.35,
        h: float | None = None,
        border: str = "reflect",
        nodata: _NoData = "auto",
        threads: int | None = None,
        *,
        cval: float | None = None,
        max_memory: int | str | None = None,
        dims: tuple[Hashable, Hashable] | None = None,
    ) -> xr.DataArray: ...
    def median(
        self,
        size: int = 7,
        border: str = "reflect",
        nodata: _NoData = "auto",
        threads: int | None = None,
        *,
        cval: float | None = None,
        max_memory: int | str | None = None,
        dims: tuple[Hashable, Hashable] | None = None,
    ) -> xr.DataArray: ...
    def mean(
        self,
        size: int = 7,
        border: str = "reflect",
        nodata: _NoData = "auto",
        threads: int | None = None,
        *,
        cval: float | None = None,
        max_memory: int | str | None = None,
        dims: tuple[Hashable, Hashable] | None = None,
    ) -> xr.DataArray: ...
    def local_stats(
        self,
        size: int = 7,
        border: str = "reflect",
        nodata: _NoData = "auto",
        threads: int | None = None,
        ddof: Literal[0, 1] = 0,
        stat: _Stat | Sequence[_Stat] | None = None,
        *,
        cval: float | None = None,
        max_memory: int | str | None = None,
        dims: tuple[Hashable, Hashable] | None = None,
    ) -> xr.DataArray | tuple[xr.DataArray, ...]: ...
