//! The quality measures: hand-computed values on tiny images, ENL of simulated speckle,
//! streamed against in-memory values, and the M index ordering a perfect filter, the boxcar
//! and the identity.

use crate::common;

use common::Rng;
use despeckle::metrics::{self, NoReference, Reference, Region};
use despeckle::{Domain, ImageMut, ImageRef, Mean, Options, filter};

/// `L`-look gamma speckle (mean 1) times `scene`.
fn speckle(scene: &[f64], looks: u32, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    scene
        .iter()
        .map(|&s| {
            let p: f64 = (0..looks).map(|_| rng.uniform()).product();
            s * -p.ln() / looks as f64
        })
        .collect()
}

#[test]
fn hand_computed_tiny_image() {
    // input o and filtered f, 3 × 2
    let o = [1.0, 3.0, 2.0, 2.0, 4.0, 6.0];
    let f = [2.0, 2.0, 2.0, 2.0, 4.0, 4.0];
    let (oi, fi) = (
        ImageRef::new(&o, 3, 2).unwrap(),
        ImageRef::new(&f, 3, 2).unwrap(),
    );
    let all = Region::all(&oi);
    // μ_o = 3, σ_o² = (4+0+1+1+1+9)/6 = 16/6; μ_f = 16/6, σ_f² = Σf²/6 − μ_f² = 48/6 − 64/9
    let (mo, vo) = (3.0f64, 16.0f64 / 6.0);
    let (mf, vf) = (16.0f64 / 6.0, 48.0f64 / 6.0 - 64.0 / 9.0);
    let ssi = (vf.sqrt() / mf) / (vo.sqrt() / mo);
    assert!((metrics::speckle_suppression_index(&fi, &oi, all) - ssi).abs() < 1e-12);
    assert!((metrics::mean_ratio(&fi, &oi, all) - mf / mo).abs() < 1e-12);
    // horizontal |Δo|: 2+1+2+2 = 7, vertical: 1+1+4 = 6; |Δf|: 0+0+0+2 = 2, 0+2+2 = 4
    assert!((metrics::edge_preservation_index(&fi, &oi, all) - 6.0 / 13.0).abs() < 1e-12);
    let m = metrics::assess(&oi, &fi, &[], Domain::Intensity, None).unwrap();
    // ratio o/f: 0.5 1.5 1 1 1 1.5 → mean 6.5/6, population variance Σr²/6 − μ²
    let r = [0.5f64, 1.5, 1.0, 1.0, 1.0, 1.5];
    let rm = r.iter().sum::<f64>() / 6.0;
    let rv = r.iter().map(|v| v * v).sum::<f64>() / 6.0 - rm * rm;
    assert!((m.whole.ratio_mean - rm).abs() < 1e-12);
    assert!((m.whole.ratio_enl - rm * rm / rv).abs() < 1e-9);
    assert_eq!(m.whole.pixels, 6);
    // too small for a 15 × 15 block: no homogeneous areas, no M index
    assert!(m.homogeneous.is_none() && m.m_index.is_none());

    // PSNR and SSIM: identical images, and a constant offset
    // no 7 × 7 window fits in 3 × 2: no SSIM
    assert!(metrics::ssim(&oi, &oi, 6.0).unwrap().is_nan());
    let t: Vec<f64> = (0..100).map(|i| (i % 10) as f64).collect();
    let e: Vec<f64> = t.iter().map(|v| v + 0.5).collect();
    let (ti, ei) = (
        ImageRef::new(&t, 10, 10).unwrap(),
        ImageRef::new(&e, 10, 10).unwrap(),
    );
    let r = metrics::compare_to_reference(&ti, &ei, 9.0, None).unwrap();
    assert!((r.psnr - 10.0 * (81.0f64 / 0.25).log10()).abs() < 1e-12);
    assert!((r.bias - 0.5).abs() < 1e-12 && (r.relative_bias - 0.5 / 4.5).abs() < 1e-12);
    assert!((metrics::ssim(&ti, &ti, 9.0).unwrap() - 1.0).abs() < 1e-12);
    // 4 × 4 windows fit in 10 × 10
    assert_eq!(r.ssim_windows, 16);
    // a shift of the mean: luminance term (2 μx μy + C1)/(μx² + μy² + C1) < 1, structure 1
    assert!(r.ssim < 1.0 && r.ssim > 0.95);
}

#[test]
fn no_data_is_skipped() {
    let o = [1.0, f64::NAN, 2.0, -9.0, 4.0, 6.0];
    let f = [2.0, 2.0, 2.0, 2.0, 4.0, 4.0];
    let m = metrics::assess(
        &ImageRef::new(&o, 3, 2).unwrap(),
        &ImageRef::new(&f, 3, 2).unwrap(),
        &[],
        Domain::Intensity,
        Some(-9.0),
    )
    .unwrap();
    assert_eq!(m.whole.pixels, 4);
    assert!((m.whole.mean_ratio - (12.0 / 4.0) / (13.0 / 4.0)).abs() < 1e-12);
}

#[test]
fn enl_of_simulated_speckle_is_the_looks() {
    // Relative standard error of μ²/σ² for L-look gamma speckle over N pixels is
    // √((2 + 6/L)/N): 0.4 % to 1.1 % for N = 65,536: tolerance 5 %.
    let (w, h) = (256, 256);
    for looks in [1u32, 4, 16] {
        let img = speckle(&vec![3.0; w * h], looks, looks as u64);
        let enl = metrics::enl(
            &ImageRef::new(&img, w, h).unwrap(),
            Region::whole(w, h),
            Domain::Intensity,
        );
        assert!(
            (enl / looks as f64 - 1.0).abs() < 0.05,
            "L = {looks}: ENL {enl}"
        );
        // the ratio image of the perfect filter (the constant scene) is the speckle itself
        let perfect = vec![3.0; w * h];
        let m = metrics::assess(
            &ImageRef::new(&img, w, h).unwrap(),
            &ImageRef::new(&perfect, w, h).unwrap(),
            &[],
            Domain::Intensity,
            None,
        )
        .unwrap();
        assert!((m.whole.ratio_enl / looks as f64 - 1.0).abs() < 0.05);
        assert!((m.whole.ratio_mean - 1.0).abs() < 0.02);
    }
}

fn boxcar(img: &[f64], w: usize, h: usize) -> Vec<f64> {
    let mut out = vec![0.0; img.len()];
    filter(
        &Mean,
        ImageRef::new(img, w, h).unwrap(),
        &mut ImageMut::new(&mut out, w, h).unwrap(),
        &Options::new(7).unwrap(),
    )
    .unwrap();
    out
}

#[test]
fn m_index_ranks_perfect_boxcar_identity() {
    // two reflectivity levels (an edge at x = 60) under 4-look speckle
    let (w, h) = (120, 120);
    let scene: Vec<f64> = (0..w * h)
        .map(|i| if i % w < 60 { 1.0 } else { 8.0 })
        .collect();
    let img = speckle(&scene, 4, 7);
    let m = |out: &[f64]| {
        metrics::assess(
            &ImageRef::new(&img, w, h).unwrap(),
            &ImageRef::new(out, w, h).unwrap(),
            &[],
            Domain::Intensity,
            None,
        )
        .unwrap()
        .m_index
        .unwrap()
    };
    let perfect = m(&scene);
    let mean = m(&boxcar(&img, w, h));
    let identity = m(&img);
    // the ratio of the perfect filter is pure speckle: no structure left, δh near 0
    assert!(perfect.delta_h < 1.0, "{perfect:?}");
    // the boxcar leaves the edge in its ratio image
    assert!(mean.m > perfect.m, "{mean:?} vs {perfect:?}");
    // the identity leaves no speckle at all: ENL of the ratio infinite
    assert!(identity.m > mean.m, "{identity:?}");
    // 64 complete blocks, 5 % kept
    assert_eq!(perfect.blocks, 4);
    assert!((perfect.shuffled_homogeneity - perfect.homogeneity).abs() < 0.01);
}

#[test]
fn streamed_equals_in_memory() {
    let (w, h) = (53, 67);
    let scene: Vec<f64> = (0..w * h).map(|i| 1.0 + ((i % w) / 20) as f64).collect();
    let mut img = speckle(&scene, 2, 3);
    img[100] = f64::NAN;
    let out = boxcar(&img, w, h);
    let regions = [
        Region {
            x: 3,
            y: 5,
            width: 20,
            height: 30,
        },
        Region {
            x: 40,
            y: 60,
            width: 50,
            height: 50,
        },
    ];
    let (ii, oi) = (
        ImageRef::new(&img, w, h).unwrap(),
        ImageRef::new(&out, w, h).unwrap(),
    );
    let whole = metrics::assess(&ii, &oi, &regions, Domain::Intensity, None).unwrap();
    let reference = metrics::compare_to_reference(&ii, &oi, 10.0, None).unwrap();
    for rows in [1, 2, 7, 16, 67] {
        let mut acc = NoReference::new(w, h, &regions, Domain::Intensity, None);
        let mut r = Reference::new(w, h, 10.0, None).unwrap();
        for y0 in (0..h).step_by(rows) {
            let y1 = (y0 + rows).min(h);
            acc.add_rows(&img[y0 * w..y1 * w], &out[y0 * w..y1 * w])
                .unwrap();
            r.add_rows(&img[y0 * w..y1 * w], &out[y0 * w..y1 * w])
                .unwrap();
        }
        assert_eq!(acc.finish().unwrap(), whole, "{rows} rows at a time");
        assert_eq!(r.finish().unwrap(), reference);
    }
    // too few or too many rows are errors
    let mut acc = NoReference::new(w, h, &[], Domain::Intensity, None);
    acc.add_rows(&img[..w], &out[..w]).unwrap();
    assert!(acc.finish().is_err());
    let mut acc = NoReference::new(w, 1, &[], Domain::Intensity, None);
    assert!(acc.add_rows(&img[..2 * w], &out[..2 * w]).is_err());
    assert!(acc.add_rows(&img[..w - 1], &out[..w - 1]).is_err());
}
