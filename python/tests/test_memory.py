"""The memory budget (max_memory=) and the thread cap, from Python."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import despeckle


def image(h=64, w=3000, seed=0):
    return np.random.default_rng(seed).gamma(4.0, 0.25, (h, w)).astype(np.float32)


def test_a_window_that_cannot_fit_raises_memory_error_before_writing():
    img = image()
    out = np.full_like(img, -1.0)
    with pytest.raises(MemoryError, match=r"size 301 on a 3,000-wide image needs .*; "
                                          r"the memory budget is 1.0 MB"):
        despeckle.mean(img, size=301, out=out, max_memory="1M")
    assert (out == -1.0).all()
    with pytest.raises(MemoryError):
        despeckle.enhanced_lee(img, size=301, max_memory=1 << 20)


@pytest.mark.parametrize("budget", ["9M", 9 << 20, "1%"])
def test_a_tight_budget_gives_the_same_bits(budget):
    img = image()
    free = despeckle.mean(img, size=101)
    tight = despeckle.mean(img, size=101, max_memory=budget, threads=2)
    assert np.array_equal(free.view(np.uint32), tight.view(np.uint32))
    m, v = despeckle.local_stats(img, size=101, max_memory=budget)
    assert np.array_equal(m, free)


@pytest.mark.parametrize("bad, error", [("lots", ValueError), ("0", ValueError),
                                        ("150%", ValueError), (0, ValueError),
                                        (-5, ValueError), (1.5, TypeError)])
def test_bad_budgets_are_refused(bad, error):
    with pytest.raises(error, match="max_memory"):
        despeckle.mean(image(16, 16), size=3, max_memory=bad)


def test_more_threads_than_cores_warn_and_change_nothing():
    img = image(256, 256)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        many = despeckle.enhanced_lee(img, threads=10_000)
    assert any(issubclass(w.category, ResourceWarning) and "threads=10000" in str(w.message)
               for w in caught), [str(w.message) for w in caught]
    assert np.array_equal(many, despeckle.enhanced_lee(img, threads=1))
    cores = os.cpu_count() or 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        despeckle.enhanced_lee(img, threads=min(cores, 2) if cores >= 2 else 1)


def test_filter_file_reports_threads_and_memory(tmp_path):
    rasterio = pytest.importorskip("rasterio")
    img = image(64, 500)
    src = tmp_path / "in.tif"
    with rasterio.open(src, "w", driver="GTiff", width=500, height=64, count=1,
                       dtype="float32") as f:
        f.write(img, 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = despeckle.filter_file(src, tmp_path / "out.tif", "mean", size=7, threads=10_000,
                                  max_memory="64M")
    assert any(issubclass(w.category, ResourceWarning) for w in caught)
    assert r["memory_budget"] == 64 << 20
    assert 0 < r["planned_bytes"] <= 64 << 20
    assert 1 <= r["threads"] <= (os.cpu_count() or 1)
    assert "of the 10000 requested" in r["threads_note"]
    with pytest.raises(MemoryError, match="not enough memory"):
        despeckle.filter_file(src, tmp_path / "out2.tif", "mean", size=101, max_memory="100K")
    assert not (tmp_path / "out2.tif").exists()
