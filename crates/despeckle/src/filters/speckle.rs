//! Speckle model parameters shared by the adaptive filters.

use std::fmt;
use std::str::FromStr;

use crate::error::{Compact, Error, Result};

/// Whether pixel values are intensities (power, `|s|²`) or amplitudes (`|s|`).
///
/// It sets the speckle coefficient of variation `Cu` for `L` looks:
/// intensity `Cu = 1/√L`; amplitude `Cu = √((4/π − 1)/L) ≈ 0.5227/√L`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Domain {
    /// Intensity (power) data.
    #[default]
    Intensity,
    /// Amplitude (magnitude) data.
    Amplitude,
}

impl Domain {
    /// The speckle coefficient of variation `Cu` for `looks` looks.
    pub fn cu(self, looks: f64) -> f64 {
        match self {
            Domain::Intensity => (1.0 / looks).sqrt(),
            Domain::Amplitude => ((4.0 / std::f64::consts::PI - 1.0) / looks).sqrt(),
        }
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Domain::Intensity => "intensity",
            Domain::Amplitude => "amplitude",
        })
    }
}

impl FromStr for Domain {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "intensity" | "power" => Ok(Domain::Intensity),
            "amplitude" | "magnitude" => Ok(Domain::Amplitude),
            _ => Err(Error::param(
                "domain",
                format!("`{s}` is not a domain; use intensity or amplitude"),
            )),
        }
    }
}

/// Checks a number of looks: finite and > 0 (it need not be an integer).
pub fn check_looks(looks: f64) -> Result<f64> {
    if looks.is_finite() && looks > 0.0 {
        Ok(looks)
    } else {
        Err(Error::param(
            "looks",
            format!(
                "the number of looks must be a finite number > 0, got {}",
                Compact(looks)
            ),
        ))
    }
}

/// Checks a variance convention: 0 (population, `n`) or 1 (sample, `n − 1`).
pub fn check_ddof(ddof: u8) -> Result<u8> {
    if ddof <= 1 {
        Ok(ddof)
    } else {
        Err(Error::param(
            "ddof",
            format!("must be 0 (population variance) or 1 (sample variance, n − 1), got {ddof}"),
        ))
    }
}

/// Checks a damping factor: finite and ≥ 0.
pub(crate) fn check_damping(damping: f64) -> Result<f64> {
    if damping.is_finite() && damping >= 0.0 {
        Ok(damping)
    } else {
        Err(Error::param(
            "damping",
            format!("must be a finite number ≥ 0, got {}", Compact(damping)),
        ))
    }
}

/// Checks an optional `Cmax` override against `Cu`: finite and greater than `Cu`.
pub(crate) fn check_cmax(cmax: f64, cu: f64, domain: Domain, looks: f64) -> Result<()> {
    if cmax.is_finite() && cmax > cu {
        Ok(())
    } else {
        Err(Error::param(
            "cmax",
            format!(
                "must be finite and greater than Cu = {cu:.6} ({domain} data, {} looks), \
                 got {}",
                Compact(looks),
                Compact(cmax)
            ),
        ))
    }
}

/// The MMSE weight of the local-statistics (Kuan form) filter used by Refined Lee, Lee Sigma
/// and IDAN: `b = max(0, (σ² − μ²η²) / (1 + η²)) / σ²`, and 0 where `σ² ≤ 0`.
///
/// The estimate is then `μ + b · (z − μ)`.
#[inline(always)]
pub(crate) fn mmse_weight(mean: f64, var: f64, eta2: f64) -> f64 {
    if var > 0.0 {
        ((var - mean * mean * eta2) / (1.0 + eta2)).max(0.0) / var
    } else {
        0.0
    }
}

/// Mean and variance (`ddof` 0 or 1) from a count and sums shifted by `shift`
/// (`s1 = Σ(x − shift)`, `s2 = Σ(x − shift)²`): variance 0 where `n ≤ ddof`.
#[inline(always)]
pub(crate) fn shifted_moments(n: f64, s1: f64, s2: f64, shift: f64, ddof: u8) -> (f64, f64) {
    let d = s1 / n;
    let ss = (s2 - s1 * d).max(0.0);
    let var = if n > ddof as f64 {
        ss / (n - ddof as f64)
    } else {
        0.0
    };
    (shift + d, var)
}

/// How Frost and Enhanced Frost measure the distance from the window centre to a pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Distance {
    /// `√(dx² + dy²)`, as in Frost et al. (1982) and the Orfeo ToolBox (default).
    #[default]
    Euclidean,
    /// `max(|dx|, |dy|)`, as in ESA SNAP.
    Chebyshev,
}

impl fmt::Display for Distance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Distance::Euclidean => "euclidean",
            Distance::Chebyshev => "chebyshev",
        })
    }
}

impl FromStr for Distance {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "euclidean" => Ok(Distance::Euclidean),
            "chebyshev" | "chessboard" => Ok(Distance::Chebyshev),
            _ => Err(Error::param(
                "distance",
                format!("`{s}` is not a distance; use euclidean or chebyshev"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cu_values() {
        assert_eq!(Domain::Intensity.cu(4.0), 0.5);
        assert!((Domain::Amplitude.cu(1.0) - 0.522_723_3).abs() < 1e-6);
        assert_eq!("POWER".parse::<Domain>().unwrap(), Domain::Intensity);
        assert!("db".parse::<Domain>().is_err());
        assert!(check_looks(0.0).is_err() && check_looks(f64::NAN).is_err());
        assert!(check_looks(f64::INFINITY).is_err() && check_looks(0.5).is_ok());
        assert!(check_ddof(2).is_err());
    }
}
