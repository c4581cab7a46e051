#!/usr/bin/env python3
"""GDAL (through rasterio) as the oracle of the despeckle-geotiff tests.

    gdal_fixtures.py write DIR   write GeoTIFF fixtures in every layout GDAL offers, the values
                                 they hold as raw little-endian float64 files (NAME.f64, band
                                 after band; complex samples as intensity re^2 + im^2) and
                                 DIR/manifest.tsv describing them
    gdal_fixtures.py check DIR   read the files listed in DIR/check.tsv (written by the Rust
                                 test with its Writer) and verify with GDAL that they are valid
                                 and hold the expected values, georeferencing and no-data

Needs python3 with numpy and rasterio (whose wheel bundles GDAL): pip install numpy rasterio.
Exit status 0 on success; on failure, one line per problem on stderr and status 1.
"""

import os
import sys

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.transform import Affine

WIDTH, HEIGHT = 67, 45  # not multiples of 16: partial strips and tiles
TRANSFORM = Affine(10.0, 0.0, 500000.0, 0.0, -10.0, 4600000.0)
EPSG = 32631

MANIFEST_COLUMNS = [
    "name", "width", "height", "bands", "dtype", "tiled", "block", "compress",
    "predictor", "interleave", "bigtiff", "endian", "nodata", "transform", "epsg",
]


def pattern(bands, dtype):
    """Deterministic values covering the type's range a little beyond 0..255."""
    b, y, x = np.meshgrid(np.arange(bands), np.arange(HEIGHT), np.arange(WIDTH), indexing="ij")
    base = (x * 7 + y * 13 + b * 101 + (x * y) % 17) % 251
    if dtype == "uint8":
        return base.astype(np.uint8)
    if dtype == "int8":
        return (base // 2 - 60).astype(np.int8)
    if dtype == "uint16":
        return (base * 257).astype(np.uint16)
    if dtype == "int16":
        return ((base - 120) * 131).astype(np.int16)
    if dtype == "uint32":
        return (base * 16_000_000).astype(np.uint32)
    if dtype == "int32":
        return ((base - 120) * 8_000_000).astype(np.int32)
    if dtype == "float32":
        return (base * 0.37 - 20.5 + y * 1e-3).astype(np.float32)
    if dtype == "float64":
        return base * 0.37 - 20.5 + y * 1e-7 + x * 1e-11
    if dtype in ("complex_int16", "complex64"):
        re = base - 120.0
        im = (x * 3 + y * 5 + b) % 97 - 40.0
        return (re + 1j * im).astype(np.complex64)
    raise ValueError(dtype)


def expected(data):
    if np.iscomplexobj(data):
        re = data.real.astype(np.float64)
        im = data.imag.astype(np.float64)
        return re * re + im * im
    return data.astype(np.float64)


def fixtures():
    """(name, dtype, bands, creation options, nodata)."""
    out = []
    ints = ["uint8", "int8", "uint16", "int16", "uint32", "int32"]
    floats = ["float32", "float64"]
    # Every type, stripped and tiled, Deflate with the type's predictor.
    for dtype in ints + floats:
        pred = 3 if dtype in floats else 2
        out.append((f"{dtype}_strip_deflate_p{pred}", dtype, 1,
                    dict(compress="deflate", predictor=pred, blockysize=7), None))
        out.append((f"{dtype}_tiled_none", dtype, 1,
                    dict(tiled=True, blockxsize=16, blockysize=32), None))
    # Every compression GDAL writes that the reader decodes, on float32 and int16.
    for comp in ["none", "lzw", "deflate", "zstd", "packbits"]:
        for dtype in ["float32", "int16"]:
            for pred in ([1, 3] if dtype == "float32" else [1, 2]):
                if comp in ("none", "packbits") and pred != 1:
                    continue
                opts = dict(compress=comp, tiled=True, blockxsize=32, blockysize=16)
                if pred != 1:
                    opts["predictor"] = pred
                out.append((f"{dtype}_{comp}_p{pred}", dtype, 1, opts, None))
    # Several bands, pixel- and band-interleaved, stripped and tiled.
    for interleave in ["pixel", "band"]:
        for tiled in [False, True]:
            opts = dict(interleave=interleave, compress="lzw")
            if tiled:
                opts.update(tiled=True, blockxsize=16, blockysize=16)
            else:
                opts.update(blockysize=5)
            out.append((f"uint16_3b_{interleave}_{'tiled' if tiled else 'strip'}", "uint16", 3,
                        opts, None))
            out.append((f"float32_2b_{interleave}_{'tiled' if tiled else 'strip'}", "float32", 2,
                        dict(opts, compress="zstd", predictor=3), None))
    # Many bands: a pixel-interleaved strip or tile holds all of them (its byte count is checked
    # against that decoded size before reading).
    for interleave, tiled, comp in [("pixel", False, "deflate"), ("pixel", True, "zstd"),
                                    ("band", True, "lzw")]:
        opts = dict(interleave=interleave, compress=comp)
        if tiled:
            opts.update(tiled=True, blockxsize=32, blockysize=16)
        else:
            opts.update(blockysize=9)
        out.append((f"uint16_40b_{interleave}_{'tiled' if tiled else 'strip'}_{comp}", "uint16",
                    40, opts, None))
    # BigTIFF, big-endian, no-data.
    out.append(("float32_bigtiff_tiled", "float32", 1,
                dict(bigtiff="YES", tiled=True, blockxsize=16, blockysize=16, compress="deflate"),
                -9999.0))
    out.append(("int16_bigtiff_strip", "int16", 2, dict(bigtiff="YES", interleave="band"), -32768))
    out.append(("float32_bigendian", "float32", 1, dict(endianness="BIG", blockysize=4), None))
    out.append(("uint16_bigendian_tiled_p2", "uint16", 1,
                dict(endianness="BIG", tiled=True, blockxsize=16, blockysize=16,
                     compress="lzw", predictor=2), 0))
    out.append(("float32_nodata_nan", "float32", 1, dict(compress="deflate"), float("nan")))
    # Complex SAR data.
    for dtype in ["complex_int16", "complex64"]:
        out.append((f"{dtype}_strip", dtype, 1, dict(blockysize=8), None))
        out.append((f"{dtype}_tiled_deflate", dtype, 2,
                    dict(tiled=True, blockxsize=16, blockysize=16, compress="deflate",
                         interleave="band"), None))
        out.append((f"{dtype}_bigendian", dtype, 1, dict(endianness="BIG", compress="lzw"), None))
    return out


def write(folder):
    os.makedirs(folder, exist_ok=True)
    rows = []
    for name, dtype, bands, opts, nodata in fixtures():
        data = pattern(bands, dtype)
        path = os.path.join(folder, name + ".tif")
        profile = dict(driver="GTiff", width=WIDTH, height=HEIGHT, count=bands, dtype=dtype,
                       crs=CRS.from_epsg(EPSG), transform=TRANSFORM, **opts)
        if nodata is not None:
            profile["nodata"] = nodata
        with rasterio.open(path, "w", **profile) as ds:
            ds.write(data)
            ds.update_tags(1, POLARISATION="VV")
        # Read back through GDAL: the expected values are what GDAL reads.
        with rasterio.open(path) as ds:
            back = ds.read()
            tiled = ds.profile.get("tiled", False)
            block = "x".join(str(v) for v in ds.block_shapes[0][::-1])
            gt = ds.transform.to_gdal()
        if dtype != "complex_int16" or back.dtype.kind == "c":
            if not np.array_equal(back, data):
                sys.exit(f"{name}: GDAL read back different values")
        expected(data).astype("<f8").tofile(os.path.join(folder, name + ".f64"))
        rows.append([
            name, WIDTH, HEIGHT, bands, dtype, int(bool(tiled)), block,
            opts.get("compress", "none"), opts.get("predictor", 1),
            opts.get("interleave", "pixel") if bands > 1 else "pixel",
            int(opts.get("bigtiff") == "YES"), opts.get("endianness", "LITTLE").lower(),
            "" if nodata is None else repr(float(nodata)),
            ",".join(repr(float(v)) for v in gt), EPSG,
        ])
    with open(os.path.join(folder, "manifest.tsv"), "w") as f:
        f.write("\t".join(MANIFEST_COLUMNS) + "\n")
        for r in rows:
            f.write("\t".join(str(v) for v in r) + "\n")
    print(f"wrote {len(rows)} fixtures to {folder}")


def check(folder):
    """Columns of check.tsv: file, bands, dtype, compress, tiled, interleave, nodata, transform,
    epsg, metadata_item (key=value that must be in band 1's tags, or empty)."""
    problems = []
    with open(os.path.join(folder, "check.tsv")) as f:
        header = f.readline().rstrip("\n").split("\t")
        lines = [dict(zip(header, line.rstrip("\n").split("\t"))) for line in f if line.strip()]
    for c in lines:
        path = os.path.join(folder, c["file"])
        name = c["file"]
        try:
            with rasterio.open(path) as ds:
                data = ds.read().astype(np.float64)
                want = np.fromfile(os.path.splitext(path)[0] + ".f64", dtype="<f8").reshape(data.shape)
                if not np.array_equal(data, want, equal_nan=True):
                    bad = np.argwhere(~((data == want) | (np.isnan(data) & np.isnan(want))))[0]
                    problems.append(f"{name}: values differ first at band,row,col {tuple(bad)}: "
                                    f"{data[tuple(bad)]} != {want[tuple(bad)]}")
                if ds.count != int(c["bands"]):
                    problems.append(f"{name}: {ds.count} bands, expected {c['bands']}")
                if ds.dtypes[0] != c["dtype"]:
                    problems.append(f"{name}: dtype {ds.dtypes[0]}, expected {c['dtype']}")
                comp = ds.compression.value.lower() if ds.compression else "none"
                if comp != c["compress"]:
                    problems.append(f"{name}: compression {comp}, expected {c['compress']}")
                if bool(ds.profile.get("tiled", False)) != (c["tiled"] == "1"):
                    problems.append(f"{name}: tiled={ds.profile.get('tiled')}, expected {c['tiled']}")
                if ds.count > 1 and ds.interleaving.value.lower() != c["interleave"]:
                    problems.append(f"{name}: interleave {ds.interleaving}, expected {c['interleave']}")
                if c["nodata"]:
                    nd = float(c["nodata"])
                    if ds.nodata is None or not (ds.nodata == nd or (np.isnan(nd) and np.isnan(ds.nodata))):
                        problems.append(f"{name}: nodata {ds.nodata}, expected {nd}")
                elif ds.nodata is not None:
                    problems.append(f"{name}: nodata {ds.nodata}, expected none")
                if c["transform"]:
                    gt = tuple(float(v) for v in c["transform"].split(","))
                    if ds.transform.to_gdal() != gt:
                        problems.append(f"{name}: transform {ds.transform.to_gdal()}, expected {gt}")
                if c["epsg"]:
                    if ds.crs is None or ds.crs.to_epsg() != int(c["epsg"]):
                        problems.append(f"{name}: CRS {ds.crs}, expected EPSG:{c['epsg']}")
                if c.get("metadata_item"):
                    k, v = c["metadata_item"].split("=", 1)
                    if ds.tags(1).get(k) != v:
                        problems.append(f"{name}: band 1 tag {k}={ds.tags(1).get(k)}, expected {v}")
        except Exception as e:  # noqa: BLE001 - any failure to read is a finding
            problems.append(f"{name}: GDAL cannot read it: {e}")
    for p in problems:
        print(p, file=sys.stderr)
    print(f"checked {len(lines)} files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("write", "check"):
        sys.exit(__doc__)
    if sys.argv[1] == "write":
        write(sys.argv[2])
    else:
        sys.exit(check(sys.argv[2]))
