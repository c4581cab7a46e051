//! Drivers: who reads the input rows and where the output rows go.
//!
//! * [`filter`]: input image → separate output image;
//! * [`filter_in_place`]: one buffer, overwritten with the result (no image-sized copy);
//! * [`filter_stream`]: rows pulled from a [`RowSource`] and pushed to a [`RowSink`] in blocks,
//!   for files larger than memory.
//!
//! All three split rows into bands (multiples of [`REFRESH_ROWS`]) processed in parallel with
//! rayon and give bit-identical results, whatever the number of threads. How many workers and
//! how many rows per streamed block fit the memory budget is decided in [`budget`] first.

pub mod budget;
mod memory;
mod stream;

pub use memory::{
    filter, filter_in_place, filter_planes, filter_planes_in_place, plan, plan_in_place,
    plan_planes,
};
pub use stream::{
    BoxError, PlaneSink, PlaneSource, Planes, RowSink, RowSource, filter_stream,
    filter_stream_blocks, filter_stream_planes, plan_stream, plan_stream_planes,
};

use crate::engine::ring::RowBuilder;
use crate::engine::{Kernel, Layout, REFRESH_ROWS};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::sample::Sample;

/// How far (rows and columns, on each side) a tile of an image must extend beyond the part of
/// the output kept from it for that part to be the whole image's result bit for bit (the
/// overlap of `dask.array.map_overlap`): the filter's window radius, plus for a filter with
/// row-to-row state ([`MultiFilter::warmup`](crate::MultiFilter::warmup) > 0) its warm-up and one period of
/// [`REFRESH_ROWS`] rows, as bands start on multiples of it.
///
/// ```
/// use despeckle::{Mean, Options, Ppb, halo};
/// assert_eq!(halo(&Mean, &Options::new(7)?), 3);
/// let ppb = Ppb::new(1.0)?;
/// assert_eq!(halo(&ppb, &Options::new(7)?), ppb.reach() + ppb.warmup() + 16);
/// # Ok::<(), despeckle::Error>(())
/// ```
pub fn halo<F: crate::MultiFilter + ?Sized>(filter: &F, opts: &Options) -> usize {
    let warmup = filter.warmup(opts);
    filter.radius(opts) + if warmup > 0 { warmup + REFRESH_ROWS } else { 0 }
}

/// The engine's row geometry for an image of this size and number of planes under these
/// options, after checking the options and that the filter accepts them.
pub(crate) fn layout<T: Sample>(
    filter: &dyn Kernel<T>,
    width: usize,
    height: usize,
    planes: usize,
    opts: &Options,
) -> Result<Layout> {
    opts.validate()?;
    filter.check_options(opts)?;
    if planes == 0 {
        return Err(Error::InvalidImage(
            "an image needs at least one plane".into(),
        ));
    }
    let out_planes = filter.output_planes(planes)?;
    // A finite value the image type cannot hold would become ±∞ (an infinite border value
    // in every window, a no-data value that matches nothing): refused.
    let fits = |name: &'static str, what: &str, v: f64| {
        if v.is_finite() && !T::from_f64(v).to_f64().is_finite() {
            Err(Error::param(
                name,
                format!(
                    "{what} {v:e} is not representable in {} data (largest value {:?})",
                    T::NAME,
                    T::from_f64(T::MAX)
                ),
            ))
        } else {
            Ok(())
        }
    };
    if let crate::Border::Constant(v) = opts.border() {
        fits("border", "the constant", v)?;
    }
    if let Some(v) = opts.nodata() {
        fits("nodata", "the value", v)?;
    }
    let builder = RowBuilder {
        width,
        height,
        radius: filter.radius(opts),
        border: opts.border(),
        // Compare with the value as the image type stores it (e.g. a GDAL no-data of 1e-30
        // read into float32).
        nodata: opts.nodata().map(|v| T::from_f64(v).to_f64()),
    };
    Ok(Layout {
        builder,
        planes,
        out_planes,
        validity: filter.validity(),
        warmup: filter.warmup(opts),
        delay: filter.delay(opts).min(filter.radius(opts)),
        uses_sums: filter.uses_sums(),
        column_tasks: filter.column_tasks(width, opts),
    })
}

/// The memory model's view of an image of this size filtered by `filter` in type `T`.
pub(crate) fn geometry<T: Sample>(filter: &dyn Kernel<T>, layout: &Layout) -> budget::Geometry {
    let b = &layout.builder;
    let size = 2 * b.radius + 1;
    budget::Geometry {
        width: b.width,
        height: b.height,
        size,
        sample_bytes: std::mem::size_of::<T>(),
        scratch_bytes: filter.scratch_bytes(b.width, size, layout.planes),
        planes: layout.planes,
        out_planes: layout.out_planes,
        warmup_rows: if layout.warmup == 0 {
            0
        } else {
            layout.warmup + REFRESH_ROWS - 1
        },
        sums: layout.uses_sums,
        column_tasks: layout.column_tasks,
    }
}

/// The bands of rows `0..height` of a run laid out as `lay` on `threads` workers: for a filter
/// that splits its rows' work over the workers itself, [`budget::bands_in_parallel`] bands (one
/// when it has at least two parts per worker), else [`bands`].
pub(crate) fn band_plan(lay: &Layout, height: usize, threads: usize) -> Vec<(usize, usize)> {
    if lay.column_tasks <= 1 {
        bands(height, threads)
    } else {
        split(height, budget::bands_in_parallel(lay.column_tasks, threads))
    }
}

/// Whether the streaming driver runs one band over the whole image, carried from block to
/// block (its warm-up paid once, not per block): for a filter with [`band_plan`]'s single band,
/// one that splits each row's work into at least two tasks per worker.
pub(crate) fn carried(lay: &Layout, threads: usize) -> bool {
    lay.column_tasks > 1 && budget::bands_in_parallel(lay.column_tasks, threads) == 1
}

/// Splits rows `0..height` into bands for `threads` workers (four per worker, so that a worker
/// done early takes another), each starting at a multiple of [`REFRESH_ROWS`].
pub(crate) fn bands(height: usize, threads: usize) -> Vec<(usize, usize)> {
    split(height, threads * 4)
}

/// Splits rows `0..height` into at most `n` bands of equal height (the last one shorter), each
/// starting at a multiple of [`REFRESH_ROWS`].
fn split(height: usize, n: usize) -> Vec<(usize, usize)> {
    let rows = height.div_ceil(n.max(1)).div_ceil(REFRESH_ROWS) * REFRESH_ROWS;
    let rows = rows.max(REFRESH_ROWS);
    (0..height)
        .step_by(rows)
        .map(|y0| (y0, (y0 + rows).min(height)))
        .collect()
}

/// The worker threads of one call: rayon's global pool when it has the planned size, else a
/// pool of that size.
pub(crate) struct Workers(Option<rayon::ThreadPool>);

impl Workers {
    /// Workers for a [`budget::Plan`].
    pub fn new(plan: &budget::Plan) -> Result<Self> {
        let n = plan.threads;
        if n == rayon::current_num_threads() {
            return Ok(Workers(None));
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map(|p| Workers(Some(p)))
            .map_err(|e| Error::param("threads", format!("cannot start {n} threads: {e}")))
    }

    /// Number of workers.
    pub fn count(&self) -> usize {
        match &self.0 {
            Some(p) => p.current_num_threads(),
            None => rayon::current_num_threads(),
        }
    }

    /// Runs `f` (which may use rayon's parallel iterators) on these workers.
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match &self.0 {
            Some(p) => p.install(f),
            None => f(),
        }
    }
}

/// Splits a row-major buffer (rows of `stride`) into the parts holding each band's rows.
pub(crate) fn split_rows<'a, T>(
    mut data: &'a mut [T],
    stride: usize,
    bands: &[(usize, usize)],
) -> Vec<&'a mut [T]> {
    let mut parts = Vec::with_capacity(bands.len());
    for (i, &(y0, y1)) in bands.iter().enumerate() {
        let take = if i + 1 == bands.len() {
            data.len()
        } else {
            (y1 - y0) * stride
        };
        let (part, rest) = data.split_at_mut(take);
        parts.push(part);
        data = rest;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_cover_all_rows_at_refresh_boundaries() {
        for height in [1, 5, 16, 17, 100, 1000, 10_001] {
            for threads in [1, 2, 7] {
                let b = bands(height, threads);
                assert!(b.len() <= 4 * threads);
                assert_eq!(b[0].0, 0);
                assert_eq!(b.last().unwrap().1, height);
                for w in b.windows(2) {
                    assert_eq!(w[0].1, w[1].0);
                }
                assert!(b.iter().all(|&(y0, y1)| y0 % REFRESH_ROWS == 0 && y0 < y1));
            }
        }
    }

    #[test]
    fn split_gives_at_most_n_bands_of_equal_height() {
        assert_eq!(split(10_000, 1), vec![(0, 10_000)]);
        assert_eq!(split(1000, 2), vec![(0, 512), (512, 1000)]);
        assert_eq!(
            split(600, 4),
            vec![(0, 160), (160, 320), (320, 480), (480, 600)]
        );
        // never a band shorter than the refresh period but the last
        assert_eq!(split(40, 8), vec![(0, 16), (16, 32), (32, 40)]);
    }
}
