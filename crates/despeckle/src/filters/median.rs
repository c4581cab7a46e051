//! The median filter: selection over the window's sorted columns, with a split point that
//! slides along the row.
//!
//! # Algorithm
//!
//! Per output row:
//!
//! 1. **Sorted columns.** Every padded column's `size` values (no-data and outside positions
//!    as `+∞`) are sorted by a Batcher odd–even merge sorting network applied to whole padded
//!    rows at once: `O(size·log² size)` branch-free min/max per column, vectorised across the
//!    columns, each column sorted once per row and shared by the `size` windows that contain
//!    it. Each sorted column is stored contiguously between a `−∞` and a `+∞` guard.
//! 2. **A split of the window.** The window is the `size` sorted columns; a split keeps, per
//!    column, how many of its values lie on the low side (`p[c]`), such that every low value is
//!    `≤` every high value. With `n` valid values, the window's element of rank `n/2`
//!    (0-based) is then the smallest high head `min_c col_c[p[c]]` once `Σp = n/2`, and the
//!    element of rank `n/2 − 1` the largest low tail `max_c col_c[p[c] − 1]`.
//! 3. **Sliding.** Moving one pixel right drops the leaving column's `p` and gives the entering
//!    column `p = #(values < t)`, `t` the previous median (rank `n/2`): the split stays valid.
//!    Then `Σp` is walked to the new `n/2` one value at a time — move the smallest high head
//!    down, or the largest low tail up — each step one `O(size)` scan of the heads and tails.
//!
//! Per pixel this is `O(size)` for the entering column's count and the final scan, plus
//! `O(size)` per step of the walk. The number of steps is the rank shift `|Σp − n/2|` caused by
//! the one column that leaves and the one that enters: at most `size` (so `O(size²)` per
//! pixel in the worst case — a ramp along the row, where each column moves the median by a
//! full column), and on speckle typically about `√size`. The first window of each row is split
//! at its median found by selection (`O(size²)`, once per row). No per-pixel sort or rank
//! update of the whole window. Memory: `(2·size + 3)` lane values per padded column, per row.
//!
//! Exact: the result is a window value (an odd count) or `a/2 + b/2` of the two middle values
//! computed in `f64` and rounded once to the pixel type. Ties need no care (equal values are
//! interchangeable), and no-data never enters a low side (`+∞` is never below `t`, and a
//! walk only moves finite heads: valid values are finite).
use crate::engine::{Filter, RowContext};
use crate::sample::{Real, Sample};

/// The median of the window's valid pixels (an even count gives the mean of the two middle
/// values; ESA SNAP takes the upper one).
///
/// Exact for every border mode and no-data pattern; see the [module documentation](self) for
/// the algorithm (sorted columns shared along the row, and a split of the window that slides
/// with it: `O(size)` per pixel plus `O(size)` per rank step, `O(size²)` worst case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Median;

/// The compare–exchange pairs `(i, j)`, `i < j`, of Batcher's odd–even merge sort for `n`
/// inputs (the power-of-two network restricted to the first `n` wires, which sorts any `n`).
fn sorting_network(n: usize) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    let mut p = 1;
    while p < n {
        let mut k = p;
        while k >= 1 {
            let mut j = k % p;
            while j + k < n {
                for i in 0..k.min(n - j - k) {
                    if (i + j) / (2 * p) == (i + j + k) / (2 * p) {
                        pairs.push((i + j, i + j + k));
                    }
                }
                j += 2 * k;
            }
            k /= 2;
        }
        p *= 2;
    }
    pairs
}

/// The sorted columns of one row's padded window rows.
///
/// Column `j` (padded column index, `0..wp`) is `cols[j·stride .. (j + 1)·stride]`:
/// `−∞`, its `size` values in ascending order (invalid positions as `+∞`, last), `+∞`.
struct Columns<L> {
    cols: Vec<L>,
    /// Valid values per column.
    count: Vec<usize>,
    stride: usize,
}

impl<L: Real> Columns<L> {
    #[inline(always)]
    fn new(vals: &[&[f64]], valid: &[&[f64]], wp: usize) -> Self {
        let size = vals.len();
        let (inf, neg_inf) = (L::from_f64(f64::INFINITY), L::from_f64(f64::NEG_INFINITY));
        // the padded rows in the lane type, invalid as +∞ (row-major: row i at i·wp)
        let mut rows = vec![inf; size * wp];
        let mut count = vec![0.0f64; wp];
        for (dst, (v, ok)) in rows.chunks_exact_mut(wp).zip(vals.iter().zip(valid)) {
            for (((d, &x), &k), c) in dst.iter_mut().zip(&v[..wp]).zip(&ok[..wp]).zip(&mut count) {
                *d = L::select(k != 0.0, L::from_f64(x), inf);
                *c += k;
            }
        }
        // sort every column: compare–exchange whole rows
        for (i, j) in sorting_network(size) {
            let (lo, hi) = rows.split_at_mut(j * wp);
            let (a, b) = (&mut lo[i * wp..(i + 1) * wp], &mut hi[..wp]);
            for (a, b) in a.iter_mut().zip(b.iter_mut()) {
                let (x, y) = (*a, *b);
                *a = L::select(y < x, y, x);
                *b = L::select(y < x, x, y);
            }
        }
        let stride = size + 2;
        let mut cols = vec![inf; stride * wp];
        for (j, col) in cols.chunks_exact_mut(stride).enumerate() {
            col[0] = neg_inf;
            for (i, c) in col[1..=size].iter_mut().enumerate() {
                *c = rows[i * wp + j];
            }
        }
        Columns {
            cols,
            count: count.into_iter().map(|c| c as usize).collect(),
            stride,
        }
    }
}

/// The median (rank `n/2`) of the first window's `n` valid values (`if_empty` when `n = 0`),
/// by selection.
fn first_median<L: Real>(cols: &[L], count: &[usize], n: usize, if_empty: L) -> L {
    if n == 0 {
        return if_empty;
    }
    let stride = cols.len() / count.len();
    let mut v: Vec<L> = Vec::with_capacity(n);
    for (col, &k) in cols.chunks_exact(stride).zip(count) {
        v.extend_from_slice(&col[1..=k]);
    }
    let (_, &mut m, _) = v.select_nth_unstable_by(n / 2, |a, b| {
        a.partial_cmp(b).expect("valid values are finite")
    });
    m
}

impl Filter for Median {
    fn name(&self) -> &'static str {
        "median"
    }

    #[inline(always)]
    fn filter_row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]) {
        let w = out.len();
        if w == 0 {
            return;
        }
        let size = ctx.window.size();
        let wp = w + size - 1;
        let Columns {
            cols,
            count,
            stride,
        } = Columns::<T::Lane>::new(ctx.window.values(), ctx.window.valid(), wp);
        let (inf, neg_inf) = (
            T::Lane::from_f64(f64::INFINITY),
            T::Lane::from_f64(f64::NEG_INFINITY),
        );
        // p[j]: values of padded column j on the low side of the split (j in the window)
        let mut p = vec![0usize; wp];
        let mut n: usize = count[..size].iter().sum();
        // the previous median (rank n/2), the split's value
        let mut t = first_median(&cols[..size * stride], &count[..size], n, neg_inf);
        // the first window's split at t: the values below t, then values equal to t up to n/2
        let mut sp = 0usize; // Σp over the window
        for (j, pj) in p[..size].iter_mut().enumerate() {
            let col = &cols[j * stride + 1..j * stride + 1 + count[j]];
            *pj = col.iter().filter(|&&v| v < t).count();
            sp += *pj;
        }
        for (j, pj) in p[..size].iter_mut().enumerate() {
            let col = &cols[j * stride + 1..j * stride + 1 + count[j]];
            let equal = col
                .iter()
                .filter(|&&v| v == t)
                .count()
                .min(n / 2 - sp.min(n / 2));
            *pj += equal;
            sp += equal;
        }
        for (x, o) in out.iter_mut().enumerate() {
            if x > 0 {
                let (leave, enter) = (x - 1, x - 1 + size);
                sp -= p[leave];
                n = n + count[enter] - count[leave];
                let col = &cols[enter * stride + 1..enter * stride + 1 + size];
                let below = col.iter().map(|&v| (v < t) as usize).sum::<usize>();
                p[enter] = below;
                sp += below;
            }
            let target = n / 2;
            let ps = &mut p[x..x + size];
            let win = &cols[x * stride..(x + size) * stride];
            let (lo, hi) = loop {
                // the smallest high head and the largest low tail, with their columns
                let (mut hmin, mut ch) = (inf, 0);
                let (mut tmax, mut ct) = (neg_inf, 0);
                for (c, (&pc, col)) in ps.iter().zip(win.chunks_exact(stride)).enumerate() {
                    let (tail, head) = (col[pc], col[pc + 1]);
                    ch = if head < hmin { c } else { ch };
                    hmin = T::Lane::select(head < hmin, head, hmin);
                    ct = if tail > tmax { c } else { ct };
                    tmax = T::Lane::select(tail > tmax, tail, tmax);
                }
                if sp < target {
                    ps[ch] += 1;
                    sp += 1;
                } else if sp > target {
                    ps[ct] -= 1;
                    sp -= 1;
                } else {
                    break (tmax, hmin);
                }
            };
            t = hi;
            *o = T::from_f64(if n == 0 {
                f64::NAN
            } else if n % 2 == 1 {
                hi.to_f64()
            } else {
                lo.to_f64() * 0.5 + hi.to_f64() * 0.5
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_sorts_every_zero_one_input() {
        // the 0–1 principle: a comparator network sorts everything if it sorts all 0–1 inputs
        for n in 1..=17 {
            let net = sorting_network(n);
            for bits in 0u32..(1 << n) {
                let mut v: Vec<u32> = (0..n).map(|i| (bits >> i) & 1).collect();
                for &(i, j) in &net {
                    assert!(i < j && j < n);
                    if v[j] < v[i] {
                        v.swap(i, j);
                    }
                }
                assert!(v.windows(2).all(|w| w[0] <= w[1]), "n {n}: {v:?}");
            }
        }
    }
}
