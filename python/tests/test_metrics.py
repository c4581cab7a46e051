"""despeckle.metrics against hand-computed values, plain numpy references and scikit-image
(SSIM, PSNR, grey-level co-occurrence homogeneity)."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.feature import graycomatrix, graycoprops
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from despeckle import metrics

# Float64 sums in both implementations, different orders: relative 1e-9.
RTOL = 1e-9


def speckled(shape, looks=4, seed=0):
    rng = np.random.default_rng(seed)
    ny, nx = shape
    refl = np.where(np.arange(nx)[None, :] < nx // 2, 1.0, 6.0) * np.ones((ny, 1))
    return refl, refl * rng.gamma(looks, 1.0 / looks, size=shape)


def boxcar(img, size=7):
    from scipy.ndimage import uniform_filter

    return uniform_filter(img, size, mode="reflect")


def np_region(o, f, roi):
    x, y, w, h = roi
    o, f = o[y:y + h, x:x + w], f[y:y + h, x:x + w]
    ok = np.isfinite(o) & np.isfinite(f)
    oo, ff = o[ok], f[ok]
    r = oo[ff != 0] / ff[ff != 0]
    # adjacent pairs valid in both images
    def grad(a):
        dh = np.abs(np.diff(a, axis=1))[ok[:, 1:] & ok[:, :-1]].sum()
        dv = np.abs(np.diff(a, axis=0))[ok[1:, :] & ok[:-1, :]].sum()
        return dh + dv
    return {
        "enl_input": oo.mean() ** 2 / oo.var(),
        "enl_output": ff.mean() ** 2 / ff.var(),
        "ssi": (ff.std() / ff.mean()) / (oo.std() / oo.mean()),
        "mean_ratio": ff.mean() / oo.mean(),
        "epi": grad(f) / grad(o),
        "ratio_mean": r.mean(),
        "ratio_enl": r.mean() ** 2 / r.var(),
        "pixels": int(ok.sum()),
    }


def test_hand_computed():
    o = np.array([[1.0, 3.0, 2.0], [2.0, 4.0, 6.0]])
    f = np.array([[2.0, 2.0, 2.0], [2.0, 4.0, 4.0]])
    # μ_o = 3, σ_o² = 16/6; μ_f = 16/6, σ_f² = 8 − 64/9
    ssi = (np.sqrt(8 - 64 / 9) / (16 / 6)) / (np.sqrt(16 / 6) / 3)
    assert metrics.ssi(o, f) == pytest.approx(ssi, rel=1e-12)
    assert metrics.mean_ratio(o, f) == pytest.approx((16 / 6) / 3, rel=1e-12)
    # |Δo| = 7 horizontal + 6 vertical, |Δf| = 2 + 4
    assert metrics.epi(o, f) == pytest.approx(6 / 13, rel=1e-12)
    # ENL of the first row of o: μ = 2, σ² = 2/3
    assert metrics.enl(o, roi=(0, 0, 3, 1)) == pytest.approx(6.0, rel=1e-12)
    assert metrics.enl(o, roi=(0, 0, 3, 1), domain="amplitude") == pytest.approx(
        6.0 * (4 / np.pi - 1), rel=1e-12)
    t = np.tile(np.arange(10.0), (10, 1))
    assert metrics.psnr(t, t + 0.5, peak=9.0) == pytest.approx(10 * np.log10(81 / 0.25))
    assert metrics.bias(t, t + 0.5) == pytest.approx(0.5)
    assert metrics.ssim(t, t, peak=9.0) == pytest.approx(1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_against_numpy(dtype):
    _, img = speckled((70, 90), seed=1)
    img = img.astype(dtype)
    out = boxcar(img).astype(dtype)
    img[5, 7] = np.nan
    out[5, 7] = np.nan
    rois = [(0, 0, 90, 70), (3, 4, 30, 20), (50, 40, 100, 100)]
    m = metrics.assess(img, out, rois)
    o64, f64 = img.astype(np.float64), out.astype(np.float64)
    for roi, got in zip(rois, m["regions"]):
        want = np_region(o64, f64, roi)
        for k, v in want.items():
            assert got[k] == pytest.approx(v, rel=RTOL), (roi, k)
    for k, v in np_region(o64, f64, (0, 0, 90, 70)).items():
        assert m["whole"][k] == pytest.approx(v, rel=RTOL), k
    assert metrics.ssi(img, out, (3, 4, 30, 20)) == m["regions"][1]["ssi"]
    assert metrics.epi(img, out) == m["whole"]["epi"]


def np_m_index(o, f, block=15, levels=32, rmax=3.0):
    """The M index as docs/metrics.md defines it, in plain numpy + scikit-image's GLCM."""
    ny, nx = o.shape
    r = o / f
    found = []
    for by in range(ny // block):
        for bx in range(nx // block):
            s = np.s_[by * block:(by + 1) * block, bx * block:(bx + 1) * block]
            a, q = o[s], r[s]
            cv2 = a.var() / a.mean() ** 2
            found.append((cv2, by, bx, a.mean() ** 2 / a.var(), q.mean() ** 2 / q.var(), q.mean()))
    found.sort()
    keep = min(1000, max(1, int(np.ceil(len(found) * 0.05))))
    first = np.mean([(abs(eo - er) / eo + abs(1 - mr)) / 2 for _, _, _, eo, er, mr in found[:keep]])
    qz = np.minimum((r / rmax * levels).astype(int), levels - 1).astype(np.uint8)
    angles = [0, np.pi / 4, np.pi / 2, 3 * np.pi / 4]
    glcm = graycomatrix(qz, [1], angles, levels=levels)
    h0 = graycoprops(glcm, "homogeneity").mean()
    # shuffled: the mean over permutations estimated by Monte Carlo (the core computes its
    # exact expectation)
    rng = np.random.default_rng(0)
    hs = np.mean([
        graycoprops(graycomatrix(rng.permutation(qz.ravel()).reshape(qz.shape), [1], angles,
                                 levels=levels), "homogeneity").mean()
        for _ in range(20)
    ])
    dh = 100 * abs(h0 - hs) / h0
    return (first + dh) / 2, first, dh, h0, hs


def test_m_index_against_numpy_and_skimage():
    refl, img = speckled((150, 120), seed=2)
    for out in (boxcar(img), refl, boxcar(img, 3)):
        m = metrics.assess(img, out)["m_index"]
        want_m, first, dh, h0, hs = np_m_index(img, out)
        assert m["first_order"] == pytest.approx(first, rel=RTOL)
        assert m["homogeneity"] == pytest.approx(h0, rel=RTOL)
        # 20 shuffles of 18,000 pixels: the Monte Carlo mean has a relative standard error
        # of about 1e-3 (each shuffle's h averages ~72,000 pair terms of spread ~0.3)
        assert m["shuffled_homogeneity"] == pytest.approx(hs, rel=5e-3)
        assert m["delta_h"] == pytest.approx(dh, abs=1.0)
        assert metrics.m_index(img, out) == m["m"]
    # the perfect filter's ratio is pure speckle: lower M than the boxcar's
    assert metrics.m_index(img, refl) < metrics.m_index(img, boxcar(img))


@pytest.mark.parametrize("looks", [1, 3, 8])
def test_enl_of_gamma_speckle(looks):
    # constant scene, 300 × 300: relative standard error √((2 + 6/L)/N) ≤ 1 %: tolerance 5 %
    rng = np.random.default_rng(looks)
    img = 2.0 * rng.gamma(looks, 1.0 / looks, size=(300, 300))
    assert metrics.enl(img, roi=(0, 0, 300, 300)) == pytest.approx(looks, rel=0.05)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ssim_psnr_match_skimage(dtype):
    refl, img = speckled((64, 80), seed=3)
    truth, est = refl.astype(dtype), boxcar(img).astype(dtype)
    peak = float(truth.max() - truth.min())
    want = structural_similarity(truth.astype(np.float64), est.astype(np.float64),
                                 data_range=peak)
    assert metrics.ssim(truth, est, peak=peak) == pytest.approx(want, rel=1e-9)
    assert metrics.ssim(truth, est) == pytest.approx(want, rel=1e-9)  # default peak
    want = peak_signal_noise_ratio(truth.astype(np.float64), est.astype(np.float64),
                                   data_range=peak)
    assert metrics.psnr(truth, est, peak=peak) == pytest.approx(want, rel=1e-12)
    # a strided view gives the same values
    assert metrics.ssim(truth[::2, ::2], est[::2, ::2], peak=peak) == pytest.approx(
        structural_similarity(truth[::2, ::2].astype(np.float64),
                              est[::2, ::2].astype(np.float64), data_range=peak), rel=1e-9)


def test_bad_input():
    a = np.ones((10, 10))
    with pytest.raises(ValueError, match="same shape"):
        metrics.assess(a, np.ones((10, 11)))
    with pytest.raises(ValueError):
        metrics.enl(np.ones(5), roi=(0, 0, 1, 1))
    with pytest.raises(ValueError, match="peak"):
        metrics.psnr(a, a, peak=0.0)
    with pytest.raises(ValueError, match="roi"):
        metrics.ssi(a, a, roi=(0, 0, 1))
