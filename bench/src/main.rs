//! One benchmark case per process, for `bench/run.py`: prints one JSON line with the wall
//! time of the timed part, the process's peak RSS (VmHWM) and its RSS before the timed part.
//!
//! Cases (10,000² float32 by default, the same speckled scene for all):
//! * `copy-fresh`: copy the image into a freshly allocated buffer (first-touch page faults
//!   included) — the floor for any out-of-place filter;
//! * `copy-reuse`: copy into an already touched buffer — the floor for one read + one write;
//! * `stats`: the engine alone (window sums, no per-pixel maths: the output is Σx), in place;
//! * `mean`: boxcar mean, in place;
//! * `enhanced-lee`: Enhanced Lee out of place into a fresh buffer;
//! * `enhanced-lee-reuse`: Enhanced Lee out of place into an already touched buffer;
//! * `enhanced-lee-inplace`: Enhanced Lee in place;
//! * `enhanced-lee-portable`: in place, baseline instruction set only (no AVX2);
//! * `lee`, `kuan`, `gamma-map`, `frost`, `frost-chebyshev`, `enhanced-frost`, `median`,
//!   `refined-lee`, `refined-lee-looks`, `lee-sigma` (Z98 computed first, not timed), `idan`:
//!   each filter in place;
//! * `z98`: the exact 98th percentile (Lee Sigma's pre-pass); `enl-auto`: the ENL estimate.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use despeckle::{
    Distance, Domain, EnhancedFrost, EnhancedLee, Filter, Frost, GammaMap, Idan, ImageMut,
    ImageRef, Kuan, Lee, LeeSigma, Mean, Median, Options, Ppb, RefinedLee, RowContext, Sample,
    estimate, filter, filter_in_place, synthetic,
};

#[derive(Parser)]
struct Args {
    /// The case to run.
    #[arg(long)]
    case: String,
    /// Image side.
    #[arg(long, default_value_t = 10_000)]
    n: usize,
    /// Window size.
    #[arg(long, default_value_t = 7)]
    size: usize,
    /// Number of looks.
    #[arg(long, default_value_t = 4.0)]
    looks: f64,
    /// Enhanced Lee damping.
    #[arg(long, default_value_t = 1.0)]
    damping: f64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Runs the timed part this many times and reports the fastest (in-place cases filter
    /// the previous result again).
    #[arg(long, default_value_t = 1)]
    repeat: usize,
}

/// The engine's statistics with the cheapest possible per-pixel output.
struct StatsOnly;

impl Filter for StatsOnly {
    fn name(&self) -> &'static str {
        "stats-only"
    }
    #[inline(always)]
    fn filter_row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]) {
        for (o, &s) in out.iter_mut().zip(ctx.sum) {
            *o = T::from_f64(s);
        }
    }
}

fn status_kib(key: &str) -> Result<u64> {
    let s = std::fs::read_to_string("/proc/self/status")?;
    s.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("{key} not in /proc/self/status"))
}

/// CPU time (user + system) of the whole process so far, in seconds (10 ms resolution).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // fields after the command name in parentheses: utime is the 14th field, stime the 15th
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Filters `img` in place with `f`.
fn in_place<F: Filter>(f: &F, img: &mut [f32], n: usize, opts: &Options) -> Result<Vec<f32>> {
    filter_in_place(f, &mut ImageMut::new(img, n, n)?, opts)?;
    Ok(Vec::new())
}

fn main() -> Result<()> {
    let a = Args::parse();
    let (n, size) = (a.n, a.size);
    let scene = synthetic::speckled_scene(n, n, a.looks.round().max(1.0) as u32, 0);
    let mut img = scene.data;
    let opts = Options::new(size)?.with_threads(a.threads);
    let el = EnhancedLee::new(a.looks)?.with_damping(a.damping)?;
    let mut touched = Vec::new();
    if a.case.ends_with("-reuse") {
        touched = vec![1f32; n * n];
    }
    let z98 = if a.case == "lee-sigma" {
        estimate::quantile(&mut ImageRef::new(&img, n, n)?, 0.98, None)?
            .context("the scene has no valid pixel")?
    } else {
        0.0
    };
    let rss_before = status_kib("VmRSS:")? * 1024;
    let mut seconds = f64::INFINITY;
    let cpu_start = cpu_seconds();
    for _ in 0..a.repeat.max(1) {
        let t = Instant::now();
        let result: Vec<f32> = match a.case.as_str() {
            "copy-fresh" => img.to_vec(),
            "copy-reuse" => {
                touched.copy_from_slice(&img);
                std::mem::take(&mut touched)
            }
            "stats" => {
                filter_in_place(&StatsOnly, &mut ImageMut::new(&mut img, n, n)?, &opts)?;
                Vec::new()
            }
            "mean" => {
                filter_in_place(&Mean, &mut ImageMut::new(&mut img, n, n)?, &opts)?;
                Vec::new()
            }
            "enhanced-lee" => {
                let mut out = vec![0f32; n * n];
                filter(
                    &el,
                    ImageRef::new(&img, n, n)?,
                    &mut ImageMut::new(&mut out, n, n)?,
                    &opts,
                )?;
                out
            }
            "enhanced-lee-reuse" => {
                filter(
                    &el,
                    ImageRef::new(&img, n, n)?,
                    &mut ImageMut::new(&mut touched, n, n)?,
                    &opts,
                )?;
                std::mem::take(&mut touched)
            }
            "enhanced-lee-inplace" | "enhanced-lee-portable" => {
                despeckle::engine::dispatch::force_portable_code(a.case.ends_with("portable"));
                filter_in_place(&el, &mut ImageMut::new(&mut img, n, n)?, &opts)?;
                Vec::new()
            }
            "lee" => in_place(&Lee::new(a.looks)?, &mut img, n, &opts)?,
            "kuan" => in_place(&Kuan::new(a.looks)?, &mut img, n, &opts)?,
            "gamma-map" => in_place(&GammaMap::new(a.looks)?, &mut img, n, &opts)?,
            "frost" => in_place(&Frost::new(), &mut img, n, &opts)?,
            "frost-chebyshev" => in_place(
                &Frost::new().with_distance(Distance::Chebyshev)?,
                &mut img,
                n,
                &opts,
            )?,
            "enhanced-frost" => in_place(&EnhancedFrost::new(a.looks)?, &mut img, n, &opts)?,
            "median" => in_place(&Median, &mut img, n, &opts)?,
            "refined-lee" => in_place(&RefinedLee::new(), &mut img, n, &opts)?,
            "refined-lee-looks" => in_place(
                &RefinedLee::new().with_looks(Some(a.looks))?,
                &mut img,
                n,
                &opts,
            )?,
            "lee-sigma" => in_place(&LeeSigma::new(a.looks, z98)?, &mut img, n, &opts)?,
            "idan" => in_place(&Idan::new(a.looks)?, &mut img, n, &opts)?,
            // the non-local filter in place (P = 7, A = 3, b = 3; `--size` unused): two passes
            // at the defaults (W = 23), or one at W = 21, the geometry of the speed target
            "ppb" | "ppb-1" => {
                let f = if a.case == "ppb" {
                    Ppb::new(a.looks)?
                } else {
                    Ppb::new(a.looks)?.with_passes(1)?.with_search(21)?
                };
                despeckle::filter_planes_in_place(
                    &f,
                    &mut [ImageMut::new(&mut img, n, n)?],
                    &opts,
                )?;
                Vec::new()
            }
            "z98" => {
                let q = estimate::quantile(&mut ImageRef::new(&img, n, n)?, 0.98, None)?;
                std::hint::black_box(q);
                Vec::new()
            }
            "enl-auto" => {
                let e = estimate::enl(&mut ImageRef::new(&img, n, n)?, None, Domain::Intensity)?;
                std::hint::black_box(&e);
                Vec::new()
            }
            other => bail!("unknown case `{other}`"),
        };
        seconds = seconds.min(t.elapsed().as_secs_f64());
        std::hint::black_box(&result);
        if a.case.ends_with("-reuse") {
            touched = result;
        }
    }
    let cpu = (cpu_seconds() - cpu_start) / a.repeat.max(1) as f64;
    let peak = status_kib("VmHWM:")? * 1024;
    println!(
        "{{\"case\": \"{}\", \"size\": {size}, \"n\": {n}, \"seconds\": {seconds:.6}, \
         \"peak_rss_bytes\": {peak}, \"rss_before_bytes\": {rss_before}, \
         \"input_bytes\": {}, \"out_dtype\": \"float32\", \"ns_per_pixel\": {:.3}, \"cpu_seconds\": {cpu:.3}, \
         \"simd\": \"{:?}\"}}",
        a.case,
        n * n * 4,
        seconds * 1e9 / (n * n) as f64,
        despeckle::engine::dispatch::level()
    );
    Ok(())
}
