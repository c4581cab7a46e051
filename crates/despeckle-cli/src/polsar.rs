//! `despeckle polsar FILTER IN OUT`: polarimetric speckle filters on the k² planes of a
//! C2, C3, T3, C4 or T4 matrix, streamed from a PolSARpro folder or a GeoTIFF into another;
//! `despeckle polsar c2|c3|t3|c4|t4 SLC... OUT`: the matrix formed from single-look complex
//! GeoTIFFs, multilooked and optionally filtered in the same pass.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use clap::Args;
use despeckle::polsar::{Matrix, PolBoxcar, PolRefinedLee};
use despeckle::{EdgeRule, Options, PlaneSink, PlaneSource};
use despeckle_file::planes::AnyPlanes;

use crate::polsar_io::{Input, OutputMeta, Sink};
use crate::polsar_slc::{Looks, SlcSource};

/// Options of `despeckle polsar`.
#[derive(Args, Debug)]
pub struct PolsarArgs {
    /// The filter: boxcar (multilook average of the matrices) or refined-lee (Lee, Grunes &
    /// de Grandi 1999: the span's edge-aligned half window and weight applied to every
    /// element); or the matrix to form from SLC files: c2 (S1.tif S2.tif, co-polarised
    /// first, e.g. VV VH), c3, t3, c4, t4 (HH.tif HV.tif VH.tif VV.tif).
    #[arg(value_name = "FILTER", value_parser = ["boxcar", "refined-lee", "c2", "c3", "t3", "c4", "t4"])]
    filter: String,
    /// IN OUT for a filter. IN: a PolSARpro folder (config.txt and one ELEMENT.bin per
    /// element) or a GeoTIFF whose band descriptions name the elements (C11, C12_real, ...; or
    /// plain bands in the order of --matrix). For a matrix: the SLC GeoTIFFs (single-band
    /// CInt16, CInt32 or CFloat32), then OUT. OUT: a GeoTIFF if it ends in .tif (float32, band
    /// descriptions set), otherwise a PolSARpro folder (created if missing); written under
    /// temporary names, renamed when complete.
    #[arg(value_name = "PATH", num_args = 2..=5, required = true)]
    paths: Vec<PathBuf>,
    /// Matrix from SLC: average blocks of AZ rows (azimuth) × RG columns (range), e.g. 4x1;
    /// the output grid and georeferencing are scaled accordingly (an incomplete last block
    /// is dropped).
    #[arg(long, value_name = "AZxRG")]
    multilook: Option<Looks>,
    /// Matrix from SLC: filter the (multilooked) matrix with boxcar or refined-lee in the
    /// same pass (--size, --looks, ... apply).
    #[arg(long = "filter", value_name = "FILTER", value_parser = ["boxcar", "refined-lee"])]
    then: Option<String>,
    /// The matrix of a GeoTIFF whose bands are not named: c2, c3, t3, c4 or t4 (bands in the
    /// element order C11, C12_real, C12_imag, ...).
    #[arg(long, value_name = "KIND")]
    matrix: Option<String>,
    /// Window side in pixels (refined-lee: 5, 7, 9, 11, 13, 15 or 17).
    #[arg(long, value_name = "N", default_value_t = 7)]
    size: usize,
    /// Number of looks of the input (refined-lee: speckle variance η² = 1/looks; default 1,
    /// or AZ × RG for a matrix formed from SLC with --multilook).
    #[arg(long, value_name = "L")]
    looks: Option<f64>,
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
    if let "boxcar" | "refined-lee" = a.filter.as_str() {
        let [input, output] = a.paths.as_slice() else {
            bail!(
                "polsar {} takes IN OUT, got {} paths",
                a.filter,
                a.paths.len()
            );
        };
        if a.multilook.is_some() || a.then.is_some() {
            bail!(
                "--multilook and --filter are for matrices formed from SLC (polsar \
                 c2|c3|t3|c4|t4 SLC... OUT)"
            );
        }
        let given: Option<Matrix> = a.matrix.as_deref().map(str::parse).transpose()?;
        let input_file = Input::open(input, given)?;
        let matrix = input_file.matrix(given);
        let opts = options(a, input_file.nodata())?;
        let f = filter(&a.filter, matrix, a, 1.0)?;
        let meta = input_file.output_meta();
        let mut source = input_file.source()?;
        return stream(
            Some(&*f),
            &mut source,
            meta,
            matrix,
            a,
            &input.display().to_string(),
            output,
            &opts,
        );
    }
    let matrix: Matrix = a.filter.parse()?;
    let (output, slcs) = a.paths.split_last().expect("at least two paths");
    if a.matrix.is_some() {
        bail!(
            "--matrix is for filtering GeoTIFF bands; polsar {} names the matrix",
            a.filter
        );
    }
    let looks = a.multilook.unwrap_or(Looks { az: 1, rg: 1 });
    let mut source = SlcSource::open(matrix, slcs, looks)?;
    let opts = options(a, None)?;
    let f = match a.then.as_deref() {
        Some(name) => Some(filter(name, matrix, a, (looks.az * looks.rg) as f64)?),
        None => {
            if a.looks.is_some() || a.ddof != 0 || a.edge_rule != "gradient" {
                bail!("--looks, --ddof and --edge-rule need --filter refined-lee");
            }
            None
        }
    };
    let meta = source.output_meta();
    let names: Vec<String> = slcs.iter().map(|p| p.display().to_string()).collect();
    let label = format!("{} ({}x{} looks)", names.join(", "), looks.az, looks.rg);
    stream(
        f.as_deref(),
        &mut source,
        meta,
        matrix,
        a,
        &label,
        output,
        &opts,
    )
}

/// The window options of the command line (`nodata`: the input's, if no --nodata).
fn options(a: &PolsarArgs, nodata: Option<f64>) -> Result<Options> {
    let border = despeckle_file::registry::border_with_cval(&a.border, None)?;
    Ok(Options::new(a.size)?
        .with_border(border)
        .with_nodata(a.nodata.or(nodata))
        .with_threads(a.threads))
}

/// The filter `name` with the command line's parameters (`default_looks`: refined-lee's
/// looks without --looks).
fn filter(
    name: &str,
    matrix: Matrix,
    a: &PolsarArgs,
    default_looks: f64,
) -> Result<Box<dyn AnyPlanes>> {
    Ok(match name {
        "boxcar" => {
            if a.ddof != 0 || a.looks.is_some() || a.edge_rule != "gradient" {
                bail!("boxcar takes no --looks, --ddof or --edge-rule");
            }
            Box::new(PolBoxcar::new(matrix))
        }
        _ => {
            let rule = match a.edge_rule.as_str() {
                "closer" => EdgeRule::Closer,
                _ => EdgeRule::Gradient,
            };
            Box::new(
                PolRefinedLee::new(matrix)
                    .with_looks(a.looks.unwrap_or(default_looks))?
                    .with_ddof(a.ddof)?
                    .with_edge_rule(rule),
            )
        }
    })
}

/// Streams `source` through `f` (or unchanged, for a matrix formed without a filter) into
/// `output`.
#[allow(clippy::too_many_arguments)]
fn stream(
    f: Option<&dyn AnyPlanes>,
    source: &mut dyn PlaneSource<f32>,
    meta: OutputMeta,
    matrix: Matrix,
    a: &PolsarArgs,
    input: &str,
    output: &Path,
    opts: &Options,
) -> Result<()> {
    if let Some(f) = f {
        f.check_options(opts)?;
    }
    let (w, h) = meta.size;
    let show = !a.quiet && std::io::stderr().is_terminal();
    let bar = show.then(|| crate::files::progress_bar(h as u64, "polsar"));
    let mut sink = Sink::create(output, meta, matrix, a.overwrite, bar.clone())?;
    crate::files::install_interrupt_handler();
    let start = std::time::Instant::now();
    let result = match f {
        Some(f) => f
            .stream_planes_f32(source, &mut sink, opts, None)
            .map_err(anyhow::Error::from),
        None => copy_planes(source, &mut sink),
    };
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    result?;
    sink.finish()?;
    if show {
        eprintln!(
            "{} → {}: {} {} × {}, {} planes float32{}, {:.1} s",
            input,
            output.display(),
            matrix,
            w,
            h,
            matrix.planes(),
            f.map(|f| format!(", {}", f.name())).unwrap_or_default(),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Copies every row of `source` into `sink`, a few rows at a time.
fn copy_planes(source: &mut dyn PlaneSource<f32>, sink: &mut Sink) -> Result<()> {
    const ROWS: usize = 16;
    let (w, h, k) = (source.width(), source.height(), source.planes());
    let mut bufs = vec![vec![0f32; w * ROWS]; k];
    let mut y = 0;
    while y < h {
        let rows = ROWS.min(h - y);
        let mut refs: Vec<&mut [f32]> = bufs.iter_mut().map(|b| &mut b[..rows * w]).collect();
        source
            .read_planes(y, rows, &mut refs)
            .map_err(|e| anyhow!("{e}"))?;
        let filled: Vec<&[f32]> = bufs.iter().map(|b| &b[..rows * w]).collect();
        sink.write_planes(y, &filled).map_err(|e| anyhow!("{e}"))?;
        y += rows;
    }
    Ok(())
}
