//! ENVI rasters and the products built from them, streamed row by row with bounded memory
//! for the despeckle tools:
//!
//! * [`Header`]: the ENVI `.hdr` read and written (size, data type, interleave, byte order,
//!   band names, map info and coordinate system string kept, `data ignore value` as no-data);
//! * [`Raster`] / [`BandReader`]: one band of any interleave (bsq, bil, bip), byte order and
//!   data type as a [`despeckle::RowSource`] of `f32` or `f64` (complex samples one part at a
//!   time); [`BandWriter`]: one float32 or float64 band as a [`despeckle::RowSink`], written
//!   under temporary names and renamed into place with its header;
//! * [`PolsarproFolder`] / [`PolsarproWriter`]: PolSARpro matrix folders (`config.txt` and
//!   one float32 `.bin` + `.bin.hdr` per element of a C2, C3, T3, C4 or T4 matrix), the
//!   matrix recognised from the files present ([`despeckle::polsar::Matrix`]), written
//!   atomically as a set;
//! * [`DimapProduct`]: ESA SNAP BEAM-DIMAP products (`.dim` + `.data/` of ENVI bands), read;
//! * [`georef`]: georeferencing translated between ENVI `map info` / `coordinate system
//!   string`, GeoTIFF tags and BEAM-DIMAP documents (north-up grids; geographic and UTM
//!   systems on WGS 84, NAD83 and ETRS89 named in `map info`, EPSG codes from WKT);
//! * [`Format::of`]: which of these a path holds.
//!
//! Nothing here reads a whole image: readers hold at most [`READ_CHUNK_BYTES`] of file data
//! besides the caller's rows, and every size a header declares is checked against the
//! file's length before anything is read. Text files have size limits
//! ([`MAX_HEADER_BYTES`], [`MAX_CONFIG_BYTES`], [`MAX_DIM_BYTES`]). Errors are one line
//! naming the file ([`Error`]).
//!
//! ```no_run
//! use despeckle_envi::{PolsarproFolder, PolsarproOptions, PolsarproWriter};
//! use std::path::Path;
//!
//! let input = PolsarproFolder::open(Path::new("T3"))?;
//! let (w, h) = (input.width(), input.height());
//! let mut out = PolsarproWriter::create(
//!     Path::new("T3_copy"), input.matrix(), w, h, &PolsarproOptions::default())?;
//! let mut row = vec![0f32; w];
//! for (p, mut reader) in input.readers()?.into_iter().enumerate() {
//!     for y in 0..h {
//!         reader.read(y, &mut row)?;
//!         out.write(p, y, &row)?;
//!     }
//! }
//! out.finish()?;
//! # Ok::<(), despeckle_envi::Error>(())
//! ```
#![deny(missing_docs)]

mod crs;
mod dimap;
mod error;
mod format;
#[doc(hidden)]
pub mod fuzzing;
pub mod georef;
mod header;
mod output;
mod polsarpro;
mod raster;
mod text;
mod wkt;
mod writer;

pub use dimap::{ComplexPair, DimapBand, DimapProduct, MAX_DIM_BYTES};
pub use error::{Error, Result};
pub use format::Format;
pub use header::{ByteOrder, DataType, Header, Interleave, MAX_HEADER_BYTES, find_header};
pub use output::OutputOptions;
pub use polsarpro::{
    Config, MAX_CONFIG_BYTES, PlaneSink, PolsarproFolder, PolsarproOptions, PolsarproWriter,
};
pub use raster::{BandReader, ComplexPart, READ_CHUNK_BYTES, Raster, Value};
pub use writer::{BandWriter, WriteValue};
