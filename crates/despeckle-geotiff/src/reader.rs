//! Streaming reader: decodes one strip or one row of tiles at a time.

use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::marker::PhantomData;
use std::ops::Range;
use std::path::{Path, PathBuf};

use tiff::decoder::{ChunkType, Decoder, DecodingResult, Limits};
use tiff::tags::Tag;

use crate::chunks::ChunkTable;
use crate::convert::{self, ComplexMode, Sample, Source};
use crate::error::{Error, Result};
use crate::geo::{self, GeoTags};
use crate::info::{Compression, Layout, Predictor, RasterInfo, SampleType, compression_name};
use crate::overlay::{self, Overlay};

/// Default bound on the memory held for one decoded strip or row of tiles: 1 GiB.
pub const DEFAULT_MAX_BLOCK_BYTES: usize = 1 << 30;
/// Largest ASCII tag (GDAL metadata, GeoAsciiParams) this reader accepts: 64 MiB.
const MAX_ASCII_TAG_BYTES: u64 = 64 << 20;

/// Options for [`Reader::open_with`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReaderOptions {
    /// How complex samples become real values; `None` makes reading complex data an error
    /// (opening and [`Reader::info`] still work).
    pub complex: Option<ComplexMode>,
    /// Most bytes the reader may hold for one decoded strip or row of tiles, all bands of a
    /// pixel-interleaved file included. Files whose strips or tile rows are larger (for instance
    /// a huge image stored as a single strip) are refused with [`Error::TooLarge`].
    pub max_block_bytes: usize,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            complex: None,
            max_block_bytes: DEFAULT_MAX_BLOCK_BYTES,
        }
    }
}

/// How the file is cut into chunks, in the reader's terms.
#[derive(Debug, Clone)]
struct Geometry {
    tiled: bool,
    /// Chunk width (the image width for strips).
    chunk_w: usize,
    /// Rows per strip or tile height, at most the image height.
    chunk_h: usize,
    /// Bytes of one full decoded tile (0 for strips).
    tile_bytes: usize,
    /// Chunks in one chunk row.
    across: usize,
    /// Chunk rows.
    down: usize,
    /// Samples per pixel inside a chunk (bands when pixel-interleaved, else 1).
    spp: usize,
    /// Bytes of one decoded sample.
    sample_bytes: usize,
}

/// A streaming GeoTIFF reader.
///
/// Pixels are decoded one *block* at a time: a block is one strip, or one row of tiles, of one
/// band (all bands for a pixel-interleaved file, which stores them together). The reader keeps
/// the last decoded block, so consecutive reads inside it cost no decoding; its memory is
/// `O(width × block height)` whatever the image height (see [`Reader::buffer_bytes`]).
///
/// Rows can be read in any order with [`Reader::read_rows`]; reading them top to bottom, block
/// by block ([`Reader::blocks`] or [`Reader::read_block`]), decodes every chunk once.
///
/// ```no_run
/// use despeckle_geotiff::Reader;
/// let mut reader = Reader::open("scene.tif")?;
/// println!("{}", reader.info());
/// for block in reader.blocks::<f32>(0)? {
///     let block = block?;
///     // block.data holds rows block.y0 .. block.y0 + block.rows, `width` values each
/// }
/// # Ok::<(), despeckle_geotiff::Error>(())
/// ```
pub struct Reader {
    path: PathBuf,
    info: RasterInfo,
    decoder: Decoder<Overlay<BufReader<File>>>,
    complex: Option<ComplexMode>,
    geom: Geometry,
    /// One decoded tile (tiled files only).
    tile_buf: DecodingResult,
    /// Bytes held by `tile_buf`.
    tile_buf_bytes: usize,
    /// One decoded block: `rows × width × spp × sample_bytes` bytes.
    block_buf: Vec<u8>,
    /// The (plane, chunk row) held in `block_buf`.
    cached: Option<(usize, usize)>,
    /// Where every strip or tile is, and how many bytes it holds.
    chunks: ChunkTable,
    /// Direct Deflate decoding with libdeflate, for the files it applies to.
    inflate: Option<Inflate>,
}

/// Deflate chunks of a little-endian file (no predictor or the floating-point one), read and
/// inflated with libdeflate (about twice as fast as going through the `tiff` crate); any chunk
/// it cannot decode exactly is left to `tiff`.
struct Inflate {
    file: File,
    float_predictor: bool,
    decompressor: libdeflater::Decompressor,
    compressed: Vec<u8>,
    tmp: Vec<u8>,
}

impl Inflate {
    fn new(path: &Path, info: &RasterInfo) -> Option<Inflate> {
        if info.compression != Compression::Deflate || info.big_endian {
            return None;
        }
        let float_predictor = match info.predictor {
            Predictor::None => false,
            Predictor::FloatingPoint => true,
            Predictor::Horizontal => return None,
        };
        Some(Inflate {
            file: File::open(path).ok()?,
            float_predictor,
            decompressor: libdeflater::Decompressor::new(),
            compressed: Vec::new(),
            tmp: Vec::new(),
        })
    }

    /// Decodes chunk `index` of `chunks` into `out` (exactly its decoded size), rows of
    /// `row_bytes` and samples of `sample_bytes`, `spp` per pixel; `false` if it cannot (left
    /// to `tiff`).
    fn decode(
        &mut self,
        chunks: &ChunkTable,
        index: usize,
        out: &mut [u8],
        row_bytes: usize,
        sample_bytes: usize,
        spp: usize,
    ) -> bool {
        use std::io::Read;
        let Some((at, n)) = chunks.get(index) else {
            return false;
        };
        let Ok(n) = usize::try_from(n) else {
            return false;
        };
        if n > 2 * out.len() + (1 << 16) {
            return false;
        }
        self.compressed.resize(n, 0);
        if self.file.seek(SeekFrom::Start(at)).is_err()
            || self.file.read_exact(&mut self.compressed).is_err()
        {
            return false;
        }
        match self.decompressor.zlib_decompress(&self.compressed, out) {
            Ok(got) if got == out.len() => {}
            _ => return false,
        }
        if self.float_predictor {
            if row_bytes == 0 || !out.len().is_multiple_of(row_bytes) {
                return false;
            }
            self.tmp.resize(row_bytes, 0);
            for row in out.chunks_exact_mut(row_bytes) {
                undo_float_predictor(row, &mut self.tmp, sample_bytes, spp);
            }
        }
        true
    }
}

/// Undoes TIFF predictor 3 on one row, giving little-endian samples (as libtiff's `fpAcc`).
fn undo_float_predictor(row: &mut [u8], tmp: &mut [u8], sample_bytes: usize, spp: usize) {
    for j in spp..row.len() {
        row[j] = row[j].wrapping_add(row[j - spp]);
    }
    tmp.copy_from_slice(row);
    let n = row.len() / sample_bytes;
    for (i, s) in row.chunks_exact_mut(sample_bytes).enumerate() {
        for (k, b) in s.iter_mut().rev().enumerate() {
            *b = tmp[k * n + i];
        }
    }
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("path", &self.path)
            .field("info", &self.info)
            .field("complex", &self.complex)
            .finish_non_exhaustive()
    }
}

/// One block of rows of one band, as yielded by [`Reader::blocks`].
#[derive(Debug, Clone, PartialEq)]
pub struct RowBlock<T> {
    /// Index of the first row.
    pub y0: usize,
    /// Number of rows.
    pub rows: usize,
    /// `rows × width` values, row after row.
    pub data: Vec<T>,
}

/// Iterator over the blocks of one band, top to bottom; see [`Reader::blocks`].
#[derive(Debug)]
pub struct Blocks<'a, T: Sample> {
    reader: &'a mut Reader,
    band: usize,
    next: usize,
    _t: PhantomData<T>,
}

impl<T: Sample> Iterator for Blocks<'_, T> {
    type Item = Result<RowBlock<T>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.reader.block_count() {
            return None;
        }
        let index = self.next;
        self.next += 1;
        let mut data = Vec::new();
        Some(
            self.reader
                .read_block(self.band, index, &mut data)
                .map(|rows| RowBlock {
                    y0: rows.start,
                    rows: rows.len(),
                    data,
                }),
        )
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.reader.block_count().saturating_sub(self.next);
        (n, Some(n))
    }
}

impl<T: Sample> ExactSizeIterator for Blocks<'_, T> {}

fn tag(n: u16) -> Tag {
    Tag::from_u16_exhaustive(n)
}

/// Grows `buf` to exactly `len` bytes without over-allocating.
fn fit(buf: &mut Vec<u8>, len: usize) {
    if buf.capacity() < len {
        buf.reserve_exact(len - buf.len());
    }
    buf.resize(len, 0);
}

impl Reader {
    /// Opens a GeoTIFF and reads its header, tags and georeferencing (no pixels yet).
    ///
    /// Memory follows what the file holds, not what it declares: a directory whose tags claim
    /// values past the end of the file, or that gives one tag two different values, is refused
    /// as [`Error::Corrupt`] before anything is allocated for them. Likewise, reading a strip or
    /// tile whose bytes in the file cannot decode to its size, even at its compression's
    /// [largest expansion](Compression::max_expansion) (uncompressed: whose size runs past the
    /// end of the file), fails with [`Error::Corrupt`] before its block is allocated.
    pub fn open(path: impl AsRef<Path>) -> Result<Reader> {
        Reader::open_with(path, ReaderOptions::default())
    }

    /// Opens a GeoTIFF with options (complex mode, memory bound).
    pub fn open_with(path: impl AsRef<Path>, options: ReaderOptions) -> Result<Reader> {
        let path = path.as_ref();
        let rd = |e| Error::from_read_io(path, e);
        let file = crate::temp::open_input(path)?;
        let file_len = file.metadata().map_err(rd)?.len();
        let mut buffered = BufReader::with_capacity(1 << 16, file);
        let scan = overlay::scan(&mut buffered)
            .map_err(rd)?
            .unwrap_or_default();
        if let Some(damage) = scan.damage {
            return Err(Error::corrupt(path, damage));
        }
        buffered.seek(SeekFrom::Start(0)).map_err(rd)?;
        let source = Overlay::new(buffered, scan.patches.clone());

        let tf = |e| Error::from_tiff(path, e);
        let mut limits = Limits::default();
        limits.decoding_buffer_size = options.max_block_bytes.max(256 << 20);
        limits.intermediate_buffer_size = options.max_block_bytes;
        let mut decoder = Decoder::new(source).map_err(tf)?.with_limits(limits);

        let (width, height) = decoder.dimensions().map_err(tf)?;
        let (width, height) = (width as usize, height as usize);
        let bands = decoder
            .find_tag_unsigned::<u16>(Tag::SamplesPerPixel)
            .map_err(tf)?
            .unwrap_or(1) as usize;
        let bits = decoder
            .find_tag_unsigned_vec::<u16>(Tag::BitsPerSample)
            .map_err(tf)?
            .and_then(|v| v.first().copied())
            .unwrap_or(1);
        let format = match &scan.sample_format {
            Some(v) => v.first().copied().unwrap_or(1),
            None => decoder
                .find_tag_unsigned_vec::<u16>(Tag::SampleFormat)
                .map_err(tf)?
                .and_then(|v| v.first().copied())
                .unwrap_or(1),
        };
        let sample_type = SampleType::from_tiff(format, bits).ok_or_else(|| {
            let kind = match format {
                1 => "unsigned integer",
                2 => "signed integer",
                3 => "float",
                5 => "complex integer",
                6 => "complex float",
                _ => "unknown format",
            };
            Error::unsupported(
                path,
                format!("sample type: {bits}-bit {kind} (SampleFormat {format})"),
            )
        })?;
        let compression = Compression::from_code(
            decoder
                .find_tag_unsigned::<u16>(Tag::Compression)
                .map_err(tf)?
                .unwrap_or(1),
        );
        if let Compression::Other(code) = compression {
            return Err(Error::unsupported(
                path,
                format!(
                    "compression {} ({code}); this reader decodes none, LZW, Deflate, ZSTD and PackBits",
                    compression_name(code)
                ),
            ));
        }
        let predictor = match decoder
            .find_tag_unsigned::<u16>(Tag::Predictor)
            .map_err(tf)?
            .unwrap_or(1)
        {
            2 => Predictor::Horizontal,
            3 => Predictor::FloatingPoint,
            _ => Predictor::None,
        };
        let planar = decoder
            .find_tag_unsigned::<u16>(Tag::PlanarConfiguration)
            .map_err(tf)?
            == Some(2);
        // Refuses palette images and other photometric interpretations up front.
        decoder.colortype().map_err(tf)?;

        let (cw, ch) = decoder.chunk_dimensions();
        let (tiled, layout) = match decoder.get_chunk_type() {
            ChunkType::Strip => (
                false,
                Layout::Strips {
                    rows_per_strip: (ch as usize).min(height),
                },
            ),
            ChunkType::Tile => (
                true,
                Layout::Tiles {
                    width: cw as usize,
                    height: ch as usize,
                },
            ),
        };
        let chunk_w = if tiled { cw as usize } else { width };
        let chunk_h = (ch as usize).min(height);
        if chunk_w == 0 || chunk_h == 0 {
            return Err(Error::corrupt(path, "zero strip or tile size"));
        }
        let spp = if planar { 1 } else { bands };
        let px = (spp * sample_type.bytes()) as u64;
        let block = (chunk_h as u64)
            .saturating_mul(width as u64)
            .saturating_mul(px);
        let tile = if tiled {
            u64::from(cw)
                .saturating_mul(u64::from(ch))
                .saturating_mul(px)
        } else {
            0
        };
        if block.saturating_add(tile) > options.max_block_bytes as u64 {
            let what = if tiled { "row of tiles" } else { "strip" };
            return Err(Error::too_large(
                path,
                format!(
                    "one {what} takes {} MiB decoded, over the {} MiB limit; rewrite the file \
                     with smaller strips or tiles (e.g. gdal_translate -co TILED=YES)",
                    block.saturating_add(tile) >> 20,
                    options.max_block_bytes >> 20
                ),
            ));
        }
        let geom = Geometry {
            tiled,
            chunk_w,
            chunk_h,
            tile_bytes: tile as usize,
            across: width.div_ceil(chunk_w),
            down: height.div_ceil(chunk_h),
            spp,
            sample_bytes: sample_type.bytes(),
        };

        let chunks = ChunkTable::read(&mut decoder, path, tiled, file_len, compression)?;
        let geo = read_geo_tags(&mut decoder, path)?;
        let info = RasterInfo {
            width,
            height,
            bands,
            sample_type,
            planar,
            layout,
            compression,
            predictor,
            bigtiff: scan.bigtiff,
            big_endian: scan.big_endian,
            nodata: geo.nodata(),
            geo,
        };
        let inflate = if cfg!(target_endian = "little") {
            Inflate::new(path, &info)
        } else {
            None
        };
        Ok(Reader {
            chunks,
            inflate,
            path: path.to_path_buf(),
            info,
            decoder,
            complex: options.complex,
            geom,
            tile_buf: DecodingResult::U8(Vec::new()),
            tile_buf_bytes: 0,
            block_buf: Vec::new(),
            cached: None,
        })
    }

    /// The raster's description.
    pub fn info(&self) -> &RasterInfo {
        &self.info
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How complex samples are converted (`None`: reading complex data is an error).
    pub fn complex_mode(&self) -> Option<ComplexMode> {
        self.complex
    }

    /// Chooses how complex samples are converted; without it reading complex data fails with
    /// [`Error::ComplexModeRequired`]. It has no effect on real data.
    pub fn set_complex_mode(&mut self, mode: Option<ComplexMode>) {
        self.complex = mode;
    }

    /// Rows per block (the strip height or tile height; the last block may have fewer).
    pub fn block_height(&self) -> usize {
        self.geom.chunk_h
    }

    /// Number of blocks from top to bottom.
    pub fn block_count(&self) -> usize {
        self.geom.down
    }

    /// The rows of block `index`.
    pub fn block_rows(&self, index: usize) -> Range<usize> {
        let y0 = (index * self.geom.chunk_h).min(self.info.height);
        y0..(y0 + self.geom.chunk_h).min(self.info.height)
    }

    /// Bytes of one decoded strip or row of tiles (all samples of a pixel-interleaved file,
    /// plus one tile): what [`Reader::buffer_bytes`] reaches, and what
    /// [`ReaderOptions::max_block_bytes`] limits.
    pub fn chunk_row_bytes(&self) -> usize {
        let g = &self.geom;
        g.chunk_h * self.info.width * g.spp * g.sample_bytes + g.tile_bytes
    }

    /// Bytes currently allocated by the reader's pixel buffers (the decoded block and, for
    /// tiled files, one tile). Bounded by `block height × width × samples per chunk pixel ×
    /// sample bytes` plus one tile, whatever the image height.
    pub fn buffer_bytes(&self) -> usize {
        self.block_buf.capacity() + self.tile_buf_bytes
    }

    fn check_band(&self, band: usize) -> Result<()> {
        if band >= self.info.bands {
            return Err(Error::BandOutOfRange {
                path: self.path.clone(),
                band,
                bands: self.info.bands,
            });
        }
        if self.info.sample_type.is_complex() && self.complex.is_none() {
            return Err(Error::ComplexModeRequired {
                path: self.path.clone(),
                sample_type: self.info.sample_type,
            });
        }
        Ok(())
    }

    /// Iterates over the blocks of `band` from top to bottom, each converted to `T`.
    ///
    /// Fails at once if the band does not exist or the data are complex and no
    /// [`ComplexMode`] was chosen.
    pub fn blocks<T: Sample>(&mut self, band: usize) -> Result<Blocks<'_, T>> {
        self.check_band(band)?;
        Ok(Blocks {
            reader: self,
            band,
            next: 0,
            _t: PhantomData,
        })
    }

    /// Reads block `index` of `band` into `out` (resized to `rows × width`) and returns its rows.
    pub fn read_block<T: Sample>(
        &mut self,
        band: usize,
        index: usize,
        out: &mut Vec<T>,
    ) -> Result<Range<usize>> {
        if index >= self.block_count() {
            return Err(Error::usage(
                &self.path,
                format!(
                    "block {index} out of range: the image has {} blocks",
                    self.block_count()
                ),
            ));
        }
        let rows = self.block_rows(index);
        out.clear();
        out.resize(rows.len() * self.info.width, T::default());
        self.read_rows(band, rows.start, out)?;
        Ok(rows)
    }

    /// Reads rows `y0 .. y0 + out.len() / width` of `band` into `out`, converted to `T`.
    ///
    /// Any row range may be asked for, in any order; only the blocks it overlaps are decoded
    /// (the last decoded one is reused). `out.len()` must be a multiple of the width.
    pub fn read_rows<T: Sample>(&mut self, band: usize, y0: usize, out: &mut [T]) -> Result<()> {
        self.check_band(band)?;
        let width = self.info.width;
        if !out.len().is_multiple_of(width) {
            return Err(Error::usage(
                &self.path,
                format!(
                    "read_rows: buffer of {} values is not a whole number of rows of {width}",
                    out.len()
                ),
            ));
        }
        let rows = out.len() / width;
        let end = y0.saturating_add(rows);
        if end > self.info.height {
            return Err(Error::RowsOutOfRange {
                path: self.path.clone(),
                start: y0,
                end,
                height: self.info.height,
            });
        }
        let (plane, offset) = if self.info.planar {
            (band, 0)
        } else {
            (0, band)
        };
        let source = Source {
            ty: self.info.sample_type,
            stride: self.geom.spp,
            offset,
            big_endian: self.info.big_endian,
            complex: self.complex,
        };
        let row_bytes = width * self.geom.spp * self.geom.sample_bytes;
        let mut y = y0;
        while y < end {
            let r = y / self.geom.chunk_h;
            self.load(plane, r)?;
            let block = self.block_rows(r);
            let stop = end.min(block.end);
            let src =
                &self.block_buf[(y - block.start) * row_bytes..(stop - block.start) * row_bytes];
            let dst = &mut out[(y - y0) * width..(stop - y0) * width];
            convert::convert(src, &source, dst);
            y = stop;
        }
        Ok(())
    }

    /// Decodes chunk row `r` of `plane` into `block_buf`, unless it is already there.
    fn load(&mut self, plane: usize, r: usize) -> Result<()> {
        if self.cached == Some((plane, r)) {
            return Ok(());
        }
        self.cached = None;
        let g = &self.geom;
        let width = self.info.width;
        let rows = self.block_rows(r).len();
        let px = g.spp * g.sample_bytes;
        let row_bytes = width * px;
        let per_plane = g.across * g.down;
        let path = &self.path;
        let tf = |e| Error::from_tiff(path, e);
        let chunk_index = |c: usize| -> Result<u32> {
            u32::try_from(plane * per_plane + r * g.across + c)
                .map_err(|_| Error::corrupt(path, "too many strips or tiles"))
        };
        let tile_row = g.chunk_w * px;
        // Before allocating: every chunk of the block must hold enough bytes to decode to what
        // is decoded of it: a strip, its rows; a tile, its rows inside the image, whole tile
        // rows (all of them in the second and later planes: see the bottom tiles below).
        let chunk_bytes = match (g.tiled, plane) {
            (false, _) => rows * row_bytes,
            (true, 0) => rows * tile_row,
            (true, _) => g.tile_bytes,
        };
        for c in 0..g.across {
            let index = chunk_index(c)? as usize;
            self.chunks.check(path, index, chunk_bytes as u64)?;
        }
        let (sb, spp) = (g.sample_bytes, g.spp);
        let chunks = &self.chunks;
        if !g.tiled {
            fit(&mut self.block_buf, rows * row_bytes);
            let index = chunk_index(0)?;
            let done = self.inflate.as_mut().is_some_and(|z| {
                z.decode(
                    chunks,
                    index as usize,
                    &mut self.block_buf,
                    row_bytes,
                    sb,
                    spp,
                )
            });
            if !done {
                self.decoder
                    .read_chunk_bytes(index, &mut self.block_buf)
                    .map_err(tf)?;
            }
        } else {
            for c in 0..g.across {
                let index = chunk_index(c)?;
                let x0 = c * g.chunk_w;
                let data_row = g.chunk_w.min(width - x0) * px;
                // Decode with the output row stride of a whole tile row, so that `tiff` reads
                // the tile in one go even at the right edge: its row-by-row path for edge tiles
                // fails on some valid LZW tiles ("no lzw end code found", tiff 0.11.3).
                let mut done = false;
                // libdeflate decodes whole tiles: only those whose bytes can hold one (not a
                // bottom tile whose rows inside the image are all its bytes can hold).
                let whole = chunks.can_hold(index as usize, g.tile_bytes as u64);
                if let Some(z) = self.inflate.as_mut().filter(|_| whole) {
                    if let DecodingResult::U8(buf) = &mut self.tile_buf {
                        fit(buf, g.tile_bytes);
                        done = z.decode(chunks, index as usize, buf, tile_row, sb, spp);
                    } else {
                        self.tile_buf = DecodingResult::U8(Vec::new());
                    }
                }
                if !done {
                    self.decoder
                        .read_chunk_to_buffer(&mut self.tile_buf, index, tile_row)
                        .map_err(tf)?;
                }
                let decoded = self.tile_buf.as_buffer(0);
                let decoded = decoded.as_bytes();
                self.tile_buf_bytes = decoded.len();
                // For the bottom tiles of the second and later planes of a band-interleaved
                // file, tiff 0.11 decodes a full-height tile: only `rows` rows are used.
                if decoded.len() < (rows - 1) * tile_row + data_row || decoded.len() > g.tile_bytes
                {
                    return Err(Error::corrupt(
                        path,
                        format!("tile {index} has an unexpected size"),
                    ));
                }
                // The block is allocated once its first tile has decoded: tiles that share
                // one damaged chunk cannot make it allocate the whole row of them.
                if c == 0 {
                    fit(&mut self.block_buf, rows * row_bytes);
                }
                for y in 0..rows {
                    let at = y * row_bytes + x0 * px;
                    self.block_buf[at..at + data_row]
                        .copy_from_slice(&decoded[y * tile_row..y * tile_row + data_row]);
                }
            }
        }
        self.cached = Some((plane, r));
        Ok(())
    }
}

/// Reads the GeoTIFF and GDAL tags verbatim.
fn read_geo_tags<R: std::io::Read + Seek>(
    decoder: &mut Decoder<R>,
    path: &Path,
) -> Result<GeoTags> {
    let bad = |name: &str, e: tiff::TiffError| match Error::from_tiff(path, e) {
        Error::Corrupt { path, detail } => Error::Corrupt {
            path,
            detail: format!("tag {name}: {detail}"),
        },
        other => other,
    };
    let mut doubles = |n: u16, name: &str| -> Result<Option<Vec<f64>>> {
        decoder
            .find_tag(tag(n))
            .and_then(|v| v.map(|v| v.into_f64_vec()).transpose())
            .map_err(|e| bad(name, e))
    };
    let model_pixel_scale = doubles(geo::TAG_MODEL_PIXEL_SCALE, "ModelPixelScale")?;
    let model_tiepoint = doubles(geo::TAG_MODEL_TIEPOINT, "ModelTiepoint")?;
    let model_transformation = doubles(geo::TAG_MODEL_TRANSFORMATION, "ModelTransformation")?;
    let geo_double_params = doubles(geo::TAG_GEO_DOUBLE_PARAMS, "GeoDoubleParams")?;
    let geo_key_directory = decoder
        .find_tag(tag(geo::TAG_GEO_KEY_DIRECTORY))
        .and_then(|v| v.map(|v| v.into_u16_vec()).transpose())
        .map_err(|e| bad("GeoKeyDirectory", e))?;
    let mut ascii = |n: u16, name: &str| -> Result<Option<String>> {
        let mut ifd = decoder.image_ifd();
        let Some(entry) = ifd.find_entry(tag(n)) else {
            return Ok(None);
        };
        let count = entry.count();
        if count > MAX_ASCII_TAG_BYTES {
            return Err(Error::too_large(
                path,
                format!("tag {name} holds {count} bytes"),
            ));
        }
        let mut buf = vec![0u8; count as usize];
        let got = ifd
            .find_tag_bytes(tag(n), &mut buf, 0)
            .map_err(|e| bad(name, e))?
            .unwrap_or(0);
        buf.truncate(got.min(count as usize));
        if buf.last() == Some(&0) {
            buf.pop();
        }
        Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
    };
    let geo_ascii_params = ascii(geo::TAG_GEO_ASCII_PARAMS, "GeoAsciiParams")?;
    let gdal_metadata = ascii(geo::TAG_GDAL_METADATA, "GDAL_METADATA")?;
    let gdal_nodata = ascii(geo::TAG_GDAL_NODATA, "GDAL_NODATA")?;
    Ok(GeoTags {
        model_pixel_scale,
        model_tiepoint,
        model_transformation,
        geo_key_directory,
        geo_double_params,
        geo_ascii_params,
        gdal_metadata,
        gdal_nodata,
    })
}
