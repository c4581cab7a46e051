//! `despeckle polsar FILTER IN OUT`: polarimetric speckle filters on the k² planes of a
//! C2, C3, T3, C4 or T4 matrix, streamed from a PolSARpro folder, a BEAM-DIMAP product or a
//! GeoTIFF into a PolSARpro folder or a GeoTIFF;
//! `despeckle polsar c2|c3|t3|c4|t4 SLC... OUT`: the matrix formed from single-look complex
//! GeoTIFFs, multilooked and optionally filtered in the same pass.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use clap::Args;
use despeckle::estimate::joint_quantiles;
use despeckle::polsar::{
    Conversion, Criterion, Matrix, PolBoxcar, PolIdan, PolLeeSigma, PolRefinedLee,
};
use despeckle::{EdgeRule, Options, PlaneSink, PlaneSource};
use despeckle_file::planes::AnyPlanes;

use crate::polsar_io::{Input, OutputMeta, Sink};
use crate::polsar_slc::{Looks, SlcSource};

/// Options of `despeckle polsar`.
#[derive(Args, Debug)]
pub struct PolsarArgs {
    /// The filter: boxcar (multilook average of the matrices), refined-lee (Lee, Grunes &
    /// de Grandi 1999: the span's edge-aligned half window and weight applied to every
    /// element), lee-sigma (improved Lee Sigma, Lee et al. 2009/2015: pixels in the sigma
    /// range of every diagonal element, point targets kept) or idan (Vasile et al. 2006:
    /// adaptive neighbourhood grown on the diagonal elements); convert (only the change of
    /// basis of --to); or the matrix to form from SLC files: c2 (S1.tif S2.tif, co-polarised
    /// first, e.g. VV VH), c3, t3, c4, t4 (HH.tif HV.tif VH.tif VV.tif).
    #[arg(value_name = "FILTER", value_parser = FILTERS.iter().chain(["convert", "c2", "c3", "t3", "c4", "t4"].iter()).copied().collect::<Vec<_>>())]
    filter: String,
    /// IN OUT for a filter. IN: a PolSARpro folder (config.txt and one ELEMENT.bin per
    /// element), an ESA SNAP BEAM-DIMAP .dim whose bands are the elements, or a GeoTIFF whose
    /// band descriptions name the elements (C11, C12_real, ...; or plain bands in the order of
    /// --matrix). For a matrix: the SLC GeoTIFFs (single-band CInt16, CInt32 or CFloat32),
    /// then OUT. OUT: a GeoTIFF if it ends in .tif (float32, band descriptions set), otherwise
    /// a PolSARpro folder (created if missing); written under temporary names, renamed when
    /// complete. Georeferencing is kept, and translated between GeoTIFF tags and ENVI map
    /// info for north-up grids (a note says what could not be carried).
    #[arg(value_name = "PATH", num_args = 2..=5, required = true)]
    paths: Vec<PathBuf>,
    /// Matrix from SLC: average blocks of AZ rows (azimuth) × RG columns (range), e.g. 4x1;
    /// the output grid and georeferencing are scaled accordingly (an incomplete last block
    /// is dropped).
    #[arg(long, value_name = "AZxRG")]
    multilook: Option<Looks>,
    /// Matrix from SLC: filter the (multilooked) matrix with boxcar, refined-lee, lee-sigma
    /// or idan in the same pass (--size, --looks, ... apply).
    #[arg(long = "filter", value_name = "FILTER", value_parser = FILTERS)]
    then: Option<String>,
    /// The matrix of a GeoTIFF whose bands are not named: c2, c3, t3, c4 or t4 (bands in the
    /// element order C11, C12_real, C12_imag, ...).
    #[arg(long, value_name = "KIND")]
    matrix: Option<String>,
    /// Window side in pixels (refined-lee: 5, 7, 9, 11, 13, 15 or 17; lee-sigma: at least
    /// 2·target − 1; idan: the region stays inside it).
    #[arg(long, value_name = "N", default_value_t = 7)]
    size: usize,
    /// Number of looks of the input (refined-lee, lee-sigma, idan: speckle variance
    /// η² = 1/looks; default 1, or AZ × RG for a matrix formed from SLC with --multilook).
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
    /// lee-sigma: the sigma probability (0.5–0.9 in SNAP).
    #[arg(long, value_name = "P")]
    sigma: Option<f64>,
    /// lee-sigma: the target window of the point-target test and the a-priori mean (3 or 5).
    #[arg(long, value_name = "3|5")]
    target_window: Option<usize>,
    /// lee-sigma: target-window pixels above Z98 that make a point target (default 6).
    #[arg(long, value_name = "K")]
    min_cluster: Option<usize>,
    /// lee-sigma: the 98th percentile of each diagonal element, comma-separated (C11,C22,...;
    /// inf disables point targets), or auto (default): computed exactly over the whole image
    /// in a first read.
    #[arg(long, value_name = "Z,...|auto")]
    z98: Option<String>,
    /// Convert the input matrix to KIND before filtering: c3 <-> t3, c4 <-> t4
    /// (T = U C Uᴴ, as SNAP and PolSARpro). Lee Sigma and IDAN select pixels from the
    /// diagonal elements, so C3 and T3 filter differently: SNAP filters C3 as T3.
    #[arg(long, value_name = "KIND")]
    to: Option<String>,
    /// idan: the most pixels of the first growth (default 50, as SNAP).
    #[arg(long, value_name = "N")]
    region: Option<usize>,
    /// idan: each (every diagonal element within the tolerance, default) or sum (the sum of
    /// their relative deviations within k tolerances, as SNAP).
    #[arg(long, value_name = "RULE", value_parser = ["each", "sum"])]
    criterion: Option<String>,
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
    let convert_only = a.filter == "convert";
    if convert_only || FILTERS.contains(&a.filter.as_str()) {
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
        let opts = options(a, input_file.nodata(a.nodata)?)?;
        let mut meta = input_file.output_meta();
        // the value the filters treated as no-data, written back at those pixels
        meta.nodata = opts.nodata();
        let mut source = input_file.source()?;
        let to: Option<Matrix> = a.to.as_deref().map(str::parse).transpose()?;
        let mut converted = match to {
            Some(to) => Some(Converted {
                inner: &mut source,
                conversion: Conversion::new(matrix, to)?,
                nodata: opts.nodata(),
            }),
            None if convert_only => bail!("polsar convert needs --to KIND (c3, t3, c4 or t4)"),
            None => None,
        };
        let mut label = input.display().to_string();
        let (source, matrix): (&mut dyn PlaneSource<f32>, Matrix) = match &mut converted {
            Some(c) => {
                let to = c.conversion.to();
                label = format!("{label} ({matrix} as {to})");
                (c, to)
            }
            None => (&mut source, matrix),
        };
        let f = if convert_only {
            if let Some(flag) = given_flags(a).first() {
                bail!("polsar convert takes no {flag} (it is a filter's parameter)");
            }
            None
        } else {
            Some(filter(&a.filter, matrix, a, 1.0, source, &opts)?)
        };
        return stream(f.as_deref(), source, meta, matrix, a, &label, output, &opts);
    }
    let matrix: Matrix = a.filter.parse()?;
    let (output, slcs) = a.paths.split_last().expect("at least two paths");
    if a.to.is_some() {
        bail!(
            "--to converts a matrix read from a file; polsar {} forms the matrix it names \
             (polsar c3|t3|c4|t4 SLC... OUT)",
            a.filter
        );
    }
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
        Some(name) => Some(filter(
            name,
            matrix,
            a,
            (looks.az * looks.rg) as f64,
            &mut source,
            &opts,
        )?),
        None => {
            if let Some(flag) = given_flags(a).first() {
                bail!("{flag} needs --filter (it is a filter's parameter)");
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

/// The filters of `despeckle polsar`.
const FILTERS: [&str; 4] = ["boxcar", "refined-lee", "lee-sigma", "idan"];

/// The filter parameters given on the command line, as their flags.
fn given_flags(a: &PolsarArgs) -> Vec<&'static str> {
    [
        ("--looks", a.looks.is_some()),
        ("--ddof", a.ddof != 0),
        ("--edge-rule", a.edge_rule != "gradient"),
        ("--sigma", a.sigma.is_some()),
        ("--target-window", a.target_window.is_some()),
        ("--min-cluster", a.min_cluster.is_some()),
        ("--z98", a.z98.is_some()),
        ("--region", a.region.is_some()),
        ("--criterion", a.criterion.is_some()),
    ]
    .into_iter()
    .filter_map(|(flag, given)| given.then_some(flag))
    .collect()
}

/// The flags each filter takes.
fn takes(name: &str) -> &'static [&'static str] {
    match name {
        "boxcar" => &[],
        "refined-lee" => &["--looks", "--ddof", "--edge-rule"],
        "lee-sigma" => &[
            "--looks",
            "--ddof",
            "--sigma",
            "--target-window",
            "--min-cluster",
            "--z98",
        ],
        _ => &["--looks", "--ddof", "--region", "--criterion"],
    }
}

/// The filter `name` with the command line's parameters (`default_looks`: the looks without
/// --looks). Lee Sigma's `Z98` (unless given) is computed from `source` first, over the
/// pixels valid in every element.
fn filter(
    name: &str,
    matrix: Matrix,
    a: &PolsarArgs,
    default_looks: f64,
    source: &mut dyn PlaneSource<f32>,
    opts: &Options,
) -> Result<Box<dyn AnyPlanes>> {
    if let Some(flag) = given_flags(a)
        .into_iter()
        .find(|f| !takes(name).contains(f))
    {
        bail!("polsar {name} takes no {flag}");
    }
    let looks = a.looks.unwrap_or(default_looks);
    Ok(match name {
        "boxcar" => Box::new(PolBoxcar::new(matrix)),
        "refined-lee" => {
            let rule = match a.edge_rule.as_str() {
                "closer" => EdgeRule::Closer,
                _ => EdgeRule::Gradient,
            };
            Box::new(
                PolRefinedLee::new(matrix)
                    .with_looks(looks)?
                    .with_ddof(a.ddof)?
                    .with_edge_rule(rule),
            )
        }
        "lee-sigma" => {
            let k = matrix.k();
            let z98 = match a.z98.as_deref().map(str::trim) {
                None | Some("auto") => {
                    // checks every other parameter before reading the image
                    probe_lee_sigma(matrix, looks, a, &vec![f64::INFINITY; k])?
                        .check_options(opts)?;
                    joint_quantiles(source, matrix.diagonal(), 0.98, opts.nodata())?
                        .into_iter()
                        .map(|v| v.unwrap_or(f64::INFINITY))
                        .collect()
                }
                Some(list) => list
                    .split(',')
                    .map(|v| {
                        v.trim().parse::<f64>().map_err(|_| {
                            anyhow!("--z98: {v:?} is not a number (give {k} numbers or auto)")
                        })
                    })
                    .collect::<Result<Vec<f64>>>()?,
            };
            Box::new(probe_lee_sigma(matrix, looks, a, &z98)?)
        }
        _ => {
            let criterion: Criterion = a.criterion.as_deref().unwrap_or("each").parse()?;
            Box::new(
                PolIdan::new(matrix, looks)?
                    .with_region(a.region.unwrap_or(50))?
                    .with_ddof(a.ddof)?
                    .with_criterion(criterion),
            )
        }
    })
}

/// Lee Sigma with the command line's parameters and `z98`.
fn probe_lee_sigma(matrix: Matrix, looks: f64, a: &PolsarArgs, z98: &[f64]) -> Result<PolLeeSigma> {
    let mut f = PolLeeSigma::new(matrix, looks, z98)?.with_ddof(a.ddof)?;
    if let Some(s) = a.sigma {
        f = f.with_sigma(s)?;
    }
    if let Some(t) = a.target_window {
        f = f.with_target_window(t)?;
    }
    if let Some(m) = a.min_cluster {
        f = f.with_min_cluster(m)?;
    }
    Ok(f)
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
    let note = sink.note().map(str::to_string);
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
    // what the output format could not take from the input's georeferencing
    if let Some(note) = note
        && !a.quiet
    {
        eprintln!("note: {note}");
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

/// A matrix source read in another basis ([`Conversion`]), row by row as it is read.
struct Converted<'a> {
    inner: &'a mut dyn PlaneSource<f32>,
    conversion: Conversion,
    nodata: Option<f64>,
}

impl PlaneSource<f32> for Converted<'_> {
    fn width(&self) -> usize {
        self.inner.width()
    }
    fn height(&self) -> usize {
        self.inner.height()
    }
    fn planes(&self) -> usize {
        self.inner.planes()
    }
    fn read_planes(
        &mut self,
        y0: usize,
        n: usize,
        bufs: &mut [&mut [f32]],
    ) -> std::result::Result<(), despeckle::BoxError> {
        self.inner.read_planes(y0, n, bufs)?;
        let w = self.width();
        for r in 0..n {
            let mut rows: Vec<&mut [f32]> = bufs
                .iter_mut()
                .map(|b| &mut b[r * w..(r + 1) * w])
                .collect();
            self.conversion.rows(&mut rows, self.nodata);
        }
        Ok(())
    }
}
