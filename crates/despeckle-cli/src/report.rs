//! The HTML report of `despeckle compare`: one self-contained file (images as `data:` URIs,
//! inline CSS and a few lines of inline JavaScript to sort the table; nothing from the
//! network).

use anyhow::Result;
use base64::Engine;
use despeckle_file::quality::{Comparison, RunResult};
use despeckle_file::quicklook::QuickLook;

use crate::quality::num;
use crate::quicklook::{db_stretch, encode_grey};

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn data_uri(png: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

fn quicklook_uri(ql: &QuickLook, range: (f64, f64)) -> Result<String> {
    let mut png = Vec::new();
    ql.encode_png_in(&mut png, range)?;
    Ok(data_uri(&png))
}

fn figure(uri: &str, caption: &str) -> String {
    format!(
        "<figure><img src=\"{uri}\" alt=\"{c}\"><figcaption>{c}</figcaption></figure>\n",
        c = esc(caption)
    )
}

/// One column of the metrics table: heading, tooltip, value of a run, and whether larger
/// is better (for the colour of the best value).
struct Column {
    head: &'static str,
    help: &'static str,
    value: fn(&RunResult) -> f64,
}

fn columns(truth: bool) -> Vec<Column> {
    let mut c = vec![
        Column {
            head: "time (s)",
            help: "filtering and measuring, including auto estimates",
            value: |r| r.seconds,
        },
        Column {
            head: "M index",
            help: "Gomez, Ospina & Frery (2017): 0 ideal, lower is better",
            value: |r| r.metrics.m_index.map_or(f64::NAN, |m| m.m),
        },
        Column {
            head: "r ENL,μ",
            help: "first-order residual of the M index",
            value: |r| r.metrics.m_index.map_or(f64::NAN, |m| m.first_order),
        },
        Column {
            head: "δh",
            help: "second-order residual of the M index (structure left in the ratio image)",
            value: |r| r.metrics.m_index.map_or(f64::NAN, |m| m.delta_h),
        },
        Column {
            head: "ENL",
            help: "ENL of the output over the homogeneous blocks (higher: more smoothing)",
            value: |r| {
                r.metrics
                    .homogeneous
                    .as_ref()
                    .map_or(f64::NAN, |h| h.enl_output)
            },
        },
        Column {
            head: "SSI",
            help: "speckle suppression index over the homogeneous blocks (lower: more smoothing)",
            value: |r| r.metrics.homogeneous.as_ref().map_or(f64::NAN, |h| h.ssi),
        },
        Column {
            head: "mean ratio",
            help: "mean of the output / mean of the input over the whole image (1 ideal)",
            value: |r| r.metrics.whole.mean_ratio,
        },
        Column {
            head: "EPI",
            help: "edge preservation index over the whole image (1 keeps every edge)",
            value: |r| r.metrics.whole.epi,
        },
        Column {
            head: "ratio μ",
            help: "mean of the ratio image input / output (1 ideal)",
            value: |r| r.metrics.whole.ratio_mean,
        },
        Column {
            head: "ratio ENL",
            help: "ENL of the ratio image over the whole image (the data's looks ideal)",
            value: |r| r.metrics.whole.ratio_enl,
        },
    ];
    if truth {
        c.extend([
            Column {
                head: "PSNR (dB)",
                help: "against the clean reference",
                value: |r| r.reference.map_or(f64::NAN, |m| m.psnr),
            },
            Column {
                head: "SSIM",
                help: "against the clean reference (scikit-image's defaults)",
                value: |r| r.reference.map_or(f64::NAN, |m| m.ssim),
            },
            Column {
                head: "bias",
                help: "mean(output − reference)",
                value: |r| r.reference.map_or(f64::NAN, |m| m.bias),
            },
        ]);
    }
    c
}

/// The ranks (1 = best): by SSIM with a clean reference, else by the M index; runs without
/// a value last.
fn ranks(runs: &[RunResult], truth: bool) -> Vec<usize> {
    let key = |r: &RunResult| -> f64 {
        let v = if truth {
            -r.reference.map_or(f64::NAN, |m| m.ssim)
        } else {
            r.metrics.m_index.map_or(f64::NAN, |m| m.m)
        };
        if v.is_nan() { f64::INFINITY } else { v }
    };
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by(|&a, &b| key(&runs[a]).total_cmp(&key(&runs[b])));
    let mut rank = vec![0; runs.len()];
    for (i, &k) in order.iter().enumerate() {
        rank[k] = i + 1;
    }
    rank
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:1800px}\
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}\
table{border-collapse:collapse;font-size:.9em}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right}\
th{background:#eee;cursor:pointer;user-select:none}td.l,th.l{text-align:left}\
tr:nth-child(even) td{background:#fafafa}\
.grid{display:flex;flex-wrap:wrap;gap:10px}figure{margin:0}figcaption{font-size:.85em;text-align:center}\
img{display:block;image-rendering:pixelated;background:repeating-conic-gradient(#ddd 0 25%,#fff 0 50%) 0 0/16px 16px}\
.ql img{width:300px}.crop img{width:256px}.note{font-size:.85em;color:#555;max-width:70em}";

const SCRIPT: &str = "document.querySelectorAll('#metrics th').forEach(function(th,i){\
th.addEventListener('click',function(){var tb=th.closest('table').tBodies[0];\
var asc=th.dataset.dir!=='asc';th.dataset.dir=asc?'asc':'desc';\
var rows=Array.prototype.slice.call(tb.rows);rows.sort(function(a,b){\
var x=a.cells[i].dataset.v,y=b.cells[i].dataset.v;var nx=parseFloat(x),ny=parseFloat(y);\
if(!isNaN(nx)||!isNaN(ny)){if(isNaN(nx))return 1;if(isNaN(ny))return -1;return asc?nx-ny:ny-nx;}\
return asc?String(x).localeCompare(y):String(y).localeCompare(x);});\
rows.forEach(function(r){tb.appendChild(r);});});});";

/// The report as one HTML document.
pub fn html(cmp: &Comparison, title: &str, truth: bool, sweep: Option<&str>) -> Result<String> {
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str(&format!(
        "<title>despeckle compare: {}</title><style>{STYLE}</style></head><body>\n",
        esc(title)
    ));
    h.push_str(&format!(
        "<h1>despeckle compare</h1>\n<p>{}<br>{} × {} pixels, window {} × {}{}{}</p>\n",
        esc(title),
        cmp.width,
        cmp.height,
        cmp.size,
        cmp.size,
        cmp.nodata
            .map(|v| format!(", no-data {v}"))
            .unwrap_or_default(),
        sweep
            .map(|s| format!(", sweep {}", esc(s)))
            .unwrap_or_default()
    ));

    // The metrics table.
    let cols = columns(truth);
    let rank = ranks(&cmp.runs, truth);
    h.push_str("<h2>Measures</h2>\n<table id=\"metrics\"><thead><tr>");
    h.push_str("<th title=\"by ");
    h.push_str(if truth { "SSIM" } else { "M index" });
    h.push_str("\">rank</th><th class=\"l\">filter</th><th class=\"l\">parameters</th>");
    for c in &cols {
        h.push_str(&format!(
            "<th title=\"{}\">{}</th>",
            esc(c.help),
            esc(c.head)
        ));
    }
    for r in cmp.runs.first().map_or(&[][..], |r| &r.metrics.regions[..]) {
        let g = r.region;
        h.push_str(&format!(
            "<th title=\"ENL of the output in this region\">ENL roi {},{},{},{}</th>",
            g.x, g.y, g.width, g.height
        ));
    }
    h.push_str("</tr></thead><tbody>\n");
    for (k, run) in cmp.runs.iter().enumerate() {
        let params: Vec<String> = run.params.iter().map(|(n, v)| format!("{n}={v}")).collect();
        h.push_str(&format!(
            "<tr data-filter=\"{}\"><td data-v=\"{}\">{}</td><td class=\"l\" data-v=\"{}\">{}</td>\
             <td class=\"l\" data-v=\"{}\">{}</td>",
            esc(&run.label),
            rank[k],
            rank[k],
            esc(&run.label),
            esc(&run.label),
            esc(&params.join(" ")),
            esc(&params.join(", "))
        ));
        let cell = |v: f64| {
            format!(
                "<td data-v=\"{}\">{}</td>",
                if v.is_finite() {
                    v.to_string()
                } else {
                    "NaN".into()
                },
                num(v)
            )
        };
        for c in &cols {
            h.push_str(&cell((c.value)(run)));
        }
        for r in &run.metrics.regions {
            h.push_str(&cell(r.enl_output));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table>\n");
    h.push_str(
        "<p class=\"note\">Click a heading to sort. Rank: by the M index (0 is ideal) without a \
         clean reference, by SSIM with one. ENL and SSI are taken over the automatically found \
         homogeneous 15 × 15 blocks of the input (the 5 % with the lowest coefficient of \
         variation), the other columns over the whole image. Definitions and references: \
         docs/metrics.md.</p>\n",
    );

    // Quick-looks, all on the input's dB stretch.
    let stretch = cmp.input_quicklook.stretch().unwrap_or((0.0, 1.0));
    h.push_str(&format!(
        "<h2>Quick-looks</h2>\n<p class=\"note\">Block means ({0} × {0} pixels per quick-look \
         pixel), dB, one stretch for all: {1:.1} to {2:.1} dB (2–98 % of the input).</p>\n\
         <div class=\"grid ql\">\n",
        cmp.input_quicklook.factor(),
        stretch.0,
        stretch.1
    ));
    h.push_str(&figure(
        &quicklook_uri(&cmp.input_quicklook, stretch)?,
        "input",
    ));
    for run in &cmp.runs {
        h.push_str(&figure(
            &quicklook_uri(&run.quicklook, stretch)?,
            &run.label,
        ));
    }
    h.push_str("</div>\n");

    // The full-resolution crop.
    let c = cmp.crop;
    let crop_range = db_stretch(&cmp.input_crop, 2.0, 98.0).unwrap_or((0.0, 1.0));
    h.push_str(&format!(
        "<h2>Crop at full resolution</h2>\n<p class=\"note\">Columns {}–{}, rows {}–{}; dB, \
         one stretch for all: {:.1} to {:.1} dB (2–98 % of the input crop).</p>\n<div class=\"grid crop\">\n",
        c.x,
        c.x + c.width - 1,
        c.y,
        c.y + c.height - 1,
        crop_range.0,
        crop_range.1
    ));
    let crop_uri = |px: &[f32]| -> Result<String> {
        Ok(data_uri(&encode_grey(px, c.width, c.height, crop_range)?))
    };
    h.push_str(&figure(&crop_uri(&cmp.input_crop)?, "input"));
    for run in &cmp.runs {
        h.push_str(&figure(&crop_uri(&run.crop)?, &run.label));
    }
    h.push_str("</div>\n");

    // Ratio images, on one symmetric dB stretch around 0 dB (ratio 1), as wide as the
    // largest 98th percentile (the lower tail of few-look speckle reaches far below it).
    let half = cmp
        .runs
        .iter()
        .filter_map(|r| r.ratio.stretch())
        .map(|(_, hi)| hi.abs())
        .fold(0.5f64, f64::max);
    h.push_str(&format!(
        "<h2>Ratio images input / output</h2>\n<p class=\"note\">Block means of the ratio, dB, \
         −{half:.1} (black) to +{half:.1} dB (white), 0 dB mid-grey. A good filter leaves only \
         speckle here: no edges, shapes or targets (what they show was removed from the \
         image but was not speckle).</p>\n<div class=\"grid ql\">\n"
    ));
    for run in &cmp.runs {
        h.push_str(&figure(
            &quicklook_uri(&run.ratio, (-half, half))?,
            &run.label,
        ));
    }
    h.push_str("</div>\n");
    h.push_str(&format!("<script>{SCRIPT}</script>\n</body></html>\n"));
    Ok(h)
}
