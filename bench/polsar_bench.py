#!/usr/bin/env python3
"""Polarimetric benchmark: ``despeckle polsar`` beside polsartools, file to file.

Makes a C3 PolSARpro folder (``config.txt`` and nine float32 ``.bin`` files with ENVI
``.hdr``; a synthetic single-look Wishart scene of N x N pixels, N = 5,000 by default:
9 x 95 MiB = 860 MiB) and runs on it, in the same session, each in its own process:

* ``despeckle polsar boxcar IN OUT --size 7`` and polsartools' ``filter_boxcar(IN, win=7,
  fmt="bin")``;
* ``despeckle polsar refined-lee IN OUT --size 7`` (1 look, population variance, PolSARpro's
  edge rule: PolSARpro's definition) and polsartools' ``filter_refined_lee(IN, win=7,
  fmt="bin")`` (its C++ port of PolSARpro's filter, 1 look);
* ``despeckle polsar lee-sigma`` and ``idan`` (no polsartools counterpart), and refined-lee
  again on a folder of half the height (memory must not grow with the height).

Each run is timed by a wrapper process: wall time, CPU time (user + system of the whole
process tree, from ``getrusage(RUSAGE_CHILDREN)``) and peak RSS (the sum over the process
tree, sampled every 100 ms with psutil: polsartools runs a pool of worker processes). CPU time
is the number to compare on a shared machine. Then the outputs are compared where the
conventions agree (pixels at least 2 windows from the image borders and from polsartools'
512 x 512 block seams), per element: the largest difference relative to the element's
magnitude (``|a − b| / max(|b|, 1e-3 · mean |diagonal|)``), and its 99.9th percentile.

polsartools needs GDAL's Python bindings (``osgeo``), which pip cannot build without GDAL's
headers; Debian's ``python3-gdal`` provides them for the system Python, so polsartools lives
in a venv of that interpreter (``target/polsartools-venv``, made by ``bash
bench/setup-polsartools.sh``). Not part of the test suite.

Examples::

    bash bench/setup-polsartools.sh
    python3 bench/polsar_bench.py                     # 5,000², builds despeckle (release)
    python3 bench/polsar_bench.py --n 1000 --despeckle target/ci/despeckle

Writes the table to stdout and the records to --out/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
C3 = ["C11", "C12_real", "C12_imag", "C13_real", "C13_imag", "C22", "C23_real", "C23_imag",
      "C33"]
DIAG = [0, 5, 8]

WRAPPER = r"""
import json, resource, subprocess, sys, time
import psutil
t0 = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.PIPE)
root = psutil.Process(p.pid)
peak = 0
while p.poll() is None:
    try:
        procs = [root] + root.children(recursive=True)
        rss = 0
        for q in procs:
            try:
                rss += q.memory_info().rss
            except psutil.Error:
                pass
        peak = max(peak, rss)
    except psutil.Error:
        pass
    time.sleep(0.1)
err = p.stderr.read()
dt = time.perf_counter() - t0
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"returncode": p.returncode, "seconds": dt,
                  "cpu_seconds": u.ru_utime + u.ru_stime,
                  "peak_rss_mib": max(peak / 2**20, u.ru_maxrss / 1024),
                  "stderr": err.decode(errors="replace")[-2000:]}))
"""

POLSARTOOLS = r"""
import sys
import polsartools as pst
func, src, win = sys.argv[1], sys.argv[2], int(sys.argv[3])
f = {"boxcar": pst.filter_boxcar, "refined-lee": pst.filter_refined_lee}[func]
f(src, win=win, fmt="bin", max_workers=int(sys.argv[4]))
"""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def write_c3(folder: Path, n: int, h: int, seed: int = 7) -> None:
    """A single-look C3 scene, written strip by strip: four regions (quadrants and a disc)
    with their own covariance A Aᴴ, C = k kᴴ with k = A g, g standard complex Gaussian; a
    grid of bright 3 x 3 targets."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.txt").write_text(
        f"Nrow\n{h}\n---------\nNcol\n{n}\n---------\nPolarCase\nmonostatic\n"
        "---------\nPolarType\nfull\n")
    rng = np.random.default_rng(seed)
    mix = [np.eye(3) * (1 + 2 * r) + 0.4 * (rng.standard_normal((3, 3))
                                            + 1j * rng.standard_normal((3, 3)))
           for r in range(4)]
    files = [open(folder / f"{name}.bin", "wb") for name in C3]
    rows = max(1, (1 << 22) // n)
    yy, xx = None, np.arange(n)
    for y0 in range(0, h, rows):
        r = min(rows, h - y0)
        yy = np.arange(y0, y0 + r)[:, None]
        region = (xx[None, :] >= n // 2).astype(int) + 2 * (yy >= h // 2)
        disc = (xx[None, :] - n // 3) ** 2 + (yy - h // 3) ** 2 < (min(n, h) // 6) ** 2
        region = np.where(disc, (region + 1) % 4, region)
        g = (rng.standard_normal((3, r, n)) + 1j * rng.standard_normal((3, r, n))) / np.sqrt(2)
        k = np.zeros((3, r, n), complex)
        for q in range(4):
            m = region == q
            k[:, m] = mix[q] @ g[:, m]
        bright = ((yy % 97) < 3) & ((xx[None, :] % 89) < 3)
        k *= np.where(bright, 20.0, 1.0)
        planes = []
        for i in range(3):
            for j in range(i, 3):
                c = k[i] * np.conj(k[j])
                planes += [c.real] if i == j else [c.real, c.imag]
        for f, p in zip(files, planes):
            f.write(p.astype("<f4").tobytes())
    for f, name in zip(files, C3):
        f.close()
        (folder / f"{name}.bin.hdr").write_text(
            "ENVI\ndescription = {PolSARpro File Imported to ENVI}\n"
            f"samples = {n}\nlines = {h}\nbands = 1\nheader offset = 0\n"
            "file type = ENVI Standard\ndata type = 4\ninterleave = bsq\nbyte order = 0\n"
            f"band names = {{ {name} }}\n")


def measure(cmd: list[str], timeout: float) -> dict:
    log("  " + shlex.join(str(c) for c in cmd))
    try:
        p = subprocess.run([sys.executable, "-c", WRAPPER, *map(str, cmd)],
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"returncode": None, "stderr": "timed out"}
    if not p.stdout.strip():
        return {"returncode": -1, "stderr": p.stderr[-2000:]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def read(folder: Path, name: str, n: int, h: int) -> np.ndarray:
    return np.memmap(folder / f"{name}.bin", dtype="<f4", mode="r", shape=(h, n))


def compare(a: Path, b: Path, n: int, h: int, win: int) -> dict:
    """Per element, over the interior away from borders and 512-block seams: the largest and
    the 99.9th percentile of |a − b| / max(|b|, 1e-3 · mean diagonal)."""
    margin = 2 * win
    ys = np.arange(margin, h - margin)
    xs = np.arange(margin, n - margin)
    ys = ys[np.abs((ys + 256) % 512 - 256) > margin]
    xs = xs[np.abs((xs + 256) % 512 - 256) > margin]
    floor = 1e-3 * np.mean([float(np.mean(read(b, C3[d], n, h)[::17, ::17])) for d in DIAG])
    out = {}
    for name in C3:
        x = np.asarray(read(a, name, n, h)[np.ix_(ys, xs)], np.float64)
        y = np.asarray(read(b, name, n, h)[np.ix_(ys, xs)], np.float64)
        rel = np.abs(x - y) / np.maximum(np.abs(y), floor)
        out[name] = {"max": float(rel.max()), "p999": float(np.quantile(rel, 0.999)),
                     "median": float(np.median(rel))}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=5000, help="image side (default 5000)")
    ap.add_argument("--window", type=int, default=7)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "polsar")
    ap.add_argument("--despeckle", type=Path,
                    help="the despeckle binary (default: build target/release/despeckle)")
    ap.add_argument("--polsartools-python", type=Path,
                    default=REPO / "target" / "polsartools-venv" / "bin" / "python")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                    help="despeckle threads and polsartools workers (default: all cores)")
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--skip-polsartools", action="store_true",
                    help="despeckle's runs only (no comparison)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the input folders (reused by the next run) and the outputs")
    a = ap.parse_args(argv)
    n, win = a.n, a.window
    exe = a.despeckle
    if exe is None:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "despeckle-cli", "--bin",
                        "despeckle"], cwd=REPO, check=True)
        exe = REPO / "target" / "release" / "despeckle"
    a.out.mkdir(parents=True, exist_ok=True)
    src = a.out / "C3"
    half = a.out / "half" / "C3"
    for folder, rows in ((src, n), (half, n // 2)):
        config = folder / "config.txt"
        head = f"Nrow\n{rows}\n---------\nNcol\n{n}\n"
        if config.exists() and config.read_text().startswith(head):
            log(f"reusing {folder}")
            continue
        log(f"writing {n} x {rows} C3 ({9 * n * rows * 4 / MIB:.0f} MiB) to {folder}")
        write_c3(folder, n, rows)
    results = []

    def despeckle(label, filt, source, size=win, keep=True):
        out = a.out / ("despeckle-" + label.replace(" ", "").replace("/", "-"))
        shutil.rmtree(out, ignore_errors=True)
        r = measure([exe, "polsar", filt, source, out, "--size", size, "--threads", a.threads,
                     "--quiet"], a.timeout)
        results.append({"tool": "despeckle", "run": label, **r})
        if not keep:
            shutil.rmtree(out, ignore_errors=True)
        return out

    def polsartools(label, filt):
        if a.skip_polsartools:
            return a.out / "none"
        r = measure([a.polsartools_python, "-c", POLSARTOOLS, filt, src, win, a.threads],
                    a.timeout)
        results.append({"tool": "polsartools", "run": label, **r})
        sub = {"boxcar": "boxcar", "refined-lee": "rlee"}[filt]
        return a.out / f"{sub}_{win}x{win}" / "C3"

    outs = {}
    log("running")
    outs["boxcar"] = despeckle("boxcar", "boxcar", src)
    outs["pt-boxcar"] = polsartools("boxcar", "boxcar")
    outs["refined-lee"] = despeckle("refined-lee", "refined-lee", src)
    outs["pt-refined-lee"] = polsartools("refined-lee", "refined-lee")
    despeckle("refined-lee (height/2)", "refined-lee", half, keep=False)
    despeckle("lee-sigma", "lee-sigma", src, keep=False)
    despeckle("idan (size 11)", "idan", src, 11, keep=False)

    print(f"C3 {n} x {n} ({9 * n * n * 4 / MIB:.0f} MiB), window {win}, {a.threads} threads "
          "or workers")
    print(f"{'tool':12} {'run':26} {'wall s':>8} {'CPU s':>8} {'peak RSS MiB':>13}")
    for r in results:
        if r.get("returncode") != 0:
            print(f"{r['tool']:12} {r['run']:26} failed: {r.get('stderr', '')[-300:]}")
            continue
        print(f"{r['tool']:12} {r['run']:26} {r['seconds']:8.1f} {r['cpu_seconds']:8.1f} "
              f"{r['peak_rss_mib']:13.0f}")
    cpu = {(r["tool"], r["run"]): r.get("cpu_seconds") for r in results}
    for f in ["boxcar", "refined-lee"]:
        d, p = cpu.get(("despeckle", f)), cpu.get(("polsartools", f))
        if d and p:
            print(f"{f}: polsartools / despeckle CPU time = {p / d:.1f}x")
    comparisons = {}
    for f in ["boxcar", "refined-lee"]:
        if (outs[f] / "C11.bin").exists() and (outs["pt-" + f] / "C11.bin").exists():
            comparisons[f] = compare(outs[f], outs["pt-" + f], n, n, win)
            worst = max(comparisons[f].items(), key=lambda kv: kv[1]["p999"])
            print(f"{f}: despeckle vs polsartools (interior): largest relative difference "
                  f"{max(v['max'] for v in comparisons[f].values()):.2e}, 99.9th percentile "
                  f"{worst[1]['p999']:.2e} ({worst[0]}), median "
                  f"{max(v['median'] for v in comparisons[f].values()):.2e}")
    (a.out / "results.json").write_text(json.dumps(
        {"n": n, "window": win, "threads": a.threads, "runs": results,
         "comparisons": comparisons}, indent=1))
    if not a.keep:
        shutil.rmtree(a.out / "C3", ignore_errors=True)
        shutil.rmtree(a.out / "half", ignore_errors=True)
        for p in a.out.glob("despeckle-*"):
            shutil.rmtree(p, ignore_errors=True)
        for p in a.out.glob("*_*x*"):
            shutil.rmtree(p, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
