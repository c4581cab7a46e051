//! Every filter against the independent float64 reference in `common`, on speckled scenes
//! with an edge, a point target, constant, zero, NaN and no-data areas; every border mode;
//! window sizes 3–15; tiny and one-row/one-column images; f32 and f64.
//!
//! Tolerances: `f64` images match to 1e-9 relative — the engine's running sums differ from the
//! reference's two-pass moments by rounding only (see `accuracy.rs` for the bound). `f32`
//! images are compared with the reference run on the same f32 values; their per-pixel maths
//! runs in f32 lanes (`Ci`, `exp`, the blend), so they match to 2e-5 of `|μ| + |z|`: a few f32
//! ulp of error in `Ci`, amplified at most a few times by the weight's slope.

use crate::common;

use common::*;
use despeckle::{
    Border, EnhancedLee, Filter, ImageMut, ImageRef, LocalStats, Mean, Options, Sample, Statistic,
    filter,
};

fn run<T: Sample, F: Filter>(f: &F, img: &Img, p: &Params) -> Vec<f64> {
    let input: Vec<T> = img.v.iter().map(|&x| T::from_f64(x)).collect();
    let mut out = vec![T::default(); input.len()];
    let opts = Options::new(p.size)
        .unwrap()
        .with_border(p.border)
        .with_nodata(p.nodata);
    filter(
        f,
        ImageRef::new(&input, img.w, img.h).unwrap(),
        &mut ImageMut::new(&mut out, img.w, img.h).unwrap(),
        &opts,
    )
    .unwrap();
    out.iter().map(|v| v.to_f64()).collect()
}

fn as_f32(img: &Img) -> Img {
    Img {
        w: img.w,
        h: img.h,
        v: img.v.iter().map(|&x| x as f32 as f64).collect(),
    }
}

/// Checks Enhanced Lee on one image for f64 and f32.
fn check_enhanced_lee(img: &Img, p: &Params, el: &EnhancedLee, what: &str) {
    let (cu, cmax, d, ddof) = (el.cu(), el.cmax(), el.damping(), el.ddof() as usize);
    for (is_f32, img) in [(false, img.clone()), (true, as_f32(img))] {
        let want = reference(&img, p, |w, z| enhanced_lee(w, z, cu, cmax, d, ddof));
        let got = if is_f32 {
            run::<f32, _>(el, &img, p)
        } else {
            run::<f64, _>(el, &img, p)
        };
        let rel = if is_f32 { 2e-5 } else { 1e-9 };
        for i in 0..want.len() {
            let (g, r) = (got[i], want[i]);
            if r.is_nan() || !img.v[i].is_finite() || Some(img.v[i]) == p.nodata {
                assert!(
                    g == r || (g.is_nan() && r.is_nan()),
                    "{what}: no-data pixel {i} changed: {g} vs {r}"
                );
                continue;
            }
            let (x, y) = (i % img.w, i / img.w);
            let (mean, _) = moments(&window(&img, x, y, p.size, p.border, p.nodata), 0);
            let tol = rel * (mean.abs() + img.v[i].abs()) + 1e-300;
            assert!(
                (g - r).abs() <= tol,
                "{what} f32={is_f32}: pixel ({x}, {y}): got {g}, want {r}, |diff| {:e} > {tol:e}",
                (g - r).abs()
            );
        }
    }
}

#[test]
fn enhanced_lee_every_border_and_size() {
    let el = EnhancedLee::new(3.0).unwrap();
    for size in (3..=15).step_by(2) {
        for (k, &border) in BORDERS.iter().enumerate() {
            for nodata in [None, Some(-1.0)] {
                let img = scene(20 + size + k, 17 + 2 * k, 3, (size * 31 + k) as u64, -1.0);
                let p = Params {
                    size,
                    border,
                    nodata,
                };
                check_enhanced_lee(
                    &img,
                    &p,
                    &el,
                    &format!("size {size} {border} nodata {nodata:?}"),
                );
            }
        }
    }
}

#[test]
fn enhanced_lee_parameters() {
    let img = scene(40, 33, 1, 7, -1.0);
    let p = Params {
        size: 7,
        border: Border::Reflect,
        nodata: Some(-1.0),
    };
    for looks in [0.7, 1.0, 4.0, 16.0] {
        for damping in [0.0, 0.5, 1.0, 4.0] {
            for domain in [despeckle::Domain::Intensity, despeckle::Domain::Amplitude] {
                for ddof in [0, 1] {
                    let el = EnhancedLee::new(looks)
                        .unwrap()
                        .with_damping(damping)
                        .unwrap()
                        .with_domain(domain)
                        .unwrap()
                        .with_ddof(ddof)
                        .unwrap();
                    check_enhanced_lee(
                        &img,
                        &p,
                        &el,
                        &format!("L {looks} D {damping} {domain} ddof {ddof}"),
                    );
                }
            }
        }
    }
    let el = EnhancedLee::new(2.0).unwrap().with_cmax(Some(3.0)).unwrap();
    check_enhanced_lee(&img, &p, &el, "cmax override");
}

#[test]
fn tiny_and_thin_images() {
    let el = EnhancedLee::new(2.0).unwrap();
    for (w, h) in [(1, 1), (2, 2), (1, 17), (17, 1), (3, 2), (2, 9), (5, 4)] {
        for size in [3, 7, 15] {
            for &border in &BORDERS {
                let mut img = scene(w, h, 2, (w * 100 + h) as u64, -1.0);
                // keep at least one valid pixel in the smallest images
                if !img.v[0].is_finite() || img.v[0] == -1.0 {
                    img.v[0] = 1.5;
                }
                let p = Params {
                    size,
                    border,
                    nodata: Some(-1.0),
                };
                check_enhanced_lee(&img, &p, &el, &format!("{w}×{h} size {size} {border}"));
                let want = reference(&img, &p, |w, _| moments(w, 0).0);
                assert_close(
                    &run::<f64, _>(&Mean, &img, &p),
                    &want,
                    1e-12,
                    0.0,
                    "mean tiny",
                );
            }
        }
    }
}

#[test]
fn local_statistics_and_mean() {
    for &border in &BORDERS {
        for size in [3, 5, 9] {
            let img = scene(37, 29, 2, size as u64, -1.0);
            let p = Params {
                size,
                border,
                nodata: Some(-1.0),
            };
            let mean = reference(&img, &p, |w, _| moments(w, 0).0);
            assert_close(&run::<f64, _>(&Mean, &img, &p), &mean, 1e-12, 0.0, "mean");
            for ddof in [0usize, 1] {
                let ls = |s| LocalStats::new(s).with_ddof(ddof as u8).unwrap();
                let var = reference(&img, &p, |w, _| moments(w, ddof).1);
                let std = reference(&img, &p, |w, _| moments(w, ddof).1.sqrt());
                let cv = reference(&img, &p, |w, _| {
                    let (m, v) = moments(w, ddof);
                    if m > 0.0 { v.sqrt() / m } else { 0.0 }
                });
                // Variances are compared relative to μ² + σ² (the size of the sums they come from).
                let scale: Vec<f64> = reference(&img, &p, |w, _| {
                    let (m, v) = moments(w, ddof);
                    m * m + v
                });
                let got = run::<f64, _>(&ls(Statistic::Variance), &img, &p);
                for i in 0..got.len() {
                    if var[i].is_finite() {
                        assert!(
                            got[i] == var[i] || (got[i] - var[i]).abs() <= 1e-12 * scale[i],
                            "variance pixel {i}: {} vs {}",
                            got[i],
                            var[i]
                        );
                    }
                }
                assert_close(
                    &run::<f64, _>(&ls(Statistic::Mean), &img, &p),
                    &mean,
                    1e-12,
                    0.0,
                    "stat mean",
                );
                // σ = √σ² inherits √(1e-12 · (μ² + σ²)) of absolute error (a constant window's
                // σ² is a few ε·μ², not 0): Ci is exact to about 1e-6.
                let got_std = run::<f64, _>(&ls(Statistic::StdDev), &img, &p);
                let got_cv = run::<f64, _>(&ls(Statistic::Cv), &img, &p);
                for i in 0..got.len() {
                    if std[i].is_finite() && std[i] >= 0.0 {
                        let tol = (1e-12 * scale[i]).sqrt() + 1e-9 * std[i];
                        assert!(
                            (got_std[i] - std[i]).abs() <= tol,
                            "std pixel {i}: {} vs {}",
                            got_std[i],
                            std[i]
                        );
                        assert!(
                            (got_cv[i] - cv[i]).abs() <= 2e-6,
                            "cv pixel {i}: {} vs {}",
                            got_cv[i],
                            cv[i]
                        );
                    }
                }
                let got32 = run::<f32, _>(&ls(Statistic::Cv), &as_f32(&img), &p);
                let cv32 = reference(&as_f32(&img), &p, |w, _| {
                    let (m, v) = moments(w, ddof);
                    if m > 0.0 { v.sqrt() / m } else { 0.0 }
                });
                assert_close(&got32, &cv32, 1e-5, 2e-6, "cv f32");
            }
        }
    }
}

#[test]
fn zero_constant_and_empty_areas_never_give_nan() {
    let el = EnhancedLee::new(1.0).unwrap();
    let p = Params {
        size: 5,
        border: Border::Reflect,
        nodata: None,
    };
    // all zeros: the mean, 0
    let zeros = Img {
        w: 9,
        h: 8,
        v: vec![0.0; 72],
    };
    assert!(run::<f32, _>(&el, &zeros, &p).iter().all(|&v| v == 0.0));
    // a constant area: the constant
    let c = Img {
        w: 9,
        h: 8,
        v: vec![2.75; 72],
    };
    assert_close(
        &run::<f32, _>(&el, &c, &p),
        &vec![2.75; 72],
        1e-7,
        0.0,
        "constant",
    );
    // all NaN: stays NaN; all no-data value: stays that value
    let nan = Img {
        w: 6,
        h: 5,
        v: vec![f64::NAN; 30],
    };
    assert!(run::<f32, _>(&el, &nan, &p).iter().all(|v| v.is_nan()));
    let nd = Img {
        w: 6,
        h: 5,
        v: vec![-9999.0; 30],
    };
    let pnd = Params {
        nodata: Some(-9999.0),
        ..p
    };
    assert!(run::<f64, _>(&el, &nd, &pnd).iter().all(|&v| v == -9999.0));
    // infinities are no-data too: kept, and left out of their neighbours' statistics
    let mut inf = Img {
        w: 7,
        h: 7,
        v: vec![1.0; 49],
    };
    inf.v[24] = f64::INFINITY;
    let out = run::<f64, _>(&Mean, &inf, &p);
    assert_eq!(out[24], f64::INFINITY);
    assert!(out.iter().enumerate().all(|(i, &v)| i == 24 || v == 1.0));
}
