//! Enhanced Lee (Lopes, Touzi & Nezry 1990).

use super::range::{Degree, Maths, rescue};
use super::speckle::{Domain, check_ddof, check_looks};
use crate::engine::{Filter, RowContext, moments_row};
use crate::error::{Compact, Error, Result};
use crate::sample::{Real, Sample};

/// The Enhanced Lee filter (Lopes, Touzi & Nezry, IEEE TGRS 1990).
///
/// With the window's valid-pixel mean `μ`, variance `σ²` (population by default, see
/// [`EnhancedLee::with_ddof`]), `Ci = σ / μ`, the speckle coefficient of variation
/// `Cu` ([`Domain::cu`]), `Cmax = √(1 + 2/L)` and the damping `D`:
///
/// ```text
/// Ci ≤ Cu          → μ                          (homogeneous: the mean)
/// Cu < Ci < Cmax   → W = exp(−D · (Ci − Cu) / (Cmax − Ci)),  μ·W + z·(1 − W)
/// Ci ≥ Cmax        → z                          (point target / strong edge: kept)
/// ```
///
/// A window whose mean is not positive (e.g. an all-zero area) gives `μ`. No-data pixels are
/// left out of the statistics and copied to the output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnhancedLee {
    looks: f64,
    damping: f64,
    domain: Domain,
    cmax: Option<f64>,
    ddof: u8,
}

impl EnhancedLee {
    /// Enhanced Lee for `looks` looks, damping 1, intensity data, `Cmax = √(1 + 2/L)`.
    pub fn new(looks: f64) -> Result<Self> {
        Ok(EnhancedLee {
            looks: check_looks(looks)?,
            damping: 1.0,
            domain: Domain::Intensity,
            cmax: None,
            ddof: 0,
        })
    }

    /// Sets the damping factor `D ≥ 0` (default 1; larger keeps more detail near edges).
    pub fn with_damping(mut self, damping: f64) -> Result<Self> {
        if !(damping.is_finite() && damping >= 0.0) {
            return Err(Error::param(
                "damping",
                format!("must be a finite number ≥ 0, got {}", Compact(damping)),
            ));
        }
        self.damping = damping;
        Ok(self)
    }

    /// Sets the data domain (intensity or amplitude), which selects `Cu`.
    pub fn with_domain(mut self, domain: Domain) -> Result<Self> {
        self.domain = domain;
        self.check_cmax()?;
        Ok(self)
    }

    /// Overrides `Cmax` (must be finite and greater than `Cu`); `None` restores `√(1 + 2/L)`.
    pub fn with_cmax(mut self, cmax: Option<f64>) -> Result<Self> {
        self.cmax = cmax;
        self.check_cmax()?;
        Ok(self)
    }

    /// Sets the variance convention: 0 population (default), 1 sample (`n − 1`).
    pub fn with_ddof(mut self, ddof: u8) -> Result<Self> {
        self.ddof = check_ddof(ddof)?;
        Ok(self)
    }

    fn check_cmax(&self) -> Result<()> {
        let (cu, cmax) = (self.cu(), self.cmax());
        if !(cmax.is_finite() && cmax > cu) {
            return Err(Error::param(
                "cmax",
                format!(
                    "must be finite and greater than Cu = {cu:.6} ({} data, {} looks), got {}",
                    self.domain,
                    Compact(self.looks),
                    Compact(cmax)
                ),
            ));
        }
        Ok(())
    }

    /// The number of looks `L`.
    pub fn looks(&self) -> f64 {
        self.looks
    }

    /// The damping factor `D`.
    pub fn damping(&self) -> f64 {
        self.damping
    }

    /// The data domain.
    pub fn domain(&self) -> Domain {
        self.domain
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

impl Filter for EnhancedLee {
    fn name(&self) -> &'static str {
        "enhanced-lee"
    }

    #[inline(always)]
    fn filter_row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]) {
        self.row(ctx, out);
        rescue(ctx, out, Maths::Lanes, Degree::Bounded, |c, o, _| {
            self.row(c, o)
        });
    }
}

impl EnhancedLee {
    /// The filter's maths over a row, in lanes.
    #[inline(always)]
    fn row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]) {
        let cu = T::Lane::from_f64(self.cu());
        let cmax = T::Lane::from_f64(self.cmax());
        let damping = T::Lane::from_f64(self.damping);
        let w = out.len();
        let mut mean = vec![T::Lane::ZERO; w];
        let mut var = vec![T::Lane::ZERO; w];
        moments_row(ctx, self.ddof, &mut mean, &mut var);
        for (((o, &mu), &v), &z) in out.iter_mut().zip(&mean).zip(&var).zip(&ctx.centre[..w]) {
            let z = T::Lane::from_f64(z);
            let ci = v.sqrt() / mu;
            let weight = (-(damping * (ci - cu) / (cmax - ci))).exp();
            let blended = mu * weight + z * (T::Lane::ONE - weight);
            // NaN-safe: a NaN Ci (0/0) fails `ci > cu` and gives the mean.
            let heterogeneous = (mu > T::Lane::ZERO) & (ci > cu);
            let smooth = !heterogeneous;
            *o = T::from_lane(T::Lane::select(
                smooth,
                mu,
                T::Lane::select(ci >= cmax, z, blended),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_validated() {
        assert!(EnhancedLee::new(0.0).is_err());
        assert!(EnhancedLee::new(-1.0).is_err());
        assert!(EnhancedLee::new(f64::NAN).is_err());
        let f = EnhancedLee::new(4.0).unwrap();
        assert!(f.with_damping(-0.1).is_err());
        assert!(f.with_damping(f64::INFINITY).is_err());
        assert!(f.with_cmax(Some(0.4)).is_err()); // below Cu = 0.5
        assert!(f.with_cmax(Some(f64::NAN)).is_err());
        assert!(f.with_ddof(3).is_err());
        assert_eq!(f.cmax(), 1.5f64.sqrt());
        assert_eq!(f.with_cmax(Some(2.0)).unwrap().cmax(), 2.0);
        let msg = f.with_damping(-1.0).unwrap_err().to_string();
        assert!(msg.contains("damping") && msg.contains("≥ 0"), "{msg}");
    }
}
