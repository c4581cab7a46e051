#!/usr/bin/env python3
"""Writes the fuzzing seed corpus: small valid GeoTIFFs in every layout the reader supports.

    python3 fuzz/make_seeds.py [DIR]      (default: fuzz/seeds next to this script)

Strips and tiles, classic TIFF and BigTIFF, little- and big-endian, none/LZW/Deflate/ZSTD/
PackBits, predictors 1/2/3, every integer and float type, complex CInt16/CInt32/CFloat32, pixel-
and band-interleaved bands, GDAL_NODATA, GDAL_METADATA and georeferencing tags (tie point and
pixel scale, a rotated transformation matrix, projected, geographic and PixelIsPoint rasters).

Needs numpy and rasterio (whose wheel bundles GDAL); CInt32, which rasterio cannot write, comes
from `gdal_translate` (Debian's gdal-bin) and is skipped with a warning without it. The images are
tiny (16 x 12 pixels, or 20 x 18 for tiles) so the corpus stays small and every input runs in
a fraction of a millisecond; edge strips and tiles are partial on purpose.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.errors import NotGeoreferencedWarning
from rasterio.transform import Affine

W, H = 16, 12  # strips of 5 rows: the last one is partial
TW, TH = 20, 18  # tiles of 16 x 16: 2 x 2 tiles, the right and bottom ones partial
UTM = CRS.from_epsg(32631)
TRANSFORM = Affine(10.0, 0.0, 500000.0, 0.0, -10.0, 4600000.0)


def pattern(bands, h, w, dtype):
    b, y, x = np.meshgrid(np.arange(bands), np.arange(h), np.arange(w), indexing="ij")
    base = (x * 7 + y * 13 + b * 101 + (x * y) % 17) % 251
    if dtype in ("complex_int16", "complex64"):
        return ((base - 120.0) + 1j * ((x * 3 + y * 5 + b) % 97 - 40.0)).astype(np.complex64)
    if dtype.startswith("float"):
        return (base * 0.37 - 20.5).astype(dtype)
    if dtype.startswith("int"):
        return (base - 120).astype(dtype)
    return base.astype(dtype)


def seeds():
    """(name, dtype, bands, tiled, creation options, extras)."""
    out = []
    # Every type, stripped, uncompressed.
    for t in ["uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64"]:
        out.append((f"{t}_strip", t, 1, False, {}, {}))
    # Every compression, stripped and tiled, on an integer and a float type.
    for comp in ["lzw", "deflate", "zstd", "packbits"]:
        for tiled in [False, True]:
            for t in ["int16", "float32"]:
                out.append((f"{t}_{comp}_{'tiled' if tiled else 'strip'}", t, 1, tiled,
                            dict(compress=comp), {}))
    # Predictors: 2 on every integer width, 3 on both float widths, with each codec.
    for t in ["uint8", "uint16", "int32"]:
        out.append((f"{t}_lzw_p2", t, 1, False, dict(compress="lzw", predictor=2), {}))
    out.append(("uint32_deflate_p2_tiled", "uint32", 1, True,
                dict(compress="deflate", predictor=2), {}))
    out.append(("int16_zstd_p2", "int16", 1, False, dict(compress="zstd", predictor=2), {}))
    for t in ["float32", "float64"]:
        for comp in ["lzw", "deflate", "zstd"]:
            out.append((f"{t}_{comp}_p3", t, 1, comp == "deflate",
                        dict(compress=comp, predictor=3), {}))
    # Several bands, pixel- and band-interleaved, stripped and tiled.
    for il in ["pixel", "band"]:
        for tiled in [False, True]:
            kind = "tiled" if tiled else "strip"
            out.append((f"uint16_3b_{il}_{kind}", "uint16", 3, tiled,
                        dict(interleave=il, compress="lzw"), {}))
            out.append((f"float32_2b_{il}_{kind}_p3", "float32", 2, tiled,
                        dict(interleave=il, compress="deflate", predictor=3), {}))
    out.append(("uint8_4b_pixel_packbits", "uint8", 4, False,
                dict(interleave="pixel", compress="packbits", photometric="minisblack"), {}))
    # BigTIFF.
    out.append(("float32_bigtiff_strip", "float32", 1, False, dict(bigtiff="YES"), {}))
    out.append(("float32_bigtiff_tiled_deflate", "float32", 1, True,
                dict(bigtiff="YES", compress="deflate"), {}))
    out.append(("int16_bigtiff_2b_band_zstd", "int16", 2, False,
                dict(bigtiff="YES", interleave="band", compress="zstd", predictor=2), {}))
    # Big-endian.
    for t, opts in [("float32", {}), ("int32", dict(compress="packbits")),
                    ("float64", dict(compress="deflate", predictor=3)),
                    ("uint16", dict(compress="lzw", predictor=2))]:
        out.append((f"{t}_bigendian", t, 1, False, dict(endianness="BIG", **opts), {}))
    out.append(("float32_bigendian_bigtiff_tiled_zstd", "float32", 1, True,
                dict(endianness="BIG", bigtiff="YES", compress="zstd", predictor=3), {}))
    # Complex SAR data.
    for t in ["complex_int16", "complex64"]:
        out.append((f"{t}_strip", t, 1, False, {}, {}))
        out.append((f"{t}_tiled_deflate_2b_band", t, 2, True,
                    dict(compress="deflate", interleave="band"), {}))
        out.append((f"{t}_bigendian_lzw", t, 1, False, dict(endianness="BIG", compress="lzw"), {}))
    # No-data, metadata and georeferencing variants.
    out.append(("float32_nodata_nan", "float32", 1, False, {}, dict(nodata=float("nan"))))
    out.append(("int16_nodata_metadata", "int16", 1, False, dict(compress="deflate"),
                dict(nodata=-32768, tags=True)))
    out.append(("float32_rotated", "float32", 1, False, {},
                dict(transform=Affine(10.0, 2.0, 500000.0, 1.5, -10.0, 4600000.0))))
    out.append(("uint8_geographic_point", "uint8", 1, False, {},
                dict(crs=CRS.from_epsg(4326), point=True,
                     transform=Affine(0.001, 0.0, 2.0, 0.0, -0.001, 48.0))))
    out.append(("float32_userdefined_crs", "float32", 1, False, {},
                dict(crs=CRS.from_proj4("+proj=tmerc +lat_0=10 +lon_0=3 +k=0.9996 +x_0=500000 "
                                        "+y_0=0 +ellps=WGS84 +units=m +no_defs"))))
    out.append(("float32_no_georef", "float32", 1, False, {}, dict(crs=None, transform=None)))
    return out


def write(path, dtype, bands, tiled, opts, extra):
    h, w = (TH, TW) if tiled else (H, W)
    profile = dict(driver="GTiff", width=w, height=h, count=bands, dtype=dtype,
                   crs=extra.get("crs", UTM), transform=extra.get("transform", TRANSFORM), **opts)
    if profile["crs"] is None:
        del profile["crs"]
    if profile["transform"] is None:
        del profile["transform"]
    if tiled:
        profile.update(tiled=True, blockxsize=16, blockysize=16)
    else:
        profile.setdefault("blockysize", 5)
    if "nodata" in extra:
        profile["nodata"] = extra["nodata"]
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(pattern(bands, h, w, dtype))
        if extra.get("tags"):
            ds.update_tags(1, POLARISATION="VV")
            ds.set_band_description(1, "sigma0")
            ds.scales = (0.5,)
        if extra.get("point"):
            ds.update_tags(AREA_OR_POINT="Point")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "seeds")
    os.makedirs(folder, exist_ok=True)
    warnings.simplefilter("ignore", NotGeoreferencedWarning)  # the seed without georeferencing
    n = 0
    with rasterio.Env(GDAL_PAM_ENABLED="NO"), tempfile.TemporaryDirectory() as tmp:
        for name, dtype, bands, tiled, opts, extra in seeds():
            write(os.path.join(folder, name + ".tif"), dtype, bands, tiled, opts, extra)
            n += 1
        # CInt32: rasterio has no such dtype; GDAL's own tool converts a CInt16 file.
        gdal_translate = shutil.which("gdal_translate")
        if gdal_translate is None:
            print("warning: no gdal_translate (gdal-bin): CInt32 seeds skipped", file=sys.stderr)
        else:
            src = os.path.join(tmp, "cint16.tif")
            write(src, "complex_int16", 1, False, {}, {})
            for name, co in [("complex_int32_strip", ["-co", "BLOCKYSIZE=5"]),
                             ("complex_int32_bigendian_tiled_lzw",
                              ["-co", "ENDIANNESS=BIG", "-co", "TILED=YES", "-co", "BLOCKXSIZE=16",
                               "-co", "BLOCKYSIZE=16", "-co", "COMPRESS=LZW"])]:
                subprocess.run([gdal_translate, "-q", "-ot", "CInt32",
                                *co, src, os.path.join(folder, name + ".tif")],
                               check=True, env=dict(os.environ, GDAL_PAM_ENABLED="NO"))
                n += 1
    total = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
    print(f"wrote {n} seeds to {folder} ({total / 1024:.0f} KiB in all)")


if __name__ == "__main__":
    main()
