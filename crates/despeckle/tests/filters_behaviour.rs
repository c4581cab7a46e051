//! What each filter is for, measured on simulated scenes:
//! * homogeneous speckle is smoothed: every filter raises the ENL of a homogeneous area and
//!   keeps its mean (within 4 %; the median, whose value for skewed speckle is below the
//!   mean, within 35 %; SNAP's IDAN, biased low on few looks, within 25 %);
//! * a bright point target survives Enhanced Lee (a single pixel) and Lee Sigma (a cluster,
//!   kept exactly), where the boxcar spreads it;
//! * an edge stays sharp with Refined Lee: its edge preservation index across a step edge is
//!   more than twice the boxcar's, and the step keeps most of its contrast.

use crate::common;

use common::Rng;
use despeckle::metrics::{self, Region};
use despeckle::{
    Domain, EnhancedFrost, EnhancedLee, Filter, Frost, GammaMap, Idan, ImageMut, ImageRef, Kuan,
    Lee, LeeSigma, Mean, Median, Options, RefinedLee, estimate, filter,
};

fn run<F: Filter>(f: &F, img: &[f32], w: usize, h: usize, size: usize) -> Vec<f32> {
    let mut out = vec![0f32; img.len()];
    filter(
        f,
        ImageRef::new(img, w, h).unwrap(),
        &mut ImageMut::new(&mut out, w, h).unwrap(),
        &Options::new(size).unwrap(),
    )
    .unwrap();
    out
}

fn speckle(
    w: usize,
    h: usize,
    looks: u32,
    seed: u64,
    level: impl Fn(usize, usize) -> f64,
) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..w * h)
        .map(|i| (level(i % w, i / w) * rng.speckle(looks)) as f32)
        .collect()
}

#[test]
fn every_filter_smooths_homogeneous_speckle() {
    let (w, h, looks) = (160, 160, 2u32);
    let img = speckle(w, h, looks, 1, |_, _| 3.0);
    let src = ImageRef::new(&img, w, h).unwrap();
    let region = Region {
        x: 10,
        y: 10,
        width: w - 20,
        height: h - 20,
    };
    let enl0 = metrics::enl(&src, region, Domain::Intensity);
    let z98 = estimate::quantile(&mut ImageRef::new(&img, w, h).unwrap(), 0.98, None)
        .unwrap()
        .unwrap();
    let l = looks as f64;
    let check = |name: &str, out: Vec<f32>, min_gain: f64, mean_tol: f64| {
        let o = ImageRef::new(&out, w, h).unwrap();
        let enl = metrics::enl(&o, region, Domain::Intensity);
        let ratio = metrics::mean_ratio(&o, &src, region);
        eprintln!(
            "{name:<15} ENL {enl0:.2} → {enl:.2} (×{:.1}), mean ratio {ratio:.3}",
            enl / enl0
        );
        assert!(enl > min_gain * enl0, "{name}: ENL {enl0} → {enl}");
        assert!((ratio - 1.0).abs() < mean_tol, "{name}: mean ratio {ratio}");
    };
    let size = 7;
    check("mean", run(&Mean, &img, w, h, size), 20.0, 0.01);
    check(
        "enhanced-lee",
        run(&EnhancedLee::new(l).unwrap(), &img, w, h, size),
        5.0,
        0.04,
    );
    check(
        "lee",
        run(&Lee::new(l).unwrap(), &img, w, h, size),
        5.0,
        0.04,
    );
    check(
        "kuan",
        run(&Kuan::new(l).unwrap(), &img, w, h, size),
        5.0,
        0.04,
    );
    check(
        "gamma-map",
        run(&GammaMap::new(l).unwrap(), &img, w, h, size),
        5.0,
        0.04,
    );
    check("frost", run(&Frost::new(), &img, w, h, size), 3.0, 0.04);
    check(
        "enhanced-frost",
        run(&EnhancedFrost::new(l).unwrap(), &img, w, h, size),
        5.0,
        0.04,
    );
    check("median", run(&Median, &img, w, h, size), 5.0, 0.35);
    check(
        "refined-lee",
        run(&RefinedLee::new(), &img, w, h, size),
        3.0,
        0.04,
    );
    check(
        "refined-lee L",
        run(
            &RefinedLee::new().with_looks(Some(l)).unwrap(),
            &img,
            w,
            h,
            size,
        ),
        3.0,
        0.04,
    );
    check(
        "lee-sigma",
        run(&LeeSigma::new(l, z98).unwrap(), &img, w, h, size),
        3.0,
        0.04,
    );
    // IDAN as ESA SNAP defines it is biased low on few-look speckle: the seed is a median
    // (below the mean for skewed speckle) and the acceptance intervals are symmetric, so the
    // region misses the bright tail (2 looks: −19 %). See docs/filters.md.
    check(
        "idan",
        run(&Idan::new(l).unwrap(), &img, w, h, 11),
        3.0,
        0.25,
    );
}

#[test]
fn point_targets_survive_enhanced_lee_and_lee_sigma() {
    let (w, h, looks) = (120, 100, 4u32);
    let mut img = speckle(w, h, looks, 2, |_, _| 1.0);
    // a single bright pixel, and a 3 × 3 cluster of bright pixels
    let single = (30usize, 40usize);
    img[single.1 * w + single.0] = 60.0;
    let cluster: Vec<(usize, usize)> = (0..9).map(|k| (80 + k % 3, 50 + k / 3)).collect();
    for &(x, y) in &cluster {
        img[y * w + x] = 40.0 + (x + y) as f32;
    }
    let z98 = estimate::quantile(&mut ImageRef::new(&img, w, h).unwrap(), 0.98, None)
        .unwrap()
        .unwrap();
    let at = |v: &[f32], (x, y): (usize, usize)| v[y * w + x];

    let boxcar = run(&Mean, &img, w, h, 7);
    let el = run(&EnhancedLee::new(looks as f64).unwrap(), &img, w, h, 7);
    let ls = run(&LeeSigma::new(looks as f64, z98).unwrap(), &img, w, h, 7);
    eprintln!(
        "single target 60: boxcar {:.2}, enhanced Lee {:.2}, Lee Sigma {:.2}",
        at(&boxcar, single),
        at(&el, single),
        at(&ls, single)
    );
    assert!(at(&boxcar, single) < 6.0, "the boxcar spreads it");
    assert_eq!(
        at(&el, single),
        60.0,
        "Enhanced Lee keeps a point target (Ci ≥ Cmax)"
    );
    for &p in &cluster {
        assert_eq!(
            at(&ls, p),
            at(&img, p),
            "Lee Sigma keeps the cluster pixel {p:?}"
        );
        assert!(at(&boxcar, p) < 0.8 * at(&img, p));
    }
    // and the background next to the targets is still smoothed
    let region = Region {
        x: 5,
        y: 5,
        width: 20,
        height: 20,
    };
    let src = ImageRef::new(&img, w, h).unwrap();
    for (name, out) in [("enhanced-lee", &el), ("lee-sigma", &ls)] {
        let o = ImageRef::new(out, w, h).unwrap();
        let ssi = metrics::speckle_suppression_index(&o, &src, region);
        assert!(ssi < 0.7, "{name}: speckle suppression index {ssi}");
    }
}

#[test]
fn refined_lee_keeps_an_edge_sharp() {
    let (w, h, looks) = (120, 120, 4u32);
    let edge = 60;
    let img = speckle(w, h, looks, 3, |x, _| if x < edge { 1.0 } else { 8.0 });
    let src = ImageRef::new(&img, w, h).unwrap();
    // the band across the edge, away from the image border
    let band = Region {
        x: edge - 3,
        y: 10,
        width: 6,
        height: h - 20,
    };
    let refined = run(
        &RefinedLee::new().with_looks(Some(looks as f64)).unwrap(),
        &img,
        w,
        h,
        7,
    );
    let refined_local = run(&RefinedLee::new(), &img, w, h, 7);
    let boxcar = run(&Mean, &img, w, h, 7);
    let lee = run(&Lee::new(looks as f64).unwrap(), &img, w, h, 7);
    let epi = |out: &[f32]| {
        metrics::edge_preservation_index(&ImageRef::new(out, w, h).unwrap(), &src, band)
    };
    // contrast across the edge: mean of the columns just right over just left of it
    let contrast = |out: &[f32]| {
        let col = |x: usize| (10..h - 10).map(|y| out[y * w + x] as f64).sum::<f64>();
        col(edge) / col(edge - 1)
    };
    let (e_r, e_rl, e_b, e_l) = (epi(&refined), epi(&refined_local), epi(&boxcar), epi(&lee));
    eprintln!(
        "EPI across the edge: refined Lee {e_r:.3} (local noise {e_rl:.3}), Lee {e_l:.3}, boxcar {e_b:.3}"
    );
    eprintln!(
        "contrast (true 8): original {:.2}, refined Lee {:.2}, boxcar {:.2}",
        contrast(&img),
        contrast(&refined),
        contrast(&boxcar)
    );
    // (Lee's EPI is higher still, but from the speckle it leaves near the edge: EPI counts
    // every gradient, noise included)
    assert!(
        e_r > 2.0 * e_b && e_rl > 2.0 * e_b,
        "Refined Lee keeps the edge, the boxcar blurs it"
    );
    assert!(contrast(&refined) > 4.0 && contrast(&boxcar) < 2.0);
    // while the flat sides are smoothed
    let flat = Region {
        x: 10,
        y: 10,
        width: 40,
        height: 100,
    };
    let ssi =
        metrics::speckle_suppression_index(&ImageRef::new(&refined, w, h).unwrap(), &src, flat);
    assert!(ssi < 0.6, "speckle suppression {ssi}");
}

#[test]
fn looks_auto_then_filter() {
    // the CLI's `--looks auto`: estimate, report, construct
    let s = despeckle::synthetic::speckled_scene(600, 600, 3, 5);
    let mut src = ImageRef::new(&s.data, s.width, s.height).unwrap();
    let (looks, how) = estimate::Looks::Auto
        .resolve(&mut src, None, Domain::Intensity)
        .unwrap();
    let how = how.unwrap();
    eprintln!("{how}");
    assert!((looks - 3.0).abs() < 0.15, "{how}");
    let out = run(&Lee::new(looks).unwrap(), &s.data, s.width, s.height, 7);
    let o = ImageRef::new(&out, s.width, s.height).unwrap();
    assert!(metrics::enl(&o, s.homogeneous, Domain::Intensity) > 3.0 * looks);
}
