//! Encoding of one strip or tile for writing: floating-point predictor, then compression.

use std::io::{self, Write};

use tiff::encoder::compression::{CompressionAlgorithm, Lzw, Packbits};

use crate::info::Compression;

/// Compression of a written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OutputCompression {
    /// No compression: the fastest to write and read.
    #[default]
    None,
    /// LZW (the `tiff` crate's encoder).
    Lzw,
    /// Deflate (zlib) at a level from 1 (fast) to 9 (small); GDAL's default level is 6.
    Deflate {
        /// Compression level, 1–9.
        level: u32,
    },
    /// Zstandard at a level from 1 to 22; GDAL's default level is 9.
    Zstd {
        /// Compression level, 1–22.
        level: i32,
    },
    /// PackBits run-length encoding (each row packed separately, as TIFF requires).
    PackBits,
}

impl OutputCompression {
    /// The matching [`Compression`] as reported by a reader.
    pub fn kind(self) -> Compression {
        match self {
            OutputCompression::None => Compression::None,
            OutputCompression::Lzw => Compression::Lzw,
            OutputCompression::Deflate { .. } => Compression::Deflate,
            OutputCompression::Zstd { .. } => Compression::Zstd,
            OutputCompression::PackBits => Compression::PackBits,
        }
    }

    pub(crate) fn validate(self) -> Result<(), String> {
        match self {
            OutputCompression::Deflate { level } if !(1..=9).contains(&level) => {
                Err(format!("Deflate level {level} is not in 1..=9"))
            }
            OutputCompression::Zstd { level } if !(1..=22).contains(&level) => {
                Err(format!("ZSTD level {level} is not in 1..=22"))
            }
            _ => Ok(()),
        }
    }
}

/// Turns raw chunks (little-endian samples, rows of `row_bytes`) into the bytes stored in the
/// file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChunkCodec {
    pub compression: OutputCompression,
    /// Apply TIFF predictor 3 (floating point).
    pub float_predictor: bool,
    /// Bytes per sample.
    pub sample_bytes: usize,
    /// Samples per pixel in a chunk.
    pub spp: usize,
}

impl ChunkCodec {
    /// Encodes `raw` (modified in place by the predictor) into `out` (cleared first).
    pub(crate) fn encode(
        &self,
        raw: &mut [u8],
        row_bytes: usize,
        out: &mut Vec<u8>,
    ) -> io::Result<()> {
        out.clear();
        if self.float_predictor {
            let mut tmp = vec![0u8; row_bytes];
            for row in raw.chunks_exact_mut(row_bytes) {
                float_predict(row, &mut tmp, self.sample_bytes, self.spp);
            }
        }
        match self.compression {
            OutputCompression::None => out.extend_from_slice(raw),
            OutputCompression::Lzw => {
                Lzw.write_to(out, raw)?;
            }
            OutputCompression::Deflate { level } => {
                let mut z = flate2::write::ZlibEncoder::new(out, flate2::Compression::new(level));
                z.write_all(raw)?;
                z.finish()?;
            }
            OutputCompression::Zstd { level } => {
                let mut z = zstd::stream::Encoder::new(out, level)?;
                z.write_all(raw)?;
                z.finish()?;
            }
            OutputCompression::PackBits => {
                for row in raw.chunks_exact(row_bytes) {
                    Packbits.write_to(out, row)?;
                }
            }
        }
        Ok(())
    }
}

/// TIFF predictor 3 on one row of little-endian samples: the bytes are regrouped by
/// significance (most significant byte of every sample first), then each byte is replaced by its
/// difference with the byte `spp` places before it.
fn float_predict(row: &mut [u8], tmp: &mut [u8], sample_bytes: usize, spp: usize) {
    let n = row.len() / sample_bytes;
    for (i, s) in row.chunks_exact(sample_bytes).enumerate() {
        for k in 0..sample_bytes {
            tmp[k * n + i] = s[sample_bytes - 1 - k];
        }
    }
    for j in (spp..row.len()).rev() {
        tmp[j] = tmp[j].wrapping_sub(tmp[j - spp]);
    }
    row.copy_from_slice(&tmp[..row.len()]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Undoes `float_predict` the way a reader does.
    fn undo(row: &mut [u8], sample_bytes: usize, spp: usize) {
        for j in spp..row.len() {
            row[j] = row[j].wrapping_add(row[j - spp]);
        }
        let n = row.len() / sample_bytes;
        let planes = row.to_vec();
        for i in 0..n {
            for k in 0..sample_bytes {
                row[i * sample_bytes + sample_bytes - 1 - k] = planes[k * n + i];
            }
        }
    }

    #[test]
    fn float_predictor_inverts() {
        let vals = [1.5f32, -2.25, 3.0e7, 0.0, f32::NAN, 7.0];
        let raw: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
        for spp in [1, 2, 3] {
            let mut row = raw.clone();
            let mut tmp = vec![0u8; row.len()];
            float_predict(&mut row, &mut tmp, 4, spp);
            assert_ne!(row, raw);
            undo(&mut row, 4, spp);
            assert_eq!(row, raw);
        }
    }

    #[test]
    fn levels_are_checked() {
        assert!(OutputCompression::Deflate { level: 0 }.validate().is_err());
        assert!(OutputCompression::Zstd { level: 23 }.validate().is_err());
        assert!(OutputCompression::Zstd { level: 9 }.validate().is_ok());
    }
}
