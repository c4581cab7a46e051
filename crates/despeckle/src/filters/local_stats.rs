//! Local statistics: window mean, variance, standard deviation, coefficient of variation.

use std::fmt;
use std::str::FromStr;

use super::range::{Degree, Maths, rescue, saturate};
use super::speckle::check_ddof;
use crate::engine::{Filter, RowContext, cancelled, deviation_sum, mean_variance};
use crate::error::{Error, Result};
use crate::sample::Sample;

/// Which local statistic [`LocalStats`] outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Statistic {
    /// `μ = Σx / n`.
    #[default]
    Mean,
    /// `σ² = max(0, Σx² − μ·Σx) / (n − ddof)` (0 where `n ≤ ddof`); where that one-pass form
    /// cancels (a spread below about 0.1 % of the level), `Σ(x − μ)² / (n − ddof)` summed
    /// directly ([`deviation_sum`](crate::engine::deviation_sum)).
    Variance,
    /// `σ`.
    StdDev,
    /// `Ci = σ / μ` where `μ > 0`, else 0.
    Cv,
}

impl fmt::Display for Statistic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Statistic::Mean => "mean",
            Statistic::Variance => "variance",
            Statistic::StdDev => "std",
            Statistic::Cv => "cv",
        })
    }
}

impl FromStr for Statistic {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mean" => Ok(Statistic::Mean),
            "variance" | "var" => Ok(Statistic::Variance),
            "std" | "stddev" => Ok(Statistic::StdDev),
            "cv" => Ok(Statistic::Cv),
            _ => Err(Error::param(
                "stat",
                format!("`{s}` is not a statistic; use mean, variance, std or cv"),
            )),
        }
    }
}

/// Local statistics of the window's valid pixels, one statistic per output image.
///
/// A statistic the image type cannot hold (the variance of values near its largest value; a
/// standard deviation or coefficient of variation beyond it) is clamped to that largest value
/// ([`Sample::MAX`](crate::Sample::MAX)), never `∞`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LocalStats {
    stat: Statistic,
    ddof: u8,
}

impl LocalStats {
    /// The given statistic with the population variance (`ddof = 0`).
    pub fn new(stat: Statistic) -> Self {
        LocalStats { stat, ddof: 0 }
    }

    /// Sets the variance convention: 0 population (default), 1 sample (`n − 1`).
    pub fn with_ddof(mut self, ddof: u8) -> Result<Self> {
        self.ddof = check_ddof(ddof)?;
        Ok(self)
    }

    /// The statistic computed.
    pub fn statistic(&self) -> Statistic {
        self.stat
    }
}

impl Filter for LocalStats {
    fn name(&self) -> &'static str {
        "local-stats"
    }

    #[inline(always)]
    fn filter_row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]) {
        self.row(ctx, out);
        let degree = match self.stat {
            Statistic::Mean => Degree::Bounded,
            Statistic::Variance => Degree::Two,
            Statistic::StdDev => Degree::One,
            Statistic::Cv => Degree::Zero,
        };
        rescue(ctx, out, Maths::F64, degree, |c, o, _| self.row(c, o));
    }
}

impl LocalStats {
    /// The statistic from the window sums; values beyond the type's range are clamped to it.
    #[inline(always)]
    fn row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]) {
        let ddof = self.ddof as f64;
        let w = out.len();
        let (n, s1, s2) = (&ctx.count[..w], &ctx.sum[..w], &ctx.sum_sq[..w]);
        for x in 0..w {
            let (mu, mut var) = mean_variance(n[x], s1[x], s2[x], ddof);
            let one_pass = (s2[x] - s1[x] * mu).max(0.0);
            if self.stat != Statistic::Mean && n[x] > ddof && cancelled(one_pass, s2[x]) {
                // a spread far below the level: the one-pass sums cancelled
                var = deviation_sum(&ctx.window, x, mu) / (n[x] - ddof);
            }
            let v = match self.stat {
                Statistic::Mean => mu,
                Statistic::Variance => var,
                Statistic::StdDev => var.sqrt(),
                Statistic::Cv => {
                    if mu > 0.0 {
                        var.sqrt() / mu
                    } else {
                        0.0
                    }
                }
            };
            out[x] = saturate(v);
        }
    }
}
