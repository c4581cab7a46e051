//! Speckle filters for SAR images with bounded memory: a streaming local-statistics engine
//! that holds only a window of rows, so memory grows with image width × window size, never
//! with height.
//!
//! * One pass over the data, O(1) work per pixel for window statistics whatever the window
//!   size, per-pixel maths evaluated row-wide in SIMD lanes, all cores (rayon).
//! * Three drivers with bit-identical results: [`filter`] (input → output),
//!   [`filter_in_place`] (no image-sized buffer), [`filter_stream`] (rows from a
//!   [`RowSource`] to a [`RowSink`], e.g. files larger than memory).
//! * Border modes ([`Border`]) with `scipy.ndimage`'s meaning plus `shrink`; no-data (NaN, ±∞
//!   and an optional value) left out of every statistic and kept in the output.
//! * `f32` and `f64` images, any row stride; no I/O in this crate.
//! * Images of several planes (polarimetric matrix elements, dates of a time series, bands):
//!   [`filter_planes`], [`filter_planes_in_place`], [`filter_stream_planes`] run a
//!   [`MultiFilter`] — one ring and one set of window sums per plane, per-plane or joint
//!   no-data ([`Validity`]), state carried from row to row with warm-up rows for multi-pass
//!   filters — with the same bit-identical guarantees. Every [`Filter`] is a `MultiFilter`
//!   filtering each plane on its own.
//!
//! Filters, each a [`Filter`] (the interface new filters plug into), defined in
//! `docs/filters.md` and on each type:
//!
//! * local statistics: [`Mean`] (boxcar), [`LocalStats`] (mean, variance, standard deviation,
//!   coefficient of variation), [`Median`];
//! * MMSE / local-statistics speckle filters: [`Lee`], [`Kuan`], [`EnhancedLee`],
//!   [`GammaMap`];
//! * distance-weighted: [`Frost`], [`EnhancedFrost`] (Euclidean or Chebyshev [`Distance`]);
//! * adaptive windows: [`RefinedLee`] (edge-aligned half windows), [`LeeSigma`] (improved
//!   sigma filter, Lee et al. 2009, with [`SigmaRange`] tables for any number of looks),
//!   [`Idan`] (intensity-driven adaptive neighbourhood, as ESA SNAP);
//! * multi-temporal, on a stack of dates ([`temporal`]): [`temporal::Quegan`] (Quegan & Yu
//!   2001) with any of the filters above as its local mean.
//!
//! Every filter that uses the window variance takes `ddof` (0 population, the default; 1
//! sample, as ESA SNAP and the Orfeo ToolBox). Image-wide values that set a filter up — the
//! exact quantile for Lee Sigma's `Z98`, the equivalent number of looks for `looks = "auto"` —
//! are in [`estimate`]: one value per image, from an image or a re-readable [`RowSource`].
//!
//! # Example: Enhanced Lee in place on a `Vec<f32>`
//!
//! ```
//! use despeckle::{Domain, EnhancedLee, ImageMut, Options, filter_in_place};
//!
//! let (width, height) = (200, 100);
//! // A 4-look intensity image: some reflectivity times speckle (here a fixed pattern).
//! let mut image: Vec<f32> = (0..width * height)
//!     .map(|i| 1.0 + 0.5 * ((i * 7919 % 13) as f32 / 13.0 - 0.5))
//!     .collect();
//!
//! let el = EnhancedLee::new(4.0)?.with_damping(1.0)?.with_domain(Domain::Intensity)?;
//! let opts = Options::new(7)?;
//! filter_in_place(&el, &mut ImageMut::new(&mut image, width, height)?, &opts)?;
//!
//! // Homogeneous speckle is smoothed towards the local mean.
//! assert!(image.iter().all(|v| (0.7..1.3).contains(v)));
//! # Ok::<(), despeckle::Error>(())
//! ```
#![deny(missing_docs)]

mod border;
mod driver;
pub mod engine;
mod error;
pub mod estimate;
mod filters;
mod image;
pub mod metrics;
mod options;
pub mod polsar;
mod sample;
pub mod synthetic;
pub mod temporal;

pub use border::{Border, Source};
pub use driver::budget;
pub use driver::{
    BoxError, PlaneSink, PlaneSource, Planes, RowSink, RowSource, filter, filter_in_place,
    filter_planes, filter_planes_in_place, filter_stream, filter_stream_blocks,
    filter_stream_planes, halo, plan, plan_in_place, plan_planes, plan_stream, plan_stream_planes,
};
pub use engine::{
    Filter, MultiFilter, PlanesContext, RowContext, Validity, Window, mean_variance, moments_row,
};
pub use error::{Compact, Error, Result};
pub use filters::{
    Distance, Domain, EdgeRule, EnhancedFrost, EnhancedLee, Frost, GammaMap, Idan, Kuan, Lee,
    LeeSigma, LocalStats, Mean, Median, Ppb, PpbState, RefinedLee, SigmaRange, Statistic,
    check_ddof, check_looks,
};
pub use image::{ImageMut, ImageRef};
pub use options::Options;
pub use sample::{Real, Sample};
