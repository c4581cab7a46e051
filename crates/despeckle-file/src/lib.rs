//! Speckle filtering of GeoTIFF files of any size, file to file, with memory bounded by the
//! image width: the library behind the `despeckle` command-line tool (and the Python
//! package's `despeckle.filter_file`).
//!
//! [`filter_file`] connects a streaming [`Reader`] to the core's streaming driver
//! ([`despeckle::filter_stream`]) and to a streaming [`Writer`]: reading (and decompressing, in
//! parallel for compressed input), filtering and writing (compressing in parallel) overlap, and
//! memory stays at `width × (window + a few strips or tile rows)` per band, never the height.
//! The result equals the core's in-memory [`despeckle::filter`] bit for bit.
//!
//! The output keeps the size, georeferencing tags, GDAL metadata and no-data of the input
//! (no-data from `GDAL_NODATA` unless overridden), its layout (strips or tiles) and
//! compression unless told otherwise, and appears only when complete (temporary file renamed
//! at the end; removed on any error or cancellation). No output ever replaces an input, a
//! special file or another output of the same call, however the paths are spelled: see
//! [`outputs`], the check every command that writes files uses. [`FileOptions::cog`] makes
//! it a Cloud-Optimized GeoTIFF (tiles, internal overviews), still streamed.
//!
//! ```no_run
//! use despeckle::EnhancedLee;
//! use despeckle_file::{FileOptions, filter_file};
//!
//! let filter = EnhancedLee::new(4.0)?.with_damping(1.0)?;
//! let report = filter_file("scene.tif", "scene_el.tif", &filter, &FileOptions::new(7))?;
//! println!("{} x {} in {:.1} s", report.width, report.height, report.seconds);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Filters by name (what the CLI and Python use), from the [`registry`]:
//!
//! ```no_run
//! use despeckle_file::{FileOptions, filter_file, registry::FilterSpec};
//! let mut spec = FilterSpec::new("enhanced_lee")?;
//! spec.set("looks", 4.0)?;
//! let filter = spec.build()?;
//! filter_file("scene.tif", "scene_el.tif", &*filter, &FileOptions::new(7))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod error;
mod one_plane;
pub mod outputs;
mod plan;
pub mod planes;
pub mod quality;
pub mod quicklook;
pub mod registry;
mod stream;
pub mod temporal;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use despeckle::{Border, Options};
pub use despeckle_geotiff::{
    BigTiff, ComplexMode, Compression, Layout, OutputCompression, OutputLayout, OutputType,
    RasterInfo, Reader, SampleType, Writer,
};
use despeckle_geotiff::{Predictor, ReaderOptions, WriterOptions};

pub use error::{Error, Result};
pub use stream::FileFilter;

use stream::{FirstError, Group, Pixel, Plan, RowObserver, Shared};

/// Which no-data value to use.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Nodata {
    /// The input's `GDAL_NODATA` value, if any (the default).
    #[default]
    FromFile,
    /// No no-data value (NaN and ±∞ are still no-data), whatever the file says.
    None,
    /// This value (also written to the output's `GDAL_NODATA`).
    Value(f64),
}

/// Progress of [`filter_file`]: rows written so far, over all bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Rows written (summed over the bands).
    pub done: u64,
    /// Rows to write: height × bands.
    pub total: u64,
}

/// A progress callback (called from the thread that calls [`filter_file`], after each piece
/// of output, a few MiB at a time).
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// Options of [`filter_file`]: the window options of the core, which bands, and the output
/// format.
#[derive(Clone)]
#[non_exhaustive]
pub struct FileOptions {
    /// Window side (odd, ≥ 3). Default 7.
    pub size: usize,
    /// Border mode. Default `reflect`.
    pub border: Border,
    /// No-data value. Default: the input's `GDAL_NODATA`.
    pub nodata: Nodata,
    /// Worker threads (filtering, decompression, compression); `None`: all cores.
    pub threads: Option<usize>,
    /// Input bands to filter, 0-based, in output order; `None`: all.
    pub bands: Option<Vec<usize>>,
    /// How complex input samples become real values; `None` makes complex input an error.
    pub complex: Option<ComplexMode>,
    /// Output sample type; `None`: float64 for float64 input, float32 otherwise.
    pub dtype: Option<OutputType>,
    /// Output compression; `None`: the input's (Deflate level 6, ZSTD level 9).
    pub compression: Option<OutputCompression>,
    /// Floating-point predictor (TIFF predictor 3) with compression; `None`: when the input
    /// uses a predictor.
    pub float_predictor: Option<bool>,
    /// Output strips or tiles; `None`: tiles of the input's size for tiled input (256 × 256 if
    /// that is not a multiple of 16), strips of about 512 KiB otherwise.
    pub layout: Option<OutputLayout>,
    /// Classic TIFF or BigTIFF. Default: BigTIFF when the output could pass 4 GiB.
    pub bigtiff: BigTiff,
    /// Write a Cloud-Optimized GeoTIFF: tiles (512 × 512 unless [`FileOptions::layout`] gives
    /// tiles; strips are refused), averaged internal overviews, the layout of GDAL's COG
    /// driver. Default: off. See `despeckle_geotiff::WriterOptions::cog`.
    pub cog: bool,
    /// Replace an existing output (and quick-look). Default: refuse.
    pub overwrite: bool,
    /// `fsync` the output before renaming it into place (survives a machine crash right
    /// after). Default: off, as in GDAL; the rename alone keeps partial files out of sight.
    pub sync: bool,
    /// Also write a quick-look PNG of the (first) output band here.
    pub quicklook: Option<PathBuf>,
    /// Longest side of the quick-look in pixels. Default 1024.
    pub quicklook_side: usize,
    /// Memory budget in bytes (`None`: half the available memory,
    /// [`despeckle::budget::default_max_memory`]); see [`Report::memory_budget`].
    pub max_memory: Option<usize>,
    /// Rows per block of the core's streaming driver (`None`: about 16 MiB); the result does
    /// not depend on it.
    pub block_rows: Option<usize>,
    /// Called as output rows are written.
    pub progress: Option<ProgressFn>,
    /// Set it to `true` (from another thread, a signal handler, ...) to stop: `filter_file`
    /// then returns [`Error::Cancelled`] and leaves no output.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl fmt::Debug for FileOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileOptions")
            .field("size", &self.size)
            .field("border", &self.border)
            .field("nodata", &self.nodata)
            .field("threads", &self.threads)
            .field("bands", &self.bands)
            .field("complex", &self.complex)
            .field("dtype", &self.dtype)
            .field("compression", &self.compression)
            .field("float_predictor", &self.float_predictor)
            .field("layout", &self.layout)
            .field("bigtiff", &self.bigtiff)
            .field("cog", &self.cog)
            .field("overwrite", &self.overwrite)
            .field("sync", &self.sync)
            .field("quicklook", &self.quicklook)
            .field("max_memory", &self.max_memory)
            .field("block_rows", &self.block_rows)
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel)
            .finish()
    }
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions::new(7)
    }
}

impl FileOptions {
    /// Every default, with a `size × size` window.
    pub fn new(size: usize) -> FileOptions {
        FileOptions {
            size,
            border: Border::Reflect,
            nodata: Nodata::FromFile,
            threads: None,
            bands: None,
            complex: None,
            dtype: None,
            compression: None,
            float_predictor: None,
            layout: None,
            bigtiff: BigTiff::Auto,
            cog: false,
            overwrite: false,
            sync: false,
            quicklook: None,
            quicklook_side: 1024,
            max_memory: None,
            block_rows: None,
            progress: None,
            cancel: None,
        }
    }
}

/// What [`filter_file`] did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Report {
    /// The filter's name.
    pub filter: &'static str,
    /// The values estimated for `auto` parameters, per band.
    pub estimates: Vec<Estimated>,
    /// The output file.
    pub output: PathBuf,
    /// Image width.
    pub width: usize,
    /// Image height.
    pub height: usize,
    /// The input bands filtered (0-based), in output order.
    pub bands: Vec<usize>,
    /// The input's sample type.
    pub input_type: SampleType,
    /// How complex input was read (`None` for real input).
    pub complex: Option<ComplexMode>,
    /// The no-data value used (and written), if any.
    pub nodata: Option<f64>,
    /// The output's sample type.
    pub dtype: OutputType,
    /// The output's compression.
    pub compression: OutputCompression,
    /// The output's layout.
    pub layout: OutputLayout,
    /// Whether the output is a BigTIFF.
    pub bigtiff: bool,
    /// Whether the output is a Cloud-Optimized GeoTIFF.
    pub cog: bool,
    /// The quick-look written, if any.
    pub quicklook: Option<PathBuf>,
    /// Worker threads per band.
    pub threads: usize,
    /// Why fewer threads than requested were used, as a sentence (`None`: as requested).
    pub threads_note: Option<String>,
    /// The memory budget in bytes.
    pub memory_budget: usize,
    /// Bytes the run allocates by the memory model (see [`despeckle::budget`]).
    pub planned_bytes: usize,
    /// Wall time of the whole call, in seconds.
    pub seconds: f64,
}

/// Removes the temporary files of every unfinished output of this process (GeoTIFFs,
/// quick-looks and every [`outputs::PendingOutput`]), for a Ctrl-C handler that exits without
/// running destructors. Returns how many were removed.
pub fn remove_unfinished_outputs() -> usize {
    despeckle_geotiff::remove_unfinished_outputs()
}

/// The sample type bands are filtered in: float64 for float64 output, and for 32-bit integer
/// input (uint32, int32, CInt32), whose values float32 cannot hold exactly (a 24-bit
/// mantissa would round values near 2³² to multiples of 256 and erase their variance);
/// float32 otherwise (float64 input written as float32 is filtered in float32, as asked).
/// The output is then stored as `dtype`.
pub fn filter_type(input: SampleType, dtype: OutputType) -> OutputType {
    match (dtype, input) {
        (OutputType::F64, _) | (_, SampleType::U32 | SampleType::I32 | SampleType::ComplexI32) => {
            OutputType::F64
        }
        _ => OutputType::F32,
    }
}

/// The output layout "like the input".
pub(crate) fn layout_like(info: &RasterInfo) -> OutputLayout {
    match info.layout {
        Layout::Tiles { width, height }
            if width % 16 == 0 && height % 16 == 0 && width * height <= 1 << 22 =>
        {
            OutputLayout::Tiles { width, height }
        }
        Layout::Tiles { .. } => OutputLayout::TILED,
        Layout::Strips { .. } => OutputLayout::Strips {
            rows_per_strip: None,
        },
    }
}

/// The output compression "like the input".
pub(crate) fn compression_like(info: &RasterInfo) -> OutputCompression {
    match info.compression {
        Compression::Lzw => OutputCompression::Lzw,
        Compression::Deflate => OutputCompression::Deflate { level: 6 },
        Compression::Zstd => OutputCompression::Zstd { level: 9 },
        Compression::PackBits => OutputCompression::PackBits,
        _ => OutputCompression::None,
    }
}

/// Filters the bands of the GeoTIFF `src` with `filter` and writes them to the GeoTIFF `dst`,
/// streaming: see the [crate documentation](crate).
///
/// Checks everything it can before creating the output (parameters, bands, complex mode,
/// folders, existing files); on any error or cancellation no output (nor quick-look) is left.
pub fn filter_file(
    src: impl AsRef<Path>,
    dst: impl AsRef<Path>,
    filter: &dyn FileFilter,
    opts: &FileOptions,
) -> Result<Report> {
    run(src.as_ref(), dst.as_ref(), How::Filter(filter), opts)
}

/// [`filter_file`] with a filter chosen by name ([`registry::FilterSpec`]), the form the CLI
/// and the Python package use. Parameters given as `auto` (`looks`, Lee Sigma's `z98`) are
/// estimated from each band before it is filtered ([`despeckle::estimate`]: extra passes over
/// the band, same bounded memory) and reported in [`Report::estimates`].
pub fn filter_file_spec(
    src: impl AsRef<Path>,
    dst: impl AsRef<Path>,
    spec: &registry::FilterSpec,
    opts: &FileOptions,
) -> Result<Report> {
    run(src.as_ref(), dst.as_ref(), How::Spec(spec), opts)
}

/// The filter of a run: one for every band, or built per band from a spec.
enum How<'a> {
    Filter(&'a dyn FileFilter),
    Spec(&'a registry::FilterSpec),
}

/// One value estimated for an `auto` parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimated {
    /// The input band (0-based).
    pub band: usize,
    /// The parameter (`looks`, `z98`).
    pub name: &'static str,
    /// The value used.
    pub value: f64,
}

/// Computes an image-wide estimate over one band of the file.
fn estimate_band<T: Pixel>(
    reader: &mut Reader,
    band: usize,
    what: registry::Estimate,
    nodata: Option<f64>,
    domain: despeckle::Domain,
    cancel: Option<&AtomicBool>,
    path: &Path,
) -> Result<f64> {
    let mut source = stream::FileBand {
        reader,
        band,
        error: None,
        cancel,
    };
    let result = what.of::<T>(&mut source, nodata, domain);
    if let Some(e) = source.error {
        return Err(e.into());
    }
    if cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed)) {
        return Err(Error::Cancelled {
            path: path.to_path_buf(),
        });
    }
    let detail = |why: String| Error::Invalid {
        path: path.to_path_buf(),
        detail: format!("band {}: cannot estimate {what}: {why}", band + 1),
    };
    match result {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(detail("the band has no valid pixel".into())),
        Err(e) => Err(detail(e.to_string())),
    }
}

fn run(src: &Path, dst: &Path, how: How<'_>, opts: &FileOptions) -> Result<Report> {
    let t0 = Instant::now();
    let mut core = Options::new(opts.size)?
        .with_border(opts.border)
        .with_threads(opts.threads)
        .with_max_memory(opts.max_memory);
    core.validate()?;
    if opts.cog && matches!(opts.layout, Some(OutputLayout::Strips { .. })) {
        return Err(Error::Invalid {
            path: dst.to_path_buf(),
            detail: "a cloud-optimized GeoTIFF is tiled: choose tiles, not strips".into(),
        });
    }

    let reader_opts = {
        let mut o = ReaderOptions::default();
        o.complex = opts.complex;
        o
    };
    // Every output checked against the input and each other before anything is read or
    // written.
    let targets = std::iter::once(dst).chain(opts.quicklook.as_deref());
    let outputs = outputs::Outputs::check([src], targets, opts.overwrite)?;
    let mut reader = Reader::open_with(src, reader_opts.clone())?;
    let info = reader.info().clone();
    if info.sample_type.is_complex() && opts.complex.is_none() {
        return Err(despeckle_geotiff::Error::ComplexModeRequired {
            path: src.to_path_buf(),
            sample_type: info.sample_type,
        }
        .into());
    }
    let bands: Vec<usize> = match &opts.bands {
        Some(b) if b.is_empty() => {
            return Err(Error::Invalid {
                path: src.to_path_buf(),
                detail: "no band selected".into(),
            });
        }
        Some(b) => b.clone(),
        None => (0..info.bands).collect(),
    };
    if let Some(&band) = bands.iter().find(|&&b| b >= info.bands) {
        return Err(despeckle_geotiff::Error::BandOutOfRange {
            path: src.to_path_buf(),
            band,
            bands: info.bands,
        }
        .into());
    }

    // No-data: the file's value is the stored one; complex data are converted first.
    let nodata = match opts.nodata {
        // A complex no-data value v (real part; GDAL's convention) reads as v² or |v|.
        Nodata::FromFile => {
            info.nodata
                .map(|v| match (info.sample_type.is_complex(), opts.complex) {
                    (true, Some(ComplexMode::Amplitude)) => v.abs(),
                    (true, Some(ComplexMode::Real)) => v,
                    (true, Some(ComplexMode::Imaginary)) => 0.0,
                    (true, _) => v * v,
                    (false, _) => v,
                })
        }
        Nodata::None => None,
        Nodata::Value(v) => Some(v),
    };
    // NaN and ±∞ are always no-data for the core; they are still written to GDAL_NODATA.
    core = core.with_nodata(nodata.filter(|v| v.is_finite()));
    core.validate()?;

    let dtype = opts
        .dtype
        .unwrap_or(if info.sample_type == SampleType::F64 {
            OutputType::F64
        } else {
            OutputType::F32
        });
    let compute = filter_type(info.sample_type, dtype);
    // The file's own no-data value beyond float32 (e.g. -1.8e308 on a float32 band) matches
    // no pixel filtered in float32: ignored, as ±∞ (a value given by the user is refused by
    // the core instead).
    if matches!(opts.nodata, Nodata::FromFile)
        && compute == OutputType::F32
        && core.nodata().is_some_and(|v| (v as f32).is_infinite())
    {
        core = core.with_nodata(None);
    }
    // The filter of each band: `auto` parameters are estimated from the band first.
    let mut built: Vec<Box<dyn FileFilter>> = Vec::new();
    let mut estimates = Vec::new();
    let name = match how {
        How::Filter(f) => f.name(),
        How::Spec(spec) => spec.def().name,
    };
    if let How::Spec(spec) = how {
        let autos = spec.estimates();
        if autos.is_empty() {
            built.push(spec.build()?);
        } else {
            // Check the other parameters before the passes over the file.
            let mut probe = spec.clone();
            for &(param, what) in &autos {
                probe.set(param, what.stand_in())?;
            }
            probe.build()?;
            let domain = match spec.value("domain") {
                Some(registry::Value::Text(t)) => t.parse()?,
                _ => despeckle::Domain::Intensity,
            };
            for &band in &bands {
                let mut per_band = spec.clone();
                for &(param, what) in &autos {
                    let value = match compute {
                        OutputType::F32 => estimate_band::<f32>(
                            &mut reader,
                            band,
                            what,
                            core.nodata(),
                            domain,
                            opts.cancel.as_deref(),
                            src,
                        )?,
                        OutputType::F64 => estimate_band::<f64>(
                            &mut reader,
                            band,
                            what,
                            core.nodata(),
                            domain,
                            opts.cancel.as_deref(),
                            src,
                        )?,
                    };
                    per_band.set(param, value)?;
                    estimates.push(Estimated {
                        band,
                        name: param,
                        value,
                    });
                }
                built.push(per_band.build()?);
            }
        }
    }
    let filters: Vec<&dyn FileFilter> = match how {
        How::Filter(f) => vec![f; bands.len()],
        How::Spec(_) if built.len() == 1 => vec![&*built[0]; bands.len()],
        How::Spec(_) => built.iter().map(|f| &**f).collect(),
    };
    for f in &filters {
        f.check_options(&core)?;
    }

    let compression = opts.compression.unwrap_or_else(|| compression_like(&info));
    let layout = match (opts.cog, opts.layout) {
        (true, None) => OutputLayout::COG_TILES,
        (_, Some(layout)) => layout,
        (false, None) => layout_like(&info),
    };
    let mut wopts = WriterOptions::like(&info);
    wopts.bands = bands.len();
    // Band descriptions, offsets, scales and per-band items follow their band.
    if let Some(xml) = &info.geo.gdal_metadata {
        wopts.geo.gdal_metadata = Some(despeckle_geotiff::band_metadata::select_bands(xml, &bands));
    }
    wopts.sample_type = dtype;
    wopts.compression = compression;
    wopts.float_predictor = compression != OutputCompression::None
        && opts
            .float_predictor
            .unwrap_or(info.predictor != Predictor::None);
    wopts.layout = layout;
    wopts.bigtiff = opts.bigtiff;
    wopts.cog = opts.cog;
    wopts.nodata = nodata;
    wopts.overwrite = opts.overwrite;
    wopts.sync = opts.sync;
    // Compression threads: not more than the cores.
    wopts.threads = opts.threads.unwrap_or(0).min(despeckle::budget::cores());

    wopts.inputs = outputs.inputs().to_vec();
    let mut writer = Writer::create(dst, wopts)?;
    let bigtiff = writer.is_bigtiff();

    let pixel_bytes = match compute {
        OutputType::F32 => 4,
        OutputType::F64 => 8,
    };
    // Pixel-interleaved bands are decoded together: filter them in the same pass (up to four
    // at a time); band-interleaved ones one after the other.
    let per_pass = if info.planar { 1 } else { 4 };
    let quicklook_bytes = opts.quicklook.as_ref().map_or(0, |_| {
        quicklook::QuickLook::bytes(info.width, info.height, opts.quicklook_side)
    });
    let sizes = plan::size(
        &core,
        &plan::Inputs {
            reader: &reader,
            writer: &writer,
            bands: bands.len().min(per_pass),
            pixel_bytes,
            scratch_bytes: filters
                .iter()
                .map(|f| f.scratch_bytes(info.width, opts.size))
                .max()
                .unwrap_or(0),
            quicklook_bytes,
            compressed: info.compression != Compression::None,
            block_rows: opts.block_rows,
        },
    )?;
    let budget = sizes.plan.budget * bands.len().min(per_pass);
    let plan = Plan {
        src_path: src,
        reader_opts,
        readers: sizes.readers,
        batch_rows: sizes.batch_rows,
        batch_depth: sizes.batch_depth,
        piece_rows: sizes.piece_rows,
        out_depth: sizes.out_depth,
        opts: sizes.core,
        block_rows: Some(sizes.block_rows),
    };
    let errors = FirstError::default();
    let shared = Shared {
        errors: &errors,
        cancel: opts.cancel.as_deref(),
        output: dst,
    };
    let mut quicklook = opts
        .quicklook
        .as_ref()
        .map(|_| quicklook::QuickLook::new(info.width, info.height, opts.quicklook_side, nodata));
    let total = (info.height * bands.len()) as u64;
    let mut done = 0u64;
    for (p, chunk) in bands.chunks(per_pass).enumerate() {
        let out_bands: Vec<usize> = (p * per_pass..p * per_pass + chunk.len()).collect();
        let group_filters = &filters[p * per_pass..p * per_pass + chunk.len()];
        let group = Group {
            bands: chunk,
            out_bands: &out_bands,
        };
        let mut observer = Observer {
            width: info.width,
            quicklook: if p == 0 { quicklook.as_mut() } else { None },
            progress: opts.progress.as_deref(),
            done: &mut done,
            total,
        };
        macro_rules! run {
            ($t:ty) => {
                stream::run_group::<$t>(
                    group_filters,
                    &mut reader,
                    &mut writer,
                    &group,
                    &plan,
                    &shared,
                    &mut observer,
                )
            };
        }
        match compute {
            OutputType::F32 => run!(f32),
            OutputType::F64 => run!(f64),
        }
        if let Some(e) = errors.take() {
            return Err(e);
        }
    }

    let pending_png = match (&quicklook, &opts.quicklook) {
        (Some(q), Some(path)) => Some(q.write_pending(&outputs, path)?),
        _ => None,
    };
    writer.finish()?;
    if let Some(png) = pending_png {
        png.commit(opts.sync)?;
    }
    Ok(Report {
        filter: name,
        estimates,
        output: dst.to_path_buf(),
        width: info.width,
        height: info.height,
        bands,
        input_type: info.sample_type,
        complex: opts.complex.filter(|_| info.sample_type.is_complex()),
        nodata,
        dtype,
        compression,
        layout,
        bigtiff,
        cog: opts.cog,
        quicklook: opts.quicklook.clone(),
        threads: sizes.plan.threads,
        threads_note: sizes.plan.note(),
        memory_budget: budget,
        planned_bytes: sizes.bytes,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// Progress and quick-look, fed by the writer loop.
struct Observer<'a> {
    width: usize,
    quicklook: Option<&'a mut quicklook::QuickLook>,
    progress: Option<&'a (dyn Fn(Progress) + Send + Sync)>,
    done: &'a mut u64,
    total: u64,
}

impl<T: Pixel> RowObserver<T> for Observer<'_> {
    fn rows(&mut self, g: usize, data: &[T]) {
        if g == 0
            && let Some(q) = self.quicklook.as_deref_mut()
        {
            q.add_rows(data.iter().map(|v| v.as_f64()));
        }
        *self.done += (data.len() / self.width.max(1)) as u64;
        if let Some(p) = self.progress {
            p(Progress {
                done: *self.done,
                total: self.total,
            });
        }
    }
}
