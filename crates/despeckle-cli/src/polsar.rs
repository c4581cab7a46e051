//! `despeckle polsar FILTER IN OUT`: polarimetric speckle filters on the k² planes of a
//! C2, C3, T3, C4 or T4 matrix, streamed from a PolSARpro folder or a GeoTIFF into another.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;
use despeckle::polsar::{Matrix, PolBoxcar, PolRefinedLee};
use despeckle::{EdgeRule, MultiFilter, Options, filter_stream_planes};

use crate::polsar_io::{Input, Sink};

/// Options of `despeckle polsar`.
#[derive(Args, Debug)]
pub struct PolsarArgs {
    /// The filter: boxcar (multilook average of the matrices) or refined-lee (Lee, Grunes &
    /// de Grandi 1999: the span's edge-aligned half window and weight applied to every element).
    #[arg(value_name = "FILTER", value_parser = ["boxcar", "refined-lee"])]
    filter: String,
    /// Input: a PolSARpro folder (config.txt and one ELEMENT.bin per element) or a GeoTIFF
    /// whose band descriptions name the elements (C11, C12_real, ...; or plain bands in the
    /// order of --matrix).
    #[arg(value_name = "IN")]
    input: PathBuf,
    /// Output: a GeoTIFF if it ends in .tif (float32, band descriptions set), otherwise a
    /// PolSARpro folder (created if missing). Written under temporary names, renamed when
    /// complete.
    #[arg(value_name = "OUT")]
    output: PathBuf,
    /// The matrix of a GeoTIFF whose bands are not named: c2, c3, t3, c4 or t4 (bands in the
    /// element order C11, C12_real, C12_imag, ...).
    #[arg(long, value_name = "KIND")]
    matrix: Option<String>,
    /// Window side in pixels (refined-lee: 5, 7, 9, 11, 13, 15 or 17).
    #[arg(long, value_name = "N", default_value_t = 7)]
    size: usize,
    /// Number of looks of the input (refined-lee: speckle variance η² = 1/looks).
    #[arg(long, value_name = "L", default_value_t = 1.0)]
    looks: f64,
    /// Variance convention: 0 population (PolSARpro), 1 sample, n − 1 (SNAP).
    #[arg(long, value_name = "0|1", default_value_t = 0)]
    ddof: u8,
    /// How refined-lee chooses the half window: gradient (PolSARpro and SNAP's polarimetric
    /// filter) or closer (SNAP's single-band Refined Lee).
    #[arg(long, value_name = "RULE", default_value = "gradient",
          value_parser = ["gradient", "closer"])]
    edge_rule: String,
    /// Border mode: reflect, mirror, nearest, wrap, constant:V or shrink.
    #[arg(long, value_name = "MODE", default_value = "reflect")]
    border: String,
    /// No-data value (default: a GeoTIFF's GDAL_NODATA); a pixel is no-data in every element
    /// if it is in any. NaN and ±inf are always no-data.
    #[arg(long, value_name = "V", allow_hyphen_values = true)]
    nodata: Option<f64>,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Replace existing output files (never an input).
    #[arg(long)]
    overwrite: bool,
    /// No progress bar or summary.
    #[arg(long, short)]
    quiet: bool,
}

/// Runs `despeckle polsar`.
pub fn run(a: &PolsarArgs) -> Result<()> {
    let given: Option<Matrix> = a.matrix.as_deref().map(str::parse).transpose()?;
    let input = Input::open(&a.input, given)?;
    let matrix = input.matrix(given);
    let border = despeckle_file::registry::border_with_cval(&a.border, None)?;
    let opts = Options::new(a.size)?
        .with_border(border)
        .with_nodata(a.nodata.or(input.nodata()))
        .with_threads(a.threads);
    match a.filter.as_str() {
        "boxcar" => {
            if a.ddof != 0 || a.looks != 1.0 || a.edge_rule != "gradient" {
                bail!("boxcar takes no --looks, --ddof or --edge-rule");
            }
            run_with(&PolBoxcar::new(matrix), input, matrix, a, &opts)
        }
        _ => {
            let rule = match a.edge_rule.as_str() {
                "closer" => EdgeRule::Closer,
                _ => EdgeRule::Gradient,
            };
            let f = PolRefinedLee::new(matrix)
                .with_looks(a.looks)?
                .with_ddof(a.ddof)?
                .with_edge_rule(rule);
            run_with(&f, input, matrix, a, &opts)
        }
    }
}

/// Streams the input through `f` into the output.
fn run_with<F: MultiFilter>(
    f: &F,
    input: Input,
    matrix: Matrix,
    a: &PolsarArgs,
    opts: &Options,
) -> Result<()> {
    f.check_options(opts)?;
    let (w, h) = input.size();
    let show = !a.quiet && std::io::stderr().is_terminal();
    let bar = show.then(|| crate::files::progress_bar(h as u64, "polsar"));
    let mut sink = Sink::create(&a.output, &input, matrix, a.overwrite, bar.clone())?;
    crate::files::install_interrupt_handler();
    let start = std::time::Instant::now();
    let mut source = input.source()?;
    let result = filter_stream_planes::<f32, _>(f, &mut source, &mut sink, opts, None);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    result?;
    sink.finish()?;
    if show {
        eprintln!(
            "{} → {}: {} {} {} × {}, {} planes float32, {:.1} s",
            a.input.display(),
            a.output.display(),
            f.name(),
            matrix,
            w,
            h,
            matrix.planes(),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
