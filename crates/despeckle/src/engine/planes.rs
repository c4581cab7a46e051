//! Filters of several planes at once: the engine's general interface.
//!
//! An image of `k` planes (the `k²` real elements of a polarimetric matrix, the dates of a
//! time series, the bands of a multi-band file) runs through the same row loop as a
//! single-channel image: one ring and one set of window sums per plane, filled from the same
//! rows with the same border and no-data rules. A [`MultiFilter`] sees the window statistics
//! of every plane of an output row at once ([`PlanesContext`]) and writes one row per output
//! plane. Every single-plane [`Filter`] is a `MultiFilter` that filters each plane on its own.
//!
//! Filters that need state carried from row to row (running sums over patches, rows of an
//! earlier pass kept for a later one) declare it as [`MultiFilter::State`]; the engine starts
//! each band of rows [`MultiFilter::warmup`] rows early (rounded down to a multiple of
//! [`REFRESH_ROWS`](super::REFRESH_ROWS)), without output, so that the state at every row is
//! the same whatever row the band started at.

use super::{Filter, RowContext};
use crate::options::Options;
use crate::sample::Sample;

/// Which pixels count as valid when an image has several planes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// Each plane has its own no-data (the dates of a time series).
    PerPlane,
    /// A pixel is no-data in every plane if it is in any (the elements of a polarimetric
    /// matrix: the filter's decision is shared by all of them).
    Joint,
}

/// What the engine knows about one output row of every plane, given to
/// [`MultiFilter::filter_rows`].
#[derive(Debug)]
pub struct PlanesContext<'a> {
    /// The row index in the image; negative for warm-up rows above the image.
    pub y: isize,
    /// Whether this row's output is kept: `false` for the warm-up rows a band runs through
    /// before its first output row (see [`MultiFilter::warmup`]).
    pub output: bool,
    /// The image height (rows `0..height`; the window's rows outside follow the border mode).
    pub height: usize,
    /// Each input plane's window statistics and values for this row (`planes[i].y` is `y`
    /// clamped at 0). The window sums (`count`, `sum`, `sum_sq`) are empty slices when the
    /// filter does not use them ([`MultiFilter::uses_sums`]).
    pub planes: &'a [RowContext<'a>],
}

impl PlanesContext<'_> {
    /// The image width.
    pub fn width(&self) -> usize {
        self.planes.first().map_or(0, RowContext::width)
    }
}

/// A filter of `k` planes computing output rows from every plane's window.
///
/// The engine calls [`MultiFilter::filter_rows`] once per row, top to bottom within a band of
/// rows, with one [`RowContext`] per input plane, and stores one row per output plane. When the
/// filter has as many output planes as input planes, output pixels whose input is no-data
/// (in that plane, or in any plane with [`Validity::Joint`]) are replaced by the input value,
/// as for single-plane filters; otherwise the filter's own values are kept everywhere.
///
/// Every [`Filter`] is a `MultiFilter` of `k` planes in, `k` planes out, filtering each plane
/// on its own, with no state.
pub trait MultiFilter: Sync {
    /// State carried from row to row within one band of rows (`()` for stateless filters).
    type State: Send;

    /// The filter's name, as in the CLI.
    fn name(&self) -> &'static str;

    /// The number of output planes for `planes` input planes, or an
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if the filter does not
    /// take that many.
    fn output_planes(&self, planes: usize) -> crate::Result<usize>;

    /// How no-data combines across planes.
    fn validity(&self) -> Validity {
        Validity::PerPlane
    }

    /// The window radius the filter reads: the engine's window is `2·radius + 1` rows and
    /// columns. Default: [`Options::radius`].
    fn radius(&self, opts: &Options) -> usize {
        opts.radius()
    }

    /// Rows each band runs through before its first output row, so that
    /// [`MultiFilter::State`] is complete there. Default 0.
    fn warmup(&self, opts: &Options) -> usize {
        let _ = opts;
        0
    }

    /// Rows the output lags behind the engine's row: called for row `y`, the filter writes
    /// output row `y − delay` (`≤` [`MultiFilter::radius`], whose window row it is), and the
    /// engine calls it `delay` more times after a band's last row. It lets a filter compute
    /// several rows at once from the rows it has seen, without a taller window. Rows more than
    /// the radius below a band's last row are then blank (no value valid): they feed no output
    /// row. Default 0.
    fn delay(&self, opts: &Options) -> usize {
        let _ = opts;
        0
    }

    /// How many independent parts the filter splits the work of its rows into for an image
    /// `width` wide, run on rayon's workers from within [`MultiFilter::filter_rows`] (the
    /// results must not depend on how they are scheduled). When there are at least two per
    /// worker, the drivers give the filter one band of rows (per streamed block) rather than
    /// one band per worker: one state in memory, no warm-up rows computed twice, no rows saved
    /// for in place; with fewer, as few bands as give every worker two parts
    /// (`driver::budget::bands_in_parallel`). Default 1: the filter's rows are serial, the
    /// drivers split the rows, four bands per worker. `opts`: the run's options (its
    /// [`Options::threads`], for a filter that sizes its parts for the workers).
    fn column_tasks(&self, width: usize, opts: &Options) -> usize {
        let _ = (width, opts);
        1
    }

    /// Whether the filter reads the window sums (`count`, `sum`, `sum_sq`). Default `true`;
    /// filters that only read window values save their cost by returning `false`.
    fn uses_sums(&self) -> bool {
        true
    }

    /// The state of a band of rows of an image `width` wide.
    fn state(&self, width: usize, planes: usize, opts: &Options) -> Self::State;

    /// Computes the output rows of one row (`out.len()` output planes of `ctx.width()` pixels).
    /// Called for warm-up rows too (`ctx.output == false`), whose output is discarded.
    fn filter_rows<T: Sample>(
        &self,
        state: &mut Self::State,
        ctx: &PlanesContext<'_>,
        out: &mut [Vec<T>],
    );

    /// Checks that the filter supports these options (see [`Filter::check_options`]).
    fn check_options(&self, opts: &Options) -> crate::Result<()> {
        let _ = opts;
        Ok(())
    }

    /// Most bytes one band allocates besides the engine's rings and sums, for the memory model
    /// ([`budget`](crate::budget)): its [`MultiFilter::State`] and per-row scratch, for an
    /// image `width` wide with a `size` window and `planes` input planes.
    fn scratch_bytes(&self, width: usize, size: usize, planes: usize) -> usize;
}

impl<F: Filter> MultiFilter for F {
    type State = ();

    fn name(&self) -> &'static str {
        Filter::name(self)
    }

    fn output_planes(&self, planes: usize) -> crate::Result<usize> {
        Ok(planes)
    }

    fn state(&self, _width: usize, _planes: usize, _opts: &Options) -> Self::State {}

    #[inline(always)]
    fn filter_rows<T: Sample>(&self, _state: &mut (), ctx: &PlanesContext<'_>, out: &mut [Vec<T>]) {
        for (plane, row) in ctx.planes.iter().zip(out) {
            self.filter_row(plane, row);
        }
    }

    fn check_options(&self, opts: &Options) -> crate::Result<()> {
        Filter::check_options(self, opts)
    }

    fn scratch_bytes(&self, width: usize, size: usize, _planes: usize) -> usize {
        // the planes are filtered one after the other: one plane's scratch at a time
        Filter::scratch_bytes(self, width, size)
    }
}
