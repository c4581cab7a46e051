//! Speckle model parameters shared by the adaptive filters.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

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
            format!("the number of looks must be a finite number > 0, got {looks}"),
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
