//! The per-row maths of the non-local filter, in `f32` lanes: the guide (log of a local mean),
//! the per-position dissimilarity of a search offset, box sums, weights and the symmetric
//! accumulation. Each function is one branch-free loop over a row, `#[inline(always)]` so the
//! engine's AVX2 / AVX-512 dispatch reaches it.

use super::aligned::Aligned;
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

/// [`log_floor`] of a value in the image's precision: the same bits wherever `b` rounds to a
/// finite `f32`, and `ln b` computed in `f64` beyond (a `float64` value above `f32`'s range,
/// whose log `f32` holds: up to 709.8).
#[inline(always)]
pub(crate) fn log_floor_wide(b: f64) -> f32 {
    let narrow = b as f32;
    if narrow.is_finite() {
        log_floor(narrow)
    } else {
        b.max(EPS as f64).ln() as f32
    }
}

/// The ENL the pilot's variance trusts at most, `E₀` (docs/nonlocal.md §3).
pub(crate) const E0: f64 = 50.0;

/// Pass 2's flat top `φ`: the part `φ·P₂²` of `D` costs nothing (docs/nonlocal.md §3).
pub(crate) const FLAT: f64 = 1.5;

/// `u² = 1/(2v)` of a pilot value from its pass-1 sums `M`, `S`, `Q = Σ w²`: the pilot's
/// log-variance `v = (1/E + 1/E₀)/L`, `E = (M + S)²/(M² + Q)` the ENL of its weights (centre
/// weight included), and `v = 1/(E₀·L)` when `M + S = 0` (no positive weight: a point target
/// keeps its isolation). In `f64`, rounded once.
#[inline(always)]
pub(crate) fn pilot_scale(m: f32, s: f32, q: f32, looks: f64) -> f32 {
    let (m, s, q) = (m as f64, s as f64, q as f64);
    let ms = m + s;
    let v = if ms > 0.0 {
        ((m * m + q) / (ms * ms) + 1.0 / E0) / looks
    } else {
        1.0 / (E0 * looks)
    };
    (0.5 / v) as f32
}

/// `E₀·L/2`, the `u²` of a value with no noise left: a pilot value pass 1 returned unchanged
/// (no positive weight, or a point target; no weighted mean gets it) and the border's
/// constant.
pub(crate) fn alone_scale(looks: f64) -> f32 {
    pilot_scale(0.0, 0.0, 0.0, looks)
}

/// The dissimilarity of two positions: `min((ga − gb)², cap)`, or with `S` (pass 2)
/// `min((ga − gb)²·max(ua, ub), cap)` (`ua`, `ub` the pilot's `u²`).
///
/// `cap` (above `τ·h + φ·P²`) changes no weight — a patch pair holding one such position has
/// `D ≥ cap`, `(D − φ·P²)/h > τ`, weight 0 either way — and bounds the running sums'
/// magnitudes. (Here and below `Real::min`/`Real::max`, one instruction each, not `f32`'s
/// NaN-aware ones, three each: no value of these loops is NaN.)
#[inline(always)]
fn e<const S: bool>(ga: f32, gb: f32, ua: f32, ub: f32, cap: f32) -> f32 {
    let d = ga - gb;
    if S {
        Real::min(d * d * Real::max(ua, ub), cap)
    } else {
        Real::min(d * d, cap)
    }
}

/// One pair of rows `(a, b)` of one offset `d = (d_y, d_x)`, as the column loop reads it:
/// `ga[i]`, `va[i]`, `ua[i]` the guide, validity and scale `u²` of position `i` on row `a`,
/// `gb[i]`, `vb[i]`, `ub[i]` those of `i + d` on row `b` (the slices start at the first
/// position handled); `masks`: `None` when every position is valid; `scales`: empty slices
/// unless the pass scales `e` (pass 2).
#[derive(Clone, Copy)]
pub(crate) struct PairRows<'a> {
    pub ga: &'a [f32],
    pub gb: &'a [f32],
    pub masks: Option<(&'a [f32], &'a [f32])>,
    pub scales: (&'a [f32], &'a [f32]),
}

impl PairRows<'_> {
    /// `e` of the first `n` positions, in an iterator the loops below fuse.
    #[inline(always)]
    fn e<const S: bool>(&self, n: usize, cap: f32) -> impl Iterator<Item = f32> + '_ {
        let (ga, gb) = (&self.ga[..n], &self.gb[..n]);
        let (va, vb) = match self.masks {
            Some((va, vb)) => (&va[..n], &vb[..n]),
            None => (&ga[..0], &gb[..0]),
        };
        let (ua, ub) = if S {
            (&self.scales.0[..n], &self.scales.1[..n])
        } else {
            (&ga[..0], &gb[..0])
        };
        let masked = self.masks.is_some();
        (0..n).map(move |i| {
            let v = if S {
                e::<true>(ga[i], gb[i], ua[i], ub[i], cap)
            } else {
                e::<false>(ga[i], gb[i], 0.0, 0.0, cap)
            };
            // every position valid: the same values as with masks of ones, without the products
            if masked { v * (va[i] * vb[i]) } else { v }
        })
    }
}

/// `cs[i] = Σ_k e_k[i]` over the `P` row pairs `rows` (top to bottom, added in that order):
/// the column sums recomputed directly.
#[inline(always)]
pub(crate) fn column_sums<const S: bool>(cs: &mut [f32], rows: &[PairRows<'_>], cap: f32) {
    let n = cs.len();
    for (k, r) in rows.iter().enumerate() {
        match (k, r.masks) {
            // every position valid: plain indexed loops (the iterator below is left scalar
            // and out of line when the scales are read)
            (_, None) => {
                let (ga, gb) = (&r.ga[..n], &r.gb[..n]);
                let (ua, ub) = if S {
                    (&r.scales.0[..n], &r.scales.1[..n])
                } else {
                    (&ga[..0], &gb[..0])
                };
                let ev = |i: usize| {
                    if S {
                        e::<true>(ga[i], gb[i], ua[i], ub[i], cap)
                    } else {
                        e::<false>(ga[i], gb[i], 0.0, 0.0, cap)
                    }
                };
                if k == 0 {
                    for (i, s) in cs.iter_mut().enumerate() {
                        *s = ev(i);
                    }
                } else {
                    for (i, s) in cs.iter_mut().enumerate() {
                        *s += ev(i);
                    }
                }
            }
            (0, _) => {
                for (s, v) in cs.iter_mut().zip(r.e::<S>(n, cap)) {
                    *s = v;
                }
            }
            _ => {
                for (s, v) in cs.iter_mut().zip(r.e::<S>(n, cap)) {
                    *s += v;
                }
            }
        }
    }
}

/// `cs[i] += e_new[i] − e_old[i]`: the running column sums move down one row; with masks, the
/// running [`valid_counts`] in `counts` too, `n[i] += va_new[i]·vb_new[i] − va_old[i]·vb_old[i]`
/// (whole numbers, so exactly the counts [`valid_counts`] gives), in the same loop.
#[inline(always)]
pub(crate) fn column_sums_step<const S: bool>(
    cs: &mut [f32],
    counts: &mut [f32],
    new: PairRows<'_>,
    old: PairRows<'_>,
    cap: f32,
) {
    let n = cs.len();
    match (new.masks, old.masks) {
        (None, None) if !S => {
            let (na, nb) = (&new.ga[..n], &new.gb[..n]);
            let (oa, ob) = (&old.ga[..n], &old.gb[..n]);
            for i in 0..n {
                cs[i] += e::<false>(na[i], nb[i], 0.0, 0.0, cap)
                    - e::<false>(oa[i], ob[i], 0.0, 0.0, cap);
            }
        }
        (None, None) => {
            let (na, nb) = (&new.ga[..n], &new.gb[..n]);
            let (oa, ob) = (&old.ga[..n], &old.gb[..n]);
            let (nua, nub) = (&new.scales.0[..n], &new.scales.1[..n]);
            let (oua, oub) = (&old.scales.0[..n], &old.scales.1[..n]);
            for i in 0..n {
                cs[i] += e::<true>(na[i], nb[i], nua[i], nub[i], cap)
                    - e::<true>(oa[i], ob[i], oua[i], oub[i], cap);
            }
        }
        (Some((nva, nvb)), Some((ova, ovb))) => {
            // as `PairRows::e` with masks, in indexed loops the compiler vectorises (the
            // iterators were left scalar)
            let counts = &mut counts[..n];
            let (na, nb) = (&new.ga[..n], &new.gb[..n]);
            let (oa, ob) = (&old.ga[..n], &old.gb[..n]);
            let (nva, nvb, ova, ovb) = (&nva[..n], &nvb[..n], &ova[..n], &ovb[..n]);
            let (nua, nub, oua, oub) = if S {
                let (nu, ou) = (new.scales, old.scales);
                (&nu.0[..n], &nu.1[..n], &ou.0[..n], &ou.1[..n])
            } else {
                (&na[..0], &nb[..0], &oa[..0], &ob[..0])
            };
            for i in 0..n {
                let (x, y) = if S {
                    (
                        e::<true>(na[i], nb[i], nua[i], nub[i], cap),
                        e::<true>(oa[i], ob[i], oua[i], oub[i], cap),
                    )
                } else {
                    (
                        e::<false>(na[i], nb[i], 0.0, 0.0, cap),
                        e::<false>(oa[i], ob[i], 0.0, 0.0, cap),
                    )
                };
                let (vn, vo) = (nva[i] * nvb[i], ova[i] * ovb[i]);
                cs[i] += x * vn - y * vo;
                counts[i] += vn - vo;
            }
        }
        _ => unreachable!("the rows of one block are all masked or none"),
    }
}

/// `n[i] = Σ_k va_k[i]·vb_k[i]` over the `P` row pairs `rows` (each with masks): how many
/// pairs of each column of the patch pair are valid.
#[inline(always)]
pub(crate) fn valid_counts(n: &mut [f32], rows: &[PairRows<'_>]) {
    let len = n.len();
    for (k, r) in rows.iter().enumerate() {
        let (va, vb) = r.masks.expect("masks");
        let (va, vb) = (&va[..len], &vb[..len]);
        if k == 0 {
            for i in 0..len {
                n[i] = va[i] * vb[i];
            }
        } else {
            for i in 0..len {
                n[i] += va[i] * vb[i];
            }
        }
    }
}

/// `out[i] = Σ_{k=0..2r} src[i + k]` for every `i` of `out` (`src` holds `out.len() + 2r`
/// values): a direct box sum, added left to right (in `f32` for the weights, in `f64` for the
/// guide's local mean).
#[inline(always)]
pub(crate) fn box_sum<T: Real>(src: &[T], r: usize, out: &mut [T]) {
    let n = out.len();
    out.copy_from_slice(&src[..n]);
    for k in 1..=2 * r {
        for (o, &s) in out.iter_mut().zip(&src[k..k + n]) {
            *o = *o + s;
        }
    }
}

/// Lanes of the chunked loops: one AVX-512 vector of `f32` (two AVX2 ones). The chunked loops
/// handle `n` rounded up to a multiple of `LANES`: their inputs hold that many values (plus
/// their margins), and what they write past `n` is not read.
pub(crate) const LANES: usize = 16;

/// `n` rounded up to a multiple of [`LANES`].
#[inline(always)]
pub(crate) fn lanes(n: usize) -> usize {
    n.div_ceil(LANES) * LANES
}

/// `out[i] = Σ_{k=0..2r} src[i + k]`, added left to right (as [`box_sum`]); `R > 0`: `r = R`,
/// the sum of each `i` unrolled in registers and the loop over `i` vectorised (a loop over the
/// positions with a fixed inner sum is what the compiler turns into vector code; sums kept in
/// arrays of lanes were left scalar).
#[inline(always)]
fn box_sum_r<const R: usize>(src: &[f32], r: usize, out: &mut [f32]) {
    if R == 0 {
        return box_sum(src, r, out);
    }
    let n = out.len();
    let src = &src[..n + 2 * R];
    for i in 0..n {
        out[i] = window_sum::<R>(&src[i..=i + 2 * R]);
    }
}

/// `out[i] = Σ_{k=0..2r} src[i + k]`, added left to right ([`box_sum`]), unrolled for the
/// radii of the default aggregation (1) and patches (2, 3, 4).
#[inline(always)]
pub(crate) fn box_sums(src: &[f32], r: usize, out: &mut [f32]) {
    match r {
        1 => box_sum_r::<1>(src, r, out),
        2 => box_sum_r::<2>(src, r, out),
        3 => box_sum_r::<3>(src, r, out),
        4 => box_sum_r::<4>(src, r, out),
        _ => box_sum_r::<0>(src, r, out),
    }
}

/// `Σ w[k]` of a window of `2R + 1` values, added left to right (unrolled: `R` is fixed).
#[inline(always)]
fn window_sum<const R: usize>(w: &[f32]) -> f32 {
    let w = &w[..=2 * R];
    let mut d = w[0];
    for &v in &w[1..] {
        d += v;
    }
    d
}

/// `e^x` for `x ∈ [−τ, 0]` (the weights' range), to 3e−7 relative: `x = n·ln 2 + r` with
/// `n = round(x·log₂e)` (one reduction step: `n ≤ 44`, so `ln 2`'s rounding adds at most
/// 1e−7), `e^r` a near-minimax polynomial of degree 5 on `|r| ≤ ln2/2` (Horner, every
/// multiply-add fused: one rounding each, so every instruction set gives the same bits — a
/// correctly rounded `fmaf` where the CPU has no FMA), and `2^n` applied by adding `n` to the
/// exponent bits (every result, down to `e^−τ`, is a normal `f32`). `x = 0` gives exactly 1.
/// Ten operations, against sixteen for the 2-ulp `sample::exp_f32_in_range`: the weights
/// need no more.
#[inline(always)]
fn exp_weight(x: f32) -> f32 {
    use crate::sample::exp_f32::MAGIC;
    let t = x.mul_add(std::f32::consts::LOG2_E, MAGIC);
    let n = t - MAGIC;
    let r = n.mul_add(-std::f32::consts::LN_2, x);
    let mut q = WEIGHT_POLY[0];
    for &c in &WEIGHT_POLY[1..] {
        q = q.mul_add(r, c);
    }
    let p = q.mul_add(r, 1.0);
    // `t`'s low bits hold `n` (MAGIC's shifted out): `p·2^n` by an integer add
    f32::from_bits(p.to_bits().wrapping_add(t.to_bits() << 23))
}

/// `e^r ≈ 1 + r·q(r)` on `|r| ≤ ln2/2`, `q` highest degree first: fitted for the least largest
/// relative error (1.5e−7 in `f32` Horner evaluation).
const WEIGHT_POLY: [f32; 5] = [
    0.008_290_317,
    0.041_897_934,
    0.166_676_36,
    0.499_991_5,
    0.999_999_7,
];

/// The patch-pair weights `ω[i]` for `i < n` (rounded up, see [`LANES`]) from the column sums
/// `cs` (`D[i] = Σ_{k=0..2r} cs[i + k]`, a direct box sum added left to right): `ω = exp(−D·scale)`
/// where `D·scale ≤ τ`, else 0, with `scale = P²/(n·h)`. `counts`: `None` when every pair is
/// valid (`scale = full`), else the valid pairs of each column `nc` (`n[i] = Σ_{k=0..2r}
/// nc[i + k]`, added the same way) and room for the `n` of patches of other sizes than the
/// default ones. A patch pair without a valid pair (`n = 0`) weighs 0. With `F` (pass 2's flat
/// top) `D·scale` is replaced by `max(D·scale − flat, 0)`, `flat = φ·P²/h`.
#[inline(always)]
pub(crate) fn patch_weights<const F: bool>(
    cs: &[f32],
    r: usize,
    counts: Option<(&[f32], &mut [f32])>,
    s: PatchScale,
    omega: &mut [f32],
) {
    // the default patches (5, 7, 9): sums, counts and weights in one loop
    match (r, counts) {
        (2, None) => patch_weights_r::<2, F, false>(cs, &[], s, omega),
        (3, None) => patch_weights_r::<3, F, false>(cs, &[], s, omega),
        (4, None) => patch_weights_r::<4, F, false>(cs, &[], s, omega),
        (2, Some((nc, _))) => patch_weights_r::<2, F, true>(cs, nc, s, omega),
        (3, Some((nc, _))) => patch_weights_r::<3, F, true>(cs, nc, s, omega),
        (4, Some((nc, _))) => patch_weights_r::<4, F, true>(cs, nc, s, omega),
        (_, None) => {
            box_sums(cs, r, omega);
            for o in omega.iter_mut() {
                *o = s.all_valid::<F>(*o);
            }
        }
        (_, Some((nc, n))) => {
            box_sums(cs, r, omega);
            let len = omega.len();
            let n = &mut n[..len];
            box_sums(nc, r, n);
            for (o, &n) in omega.iter_mut().zip(&*n) {
                *o = s.masked::<F>(*o, n);
            }
        }
    }
}

/// The constants of [`patch_weights`].
#[derive(Clone, Copy)]
pub(crate) struct PatchScale {
    /// `P²`.
    pub p2: f32,
    /// `h`.
    pub h: f32,
    /// The scale `P²/(P²·h)` where every pair is valid.
    pub full: f32,
    /// Pass 2's flat top `φ·P²/h` (with `F`).
    pub flat: f32,
}

impl PatchScale {
    /// The weight of a patch pair of dissimilarity sum `d` whose pairs are all valid.
    #[inline(always)]
    fn all_valid<const F: bool>(self, d: f32) -> f32 {
        weight::<F>(d * self.full, self.flat)
    }

    /// The weight of a patch pair of dissimilarity sum `d` over `n` valid pairs.
    #[inline(always)]
    fn masked<const F: bool>(self, d: f32, n: f32) -> f32 {
        f32::select(
            n > 0.0,
            weight::<F>(d * (self.p2 / (n * self.h)), self.flat),
            0.0,
        )
    }
}

/// The weight of a patch pair from `t = D·P²/(n·h)`: `exp(−t)` (with `F`,
/// `exp(−max(t − flat, 0))`) where that exponent is at most `τ`, else 0.
#[inline(always)]
fn weight<const F: bool>(t: f32, flat: f32) -> f32 {
    let t = if F { Real::max(t - flat, 0.0) } else { t };
    f32::select(t <= TAU, exp_weight(-t), 0.0)
}

/// [`patch_weights`] with `r = R`: each patch sum (added left to right, as [`box_sum_r`]),
/// with `M` its count of valid pairs from the column counts `nc` (the same way), and its
/// weight in one loop: the same bits without storing the sums.
#[inline(always)]
fn patch_weights_r<const R: usize, const F: bool, const M: bool>(
    cs: &[f32],
    nc: &[f32],
    s: PatchScale,
    omega: &mut [f32],
) {
    let n = omega.len();
    let cs = &cs[..n + 2 * R];
    let nc = if M { &nc[..n + 2 * R] } else { nc };
    for i in 0..n {
        let d = window_sum::<R>(&cs[i..=i + 2 * R]);
        omega[i] = if M {
            s.masked::<F>(d, window_sum::<R>(&nc[i..=i + 2 * R]))
        } else {
            s.all_valid::<F>(d)
        };
    }
}

/// The aggregation and the pixel pairs `(s, s + d)` at `n` positions (rounded up, see
/// [`LANES`]): `g[i] = Σ_{k=0..2r} ω[i + k]` (the patch pairs of the newest aggregation row, a
/// direct box sum), `w[i] = sums[0][i] + g[i]` (`sums[0]`: the `2r` older rows' sum, added top
/// to bottom, so `w` is the `2r + 1` rows added top to bottom, the newest last), times
/// `va[i]·vb[i]` (both pixels valid) with masks, and `Δ[i] = w[i]·(xb[i] − xa[i])`: what the
/// pair moves the estimate of `s` (`+Δ`) and of `s + d` (`−Δ`).
///
/// Then the partial sums move down one row ([`aggregate`]).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn pair_weights(
    omega: &[f32],
    r: usize,
    sums: &mut [&mut [f32]],
    g: &mut [f32],
    masks: Option<(&[f32], &[f32])>,
    (xa, xb): (&[f32], &[f32]),
    w: &mut [f32],
    delta: &mut [f32],
) {
    let n = w.len();
    if let (1, [older, newer]) = (r, &mut *sums) {
        return pair_weights_3(omega, [older, newer], masks, (xa, xb), w, delta);
    }
    aggregation_row(omega, r, g);
    let g = &g[..n];
    match sums.first() {
        Some(older) => {
            for ((w, &o), &g) in w.iter_mut().zip(&older[..n]).zip(g) {
                *w = o + g;
            }
        }
        None => w.copy_from_slice(g),
    }
    if let Some((va, vb)) = masks {
        for ((w, &a), &b) in w.iter_mut().zip(&va[..n]).zip(&vb[..n]) {
            *w *= a * b;
        }
    }
    for ((d, &w), (&a, &b)) in delta[..n]
        .iter_mut()
        .zip(&*w)
        .zip(xa[..n].iter().zip(&xb[..n]))
    {
        *d = w * (b - a);
    }
    move_down(sums, g);
}

/// [`pair_weights`] for the default `A = 3`, one pass over the positions: the same operations
/// in the same order per position (`g`, `w = sums[0] + g`, with masks `w·(va·vb)`, `Δ`, then
/// `sums[0] = g`, `sums[1] += g`), so the same bits, without storing `g` and reading it back.
#[inline(always)]
fn pair_weights_3(
    omega: &[f32],
    [older, newer]: [&mut &mut [f32]; 2],
    masks: Option<(&[f32], &[f32])>,
    (xa, xb): (&[f32], &[f32]),
    w: &mut [f32],
    delta: &mut [f32],
) {
    let n = w.len();
    let (omega, older, newer) = (&omega[..n + 2], &mut older[..n], &mut newer[..n]);
    let (xa, xb, delta) = (&xa[..n], &xb[..n], &mut delta[..n]);
    // (every pixel valid: the products by masks of ones left out)
    match masks {
        None => pair_weights_3_of::<false>(omega, [older, newer], (&[], &[]), (xa, xb), w, delta),
        Some(m) => pair_weights_3_of::<true>(omega, [older, newer], m, (xa, xb), w, delta),
    }
}

/// [`pair_weights_3`]'s loop, with the masks `(va, vb)` when `M`.
#[inline(always)]
fn pair_weights_3_of<const M: bool>(
    omega: &[f32],
    [older, newer]: [&mut [f32]; 2],
    (va, vb): (&[f32], &[f32]),
    (xa, xb): (&[f32], &[f32]),
    w: &mut [f32],
    delta: &mut [f32],
) {
    let n = w.len();
    let (va, vb) = if M { (&va[..n], &vb[..n]) } else { (va, vb) };
    for i in 0..n {
        let g = omega[i] + omega[i + 1] + omega[i + 2];
        let wi = older[i] + g;
        let wi = if M { wi * (va[i] * vb[i]) } else { wi };
        w[i] = wi;
        delta[i] = wi * (xb[i] - xa[i]);
        older[i] = g;
        newer[i] += g;
    }
}

/// The aggregation's partial sums move down one row at the positions of `g` (`g[i] = Σ_{k=0..2r}
/// ω[i + k]`, the newest row's sums, computed here): `sums[0]` (used up) becomes `g` (the sum
/// starting at the newest row), every other row gets `+ g`. `sums` holds the `2r` sums of the
/// rows from each of the last `2r` rows down, oldest start first: one row per aggregation row
/// but one, instead of the `2r + 1` rows of weights themselves. Zero sums are the start of a
/// tile: `2r` rows later they hold the exact sums.
#[inline(always)]
pub(crate) fn aggregate(omega: &[f32], r: usize, sums: &mut [&mut [f32]], g: &mut [f32]) {
    aggregation_row(omega, r, g);
    move_down(sums, g);
}

/// `g[i] = Σ_{k=0..2r} ω[i + k]`: the aggregation's newest row.
#[inline(always)]
fn aggregation_row(omega: &[f32], r: usize, g: &mut [f32]) {
    box_sums(omega, r, g)
}

#[inline(always)]
fn move_down(sums: &mut [&mut [f32]], g: &[f32]) {
    let n = g.len();
    if let Some((first, rest)) = sums.split_first_mut() {
        first[..n].copy_from_slice(g);
        for t in rest {
            for (t, &v) in t[..n].iter_mut().zip(g) {
                *t += v;
            }
        }
    }
}

/// The accumulators of a pass: rings of rows of `cols` columns, row `y` in slot
/// `y mod rows`: `N`, `S`, `M`, and `Q` for a pilot (empty otherwise); with the point-target
/// rule, the near pairs' `N` and `S` in a ring of `near_rows` rows (they reach one row down,
/// so one tile and a row). See [`Acc`].
#[derive(Debug)]
pub(crate) struct Accumulators {
    cols: usize,
    rows: usize,
    near_rows: usize,
    num: Aligned,
    den: Aligned,
    max: Aligned,
    sq: Aligned,
    /// `N` and `S` of the pairs within the `3 × 3` neighbourhood only (the point-target rule;
    /// empty otherwise).
    near_num: Aligned,
    near_den: Aligned,
}

impl Accumulators {
    /// Zero accumulators of `rows` rows of `cols` columns (`squares`: `Q` too; `near_rows`
    /// rows of the near pairs' `N` and `S`, 0 for none).
    pub fn new(cols: usize, rows: usize, squares: bool, near_rows: usize) -> Self {
        let some = |on: bool, len: usize| {
            if on {
                Aligned::zeros(len)
            } else {
                Aligned::default()
            }
        };
        let near = near_rows * cols;
        Accumulators {
            cols,
            rows,
            near_rows,
            num: Aligned::zeros(rows * cols),
            den: Aligned::zeros(rows * cols),
            max: Aligned::zeros(rows * cols),
            sq: some(squares, rows * cols),
            near_num: some(near > 0, near),
            near_den: some(near > 0, near),
        }
    }

    /// The positions of row `y` in a ring of `rows` rows.
    fn ring(&self, y: isize, rows: usize) -> std::ops::Range<usize> {
        let s = y.rem_euclid(rows as isize) as usize * self.cols;
        s..s + self.cols
    }

    /// The positions of row `y` in the ring of `N`, `S`, `M` (and `Q`).
    fn slot(&self, y: isize) -> std::ops::Range<usize> {
        self.ring(y, self.rows)
    }

    /// The positions of row `y` in the ring of the near pairs' sums (none without them).
    fn near_slot(&self, y: isize) -> std::ops::Range<usize> {
        if self.near_rows == 0 {
            return 0..0;
        }
        self.ring(y, self.near_rows)
    }

    /// The accumulators of row `y` (`Q` with `Q` only; the near pairs' sums where kept).
    #[inline(always)]
    pub fn at<const Q: bool>(&mut self, y: isize) -> Acc<'_> {
        let (r, n) = (self.slot(y), self.near_slot(y));
        Acc {
            num: &mut self.num[r.clone()],
            den: &mut self.den[r.clone()],
            max: &mut self.max[r.clone()],
            sq: if Q { &mut self.sq[r] } else { &mut [] },
            near_num: &mut self.near_num[n.clone()],
            near_den: &mut self.near_den[n],
        }
    }

    /// The accumulators of row `y` for the pairs within the `3 × 3` neighbourhood: the near
    /// pairs' `N` and `S` with `M` (and `Q` with `Q`), so that [`Acc::add`] keeps the near
    /// pairs' sums apart ([`Acc`]).
    #[inline(always)]
    pub fn near_at<const Q: bool>(&mut self, y: isize) -> Acc<'_> {
        let (r, n) = (self.slot(y), self.near_slot(y));
        Acc {
            num: &mut self.near_num[n.clone()],
            den: &mut self.near_den[n],
            max: &mut self.max[r.clone()],
            sq: if Q { &mut self.sq[r] } else { &mut [] },
            near_num: &mut [],
            near_den: &mut [],
        }
    }

    /// Zeroes the accumulators of row `y`.
    pub fn clear(&mut self, y: isize) {
        let (r, n) = (self.slot(y), self.near_slot(y));
        for v in [&mut self.num, &mut self.den, &mut self.max] {
            v[r.clone()].fill(0.0);
        }
        if !self.sq.is_empty() {
            self.sq[r].fill(0.0);
        }
        self.near_num[n.clone()].fill(0.0);
        self.near_den[n].fill(0.0);
    }
}

/// One row of accumulators: `N = Σ w·(I(t) − I(s))` (the values divided by a power of two, the
/// pass's `2^k`: [`Acc::finish`] multiplies it back), `S = Σ w`, `M = max w` over the pairs
/// `(s, t)` of each pixel `s` of the row, and `Q = Σ w²` (the pilot's ENL; empty otherwise).
/// With the point-target rule, the `N` and `S` of the pairs within the `3 × 3` neighbourhood
/// are summed apart, in `near_num` and `near_den` ([`Accumulators::near_at`]), until
/// [`Acc::fold_near`] (empty otherwise).
pub(crate) struct Acc<'a> {
    pub num: &'a mut [f32],
    pub den: &'a mut [f32],
    pub max: &'a mut [f32],
    pub sq: &'a mut [f32],
    pub near_num: &'a mut [f32],
    pub near_den: &'a mut [f32],
}

impl Acc<'_> {
    /// For each pair `(w, Δ)` of `parts` in turn: adds `Δ[x]` (`NEG`: `−Δ[x]`) to `N[x]`,
    /// `w[x]` to `S[x]` (and with `Q`, `w[x]²` to `Q[x]`) and raises `M[x]` to `w[x]`, for
    /// every column `x` of the accumulators: the values of one call per pair, loading and
    /// storing each accumulator once per two pairs.
    #[inline(always)]
    pub(crate) fn add<const Q: bool, const NEG: bool>(&mut self, parts: &[(&[f32], &[f32])]) {
        for two in parts.chunks(2) {
            match *two {
                [a, b] => self.add_each::<Q, NEG, 2>([a, b]),
                _ => self.add_each::<Q, NEG, 1>([two[0]]),
            }
        }
    }

    /// [`Acc::add`] of `F` pairs in one loop.
    #[inline(always)]
    fn add_each<const Q: bool, const NEG: bool, const F: usize>(
        &mut self,
        parts: [(&[f32], &[f32]); F],
    ) {
        let n = self.num.len();
        let parts = parts.map(|(w, delta)| (&w[..n], &delta[..n]));
        let (num, den, max) = (&mut self.num[..n], &mut self.den[..n], &mut self.max[..n]);
        // (with `Q` false the squares are neither read nor written: the branch is a constant)
        let sq = if Q { &mut self.sq[..n] } else { &mut [][..] };
        for x in 0..n {
            let (mut nx, mut dx, mut mx) = (num[x], den[x], max[x]);
            let mut qx = if Q { sq[x] } else { 0.0 };
            for (w, delta) in parts {
                let wx = w[x];
                nx = if NEG { nx - delta[x] } else { nx + delta[x] };
                dx += wx;
                if Q {
                    qx += wx * wx;
                }
                mx = Real::max(mx, wx);
            }
            (num[x], den[x], max[x]) = (nx, dx, mx);
            if Q {
                sq[x] = qx;
            }
        }
    }

    /// Marks the point targets of the finished row, before [`Acc::fold_near`] (so `N`, `S` are
    /// the sums of the pairs outside the `3 × 3` neighbourhood): where `S > 0`,
    /// `I(s) > κ · R₋(s)` with `R₋ = I(s) + N/S > 0` the weighted mean of the pixels outside
    /// that neighbourhood; where `S = 0` (no pixel outside it has a positive weight), every
    /// pixel. `centre` (`I`) in the image's precision; `N` sums the values divided by `up`.
    pub(crate) fn targets(&self, centre: &[f64], q: f64, up: f64, out: &mut [bool]) {
        for (x, o) in out.iter_mut().enumerate() {
            let den = self.den[x];
            let mean = centre[x] + (self.num[x] / den) as f64 * up;
            *o = den == 0.0 || (mean > 0.0 && centre[x] > q * mean);
        }
    }

    /// The pilot's `u²` of the finished row ([`pilot_scale`]) for `L = looks`; a point target
    /// (`targets`) has no other weight: `u² = E₀·L/2`.
    #[inline(always)]
    pub(crate) fn scales(&self, looks: f64, targets: &[bool], out: &mut [f32]) {
        for (x, o) in out.iter_mut().enumerate() {
            *o = if targets[x] {
                alone_scale(looks)
            } else {
                pilot_scale(self.max[x], self.den[x], self.sq[x], looks)
            };
        }
    }

    /// Adds the near pairs' `N` and `S` to the others' (after [`Acc::targets`]): the sums of
    /// every pair.
    pub(crate) fn fold_near(&mut self) {
        if self.near_num.is_empty() {
            return;
        }
        for x in 0..self.num.len() {
            self.num[x] += self.near_num[x];
            self.den[x] += self.near_den[x];
        }
    }

    /// The finished row: `I(s) + up·N/(M + S)` (the weighted mean with the centre weighing
    /// `M`; `N` sums the values divided by `up`), or `I(s)` where `M + S = 0` or at a point
    /// target (`targets`); `centre` in the image's precision. The result is clamped to
    /// `±max(f32::MAX, |I(s)|)`: a weighted mean of finite `f32` values rounded beyond them
    /// would otherwise become `±∞` in a `float32` image.
    #[inline(always)]
    pub(crate) fn finish(&self, centre: &[f64], targets: &[bool], up: f64, out: &mut [f64]) {
        for (x, o) in out.iter_mut().enumerate() {
            let den = self.max[x] + self.den[x];
            let step = f32::select(den > 0.0 && !targets[x], self.num[x] / den, 0.0);
            let limit = (f32::MAX as f64).max(centre[x].abs());
            *o = (centre[x] + step as f64 * up).clamp(-limit, limit);
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
    fn pilot_scale_follows_the_enl_of_the_weights() {
        // no positive weight: v = 1/(E₀·L), u² = E₀·L/2 (not the E = 1 of a lone centre)
        assert_eq!(pilot_scale(0.0, 0.0, 0.0, 1.0), 25.0);
        assert_eq!(pilot_scale(0.0, 0.0, 0.0, 4.0), 100.0);
        // one other weight 0.5, centre 0.5: E = 1² / (0.25 + 0.25) = 2, v = (1/2 + 1/50)/L
        let want = 0.5 / ((0.5 + 0.02) / 2.0);
        assert!((pilot_scale(0.5, 0.5, 0.25, 2.0) as f64 - want).abs() < 1e-6 * want);
        // 99 equal weights and the centre: E = 100, v = (0.01 + 0.02)/L
        let want = 0.5 / 0.03;
        assert!((pilot_scale(1.0, 99.0, 99.0, 1.0) as f64 - want).abs() < 1e-6 * want);
    }

    #[test]
    fn box_sum_is_a_direct_window_sum() {
        let src: Vec<f32> = (0..20).map(|i| (i * i % 7) as f32).collect();
        let mut out = vec![f32::NAN; 16];
        box_sum(&src, 2, &mut out);
        for (i, &o) in out.iter().enumerate() {
            let want: f32 = (i..=i + 4).map(|k| src[k]).sum();
            assert_eq!(o, want, "{i}");
        }
    }
}
