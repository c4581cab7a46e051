//! Polarimetric speckle filters: filters of the `k²` real planes of a polarimetric matrix
//! ([`Matrix`](crate::polsar::Matrix): C2, C3, T3, C4, T4).
//!
//! Each filter decides from the span (the trace: the sum of the diagonal planes; Lee Sigma
//! and IDAN also select pixels from each diagonal element) and applies the same decision to
//! every element: the output of a pixel is `(1 − w) · M̄ + w · M`, with
//! `M` its input matrix, `M̄` the mean matrix over a set of window pixels and `w ∈ [0, 1]` —
//! a convex combination of Hermitian positive semi-definite matrices, so the output is one
//! too. A pixel is no-data in every plane if it is in any
//! ([`Validity::Joint`](crate::Validity::Joint)).

mod boxcar;
mod idan;
mod lee_sigma;
mod refined_lee;

pub use boxcar::PolBoxcar;
pub use idan::{Criterion, PolIdan};
pub use lee_sigma::PolLeeSigma;
pub use refined_lee::PolRefinedLee;

use crate::error::{Error, Result};
use crate::polsar::Matrix;

/// Checks that an image of `planes` planes holds `matrix`; returns the plane count.
fn check_planes(matrix: Matrix, planes: usize) -> Result<usize> {
    if planes == matrix.planes() {
        Ok(planes)
    } else {
        Err(Error::param(
            "planes",
            format!(
                "a {} matrix has {} planes ({}), got {planes}",
                matrix.name(),
                matrix.planes(),
                matrix.elements().join(", ")
            ),
        ))
    }
}
