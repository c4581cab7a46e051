"""scripts/render_check.py on the fixture pages: a good page passes, every defect is caught.

Run: python3 -m pytest -q scripts/tests  (needs Chromium: bash scripts/setup-browser.sh).
Each case starting Chromium costs ≈ 2–4 s.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = HERE.parent / "render_check.py"
FIXTURES = HERE / "fixtures"


def run(*args: str) -> tuple[int, dict, str]:
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=180)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", head[16:24])


def test_good_page_passes_and_is_screenshot_whole(tmp_path):
    shot = tmp_path / "good.png"
    code, summary, err = run(str(FIXTURES / "good.html"), "--screenshot", str(shot),
                             "--expect-rows", "3")
    assert code == 0, (summary, err)
    assert summary["ok"] is True and summary["errors"] == []
    # two file images (one lazy, far below the fold) and one inline image, all decoded
    assert summary["images"] == {"total": 3, "decoded": 3, "broken": []}
    assert summary["metrics_rows"] == 3
    # full page: the fixture is taller than 1400 px of spacer, the viewport only 800
    width, height = png_size(shot)
    assert width == 1280 and height > 1400
    assert summary["page_size"] == [width, height]


def test_broken_page_fails_with_every_defect_named(tmp_path):
    shot = tmp_path / "broken.png"
    code, summary, err = run(str(FIXTURES / "broken.html"), "--screenshot", str(shot),
                             "--expect-rows", "2")
    assert code == 1, (summary, err)
    assert summary["ok"] is False
    broken = summary["images"]["broken"]
    assert summary["images"]["total"] == 3 and summary["images"]["decoded"] == 1
    assert any(src.endswith("no-such-image.png") for src in broken), broken
    assert any(src.startswith("data:image/png") for src in broken), broken
    errors = "\n".join(summary["errors"])
    assert "3 tr[data-filter] rows, expected 2" in errors
    assert "undefinedReportFunction" in errors
    assert shot.is_file()  # the screenshot is still taken, to look at what went wrong


def test_missing_report_is_a_clear_error(tmp_path):
    code, summary, err = run(str(tmp_path / "nope.html"), "--screenshot", str(tmp_path / "x.png"))
    assert code == 2
    assert "no such file" in summary["errors"][0] and "no such file" in err
    assert not (tmp_path / "x.png").exists()
