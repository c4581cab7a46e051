//! Single-look matrices from complex (SLC) scattering coefficients: the outer product k kᴴ
//! of a scattering vector k, as k² real planes in [`Matrix::elements`] order.

use num_complex::Complex64;

use super::Matrix;

/// Writes the planes of k kᴴ (element (i, j) = k_i · conj(k_j)) for a scattering vector of
/// `matrix.k()` entries.
fn outer(matrix: Matrix, k: &[Complex64], out: &mut [f64]) {
    debug_assert_eq!(k.len(), matrix.k());
    debug_assert_eq!(out.len(), matrix.planes());
    let mut p = 0;
    for i in 0..k.len() {
        for j in i..k.len() {
            let z = k[i] * k[j].conj();
            if i == j {
                out[p] = z.re;
                p += 1;
            } else {
                out[p] = z.re;
                out[p + 1] = z.im;
                p += 2;
            }
        }
    }
}

/// The Hermitian matrix k kᴴ of a scattering vector `k` (k = 2, 3 or 4 entries), as a
/// 4 × 4 array whose first k rows and columns are used: element (i, j) = k_i · conj(k_j).
pub fn outer_product(k: &[Complex64]) -> [[Complex64; 4]; 4] {
    let mut m = [[Complex64::new(0.0, 0.0); 4]; 4];
    for (i, a) in k.iter().enumerate().take(4) {
        for (j, b) in k.iter().enumerate().take(4) {
            m[i][j] = a * b.conj();
        }
    }
    m
}

/// Dual-pol covariance C2 of one pixel from two complex channels: k = [s1, s2],
/// C = k kᴴ, so `C11 = |s1|²`, `C12 = s1 · conj(s2)`, `C22 = |s2|²`.
///
/// The channel order sets the meaning: ESA SNAP orders Sentinel-1's VV + VH as
/// k = [S_vv, S_vh] (C11 = |VV|², C22 = |VH|²) and HH + HV as k = [S_hh, S_hv], and
/// PolSARpro's dual-pol modes are pp1 = [S_hh, S_vh], pp2 = [S_vv, S_hv], pp3 = [S_hh, S_vv];
/// pass the co-polarised channel first to match both. Returns
/// `[C11, C12_real, C12_imag, C22]`.
pub fn c2_from_dual(s1: Complex64, s2: Complex64) -> [f64; 4] {
    let mut out = [0.0; 4];
    outer(Matrix::C2, &[s1, s2], &mut out);
    out
}

/// Quad-pol covariance C3 of one pixel, lexicographic basis with reciprocity (as ESA SNAP
/// and PolSARpro): k_L = [S_hh, √2 · S_x, S_vv] with S_x = (S_hv + S_vh) / 2, C3 = k_L k_Lᴴ.
/// So `C11 = |S_hh|²`, `C22 = 2 |S_x|²`, `C33 = |S_vv|²`, `C13 = S_hh · conj(S_vv)`.
/// Returns the 9 planes in [`Matrix::elements`] order.
pub fn c3_from_quad(hh: Complex64, hv: Complex64, vh: Complex64, vv: Complex64) -> [f64; 9] {
    let x = (hv + vh) / std::f64::consts::SQRT_2; // √2 · (hv + vh) / 2
    let mut out = [0.0; 9];
    outer(Matrix::C3, &[hh, x, vv], &mut out);
    out
}

/// Quad-pol coherency T3 of one pixel, Pauli basis with reciprocity (as ESA SNAP and
/// PolSARpro): k_P = 1/√2 [S_hh + S_vv, S_hh − S_vv, 2 · S_x] with S_x = (S_hv + S_vh) / 2,
/// T3 = k_P k_Pᴴ. So `T11 = |S_hh + S_vv|² / 2`, `T22 = |S_hh − S_vv|² / 2`,
/// `T33 = 2 |S_x|²`. Returns the 9 planes in [`Matrix::elements`] order.
pub fn t3_from_quad(hh: Complex64, hv: Complex64, vh: Complex64, vv: Complex64) -> [f64; 9] {
    let r = std::f64::consts::FRAC_1_SQRT_2;
    let k = [(hh + vv) * r, (hh - vv) * r, (hv + vh) * r];
    let mut out = [0.0; 9];
    outer(Matrix::T3, &k, &mut out);
    out
}

/// Quad-pol covariance C4 of one pixel, no reciprocity assumed (as ESA SNAP and PolSARpro):
/// k = [S_hh, S_hv, S_vh, S_vv], C4 = k kᴴ. Returns the 16 planes in [`Matrix::elements`]
/// order.
pub fn c4_from_quad(hh: Complex64, hv: Complex64, vh: Complex64, vv: Complex64) -> [f64; 16] {
    let mut out = [0.0; 16];
    outer(Matrix::C4, &[hh, hv, vh, vv], &mut out);
    out
}

/// Quad-pol coherency T4 of one pixel, no reciprocity assumed (as ESA SNAP and PolSARpro):
/// k = 1/√2 [S_hh + S_vv, S_hh − S_vv, S_hv + S_vh, i (S_hv − S_vh)], T4 = k kᴴ. Returns the
/// 16 planes in [`Matrix::elements`] order.
pub fn t4_from_quad(hh: Complex64, hv: Complex64, vh: Complex64, vv: Complex64) -> [f64; 16] {
    let r = std::f64::consts::FRAC_1_SQRT_2;
    let i = Complex64::new(0.0, 1.0);
    let k = [
        (hh + vv) * r,
        (hh - vv) * r,
        (hv + vh) * r,
        i * (hv - vh) * r,
    ];
    let mut out = [0.0; 16];
    outer(Matrix::T4, &k, &mut out);
    out
}
