"""Multi-temporal filtering (Quegan & Yu, boxcar E[I]) file to file, against the time to just
read and write the same files and against a plain numpy implementation of the same formula.

    python3 bench/temporal_bench.py [--dates 20] [--side 2048] [--size 7] [--bin PATH]
                                    [--numpy-rows N] [--tmp DIR]

Writes ``--dates`` float32 GeoTIFFs of ``--side``² (4-look speckle, uncompressed strips) to a
temporary folder, then measures:

* read + write: every date read with rasterio and written to a new GeoTIFF (the I/O floor);
* ``despeckle temporal quegan D*.tif --out-dir OUT`` (wall time and the child's peak RSS);
* numpy: the whole stack in memory, ``scipy.ndimage.uniform_filter`` as E[I] (reflect border,
  no no-data handling), ``J = E · mean(I/E)`` in float64 (time and peak traced memory) — on the
  first ``--numpy-rows`` rows of every date when the whole stack would not fit in memory (its
  float64 copies need about 24 bytes per pixel and date), compared per pixel and date.

The 20 × 10,000² case of the docs: ``--dates 20 --side 10000 --numpy-rows 1000`` (16 GB of
files: give ``--tmp`` a folder with room).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import tempfile
import time
import tracemalloc

import numpy as np


def write_dates(folder, n, side):
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng(1)
    paths = []
    for t in range(n):
        img = (3.0 * rng.gamma(4.0, 0.25, size=(side, side))).astype(np.float32)
        p = os.path.join(folder, f"date_{t:03d}.tif")
        with rasterio.open(p, "w", driver="GTiff", width=side, height=side, count=1,
                           dtype="float32", crs="EPSG:32631",
                           transform=from_origin(500000, 5000000, 10, 10)) as dst:
            dst.write(img, 1)
        paths.append(p)
    return paths


def read_write(paths, out):
    import rasterio

    t0 = time.perf_counter()
    for p in paths:
        with rasterio.open(p) as src:
            data = src.read(1)
            profile = src.profile
        with rasterio.open(os.path.join(out, os.path.basename(p)), "w", **profile) as dst:
            dst.write(data, 1)
    return time.perf_counter() - t0


def numpy_quegan(paths, size, rows):
    import rasterio
    from rasterio.windows import Window
    from scipy.ndimage import uniform_filter

    tracemalloc.start()
    t0 = time.perf_counter()
    stack = []
    for p in paths:
        with rasterio.open(p) as src:
            win = Window(0, 0, src.width, min(rows or src.height, src.height))
            stack.append(src.read(1, window=win))
    stack = np.stack(stack).astype(np.float64)
    e = np.stack([uniform_filter(d, size, mode="reflect") for d in stack])
    ratio = (stack / e).mean(axis=0)
    j = (e * ratio).astype(np.float32)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del j
    return seconds, peak


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dates", type=int, default=20)
    ap.add_argument("--side", type=int, default=2048)
    ap.add_argument("--size", type=int, default=7)
    ap.add_argument("--bin", default=shutil.which("despeckle") or "target/release/despeckle")
    ap.add_argument("--numpy-rows", type=int, default=0,
                    help="numpy on the first N rows of every date only (0: all)")
    ap.add_argument("--tmp", default=None, help="folder for the files (default: the system's)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=a.tmp) as tmp:
        paths = write_dates(tmp, a.dates, a.side)
        io_dir = os.path.join(tmp, "io")
        os.mkdir(io_dir)
        t_io = read_write(paths, io_dir)
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        t0 = time.perf_counter()
        subprocess.run([a.bin, "temporal", "quegan", *paths, "--out-dir", out,
                        "--size", str(a.size), "-q"], check=True)
        t_q = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        np_rows = min(a.numpy_rows or a.side, a.side)
        t_np, np_peak = numpy_quegan(paths, a.size, np_rows)
    mib = 1 << 20
    stack_mib = a.dates * a.side * a.side * 4 / mib
    per = a.dates * a.side * a.side / 1e9  # ns per pixel and date
    np_per = a.dates * a.side * np_rows / 1e9
    print(f"{a.dates} dates × {a.side}² float32 ({stack_mib:.0f} MiB), boxcar {a.size}×{a.size}, "
          f"{os.cpu_count()} cores")
    print(f"  read + write (rasterio):       {t_io:8.2f} s  {t_io / per:6.2f} ns/pixel/date")
    print(f"  despeckle temporal quegan:     {t_q:8.2f} s  {t_q / per:6.2f} ns/pixel/date "
          f"({t_q / t_io:.2f}× read+write), peak RSS {rss / mib:.0f} MiB")
    what = "whole stack" if np_rows == a.side else f"first {np_rows} rows of each date"
    print(f"  numpy in memory ({what}, incl. reads): {t_np:8.2f} s  {t_np / np_per:6.2f} "
          f"ns/pixel/date, peak traced {np_peak / mib:.0f} MiB "
          f"({np_peak / (np_per * 1e9):.0f} bytes/pixel/date)")


if __name__ == "__main__":
    main()
