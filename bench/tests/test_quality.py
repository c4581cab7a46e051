"""The quality benchmark's own maths (bench/quality.py): speckle, log debiasing, scores.

Run: python3 -m pytest -q bench/tests  (needs scikit-image and bm3d; ≈ 3 s).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import special

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import quality as q  # noqa: E402


@pytest.mark.parametrize("looks", [1.0, 4.0])
def test_speckle_has_the_gamma_moments_and_is_reproducible(looks):
    amp = np.full((512, 512), 10.0)
    i = q.speckle(amp, looks, seed=0, index=3).astype(np.float64) / 100.0  # I / R
    n = i.size
    # mean 1, variance 1/L; tolerances: 5 standard errors of each estimate
    assert abs(i.mean() - 1.0) < 5 / math.sqrt(looks * n)
    var_se = math.sqrt((6 / looks**3 + 2 / looks**2) / n)  # se of the sample variance (Gamma)
    assert abs(i.var() - 1.0 / looks) < 5 * var_se
    again = q.speckle(amp, looks, seed=0, index=3)
    assert np.array_equal(again, q.speckle(amp, looks, seed=0, index=3))
    assert not np.array_equal(again, q.speckle(amp, looks, seed=1, index=3))
    assert not np.array_equal(again, q.speckle(amp, looks, seed=0, index=4))


@pytest.mark.parametrize("looks", [1.0, 4.0])
def test_log_debiasing_centres_log_intensity_on_log_reflectivity(looks):
    amp = np.full((512, 512), 30.0)
    noisy = q.speckle(amp, looks, seed=5, index=0)
    y, sigma = q.log_debiased(noisy, looks)
    assert sigma == pytest.approx(math.sqrt(special.polygamma(1, looks)))
    # E[log I] = log R + ψ(L) − log L and Var = ψ₁(L): after debiasing, mean log R
    assert abs(y.mean() - math.log(900.0)) < 5 * sigma / math.sqrt(y.size)
    assert y.std() == pytest.approx(sigma, rel=0.02)


def test_psnr_and_amplitude():
    truth = np.full((8, 8), 100.0)
    assert q.psnr(truth, truth + 5.0) == pytest.approx(20 * math.log10(255 / 5))
    assert q.psnr(truth, truth) == math.inf
    assert np.array_equal(q.amplitude(np.array([-4.0, 0.0, 9.0])), [0.0, 0.0, 3.0])


def test_clean_images_are_amplitudes_at_least_one():
    for name in ("text", "astronaut"):
        img = q.clean_image(name)
        assert img.ndim == 2 and img.min() >= 1.0 and img.max() <= 255.0
    with pytest.raises(SystemExit, match="unknown image"):
        q.clean_image("lena")


def test_sweep_grid_is_the_documented_one():
    assert [p["size"] for p in q.sweep_grid("lee")] == [3, 5, 7, 9, 11]
    frost = q.sweep_grid("frost")
    assert len(frost) == 5 * 5 and {"size": 11, "damping": 0.5} in frost
    assert {p["size"] for p in q.sweep_grid("lee_sigma")} == {5, 7, 9, 11}


@pytest.mark.parametrize("method", [q.run_bm3d, q.run_nlmeans])
def test_log_domain_anchors_are_unbiased_on_a_flat_scene(method):
    # without the ψ(L) − ln L correction, 1-look estimates would be low by e^ψ(1) = 0.56
    amp = np.full((64, 64), 100.0)
    est = method(q.speckle(amp, 1.0, seed=2, index=0), 1.0)
    assert est.mean() / 1e4 == pytest.approx(1.0, abs=0.15)


def test_filters_beat_the_noisy_image_and_rows_are_complete(tmp_path):
    scores = q.run_looks(1.0, ["camera"], 1, 64, "^(noisy|mean|mean\\*)$", True, False, 60,
                         lambda _msg: None)
    by = {s.method: s for s in scores}
    assert set(by) == {"noisy", "mean", "mean*"}
    assert all(not s.error and s.pixels == 64 * 64 for s in scores)
    assert by["mean"].mean_psnr() > by["noisy"].mean_psnr() + 2  # measured: +3.0 dB
    assert by["mean*"].mean_psnr() >= by["mean"].mean_psnr()  # the default size is in the sweep
    assert len(by["mean*"].sweep) == 5
    lines = q.table(1.0, scores, ["camera"])
    assert sum(line.startswith("| mean") for line in lines) == 2
