//! Pixel types ([`Sample`]) and the float types the per-pixel maths runs in ([`Real`]).

use std::fmt::Debug;
use std::ops::{Add, Div, Mul, Neg, Sub};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A pixel type the filters accept: `f32` or `f64`.
///
/// Window sums are always accumulated in `f64`; the per-pixel maths of a filter runs in
/// [`Sample::Lane`] (`f32` lanes for `f32` images, `f64` lanes for `f64` images), so an
/// `f32` image is never silently promoted and an `f64` image keeps its precision.
pub trait Sample:
    Copy + Send + Sync + PartialEq + Debug + Default + sealed::Sealed + 'static
{
    /// The float type the per-pixel maths of a filter runs in for this pixel type.
    type Lane: Real;
    /// The type's name (`"float32"` or `"float64"`), for messages.
    const NAME: &'static str;
    /// The largest finite value of the type.
    const MAX: f64;
    /// Converts to `f64` exactly.
    fn to_f64(self) -> f64;
    /// Converts from `f64`, rounding to nearest.
    fn from_f64(v: f64) -> Self;
    /// Converts from the lane type.
    fn from_lane(v: Self::Lane) -> Self;
}

impl Sample for f32 {
    type Lane = f32;
    const NAME: &'static str = "float32";
    const MAX: f64 = f32::MAX as f64;
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn from_lane(v: f32) -> Self {
        v
    }
}

impl Sample for f64 {
    type Lane = f64;
    const NAME: &'static str = "float64";
    const MAX: f64 = f64::MAX;
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn from_lane(v: f64) -> Self {
        v
    }
}

/// The float type of per-pixel filter maths, with branch-free operations that vectorise.
///
/// Filters write their maths once, generic over `Real`, evaluated over whole rows: every
/// branch is computed and the result chosen with [`Real::select`], so the compiler turns the
/// row loop into SIMD code. [`Real::exp`] is a polynomial evaluation (no library call) for the
/// same reason.
pub trait Real:
    Copy
    + PartialOrd
    + Debug
    + Send
    + Sync
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + sealed::Sealed
    + 'static
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// Converts from `f64`, rounding to nearest.
    fn from_f64(v: f64) -> Self;
    /// Converts to `f64` exactly.
    fn to_f64(self) -> f64;
    /// Square root (IEEE, correctly rounded).
    fn sqrt(self) -> Self;
    /// `e^self`, branch-free, relative error below 2 ulp over the whole range; arguments below
    /// the smallest normal result give that smallest normal, above the largest finite result
    /// give the largest finite power of two range; NaN propagates.
    fn exp(self) -> Self;
    /// The larger of two values (`other` when either is NaN).
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        if self > other { self } else { other }
    }
    /// The smaller of two values (`other` when either is NaN).
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        if self < other { self } else { other }
    }
    /// `if cond { a } else { b }` written so that it compiles to a blend, not a branch.
    #[inline(always)]
    fn select(cond: bool, a: Self, b: Self) -> Self {
        if cond { a } else { b }
    }
}

/// `e^x` for `x ∈ [−87.33, 88.37]` (outside, or NaN: an unspecified value, no panic), to 2 ulp:
/// Cody–Waite range reduction `x = n·ln2 + r`, `|r| ≤ ln2/2`, then a degree-6 minimax
/// polynomial (Cephes `expf`) and a scale by `2^n` built from the exponent bits. What
/// [`Real::exp`] computes for `f32` after clamping its argument; loops whose arguments are in
/// range by construction call it directly (two operations and a blend fewer per lane).
#[inline(always)]
pub(crate) fn exp_f32_in_range(x: f32) -> f32 {
    use exp_f32::{LN2_HI, LN2_LO, MAGIC, POLY, scale};
    let t = x * std::f32::consts::LOG2_E + MAGIC;
    let n = t - MAGIC;
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = POLY[0];
    for &c in &POLY[1..] {
        p = p * r + c;
    }
    let y = p * r * r + r + 1.0;
    y * scale(t)
}

/// The constants of [`exp_f32_in_range`] (and of the non-local filter's fused variant).
pub(crate) mod exp_f32 {
    /// `1.5 · 2^23`: adding it rounds to an integer.
    pub const MAGIC: f32 = 12_582_912.0;
    /// `ln 2` in two parts (Cody–Waite): `LN2_HI` exact in few bits, `LN2_HI + LN2_LO ≈ ln 2`.
    pub const LN2_HI: f32 = 0.693_359_4;
    pub const LN2_LO: f32 = -2.121_944_4e-4;
    /// `p(r)` of `e^r ≈ 1 + r + r²·p(r)` on `|r| ≤ ln2/2` (Cephes `expf`), highest degree first.
    pub const POLY: [f32; 6] = [
        1.987_569_1e-4,
        1.398_199_9e-3,
        8.333_452e-3,
        4.166_579_6e-2,
        1.666_666_5e-1,
        0.5,
    ];

    /// `2^n` from `t = n + MAGIC` (`n` an integer in the normal exponent range).
    #[inline(always)]
    pub fn scale(t: f32) -> f32 {
        let n = (t.to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32);
        f32::from_bits((n.wrapping_add(127) as u32) << 23)
    }
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    #[inline(always)]
    fn exp(self) -> Self {
        let y = exp_f32_in_range(self.clamp(-87.33, 88.37));
        // A NaN argument gives NaN through the arithmetic; keep it explicit.
        if self.is_nan() { self } else { y }
    }
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    #[inline(always)]
    fn exp(self) -> Self {
        // Cody–Waite range reduction and the Cephes `exp` Padé form
        // e^r = 1 + 2·r·P(r²) / (Q(r²) − r·P(r²)).
        const MAGIC: f64 = 6_755_399_441_055_744.0; // 1.5 · 2^52
        let x = self.clamp(-708.39, 709.78);
        let t = x * std::f64::consts::LOG2_E + MAGIC;
        let n = t - MAGIC;
        let r = x - n * 6.931_457_519_531_25e-1 - n * 1.428_606_820_309_417_2e-6;
        let rr = r * r;
        let p = ((1.261_771_930_748_105_9e-4 * rr + 3.029_944_077_074_419_6e-2) * rr + 1.0) * r;
        let q = ((3.001_985_051_386_644_5e-6 * rr + 2.524_483_403_496_841e-3) * rr
            + 2.272_655_482_081_550_3e-1)
            * rr
            + 2.0;
        let y = 1.0 + 2.0 * p / (q - p);
        let ni = (t.to_bits() as i64).wrapping_sub(MAGIC.to_bits() as i64);
        let scale = f64::from_bits((ni.wrapping_add(1023) as u64) << 52);
        if self.is_nan() { self } else { y * scale }
    }
}

#[cfg(test)]
mod tests {
    use super::Real;

    fn ulps32(a: f32, b: f32) -> u32 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    #[test]
    fn exp_f32_within_two_ulp() {
        let mut worst = 0;
        let mut x = -87.0f32;
        while x < 88.0 {
            let want = (x as f64).exp() as f32;
            worst = worst.max(ulps32(Real::exp(x), want));
            x += 0.001_37;
        }
        assert!(worst <= 2, "worst error {worst} ulp");
        assert_eq!(Real::exp(0.0f32), 1.0);
        assert!(Real::exp(f32::NAN).is_nan());
        assert!(Real::exp(-1e30f32) >= 0.0 && Real::exp(-1e30f32) < 1e-37);
        assert!(Real::exp(f32::NEG_INFINITY) < 1e-37);
    }

    #[test]
    fn exp_f64_close_to_libm() {
        let mut worst = 0.0f64;
        let mut x = -700.0f64;
        while x < 700.0 {
            let want = x.exp();
            worst = worst.max(((Real::exp(x) - want) / want).abs());
            x += 0.012_345;
        }
        assert!(worst < 5e-16, "worst relative error {worst:e}");
        assert_eq!(Real::exp(0.0f64), 1.0);
        assert!(Real::exp(f64::NAN).is_nan());
        assert!(Real::exp(f64::NEG_INFINITY) < 1e-300);
    }
}
