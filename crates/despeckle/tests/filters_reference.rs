//! Lee, Kuan, Gamma MAP, Frost, Enhanced Frost and the median against the independent
//! float64 references in `common` (written from docs/filters.md), on speckled scenes with an
//! edge, a point target, constant, zero, NaN and no-data areas; every border mode; window
//! sizes 3–11; f32 and f64; both variance conventions.
//!
//! Tolerances, relative to `|μ| + |z|` of the pixel's window: `f64` images 1e-9 (the engine's
//! running sums differ from two-pass moments by rounding only); `f32` images, whose per-pixel
//! maths runs in f32 lanes, 2e-5 (Frost's weighted sums over the window: 2e-5 plus 1e-6 of the
//! window's largest value). The reference runs on the same f32-rounded input. The median is
//! exact (f32: the mean of the two middle values rounded once). Gamma MAP jumps at
//! `Ci = √2·Cu` (decided in f64 from the window sums): pixels whose `Ci` is within 1e-9 of it
//! are not compared.

use crate::common;

use common::*;
use despeckle::{
    Distance, Domain, EnhancedFrost, Filter, Frost, GammaMap, Kuan, Lee, Median, Sample,
};

fn run_both<F: Filter>(f: &F, img: &Img, p: &Params) -> [(bool, Img, Vec<f64>); 2] {
    let img32 = rounded_f32(img);
    let got64 = run_filter::<f64, F>(f, img, p);
    let got32 = run_filter::<f32, F>(f, &img32, p);
    [(false, img.clone(), got64), (true, img32, got32)]
}

/// A filter of the window's valid values and `z`, against `want`.
fn check_values<F: Filter>(
    f: &F,
    img: &Img,
    p: &Params,
    want: impl Fn(&[f64], f64) -> f64,
    what: &str,
) {
    for (is32, img, got) in run_both(f, img, p) {
        let want = reference(&img, p, &want);
        let sc = scale(&img, p);
        let rel = if is32 { 2e-5 } else { 1e-9 };
        compare(
            &img,
            p,
            &got,
            &want,
            |i| rel * sc[i] + 1e-300,
            |_| false,
            &format!("{what} f32={is32}"),
        );
    }
}

fn check_gamma_map(f: &GammaMap, img: &Img, p: &Params, what: &str) {
    let (looks, ddof) = (f.looks(), f.ddof() as usize);
    let thr = f.cmax();
    for (is32, img, got) in run_both(f, img, p) {
        let want = reference(&img, p, |w, z| gamma_map(w, z, looks, ddof).0);
        let ci = reference(&img, p, |w, z| gamma_map(w, z, looks, ddof).1);
        let sc = scale(&img, p);
        let (rel, band) = if is32 { (2e-5, 1e-9) } else { (1e-9, 1e-9) };
        compare(
            &img,
            p,
            &got,
            &want,
            |i| rel * sc[i] + 1e-300,
            |i| (ci[i] - thr).abs() < band * thr,
            &format!("{what} f32={is32}"),
        );
    }
}

/// A filter of the window grid and `z` (Frost, Enhanced Frost), against `want`.
fn check_grid<F: Filter>(
    f: &F,
    img: &Img,
    p: &Params,
    want: impl Fn(&[Vec<Option<f64>>], f64) -> f64,
    what: &str,
) {
    for (is32, img, got) in run_both(f, img, p) {
        let want = reference_grid(&img, p, &want);
        let sc = scale(&img, p);
        let top = reference(&img, p, |w, _| w.iter().fold(0.0f64, |m, v| m.max(v.abs())));
        compare(
            &img,
            p,
            &got,
            &want,
            |i| {
                if is32 {
                    2e-5 * sc[i] + 1e-6 * top[i]
                } else {
                    1e-9 * sc[i] + 1e-300
                }
            },
            |_| false,
            &format!("{what} f32={is32}"),
        );
    }
}

/// The configurations: sizes × borders × no-data.
fn configs(sizes: &[usize]) -> Vec<(Img, Params, String)> {
    let mut out = Vec::new();
    for &size in sizes {
        for (k, &border) in BORDERS.iter().enumerate() {
            for nodata in [None, Some(-1.0)] {
                let img = scene(18 + size + k, 15 + 2 * k, 3, (size * 31 + k) as u64, -1.0);
                let what = format!("size {size} {border} nodata {nodata:?}");
                out.push((
                    img,
                    Params {
                        size,
                        border,
                        nodata,
                    },
                    what,
                ));
            }
        }
    }
    out
}

#[test]
fn lee_and_kuan_every_border_and_size() {
    for (img, p, what) in configs(&[3, 5, 7, 11]) {
        for ddof in [0u8, 1] {
            let lee_f = Lee::new(3.0).unwrap().with_ddof(ddof).unwrap();
            let kuan_f = Kuan::new(3.0).unwrap().with_ddof(ddof).unwrap();
            let cu = lee_f.cu();
            let d = ddof as usize;
            check_values(
                &lee_f,
                &img,
                &p,
                |w, z| lee(w, z, cu, d),
                &format!("lee {what} ddof {ddof}"),
            );
            check_values(
                &kuan_f,
                &img,
                &p,
                |w, z| kuan(w, z, cu, d),
                &format!("kuan {what} ddof {ddof}"),
            );
        }
    }
}

#[test]
fn lee_kuan_gamma_map_parameters() {
    let img = scene(41, 33, 1, 7, -1.0);
    let p = Params {
        size: 7,
        border: despeckle::Border::Reflect,
        nodata: Some(-1.0),
    };
    for looks in [0.7, 1.0, 4.0, 16.0] {
        for ddof in [0u8, 1] {
            for domain in [Domain::Intensity, Domain::Amplitude] {
                let l = Lee::new(looks).unwrap().with_domain(domain).unwrap();
                let l = l.with_ddof(ddof).unwrap();
                let k = Kuan::new(looks).unwrap().with_domain(domain).unwrap();
                let k = k.with_ddof(ddof).unwrap();
                let (cu, d) = (l.cu(), ddof as usize);
                check_values(&l, &img, &p, |w, z| lee(w, z, cu, d), "lee params");
                check_values(&k, &img, &p, |w, z| kuan(w, z, cu, d), "kuan params");
            }
            let g = GammaMap::new(looks).unwrap().with_ddof(ddof).unwrap();
            check_gamma_map(&g, &img, &p, &format!("gamma-map L {looks} ddof {ddof}"));
        }
    }
}

#[test]
fn gamma_map_every_border_and_size() {
    for (img, p, what) in configs(&[3, 5, 7, 11]) {
        for ddof in [0u8, 1] {
            let g = GammaMap::new(3.0).unwrap().with_ddof(ddof).unwrap();
            check_gamma_map(&g, &img, &p, &format!("gamma-map {what} ddof {ddof}"));
        }
    }
}

#[test]
fn gamma_map_negative_discriminant_gives_z() {
    // Negative values (not intensities) make the discriminant negative: the pixel is kept.
    let mut img = scene(20, 20, 2, 3, -1.0);
    for v in img.v.iter_mut().step_by(3) {
        if v.is_finite() {
            *v = -*v;
        }
    }
    let p = Params {
        size: 5,
        border: despeckle::Border::Nearest,
        nodata: None,
    };
    let g = GammaMap::new(2.0).unwrap();
    check_gamma_map(&g, &img, &p, "gamma-map negatives");
}

#[test]
fn frost_every_border_size_and_distance() {
    for (img, p, what) in configs(&[3, 5, 7, 9]) {
        for (distance, cheb) in [(Distance::Euclidean, false), (Distance::Chebyshev, true)] {
            for (damping, ddof) in [(2.0, 0u8), (0.1, 1)] {
                let f = Frost::new()
                    .with_damping(damping)
                    .unwrap()
                    .with_distance(distance)
                    .unwrap()
                    .with_ddof(ddof)
                    .unwrap();
                check_grid(
                    &f,
                    &img,
                    &p,
                    |g, _| frost(g, damping, cheb, ddof as usize),
                    &format!("frost {distance} K {damping} {what}"),
                );
            }
        }
    }
}

#[test]
fn enhanced_frost_every_border_size_and_distance() {
    for (img, p, what) in configs(&[3, 5, 7, 9]) {
        for (distance, cheb) in [(Distance::Euclidean, false), (Distance::Chebyshev, true)] {
            for (looks, damping, ddof, domain) in [
                (3.0, 1.0, 0u8, Domain::Intensity),
                (1.0, 2.5, 1, Domain::Amplitude),
            ] {
                let f = EnhancedFrost::new(looks)
                    .unwrap()
                    .with_damping(damping)
                    .unwrap()
                    .with_distance(distance)
                    .unwrap()
                    .with_domain(domain)
                    .unwrap()
                    .with_ddof(ddof)
                    .unwrap();
                let (cu, cmax) = (f.cu(), f.cmax());
                check_grid(
                    &f,
                    &img,
                    &p,
                    |g, z| enhanced_frost(g, z, cu, cmax, damping, cheb, ddof as usize),
                    &format!("enhanced-frost {distance} L {looks} {domain} {what}"),
                );
            }
        }
    }
    // a Cmax override
    let img = scene(30, 24, 2, 5, -1.0);
    let p = Params {
        size: 7,
        border: despeckle::Border::Mirror,
        nodata: Some(-1.0),
    };
    let f = EnhancedFrost::new(2.0)
        .unwrap()
        .with_cmax(Some(3.0))
        .unwrap();
    let cu = f.cu();
    check_grid(
        &f,
        &img,
        &p,
        |g, z| enhanced_frost(g, z, cu, 3.0, 1.0, false, 0),
        "enhanced-frost cmax",
    );
}

#[test]
fn median_every_border_and_size_is_exact() {
    for (img, p, what) in configs(&[3, 5, 7, 9, 11]) {
        for (is32, img, got) in run_both(&Median, &img, &p) {
            let want = reference(&img, &p, |w, _| median(w));
            compare(
                &img,
                &p,
                &got,
                &want,
                |i| {
                    if is32 { want[i].abs() * 6e-8 } else { 0.0 }
                },
                |_| false,
                &format!("median {what} f32={is32}"),
            );
        }
    }
}

#[test]
fn median_with_ties_and_duplicates() {
    // few distinct values: many equal keys in the sorted window
    let mut img = scene(37, 29, 1, 11, -1.0);
    for v in img.v.iter_mut() {
        if v.is_finite() && *v != -1.0 {
            *v = (*v * 2.0).round() / 2.0;
        }
    }
    img.v[5] = -0.0;
    for &border in &BORDERS {
        let p = Params {
            size: 5,
            border,
            nodata: Some(-1.0),
        };
        let want = reference(&img, &p, |w, _| median(w));
        let got = run_filter::<f64, Median>(&Median, &img, &p);
        compare(&img, &p, &got, &want, |_| 0.0, |_| false, "median ties");
    }
}

#[test]
fn tiny_images_every_filter() {
    for (w, h) in [(1, 1), (2, 2), (1, 9), (9, 1), (3, 2)] {
        for size in [3, 7] {
            for &border in &BORDERS {
                let mut img = scene(w, h, 2, (w * 10 + h) as u64, -1.0);
                if !img.v[0].is_finite() || img.v[0] == -1.0 {
                    img.v[0] = 1.5;
                }
                let p = Params {
                    size,
                    border,
                    nodata: Some(-1.0),
                };
                let what = format!("{w}×{h} size {size} {border}");
                let l = Lee::new(2.0).unwrap();
                let cu = l.cu();
                check_values(&l, &img, &p, |v, z| lee(v, z, cu, 0), &what);
                check_gamma_map(&GammaMap::new(2.0).unwrap(), &img, &p, &what);
                check_grid(
                    &Frost::new(),
                    &img,
                    &p,
                    |g, _| frost(g, 2.0, false, 0),
                    &what,
                );
                let want = reference(&img, &p, |v, _| median(v));
                let got = run_filter::<f64, Median>(&Median, &img, &p);
                compare(&img, &p, &got, &want, |_| 0.0, |_| false, &what);
            }
        }
    }
}

#[test]
fn all_zero_constant_and_nan_areas() {
    let p = Params {
        size: 5,
        border: despeckle::Border::Reflect,
        nodata: None,
    };
    let zeros = Img {
        w: 9,
        h: 8,
        v: vec![0.0; 72],
    };
    let c = Img {
        w: 9,
        h: 8,
        v: vec![2.75; 72],
    };
    let nan = Img {
        w: 6,
        h: 5,
        v: vec![f64::NAN; 30],
    };
    fn all<F: Filter>(f: &F, zeros: &Img, c: &Img, nan: &Img, p: &Params) {
        for out in [
            run_filter::<f32, F>(f, zeros, p),
            run_filter::<f64, F>(f, zeros, p),
        ] {
            assert!(out.iter().all(|&v| v == 0.0), "{}: zeros {out:?}", f.name());
        }
        for out in [run_filter::<f32, F>(f, c, p), run_filter::<f64, F>(f, c, p)] {
            assert!(
                out.iter().all(|&v| (v - 2.75).abs() < 1e-6),
                "{}: constant {out:?}",
                f.name()
            );
        }
        assert!(run_filter::<f32, F>(f, nan, p).iter().all(|v| v.is_nan()));
    }
    all(&Lee::new(1.0).unwrap(), &zeros, &c, &nan, &p);
    all(&Kuan::new(1.0).unwrap(), &zeros, &c, &nan, &p);
    all(&GammaMap::new(1.0).unwrap(), &zeros, &c, &nan, &p);
    all(&Frost::new(), &zeros, &c, &nan, &p);
    all(&EnhancedFrost::new(1.0).unwrap(), &zeros, &c, &nan, &p);
    all(&Median, &zeros, &c, &nan, &p);
    let _ = f32::NAME;
}
