//! Frost (Frost et al. 1982) and the distance-weighted window sum it shares with Enhanced Frost.

use super::range::{Degree, Maths, rescue};
use super::speckle::{Distance, check_damping, check_ddof};
use crate::engine::{Filter, RowContext, mean_variance};
use crate::error::Result;
use crate::sample::{Real, Sample};

/// Pixels per chunk of the weighted sum (the chunk's arrays stay in L1).
const CHUNK: usize = 256;

/// One distance class of the window: all offsets at the same distance `m · √p`.
#[derive(Debug, Clone)]
struct Class {
    /// Multiple of the base distance.
    m: u32,
    /// `(dy, dx)` offsets in `0..size`.
    offsets: Vec<(usize, usize)>,
}

/// The window's distinct distances, grouped so that `exp(−A·d)` is evaluated once per
/// square-free base `√p` and every other weight is a power of it:
/// `exp(−A · m√p) = exp(−A√p)^m`.
#[derive(Debug, Clone)]
pub(crate) struct DistanceKernel {
    /// `(√p, classes with that base, in increasing m)`.
    bases: Vec<(f64, Vec<Class>)>,
}

/// Splits `n` into `(m, p)` with `n = m² · p`, `p` square-free.
fn square_free(n: u64) -> (u64, u64) {
    let (mut m, mut p) = (1u64, n);
    let mut f = 2u64;
    while f * f <= p {
        while p % (f * f) == 0 {
            p /= f * f;
            m *= f;
        }
        f += 1;
    }
    (m, p)
}

impl DistanceKernel {
    /// The classes of a `size × size` window.
    pub(crate) fn new(size: usize, distance: Distance) -> Self {
        let h = (size / 2) as i64;
        // (p, m) -> offsets
        let mut classes: std::collections::BTreeMap<(u64, u64), Vec<(usize, usize)>> =
            Default::default();
        for dy in 0..size {
            for dx in 0..size {
                let (a, b) = (dy as i64 - h, dx as i64 - h);
                let key = match distance {
                    Distance::Euclidean => {
                        let d2 = (a * a + b * b) as u64;
                        if d2 == 0 {
                            (1, 0)
                        } else {
                            let (m, p) = square_free(d2);
                            (p, m)
                        }
                    }
                    Distance::Chebyshev => (1, a.abs().max(b.abs()) as u64),
                };
                classes.entry(key).or_default().push((dy, dx));
            }
        }
        let mut bases: Vec<(f64, Vec<Class>)> = Vec::new();
        for ((p, m), offsets) in classes {
            let base = (p as f64).sqrt();
            let class = Class {
                m: m as u32,
                offsets,
            };
            match bases.last_mut() {
                Some((b, list)) if *b == base => list.push(class),
                _ => bases.push((base, vec![class])),
            }
        }
        DistanceKernel { bases }
    }

    /// Number of `exp` evaluations per pixel.
    #[cfg(test)]
    pub(crate) fn exps(&self) -> usize {
        self.bases.len()
    }

    /// `out[x] = Σ_j e^{−A[x]·d_j} x_j / Σ_j e^{−A[x]·d_j}` over the valid pixels `j` of the
    /// window of each pixel `x` (`a[x]` ≥ 0 or +∞; 0 where the result is not used).
    ///
    /// `A` and the base weights `e^{−A√p}` are `f64` whatever the lane type: the relative
    /// error of `e^{−x}` is the absolute error of `x`, which in `f32` reaches 1e-5 for the
    /// largest useful `x` (≈ 88). Powers and sums run in lanes, 16 pixels at a time so that
    /// the class sums stay in registers; a row whose windows are all valid skips the validity
    /// sums (the weights' total is then `Σ_k |class k| · m_k`).
    #[inline(always)]
    pub(crate) fn weighted_mean<L: Real>(&self, ctx: &RowContext<'_>, a: &[f64], out: &mut [L]) {
        const V: usize = 16;
        let window = &ctx.window;
        let w = out.len().min(a.len());
        let size = window.size();
        let wp = w + size - 1;
        let padded = w.div_ceil(V) * V + size - 1;
        let zero = L::ZERO;
        // The window rows in the lane type, padded to whole groups of V pixels.
        let lanes = |rows: &[&[f64]]| -> Vec<Vec<L>> {
            rows.iter()
                .map(|r| {
                    let mut v: Vec<L> = r[..wp].iter().map(|&x| L::from_f64(x)).collect();
                    v.resize(padded, zero);
                    v
                })
                .collect()
        };
        let vals = lanes(window.values());
        let oks = if ctx.all_valid {
            Vec::new()
        } else {
            lanes(window.valid())
        };
        let nb = self.bases.len();
        let mut e = vec![zero; nb * CHUNK];
        let mut res = [zero; V];
        for x0 in (0..w).step_by(CHUNK) {
            let n = CHUNK.min(w - x0);
            for (k, (base, _)) in self.bases.iter().enumerate() {
                let eb = &mut e[k * CHUNK..k * CHUNK + n];
                for (ei, &ai) in eb.iter_mut().zip(&a[x0..x0 + n]) {
                    *ei = L::from_f64(Real::exp(-(ai * base)));
                }
            }
            for i0 in (0..n).step_by(V) {
                let x = x0 + i0;
                let mut num = [zero; V];
                let mut den = [zero; V];
                for (k, (_, classes)) in self.bases.iter().enumerate() {
                    let mut eb = [zero; V];
                    let m_avail = (n - i0).min(V);
                    eb[..m_avail].copy_from_slice(&e[k * CHUNK + i0..k * CHUNK + i0 + m_avail]);
                    let mut pw = [L::ONE; V];
                    let mut m = 0;
                    for class in classes {
                        while m < class.m {
                            for i in 0..V {
                                pw[i] = pw[i] * eb[i];
                            }
                            m += 1;
                        }
                        let mut s = [zero; V];
                        for &(dy, dx) in &class.offsets {
                            let v = &vals[dy][x + dx..x + dx + V];
                            for i in 0..V {
                                s[i] = s[i] + v[i];
                            }
                        }
                        for i in 0..V {
                            num[i] = num[i] + pw[i] * s[i];
                        }
                        if ctx.all_valid {
                            let cnt = L::from_f64(class.offsets.len() as f64);
                            for i in 0..V {
                                den[i] = den[i] + pw[i] * cnt;
                            }
                        } else {
                            let mut c = [zero; V];
                            for &(dy, dx) in &class.offsets {
                                let o = &oks[dy][x + dx..x + dx + V];
                                for i in 0..V {
                                    c[i] = c[i] + o[i];
                                }
                            }
                            for i in 0..V {
                                den[i] = den[i] + pw[i] * c[i];
                            }
                        }
                    }
                }
                for i in 0..V {
                    res[i] = num[i] / den[i];
                }
                let m = (w - x).min(V);
                out[x..x + m].copy_from_slice(&res[..m]);
            }
        }
    }
}

/// The Frost filter (Frost, Stiles, Shanmugan & Holtzman 1982).
///
/// With the window's valid-pixel mean `μ` and variance `σ²` (population by default, see
/// [`Frost::with_ddof`]), `Ci² = σ² / μ²` and the damping factor `K`:
///
/// ```text
/// A   = K · Ci²
/// m_j = exp(−A · d_j)          d_j: distance from the centre to window pixel j
/// out = Σ m_j x_j / Σ m_j      over the valid pixels j
/// ```
///
/// `d` is Euclidean (default, as the paper and the Orfeo ToolBox) or Chebyshev
/// (`max(|dx|, |dy|)`, as ESA SNAP). `exp` is evaluated once per pixel per square-free base
/// distance `√p` of the window (Euclidean 7 × 7: 5 times; Chebyshev: once); every other weight
/// is a power of one of those. A window whose mean is not positive gives `μ`. Default damping 2
/// (ESA SNAP); the Orfeo ToolBox's `deramp` is this `K` (its default 0.1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frost {
    damping: f64,
    distance: Distance,
    ddof: u8,
}

impl Default for Frost {
    fn default() -> Self {
        Frost {
            damping: 2.0,
            distance: Distance::Euclidean,
            ddof: 0,
        }
    }
}

impl Frost {
    /// Frost with damping 2, Euclidean distances, population variance.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the damping factor `K ≥ 0` (default 2; larger keeps more detail).
    pub fn with_damping(mut self, damping: f64) -> Result<Self> {
        self.damping = check_damping(damping)?;
        Ok(self)
    }

    /// Sets how distances are measured.
    pub fn with_distance(mut self, distance: Distance) -> Result<Self> {
        self.distance = distance;
        Ok(self)
    }

    /// Sets the variance convention: 0 population (default), 1 sample (`n − 1`).
    pub fn with_ddof(mut self, ddof: u8) -> Result<Self> {
        self.ddof = check_ddof(ddof)?;
        Ok(self)
    }

    /// The damping factor `K`.
    pub fn damping(&self) -> f64 {
        self.damping
    }

    /// The distance measure.
    pub fn distance(&self) -> Distance {
        self.distance
    }

    /// The variance convention (0 or 1).
    pub fn ddof(&self) -> u8 {
        self.ddof
    }
}

impl Filter for Frost {
    fn name(&self) -> &'static str {
        "frost"
    }

    #[inline(always)]
    fn filter_row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]) {
        self.row(ctx, out);
        rescue(ctx, out, Maths::Lanes, Degree::Bounded, |c, o, _| {
            self.row(c, o)
        });
    }
}

impl Frost {
    /// The filter's maths over a row.
    #[inline(always)]
    fn row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]) {
        let zero = T::Lane::ZERO;
        let w = out.len();
        let mut mean = vec![zero; w];
        let mut a = vec![0.0f64; w];
        let ddof = self.ddof as f64;
        for x in 0..w {
            let (mu, var) = mean_variance(ctx.count[x], ctx.sum[x], ctx.sum_sq[x], ddof);
            mean[x] = T::Lane::from_f64(mu);
            // A = K·σ²/μ² (0 where μ ≤ 0: the output is μ there)
            a[x] = f64::select(mu > 0.0, self.damping * (var / (mu * mu)), 0.0);
        }
        let kernel = DistanceKernel::new(ctx.window.size(), self.distance);
        let mut wm = vec![zero; w];
        kernel.weighted_mean(ctx, &a, &mut wm);
        for ((o, &mu), &f) in out.iter_mut().zip(&mean).zip(&wm) {
            *o = T::from_lane(T::Lane::select(mu > zero, f, mu));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_classes() {
        assert_eq!(square_free(18), (3, 2));
        assert_eq!(square_free(25), (5, 1));
        assert_eq!(square_free(13), (1, 13));
        // 7 × 7 Euclidean: bases 1, √2, √5, √10, √13
        let k = DistanceKernel::new(7, Distance::Euclidean);
        assert_eq!(k.exps(), 5);
        let total: usize = k
            .bases
            .iter()
            .flat_map(|(_, c)| c.iter().map(|c| c.offsets.len()))
            .sum();
        assert_eq!(total, 49);
        assert_eq!(DistanceKernel::new(9, Distance::Chebyshev).exps(), 1);
        assert_eq!(DistanceKernel::new(9, Distance::Euclidean).exps(), 6);
    }

    #[test]
    fn parameters_are_validated() {
        assert!(Frost::new().with_damping(-1.0).is_err());
        assert!(Frost::new().with_damping(f64::NAN).is_err());
        assert!(Frost::new().with_ddof(2).is_err());
        assert_eq!(Frost::new().damping(), 2.0);
        assert_eq!(
            "Chebyshev".parse::<Distance>().unwrap(),
            Distance::Chebyshev
        );
        let e = "manhattan".parse::<Distance>().unwrap_err().to_string();
        assert!(e.contains("distance") && e.contains("euclidean"), "{e}");
    }
}
