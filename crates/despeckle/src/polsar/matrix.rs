//! The polarimetric matrix kinds and their layout as real planes.

use std::fmt;
use std::str::FromStr;

use num_complex::Complex64;

/// A polarimetric matrix kind: a k × k Hermitian matrix per pixel, held as k² real planes.
///
/// | kind | k | planes | meaning |
/// |------|---|--------|---------|
/// | `C2` | 2 | 4  | dual-pol covariance ⟨k kᴴ⟩, k = [S₁, S₂] |
/// | `C3` | 3 | 9  | covariance, lexicographic k_L = [S_hh, √2·S_hv, S_vv] |
/// | `T3` | 3 | 9  | coherency, Pauli k_P = 1/√2 [S_hh+S_vv, S_hh−S_vv, 2·S_hv] |
/// | `C4` | 4 | 16 | covariance without reciprocity, k = [S_hh, S_hv, S_vh, S_vv] |
/// | `T4` | 4 | 16 | coherency without reciprocity, k = 1/√2 [S_hh+S_vv, S_hh−S_vv, S_hv+S_vh, i(S_hv−S_vh)] |
///
/// The planes are the upper triangle row by row, the diagonal element real, every
/// off-diagonal element as a `_real` and an `_imag` plane ([`Matrix::elements`]): the order
/// and the names of ESA SNAP's bands and PolSARpro's `.bin` files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Matrix {
    /// 2 × 2 covariance matrix (dual-pol).
    C2,
    /// 3 × 3 covariance matrix (quad-pol, reciprocity).
    C3,
    /// 3 × 3 coherency matrix (quad-pol, reciprocity).
    T3,
    /// 4 × 4 covariance matrix (quad-pol).
    C4,
    /// 4 × 4 coherency matrix (quad-pol).
    T4,
}

/// Which part of a matrix element a plane holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// A diagonal element (real: an intensity).
    Diagonal,
    /// The real part of an off-diagonal element above the diagonal.
    Real,
    /// The imaginary part of an off-diagonal element above the diagonal.
    Imag,
}

/// What one plane holds: element (`row`, `col`) of the matrix, `row ≤ col`, 0-based, and
/// which part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Element {
    /// The element's row (0-based).
    pub row: usize,
    /// The element's column (0-based), `≥ row`.
    pub col: usize,
    /// Real diagonal, real part or imaginary part.
    pub part: Part,
}

/// Why names do not make a matrix, or a matrix kind is unknown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// A matrix kind name other than c2, c3, t3, c4, t4.
    #[error("unknown polarimetric matrix `{0}` (expected c2, c3, t3, c4 or t4)")]
    UnknownMatrix(String),
    /// No name is a matrix element (C11, C12_real, T22, ...).
    #[error(
        "no polarimetric matrix element among the names (expected C11, C12_real, ... or T11, ...)"
    )]
    NoElements,
    /// Elements of both a covariance (C) and a coherency (T) matrix.
    #[error("the names mix covariance (C..) and coherency (T..) elements: `{0}` and `{1}`")]
    Mixed(String, String),
    /// Coherency elements of a 2 × 2 matrix (T2 is not supported).
    #[error("a 2 x 2 coherency matrix (T2) is not supported: only C2, C3, T3, C4 and T4")]
    Unsupported,
    /// The same element twice.
    #[error("matrix element {element} appears twice: `{first}` and `{second}`")]
    Duplicate {
        /// The element's name.
        element: String,
        /// The first name giving it.
        first: String,
        /// The second name giving it.
        second: String,
    },
    /// Some elements of the matrix are missing.
    #[error("{matrix} matrix incomplete: missing {}", missing.join(", "))]
    Missing {
        /// The matrix recognised from the elements present.
        matrix: Matrix,
        /// The names of the missing elements.
        missing: Vec<String>,
    },
}

const C2_NAMES: [&str; 4] = ["C11", "C12_real", "C12_imag", "C22"];
const C3_NAMES: [&str; 9] = [
    "C11", "C12_real", "C12_imag", "C13_real", "C13_imag", "C22", "C23_real", "C23_imag", "C33",
];
const T3_NAMES: [&str; 9] = [
    "T11", "T12_real", "T12_imag", "T13_real", "T13_imag", "T22", "T23_real", "T23_imag", "T33",
];
const C4_NAMES: [&str; 16] = [
    "C11", "C12_real", "C12_imag", "C13_real", "C13_imag", "C14_real", "C14_imag", "C22",
    "C23_real", "C23_imag", "C24_real", "C24_imag", "C33", "C34_real", "C34_imag", "C44",
];
const T4_NAMES: [&str; 16] = [
    "T11", "T12_real", "T12_imag", "T13_real", "T13_imag", "T14_real", "T14_imag", "T22",
    "T23_real", "T23_imag", "T24_real", "T24_imag", "T33", "T34_real", "T34_imag", "T44",
];

impl Matrix {
    /// Every kind, smallest first.
    pub const ALL: [Matrix; 5] = [Matrix::C2, Matrix::C3, Matrix::T3, Matrix::C4, Matrix::T4];

    /// The matrix size k (2, 3 or 4).
    pub fn k(self) -> usize {
        match self {
            Matrix::C2 => 2,
            Matrix::C3 | Matrix::T3 => 3,
            Matrix::C4 | Matrix::T4 => 4,
        }
    }

    /// The number of real planes, k².
    pub fn planes(self) -> usize {
        self.k() * self.k()
    }

    /// Whether this is a coherency (T) matrix rather than a covariance (C) matrix.
    pub fn is_coherency(self) -> bool {
        matches!(self, Matrix::T3 | Matrix::T4)
    }

    /// The kind's name, upper case: `C2`, `C3`, `T3`, `C4`, `T4`.
    pub fn name(self) -> &'static str {
        match self {
            Matrix::C2 => "C2",
            Matrix::C3 => "C3",
            Matrix::T3 => "T3",
            Matrix::C4 => "C4",
            Matrix::T4 => "T4",
        }
    }

    /// The names of the k² planes in SNAP's and PolSARpro's order: the upper triangle row by
    /// row, `C11`, `C12_real`, `C12_imag`, `C13_real`, ..., `C22`, ... (`T..` for coherency).
    pub fn elements(self) -> &'static [&'static str] {
        match self {
            Matrix::C2 => &C2_NAMES,
            Matrix::C3 => &C3_NAMES,
            Matrix::T3 => &T3_NAMES,
            Matrix::C4 => &C4_NAMES,
            Matrix::T4 => &T4_NAMES,
        }
    }

    /// What plane `plane` holds; `None` if `plane ≥ k²`.
    pub fn element(self, plane: usize) -> Option<Element> {
        let k = self.k();
        let mut p = 0;
        for row in 0..k {
            for col in row..k {
                let parts: &[Part] = if row == col {
                    &[Part::Diagonal]
                } else {
                    &[Part::Real, Part::Imag]
                };
                for &part in parts {
                    if p == plane {
                        return Some(Element { row, col, part });
                    }
                    p += 1;
                }
            }
        }
        None
    }

    /// The plane holding `part` of element (`row`, `col`), `row ≤ col < k`; `None` for an
    /// element outside the upper triangle or a part it does not have (a diagonal element
    /// has only [`Part::Diagonal`]).
    pub fn plane(self, row: usize, col: usize, part: Part) -> Option<usize> {
        (0..self.planes()).find(|&p| self.element(p) == Some(Element { row, col, part }))
    }

    /// The planes of the diagonal (real, non-negative) elements, in order: C11, C22, ...
    pub fn diagonal(self) -> &'static [usize] {
        match self {
            Matrix::C2 => &[0, 3],
            Matrix::C3 | Matrix::T3 => &[0, 5, 8],
            Matrix::C4 | Matrix::T4 => &[0, 7, 12, 15],
        }
    }

    /// Recognises a matrix from band or file names in any order, and returns it with the
    /// permutation `order`: plane `p` of the matrix is `names[order[p]]`.
    ///
    /// A name matches an element if, ignoring case, surrounding blanks and a file extension
    /// (`C11.bin`, `c12_REAL.img`, `T33.tif`), it equals the element's name. Names that are
    /// no matrix element (`mask_valid_pixels.bin`, `config.txt`) are ignored. The kind is
    /// set by the letter (C or T) and the largest index present (`C33` → C3, `C44` → C4);
    /// every element of it must then be present exactly once.
    pub fn recognise<S: AsRef<str>>(names: &[S]) -> Result<(Matrix, Vec<usize>), LayoutError> {
        // (letter, row, col, part, index in names)
        let mut found: Vec<(char, usize, usize, Part, usize)> = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if let Some((letter, row, col, part)) = parse_element(name.as_ref()) {
                found.push((letter, row, col, part, i));
            }
        }
        let Some(first) = found.first() else {
            return Err(LayoutError::NoElements);
        };
        if let Some(other) = found.iter().find(|f| f.0 != first.0) {
            return Err(LayoutError::Mixed(
                names[first.4].as_ref().trim().to_string(),
                names[other.4].as_ref().trim().to_string(),
            ));
        }
        let k = found.iter().map(|f| f.2 + 1).max().unwrap_or(1).max(2);
        let matrix = match (first.0, k) {
            ('C', 2) => Matrix::C2,
            ('C', 3) => Matrix::C3,
            ('T', 3) => Matrix::T3,
            ('C', _) => Matrix::C4,
            ('T', 2) => return Err(LayoutError::Unsupported),
            _ => Matrix::T4,
        };
        let mut order: Vec<Option<usize>> = vec![None; matrix.planes()];
        for &(_, row, col, part, i) in &found {
            // row ≤ col < k by construction of k
            let p = matrix
                .plane(row, col, part)
                .expect("an upper-triangle element of the recognised size");
            if let Some(prev) = order[p] {
                return Err(LayoutError::Duplicate {
                    element: matrix.elements()[p].to_string(),
                    first: names[prev].as_ref().trim().to_string(),
                    second: names[i].as_ref().trim().to_string(),
                });
            }
            order[p] = Some(i);
        }
        let missing: Vec<String> = order
            .iter()
            .enumerate()
            .filter(|(_, o)| o.is_none())
            .map(|(p, _)| matrix.elements()[p].to_string())
            .collect();
        if !missing.is_empty() {
            return Err(LayoutError::Missing { matrix, missing });
        }
        Ok((matrix, order.into_iter().flatten().collect()))
    }

    /// The Hermitian matrix of one pixel from its k² plane values (in [`Matrix::elements`]
    /// order): `m[i][j]` for `i, j < k`, the lower triangle the conjugate of the upper one,
    /// the diagonal real. Entries beyond k are zero.
    ///
    /// # Panics
    /// If `planes.len() != k²`.
    pub fn to_hermitian(self, planes: &[f64]) -> [[Complex64; 4]; 4] {
        assert_eq!(planes.len(), self.planes(), "{self}: k² plane values");
        let mut m = [[Complex64::new(0.0, 0.0); 4]; 4];
        for (p, &v) in planes.iter().enumerate() {
            let e = self.element(p).expect("p < k²");
            match e.part {
                Part::Diagonal => m[e.row][e.col].re = v,
                Part::Real => {
                    m[e.row][e.col].re = v;
                    m[e.col][e.row].re = v;
                }
                Part::Imag => {
                    m[e.row][e.col].im = v;
                    m[e.col][e.row].im = -v;
                }
            }
        }
        m
    }

    /// The k² plane values of a Hermitian matrix (upper triangle and real diagonal; the
    /// lower triangle and the diagonal's imaginary parts are not read).
    pub fn from_hermitian(self, m: &[[Complex64; 4]; 4]) -> Vec<f64> {
        (0..self.planes())
            .map(|p| {
                let e = self.element(p).expect("p < k²");
                let z = m[e.row][e.col];
                match e.part {
                    Part::Diagonal | Part::Real => z.re,
                    Part::Imag => z.im,
                }
            })
            .collect()
    }
}

/// Parses `C11`, `C12_real`, `t23_imag`, `C11.bin` into (letter, row, col, part), 0-based.
fn parse_element(name: &str) -> Option<(char, usize, usize, Part)> {
    let name = name.trim();
    // a file extension: `C11.bin`, `C12_real.img`, `C11.bin.hdr` is not an element
    let stem = match name.split_once('.') {
        Some((stem, ext)) if !ext.is_empty() && !ext.contains('.') => stem,
        Some(_) => return None,
        None => name,
    };
    let upper = stem.to_ascii_uppercase();
    let bytes = upper.as_bytes();
    if bytes.len() < 3 {
        return None;
    }
    let letter = match bytes[0] {
        b'C' => 'C',
        b'T' => 'T',
        _ => return None,
    };
    let digit = |b: u8| (b'1'..=b'4').contains(&b).then(|| usize::from(b - b'1'));
    let (row, col) = (digit(bytes[1])?, digit(bytes[2])?);
    let part = match &upper[3..] {
        "" if row == col => Part::Diagonal,
        "_REAL" if row < col => Part::Real,
        "_IMAG" if row < col => Part::Imag,
        _ => return None,
    };
    Some((letter, row, col, part))
}

impl fmt::Display for Matrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Matrix {
    type Err = LayoutError;

    /// `c2`, `C3`, `t3`, `c4`, `T4` (any case, surrounding blanks ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Matrix::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(t))
            .ok_or_else(|| LayoutError::UnknownMatrix(t.to_string()))
    }
}
