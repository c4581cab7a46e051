//! `despeckle demo`: the bundled Sentinel-1 sample and a generated large scene.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use despeckle::metrics::{self, Region};
use despeckle::{
    Domain, EnhancedLee, ImageMut, ImageRef, Options, Ppb, filter, filter_in_place, filter_planes,
    synthetic,
};

use crate::{memory, output, quicklook, sample};

/// Options of `despeckle demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// Folder for the quick-look PNG (created if missing).
    #[arg(long, default_value = "demo-out")]
    out: PathBuf,
    /// Side of the generated scene, in pixels (0 skips it).
    #[arg(long, default_value_t = 10_000)]
    n: usize,
    /// Window size.
    #[arg(long, default_value_t = 7)]
    size: usize,
    /// Number of looks of the generated scene (the sample is single-look).
    #[arg(long, default_value_t = 4)]
    looks: u32,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

pub fn run(args: &DemoArgs) -> Result<()> {
    let opts = Options::new(args.size)?.with_threads(args.threads);
    sample_part(args, &opts)?;
    if args.n > 0 {
        scene_part(args, &opts)?;
    }
    Ok(())
}

fn sample_part(args: &DemoArgs, opts: &Options) -> Result<()> {
    let (side, looks) = (sample::SIDE, 1.0);
    let input = sample::pixels();
    let mut filtered = vec![0f32; input.len()];
    let el = EnhancedLee::new(looks)?;
    let t = Instant::now();
    filter(
        &el,
        ImageRef::new(&input, side, side)?,
        &mut ImageMut::new(&mut filtered, side, side)?,
        opts,
    )?;
    let dt = t.elapsed();
    println!("1. Bundled sample: Sentinel-1 VV intensity, Shanghai, {side} × {side}, single look");
    println!("   ({})", sample::ATTRIBUTION);
    println!(
        "   Enhanced Lee (size {}, looks {looks}, damping {}): {:.2} ms",
        opts.size(),
        el.damping(),
        dt.as_secs_f64() * 1e3
    );
    let (a, b) = (
        ImageRef::new(&input, side, side)?,
        ImageRef::new(&filtered, side, side)?,
    );
    let flat = most_homogeneous_block(&a, 32);
    println!(
        "   most homogeneous 32 × 32 block (x {}, y {}): ENL {:.2} before, {:.2} after; mean ratio {:.4}",
        flat.x,
        flat.y,
        metrics::enl(&a, flat, Domain::Intensity),
        metrics::enl(&b, flat, Domain::Intensity),
        metrics::mean_ratio(&b, &a, flat)
    );
    let all = Region::all(&a);
    println!(
        "   whole image: mean ratio {:.4}, edge preservation index {:.3}",
        metrics::mean_ratio(&b, &a, all),
        metrics::edge_preservation_index(&b, &a, all)
    );
    // the non-local filter (two passes, its defaults) on the same sample
    let nl = Ppb::new(looks)?;
    let mut nonlocal = vec![0f32; input.len()];
    let t = Instant::now();
    filter_planes(
        &nl,
        &[ImageRef::new(&input, side, side)?],
        &mut [ImageMut::new(&mut nonlocal, side, side)?],
        opts,
    )?;
    let dt = t.elapsed();
    let c = ImageRef::new(&nonlocal, side, side)?;
    println!(
        "   Non-local ppb ({} passes, search 23, looks {looks}): {:.2} ms; ENL of the block {:.2}, \
         mean ratio {:.4}, edge preservation index {:.3}",
        nl.passes(),
        dt.as_secs_f64() * 1e3,
        metrics::enl(&c, flat, Domain::Intensity),
        metrics::mean_ratio(&c, &a, all),
        metrics::edge_preservation_index(&c, &a, all)
    );
    output::ensure_dir(&args.out)?;
    let png = args.out.join("shanghai_enhanced_lee.png");
    let range =
        quicklook::db_stretch(&input, 2.0, 98.0).context("the sample has no positive pixel")?;
    quicklook::write_side_by_side(&png, &[&input, &filtered], side, side, range, true)?;
    println!(
        "   quick-look: {} (left input, right filtered; dB, 2–98 % stretch {:.1}…{:.1} dB)",
        png.display(),
        range.0,
        range.1
    );
    let png = args.out.join("shanghai_ppb.png");
    quicklook::write_side_by_side(
        &png,
        &[&input, &filtered, &nonlocal],
        side,
        side,
        range,
        true,
    )?;
    println!(
        "   quick-look: {} (input, Enhanced Lee, ppb; same stretch)",
        png.display()
    );
    Ok(())
}

fn scene_part(args: &DemoArgs, opts: &Options) -> Result<()> {
    let n = args.n;
    println!();
    println!(
        "2. Generated scene: {n} × {n} float32 ({}), {}-look speckle",
        memory::mib((n * n * 4) as u64),
        args.looks
    );
    let t = Instant::now();
    let scene = synthetic::speckled_scene(n, n, args.looks, 0);
    println!("   generated in {:.2} s", t.elapsed().as_secs_f64());
    let mut img = scene.data;
    let region = scene.homogeneous;
    let enl = |img: &[f32]| -> Result<f64> {
        Ok(metrics::enl(
            &ImageRef::new(img, n, n)?,
            region,
            Domain::Intensity,
        ))
    };
    let enl_before = enl(&img)?;

    let el = EnhancedLee::new(args.looks as f64)?;
    let rss_before = memory::rss();
    let peak_reset = memory::reset_peak();
    let t = Instant::now();
    filter_in_place(&el, &mut ImageMut::new(&mut img, n, n)?, opts)?;
    let dt = t.elapsed().as_secs_f64();
    let peak = memory::peak_rss();
    let threads = opts.threads().unwrap_or_else(rayon_threads);
    println!(
        "   Enhanced Lee in place (size {}, looks {}): {dt:.3} s, {:.2} ns/pixel on {threads} thread(s)",
        opts.size(),
        args.looks,
        dt * 1e9 / (n * n) as f64
    );
    match (peak_reset, rss_before, peak) {
        (true, Some(before), Some(peak)) => println!(
            "   peak memory while filtering: {} = image + {} ({:.2} % of the image)",
            memory::mib(peak),
            memory::mib(peak.saturating_sub(before)),
            peak.saturating_sub(before) as f64 * 100.0 / (n * n * 4) as f64
        ),
        (_, _, Some(peak)) => println!("   peak memory of the process: {}", memory::mib(peak)),
        _ => println!("   peak memory: not available on this system"),
    }
    println!(
        "   ENL of a homogeneous {} × {} area: {enl_before:.2} before, {:.2} after",
        region.width,
        region.height,
        enl(&img)?
    );
    Ok(())
}

/// The `side × side` block (on a half-block grid) with the lowest coefficient of variation.
fn most_homogeneous_block(img: &ImageRef<'_, f32>, side: usize) -> Region {
    let step = (side / 2).max(1);
    let mut best = (f64::INFINITY, Region::all(img));
    for y in (0..=img.height().saturating_sub(side)).step_by(step) {
        for x in (0..=img.width().saturating_sub(side)).step_by(step) {
            let r = Region {
                x,
                y,
                width: side,
                height: side,
            };
            let (m, v) = metrics::mean_variance(img, r);
            let cv = v.sqrt() / m;
            if m > 0.0 && cv < best.0 {
                best = (cv, r);
            }
        }
    }
    best.1
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}
