//! How a call's filter is obtained for each image plane: from the registry's
//! [`FilterSpec`] (shared with the command line and `filter_file`), built as given, or after
//! image-wide estimates of that plane (`looks="auto"`: the equivalent number of looks; Lee
//! Sigma's `z98`: the 98th percentile), computed before anything is written.

use despeckle::{Options, RowSource};
use despeckle_file::registry::{AnyFilter, FilterSpec, MemSample};

/// Checks the parameters against the options before anything is read or written (the
/// estimated parameters are checked with stand-ins).
pub fn check(spec: &FilterSpec, opts: &Options) -> despeckle::Result<()> {
    spec.build_probe()?.check_options(opts)
}

/// The filter for one plane; image-wide estimates read the plane from `src`.
pub fn resolve<T: MemSample, S: RowSource<T>>(
    spec: &FilterSpec,
    src: &mut S,
    opts: &Options,
) -> despeckle::Result<Box<dyn AnyFilter>> {
    spec.resolve(src, opts.nodata()).map(|(f, _)| f)
}
