//! Polarimetric matrices: the data model of polarimetric speckle filtering.
//!
//! A polarimetric SAR pixel is a k × k Hermitian, positive semi-definite matrix — the
//! covariance `C = ⟨k_L k_Lᴴ⟩` or the coherency `T = ⟨k_P k_Pᴴ⟩` of a scattering vector,
//! ⟨·⟩ an average over looks — held as k² real planes ([`Matrix`]): the upper triangle row
//! by row, each diagonal element as one real plane (`C11`), each off-diagonal element as a
//! `_real` and an `_imag` plane (`C12_real`, `C12_imag`). This is the order and the naming
//! of ESA SNAP's bands and of PolSARpro's `.bin` files:
//!
//! | kind | planes, in order |
//! |------|------------------|
//! | C2 | C11, C12_real, C12_imag, C22 |
//! | C3 | C11, C12_real, C12_imag, C13_real, C13_imag, C22, C23_real, C23_imag, C33 |
//! | T3 | T11, T12_real, T12_imag, T13_real, T13_imag, T22, T23_real, T23_imag, T33 |
//! | C4, T4 | X11, X12_real, X12_imag, X13_…, X14_…, X22, X23_…, X24_…, X33, X34_…, X44 |
//!
//! Off-diagonal elements are `X_ij = ⟨k_i · conj(k_j)⟩` (i < j), the lower triangle the
//! conjugate: SNAP's `PolOpUtils` and PolSARpro's `util_convert.c` use this convention.
//!
//! # From SLC: the scattering vectors
//!
//! With the complex scattering coefficients S_hh, S_hv, S_vh, S_vv of one pixel
//! ([`slc`]), and S_x = (S_hv + S_vh) / 2 where reciprocity is assumed (as both tools do for
//! C3 and T3):
//!
//! * dual-pol C2: k = [S₁, S₂], two channels in the order given. ESA SNAP orders
//!   Sentinel-1 VV + VH as [S_vv, S_vh], so `C11 = ⟨|VV|²⟩`, `C22 = ⟨|VH|²⟩`,
//!   `C12 = ⟨S_vv · conj(S_vh)⟩`; HH + HV as [S_hh, S_hv]. PolSARpro's dual-pol modes put
//!   the co-polarised channel first too (pp1 = [S_hh, S_vh], pp2 = [S_vv, S_hv],
//!   pp3 = [S_hh, S_vv]).
//! * C3, lexicographic: k_L = [S_hh, √2 · S_x, S_vv].
//! * T3, Pauli: k_P = 1/√2 · [S_hh + S_vv, S_hh − S_vv, 2 · S_x].
//! * C4: k = [S_hh, S_hv, S_vh, S_vv]; T4: k = 1/√2 · [S_hh + S_vv, S_hh − S_vv,
//!   S_hv + S_vh, i (S_hv − S_vh)].
//!
//! The trace (span) is the total power |S_hh|² + |S_hv|² + |S_vh|² + |S_vv|² for C4 and T4,
//! and |S_hh|² + 2 |S_x|² + |S_vv|² for C3 and T3; T3 = U C3 Uᴴ with the unitary
//! U = 1/√2 · [[1, 0, 1], [1, 0, −1], [0, √2, 0]].
//!
//! ```
//! use despeckle::polsar::{Complex64, Matrix, slc};
//!
//! // Band names in any order are recognised, with the permutation to the canonical order.
//! let names = ["C22", "C12_imag", "C11", "C12_real"];
//! let (matrix, order) = Matrix::recognise(&names).unwrap();
//! assert_eq!(matrix, Matrix::C2);
//! assert_eq!(order, [2, 3, 1, 0]); // plane p is names[order[p]]
//!
//! // One SLC pixel of a VV + VH pair → C2.
//! let c2 = slc::c2_from_dual(Complex64::new(1.0, 2.0), Complex64::new(3.0, -1.0));
//! assert_eq!(c2, [5.0, 1.0, 7.0, 10.0]);
//! ```

mod convert;
mod matrix;
pub mod slc;

pub use crate::filters::polsar::{Criterion, PolBoxcar, PolIdan, PolLeeSigma, PolRefinedLee};
pub use convert::Conversion;
pub use matrix::{Element, LayoutError, Matrix, Part};
pub use num_complex::Complex64;

#[cfg(test)]
#[allow(clippy::needless_range_loop)] // matrix indices read best as indices
mod tests;
