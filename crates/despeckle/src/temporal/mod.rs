//! Multi-temporal speckle filtering: a stack of dates of one scene, filtered together.
//!
//! A time series (one image per date, all on the same grid) is an image of `N` planes; the
//! engine reads every date's rows in lockstep, each with its own window statistics and its
//! own no-data ([`Validity::PerPlane`](crate::Validity::PerPlane)), so memory grows with
//! `N × width × window`, never with the height.
//!
//! * [`Quegan`]: the filter of Quegan & Yu (2001), `J_k = E[I_k] / N · Σ_i I_i / E[I_i]`,
//!   with any single-channel [`Filter`](crate::Filter) as the local mean estimator `E[·]`,
//!   and optionally the temporal "super image" ([`SuperImage`]) as one more output plane.
//!
//! ```
//! use despeckle::temporal::{Quegan, SuperImage};
//! use despeckle::{ImageMut, ImageRef, Mean, Options, filter_planes};
//!
//! let (w, h) = (32, 24);
//! let dates: Vec<Vec<f32>> = (0..3)
//!     .map(|t| (0..w * h).map(|i| 1.0 + ((i * 7 + t * 13) % 5) as f32 / 4.0).collect())
//!     .collect();
//! let inputs: Vec<ImageRef<f32>> =
//!     dates.iter().map(|d| ImageRef::new(d, w, h)).collect::<Result<_, _>>()?;
//! let q = Quegan::new(Mean).with_super_image(Some(SuperImage::Ratio));
//! // three filtered dates and the super image
//! let mut outs = vec![vec![0.0f32; w * h]; 4];
//! let mut views: Vec<ImageMut<f32>> =
//!     outs.iter_mut().map(|o| ImageMut::new(o, w, h)).collect::<Result<_, _>>()?;
//! filter_planes(&q, &inputs, &mut views, &Options::new(5)?)?;
//! # Ok::<(), despeckle::Error>(())
//! ```

mod quegan;

pub use quegan::{Quegan, QueganState, SuperImage};
