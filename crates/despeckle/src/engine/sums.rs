//! Window sums: running per-column sums over the window rows, then horizontal box sums
//! (direct for windows up to [`DIRECT_MAX`] wide, running beyond).
//!
//! Running sums add entering and subtract leaving values. Rounding in such a sum is
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
    peak_s2: Vec<f64>,
    /// Box sums of the current row (image width).
    pub count: Vec<f64>,
    pub sum: Vec<f64>,
    pub sum_sq: Vec<f64>,
    /// `count` holds `size²` everywhere (set by a fully valid row, so the next one can skip it).
    count_full: bool,
}

/// Whether a running sum of squares fell far below its peak. (Σx needs no test of its own:
/// for positive data `(Σx)² ≥ Σx²`, so it cannot shrink much further than Σx²; for signed data a
/// small Σx means `μ ≈ 0`, and its absolute error barely moves `σ² = (Σx² − μΣx)/n`.)
#[inline(always)]
fn drifted(s2: f64, peak: f64) -> bool {
    s2 < peak * DRIFT_GUARD
}

impl Sums {
    pub fn new(width: usize, padded_width: usize) -> Self {
        let col = || vec![0.0; padded_width];
        Sums {
            col_n: col(),
            col_s1: col(),
            col_s2: col(),
            peak_s2: col(),
            count: vec![0.0; width],
            sum: vec![0.0; width],
            sum_sq: vec![0.0; width],
            count_full: false,
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
        self.peak_s2[c] = s2;
    }

    /// Recomputes every column sum from the ring rows `order` (top to bottom).
    ///
    /// Row by row (each row added to all columns, so the loop vectorises), in the same order
    /// as [`Sums::direct_column`]: both give the same bits.
    #[inline(always)]
    pub fn refresh_columns(&mut self, ring: &Ring, order: &[usize]) {
        let len = self.col_n.len();
        let (cn, c1, c2) = (
            &mut self.col_n[..len],
            &mut self.col_s1[..len],
            &mut self.col_s2[..len],
        );
        let (first, rest) = order.split_first().expect("a window has at least one row");
        let (v, ok) = (&ring.vals[*first][..len], &ring.valid[*first][..len]);
        for c in 0..len {
            // `0.0 + x`, as a sum from zero gives (−0.0 becomes +0.0)
            cn[c] = 0.0 + ok[c];
            c1[c] = 0.0 + v[c];
            c2[c] = 0.0 + v[c] * v[c];
        }
        for &s in rest {
            let (v, ok) = (&ring.vals[s][..len], &ring.valid[s][..len]);
            for c in 0..len {
                cn[c] += ok[c];
                c1[c] += v[c];
                c2[c] += v[c] * v[c];
            }
        }
        self.peak_s2.copy_from_slice(c2);
    }

    /// Replaces a leaving row (`old`) by an entering one (`new`) in the column sums; returns
    /// whether some column drifted and needs [`Sums::fix_drifted`]. `both_full`: neither row
    /// has an invalid position, so the counts do not change (and are left alone).
    #[inline(always)]
    pub fn replace_row(
        &mut self,
        old: (&[f64], &[f64]),
        new: (&[f64], &[f64]),
        both_full: bool,
    ) -> bool {
        let len = self.col_n.len();
        if !both_full {
            let (ok, nk) = (&old.1[..len], &new.1[..len]);
            for ((n, &o), &k) in self.col_n.iter_mut().zip(ok).zip(nk) {
                *n += k - o;
            }
        }
        let (ov, nv) = (&old.0[..len], &new.0[..len]);
        let (c1, c2) = (&mut self.col_s1[..len], &mut self.col_s2[..len]);
        let p2 = &mut self.peak_s2[..len];
        let mut any = false;
        for c in 0..len {
            c1[c] += nv[c] - ov[c];
            c2[c] += nv[c] * nv[c] - ov[c] * ov[c];
            p2[c] = if c2[c] > p2[c] { c2[c] } else { p2[c] };
            any |= drifted(c2[c], p2[c]);
        }
        any
    }

    /// Recomputes directly the columns whose running sums drifted.
    pub fn fix_drifted(&mut self, ring: &Ring, order: &[usize]) {
        for c in 0..self.col_n.len() {
            if drifted(self.col_s2[c], self.peak_s2[c]) {
                self.direct_column(ring, order, c);
            }
        }
    }

    /// Each pixel's box sums from the column sums: `box[x] = Σ col[x .. x + size]`.
    ///
    /// * Counts are exact small integers, so any order gives the same value: they are summed
    ///   directly ([`window_sums`]), or set to `size²` when `full` (every position of the
    ///   window rows is valid) — and then left alone on the next fully valid rows.
    /// * Σx and Σx² of windows up to [`DIRECT_MAX`] wide are summed directly too, `size − 1`
    ///   additions per pixel in eight SIMD lanes, with no running sum and so no drift.
    /// * Wider windows use [`running_box_sums`]: O(1) per pixel whatever the window size.
    #[inline(always)]
    pub fn horizontal(&mut self, size: usize, full: bool) {
        if full {
            if !self.count_full {
                self.count.fill((size * size) as f64);
                self.count_full = true;
            }
        } else {
            window_sums(&mut self.count, &self.col_n, size);
            self.count_full = false;
        }
        if size <= DIRECT_MAX {
            window_sums(&mut self.sum, &self.col_s1, size);
            window_sums(&mut self.sum_sq, &self.col_s2, size);
        } else {
            running_box_sums(
                (&mut self.sum, &mut self.sum_sq),
                (&self.col_s1, &self.col_s2),
                size,
            );
        }
    }
}

/// The widest window whose horizontal sums are computed directly rather than as running sums.
///
/// A direct sum costs `size − 1` vector additions per eight pixels, a running sum about two
/// scalar additions per pixel plus its drift guard; the choice depends on the size only, so
/// every instruction set gives the same bits.
const DIRECT_MAX: usize = 15;

/// `b[x] = c[x] + c[x + 1] + … + c[x + size − 1]`, added left to right, eight pixels at a time
/// (one AVX-512 register, two AVX2 ones).
#[inline(always)]
fn window_sums(b: &mut [f64], c: &[f64], size: usize) {
    const L: usize = 8;
    let width = b.len();
    let c = &c[..width + size - 1];
    let main = width / L * L;
    for (i, out) in b[..main].chunks_exact_mut(L).enumerate() {
        let x = i * L;
        let mut acc: [f64; L] = c[x..x + L].try_into().expect("L values");
        for k in 1..size {
            let t = &c[x + k..x + k + L];
            for j in 0..L {
                acc[j] += t[j];
            }
        }
        out.copy_from_slice(&acc);
    }
    for x in main..width {
        let mut acc = c[x];
        for &t in &c[x + 1..x + size] {
            acc += t;
        }
        b[x] = acc;
    }
}

/// Running box sums of Σx and Σx² over the column sums, for wide windows.
///
/// The row is cut into blocks of [`REFRESH_COLS`] columns. Each block starts from a direct
/// sum and continues with `box[x] = box[x − 1] + (col[x + size − 1] − col[x − 1])`; the
/// differences are computed row-wide (SIMD) and four blocks are scanned in interleaved
/// chains, so the scan is not latency-bound. A box sum that fell below `DRIFT_GUARD` of the
/// largest window sum its block could have passed through is recomputed directly.
#[inline(always)]
fn running_box_sums(b: (&mut [f64], &mut [f64]), c: (&[f64], &[f64]), size: usize) {
    const B: usize = REFRESH_COLS;
    let ((b1, b2), (c1, c2)) = (b, c);
    let width = b1.len();
    let direct = |c: &[f64], x: usize| c[x..x + size].iter().sum::<f64>();
    // 1. differences (x ≥ 1), direct sums at block starts, running sums within blocks
    box_sums(b1, c1, size);
    box_sums(b2, c2, size);
    // 2. drift guard, block by block
    for x0 in (0..width).step_by(B) {
        let x1 = (x0 + B).min(width);
        let m1 = max_abs(&c1[x0..x1 + size - 1]);
        let m2 = max_abs(&c2[x0..x1 + size - 1]);
        let (t1, t2) = (
            m1 * size as f64 * DRIFT_GUARD,
            m2 * size as f64 * DRIFT_GUARD,
        );
        let low = |s1: f64, s2: f64| (s2 < t2) | (s1.abs() < t1);
        let any = b1[x0 + 1..x1]
            .iter()
            .zip(&b2[x0 + 1..x1])
            .fold(false, |acc, (&s1, &s2)| acc | low(s1, s2));
        if any {
            for x in x0 + 1..x1 {
                if low(b1[x], b2[x]) {
                    b1[x] = direct(c1, x);
                    b2[x] = direct(c2, x);
                }
            }
        }
    }
}

/// Box sums `b[x] = Σ c[x .. x + size]` of one statistic: differences row-wide, a direct sum
/// at each block start, then running sums within blocks (a function, not a closure, so that it
/// is compiled into each instruction-set variant of the caller).
#[inline(always)]
fn box_sums(b: &mut [f64], c: &[f64], size: usize) {
    const B: usize = REFRESH_COLS;
    let width = b.len();
    let w1 = width - 1;
    differences(&mut b[1..], &c[size..size + w1], &c[..w1]);
    for x0 in (0..width).step_by(B) {
        b[x0] = c[x0..x0 + size].iter().sum::<f64>();
    }
    let full_groups = width / (4 * B) * (4 * B);
    for g in b[..full_groups].chunks_exact_mut(4 * B) {
        scan_four_blocks(g);
    }
    for block in b[full_groups..].chunks_mut(B) {
        for j in 1..block.len() {
            block[j] += block[j - 1];
        }
    }
}

/// `out[i] = add[i] − sub[i]`.
#[inline(always)]
fn differences(out: &mut [f64], add: &[f64], sub: &[f64]) {
    for ((o, &a), &s) in out.iter_mut().zip(add).zip(sub) {
        *o = a - s;
    }
}

/// Running sums within each of the four blocks of `REFRESH_COLS` values of `a` (each block's
/// first value is its start), as four independent chains.
#[inline(always)]
fn scan_four_blocks(a: &mut [f64]) {
    const B: usize = REFRESH_COLS;
    let (q0, r) = a.split_at_mut(B);
    let (q1, r) = r.split_at_mut(B);
    let (q2, q3) = r.split_at_mut(B);
    let q3 = &mut q3[..B];
    let mut acc = [q0[0], q1[0], q2[0], q3[0]];
    for j in 1..B {
        acc[0] += q0[j];
        q0[j] = acc[0];
        acc[1] += q1[j];
        q1[j] = acc[1];
        acc[2] += q2[j];
        q2[j] = acc[2];
        acc[3] += q3[j];
        q3[j] = acc[3];
    }
}

/// The largest absolute value (0 for an empty slice), in four lanes so that it vectorises.
#[inline(always)]
fn max_abs(v: &[f64]) -> f64 {
    let mut m = [0.0f64; 4];
    let chunks = v.chunks_exact(4);
    let tail = chunks.remainder();
    for c in chunks {
        for k in 0..4 {
            let a = c[k].abs();
            m[k] = if a > m[k] { a } else { m[k] };
        }
    }
    for &t in tail {
        m[0] = if t.abs() > m[0] { t.abs() } else { m[0] };
    }
    m[0].max(m[1]).max(m[2].max(m[3]))
}
