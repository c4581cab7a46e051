//! Filters with row-to-row state ([`MultiFilter`]s such as the non-local filter) as registry
//! filters: one plane in, one plane out, through the core's plane drivers.

use despeckle::{
    ImageMut, ImageRef, MultiFilter, Options, Planes, Result, RowSink, RowSource, filter_planes,
    filter_planes_in_place, filter_stream_planes,
};

use crate::registry::AnyFilter;
use crate::stream::{DynSink, DynSource, FileFilter};

/// A [`MultiFilter`] run on single-plane images (files, numpy arrays) by the plane drivers;
/// results are those of [`despeckle::filter_planes`] with one plane, bit for bit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OnePlane<F>(pub F);

macro_rules! one_plane {
    ($t:ty, $stream:ident, $filter:ident, $in_place:ident) => {
        fn $filter(
            &self,
            input: ImageRef<'_, $t>,
            output: &mut ImageMut<'_, $t>,
            opts: &Options,
        ) -> Result<()> {
            filter_planes(&self.0, &[input], std::slice::from_mut(output), opts)
        }
        fn $in_place(&self, image: &mut ImageMut<'_, $t>, opts: &Options) -> Result<()> {
            filter_planes_in_place(&self.0, std::slice::from_mut(image), opts)
        }
    };
    (stream $t:ty, $stream:ident) => {
        fn $stream(
            &self,
            source: &mut dyn RowSource<$t>,
            sink: &mut dyn RowSink<$t>,
            opts: &Options,
            block_rows: Option<usize>,
        ) -> Result<()> {
            filter_stream_planes(
                &self.0,
                &mut Planes(vec![DynSource(source)]),
                &mut Planes(vec![DynSink(sink)]),
                opts,
                block_rows,
            )
        }
    };
}

impl<F: MultiFilter> FileFilter for OnePlane<F> {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn check_options(&self, opts: &Options) -> Result<()> {
        self.0.check_options(opts)
    }
    fn scratch_bytes(&self, width: usize, size: usize) -> usize {
        self.0.scratch_bytes(width, size, 1)
    }
    fn halo(&self, opts: &Options) -> usize {
        despeckle::halo(&self.0, opts)
    }
    one_plane!(stream f32, stream_f32);
    one_plane!(stream f64, stream_f64);
}

impl<F: MultiFilter + Send> AnyFilter for OnePlane<F> {
    one_plane!(f32, stream_f32, filter_f32, filter_in_place_f32);
    one_plane!(f64, stream_f64, filter_f64, filter_in_place_f64);
    fn quegan(
        &self,
        _super_image: Option<despeckle::temporal::SuperImage>,
        _groups: Vec<usize>,
    ) -> Result<Box<dyn crate::planes::AnyPlanes>> {
        Err(despeckle::Error::param(
            "filter",
            format!(
                "{} cannot be the local mean of the temporal filter (a filter with row-to-row \
                 state); use a classic filter",
                self.0.name()
            ),
        ))
    }
}
