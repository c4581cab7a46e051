#!/usr/bin/env python3
"""GDAL (through rasterio) and numpy as the oracle of the `despeckle` command-line tests.

    cli_fixtures.py write DIR    write GeoTIFF inputs in many layouts with GDAL, and
                                 DIR/cases.tsv: one line per CLI run (name, input, output,
                                 arguments separated by spaces)
    cli_fixtures.py check DIR    open every output of DIR/cases.tsv with GDAL and check it:
                                 size, bands, type, georeferencing, no-data, layout and
                                 compression, and the values against an independent float64
                                 numpy reference of the filter (docs/filters.md)
    cli_fixtures.py big PATH W H [tiled]
                                 write a W x H float32 GeoTIFF of 4-look speckle, 512 rows at a
                                 time (for the memory test)

Needs python3 with numpy and rasterio (whose wheel bundles GDAL). Exit status 0 on success;
otherwise one line per problem on stderr and status 1.
"""

import math
import os
import sys

import numpy as np
import rasterio
from rasterio.transform import Affine

WIDTH, HEIGHT = 83, 61  # not multiples of 16: partial strips and tiles
TRANSFORM = Affine(10.0, 0.0, 500000.0, 0.0, -10.0, 4600000.0)
EPSG = 32631


def speckle(shape, seed, looks=4):
    """Structured reflectivity times gamma speckle, with a bright point and a dark block."""
    rng = np.random.default_rng(seed)
    b, y, x = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    refl = 1.0 + (x // 20) + 3.0 * ((y // 25) % 2) + b
    img = refl * rng.gamma(looks, 1.0 / looks, shape)
    img[:, 30, 40] = 400.0
    img[:, 5:9, 60:70] = 0.0  # zeros that are not no-data: the output is the mean (0)
    return img


def cases():
    """(name, dtype, bands, creation options, nodata, CLI arguments)."""
    out = []
    common = "--size 7 --looks 4"
    out.append(("f32_strips_none_nodata", "float32", 1,
                dict(blockysize=5), -9999.0, common))
    out.append(("f32_tiled_deflate", "float32", 1,
                dict(tiled=True, blockxsize=32, blockysize=16, compress="deflate"), None,
                "--size 5 --looks 2 --damping 2 --border wrap"))
    out.append(("f32_strips_lzw_pred3", "float32", 1,
                dict(compress="lzw", predictor=3, blockysize=8), None,
                common + " --border nearest --ddof 1"))
    out.append(("f32_tiled_zstd", "float32", 1,
                dict(tiled=True, blockxsize=16, blockysize=16, compress="zstd"), None,
                common + " --border constant:0.5 --cmax 2.5"))
    out.append(("f32_bigtiff_tiled", "float32", 1,
                dict(tiled=True, blockxsize=32, blockysize=32, BIGTIFF="YES"), None,
                common + " --border shrink"))
    out.append(("f32_packbits_nan_nodata", "float32", 1,
                dict(compress="packbits", blockysize=3), float("nan"),
                common + " --border mirror --domain amplitude"))
    out.append(("int16_strips_deflate_p2", "int16", 1,
                dict(compress="deflate", predictor=2, blockysize=7), -32768.0, common))
    out.append(("uint16_tiled_lzw", "uint16", 1,
                dict(tiled=True, blockxsize=16, blockysize=32, compress="lzw"), 0.0,
                "--size 3 --looks 1"))
    out.append(("f32_3bands_pixel_tiled_deflate", "float32", 3,
                dict(tiled=True, blockxsize=32, blockysize=32, compress="deflate",
                     interleave="pixel"), -1.0, common))
    out.append(("f32_2bands_band_strips_select", "float32", 2,
                dict(interleave="band", blockysize=10), None, common + " --band 2"))
    out.append(("f32_3bands_reorder", "float32", 3,
                dict(interleave="pixel", blockysize=4), None, common + " -b 3 -b 1"))
    out.append(("cint16_strips", "complex_int16", 1,
                dict(blockysize=6), None, common))
    out.append(("cfloat32_tiled_amplitude", "complex64", 1,
                dict(tiled=True, blockxsize=16, blockysize=16), None,
                common + " --domain amplitude"))
    out.append(("cfloat32_complex_flag", "complex64", 1,
                dict(blockysize=9), None, "mean --size 3 --complex amplitude"))
    out.append(("f64_strips_deflate", "float64", 1,
                dict(compress="deflate", predictor=3, blockysize=4), -9999.0, common))
    out.append(("mean_tiled_to_strips", "float32", 1,
                dict(tiled=True, blockxsize=32, blockysize=32, compress="deflate"), None,
                "mean --size 5 --strips --compress none"))
    out.append(("local_stats_cv", "float32", 1,
                dict(blockysize=16), None,
                "local-stats --size 9 --stat cv --ddof 1 --tiled 32 --compress zstd"))
    out.append(("local_stats_var_f64", "float32", 1,
                dict(blockysize=16), None,
                "local-stats --size 3 --stat variance --dtype float64 --nodata none"))
    out.append(("nodata_override", "float32", 1,
                dict(blockysize=16), -9999.0,
                common + " --nodata 0 --compress deflate --predictor float --level 1"))
    return out


def make_data(dtype, bands, seed):
    img = speckle((bands, HEIGHT, WIDTH), seed)
    if dtype == "int16":
        return np.round(img * 300.0).astype(np.int16)
    if dtype == "uint16":
        return np.round(img * 300.0).astype(np.uint16)
    if dtype in ("complex_int16", "complex64"):
        rng = np.random.default_rng(seed + 1)
        phase = rng.uniform(0, 2 * np.pi, img.shape)
        amp = np.sqrt(img) * (40.0 if dtype == "complex_int16" else 1.0)
        z = amp * np.exp(1j * phase)
        if dtype == "complex_int16":
            z = np.round(z.real) + 1j * np.round(z.imag)
        return z.astype(np.complex64)
    return img.astype(dtype)


def write(folder):
    os.makedirs(folder, exist_ok=True)
    lines = []
    for i, (name, dtype, bands, opts, nodata, args) in enumerate(cases()):
        data = make_data(dtype, bands, seed=i)
        if nodata is not None and not dtype.startswith("complex"):
            mask = np.zeros(data.shape, bool)
            mask[:, 20:23, 10:14] = True
            mask[:, 0, 0] = True
            data[mask] = nodata
        if dtype.startswith("float"):
            data[:, 50, 50] = np.nan
        path = os.path.join(folder, name + ".tif")
        profile = dict(driver="GTiff", width=WIDTH, height=HEIGHT, count=bands,
                       dtype=dtype, crs=f"EPSG:{EPSG}", transform=TRANSFORM, **opts)
        if nodata is not None:
            profile["nodata"] = nodata
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(data)
            dst.update_tags(SOURCE="despeckle CLI test", CASE=name)
        words = args.split()
        if words[0] in ("mean", "local-stats", "enhanced-lee"):
            filt, words = words[0], words[1:]
        else:
            filt = "enhanced-lee"
        out = os.path.join(folder, name + ".out.tif")
        lines.append("\t".join([name, filt, path, out, " ".join(words)]))
    with open(os.path.join(folder, "cases.tsv"), "w") as f:
        f.write("\n".join(lines) + "\n")


# ---- the independent float64 reference (docs/filters.md) ----

PAD_MODES = {"reflect": "symmetric", "mirror": "reflect", "nearest": "edge", "wrap": "wrap"}


def parse_args(words):
    a = dict(size=7, looks=4.0, damping=1.0, domain="intensity", border="reflect", ddof=0,
             cmax=None, stat="mean", nodata=None, bands=[], complex=None, dtype=None)
    i = 0
    while i < len(words):
        w = words[i]
        key = w.lstrip("-")
        if w in ("-b", "--band"):
            a["bands"].append(int(words[i + 1]))
            i += 2
            continue
        if w in ("--strips", "--tiled") and (i + 1 == len(words) or words[i + 1].startswith("-")):
            a[key] = "auto"
            i += 1
            continue
        a[key] = words[i + 1]
        i += 2
    for k in ("looks", "damping"):
        a[k] = float(a[k])
    a["size"] = int(a["size"])
    a["ddof"] = int(a["ddof"])
    if a["cmax"] is not None:
        a["cmax"] = float(a["cmax"])
    return a


def window_sums(x, valid, size, border):
    """Count, sum and sum of squares of the valid pixels of every window (float64)."""
    h = size // 2
    if border in PAD_MODES:
        xp = np.pad(x, h, mode=PAD_MODES[border])
        vp = np.pad(valid, h, mode=PAD_MODES[border])
    elif border.startswith("constant"):
        k = float(border.split(":")[1]) if ":" in border else 0.0
        xp = np.pad(x, h, mode="constant", constant_values=k)
        vp = np.pad(valid, h, mode="constant", constant_values=math.isfinite(k))
    elif border == "shrink":
        xp = np.pad(x, h, mode="constant", constant_values=0.0)
        vp = np.pad(valid, h, mode="constant", constant_values=False)
    else:
        raise ValueError(border)
    xv = np.where(vp, xp, 0.0)
    win = np.lib.stride_tricks.sliding_window_view
    n = win(vp.astype(np.float64), (size, size)).sum(axis=(-1, -2))
    s1 = win(xv, (size, size)).sum(axis=(-1, -2))
    s2 = win(xv * xv, (size, size)).sum(axis=(-1, -2))
    return n, s1, s2


def reference(z, a, nodata, filt):
    """The filter's float64 output for one band `z` (float64, converted input)."""
    valid = np.isfinite(z)
    if nodata is not None and math.isfinite(nodata):
        valid &= z != nodata
    zc = np.where(valid, z, 0.0)
    n, s1, s2 = window_sums(zc, valid, a["size"], a["border"])
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = s1 / n
        ss = np.maximum(s2 - mu * s1, 0.0)
        var = np.where(n > a["ddof"], ss / np.maximum(n - a["ddof"], 1.0), 0.0)
        if filt == "mean":
            out = mu
        elif filt == "local-stats":
            out = {"mean": mu, "variance": var, "std": np.sqrt(var),
                   "cv": np.where(mu > 0, np.sqrt(var) / mu, 0.0)}[a["stat"]]
        else:
            looks = a["looks"]
            cu = (1.0 / math.sqrt(looks) if a["domain"] == "intensity"
                  else math.sqrt((4.0 / math.pi - 1.0) / looks))
            cmax = a["cmax"] if a["cmax"] is not None else math.sqrt(1.0 + 2.0 / looks)
            ci = np.sqrt(var) / mu
            with np.errstate(over="ignore"):
                w = np.exp(-a["damping"] * (ci - cu) / (cmax - ci))
                out = np.where((mu <= 0) | ~(ci > cu), mu,
                               np.where(ci >= cmax, z, mu * w + z * (1.0 - w)))
    return np.where(valid, out, z), mu, var


def tolerance_scale(filt, a, z, out, mu, var):
    """What the error is relative to: |μ| + |z| for values in the image's units."""
    with np.errstate(invalid="ignore"):
        if filt == "local-stats" and a["stat"] == "variance":
            return mu * mu + var
        if filt == "local-stats" and a["stat"] == "cv":
            return np.abs(out) + 1e-3
        if filt == "local-stats" and a["stat"] == "std":
            return np.abs(mu) + np.sqrt(var)
        return np.abs(mu) + np.abs(z)


def check(folder):
    problems = []
    with open(os.path.join(folder, "cases.tsv")) as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    for name, filt, src_path, out_path, args in rows:
        a = parse_args(args.split())

        def bad(msg):
            problems.append(f"{name}: {msg}")

        if not os.path.exists(out_path):
            bad("no output file")
            continue
        with rasterio.open(src_path) as src, rasterio.open(out_path) as out:
            bands = [b for b in a["bands"]] or list(range(1, src.count + 1))
            if (out.width, out.height, out.count) != (src.width, src.height, len(bands)):
                bad(f"size {out.width}x{out.height}x{out.count}")
                continue
            want_dtype = a["dtype"] or ("float64" if src.dtypes[0] == "float64" else "float32")
            if out.dtypes[0] != want_dtype:
                bad(f"dtype {out.dtypes[0]}, expected {want_dtype}")
            if out.transform != src.transform:
                bad(f"transform {out.transform} != {src.transform}")
            if out.crs != src.crs or out.crs.to_epsg() != EPSG:
                bad(f"crs {out.crs} != {src.crs}")
            if out.tags().get("CASE") != name:
                bad(f"GDAL metadata not kept: {out.tags()}")
            # No-data: the file's (converted for complex input), or the one given.
            is_complex = src.dtypes[0].startswith("complex")
            mode = a["complex"] or (a["domain"] if filt == "enhanced-lee" else "intensity")
            if a["nodata"] == "none":
                nodata = None
            elif a["nodata"] is not None:
                nodata = float(a["nodata"])
            else:
                nodata = src.nodata
            want_nd = nodata
            if (want_nd is None) != (out.nodata is None) or (
                    want_nd is not None and not (want_nd == out.nodata or (
                        math.isnan(want_nd) and math.isnan(out.nodata)))):
                bad(f"nodata {out.nodata}, expected {want_nd}")
            # Layout and compression: the input's unless asked otherwise.
            tiled_in = src.profile.get("tiled", False)
            want_tiled = (True if "tiled" in a else False if "strips" in a else tiled_in)
            if bool(out.profile.get("tiled", False)) != want_tiled:
                bad(f"tiled {out.profile.get('tiled')}, expected {want_tiled}")
            if want_tiled and "tiled" not in a and out.block_shapes[0] != src.block_shapes[0]:
                bad(f"blocks {out.block_shapes[0]} != {src.block_shapes[0]}")
            want_comp = a.get("compress") or (src.compression.name if src.compression else None)
            got_comp = out.compression.name if out.compression else None
            norm = lambda c: None if c in (None, "none") else c.lower()
            if norm(got_comp) != norm(want_comp):
                bad(f"compression {got_comp}, expected {want_comp}")
            for k, b in enumerate(bands):
                raw = src.read(b)
                if is_complex:
                    p = raw.real.astype(np.float64) ** 2 + raw.imag.astype(np.float64) ** 2
                    z = p if mode == "intensity" else np.sqrt(p)
                else:
                    z = raw.astype(np.float64)
                if want_dtype == "float32":
                    # The filter runs on the float32 image.
                    z = z.astype(np.float32).astype(np.float64)
                ref, mu, var = reference(z, a, nodata, filt)
                got = out.read(k + 1).astype(np.float64)
                same_nan = np.isnan(ref) == np.isnan(got)
                if not same_nan.all():
                    bad(f"band {b}: NaN at {np.argwhere(~same_nan)[:3].tolist()}")
                    continue
                scale = tolerance_scale(filt, a, z, ref, mu, var)
                # Where the pixel is no-data the output is the input, exactly.
                ok = ~np.isnan(ref) & np.isfinite(scale)
                tol = 2e-5 if want_dtype == "float32" else 1e-9
                diff, sc = np.abs(got - ref)[ok], scale[ok]
                with np.errstate(divide="ignore", invalid="ignore"):
                    err = np.where(sc > 0, diff / sc, np.where(diff > 0, np.inf, 0.0))
                if err.size and err.max() > tol:
                    i = np.argmax(err)
                    bad(f"band {b}: max relative error {err.max():.3g} > {tol} "
                        f"(got {got[ok][i]}, reference {ref[ok][i]})")
    for p in problems:
        print(p, file=sys.stderr)
    print(f"checked {len(rows)} outputs, {len(problems)} problem(s)")
    return 1 if problems else 0


def big(path, width, height, tiled=False):
    """A W x H float32 file of 4-look speckle, written 512 rows at a time."""
    profile = dict(driver="GTiff", width=width, height=height, count=1, dtype="float32",
                   crs=f"EPSG:{EPSG}", transform=TRANSFORM)
    if tiled:
        profile.update(tiled=True, blockxsize=256, blockysize=256, compress="deflate")
    rng = np.random.default_rng(0)
    with rasterio.open(path, "w", **profile) as dst:
        for y0 in range(0, height, 512):
            rows = min(512, height - y0)
            block = rng.gamma(4.0, 0.25, (rows, width)).astype(np.float32)
            dst.write(block, 1, window=rasterio.windows.Window(0, y0, width, rows))


def main(argv):
    if len(argv) >= 3 and argv[1] == "write":
        write(argv[2])
        return 0
    if len(argv) >= 3 and argv[1] == "check":
        return check(argv[2])
    if len(argv) >= 5 and argv[1] == "big":
        big(argv[2], int(argv[3]), int(argv[4]), len(argv) > 5 and argv[5] == "tiled")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
