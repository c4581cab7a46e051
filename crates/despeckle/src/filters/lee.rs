//! Lee (Lee 1980, multiplicative-noise form) and Kuan (Kuan et al. 1985).

use super::range::{Degree, Maths, rescue};
use super::speckle::{Domain, check_ddof, check_looks};
use crate::engine::{Filter, RowContext, moments_row};
use crate::error::Result;
use crate::sample::{Real, Sample};

/// Which weight of the two local-statistics MMSE filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Weight {
    Lee,
    Kuan,
}

/// Parameters shared by [`Lee`] and [`Kuan`].
#[derive(Debug, Clone, Copy, PartialEq)]
struct Mmse {
    looks: f64,
    domain: Domain,
    ddof: u8,
}

impl Mmse {
    fn new(looks: f64) -> Result<Self> {
        Ok(Mmse {
            looks: check_looks(looks)?,
            domain: Domain::Intensity,
            ddof: 0,
        })
    }

    /// `out = μ + W·(z − μ)` over a row, `W` from `Ci² = σ²/μ²` and `Cu²`, evaluated as the
    /// convex combination `μ·(1 − W) + z·W` with `1 − W` formed directly from
    /// `r = Cu²/Ci²` (Lee: `min(1, r)`; Kuan: `(Cu² + min(1, r))/(1 + Cu²)`): no cancellation
    /// where `W` is close to 1 and `z` far below `μ`.
    #[inline(always)]
    fn row<T: Sample>(&self, weight: Weight, ctx: &RowContext<'_>, out: &mut [T]) {
        let cu2 = self.domain.cu(self.looks).powi(2);
        let one = T::Lane::ONE;
        let cu2l = T::Lane::from_f64(cu2);
        // 1 − W = a·min(1, r) + c
        let (a, c) = match weight {
            Weight::Lee => (1.0, 0.0),
            Weight::Kuan => (1.0 / (1.0 + cu2), cu2 / (1.0 + cu2)),
        };
        let (a, c) = (T::Lane::from_f64(a), T::Lane::from_f64(c));
        let w = out.len();
        let mut mean = vec![T::Lane::ZERO; w];
        let mut var = vec![T::Lane::ZERO; w];
        moments_row(ctx, self.ddof, &mut mean, &mut var);
        for (((o, &mu), &v), &z) in out.iter_mut().zip(&mean).zip(&var).zip(&ctx.centre[..w]) {
            let z = T::Lane::from_f64(z);
            // Ci computed as σ/μ (no μ² that could overflow or underflow in f32); Ci = 0
            // gives r = ∞, clamped to 1: the mean.
            let ci = v.sqrt() / mu;
            let r = (cu2l / (ci * ci)).min(one);
            let keep_mean = a * r + c; // 1 − W
            let wt = one - keep_mean; // W
            let filtered = mu * keep_mean + z * wt;
            *o = T::from_lane(T::Lane::select(mu > T::Lane::ZERO, filtered, mu));
        }
    }
}

macro_rules! mmse_filter {
    ($name:ident, $cli:literal, $weight:expr, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub struct $name(Mmse);

        impl $name {
            #[doc = concat!(stringify!($name), " for `looks` looks (> 0, need not be an integer), ")]
            #[doc = "intensity data, population variance."]
            pub fn new(looks: f64) -> Result<Self> {
                Ok($name(Mmse::new(looks)?))
            }

            /// Sets the data domain (intensity or amplitude), which selects `Cu`.
            pub fn with_domain(mut self, domain: Domain) -> Result<Self> {
                self.0.domain = domain;
                Ok(self)
            }

            /// Sets the variance convention: 0 population (default), 1 sample (`n − 1`,
            /// as ESA SNAP and the Orfeo ToolBox).
            pub fn with_ddof(mut self, ddof: u8) -> Result<Self> {
                self.0.ddof = check_ddof(ddof)?;
                Ok(self)
            }

            /// The number of looks `L`.
            pub fn looks(&self) -> f64 {
                self.0.looks
            }

            /// The data domain.
            pub fn domain(&self) -> Domain {
                self.0.domain
            }

            /// The variance convention (0 or 1).
            pub fn ddof(&self) -> u8 {
                self.0.ddof
            }

            /// `Cu` for this domain and number of looks.
            pub fn cu(&self) -> f64 {
                self.0.domain.cu(self.0.looks)
            }
        }

        impl Filter for $name {
            fn name(&self) -> &'static str {
                $cli
            }

            #[inline(always)]
            fn filter_row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]) {
                self.0.row($weight, ctx, out);
                rescue(ctx, out, Maths::Lanes, Degree::Bounded, |c, o, _| {
                    self.0.row($weight, c, o)
                });
            }
        }
    };
}

mmse_filter!(
    Lee,
    "lee",
    Weight::Lee,
    "The Lee filter (Lee 1980), multiplicative-noise form.

With the window's valid-pixel mean `μ`, variance `σ²` (population by default, see
[`Lee::with_ddof`]), `Ci = σ / μ` and the speckle coefficient of variation `Cu`
([`Domain::cu`]):

```text
W   = clamp(1 − Cu² / Ci², 0, 1)        (W = 0 where Ci = 0, i.e. Ci ≤ Cu gives μ)
out = μ + W · (z − μ)
```

A window whose mean is not positive gives `μ`. With `ddof = 1` and `border = nearest` this is
the Orfeo ToolBox's `otbcli_Despeckle -filter lee` (and ESA SNAP's Lee with `shrink`)."
);

mmse_filter!(
    Kuan,
    "kuan",
    Weight::Kuan,
    "The Kuan filter (Kuan, Sawchuk, Strand & Chavel 1985).

With the window's valid-pixel mean `μ`, variance `σ²` (population by default, see
[`Kuan::with_ddof`]), `Ci = σ / μ` and the speckle coefficient of variation `Cu`
([`Domain::cu`]):

```text
W   = clamp((1 − Cu² / Ci²) / (1 + Cu²), 0, 1)
out = μ + W · (z − μ)
```

A window whose mean is not positive gives `μ`. With `ddof = 1` and `border = nearest` this is
the Orfeo ToolBox's `otbcli_Despeckle -filter kuan`."
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_validated() {
        assert!(Lee::new(0.0).is_err());
        assert!(Kuan::new(f64::NAN).is_err());
        assert!(Lee::new(1.0).unwrap().with_ddof(2).is_err());
        let k = Kuan::new(4.0).unwrap().with_ddof(1).unwrap();
        assert_eq!((k.looks(), k.ddof(), k.cu()), (4.0, 1, 0.5));
        let e = Lee::new(-3.0).unwrap_err().to_string();
        assert!(e.contains("looks") && e.contains("> 0"), "{e}");
    }
}
