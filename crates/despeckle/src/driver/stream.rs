//! The streaming driver: rows pulled from a source, filtered block by block, pushed to a sink.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::{Workers, bands, budget, builder, geometry, split_rows};
use crate::border::Source;
use crate::engine::{BandIo, Filter, REFRESH_ROWS, run_band};
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

/// Input rows available to the bands of one block.
struct Cache<T> {
    /// Rows `lo .. lo + rows.len() / width`.
    rows: Vec<T>,
    lo: usize,
    /// Rows outside that range that a border mode maps to.
    extra: BTreeMap<usize, Vec<T>>,
    width: usize,
}

impl<T: Sample> Cache<T> {
    fn hi(&self) -> usize {
        self.lo + self.rows.len() / self.width
    }

    fn row(&self, m: usize) -> &[T] {
        if (self.lo..self.hi()).contains(&m) {
            let s = (m - self.lo) * self.width;
            &self.rows[s..s + self.width]
        } else {
            &self.extra[&m]
        }
    }

    /// Makes rows `lo..hi` resident, keeping the overlap with what is already there.
    fn advance(&mut self, lo: usize, hi: usize, src: &mut impl RowSource<T>) -> Result<()> {
        let w = self.width;
        let keep_from = lo.max(self.lo).min(self.hi());
        let kept = self.hi() - keep_from;
        self.rows.drain(..(keep_from - self.lo) * w);
        self.lo = keep_from;
        if kept == 0 {
            self.lo = lo;
        }
        let have = self.hi();
        let len = (hi - self.lo) * w;
        // exactly: `resize` alone may double the capacity, past the memory model's count
        self.rows.reserve_exact(len.saturating_sub(self.rows.len()));
        self.rows.resize(len, T::default());
        if hi > have {
            let start = (have - self.lo) * w;
            src.read_rows(have, &mut self.rows[start..])
                .map_err(Error::Stream)?;
        }
        Ok(())
    }
}

struct StreamBand<'a, T> {
    cache: &'a Cache<T>,
    out: &'a mut [T],
    y0: usize,
    width: usize,
}

impl<T: Sample> BandIo<T> for StreamBand<'_, T> {
    fn input_row(&self, m: usize) -> &[T] {
        self.cache.row(m)
    }
    fn output_row(&mut self, y: usize, row: &[T]) {
        let s = (y - self.y0) * self.width;
        self.out[s..s + self.width].copy_from_slice(row);
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
    builder::<T, F>(filter, width, height, opts)?;
    let g = geometry::<T, F>(filter, width, height, opts);
    budget::plan_stream(&g, opts, block_rows, costs)
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
    let (width, height) = (source.width(), source.height());
    let b = builder::<T, F>(filter, width, height, opts)?;
    if width == 0 || height == 0 {
        return Ok(());
    }
    let h = b.radius;
    let plan = plan_stream::<T, F>(filter, width, height, opts, block_rows, Default::default())?;
    let workers = Workers::new(&plan)?;
    {
        let threads = workers.count();
        let block = plan.block_rows.unwrap_or(REFRESH_ROWS);
        let mut cache = Cache {
            // room for a block and its halo from the start: growing it would hold two copies
            rows: Vec::with_capacity((block + 2 * h).min(height) * width),
            lo: 0,
            extra: BTreeMap::new(),
            width,
        };
        let mut out = vec![T::default(); block.min(height) * width];
        for b0 in (0..height).step_by(block) {
            let b1 = (b0 + block).min(height);
            let (lo, hi) = (b0.saturating_sub(h), (b1 + h).min(height));
            cache.advance(lo, hi, source)?;
            // Rows a border mode maps from outside the resident range.
            let mut extra = BTreeMap::new();
            for p in b0 as isize - h as isize..(b1 + h) as isize {
                if let Source::Inside(m) = b.source_row(p)
                    && !(lo..hi).contains(&m)
                    && !extra.contains_key(&m)
                {
                    let row = match cache.extra.remove(&m) {
                        Some(row) => row,
                        None => {
                            let mut row = vec![T::default(); width];
                            source.read_rows(m, &mut row).map_err(Error::Stream)?;
                            row
                        }
                    };
                    extra.insert(m, row);
                }
            }
            cache.extra = extra;

            let plan: Vec<(usize, usize)> = bands(b1 - b0, threads)
                .into_iter()
                .map(|(a, z)| (a + b0, z + b0))
                .collect();
            let rows = &mut out[..(b1 - b0) * width];
            let parts = split_rows(rows, width, &plan);
            let cache_ref = &cache;
            workers.install(|| {
                plan.into_par_iter()
                    .zip(parts)
                    .for_each(|((y0, y1), part)| {
                        let mut io = StreamBand {
                            cache: cache_ref,
                            out: part,
                            y0,
                            width,
                        };
                        run_band(filter, &b, y0, y1, &mut io);
                    })
            });
            sink.write_rows(b0, &out[..(b1 - b0) * width])
                .map_err(Error::Stream)?;
        }
    }
    Ok(())
}
