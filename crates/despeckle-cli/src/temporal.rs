//! `despeckle temporal quegan DATE1.tif DATE2.tif ... --out-dir OUT/`: multi-temporal
//! filtering of a stack of dates.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Arg, ArgMatches, Args, Command, FromArgMatches};
use despeckle::temporal::SuperImage;
use despeckle_file::registry::{FILTERS, FilterSpec, ParamKind};
use despeckle_file::temporal::{Date, StackOutput, StackReport, quegan_files};
use despeckle_file::{FileOptions, OutputType, Progress, Reader};

use crate::files::{install_interrupt_handler, parse_compression, progress_bar};
use crate::window::{WindowArgs, output_type};

/// Options of `despeckle temporal quegan`.
#[derive(Args, Debug)]
struct QueganArgs {
    /// The dates: GeoTIFFs on one grid (same size, geotransform and CRS), each band of each
    /// file one date, in order (a multi-band file whose bands are dates works alone).
    #[arg(value_name = "DATE.tif")]
    inputs: Vec<PathBuf>,
    /// A text file listing the dates' GeoTIFFs, one per line (blank lines and lines starting
    /// with # are skipped; relative paths are relative to the list's folder); read before
    /// the DATE.tif arguments.
    #[arg(long, value_name = "LIST.txt", help_heading = "Input")]
    list: Option<PathBuf>,
    /// Only this band of every input (numbered from 1), instead of all.
    #[arg(
        long,
        short = 'b',
        value_name = "N",
        allow_negative_numbers = true,
        help_heading = "Input"
    )]
    band: Option<i64>,
    /// Filter groups of dates apart, in one pass: `band` (each file is one date whose bands
    /// are, say, VV and VH: band K of every file forms group K) or a comma-separated list of
    /// words that the file names contain (`VV,VH`: each date joins the first word its file
    /// name contains). Default: every date in one group.
    #[arg(long, value_name = "band|WORD,WORD...", help_heading = "Input")]
    group: Option<String>,
    /// Folder for the outputs (made if missing): one per date, named after its input (`NAME.tif`, or
    /// `NAME_bandK.tif` for the bands of a multi-band input); the super image as
    /// `quegan_super_KIND.tif` (`quegan_super_KIND_GROUP.tif` with --group).
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "out",
        help_heading = "Output"
    )]
    out_dir: Option<PathBuf>,
    /// One multi-band output instead: the filtered dates in order, then the super image (one
    /// band per group).
    #[arg(
        long,
        value_name = "OUT.tif",
        conflicts_with = "out_dir",
        help_heading = "Output"
    )]
    out: Option<PathBuf>,
    /// Also write the temporal super image: `ratio` (the mean of the ratios `I/E[I]` over the
    /// dates) or `mean` (the arithmetic temporal mean).
    #[arg(long, value_name = "KIND", value_parser = ["ratio", "mean"], help_heading = "Output")]
    super_image: Option<String>,
    /// The single-channel filter giving each date's local mean `E[I]` (any filter of
    /// `despeckle filters`; its parameters are given as --NAME below).
    #[arg(
        long,
        value_name = "NAME",
        default_value = "mean",
        help_heading = "Filter"
    )]
    filter: String,
    #[command(flatten)]
    window: WindowArgs,
    /// Output compression (default: the first input's).
    #[arg(long, value_name = "METHOD",
          value_parser = ["none", "deflate", "lzw", "zstd", "packbits"], help_heading = "Output")]
    compress: Option<String>,
    /// Compression level (Deflate 1–9, ZSTD 1–22).
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        help_heading = "Output"
    )]
    level: Option<i32>,
    /// Output sample type (default: float64 if every input is float64, float32 otherwise).
    #[arg(long, value_name = "TYPE", value_parser = ["float32", "float64"], help_heading = "Output")]
    dtype: Option<String>,
    /// Replace existing output files.
    #[arg(long, help_heading = "Output")]
    overwrite: bool,
    /// Flush the outputs to the disk (fsync) before renaming them into place.
    #[arg(long, help_heading = "Output")]
    sync: bool,
    /// No progress bar or summary.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Rows per block of the streaming driver (testing; the result does not depend on it).
    #[arg(long, value_name = "ROWS", hide = true)]
    block_rows: Option<usize>,
}

/// Every parameter name of every filter of the registry, once: the inner filter's options.
fn inner_params() -> BTreeMap<&'static str, Vec<&'static str>> {
    let mut params: BTreeMap<&'static str, Vec<&'static str>> = BTreeMap::new();
    for def in FILTERS {
        for p in def.params {
            params.entry(p.name).or_default().push(def.name);
        }
    }
    params
}

/// `despeckle temporal` and its subcommand `quegan`.
pub fn command() -> Command {
    let mut quegan = Command::new("quegan");
    for (name, filters) in inner_params() {
        let long = name.replace('_', "-");
        let kind = FILTERS
            .iter()
            .flat_map(|d| d.params)
            .find(|p| p.name == name)
            .map(|p| p.kind);
        let mut arg = Arg::new(name)
            .long(long.clone())
            .value_name(match kind {
                Some(ParamKind::Int) => "N",
                Some(ParamKind::Choice(_)) => "NAME",
                _ => "X",
            })
            .allow_hyphen_values(true)
            .help_heading("Filter")
            .help(format!(
                "Parameter of the inner filter ({}); default: that filter's",
                filters.join(", ")
            ));
        if long != name {
            arg = arg.alias(name);
        }
        quegan = quegan.arg(arg);
    }
    let quegan = QueganArgs::augment_args(quegan)
        .about("Quegan & Yu (2001): J_k = E[I_k]/N · Σ I_i/E[I_i] over the dates")
        .long_about(
            "Multi-temporal speckle filter of Quegan & Yu (IEEE TGRS 2001): each date's local \
             mean E[I_k] (from --filter, boxcar by default) times the mean over the dates of \
             I_i/E[I_i]. Each date keeps its spatial resolution and gains the looks of the \
             others. The dates are read in lockstep, a block of rows at a time: memory grows \
             with dates × width × window, never the height. All outputs appear together when \
             complete, or none. See docs/filters.md for the definition.",
        );
    Command::new("temporal")
        .about("Multi-temporal filters of a stack of dates (one grid): `temporal quegan`")
        .subcommand_required(true)
        .subcommand(quegan)
}

/// Runs `despeckle temporal ...`.
pub fn run(m: &ArgMatches) -> Result<()> {
    match m.subcommand() {
        Some(("quegan", m)) => quegan(m),
        _ => bail!("unknown temporal filter; see despeckle temporal --help"),
    }
}

/// The dates' files: the list's, then the arguments.
fn input_files(args: &QueganArgs) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if let Some(list) = &args.list {
        let text = std::fs::read_to_string(list)
            .with_context(|| format!("{}: cannot read the list of dates", list.display()))?;
        let base = list.parent().unwrap_or(Path::new(""));
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            files.push(base.join(line));
        }
    }
    files.extend(args.inputs.iter().cloned());
    if files.is_empty() {
        bail!("no dates: give the GeoTIFFs as arguments or with --list");
    }
    Ok(files)
}

/// How `--group` assigns dates to groups.
enum Grouping {
    /// One group.
    None,
    /// By band number.
    Band,
    /// By the first of these words the file name contains.
    Words(Vec<String>),
}

impl Grouping {
    fn parse(spec: Option<&str>) -> Result<Grouping> {
        let Some(spec) = spec.map(str::trim) else {
            return Ok(Grouping::None);
        };
        if spec.eq_ignore_ascii_case("band") {
            return Ok(Grouping::Band);
        }
        let words: Vec<String> = spec
            .split(',')
            .map(|w| w.trim().to_string())
            .filter(|w| !w.is_empty())
            .collect();
        if words.is_empty() {
            bail!("invalid parameter `group`: give `band` or words of the file names, as VV,VH");
        }
        Ok(Grouping::Words(words))
    }
}

/// The dates (every band of every file, or `--band` of each), their output names, and the
/// groups' names (empty without groups).
fn dates_of(
    files: &[PathBuf],
    band: Option<i64>,
    grouping: &Grouping,
) -> Result<(Vec<Date>, Vec<String>, Vec<String>)> {
    let (mut dates, mut names) = (Vec::new(), Vec::new());
    for f in files {
        let bands = Reader::open(f)?.info().bands;
        let stem = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "date".into());
        let chosen: Vec<usize> = match band {
            Some(b) if b >= 1 && b <= bands as i64 => vec![b as usize - 1],
            Some(b) => bail!(
                "{}: band {b} out of range: the image has {bands} band(s), numbered from 1",
                f.display()
            ),
            None => (0..bands).collect(),
        };
        let name = f
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        for b in chosen {
            names.push(if bands == 1 {
                format!("{stem}.tif")
            } else {
                format!("{stem}_band{}.tif", b + 1)
            });
            let group = match grouping {
                Grouping::None => 0,
                Grouping::Band => b,
                Grouping::Words(words) => words
                    .iter()
                    .position(|w| name.contains(w.as_str()))
                    .ok_or_else(|| {
                        anyhow!(
                            "{}: its name contains none of the --group words {}",
                            f.display(),
                            words.join(", ")
                        )
                    })?,
            };
            dates.push(Date {
                path: f.clone(),
                band: b,
                group,
            });
        }
    }
    // groups numbered 0, 1, … without gaps: only the groups that have dates
    let group_names: Vec<String> = match grouping {
        Grouping::None => Vec::new(),
        Grouping::Band => {
            let mut used: Vec<usize> = dates.iter().map(|d| d.group).collect();
            used.sort_unstable();
            used.dedup();
            for d in &mut dates {
                d.group = used.binary_search(&d.group).expect("a used band");
            }
            used.iter().map(|b| format!("band{}", b + 1)).collect()
        }
        Grouping::Words(words) => {
            if let Some(w) = (0..words.len()).find(|&g| !dates.iter().any(|d| d.group == g)) {
                bail!(
                    "no date's file name contains `{}` (--group {})",
                    words[w],
                    words.join(",")
                );
            }
            words.clone()
        }
    };
    Ok((dates, names, group_names))
}

fn quegan(m: &ArgMatches) -> Result<()> {
    let args = QueganArgs::from_arg_matches(m).map_err(|e| anyhow!("{e}"))?;
    let mut spec = FilterSpec::new(&args.filter)?;
    for name in inner_params().keys() {
        if let Some(v) = m.get_one::<String>(name) {
            spec.set(name, v.as_str())?;
        }
    }
    let super_image = args
        .super_image
        .as_deref()
        .map(str::parse::<SuperImage>)
        .transpose()?;
    let files = input_files(&args)?;
    let grouping = Grouping::parse(args.group.as_deref())?;
    let (dates, names, group_names) = dates_of(&files, args.band, &grouping)?;
    let out = match (&args.out_dir, &args.out) {
        (_, Some(path)) => StackOutput::Stack(path.clone()),
        (Some(dir), None) => {
            let mut paths: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
            if let Some(kind) = super_image {
                if group_names.is_empty() {
                    paths.push(dir.join(format!("quegan_super_{kind}.tif")));
                }
                for g in &group_names {
                    paths.push(dir.join(format!("quegan_super_{kind}_{g}.tif")));
                }
            }
            StackOutput::Files(paths)
        }
        (None, None) => bail!("give --out-dir DIR or --out OUT.tif"),
    };
    let opts = file_options(&args)?;
    let supers = if super_image.is_some() {
        group_names.len().max(1)
    } else {
        0
    };
    let total = (Reader::open(&dates[0].path)?.info().height * (dates.len() + supers)) as u64;
    let show = !args.quiet && std::io::stderr().is_terminal();
    let mut opts = opts;
    let bar = show.then(|| {
        let bar = progress_bar(total, "quegan");
        let b = bar.clone();
        opts.progress = Some(Arc::new(move |p: Progress| b.set_position(p.done)));
        bar
    });
    install_interrupt_handler();
    // the output folder is made if missing, and removed again if nothing was written to it
    let made = match &args.out_dir {
        Some(dir) if !dir.exists() => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot make the output folder", dir.display()))?;
            Some(dir)
        }
        _ => None,
    };
    let result = quegan_files(&dates, &out, &spec, super_image, &opts);
    if let (Some(dir), Err(_)) = (made, &result) {
        let _ = std::fs::remove_dir(dir);
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = result?;
    if show {
        eprintln!("{}", summary(&report, &out, &group_names));
    }
    Ok(())
}

fn file_options(a: &QueganArgs) -> Result<FileOptions> {
    let mut o = a.window.file_options()?;
    o.compression = match &a.compress {
        Some(name) => Some(parse_compression(name, a.level)?),
        None if a.level.is_some() => bail!("--level needs --compress deflate or zstd"),
        None => None,
    };
    o.dtype = output_type(a.dtype.as_deref());
    o.overwrite = a.overwrite;
    o.sync = a.sync;
    o.block_rows = a.block_rows;
    Ok(o)
}

fn summary(r: &StackReport, out: &StackOutput, group_names: &[String]) -> String {
    let whereto = match out {
        StackOutput::Stack(p) => p.display().to_string(),
        StackOutput::Files(p) => p
            .first()
            .and_then(|f| f.parent())
            .map_or_else(String::new, |d| format!("{}/", d.display())),
    };
    let groups = if group_names.is_empty() {
        String::new()
    } else {
        format!(" in {} groups ({})", r.groups, group_names.join(", "))
    };
    let enl = |e: &Option<f64>| e.map_or_else(|| "n/a".into(), |v| format!("{v:.1}"));
    let super_enl = match (r.super_enl.as_slice(), group_names) {
        ([], _) => String::new(),
        ([one], []) => format!("; super image ENL {}", enl(one)),
        (all, names) => format!(
            "; super image ENL {}",
            names
                .iter()
                .zip(all)
                .map(|(g, e)| format!("{g} {}", enl(e)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!(
        "{} dates{groups} {} × {} → {whereto}: quegan with {} as local mean, {} output plane{}, \
         {}, {} thread{}, {:.1} s, peak memory {}{super_enl}",
        r.dates,
        r.width,
        r.height,
        r.filter,
        r.out_planes,
        if r.out_planes == 1 { "" } else { "s" },
        match r.dtype {
            OutputType::F32 => "float32",
            OutputType::F64 => "float64",
        },
        r.threads,
        if r.threads == 1 { "" } else { "s" },
        r.seconds,
        crate::memory::peak_rss().map_or_else(|| "unknown".into(), crate::memory::mib),
    )
}
