//! Single-threaded speed of every filter: ns per pixel on a speckled float32 scene.
//!
//! ```text
//! cargo run --release -p despeckle --example filter_speed -- [SIDE] [SIZE] [FILTER…]
//! ```
//!
//! Defaults: a 4000 × 4000 scene (`despeckle::synthetic`, 4 looks), window 7, every filter,
//! out of place into an already touched buffer, best of 2 runs, beside a plain copy of the
//! image (the floor for one read and one write).

use std::time::Instant;

use despeckle::{
    Distance, EnhancedFrost, EnhancedLee, Filter, Frost, GammaMap, Idan, ImageMut, ImageRef, Kuan,
    Lee, LeeSigma, Mean, Median, Options, RefinedLee, estimate, filter, synthetic,
};

fn time<F: Filter>(f: &F, input: &[f32], out: &mut [f32], n: usize, opts: &Options) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..2 {
        let t = Instant::now();
        filter(
            f,
            ImageRef::new(input, n, n).unwrap(),
            &mut ImageMut::new(out, n, n).unwrap(),
            opts,
        )
        .unwrap();
        best = best.min(t.elapsed().as_secs_f64());
    }
    best * 1e9 / (n * n) as f64
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(4000);
    let size: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(7);
    let only: Vec<&str> = args.iter().skip(2).map(|s| s.as_str()).collect();
    let want = |name: &str| only.is_empty() || only.contains(&name);

    let scene = synthetic::speckled_scene(n, n, 4, 0);
    let input = scene.data;
    let mut out = vec![0f32; n * n];
    let opts = Options::new(size).unwrap().with_threads(Some(1));

    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        out.copy_from_slice(&input);
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!("{n}² float32, window {size}, 1 thread (ns/pixel)");
    println!("{:<24} {:>8.2}", "copy", best * 1e9 / (n * n) as f64);

    let t = Instant::now();
    let z98 = estimate::quantile(&mut ImageRef::new(&input, n, n).unwrap(), 0.98, None)
        .unwrap()
        .unwrap();
    let tq = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let enl = estimate::enl(
        &mut ImageRef::new(&input, n, n).unwrap(),
        None,
        despeckle::Domain::Intensity,
    )
    .unwrap();
    let te = t.elapsed().as_secs_f64();
    println!(
        "{:<24} {:>8.2}   (Z98 = {z98})",
        "quantile (Z98)",
        tq * 1e9 / (n * n) as f64
    );
    println!(
        "{:<24} {:>8.2}   ({enl})",
        "ENL estimate",
        te * 1e9 / (n * n) as f64
    );

    let mut run = |name: &str, ns: &dyn Fn(&mut [f32]) -> f64| {
        if want(name) {
            println!("{name:<24} {:>8.2}", ns(&mut out));
        }
    };
    run("mean", &|o| time(&Mean, &input, o, n, &opts));
    run("enhanced-lee", &|o| {
        time(&EnhancedLee::new(4.0).unwrap(), &input, o, n, &opts)
    });
    run("lee", &|o| {
        time(&Lee::new(4.0).unwrap(), &input, o, n, &opts)
    });
    run("kuan", &|o| {
        time(&Kuan::new(4.0).unwrap(), &input, o, n, &opts)
    });
    run("gamma-map", &|o| {
        time(&GammaMap::new(4.0).unwrap(), &input, o, n, &opts)
    });
    run("frost", &|o| time(&Frost::new(), &input, o, n, &opts));
    run("frost-chebyshev", &|o| {
        let f = Frost::new().with_distance(Distance::Chebyshev).unwrap();
        time(&f, &input, o, n, &opts)
    });
    run("enhanced-frost", &|o| {
        time(&EnhancedFrost::new(4.0).unwrap(), &input, o, n, &opts)
    });
    run("median", &|o| time(&Median, &input, o, n, &opts));
    run("refined-lee", &|o| {
        time(&RefinedLee::new(), &input, o, n, &opts)
    });
    run("refined-lee-looks", &|o| {
        let f = RefinedLee::new().with_looks(Some(4.0)).unwrap();
        time(&f, &input, o, n, &opts)
    });
    run("lee-sigma", &|o| {
        time(&LeeSigma::new(4.0, z98).unwrap(), &input, o, n, &opts)
    });
    run("idan", &|o| {
        time(&Idan::new(4.0).unwrap(), &input, o, n, &opts)
    });
}
