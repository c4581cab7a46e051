//! What a raster is: size, bands, sample type, layout, compression, georeferencing.

use std::fmt;

use crate::geo::{CrsKind, GeoTags, RasterType};

/// The type of one sample (one band of one pixel) as stored in the file.
///
/// The names follow GDAL's (`Byte`, `UInt16`, ..., `CInt16`, `CFloat32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SampleType {
    /// Unsigned 8-bit integer (GDAL `Byte`).
    U8,
    /// Signed 8-bit integer (GDAL `Int8`).
    I8,
    /// Unsigned 16-bit integer (GDAL `UInt16`).
    U16,
    /// Signed 16-bit integer (GDAL `Int16`).
    I16,
    /// Unsigned 32-bit integer (GDAL `UInt32`).
    U32,
    /// Signed 32-bit integer (GDAL `Int32`).
    I32,
    /// 32-bit IEEE float (GDAL `Float32`).
    F32,
    /// 64-bit IEEE float (GDAL `Float64`).
    F64,
    /// Complex with 16-bit signed integer parts (GDAL `CInt16`, TIFF SampleFormat 5).
    ComplexI16,
    /// Complex with 32-bit signed integer parts (GDAL `CInt32`, TIFF SampleFormat 5).
    ComplexI32,
    /// Complex with 32-bit float parts (GDAL `CFloat32`, TIFF SampleFormat 6).
    ComplexF32,
}

impl SampleType {
    /// Bytes taken by one sample (both parts for complex types).
    pub fn bytes(self) -> usize {
        match self {
            SampleType::U8 | SampleType::I8 => 1,
            SampleType::U16 | SampleType::I16 => 2,
            SampleType::U32 | SampleType::I32 | SampleType::F32 | SampleType::ComplexI16 => 4,
            SampleType::F64 | SampleType::ComplexI32 | SampleType::ComplexF32 => 8,
        }
    }

    /// Whether the samples are complex numbers (read as intensity or amplitude).
    pub fn is_complex(self) -> bool {
        matches!(
            self,
            SampleType::ComplexI16 | SampleType::ComplexI32 | SampleType::ComplexF32
        )
    }

    /// GDAL's name for the type (`Byte`, `Int16`, `Float32`, `CInt16`, ...).
    pub fn name(self) -> &'static str {
        match self {
            SampleType::U8 => "Byte",
            SampleType::I8 => "Int8",
            SampleType::U16 => "UInt16",
            SampleType::I16 => "Int16",
            SampleType::U32 => "UInt32",
            SampleType::I32 => "Int32",
            SampleType::F32 => "Float32",
            SampleType::F64 => "Float64",
            SampleType::ComplexI16 => "CInt16",
            SampleType::ComplexI32 => "CInt32",
            SampleType::ComplexF32 => "CFloat32",
        }
    }

    /// The type for a TIFF `SampleFormat` code and `BitsPerSample`, if this crate reads it.
    pub(crate) fn from_tiff(format: u16, bits: u16) -> Option<SampleType> {
        Some(match (format, bits) {
            (1, 8) => SampleType::U8,
            (2, 8) => SampleType::I8,
            (1, 16) => SampleType::U16,
            (2, 16) => SampleType::I16,
            (1, 32) => SampleType::U32,
            (2, 32) => SampleType::I32,
            (3, 32) => SampleType::F32,
            (3, 64) => SampleType::F64,
            (5, 32) => SampleType::ComplexI16,
            (5, 64) => SampleType::ComplexI32,
            (6, 64) => SampleType::ComplexF32,
            _ => return None,
        })
    }
}

impl fmt::Display for SampleType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the pixels are cut into independently compressed chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// Horizontal strips of full width.
    Strips {
        /// Rows in each strip (the last one may have fewer).
        rows_per_strip: usize,
    },
    /// Rectangular tiles (edge tiles are padded in the file).
    Tiles {
        /// Tile width in pixels.
        width: usize,
        /// Tile height in pixels.
        height: usize,
    },
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Layout::Strips { rows_per_strip } => write!(f, "strips of {rows_per_strip} rows"),
            Layout::Tiles { width, height } => write!(f, "tiles of {width} x {height}"),
        }
    }
}

/// The TIFF compression of the pixel data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// No compression (1).
    None,
    /// LZW (5).
    Lzw,
    /// Deflate / zlib (8, or the old code 32946).
    Deflate,
    /// Zstandard (50000).
    Zstd,
    /// PackBits run-length encoding (32773).
    PackBits,
    /// Any other TIFF compression code (not readable by this crate).
    Other(u16),
}

impl Compression {
    /// The compression for a TIFF `Compression` tag value.
    pub fn from_code(code: u16) -> Compression {
        match code {
            1 => Compression::None,
            5 => Compression::Lzw,
            8 | 32946 => Compression::Deflate,
            50000 => Compression::Zstd,
            32773 => Compression::PackBits,
            other => Compression::Other(other),
        }
    }

    /// The TIFF `Compression` tag value.
    pub fn code(self) -> u16 {
        match self {
            Compression::None => 1,
            Compression::Lzw => 5,
            Compression::Deflate => 8,
            Compression::Zstd => 50000,
            Compression::PackBits => 32773,
            Compression::Other(c) => c,
        }
    }

    /// The most bytes one stored byte can decode to with this compression (rounded up): what
    /// lets a reader refuse a strip or tile whose stored bytes cannot hold its decoded size
    /// before allocating for it.
    ///
    /// 1 for none (exact), 64 for PackBits (a two-byte run stands for at most 128 bytes), 1032
    /// for Deflate (a 258-byte match takes at least two bits), 3641 for LZW (a code of at least
    /// 9 bits stands for at most 4096 bytes) and 32768 for ZSTD (an RLE block: 4 bytes stand for
    /// up to 128 KiB). 1 for compressions this crate does not decode.
    pub fn max_expansion(self) -> u64 {
        match self {
            Compression::None | Compression::Other(_) => 1,
            Compression::PackBits => 64,
            Compression::Deflate => 1032,
            Compression::Lzw => 3641,
            Compression::Zstd => 32768,
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Compression::None => f.write_str("none"),
            Compression::Lzw => f.write_str("LZW"),
            Compression::Deflate => f.write_str("Deflate"),
            Compression::Zstd => f.write_str("ZSTD"),
            Compression::PackBits => f.write_str("PackBits"),
            Compression::Other(c) => write!(f, "{} ({c})", compression_name(*c)),
        }
    }
}

/// A readable name for TIFF compression codes this crate does not decode.
pub(crate) fn compression_name(code: u16) -> &'static str {
    match code {
        2 => "CCITT RLE",
        3 => "CCITT Group 3",
        4 => "CCITT Group 4",
        6 => "old JPEG",
        7 => "JPEG",
        34712 => "JPEG 2000",
        34887 => "LERC",
        34925 => "LZMA",
        50001 => "WebP",
        50002 => "JPEG XL (draft)",
        52546 => "JPEG XL",
        _ => "unknown compression",
    }
}

/// The TIFF predictor applied before compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Predictor {
    /// No predictor (1).
    None,
    /// Horizontal differencing of integers (2).
    Horizontal,
    /// Floating-point byte-plane differencing (3).
    FloatingPoint,
}

impl Predictor {
    /// The TIFF `Predictor` tag value.
    pub fn code(self) -> u16 {
        match self {
            Predictor::None => 1,
            Predictor::Horizontal => 2,
            Predictor::FloatingPoint => 3,
        }
    }
}

impl fmt::Display for Predictor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Predictor::None => f.write_str("none"),
            Predictor::Horizontal => f.write_str("2 (horizontal)"),
            Predictor::FloatingPoint => f.write_str("3 (floating point)"),
        }
    }
}

/// Everything known about a raster before reading its pixels.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RasterInfo {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels (rows).
    pub height: usize,
    /// Number of bands (TIFF samples per pixel).
    pub bands: usize,
    /// The stored sample type.
    pub sample_type: SampleType,
    /// `true` for band-sequential storage (PlanarConfiguration 2), `false` for pixel-interleaved.
    pub planar: bool,
    /// Strips or tiles.
    pub layout: Layout,
    /// Compression of the pixel data.
    pub compression: Compression,
    /// Predictor used with the compression.
    pub predictor: Predictor,
    /// `true` for BigTIFF (64-bit offsets), `false` for classic TIFF.
    pub bigtiff: bool,
    /// `true` when the file is big-endian (`MM`), `false` for little-endian (`II`).
    pub big_endian: bool,
    /// The no-data value from the `GDAL_NODATA` tag (42113), if present and a number.
    pub nodata: Option<f64>,
    /// The georeferencing and GDAL tags, kept verbatim so they can be copied to an output.
    pub geo: GeoTags,
}

impl RasterInfo {
    /// Number of pixels in one band.
    pub fn pixels(&self) -> u64 {
        self.width as u64 * self.height as u64
    }

    /// Size of the uncompressed pixel data of all bands, in bytes.
    pub fn data_bytes(&self) -> u64 {
        self.pixels() * self.bands as u64 * self.sample_type.bytes() as u64
    }
}

/// Formats a number compactly: integers without a fraction, others with about 15 significant
/// digits (at most 12 decimals), trailing zeros removed.
pub(crate) fn fmt_num(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else if v.is_finite() && (v.abs() >= 1e-4 && v.abs() < 1e15) {
        // About 15 significant digits, at most 12 decimals.
        let int_digits = (v.abs().log10().floor() as i32 + 1).max(1) as usize;
        let decimals = 15usize.saturating_sub(int_digits).min(12);
        let s = format!("{v:.decimals$}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        format!("{v}")
    }
}

fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

impl fmt::Display for RasterInfo {
    /// A human summary, several lines, as printed by `despeckle info`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Size:          {} x {} pixels, {} band{} ({} uncompressed)",
            self.width,
            self.height,
            self.bands,
            if self.bands == 1 { "" } else { "s" },
            human_bytes(self.data_bytes())
        )?;
        writeln!(f, "Type:          {}", self.sample_type)?;
        let interleave = if self.bands == 1 {
            ""
        } else if self.planar {
            ", band-interleaved (planar)"
        } else {
            ", pixel-interleaved"
        };
        writeln!(f, "Layout:        {}{interleave}", self.layout)?;
        writeln!(
            f,
            "Compression:   {}, predictor {}",
            self.compression, self.predictor
        )?;
        writeln!(
            f,
            "Format:        {}, {}",
            if self.bigtiff {
                "BigTIFF"
            } else {
                "classic TIFF"
            },
            if self.big_endian {
                "big-endian"
            } else {
                "little-endian"
            }
        )?;
        match (self.nodata, &self.geo.gdal_nodata) {
            (Some(v), _) => writeln!(f, "No-data:       {}", fmt_num(v))?,
            (None, Some(raw)) => writeln!(f, "No-data:       unreadable value {raw:?}")?,
            (None, None) => writeln!(f, "No-data:       none")?,
        }
        match self.geo.geo_transform() {
            Some(gt) => {
                writeln!(f, "Pixel size:    {}, {}", fmt_num(gt[1]), fmt_num(gt[5]))?;
                if gt[2] != 0.0 || gt[4] != 0.0 {
                    writeln!(f, "Rotation:      {}, {}", fmt_num(gt[2]), fmt_num(gt[4]))?;
                }
                writeln!(f, "Origin:        {}, {}", fmt_num(gt[0]), fmt_num(gt[3]))?;
            }
            None => writeln!(
                f,
                "Georeferencing: none (no pixel scale/tie point/transformation)"
            )?,
        }
        match &self.geo.geo_key_directory {
            Some(_) => {
                let mut crs = String::from("GeoKeyDirectory present");
                if let Some((code, kind)) = self.geo.epsg() {
                    let kind = match kind {
                        CrsKind::Projected => "projected",
                        CrsKind::Geographic => "geographic",
                    };
                    crs = format!("EPSG:{code} ({kind}); {crs}");
                } else if let Some(citation) = self.geo.citation() {
                    crs = format!("{citation:?}; {crs}");
                }
                if self.geo.raster_type() == Some(RasterType::PixelIsPoint) {
                    crs.push_str(", PixelIsPoint");
                }
                writeln!(f, "CRS:           {crs}")?;
            }
            None => writeln!(f, "CRS:           none (no GeoKeyDirectory)")?,
        }
        match &self.geo.gdal_metadata {
            Some(m) => write!(f, "GDAL metadata: {} bytes", m.len()),
            None => write!(f, "GDAL metadata: none"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_compact() {
        assert_eq!(fmt_num(10.0), "10");
        assert_eq!(fmt_num(-9999.0), "-9999");
        assert_eq!(fmt_num(0.5), "0.5");
        assert_eq!(fmt_num(699959.8333333344), "699959.833333334");
        assert_eq!(fmt_num(1.0 / 3.0), "0.333333333333");
        assert_eq!(fmt_num(f64::NAN), "NaN");
        assert_eq!(fmt_num(0.000_089_831_528_4), "0.0000898315284");
    }

    #[test]
    fn sample_types_from_tiff() {
        assert_eq!(SampleType::from_tiff(5, 32), Some(SampleType::ComplexI16));
        assert_eq!(SampleType::from_tiff(6, 64), Some(SampleType::ComplexF32));
        assert_eq!(SampleType::from_tiff(6, 128), None);
        assert_eq!(SampleType::from_tiff(1, 12), None);
        assert_eq!(SampleType::ComplexF32.bytes(), 8);
    }
}
