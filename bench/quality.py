#!/usr/bin/env python3
"""Quality benchmark: every despeckle filter against a known truth, beside the usual anchors.

Synthetic speckle on clean images that scikit-image ships (``skimage.data``: camera, moon,
brick, text, coins; ``astronaut``'s luminance as an optional sixth):

* amplitude truth ``A`` = the 8-bit image, clipped to ≥ 1; intensity truth ``R = A²``;
* speckled intensity ``I = R · G``, ``G ~ Gamma(L, 1/L)`` (mean 1, ``L`` looks), float32,
  drawn from ``numpy.random.default_rng([seed, round(100·L), image number])``: the same
  noise for every method, every run;
* every estimate ``R̂`` is scored on amplitude, ``Â = √max(R̂, 0)`` (no clipping to 255):
  PSNR ``10·log10(255² / mean((Â − A)²))`` and SSIM (``skimage.metrics.structural_similarity``,
  ``data_range=255``, default 7 × 7 window), per image, then averaged over images and seeds.

Methods (``--only`` selects them by regular expression on these names):

* ``noisy``: ``√I`` itself (no filtering);
* every despeckle filter of ``despeckle.FILTERS`` (``local_stats`` excepted: ``mean`` is its
  estimate) as ``NAME`` at its defaults, with ``looks`` = the true ``L`` where the filter has
  a ``looks`` parameter (the one value a user always sets; ``refined_lee``'s default is its
  own local estimate), and as ``NAME*`` at the best setting of a small sweep (``SWEEP``
  below: sizes 3 … 11 and a few values of the filter's own parameters, looks = ``L``),
  chosen by the mean PSNR over the images and seeds of the run itself — an oracle choice,
  an upper bound for the filter on these images;
* ``bm3d``: homomorphic BM3D (``bm3d`` package, profile ``np``) on ``log I`` debiased by
  ``ψ(L) − ln L`` (``E[log I] = ln R + ψ(L) − ln L``), noise ``σ² = ψ₁(L)``, then ``exp``;
* ``nlmeans``: scikit-image's ``denoise_nl_means`` on the same debiased log, ``sigma =
  √ψ₁(L)``, ``h = 0.8·sigma``, ``patch_size=7``, ``patch_distance=10``, ``fast_mode=True``;
* ``mulog``: MuLoG (``mulog`` 0.0.4: MIDAL / plug-and-play ADMM, 6 iterations, with the
  authors' autoscaled BM3D), run in its own virtual environment (``bash
  bench/setup-anchors.sh``; numpy < 2) through ``bench/mulog_anchor.py`` with ``.npy`` files;
  skipped with ``--no-mulog``.

Time per pixel: wall time of the method's call on each image (scoring excluded) over the
number of pixels, all images together, and the CPU time of the process over the same calls
(every thread: on a busy machine the steadier of the two). despeckle uses every core
(``threads`` default); BM3D, NL-means and MuLoG run as their packages run them.

Examples::

    python3 bench/quality.py                         # L = 1 and 4, five images, one seed
    python3 bench/quality.py --looks 1 --seeds 3 --no-mulog
    python3 bench/quality.py --images camera,moon --only 'lee|bm3d'
    python3 bench/quality.py --crop 64 --images camera --looks 1 \\
        --only '^(noisy|lee\\*?|nlmeans)$' --no-mulog \\
        --out target/quality-smoke/quality.md     # smoke run: about a second of CPU

The Markdown tables go to ``--out`` (default ``target/quality/quality.md``) and stdout, the
raw numbers (every sweep point included) to the same path with ``.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import special

REPO = Path(__file__).resolve().parent.parent
ANCHORS_PYTHON = REPO / "target" / "anchors-venv" / "bin" / "python"
MULOG_SCRIPT = REPO / "bench" / "mulog_anchor.py"
DEFAULT_IMAGES = ("camera", "moon", "brick", "text", "coins")
ALL_IMAGES = DEFAULT_IMAGES + ("astronaut",)
SIZES = (3, 5, 7, 9, 11)

#: The sweep: per filter, the grid of parameters besides ``size`` (every combination is run
#: for every size of ``SIZES`` unless the filter lists its own ``size``).
SWEEP: dict[str, dict[str, tuple]] = {
    "enhanced_lee": {"damping": (0.5, 1.0, 2.0)},
    "lee": {},
    "kuan": {},
    "gamma_map": {},
    "frost": {"damping": (0.1, 0.25, 0.5, 1.0, 2.0)},
    "enhanced_frost": {"damping": (0.25, 0.5, 1.0, 2.0)},
    "refined_lee": {},
    "lee_sigma": {"size": (5, 7, 9, 11), "sigma": (0.5, 0.7, 0.9)},
    "idan": {"size": (7, 9, 11), "region": (25, 50, 100)},
    "median": {},
    "mean": {},
    # the window size is not a parameter of the non-local filter: the sweep is its passes (the
    # default, two passes, is the plain ``ppb`` row)
    "ppb": {"size": (7,), "passes": (1, 2)},
}


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def clean_image(name: str) -> np.ndarray:
    """The amplitude truth: a scikit-image data image as float64, clipped to ≥ 1."""
    from skimage import color, data

    if name not in ALL_IMAGES:
        raise SystemExit(f"quality: unknown image {name!r} (choose from {', '.join(ALL_IMAGES)})")
    img = getattr(data, name)()
    if img.ndim == 3:  # astronaut: RGB -> luminance in 0..255
        img = color.rgb2gray(img) * 255.0
    return np.clip(img.astype(np.float64), 1.0, None)


def centre_crop(img: np.ndarray, n: int | None) -> np.ndarray:
    if not n:
        return img
    y0 = max(0, (img.shape[0] - n) // 2)
    x0 = max(0, (img.shape[1] - n) // 2)
    return img[y0:y0 + n, x0:x0 + n]


def speckle(amp: np.ndarray, looks: float, seed: int, index: int) -> np.ndarray:
    """``I = A² · Gamma(L, 1/L)`` as float32, from a fixed seed."""
    rng = np.random.default_rng([seed, int(round(100 * looks)), index])
    g = rng.gamma(shape=looks, scale=1.0 / looks, size=amp.shape)
    return (amp * amp * g).astype(np.float32)


# ---------------------------------------------------------------------------
# Scores
# ---------------------------------------------------------------------------


def amplitude(est: np.ndarray) -> np.ndarray:
    return np.sqrt(np.maximum(np.asarray(est, dtype=np.float64), 0.0))


def psnr(truth: np.ndarray, est_amp: np.ndarray) -> float:
    mse = float(np.mean((est_amp - truth) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(255.0 ** 2 / mse)


def ssim(truth: np.ndarray, est_amp: np.ndarray) -> float:
    from skimage.metrics import structural_similarity

    return float(structural_similarity(truth, est_amp, data_range=255.0))


# ---------------------------------------------------------------------------
# Methods
# ---------------------------------------------------------------------------


def log_debiased(noisy: np.ndarray, looks: float) -> tuple[np.ndarray, float]:
    """``log I − (ψ(L) − ln L)`` and the noise's standard deviation ``√ψ₁(L)``."""
    bias = special.digamma(looks) - math.log(looks)
    sigma = math.sqrt(special.polygamma(1, looks))
    return np.log(np.maximum(noisy.astype(np.float64), 1e-30)) - bias, sigma


def run_bm3d(noisy: np.ndarray, looks: float) -> np.ndarray:
    import bm3d

    y, sigma = log_debiased(noisy, looks)
    return np.exp(bm3d.bm3d(y, sigma_psd=sigma, profile="np"))


def run_nlmeans(noisy: np.ndarray, looks: float) -> np.ndarray:
    from skimage.restoration import denoise_nl_means

    y, sigma = log_debiased(noisy, looks)
    x = denoise_nl_means(y, h=0.8 * sigma, sigma=sigma, patch_size=7, patch_distance=10,
                         fast_mode=True)
    return np.exp(x)


def despeckle_call(name: str, params: dict):
    import despeckle

    fn = getattr(despeckle, name)
    return lambda noisy, looks: fn(noisy, **params)


def filter_params(name: str, looks: float, extra: dict | None = None) -> dict:
    """The call's keyword arguments: ``looks`` = the true L where the filter takes it."""
    import inspect

    import despeckle

    sig = inspect.signature(getattr(despeckle, name))
    params = {}
    if "looks" in sig.parameters:
        params["looks"] = float(looks)
    params.update(extra or {})
    return params


def sweep_grid(name: str) -> list[dict]:
    grid = dict(SWEEP.get(name, {}))
    sizes = grid.pop("size", SIZES)
    keys = list(grid)
    out = []
    for size in sizes:
        for combo in itertools.product(*(grid[k] for k in keys)):
            out.append({"size": size, **dict(zip(keys, combo))})
    return out


def describe(params: dict) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in params.items()) or "-"


# ---------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------


@dataclass
class Score:
    """One method at one setting on every (image, seed) of a run."""

    method: str
    params: dict
    psnr: dict = field(default_factory=dict)  # image -> [per seed]
    ssim: dict = field(default_factory=dict)
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # CPU time of every thread of the process that ran the method
    pixels: int = 0
    error: str = ""
    sweep: list = field(default_factory=list)  # every sweep point: params, mean PSNR, µs/px

    def mean_psnr(self) -> float:
        vals = [v for vs in self.psnr.values() for v in vs]
        return float(np.mean(vals)) if vals else math.nan

    def mean_ssim(self) -> float:
        vals = [v for vs in self.ssim.values() for v in vs]
        return float(np.mean(vals)) if vals else math.nan

    def us_per_pixel(self) -> float:
        return 1e6 * self.seconds / self.pixels if self.pixels else math.nan

    def cpu_us_per_pixel(self) -> float:
        return 1e6 * self.cpu_seconds / self.pixels if self.pixels else math.nan

    def as_dict(self) -> dict:
        return {"method": self.method, "params": self.params, "psnr": self.psnr,
                "ssim": self.ssim, "seconds": self.seconds, "cpu_seconds": self.cpu_seconds,
                "pixels": self.pixels,
                "mean_psnr": self.mean_psnr(), "mean_ssim": self.mean_ssim(),
                "us_per_pixel": self.us_per_pixel(),
                "cpu_us_per_pixel": self.cpu_us_per_pixel(), "error": self.error, "sweep": self.sweep}


def evaluate(method: str, params: dict, fn, cases, looks: float, with_ssim: bool) -> Score:
    score = Score(method, params)
    for name, seed, truth, noisy in cases:
        try:
            t0, c0 = time.perf_counter(), time.process_time()
            est = fn(noisy, looks)
            score.seconds += time.perf_counter() - t0
            score.cpu_seconds += time.process_time() - c0
        except Exception as exc:  # a failing method is a row that says so, not a crash
            score.error = f"{type(exc).__name__}: {exc}"
            return score
        score.pixels += noisy.size
        a = amplitude(est)
        score.psnr.setdefault(name, []).append(psnr(truth, a))
        if with_ssim:
            score.ssim.setdefault(name, []).append(ssim(truth, a))
    return score


def run_mulog(cases, looks: float, timeout: float) -> Score:
    score = Score("mulog", {"admm_iterations": 6, "denoiser": "bm3d"})
    if not ANCHORS_PYTHON.exists():
        score.error = "no MuLoG venv: run `bash bench/setup-anchors.sh` (or pass --no-mulog)"
        return score
    with tempfile.TemporaryDirectory(prefix="quality-mulog-") as tmp:
        args, outs = [], []
        for k, (_, _, _, noisy) in enumerate(cases):
            src, dst = Path(tmp) / f"in{k}.npy", Path(tmp) / f"out{k}.npy"
            np.save(src, noisy.astype(np.float64))
            args += [str(src), str(dst)]
            outs.append(dst)
        try:
            proc = subprocess.run([str(ANCHORS_PYTHON), str(MULOG_SCRIPT), "--looks", str(looks),
                                   *args], capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            score.error = f"MuLoG timed out after {timeout:.0f} s"
            return score
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
            score.error = f"MuLoG failed (exit {proc.returncode}): {tail}"
            return score
        records = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
        for (name, _, truth, noisy), dst, rec in zip(cases, outs, records):
            a = amplitude(np.load(dst))
            score.seconds += rec["seconds"]
            score.cpu_seconds += rec["cpu_seconds"]
            score.pixels += noisy.size
            score.psnr.setdefault(name, []).append(psnr(truth, a))
            score.ssim.setdefault(name, []).append(ssim(truth, a))
    return score


def run_looks(looks: float, images, seeds: int, crop, pattern, sweep: bool, mulog: bool,
              mulog_timeout: float, log) -> list[Score]:
    import despeckle

    truths = {name: centre_crop(clean_image(name), crop) for name in images}
    cases = [(name, s, truths[name], speckle(truths[name], looks, s, ALL_IMAGES.index(name)))
             for s in range(seeds) for name in images]
    wanted = (lambda m: re.search(pattern, m) is not None) if pattern else (lambda m: True)
    scores: list[Score] = []

    def add(score: Score):
        scores.append(score)
        note = f"  ERROR {score.error}" if score.error else ""
        log(f"L={looks:g} {score.method:<16} {describe(score.params):<40} "
            f"PSNR {score.mean_psnr():6.2f}  SSIM {score.mean_ssim():.3f}  "
            f"{score.us_per_pixel():8.2f} us/px (CPU {score.cpu_us_per_pixel():.2f}){note}")

    if wanted("noisy"):
        add(evaluate("noisy", {}, lambda noisy, _l: noisy, cases, looks, True))
    for name in despeckle.FILTERS:
        if name == "local_stats":
            continue
        if wanted(name):
            params = filter_params(name, looks)
            add(evaluate(name, params, despeckle_call(name, params), cases, looks, True))
        if sweep and wanted(name + "*"):
            best, points = None, []
            for extra in sweep_grid(name):
                params = filter_params(name, looks, extra)
                s = evaluate(name + "*", params, despeckle_call(name, params), cases, looks, False)
                points.append({"params": params, "mean_psnr": s.mean_psnr(),
                               "us_per_pixel": s.us_per_pixel(), "error": s.error})
                if not s.error and (best is None or s.mean_psnr() > best.mean_psnr()):
                    best = s
            if best is not None:
                # the winner's SSIM (and time) measured again on the same cases
                final = evaluate(name + "*", best.params, despeckle_call(name, best.params), cases,
                                 looks, True)
                final.sweep = points
                add(final)
    if wanted("nlmeans"):
        add(evaluate("nlmeans", {"h": "0.8σ", "patch": 7, "distance": 10, "fast_mode": True},
                     run_nlmeans, cases, looks, True))
    if wanted("bm3d"):
        add(evaluate("bm3d", {"profile": "np", "domain": "log"}, run_bm3d, cases, looks, True))
    if mulog and wanted("mulog"):
        add(run_mulog(cases, looks, mulog_timeout))
    return scores


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def table(looks: float, scores: list[Score], images) -> list[str]:
    head = ["method", "setting"] + [f"{n}" for n in images] + ["mean PSNR", "mean SSIM", "µs/px", "CPU µs/px"]
    lines = [f"L = {looks:g} (cells: PSNR dB / SSIM)", "",
             "| " + " | ".join(head) + " |",
             "|" + "|".join(["---", "---"] + ["---:"] * (len(images) + 4)) + "|"]
    for s in scores:
        if s.error:
            lines.append(f"| {s.method} | failed: {s.error} |" + " |" * (len(images) + 4))
            continue
        cells = []
        for n in images:
            p, q = s.psnr.get(n), s.ssim.get(n)
            cells.append(f"{np.mean(p):.2f} / {np.mean(q):.3f}" if p and q else "-")
        params = {k: v for k, v in s.params.items() if k != "looks"}
        setting = describe(params) if params or s.method.endswith("*") else "defaults"
        lines.append(f"| {s.method} | {setting} | " + " | ".join(cells)
                     + f" | **{s.mean_psnr():.2f}** | {s.mean_ssim():.3f} | {s.us_per_pixel():.2f}"
                     f" | {s.cpu_us_per_pixel():.2f} |")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Quality benchmark of the despeckle filters on "
                                 "synthetic speckle with a known truth.")
    ap.add_argument("--looks", default="1,4", help="comma-separated numbers of looks (default 1,4)")
    ap.add_argument("--images", default=",".join(DEFAULT_IMAGES),
                    help=f"comma-separated, from {', '.join(ALL_IMAGES)} (default the first five)")
    ap.add_argument("--seeds", type=int, default=1, help="speckle draws per image (default 1)")
    ap.add_argument("--only", default="", help="regular expression on method names "
                    "(noisy, FILTER, FILTER* for the sweep's best, nlmeans, bm3d, mulog)")
    ap.add_argument("--no-mulog", action="store_true", help="skip MuLoG (slow: ≈ 200 µs/px)")
    ap.add_argument("--no-sweep", action="store_true", help="defaults only, no FILTER* rows")
    ap.add_argument("--crop", type=int, default=0, help="centre crop of N × N of each image")
    ap.add_argument("--mulog-timeout", type=float, default=3600.0, help="seconds (default 3600)")
    ap.add_argument("--out", default=str(REPO / "target" / "quality" / "quality.md"))
    args = ap.parse_args(argv)

    try:
        looks_list = [float(v) for v in args.looks.split(",") if v.strip()]
    except ValueError:
        ap.error(f"--looks: expected numbers, got {args.looks!r}")
    if not looks_list or any(not (v > 0) for v in looks_list):
        ap.error("--looks: every value must be > 0")
    images = [v.strip() for v in args.images.split(",") if v.strip()]
    bad = [v for v in images if v not in ALL_IMAGES]
    if bad or not images:
        ap.error(f"--images: unknown {bad} (choose from {', '.join(ALL_IMAGES)})")
    if args.seeds < 1:
        ap.error("--seeds must be ≥ 1")
    if args.crop and args.crop < 16:
        ap.error("--crop must be ≥ 16 (SSIM's 7 × 7 window and the 11 × 11 sweep)")
    try:
        re.compile(args.only)
    except re.error as exc:
        ap.error(f"--only: {exc}")

    sys.path.insert(0, str(REPO / "bench"))
    from run import machine_info

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    t_start = time.perf_counter()
    results = {}
    out_lines = ["# Quality benchmark (bench/quality.py)", ""]
    cmd = "python3 bench/quality.py " + " ".join(argv if argv is not None else sys.argv[1:])
    out_lines += [f"Command: `{cmd.strip()}`", ""]
    out_lines += ["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in machine_info(sys.executable)]
    import despeckle
    import skimage

    versions = [f"despeckle {despeckle.__version__}", f"scikit-image {skimage.__version__}"]
    try:
        from importlib.metadata import version

        versions.append(f"bm3d {version('bm3d')}")
    except Exception:
        pass
    out_lines += [f"| packages | {', '.join(versions)} |", ""]
    out_lines += [f"Images: {', '.join(images)}" + (f" (centre {args.crop}²)" if args.crop else "")
                  + f"; seeds: {args.seeds}; PSNR on amplitude (peak 255), SSIM 7 × 7, "
                  "data_range 255; `FILTER*` = best of the sweep by mean PSNR.", ""]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)

    def write(lines):  # after every L, so that a long run keeps what it measured
        text = "\n".join(lines) + "\n"
        out.write_text(text)
        out.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str))
        return text

    for looks in looks_list:
        scores = run_looks(looks, images, args.seeds, args.crop, args.only, not args.no_sweep,
                           not args.no_mulog, args.mulog_timeout, log)
        results[f"{looks:g}"] = [s.as_dict() for s in scores]
        out_lines += table(looks, scores, images) + [""]
        write(out_lines)
    out_lines.append(f"Total run time: {time.perf_counter() - t_start:.0f} s.")
    print(write(out_lines))
    failed = [s["method"] for v in results.values() for s in v if s["error"]]
    if failed:
        log(f"quality: failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
