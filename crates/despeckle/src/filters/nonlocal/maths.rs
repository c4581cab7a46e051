//! The per-row maths of the non-local filter, in `f32` lanes: the guide (log of a local mean),
//! the per-position dissimilarity of a search offset, box sums, weights and the symmetric
//! accumulation. Each function is one branch-free loop over a row, `#[inline(always)]` so the
//! engine's AVX2 / AVX-512 dispatch reaches it.

use crate::sample::Real;

/// Weights whose `D/h` exceeds this are exactly 0 (`exp(−30) ≈ 9.4e−14`): a patch unlike every
/// other one keeps its value, and `f32` never underflows.
pub(crate) const TAU: f32 = 30.0;

/// The floor of every logarithm: `ln max(x, EPS)`, the smallest normal `f32`.
pub(crate) const EPS: f32 = f32::MIN_POSITIVE;

/// `ψ₁(x) = d²/dx² ln Γ(x)` (trigamma) for `x > 0`, to about 1e−12 relative: the recurrence
/// `ψ₁(x) = ψ₁(x + 1) + 1/x²` up to `x ≥ 8`, then the asymptotic series.
pub(crate) fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 8.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let z = 1.0 / (x * x);
    // 1/x + 1/(2x²) + 1/(6x³) − 1/(30x⁵) + 1/(42x⁷) − 1/(30x⁹) + 5/(66x¹¹)
    let series = (1.0 / 6.0
        + z * (-1.0 / 30.0 + z * (1.0 / 42.0 + z * (-1.0 / 30.0 + z * 5.0 / 66.0))))
        / (x * x * x);
    acc + 1.0 / x + 0.5 * z + series
}

/// The guide value of one position: `ln max(b, EPS)`.
#[inline(always)]
pub(crate) fn log_floor(b: f32) -> f32 {
    b.max(EPS).ln()
}

/// `e[q] = va[q]·vb[q+dx]·min((ga[q] − gb[q+dx])², cap)` for `q` in `lo..hi` (0 elsewhere):
/// the dissimilarity of the positions `q` (row a) and `q + d` (row b); `masks` `(va, vb)`,
/// `None` when every position is valid.
///
/// `cap` (above `τ·h`) changes no weight — a patch pair holding one such position has
/// `D ≥ cap > τ·h`, weight 0 either way — and bounds the running sums' magnitudes.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn dissimilarity(
    ga: &[f32],
    gb: &[f32],
    masks: Option<(&[f32], &[f32])>,
    dx: isize,
    lo: usize,
    hi: usize,
    cap: f32,
    e: &mut [f32],
) {
    e[..lo].fill(0.0);
    e[hi..].fill(0.0);
    let sb = (lo as isize + dx) as usize;
    let n = hi - lo;
    let (ga, gb) = (&ga[lo..hi], &gb[sb..sb + n]);
    match masks {
        // every position valid: the same values as with masks of ones, without the products
        None => {
            for (i, o) in e[lo..hi].iter_mut().enumerate() {
                let d = ga[i] - gb[i];
                *o = (d * d).min(cap);
            }
        }
        Some((va, vb)) => {
            let (va, vb) = (&va[lo..hi], &vb[sb..sb + n]);
            for (i, o) in e[lo..hi].iter_mut().enumerate() {
                let d = ga[i] - gb[i];
                *o = (d * d).min(cap) * (va[i] * vb[i]);
            }
        }
    }
}

/// `m[q] = va[q]·vb[q+dx]` for `q` in `lo..hi` (0 elsewhere): whether both positions of the
/// pair are valid.
#[inline(always)]
pub(crate) fn pair_valid(va: &[f32], vb: &[f32], dx: isize, lo: usize, hi: usize, m: &mut [f32]) {
    m[..lo].fill(0.0);
    m[hi..].fill(0.0);
    let sb = (lo as isize + dx) as usize;
    let n = hi - lo;
    let (va, vb) = (&va[lo..hi], &vb[sb..sb + n]);
    for (i, o) in m[lo..hi].iter_mut().enumerate() {
        *o = va[i] * vb[i];
    }
}

/// `acc[q] += a[q] − b[q]`: the running column sum's update.
#[inline(always)]
pub(crate) fn add_sub(acc: &mut [f32], a: &[f32], b: &[f32]) {
    for ((s, &x), &y) in acc.iter_mut().zip(a).zip(b) {
        *s += x - y;
    }
}

/// `acc[q] += a[q]`.
#[inline(always)]
pub(crate) fn add(acc: &mut [f32], a: &[f32]) {
    for (s, &x) in acc.iter_mut().zip(a) {
        *s += x;
    }
}

/// `out[p] = Σ_{k=−r..r} src[p+k]` for `p` in `lo + r .. hi − r` (0 elsewhere): a direct box
/// sum of `2r + 1` terms, added left to right.
#[inline(always)]
pub(crate) fn box_sum(src: &[f32], r: usize, lo: usize, hi: usize, out: &mut [f32]) {
    let (a, b) = (lo + r, hi.saturating_sub(r).max(lo + r));
    let n = out.len();
    out[..a.min(n)].fill(0.0);
    out[b.min(n)..].fill(0.0);
    if a >= b {
        return;
    }
    let out = &mut out[a..b];
    out.copy_from_slice(&src[a - r..b - r]);
    for k in 1..=2 * r {
        for (o, &s) in out.iter_mut().zip(&src[a - r + k..b - r + k]) {
            *o += s;
        }
    }
}

/// The patch-pair weights from the patch sums: `ω = exp(−D·scale)` where `D·scale ≤ τ`,
/// else 0, with `scale = P²/(n·h)` (`n` the valid pairs of the patch pair, `None`: every pair
/// valid, `scale = full`). A patch pair without a valid pair (`n = 0`) weighs 0.
#[inline(always)]
pub(crate) fn weights(d: &mut [f32], n: Option<&[f32]>, p2h: (f32, f32), full: f32) {
    match n {
        None => {
            for v in d.iter_mut() {
                let t = *v * full;
                *v = f32::select(t <= TAU, Real::exp(-t), 0.0);
            }
        }
        Some(n) => {
            let (p2, h) = p2h;
            for (v, &n) in d.iter_mut().zip(n) {
                let t = *v * (p2 / (n * h));
                *v = f32::select(n > 0.0 && t <= TAU, Real::exp(-t), 0.0);
            }
        }
    }
}

/// `Δ[p] = w[p]·(xb[p + dx] − xa[p])` for `p` in `lo..hi` (0 elsewhere): what the pair
/// `(s, s + d)` moves the estimate of `s` (`+Δ`) and of `s + d` (`−Δ`).
#[inline(always)]
pub(crate) fn pair_delta(
    w: &[f32],
    xa: &[f32],
    xb: &[f32],
    dx: isize,
    lo: usize,
    hi: usize,
    delta: &mut [f32],
) {
    delta[..lo].fill(0.0);
    delta[hi..].fill(0.0);
    let sb = (lo as isize + dx) as usize;
    let n = hi - lo;
    let (w, xa, xb) = (&w[lo..hi], &xa[lo..hi], &xb[sb..sb + n]);
    for (i, o) in delta[lo..hi].iter_mut().enumerate() {
        *o = w[i] * (xb[i] - xa[i]);
    }
}

/// One row of accumulators: `N = Σ w·(I(t) − I(s))`, `S = Σ w`, `M = max w` over the pairs
/// `(s, t)` of each pixel `s` of the row.
pub(crate) struct Acc<'a> {
    pub num: &'a mut [f32],
    pub den: &'a mut [f32],
    pub max: &'a mut [f32],
}

impl Acc<'_> {
    /// Adds `sign·Δ[o + x]` and `w[o + x]` for every image column `x`.
    #[inline(always)]
    pub(crate) fn add(&mut self, w: &[f32], delta: &[f32], o: usize, sign: f32) {
        let n = self.num.len();
        let (w, delta) = (&w[o..o + n], &delta[o..o + n]);
        let (num, den, max) = (&mut self.num[..n], &mut self.den[..n], &mut self.max[..n]);
        for x in 0..n {
            let wx = w[x];
            num[x] += sign * delta[x];
            den[x] += wx;
            max[x] = max[x].max(wx);
        }
    }

    /// The finished row: `I(s) + N/(M + S)` (the weighted mean with the centre weighing `M`),
    /// or `I(s)` where `M + S = 0`; `centre` in the image's precision.
    #[inline(always)]
    pub(crate) fn finish(&self, centre: &[f64], out: &mut [f64]) {
        for (x, o) in out.iter_mut().enumerate() {
            let den = self.max[x] + self.den[x];
            let step = f32::select(den > 0.0, self.num[x] / den, 0.0);
            *o = centre[x] + step as f64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigamma_matches_known_values() {
        // ψ₁(1) = π²/6, ψ₁(1/2) = π²/2, ψ₁(9) = π²/6 − Σ_{k=1..8} 1/k²
        let pi2 = std::f64::consts::PI.powi(2);
        assert!((trigamma(1.0) - pi2 / 6.0).abs() < 1e-12);
        assert!((trigamma(0.5) - pi2 / 2.0).abs() < 1e-11);
        let s: f64 = (1..=8).map(|k| 1.0 / (k * k) as f64).sum();
        assert!((trigamma(9.0) - (pi2 / 6.0 - s)).abs() < 1e-12);
        assert!((trigamma(100.0) - 0.010_050_166_663_333_571).abs() < 1e-15);
    }

    #[test]
    fn box_sum_is_a_direct_window_sum() {
        let src: Vec<f32> = (0..20).map(|i| (i * i % 7) as f32).collect();
        let mut out = vec![f32::NAN; 20];
        box_sum(&src, 2, 3, 18, &mut out);
        for (p, &o) in out.iter().enumerate() {
            let want = if (5..16).contains(&p) {
                (p - 2..=p + 2).map(|k| src[k]).sum()
            } else {
                0.0
            };
            assert_eq!(o, want, "{p}");
        }
    }
}
