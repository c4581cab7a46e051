//! Changes of basis between covariance and coherency matrices: `T = U C Uᴴ`.

use super::matrix::Matrix;
use crate::error::{Error, Result};
use crate::sample::Sample;
use num_complex::Complex64;

/// The change of basis from one matrix kind to another of the same size: covariance C3 ↔
/// coherency T3 and C4 ↔ T4 (or a kind to itself, unchanged).
///
/// With the lexicographic and Pauli scattering vectors of [`slc`](super::slc),
/// `k_P = U k_L`, so `T = U C Uᴴ` and `C = Uᴴ T U`, with the unitary
///
/// * `U₃ = 1/√2 · [[1, 0, 1], [1, 0, −1], [0, √2, 0]]`
///   (k_L = [S_hh, √2 S_x, S_vv], k_P = 1/√2 [S_hh + S_vv, S_hh − S_vv, 2 S_x]);
/// * `U₄ = 1/√2 · [[1, 0, 0, 1], [1, 0, 0, −1], [0, 1, 1, 0], [0, i, −i, 0]]`
///   (k = [S_hh, S_hv, S_vh, S_vv], k_P = 1/√2 [S_hh + S_vv, S_hh − S_vv, S_hv + S_vh,
///   i (S_hv − S_vh)]).
///
/// These are the conversions of ESA SNAP (`PolOpUtils`) and PolSARpro (`C3_to_T3`,
/// `T3_to_C3`, …). The trace (span) and the eigenvalues are unchanged, so the result is
/// Hermitian positive semi-definite when the input is. Computed in `f64`.
///
/// ```
/// use despeckle::polsar::{Complex64, Conversion, Matrix, slc};
///
/// let (hh, hv, vv) = (Complex64::new(1.0, 2.0), Complex64::new(0.5, -1.0), Complex64::new(-2.0, 0.5));
/// let to_t3 = Conversion::new(Matrix::C3, Matrix::T3)?;
/// let mut t3 = [0.0; 9];
/// to_t3.pixel(&slc::c3_from_quad(hh, hv, hv, vv), &mut t3);
/// let direct = slc::t3_from_quad(hh, hv, hv, vv);
/// assert!(t3.iter().zip(&direct).all(|(a, b)| (a - b).abs() < 1e-12));
/// # Ok::<(), despeckle::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conversion {
    from: Matrix,
    to: Matrix,
}

impl Conversion {
    /// The conversion from `from` to `to`; an error unless both are the same size and
    /// a change of basis between them is defined (C3 ↔ T3, C4 ↔ T4, or a kind to itself).
    pub fn new(from: Matrix, to: Matrix) -> Result<Self> {
        if from.k() != to.k() || (from == Matrix::C2) != (to == Matrix::C2) {
            return Err(Error::param(
                "to",
                format!(
                    "{from} cannot be converted to {to}: C3 ↔ T3 and C4 ↔ T4 are defined (a \
                     {}×{} matrix stays {}×{})",
                    from.k(),
                    from.k(),
                    from.k(),
                    from.k()
                ),
            ));
        }
        Ok(Conversion { from, to })
    }

    /// The input kind.
    pub fn from(&self) -> Matrix {
        self.from
    }

    /// The output kind.
    pub fn to(&self) -> Matrix {
        self.to
    }

    /// Whether the conversion changes nothing (a kind to itself).
    pub fn is_identity(&self) -> bool {
        self.from == self.to
    }

    /// Converts one pixel: `input` its k² planes of [`Conversion::from`] (in
    /// [`Matrix::elements`] order), `output` the k² planes of [`Conversion::to`].
    ///
    /// # Panics
    /// If either slice is not k² long.
    pub fn pixel(&self, input: &[f64], output: &mut [f64]) {
        assert_eq!(
            output.len(),
            self.to.planes(),
            "{}: k² plane values",
            self.to
        );
        let m = self.from.to_hermitian(input);
        let k = self.from.k();
        let r = match (self.from.is_coherency(), self.to.is_coherency()) {
            (false, true) => change(&m, &unitary(k), k, false),
            (true, false) => change(&m, &unitary(k), k, true),
            _ => m,
        };
        for (o, v) in output.iter_mut().zip(self.to.from_hermitian(&r)) {
            *o = v;
        }
    }

    /// Converts rows of pixels in place: `planes[p]` is plane `p`'s row (k² rows of one
    /// length). A pixel with an element that is not finite or equals `nodata` gets `nodata`
    /// (NaN when `None`) in every plane.
    ///
    /// # Panics
    /// If `planes` does not hold k² rows of one length.
    pub fn rows<T: Sample>(&self, planes: &mut [&mut [T]], nodata: Option<f64>) {
        let n = self.from.planes();
        assert_eq!(planes.len(), n, "{}: k² planes", self.from);
        let width = planes.first().map_or(0, |p| p.len());
        assert!(
            planes.iter().all(|p| p.len() == width),
            "rows of one length"
        );
        if self.is_identity() {
            return;
        }
        let (mut input, mut output) = (vec![0.0; n], vec![0.0; n]);
        let fill = T::from_f64(nodata.unwrap_or(f64::NAN));
        for x in 0..width {
            for (v, plane) in input.iter_mut().zip(planes.iter()) {
                *v = plane[x].to_f64();
            }
            if input.iter().any(|&v| !v.is_finite() || Some(v) == nodata) {
                for plane in planes.iter_mut() {
                    plane[x] = fill;
                }
                continue;
            }
            self.pixel(&input, &mut output);
            for (plane, &v) in planes.iter_mut().zip(&output) {
                plane[x] = T::from_f64(v);
            }
        }
    }
}

/// The unitary `U` of `k_P = U k_L` for k = 3 or 4 (see [`Conversion`]).
fn unitary(k: usize) -> [[Complex64; 4]; 4] {
    let r = std::f64::consts::FRAC_1_SQRT_2;
    let c = |re: f64, im: f64| Complex64::new(re * r, im * r);
    let z = c(0.0, 0.0);
    if k == 3 {
        [
            [c(1.0, 0.0), z, c(1.0, 0.0), z],
            [c(1.0, 0.0), z, c(-1.0, 0.0), z],
            [z, Complex64::new(1.0, 0.0), z, z],
            [z; 4],
        ]
    } else {
        [
            [c(1.0, 0.0), z, z, c(1.0, 0.0)],
            [c(1.0, 0.0), z, z, c(-1.0, 0.0)],
            [z, c(1.0, 0.0), c(1.0, 0.0), z],
            [z, c(0.0, 1.0), c(0.0, -1.0), z],
        ]
    }
}

/// `U M Uᴴ`, or `Uᴴ M U` when `inverse`, over the first `k` rows and columns.
fn change(
    m: &[[Complex64; 4]; 4],
    u: &[[Complex64; 4]; 4],
    k: usize,
    inverse: bool,
) -> [[Complex64; 4]; 4] {
    // a(i, j): U's entry, or Uᴴ's when inverse (then Uᴴ M U = Uᴴ M (Uᴴ)ᴴ)
    let a = |i: usize, j: usize| {
        if inverse { u[j][i].conj() } else { u[i][j] }
    };
    let mut out = [[Complex64::new(0.0, 0.0); 4]; 4];
    for (i, row) in out.iter_mut().enumerate().take(k) {
        for (j, o) in row.iter_mut().enumerate().take(k) {
            let mut s = Complex64::new(0.0, 0.0);
            for (p, m_row) in m.iter().enumerate().take(k) {
                for (q, &m_pq) in m_row.iter().enumerate().take(k) {
                    s += a(i, p) * m_pq * a(j, q).conj();
                }
            }
            *o = s;
        }
    }
    out
}
