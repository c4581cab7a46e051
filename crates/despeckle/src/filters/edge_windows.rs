//! The edge-aligned windows of Refined Lee: the 3 × 3 grid of sub-windows, the eight half
//! windows, and the column sums both are read from. Shared by the single-band
//! ([`RefinedLee`](super::RefinedLee)) and the polarimetric
//! ([`PolRefinedLee`](crate::polsar::PolRefinedLee)) filters.
//!
//! A half window is numbered `2·dir + side` (`dir` 0 to 3, `side` 0 or 1), `(x, y)` in
//! `0..n` within the window, `h = n / 2`:
//!
//! | dir | side 0 | side 1 |
//! |-----|--------|--------|
//! | 0 (vertical edge) | left, `x ≤ h` | right, `x ≥ h` |
//! | 1 (diagonal `/`) | `x ≥ y` | `x ≤ y` |
//! | 2 (horizontal edge) | top, `y ≤ h` | bottom, `y ≥ h` |
//! | 3 (diagonal `\`) | `x + y ≤ n − 1` | `x + y ≥ n − 1` |
//!
//! each `n · (h + 1)` pixels, the centre line included.

/// `(block side, block stride)` of the 3 × 3 grid of sub-windows for a window size (ESA SNAP:
/// 7 × 7 uses 3 × 3 blocks at stride 2; the other sizes are SNAP's polarimetric Refined Lee's
/// and PolSARpro's).
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

/// Checks that a window size has edge-aligned windows ([`block_geometry`]).
pub(crate) fn check_size(opts: &crate::Options) -> crate::Result<()> {
    if block_geometry(opts.size()).is_none() {
        return Err(crate::Error::param(
            "size",
            format!(
                "Refined Lee's edge-aligned windows exist for sizes 5, 7, 9, 11, 13, 15 and 17 \
                 (7 is the classic one), got {}",
                opts.size()
            ),
        ));
    }
    Ok(())
}

/// How the half window is chosen from the nine sub-window sums `m[3j + i]` (row `j`,
/// column `i`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EdgeRule {
    /// PolSARpro's and ESA SNAP's polarimetric Refined Lee (Lee, Grunes & de Grandi 1999):
    /// gradients of three sub-windows against the opposite three, `D0` = right column − left
    /// column, `D1` = (m01 + m02 + m12) − (m10 + m20 + m21), `D2` = top row − bottom row,
    /// `D3` = (m00 + m01 + m10) − (m12 + m21 + m22); the direction is the first largest `|D|`,
    /// and the half window the side opposite the gradient's sign (`D > 0`: left, `x ≤ y`,
    /// bottom, `x + y ≥ n − 1`; otherwise right, `x ≥ y`, top, `x + y ≤ n − 1`).
    #[default]
    Gradient,
    /// ESA SNAP's single-band Refined Lee ([`RefinedLee`](super::RefinedLee)): gradients
    /// `|m10 − m12|`, `|m02 − m20|`, `|m01 − m21|`, `|m00 − m22|`, the first largest; the half
    /// window on the side whose outer sub-window is closer to the centre one (ties: side 1).
    Closer,
}

impl EdgeRule {
    /// The half window (`2·dir + side`) for the nine sub-window sums.
    #[inline(always)]
    pub(crate) fn half_window(self, m: &[f64; 9]) -> usize {
        let at = |j: usize, i: usize| m[3 * j + i];
        match self {
            EdgeRule::Closer => {
                let g = [
                    (at(1, 0) - at(1, 2)).abs(),
                    (at(0, 2) - at(2, 0)).abs(),
                    (at(0, 1) - at(2, 1)).abs(),
                    (at(0, 0) - at(2, 2)).abs(),
                ];
                let mut dir = 0;
                for k in 1..4 {
                    if g[k] > g[dir] {
                        dir = k;
                    }
                }
                let c = at(1, 1);
                let (first, second) = match dir {
                    0 => (at(1, 0), at(1, 2)),
                    1 => (at(0, 2), at(2, 0)),
                    2 => (at(0, 1), at(2, 1)),
                    _ => (at(0, 0), at(2, 2)),
                };
                2 * dir + ((first - c).abs() >= (c - second).abs()) as usize
            }
            EdgeRule::Gradient => {
                let d = [
                    (at(0, 2) + at(1, 2) + at(2, 2)) - (at(0, 0) + at(1, 0) + at(2, 0)),
                    (at(0, 1) + at(0, 2) + at(1, 2)) - (at(1, 0) + at(2, 0) + at(2, 1)),
                    (at(0, 0) + at(0, 1) + at(0, 2)) - (at(2, 0) + at(2, 1) + at(2, 2)),
                    (at(0, 0) + at(0, 1) + at(1, 0)) - (at(1, 2) + at(2, 1) + at(2, 2)),
                ];
                let mut dir = 0;
                for k in 1..4 {
                    if d[k].abs() > d[dir].abs() {
                        dir = k;
                    }
                }
                // PolSARpro's masks: 0 right, 4 left; 1 x ≥ y, 5 x ≤ y; 2 top, 6 bottom;
                // 3 x + y ≤ n − 1, 7 x + y ≥ n − 1 (`+ 4` where the gradient is positive)
                let positive = d[dir] > 0.0;
                let side = match dir {
                    0 => !positive as usize,
                    _ => positive as usize,
                };
                2 * dir + side
            }
        }
    }
}

/// For each of the 8 half windows, the row of the column-sum table each window column `x'`
/// takes: `top[r]` = rows `0..=r` is row `r`, `bottom[r]` = rows `r..n` is row `n + r`, and
/// row `2n` is all zeros (a column outside the half window).
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

/// Column sums over the rows of a window, for a chunk of `cp` columns: of the values (`t1`)
/// and optionally of their squares (`t2`), `2n + 1` rows: row `r < n` sums window rows `0..=r`
/// (top down), row `n + r` sums rows `r..n` (bottom up), row `2n` is zero; and the sums over
/// the middle band of sub-window rows `s..s + b`. Additions only: a bright pixel elsewhere in
/// a column leaves no cancellation error in a half column.
#[derive(Debug)]
pub(crate) struct ColumnSums {
    n: usize,
    b: usize,
    s: usize,
    cp: usize,
    squares: bool,
    t1: Vec<f64>,
    t2: Vec<f64>,
    mid: Vec<f64>,
    mid2: Vec<f64>,
    /// For each half window, the table offsets `row · cp + x'` of its window columns.
    columns: Vec<Vec<usize>>,
}

impl ColumnSums {
    /// Tables for windows of side `n` (sub-windows `b` at stride `s`), chunks of at most
    /// `max_cp` columns; `squares`: also sum the squares.
    pub fn new(n: usize, (b, s): (usize, usize), max_cp: usize, squares: bool) -> Self {
        let len = (2 * n + 1) * max_cp;
        ColumnSums {
            n,
            b,
            s,
            cp: 0,
            squares,
            t1: vec![0.0; len],
            t2: if squares { vec![0.0; len] } else { vec![] },
            mid: vec![0.0; max_cp],
            mid2: if squares { vec![0.0; max_cp] } else { vec![] },
            columns: vec![],
        }
    }

    /// Fills the tables from `rows` (the `n` window rows, each already cut to the chunk's
    /// `cp` columns).
    #[inline(always)]
    pub fn fill(&mut self, rows: &[&[f64]], cp: usize) {
        let n = self.n;
        if cp != self.cp {
            self.cp = cp;
            self.columns = half_window_columns(n)
                .iter()
                .map(|c| c.iter().enumerate().map(|(xp, &r)| r * cp + xp).collect())
                .collect();
        }
        let t1 = &mut self.t1[..(2 * n + 1) * cp];
        t1[2 * n * cp..].fill(0.0);
        cumulate(rows, t1, n, cp, |v| v);
        let mid = &mut self.mid[..cp];
        mid.fill(0.0);
        for row in &rows[self.s..self.s + self.b] {
            for c in 0..cp {
                mid[c] += row[c];
            }
        }
        if self.squares {
            let t2 = &mut self.t2[..(2 * n + 1) * cp];
            t2[2 * n * cp..].fill(0.0);
            cumulate(rows, t2, n, cp, |v| v * v);
            let mid2 = &mut self.mid2[..cp];
            mid2.fill(0.0);
            for row in &rows[self.s..self.s + self.b] {
                for c in 0..cp {
                    mid2[c] += row[c] * row[c];
                }
            }
        }
    }

    /// The nine sub-window sums of values and of squares (zeros without squares) of the
    /// window starting at chunk column `xl`.
    #[inline(always)]
    pub fn blocks(&self, xl: usize) -> ([f64; 9], [f64; 9]) {
        let (n, b, s, cp) = (self.n, self.b, self.s, self.cp);
        let mut s1 = [0.0f64; 9];
        let mut s2 = [0.0f64; 9];
        // Sub-window rows: 0..b (top row b − 1), s..s + b (mid), 2s..n (bottom row 2s).
        let r1: [&[f64]; 3] = [
            &self.t1[(b - 1) * cp..b * cp],
            &self.mid[..cp],
            &self.t1[(n + 2 * s) * cp..(n + 2 * s + 1) * cp],
        ];
        for (j, r) in r1.iter().enumerate() {
            for i in 0..3 {
                let c0 = xl + i * s;
                s1[3 * j + i] = r[c0..c0 + b].iter().fold(0.0, |a, &v| a + v);
            }
        }
        if self.squares {
            let r2: [&[f64]; 3] = [
                &self.t2[(b - 1) * cp..b * cp],
                &self.mid2[..cp],
                &self.t2[(n + 2 * s) * cp..(n + 2 * s + 1) * cp],
            ];
            for (j, r) in r2.iter().enumerate() {
                for i in 0..3 {
                    let c0 = xl + i * s;
                    s2[3 * j + i] = r[c0..c0 + b].iter().fold(0.0, |a, &v| a + v);
                }
            }
        }
        (s1, s2)
    }

    /// The sums of values and of squares (0 without squares) over half window `k` of the
    /// window starting at chunk column `xl`.
    #[inline(always)]
    pub fn half(&self, k: usize, xl: usize) -> (f64, f64) {
        let (mut a1, mut a2) = (0.0, 0.0);
        for &o in &self.columns[k] {
            a1 += self.t1[o + xl];
        }
        if self.squares {
            for &o in &self.columns[k] {
                a2 += self.t2[o + xl];
            }
        }
        (a1, a2)
    }
}

/// Top-down (rows `0..n`) and bottom-up (rows `n..2n`) cumulative column sums of `f(value)`.
#[inline(always)]
fn cumulate(rows: &[&[f64]], t: &mut [f64], n: usize, cp: usize, f: impl Fn(f64) -> f64) {
    for r in 0..n {
        let row = &rows[r][..cp];
        let (done, rest) = t.split_at_mut(r * cp);
        let cur = &mut rest[..cp];
        if r == 0 {
            for c in 0..cp {
                cur[c] = f(row[c]);
            }
        } else {
            let prev = &done[(r - 1) * cp..];
            for c in 0..cp {
                cur[c] = prev[c] + f(row[c]);
            }
        }
    }
    for r in (0..n).rev() {
        let row = &rows[r][..cp];
        let at = (n + r) * cp;
        let (done, rest) = t.split_at_mut(at + cp);
        let cur = &mut done[at..];
        if r + 1 == n {
            for c in 0..cp {
                cur[c] = f(row[c]);
            }
        } else {
            let next = &rest[..cp];
            for c in 0..cp {
                cur[c] = next[c] + f(row[c]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every half window holds `n · (h + 1)` pixels and the rules pick the documented sides.
    #[test]
    fn half_windows_and_rules() {
        for n in [5, 7, 9, 11, 13, 15, 17] {
            let (b, s) = block_geometry(n).unwrap();
            assert_eq!(2 * s + b, n);
            let rows: Vec<Vec<f64>> = (0..n).map(|_| vec![1.0; n]).collect();
            let refs: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
            let mut t = ColumnSums::new(n, (b, s), n, true);
            t.fill(&refs, n);
            for k in 0..8 {
                assert_eq!(
                    t.half(k, 0),
                    ((n * (n / 2 + 1)) as f64, (n * (n / 2 + 1)) as f64)
                );
            }
            assert_eq!(t.blocks(0).0, [(b * b) as f64; 9]);
        }
        assert!(block_geometry(3).is_none());
        // a bright right column: Gradient takes the left (dark) half, Closer the right half
        let mut m = [1.0; 9];
        for j in 0..3 {
            m[3 * j + 2] = 5.0;
        }
        assert_eq!(EdgeRule::Gradient.half_window(&m), 0);
        assert_eq!(EdgeRule::Closer.half_window(&m), 0);
        // bright top row: Gradient takes the bottom
        let mut m = [1.0; 9];
        m[..3].fill(5.0);
        assert_eq!(EdgeRule::Gradient.half_window(&m), 5);
        // bright bottom row: the top
        let mut m = [1.0; 9];
        m[6..].fill(5.0);
        assert_eq!(EdgeRule::Gradient.half_window(&m), 4);
        // flat: direction 0, not positive: the right half (PolSARpro's mask 0)
        assert_eq!(EdgeRule::Gradient.half_window(&[1.0; 9]), 1);
    }
}
