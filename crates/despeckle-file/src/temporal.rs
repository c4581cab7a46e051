//! Multi-temporal filtering file to file: a stack of dates (one band of each of several
//! GeoTIFFs, or the bands of one) read in lockstep, filtered by the core's
//! [`Quegan`](despeckle::temporal::Quegan) through its streaming driver, written to one
//! output per date (or one multi-band file), all atomically as a set.
//!
//! Before anything is written: every input and output is checked ([`Outputs::check`]: no
//! output resolves to an input or another output), and the inputs must share the grid (size,
//! geotransform and CRS) — the first file that differs is named. Outputs are written under
//! temporary names and renamed only once every one of them is complete; on any error none
//! appears.
//!
//! Memory: one decoded strip or tile row per open input file, the writers' buffers, and the
//! core's `N` rings of `size` padded rows and blocks of `N` planes — `N × width × window`,
//! never the height; all counted in the memory budget.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;

use despeckle::budget::StreamCosts;
use despeckle::temporal::SuperImage;
use despeckle::{BoxError, Options, PlaneSink, PlaneSource};
use despeckle_geotiff::{Completed, Predictor, ReaderOptions, WriterOptions};

use crate::outputs::Outputs;
use crate::planes::{AnyPlanes, PlanesSample};
use crate::registry::FilterSpec;
use crate::stream::{FileBand, Pixel};
use crate::{
    Error, FileOptions, Nodata, OutputCompression, OutputType, Progress, RasterInfo, Reader,
    Result, SampleType, Writer, compression_like, layout_like,
};

/// One date of a stack: a band (0-based) of a file, in a group of dates filtered together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Date {
    /// The GeoTIFF.
    pub path: PathBuf,
    /// The band, 0-based.
    pub band: usize,
    /// The group (0, 1, …): dates of different groups (VV and VH dates, say) are filtered
    /// apart, in the same pass. Every number up to the largest must be used.
    pub group: usize,
}

impl Date {
    /// The first band of `path`, in group 0.
    pub fn file(path: impl Into<PathBuf>) -> Date {
        Date {
            path: path.into(),
            band: 0,
            group: 0,
        }
    }
}

/// Where the filtered stack goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StackOutput {
    /// One single-band file per date, in the order of the dates, then the super image's file
    /// (one per group) if one is asked for.
    Files(Vec<PathBuf>),
    /// One multi-band file: the dates in order, then the super image (one band per group).
    Stack(PathBuf),
}

impl StackOutput {
    fn paths(&self) -> Vec<&Path> {
        match self {
            StackOutput::Files(p) => p.iter().map(PathBuf::as_path).collect(),
            StackOutput::Stack(p) => vec![p.as_path()],
        }
    }
}

/// What [`quegan_files`] did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StackReport {
    /// The inner filter (the local mean estimator).
    pub filter: &'static str,
    /// Image size.
    pub width: usize,
    /// Image size.
    pub height: usize,
    /// Number of dates.
    pub dates: usize,
    /// Groups of dates filtered apart.
    pub groups: usize,
    /// Output planes (the dates, and the super image of each group).
    pub out_planes: usize,
    /// The equivalent number of looks of each group's super image, estimated on the written
    /// output ([`despeckle::estimate::enl`]); `None` where no homogeneous block qualifies.
    pub super_enl: Vec<Option<f64>>,
    /// Output sample type.
    pub dtype: OutputType,
    /// The no-data value used.
    pub nodata: Option<f64>,
    /// Worker threads used.
    pub threads: usize,
    /// Bytes planned by the memory model.
    pub planned_bytes: usize,
    /// Memory budget.
    pub memory_budget: usize,
    /// Wall time.
    pub seconds: f64,
}

/// The grid tags that must agree between the dates.
fn grid_of(info: &RasterInfo) -> String {
    let g = &info.geo;
    format!(
        "size {} × {}, pixel scale {:?}, tie point {:?}, transformation {:?}, CRS keys {:?} \
         {:?} {:?}",
        info.width,
        info.height,
        g.model_pixel_scale,
        g.model_tiepoint,
        g.model_transformation,
        g.geo_key_directory,
        g.geo_double_params,
        g.geo_ascii_params
    )
}

/// What differs between two grids, in words.
fn grid_difference(a: &RasterInfo, b: &RasterInfo) -> String {
    if (a.width, a.height) != (b.width, b.height) {
        return format!(
            "it is {} × {}, the first date {} × {}",
            b.width, b.height, a.width, a.height
        );
    }
    let (ga, gb) = (&a.geo, &b.geo);
    if (
        &ga.model_pixel_scale,
        &ga.model_tiepoint,
        &ga.model_transformation,
    ) != (
        &gb.model_pixel_scale,
        &gb.model_tiepoint,
        &gb.model_transformation,
    ) {
        return format!(
            "its geotransform {:?} differs from the first date's {:?}",
            gb.geo_transform(),
            ga.geo_transform()
        );
    }
    "its CRS (GeoKeys) differs from the first date's".into()
}

/// Same no-data value (NaN equals NaN).
fn same_nodata(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        (None, None) => true,
        _ => false,
    }
}

/// Filters a stack of dates with the multi-temporal filter of Quegan & Yu, the inner filter
/// (`spec`, from the [registry](crate::registry)) as the local mean, into `out`; with
/// `super_image`, one more output after the dates.
///
/// Uses of `opts`: window options (`size`, `border`, `nodata`, `threads`, `max_memory`,
/// `block_rows`), output format (`dtype`, `compression`, `float_predictor`, `layout`,
/// `bigtiff`, `overwrite`, `sync`), `progress` (rows of every output plane) and `cancel`;
/// `bands`, `quicklook` and `cog` are refused.
pub fn quegan_files(
    dates: &[Date],
    out: &StackOutput,
    spec: &FilterSpec,
    super_image: Option<SuperImage>,
    opts: &FileOptions,
) -> Result<StackReport> {
    let t0 = Instant::now();
    let first_out = out
        .paths()
        .first()
        .map(|p| p.to_path_buf())
        .unwrap_or_default();
    let invalid = |path: &Path, detail: String| Error::Invalid {
        path: path.to_path_buf(),
        detail,
    };
    let Some(first) = dates.first() else {
        return Err(invalid(&first_out, "no input dates".into()));
    };
    if opts.bands.is_some() || opts.quicklook.is_some() || opts.cog {
        return Err(invalid(
            &first_out,
            "band selection, quick-looks and cloud-optimized output are not available for \
             stacks"
                .into(),
        ));
    }
    let n = dates.len();
    let groups: Vec<usize> = dates.iter().map(|d| d.group).collect();
    let group_count = groups.iter().max().map_or(1, |g| g + 1);
    let supers = if super_image.is_some() {
        group_count
    } else {
        0
    };
    let out_planes = n + supers;
    if let StackOutput::Files(paths) = out
        && paths.len() != out_planes
    {
        return Err(invalid(
            &first_out,
            format!(
                "{} output files for {n} dates{}: one per date{} is needed",
                paths.len(),
                if supers > 0 {
                    " and the super image"
                } else {
                    ""
                },
                if supers > 0 {
                    ", then one per group for the super image,"
                } else {
                    ""
                }
            ),
        ));
    }
    // the filter and the window options, checked before any file is opened
    let mut core = Options::new(opts.size)?
        .with_border(opts.border)
        .with_threads(opts.threads)
        .with_max_memory(opts.max_memory);
    core.validate()?;
    if let Some((name, _)) = spec.estimates().first() {
        return Err(Error::Parameter(despeckle::Error::param(
            name,
            "`auto` is not available for stacks: give a value",
        )));
    }
    let filter: Box<dyn AnyPlanes> = spec.build_any()?.quegan(super_image, groups.clone())?;
    filter.output_planes(n)?;

    // every input and output checked before anything is written
    let mut files: Vec<&Path> = Vec::new();
    for d in dates {
        if !files.contains(&d.path.as_path()) {
            files.push(&d.path);
        }
    }
    let outputs = Outputs::check(files.iter().copied(), out.paths(), opts.overwrite)?;
    let reader_opts = {
        let mut o = ReaderOptions::default();
        o.complex = opts.complex;
        o
    };
    let mut readers = Vec::with_capacity(files.len());
    for f in &files {
        readers.push(Reader::open_with(f, reader_opts.clone())?);
    }
    let index: HashMap<&Path, usize> = files.iter().enumerate().map(|(i, f)| (*f, i)).collect();
    let plane_reader: Vec<usize> = dates.iter().map(|d| index[d.path.as_path()]).collect();
    let info0 = readers[0].info().clone();
    let grid0 = grid_of(&info0);
    for (d, &r) in dates.iter().zip(&plane_reader) {
        let info = readers[r].info();
        if d.band >= info.bands {
            return Err(despeckle_geotiff::Error::BandOutOfRange {
                path: d.path.clone(),
                band: d.band,
                bands: info.bands,
            }
            .into());
        }
        if info.sample_type.is_complex() && opts.complex.is_none() {
            return Err(despeckle_geotiff::Error::ComplexModeRequired {
                path: d.path.clone(),
                sample_type: info.sample_type,
            }
            .into());
        }
        if grid_of(info) != grid0 {
            return Err(invalid(
                &d.path,
                format!(
                    "not on the grid of {}: {}; every date must share size, geotransform and \
                     CRS",
                    first.path.display(),
                    grid_difference(&info0, info)
                ),
            ));
        }
    }
    let nodata = match opts.nodata {
        Nodata::FromFile => {
            for (d, &r) in dates.iter().zip(&plane_reader) {
                let v = readers[r].info().nodata;
                if !same_nodata(v, info0.nodata) {
                    return Err(invalid(
                        &d.path,
                        format!(
                            "its no-data value {v:?} differs from {}'s {:?}; give one with \
                             --nodata",
                            first.path.display(),
                            info0.nodata
                        ),
                    ));
                }
            }
            info0.nodata
        }
        Nodata::None => None,
        Nodata::Value(v) => Some(v),
    };
    core = core.with_nodata(nodata.filter(|v| v.is_finite()));
    core.validate()?;
    filter.check_options(&core)?;
    let all_f64 = dates
        .iter()
        .zip(&plane_reader)
        .all(|(_, &r)| readers[r].info().sample_type == SampleType::F64);
    let dtype = opts.dtype.unwrap_or(if all_f64 {
        OutputType::F64
    } else {
        OutputType::F32
    });

    // the writers (temporary files until every one is complete)
    let compression = opts.compression.unwrap_or_else(|| compression_like(&info0));
    let layout = opts.layout.unwrap_or_else(|| layout_like(&info0));
    let writer_opts = |info: &RasterInfo, bands: &[usize]| {
        let mut w = WriterOptions::like(info);
        w.bands = bands.len();
        w.geo.gdal_metadata = info
            .geo
            .gdal_metadata
            .as_ref()
            .map(|xml| despeckle_geotiff::band_metadata::select_bands(xml, bands));
        w.sample_type = dtype;
        w.compression = compression;
        w.float_predictor = compression != OutputCompression::None
            && opts
                .float_predictor
                .unwrap_or(info.predictor != Predictor::None);
        w.layout = layout;
        w.bigtiff = opts.bigtiff;
        w.nodata = nodata;
        w.overwrite = opts.overwrite;
        w.sync = opts.sync;
        w.threads = opts.threads.unwrap_or(0).min(despeckle::budget::cores());
        w.inputs = outputs.inputs().to_vec();
        w
    };
    let mut writers = Vec::new();
    match out {
        StackOutput::Files(paths) => {
            for (k, path) in paths.iter().enumerate() {
                // a super image is like the first date of its group
                let d = dates
                    .get(k)
                    .or_else(|| dates.iter().find(|d| d.group == k - n))
                    .unwrap_or(first);
                let info = readers[index[d.path.as_path()]].info();
                writers.push(Writer::create(path, writer_opts(info, &[d.band]))?);
            }
        }
        StackOutput::Stack(path) => {
            let mut w = writer_opts(&info0, &[]);
            w.bands = out_planes;
            // band metadata only when every date is a band of one file
            w.geo.gdal_metadata = match (files.len(), &info0.geo.gdal_metadata) {
                (1, Some(xml)) => {
                    let bands: Vec<usize> = dates.iter().map(|d| d.band).collect();
                    Some(despeckle_geotiff::band_metadata::select_bands(xml, &bands))
                }
                _ => None,
            };
            writers.push(Writer::create(path, w)?);
        }
    }

    let (width, height) = (info0.width, info0.height);
    let costs = StreamCosts {
        fixed: readers.iter().map(Reader::chunk_row_bytes).sum::<usize>()
            + writers.iter().map(Writer::buffer_bound).sum::<usize>(),
        per_block_row: 0,
    };
    let bands: Vec<usize> = dates.iter().map(|d| d.band).collect();
    let mut source = StackSource {
        readers: &mut readers,
        plane_reader: &plane_reader,
        bands: &bands,
        width,
        height,
        error: None,
        cancel: opts.cancel.as_deref(),
    };
    let mut sink = StackSink {
        writers: &mut writers,
        planes: out_planes,
        width,
        done: 0,
        total: (height * out_planes) as u64,
        progress: opts.progress.as_deref(),
        error: None,
    };
    macro_rules! run {
        ($t:ty) => {{
            let plan = <$t as PlanesSample>::plan_stream(
                &*filter,
                width,
                height,
                n,
                &core,
                opts.block_rows,
                costs,
            )?;
            let result = <$t as PlanesSample>::stream_planes(
                &*filter,
                &mut source,
                &mut sink,
                &core,
                opts.block_rows,
            );
            (plan, result)
        }};
    }
    let (plan, result) = match dtype {
        OutputType::F32 => run!(f32),
        OutputType::F64 => run!(f64),
    };
    // the reader's or writer's own error names its file; the core's says what failed
    if let Some(e) = source.error.take().or(sink.error.take()) {
        return Err(e);
    }
    if opts
        .cancel
        .as_deref()
        .is_some_and(|c| c.load(Ordering::Relaxed))
    {
        return Err(Error::Cancelled { path: first_out });
    }
    result?;
    // complete every output, then rename them together
    let completed: Vec<Completed> = writers
        .into_iter()
        .map(Writer::complete)
        .collect::<std::result::Result<_, _>>()?;
    persist_all(completed)?;
    let super_enl = (0..supers)
        .map(|g| match out {
            StackOutput::Files(paths) => output_enl(&paths[n + g], 0, nodata),
            StackOutput::Stack(path) => output_enl(path, n + g, nodata),
        })
        .collect();
    Ok(StackReport {
        filter: spec.def().name,
        width,
        height,
        dates: n,
        groups: group_count,
        out_planes,
        super_enl,
        dtype,
        nodata,
        threads: plan.threads,
        planned_bytes: plan.bytes,
        memory_budget: plan.budget,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// The equivalent number of looks of `band` of a written output (intensities); `None` when
/// it cannot be estimated (no homogeneous block, or the file cannot be read back).
fn output_enl(path: &Path, band: usize, nodata: Option<f64>) -> Option<f64> {
    let mut reader = Reader::open(path).ok()?;
    let mut source = FileBand {
        reader: &mut reader,
        band,
        error: None,
        cancel: None,
    };
    despeckle::estimate::enl::<f64>(&mut source, nodata, despeckle::Domain::Intensity)
        .ok()
        .map(|e| e.enl)
}

/// Renames every completed output onto its path; if one rename fails, the outputs already
/// renamed are removed again (the rest are dropped, which removes their temporary files).
fn persist_all(completed: Vec<Completed>) -> Result<()> {
    let mut done: Vec<PathBuf> = Vec::new();
    let mut rest = completed.into_iter();
    for c in rest.by_ref() {
        let path = c.path().to_path_buf();
        if let Err(e) = c.persist() {
            for p in &done {
                let _ = std::fs::remove_file(p);
            }
            return Err(e.into());
        }
        done.push(path);
    }
    Ok(())
}

/// The dates' rows, read from the open files block by block (pixel-interleaved bands of one
/// file share each decoded block).
struct StackSource<'a> {
    readers: &'a mut [Reader],
    plane_reader: &'a [usize],
    bands: &'a [usize],
    width: usize,
    height: usize,
    error: Option<Error>,
    cancel: Option<&'a std::sync::atomic::AtomicBool>,
}

impl<T: Pixel> PlaneSource<T> for StackSource<'_> {
    fn width(&self) -> usize {
        self.width
    }
    fn height(&self) -> usize {
        self.height
    }
    fn planes(&self) -> usize {
        self.bands.len()
    }
    fn read_planes(
        &mut self,
        y0: usize,
        rows: usize,
        bufs: &mut [&mut [T]],
    ) -> std::result::Result<(), BoxError> {
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err("cancelled".into());
        }
        let w = self.width;
        let mut y = y0;
        while y < y0 + rows {
            // one block of the first date's file at a time
            let bh = self.readers[self.plane_reader[0]].block_height().max(1);
            let stop = ((y / bh + 1) * bh).min(y0 + rows);
            for (p, buf) in bufs.iter_mut().enumerate() {
                let reader = &mut self.readers[self.plane_reader[p]];
                let dst = &mut buf[(y - y0) * w..(stop - y0) * w];
                if let Err(e) = reader.read_rows(self.bands[p], y, dst) {
                    let text = e.to_string();
                    self.error = Some(e.into());
                    return Err(text.into());
                }
            }
            y = stop;
        }
        Ok(())
    }
}

/// The output planes' rows, to one writer per plane or one multi-band writer.
struct StackSink<'a> {
    writers: &'a mut [Writer],
    planes: usize,
    width: usize,
    done: u64,
    total: u64,
    progress: Option<&'a (dyn Fn(Progress) + Send + Sync)>,
    error: Option<Error>,
}

impl<T: Pixel> PlaneSink<T> for StackSink<'_> {
    fn planes(&self) -> usize {
        self.planes
    }
    fn write_planes(&mut self, _y0: usize, rows: &[&[T]]) -> std::result::Result<(), BoxError> {
        let one_file = self.writers.len() == 1 && self.planes > 1;
        for (p, r) in rows.iter().enumerate() {
            let (writer, band) = if one_file {
                (&mut self.writers[0], p)
            } else {
                (&mut self.writers[p], 0)
            };
            if let Err(e) = writer.write_rows(band, r) {
                let text = e.to_string();
                self.error = Some(e.into());
                return Err(text.into());
            }
            self.done += (r.len() / self.width.max(1)) as u64;
        }
        if let Some(progress) = self.progress {
            progress(Progress {
                done: self.done,
                total: self.total,
            });
        }
        Ok(())
    }
}
