//! The median filter, with the window kept sorted as it slides along the row.

use crate::engine::{Filter, RowContext};
use crate::sample::{Real, Sample};

/// The median of the window's valid pixels (an even count gives the mean of the two middle
/// values; ESA SNAP takes the upper one).
///
/// Exact, and without re-sorting: the window's values sit in fixed slots (a ring of `size`
/// columns) next to their ranks, i.e. the window's sorted order. Moving one column to the
/// right replaces the `size` values of the leaving column with those of the entering one:
/// each remaining value moves down one rank per leaving value ranked below it and up one
/// rank per entering value not above it, and an entering value's rank counts the values below
/// it — branch-free SIMD compares over the `size²` ranks, `size` per rank, whatever the data.
/// The median is the value of rank `(n − 1)/2` (and `n/2`). Invalid positions have the rank
/// `+∞`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Median;

/// The slot arrays' length is a multiple of this (whole SIMD vectors).
const V: usize = 16;

/// The window: values and their ranks (0-based order among the valid values; `+∞` for an
/// invalid position and for the padding slots).
struct Ranked<L> {
    value: Vec<L>,
    rank: Vec<L>,
    /// Number of valid values.
    len: usize,
}

impl<L: Real> Ranked<L> {
    fn new(size: usize, inf: L) -> Self {
        let cap = (size * size).div_ceil(V) * V;
        Ranked {
            value: vec![inf; cap],
            rank: vec![inf; cap],
            len: 0,
        }
    }

    /// Puts `new` (`None`: an invalid position) in slot `p`, in place of its value.
    #[cfg(test)]
    fn replace(&mut self, p: usize, new: Option<L>, inf: L) {
        let mut gone = Vec::new();
        let mut entering = Vec::new();
        self.replace_slots(p, &[new], inf, &mut gone, &mut entering);
    }

    /// Puts `new[i]` (`None`: an invalid position) in slot `first + i`, in place of the
    /// values there: one pass removes all the leaving values (a value moves down one rank per
    /// leaving value ranked below it), one pass inserts all the entering ones (a value moves
    /// up one rank per entering value not above it; an entering value's rank counts the
    /// values below it, the entering values below it, and the equal entering values before
    /// it). Independent SIMD compares, no dependency from one row's value to the next.
    #[inline(always)]
    fn replace_slots(
        &mut self,
        first: usize,
        new: &[Option<L>],
        inf: L,
        gone: &mut Vec<L>,
        entering: &mut Vec<(usize, L)>,
    ) {
        let (zero, one) = (L::ZERO, L::ONE);
        gone.clear();
        entering.clear();
        for (i, v) in new.iter().enumerate() {
            let p = first + i;
            if self.rank[p] != inf {
                gone.push(self.rank[p]);
            }
            self.value[p] = inf;
            self.rank[p] = inf;
            if let Some(v) = v {
                entering.push((p, *v));
            }
        }
        if !gone.is_empty() {
            for rs in self.rank.chunks_exact_mut(V) {
                let mut down = [zero; V];
                for &g in gone.iter() {
                    for i in 0..V {
                        down[i] = down[i] + L::select(rs[i] > g, one, zero);
                    }
                }
                for i in 0..V {
                    rs[i] = rs[i] - down[i];
                }
            }
        }
        if !entering.is_empty() {
            // ranks of the entering values among the remaining ones and each other
            let mut ranks = [0u32; 64];
            let mut big = Vec::new();
            let ranks: &mut [u32] = if entering.len() <= 64 {
                &mut ranks[..entering.len()]
            } else {
                big.resize(entering.len(), 0u32);
                &mut big
            };
            for (j, &(_, e)) in entering.iter().enumerate() {
                let mut below = 0u32;
                for &x in self.value.iter() {
                    below += (x < e) as u32;
                }
                for (i, &(_, f)) in entering.iter().enumerate() {
                    below += ((f < e) | ((f == e) & (i < j))) as u32;
                }
                ranks[j] = below;
            }
            for (rs, xs) in self
                .rank
                .chunks_exact_mut(V)
                .zip(self.value.chunks_exact(V))
            {
                let mut up = [zero; V];
                for &(_, e) in entering.iter() {
                    for i in 0..V {
                        up[i] = up[i] + L::select(e <= xs[i], one, zero);
                    }
                }
                for i in 0..V {
                    rs[i] = rs[i] + up[i];
                }
            }
            for (&(p, e), &r) in entering.iter().zip(ranks.iter()) {
                self.value[p] = e;
                self.rank[p] = L::from_f64(r as f64);
            }
        }
        self.len = self.len + entering.len() - gone.len();
    }

    /// The value of rank `k` (present).
    #[inline(always)]
    fn at_rank(&self, k: L) -> f64 {
        // one partial result per lane (a single float accumulator would not vectorise);
        // exactly one slot has rank k
        let mut lanes = [L::ZERO; V];
        for (xs, rs) in self.value.chunks_exact(V).zip(self.rank.chunks_exact(V)) {
            for i in 0..V {
                lanes[i] = L::select(rs[i] == k, xs[i], lanes[i]);
            }
        }
        let mut v = L::ZERO;
        for l in lanes {
            v = L::select(l != L::ZERO, l, v);
        }
        v.to_f64()
    }

    #[inline(always)]
    fn median(&self) -> f64 {
        let n = self.len;
        if n == 0 {
            return f64::NAN;
        }
        let k = L::from_f64((n / 2) as f64);
        if n % 2 == 1 {
            self.at_rank(k)
        } else {
            self.at_rank(k - L::ONE) * 0.5 + self.at_rank(k) * 0.5
        }
    }
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
        let (vals, valid) = (ctx.window.values(), ctx.window.valid());
        let size = ctx.window.size();
        let inf = T::Lane::from_f64(f64::INFINITY);
        let mut win = Ranked::new(size, inf);
        // The first window; slot of (row dy, window column c) is c·size + dy. Ranks by one
        // sort (values are exact in the lane type: they come from `T`).
        let mut order: Vec<(T::Lane, usize)> = Vec::with_capacity(size * size);
        for (dy, (row, ok)) in vals.iter().zip(valid).enumerate() {
            for c in 0..size {
                if ok[c] != 0.0 {
                    let v = T::Lane::from_f64(row[c]);
                    win.value[c * size + dy] = v;
                    order.push((v, c * size + dy));
                }
            }
        }
        order.sort_unstable_by(|a, b| a.0.partial_cmp(&b.0).expect("no NaN in the window"));
        for (r, &(_, p)) in order.iter().enumerate() {
            win.rank[p] = T::Lane::from_f64(r as f64);
        }
        win.len = order.len();
        out[0] = T::from_f64(win.median());
        let mut column = vec![None; size];
        let (mut gone, mut entering) = (Vec::with_capacity(size), Vec::with_capacity(size));
        for (x, o) in out.iter_mut().enumerate().skip(1) {
            // window column x − 1 leaves, x − 1 + size enters, in the same slots
            let enter = x - 1 + size;
            for (c, (row, ok)) in column.iter_mut().zip(vals.iter().zip(valid)) {
                *c = (ok[enter] != 0.0).then(|| T::Lane::from_f64(row[enter]));
            }
            let first = ((x - 1) % size) * size;
            win.replace_slots(first, &column, inf, &mut gone, &mut entering);
            *o = T::from_f64(win.median());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted_values(w: &Ranked<f64>) -> Vec<f64> {
        let mut v: Vec<(f64, f64)> = w
            .rank
            .iter()
            .zip(&w.value)
            .filter(|(r, _)| r.is_finite())
            .map(|(&r, &x)| (r, x))
            .collect();
        v.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
        // ranks are 0..len
        assert!(v.iter().enumerate().all(|(i, r)| r.0 == i as f64), "{v:?}");
        v.into_iter().map(|(_, x)| x).collect()
    }

    #[test]
    fn rank_replacement() {
        let inf = f64::INFINITY;
        let mut w = Ranked::new(3, inf);
        for (p, v) in [5.0, 1.0, 3.0, 8.0, 2.0].into_iter().enumerate() {
            w.replace(p, Some(v), inf);
        }
        assert_eq!(sorted_values(&w), [1.0, 2.0, 3.0, 5.0, 8.0]);
        assert_eq!(w.median(), 3.0);
        w.replace(4, Some(6.0), inf); // 2 → 6
        assert_eq!(sorted_values(&w), [1.0, 3.0, 5.0, 6.0, 8.0]);
        w.replace(1, None, inf); // remove 1
        assert_eq!(sorted_values(&w), [3.0, 5.0, 6.0, 8.0]);
        assert_eq!(w.median(), 5.5);
        w.replace(1, Some(5.0), inf); // duplicate
        assert_eq!(sorted_values(&w), [3.0, 5.0, 5.0, 6.0, 8.0]);
        assert_eq!(w.median(), 5.0);
        w.replace(6, None, inf); // an empty slot stays empty
        assert_eq!(w.len, 5);
        let mut one = Ranked::new(3, inf);
        one.replace(0, Some(7.0), inf);
        assert_eq!(one.median(), 7.0);
        one.replace(0, None, inf);
        assert!(one.median().is_nan());
    }
}
