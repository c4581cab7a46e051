//! Polarimetric filters against plain float64 references: boxcar and Refined Lee on
#![allow(clippy::needless_range_loop)] // matrix and window indices read best as indices
//! Wishart-distributed scenes (regions of different covariance split by edges, point targets),
//! positive semi-definite output, SLC → C2 / T3 then boxcar against outer products averaged
//! directly, joint no-data, and bit-identical drivers, threads and blocks.

use crate::common;

use common::{Rng, bounce};
use despeckle::polsar::{Complex64, Matrix, PolBoxcar, PolRefinedLee, slc};
use despeckle::{
    Border, EdgeRule, ImageMut, ImageRef, MultiFilter, Options, Planes, RefinedLee, filter,
    filter_planes, filter_planes_in_place, filter_stream_planes,
};

type C = Complex64;

/// The k² planes of a k × k Hermitian matrix, in the documented order (upper triangle row by
/// row: diagonal, then each off-diagonal element as real and imaginary part).
pub(crate) fn planes_of(m: &[Vec<C>]) -> Vec<f64> {
    let k = m.len();
    let mut out = vec![];
    for i in 0..k {
        out.push(m[i][i].re);
        for j in i + 1..k {
            out.push(m[i][j].re);
            out.push(m[i][j].im);
        }
    }
    out
}

/// The inverse of [`planes_of`].
pub(crate) fn matrix_of(p: &[f64], k: usize) -> Vec<Vec<C>> {
    let mut m = vec![vec![C::new(0.0, 0.0); k]; k];
    let mut it = p.iter();
    for i in 0..k {
        m[i][i] = C::new(*it.next().unwrap(), 0.0);
        for j in i + 1..k {
            let (re, im) = (*it.next().unwrap(), *it.next().unwrap());
            m[i][j] = C::new(re, im);
            m[j][i] = C::new(re, -im);
        }
    }
    m
}

/// A standard complex Gaussian sample (Box–Muller), E|z|² = 1.
pub(crate) fn gauss(rng: &mut Rng) -> C {
    let (u, v) = (rng.uniform(), rng.uniform());
    let r = (-u.ln()).sqrt();
    let t = 2.0 * std::f64::consts::PI * v;
    C::new(r * t.cos(), r * t.sin())
}

/// A Wishart scene of k × k matrices, `looks` looks: three regions (left, right of a
/// vertical edge, below a diagonal edge) with their own covariance A Aᴴ, a few point targets
/// (covariance × 300). Returns the k² planes.
pub(crate) fn wishart(k: usize, w: usize, h: usize, looks: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = Rng::new(seed);
    let mixers: Vec<Vec<Vec<C>>> = (0..3)
        .map(|r| {
            (0..k)
                .map(|i| {
                    (0..k)
                        .map(|j| {
                            let g = gauss(&mut rng) * 0.4;
                            if i == j {
                                g + (1.0 + 2.0 * r as f64)
                            } else {
                                g
                            }
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let mut planes = vec![vec![0.0; w * h]; k * k];
    for y in 0..h {
        for x in 0..w {
            let region = if x + y > w + h / 2 {
                2
            } else if x < w / 2 {
                0
            } else {
                1
            };
            let point = (x * 7 + y * 3) % 97 == 5;
            let a = &mixers[region];
            let mut m = vec![vec![C::new(0.0, 0.0); k]; k];
            for _ in 0..looks {
                let g: Vec<C> = (0..k).map(|_| gauss(&mut rng)).collect();
                let v: Vec<C> = (0..k)
                    .map(|i| (0..k).map(|j| a[i][j] * g[j]).sum::<C>())
                    .collect();
                for i in 0..k {
                    for j in 0..k {
                        m[i][j] += v[i] * v[j].conj();
                    }
                }
            }
            let scale = if point { 300.0 } else { 1.0 } / looks as f64;
            for row in m.iter_mut() {
                for e in row.iter_mut() {
                    *e *= scale;
                }
            }
            for (p, v) in planes_of(&m).into_iter().enumerate() {
                planes[p][y * w + x] = v;
            }
        }
    }
    planes
}

/// Runs a filter with `filter_planes`.
pub(crate) fn run<F: MultiFilter>(
    f: &F,
    planes: &[Vec<f64>],
    w: usize,
    h: usize,
    o: &Options,
) -> Vec<Vec<f64>> {
    let inputs: Vec<ImageRef<f64>> = planes
        .iter()
        .map(|p| ImageRef::new(p, w, h).unwrap())
        .collect();
    let mut outs = vec![vec![0.0; w * h]; planes.len()];
    {
        let mut views: Vec<ImageMut<f64>> = outs
            .iter_mut()
            .map(|p| ImageMut::new(p, w, h).unwrap())
            .collect();
        filter_planes(f, &inputs, &mut views, o).unwrap();
    }
    outs
}

/// Whether every plane of pixel `i` is valid (finite, not the no-data value).
pub(crate) fn joint_valid(planes: &[Vec<f64>], i: usize, nodata: Option<f64>) -> bool {
    planes
        .iter()
        .all(|p| p[i].is_finite() && Some(p[i]) != nodata)
}

/// The window of pixel (x, y): `g[dy][dx]` is the source pixel index, `None` where invalid.
pub(crate) fn window_of(
    planes: &[Vec<f64>],
    w: usize,
    h: usize,
    x: usize,
    y: usize,
    n: usize,
    o: (Border, Option<f64>),
) -> Vec<Vec<Option<usize>>> {
    let r = (n / 2) as isize;
    (-r..=r)
        .map(|dy| {
            (-r..=r)
                .map(|dx| {
                    let sy = bounce(o.0, y as isize + dy, h)?;
                    let sx = bounce(o.0, x as isize + dx, w)?;
                    let i = sy as usize * w + sx as usize;
                    joint_valid(planes, i, o.1).then_some(i)
                })
                .collect()
        })
        .collect()
}

/// PolSARpro's eight directional masks (0 right, 4 left, 1 x ≥ y, 5 x ≤ y, 2 top, 6 bottom,
/// 3 x + y ≤ n − 1, 7 x + y ≥ n − 1).
fn in_mask(mask: usize, x: usize, y: usize, n: usize) -> bool {
    let h = n / 2;
    match mask {
        0 => x >= h,
        4 => x <= h,
        1 => x >= y,
        5 => x <= y,
        2 => y <= h,
        6 => y >= h,
        3 => x + y < n,
        _ => x + y >= n - 1,
    }
}

/// Refined Lee of one pixel, written from PolSARpro's definition with means and two-pass
/// moments: (looks, ddof) as the filter's.
fn refined_lee_ref(
    planes: &[Vec<f64>],
    diag: &[usize],
    g: &[Vec<Option<usize>>],
    centre: usize,
    looks: f64,
    ddof: usize,
) -> Vec<f64> {
    let n = g.len();
    let span = |i: usize| diag.iter().map(|&d| planes[d][i]).sum::<f64>();
    let complete = g.iter().all(|r| r.iter().all(Option::is_some));
    let pixels: Vec<usize> = if complete {
        let (b, s) = match n {
            5 => (3, 1),
            7 => (3, 2),
            9 => (5, 2),
            _ => unreachable!(),
        };
        let mut m = [[0.0; 3]; 3];
        for (j, row) in m.iter_mut().enumerate() {
            for (i, v) in row.iter_mut().enumerate() {
                let mut t = 0.0;
                for yy in j * s..j * s + b {
                    for xx in i * s..i * s + b {
                        t += span(g[yy][xx].unwrap());
                    }
                }
                *v = t / (b * b) as f64;
            }
        }
        let d = [
            m[0][2] + m[1][2] + m[2][2] - m[0][0] - m[1][0] - m[2][0],
            m[0][1] + m[0][2] + m[1][2] - m[1][0] - m[2][0] - m[2][1],
            m[0][0] + m[0][1] + m[0][2] - m[2][0] - m[2][1] - m[2][2],
            m[0][0] + m[0][1] + m[1][0] - m[1][2] - m[2][1] - m[2][2],
        ];
        let mut best = 0;
        for k in 1..4 {
            if d[k].abs() > d[best].abs() {
                best = k;
            }
        }
        let mask = if d[best] > 0.0 { best + 4 } else { best };
        let mut px = vec![];
        for (yy, row) in g.iter().enumerate() {
            for (xx, i) in row.iter().enumerate() {
                if in_mask(mask, xx, yy, n) {
                    px.push(i.unwrap());
                }
            }
        }
        assert_eq!(px.len(), n * (n / 2 + 1));
        px
    } else {
        g.iter().flatten().flatten().copied().collect()
    };
    let sv: Vec<f64> = pixels.iter().map(|&i| span(i)).collect();
    let (mu, var) = common::moments(&sv, ddof);
    let eta2 = 1.0 / looks;
    let wgt = if var > 0.0 && mu > 0.0 {
        ((var - mu * mu * eta2) / (1.0 + eta2)).max(0.0) / var
    } else {
        0.0
    };
    planes
        .iter()
        .map(|p| {
            let m = pixels.iter().map(|&i| p[i]).sum::<f64>() / pixels.len() as f64;
            m + wgt * (p[centre] - m)
        })
        .collect()
}

/// The smallest eigenvalue of a Hermitian matrix: cyclic Jacobi on its real symmetric
/// embedding [[Re, −Im], [Im, Re]] (whose eigenvalues are those of the matrix, each twice).
fn smallest_eigenvalue(m: &[Vec<C>]) -> f64 {
    let k = m.len();
    let n = 2 * k;
    let mut a = vec![vec![0.0; n]; n];
    for i in 0..k {
        for j in 0..k {
            a[i][j] = m[i][j].re;
            a[i + k][j + k] = m[i][j].re;
            a[i][j + k] = -m[i][j].im;
            a[i + k][j] = m[i][j].im;
        }
    }
    for _ in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum();
        if off < 1e-30 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let (c, s) = (1.0 / (t * t + 1.0).sqrt(), t / (t * t + 1.0).sqrt());
                for r in 0..n {
                    let (arp, arq) = (a[r][p], a[r][q]);
                    a[r][p] = c * arp - s * arq;
                    a[r][q] = s * arp + c * arq;
                }
                for r in 0..n {
                    let (apr, aqr) = (a[p][r], a[q][r]);
                    a[p][r] = c * apr - s * aqr;
                    a[q][r] = s * apr + c * aqr;
                }
            }
        }
    }
    (0..n).map(|i| a[i][i]).fold(f64::INFINITY, f64::min)
}

#[test]
fn eigenvalue_helper_is_right() {
    // diag(1, 3) rotated by a unitary: eigenvalues 1 and 3
    let m = vec![
        vec![C::new(2.0, 0.0), C::new(0.0, 1.0)],
        vec![C::new(0.0, -1.0), C::new(2.0, 0.0)],
    ];
    assert!((smallest_eigenvalue(&m) - 1.0).abs() < 1e-12);
    let m = vec![
        vec![C::new(1.0, 0.0), C::new(2.0, 0.0)],
        vec![C::new(2.0, 0.0), C::new(1.0, 0.0)],
    ];
    assert!((smallest_eigenvalue(&m) + 1.0).abs() < 1e-12);
}

/// Asserts every pixel's output matrix is Hermitian positive semi-definite: smallest
/// eigenvalue ≥ −1e-6 · trace.
pub(crate) fn assert_psd(out: &[Vec<f64>], k: usize, what: &str) {
    for i in 0..out[0].len() {
        let p: Vec<f64> = out.iter().map(|pl| pl[i]).collect();
        let m = matrix_of(&p, k);
        let trace: f64 = (0..k).map(|j| m[j][j].re).sum();
        let l = smallest_eigenvalue(&m);
        assert!(
            l >= -1e-6 * trace,
            "{what}: pixel {i}: eigenvalue {l}, trace {trace}"
        );
    }
}

#[test]
fn refined_lee_and_boxcar_equal_the_reference_and_stay_positive_semi_definite() {
    let (w, h) = (23, 21);
    for (matrix, seed) in [(Matrix::C2, 1), (Matrix::T3, 2), (Matrix::C4, 3)] {
        let k = matrix.k();
        let mut planes = wishart(k, w, h, 3, seed);
        // inputs are PSD
        assert_psd(&planes, k, "input");
        // a no-data pixel in one element only
        planes[1][5 * w + 6] = f64::NAN;
        for (size, border, looks, ddof) in [
            (7, Border::Reflect, 3.0, 0),
            (5, Border::Shrink, 1.0, 1),
            (9, Border::Reflect, 2.0, 0),
        ] {
            let o = Options::new(size).unwrap().with_border(border);
            let f = PolRefinedLee::new(matrix)
                .with_looks(looks)
                .unwrap()
                .with_ddof(ddof)
                .unwrap();
            f.check_options(&o).unwrap();
            let got = run(&f, &planes, w, h, &o);
            let bx = run(&PolBoxcar::new(matrix), &planes, w, h, &o);
            for y in 0..h {
                for x in 0..w {
                    let i = y * w + x;
                    if !joint_valid(&planes, i, None) {
                        for (p, pl) in planes.iter().enumerate() {
                            assert_eq!(got[p][i].to_bits(), pl[i].to_bits(), "kept as is");
                            assert_eq!(bx[p][i].to_bits(), pl[i].to_bits(), "kept as is");
                        }
                        continue;
                    }
                    let g = window_of(&planes, w, h, x, y, size, (border, None));
                    let want =
                        refined_lee_ref(&planes, matrix.diagonal(), &g, i, looks, ddof as usize);
                    let valid: Vec<usize> = g.iter().flatten().flatten().copied().collect();
                    for p in 0..planes.len() {
                        // sums in a different order: relative to the largest magnitude
                        let scale: f64 = valid
                            .iter()
                            .map(|&j| planes[p][j].abs())
                            .fold(0.0, f64::max);
                        let tol = 1e-11 * scale.max(1e-300);
                        assert!(
                            (got[p][i] - want[p]).abs() <= tol,
                            "{matrix} size {size} {border:?}: plane {p} ({x}, {y}): {} vs {}",
                            got[p][i],
                            want[p]
                        );
                        let mean =
                            valid.iter().map(|&j| planes[p][j]).sum::<f64>() / valid.len() as f64;
                        assert!(
                            (bx[p][i] - mean).abs() <= tol,
                            "boxcar plane {p} ({x}, {y})"
                        );
                    }
                }
            }
            let clean = |o: &[Vec<f64>]| -> Vec<Vec<f64>> {
                o.iter()
                    .map(|pl| {
                        pl.iter()
                            .enumerate()
                            .map(|(i, &v)| {
                                if joint_valid(&planes, i, None) {
                                    v
                                } else {
                                    0.0
                                }
                            })
                            .collect()
                    })
                    .collect()
            };
            assert_psd(&clean(&got), k, &format!("{matrix} refined lee {size}"));
            assert_psd(&clean(&bx), k, &format!("{matrix} boxcar {size}"));
        }
    }
}

/// A C2 image whose only non-zero element is C11 is a single-channel image: with the
/// single-band edge rule, Refined Lee of C11 is the single-band Refined Lee with the same
/// looks and ddof, bit for bit where windows are complete; the boxcar is the mean.
#[test]
fn one_channel_reduces_to_the_single_band_filters() {
    let (w, h) = (40, 33);
    let c2 = wishart(1, w, h, 1, 9).remove(0);
    let zeros = vec![0.0; w * h];
    let planes = vec![c2.clone(), zeros.clone(), zeros.clone(), zeros];
    for (size, looks, ddof, border) in [
        (7, 1.0, 0, Border::Reflect),
        (5, 4.0, 1, Border::Nearest),
        (11, 1.0, 1, Border::Shrink),
    ] {
        let o = Options::new(size).unwrap().with_border(border);
        let pol = PolRefinedLee::new(Matrix::C2)
            .with_looks(looks)
            .unwrap()
            .with_ddof(ddof)
            .unwrap()
            .with_edge_rule(EdgeRule::Closer);
        let got = run(&pol, &planes, w, h, &o);
        let single = RefinedLee::new()
            .with_looks(Some(looks))
            .unwrap()
            .with_ddof(ddof)
            .unwrap();
        let mut want = vec![0.0; w * h];
        filter(
            &single,
            ImageRef::new(&c2, w, h).unwrap(),
            &mut ImageMut::new(&mut want, w, h).unwrap(),
            &o,
        )
        .unwrap();
        let r = size / 2;
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                let inner = (r..w - r).contains(&x) && (r..h - r).contains(&y);
                if border != Border::Shrink || inner {
                    assert_eq!(
                        got[0][i].to_bits(),
                        want[i].to_bits(),
                        "size {size} ({x}, {y})"
                    );
                } else {
                    assert!(
                        (got[0][i] - want[i]).abs() <= 1e-12 * want[i].abs(),
                        "({x}, {y})"
                    );
                }
                assert!(got[1..].iter().all(|p| p[i] == 0.0));
            }
        }
        let bx = run(&PolBoxcar::new(Matrix::C2), &planes, w, h, &o);
        let mut mean = vec![0.0; w * h];
        filter(
            &despeckle::Mean,
            ImageRef::new(&c2, w, h).unwrap(),
            &mut ImageMut::new(&mut mean, w, h).unwrap(),
            &o,
        )
        .unwrap();
        assert!(
            bx[0]
                .iter()
                .zip(&mean)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
    }
}

/// SLC pixels → C2 (dual-pol) and T3 (quad-pol), then the boxcar, equals the outer products
/// k kᴴ of the scattering vectors averaged over each window directly.
#[test]
fn slc_to_matrix_then_boxcar_equals_averaged_outer_products() {
    let (w, h) = (17, 13);
    let mut rng = Rng::new(5);
    let slcs: Vec<[C; 4]> = (0..w * h)
        .map(|_| std::array::from_fn(|_| gauss(&mut rng) * 3.0))
        .collect();
    // (matrix, its scattering vector from [hh, hv, vh, vv] written out here)
    type Vector = fn(&[C; 4]) -> Vec<C>;
    let cases: [(Matrix, Vector); 2] = [
        (Matrix::C2, |s| vec![s[3], s[2]]),
        (Matrix::T3, |s| {
            let x = (s[1] + s[2]) * 0.5;
            let r = std::f64::consts::FRAC_1_SQRT_2;
            vec![(s[0] + s[3]) * r, (s[0] - s[3]) * r, x * 2.0 * r]
        }),
    ];
    for (matrix, vector) in cases {
        let k = matrix.k();
        let mut planes = vec![vec![0.0; w * h]; k * k];
        for (i, s) in slcs.iter().enumerate() {
            let p: Vec<f64> = match matrix {
                Matrix::C2 => slc::c2_from_dual(s[3], s[2]).to_vec(),
                _ => slc::t3_from_quad(s[0], s[1], s[2], s[3]).to_vec(),
            };
            for (q, v) in p.into_iter().enumerate() {
                planes[q][i] = v;
            }
        }
        let o = Options::new(3).unwrap().with_border(Border::Reflect);
        let got = run(&PolBoxcar::new(matrix), &planes, w, h, &o);
        for y in 0..h {
            for x in 0..w {
                let mut acc = vec![vec![C::new(0.0, 0.0); k]; k];
                for dy in -1..=1 {
                    for dx in -1..=1 {
                        let sy = bounce(Border::Reflect, y as isize + dy, h).unwrap() as usize;
                        let sx = bounce(Border::Reflect, x as isize + dx, w).unwrap() as usize;
                        let v = vector(&slcs[sy * w + sx]);
                        for i in 0..k {
                            for j in 0..k {
                                acc[i][j] += v[i] * v[j].conj() / 9.0;
                            }
                        }
                    }
                }
                for (p, want) in planes_of(&acc).into_iter().enumerate() {
                    let g = got[p][y * w + x];
                    assert!(
                        (g - want).abs() <= 1e-12 * 100.0,
                        "{matrix} plane {p} ({x}, {y}): {g} vs {want}"
                    );
                }
            }
        }
    }
}

/// Every driver, thread count and block size gives the same bits (f32 and f64).
#[test]
fn drivers_threads_and_blocks_agree_bit_for_bit() {
    let (w, h) = (300, 70);
    let mut planes = wishart(3, w, h, 2, 4);
    planes[4][37 * w + 290] = -9.0;
    for border in [Border::Reflect, Border::Shrink] {
        let o = Options::new(7)
            .unwrap()
            .with_border(border)
            .with_nodata(Some(-9.0));
        drivers_agree(&PolRefinedLee::new(Matrix::C3), &planes, w, h, &o);
        drivers_agree(&PolBoxcar::new(Matrix::C3), &planes, w, h, &o);
    }
}

/// Asserts that threads (1, 2, 3), in-place filtering and streaming in blocks of 16 and 48
/// rows (and 1000: one block) give `f`'s output bit for bit, on f64 and f32 planes (9 planes, no-data −9).
pub(crate) fn drivers_agree<F: MultiFilter>(
    f: &F,
    planes: &[Vec<f64>],
    w: usize,
    h: usize,
    o: &Options,
) {
    let want = run(f, planes, w, h, &o.with_threads(Some(1)));
    for threads in [2, 3] {
        let ot = o.with_threads(Some(threads));
        assert!(
            same_bits(&run(f, planes, w, h, &ot), &want),
            "{threads} threads"
        );
        let mut inplace = planes.to_vec();
        {
            let mut views: Vec<ImageMut<f64>> = inplace
                .iter_mut()
                .map(|p| ImageMut::new(p, w, h).unwrap())
                .collect();
            filter_planes_in_place(f, &mut views, &ot).unwrap();
        }
        assert!(same_bits(&inplace, &want), "in place");
        for block in [16, 48, 1000] {
            assert!(
                same_bits(&stream(f, planes, w, h, &ot, block), &want),
                "blocks of {block}"
            );
        }
    }
    let p32: Vec<Vec<f32>> = planes
        .iter()
        .map(|p| p.iter().map(|&v| v as f32).collect())
        .collect();
    let run32 = |threads: usize| {
        let inputs: Vec<ImageRef<f32>> = p32
            .iter()
            .map(|p| ImageRef::new(p, w, h).unwrap())
            .collect();
        let mut outs = vec![vec![0f32; w * h]; 9];
        {
            let mut views: Vec<ImageMut<f32>> = outs
                .iter_mut()
                .map(|p| ImageMut::new(p, w, h).unwrap())
                .collect();
            filter_planes(f, &inputs, &mut views, &o.with_threads(Some(threads))).unwrap();
        }
        outs
    };
    let a = run32(1);
    assert!(a.iter().flatten().all(|v| v.is_finite() || *v == -9.0));
    assert_eq!(a, run32(3));
}

/// Runs a filter with `filter_stream_planes` in blocks of `block` rows.
pub(crate) fn stream<F: MultiFilter>(
    f: &F,
    planes: &[Vec<f64>],
    w: usize,
    h: usize,
    o: &Options,
    block: usize,
) -> Vec<Vec<f64>> {
    let mut outs = vec![vec![0.0; w * h]; planes.len()];
    {
        let mut src = Planes(
            planes
                .iter()
                .map(|p| ImageRef::new(p, w, h).unwrap())
                .collect(),
        );
        let mut sink = Planes(
            outs.iter_mut()
                .map(|p| ImageMut::new(p, w, h).unwrap())
                .collect(),
        );
        filter_stream_planes(f, &mut src, &mut sink, o, Some(block)).unwrap();
    }
    outs
}

pub(crate) fn same_bits(a: &[Vec<f64>], b: &[Vec<f64>]) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| x.iter().zip(y).all(|(u, v)| u.to_bits() == v.to_bits()))
}

#[test]
fn wrong_plane_counts_and_sizes_are_refused() {
    let f = PolRefinedLee::new(Matrix::T3);
    let e = f.output_planes(4).unwrap_err().to_string();
    assert!(
        e.contains("T3") && e.contains("9 planes") && e.contains("got 4"),
        "{e}"
    );
    assert!(PolBoxcar::new(Matrix::C2).output_planes(9).is_err());
    let e = f
        .check_options(&Options::new(3).unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("size"), "{e}");
    assert!(f.with_looks(0.0).is_err() && f.with_ddof(2).is_err());
    let a = vec![1.0f64; 20];
    let inputs = vec![ImageRef::new(&a, 5, 4).unwrap(); 4];
    let mut o = vec![vec![0.0f64; 20]; 4];
    let mut views: Vec<ImageMut<f64>> = o
        .iter_mut()
        .map(|p| ImageMut::new(p, 5, 4).unwrap())
        .collect();
    let e = filter_planes(&f, &inputs, &mut views, &Options::new(7).unwrap()).unwrap_err();
    assert!(e.to_string().contains("9 planes"), "{e}");
}
