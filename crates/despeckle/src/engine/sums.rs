//! Running window sums: per-column sums over the window rows, then horizontal box sums.
//!
//! Both running sums add entering and subtract leaving values. Rounding in such a sum is
//! proportional to the largest partial sum it went through, so after a bright point target has
//! left a window over a dark area the residue could swamp the dark area's own sums. Each
//! running sum therefore tracks the peak magnitude it reached since it was last computed
//! directly, and is recomputed directly whenever it falls below `peak · DRIFT_GUARD`; it is
//! also recomputed at fixed positions ([`REFRESH_ROWS`](super::REFRESH_ROWS),
//! [`REFRESH_COLS`]). The rounding error of every sum is thus at most about
//! `steps · ε · sum / DRIFT_GUARD` with `steps ≤ 128`, and every decision depends on the pixel
//! position only, never on where a band or block starts.

use super::{REFRESH_COLS, ring::Ring};

/// A running sum is recomputed when it falls below this fraction of its peak.
const DRIFT_GUARD: f64 = 1.0 / 4096.0;

/// Per-column sums of the window rows (padded width) and the per-pixel box sums of a row.
#[derive(Debug)]
pub(crate) struct Sums {
    col_n: Vec<f64>,
    col_s1: Vec<f64>,
    col_s2: Vec<f64>,
    peak_s1: Vec<f64>,
    peak_s2: Vec<f64>,
    /// Box sums of the current row (image width).
    pub count: Vec<f64>,
    pub sum: Vec<f64>,
    pub sum_sq: Vec<f64>,
}

#[inline(always)]
fn drifted(s1: f64, s2: f64, p1: f64, p2: f64) -> bool {
    (s2 < p2 * DRIFT_GUARD) | (s1.abs() < p1 * DRIFT_GUARD)
}

impl Sums {
    pub fn new(width: usize, padded_width: usize) -> Self {
        let col = || vec![0.0; padded_width];
        Sums {
            col_n: col(),
            col_s1: col(),
            col_s2: col(),
            peak_s1: col(),
            peak_s2: col(),
            count: vec![0.0; width],
            sum: vec![0.0; width],
            sum_sq: vec![0.0; width],
        }
    }

    /// Sums column `c` of the ring rows `order` (top to bottom) directly.
    #[inline(always)]
    fn direct_column(&mut self, ring: &Ring, order: &[usize], c: usize) {
        let (mut n, mut s1, mut s2) = (0.0, 0.0, 0.0);
        for &s in order {
            let x = ring.vals[s][c];
            n += ring.valid[s][c];
            s1 += x;
            s2 += x * x;
        }
        self.col_n[c] = n;
        self.col_s1[c] = s1;
        self.col_s2[c] = s2;
        self.peak_s1[c] = s1.abs();
        self.peak_s2[c] = s2;
    }

    /// Recomputes every column sum from the ring rows `order` (top to bottom).
    #[inline(always)]
    pub fn refresh_columns(&mut self, ring: &Ring, order: &[usize]) {
        for c in 0..self.col_n.len() {
            self.direct_column(ring, order, c);
        }
    }

    /// Replaces a leaving row (`old`) by an entering one (`new`) in the column sums; returns
    /// whether some column drifted and needs [`Sums::fix_drifted`].
    #[inline(always)]
    pub fn replace_row(&mut self, old: (&[f64], &[f64]), new: (&[f64], &[f64])) -> bool {
        let len = self.col_n.len();
        let (ov, ok) = (&old.0[..len], &old.1[..len]);
        let (nv, nk) = (&new.0[..len], &new.1[..len]);
        let (cn, c1, c2) = (
            &mut self.col_n[..len],
            &mut self.col_s1[..len],
            &mut self.col_s2[..len],
        );
        let (p1, p2) = (&mut self.peak_s1[..len], &mut self.peak_s2[..len]);
        let mut any = false;
        for c in 0..len {
            cn[c] += nk[c] - ok[c];
            c1[c] += nv[c] - ov[c];
            c2[c] += nv[c] * nv[c] - ov[c] * ov[c];
            p1[c] = p1[c].max(c1[c].abs());
            p2[c] = p2[c].max(c2[c]);
            any |= drifted(c1[c], c2[c], p1[c], p2[c]);
        }
        any
    }

    /// Recomputes directly the columns whose running sums drifted.
    pub fn fix_drifted(&mut self, ring: &Ring, order: &[usize]) {
        for c in 0..self.col_n.len() {
            if drifted(
                self.col_s1[c],
                self.col_s2[c],
                self.peak_s1[c],
                self.peak_s2[c],
            ) {
                self.direct_column(ring, order, c);
            }
        }
    }

    /// Slides a `size`-wide window over the column sums to get each pixel's box sums.
    #[inline(always)]
    pub fn horizontal(&mut self, size: usize) {
        let width = self.count.len();
        let (cn, c1, c2) = (&self.col_n, &self.col_s1, &self.col_s2);
        let direct = |x: usize| {
            let (mut n, mut s1, mut s2) = (0.0, 0.0, 0.0);
            for c in x..x + size {
                n += cn[c];
                s1 += c1[c];
                s2 += c2[c];
            }
            (n, s1, s2)
        };
        let (mut n, mut s1, mut s2) = (0.0, 0.0, 0.0);
        let (mut p1, mut p2) = (0.0f64, 0.0f64);
        for x in 0..width {
            if x % REFRESH_COLS == 0 {
                (n, s1, s2) = direct(x);
                (p1, p2) = (s1.abs(), s2);
            } else {
                let (add, sub) = (x + size - 1, x - 1);
                n += cn[add] - cn[sub];
                s1 += c1[add] - c1[sub];
                s2 += c2[add] - c2[sub];
                p1 = p1.max(s1.abs());
                p2 = p2.max(s2);
                if drifted(s1, s2, p1, p2) {
                    (n, s1, s2) = direct(x);
                    (p1, p2) = (s1.abs(), s2);
                }
            }
            self.count[x] = n;
            self.sum[x] = s1;
            self.sum_sq[x] = s2;
        }
    }
}
