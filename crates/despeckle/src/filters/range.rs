//! Numeric range: finite output for finite input, up to the sample type's largest value.
//!
//! Two parts of a filter's maths see the magnitude of the values:
//!
//! * the window sums, accumulated in `f64` by the engine (and by the filters that sum window
//!   values themselves): for `f32` images they cannot overflow (`Σx² ≤ 1001² · f32::MAX²`), for
//!   `f64` images `Σx²` overflows from `|x| ≈ 1.3e154` and underflows below `1.5e-154`. An
//!   overflowed running sum becomes `±∞` or NaN (`∞ − ∞`) and stays non-finite until it is
//!   recomputed, so it is flagged below, never silently wrong;
//! * the per-pixel maths in [`Sample::Lane`]s (`f32` for `f32` images): window values, their
//!   products and squares (Frost's weighted sums, Lee Sigma's moments, the variance Lee's
//!   weights are formed from) overflow `f32` from about `1.8e19` (squares) or
//!   `f32::MAX / size²` (sums), and lose precision below about `1e-19`.
//!
//! Every filter is homogeneous in its input: scaling the image by `s` scales the output by `s`
//! (local-statistics variance by `s²`, the coefficient of variation not at all). So a pixel
//! whose window's sum of squares lies outside the range where the filter's maths is exact is
//! filtered again on its window scaled by a power of two (exact), and the result scaled back:
//! [`rescue`]. Ordinary data never get there (their results are unchanged, bit for bit); a
//! row without such a pixel costs a vectorised minimum and maximum of its sums of squares.
//!
//! A value the output type cannot hold (a variance above its maximum) is clamped to
//! `±T::MAX` ([`saturate`]): the one rule for unrepresentable results.

use crate::engine::{RowContext, Window};
use crate::sample::Sample;

/// Which arithmetic of a filter sees the magnitude of the window values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Maths {
    /// Only `f64` sums of values and squares (mean, local statistics, Refined Lee, IDAN on
    /// intensities): `f32` images never need a rescue.
    F64,
    /// `f64` sums of fourth powers (IDAN on amplitudes: variances of squared values).
    F64Fourth,
    /// Values, products or squares in the lane type (Lee, Kuan, Enhanced Lee, Gamma MAP,
    /// Frost, Enhanced Frost, Lee Sigma).
    Lanes,
}

/// The range `(lo, hi)` of a window's sum of squares `Σx²` inside which `maths` is free of
/// overflow and of underflow to subnormal numbers for sample type `T` (margins: windows up to
/// 1001², differences of two values, ratios of sums); `None`: always.
fn bounds<T: Sample>(maths: Maths) -> Option<(f64, f64)> {
    let single = T::MAX < 1e300;
    match (single, maths) {
        (true, Maths::F64 | Maths::F64Fourth) => None,
        // lanes: |x| ≤ 2^50, so n · (2|x|)² ≤ 2^122; squares of values down to 2^-40 normal
        (true, Maths::Lanes) => Some((2f64.powi(-80), 2f64.powi(100))),
        (false, Maths::F64 | Maths::Lanes) => Some((2f64.powi(-900), 2f64.powi(1000))),
        (false, Maths::F64Fourth) => Some((2f64.powi(-450), 2f64.powi(500))),
    }
}

/// `v` as `T`, clamped to `±T::MAX`: a result the type cannot represent (e.g. the variance of
/// values near its maximum) becomes the type's largest value, never `±∞`. NaN stays NaN.
#[inline(always)]
pub(crate) fn saturate<T: Sample>(v: f64) -> T {
    T::from_f64(v.clamp(-T::MAX, T::MAX))
}

/// The exponent `e` with `2^e ≤ m < 2^(e+1)` (`m > 0` finite), subnormals included.
fn exponent(m: f64) -> i32 {
    if m >= f64::MIN_POSITIVE {
        ((m.to_bits() >> 52) & 0x7ff) as i32 - 1023
    } else {
        exponent(m * 2f64.powi(64)) - 64
    }
}

/// How a filter's output scales with its input, for [`rescue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Degree {
    /// Scales with the input and lies within the window's largest magnitude (every filter's
    /// output, the local mean).
    Bounded,
    /// Scales with the input (the local standard deviation).
    One,
    /// Scales with the square of the input (the local variance).
    Two,
    /// Does not scale (the coefficient of variation).
    Zero,
}

/// Recomputes, on a scaled copy of its window, every pixel of the row whose window sums lie
/// outside the range of `maths` (see the module documentation).
///
/// `row(ctx, out, s)` computes a row of output from a context (here one pixel wide, holding the
/// window multiplied by `s = 2^−e`, `2^e ≤` the window's largest magnitude `< 2^(e+1)`, and
/// its sums). The result is scaled back by `2^(e·degree)`; a [`Degree::Bounded`] one is also
/// clamped to the window's largest magnitude (so rounding cannot take it to `±∞`); it is
/// stored with [`saturate`].
/// Pixels whose own value is not valid are left alone (the engine copies them).
#[inline(always)]
pub(crate) fn rescue<T: Sample>(
    ctx: &RowContext<'_>,
    out: &mut [T],
    maths: Maths,
    degree: Degree,
    row: impl Fn(&RowContext<'_>, &mut [T], f64),
) {
    let Some((lo, hi)) = bounds::<T>(maths) else {
        return;
    };
    let w = out.len();
    let (s1, s2) = (&ctx.sum[..w], &ctx.sum_sq[..w]);
    if within(s2, lo, hi, T::MAX > 1e300) {
        return;
    }
    // NaN sums (an overflowed running sum) are flagged; all-zero windows are exact
    let flag = |x: usize| {
        (s2[x] > hi) | s2[x].is_nan() | ((s2[x] < lo) & ((s2[x] != 0.0) | (s1[x] != 0.0)))
    };
    if (0..w).fold(false, |any, x| any | flag(x)) {
        rescue_pixels(ctx, out, degree, flag, row);
    }
}

/// Whether every value of `v` is within `[lo, hi]`: the quick test of a whole row, in eight
/// lanes so that it vectorises. `f64` images (`f64_sums`): no value may be NaN (an overflowed
/// sum), nor 0 (`Σx²` may have underflowed). `f32` images: 0 is an all-zero window, exact.
#[inline(always)]
fn within(v: &[f64], lo: f64, hi: f64, f64_sums: bool) -> bool {
    const K: usize = 8;
    let (mut mx, mut mn, mut bad) = ([0.0f64; K], [hi; K], [false; K]);
    let chunks = v.chunks_exact(K);
    let tail = chunks.remainder();
    for c in chunks {
        for k in 0..K {
            mx[k] = if c[k] > mx[k] { c[k] } else { mx[k] };
            if f64_sums {
                mn[k] = if c[k] < mn[k] { c[k] } else { mn[k] };
                bad[k] |= c[k].is_nan();
            } else {
                let t = if c[k] == 0.0 { hi } else { c[k] };
                mn[k] = if t < mn[k] { t } else { mn[k] };
            }
        }
    }
    for &t in tail {
        mx[0] = if t > mx[0] { t } else { mx[0] };
        let t0 = if t == 0.0 && !f64_sums { hi } else { t };
        mn[0] = if t0 < mn[0] { t0 } else { mn[0] };
        bad[0] |= t.is_nan();
    }
    (0..K).all(|k| (mx[k] <= hi) & (mn[k] >= lo) & !bad[k])
}

/// The rare part of [`rescue`], out of line.
#[inline(never)]
#[cold]
fn rescue_pixels<T: Sample>(
    ctx: &RowContext<'_>,
    out: &mut [T],
    degree: Degree,
    flag: impl Fn(usize) -> bool,
    row: impl Fn(&RowContext<'_>, &mut [T], f64),
) {
    let size = ctx.window.size();
    let h = size / 2;
    let (vals, valid) = (ctx.window.values(), ctx.window.valid());
    let mut rows = vec![vec![0.0f64; size]; size];
    for x in 0..out.len() {
        if !flag(x) || valid[h][x + h] == 0.0 {
            continue;
        }
        // invalid positions hold 0
        let m = vals
            .iter()
            .flat_map(|r| &r[x..x + size])
            .fold(0.0f64, |m, &v| m.max(v.abs()));
        // (2^−e for e ≥ −1000 is finite; subnormal windows are scaled up by 2^1000 at most)
        let e = if m > 0.0 { exponent(m).max(-1000) } else { 0 };
        let s = 2f64.powi(-e);
        let (mut n, mut a1, mut a2) = (0.0, 0.0, 0.0);
        for ((dst, src), ok) in rows.iter_mut().zip(vals).zip(valid) {
            for ((d, &v), &k) in dst.iter_mut().zip(&src[x..x + size]).zip(&ok[x..x + size]) {
                *d = v * s;
                n += k;
                a1 += *d;
                a2 += *d * *d;
            }
        }
        let values: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
        let oks: Vec<&[f64]> = valid.iter().map(|r| &r[x..x + size]).collect();
        let one = RowContext {
            y: ctx.y,
            all_valid: n == (size * size) as f64,
            count: &[n],
            sum: &[a1],
            sum_sq: &[a2],
            centre: &[rows[h][h]],
            window: Window::new(&values, &oks),
        };
        let mut o = [T::default()];
        row(&one, &mut o, s);
        let p = 2f64.powi(e);
        let y = o[0].to_f64();
        let y = match degree {
            Degree::Zero => y,
            Degree::One => y * p,
            Degree::Bounded => (y * p).clamp(-m, m),
            Degree::Two => y * p * p,
        };
        out[x] = saturate(y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponents_and_saturation() {
        assert_eq!(exponent(1.0), 0);
        assert_eq!(exponent(3.0), 1);
        assert_eq!(exponent(f64::MAX), 1023);
        assert_eq!(exponent(f64::MIN_POSITIVE), -1022);
        assert_eq!(exponent(f64::MIN_POSITIVE / 8.0), -1025);
        assert_eq!(exponent(5e-324), -1074);
        assert_eq!(saturate::<f32>(1e39), f32::MAX);
        assert_eq!(saturate::<f32>(-1e300), -f32::MAX);
        assert_eq!(saturate::<f64>(f64::INFINITY), f64::MAX);
        assert_eq!(saturate::<f32>(2.5), 2.5);
        assert!(saturate::<f32>(f64::NAN).is_nan());
    }
}
