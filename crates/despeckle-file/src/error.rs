//! The error type of file filtering: every message is one line that names the file.

use std::path::PathBuf;

/// Everything that can go wrong in [`filter_file`](crate::filter_file).
///
/// `Display` gives one line, starting with the file concerned where there is one (for
/// instance `in.tif: truncated or corrupt TIFF: ...`), ready to be printed as is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading the input or writing the output failed (missing file, not a TIFF, corrupt,
    /// unsupported type, output folder missing or read-only, disk full, output exists, ...).
    #[error(transparent)]
    File(#[from] despeckle_geotiff::Error),
    /// A filter or window parameter is invalid (its message names the parameter).
    #[error(transparent)]
    Parameter(#[from] despeckle::Error),
    /// A request that does not fit the files (band out of range, output = input, ...).
    #[error("{}: {detail}", path.display())]
    Invalid {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong and what to do.
        detail: String,
    },
    /// The quick-look PNG could not be written.
    #[error("{}: cannot write the quick-look PNG: {detail}", path.display())]
    QuickLook {
        /// The PNG file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// Filtering was cancelled (through [`FileOptions::cancel`](crate::FileOptions::cancel)).
    #[error("{}: cancelled; no output written", path.display())]
    Cancelled {
        /// The output that was not written.
        path: PathBuf,
    },
    /// A bug: a worker thread panicked or the pipeline lost data.
    #[error("{}: internal error: {detail}", path.display())]
    Internal {
        /// The output being written.
        path: PathBuf,
        /// What happened.
        detail: String,
    },
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
