//! The median filter against sorting, exactly: f64 images give the reference value bit for bit
//! (up to the sign of zero), f32 images the reference value rounded once to f32. Images built to
//! stress the sliding split of the window: ramps along the rows in both directions (every
//! column moves the median by a whole column), steps, heavy ties, signed zeros, sparse and
//! dense no-data and NaN, whole no-data columns and rows, for window sizes 3–15 and every border
//! mode.

use crate::common;

use common::*;
use despeckle::Median;

fn check(img: &Img, size: usize, nodata: Option<f64>, what: &str) {
    for &border in &BORDERS {
        let p = Params {
            size,
            border,
            nodata,
        };
        let img32 = rounded_f32(img);
        for (is32, img, got) in [
            (false, img, run_filter::<f64, Median>(&Median, img, &p)),
            (true, &img32, run_filter::<f32, Median>(&Median, &img32, &p)),
        ] {
            let want = reference(img, &p, |v, _| median(v));
            for (i, (&g, &r)) in got.iter().zip(&want).enumerate() {
                let r = if is32 { r as f32 as f64 } else { r };
                assert!(
                    g == r || (g.is_nan() && r.is_nan()),
                    "{what} size {size} {border} f32={is32}: pixel ({}, {}): got {g}, want {r}",
                    i % img.w,
                    i / img.w
                );
            }
        }
    }
}

/// An image from `f(x, y, random)`.
fn image(w: usize, h: usize, seed: u64, f: impl Fn(usize, usize, u64) -> f64) -> Img {
    let mut s = seed | 1;
    let mut v = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            v.push(f(x, y, s));
        }
    }
    Img { w, h, v }
}

#[test]
fn ramps_steps_and_ties_are_exact() {
    let (w, h) = (41, 23);
    let cases: Vec<(&str, Img)> = vec![
        (
            "ramp right",
            image(w, h, 1, |x, y, _| x as f64 + y as f64 / 64.0),
        ),
        ("ramp left", image(w, h, 2, |x, _, _| -3.0 * x as f64)),
        (
            "ramp down",
            image(w, h, 3, |x, y, _| y as f64 - x as f64 / 32.0),
        ),
        (
            "noisy ramp",
            image(w, h, 4, |x, _, r| x as f64 + (r % 16) as f64 / 4.0),
        ),
        ("steps", image(w, h, 5, |x, _, _| ((x / 6) % 3) as f64)),
        ("ties", image(w, h, 6, |_, _, r| (r % 3) as f64 * 0.5)),
        // odd subnormals: their halves round, their sums do not
        (
            "subnormals",
            image(w, h, 7, |_, _, r| f64::from_bits(2 * (r % 5) + 1)),
        ),
        (
            "signed zeros",
            image(w, h, 7, |_, _, r| [-0.0, 0.0, 2.0, -1.0][(r % 4) as usize]),
        ),
        (
            "speckle",
            image(w, h, 8, |_, _, r| (r % 100_000) as f64 / 1024.0),
        ),
    ];
    for (what, img) in &cases {
        for size in [3, 5, 7, 9, 13, 15] {
            check(img, size, None, what);
        }
    }
}

#[test]
fn no_data_patterns_are_exact() {
    let (w, h) = (37, 21);
    let nd = -1.0;
    let value = |x: usize, r: u64| (r % 997) as f64 / 16.0 + (x % 5) as f64;
    let cases: Vec<(&str, Img)> = vec![
        (
            "sparse",
            image(
                w,
                h,
                11,
                |x, _, r| {
                    if (r >> 32) % 7 == 0 { nd } else { value(x, r) }
                },
            ),
        ),
        (
            "dense",
            image(
                w,
                h,
                12,
                |x, _, r| {
                    if (r >> 32) % 7 != 0 { nd } else { value(x, r) }
                },
            ),
        ),
        (
            "nan",
            image(w, h, 13, |x, _, r| {
                if (r >> 32) % 4 == 0 {
                    f64::NAN
                } else {
                    value(x, r)
                }
            }),
        ),
        (
            "columns",
            image(
                w,
                h,
                14,
                |x, _, r| {
                    if (x / 4) % 3 == 1 { nd } else { value(x, r) }
                },
            ),
        ),
        (
            "rows and ramp",
            image(
                w,
                h,
                15,
                |x, y, _| {
                    if (y / 3) % 3 == 1 { f64::NAN } else { x as f64 }
                },
            ),
        ),
    ];
    for (what, img) in &cases {
        for size in [3, 5, 7, 9, 15] {
            check(img, size, Some(nd), what);
        }
    }
}
