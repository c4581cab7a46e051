//! The median filter: selection over the window's sorted columns, with a split of the window
//! that slides along the row (see [`Median`]).
use crate::engine::{Filter, RowContext};
use crate::sample::{Real, Sample};

/// The median of the window's valid pixels (an even count gives the mean of the two middle
/// values; ESA SNAP takes the upper one).
///
/// Exact for every border mode and no-data pattern: the result is a window value (odd count)
/// or `a/2 + b/2` of the two middle values computed in `f64` and rounded once to the pixel
/// type.
///
/// # Algorithm
///
/// Per output row:
///
/// 1. **Sorted columns.** Every padded column's `size` values (no-data and outside positions
///    as `+∞`) are sorted by a Batcher odd–even merge sorting network applied to whole padded
///    rows at once: `O(size·log² size)` branch-free min/max per column, vectorised across the
///    columns; each column is sorted once per row and shared by the `size` windows that
///    contain it. Each sorted column is stored contiguously between a `−∞` and a `+∞` guard.
/// 2. **A split of the window.** The window is `size` sorted columns; the split keeps, per
///    column, how many of its values are on the low side (`p[c]`), every low value `≤` every
///    high value. With `n` valid values and `Σp = n/2`, the window's element of rank `n/2`
///    (0-based) is the smallest high head `min_c col_c[p[c]]`, and the element of rank
///    `n/2 − 1` the largest low tail `max_c col_c[p[c] − 1]`.
/// 3. **Sliding.** Moving one pixel right drops the leaving column's `p` and gives the
///    entering column `p = #(values < t)`, `t` the previous median (rank `n/2`); the split
///    stays valid. `Σp` is then walked to the new `n/2` one value at a time — the smallest
///    high head moves to the low side, or the largest low tail to the high side — each step
///    one `O(size)` scan that also finds the runner-up, so that the last step leaves both
///    middle values known without another scan.
///
/// **Cost per pixel:** `O(size)` for the entering column's count, plus one `O(size)` scan per
/// step of the walk (at least one). The number of steps is the rank shift `|Σp − n/2|` caused
/// by the one column that leaves and the one that enters: at most about `size`, hence
/// `O(size²)` in the worst case (a ramp along the row, where every column moves the median by
/// a whole column) and a few steps on speckle (the difference of two columns' counts below the
/// median, of the order of `√size`). Plus the amortised column sort above, and once per row the
/// first window's split, found by selection (`O(size²)`). No per-pixel sort, and no per-pixel
/// update of the whole window. Memory: `2·size + 3` values per padded column of the row.
///
/// Ties need no care (equal values are interchangeable), and no-data never enters the low
/// side: `+∞` is never below `t`, and the walk only moves finite values (valid values are
/// finite).
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

    /// The padded rows sorted by column, twice (`2·size + 2` rows of lanes, counted as `f64`),
    /// three index rows, and the first window's values.
    fn scratch_bytes(&self, width: usize, size: usize) -> usize {
        let wp = width + size - 1;
        8 * ((2 * size + 2) * wp + 3 * wp + size * size) + 16 * 8 * width
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
        let neg_inf = T::Lane::from_f64(f64::NEG_INFINITY);
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
            // Walk Σp to the target. Each scan also finds the runner-up, so that after moving
            // the extreme value the new extreme is known without another scan: the moved value
            // is the new extreme of the other side (it was beyond every value there).
            let (lo, hi);
            if sp < target {
                loop {
                    // the smallest high head moves to the low side
                    let (m, c, second) = smallest_heads(ps, win, stride);
                    ps[c] += 1;
                    sp += 1;
                    if sp == target {
                        lo = m;
                        let next = win[c * stride + ps[c] + 1];
                        hi = T::Lane::select(next < second, next, second);
                        break;
                    }
                }
            } else if sp > target {
                loop {
                    // the largest low tail moves to the high side
                    let (m, c, second) = largest_tails(ps, win, stride);
                    ps[c] -= 1;
                    sp -= 1;
                    if sp == target {
                        hi = m;
                        let next = win[c * stride + ps[c]];
                        lo = T::Lane::select(next > second, next, second);
                        break;
                    }
                }
            } else {
                hi = smallest_heads(ps, win, stride).0;
                lo = if n.is_multiple_of(2) {
                    largest_tails(ps, win, stride).0
                } else {
                    hi
                };
            }
            t = hi;
            *o = T::from_f64(if n == 0 {
                f64::NAN
            } else if n % 2 == 1 {
                hi.to_f64()
            } else {
                // the correctly rounded midpoint: `lo + hi` rounds once and halving is exact
                // (subnormal sums are exact); halves first only where the sum overflows
                // (halving an odd subnormal would round, and could leave [lo, hi])
                let (lo, hi) = (lo.to_f64(), hi.to_f64());
                let sum = lo + hi;
                if sum.is_finite() {
                    sum * 0.5
                } else {
                    lo * 0.5 + hi * 0.5
                }
            });
        }
    }
}

/// The smallest high head `col[p + 1]` of the window's columns, its column, and the second
/// smallest (`+∞` for one column).
#[inline(always)]
fn smallest_heads<L: Real>(ps: &[usize], win: &[L], stride: usize) -> (L, usize, L) {
    let inf = L::from_f64(f64::INFINITY);
    let (mut m, mut at, mut second) = (win[1 + ps[0]], 0, inf);
    for (c, (&pc, col)) in ps.iter().zip(win.chunks_exact(stride)).enumerate().skip(1) {
        let h = col[pc + 1];
        let below = h < m;
        second = L::select(below, m, L::select(h < second, h, second));
        at = if below { c } else { at };
        m = L::select(below, h, m);
    }
    (m, at, second)
}

/// The largest low tail `col[p]` of the window's columns (`−∞` for an empty low side), its
/// column, and the second largest (`−∞` for one column).
#[inline(always)]
fn largest_tails<L: Real>(ps: &[usize], win: &[L], stride: usize) -> (L, usize, L) {
    let neg_inf = L::from_f64(f64::NEG_INFINITY);
    let (mut m, mut at, mut second) = (win[ps[0]], 0, neg_inf);
    for (c, (&pc, col)) in ps.iter().zip(win.chunks_exact(stride)).enumerate().skip(1) {
        let v = col[pc];
        let above = v > m;
        second = L::select(above, m, L::select(v > second, v, second));
        at = if above { c } else { at };
        m = L::select(above, v, m);
    }
    (m, at, second)
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
