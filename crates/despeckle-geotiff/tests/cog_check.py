#!/usr/bin/env python3
"""Independent checks of the cloud-optimized GeoTIFFs written by the Rust test `cog.rs`.

    cog_check.py DIR    check every file listed in DIR/cog.tsv

For each NAME: NAME.tif (the COG), NAME_plain.tif (the same image written as plain tiles) and
NAME.f64 (the values, raw little-endian float64, band after band). Checks:

- rio-cogeo's `cog_validate(strict=True)`: no error, no warning;
- the checks of GDAL's `validate_cloud_optimized_geotiff.py`, redone through rasterio (which
  exposes the same TIFF metadata items), with its full check (block order, leaders and
  trailers) on every band, not only the first;
- the ghost header is byte for byte the one GDAL's own COG driver writes (a small COG written
  here by GDAL);
- the full resolution equals the plain file's and the values (as stored) bit for bit, with the
  same georeferencing, no-data and GDAL metadata;
- each overview, read through GDAL both by level (`overview_level=`) and by a decimated read
  (`read(out_shape=...)`), equals a numpy float64 reference of the averaging computed from the
  level above: mean of the valid pixels (finite, not no-data) of each 2 x 2 block, summed in the
  same order, then rounded once to the file's type. Exact equality: the same operations in the
  same order give the same bits.

Prints "ok NAME ..." per file; on failure, one line per problem on stderr and status 1.
"""

import os
import struct
import sys

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rio_cogeo.cogeo import cog_validate

GHOST_REFERENCE = "gdal_reference_cog.tif"


def reduce(level, nodata, dtype):
    """The next overview level of a 2-D array of stored values."""
    h, w = level.shape
    v = level.astype(np.float64)
    valid = np.isfinite(v)
    if nodata is not None and np.isfinite(nodata):
        valid &= v != np.float64(np.dtype(dtype).type(nodata))
    s = np.zeros(((h + 1) // 2, (w + 1) // 2))
    n = np.zeros(s.shape, dtype=np.int64)
    for dy in (0, 1):
        for dx in (0, 1):
            sub, ok = v[dy::2, dx::2], valid[dy::2, dx::2]
            s[: sub.shape[0], : sub.shape[1]] += np.where(ok, sub, 0.0)
            n[: sub.shape[0], : sub.shape[1]] += ok
    fill = np.nan if nodata is None else nodata
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, s / np.maximum(n, 1), fill)
    return mean.astype(dtype)


def same_bits(a, b):
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def ghost(path):
    """The GDAL structural metadata block after the TIFF header, and the first IFD offset."""
    with open(path, "rb") as f:
        head = f.read(400)
    big = head[2:4] == b"\x2b\x00"
    start = 16 if big else 8
    first = struct.unpack("<Q" if big else "<I", head[8:16] if big else head[4:8])[0]
    return head[start:first], first


def gdal_validate(path, errors):
    """GDAL's validate_cloud_optimized_geotiff.py checks, through rasterio, full check on."""
    with rasterio.open(path) as ds:
        ovr_count = len(ds.overviews(1))
        ghost_md, first = ghost(path)
        text = ghost_md.decode("latin1")
        pattern = "GDAL_STRUCTURAL_METADATA_SIZE="
        if not text.startswith(pattern):
            errors.append(f"{path}: no GDAL structural metadata")
            return
        size = int(text[len(pattern) : len(pattern) + 6])
        md = text[len(pattern) + 13 : len(pattern) + 13 + size]
        for item in ("LAYOUT=IFDS_BEFORE_DATA", "BLOCK_ORDER=ROW_MAJOR",
                     "BLOCK_LEADER=SIZE_AS_UINT4", "BLOCK_TRAILER=LAST_4_BYTES_REPEATED",
                     "KNOWN_INCOMPATIBLE_EDITION=NO"):
            if item not in md:
                errors.append(f"{path}: structural metadata lacks {item}")
        with open(path, "rb") as f:
            header = 16 if f.read(4)[2] == 0x2B else 8
        expected = header + len(pattern) + 13 + size
        expected += expected % 2
        ifd = [int(ds.get_tag_item("IFD_OFFSET", "TIFF", bidx=1))]
        if ifd[0] != expected:
            errors.append(f"{path}: main IFD at {ifd[0]}, expected {expected}")
        sizes = [(ds.width, ds.height)]
        for i in range(ovr_count):
            with rasterio.open(path, overview_level=i) as o:
                sizes.append((o.width, o.height))
            ifd.append(int(ds.get_tag_item("IFD_OFFSET", "TIFF", bidx=1, ovr=i)))
            if sizes[-1][0] > sizes[-2][0] or sizes[-1][1] > sizes[-2][1]:
                errors.append(f"{path}: overview {i} larger than the level above")
            if ifd[-1] < ifd[-2]:
                errors.append(f"{path}: IFD of overview {i} before the one above it")
        bw, bh = ds.block_shapes[0][1], ds.block_shapes[0][0]

        def blocks(bidx, ovr, w, h):
            kw = {} if ovr is None else {"ovr": ovr}
            for y in range((h + bh - 1) // bh):
                for x in range((w + bw - 1) // bw):
                    off = int(ds.get_tag_item(f"BLOCK_OFFSET_{x}_{y}", "TIFF", bidx=bidx, **kw) or 0)
                    cnt = int(ds.get_tag_item(f"BLOCK_SIZE_{x}_{y}", "TIFF", bidx=bidx, **kw) or 0)
                    yield x, y, off, cnt

        firsts = []
        data = open(path, "rb").read()
        for level in range(ovr_count + 1):
            ovr = None if level == 0 else level - 1
            w, h = sizes[level]
            for bidx in range(1, ds.count + 1):
                last = 0
                for x, y, off, cnt in blocks(bidx, ovr, w, h):
                    if off == 0:
                        errors.append(f"{path}: level {level} band {bidx} block {x},{y} empty")
                        continue
                    if bidx == 1 and (x, y) == (0, 0):
                        firsts.append(off)
                    if off < max(ifd):
                        errors.append(f"{path}: level {level} block {x},{y} before an IFD")
                    if off < last:
                        errors.append(f"{path}: level {level} band {bidx} block {x},{y} "
                                      "not in row-major order")
                    last = off
                    leader = struct.unpack("<I", data[off - 4 : off])[0]
                    if leader != cnt:
                        errors.append(f"{path}: level {level} block {x},{y}: leader "
                                      f"{leader} != size {cnt}")
                    if cnt >= 4 and data[off + cnt - 4 : off + cnt] != data[off + cnt : off + cnt + 4]:
                        errors.append(f"{path}: level {level} block {x},{y}: bad trailer")
        # Smallest overview first, the full resolution last.
        if firsts != sorted(firsts, reverse=True):
            errors.append(f"{path}: level data not smallest first: {firsts}")


def check(d, row, errors):
    name = row["name"]
    width, height, bands = int(row["width"]), int(row["height"]), int(row["bands"])
    dtype = row["dtype"]
    nodata = None if row["nodata"] == "none" else float(row["nodata"])
    path = os.path.join(d, name + ".tif")
    n0 = len(errors)

    valid, errs, warns = cog_validate(path, strict=True, quiet=True)
    if not valid or errs or warns:
        errors.append(f"{name}: rio-cogeo: valid={valid} errors={errs} warnings={warns}")
    gdal_validate(path, errors)
    if ghost(path)[0] != ghost(os.path.join(d, GHOST_REFERENCE))[0]:
        errors.append(f"{name}: ghost header differs from GDAL's: {ghost(path)[0]!r}")

    values = np.fromfile(os.path.join(d, name + ".f64"), dtype="<f8")
    values = values.reshape(bands, height, width).astype(dtype)
    with rasterio.open(path) as cog, rasterio.open(os.path.join(d, name + "_plain.tif")) as plain:
        full = cog.read()
        if not same_bits(full, plain.read()) or not same_bits(full, values):
            errors.append(f"{name}: full resolution differs from the plain output or the values")
        if full.dtype != np.dtype(dtype):
            errors.append(f"{name}: dtype {full.dtype}, expected {dtype}")
        for what in ("crs", "transform", "count", "block_shapes"):
            if getattr(cog, what) != getattr(plain, what):
                errors.append(f"{name}: {what} {getattr(cog, what)} != {getattr(plain, what)}")
        if not (cog.nodata == plain.nodata or (nodata is not None and np.isnan(nodata)
                                               and np.isnan(cog.nodata))):
            errors.append(f"{name}: nodata {cog.nodata} != {plain.nodata}")
        if cog.tags().get("SOURCE") != "cog test":
            errors.append(f"{name}: GDAL metadata lost: {cog.tags()}")
        decimations = cog.overviews(1)
        if len(decimations) != int(row["overviews"]):
            errors.append(f"{name}: {len(decimations)} overviews, expected {row['overviews']}")
        for b in range(bands):
            ref = values[b]
            for i in range(len(decimations)):
                ref = reduce(ref, nodata, dtype)
                with rasterio.open(path, overview_level=i) as o:
                    got = o.read(b + 1)
                # A decimated read of the whole image is served from the overview as is.
                seen = cog.read(b + 1, out_shape=ref.shape, resampling=Resampling.nearest)
                if not same_bits(got, ref) or not same_bits(seen, ref):
                    bad = ~((got == ref) | (np.isnan(got) & np.isnan(ref))) if got.shape == ref.shape else None
                    where = np.argwhere(bad)[:3].tolist() if bad is not None else got.shape
                    errors.append(f"{name}: band {b + 1} overview {i} differs from the "
                                  f"reference at {where}")
    if len(errors) == n0:
        print(f"ok {name}: {width} x {height} x {bands} {dtype}, {len(decimations)} overviews")


def main():
    d = sys.argv[1]
    # GDAL's own COG, for its ghost header.
    with rasterio.open(os.path.join(d, GHOST_REFERENCE), "w", driver="COG", width=600, height=600,
                       count=1, dtype="float32", compress="DEFLATE") as ds:
        ds.write(np.ones((1, 600, 600), dtype=np.float32))
    with open(os.path.join(d, "cog.tsv")) as f:
        lines = f.read().splitlines()
    keys = lines[0].split("\t")
    errors = []
    for line in lines[1:]:
        check(d, dict(zip(keys, line.split("\t"))), errors)
    for e in errors:
        print(e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
