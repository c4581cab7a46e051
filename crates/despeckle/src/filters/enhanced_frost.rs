//! Enhanced Frost (Lopes, Touzi & Nezry 1990).

use super::frost::DistanceKernel;
use super::range::{Degree, Maths, rescue};
use super::speckle::{Distance, Domain, check_cmax, check_damping, check_ddof, check_looks};
use crate::engine::{Filter, RowContext, mean_variance};
use crate::error::Result;
use crate::sample::{Real, Sample};

/// The Enhanced Frost filter (Lopes, Touzi & Nezry, IEEE TGRS 1990).
///
/// With the window's valid-pixel mean `μ`, variance `σ²` (population by default, see
/// [`EnhancedFrost::with_ddof`]), `Ci = σ / μ`, the speckle coefficient of variation `Cu`
/// ([`Domain::cu`]), `Cmax = √(1 + 2/L)` and the damping `K`:
///
/// ```text
/// Ci ≤ Cu          → μ                                        (homogeneous)
/// Cu < Ci < Cmax   → m_j = exp(−K · (Ci − Cu) / (Cmax − Ci) · d_j)
///                    out = Σ m_j x_j / Σ m_j   (valid pixels j) (heterogeneous)
/// Ci ≥ Cmax        → z                                        (point target)
/// ```
///
/// `d` is Euclidean (default) or Chebyshev, evaluated as in [`Frost`](crate::Frost). A window
/// whose mean is not positive gives `μ`. Defaults: damping 1 (PCI Geomatica's FEFROST).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnhancedFrost {
    looks: f64,
    damping: f64,
    domain: Domain,
    cmax: Option<f64>,
    distance: Distance,
    ddof: u8,
}

impl EnhancedFrost {
    /// Enhanced Frost for `looks` looks, damping 1, intensity data, Euclidean distances,
    /// `Cmax = √(1 + 2/L)`, population variance.
    pub fn new(looks: f64) -> Result<Self> {
        Ok(EnhancedFrost {
            looks: check_looks(looks)?,
            damping: 1.0,
            domain: Domain::Intensity,
            cmax: None,
            distance: Distance::Euclidean,
            ddof: 0,
        })
    }

    /// Sets the damping factor `K ≥ 0` (default 1).
    pub fn with_damping(mut self, damping: f64) -> Result<Self> {
        self.damping = check_damping(damping)?;
        Ok(self)
    }

    /// Sets the data domain (intensity or amplitude), which selects `Cu`.
    pub fn with_domain(mut self, domain: Domain) -> Result<Self> {
        self.domain = domain;
        check_cmax(self.cmax(), self.cu(), self.domain, self.looks)?;
        Ok(self)
    }

    /// Overrides `Cmax` (finite, greater than `Cu`); `None` restores `√(1 + 2/L)`.
    pub fn with_cmax(mut self, cmax: Option<f64>) -> Result<Self> {
        self.cmax = cmax;
        check_cmax(self.cmax(), self.cu(), self.domain, self.looks)?;
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

    /// The number of looks `L`.
    pub fn looks(&self) -> f64 {
        self.looks
    }

    /// The damping factor `K`.
    pub fn damping(&self) -> f64 {
        self.damping
    }

    /// The data domain.
    pub fn domain(&self) -> Domain {
        self.domain
    }

    /// The distance measure.
    pub fn distance(&self) -> Distance {
        self.distance
    }

    /// The variance convention (0 or 1).
    pub fn ddof(&self) -> u8 {
        self.ddof
    }

    /// `Cu` for this domain and number of looks.
    pub fn cu(&self) -> f64 {
        self.domain.cu(self.looks)
    }

    /// The upper threshold `Cmax`: the override, or `√(1 + 2/L)`.
    pub fn cmax(&self) -> f64 {
        self.cmax.unwrap_or_else(|| (1.0 + 2.0 / self.looks).sqrt())
    }
}

impl Filter for EnhancedFrost {
    fn name(&self) -> &'static str {
        "enhanced-frost"
    }

    #[inline(always)]
    fn filter_row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]) {
        self.row(ctx, out);
        rescue(ctx, out, Maths::Lanes, Degree::Bounded, |c, o, _| {
            self.row(c, o)
        });
    }
}

impl EnhancedFrost {
    /// The filter's maths over a row.
    #[inline(always)]
    fn row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]) {
        let zero = T::Lane::ZERO;
        let (cu64, cmax64) = (self.cu(), self.cmax());
        let w = out.len();
        let mut mean = vec![zero; w];
        let mut ci = vec![0.0f64; w];
        let mut a = vec![0.0f64; w];
        let ddof = self.ddof as f64;
        for x in 0..w {
            let (mu, var) = mean_variance(ctx.count[x], ctx.sum[x], ctx.sum_sq[x], ddof);
            let c = var.sqrt() / mu;
            mean[x] = T::Lane::from_f64(mu);
            ci[x] = if mu > 0.0 { c } else { 0.0 };
            // A in f64 (its rounding is amplified near Cmax); 0 where the weights are unused
            let inside = (mu > 0.0) & (c > cu64) & (c < cmax64);
            a[x] = f64::select(inside, self.damping * (c - cu64) / (cmax64 - c), 0.0);
        }
        let kernel = DistanceKernel::new(ctx.window.size(), self.distance);
        let mut wm = vec![zero; w];
        kernel.weighted_mean(ctx, &a, &mut wm);
        for ((((o, &mu), &ci), &f), &z) in out
            .iter_mut()
            .zip(&mean)
            .zip(&ci)
            .zip(&wm)
            .zip(&ctx.centre[..w])
        {
            let z = T::Lane::from_f64(z);
            // the branches are decided in f64, as A was
            let smooth = mu.partial_cmp(&zero) != Some(std::cmp::Ordering::Greater) || ci <= cu64;
            *o = T::from_lane(T::Lane::select(
                smooth,
                mu,
                T::Lane::select(ci >= cmax64, z, f),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_validated() {
        assert!(EnhancedFrost::new(0.0).is_err());
        let f = EnhancedFrost::new(4.0).unwrap();
        assert!(f.with_damping(-1.0).is_err());
        assert!(f.with_cmax(Some(0.3)).is_err());
        assert!(f.with_ddof(9).is_err());
        assert_eq!(f.cmax(), 1.5f64.sqrt());
        assert_eq!(f.damping(), 1.0);
    }
}
