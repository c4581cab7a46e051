//! Property test over the whole range of each sample type: every filter gives a finite output
//! for every finite input pixel, up to the type's largest value (docs/filters.md, "Numeric
//! range"), and the filters whose output is by definition a weighted mean of window values
//! stay within the window's valid values.
//!
//! Images mix exact zeros, subnormal and tiny values, ordinary speckle, huge values up to the
//! type's maximum (and exactly ±max), both signs, NaN pixels, edges between magnitudes and
//! point targets; every filter (several parameter variants), `f32` and `f64`, window sizes
//! 3–9, every border mode (the constant border with a huge value too) and a no-data value.
//!
//! Range bounds (window = the valid values of the pixel's window, border included):
//! * within `[min, max]` of the window: mean, local-stats `mean`, Lee, Kuan, Enhanced Lee,
//!   Frost, Enhanced Frost, Refined Lee, Lee Sigma, IDAN, median (a convex combination of the
//!   window mean or a sub-mean and the pixel, or a window value);
//! * Gamma MAP: within `[min(min, 0), max]` (the MAP root lies in `(0, max(μ, z)]`; it is not
//!   a weighted mean);
//! * local-stats `variance`, `std`, `cv`: finite and ≥ 0 (values the type cannot hold are
//!   clamped to its maximum).
//!
//! * the non-local filter (`ppb`): within `[min, max]` of its search window (a weighted mean
//!   of the window's valid values, the pixel's own included).
//!
//! Tolerance of the range bounds, relative to the window's largest magnitude: 2e-5 for `f32`
//! and for the non-local filter on either type (the per-pixel maths runs in f32 lanes), 1e-9
//! for `f64` — the accuracy bounds of docs/filters.md; the non-local filter also `2^(k − 96)`
//! absolute ([`ppb_absolute`]); finiteness has no tolerance.

use crate::common;

use common::{Img, Rng, window};
use despeckle::{
    Border, Distance, Domain, EnhancedFrost, EnhancedLee, Error, Filter, Frost, GammaMap, Idan,
    ImageMut, ImageRef, Kuan, Lee, LeeSigma, LocalStats, Mean, Median, Options, Ppb, RefinedLee,
    Sample, Statistic,
};
use proptest::prelude::*;

/// What a filter's output is guaranteed to satisfy besides being finite.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Bound {
    /// Within `[min, max]` of the window's valid values.
    Window,
    /// Within `[min(min, 0), max]` (Gamma MAP).
    UpToMax,
    /// ≥ 0 (variance, standard deviation, coefficient of variation).
    NonNegative,
}

/// Number of filter variants [`run_variant`] knows (the last [`PPB_VARIANTS`] non-local).
const VARIANTS: usize = 24;

/// Variants of the non-local filter: its estimate is a weighted mean of the valid values of
/// the `search × search` window (the pixel included), whatever the passes.
const PPB_VARIANTS: usize = 4;

/// The absolute part of the non-local filter's range tolerance for a search window of `search`
/// (aggregation 3): it sums the values divided by `2^k`, `2^k ≥ 2·A²·(W² − 1)`, in `f32`, so a
/// product `w·(x(t) − x(s))/2^k` below `f32`'s normal range keeps an absolute error of up to
/// `2^−150`; divided by `M + S ≥ e^−30 > 2^−44` and multiplied by `2^k`, at most `W² − 1 < 2^10`
/// of them move the estimate by less than `2^(k − 96)` (about 2e-25 at `W = 23`).
fn ppb_absolute(search: usize) -> f64 {
    let k = ((2 * 9 * (search * search - 1)) as f64).log2().ceil();
    (k - 96.0).exp2()
}

/// Runs non-local variant `k` (`0 .. PPB_VARIANTS`): one pass, the defaults (two passes),
/// one pass on the raw logs without point targets, two passes with a 5 × 5 search.
fn ppb_variant(k: usize) -> (Ppb, usize) {
    let base = Ppb::new(1.0).unwrap();
    match k {
        0 => (base.with_passes(1).unwrap().with_search(9).unwrap(), 9),
        1 => (base, 23),
        2 => (
            base.with_passes(1)
                .unwrap()
                .with_search(7)
                .unwrap()
                .with_presmooth(1)
                .unwrap()
                .with_targets(0.0)
                .unwrap(),
            7,
        ),
        _ => (Ppb::new(4.0).unwrap().with_search(5).unwrap(), 5),
    }
}

/// Runs filter variant `k` on `input`; returns its name, output and bound.
fn run_variant<T: Sample>(
    k: usize,
    img: &Img,
    input: &[T],
    opts: &Options,
) -> (String, Vec<f64>, Bound, usize) {
    let z98 = {
        let mut v: Vec<f64> = img
            .v
            .iter()
            .copied()
            .filter(|&x| common::is_valid(x, opts.nodata()))
            .collect();
        v.sort_by(f64::total_cmp);
        v.get((v.len() as f64 * 0.98) as usize)
            .or(v.last())
            .copied()
            .unwrap_or(f64::INFINITY)
    };
    fn go<T: Sample, F: Filter + std::fmt::Debug>(
        f: F,
        img: &Img,
        input: &[T],
        opts: &Options,
        bound: Bound,
    ) -> (String, Vec<f64>, Bound, usize) {
        let mut out = vec![T::default(); input.len()];
        // the sizes Refined Lee and Lee Sigma support
        let opts = if f.check_options(opts).is_err() {
            Options::new(7)
                .unwrap()
                .with_border(opts.border())
                .with_nodata(opts.nodata())
        } else {
            *opts
        };
        despeckle::filter(
            &f,
            ImageRef::new(input, img.w, img.h).unwrap(),
            &mut ImageMut::new(&mut out, img.w, img.h).unwrap(),
            &opts,
        )
        .unwrap();
        (
            format!("{f:?} size {}", opts.size()),
            out.iter().map(|v| v.to_f64()).collect(),
            bound,
            opts.size(),
        )
    }
    use Bound::*;
    if let Some(j) = k.checked_sub(VARIANTS - PPB_VARIANTS) {
        let (f, search) = ppb_variant(j);
        let mut out = vec![T::default(); input.len()];
        despeckle::filter_planes(
            &f,
            &[ImageRef::new(input, img.w, img.h).unwrap()],
            &mut [ImageMut::new(&mut out, img.w, img.h).unwrap()],
            opts,
        )
        .unwrap();
        let out = out.iter().map(|v| v.to_f64()).collect();
        return (format!("{f:?}"), out, Window, search);
    }
    let stats = |s| LocalStats::new(s).with_ddof(1).unwrap();
    match k {
        0 => go(Mean, img, input, opts, Window),
        1 => go(stats(Statistic::Mean), img, input, opts, Window),
        2 => go(stats(Statistic::Variance), img, input, opts, NonNegative),
        3 => go(
            LocalStats::new(Statistic::StdDev),
            img,
            input,
            opts,
            NonNegative,
        ),
        4 => go(stats(Statistic::Cv), img, input, opts, NonNegative),
        5 => go(EnhancedLee::new(2.0).unwrap(), img, input, opts, Window),
        6 => go(
            EnhancedLee::new(1.0)
                .unwrap()
                .with_domain(Domain::Amplitude)
                .unwrap()
                .with_ddof(1)
                .unwrap(),
            img,
            input,
            opts,
            Window,
        ),
        7 => go(Lee::new(3.0).unwrap(), img, input, opts, Window),
        8 => go(
            Kuan::new(1.0).unwrap().with_ddof(1).unwrap(),
            img,
            input,
            opts,
            Window,
        ),
        9 => go(GammaMap::new(1.0).unwrap(), img, input, opts, UpToMax),
        10 => go(
            GammaMap::new(40.0).unwrap().with_ddof(1).unwrap(),
            img,
            input,
            opts,
            UpToMax,
        ),
        11 => go(Frost::new(), img, input, opts, Window),
        12 => go(
            Frost::new()
                .with_distance(Distance::Chebyshev)
                .unwrap()
                .with_damping(0.1)
                .unwrap(),
            img,
            input,
            opts,
            Window,
        ),
        13 => go(EnhancedFrost::new(2.0).unwrap(), img, input, opts, Window),
        14 => go(RefinedLee::new(), img, input, opts, Window),
        15 => go(
            RefinedLee::new().with_looks(Some(2.0)).unwrap(),
            img,
            input,
            opts,
            Window,
        ),
        16 => go(LeeSigma::new(2.0, z98).unwrap(), img, input, opts, Window),
        17 => go(
            Idan::new(2.0).unwrap().with_region(12).unwrap(),
            img,
            input,
            opts,
            Window,
        ),
        18 => go(
            Idan::new(1.0)
                .unwrap()
                .with_domain(Domain::Amplitude)
                .unwrap(),
            img,
            input,
            opts,
            Window,
        ),
        _ => go(Median, img, input, opts, Window),
    }
}

/// Magnitude classes of generated values.
#[derive(Clone, Copy, Debug)]
enum Class {
    Zero,
    /// Subnormal to small normal values.
    Tiny,
    /// Speckle around 1.
    Normal,
    /// From 1e30 (`f32`) or 1e300 (`f64`) up to the maximum.
    Huge,
    /// Exactly the type's maximum.
    Max,
}

const CLASSES: [Class; 5] = [
    Class::Zero,
    Class::Tiny,
    Class::Normal,
    Class::Huge,
    Class::Max,
];

/// A value of class `c` for type `T` (`T::from_f64` of it is exact and finite).
fn value<T: Sample>(c: Class, rng: &mut Rng) -> f64 {
    let (max, tiny_exp, huge_exp) = if T::NAME == "float32" {
        (f32::MAX as f64, -45.0, 30.0)
    } else {
        (f64::MAX, -323.0, 300.0)
    };
    let max_exp = max.log10();
    let v = match c {
        Class::Zero => 0.0,
        Class::Tiny => 10f64.powf(tiny_exp + rng.uniform() * 10.0),
        Class::Normal => rng.speckle(2),
        Class::Huge => {
            // mostly near the maximum, where sums and squares overflow first
            let e = huge_exp + (max_exp - huge_exp) * rng.uniform().sqrt();
            (10f64.powf(e) * (1.0 - 0.01 * rng.uniform())).min(max)
        }
        Class::Max => max,
    };
    let v = T::from_f64(v).to_f64();
    if v.is_finite() { v } else { max }
}

/// A random image: independent values, an edge between two classes, or point targets of one
/// class on another; some negatives and NaN pixels.
fn image<T: Sample>(w: usize, h: usize, seed: u64, layout: usize, neg: f64, nans: f64) -> Img {
    let mut rng = Rng::new(seed);
    let pick = |rng: &mut Rng| CLASSES[(rng.uniform() * CLASSES.len() as f64) as usize % 5];
    let (a, b) = (pick(&mut rng), pick(&mut rng));
    let edge = (rng.uniform() * w as f64) as usize;
    let mut v = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let c = match layout {
                0 => pick(&mut rng),
                1 => {
                    if x + y / 2 < edge {
                        a
                    } else {
                        b
                    }
                }
                _ => {
                    if rng.uniform() < 0.06 {
                        b
                    } else {
                        a
                    }
                }
            };
            let mut val = value::<T>(c, &mut rng);
            if rng.uniform() < neg {
                val = -val;
            }
            if rng.uniform() < nans {
                val = f64::NAN;
            }
            v.push(val);
        }
    }
    Img { w, h, v }
}

/// Runs every filter variant and checks every finite input pixel's output.
fn check<T: Sample>(img: &Img, opts: &Options) {
    let input: Vec<T> = img.v.iter().map(|&x| T::from_f64(x)).collect();
    for k in 0..VARIANTS {
        check_variant(k, img, &input, opts);
    }
}

/// Runs variant `k` and checks every finite input pixel's output.
fn check_variant<T: Sample>(k: usize, img: &Img, input: &[T], opts: &Options) {
    let (name, out, bound, size) = run_variant(k, img, input, opts);
    // (the non-local filter computes in f32 lanes for either type)
    let ppb = k >= VARIANTS - PPB_VARIANTS;
    let rel = if T::NAME == "float32" || ppb {
        2e-5
    } else {
        1e-9
    };
    let absolute = if ppb { ppb_absolute(size) } else { 0.0 };
    for y in 0..img.h {
        for x in 0..img.w {
            let z = img.at(x, y);
            let got = out[y * img.w + x];
            if !common::is_valid(z, opts.nodata()) {
                continue;
            }
            let what = || {
                format!(
                    "{} {name}, border {}, nodata {:?}: pixel ({x}, {y}) = {z:e} gives {got:e}",
                    T::NAME,
                    opts.border(),
                    opts.nodata()
                )
            };
            assert!(got.is_finite(), "not finite: {}", what());
            let win = window(img, x, y, size, opts.border(), opts.nodata());
            let (lo, hi) = win
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                    (l.min(v), h.max(v))
                });
            let tol = rel * lo.abs().max(hi.abs()) + absolute;
            match bound {
                Bound::Window => assert!(
                    got >= lo - tol && got <= hi + tol,
                    "outside the window's [{lo:e}, {hi:e}]: {}",
                    what()
                ),
                Bound::UpToMax => assert!(
                    got >= lo.min(0.0) - tol && got <= hi + tol,
                    "outside [min(min, 0), max] = [{:e}, {hi:e}]: {}",
                    lo.min(0.0),
                    what()
                ),
                Bound::NonNegative => assert!(got >= 0.0, "negative: {}", what()),
            }
        }
    }
}

fn borders<T: Sample>() -> [Border; 7] {
    let huge = if T::NAME == "float32" {
        f32::MAX as f64
    } else {
        f64::MAX
    };
    [
        Border::Reflect,
        Border::Mirror,
        Border::Nearest,
        Border::Wrap,
        Border::Constant(0.0),
        Border::Constant(huge),
        Border::Shrink,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn finite_input_gives_finite_output(
        w in 1usize..20,
        h in 1usize..20,
        seed in any::<u64>(),
        layout in 0usize..3,
        neg in prop::sample::select(vec![0.0, 0.0, 0.2, 0.5]),
        nans in prop::sample::select(vec![0.0, 0.0, 0.05]),
        size in prop::sample::select(vec![3usize, 5, 7, 9]),
        border in 0usize..7,
        nodata in any::<bool>(),
        use_f32 in any::<bool>(),
    ) {
        if use_f32 {
            let img = image::<f32>(w, h, seed, layout, neg, nans);
            // the no-data value: one of the image's own values, if any
            let nd = img.v.iter().copied().find(|v| v.is_finite()).filter(|_| nodata);
            let opts = Options::new(size).unwrap().with_border(borders::<f32>()[border])
                .with_nodata(nd);
            check::<f32>(&img, &opts);
        } else {
            let img = image::<f64>(w, h, seed, layout, neg, nans);
            let nd = img.v.iter().copied().find(|v| v.is_finite()).filter(|_| nodata);
            let opts = Options::new(size).unwrap().with_border(borders::<f64>()[border])
                .with_nodata(nd);
            check::<f64>(&img, &opts);
        }
    }
}

/// A border constant or no-data value the image type cannot hold is refused by every driver,
/// naming the parameter; the type's largest value itself, and any value for `f64`, is fine.
#[test]
fn unrepresentable_border_and_nodata_are_refused() {
    let (w, h) = (9, 7);
    let img32: Vec<f32> = (0..w * h).map(|i| 1.0 + i as f32).collect();
    let img64: Vec<f64> = img32.iter().map(|&v| v as f64).collect();
    let base = Options::new(3).unwrap();
    let bad = [
        (base.with_border(Border::Constant(1e39)), "border", "1e39"),
        (base.with_border(Border::Constant(-4e38)), "border", "-4e38"),
        (base.with_nodata(Some(1e39)), "nodata", "1e39"),
        (
            base.with_nodata(Some(-f64::MAX)),
            "nodata",
            "-1.7976931348623157e308",
        ),
    ];
    for (opts, name, shown) in bad {
        let mut out = vec![0f32; w * h];
        let e = despeckle::filter(
            &Mean,
            ImageRef::new(&img32, w, h).unwrap(),
            &mut ImageMut::new(&mut out, w, h).unwrap(),
            &opts,
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::InvalidParameter { name: n, .. } if n == name),
            "{e}"
        );
        let msg = e.to_string();
        assert!(
            msg.contains(shown) && msg.contains("not representable in float32"),
            "{msg}"
        );
        assert!(out.iter().all(|&v| v == 0.0), "nothing written");
        let mut inplace = img32.clone();
        assert!(
            despeckle::filter_in_place(
                &Mean,
                &mut ImageMut::new(&mut inplace, w, h).unwrap(),
                &opts
            )
            .is_err()
        );
        assert_eq!(inplace, img32);
        let mut sink = vec![0f32; w * h];
        assert!(
            despeckle::filter_stream(
                &Mean,
                &mut ImageRef::new(&img32, w, h).unwrap(),
                &mut ImageMut::new(&mut sink, w, h).unwrap(),
                &opts
            )
            .is_err()
        );
        // float64 holds them
        let mut out64 = vec![0f64; w * h];
        despeckle::filter(
            &Mean,
            ImageRef::new(&img64, w, h).unwrap(),
            &mut ImageMut::new(&mut out64, w, h).unwrap(),
            &opts,
        )
        .unwrap();
        assert!(out64.iter().all(|v| v.is_finite()));
    }
    // float32's largest value, and a value that rounds to it, are representable
    for v in [f32::MAX as f64, 3.402_823_47e38, -(f32::MAX as f64)] {
        let mut out = vec![0f32; w * h];
        despeckle::filter(
            &Mean,
            ImageRef::new(&img32, w, h).unwrap(),
            &mut ImageMut::new(&mut out, w, h).unwrap(),
            &base.with_border(Border::Constant(v)).with_nodata(Some(v)),
        )
        .unwrap();
        assert!(out.iter().all(|v| v.is_finite()));
    }
}
