//! The drivers' view of a filter: a [`MultiFilter`] behind a trait object, for one pixel type.
//!
//! The drivers (bands, blocks, threads, memory plans) and the band loop (ring, running sums,
//! row building) do not depend on the filter: they call it through [`Kernel`], once per run
//! for its parameters and once per row for its maths ([`Rows::rows`]). So they are compiled
//! once per pixel type, not once per filter; only each filter's row maths is compiled per
//! filter, pixel type and instruction set. A virtual call per row costs nothing beside a row's
//! work, and the results are those of the filter's own [`MultiFilter::filter_rows`].

use super::dispatch::{self, Level, Simd};
use super::planes::{MultiFilter, PlanesContext, Validity};
use crate::options::Options;
use crate::sample::Sample;

/// A [`MultiFilter`] as the drivers use it, for pixel type `T` (every `MultiFilter` is one).
pub(crate) trait Kernel<T: Sample>: Sync {
    /// [`MultiFilter::name`].
    fn name(&self) -> &'static str;
    /// [`MultiFilter::output_planes`].
    fn output_planes(&self, planes: usize) -> crate::Result<usize>;
    /// [`MultiFilter::validity`].
    fn validity(&self) -> Validity;
    /// [`MultiFilter::radius`].
    fn radius(&self, opts: &Options) -> usize;
    /// [`MultiFilter::warmup`].
    fn warmup(&self, opts: &Options) -> usize;
    /// [`MultiFilter::delay`].
    fn delay(&self, opts: &Options) -> usize;
    /// [`MultiFilter::column_tasks`].
    fn column_tasks(&self, width: usize, opts: &Options) -> usize;
    /// [`MultiFilter::uses_sums`].
    fn uses_sums(&self) -> bool;
    /// [`MultiFilter::check_options`].
    fn check_options(&self, opts: &Options) -> crate::Result<()>;
    /// [`MultiFilter::scratch_bytes`].
    fn scratch_bytes(&self, width: usize, size: usize, planes: usize) -> usize;
    /// The row maths of one band of rows, with a fresh [`MultiFilter::State`], compiled for
    /// instruction set `level`.
    fn rows<'a>(
        &'a self,
        width: usize,
        planes: usize,
        opts: &Options,
        level: Level,
    ) -> Box<dyn Rows<T> + Send + 'a>;
}

/// A filter's row maths with its state, for one band of rows.
pub(crate) trait Rows<T> {
    /// [`MultiFilter::filter_rows`] for the next row.
    fn rows(&mut self, ctx: &PlanesContext<'_>, out: &mut [Vec<T>]);
}

impl<T: Sample, F: MultiFilter> Kernel<T> for F {
    fn name(&self) -> &'static str {
        MultiFilter::name(self)
    }
    fn output_planes(&self, planes: usize) -> crate::Result<usize> {
        MultiFilter::output_planes(self, planes)
    }
    fn validity(&self) -> Validity {
        MultiFilter::validity(self)
    }
    fn radius(&self, opts: &Options) -> usize {
        MultiFilter::radius(self, opts)
    }
    fn warmup(&self, opts: &Options) -> usize {
        MultiFilter::warmup(self, opts)
    }
    fn delay(&self, opts: &Options) -> usize {
        MultiFilter::delay(self, opts)
    }
    fn column_tasks(&self, width: usize, opts: &Options) -> usize {
        MultiFilter::column_tasks(self, width, opts)
    }
    fn uses_sums(&self) -> bool {
        MultiFilter::uses_sums(self)
    }
    fn check_options(&self, opts: &Options) -> crate::Result<()> {
        MultiFilter::check_options(self, opts)
    }
    fn scratch_bytes(&self, width: usize, size: usize, planes: usize) -> usize {
        MultiFilter::scratch_bytes(self, width, size, planes)
    }
    fn rows<'a>(
        &'a self,
        width: usize,
        planes: usize,
        opts: &Options,
        level: Level,
    ) -> Box<dyn Rows<T> + Send + 'a> {
        Box::new(Band {
            filter: self,
            state: self.state(width, planes, opts),
            level,
        })
    }
}

/// A filter and its state for one band of rows.
struct Band<'a, F: MultiFilter> {
    filter: &'a F,
    state: F::State,
    level: Level,
}

/// One call of [`MultiFilter::filter_rows`], as [`dispatch::run`] compiles it.
struct Call<'s, 'c, 'o, F: MultiFilter, T> {
    filter: &'s F,
    state: &'s mut F::State,
    ctx: &'c PlanesContext<'c>,
    out: &'o mut [Vec<T>],
}

impl<F: MultiFilter, T: Sample> Simd for Call<'_, '_, '_, F, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        self.filter.filter_rows(self.state, self.ctx, self.out)
    }
}

impl<T: Sample, F: MultiFilter> Rows<T> for Band<'_, F> {
    fn rows(&mut self, ctx: &PlanesContext<'_>, out: &mut [Vec<T>]) {
        let call = Call {
            filter: self.filter,
            state: &mut self.state,
            ctx,
            out,
        };
        dispatch::run(self.level, call)
    }
}
