//! How a call's filter is obtained for each image plane: given, or set up from image-wide
//! estimates of that plane (`looks="auto"`: the equivalent number of looks; Lee Sigma's
//! `Z98`: the 98th percentile), computed before anything is written.

use despeckle::estimate::{self, Looks};
use despeckle::{Domain, Filter, Options, RowSource, Sample};

/// A filter, or the recipe for one that depends on the plane's data.
pub trait Spec: Sync {
    /// The filter type.
    type F: Filter + Sync;

    /// Checks the parameters against the options before anything is read or written.
    fn check(&self, opts: &Options) -> despeckle::Result<()>;

    /// The filter for one plane; image-wide estimates read the plane from `src`.
    fn resolve<T: Sample, S: RowSource<T>>(
        &self,
        src: &mut S,
        opts: &Options,
    ) -> despeckle::Result<Self::F>;
}

/// A filter whose parameters are all given.
pub struct Fixed<F>(pub F);

impl<F: Filter + Copy + Sync> Spec for Fixed<F> {
    type F = F;

    fn check(&self, opts: &Options) -> despeckle::Result<()> {
        self.0.check_options(opts)
    }

    fn resolve<T: Sample, S: RowSource<T>>(
        &self,
        _src: &mut S,
        _opts: &Options,
    ) -> despeckle::Result<F> {
        Ok(self.0)
    }
}

/// Lee Sigma's `Z98`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Z98 {
    /// The filter does not use it.
    Unused,
    /// Given (`+∞` disables the point-target test).
    Given(f64),
    /// The plane's 98th percentile of valid pixels (`estimate::quantile`).
    Estimate,
}

/// The filter built by `build(looks, z98)` once the number of looks (given, or estimated
/// from the plane) and `Z98` are known.
pub struct Estimated<F> {
    /// Number of looks, given or `Auto`.
    pub looks: Looks,
    /// Data domain, for the looks estimate.
    pub domain: Domain,
    /// `Z98`, if the filter needs it.
    pub z98: Z98,
    /// Builds the filter from `(looks, z98)` (`z98` is `+∞` when unused).
    #[allow(clippy::type_complexity)]
    pub build: Box<dyn Fn(f64, f64) -> despeckle::Result<F> + Send + Sync>,
}

impl<F: Filter + Sync> Spec for Estimated<F> {
    type F = F;

    fn check(&self, opts: &Options) -> despeckle::Result<()> {
        // Every other parameter is checked by building with stand-ins for the estimates.
        let looks = match self.looks {
            Looks::Given(l) => l,
            Looks::Auto => 1.0,
        };
        let z98 = match self.z98 {
            Z98::Given(z) => z,
            Z98::Unused | Z98::Estimate => f64::INFINITY,
        };
        (self.build)(looks, z98)?.check_options(opts)
    }

    fn resolve<T: Sample, S: RowSource<T>>(
        &self,
        src: &mut S,
        opts: &Options,
    ) -> despeckle::Result<F> {
        let (looks, _) = self.looks.resolve(src, opts.nodata(), self.domain)?;
        let z98 = match self.z98 {
            Z98::Unused => f64::INFINITY,
            Z98::Given(z) => z,
            // No valid pixel: nothing is above it anyway.
            Z98::Estimate => estimate::quantile(src, 0.98, opts.nodata())?.unwrap_or(f64::INFINITY),
        };
        (self.build)(looks, z98)
    }
}
