//! The table of strips or tiles (where each one's bytes are and how many), and the check that a
//! chunk's stored bytes can hold what it decodes to, made before anything is allocated for it.

use std::path::Path;

use tiff::decoder::Decoder;
use tiff::tags::Tag;

use crate::error::{Error, Result};
use crate::info::Compression;

/// Offsets and byte counts of every strip or tile, all planes, in the file's order.
#[derive(Debug, Clone)]
pub(crate) struct ChunkTable {
    offsets: Vec<u64>,
    counts: Vec<u64>,
    file_len: u64,
    compression: Compression,
    tiled: bool,
}

impl ChunkTable {
    /// Reads the `StripOffsets`/`StripByteCounts` or `TileOffsets`/`TileByteCounts` tags (their
    /// values lie inside the file: [`overlay::scan`](crate::overlay::scan) checked it).
    pub(crate) fn read<R: std::io::Read + std::io::Seek>(
        decoder: &mut Decoder<R>,
        path: &Path,
        tiled: bool,
        file_len: u64,
        compression: Compression,
    ) -> Result<ChunkTable> {
        let (o, c) = if tiled {
            (Tag::TileOffsets, Tag::TileByteCounts)
        } else {
            (Tag::StripOffsets, Tag::StripByteCounts)
        };
        let tf = |e| Error::from_tiff(path, e);
        let offsets = decoder.get_tag_u64_vec(o).map_err(tf)?;
        let counts = decoder.get_tag_u64_vec(c).map_err(tf)?;
        if offsets.len() != counts.len() {
            return Err(Error::corrupt(
                path,
                format!(
                    "{} offsets for {} byte counts of {}",
                    offsets.len(),
                    counts.len(),
                    if tiled { "tiles" } else { "strips" }
                ),
            ));
        }
        Ok(ChunkTable {
            offsets,
            counts,
            file_len,
            compression,
            tiled,
        })
    }

    /// Where chunk `index` starts and its declared byte count, if it exists.
    pub(crate) fn get(&self, index: usize) -> Option<(u64, u64)> {
        Some((*self.offsets.get(index)?, *self.counts.get(index)?))
    }

    /// The bytes of chunk `index` the file really holds: its byte count, cut at the end of the
    /// file (0 for a chunk that does not exist). Uncompressed chunks are read whatever their
    /// byte count says (as libtiff does for a bogus count, and the `tiff` crate always): for
    /// them, every byte from the chunk's offset to the end of the file.
    pub(crate) fn stored(&self, index: usize) -> u64 {
        self.get(index).map_or(0, |(at, n)| {
            let to_end = self.file_len.saturating_sub(at);
            if self.compression == Compression::None {
                to_end
            } else {
                n.min(to_end)
            }
        })
    }

    /// Whether chunk `index` can decode to `decoded` bytes (see [`ChunkTable::check`]).
    pub(crate) fn can_hold(&self, index: usize, decoded: u64) -> bool {
        self.stored(index)
            .saturating_mul(self.compression.max_expansion())
            >= decoded
    }

    /// Checks that chunk `index` can decode to `decoded` bytes: its [stored](ChunkTable::stored)
    /// bytes, times the compression's [largest expansion](Compression::max_expansion) (exactly
    /// its size without compression), are at least that. Called for every chunk of a block before the block is
    /// allocated, so that a file's declared sizes alone cannot make the reader allocate.
    pub(crate) fn check(&self, path: &Path, index: usize, decoded: u64) -> Result<()> {
        if self.can_hold(index, decoded) {
            return Ok(());
        }
        let stored = self.stored(index);
        let ratio = self.compression.max_expansion();
        let what = if self.tiled { "tile" } else { "strip" };
        let (at, declared) = self.get(index).unwrap_or((0, 0));
        let held = if self.compression == Compression::None && at >= self.file_len {
            format!(
                "starts at offset {at}, past the end of the file ({} bytes)",
                self.file_len
            )
        } else if self.compression == Compression::None {
            format!(
                "starts at offset {at}, {stored} bytes before the end of the file ({} bytes)",
                self.file_len
            )
        } else if declared > stored {
            format!(
                "declares {declared} bytes at offset {at}, of which the file ({} bytes) holds \
                 {stored}",
                self.file_len
            )
        } else {
            format!("holds {stored} bytes")
        };
        let need = if ratio == 1 {
            format!("the {decoded} bytes it must hold")
        } else {
            format!(
                "the {decoded} bytes it decodes to ({} expands at most {ratio} times)",
                self.compression
            )
        };
        Err(Error::corrupt(
            path,
            format!("{what} {index} {held}: too few for {need}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(offsets: &[u64], counts: &[u64], compression: Compression) -> ChunkTable {
        ChunkTable {
            offsets: offsets.to_vec(),
            counts: counts.to_vec(),
            file_len: 1000,
            compression,
            tiled: false,
        }
    }

    #[test]
    fn stored_bytes_stop_at_the_end_of_the_file() {
        let t = table(&[100, 900, 5000], &[50, 500, 10], Compression::Lzw);
        assert_eq!(t.stored(0), 50);
        assert_eq!(t.stored(1), 100);
        assert_eq!(t.stored(2), 0);
        assert_eq!(t.stored(3), 0);
    }

    #[test]
    fn uncompressed_chunks_need_their_size_before_the_end_of_the_file() {
        let path = Path::new("x.tif");
        // Byte counts are not what is read without compression: the bytes up to the end are.
        let t = table(&[100, 900, 5000], &[50, 500, 10], Compression::None);
        assert_eq!((t.stored(0), t.stored(1), t.stored(2)), (900, 100, 0));
        assert!(t.check(path, 0, 900).is_ok());
        assert!(t.check(path, 1, 100).is_ok());
        let e = t.check(path, 1, 101).unwrap_err().to_string();
        assert!(
            e.contains(
                "strip 1 starts at offset 900, 100 bytes before the end of the file (1000 \
                 bytes): too few for the 101 bytes it must hold"
            ),
            "{e}"
        );
        assert!(t.check(path, 2, 1).is_err());
        assert!(t.check(path, 7, 1).is_err());
        assert!(t.check(path, 7, 0).is_ok());
    }

    #[test]
    fn compressed_chunks_hold_their_byte_count_cut_at_the_end_of_the_file() {
        let path = Path::new("x.tif");
        let t = table(&[100, 900], &[50, 500], Compression::PackBits);
        assert!(t.check(path, 0, 50 * 64).is_ok());
        let e = t.check(path, 0, 50 * 64 + 1).unwrap_err().to_string();
        assert!(
            e.contains("strip 0 holds 50 bytes: too few for the 3201 bytes it decodes to"),
            "{e}"
        );
        let e = t.check(path, 1, 100 * 64 + 1).unwrap_err().to_string();
        assert!(
            e.contains(
                "declares 500 bytes at offset 900, of which the file (1000 bytes) holds 100"
            ),
            "{e}"
        );
    }

    #[test]
    fn compressed_chunks_may_expand_up_to_the_codec_ratio() {
        let path = Path::new("x.tif");
        for c in [
            Compression::PackBits,
            Compression::Deflate,
            Compression::Lzw,
            Compression::Zstd,
        ] {
            let t = table(&[0], &[10], c);
            let most = 10 * c.max_expansion();
            assert!(t.check(path, 0, most).is_ok(), "{c}");
            let e = t.check(path, 0, most + 1).unwrap_err().to_string();
            assert!(e.contains(&format!("{c} expands at most")), "{e}");
        }
    }
}
