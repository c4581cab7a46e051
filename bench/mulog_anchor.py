#!/usr/bin/env python3
"""MuLoG + BM3D on speckled intensity images, for bench/quality.py.

Runs in the virtual environment of bench/setup-anchors.sh (``mulog`` 0.0.4 needs numpy < 2),
never in the project's interpreter. Usage::

    target/anchors-venv/bin/python bench/mulog_anchor.py --looks L IN.npy OUT.npy [IN OUT ...]

Each IN.npy is a 2-D float64 intensity image with ``L``-look speckle; OUT.npy receives MuLoG's
intensity estimate (``run_mulog`` with its default 6 ADMM and 10 Newton iterations, the
authors' autoscaled BM3D denoiser). One JSON line per image on stdout:
``{"in": ..., "out": ..., "seconds": ..., "cpu_seconds": ...}`` (wall and CPU time of
``run_mulog`` alone).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
from mulog.gaussian_denoisers import run_autoscaled_bm3d  # noqa: E402
from mulog.mulog_algorithm import run_mulog  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--looks", type=float, required=True)
    ap.add_argument("paths", nargs="+", help="IN.npy OUT.npy pairs")
    args = ap.parse_args()
    if len(args.paths) % 2:
        ap.error("paths come in IN.npy OUT.npy pairs")
    for src, dst in zip(args.paths[0::2], args.paths[1::2]):
        img = np.load(src).astype(np.float64)
        if img.ndim != 2:
            print(f"mulog_anchor: {src}: expected a 2-D image, got shape {img.shape}", file=sys.stderr)
            return 2
        t0, c0 = time.perf_counter(), time.process_time()
        est = run_mulog(sar_image=img, number_looks=args.looks, denoiser=run_autoscaled_bm3d)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        np.save(dst, np.real(np.asarray(est)).astype(np.float64))
        print(json.dumps({"in": src, "out": dst, "seconds": seconds, "cpu_seconds": cpu}),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
