//! Quality measures of filter outputs, streamed: [`assess`] measures a filtered file against
//! its input, [`compare`] runs several filters (or several parameter values of one) over one
//! image and measures each output as it is produced — nothing image-sized is kept: the
//! measures ([`despeckle::metrics`]) are accumulators, and each output is reduced on the fly
//! to a block-averaged quick-look, a block-averaged ratio image and one full-resolution crop.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use despeckle::metrics::{NoReference, NoReferenceMetrics, Reference, ReferenceMetrics, Region};
use despeckle::{Border, BoxError, Domain, ImageRef, Options, RowSink, RowSource};
use despeckle_geotiff::{ComplexMode, Reader, ReaderOptions};

use crate::quicklook::QuickLook;
use crate::registry::FilterSpec;
use crate::{Error, Progress, ProgressFn, Result};

/// One image plane to read rows from: a band of a GeoTIFF, or pixels in memory. Rows are
/// read as `f32`.
#[derive(Debug, Clone, Copy)]
pub enum Plane<'a> {
    /// Band `band` (0-based) of a GeoTIFF (complex samples read as intensity).
    File {
        /// The file.
        path: &'a Path,
        /// The band, 0-based.
        band: usize,
    },
    /// A row-major image in memory.
    Memory(ImageRef<'a, f32>),
}

/// Rows of a [`Plane`].
enum Rows<'a> {
    File { reader: Box<Reader>, band: usize },
    Memory(ImageRef<'a, f32>),
}

impl<'a> Plane<'a> {
    fn open(&self) -> Result<Rows<'a>> {
        Ok(match *self {
            Plane::File { path, band } => {
                let mut o = ReaderOptions::default();
                o.complex = Some(ComplexMode::Intensity);
                let reader = Reader::open_with(path, o)?;
                let bands = reader.info().bands;
                if band >= bands {
                    return Err(despeckle_geotiff::Error::BandOutOfRange {
                        path: path.to_path_buf(),
                        band,
                        bands,
                    }
                    .into());
                }
                Rows::File {
                    reader: Box::new(reader),
                    band,
                }
            }
            Plane::Memory(img) => Rows::Memory(img),
        })
    }

    /// The plane's file, for messages.
    fn name(&self) -> PathBuf {
        match self {
            Plane::File { path, .. } => path.to_path_buf(),
            Plane::Memory(_) => PathBuf::from("(sample)"),
        }
    }

    /// The file's `GDAL_NODATA` (none in memory).
    pub fn nodata(&self) -> Result<Option<f64>> {
        Ok(match self.open()? {
            Rows::File { reader, .. } => reader.info().nodata,
            Rows::Memory(_) => None,
        })
    }

    /// Width and height.
    pub fn size(&self) -> Result<(usize, usize)> {
        let r = self.open()?;
        Ok((RowSource::<f32>::width(&r), RowSource::<f32>::height(&r)))
    }
}

impl RowSource<f32> for Rows<'_> {
    fn width(&self) -> usize {
        match self {
            Rows::File { reader, .. } => reader.info().width,
            Rows::Memory(img) => img.width(),
        }
    }
    fn height(&self) -> usize {
        match self {
            Rows::File { reader, .. } => reader.info().height,
            Rows::Memory(img) => img.height(),
        }
    }
    fn read_rows(&mut self, y0: usize, buf: &mut [f32]) -> std::result::Result<(), BoxError> {
        match self {
            Rows::File { reader, band, .. } => Ok(reader.read_rows(*band, y0, buf)?),
            Rows::Memory(img) => img.read_rows(y0, buf),
        }
    }
}

impl Rows<'_> {
    fn read(&mut self, y0: usize, buf: &mut [f32]) -> Result<()> {
        match self {
            Rows::File { reader, band } => Ok(reader.read_rows(*band, y0, buf)?),
            Rows::Memory(img) => img.read_rows(y0, buf).map_err(|e| Error::Internal {
                path: PathBuf::from("(sample)"),
                detail: e.to_string(),
            }),
        }
    }
}

/// Rows per read of the passes that only measure (bounded memory).
const ROWS_PER_READ: usize = 64;

/// Measures `filtered` against `input` (same size), over the whole image, `regions`, and the
/// automatically found homogeneous blocks; ENL in `domain`. Both read row block by row block.
pub fn assess(
    input: Plane<'_>,
    filtered: Plane<'_>,
    regions: &[Region],
    domain: Domain,
    nodata: Option<f64>,
) -> Result<NoReferenceMetrics> {
    let (mut a, mut b) = (input.open()?, filtered.open()?);
    let (w, h) = (RowSource::<f32>::width(&a), RowSource::<f32>::height(&a));
    let (wb, hb) = (RowSource::<f32>::width(&b), RowSource::<f32>::height(&b));
    if (w, h) != (wb, hb) {
        return Err(Error::Invalid {
            path: filtered.name(),
            detail: format!(
                "is {wb} × {hb} but the input {} is {w} × {h}",
                input.name().display()
            ),
        });
    }
    let mut acc = NoReference::new(w, h, regions, domain, nodata);
    let rows = ROWS_PER_READ.min(h.max(1));
    let (mut ba, mut bb) = (vec![0f32; rows * w], vec![0f32; rows * w]);
    for y0 in (0..h).step_by(rows) {
        let n = rows.min(h - y0);
        a.read(y0, &mut ba[..n * w])?;
        b.read(y0, &mut bb[..n * w])?;
        acc.add_rows(&ba[..n * w], &bb[..n * w])?;
    }
    Ok(acc.finish()?)
}

/// Options of [`compare`].
#[derive(Clone)]
#[non_exhaustive]
pub struct CompareOptions {
    /// Window side of every filter. Default 7.
    pub size: usize,
    /// Border mode. Default `reflect`.
    pub border: Border,
    /// No-data value (NaN and ±∞ always are).
    pub nodata: Option<f64>,
    /// Worker threads; `None`: all cores.
    pub threads: Option<usize>,
    /// Regions measured beside the whole image and the homogeneous blocks.
    pub regions: Vec<Region>,
    /// The full-resolution crop; `None`: chosen automatically ([`auto_crop`]).
    pub crop: Option<Region>,
    /// Side of the automatic crop. Default 256.
    pub crop_side: usize,
    /// Longest side of the quick-looks. Default 512.
    pub quicklook_side: usize,
    /// Domain of the ENL. Default intensity.
    pub domain: Domain,
    /// Data range of PSNR and SSIM with a clean reference; `None`: max − min of its valid
    /// pixels (an extra pass over it).
    pub peak: Option<f64>,
    /// Rows per block of the streaming driver (`None`: about 16 MiB of input per block);
    /// the measures do not depend on it.
    pub block_rows: Option<usize>,
    /// Called as rows are measured (over every pass).
    pub progress: Option<ProgressFn>,
    /// Set to `true` to stop ([`Error::Cancelled`]).
    pub cancel: Option<std::sync::Arc<AtomicBool>>,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            size: 7,
            border: Border::Reflect,
            nodata: None,
            threads: None,
            regions: Vec::new(),
            crop: None,
            crop_side: 256,
            quicklook_side: 512,
            domain: Domain::Intensity,
            peak: None,
            block_rows: None,
            progress: None,
            cancel: None,
        }
    }
}

/// One filter run of [`compare`]: a label (e.g. `lee` or `lee looks=2`) and the filter.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The label shown in reports.
    pub label: String,
    /// The filter and its parameters.
    pub spec: FilterSpec,
}

/// What [`compare`] measured for one candidate.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// The candidate's label.
    pub label: String,
    /// The filter's name.
    pub filter: &'static str,
    /// Every parameter of the filter with its value (`auto` ones as estimated).
    pub params: Vec<(String, String)>,
    /// Seconds spent filtering and measuring (including `auto` estimates).
    pub seconds: f64,
    /// The measures without a reference.
    pub metrics: NoReferenceMetrics,
    /// The measures against the clean reference, if one was given.
    pub reference: Option<ReferenceMetrics>,
    /// Quick-look of the output.
    pub quicklook: QuickLook,
    /// Quick-look of the ratio image `input / output` (block means of the ratio).
    pub ratio: QuickLook,
    /// The output inside the crop, row-major.
    pub crop: Vec<f32>,
}

/// What [`compare`] found.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Image width.
    pub width: usize,
    /// Image height.
    pub height: usize,
    /// The no-data value used.
    pub nodata: Option<f64>,
    /// The crop shown at full resolution.
    pub crop: Region,
    /// Quick-look of the input.
    pub input_quicklook: QuickLook,
    /// The input inside the crop.
    pub input_crop: Vec<f32>,
    /// The window options.
    pub size: usize,
    /// One result per candidate, in order.
    pub runs: Vec<RunResult>,
}

/// The `side × side` crop (clipped to the image) whose quick-look blocks have the largest
/// variance of their dB values — edges, targets and texture rather than a flat area.
pub fn auto_crop(ql: &QuickLook, width: usize, height: usize, side: usize) -> Region {
    let f = ql.factor();
    let (qw, qh) = ql.size();
    let c = side.div_ceil(f).clamp(1, qw.min(qh).max(1));
    let db: Vec<Option<f64>> = ql
        .means()
        .iter()
        .map(|&m| (m.is_finite() && m > 0.0).then(|| 10.0 * m.log10()))
        .collect();
    // integral images of count, dB and dB²
    let iw = qw + 1;
    let mut sums = vec![[0.0f64; 3]; iw * (qh + 1)];
    for y in 0..qh {
        for x in 0..qw {
            let v = db[y * qw + x];
            let add = v.map_or([0.0; 3], |d| [1.0, d, d * d]);
            for k in 0..3 {
                sums[(y + 1) * iw + x + 1][k] =
                    add[k] + sums[y * iw + x + 1][k] + sums[(y + 1) * iw + x][k]
                        - sums[y * iw + x][k];
            }
        }
    }
    let mut best = (f64::NEG_INFINITY, 0, 0);
    for y in 0..=qh.saturating_sub(c) {
        for x in 0..=qw.saturating_sub(c) {
            let s = |k: usize| {
                sums[(y + c) * iw + x + c][k] - sums[y * iw + x + c][k] - sums[(y + c) * iw + x][k]
                    + sums[y * iw + x][k]
            };
            let n = s(0);
            if n < (c * c) as f64 / 2.0 {
                continue;
            }
            let var = s(2) / n - (s(1) / n).powi(2);
            if var > best.0 {
                best = (var, x, y);
            }
        }
    }
    let (cw, ch) = (side.min(width), side.min(height));
    Region {
        x: (best.1 * f).min(width - cw),
        y: (best.2 * f).min(height - ch),
        width: cw,
        height: ch,
    }
}

/// The output side of a run: measures each block of output rows as the streaming driver
/// writes it, reading the same rows of the input (and of the clean reference) in lockstep.
struct MeasureSink<'a, 'b> {
    width: usize,
    input: Rows<'a>,
    truth: Option<Rows<'a>>,
    inbuf: Vec<f32>,
    tbuf: Vec<f32>,
    ratio: Vec<f64>,
    noref: NoReference,
    reference: Option<Reference>,
    ql: QuickLook,
    ratio_ql: QuickLook,
    crop: Region,
    crop_buf: Vec<f32>,
    error: Option<Error>,
    tick: &'b mut dyn FnMut(usize) -> bool,
}

impl RowSink<f32> for MeasureSink<'_, '_> {
    fn write_rows(&mut self, y0: usize, rows: &[f32]) -> std::result::Result<(), BoxError> {
        self.measure(y0, rows).map_err(|e| {
            let msg = e.to_string();
            self.error = Some(e);
            msg.into()
        })
    }
}

impl MeasureSink<'_, '_> {
    fn measure(&mut self, y0: usize, rows: &[f32]) -> Result<()> {
        let w = self.width;
        let n = rows.len() / w;
        self.inbuf.resize(rows.len(), 0.0);
        self.input.read(y0, &mut self.inbuf)?;
        self.noref.add_rows(&self.inbuf, rows)?;
        if let (Some(t), Some(r)) = (&mut self.truth, &mut self.reference) {
            self.tbuf.resize(rows.len(), 0.0);
            t.read(y0, &mut self.tbuf)?;
            r.add_rows(&self.tbuf, rows)?;
        }
        self.ql.add_rows(rows.iter().map(|&v| v as f64));
        self.ratio.clear();
        self.ratio.extend(
            self.inbuf
                .iter()
                .zip(rows)
                .map(|(&i, &o)| i as f64 / o as f64),
        );
        self.ratio_ql.add_rows(self.ratio.iter().copied());
        copy_crop(&self.crop, w, y0, rows, &mut self.crop_buf);
        if !(self.tick)(n) {
            return Err(Error::Cancelled {
                path: PathBuf::from("compare"),
            });
        }
        Ok(())
    }
}

/// Copies the part of rows `y0 ..` inside `crop` into `out` (crop-sized, row-major).
fn copy_crop(crop: &Region, width: usize, y0: usize, rows: &[f32], out: &mut [f32]) {
    for (i, row) in rows.chunks_exact(width).enumerate() {
        let y = y0 + i;
        if crop.has_row(y) {
            let cols = crop.columns(width);
            let dst = (y - crop.y) * crop.width;
            out[dst..dst + crop.width].copy_from_slice(&row[cols]);
        }
    }
}

/// Runs every candidate over `input` (streaming, one after the other) and measures each
/// output against the input — and against `truth`, a clean reference, if given — without
/// keeping any output: see the [module documentation](self).
///
/// Memory: the streaming driver's block of rows, a few rows of every accumulator, the
/// quick-looks and the crops, whatever the image height.
pub fn compare(
    input: Plane<'_>,
    truth: Option<Plane<'_>>,
    candidates: &[Candidate],
    opts: &CompareOptions,
) -> Result<Comparison> {
    let core = Options::new(opts.size)?
        .with_border(opts.border)
        .with_threads(opts.threads)
        .with_nodata(opts.nodata);
    core.validate()?;
    // Every filter is checked before any pass.
    for c in candidates {
        c.spec.build_probe()?.check_options(&core)?;
    }
    let (w, h) = input.size()?;
    if let Some(t) = truth {
        let (tw, th) = t.size()?;
        if (tw, th) != (w, h) {
            return Err(Error::Invalid {
                path: t.name(),
                detail: format!("the clean reference is {tw} × {th} but the input is {w} × {h}"),
            });
        }
    }
    let total = (h * (candidates.len() + 1 + usize::from(truth.is_some()))) as u64;
    let mut done = 0u64;
    let cancel = opts.cancel.clone();
    let progress = opts.progress.clone();
    let mut tick = |n: usize| {
        done += n as u64;
        if let Some(p) = &progress {
            p(Progress { done, total });
        }
        !cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed))
    };
    let stopped = || Error::Cancelled {
        path: PathBuf::from("compare"),
    };

    // Pass 0: the input's quick-look (which places the automatic crop); the peak of truth.
    let mut input_ql = QuickLook::new(w, h, opts.quicklook_side, opts.nodata);
    {
        let mut rows = input.open()?;
        let n = ROWS_PER_READ.min(h.max(1));
        let mut buf = vec![0f32; n * w];
        for y0 in (0..h).step_by(n) {
            let k = n.min(h - y0);
            rows.read(y0, &mut buf[..k * w])?;
            input_ql.add_rows(buf[..k * w].iter().map(|&v| v as f64));
            if !tick(k) {
                return Err(stopped());
            }
        }
    }
    let crop = match opts.crop {
        Some(c) => {
            let c = c.clip(w, h);
            if c.width == 0 || c.height == 0 {
                return Err(Error::Invalid {
                    path: input.name(),
                    detail: format!(
                        "the crop {},{},{},{} lies outside the {w} × {h} image",
                        opts.crop.unwrap().x,
                        opts.crop.unwrap().y,
                        opts.crop.unwrap().width,
                        opts.crop.unwrap().height
                    ),
                });
            }
            c
        }
        None => auto_crop(&input_ql, w, h, opts.crop_side),
    };
    let mut input_crop = vec![0f32; crop.width * crop.height];
    {
        let mut rows = input.open()?;
        let mut buf = vec![0f32; crop.height * w];
        if crop.height > 0 {
            rows.read(crop.y, &mut buf)?;
        }
        copy_crop(&crop, w, crop.y, &buf, &mut input_crop);
    }
    let peak = match (truth, opts.peak) {
        (Some(t), None) => {
            let mut rows = t.open()?;
            let n = ROWS_PER_READ.min(h.max(1));
            let mut buf = vec![0f32; n * w];
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for y0 in (0..h).step_by(n) {
                let k = n.min(h - y0);
                rows.read(y0, &mut buf[..k * w])?;
                for &v in &buf[..k * w] {
                    let v = v as f64;
                    if v.is_finite() && Some(v) != opts.nodata.map(|d| d as f32 as f64) {
                        lo = lo.min(v);
                        hi = hi.max(v);
                    }
                }
                if !tick(k) {
                    return Err(stopped());
                }
            }
            Some(hi - lo)
        }
        (_, p) => p,
    };

    let mut runs = Vec::with_capacity(candidates.len());
    for c in candidates {
        let t0 = Instant::now();
        let mut source = input.open()?;
        let (filter, estimated) = c.spec.resolve(&mut source, opts.nodata)?;
        let mut sink = MeasureSink {
            width: w,
            input: input.open()?,
            truth: truth.map(|t| t.open()).transpose()?,
            inbuf: Vec::new(),
            tbuf: Vec::new(),
            ratio: Vec::new(),
            noref: NoReference::new(w, h, &opts.regions, opts.domain, opts.nodata),
            reference: match (truth, peak) {
                (Some(_), Some(p)) => Some(Reference::new(w, h, p, opts.nodata)?),
                _ => None,
            },
            ql: QuickLook::new(w, h, opts.quicklook_side, opts.nodata),
            ratio_ql: QuickLook::new(w, h, opts.quicklook_side, None),
            crop,
            crop_buf: vec![0f32; crop.width * crop.height],
            error: None,
            tick: &mut tick,
        };
        let result = filter.stream_f32(&mut source, &mut sink, &core, opts.block_rows);
        if let Some(e) = sink.error.take() {
            return Err(e);
        }
        result?;
        let params = c
            .spec
            .def()
            .params
            .iter()
            .filter_map(|p| {
                let est = estimated.iter().find(|(n, _)| *n == p.name);
                let v = match est {
                    Some((_, v)) => Some(format!("{v:.3} (auto)")),
                    None => c.spec.value(p.name).map(|v| v.to_string()),
                };
                v.map(|v| (p.name.to_string(), v))
            })
            .collect();
        runs.push(RunResult {
            label: c.label.clone(),
            filter: c.spec.def().name,
            params,
            seconds: t0.elapsed().as_secs_f64(),
            metrics: sink.noref.finish()?,
            reference: sink.reference.map(|r| r.finish()).transpose()?,
            quicklook: sink.ql,
            ratio: sink.ratio_ql,
            crop: sink.crop_buf,
        });
    }
    Ok(Comparison {
        width: w,
        height: h,
        nodata: opts.nodata,
        crop,
        input_quicklook: input_ql,
        input_crop,
        size: opts.size,
        runs,
    })
}
