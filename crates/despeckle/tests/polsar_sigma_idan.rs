//! The polarimetric Lee Sigma and IDAN against plain float64 references written from their
//! definitions (docs/filters.md): Wishart scenes with edges and point targets, C2 / T3 / C4,
//! borders and joint no-data; positive semi-definite output; a rank-one C2 with equal diagonal
//! elements reduces to the single-channel filters; the joint Z98 against sorting; drivers,
//! threads and blocks agree bit for bit.
#![allow(clippy::needless_range_loop)] // window indices read best as indices

use std::collections::VecDeque;

use crate::common;
use crate::polsar_filters::{assert_psd, drivers_agree, joint_valid, run, window_of, wishart};
use despeckle::estimate::joint_quantiles;
use despeckle::polsar::{Criterion, Matrix, PolIdan, PolLeeSigma};
use despeckle::{Border, Idan, ImageMut, ImageRef, LeeSigma, MultiFilter, Options, Planes, filter};

/// The window as `Option<source index>` per position (`None`: invalid or outside).
type Grid = Vec<Vec<Option<usize>>>;

/// The nearest-rank 98th percentile of each diagonal element over the jointly valid pixels,
/// by sorting (`+inf` when none).
fn z98_by_sorting(planes: &[Vec<f64>], diag: &[usize], nodata: Option<f64>) -> Vec<f64> {
    diag.iter()
        .map(|&d| {
            let mut v: Vec<f64> = (0..planes[0].len())
                .filter(|&i| joint_valid(planes, i, nodata))
                .map(|i| planes[d][i])
                .collect();
            if v.is_empty() {
                return f64::INFINITY;
            }
            v.sort_by(f64::total_cmp);
            let k = ((0.98 * v.len() as f64).ceil() as usize).clamp(1, v.len());
            v[k - 1]
        })
        .collect()
}

fn mmse(mu: f64, var: f64, eta2: f64) -> f64 {
    if var > 0.0 {
        ((var - mu * mu * eta2) / (1.0 + eta2)).max(0.0) / var
    } else {
        0.0
    }
}

/// `mean_p + b (z_p − mean_p)` of every plane over `pixels`, `b` from the span's moments.
fn span_mmse(
    planes: &[Vec<f64>],
    diag: &[usize],
    pixels: &[usize],
    centre: usize,
    eta2: f64,
    ddof: usize,
) -> Vec<f64> {
    let span: Vec<f64> = pixels
        .iter()
        .map(|&i| diag.iter().map(|&d| planes[d][i]).sum())
        .collect();
    let (mu, var) = common::moments(&span, ddof);
    let b = mmse(mu, var, eta2);
    planes
        .iter()
        .map(|p| {
            let m = pixels.iter().map(|&i| p[i]).sum::<f64>() / pixels.len() as f64;
            m + b * (p[centre] - m)
        })
        .collect()
}

/// Polarimetric Lee Sigma of one pixel, from the definition.
fn lee_sigma_ref(
    planes: &[Vec<f64>],
    f: &PolLeeSigma,
    g: &Grid,
    centre: usize,
    ddof: usize,
) -> Vec<f64> {
    let diag = f.matrix().diagonal();
    let n = g.len();
    let h = n as isize / 2;
    let ht = f.target_window() as isize / 2;
    let at = |dy: isize, dx: isize| g[dy as usize][dx as usize];
    let d = |j: usize, i: usize| planes[diag[j]][i];
    let keep_all = || planes.iter().map(|p| p[centre]).collect::<Vec<f64>>();
    // 1. point targets
    for (j, &z98) in f.z98().iter().enumerate() {
        let above = |y: isize, x: isize| at(y, x).is_some_and(|i| d(j, i) > z98);
        let cluster = |y: isize, x: isize| {
            above(y, x) && {
                let mut c = 0;
                for ey in -ht..=ht {
                    for ex in -ht..=ht {
                        c += above(y + ey, x + ex) as usize;
                    }
                }
                c >= f.min_cluster()
            }
        };
        if above(h, h) && (-ht..=ht).any(|ey| (-ht..=ht).any(|ex| cluster(h + ey, h + ex))) {
            return keep_all();
        }
    }
    // 2. a-priori means
    let eta2 = 1.0 / f.looks();
    let range = f.range();
    let mut bounds = vec![];
    for j in 0..diag.len() {
        let tw: Vec<f64> = (-ht..=ht)
            .flat_map(|ey| (-ht..=ht).map(move |ex| (ey, ex)))
            .filter_map(|(ey, ex)| at(h + ey, h + ex))
            .map(|i| d(j, i))
            .collect();
        let z = d(j, centre);
        let xh = if tw.is_empty() {
            z
        } else {
            let (mu, var) = common::moments(&tw, ddof);
            mu + mmse(mu, var, eta2) * (z - mu)
        };
        bounds.push((range.low * xh, range.high * xh));
    }
    // 3. selection
    let sel: Vec<usize> = g
        .iter()
        .flatten()
        .flatten()
        .copied()
        .filter(|&i| (0..diag.len()).all(|j| (bounds[j].0..=bounds[j].1).contains(&d(j, i))))
        .collect();
    if sel.is_empty() {
        return keep_all();
    }
    // 4. the span's weight with η′
    span_mmse(planes, diag, &sel, centre, range.eta * range.eta, ddof)
}

/// Polarimetric IDAN of one pixel, from the definition.
fn idan_ref(planes: &[Vec<f64>], f: &PolIdan, g: &Grid, centre: usize, ddof: usize) -> Vec<f64> {
    let diag = f.matrix().diagonal();
    let k = diag.len();
    let n = g.len() as isize;
    let h = n / 2;
    let at = |y: isize, x: isize| {
        if (0..n).contains(&y) && (0..n).contains(&x) {
            g[y as usize][x as usize]
        } else {
            None
        }
    };
    let d = |j: usize, i: usize| planes[diag[j]][i];
    let sv = (1.0 / f.looks()).sqrt();
    let passes = |i: usize, s: &[f64], t: f64| match f.criterion() {
        Criterion::Each => (0..k).all(|j| (d(j, i) - s[j]).abs() < t * s[j]),
        Criterion::Sum => {
            (0..k)
                .map(|j| (d(j, i) - s[j]).abs() / s[j].abs())
                .sum::<f64>()
                < k as f64 * t
        }
    };
    // 1. seeds
    let seed: Vec<f64> = (0..k)
        .map(|j| {
            let mut v: Vec<f64> = (-1..=1)
                .flat_map(|ey| (-1..=1).map(move |ex| (ey, ex)))
                .filter_map(|(ey, ex)| at(h + ey, h + ex))
                .map(|i| d(j, i))
                .collect();
            v.sort_by(f64::total_cmp);
            if v.is_empty() { 0.0 } else { v[v.len() / 2] }
        })
        .collect();
    // 2. breadth-first growth
    let neighbours = [
        (-1, -1),
        (-1, 0),
        (-1, 1),
        (0, -1),
        (0, 1),
        (1, -1),
        (1, 0),
        (1, 1),
    ];
    let mut visited = vec![vec![false; n as usize]; n as usize];
    let (mut region, mut background) = (vec![], vec![]);
    let mut queue = VecDeque::from([(h, h)]);
    visited[h as usize][h as usize] = true;
    if let Some(i) = at(h, h) {
        if passes(i, &seed, 2.0 / 3.0 * sv) {
            region.push(i);
        } else {
            background.push(i);
        }
    }
    'grow: while region.len() < f.region() {
        let Some((y, x)) = queue.pop_front() else {
            break;
        };
        for (ey, ex) in neighbours {
            let (qy, qx) = (y + ey, x + ex);
            if !(0..n).contains(&qy) || !(0..n).contains(&qx) || visited[qy as usize][qx as usize] {
                continue;
            }
            visited[qy as usize][qx as usize] = true;
            let Some(i) = at(qy, qx) else { continue };
            if passes(i, &seed, 2.0 / 3.0 * sv) {
                region.push(i);
                queue.push_back((qy, qx));
                if region.len() >= f.region() {
                    break 'grow;
                }
            } else {
                background.push(i);
            }
        }
    }
    // 3. second pass
    let seed2: Vec<f64> = (0..k)
        .map(|j| {
            if region.is_empty() {
                seed[j]
            } else {
                region.iter().map(|&i| d(j, i)).sum::<f64>() / region.len() as f64
            }
        })
        .collect();
    for &i in &background {
        if passes(i, &seed2, 2.0 * sv) {
            region.push(i);
        }
    }
    if region.is_empty() {
        return planes.iter().map(|p| p[centre]).collect();
    }
    span_mmse(planes, diag, &region, centre, 1.0 / f.looks(), ddof)
}

/// Checks `got` against `want(x, y, window)` at every jointly valid pixel (relative to the
/// largest magnitude of the plane in the window: the sums run in another order), and that
/// invalid pixels keep their input.
fn check(
    what: &str,
    planes: &[Vec<f64>],
    got: &[Vec<f64>],
    (w, h, size, border): (usize, usize, usize, Border),
    want: impl Fn(&Grid, usize) -> Vec<f64>,
) {
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            if !joint_valid(planes, i, None) {
                for (p, pl) in planes.iter().enumerate() {
                    assert_eq!(got[p][i].to_bits(), pl[i].to_bits(), "{what}: kept as is");
                }
                continue;
            }
            let g = window_of(planes, w, h, x, y, size, (border, None));
            let want = want(&g, i);
            let valid: Vec<usize> = g.iter().flatten().flatten().copied().collect();
            for p in 0..planes.len() {
                let scale = valid
                    .iter()
                    .map(|&j| planes[p][j].abs())
                    .fold(0.0, f64::max);
                assert!(
                    (got[p][i] - want[p]).abs() <= 1e-11 * scale.max(1e-300),
                    "{what}: plane {p} ({x}, {y}): {} vs {}",
                    got[p][i],
                    want[p]
                );
            }
        }
    }
}

/// Zeroes the planes at jointly invalid pixels (whose output is the input, NaN included).
fn clean(planes: &[Vec<f64>], out: &[Vec<f64>]) -> Vec<Vec<f64>> {
    out.iter()
        .map(|pl| {
            pl.iter()
                .enumerate()
                .map(|(i, &v)| if joint_valid(planes, i, None) { v } else { 0.0 })
                .collect()
        })
        .collect()
}

#[test]
fn lee_sigma_equals_the_reference_and_stays_positive_semi_definite() {
    let (w, h) = (23, 21);
    for (matrix, seed) in [(Matrix::C2, 11), (Matrix::T3, 12), (Matrix::C4, 13)] {
        let k = matrix.k();
        let mut planes = wishart(k, w, h, 2, seed);
        planes[1][5 * w + 6] = f64::NAN;
        // a 3 × 3 bright target (the scene's own are single pixels: no cluster)
        for y in 12..15 {
            for x in 9..12 {
                for p in planes.iter_mut() {
                    p[y * w + x] *= 1e5;
                }
            }
        }
        let z98 = z98_by_sorting(&planes, matrix.diagonal(), None);
        // (size, border, looks, sigma, target, cluster, ddof)
        for (size, border, looks, sigma, target, cluster, ddof) in [
            (7, Border::Reflect, 2.0, 0.9, 3, 6, 0),
            (5, Border::Shrink, 1.0, 0.7, 3, 4, 1),
            (9, Border::Nearest, 3.0, 0.8, 5, 10, 0),
        ] {
            let o = Options::new(size).unwrap().with_border(border);
            let f = PolLeeSigma::new(matrix, looks, &z98)
                .unwrap()
                .with_sigma(sigma)
                .unwrap()
                .with_target_window(target)
                .unwrap()
                .with_min_cluster(cluster)
                .unwrap()
                .with_ddof(ddof)
                .unwrap();
            f.check_options(&o).unwrap();
            let got = run(&f, &planes, w, h, &o);
            let what = format!("{matrix} lee sigma {size} {border:?}");
            check(&what, &planes, &got, (w, h, size, border), |g, i| {
                lee_sigma_ref(&planes, &f, g, i, ddof as usize)
            });
            assert_psd(&clean(&planes, &got), k, &what);
            // the target is kept (a cluster of 9 above Z98 in every element)
            if target == 3 {
                for p in 0..planes.len() {
                    assert_eq!(got[p][13 * w + 10], planes[p][13 * w + 10], "{what}");
                }
            }
        }
    }
}

#[test]
fn idan_equals_the_reference_and_stays_positive_semi_definite() {
    let (w, h) = (23, 21);
    for (matrix, seed) in [(Matrix::C2, 21), (Matrix::T3, 22), (Matrix::C4, 23)] {
        let k = matrix.k();
        let mut planes = wishart(k, w, h, 4, seed);
        planes[k + 1][9 * w + 3] = f64::NAN;
        // (size, border, looks, region, criterion, ddof)
        for (size, border, looks, region, criterion, ddof) in [
            (9, Border::Reflect, 4.0, 20, Criterion::Each, 0),
            (7, Border::Shrink, 2.0, 50, Criterion::Sum, 1),
            (11, Border::Nearest, 1.0, 50, Criterion::Each, 1),
        ] {
            let o = Options::new(size).unwrap().with_border(border);
            let f = PolIdan::new(matrix, looks)
                .unwrap()
                .with_region(region)
                .unwrap()
                .with_criterion(criterion)
                .with_ddof(ddof)
                .unwrap();
            let got = run(&f, &planes, w, h, &o);
            let what = format!("{matrix} idan {size} {border:?} {criterion}");
            check(&what, &planes, &got, (w, h, size, border), |g, i| {
                idan_ref(&planes, &f, g, i, ddof as usize)
            });
            assert_psd(&clean(&planes, &got), k, &what);
        }
    }
}

/// A rank-one C2 `[[a, a], [a, a]]` has one intensity `a` twice: Lee Sigma and IDAN (either
/// criterion) of it are the single-channel filters of `a` in every element — IDAN bit for bit
/// (the span `2a` scales the moments by powers of two, exactly), Lee Sigma to rounding (its
/// single-channel sums are shifted differently).
#[test]
fn a_rank_one_matrix_reduces_to_the_single_channel_filters() {
    let (w, h) = (40, 33);
    let a = wishart(1, w, h, 1, 31).remove(0);
    let zeros = vec![0.0; w * h];
    let planes = vec![a.clone(), a.clone(), zeros, a.clone()];
    // a single-channel filter of `a`
    fn single<F: despeckle::Filter>(f: &F, a: &[f64], w: usize, h: usize, o: &Options) -> Vec<f64> {
        let mut out = vec![0.0; w * h];
        filter(
            f,
            ImageRef::new(a, w, h).unwrap(),
            &mut ImageMut::new(&mut out, w, h).unwrap(),
            o,
        )
        .unwrap();
        out
    }
    let z = common::quantile(&common::Img { w, h, v: a.clone() }, 0.98, None);
    for (size, looks, ddof, border) in [(7, 1.0, 0, Border::Reflect), (9, 3.0, 1, Border::Shrink)] {
        let o = Options::new(size).unwrap().with_border(border);
        let pol = PolLeeSigma::new(Matrix::C2, looks, &[z, z])
            .unwrap()
            .with_ddof(ddof)
            .unwrap();
        let got = run(&pol, &planes, w, h, &o);
        let one = LeeSigma::new(looks, z).unwrap().with_ddof(ddof).unwrap();
        let want = single(&one, &a, w, h, &o);
        for (i, &v) in want.iter().enumerate() {
            for p in [0, 1, 3] {
                assert!(
                    (got[p][i] - v).abs() <= 1e-12 * a.iter().fold(0.0f64, |m, &x| m.max(x)),
                    "lee sigma size {size}: pixel {i} plane {p}: {} vs {v}",
                    got[p][i]
                );
            }
            assert_eq!(got[2][i], 0.0);
        }
        for criterion in [Criterion::Each, Criterion::Sum] {
            let pol = PolIdan::new(Matrix::C2, looks)
                .unwrap()
                .with_region(30)
                .unwrap()
                .with_ddof(ddof)
                .unwrap()
                .with_criterion(criterion);
            let got = run(&pol, &planes, w, h, &o);
            let one = Idan::new(looks)
                .unwrap()
                .with_region(30)
                .unwrap()
                .with_ddof(ddof)
                .unwrap();
            let want = single(&one, &a, w, h, &o);
            for p in [0, 1, 3] {
                assert!(
                    got[p]
                        .iter()
                        .zip(&want)
                        .all(|(x, y)| x.to_bits() == y.to_bits()),
                    "idan {criterion} size {size} plane {p}"
                );
            }
        }
    }
}

#[test]
fn joint_quantiles_equal_sorting() {
    let (w, h) = (37, 29);
    let mut planes = wishart(3, w, h, 1, 41);
    planes[4][100] = f64::NAN;
    planes[8][200] = -1.0;
    planes[0][300] = f64::INFINITY;
    for nodata in [None, Some(-1.0)] {
        let diag = Matrix::T3.diagonal();
        let want = z98_by_sorting(&planes, diag, nodata);
        let mut src = Planes(
            planes
                .iter()
                .map(|p| ImageRef::new(p, w, h).unwrap())
                .collect(),
        );
        let got = joint_quantiles(&mut src, diag, 0.98, nodata).unwrap();
        let got: Vec<f64> = got.into_iter().map(Option::unwrap).collect();
        assert_eq!(got, want, "nodata {nodata:?}");
        // f32: the same values rounded
        let p32: Vec<Vec<f32>> = planes
            .iter()
            .map(|p| p.iter().map(|&v| v as f32).collect())
            .collect();
        let mut src = Planes(
            p32.iter()
                .map(|p| ImageRef::new(p, w, h).unwrap())
                .collect(),
        );
        let got32 = joint_quantiles(&mut src, diag, 0.98, nodata).unwrap();
        let back: Vec<Vec<f64>> = p32
            .iter()
            .map(|p| p.iter().map(|&v| v as f64).collect())
            .collect();
        let want32 = z98_by_sorting(&back, diag, nodata);
        assert_eq!(
            got32.into_iter().map(Option::unwrap).collect::<Vec<_>>(),
            want32
        );
    }
    // no valid pixel: None; a plane index out of range: an error
    let nan = vec![f64::NAN; 4];
    let mut src = Planes(vec![ImageRef::new(&nan, 2, 2).unwrap(); 4]);
    assert_eq!(
        joint_quantiles(&mut src, &[0, 3], 0.98, None).unwrap(),
        vec![None, None]
    );
    assert!(joint_quantiles(&mut src, &[4], 0.98, None).is_err());
}

/// Every driver, thread count and block size gives the same bits (f64 and f32).
#[test]
fn drivers_threads_and_blocks_agree_bit_for_bit() {
    let (w, h) = (300, 60);
    let mut planes = wishart(3, w, h, 2, 51);
    planes[4][37 * w + 290] = -9.0;
    let z98 = z98_by_sorting(&planes, Matrix::C3.diagonal(), Some(-9.0));
    let ls = PolLeeSigma::new(Matrix::C3, 2.0, &z98).unwrap();
    let idan = PolIdan::new(Matrix::C3, 2.0).unwrap();
    for border in [Border::Reflect, Border::Shrink] {
        let o = Options::new(9)
            .unwrap()
            .with_border(border)
            .with_nodata(Some(-9.0));
        drivers_agree(&ls, &planes, w, h, &o);
        drivers_agree(&idan, &planes, w, h, &o);
    }
}

#[test]
fn parameters_are_checked() {
    let e = PolLeeSigma::new(Matrix::T3, 1.0, &[1.0, 2.0])
        .unwrap_err()
        .to_string();
    assert!(e.contains("z98") && e.contains("3 numbers"), "{e}");
    assert!(PolLeeSigma::new(Matrix::C2, 1.0, &[1.0, f64::NAN]).is_err());
    let f = PolLeeSigma::new(Matrix::C2, 1.0, &[1.0, 1.0]).unwrap();
    assert!(f.with_sigma(1.0).is_err() && f.with_target_window(4).is_err());
    assert!(f.with_min_cluster(10).is_err() && f.with_ddof(2).is_err());
    let e = f
        .check_options(&Options::new(3).unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("size"), "{e}");
    assert!(f.output_planes(9).is_err());
    assert!(PolIdan::new(Matrix::C3, 0.0).is_err());
    let g = PolIdan::new(Matrix::C3, 1.0).unwrap();
    assert!(g.with_region(0).is_err() && g.with_ddof(3).is_err());
    assert_eq!("sum".parse::<Criterion>().unwrap(), Criterion::Sum);
    assert!("max".parse::<Criterion>().is_err());
}
