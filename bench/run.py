#!/usr/bin/env python3
"""Benchmark driver: Rust despeckle cases side by side with the numpy baselines.

Every case runs in its own subprocess, so the peak RSS (VmHWM) each one reports
is that case's alone. A case prints one JSON line on stdout::

    {"case": "...", "size": 7, "n": 10000, "seconds": 1.23,
     "peak_rss_bytes": ..., "rss_before_bytes": ..., "input_bytes": ...,
     "out_dtype": "float32"}

Three sources of cases:

* ``bench/baselines/numpy_enhanced_lee.py --variant V`` for V in
  ``NUMPY_VARIANTS`` (the users' numpy code, reported as ``numpy-V``);
* the installed Python package ``despeckle`` (``python/``), for NAME in
  ``PYTHON_CASES``, run as ``bench/run.py --python-case NAME ...`` in its own
  process, on the same image as the numpy baselines (their ``make_scene``):
  ``python-inplace`` is ``despeckle.enhanced_lee(img, out=img)``, ``python-out``
  returns a new array (first-touch page faults of the fresh output included),
  ``python-out-reuse`` writes into an output array that was already touched;
* the Rust binary ``target/release/despeckle-bench --case NAME ...`` for NAME in
  ``RUST_CASES``. If the binary is missing it is built with
  ``cargo build --release -p despeckle-bench``; if that fails, the numpy cases
  still run.

The result is a Markdown table (stdout, and ``--out``), with machine information
on top. Per (size) group, ``x copy`` divides a case's seconds by those of the
``numpy-copy`` case (a fresh ``empty_like`` + copy of the image, first-touch
page faults included; Rust ``copy-fresh`` if numpy-copy was not run), and
``x numpy best`` by those of the fastest numpy filter variant (copy excluded).
A failing or timed-out case is a "failed" row, not a crash. The raw JSON lines
are written next to ``--out`` as ``.jsonl``.

Examples::

    python3 bench/run.py                                 # n=10000, sizes 3 and 7
    python3 bench/run.py --n 2000 --sizes 7
    python3 bench/run.py --only 'numpy-(copy|putmask)' --sizes 7
    python3 bench/run.py --skip-numpy --repeat 3
    python3 bench/run.py --only 'python-|numpy-putmask' --sizes 7
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NUMPY_SCRIPT = REPO / "bench" / "baselines" / "numpy_enhanced_lee.py"

#: numpy baseline variants, in run order (copy first: it is the floor).
NUMPY_VARIANTS = ("copy", "select", "putmask", "numexpr")
#: cases of the Rust ``despeckle-bench`` binary, in run order. Add new ones here.
RUST_CASES = (
    "copy-fresh",
    "copy-reuse",
    "stats",
    "enhanced-lee",
    "enhanced-lee-reuse",
    "enhanced-lee-inplace",
    "enhanced-lee-portable",
    "mean",
)
#: cases of the Python package (``--python-case``), in run order.
PYTHON_CASES = ("python-out", "python-out-reuse", "python-inplace")
#: every other filter of the core, in place (with --all-filters).
FILTER_CASES = (
    "lee",
    "kuan",
    "gamma-map",
    "frost",
    "frost-chebyshev",
    "enhanced-frost",
    "median",
    "refined-lee",
    "refined-lee-looks",
    "lee-sigma",
    "idan",
    "z98",
    "enl-auto",
    "ppb",
    "ppb-1",
)
#: JSON keys every case must print.
REQUIRED_KEYS = ("case", "size", "n", "seconds", "peak_rss_bytes", "rss_before_bytes",
                 "input_bytes", "out_dtype")
MIB = 1024 * 1024


# ---------------------------------------------------------------------------
# Running commands
# ---------------------------------------------------------------------------


@dataclass
class Completed:
    returncode: int | None  # None: timed out
    stdout: str
    stderr: str
    seconds: float


def run_cmd(cmd: list[str], timeout: float, cwd: Path = REPO,
            capture: bool = True) -> Completed:
    """Run ``cmd`` in its own process group; kill the whole group on timeout."""
    t0 = time.perf_counter()
    out = subprocess.PIPE if capture else None
    with subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=out, text=True,
                          stdin=subprocess.DEVNULL, start_new_session=True) as p:
        try:
            so, se = p.communicate(timeout=timeout)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            so, se = p.communicate()
            rc = None
    return Completed(rc, so or "", se or "", time.perf_counter() - t0)


def first_line(cmd: list[str]) -> str:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30, cwd=REPO)
        return r.stdout.strip().splitlines()[0] if r.returncode == 0 and r.stdout.strip() else ""
    except (OSError, subprocess.SubprocessError):
        return ""


# ---------------------------------------------------------------------------
# Machine information
# ---------------------------------------------------------------------------


def machine_info(python: str) -> list[tuple[str, str]]:
    info: list[tuple[str, str]] = []
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count() or 0
    info.append(("nproc", str(affinity)))
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info.append(("CPU", cpu or platform.processor() or "unknown"))
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    info.append(("memory", mem or "unknown"))
    info.append(("kernel", platform.release()))
    versions = first_line([python, "-c",
                           "import sys, numpy, scipy; v = [sys.version.split()[0], numpy.__version__, "
                           "scipy.__version__]\ntry:\n import numexpr; v.append(numexpr.__version__)\n"
                           "except ImportError: v.append('-')\nprint(' '.join(v))"])
    if versions:
        py, np_, sp, ne = versions.split()
        info.append(("python / numpy / scipy / numexpr", f"{py} / {np_} / {sp} / {ne}"))
    rustc = first_line(["rustc", "--version"])
    if rustc:
        info.append(("rustc", rustc))
    commit = first_line(["git", "rev-parse", "--short", "HEAD"])
    dirty = first_line(["git", "status", "--porcelain", "--untracked-files=no"])
    info.append(("git", (commit or "no commit") + (" (modified)" if dirty else "")))
    info.append(("date", _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")))
    return info


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------


@dataclass
class Case:
    name: str  # label used for --only and in failed rows
    source: str  # "numpy", "rust" or "python"
    cmd: list[str]
    size: int
    records: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.records)

    @property
    def best(self) -> dict:
        return min(self.records, key=lambda r: r["seconds"])

    @property
    def seconds(self) -> float:
        return self.best["seconds"]

    @property
    def peak(self) -> int:
        return max(r["peak_rss_bytes"] for r in self.records)

    @property
    def peak_delta(self) -> int:
        return max(r["peak_rss_bytes"] - r["rss_before_bytes"] for r in self.records)


def parse_record(stdout: str) -> dict | None:
    """The last stdout line that is a JSON object with all REQUIRED_KEYS."""
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and all(k in rec for k in REQUIRED_KEYS):
            return rec
    return None


def run_case(case: Case, timeout: float) -> None:
    r = run_cmd(case.cmd, timeout)
    if r.returncode is None:
        case.errors.append(f"timeout after {timeout:g} s")
        return
    rec = parse_record(r.stdout)
    if r.returncode != 0 or rec is None:
        why = f"exit {r.returncode}" if r.returncode != 0 else "no JSON result line"
        tail = (r.stderr.strip().splitlines() or r.stdout.strip().splitlines() or [""])[-1]
        case.errors.append(f"{why}: {tail[:200]}" if tail else why)
        return
    case.records.append(rec)


def rust_binary(args) -> Path:
    if args.bin:
        return Path(args.bin)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    if not target.is_absolute():
        target = REPO / target
    # cargo puts the `dev` and `test` profiles under debug/, every other profile under its name
    subdir = "debug" if args.profile in ("dev", "test") else args.profile
    return target / subdir / "despeckle-bench"


def ensure_rust_binary(args, log) -> tuple[Path | None, str]:
    """Return (binary or None, note for the report)."""
    binary = rust_binary(args)
    if args.bin or args.no_build:
        # use what is there (cargo is not asked whether it is up to date)
        if binary.exists():
            return binary, f"`{binary.relative_to(REPO) if binary.is_relative_to(REPO) else binary}`"
        return None, f"Rust binary {binary} missing (--no-build): Rust cases skipped"
    cmd = ["cargo", "build", "--profile", args.profile, "-p", "despeckle-bench"]
    log(f"building: {shlex.join(cmd)}")
    try:
        r = run_cmd(cmd, args.build_timeout)
    except FileNotFoundError:
        return None, "cargo not found: Rust cases skipped"
    if r.returncode == 0 and binary.exists():
        return binary, f"`{binary.relative_to(REPO) if binary.is_relative_to(REPO) else binary}` (built now, {r.seconds:.0f} s)"
    why = "timed out" if r.returncode is None else f"exit {r.returncode}"
    err = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    for ln in err[-15:]:
        log(f"  cargo: {ln}")
    first_err = next((ln.strip() for ln in err if ln.lstrip().startswith("error")), err[-1] if err else "")
    return None, f"`{shlex.join(cmd)}` failed ({why}: {first_err[:160]}): Rust cases skipped"


def parse_sweeps(specs: list[str]) -> list[tuple[list[str], list[int]]]:
    """``--sweep CASES:SIZES`` values, e.g. ``frost,median:3,5,9`` -> ``(["frost", "median"],
    [3, 5, 9])``; raises ValueError on a malformed value or an unknown case."""
    known = set(RUST_CASES) | set(FILTER_CASES)
    sweeps = []
    for spec in specs:
        names, sep, sizes = spec.partition(":")
        if not sep:
            raise ValueError(f"{spec!r}: expected CASES:SIZES, e.g. frost,median:3,5,9")
        cases = [n.strip() for n in names.split(",") if n.strip()]
        unknown = [n for n in cases if n not in known]
        if unknown or not cases:
            raise ValueError(f"{spec!r}: unknown Rust case(s) {', '.join(unknown) or '(none)'}; "
                             f"known: {', '.join(sorted(known))}")
        sweeps.append((cases, [int(x) for x in sizes.split(",") if x.strip()]))
    return sweeps


def build_cases(args, binary: Path | None, sizes: list[int]) -> list[Case]:
    only = re.compile(args.only) if args.only else None
    common = ["--n", str(args.n), "--looks", str(args.looks), "--damping", str(args.damping)]
    cases: list[Case] = []
    sweeps = parse_sweeps(args.sweep)
    for size in sorted(set(sizes) | {s for _, ss in sweeps for s in ss}):
        if size not in sizes:
            # a size only swept: just the swept cases
            if binary is not None and not args.skip_rust:
                for names, ss in sweeps:
                    for name in names:
                        if size in ss and not any(c.name == name and c.size == size for c in cases):
                            cmd = [str(binary), "--case", name, "--size", str(size), *common]
                            cases.append(Case(name, "rust", cmd, size))
            continue
        if not args.skip_numpy:
            for v in NUMPY_VARIANTS:
                cmd = [args.python, str(NUMPY_SCRIPT), "--variant", v, "--size", str(size),
                       "--seed", str(args.seed), *common]
                cases.append(Case(f"numpy-{v}", "numpy", cmd, size))
        if binary is not None and not args.skip_rust:
            swept = tuple(n for names, ss in sweeps if size in ss for n in names)
            wanted = RUST_CASES + (FILTER_CASES if args.all_filters else ()) + swept
            for name in dict.fromkeys(wanted):
                cmd = [str(binary), "--case", name, "--size", str(size), *common]
                cases.append(Case(name, "rust", cmd, size))
        if not args.skip_python:
            for name in PYTHON_CASES:
                cmd = [args.python, str(Path(__file__).resolve()), "--python-case", name,
                       "--size", str(size), "--seed", str(args.seed), *common]
                cases.append(Case(name, "python", cmd, size))
    if only:
        cases = [c for c in cases if only.search(c.name)]
    return cases


def python_case(args) -> int:
    """One case of the Python package, in this process: prints one JSON line.

    The image is the numpy baselines' (``make_scene``, same seed); timing and peak RSS are
    measured the same way (peak reset just before the call).
    """
    sys.path.insert(0, str(NUMPY_SCRIPT.parent))
    import gc

    import numpy
    from numpy_enhanced_lee import _reset_peak_rss, _status_bytes, make_scene

    import despeckle

    size = args.size if args.size else int(args.sizes.split(",")[0])
    img = make_scene(args.n, args.looks, args.seed)
    out = None
    if args.python_case == "python-out-reuse":
        out = numpy.empty_like(img)
        out.fill(0)  # touched: no first-touch page faults in the timed call
    gc.collect()
    _reset_peak_rss()
    rss_before = _status_bytes("VmRSS")
    t0 = time.perf_counter()
    if args.python_case == "python-inplace":
        res = despeckle.enhanced_lee(img, size=size, looks=args.looks, damping=args.damping,
                                     out=img)
    else:
        res = despeckle.enhanced_lee(img, size=size, looks=args.looks, damping=args.damping,
                                     out=out)
    seconds = time.perf_counter() - t0
    record = {
        "case": args.python_case,
        "size": size,
        "n": args.n,
        "seconds": seconds,
        "peak_rss_bytes": _status_bytes("VmHWM"),
        "rss_before_bytes": rss_before,
        "input_bytes": int(img.nbytes),
        "out_dtype": str(res.dtype),
        "despeckle_version": despeckle.__version__,
    }
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()
    return 0


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def fmt_ratio(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.2f}" if x < 10 else f"{x:.1f}"


def render(args, info, rust_note, cases: list[Case], sizes: list[int]) -> str:
    lines = ["# despeckle benchmark", ""]
    for k, v in info:
        lines.append(f"- **{k}**: {v}")
    lines.append(f"- **Rust cases**: {rust_note}")
    lines.append(f"- **parameters**: n = {args.n} ({args.n} × {args.n} float32, "
                 f"{args.n * args.n * 4 / MIB:.0f} MiB input), looks = {args.looks:g}, "
                 f"damping = {args.damping:g}, seed = {args.seed}, repeat = {args.repeat}, "
                 f"timeout = {args.timeout:g} s per run")
    lines.append("")
    rep = args.repeat > 1
    head = ["case", "size", "seconds" + (" (best)" if rep else ""), "peak RSS MiB",
            "peak − before MiB", "out dtype", "× copy", "× numpy best", "speed-up vs numpy best"]
    if rep:
        head.append("all runs (s)")
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
    notes = []
    all_ok = [c for c in cases if c.ok]
    # a copy does not depend on the window size: a size without its own copy case uses any
    any_copy = next((c for c in all_ok if c.name == "numpy-copy"), None) or \
        next((c for c in all_ok if c.name == "copy-fresh"), None)
    for size in sorted({c.size for c in cases}):
        group = [c for c in cases if c.size == size]
        ok = [c for c in group if c.ok]
        copy = next((c for c in ok if c.name == "numpy-copy"), None) or \
            next((c for c in ok if c.name == "copy-fresh"), None) or any_copy
        numpy_filters = [c for c in ok if c.source == "numpy" and c.name != "numpy-copy"]
        fastest = min(numpy_filters, key=lambda c: c.seconds, default=None)
        notes.append(f"size {size}: × copy against {copy.name if copy else '–'}"
                     f"{f' (size {copy.size})' if copy and copy.size != size else ''}, "
                     f"× numpy best against {fastest.name if fastest else '–'}")
        for c in group:
            if not c.ok:
                why = "; ".join(dict.fromkeys(c.errors)).replace("|", "\\|")[:200]
                row = [c.name, str(size), f"**failed**: {why}", "", "", "", "", "", ""]
                if rep:
                    row.append("")
                lines.append("| " + " | ".join(row) + " |")
                continue
            b = c.best
            row = [
                b["case"], str(size), f"{c.seconds:.3f}", f"{c.peak / MIB:.0f}",
                f"{c.peak_delta / MIB:.0f}", str(b["out_dtype"]),
                fmt_ratio(c.seconds / copy.seconds if copy and copy.seconds > 0 else None),
                fmt_ratio(c.seconds / fastest.seconds if fastest and fastest.seconds > 0 else None),
                (fmt_ratio(fastest.seconds / c.seconds) + "×")
                if fastest and c.seconds > 0 and c.source != "numpy" else "–",
            ]
            if rep:
                runs = ", ".join(f"{r['seconds']:.3f}" for r in c.records)
                if c.errors:
                    runs += f" ({len(c.errors)} failed)"
                row.append(runs)
            lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append("Seconds: the filter call only (input generation excluded). Peak RSS: VmHWM of "
                 "the case's own process (input image included); peak − before: growth above the "
                 "RSS measured just before the call (input image and interpreter excluded). × copy and × numpy best: seconds divided "
                 "by those of the reference case of the same size (< 1 = faster); speed-up: the fastest "
                 "numpy version's seconds divided by the case's:")
    for n in notes:
        lines.append(f"- {n}")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Cases: numpy-" + ", numpy-".join(NUMPY_VARIANTS) + "; Rust: " + ", ".join(RUST_CASES)
        + "; Python package: " + ", ".join(PYTHON_CASES),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    ap.add_argument("--n", type=int, default=10000, help="images are n x n float32")
    ap.add_argument("--sizes", default="3,7", help="comma-separated window sizes")
    ap.add_argument("--looks", type=float, default=4.0, help="number of looks")
    ap.add_argument("--damping", type=float, default=1.0, help="Enhanced Lee damping factor")
    ap.add_argument("--seed", type=int, default=0, help="seed of the numpy synthetic scene")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per case (each in a fresh process); the table shows the best "
                         "time and the largest peak RSS")
    ap.add_argument("--only", metavar="REGEX",
                    help="run only cases whose name matches (re.search), e.g. 'numpy-' or "
                         "'^enhanced-lee$'")
    ap.add_argument("--skip-numpy", action="store_true", help="do not run the numpy baselines")
    ap.add_argument("--all-filters", action="store_true",
                    help="also run every other filter of the core (" + ", ".join(FILTER_CASES) + ")")
    ap.add_argument("--sweep", action="append", default=[], metavar="CASES:SIZES",
                    help="also run these Rust cases at these window sizes, e.g. "
                         "'frost,median:3,5,7,9' (repeatable)")
    ap.add_argument("--skip-rust", action="store_true", help="do not run (or build) the Rust cases")
    ap.add_argument("--skip-python", action="store_true",
                    help="do not run the cases of the Python package (python-*)")
    ap.add_argument("--python-case", choices=PYTHON_CASES,
                    help="internal: run one Python-package case in this process and print its "
                         "JSON line (uses --n, --sizes (first), --looks, --damping, --seed)")
    ap.add_argument("--size", type=int, help="internal, with --python-case: the window size")
    ap.add_argument("--bin", help="Rust benchmark binary (default: target/release/despeckle-bench, "
                                  "under $CARGO_TARGET_DIR if set)")
    ap.add_argument("--no-build", action="store_true",
                    help="use the Rust binary as it is (default: `cargo build --release "
                         "-p despeckle-bench` first, a no-op when it is up to date)")
    ap.add_argument("--profile", default="release",
                    help="cargo profile of the Rust cases (default: release; the test suite's smoke "
                         "run uses `ci`, the profile its tests are already compiled in)")
    ap.add_argument("--build-timeout", type=float, default=1800, help="seconds for cargo build")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per case run")
    ap.add_argument("--python", default=sys.executable, help="interpreter for the numpy cases")
    ap.add_argument("--out", default="bench/out/results.md",
                    help="Markdown report path (relative to the repo root); raw JSON lines go "
                         "to the same name with .jsonl")
    args = ap.parse_args(argv)
    if args.python_case:
        return python_case(args)

    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        ap.error(f"--sizes must be comma-separated integers, got {args.sizes!r}")
    if not sizes or args.n < 1 or args.repeat < 1:
        ap.error("need at least one size, n >= 1, repeat >= 1")
    try:
        parse_sweeps(args.sweep)
    except ValueError as e:
        ap.error(f"--sweep: {e}")
    if args.only:
        try:
            re.compile(args.only)
        except re.error as e:
            ap.error(f"--only: bad regex: {e}")

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    # Does --only leave any Rust case? Then don't build needlessly.
    only = re.compile(args.only) if args.only else None
    rust_names = RUST_CASES + FILTER_CASES
    want_rust = not args.skip_rust and (only is None or any(only.search(n) for n in rust_names))
    if want_rust:
        binary, rust_note = ensure_rust_binary(args, log)
        if binary is None:
            log(f"warning: {rust_note}")
    else:
        binary, rust_note = None, "not requested"

    cases = build_cases(args, binary, sizes)
    if not cases:
        log("no case to run")
    info = machine_info(args.python)

    out_md = Path(args.out)
    if not out_md.is_absolute():
        out_md = REPO / out_md
    out_md.parent.mkdir(parents=True, exist_ok=True)
    out_jsonl = out_md.with_suffix(".jsonl")

    total = len(cases) * args.repeat
    k = 0
    with open(out_jsonl, "w") as jf:
        for case in cases:
            for _ in range(args.repeat):
                k += 1
                log(f"[{k}/{total}] {case.name} size={case.size} n={args.n} ...")
                before = len(case.records)
                run_case(case, args.timeout)
                if len(case.records) > before:
                    rec = case.records[-1]
                    jf.write(json.dumps(rec) + "\n")
                    jf.flush()
                    log(f"    {rec['seconds']:.3f} s, peak {rec['peak_rss_bytes'] / MIB:.0f} MiB, "
                        f"{rec['out_dtype']}")
                else:
                    log(f"    FAILED: {case.errors[-1]}")

    report = render(args, info, rust_note, cases, sizes)
    print(report)
    out_md.write_text(report)
    log(f"wrote {out_md} and {out_jsonl}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
