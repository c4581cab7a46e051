#!/usr/bin/env python3
"""`despeckle polsar c2|c3|t3|c4|t4 SLC... OUT` against numpy: complex GeoTIFFs written with GDAL
(through rasterio; CInt32 through gdal_translate), the matrices formed here as outer products
of the scattering vectors of docs/polarimetry.md, block means for --multilook (samples zero in
every channel have no data), and the output read back with GDAL.

    polsar_slc.py DIR DESPECKLE    write the inputs to DIR, run the binary DESPECKLE, check

Exit status 0 on success; otherwise one line per problem on stderr and status 1.
"""

import os
import subprocess
import sys

import numpy as np
import rasterio
from rasterio.transform import Affine

W, H = 37, 29  # not multiples of the looks: incomplete blocks are dropped
TRANSFORM = Affine(2.5, 0.0, 300000.0, 0.0, -14.0, 5000000.0)
PROBLEMS = []


def problem(msg):
    PROBLEMS.append(msg)


def write(path, data, dtype):
    with rasterio.open(path, "w", driver="GTiff", width=W, height=H, count=1, dtype=dtype,
                       transform=TRANSFORM, crs="EPSG:32632", tiled=False,
                       blockysize=5) as d:
        d.write(data, 1)


def channels(rng, cint16):
    """HH, HV, VH, VV: correlated circular Gaussian channels with an edge and a bright target."""
    z = (rng.normal(size=(4, H, W)) + 1j * rng.normal(size=(4, H, W))) / np.sqrt(2)
    mix = np.array([[1.0, 0, 0, 0], [0.1, 0.4, 0, 0], [0.1, 0.35, 0.2, 0], [0.6, 0, 0, 0.7]])
    s = np.einsum("ij,jyx->iyx", mix, z)
    s[:, :, W // 2:] *= 3.0
    s[:, H // 3, W // 3] *= 20.0
    scale = 400.0 if cint16 else 1.0
    s = s * scale
    if cint16:  # the file holds integers: the reference uses exactly those
        s = np.round(s.real) + 1j * np.round(s.imag)
    # no data, as in Sentinel-1 SLCs: zero in every channel (rows outside a burst, columns
    # outside the swath, single samples); a zero in some channels only is data
    s[:, :3, :] = 0
    s[:, :, W - 5:] = 0
    s[:, 10, 7] = 0
    s[:2, 12, 9] = 0
    return s.astype(np.complex128)


def vector(kind, s):
    hh, hv, vh, vv = s
    x = (hv + vh) / 2
    r2 = np.sqrt(2.0)
    if kind == "c2":
        return np.stack([s[0], s[1]])
    if kind == "c3":
        return np.stack([hh, r2 * x, vv])
    if kind == "t3":
        return np.stack([hh + vv, hh - vv, 2 * x]) / r2
    if kind == "c4":
        return np.stack([hh, hv, vh, vv])
    return np.stack([hh + vv, hh - vv, hv + vh, 1j * (hv - vh)]) / r2


def planes(kind, s, az, rg):
    """The k² planes (upper triangle row by row, real then imaginary) of ⟨k kᴴ⟩ over blocks of
    az × rg pixels, leaving out samples that are zero in every channel used (NaN where a
    block has none)."""
    k = vector(kind, s)
    used = s[:2] if kind == "c2" else s
    valid = np.any(used != 0, axis=0)
    m = np.einsum("iyx,jyx->ijyx", k, k.conj()) * valid
    h, w = H // az, W // rg
    m = m[:, :, :h * az, :w * rg].reshape(len(k), len(k), h, az, w, rg).sum(axis=(3, 5))
    n = valid[:h * az, :w * rg].reshape(h, az, w, rg).sum(axis=(1, 3))
    m = m / np.maximum(n, 1)
    out = []
    for i in range(len(k)):
        out.append(m[i, i].real)
        for j in range(i + 1, len(k)):
            out += [m[i, j].real, m[i, j].imag]
    return np.where(n > 0, np.stack(out), np.nan)


def names(kind):
    c = kind[0].upper()
    k = int(kind[1])
    out = []
    for i in range(1, k + 1):
        out.append(f"{c}{i}{i}")
        for j in range(i + 1, k + 1):
            out += [f"{c}{i}{j}_real", f"{c}{i}{j}_imag"]
    return out


def run(exe, args):
    p = subprocess.run([exe, *args], capture_output=True, text=True)
    if p.returncode != 0:
        problem(f"despeckle {' '.join(args)} failed: {p.stderr.strip()}")
    return p


def check(out, kind, ref, az, rg, what):
    if not os.path.exists(out):
        return
    with rasterio.open(out) as d:
        got = d.read().astype(np.float64)
        if d.descriptions != tuple(names(kind)):
            problem(f"{what}: band descriptions {d.descriptions}")
        want = TRANSFORM * Affine.scale(rg, az)
        if not d.transform.almost_equals(want):
            problem(f"{what}: transform {d.transform}, expected {want}")
        if d.crs is None or d.crs.to_epsg() != 32632:
            problem(f"{what}: crs {d.crs}")
        if d.nodata is None or not np.isnan(d.nodata):
            problem(f"{what}: no-data value {d.nodata}, expected NaN")
    if got.shape != ref.shape:
        problem(f"{what}: shape {got.shape}, expected {ref.shape}")
        return
    if not np.array_equal(np.isnan(got), np.isnan(ref)):
        problem(f"{what}: NaN (no data) at {np.argwhere(np.isnan(got) != np.isnan(ref))[:3]}")
        return
    if not np.isnan(ref).any():
        problem(f"{what}: the reference has no block without data")
    got, ref = np.nan_to_num(got), np.nan_to_num(ref)
    # float32 output of float64 sums: relative to each pixel's trace (off-diagonal elements
    # can be near 0 where the channels are uncorrelated)
    k = int(kind[1])
    diag = [p for p, n in enumerate(names(kind)) if n[1] == n[2] and "_" not in n]
    trace = ref[diag].sum(axis=0)
    err = np.abs(got - ref) / np.where(trace > 0, trace, 1.0)
    if not err.max() <= 1e-6:
        p, y, x = np.unravel_index(err.argmax(), err.shape)
        problem(f"{what}: {names(kind)[p]} at ({x}, {y}) is {got[p, y, x]}, expected "
                f"{ref[p, y, x]} (error {err.max():.2e} of the trace, k = {k})")


def main():
    d, exe = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(1)
    for fmt, cint16 in (("cint16", True), ("cint32", True), ("cfloat32", False)):
        s = channels(rng, cint16)
        if fmt == "cint32":
            s *= 5000  # beyond int16, within int32
        paths = []
        for name, ch in zip(("HH", "HV", "VH", "VV"), s):
            p = os.path.join(d, f"{fmt}_{name}.tif")
            if fmt == "cint32":
                # rasterio cannot write CInt32: GDAL's gdal_translate converts a CFloat64 file
                tmp = os.path.join(d, f"tmp_{name}.tif")
                write(tmp, ch, "complex128")
                subprocess.run(["gdal_translate", "-q", "-ot", "CInt32", tmp, p], check=True)
            else:
                write(p, ch.astype(np.complex64), "complex_int16" if cint16 else "complex64")
            paths.append(p)
        cases = [("c2", [paths[3], paths[2]], s[[3, 2]], (1, 1)),
                 ("c2", [paths[3], paths[2]], s[[3, 2]], (4, 1)),
                 ("t3", paths, s, (1, 1)), ("t3", paths, s, (3, 2)),
                 ("c3", paths, s, (2, 3)), ("c4", paths, s, (1, 1)), ("t4", paths, s, (2, 2))]
        for kind, inputs, ss, (az, rg) in cases:
            if kind == "c2":
                ss = np.concatenate([ss, ss])  # vector() reads the first two for C2
            out = os.path.join(d, f"{fmt}_{kind}_{az}x{rg}.tif")
            args = ["polsar", kind, *inputs, out, "--quiet"]
            if (az, rg) != (1, 1):
                args += ["--multilook", f"{az}x{rg}"]
            run(exe, args)
            check(out, kind, planes(kind, ss, az, rg), az, rg, f"{fmt} {kind} {az}x{rg}")
    # --filter in the same pass equals forming the matrix, then `polsar FILTER` on it (bit for
    # bit: the same float32 planes through the same filter); refined-lee's looks default to
    # the multilook's AZ × RG
    two = os.path.join(d, "cfloat32_t3_3x2.tif")
    for filt, extra, two_extra in (("boxcar", ["--size", "3"], ["--size", "3"]),
                                   ("refined-lee", ["--size", "5"],
                                    ["--size", "5", "--looks", "6"])):
        one = os.path.join(d, f"one_{filt}.tif")
        run(exe, ["polsar", "t3", *paths, one, "--multilook", "3x2", "--filter", filt, *extra,
                  "--quiet"])
        ref = os.path.join(d, f"two_{filt}.tif")
        run(exe, ["polsar", filt, two, ref, *two_extra, "--quiet"])
        if os.path.exists(one) and os.path.exists(ref):
            with rasterio.open(one) as a, rasterio.open(ref) as b:
                if not np.array_equal(a.read(), b.read(), equal_nan=True):
                    problem(f"--filter {filt}: differs from polsar {filt} on the formed matrix")
                if a.transform != b.transform:
                    problem(f"--filter {filt}: transform {a.transform} != {b.transform}")
    for line in PROBLEMS:
        print(line, file=sys.stderr)
    return 1 if PROBLEMS else 0


if __name__ == "__main__":
    sys.exit(main())
