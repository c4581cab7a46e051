//! Accuracy of the running window sums on hard data, against exact two-pass float64 moments.
//!
//! Stated bound: the window variance is within `1e-12 · (μ² + σ²)` of the exact value (its
//! sums are that large, and `Σx² − μΣx` cancels to that precision), i.e. `Ci² = σ²/μ²` is exact
//! to ~1e-12 whatever the offset — the quantity every adaptive filter reads. Running-sum drift
//! adds at most a few ε per add/subtract step between recomputations, and a sum is recomputed
//! directly whenever it falls far below the peak it went through, so a bright target leaving a
//! window over dark pixels leaves no residue.

use crate::common;

use common::{Img, moments, window};
use despeckle::{Border, ImageMut, ImageRef, LocalStats, Options, Sample, Statistic, filter};

fn local<T: Sample>(img: &[T], w: usize, h: usize, size: usize, stat: Statistic) -> Vec<f64> {
    let mut out = vec![T::default(); w * h];
    filter(
        &LocalStats::new(stat),
        ImageRef::new(img, w, h).unwrap(),
        &mut ImageMut::new(&mut out, w, h).unwrap(),
        &Options::new(size).unwrap(),
    )
    .unwrap();
    out.iter().map(|v| v.to_f64()).collect()
}

/// Worst `|σ²_got − σ²_exact| / (μ² + σ²)` and worst `|μ_got − μ| / |μ|` over the pixels
/// `sample` picks.
fn worst(
    img: &Img,
    got_var: &[f64],
    got_mean: &[f64],
    size: usize,
    sample: impl Iterator<Item = (usize, usize)>,
) -> (f64, f64) {
    let (mut wv, mut wm) = (0.0f64, 0.0f64);
    for (x, y) in sample {
        let (m, v) = moments(&window(img, x, y, size, Border::Reflect, None), 0);
        let i = y * img.w + x;
        wv = wv.max((got_var[i] - v).abs() / (m * m + v));
        wm = wm.max((got_mean[i] - m).abs() / m.abs());
    }
    (wv, wm)
}

#[test]
fn float32_arange_10000_wide() {
    // The last rows of `arange(10000 * 10000, dtype=float32).reshape(10000, 10000)`: values
    // near 1e8, where float32 spacing is 8, so the windows' variances come from the rows.
    let (w, h, y_first) = (10_000usize, 40usize, 9_960usize);
    let v: Vec<f32> = (0..w * h).map(|i| (y_first * w + i) as f32).collect();
    let img = Img {
        w,
        h,
        v: v.iter().map(|&x| x as f64).collect(),
    };
    for size in [3, 7, 15] {
        let var = local(&v, w, h, size, Statistic::Variance);
        let mean = local(&v, w, h, size, Statistic::Mean);
        let sample = (0..h).flat_map(|y| (0..w).step_by(97).chain(w - 8..w).map(move |x| (x, y)));
        let (wv, wm) = worst(&img, &var, &mean, size, sample);
        assert!(
            wv < 1e-12 && wm < 1e-7,
            "size {size}: variance error {wv:e} of μ²+σ², mean error {wm:e}"
        );
        eprintln!("arange, size {size}: worst variance error {wv:.2e} · (μ² + σ²), mean {wm:.2e}");
    }
}

#[test]
fn large_offset_small_variance() {
    // Values ≈ 1e6 with σ ≈ 1: float64, so the small variance is representable.
    let (w, h) = (3_000usize, 50usize);
    let mut rng = common::Rng::new(3);
    let v: Vec<f64> = (0..w * h).map(|_| 1e6 + rng.speckle(4) - 1.0).collect();
    let img = Img { w, h, v: v.clone() };
    for size in [3, 7, 11] {
        let var = local(&v, w, h, size, Statistic::Variance);
        let mean = local(&v, w, h, size, Statistic::Mean);
        let sample = (0..h).flat_map(|y| (0..w).step_by(7).map(move |x| (x, y)));
        let (wv, wm) = worst(&img, &var, &mean, size, sample);
        assert!(
            wv < 1e-12 && wm < 1e-14,
            "size {size}: variance error {wv:e}, mean error {wm:e}"
        );
        eprintln!(
            "1e6 offset, size {size}: worst variance error {wv:.2e} · (μ² + σ²), mean {wm:.2e}"
        );
    }
}

#[test]
fn bright_targets_leave_no_residue_on_dark_areas() {
    // Sea-like dark speckle (≈ 1e-3) with bright point targets (1e4) on a grid: every dark
    // window's statistics must be as exact as if the targets had never passed by.
    let (w, h) = (600usize, 80usize);
    let mut rng = common::Rng::new(11);
    let mut v: Vec<f32> = (0..w * h).map(|_| (1e-3 * rng.speckle(1)) as f32).collect();
    for y in (5..h).step_by(23) {
        for x in (3..w).step_by(41) {
            v[y * w + x] = 1e4;
        }
    }
    let img = Img {
        w,
        h,
        v: v.iter().map(|&x| x as f64).collect(),
    };
    let size = 5;
    let var = local(&v, w, h, size, Statistic::Variance);
    let mean = local(&v, w, h, size, Statistic::Mean);
    let sample = (0..h).flat_map(|y| (0..w).map(move |x| (x, y)));
    let (wv, wm) = worst(&img, &var, &mean, size, sample);
    // f32 output: 1 ulp is 6e-8 relative
    assert!(
        wv < 2e-7 && wm < 2e-7,
        "variance error {wv:e}, mean error {wm:e}"
    );
}

#[test]
fn spread_far_below_the_level() {
    // 32-bit integer data near 2³² (read as float64) and float64 data near 1e12: the spread is
    // 1e-8 … 1e-12 of the level, where `Σx² − μΣx` cancels entirely (its error was several
    // times the variance). The variance must be exact to the rounding of a two-pass sum: the
    // values are integers, so each `x − μ` is exact but for μ's own rounding (≈ 5e-7 at 2³²),
    // which adds `n·δ²` — 1e-12 of these variances. Bound: 1e-9 of the variance itself.
    // Also checks the standard deviation, a no-data hole, and every border mode.
    let (w, h) = (160usize, 40usize);
    for (level, sd) in [(4_294_962_296.0, 30.0), (4_294_962_296.0, 3.0), (1e12, 1.0)] {
        let mut rng = common::Rng::new(5);
        let mut v: Vec<f64> = (0..w * h)
            .map(|_| (level + sd * (rng.speckle(1) - 1.0) * 1.7).round())
            .collect();
        // a constant patch: variance exactly 0
        for y in 10..20 {
            for x in 60..80 {
                v[y * w + x] = level;
            }
        }
        let nodata = -1.0;
        for x in 100..104 {
            v[15 * w + x] = nodata;
        }
        let img = Img { w, h, v: v.clone() };
        for size in [3, 7, 21] {
            for border in common::BORDERS {
                let opts = Options::new(size)
                    .unwrap()
                    .with_border(border)
                    .with_nodata(Some(nodata));
                let run = |stat| {
                    let mut out = vec![0.0f64; w * h];
                    filter(
                        &LocalStats::new(stat),
                        ImageRef::new(&v, w, h).unwrap(),
                        &mut ImageMut::new(&mut out, w, h).unwrap(),
                        &opts,
                    )
                    .unwrap();
                    out
                };
                let (var, sd_out) = (run(Statistic::Variance), run(Statistic::StdDev));
                let mut worst = 0.0f64;
                for y in 0..h {
                    for x in 0..w {
                        let i = y * w + x;
                        if v[i] == nodata {
                            continue;
                        }
                        let win = window(&img, x, y, size, border, Some(nodata));
                        let (_, exact) = moments(&win, 0);
                        let err = (var[i] - exact).abs() / exact.max(1e-300);
                        let err_sd = (sd_out[i] - exact.sqrt()).abs() / exact.sqrt().max(1e-300);
                        if exact == 0.0 {
                            assert_eq!(var[i], 0.0, "constant window at {x},{y}");
                        }
                        worst = worst.max(err).max(err_sd);
                    }
                }
                assert!(
                    worst < 1e-9,
                    "level {level}, sd {sd}, size {size}, {border:?}: relative error {worst:e}"
                );
            }
        }
    }
}
