"""bench/ppb_targets.py runs and reports what the point-target rule keeps (a smoke run on the
bundled sample, ≈ 1 s)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def test_sample_part_reports_the_rule(capsys):
    pytest.importorskip("despeckle")
    import ppb_targets

    assert ppb_targets.main(["--only", "sample", "--p", "0,1e-5"]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("p=")]
    assert len(lines) == 2
    # without the rule no pixel comes out unchanged on this sample; with it some do, and the
    # brightest pixels keep more of their power
    assert lines[0].endswith("pixels unchanged 0")
    assert not lines[1].endswith("pixels unchanged 0")
    top = [float(ln.split("brightest 0.1 % ")[1].split(",")[0]) for ln in lines]
    assert top[1] > top[0]


def test_unknown_parts_are_refused():
    import ppb_targets

    with pytest.raises(SystemExit):
        ppb_targets.main(["--only", "nothing"])
