//! Refined Lee (Lee 1981) with edge-aligned windows, as in ESA SNAP.

use super::range::{Degree, Maths, rescue};
use super::speckle::{Domain, check_ddof, check_looks, mmse_weight};
use crate::engine::{Filter, RowContext, mean_variance};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::sample::Sample;

/// `(block side, block stride)` of the 3 × 3 grid of sub-windows for a window size (ESA SNAP:
/// 7 × 7 uses 3 × 3 blocks at stride 2; the other sizes are SNAP's polarimetric Refined Lee's).
pub(crate) fn block_geometry(size: usize) -> Option<(usize, usize)> {
    match size {
        5 => Some((3, 1)),
        7 => Some((3, 2)),
        9 => Some((5, 2)),
        11 => Some((5, 3)),
        13 => Some((5, 4)),
        15 => Some((7, 4)),
        17 => Some((7, 5)),
        _ => None,
    }
}

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

/// For each of the 8 half windows (`2·dir + second_side`), the row of the column-sum table
/// each window column `x'` takes: `top[r]` = rows `0..=r` is row `r`, `bottom[r]` = rows `r..n`
/// is row `n + r`, and row `2n` is all zeros (a column outside the half window).
fn half_window_columns(n: usize) -> [Vec<usize>; 8] {
    let h = n / 2;
    let (top, bottom, none) = (|r: usize| r, |r: usize| n + r, 2 * n);
    std::array::from_fn(|k| {
        let (dir, first_side) = (k / 2, k % 2 == 0);
        (0..n)
            .map(|xp| match (dir, first_side) {
                (0, true) => {
                    if xp <= h {
                        top(n - 1)
                    } else {
                        none
                    }
                }
                (0, false) => {
                    if xp >= h {
                        top(n - 1)
                    } else {
                        none
                    }
                }
                (1, true) => top(xp),
                (1, false) => bottom(xp),
                (2, true) => top(h),
                (2, false) => bottom(h),
                (_, true) => top(n - 1 - xp),
                (_, false) => bottom(n - 1 - xp),
            })
            .collect()
    })
}

impl Filter for RefinedLee {
    fn name(&self) -> &'static str {
        "refined-lee"
    }

    fn check_options(&self, opts: &Options) -> Result<()> {
        if block_geometry(opts.size()).is_none() {
            return Err(Error::param(
                "size",
                format!(
                    "Refined Lee's edge-aligned windows exist for sizes 5, 7, 9, 11, 13, 15 and \
                     17 (7 is the classic one), got {}",
                    opts.size()
                ),
            ));
        }
        Ok(())
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

        // Column sums over the window rows, of the values (`t1`) and their squares (`t2`),
        // `2n + 1` rows of `cp` columns: row r < n sums window rows 0..=r (top down), row
        // n + r sums rows r..n (bottom up), row 2n is zero. Additions only: a bright pixel
        // elsewhere in a column leaves no cancellation error in a half column. Built for
        // chunks of CHUNK output pixels (`cp = CHUNK + n − 1` columns), so they stay in cache.
        const CHUNK: usize = 256;
        let full = (n * n) as f64;
        let half_count = (n * (h + 1)) as f64;
        let bb = (b * b) as f64;
        let cmax = CHUNK.min(w) + n - 1;
        let mut t1 = vec![0.0f64; (2 * n + 1) * cmax];
        let mut t2 = vec![0.0f64; (2 * n + 1) * cmax];
        let mut mid = vec![0.0f64; cmax];
        let mut mid2 = vec![0.0f64; cmax];
        for x0 in (0..w).step_by(CHUNK) {
            let cw = CHUNK.min(w - x0);
            let cp = cw + n - 1;
            let (t1, t2) = (&mut t1[..(2 * n + 1) * cp], &mut t2[..(2 * n + 1) * cp]);
            t1[2 * n * cp..].fill(0.0);
            t2[2 * n * cp..].fill(0.0);
            for r in 0..n {
                let row = &vals[r][x0..x0 + cp];
                let (done, rest) = t1.split_at_mut(r * cp);
                let (done2, rest2) = t2.split_at_mut(r * cp);
                let (cur, cur2) = (&mut rest[..cp], &mut rest2[..cp]);
                if r == 0 {
                    for c in 0..cp {
                        cur[c] = row[c];
                        cur2[c] = row[c] * row[c];
                    }
                } else {
                    let (prev, prev2) = (&done[(r - 1) * cp..], &done2[(r - 1) * cp..]);
                    for c in 0..cp {
                        cur[c] = prev[c] + row[c];
                        cur2[c] = prev2[c] + row[c] * row[c];
                    }
                }
            }
            for r in (0..n).rev() {
                let row = &vals[r][x0..x0 + cp];
                let at = (n + r) * cp;
                let (done, rest) = t1.split_at_mut(at + cp);
                let (done2, rest2) = t2.split_at_mut(at + cp);
                let (cur, cur2) = (&mut done[at..], &mut done2[at..]);
                if r + 1 == n {
                    for c in 0..cp {
                        cur[c] = row[c];
                        cur2[c] = row[c] * row[c];
                    }
                } else {
                    let (next, next2) = (&rest[..cp], &rest2[..cp]);
                    for c in 0..cp {
                        cur[c] = next[c] + row[c];
                        cur2[c] = next2[c] + row[c] * row[c];
                    }
                }
            }
            // Sub-window rows: 0..b (top row b − 1), s..s + b (summed here), 2s..n (bottom
            // row 2s).
            let (mid, mid2) = (&mut mid[..cp], &mut mid2[..cp]);
            mid.fill(0.0);
            mid2.fill(0.0);
            for row in &vals[s..s + b] {
                let row = &row[x0..x0 + cp];
                for c in 0..cp {
                    mid[c] += row[c];
                    mid2[c] += row[c] * row[c];
                }
            }
            let (t1, t2, mid, mid2) = (&*t1, &*t2, &*mid, &*mid2);
            let block_rows: [(&[f64], &[f64]); 3] = [
                (&t1[(b - 1) * cp..b * cp], &t2[(b - 1) * cp..b * cp]),
                (mid, mid2),
                (
                    &t1[(n + 2 * s) * cp..(n + 2 * s + 1) * cp],
                    &t2[(n + 2 * s) * cp..(n + 2 * s + 1) * cp],
                ),
            ];
            let columns: Vec<Vec<usize>> = half_window_columns(n)
                .iter()
                .map(|c| c.iter().enumerate().map(|(xp, &r)| r * cp + xp).collect())
                .collect();

            for (xl, o) in out[x0..x0 + cw].iter_mut().enumerate() {
                let x = x0 + xl;
                let z = ctx.centre[x];
                if ctx.count[x] == full {
                    // sub-window sums and means
                    let mut s1 = [0.0f64; 9];
                    let mut s2 = [0.0f64; 9];
                    for (j, (r1, r2)) in block_rows.iter().enumerate() {
                        for i in 0..3 {
                            let c0 = xl + i * s;
                            let (mut a1, mut a2) = (0.0, 0.0);
                            for c in c0..c0 + b {
                                a1 += r1[c];
                                a2 += r2[c];
                            }
                            s1[3 * j + i] = a1;
                            s2[3 * j + i] = a2;
                        }
                    }
                    // Directions and sides compare sub-window sums (the means times b²): exact
                    // for f32 data, so exact ties (e.g. rows duplicated by `reflect`) stay exact.
                    let m = |j: usize, i: usize| s1[3 * j + i];
                    let g = [
                        (m(1, 0) - m(1, 2)).abs(),
                        (m(0, 2) - m(2, 0)).abs(),
                        (m(0, 1) - m(2, 1)).abs(),
                        (m(0, 0) - m(2, 2)).abs(),
                    ];
                    let mut dir = 0;
                    for k in 1..4 {
                        if g[k] > g[dir] {
                            dir = k;
                        }
                    }
                    let c = m(1, 1);
                    // the outer sub-windows on the first and the second side
                    let (first, second) = match dir {
                        0 => (m(1, 0), m(1, 2)),
                        1 => (m(0, 2), m(2, 0)),
                        2 => (m(0, 1), m(2, 1)),
                        _ => (m(0, 0), m(2, 2)),
                    };
                    let second_side = (first - c).abs() >= (c - second).abs();
                    let cols = &columns[2 * dir + second_side as usize];
                    let (mut a1, mut a2) = (0.0, 0.0);
                    for &o in cols {
                        a1 += t1[o + xl];
                        a2 += t2[o + xl];
                    }
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
        for n in [5, 7, 9, 11, 13, 15, 17] {
            let (b, s) = block_geometry(n).unwrap();
            assert_eq!(2 * s + b, n);
        }
        assert!(block_geometry(3).is_none());
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
