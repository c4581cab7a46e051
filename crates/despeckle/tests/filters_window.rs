//! Refined Lee, Lee Sigma and IDAN against the independent float64 references in `common`
//! (written from docs/filters.md), on speckled scenes with an edge, a point target, constant,
//! zero, NaN and no-data areas; every border mode; several window sizes; f32 and f64.
//!
//! Tolerances, relative to `|μ| + |z|` of the pixel's window: Refined Lee and IDAN compute in
//! float64 whatever the image type: 1e-9 (f64 images), 1e-9 plus the f32 output rounding
//! (f32). Lee Sigma's maths runs in the image's lanes: 1e-9 (f64) and 2e-5 (f32). Lee Sigma
//! selects pixels against thresholds `I1·x̂`, `I2·x̂`: pixels with a window value within 1e-5
//! (f32) or 1e-10 (f64) of a threshold, relative to `x̂`, are not compared (a rounding-level
//! difference in `x̂` may flip the selection there), and Refined Lee pixels whose direction or
//! side choice is a tie up to rounding (e.g. a row duplicated by `reflect` makes two sub-window
//! differences exactly equal, a tie the definition breaks but float rounding of the sums may
//! not; f64 images only: f32 values sum exactly in f64, so ties then resolve identically).
//! Lee Sigma: at most 1 % of an image's pixels skipped; Refined Lee: at most 2 % over all
//! comparisons (edge rows of the small test images under `reflect`/`mirror`/`nearest` are
//! mirror-symmetric windows, full of exact ties); IDAN: none.

use crate::common;

use common::*;
use despeckle::{Border, Domain, Filter, Idan, LeeSigma, RefinedLee};

fn configs(sizes: &[usize], seed: u64) -> Vec<(Img, Params, String)> {
    let mut out = Vec::new();
    for &size in sizes {
        for (k, &border) in BORDERS.iter().enumerate() {
            for nodata in [None, Some(-1.0)] {
                let img = scene(
                    16 + size + k,
                    14 + 2 * k,
                    2,
                    seed + (size * 31 + k) as u64,
                    -1.0,
                );
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

/// Runs `f` on the image (f64) and on its f32 rounding, and compares with `want` computed on
/// the same input; `rel32` is the f32 tolerance; `skip` returns the pixels not compared.
fn check<F: Filter>(
    f: &F,
    img: &Img,
    p: &Params,
    limit: usize,
    rel32: f64,
    want: impl Fn(&[Vec<Option<f64>>], f64) -> (f64, bool),
    what: &str,
) {
    for is32 in [false, true] {
        let img = if is32 { rounded_f32(img) } else { img.clone() };
        let got = if is32 {
            run_filter::<f32, F>(f, &img, p)
        } else {
            run_filter::<f64, F>(f, &img, p)
        };
        let both = reference_grid(&img, p, |g, z| want(g, z).0);
        let skip = reference_grid(&img, p, |g, z| want(g, z).1 as u8 as f64);
        let sc = scale(&img, p);
        let skipped = compare(
            &img,
            p,
            &got,
            &both,
            |i| {
                let r = if is32 { rel32 } else { 1e-9 };
                r * sc[i] + if is32 { both[i].abs() * 6e-8 } else { 1e-300 }
            },
            // f32 inputs: the sub-window sums are exact in f64, ties resolve identically
            |i| !is32 && skip[i] == 1.0 && is_valid(img.v[i], p.nodata),
            &format!("{what} f32={is32}"),
        );
        assert!(
            skipped * 100 <= img.v.len() * limit,
            "{what}: {skipped} pixels skipped (limit {limit} %)"
        );
        SKIPPED.fetch_add(skipped, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Pixels skipped so far (ties up to rounding), over all Refined Lee comparisons.
static SKIPPED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[test]
fn refined_lee_every_border_and_size() {
    let mut total = 0;
    for (img, p, what) in configs(&[5, 7, 9, 11], 0) {
        total += 2 * img.v.len();
        for (looks, ddof) in [(None, 0u8), (Some(2.0), 1)] {
            let f = RefinedLee::new()
                .with_looks(looks)
                .unwrap()
                .with_ddof(ddof)
                .unwrap();
            let eta2 = looks.map(|l| 1.0 / l);
            check(
                &f,
                &img,
                &p,
                30,
                1e-9,
                |g, z| refined_lee_tie(g, z, eta2, ddof as usize),
                &format!("refined-lee L {looks:?} {what}"),
            );
        }
    }
    let skipped = SKIPPED.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!("Refined Lee: {skipped} of {total} pixel comparisons skipped as rounding-level ties");
    assert!(skipped * 50 <= total, "{skipped} of {total} skipped");
}

#[test]
fn refined_lee_larger_sizes_and_amplitude() {
    let img = scene(45, 40, 3, 17, -1.0);
    for size in [13, 15, 17] {
        for domain in [Domain::Intensity, Domain::Amplitude] {
            let p = Params {
                size,
                border: Border::Reflect,
                nodata: Some(-1.0),
            };
            let f = RefinedLee::new()
                .with_looks(Some(3.0))
                .unwrap()
                .with_domain(domain)
                .unwrap();
            let eta2 = domain.cu(3.0).powi(2);
            check(
                &f,
                &img,
                &p,
                1,
                1e-9,
                |g, z| refined_lee_tie(g, z, Some(eta2), 0),
                &format!("refined-lee size {size} {domain}"),
            );
        }
    }
}

fn sigma_params(f: &LeeSigma) -> SigmaParams {
    let r = f.range();
    SigmaParams {
        z98: f.z98(),
        target: f.target_window(),
        min_cluster: f.min_cluster(),
        eta: f.cu(),
        low: r.low,
        high: r.high,
        eta_prime: r.eta,
        ddof: f.ddof() as usize,
    }
}

fn check_lee_sigma(f: &LeeSigma, img: &Img, p: &Params, what: &str) {
    let sp = sigma_params(f);
    for is32 in [false, true] {
        let img = if is32 { rounded_f32(img) } else { img.clone() };
        let band = if is32 { 1e-5 } else { 1e-10 };
        let got = if is32 {
            run_filter::<f32, LeeSigma>(f, &img, p)
        } else {
            run_filter::<f64, LeeSigma>(f, &img, p)
        };
        let want = reference_grid(&img, p, |g, z| lee_sigma(g, z, &sp).0);
        let margin = reference_grid(&img, p, |g, z| lee_sigma(g, z, &sp).1);
        let sc = scale(&img, p);
        let rel = if is32 { 2e-5 } else { 1e-9 };
        let skipped = compare(
            &img,
            p,
            &got,
            &want,
            |i| rel * sc[i] + 1e-300,
            |i| margin[i] < band,
            &format!("{what} f32={is32}"),
        );
        assert!(
            skipped * 100 <= img.v.len(),
            "{what}: {skipped} pixels skipped"
        );
    }
}

#[test]
fn lee_sigma_every_border_and_size() {
    for (img, p, what) in configs(&[5, 7, 9], 100) {
        let z98 = quantile(&img, 0.98, p.nodata);
        for (looks, sigma, ddof) in [(2.0, 0.9, 0u8), (1.0, 0.7, 1)] {
            let f = LeeSigma::new(looks, z98)
                .unwrap()
                .with_sigma(sigma)
                .unwrap()
                .with_ddof(ddof)
                .unwrap();
            check_lee_sigma(&f, &img, &p, &format!("lee-sigma L {looks} {what}"));
        }
    }
}

#[test]
fn lee_sigma_target_windows_clusters_and_domains() {
    // a scene with clusters of bright pixels of several shapes
    let mut img = scene(48, 44, 2, 5, -1.0);
    for &(x, y, n) in &[
        (10usize, 10usize, 2usize),
        (30, 12, 3),
        (20, 30, 1),
        (40, 35, 4),
    ] {
        for dy in 0..n {
            for dx in 0..n {
                img.v[(y + dy) * img.w + x + dx] = 300.0 + (dx * 7 + dy) as f64;
            }
        }
    }
    for (size, target) in [(5, 3), (7, 3), (9, 5), (11, 5)] {
        for min_cluster in [1, 5, 6] {
            for domain in [Domain::Intensity, Domain::Amplitude] {
                for &border in &[Border::Reflect, Border::Shrink, Border::Constant(0.0)] {
                    let p = Params {
                        size,
                        border,
                        nodata: Some(-1.0),
                    };
                    let z98 = quantile(&img, 0.98, p.nodata);
                    let f = LeeSigma::new(3.0, z98)
                        .unwrap()
                        .with_target_window(target)
                        .unwrap()
                        .with_min_cluster(min_cluster)
                        .unwrap()
                        .with_domain(domain)
                        .unwrap();
                    check_lee_sigma(
                        &f,
                        &img,
                        &p,
                        &format!("lee-sigma {size}/{target} K {min_cluster} {domain} {border}"),
                    );
                }
            }
        }
    }
}

#[test]
fn idan_every_border_and_size() {
    for (img, p, what) in configs(&[3, 5, 9], 200) {
        for (looks, region, ddof) in [(2.0, 50, 0u8), (1.0, 12, 1)] {
            let f = Idan::new(looks)
                .unwrap()
                .with_region(region)
                .unwrap()
                .with_ddof(ddof)
                .unwrap();
            check(
                &f,
                &img,
                &p,
                0,
                1e-9,
                |g, z| (idan(g, z, looks, region, false, ddof as usize), false),
                &format!("idan L {looks} N {region} {what}"),
            );
        }
    }
}

#[test]
fn idan_amplitude_and_large_regions() {
    let img = scene(40, 36, 4, 9, -1.0);
    let amp = Img {
        w: img.w,
        h: img.h,
        v: img
            .v
            .iter()
            .map(|&v| if v > 0.0 { v.sqrt() } else { v })
            .collect(),
    };
    for (size, region) in [(7, 50), (11, 50), (15, 200)] {
        let p = Params {
            size,
            border: Border::Mirror,
            nodata: Some(-1.0),
        };
        let f = Idan::new(4.0)
            .unwrap()
            .with_region(region)
            .unwrap()
            .with_domain(Domain::Amplitude)
            .unwrap();
        check(
            &f,
            &amp,
            &p,
            0,
            1e-9,
            |g, z| (idan(g, z, 4.0, region, true, 0), false),
            &format!("idan amplitude size {size} N {region}"),
        );
    }
}
