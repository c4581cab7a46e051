"""`despeckle compare --demo` renders in headless Chromium: every image decodes, one table row
per filter or sweep value, no script error (scripts/render_check.py checks this from the page).

Run: python3 -m pytest -q scripts/tests  (needs Chromium: bash scripts/setup-browser.sh, and
the CLI: DESPECKLE_BIN, else `cargo build --profile ci -p despeckle-cli` is run first).
The screenshots are kept under target/report-check/ to be looked at.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHECK = REPO / "scripts" / "render_check.py"
SHOTS = REPO / "target" / "report-check"


@pytest.fixture(scope="module")
def despeckle_bin() -> Path:
    env = os.environ.get("DESPECKLE_BIN")
    if env:
        return Path(env)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    subprocess.run(["cargo", "build", "--profile", "ci", "--quiet", "-p", "despeckle-cli"],
                   cwd=REPO, check=True, timeout=1800)
    return (target if target.is_absolute() else REPO / target) / "ci" / "despeckle"


def render(report: Path, shot: Path, rows: int) -> dict:
    proc = subprocess.run([sys.executable, str(CHECK), str(report), "--screenshot", str(shot),
                           "--expect-rows", str(rows)], capture_output=True, text=True,
                          timeout=300)
    summary = json.loads(proc.stdout)
    assert proc.returncode == 0, (summary, proc.stderr)
    return summary


@pytest.mark.parametrize(
    "name, args, rows",
    [
        ("filters", ["--filters", "enhanced-lee,lee,refined-lee,gamma-map,frost,lee-sigma"], 6),
        ("sweep", ["--filters", "lee", "--sweep", "looks=1,2,4"], 3),
    ],
)
def test_compare_demo_report_renders(despeckle_bin, tmp_path, name, args, rows):
    report = tmp_path / f"{name}.html"
    subprocess.run([str(despeckle_bin), "compare", "--demo", "--report", str(report), *args],
                   check=True, timeout=600, capture_output=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / f"compare-{name}.png"
    summary = render(report, shot, rows)
    assert summary["ok"] is True and summary["errors"] == []
    images = summary["images"]
    # the input's and each run's quick-look, crop and ratio image, at least
    assert images["total"] >= 1 + 3 * rows and images["decoded"] == images["total"], images
    assert summary["metrics_rows"] == rows
    assert shot.is_file() and shot.stat().st_size > 10_000
