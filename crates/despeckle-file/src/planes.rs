//! Filters of several planes chosen at run time: the object-safe face of
//! [`despeckle::MultiFilter`] ([`AnyPlanes`]), for the multi-temporal filters built from the
//! registry's single-channel filters ([`AnyFilter::quegan`](crate::registry::AnyFilter::quegan)).
//!
//! Each method runs the core's driver monomorphised for the concrete filter, so results are
//! those of [`despeckle::filter_planes`], [`despeckle::filter_planes_in_place`] and
//! [`despeckle::filter_stream_planes`] bit for bit.

use despeckle::budget::{Plan, StreamCosts};
use despeckle::{
    BoxError, ImageMut, ImageRef, MultiFilter, Options, PlaneSink, PlaneSource, Result, Sample,
};

/// A `&mut dyn PlaneSource` as a sized source.
struct DynSource<'a, T>(&'a mut dyn PlaneSource<T>);
/// A `&mut dyn PlaneSink` as a sized sink.
struct DynSink<'a, T>(&'a mut dyn PlaneSink<T>);

impl<T> PlaneSource<T> for DynSource<'_, T> {
    fn width(&self) -> usize {
        self.0.width()
    }
    fn height(&self) -> usize {
        self.0.height()
    }
    fn planes(&self) -> usize {
        self.0.planes()
    }
    fn read_planes(
        &mut self,
        y0: usize,
        rows: usize,
        bufs: &mut [&mut [T]],
    ) -> std::result::Result<(), BoxError> {
        self.0.read_planes(y0, rows, bufs)
    }
}

impl<T> PlaneSink<T> for DynSink<'_, T> {
    fn planes(&self) -> usize {
        self.0.planes()
    }
    fn write_planes(&mut self, y0: usize, rows: &[&[T]]) -> std::result::Result<(), BoxError> {
        self.0.write_planes(y0, rows)
    }
}

/// The drivers of [`AnyPlanes`] for one pixel type: declarations (`decl`) and their
/// implementation for every [`MultiFilter`].
macro_rules! planes_drivers {
    (decl $t:ty, $filter:ident, $in_place:ident, $stream:ident, $plan:ident) => {
        #[doc = concat!("[`despeckle::filter_planes`] on `", stringify!($t), "` planes.")]
        fn $filter(
            &self,
            inputs: &[ImageRef<'_, $t>],
            outputs: &mut [ImageMut<'_, $t>],
            opts: &Options,
        ) -> Result<()>;
        #[doc = concat!("[`despeckle::filter_planes_in_place`] on `", stringify!($t), "` planes.")]
        fn $in_place(&self, planes: &mut [ImageMut<'_, $t>], opts: &Options) -> Result<()>;
        #[doc = concat!("[`despeckle::filter_stream_planes`] on `", stringify!($t), "` rows.")]
        fn $stream(
            &self,
            source: &mut dyn PlaneSource<$t>,
            sink: &mut dyn PlaneSink<$t>,
            opts: &Options,
            block_rows: Option<usize>,
        ) -> Result<()>;
        #[doc = concat!("[`despeckle::plan_stream_planes`] for `", stringify!($t), "` rows.")]
        #[allow(clippy::too_many_arguments)]
        fn $plan(
            &self,
            width: usize,
            height: usize,
            planes: usize,
            opts: &Options,
            block_rows: Option<usize>,
            costs: StreamCosts,
        ) -> Result<Plan>;
    };
    ($t:ty, $filter:ident, $in_place:ident, $stream:ident, $plan:ident) => {
        fn $filter(
            &self,
            inputs: &[ImageRef<'_, $t>],
            outputs: &mut [ImageMut<'_, $t>],
            opts: &Options,
        ) -> Result<()> {
            despeckle::filter_planes(self, inputs, outputs, opts)
        }
        fn $in_place(&self, planes: &mut [ImageMut<'_, $t>], opts: &Options) -> Result<()> {
            despeckle::filter_planes_in_place(self, planes, opts)
        }
        fn $stream(
            &self,
            source: &mut dyn PlaneSource<$t>,
            sink: &mut dyn PlaneSink<$t>,
            opts: &Options,
            block_rows: Option<usize>,
        ) -> Result<()> {
            despeckle::filter_stream_planes(
                self,
                &mut DynSource(source),
                &mut DynSink(sink),
                opts,
                block_rows,
            )
        }
        fn $plan(
            &self,
            width: usize,
            height: usize,
            planes: usize,
            opts: &Options,
            block_rows: Option<usize>,
            costs: StreamCosts,
        ) -> Result<Plan> {
            despeckle::plan_stream_planes::<$t, _>(
                self, width, height, planes, opts, block_rows, costs,
            )
        }
    };
}

/// A filter of several planes chosen at run time (implemented for every
/// [`MultiFilter`]): the core's three drivers and its streaming plan in `f32` and `f64`.
pub trait AnyPlanes: Send + Sync {
    /// The filter's name.
    fn name(&self) -> &'static str;
    /// Output planes for `planes` input planes ([`MultiFilter::output_planes`]).
    fn output_planes(&self, planes: usize) -> Result<usize>;
    /// Checks that the filter supports these window options.
    fn check_options(&self, opts: &Options) -> Result<()>;
    planes_drivers!(decl f32, filter_planes_f32, filter_planes_in_place_f32, stream_planes_f32, plan_stream_f32);
    planes_drivers!(decl f64, filter_planes_f64, filter_planes_in_place_f64, stream_planes_f64, plan_stream_f64);
}

impl<M: MultiFilter + Send> AnyPlanes for M {
    fn name(&self) -> &'static str {
        MultiFilter::name(self)
    }
    fn output_planes(&self, planes: usize) -> Result<usize> {
        MultiFilter::output_planes(self, planes)
    }
    fn check_options(&self, opts: &Options) -> Result<()> {
        MultiFilter::check_options(self, opts)
    }
    planes_drivers!(
        f32,
        filter_planes_f32,
        filter_planes_in_place_f32,
        stream_planes_f32,
        plan_stream_f32
    );
    planes_drivers!(
        f64,
        filter_planes_f64,
        filter_planes_in_place_f64,
        stream_planes_f64,
        plan_stream_f64
    );
}

impl std::fmt::Debug for dyn AnyPlanes + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AnyPlanes({})", self.name())
    }
}

/// The pixel types an [`AnyPlanes`] runs on, for code generic over them
/// (`T::filter_planes(f, ...)`).
pub trait PlanesSample: Sample {
    /// [`despeckle::filter_planes`].
    fn filter_planes(
        f: &dyn AnyPlanes,
        inputs: &[ImageRef<'_, Self>],
        outputs: &mut [ImageMut<'_, Self>],
        opts: &Options,
    ) -> Result<()>;
    /// [`despeckle::filter_planes_in_place`].
    fn filter_planes_in_place(
        f: &dyn AnyPlanes,
        planes: &mut [ImageMut<'_, Self>],
        opts: &Options,
    ) -> Result<()>;
    /// [`despeckle::filter_stream_planes`].
    fn stream_planes(
        f: &dyn AnyPlanes,
        source: &mut dyn PlaneSource<Self>,
        sink: &mut dyn PlaneSink<Self>,
        opts: &Options,
        block_rows: Option<usize>,
    ) -> Result<()>;
    /// [`despeckle::plan_stream_planes`].
    fn plan_stream(
        f: &dyn AnyPlanes,
        width: usize,
        height: usize,
        planes: usize,
        opts: &Options,
        block_rows: Option<usize>,
        costs: StreamCosts,
    ) -> Result<Plan>;
}

macro_rules! planes_sample {
    ($t:ty, $filter:ident, $in_place:ident, $stream:ident, $plan:ident) => {
        impl PlanesSample for $t {
            fn filter_planes(
                f: &dyn AnyPlanes,
                inputs: &[ImageRef<'_, $t>],
                outputs: &mut [ImageMut<'_, $t>],
                opts: &Options,
            ) -> Result<()> {
                f.$filter(inputs, outputs, opts)
            }
            fn filter_planes_in_place(
                f: &dyn AnyPlanes,
                planes: &mut [ImageMut<'_, $t>],
                opts: &Options,
            ) -> Result<()> {
                f.$in_place(planes, opts)
            }
            fn stream_planes(
                f: &dyn AnyPlanes,
                source: &mut dyn PlaneSource<$t>,
                sink: &mut dyn PlaneSink<$t>,
                opts: &Options,
                block_rows: Option<usize>,
            ) -> Result<()> {
                f.$stream(source, sink, opts, block_rows)
            }
            fn plan_stream(
                f: &dyn AnyPlanes,
                width: usize,
                height: usize,
                planes: usize,
                opts: &Options,
                block_rows: Option<usize>,
                costs: StreamCosts,
            ) -> Result<Plan> {
                f.$plan(width, height, planes, opts, block_rows, costs)
            }
        }
    };
}
planes_sample!(
    f32,
    filter_planes_f32,
    filter_planes_in_place_f32,
    stream_planes_f32,
    plan_stream_f32
);
planes_sample!(
    f64,
    filter_planes_f64,
    filter_planes_in_place_f64,
    stream_planes_f64,
    plan_stream_f64
);
