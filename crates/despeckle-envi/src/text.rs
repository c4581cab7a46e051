//! Small text files (headers, `config.txt`, `.dim`) read whole, with a size limit checked
//! before reading.

use std::io::Read;
use std::path::Path;

use despeckle_geotiff::temp::open_input;

use crate::error::{Error, Result};

/// Reads `path` as UTF-8 text (invalid bytes replaced) if it has at most `limit` bytes;
/// refuses folders, FIFOs and devices without blocking.
pub(crate) fn read_text(path: &Path, limit: u64, what: &'static str) -> Result<String> {
    let file = open_input(path)?;
    let len = file.metadata().map_err(|e| Error::read_io(path, e))?.len();
    if len > limit {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            bytes: len,
            limit,
            what,
        });
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // `take`: a file growing meanwhile is not read past the limit either
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::read_io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            bytes: bytes.len() as u64,
            limit,
            what,
        });
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
