//! Cloud-optimized GeoTIFF pieces: the overview pyramid's sizes, the averaging of one level
//! into the next, and GDAL's structural-metadata ("ghost") header with its block leaders and
//! trailers.
//!
//! The layout is that of GDAL's COG driver (`LAYOUT=IFDS_BEFORE_DATA`, `BLOCK_ORDER=ROW_MAJOR`):
//! the header, the ghost header, every directory (full resolution first, then the overviews,
//! largest first), then the tile data of the smallest overview first and of the full resolution
//! last, each tile preceded by its size (4 bytes) and followed by a copy of its last 4 bytes.

use crate::convert::Sample;
use crate::writer::OutputType;

/// GDAL's structural metadata, as its COG driver writes it (the space after `NO` leaves room
/// for `YES`, which GDAL writes when a later edit breaks the layout).
const GHOST_BODY: &str = "LAYOUT=IFDS_BEFORE_DATA\n\
                          BLOCK_ORDER=ROW_MAJOR\n\
                          BLOCK_LEADER=SIZE_AS_UINT4\n\
                          BLOCK_TRAILER=LAST_4_BYTES_REPEATED\n\
                          KNOWN_INCOMPATIBLE_EDITION=NO\n ";

/// The ghost header that follows the TIFF header, padded to an even length so that the first
/// directory (right after it) starts on a word boundary, where GDAL's validator expects it.
pub(crate) fn ghost_header(header_len: usize) -> Vec<u8> {
    let mut g = format!(
        "GDAL_STRUCTURAL_METADATA_SIZE={:06} bytes\n{GHOST_BODY}",
        GHOST_BODY.len()
    )
    .into_bytes();
    if !(header_len + g.len()).is_multiple_of(2) {
        g.push(0);
    }
    g
}

/// Bytes written around each tile: the leader (the tile's size) and the trailer (its last 4
/// bytes again).
pub(crate) const BLOCK_EXTRA: u64 = 8;

/// The leader of a tile of `len` bytes.
pub(crate) fn leader(len: usize) -> [u8; 4] {
    // A tile is far below 4 GiB (the writer limits tiles to 2^26 pixels of 8 bytes, and
    // compression grows incompressible data by a little).
    (len as u32).to_le_bytes()
}

/// The trailer of `tile`: its last 4 bytes (zero-padded in front for a shorter tile).
pub(crate) fn trailer(tile: &[u8]) -> [u8; 4] {
    let mut t = [0u8; 4];
    let n = tile.len().min(4);
    t[4 - n..].copy_from_slice(&tile[tile.len() - n..]);
    t
}

/// Sizes of the overview levels of a `width × height` image cut into `tile_w × tile_h` tiles,
/// as GDAL's COG driver makes them: each level half the previous one (rounded up), down to the
/// first that fits in one tile. Empty when the image fits in one tile.
pub(crate) fn overview_sizes(
    width: usize,
    height: usize,
    tile_w: usize,
    tile_h: usize,
) -> Vec<(usize, usize)> {
    let (mut w, mut h) = (width, height);
    let mut sizes = Vec::new();
    while w > tile_w || h > tile_h {
        w = w.div_ceil(2);
        h = h.div_ceil(2);
        sizes.push((w, h));
    }
    sizes
}

/// A value as stored in a file of type `ty` (rounded to float32 for float32 files).
#[inline]
fn stored<T: Sample>(v: T, ty: OutputType) -> f64 {
    match ty {
        OutputType::F32 => f64::from(v.to_f32()),
        OutputType::F64 => v.to_f64(),
    }
}

/// Averages the 2 × 2 blocks of one band of one level into the rows of the next level, as
/// the rows arrive: pixel `(i, j)` of the next level is the mean of the valid pixels among
/// rows `2i, 2i + 1` and columns `2j, 2j + 1` of this level (fewer at the right and bottom
/// edges of an odd size). Valid means finite and not the no-data value; a block without a
/// valid pixel gives the no-data value (NaN when there is none).
///
/// Values are taken as stored (float32 output: rounded to float32), summed in float64 in the
/// order row by row, left to right, divided by their count and stored again: each level is
/// computed from the previous one as written, the way GDAL computes a pyramid.
#[derive(Debug)]
pub(crate) struct Reducer {
    src_width: usize,
    src_height: usize,
    ty: OutputType,
    /// The no-data value as stored, if finite (NaN and ±∞ are never valid anyway).
    nodata: Option<f64>,
    /// What a block without valid pixels becomes.
    fill: f64,
    /// Source rows taken so far.
    taken: usize,
    sum: Vec<f64>,
    count: Vec<u8>,
    /// The output row buffer, lent out by [`Reducer::push`] and given back.
    spare: Vec<f64>,
}

impl Reducer {
    /// A reducer of a `src_width × src_height` level stored as `ty`, with no-data `nodata`.
    pub(crate) fn new(
        src_width: usize,
        src_height: usize,
        ty: OutputType,
        nodata: Option<f64>,
    ) -> Reducer {
        let nodata_stored = nodata.map(|v| stored(v, ty));
        let out_width = src_width.div_ceil(2);
        Reducer {
            src_width,
            src_height,
            ty,
            nodata: nodata_stored.filter(|v| v.is_finite()),
            fill: nodata_stored.unwrap_or(f64::NAN),
            taken: 0,
            sum: vec![0.0; out_width],
            count: vec![0; out_width],
            spare: Vec::with_capacity(out_width),
        }
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.sum.capacity() * 8 + self.count.capacity() + self.spare.capacity() * 8
    }

    /// Takes the next source row; returns the next level's row when one is complete (give the
    /// buffer back with [`Reducer::give_back`]).
    pub(crate) fn push<T: Sample>(&mut self, row: &[T]) -> Option<Vec<f64>> {
        debug_assert_eq!(row.len(), self.src_width);
        let (ty, nodata) = (self.ty, self.nodata);
        let add = |sum: &mut f64, count: &mut u8, v: T| {
            let v = stored(v, ty);
            if v.is_finite() && Some(v) != nodata {
                *sum += v;
                *count += 1;
            }
        };
        for ((pair, sum), count) in row
            .chunks(2)
            .zip(self.sum.iter_mut())
            .zip(self.count.iter_mut())
        {
            for &v in pair {
                add(sum, count, v);
            }
        }
        self.taken += 1;
        if !self.taken.is_multiple_of(2) && self.taken < self.src_height {
            return None;
        }
        let mut out = std::mem::take(&mut self.spare);
        out.clear();
        let fill = self.fill;
        out.extend(self.sum.iter().zip(&self.count).map(|(&s, &n)| {
            if n == 0 {
                fill
            } else {
                stored(s / f64::from(n), ty)
            }
        }));
        self.sum.fill(0.0);
        self.count.fill(0);
        Some(out)
    }

    /// Returns the buffer lent by [`Reducer::push`].
    pub(crate) fn give_back(&mut self, row: Vec<f64>) {
        self.spare = row;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ghost_header_is_gdals() {
        let g = ghost_header(8);
        let text = String::from_utf8_lossy(&g);
        assert!(text.starts_with("GDAL_STRUCTURAL_METADATA_SIZE=000140 bytes\nLAYOUT="));
        // GDAL's COG driver puts the first directory at 192 (classic) and 200 (BigTIFF).
        assert_eq!(8 + g.len(), 192);
        assert_eq!(16 + ghost_header(16).len(), 200);
    }

    #[test]
    fn pyramid_sizes_follow_gdal() {
        assert!(overview_sizes(512, 512, 512, 512).is_empty());
        assert_eq!(overview_sizes(513, 100, 512, 512), vec![(257, 50)]);
        assert_eq!(
            overview_sizes(1300, 1100, 512, 512),
            vec![(650, 550), (325, 275)]
        );
        assert_eq!(overview_sizes(10, 2000, 256, 512).len(), 2);
    }

    #[test]
    fn blocks_average_valid_pixels() {
        // 5 × 3 source, no-data -1: rows (1, 2 | 3, -1 | NaN), (5, 6 | -1, -1 | 9), (∞, 1 | ...).
        let nan = f32::NAN;
        let rows: [[f32; 5]; 3] = [
            [1.0, 2.0, 3.0, -1.0, nan],
            [5.0, 6.0, -1.0, -1.0, 9.0],
            [f32::INFINITY, 1.0, -1.0, -1.0, 0.1],
        ];
        let mut r = Reducer::new(5, 3, OutputType::F32, Some(-1.0));
        assert!(r.push(&rows[0]).is_none());
        let first = r.push(&rows[1]).unwrap();
        assert_eq!(first, vec![3.5, 3.0, 9.0]);
        r.give_back(first);
        // The odd last row makes a row on its own; a block without valid pixel is no-data.
        let last = r.push(&rows[2]).unwrap();
        assert_eq!(last, vec![1.0, -1.0, f64::from(0.1f32)]);
        // Float32 output rounds the mean to float32; float64 keeps it.
        let mut r = Reducer::new(2, 1, OutputType::F32, None);
        let third = r.push(&[0.1f64, 0.2]).unwrap();
        assert_eq!(
            third[0],
            f64::from(((0.1f32 as f64 + 0.2f32 as f64) / 2.0) as f32)
        );
        let mut r = Reducer::new(2, 1, OutputType::F64, None);
        assert_eq!(r.push(&[0.1f64, 0.2]).unwrap()[0], (0.1 + 0.2) / 2.0);
        // Without no-data an empty block is NaN.
        let mut r = Reducer::new(1, 1, OutputType::F64, None);
        assert!(r.push(&[f64::NAN]).unwrap()[0].is_nan());
    }
}
