//! Gamma MAP (Lopes, Nezry, Touzi & Laur 1990).

use super::range::{Degree, Maths, rescue};
use super::speckle::{check_ddof, check_looks};
use crate::engine::{Filter, RowContext, mean_variance};
use crate::error::Result;
use crate::sample::{Real, Sample};

/// The Gamma MAP filter (Lopes et al. 1990) for `L`-look intensity data.
///
/// With the window's valid-pixel mean `μ`, variance `σ²` (population by default, see
/// [`GammaMap::with_ddof`]), `Ci = σ / μ`, `Cu = 1/√L` and the upper threshold
/// `Cmax = √2 · Cu`:
///
/// ```text
/// Ci ≤ Cu          → μ
/// Ci ≥ √2 · Cu     → z
/// otherwise          α = (1 + Cu²) / (Ci² − Cu²),   b = α − L − 1
///                    D = μ² b² + 4 α L μ z
///                    out = (b μ + √D) / (2α)      (z where D < 0, as ESA SNAP)
/// ```
///
/// `out` is the positive root of `α x² − b μ x − L μ z = 0`. Between the thresholds
/// `α > L + 1`, so `b > 0` and the root does not cancel; it is evaluated in units of `μ` and
/// `α` (`out = μ (β + √(β² + 4 t z/μ)) / 2`, `β = b/α ∈ (0, 1)`, `t = L/α`), whose terms stay
/// of the order of 1 whatever the scale of the data, and never exceeds `max(μ, z)`. `Ci²`,
/// `β`, `t` and the choice of branch are computed in `f64` whatever the image type (near
/// `b = 0` the output is a small difference set by `Ci`). A window whose mean is not
/// positive gives `μ`. With `ddof = 1` and `border = nearest` this is the Orfeo ToolBox's
/// `otbcli_Despeckle -filter gammamap`. The model is intensity speckle: filter amplitude data
/// as intensities (squared), then take the square root.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaMap {
    looks: f64,
    ddof: u8,
}

impl GammaMap {
    /// Gamma MAP for `looks` looks (> 0, need not be an integer), population variance.
    pub fn new(looks: f64) -> Result<Self> {
        Ok(GammaMap {
            looks: check_looks(looks)?,
            ddof: 0,
        })
    }

    /// Sets the variance convention: 0 population (default), 1 sample (`n − 1`).
    pub fn with_ddof(mut self, ddof: u8) -> Result<Self> {
        self.ddof = check_ddof(ddof)?;
        Ok(self)
    }

    /// The number of looks `L`.
    pub fn looks(&self) -> f64 {
        self.looks
    }

    /// The variance convention (0 or 1).
    pub fn ddof(&self) -> u8 {
        self.ddof
    }

    /// `Cu = 1/√L`.
    pub fn cu(&self) -> f64 {
        (1.0 / self.looks).sqrt()
    }

    /// The upper threshold `√2 · Cu`.
    pub fn cmax(&self) -> f64 {
        std::f64::consts::SQRT_2 * self.cu()
    }
}

impl Filter for GammaMap {
    fn name(&self) -> &'static str {
        "gamma-map"
    }

    #[inline(always)]
    fn filter_row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]) {
        self.row(ctx, out);
        rescue(ctx, out, Maths::Lanes, Degree::Bounded, |c, o, _| {
            self.row(c, o)
        });
    }
}

impl GammaMap {
    /// The filter's maths over a row: the ratios in `f64`, the root in lanes.
    #[inline(always)]
    fn row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]) {
        type L<T> = <T as Sample>::Lane;
        let looks64 = self.looks;
        let cu2_64 = 1.0 / looks64;
        let cmax2_64 = 2.0 * cu2_64;
        let ddof = self.ddof as f64;
        let zero = L::<T>::ZERO;
        let w = out.len();
        // Ci², β = b/α and t = L/α in f64 from the window sums: where b → 0 the output is a
        // small difference set by Ci, so Ci's f32 rounding would be amplified. The branches
        // are decided in f64 too (as the Orfeo ToolBox, in double).
        let inv_1cu2 = 1.0 / (1.0 + cu2_64);
        let mut mean = vec![zero; w];
        let mut beta = vec![zero; w];
        let mut t4 = vec![zero; w];
        let mut branch = vec![0u8; w]; // 0: μ, 1: MAP, 2: z
        for x in 0..w {
            let (mu, var) = mean_variance(ctx.count[x], ctx.sum[x], ctx.sum_sq[x], ddof);
            let ci2 = var / (mu * mu);
            let inv_alpha = (ci2 - cu2_64) * inv_1cu2;
            mean[x] = L::<T>::from_f64(mu);
            beta[x] = L::<T>::from_f64(1.0 - (looks64 + 1.0) * inv_alpha);
            t4[x] = L::<T>::from_f64(4.0 * looks64 * inv_alpha);
            // (μ NaN: an empty window, whose output the engine replaces)
            branch[x] = if mu.is_nan() || mu <= 0.0 || ci2 <= cu2_64 {
                0
            } else if ci2 >= cmax2_64 {
                2
            } else {
                1
            };
        }
        let half = L::<T>::from_f64(0.5);
        for (x, o) in out.iter_mut().enumerate() {
            let (mu, b, t4) = (mean[x], beta[x], t4[x]);
            let z = L::<T>::from_f64(ctx.centre[x]);
            // D / (α μ)², of the sign of D
            let d = b * b + t4 * (z / mu);
            let root = d.sqrt();
            // ≤ max(μ, z) exactly, also after rounding
            let map = (mu * ((b + root) * half)).min(mu.max(z));
            let kept = (branch[x] == 2) | (d < zero);
            let heterogeneous = L::<T>::select(kept, z, map);
            *o = T::from_lane(L::<T>::select(branch[x] == 0, mu, heterogeneous));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_validated() {
        assert!(GammaMap::new(0.0).is_err());
        assert!(GammaMap::new(2.0).unwrap().with_ddof(5).is_err());
        let g = GammaMap::new(2.0).unwrap();
        assert!((g.cmax() - 1.0).abs() < 1e-15);
    }
}
