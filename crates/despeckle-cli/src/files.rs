//! The file commands: one subcommand per filter of the registry (`despeckle enhanced-lee IN
//! OUT ...`), `despeckle info` and `despeckle filters`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use clap::{Arg, ArgMatches, Args, Command, FromArgMatches};
use despeckle::budget::human;
use despeckle_file::registry::{self, COMMON, FILTERS, FilterDef, FilterSpec, ParamKind};
use despeckle_file::{
    BigTiff, ComplexMode, FileOptions, OutputCompression, OutputLayout, OutputType, Progress,
    Reader, Report, filter_file_spec,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::window::{WindowArgs, output_type};

/// Options of `despeckle info`.
#[derive(Args)]
pub struct InfoArgs {
    /// The file to describe: a GeoTIFF, a PolSARpro folder or a BEAM-DIMAP .dim (a
    /// polarimetric matrix is recognised from the band or file names).
    #[arg(value_name = "IN")]
    input: PathBuf,
}

/// Writes text to stdout; a closed pipe (`despeckle info x.tif | head -3`) is not an error.
pub fn print_out(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Prints the description of a GeoTIFF, a PolSARpro folder or a BEAM-DIMAP product.
pub fn info(args: &InfoArgs) -> Result<()> {
    let path = &args.input;
    if path.is_dir() && path.join("config.txt").is_file() {
        return print_out(&crate::polsar_info::folder(path)?);
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if ext.eq_ignore_ascii_case("dim") {
        return print_out(&crate::polsar_info::dimap(path)?);
    }
    let reader = Reader::open(path)?;
    let matrix = crate::polsar_info::tiff_matrix(reader.info()).unwrap_or_default();
    print_out(&format!(
        "File:          {}\n{}\n{matrix}",
        path.display(),
        reader.info()
    ))
}

/// The options every filter subcommand shares (same names as the Python API where they
/// exist there).
#[derive(Args, Debug)]
pub struct CommonArgs {
    /// Input GeoTIFF (strips or tiles, classic or BigTIFF, none/LZW/Deflate/ZSTD/PackBits,
    /// integer, float or complex samples).
    #[arg(value_name = "IN.tif")]
    input: PathBuf,
    /// Output GeoTIFF (written to a temporary file and renamed when complete).
    #[arg(value_name = "OUT.tif")]
    output: PathBuf,
    #[command(flatten)]
    window: WindowArgs,
    /// Input band to filter, numbered from 1 as in GDAL; repeat for several (default: all).
    #[arg(
        long = "band",
        short = 'b',
        value_name = "N",
        action = clap::ArgAction::Append,
        allow_negative_numbers = true,
        help_heading = "Input"
    )]
    bands: Vec<i64>,
    /// How complex samples (SLC) are read: intensity re²+im² or amplitude (default: the
    /// filter's --domain, else intensity).
    #[arg(long, value_name = "MODE", value_parser = ["intensity", "amplitude"], help_heading = "Input")]
    complex: Option<String>,
    /// Output compression (default: the input's).
    #[arg(long, value_name = "METHOD",
          value_parser = ["none", "deflate", "lzw", "zstd", "packbits"], help_heading = "Output")]
    compress: Option<String>,
    /// Compression level (Deflate 1–9, default 6; ZSTD 1–22, default 9).
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        help_heading = "Output"
    )]
    level: Option<i32>,
    /// Predictor with compression: none, or float (TIFF predictor 3) (default: float if the
    /// input uses a predictor).
    #[arg(long, value_name = "P", value_parser = ["none", "float", "1", "3"], help_heading = "Output")]
    predictor: Option<String>,
    /// Tiled output, W×H tiles (multiples of 16; `--tiled` alone: 256×256). Default: the
    /// input's layout.
    #[arg(long, value_name = "W[,H]", num_args = 0..=1, default_missing_value = "256",
          help_heading = "Output")]
    tiled: Option<String>,
    /// Stripped output, ROWS rows per strip (`--strips` alone: about 512 KiB per strip).
    #[arg(long, value_name = "ROWS", num_args = 0..=1, default_missing_value = "auto",
          conflicts_with = "tiled", help_heading = "Output")]
    strips: Option<String>,
    /// Cloud-Optimized GeoTIFF: tiles (512×512, or --tiled), internal averaged overviews,
    /// directories first (GDAL's COG layout).
    #[arg(long, conflicts_with = "strips", help_heading = "Output")]
    cog: bool,
    /// BigTIFF: yes, no, or auto (when the output could pass 4 GiB).
    #[arg(long, value_name = "WHEN", default_value = "auto",
          value_parser = ["yes", "no", "auto"], help_heading = "Output")]
    bigtiff: String,
    /// Output sample type (default: float64 for float64 input, float32 otherwise).
    #[arg(long, value_name = "TYPE", value_parser = ["float32", "float64"], help_heading = "Output")]
    dtype: Option<String>,
    /// Also write a quick-look PNG of the (first) output band: ≤ 1024 px, dB, 2–98 % stretch.
    #[arg(long, value_name = "OUT.png", help_heading = "Output")]
    quicklook: Option<PathBuf>,
    /// Replace existing output files.
    #[arg(long, help_heading = "Output")]
    overwrite: bool,
    /// Flush the output to the disk (fsync) before renaming it into place. Default: off, as
    /// in GDAL (the rename already keeps partial files out of sight).
    #[arg(long, help_heading = "Output")]
    sync: bool,
    /// No progress bar or summary (they are shown only on a terminal anyway).
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Rows per block of the streaming driver (testing; the result does not depend on it).
    #[arg(long, value_name = "ROWS", hide = true)]
    block_rows: Option<usize>,
}

/// One subcommand per filter of the registry, with its parameters and the common options.
pub fn filter_subcommands() -> Vec<Command> {
    FILTERS.iter().map(filter_subcommand).collect()
}

fn filter_subcommand(def: &'static FilterDef) -> Command {
    let mut cmd = Command::new(def.name);
    for p in def.params {
        cmd = cmd.arg(filter_arg(p));
    }
    // (after the filter's own options, so that they come first in --help; `augment_args`
    // sets `about` from the struct's documentation, replaced here)
    CommonArgs::augment_args(cmd)
        .about(def.summary)
        .long_about(format!(
            "{}\n\nFilters IN.tif into OUT.tif, streaming: memory grows with the image width, not \
         its height. The output keeps the georeferencing, GDAL metadata, no-data, and (unless \
         told otherwise) the layout and compression of the input. See docs/filters.md for the \
         definition.",
            def.summary
        ))
}

/// The command-line spelling of a parameter: `target_window` → `target-window`.
fn long_name(p: &registry::ParamDef) -> String {
    p.name.replace('_', "-")
}

fn filter_arg(p: &registry::ParamDef) -> Arg {
    let long = long_name(p);
    let mut arg = Arg::new(p.name);
    if long != p.name {
        // The Python spelling works too.
        arg = arg.alias(p.name);
    }
    let arg = arg
        .long(long)
        .value_name(match p.kind {
            ParamKind::Float => "X",
            ParamKind::Estimated(_) => "X|auto",
            ParamKind::Int => "N",
            ParamKind::Choice(_) => "NAME",
        })
        // (one value each: `-inf` or `-3` is the value, refused with the parameter's message)
        .allow_hyphen_values(true)
        .help_heading("Filter")
        .help(match p.kind {
            ParamKind::Choice(names) => format!("{} [{}]", p.help, names.join(", ")),
            _ => p.help.to_string(),
        });
    match p.default {
        Some(d) => arg.default_value(d),
        None => arg,
    }
}

/// The registry's parameter values from the command line.
fn spec_from(def: &FilterDef, m: &ArgMatches) -> Result<FilterSpec> {
    let mut spec = FilterSpec::new(def.name)?;
    for p in def.params {
        if let Some(v) = m.get_one::<String>(p.name) {
            spec.set(p.name, v.as_str())?;
        }
    }
    Ok(spec)
}

fn parse_tiles(text: &str) -> Result<OutputLayout> {
    let parts: Vec<&str> = text.split([',', 'x', 'X']).map(str::trim).collect();
    let num = |s: &str| {
        s.parse::<usize>()
            .map_err(|_| anyhow!("--tiled {text}: expected W or W,H (e.g. 256 or 512,256)"))
    };
    let (width, height) = match parts.as_slice() {
        [w] => (num(w)?, num(w)?),
        [w, h] => (num(w)?, num(h)?),
        _ => bail!("--tiled {text}: expected W or W,H (e.g. 256 or 512,256)"),
    };
    if width == 0 || height == 0 || width % 16 != 0 || height % 16 != 0 {
        bail!("--tiled {text}: tile sides must be positive multiples of 16 (TIFF's rule)");
    }
    Ok(OutputLayout::Tiles { width, height })
}

fn parse_strips(text: &str) -> Result<OutputLayout> {
    if text == "auto" {
        return Ok(OutputLayout::Strips {
            rows_per_strip: None,
        });
    }
    match text.parse::<usize>() {
        Ok(r) if r > 0 => Ok(OutputLayout::Strips {
            rows_per_strip: Some(r),
        }),
        _ => bail!("--strips {text}: expected a number of rows ≥ 1"),
    }
}

pub(crate) fn parse_compression(name: &str, level: Option<i32>) -> Result<OutputCompression> {
    Ok(match name {
        "none" => OutputCompression::None,
        "lzw" => OutputCompression::Lzw,
        "packbits" => OutputCompression::PackBits,
        "deflate" => {
            let level = level.unwrap_or(6);
            if !(1..=9).contains(&level) {
                bail!("--level {level}: Deflate levels are 1 to 9");
            }
            OutputCompression::Deflate {
                level: level as u32,
            }
        }
        "zstd" => {
            let level = level.unwrap_or(9);
            if !(1..=22).contains(&level) {
                bail!("--level {level}: ZSTD levels are 1 to 22");
            }
            OutputCompression::Zstd { level }
        }
        other => bail!("--compress {other}: use none, deflate, lzw, zstd or packbits"),
    })
}

/// The file options from the command line; `info` is the input's description (bands are
/// checked against it, numbered from 1).
fn file_options(
    c: &CommonArgs,
    spec: &FilterSpec,
    info: &despeckle_file::RasterInfo,
) -> Result<FileOptions> {
    let mut o = c.window.file_options()?;
    if !c.bands.is_empty() {
        let mut bands = Vec::new();
        for &b in &c.bands {
            if b < 1 || b > info.bands as i64 {
                bail!(
                    "{}: band {b} out of range: the image has {} band(s), numbered from 1",
                    c.input.display(),
                    info.bands
                );
            }
            bands.push(b as usize - 1);
        }
        o.bands = Some(bands);
    }
    let domain = spec.value("domain").map(|v| v.to_string());
    o.complex = match c.complex.as_deref().or(domain.as_deref()) {
        Some("amplitude") => Some(ComplexMode::Amplitude),
        _ => Some(ComplexMode::Intensity),
    };
    if let Some(name) = &c.compress {
        o.compression = Some(parse_compression(name, c.level)?);
    } else if c.level.is_some() {
        // A level for the input's compression.
        let like = match info.compression {
            despeckle_file::Compression::Deflate => "deflate",
            despeckle_file::Compression::Zstd => "zstd",
            _ => bail!("--level needs --compress deflate or zstd"),
        };
        o.compression = Some(parse_compression(like, c.level)?);
    }
    o.float_predictor = match c.predictor.as_deref() {
        None => None,
        Some("none" | "1") => Some(false),
        Some(_) => Some(true),
    };
    o.layout = match (&c.tiled, &c.strips) {
        (Some(t), _) => Some(parse_tiles(t)?),
        (None, Some(s)) => Some(parse_strips(s)?),
        (None, None) => None,
    };
    o.bigtiff = match c.bigtiff.as_str() {
        "yes" => BigTiff::Yes,
        "no" => BigTiff::No,
        _ => BigTiff::Auto,
    };
    o.cog = c.cog;
    o.dtype = output_type(c.dtype.as_deref());
    o.quicklook = c.quicklook.clone();
    o.overwrite = c.overwrite;
    o.sync = c.sync;
    o.block_rows = c.block_rows;
    Ok(o)
}

/// Removes unfinished outputs and exits on Ctrl-C (or SIGTERM).
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        despeckle_file::remove_unfinished_outputs();
        eprintln!("\ndespeckle: interrupted; no output written");
        std::process::exit(130);
    });
}

/// A progress bar on stderr (rows done of `total`), as every long command shows it.
pub fn progress_bar(total: u64, prefix: &'static str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(10));
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{elapsed_precise}] {wide_bar} {percent:>3}% eta {eta}",
        )
        .expect("valid template"),
    );
    bar.set_prefix(prefix);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// `despeckle FILTER IN.tif OUT.tif [options]`.
pub fn run_filter(name: &str, m: &ArgMatches) -> Result<()> {
    let def = registry::find(name).expect("a registered filter");
    let common = CommonArgs::from_arg_matches(m).map_err(|e| anyhow!("{e}"))?;
    let spec = spec_from(def, m)?;
    let info = Reader::open(&common.input)?.info().clone();
    let mut opts = file_options(&common, &spec, &info)?;

    let show = !common.quiet && std::io::stderr().is_terminal();
    let bar = if show {
        let bar = progress_bar(
            (info.height * opts.bands.as_ref().map_or(info.bands, Vec::len)) as u64,
            def.name,
        );
        let b = bar.clone();
        opts.progress = Some(Arc::new(move |p: Progress| b.set_position(p.done)));
        Some(bar)
    } else {
        None
    };
    install_interrupt_handler();
    let result = filter_file_spec(&common.input, &common.output, &spec, &opts);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = result?;
    if show {
        eprintln!(
            "{}",
            summary(&report, &common.input, crate::memory::peak_rss())
        );
    }
    Ok(())
}

/// The run's one-line summary, then threads and memory (`peak`: the process's peak resident
/// memory) and a note when fewer threads than requested were used.
fn summary(r: &Report, input: &Path, peak: Option<u64>) -> String {
    let mut s = format!(
        "{} → {}: {} {} × {}, {} band{}, {}{}, {}",
        input.display(),
        r.output.display(),
        r.filter,
        r.width,
        r.height,
        r.bands.len(),
        if r.bands.len() == 1 { "" } else { "s" },
        match r.dtype {
            OutputType::F32 => "float32",
            OutputType::F64 => "float64",
        },
        match r.compression {
            OutputCompression::None => String::new(),
            c => format!(" {}", c.kind()),
        },
        match r.layout {
            OutputLayout::Tiles { width, height } => format!("tiles {width}×{height}"),
            OutputLayout::Strips { .. } => "strips".to_string(),
        },
    );
    if r.cog {
        s.push_str(", COG");
    }
    if r.bigtiff {
        s.push_str(", BigTIFF");
    }
    if let Some(v) = r.nodata {
        s.push_str(&format!(", no-data {v}"));
    }
    for e in &r.estimates {
        s.push_str(&format!(
            ", {} = {:.4} (band {})",
            e.name,
            e.value,
            e.band + 1
        ));
    }
    if let Some(c) = r.complex {
        s.push_str(&format!(", complex read as {c:?}").to_lowercase());
    }
    s.push_str(&format!(", {:.1} s", r.seconds));
    if let Some(q) = &r.quicklook {
        s.push_str(&format!("; quick-look {}", q.display()));
    }
    s.push('\n');
    s.push_str(&resources(
        r.threads,
        r.bands.len(),
        r.planned_bytes,
        r.memory_budget,
        peak,
        r.threads_note.as_deref(),
    ));
    s
}

/// The summary's second line: threads, planned memory, budget and the process's peak, then a
/// note when fewer threads than requested were used.
fn resources(
    threads: usize,
    bands: usize,
    planned: usize,
    budget: usize,
    peak: Option<u64>,
    note: Option<&str>,
) -> String {
    let mut s = format!(
        "{threads} thread{}{}; memory: {} planned of the {} budget",
        if threads == 1 { "" } else { "s" },
        if bands > 1 { " per band" } else { "" },
        human(planned),
        human(budget),
    );
    if let Some(peak) = peak {
        s.push_str(&format!(", process peak {}", human(peak as usize)));
    }
    if let Some(note) = note {
        s.push_str(&format!("\nnote: {note}"));
    }
    s
}

/// `despeckle filters`: every filter, its parameters and defaults, from the registry.
pub fn list_filters() -> Result<()> {
    print_out(&filters_text())
}

fn param_line(p: &registry::ParamDef) -> String {
    let value = match p.kind {
        ParamKind::Choice(names) => names.join("|"),
        k => k.placeholder(),
    };
    let head = format!("--{} {value}", long_name(p));
    let default = p
        .default
        .map(|d| format!(" [default: {d}]"))
        .unwrap_or_default();
    if head.len() > 26 {
        format!("    {head}\n    {:26}  {}{default}\n", "", p.help)
    } else {
        format!("    {head:26}  {}{default}\n", p.help)
    }
}

fn filters_text() -> String {
    let mut s = String::from("Filters: despeckle FILTER IN.tif OUT.tif [options]\n");
    for def in FILTERS {
        s.push_str(&format!("\n{}\n    {}\n", def.name, def.summary));
        if def.params.is_empty() {
            s.push_str("    (no parameters of its own)\n");
        }
        for p in def.params {
            s.push_str(&param_line(p));
        }
    }
    s.push_str("\nWindow options of every filter:\n");
    for p in COMMON {
        s.push_str(&param_line(p));
    }
    s.push_str(
        "\nFile options of every filter: --band N, --complex, --compress, --level, --predictor, \
         --tiled, --strips,\n--cog, --bigtiff, --dtype, --quicklook, --overwrite, --sync, --max-memory, \
         --quiet \
         (despeckle FILTER --help).\nPolarimetric filters of C2, C3, T3, C4 and T4 matrices: \
         despeckle polsar boxcar|refined-lee|lee-sigma|idan IN OUT\n(despeckle polsar --help).\n\
         Definitions: docs/filters.md, docs/polarimetry.md.\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_filter_is_listed_with_its_parameters() {
        let text = filters_text();
        for def in FILTERS {
            assert!(text.contains(&format!("\n{}\n", def.name)), "{}", def.name);
            for p in def.params {
                assert!(text.contains(&format!("--{} ", long_name(p))), "{}", p.name);
            }
        }
        for p in ["size", "border", "nodata", "threads", "cval"] {
            assert!(text.contains(&format!("--{p} ")), "{p}");
        }
    }

    #[test]
    fn the_summary_shows_threads_memory_and_the_cap() {
        let s = resources(
            2,
            1,
            45 << 20,
            11 << 30,
            Some(61 << 20),
            Some("using 2 threads of the 10000 requested: not more than the cores available"),
        );
        assert_eq!(
            s,
            "2 threads; memory: 45 MB planned of the 11 GB budget, process peak 61 MB\n\
             note: using 2 threads of the 10000 requested: not more than the cores available"
        );
        assert_eq!(
            resources(1, 3, 2048, 1 << 30, None, None),
            "1 thread per band; memory: 2.0 KB planned of the 1.0 GB budget"
        );
    }

    #[test]
    fn subcommands_parse() {
        for cmd in filter_subcommands() {
            cmd.debug_assert();
        }
        assert_eq!(
            parse_tiles("512,256").unwrap(),
            OutputLayout::Tiles {
                width: 512,
                height: 256
            }
        );
        assert!(parse_tiles("100").is_err());
        assert!(parse_strips("0").is_err());
        assert!(parse_compression("deflate", Some(12)).is_err());
    }
}
