//! `despeckle assess` (quality measures of a filtered file) and `despeckle compare` (several
//! filters, or several values of one parameter, run and measured over one image, with an
//! HTML report).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use despeckle::Domain;
use despeckle::metrics::{NoReferenceMetrics, Region, RegionMetrics};
use despeckle_file::Progress;
use despeckle_file::outputs::Outputs;
use despeckle_file::quality::{self, Candidate, CompareOptions, Plane};
use despeckle_file::registry::{self, FilterSpec};
use serde_json::{Value as Json, json};

use crate::files::{print_out, progress_bar};
use crate::{report, sample};

/// Parses `x,y,w,h`.
fn parse_region(text: &str) -> Result<Region, String> {
    let v: Vec<usize> = text
        .split(',')
        .map(|s| s.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("`{text}`: expected x,y,w,h (four whole numbers)"))?;
    match v[..] {
        [x, y, width, height] if width > 0 && height > 0 => Ok(Region {
            x,
            y,
            width,
            height,
        }),
        _ => Err(format!("`{text}`: expected x,y,w,h with w, h ≥ 1")),
    }
}

/// Options of `despeckle assess`.
#[derive(Args)]
pub struct AssessArgs {
    /// The input (speckled) GeoTIFF.
    #[arg(value_name = "IN.tif")]
    input: PathBuf,
    /// The filtered GeoTIFF (same size); without it, the ENL of the input is measured.
    #[arg(value_name = "FILTERED.tif")]
    filtered: Option<PathBuf>,
    /// A region to measure, x,y,w,h in pixels (repeat for several).
    #[arg(long = "roi", value_name = "x,y,w,h", value_parser = parse_region)]
    rois: Vec<Region>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Band to measure, from 1.
    #[arg(long, short = 'b', default_value_t = 1)]
    band: usize,
    /// No-data value (default: the input's GDAL_NODATA; `none` ignores it).
    #[arg(long, value_name = "V|none", allow_negative_numbers = true)]
    nodata: Option<String>,
    /// Domain of the ENL.
    #[arg(long, default_value = "intensity", value_parser = ["intensity", "amplitude"])]
    domain: String,
}

fn nodata_of(text: Option<&str>, plane: &Plane<'_>) -> Result<Option<f64>> {
    match text.map(str::trim) {
        None => Ok(plane.nodata()?),
        Some(t) if t.eq_ignore_ascii_case("none") => Ok(None),
        Some(t) => t
            .parse::<f64>()
            .map(Some)
            .map_err(|_| anyhow!("invalid parameter `nodata`: `{t}` is not a number (or `none`)")),
    }
}

fn band_index(band: usize) -> Result<usize> {
    band.checked_sub(1)
        .ok_or_else(|| anyhow!("invalid parameter `band`: bands are numbered from 1"))
}

/// `despeckle assess IN.tif [FILTERED.tif]`.
pub fn assess(args: &AssessArgs) -> Result<()> {
    let band = band_index(args.band)?;
    let input = Plane::File {
        path: &args.input,
        band,
    };
    let filtered = args
        .filtered
        .as_deref()
        .map(|path| Plane::File { path, band });
    let nodata = nodata_of(args.nodata.as_deref(), &input)?;
    let domain: Domain = args.domain.parse()?;
    let m = quality::assess(input, filtered.unwrap_or(input), &args.rois, domain, nodata)?;
    if args.json {
        let mut j = metrics_json(&m);
        j["input"] = json!(args.input.display().to_string());
        j["filtered"] = json!(args.filtered.as_ref().map(|p| p.display().to_string()));
        j["band"] = json!(args.band);
        j["nodata"] = json!(nodata);
        j["domain"] = json!(args.domain);
        return print_out(&format!("{}\n", serde_json::to_string_pretty(&j)?));
    }
    print_out(&assess_table(args, &m, nodata))
}

fn region_json(r: &RegionMetrics) -> Json {
    json!({
        "roi": [r.region.x, r.region.y, r.region.width, r.region.height],
        "pixels": r.pixels,
        "enl_input": r.enl_input,
        "enl_output": r.enl_output,
        "ssi": r.ssi,
        "mean_ratio": r.mean_ratio,
        "epi": r.epi,
        "ratio_mean": r.ratio_mean,
        "ratio_enl": r.ratio_enl,
    })
}

/// The measures as JSON (non-finite values become `null`).
pub fn metrics_json(m: &NoReferenceMetrics) -> Json {
    json!({
        "whole": region_json(&m.whole),
        "regions": m.regions.iter().map(region_json).collect::<Vec<_>>(),
        "homogeneous": m.homogeneous.as_ref().map(|h| json!({
            "blocks": h.blocks.len(),
            "block_size": despeckle::metrics::homogeneous::BLOCK,
            "enl_input": h.enl_input,
            "enl_output": h.enl_output,
            "ssi": h.ssi,
            "mean_ratio": h.mean_ratio,
            "ratio_enl": h.ratio_enl,
            "ratio_mean": h.ratio_mean,
        })),
        "m_index": m.m_index.as_ref().map(|x| json!({
            "m": x.m,
            "first_order": x.first_order,
            "delta_h": x.delta_h,
            "homogeneity": x.homogeneity,
            "shuffled_homogeneity": x.shuffled_homogeneity,
            "blocks": x.blocks,
        })),
    })
}

/// A number for tables: 4 significant decimals, `–` for NaN, `∞`.
pub fn num(v: f64) -> String {
    if v.is_nan() {
        "–".into()
    } else if v.is_infinite() {
        if v > 0.0 { "∞" } else { "−∞" }.into()
    } else if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

fn assess_table(args: &AssessArgs, m: &NoReferenceMetrics, nodata: Option<f64>) -> String {
    let (w, h) = (m.whole.region.width, m.whole.region.height);
    let mut s = match &args.filtered {
        Some(f) => format!(
            "{} against {} ({w} × {h}, band {}{})\n\n",
            f.display(),
            args.input.display(),
            args.band,
            nodata.map(|v| format!(", no-data {v}")).unwrap_or_default()
        ),
        None => format!(
            "{} ({w} × {h}, band {}{})\n\n",
            args.input.display(),
            args.band,
            nodata.map(|v| format!(", no-data {v}")).unwrap_or_default()
        ),
    };
    let mut rows: Vec<(String, RegionMetrics)> = vec![("whole image".into(), m.whole)];
    for r in &m.regions {
        let g = r.region;
        rows.push((format!("roi {},{},{},{}", g.x, g.y, g.width, g.height), *r));
    }
    if args.filtered.is_some() {
        s.push_str(&format!(
            "{:<24} {:>10} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9}\n",
            "region", "pixels", "ENL in", "ENL out", "SSI", "mean", "EPI", "ratio μ", "ratio ENL"
        ));
        for (name, r) in &rows {
            s.push_str(&format!(
                "{:<24} {:>10} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9}\n",
                name,
                r.pixels,
                num(r.enl_input),
                num(r.enl_output),
                num(r.ssi),
                num(r.mean_ratio),
                num(r.epi),
                num(r.ratio_mean),
                num(r.ratio_enl)
            ));
        }
        if let Some(hm) = &m.homogeneous {
            s.push_str(&format!(
                "{:<24} {:>10} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9}\n",
                format!("{} homogeneous blocks", hm.blocks.len()),
                hm.blocks.len() * despeckle::metrics::homogeneous::BLOCK.pow(2),
                num(hm.enl_input),
                num(hm.enl_output),
                num(hm.ssi),
                num(hm.mean_ratio),
                "",
                num(hm.ratio_mean),
                num(hm.ratio_enl)
            ));
        }
        match &m.m_index {
            Some(x) => s.push_str(&format!(
                "\nM index {} (first-order r_ENL,μ {}, second-order δh {}; homogeneity of the ratio \
                 {} vs {} shuffled; {} blocks)\n",
                num(x.m),
                num(x.first_order),
                num(x.delta_h),
                num(x.homogeneity),
                num(x.shuffled_homogeneity),
                x.blocks
            )),
            None => s.push_str("\nM index: no complete homogeneous 15 × 15 block\n"),
        }
        s.push_str(
            "\nSSI, ENL: lower SSI / higher ENL = more speckle removed; mean and ratio μ: 1 \
             keeps the mean; EPI: 1 keeps edges; M index: 0 is ideal (docs/metrics.md).\n",
        );
    } else {
        s.push_str(&format!("{:<24} {:>10} {:>9}\n", "region", "pixels", "ENL"));
        for (name, r) in &rows {
            s.push_str(&format!(
                "{:<24} {:>10} {:>9}\n",
                name,
                r.pixels,
                num(r.enl_input)
            ));
        }
        if let Some(hm) = &m.homogeneous {
            s.push_str(&format!(
                "{:<24} {:>10} {:>9}\n",
                format!("{} homogeneous blocks", hm.blocks.len()),
                hm.blocks.len() * despeckle::metrics::homogeneous::BLOCK.pow(2),
                num(hm.enl_input)
            ));
            s.push_str(
                "\nThe homogeneous blocks are the 5 % of 15 × 15 blocks with the lowest \
                 coefficient of variation: their ENL over-estimates the data's looks \
                 (docs/metrics.md).\n",
            );
        }
    }
    s
}

/// Options of `despeckle compare`.
#[derive(Args)]
pub struct CompareArgs {
    /// The input (speckled) GeoTIFF; not with --demo.
    #[arg(value_name = "IN.tif", required_unless_present = "demo")]
    input: Option<PathBuf>,
    /// Use the bundled Sentinel-1 sample (256 × 256, single look) as the input.
    #[arg(long, conflicts_with_all = ["input", "truth"])]
    demo: bool,
    /// Filters to run, comma-separated (`despeckle filters` lists them).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "enhanced-lee,lee,refined-lee,gamma-map,frost,lee-sigma"
    )]
    filters: Vec<String>,
    /// Compare values of one parameter of one filter: NAME=V1,V2,… (with one --filters).
    #[arg(long, value_name = "NAME=V1,V2,...")]
    sweep: Option<String>,
    /// Window side of every filter.
    #[arg(long, default_value_t = 7)]
    size: usize,
    /// Number of looks for every filter that takes it (a number or auto).
    #[arg(long, default_value = "auto")]
    looks: String,
    /// Another parameter for every filter that has it, NAME=VALUE (repeat for several).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    /// The HTML report to write (one self-contained file).
    #[arg(long, value_name = "report.html")]
    report: PathBuf,
    /// A region measured beside the whole image, x,y,w,h (repeat for several).
    #[arg(long = "roi", value_name = "x,y,w,h", value_parser = parse_region)]
    rois: Vec<Region>,
    /// The full-resolution crop shown, x,y,w,h (default: the 256 × 256 area with the most
    /// contrast).
    #[arg(long, value_name = "x,y,w,h", value_parser = parse_region)]
    crop: Option<Region>,
    /// A clean reference (same size): adds PSNR, SSIM and bias.
    #[arg(long, value_name = "T.tif")]
    truth: Option<PathBuf>,
    /// Data range of PSNR and SSIM (default: max − min of the reference).
    #[arg(long, value_name = "X")]
    peak: Option<f64>,
    /// Band, from 1.
    #[arg(long, short = 'b', default_value_t = 1)]
    band: usize,
    /// Border mode: reflect, mirror, nearest, wrap, constant:V or shrink.
    #[arg(long, default_value = "reflect")]
    border: String,
    /// No-data value (default: the input's GDAL_NODATA; `none` ignores it).
    #[arg(long, value_name = "V|none", allow_negative_numbers = true)]
    nodata: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Replace an existing report.
    #[arg(long)]
    overwrite: bool,
    /// No progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Rows per block of the streaming driver (testing; the measures do not depend on it).
    #[arg(long, value_name = "ROWS", hide = true)]
    block_rows: Option<usize>,
}

/// The candidates: every filter, or one filter at every value of the sweep.
fn candidates(args: &CompareArgs) -> Result<Vec<Candidate>> {
    let mut common: Vec<(String, String)> = vec![("looks".into(), args.looks.clone())];
    for s in &args.set {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| anyhow!("--set {s}: expected NAME=VALUE"))?;
        common.push((k.trim().replace('-', "_"), v.trim().to_string()));
    }
    let base = |name: &str| -> Result<FilterSpec> {
        let mut spec = FilterSpec::new(name)?;
        for (k, v) in &common {
            if spec.def().params.iter().any(|p| p.name == k) {
                spec.set(k, v.as_str())?;
            }
        }
        Ok(spec)
    };
    if let Some(sweep) = &args.sweep {
        let [name] = &args.filters[..] else {
            bail!("--sweep compares values of one filter: give exactly one --filters NAME");
        };
        let (param, values) = sweep
            .split_once('=')
            .ok_or_else(|| anyhow!("--sweep {sweep}: expected NAME=V1,V2,..."))?;
        let param = param.trim().replace('-', "_");
        let mut out = Vec::new();
        for v in values.split(',').map(str::trim).filter(|v| !v.is_empty()) {
            let mut spec = base(name)?;
            spec.set(&param, v)?;
            out.push(Candidate {
                label: format!("{} {param}={v}", spec.def().name),
                spec,
            });
        }
        if out.is_empty() {
            bail!("--sweep {sweep}: no value given");
        }
        return Ok(out);
    }
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for name in args
        .filters
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        let spec = base(name)?;
        let label = spec.def().name.to_string();
        if seen.contains(&label) {
            bail!("--filters: {label} given twice");
        }
        seen.push(label.clone());
        out.push(Candidate { label, spec });
    }
    if out.is_empty() {
        bail!(
            "--filters: no filter given; the filters are {}",
            registry::names()
        );
    }
    Ok(out)
}

/// `despeckle compare`.
pub fn compare(args: &CompareArgs) -> Result<()> {
    let candidates = candidates(args)?;
    let band = band_index(args.band)?;
    let sample_pixels;
    let input = match (&args.input, args.demo) {
        (Some(path), false) => Plane::File { path, band },
        (None, true) => {
            sample_pixels = sample::pixels();
            Plane::Memory(despeckle::ImageRef::new(
                &sample_pixels,
                sample::SIDE,
                sample::SIDE,
            )?)
        }
        _ => bail!("give IN.tif or --demo"),
    };
    let truth = args.truth.as_deref().map(|path| Plane::File { path, band });
    let mut inputs: Vec<&Path> = args.input.iter().map(PathBuf::as_path).collect();
    inputs.extend(args.truth.as_deref());
    // Before any filter runs: the report is never an input (however spelled, hard links
    // included), a folder or special file, nor an existing file without --overwrite.
    Outputs::check(
        inputs.iter().copied(),
        [args.report.as_path()],
        args.overwrite,
    )?;
    if args.threads == Some(0) {
        bail!("invalid parameter `threads`: must be at least 1 (leave it out for all cores)");
    }
    let mut opts = CompareOptions::default();
    opts.size = args.size;
    opts.border = registry::border_with_cval(&args.border, None)?;
    opts.nodata = nodata_of(args.nodata.as_deref(), &input)?;
    opts.threads = args.threads;
    opts.regions = args.rois.clone();
    opts.crop = args.crop;
    opts.peak = args.peak;
    opts.block_rows = args.block_rows;
    let show = !args.quiet && std::io::stderr().is_terminal();
    let bar = show.then(|| progress_bar(0, "compare"));
    if let Some(b) = &bar {
        let b = b.clone();
        opts.progress = Some(Arc::new(move |p: Progress| {
            b.set_length(p.total);
            b.set_position(p.done);
        }));
    }
    let result = quality::compare(input, truth, &candidates, &opts);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let cmp = result?;
    let title = match &args.input {
        Some(p) => p.display().to_string(),
        None => format!("bundled sample: {}", sample::ATTRIBUTION),
    };
    let html = report::html(&cmp, &title, args.truth.is_some(), args.sweep.as_deref())?;
    crate::output::write_atomic(&args.report, &inputs, args.overwrite, |w| {
        use std::io::Write;
        w.write_all(html.as_bytes())?;
        Ok(())
    })
    .context("writing the report")?;
    if show {
        eprintln!(
            "{}: {} run{} compared on {} × {}",
            args.report.display(),
            cmp.runs.len(),
            if cmp.runs.len() == 1 { "" } else { "s" },
            cmp.width,
            cmp.height
        );
    }
    Ok(())
}
