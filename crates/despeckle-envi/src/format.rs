//! Which of the crate's formats a path holds.

use std::path::Path;

use crate::header::find_header;

/// A format this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// An ENVI raster: a data file with its header beside it ([`crate::Raster::open`]).
    Envi,
    /// A PolSARpro matrix folder: a folder with a `config.txt`
    /// ([`crate::PolsarproFolder::open`]).
    Polsarpro,
    /// A BEAM-DIMAP product: a `.dim` file ([`crate::DimapProduct::open`]).
    Dimap,
}

impl Format {
    /// What `path` is, from names alone (nothing is parsed): a folder holding `config.txt`
    /// is PolSARpro, a file ending in `.dim` (any case) BEAM-DIMAP, a file with an ENVI
    /// header beside it ([`find_header`]; not a `.hdr` itself) ENVI; `None` otherwise (a
    /// GeoTIFF, say).
    pub fn of(path: &Path) -> Option<Format> {
        if path.is_dir() {
            return path
                .join("config.txt")
                .is_file()
                .then_some(Format::Polsarpro);
        }
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("dim") => Some(Format::Dimap),
            Some("hdr") => None,
            _ => find_header(path).map(|_| Format::Envi),
        }
    }
}
