//! Streaming GeoTIFF reading and writing for the despeckle tools, in pure Rust on the `tiff`
//! crate, with memory bounded by one strip or tile row whatever the image height.
//!
//! - [`Reader`] decodes one strip or one row of tiles at a time and converts the requested band
//!   to `f32` or `f64` ([`Sample`]); rows can be read in any order. It reads stripped and tiled,
//!   classic and BigTIFF files, uncompressed or LZW/Deflate/ZSTD/PackBits with predictor 1, 2 or
//!   3, samples of 8 to 64 bits (integer or float) and complex `CInt16`/`CInt32`/`CFloat32`
//!   (converted to intensity or amplitude, or read part by part: see [`ComplexMode`]), pixel-
//!   or band-interleaved.
//! - [`Writer`] takes rows top to bottom and writes float32 (or float64) strips or tiles,
//!   uncompressed or LZW/Deflate/ZSTD/PackBits (with the floating-point predictor on request),
//!   classic TIFF or BigTIFF, copying the georeferencing and GDAL tags ([`GeoTags`]) bit for bit.
//!   It writes to a temporary file renamed into place by [`Writer::finish`]. With
//!   [`WriterOptions::cog`] it writes a Cloud-Optimized GeoTIFF in the layout of GDAL's COG
//!   driver, averaging the internal overviews as the rows stream by.
//! - [`RasterInfo`] describes a file; its `Display` is the summary of `despeckle info`.
//!
//! ```no_run
//! use despeckle_geotiff::{Reader, Writer, WriterOptions};
//! let mut reader = Reader::open("in.tif")?;
//! let mut writer = Writer::create("out.tif", WriterOptions::like(reader.info()))?;
//! for band in 0..reader.info().bands {
//!     for block in reader.blocks::<f32>(band)? {
//!         let block = block?;
//!         writer.write_rows(band, &block.data)?;
//!     }
//! }
//! writer.finish()?;
//! # Ok::<(), despeckle_geotiff::Error>(())
//! ```
#![deny(missing_docs)]

pub mod band_metadata;
mod chunks;
mod cog;
mod convert;
mod encode;
mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod geo;
mod ifd;
mod info;
mod overlay;
mod reader;
pub mod temp;
mod writer;

pub use convert::{ComplexMode, Sample};
pub use encode::OutputCompression;
pub use error::{Error, MAX_DETAIL_CHARS, Result, clip};
pub use geo::GeoTags;
pub use info::{Compression, Layout, Predictor, RasterInfo, SampleType};
pub use reader::{Blocks, DEFAULT_MAX_BLOCK_BYTES, Reader, ReaderOptions, RowBlock};
pub use temp::{FileId, remove_unfinished_outputs};
pub use writer::{BigTiff, Completed, Interleave, OutputLayout, OutputType, Writer, WriterOptions};

#[cfg(test)]
mod tests {
    /// Readers and writers can be moved to another thread (read-ahead, background writing).
    #[test]
    fn reader_and_writer_are_send() {
        fn send<T: Send>() {}
        send::<crate::Reader>();
        send::<crate::Writer>();
        send::<crate::Error>();
    }
}
