//! The streaming driver: rows pulled from a source, filtered block by block, pushed to a sink.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::{Workers, band_plan, budget, carried, geometry, layout, split_rows};
use crate::border::Source;
use crate::engine::{BandIo, BandRun, Filter, Kernel, Layout, MultiFilter, REFRESH_ROWS, run_band};
use crate::error::{Error, Result};
use crate::image::{ImageMut, ImageRef};
use crate::options::Options;
use crate::sample::Sample;

/// The error type of row sources and sinks.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Where the streaming driver reads input rows (e.g. a file decoded strip by strip).
///
/// Rows are requested mostly in increasing order, each about once; a border mode may ask for a
/// few rows out of order (`wrap` reads the last rows first).
pub trait RowSource<T> {
    /// Image width.
    fn width(&self) -> usize;
    /// Image height.
    fn height(&self) -> usize;
    /// Reads rows `y0 .. y0 + buf.len() / width` into `buf` (row-major, no padding).
    fn read_rows(&mut self, y0: usize, buf: &mut [T]) -> Result<(), BoxError>;
}

/// Where the streaming driver writes output rows, in increasing order.
pub trait RowSink<T> {
    /// Receives rows `y0 .. y0 + rows.len() / width` (row-major, no padding).
    fn write_rows(&mut self, y0: usize, rows: &[T]) -> Result<(), BoxError>;
}

impl<T, S: RowSource<T> + ?Sized> RowSource<T> for &mut S {
    fn width(&self) -> usize {
        (**self).width()
    }
    fn height(&self) -> usize {
        (**self).height()
    }
    fn read_rows(&mut self, y0: usize, buf: &mut [T]) -> Result<(), BoxError> {
        (**self).read_rows(y0, buf)
    }
}

impl<T, S: RowSink<T> + ?Sized> RowSink<T> for &mut S {
    fn write_rows(&mut self, y0: usize, rows: &[T]) -> Result<(), BoxError> {
        (**self).write_rows(y0, rows)
    }
}

impl<T: Sample> RowSource<T> for ImageRef<'_, T> {
    fn width(&self) -> usize {
        ImageRef::width(self)
    }
    fn height(&self) -> usize {
        ImageRef::height(self)
    }
    fn read_rows(&mut self, y0: usize, buf: &mut [T]) -> Result<(), BoxError> {
        let w = ImageRef::width(self);
        for (i, dst) in buf.chunks_exact_mut(w).enumerate() {
            dst.copy_from_slice(self.row(y0 + i));
        }
        Ok(())
    }
}

impl<T: Sample> RowSink<T> for ImageMut<'_, T> {
    fn write_rows(&mut self, y0: usize, rows: &[T]) -> Result<(), BoxError> {
        let w = self.width();
        for (i, src) in rows.chunks_exact(w).enumerate() {
            self.row_mut(y0 + i).copy_from_slice(src);
        }
        Ok(())
    }
}

/// Where the streaming driver reads the rows of an image of several planes (see
/// [`filter_stream_planes`]): every plane's rows of a range in one call, so that a source
/// whose planes are interleaved decodes each block once.
///
/// [`Planes`] makes one from a single-plane [`RowSource`] per plane.
pub trait PlaneSource<T> {
    /// Image width.
    fn width(&self) -> usize;
    /// Image height.
    fn height(&self) -> usize;
    /// Number of planes.
    fn planes(&self) -> usize;
    /// Reads rows `y0 .. y0 + rows` of every plane: `bufs[i]` receives plane `i`'s rows
    /// (row-major, `rows · width` samples).
    fn read_planes(
        &mut self,
        y0: usize,
        rows: usize,
        bufs: &mut [&mut [T]],
    ) -> Result<(), BoxError>;
}

/// Where the streaming driver writes the output rows of every plane, in increasing order.
pub trait PlaneSink<T> {
    /// Number of planes it takes.
    fn planes(&self) -> usize;
    /// Receives rows `y0 .. y0 + rows` of every output plane (`rows[i]`: plane `i`).
    fn write_planes(&mut self, y0: usize, rows: &[&[T]]) -> Result<(), BoxError>;
}

/// One [`RowSource`] or [`RowSink`] per plane, as a [`PlaneSource`] or [`PlaneSink`].
#[derive(Debug)]
pub struct Planes<S>(pub Vec<S>);

impl<T, S: RowSource<T>> PlaneSource<T> for Planes<S> {
    fn width(&self) -> usize {
        self.0.first().map_or(0, |s| s.width())
    }
    fn height(&self) -> usize {
        self.0.first().map_or(0, |s| s.height())
    }
    fn planes(&self) -> usize {
        self.0.len()
    }
    fn read_planes(
        &mut self,
        y0: usize,
        _rows: usize,
        bufs: &mut [&mut [T]],
    ) -> Result<(), BoxError> {
        for (src, buf) in self.0.iter_mut().zip(bufs.iter_mut()) {
            src.read_rows(y0, buf)?;
        }
        Ok(())
    }
}

impl<T, S: RowSink<T>> PlaneSink<T> for Planes<S> {
    fn planes(&self) -> usize {
        self.0.len()
    }
    fn write_planes(&mut self, y0: usize, rows: &[&[T]]) -> Result<(), BoxError> {
        for (sink, rows) in self.0.iter_mut().zip(rows) {
            sink.write_rows(y0, rows)?;
        }
        Ok(())
    }
}

/// Input rows available to the bands of one block, for every plane.
struct Cache<T> {
    /// Rows `lo .. lo + rows[i].len() / width` of plane `i`.
    rows: Vec<Vec<T>>,
    lo: usize,
    /// Rows outside that range that a border mode maps to (one row per plane).
    extra: BTreeMap<usize, Vec<Vec<T>>>,
    width: usize,
}

impl<T: Sample> Cache<T> {
    fn hi(&self) -> usize {
        self.lo + self.rows[0].len() / self.width
    }

    fn row(&self, plane: usize, m: usize) -> &[T] {
        if (self.lo..self.hi()).contains(&m) {
            let s = (m - self.lo) * self.width;
            &self.rows[plane][s..s + self.width]
        } else {
            &self.extra[&m][plane]
        }
    }

    /// Makes rows `lo..hi` resident, keeping the overlap with what is already there.
    fn advance(&mut self, lo: usize, hi: usize, src: &mut dyn PlaneSource<T>) -> Result<()> {
        let w = self.width;
        let keep_from = lo.max(self.lo).min(self.hi());
        let kept = self.hi() - keep_from;
        for rows in &mut self.rows {
            rows.drain(..(keep_from - self.lo) * w);
        }
        self.lo = keep_from;
        if kept == 0 {
            self.lo = lo;
        }
        let have = self.hi();
        let len = (hi - self.lo) * w;
        for rows in &mut self.rows {
            // exactly: `resize` alone may double the capacity, past the memory model's count
            rows.reserve_exact(len.saturating_sub(rows.len()));
            rows.resize(len, T::default());
        }
        if hi > have {
            let start = (have - self.lo) * w;
            let mut bufs: Vec<&mut [T]> = self.rows.iter_mut().map(|r| &mut r[start..]).collect();
            src.read_planes(have, hi - have, &mut bufs)
                .map_err(Error::Stream)?;
        }
        Ok(())
    }
}

struct StreamBand<'a, T> {
    cache: &'a Cache<T>,
    out: Vec<&'a mut [T]>,
    y0: usize,
    width: usize,
}

impl<T: Sample> BandIo<T> for StreamBand<'_, T> {
    fn input_row(&self, plane: usize, m: usize) -> &[T] {
        self.cache.row(plane, m)
    }
    fn output_row(&mut self, plane: usize, y: usize, row: &[T]) {
        let s = (y - self.y0) * self.width;
        self.out[plane][s..s + self.width].copy_from_slice(row);
    }
}

/// How [`filter_stream_blocks`] would run an image of this size (workers, rows per block,
/// bytes by the [memory model](budget)), with the caller's own `costs` counted in the budget;
/// [`Error::MemoryBudget`] if even one worker with one band of rows does not fit.
pub fn plan_stream<T: Sample, F: Filter>(
    filter: &F,
    width: usize,
    height: usize,
    opts: &Options,
    block_rows: Option<usize>,
    costs: budget::StreamCosts,
) -> Result<budget::Plan> {
    plan_stream_planes::<T, F>(filter, width, height, 1, opts, block_rows, costs)
}

/// [`plan_stream`] for an image of `planes` planes ([`filter_stream_planes`]).
pub fn plan_stream_planes<T: Sample, F: MultiFilter>(
    filter: &F,
    width: usize,
    height: usize,
    planes: usize,
    opts: &Options,
    block_rows: Option<usize>,
    costs: budget::StreamCosts,
) -> Result<budget::Plan> {
    let filter: &dyn Kernel<T> = filter;
    let lay = layout(filter, width, height, planes, opts)?;
    stream_plan(filter, &lay, opts, block_rows, costs)
}

/// The plan of [`plan_stream_planes`] for an image already laid out.
fn stream_plan<T: Sample>(
    filter: &dyn Kernel<T>,
    lay: &Layout,
    opts: &Options,
    block_rows: Option<usize>,
    costs: budget::StreamCosts,
) -> Result<budget::Plan> {
    budget::plan_stream(&geometry(filter, lay), opts, block_rows, costs)
}

/// Filters an image pulled row by row from `source` and pushes the result to `sink`.
///
/// Memory is bounded by the width: a block of input rows (about 16 MiB, at least
/// `32 × threads` rows, fewer if the memory budget requires) plus `size − 1` halo rows, the
/// block's output rows, and per worker the engine's ring of `size` padded rows — never by the
/// height (see [`budget`]). The result equals [`filter`](super::filter) on the whole image
/// bit for bit.
pub fn filter_stream<T: Sample, F: Filter>(
    filter: &F,
    source: &mut impl RowSource<T>,
    sink: &mut impl RowSink<T>,
    opts: &Options,
) -> Result<()> {
    filter_stream_blocks(filter, source, sink, opts, None)
}

/// [`filter_stream`] with a chosen number of rows per block (rounded up to a multiple of
/// [`REFRESH_ROWS`], lowered if the memory budget requires; `None`: about 16 MiB of input per
/// block). Smaller blocks use less memory; the result does not depend on the block size.
pub fn filter_stream_blocks<T: Sample, F: Filter>(
    filter: &F,
    source: &mut impl RowSource<T>,
    sink: &mut impl RowSink<T>,
    opts: &Options,
    block_rows: Option<usize>,
) -> Result<()> {
    filter_stream_planes(
        filter,
        &mut Planes(vec![source]),
        &mut Planes(vec![sink]),
        opts,
        block_rows,
    )
}

/// [`filter_stream_blocks`] for an image of several planes, read in lockstep from `source`;
/// the output planes ([`MultiFilter::output_planes`]) go to `sink`. The result equals
/// [`filter_planes`](super::filter_planes) bit for bit.
pub fn filter_stream_planes<T: Sample, F: MultiFilter>(
    filter: &F,
    source: &mut impl PlaneSource<T>,
    sink: &mut impl PlaneSink<T>,
    opts: &Options,
    block_rows: Option<usize>,
) -> Result<()> {
    stream(filter, source, sink, opts, block_rows)
}

/// [`filter_stream_planes`], compiled once per sample type.
fn stream<T: Sample>(
    filter: &dyn Kernel<T>,
    source: &mut dyn PlaneSource<T>,
    sink: &mut dyn PlaneSink<T>,
    opts: &Options,
    block_rows: Option<usize>,
) -> Result<()> {
    let (width, height, planes) = (source.width(), source.height(), source.planes());
    let lay = layout(filter, width, height, planes, opts)?;
    if sink.planes() != lay.out_planes {
        return Err(Error::InvalidImage(format!(
            "{} gives {} output planes from {planes} input planes; the output takes {}",
            filter.name(),
            lay.out_planes,
            sink.planes()
        )));
    }
    if width == 0 || height == 0 {
        return Ok(());
    }
    let h = lay.builder.radius;
    let plan = stream_plan(filter, &lay, opts, block_rows, Default::default())?;
    let workers = Workers::new(&plan)?;
    stream_blocks(filter, &lay, source, sink, opts, &plan, &workers, h)
}

/// The block loop of [`filter_stream_planes`].
#[allow(clippy::too_many_arguments)]
fn stream_blocks<T: Sample>(
    filter: &dyn Kernel<T>,
    lay: &Layout,
    source: &mut dyn PlaneSource<T>,
    sink: &mut dyn PlaneSink<T>,
    opts: &Options,
    plan: &budget::Plan,
    workers: &Workers,
    h: usize,
) -> Result<()> {
    let (width, height) = (lay.builder.width, lay.builder.height);
    let threads = workers.count();
    let block = plan.block_rows.unwrap_or(REFRESH_ROWS);
    // rows above a block that its first band reads (halo and warm-up)
    let above = |b0: usize| (b0 as isize - lay.start(b0)) as usize + h;
    let mut cache = Cache {
        // room for a block and its halo from the start: growing it would hold two copies
        rows: (0..lay.planes)
            .map(|_| Vec::with_capacity((block + above(block) + h).min(height) * width))
            .collect(),
        lo: 0,
        extra: BTreeMap::new(),
        width,
    };
    let mut out: Vec<Vec<T>> = (0..lay.out_planes)
        .map(|_| vec![T::default(); block.min(height) * width])
        .collect();
    // One band over the whole image, carried from block to block: its warm-up is paid once.
    // It reads `delay` rows further down than the block's output needs, ahead of its lag.
    let mut carry = carried(lay, threads).then(|| BandRun::new(filter, lay, opts, 0, height));
    let lag = if carry.is_some() { lay.delay } else { 0 };
    for b0 in (0..height).step_by(block) {
        let b1 = (b0 + block).min(height);
        // the first row read: the carried band has read every row above `b0` but needs the
        // block's own rows again to restore no-data pixels
        let first = if carry.is_some() && b0 > 0 {
            b0 as isize
        } else {
            lay.start(b0) - h as isize
        };
        let (lo, hi) = (first.max(0) as usize, (b1 + h + lag).min(height));
        cache.advance(lo, hi, source)?;
        // Rows a border mode maps from outside the resident range.
        let mut extra = BTreeMap::new();
        for p in first..(b1 + h + lag) as isize {
            if let Source::Inside(m) = lay.builder.source_row(p)
                && !(lo..hi).contains(&m)
                && !extra.contains_key(&m)
            {
                let rows = match cache.extra.remove(&m) {
                    Some(rows) => rows,
                    None => {
                        let mut rows = vec![vec![T::default(); width]; lay.planes];
                        let mut bufs: Vec<&mut [T]> =
                            rows.iter_mut().map(|r| r.as_mut_slice()).collect();
                        source.read_planes(m, 1, &mut bufs).map_err(Error::Stream)?;
                        rows
                    }
                };
                extra.insert(m, rows);
            }
        }
        cache.extra = extra;

        if let Some(band) = &mut carry {
            let mut io = StreamBand {
                cache: &cache,
                out: out
                    .iter_mut()
                    .map(|p| &mut p[..(b1 - b0) * width])
                    .collect(),
                y0: b0,
                width,
            };
            workers.install(|| band.advance(b1, &mut io));
        } else {
            run_bands(filter, lay, opts, workers, &cache, &mut out, (b0, b1));
        }
        let rows: Vec<&[T]> = out.iter().map(|p| &p[..(b1 - b0) * width]).collect();
        sink.write_planes(b0, &rows).map_err(Error::Stream)?;
    }
    Ok(())
}

/// Output rows `b0..b1` of one block, in bands run in parallel from the resident rows.
fn run_bands<T: Sample>(
    filter: &dyn Kernel<T>,
    lay: &Layout,
    opts: &Options,
    workers: &Workers,
    cache: &Cache<T>,
    out: &mut [Vec<T>],
    (b0, b1): (usize, usize),
) {
    let width = lay.builder.width;
    let bands_plan: Vec<(usize, usize)> = band_plan(lay, b1 - b0, workers.count())
        .into_iter()
        .map(|(a, z)| (a + b0, z + b0))
        .collect();
    let mut per_band: Vec<Vec<&mut [T]>> = bands_plan.iter().map(|_| Vec::new()).collect();
    for plane in out.iter_mut() {
        let rows = &mut plane[..(b1 - b0) * width];
        for (b, part) in split_rows(rows, width, &bands_plan).into_iter().enumerate() {
            per_band[b].push(part);
        }
    }
    workers.install(|| {
        bands_plan
            .par_iter()
            .zip(per_band)
            .for_each(|(&(y0, y1), out)| {
                let mut io = StreamBand {
                    cache,
                    out,
                    y0,
                    width,
                };
                run_band(filter, lay, opts, y0, y1, &mut io);
            })
    });
}
