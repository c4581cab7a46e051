//! The crate's error type: every message names the file and the problem on one line.

use std::io;
use std::path::{Path, PathBuf};

use crate::info::SampleType;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while reading or writing a GeoTIFF.
///
/// The `Display` text is one line that starts with the file's path, ready to be printed by a
/// command-line tool as is (for instance `in.tif: no such file`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input file does not exist.
    #[error("{}: no such file", path.display())]
    NotFound {
        /// The file that was asked for.
        path: PathBuf,
    },
    /// The file (or folder) may not be read or written by this user.
    #[error("{}: permission denied", path.display())]
    PermissionDenied {
        /// The file that could not be opened.
        path: PathBuf,
    },
    /// The file does not start with a TIFF or BigTIFF signature.
    #[error("{}: not a TIFF file", path.display())]
    NotTiff {
        /// The file that was read.
        path: PathBuf,
    },
    /// The file is a TIFF but its structure or data are damaged (truncated, bad offsets, corrupt
    /// compressed data, ...).
    #[error("{}: truncated or corrupt TIFF: {detail}", path.display())]
    Corrupt {
        /// The file that was read.
        path: PathBuf,
        /// What was found wrong.
        detail: String,
    },
    /// The file uses a feature this crate does not read (sample type, compression, ...).
    #[error("{}: unsupported {what}", path.display())]
    Unsupported {
        /// The file that was read.
        path: PathBuf,
        /// The feature, e.g. `compression JPEG (7)`.
        what: String,
    },
    /// The file holds complex samples and no [`ComplexMode`](crate::ComplexMode) was chosen.
    #[error(
        "{}: complex samples ({sample_type}): choose intensity (re²+im²) or amplitude (its square root) to read them",
        path.display()
    )]
    ComplexModeRequired {
        /// The file that was read.
        path: PathBuf,
        /// The file's complex sample type.
        sample_type: SampleType,
    },
    /// A band index past the last band was asked for (bands are numbered from 0).
    #[error(
        "{}: band {band} out of range: the image has {bands} band(s), numbered from 0",
        path.display()
    )]
    BandOutOfRange {
        /// The file that was read or written.
        path: PathBuf,
        /// The band that was asked for.
        band: usize,
        /// How many bands the image has.
        bands: usize,
    },
    /// A row range outside the image was asked for.
    #[error(
        "{}: rows {start}..{end} out of range: the image has {height} rows",
        path.display()
    )]
    RowsOutOfRange {
        /// The file that was read.
        path: PathBuf,
        /// First row asked for.
        start: usize,
        /// One past the last row asked for.
        end: usize,
        /// The image height.
        height: usize,
    },
    /// A strip, tile or tag is larger than the memory limits allow (a damaged file, or one
    /// written with a single huge strip).
    #[error("{}: too large: {detail}", path.display())]
    TooLarge {
        /// The file that was read or written.
        path: PathBuf,
        /// What is too large.
        detail: String,
    },
    /// The folder the output should go to does not exist.
    #[error("{}: output folder {} does not exist", path.display(), dir.display())]
    OutputDirMissing {
        /// The output file.
        path: PathBuf,
        /// Its folder.
        dir: PathBuf,
    },
    /// The folder the output should go to is read-only or not writable by this user.
    #[error("{}: output folder {} is read-only or not writable", path.display(), dir.display())]
    OutputNotWritable {
        /// The output file.
        path: PathBuf,
        /// Its folder.
        dir: PathBuf,
    },
    /// The disk (or quota) filled up while writing.
    #[error("{}: disk full while writing (no space left on device)", path.display())]
    DiskFull {
        /// The output file.
        path: PathBuf,
    },
    /// The output file exists and overwriting was not allowed.
    #[error("{}: output file already exists (allow overwriting to replace it)", path.display())]
    OutputExists {
        /// The output file.
        path: PathBuf,
    },
    /// The writer's options are inconsistent (zero size, tile size not a multiple of 16, ...).
    #[error("{}: invalid output options: {detail}", path.display())]
    InvalidOptions {
        /// The output file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The API was used in a way that cannot work (buffer of the wrong length, rows given out of
    /// order, image not complete at `finish`, ...).
    #[error("{}: {detail}", path.display())]
    Usage {
        /// The file being read or written.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The path cannot name a file (it contains a NUL byte, ...).
    #[error("{}: invalid file name: {detail}", path.display())]
    InvalidPath {
        /// The path as given.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// The path names a folder, FIFO, device or socket where a regular file is needed (an
    /// input is refused at once instead of blocking on a FIFO).
    #[error("{}: is a {kind}, not a regular file", path.display())]
    NotRegularFile {
        /// The path.
        path: PathBuf,
        /// What it is (`folder`, `FIFO (named pipe)`, `character device`, ...).
        kind: &'static str,
    },
    /// The output path names an existing folder, FIFO, device or socket: it is never replaced.
    #[error(
        "{}: is a {kind}, not a regular file; an output never replaces it (choose a file name)",
        path.display()
    )]
    OutputNotRegular {
        /// The output path.
        path: PathBuf,
        /// What it is.
        kind: &'static str,
    },
    /// The output path is (or leads to) one of the files being read, however it is spelled
    /// (same device and inode: `./`, `..`, symbolic or hard links).
    #[error(
        "{}: the output is the input {} (the same file); choose another output name",
        path.display(),
        input.display()
    )]
    OutputIsInput {
        /// The output path.
        path: PathBuf,
        /// The input it leads to, as given.
        input: PathBuf,
    },
    /// Two outputs of one command are the same file.
    #[error(
        "{}: the output is the same file as the output {}; choose different names",
        path.display(),
        other.display()
    )]
    OutputsCollide {
        /// One output path.
        path: PathBuf,
        /// The other output path, as given.
        other: PathBuf,
    },
    /// Any other input/output error.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file being read or written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

impl Error {
    /// The file this error is about.
    pub fn path(&self) -> &Path {
        match self {
            Error::NotFound { path }
            | Error::PermissionDenied { path }
            | Error::NotTiff { path }
            | Error::Corrupt { path, .. }
            | Error::Unsupported { path, .. }
            | Error::ComplexModeRequired { path, .. }
            | Error::BandOutOfRange { path, .. }
            | Error::RowsOutOfRange { path, .. }
            | Error::TooLarge { path, .. }
            | Error::OutputDirMissing { path, .. }
            | Error::OutputNotWritable { path, .. }
            | Error::DiskFull { path }
            | Error::OutputExists { path }
            | Error::InvalidOptions { path, .. }
            | Error::Usage { path, .. }
            | Error::InvalidPath { path, .. }
            | Error::NotRegularFile { path, .. }
            | Error::OutputNotRegular { path, .. }
            | Error::OutputIsInput { path, .. }
            | Error::OutputsCollide { path, .. }
            | Error::Io { path, .. } => path,
        }
    }

    // The constructors of the variants that carry a text clip it with `clip`: such texts can
    // embed values read from a damaged file (a tag of a million values).

    pub(crate) fn usage(path: &Path, detail: impl Into<String>) -> Error {
        Error::Usage {
            path: path.to_path_buf(),
            detail: clip(detail.into()),
        }
    }

    pub(crate) fn corrupt(path: &Path, detail: impl Into<String>) -> Error {
        Error::Corrupt {
            path: path.to_path_buf(),
            detail: clip(detail.into()),
        }
    }

    pub(crate) fn unsupported(path: &Path, what: impl Into<String>) -> Error {
        Error::Unsupported {
            path: path.to_path_buf(),
            what: clip(what.into()),
        }
    }

    pub(crate) fn too_large(path: &Path, detail: impl Into<String>) -> Error {
        Error::TooLarge {
            path: path.to_path_buf(),
            detail: clip(detail.into()),
        }
    }

    /// An error met while opening or examining (not reading) an input file: like
    /// [`Error::from_read_io`], except that an invalid-input error is about the path (a NUL
    /// byte), never the file's data.
    pub fn from_open_io(path: &Path, e: io::Error) -> Error {
        if e.kind() == io::ErrorKind::InvalidInput {
            return Error::InvalidPath {
                path: path.to_path_buf(),
                detail: e.to_string(),
            };
        }
        Error::from_read_io(path, e)
    }

    /// An error met while opening or reading an input file (missing file, permission,
    /// truncated or corrupt data, ...).
    pub fn from_read_io(path: &Path, e: io::Error) -> Error {
        let path = path.to_path_buf();
        match e.kind() {
            io::ErrorKind::NotFound => Error::NotFound { path },
            io::ErrorKind::PermissionDenied => Error::PermissionDenied { path },
            io::ErrorKind::UnexpectedEof => Error::Corrupt {
                path,
                detail: "the file is truncated (unexpected end of file)".into(),
            },
            // Decompressors report damaged streams with these kinds (OS errors never use them).
            io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::Other => {
                Error::corrupt(&path, format!("corrupt data ({e})"))
            }
            _ => Error::Io { path, source: e },
        }
    }

    /// An error met while creating or writing an output file (disk full, read-only folder,
    /// missing folder, ...).
    pub fn from_write_io(path: &Path, e: io::Error) -> Error {
        if e.kind() == io::ErrorKind::InvalidInput {
            return Error::InvalidPath {
                path: path.to_path_buf(),
                detail: e.to_string(),
            };
        }
        let path = path.to_path_buf();
        let dir = parent_dir(&path);
        match e.kind() {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => Error::DiskFull { path },
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                Error::OutputNotWritable { path, dir }
            }
            io::ErrorKind::NotFound => Error::OutputDirMissing { path, dir },
            _ => Error::Io { path, source: e },
        }
    }

    /// An error reported by the `tiff` crate while decoding.
    pub(crate) fn from_tiff(path: &Path, e: tiff::TiffError) -> Error {
        use tiff::{TiffError, TiffFormatError};
        match e {
            TiffError::FormatError(
                TiffFormatError::TiffSignatureNotFound | TiffFormatError::TiffSignatureInvalid,
            ) => Error::NotTiff {
                path: path.to_path_buf(),
            },
            TiffError::IoError(io) => Error::from_read_io(path, io),
            TiffError::FormatError(f) => Error::corrupt(path, f.to_string()),
            TiffError::UnsupportedError(u) => Error::unsupported(path, u.to_string()),
            TiffError::LimitsExceeded => Error::too_large(
                path,
                "a tag, strip or tile exceeds the decoder's memory limits",
            ),
            TiffError::IntSizeError => {
                Error::corrupt(path, "a size or offset is out of range for this platform")
            }
            TiffError::UsageError(u) => Error::corrupt(path, u.to_string()),
        }
    }
}

/// Most characters of a text embedded in an error message (longer ones end with `…`).
pub const MAX_DETAIL_CHARS: usize = 300;

/// `text` cut to [`MAX_DETAIL_CHARS`] characters, ending with `…` if it was longer (texts of
/// errors can embed data read from a damaged file).
pub fn clip(text: String) -> String {
    match text.char_indices().nth(MAX_DETAIL_CHARS) {
        None => text,
        Some((at, _)) => format!("{}…", &text[..at]),
    }
}

/// The folder a path lives in (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enospc_maps_to_disk_full() {
        let e = io::Error::from_raw_os_error(28); // ENOSPC on Linux
        let err = Error::from_write_io(Path::new("/tmp/out.tif"), e);
        assert!(matches!(err, Error::DiskFull { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "/tmp/out.tif: disk full while writing (no space left on device)"
        );
    }

    #[test]
    fn erofs_maps_to_not_writable() {
        let e = io::Error::from_raw_os_error(30); // EROFS
        let err = Error::from_write_io(Path::new("/ro/out.tif"), e);
        assert!(matches!(err, Error::OutputNotWritable { .. }), "{err:?}");
        assert!(err.to_string().contains("/ro"));
    }

    #[test]
    fn messages_are_one_line() {
        let err = Error::ComplexModeRequired {
            path: "a.tif".into(),
            sample_type: SampleType::ComplexI16,
        };
        let s = err.to_string();
        assert!(s.starts_with("a.tif: complex samples (CInt16)"), "{s}");
        assert!(!s.contains('\n'));
    }
}
