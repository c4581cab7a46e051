//! Hand-computed values of the layout and of the SLC formulas (exact in f64 unless noted).

use super::slc::{
    c2_from_dual, c3_from_quad, c4_from_quad, outer_product, t3_from_quad, t4_from_quad,
};
use super::*;

fn c(re: f64, im: f64) -> Complex64 {
    Complex64::new(re, im)
}

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol, "plane {i}: {x} vs {y}\n{a:?}\n{b:?}");
    }
}

#[test]
fn sizes_and_names() {
    let expect: [(Matrix, usize, &[&str]); 5] = [
        (Matrix::C2, 2, &["C11", "C12_real", "C12_imag", "C22"]),
        (
            Matrix::C3,
            3,
            &[
                "C11", "C12_real", "C12_imag", "C13_real", "C13_imag", "C22", "C23_real",
                "C23_imag", "C33",
            ],
        ),
        (
            Matrix::T3,
            3,
            &[
                "T11", "T12_real", "T12_imag", "T13_real", "T13_imag", "T22", "T23_real",
                "T23_imag", "T33",
            ],
        ),
        (
            Matrix::C4,
            4,
            &[
                "C11", "C12_real", "C12_imag", "C13_real", "C13_imag", "C14_real", "C14_imag",
                "C22", "C23_real", "C23_imag", "C24_real", "C24_imag", "C33", "C34_real",
                "C34_imag", "C44",
            ],
        ),
        (
            Matrix::T4,
            4,
            &[
                "T11", "T12_real", "T12_imag", "T13_real", "T13_imag", "T14_real", "T14_imag",
                "T22", "T23_real", "T23_imag", "T24_real", "T24_imag", "T33", "T34_real",
                "T34_imag", "T44",
            ],
        ),
    ];
    for (m, k, names) in expect {
        assert_eq!(m.k(), k);
        assert_eq!(m.planes(), k * k);
        assert_eq!(m.elements(), names);
        assert_eq!(m.element(k * k), None);
        // the diagonal planes are the names `Xii`, and the elements say the same
        let diag: Vec<usize> = (0..k * k)
            .filter(|&p| names[p].len() == 3 && names[p].as_bytes()[1] == names[p].as_bytes()[2])
            .collect();
        assert_eq!(m.diagonal(), diag.as_slice(), "{m}");
        for p in 0..k * k {
            let e = m.element(p).unwrap();
            assert_eq!(e.part == Part::Diagonal, diag.contains(&p));
            assert_eq!(m.plane(e.row, e.col, e.part), Some(p));
            let name = names[p];
            assert_eq!(name.as_bytes()[1] - b'1', e.row as u8, "{name}");
            assert_eq!(name.as_bytes()[2] - b'1', e.col as u8, "{name}");
            assert_eq!(name.ends_with("_imag"), e.part == Part::Imag);
        }
        assert_eq!(m.plane(1, 0, Part::Real), None);
        assert_eq!(m.plane(0, 0, Part::Imag), None);
    }
    assert!(Matrix::T3.is_coherency() && !Matrix::C3.is_coherency());
}

#[test]
fn parsing_kind_names() {
    assert_eq!("c3".parse::<Matrix>(), Ok(Matrix::C3));
    assert_eq!("C3".parse::<Matrix>(), Ok(Matrix::C3));
    assert_eq!(" t4 ".parse::<Matrix>(), Ok(Matrix::T4));
    assert_eq!("C2".parse::<Matrix>(), Ok(Matrix::C2));
    for bad in ["t2", "c5", "", "C33"] {
        let e = bad.parse::<Matrix>().unwrap_err();
        assert!(
            e.to_string().contains("expected c2, c3, t3, c4 or t4"),
            "{e}"
        );
    }
    for m in Matrix::ALL {
        assert_eq!(m.to_string().parse::<Matrix>(), Ok(m));
    }
}

#[test]
fn recognising_names_in_any_order() {
    // T3 shuffled, with file extensions, odd case and files that are no element
    let names = [
        "T33.bin",
        "config.txt",
        "t12_REAL.bin",
        "T11.bin",
        "T23_imag.bin",
        "T13_real.bin",
        "mask_valid_pixels.bin",
        "T22.bin",
        "T12_imag.bin",
        "T23_real.bin",
        "T13_imag.bin",
        "T11.bin.hdr",
    ];
    let (m, order) = Matrix::recognise(&names).unwrap();
    assert_eq!(m, Matrix::T3);
    let got: Vec<String> = order
        .iter()
        .map(|&i| names[i].to_ascii_uppercase())
        .collect();
    let want: Vec<String> = Matrix::T3
        .elements()
        .iter()
        .map(|e| format!("{}.BIN", e.to_ascii_uppercase()))
        .collect();
    assert_eq!(got, want);

    for m in Matrix::ALL {
        let mut names: Vec<&str> = m.elements().to_vec();
        names.reverse();
        let (got, order) = Matrix::recognise(&names).unwrap();
        assert_eq!(got, m);
        let expect: Vec<usize> = (0..m.planes()).rev().collect();
        assert_eq!(order, expect);
    }
}

#[test]
fn recognising_refuses_what_is_not_one_matrix() {
    let err = |names: &[&str]| Matrix::recognise(names).unwrap_err();
    assert_eq!(err(&["HH", "VV"]), LayoutError::NoElements);
    assert_eq!(err(&[]), LayoutError::NoElements);
    assert!(matches!(err(&["C11", "T22"]), LayoutError::Mixed(..)));
    assert_eq!(
        err(&["T11", "T12_real", "T12_imag", "T22"]),
        LayoutError::Unsupported
    );
    let e = err(&["C11", "C12_real", "C22", "C11.bin"]);
    assert!(
        matches!(&e, LayoutError::Duplicate { element, .. } if element == "C11"),
        "{e:?}"
    );
    let e = err(&["C11", "C22", "C33", "C12_real"]);
    assert_eq!(
        e.to_string(),
        "C3 matrix incomplete: missing C12_imag, C13_real, C13_imag, C23_real, C23_imag"
    );
    // an element beyond the diagonal's order and malformed names are not elements
    assert_eq!(
        err(&["C21_real", "C11_real", "C12", "C5", "C1"]),
        LayoutError::NoElements
    );
}

#[test]
fn planes_and_hermitian_round_trip() {
    // C2 planes [C11, C12_re, C12_im, C22] = [4, 1, -2, 9]: C12 = 1 - 2i, C21 = 1 + 2i.
    let m = Matrix::C2.to_hermitian(&[4.0, 1.0, -2.0, 9.0]);
    assert_eq!(m[0][0], c(4.0, 0.0));
    assert_eq!(m[0][1], c(1.0, -2.0));
    assert_eq!(m[1][0], c(1.0, 2.0));
    assert_eq!(m[1][1], c(9.0, 0.0));
    assert_eq!(m[2][2], c(0.0, 0.0));
    for matrix in Matrix::ALL {
        let planes: Vec<f64> = (0..matrix.planes()).map(|p| p as f64 * 1.5 - 3.0).collect();
        let h = matrix.to_hermitian(&planes);
        for i in 0..matrix.k() {
            for j in 0..matrix.k() {
                assert_eq!(h[i][j], h[j][i].conj(), "{matrix} ({i}, {j})");
            }
        }
        assert_eq!(matrix.from_hermitian(&h), planes);
    }
}

#[test]
fn dual_pol_c2_by_hand() {
    // s1 = 1 + 2i, s2 = 3 - i: |s1|² = 5, |s2|² = 10, s1·conj(s2) = (1 + 2i)(3 + i) = 1 + 7i
    assert_eq!(
        c2_from_dual(c(1.0, 2.0), c(3.0, -1.0)),
        [5.0, 1.0, 7.0, 10.0]
    );
}

#[test]
fn quad_pol_c3_t3_by_hand() {
    let s2 = std::f64::consts::SQRT_2;
    // hh = 1, hv = vh = i, vv = 2: k_L = [1, √2 i, 2]
    let (hh, hv, vh, vv) = (c(1.0, 0.0), c(0.0, 1.0), c(0.0, 1.0), c(2.0, 0.0));
    // C12 = 1·conj(√2 i) = -√2 i, C13 = 2, C22 = 2, C23 = √2 i · 2, C33 = 4
    close(
        &c3_from_quad(hh, hv, vh, vv),
        &[1.0, 0.0, -s2, 2.0, 0.0, 2.0, 0.0, 2.0 * s2, 4.0],
        1e-15,
    );
    // k_P = 1/√2 [3, -1, 2i]: T11 = 9/2, T12 = -3/2, T13 = 3·(-2i)/2 = -3i, T22 = 1/2,
    // T23 = (-1)(-2i)/2 = i, T33 = 2
    close(
        &t3_from_quad(hh, hv, vh, vv),
        &[4.5, -1.5, 0.0, 0.0, -3.0, 0.5, 0.0, 1.0, 2.0],
        1e-15,
    );
    // reciprocity: hv and vh enter through their mean
    let a = c3_from_quad(hh, c(0.0, 2.0), c(0.0, 0.0), vv);
    close(&a, &c3_from_quad(hh, hv, vh, vv), 1e-15);
}

#[test]
fn quad_pol_c4_t4_by_hand() {
    // hh = 1, hv = i, vh = 2, vv = 0: k = [1, i, 2, 0]
    let (hh, hv, vh, vv) = (c(1.0, 0.0), c(0.0, 1.0), c(2.0, 0.0), c(0.0, 0.0));
    #[rustfmt::skip]
    let want = [
        1.0, 0.0, -1.0, 2.0, 0.0, 0.0, 0.0, // C11, C12 = -i, C13 = 2, C14 = 0
        1.0, 0.0, 2.0, 0.0, 0.0,            // C22, C23 = i·2 = 2i, C24 = 0
        4.0, 0.0, 0.0,                      // C33, C34
        0.0,                                // C44
    ];
    close(&c4_from_quad(hh, hv, vh, vv), &want, 0.0);
    // hh = 1, hv = 1, vh = vv = 0: k = 1/√2 [1, 1, 1, i]
    let (hh, hv, vh, vv) = (c(1.0, 0.0), c(1.0, 0.0), c(0.0, 0.0), c(0.0, 0.0));
    #[rustfmt::skip]
    let want = [
        0.5, 0.5, 0.0, 0.5, 0.0, 0.0, -0.5, // T11, T12, T13, T14 = 1·conj(i)/2 = -i/2
        0.5, 0.5, 0.0, 0.0, -0.5,           // T22, T23, T24
        0.5, 0.0, -0.5,                     // T33, T34
        0.5,                                // T44
    ];
    close(&t4_from_quad(hh, hv, vh, vv), &want, 1e-15);
}

/// T3 = U C3 Uᴴ, U = 1/√2 [[1, 0, 1], [1, 0, -1], [0, √2, 0]]; traces equal the span.
#[test]
fn t3_is_the_unitary_transform_of_c3() {
    let s2 = std::f64::consts::SQRT_2;
    let u = [
        [c(1.0 / s2, 0.0), c(0.0, 0.0), c(1.0 / s2, 0.0)],
        [c(1.0 / s2, 0.0), c(0.0, 0.0), c(-1.0 / s2, 0.0)],
        [c(0.0, 0.0), c(1.0, 0.0), c(0.0, 0.0)],
    ];
    let pixels = [
        [c(0.3, -1.2), c(0.7, 0.1), c(-0.2, 0.4), c(1.5, 0.9)],
        [c(-2.0, 0.5), c(0.0, -0.3), c(0.1, 0.1), c(0.25, -0.75)],
    ];
    for [hh, hv, vh, vv] in pixels {
        let cm = Matrix::C3.to_hermitian(&c3_from_quad(hh, hv, vh, vv));
        let mut t = [[c(0.0, 0.0); 4]; 4];
        for i in 0..3 {
            for j in 0..3 {
                for a in 0..3 {
                    for b in 0..3 {
                        t[i][j] += u[i][a] * cm[a][b] * u[j][b].conj();
                    }
                }
            }
        }
        close(
            &Matrix::T3.from_hermitian(&t),
            &t3_from_quad(hh, hv, vh, vv),
            1e-12,
        );
        let x = (hv + vh) / 2.0;
        let span = hh.norm_sqr() + 2.0 * x.norm_sqr() + vv.norm_sqr();
        let c3 = c3_from_quad(hh, hv, vh, vv);
        let trace: f64 = Matrix::C3.diagonal().iter().map(|&p| c3[p]).sum();
        assert!((trace - span).abs() < 1e-12);
        let t4 = t4_from_quad(hh, hv, vh, vv);
        let full = hh.norm_sqr() + hv.norm_sqr() + vh.norm_sqr() + vv.norm_sqr();
        let trace4: f64 = Matrix::T4.diagonal().iter().map(|&p| t4[p]).sum();
        assert!((trace4 - full).abs() < 1e-12);
    }
    // outer_product agrees with the plane formulas
    let k = [c(1.0, 2.0), c(3.0, -1.0)];
    assert_eq!(
        Matrix::C2.from_hermitian(&outer_product(&k)),
        c2_from_dual(k[0], k[1])
    );
}

/// Quad-pol pixels, reciprocal (hv = vh) and not.
fn quad_pixels() -> Vec<[Complex64; 4]> {
    vec![
        [c(0.3, -1.2), c(0.7, 0.1), c(-0.2, 0.4), c(1.5, 0.9)],
        [c(-2.0, 0.5), c(0.0, -0.3), c(0.1, 0.1), c(0.25, -0.75)],
        [c(1e3, 2e2), c(-5.0, 3.0), c(-5.0, 3.0), c(40.0, -7e2)],
        [c(0.0, 0.0), c(0.0, 0.0), c(0.0, 0.0), c(0.0, 0.0)],
    ]
}

/// The conversions agree with the SLC formulas of each basis, on single-look pixels and on
/// averages of several (full rank), both ways, and keep the trace.
#[test]
fn conversions_match_the_formulas_of_each_basis() {
    type Quad = fn(Complex64, Complex64, Complex64, Complex64) -> Vec<f64>;
    let c3: Quad = |a, b, c, d| c3_from_quad(a, b, c, d).to_vec();
    let t3: Quad = |a, b, c, d| t3_from_quad(a, b, c, d).to_vec();
    let c4: Quad = |a, b, c, d| c4_from_quad(a, b, c, d).to_vec();
    let t4: Quad = |a, b, c, d| t4_from_quad(a, b, c, d).to_vec();
    let cases: [(Matrix, Quad, Matrix, Quad); 4] = [
        (Matrix::C3, c3, Matrix::T3, t3),
        (Matrix::T3, t3, Matrix::C3, c3),
        (Matrix::C4, c4, Matrix::T4, t4),
        (Matrix::T4, t4, Matrix::C4, c4),
    ];
    let pixels = quad_pixels();
    for (from, f, to, g) in cases {
        let conv = Conversion::new(from, to).unwrap();
        let n = from.planes();
        let (mut sum_in, mut sum_want) = (vec![0.0; n], vec![0.0; n]);
        for &[hh, hv, vh, vv] in &pixels {
            let (input, want) = (f(hh, hv, vh, vv), g(hh, hv, vh, vv));
            let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            let mut out = vec![0.0; n];
            conv.pixel(&input, &mut out);
            close(&out, &want, 1e-13 * scale);
            for p in 0..n {
                sum_in[p] += input[p];
                sum_want[p] += want[p];
            }
        }
        let mut out = vec![0.0; n];
        conv.pixel(&sum_in, &mut out);
        close(&out, &sum_want, 1e-9);
        let trace = |m: Matrix, v: &[f64]| m.diagonal().iter().map(|&p| v[p]).sum::<f64>();
        assert!((trace(to, &out) - trace(from, &sum_in)).abs() < 1e-9);
        // and back
        let mut back = vec![0.0; n];
        Conversion::new(to, from).unwrap().pixel(&out, &mut back);
        close(&back, &sum_in, 1e-9);
    }
}

#[test]
fn conversions_between_sizes_or_from_c2_are_refused() {
    for (from, to) in [
        (Matrix::C2, Matrix::C3),
        (Matrix::C2, Matrix::T3),
        (Matrix::C3, Matrix::C4),
        (Matrix::T3, Matrix::T4),
        (Matrix::C4, Matrix::T3),
    ] {
        let e = Conversion::new(from, to).unwrap_err().to_string();
        assert!(e.contains("cannot be converted"), "{e}");
    }
    for m in Matrix::ALL {
        assert!(Conversion::new(m, m).unwrap().is_identity());
    }
}

/// Rows in place: every pixel as `pixel` gives it (rounded to the row type); a pixel with a
/// non-finite element or the no-data value in any plane becomes no-data in every plane.
#[test]
fn rows_convert_in_place_and_keep_no_data() {
    let conv = Conversion::new(Matrix::C3, Matrix::T3).unwrap();
    let pixels = quad_pixels();
    let width = pixels.len() + 2;
    let mut rows: Vec<Vec<f32>> = vec![vec![0.0; width]; 9];
    for (x, &[hh, hv, vh, vv]) in pixels.iter().enumerate() {
        for (p, v) in c3_from_quad(hh, hv, vh, vv).iter().enumerate() {
            rows[p][x] = *v as f32;
        }
    }
    let (nan_at, nodata_at) = (pixels.len(), pixels.len() + 1);
    rows[3][nan_at] = f32::NAN;
    rows[8][nodata_at] = -9999.0;
    let input = rows.clone();
    let mut views: Vec<&mut [f32]> = rows.iter_mut().map(|r| r.as_mut_slice()).collect();
    conv.rows(&mut views, Some(-9999.0));
    for x in 0..pixels.len() {
        let px: Vec<f64> = input.iter().map(|r| r[x] as f64).collect();
        let mut want = [0.0; 9];
        conv.pixel(&px, &mut want);
        for p in 0..9 {
            assert_eq!(rows[p][x], want[p] as f32, "pixel {x} plane {p}");
        }
    }
    assert!(
        rows.iter()
            .all(|r| r[nan_at] == -9999.0 && r[nodata_at] == -9999.0)
    );
    // without a no-data value: NaN
    let mut rows = input.clone();
    let mut views: Vec<&mut [f32]> = rows.iter_mut().map(|r| r.as_mut_slice()).collect();
    conv.rows(&mut views, None);
    assert!(
        rows.iter()
            .all(|r| r[nan_at].is_nan() && r[nodata_at] != -9999.0)
    );
}
