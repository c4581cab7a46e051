//! Refined Lee (Lee 1981) with edge-aligned windows, as in ESA SNAP.

use super::edge_windows::{ColumnSums, EdgeRule, block_geometry, check_size};
use super::range::{Degree, Maths, rescue};
use super::speckle::{Domain, check_ddof, check_looks, mmse_weight};
use crate::engine::{Filter, RowContext, mean_variance};
use crate::error::Result;
use crate::options::Options;
use crate::sample::Sample;

/// The Refined Lee filter (Lee 1981), single-band form of ESA SNAP, window 7 × 7 (also 5, 9,
/// 11, 13, 15, 17 with SNAP's scaled sub-windows).
///
/// For a window of side `n` (`h = n / 2`) and sub-windows of side `b` at stride `s`
/// (5: 3/1, 7: 3/2, 9: 5/2, 11: 5/3, 13: 5/4, 15: 7/4, 17: 7/5; `2s + b = n`):
///
/// 1. The nine sub-window means `m[j][i]` (rows and columns `j·s .. j·s + b`).
/// 2. Gradients `g0 = |m10 − m12|`, `g1 = |m02 − m20|`, `g2 = |m01 − m21|`,
///    `g3 = |m00 − m22|`; the edge direction is the first largest.
/// 3. The half window on the side whose outer sub-window is closer to `m11` (ties: the
///    second), `(x, y)` in `0..n` within the window:
///    `g0`: `|m10 − m11| < |m11 − m12|` → left `x ≤ h`, else right `x ≥ h`;
///    `g1`: `|m02 − m11| < |m11 − m20|` → `x ≥ y`, else `x ≤ y`;
///    `g2`: `|m01 − m11| < |m11 − m21|` → top `y ≤ h`, else bottom `y ≥ h`;
///    `g3`: `|m00 − m11| < |m11 − m22|` → `x + y ≤ n − 1`, else `x + y ≥ n − 1`
///    (each `n · (h + 1)` pixels, the centre line included).
/// 4. Over that half window, `μ` and `σ²` (`ddof`), then
///    `b = max(0, (σ² − μ² η²) / (1 + η²)) / σ²` (0 where `σ² = 0`), `out = μ + b (z − μ)`.
///
/// The noise level `η²` is `Cu²` when `looks` is given, otherwise SNAP's local estimate: the
/// mean of the five smallest `σ_k² / μ_k²` of the nine sub-windows (`ddof`; 0 for a
/// sub-window whose mean is not positive). A window with any invalid pixel (no-data, or
/// outside the image under `shrink`) uses the whole window's valid pixels instead of a half
/// window, and the local estimate uses only its complete sub-windows (none: `η² = 0`, the
/// pixel is kept). A window mean `μ ≤ 0` gives `μ`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RefinedLee {
    looks: Option<f64>,
    domain: Domain,
    ddof: u8,
}

impl RefinedLee {
    /// Refined Lee with SNAP's local noise estimate, intensity data, population variance.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the number of looks (`η² = Cu²`), or `None` for the local noise estimate.
    pub fn with_looks(mut self, looks: Option<f64>) -> Result<Self> {
        self.looks = looks.map(check_looks).transpose()?;
        Ok(self)
    }

    /// Sets the data domain (intensity or amplitude), which selects `Cu` when looks are given.
    pub fn with_domain(mut self, domain: Domain) -> Result<Self> {
        self.domain = domain;
        Ok(self)
    }

    /// Sets the variance convention: 0 population (default), 1 sample (`n − 1`, as SNAP).
    pub fn with_ddof(mut self, ddof: u8) -> Result<Self> {
        self.ddof = check_ddof(ddof)?;
        Ok(self)
    }

    /// The number of looks, if given.
    pub fn looks(&self) -> Option<f64> {
        self.looks
    }

    /// The data domain.
    pub fn domain(&self) -> Domain {
        self.domain
    }

    /// The variance convention (0 or 1).
    pub fn ddof(&self) -> u8 {
        self.ddof
    }

    /// `η² = Cu²` when looks are given.
    fn eta2(&self) -> Option<f64> {
        self.looks.map(|l| self.domain.cu(l).powi(2))
    }
}

/// `σ²/μ²` of a sub-window from its sums (0 where `μ ≤ 0`).
#[inline(always)]
fn block_cv2(n: f64, s1: f64, s2: f64, ddof: u8) -> f64 {
    let (m, v) = mean_variance(n, s1, s2, ddof as f64);
    if m > 0.0 { v / (m * m) } else { 0.0 }
}

/// The mean of the five smallest of nine values: an odd–even transposition network (9 rounds
/// of compare-exchanges, branch-free).
#[inline(always)]
fn mean_of_smallest_five_of_nine(mut v: [f64; 9]) -> f64 {
    for round in 0..9 {
        let mut i = round % 2;
        while i + 1 < 9 {
            let (a, b) = (v[i], v[i + 1]);
            v[i] = a.min(b);
            v[i + 1] = a.max(b);
            i += 2;
        }
    }
    (v[0] + v[1] + v[2] + v[3] + v[4]) / 5.0
}

/// The mean of the five smallest of up to nine values (fewer: all of them; none: 0).
fn mean_of_smallest_five(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_unstable_by(f64::total_cmp);
    let k = v.len().min(5);
    v[..k].iter().sum::<f64>() / k as f64
}

impl Filter for RefinedLee {
    fn name(&self) -> &'static str {
        "refined-lee"
    }

    fn check_options(&self, opts: &Options) -> Result<()> {
        check_size(opts)
    }

    #[inline(always)]
    fn filter_row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]) {
        self.row(ctx, out);
        rescue(ctx, out, Maths::F64, Degree::Bounded, |c, o, _| {
            self.row(c, o)
        });
    }
}

impl RefinedLee {
    /// The filter's maths over a row, in `f64`.
    #[inline(always)]
    fn row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]) {
        let w = out.len();
        let n = ctx.window.size();
        let h = n / 2;
        let (vals, valid) = (ctx.window.values(), ctx.window.valid());
        let ddof = self.ddof;
        let given = self.eta2();
        let Some((b, s)) = block_geometry(n) else {
            // Not a supported size (rejected by `check_options`): MMSE over the window.
            for (x, o) in out.iter_mut().enumerate() {
                let (mu, var) = mean_variance(ctx.count[x], ctx.sum[x], ctx.sum_sq[x], ddof as f64);
                let z = ctx.centre[x];
                let k = mmse_weight(mu, var, given.unwrap_or(0.0));
                *o = T::from_f64(if mu > 0.0 { mu + k * (z - mu) } else { mu });
            }
            return;
        };

        // Column sums over the window rows of chunks of CHUNK output pixels
        // (`cp = CHUNK + n − 1` columns), so they stay in cache.
        const CHUNK: usize = 256;
        let full = (n * n) as f64;
        let half_count = (n * (h + 1)) as f64;
        let bb = (b * b) as f64;
        let mut tables = ColumnSums::new(n, (b, s), CHUNK.min(w) + n - 1, true);
        let mut rows: Vec<&[f64]> = Vec::with_capacity(n);
        for x0 in (0..w).step_by(CHUNK) {
            let cw = CHUNK.min(w - x0);
            let cp = cw + n - 1;
            rows.clear();
            rows.extend(vals.iter().map(|r| &r[x0..x0 + cp]));
            tables.fill(&rows, cp);

            for (xl, o) in out[x0..x0 + cw].iter_mut().enumerate() {
                let x = x0 + xl;
                let z = ctx.centre[x];
                if ctx.count[x] == full {
                    // Directions and sides compare sub-window sums (the means times b²): exact
                    // for f32 data, so exact ties (e.g. rows duplicated by `reflect`) stay exact.
                    let (s1, s2) = tables.blocks(xl);
                    let (a1, a2) = tables.half(EdgeRule::Closer.half_window(&s1), xl);
                    let (mu, var) = mean_variance(half_count, a1, a2, ddof as f64);
                    let eta2 = given.unwrap_or_else(|| {
                        // σ²/μ² = n·max(0, n·Σx² − (Σx)²) / ((n − ddof)·(Σx)²): one division
                        // per sub-window (0 where the mean is not positive)
                        let f = bb / (bb - ddof as f64);
                        let cv = std::array::from_fn(|k| {
                            let (a, q) = (s1[k], s2[k]);
                            let c = f * (bb * q - a * a).max(0.0) / (a * a);
                            if a > 0.0 { c } else { 0.0 }
                        });
                        mean_of_smallest_five_of_nine(cv)
                    });
                    let k = mmse_weight(mu, var, eta2);
                    *o = T::from_f64(if mu > 0.0 { mu + k * (z - mu) } else { mu });
                } else {
                    // Incomplete window: MMSE over its valid pixels.
                    let (mu, var) =
                        mean_variance(ctx.count[x], ctx.sum[x], ctx.sum_sq[x], ddof as f64);
                    let eta2 = given.unwrap_or_else(|| {
                        let mut cv = [0.0f64; 9];
                        let mut k = 0;
                        for j in 0..3 {
                            for i in 0..3 {
                                let (r0, c0) = (j * s, x + i * s);
                                let complete = valid[r0..r0 + b]
                                    .iter()
                                    .all(|row| row[c0..c0 + b].iter().all(|&v| v != 0.0));
                                if complete {
                                    let (mut t1, mut t2) = (0.0, 0.0);
                                    for row in &vals[r0..r0 + b] {
                                        for &v in &row[c0..c0 + b] {
                                            t1 += v;
                                            t2 += v * v;
                                        }
                                    }
                                    cv[k] = block_cv2(bb, t1, t2, ddof);
                                    k += 1;
                                }
                            }
                        }
                        mean_of_smallest_five(&mut cv[..k])
                    });
                    let k = mmse_weight(mu, var, eta2);
                    *o = T::from_f64(if mu > 0.0 { mu + k * (z - mu) } else { mu });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_and_parameters() {
        let f = RefinedLee::new();
        assert!(f.check_options(&Options::new(3).unwrap()).is_err());
        assert!(f.check_options(&Options::new(7).unwrap()).is_ok());
        let e = f
            .check_options(&Options::new(19).unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("size") && e.contains("7"), "{e}");
        assert!(f.with_looks(Some(0.0)).is_err());
        assert!(f.with_ddof(2).is_err());
        assert_eq!(
            mean_of_smallest_five(&mut [9.0, 1.0, 8.0, 2.0, 7.0, 3.0, 6.0, 4.0, 5.0]),
            3.0
        );
        assert_eq!(mean_of_smallest_five(&mut []), 0.0);
        assert_eq!(
            mean_of_smallest_five_of_nine([9.0, 1.0, 8.0, 2.0, 7.0, 3.0, 6.0, 4.0, 5.0]),
            3.0
        );
        assert_eq!(
            mean_of_smallest_five_of_nine([1.0, 1.0, 0.0, 0.0, 5.0, 5.0, 5.0, 2.0, 9.0]),
            0.8
        );
    }
}
