//! The crate's error type: every message is one bounded line that names the file.

use std::path::PathBuf;

/// Result alias of the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong reading or writing ENVI rasters and the products built from
/// them. The `Display` text is one line starting with the file's path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Opening, reading or writing a file failed (missing file, permission, disk full, ...),
    /// or an output was refused (it is an input, it exists, it is a special file): the same
    /// messages as the GeoTIFF reader and writer.
    #[error(transparent)]
    File(#[from] despeckle_geotiff::Error),
    /// An ENVI header that cannot be read: not an ENVI header, a missing or invalid field.
    #[error("{}: invalid ENVI header: {}", line(path.display()), line(reason))]
    Header {
        /// The header file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A header or document larger than this crate reads.
    #[error("{}: {bytes} bytes: larger than the {limit} bytes a {what} may have", line(path.display()))]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        bytes: u64,
        /// The largest size read.
        limit: u64,
        /// What the file is (`ENVI header`, ...).
        what: &'static str,
    },
    /// A data file shorter than its header declares.
    #[error(
        "{}: truncated: the header declares {expected} bytes ({}) but the file has {actual}",
        line(path.display()),
        line(what)
    )]
    Truncated {
        /// The data file.
        path: PathBuf,
        /// The bytes the header declares (offset + samples × lines × bands × sample size).
        expected: u64,
        /// The file's length.
        actual: u64,
        /// The declared layout, e.g. `3 x 2 x 1 float32 after 0 header bytes`.
        what: String,
    },
    /// A feature this crate does not read or write.
    #[error("{}: unsupported {}", line(path.display()), line(what))]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// The feature and, where there is one, the way around it.
        what: String,
    },
    /// A band, row range or buffer that does not fit the raster.
    #[error("{}: {}", line(path.display()), line(reason))]
    OutOfRange {
        /// The file.
        path: PathBuf,
        /// What was asked and what the raster has.
        reason: String,
    },
    /// A stored value that the requested sample type cannot hold (e.g. 1e300 read as
    /// float32).
    #[error(
        "{}: value {value} at row {row}, column {col} does not fit float32: read it as float64",
        line(path.display())
    )]
    ValueRange {
        /// The data file.
        path: PathBuf,
        /// The stored value.
        value: f64,
        /// Its row.
        row: usize,
        /// Its column.
        col: usize,
    },
    /// A PolSARpro folder that cannot be read or written as one.
    #[error("{}: PolSARpro folder: {}", line(path.display()), line(reason))]
    Polsarpro {
        /// The folder or one of its files.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A BEAM-DIMAP product that cannot be read.
    #[error("{}: BEAM-DIMAP product: {}", line(path.display()), line(reason))]
    Dimap {
        /// The `.dim` file or one of its band files.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Files or bands that do not make a polarimetric matrix.
    #[error("{}: {}", line(path.display()), line(source))]
    Layout {
        /// The folder or product.
        path: PathBuf,
        /// Why the names do not make a matrix.
        source: despeckle::polsar::LayoutError,
    },
}

/// `text` as one bounded line: control characters (line breaks, tabs, NUL: texts and paths
/// can come from a damaged file) become spaces, and it is cut to
/// [`MAX_DETAIL_CHARS`](despeckle_geotiff::MAX_DETAIL_CHARS) characters.
fn line(text: impl std::fmt::Display) -> String {
    let flat: String = text
        .to_string()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    despeckle_geotiff::clip(flat)
}

impl Error {
    pub(crate) fn header(path: &std::path::Path, reason: impl Into<String>) -> Error {
        Error::Header {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }

    pub(crate) fn read_io(path: &std::path::Path, e: std::io::Error) -> Error {
        despeckle_geotiff::Error::from_read_io(path, e).into()
    }

    pub(crate) fn open_io(path: &std::path::Path, e: std::io::Error) -> Error {
        despeckle_geotiff::Error::from_open_io(path, e).into()
    }

    pub(crate) fn write_io(path: &std::path::Path, e: std::io::Error) -> Error {
        despeckle_geotiff::Error::from_write_io(path, e).into()
    }
}
