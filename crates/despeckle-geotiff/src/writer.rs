//! Streaming writer: rows go in top to bottom, strips or tiles come out compressed, the directory
//! and the copied georeferencing are written last, and the file appears under its name only when
//! complete.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::convert::Sample;
use crate::encode::{ChunkCodec, EncoderPool, OutputCompression};
use crate::error::{Error, Result, parent_dir};
use crate::geo::{self, GeoTags, format_nodata, parse_nodata};
use crate::ifd::{self, Value};
use crate::info::RasterInfo;
use crate::temp::TempFile;

/// Target size of an automatically sized strip: 512 KiB.
const STRIP_TARGET_BYTES: usize = 512 << 10;
/// Most raw bytes of strips/tiles being compressed (in parallel) or waiting to be written in
/// order.
const QUEUE_BYTES: usize = 8 << 20;
/// Classic TIFF offsets are 32-bit; `BigTiff::Auto` switches to BigTIFF when the estimated file
/// size comes within this margin of 4 GiB.
const CLASSIC_MARGIN: u64 = 64 << 20;

/// Sample type of a written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OutputType {
    /// 32-bit float (the default).
    #[default]
    F32,
    /// 64-bit float.
    F64,
}

impl OutputType {
    fn bytes(self) -> usize {
        match self {
            OutputType::F32 => 4,
            OutputType::F64 => 8,
        }
    }
}

/// How a written file is cut into chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputLayout {
    /// Full-width strips; `None` picks about 512 KiB of raw data per strip.
    Strips {
        /// Rows per strip, or `None` for automatic.
        rows_per_strip: Option<usize>,
    },
    /// Tiles; both sides must be multiples of 16 (TIFF's rule). 256 × 256 is GDAL's usual size.
    Tiles {
        /// Tile width.
        width: usize,
        /// Tile height.
        height: usize,
    },
}

impl Default for OutputLayout {
    fn default() -> Self {
        OutputLayout::Strips {
            rows_per_strip: None,
        }
    }
}

impl OutputLayout {
    /// 256 × 256 tiles.
    pub const TILED: OutputLayout = OutputLayout::Tiles {
        width: 256,
        height: 256,
    };
}

/// How several bands are stored in a written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Interleave {
    /// Band-sequential (TIFF PlanarConfiguration 2, GDAL `INTERLEAVE=BAND`): each band is stored
    /// on its own, so bands can be written one after the other, each top to bottom, with memory
    /// for one strip/tile row of one band. The default.
    #[default]
    Band,
    /// Pixel-interleaved (PlanarConfiguration 1, GDAL `INTERLEAVE=PIXEL`): a strip holds all
    /// bands, so the bands must be written in step (see [`Writer::write_rows`]).
    Pixel,
}

/// Whether to write a BigTIFF (64-bit offsets, no 4 GiB limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BigTiff {
    /// BigTIFF when the file could come near 4 GiB (raw size, allowing for compression that
    /// does not pay), classic TIFF otherwise. The default.
    #[default]
    Auto,
    /// Always BigTIFF.
    Yes,
    /// Always classic TIFF: writing fails if the file outgrows 4 GiB.
    No,
}

/// Options for [`Writer::create`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WriterOptions {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Number of bands.
    pub bands: usize,
    /// Stored sample type (float32 by default).
    pub sample_type: OutputType,
    /// Compression (none by default).
    pub compression: OutputCompression,
    /// Apply TIFF predictor 3 (floating point) before compressing; improves Deflate/ZSTD/LZW
    /// ratios on float data. Ignored without compression.
    pub float_predictor: bool,
    /// Strips (default) or tiles.
    pub layout: OutputLayout,
    /// Band-sequential (default) or pixel-interleaved storage of several bands.
    pub interleave: Interleave,
    /// Classic TIFF or BigTIFF.
    pub bigtiff: BigTiff,
    /// Georeferencing and GDAL tags, copied verbatim (see [`GeoTags`]). Its `gdal_nodata` text
    /// is used when it states the same value as [`WriterOptions::nodata`].
    pub geo: GeoTags,
    /// No-data value written to the `GDAL_NODATA` tag, if any.
    pub nodata: Option<f64>,
    /// Replace an existing output file (refused otherwise).
    pub overwrite: bool,
    /// Threads used to compress (0: one per core).
    pub threads: usize,
    /// Flush the file to the disk (`fsync`) before renaming it into place, so that it
    /// survives a power loss or an operating-system crash once [`Writer::finish`] returns.
    /// Off by default, as in GDAL and `cp`: the rename alone already guarantees that the
    /// output name never shows a partial file to other programs (or after an error, Ctrl-C or
    /// a crash of the program); only a crash of the whole machine soon after could leave it
    /// incomplete. Costs the time to write the file to the disk.
    pub sync: bool,
}

impl WriterOptions {
    /// Options for a `width × height` image of `bands` bands, with every default: float32,
    /// uncompressed strips, band-sequential, BigTIFF when needed, no georeferencing, no
    /// no-data, no overwriting.
    pub fn new(width: usize, height: usize, bands: usize) -> WriterOptions {
        WriterOptions {
            width,
            height,
            bands,
            sample_type: OutputType::F32,
            compression: OutputCompression::None,
            float_predictor: false,
            layout: OutputLayout::default(),
            interleave: Interleave::Band,
            bigtiff: BigTiff::Auto,
            geo: GeoTags::default(),
            nodata: None,
            overwrite: false,
            threads: 0,
            sync: false,
        }
    }

    /// Options for an output like `info`: same size, bands, georeferencing, GDAL metadata and
    /// no-data; other options at their defaults.
    pub fn like(info: &RasterInfo) -> WriterOptions {
        WriterOptions {
            geo: info.geo.clone(),
            nodata: info.nodata,
            ..WriterOptions::new(info.width, info.height, info.bands)
        }
    }

    /// Whether a file of these options would be written as BigTIFF.
    pub fn uses_bigtiff(&self) -> bool {
        match self.bigtiff {
            BigTiff::Yes => true,
            BigTiff::No => false,
            BigTiff::Auto => {
                let raw = self.width as u64
                    * self.height as u64
                    * self.bands as u64
                    * self.sample_type.bytes() as u64;
                // Worst-case growth of incompressible data.
                let worst = match self.compression {
                    OutputCompression::None => raw,
                    OutputCompression::Lzw => raw + raw / 2,
                    _ => raw + raw / 64,
                };
                worst + CLASSIC_MARGIN > u64::from(u32::MAX)
            }
        }
    }
}

/// Chunk geometry of the output.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    tiled: bool,
    chunk_w: usize,
    chunk_h: usize,
    across: usize,
    down: usize,
    /// Samples per pixel in a chunk.
    spp: usize,
    sample_bytes: usize,
}

/// One row of chunks being filled: one strip, or one tile per tile column.
#[derive(Debug)]
struct ChunkRow {
    /// Chunk row index.
    r: usize,
    /// Raw chunks (little-endian samples of the output type), filled as rows arrive.
    chunks: Vec<Vec<u8>>,
}

/// The chunk rows of one plane (a band, or all bands when pixel-interleaved) not yet handed
/// over: at most a few.
#[derive(Debug, Default)]
struct Plane {
    /// Rows handed over to the encoder (whole chunk rows).
    flushed: usize,
    /// Chunk rows `flushed / chunk_h ..`, in order.
    open: VecDeque<ChunkRow>,
}

/// A streaming GeoTIFF writer.
///
/// Rows are given top to bottom with [`Writer::write_rows`]; complete strips or tiles are
/// compressed and written at once, so memory stays at about one strip or tile row per band being
/// written. The file is built under a temporary name (`.NAME.tmp-PID`) in the output's folder
/// and renamed onto the final path by [`Writer::finish`]; a writer dropped before that (an error,
/// a panic) removes its temporary file, and [`remove_unfinished_outputs`](crate::remove_unfinished_outputs)
/// does it from a Ctrl-C handler.
///
/// Multi-band output: with [`Interleave::Band`] (the default) give band 0 top to bottom, then
/// band 1, and so on (any order of bands works, each band's rows in order). With
/// [`Interleave::Pixel`] give every band the same rows in turn (at most two strip/tile rows
/// ahead of the slowest band).
///
/// ```no_run
/// use despeckle_geotiff::{OutputCompression, Reader, Writer, WriterOptions};
/// let mut reader = Reader::open("in.tif")?;
/// let mut opts = WriterOptions::like(reader.info());
/// opts.compression = OutputCompression::Deflate { level: 6 };
/// opts.float_predictor = true;
/// let mut writer = Writer::create("out.tif", opts)?;
/// for band in 0..reader.info().bands {
///     for block in reader.blocks::<f32>(band)? {
///         writer.write_rows(band, &block?.data)?;
///     }
/// }
/// writer.finish()?;
/// # Ok::<(), despeckle_geotiff::Error>(())
/// ```
#[derive(Debug)]
pub struct Writer {
    path: PathBuf,
    opts: WriterOptions,
    bigtiff: bool,
    geom: Geometry,
    codec: ChunkCodec,
    out: BufWriter<File>,
    temp: TempFile,
    /// Bytes in the file so far.
    pos: u64,
    offsets: Vec<u64>,
    counts: Vec<u64>,
    /// Rows received so far, per band.
    received: Vec<usize>,
    planes: Vec<Plane>,
    /// Compression threads (`None`: chunks are stored as they are, written at once).
    pool: Option<EncoderPool>,
    /// Sequence number of the next chunk to write (chunks are written in the order they were
    /// completed, whatever the order compression finishes in).
    next_write: u64,
    /// Encoded chunks that finished before their turn: seq → (chunk index, bytes).
    ready: BTreeMap<u64, (usize, Vec<u8>)>,
    /// Raw bytes handed to the pool and not yet written.
    in_flight: usize,
    /// Recycled raw chunk buffers and encoded buffers (large fresh allocations fault slowly).
    spare_raw: Vec<Vec<u8>>,
    spare_out: Vec<Vec<u8>>,
}

impl Writer {
    /// Checks the options and the output folder, then starts the temporary file.
    ///
    /// Fails if the folder does not exist or is not writable, or if `path` exists and
    /// `options.overwrite` is not set.
    pub fn create(path: impl AsRef<Path>, options: WriterOptions) -> Result<Writer> {
        let path = path.as_ref().to_path_buf();
        let invalid = |detail: String| Error::InvalidOptions {
            path: path.clone(),
            detail,
        };
        let o = &options;
        if o.width == 0 || o.height == 0 || o.bands == 0 {
            return Err(invalid(format!(
                "size {} x {} with {} band(s): every dimension must be at least 1",
                o.width, o.height, o.bands
            )));
        }
        if u32::try_from(o.width).is_err() || u32::try_from(o.height).is_err() {
            return Err(invalid("width and height must be below 2^32".into()));
        }
        if o.bands > usize::from(u16::MAX) {
            return Err(invalid(format!("{} bands: at most 65535", o.bands)));
        }
        o.compression.validate().map_err(invalid)?;
        let sample_bytes = o.sample_type.bytes();
        let planar = o.interleave == Interleave::Band || o.bands == 1;
        let spp = if planar { 1 } else { o.bands };
        let geom = match o.layout {
            OutputLayout::Tiles { width, height } => {
                if width == 0 || height == 0 || width % 16 != 0 || height % 16 != 0 {
                    return Err(invalid(format!(
                        "tile size {width} x {height}: both sides must be positive multiples of 16"
                    )));
                }
                if width.saturating_mul(height) > (1 << 26) {
                    return Err(invalid(format!(
                        "tile size {width} x {height} is too large"
                    )));
                }
                Geometry {
                    tiled: true,
                    chunk_w: width,
                    chunk_h: height,
                    across: o.width.div_ceil(width),
                    down: o.height.div_ceil(height),
                    spp,
                    sample_bytes,
                }
            }
            OutputLayout::Strips { rows_per_strip } => {
                let row_bytes = o.width * spp * sample_bytes;
                let rows = match rows_per_strip {
                    Some(0) => return Err(invalid("rows per strip must be at least 1".into())),
                    Some(r) => r,
                    None => (STRIP_TARGET_BYTES / row_bytes).max(1),
                }
                .min(o.height);
                Geometry {
                    tiled: false,
                    chunk_w: o.width,
                    chunk_h: rows,
                    across: 1,
                    down: o.height.div_ceil(rows),
                    spp,
                    sample_bytes,
                }
            }
        };
        let chunks = geom.across * geom.down * if planar { o.bands } else { 1 };
        if u32::try_from(chunks).is_err() {
            return Err(invalid(format!(
                "{chunks} strips or tiles: too many, choose larger ones"
            )));
        }

        let dir = parent_dir(&path);
        if !dir.is_dir() {
            return Err(Error::OutputDirMissing {
                path: path.clone(),
                dir,
            });
        }
        if path.is_dir() {
            return Err(invalid("the output path is a folder".into()));
        }
        if !o.overwrite && path.exists() {
            return Err(Error::OutputExists { path });
        }
        let (temp, file) =
            TempFile::create(&path, &dir).map_err(|e| Error::from_write_io(&path, e))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let bigtiff = o.uses_bigtiff();
        let header = ifd::header(bigtiff);
        out.write_all(&header)
            .map_err(|e| Error::from_write_io(&path, e))?;

        let codec = ChunkCodec {
            compression: o.compression,
            float_predictor: o.float_predictor && o.compression != OutputCompression::None,
            sample_bytes,
            spp,
            row_bytes: geom.chunk_w * spp * sample_bytes,
        };
        let pool = if codec.is_raw() {
            None
        } else {
            let threads = match o.threads {
                0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
                n => n,
            };
            Some(EncoderPool::new(codec, threads).map_err(|e| Error::Io {
                path: path.clone(),
                source: e,
            })?)
        };
        let planes = if spp == 1 { o.bands } else { 1 };
        Ok(Writer {
            received: vec![0; o.bands],
            planes: (0..planes).map(|_| Plane::default()).collect(),
            path,
            bigtiff,
            geom,
            codec,
            out,
            temp,
            pos: header.len() as u64,
            offsets: vec![0; chunks],
            counts: vec![0; chunks],
            pool,
            next_write: 0,
            ready: BTreeMap::new(),
            in_flight: 0,
            spare_raw: Vec::new(),
            spare_out: Vec::new(),
            opts: options,
        })
    }

    /// The final output path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The temporary file being written (renamed onto [`Writer::path`] by `finish`).
    pub fn temp_path(&self) -> &Path {
        self.temp.path()
    }

    /// The options the writer was created with.
    pub fn options(&self) -> &WriterOptions {
        &self.opts
    }

    /// Whether the file is a BigTIFF.
    pub fn is_bigtiff(&self) -> bool {
        self.bigtiff
    }

    /// Rows of `band` written so far.
    pub fn rows_written(&self, band: usize) -> usize {
        self.received.get(band).copied().unwrap_or(0)
    }

    /// Bytes currently held for rows not yet written and chunks not yet compressed.
    pub fn buffer_bytes(&self) -> usize {
        let open: usize = self
            .planes
            .iter()
            .flat_map(|p| &p.open)
            .flat_map(|r| &r.chunks)
            .map(Vec::capacity)
            .sum();
        let spare: usize = self.spare_raw.iter().map(Vec::capacity).sum();
        open + spare + self.in_flight
    }

    /// Most bytes [`Writer::buffer_bytes`] can reach: up to three open rows of chunks per
    /// plane (a band may run two chunk rows ahead of the slowest), and with compression the
    /// raw chunks queued for the encoders, their encoded results and recycled buffers (each
    /// about 8 MiB or two chunks, plus a row of chunks). For memory budgets.
    pub fn buffer_bound(&self) -> usize {
        let chunk = self.codec.row_bytes * self.geom.chunk_h;
        let chunk_row = chunk * self.geom.across;
        let open = self.planes.len() * 3 * chunk_row;
        let queue = if self.pool.is_some() {
            3 * (QUEUE_BYTES.max(2 * chunk) + chunk_row)
        } else {
            0
        };
        open + queue
    }

    /// Appends rows to `band`: `rows.len()` must be a whole number of rows of `width` values,
    /// following the rows given before (the first call starts at row 0).
    ///
    /// Values are stored as the output type (rounded to nearest for float32). With
    /// [`Interleave::Pixel`] and several bands, a band may not run more than two strip/tile rows
    /// ahead of the slowest band.
    pub fn write_rows<T: Sample>(&mut self, band: usize, rows: &[T]) -> Result<()> {
        let width = self.opts.width;
        if band >= self.received.len() {
            return Err(Error::BandOutOfRange {
                path: self.path.clone(),
                band,
                bands: self.received.len(),
            });
        }
        if !rows.len().is_multiple_of(width) {
            return Err(Error::usage(
                &self.path,
                format!(
                    "write_rows: {} values is not a whole number of rows of {width}",
                    rows.len()
                ),
            ));
        }
        let n = rows.len() / width;
        let received = self.received[band];
        if received + n > self.opts.height {
            return Err(Error::usage(
                &self.path,
                format!(
                    "band {band}: {} rows given but the image has {} rows",
                    received + n,
                    self.opts.height
                ),
            ));
        }
        let g = self.geom;
        let pixel = g.spp > 1;
        let (p, k) = if pixel { (0, band) } else { (band, 0) };
        if pixel {
            let slowest = self.planes[0].flushed;
            if received + n > slowest + 2 * g.chunk_h {
                return Err(Error::usage(
                    &self.path,
                    format!(
                        "band {band}: pixel-interleaved output needs the bands written in step \
                         (rows {}..{} given while another band is still at row {slowest}); \
                         write the bands in turn or use band interleave",
                        received,
                        received + n
                    ),
                ));
            }
        }
        let ty = self.opts.sample_type;
        let px = g.spp * g.sample_bytes;
        for (i, row) in rows.chunks_exact(width).enumerate() {
            let y = received + i;
            let r = y / g.chunk_h;
            let at = self.open_chunk_row(p, r);
            let yy = y - r * g.chunk_h;
            let chunks = &mut self.planes[p].open[at].chunks;
            if g.tiled {
                for (c, chunk) in chunks.iter_mut().enumerate() {
                    let x0 = c * g.chunk_w;
                    let dw = g.chunk_w.min(width - x0);
                    let start = yy * g.chunk_w * px;
                    store(
                        &row[x0..x0 + dw],
                        &mut chunk[start..start + dw * px],
                        ty,
                        g.spp,
                        k,
                    );
                }
            } else {
                let start = yy * width * px;
                store(row, &mut chunks[0][start..start + width * px], ty, g.spp, k);
            }
        }
        self.received[band] += n;
        // Hand over the chunk rows now complete.
        while let Some(front) = self.planes[p].open.front() {
            let end = ((front.r + 1) * g.chunk_h).min(self.opts.height);
            let complete = if pixel {
                self.received.iter().all(|&got| got >= end)
            } else {
                self.received[band] >= end
            };
            if !complete {
                break;
            }
            let row = self.planes[p].open.pop_front().expect("a front chunk row");
            self.planes[p].flushed = end;
            let first = p * g.across * g.down + row.r * g.across;
            for (c, chunk) in row.chunks.into_iter().enumerate() {
                self.submit(first + c, chunk)?;
            }
        }
        Ok(())
    }

    /// Rows of chunk row `r`.
    fn rows_in(&self, r: usize) -> usize {
        self.geom
            .chunk_h
            .min(self.opts.height - r * self.geom.chunk_h)
    }

    /// The position in `planes[p].open` of chunk row `r`, opened (with its buffers) if needed.
    fn open_chunk_row(&mut self, p: usize, r: usize) -> usize {
        let g = self.geom;
        let first = self.planes[p].flushed / g.chunk_h;
        let at = r - first;
        while self.planes[p].open.len() <= at {
            let r = first + self.planes[p].open.len();
            let px = g.spp * g.sample_bytes;
            let (len, padded) = if g.tiled {
                let right = !self.opts.width.is_multiple_of(g.chunk_w);
                (
                    g.chunk_w * g.chunk_h * px,
                    right || self.rows_in(r) < g.chunk_h,
                )
            } else {
                (self.rows_in(r) * self.opts.width * px, false)
            };
            let chunks = (0..g.across)
                .map(|c| {
                    let mut buf = self.spare_raw.pop().unwrap_or_default();
                    buf.resize(len, 0);
                    // Edge tiles are padded with zeros (the right column, the bottom row);
                    // other chunks are overwritten entirely.
                    if padded && (c + 1 == g.across || self.rows_in(r) < g.chunk_h) {
                        buf.fill(0);
                    }
                    buf
                })
                .collect();
            self.planes[p].open.push_back(ChunkRow { r, chunks });
        }
        at
    }

    /// Writes chunk `index` at once (stored as it is), or queues it for compression.
    fn submit(&mut self, index: usize, raw: Vec<u8>) -> Result<()> {
        let Some(pool) = self.pool.as_mut() else {
            self.write_chunk(index, &raw)?;
            self.recycle_raw(raw);
            return Ok(());
        };
        self.in_flight += raw.len();
        let out = self.spare_out.pop().unwrap_or_default();
        pool.submit(index, raw, out).map_err(|e| Error::Io {
            path: self.path.clone(),
            source: e,
        })?;
        self.collect(false)?;
        while self.in_flight > QUEUE_BYTES {
            self.collect(true)?;
        }
        Ok(())
    }

    /// Takes the chunks the pool has finished (waiting for one if `block`) and writes those
    /// whose turn has come.
    fn collect(&mut self, block: bool) -> Result<()> {
        if self.pool.is_none() {
            return Ok(());
        }
        let mut wait = block;
        loop {
            let pool = self.pool.as_mut().expect("checked above");
            let done = pool.next_done(wait).map_err(|e| Error::Io {
                path: self.path.clone(),
                source: e,
            })?;
            let Some(done) = done else { break };
            wait = false;
            self.in_flight -= done.raw.len();
            let out = done.out.map_err(|e| Error::Io {
                path: self.path.clone(),
                source: e,
            })?;
            self.recycle_raw(done.raw);
            self.ready.insert(done.seq, (done.index, out));
        }
        while let Some((index, bytes)) = self.ready.remove(&self.next_write) {
            self.write_chunk(index, &bytes)?;
            self.next_write += 1;
            if self.spare_out.len() < 64 {
                self.spare_out.push(bytes);
            }
        }
        Ok(())
    }

    fn recycle_raw(&mut self, raw: Vec<u8>) {
        let chunk = self.codec.row_bytes * self.geom.chunk_h;
        if self.spare_raw.len() * chunk < QUEUE_BYTES.max(2 * chunk) {
            self.spare_raw.push(raw);
        }
    }

    fn write_chunk(&mut self, index: usize, bytes: &[u8]) -> Result<()> {
        let end = self.pos + bytes.len() as u64;
        if !self.bigtiff && end > u64::from(u32::MAX) {
            return Err(Error::too_large(
                &self.path,
                "the output outgrows the 4 GiB limit of classic TIFF; write it as BigTIFF",
            ));
        }
        self.out
            .write_all(bytes)
            .map_err(|e| Error::from_write_io(&self.path, e))?;
        self.offsets[index] = self.pos;
        self.counts[index] = bytes.len() as u64;
        self.pos = end;
        Ok(())
    }

    /// Writes the remaining chunks, the directory and the tags, then renames the temporary file
    /// onto the output path. Fails if some band is incomplete.
    pub fn finish(mut self) -> Result<()> {
        for (k, &got) in self.received.iter().enumerate() {
            if got != self.opts.height {
                return Err(Error::usage(
                    &self.path,
                    format!(
                        "band {k} is incomplete: {got} of {} rows written",
                        self.opts.height
                    ),
                ));
            }
        }
        while self.in_flight > 0 {
            self.collect(true)?;
        }
        self.pool = None;
        let mut entries = self.tags();
        let enc = ifd::encode(self.pos, &mut entries, self.bigtiff)
            .map_err(|detail| Error::too_large(&self.path, detail))?;
        let wr = |e| Error::from_write_io(&self.path, e);
        self.out.write_all(&enc.bytes).map_err(wr)?;
        let (at, pointer) = ifd::first_ifd_pointer(self.bigtiff, enc.ifd_offset);
        self.out.seek(SeekFrom::Start(at)).map_err(wr)?;
        self.out.write_all(&pointer).map_err(wr)?;
        self.out.flush().map_err(wr)?;
        if self.opts.sync {
            self.out.get_ref().sync_all().map_err(wr)?;
        }
        let Writer {
            temp,
            out,
            path,
            opts,
            ..
        } = self;
        drop(out);
        temp.persist(&path, opts.overwrite).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::OutputExists { path: path.clone() }
            } else {
                Error::from_write_io(&path, e)
            }
        })
    }

    /// Gives up: the temporary file is removed (the same as dropping the writer).
    pub fn abort(self) {}

    /// The directory entries of the image.
    fn tags(&self) -> Vec<(u16, Value)> {
        let o = &self.opts;
        let g = &self.geom;
        let nb = o.bands;
        let bits = (g.sample_bytes * 8) as u16;
        let planar = g.spp == 1 && nb > 1;
        let mut e: Vec<(u16, Value)> = vec![
            (256, Value::Long(vec![o.width as u32])),
            (257, Value::Long(vec![o.height as u32])),
            (258, Value::Short(vec![bits; nb])),
            (259, Value::Short(vec![o.compression.kind().code()])),
            (262, Value::Short(vec![1])), // BlackIsZero
            (277, Value::Short(vec![nb as u16])),
            (284, Value::Short(vec![if planar { 2 } else { 1 }])),
            (339, Value::Short(vec![3; nb])), // IEEE float
        ];
        if self.codec.float_predictor {
            e.push((317, Value::Short(vec![3])));
        }
        if nb > 1 {
            e.push((338, Value::Short(vec![0; nb - 1]))); // unspecified extra samples
        }
        let offsets = self.offset_value(&self.offsets);
        let counts = self.offset_value(&self.counts);
        if g.tiled {
            e.push((322, Value::Long(vec![g.chunk_w as u32])));
            e.push((323, Value::Long(vec![g.chunk_h as u32])));
            e.push((324, offsets));
            e.push((325, counts));
        } else {
            e.push((273, offsets));
            e.push((278, Value::Long(vec![g.chunk_h as u32])));
            e.push((279, counts));
        }
        let t = &o.geo;
        let doubles = |e: &mut Vec<(u16, Value)>, tag: u16, v: &Option<Vec<f64>>| {
            if let Some(v) = v {
                e.push((tag, Value::Double(v.clone())));
            }
        };
        doubles(&mut e, geo::TAG_MODEL_PIXEL_SCALE, &t.model_pixel_scale);
        doubles(&mut e, geo::TAG_MODEL_TIEPOINT, &t.model_tiepoint);
        doubles(
            &mut e,
            geo::TAG_MODEL_TRANSFORMATION,
            &t.model_transformation,
        );
        doubles(&mut e, geo::TAG_GEO_DOUBLE_PARAMS, &t.geo_double_params);
        if let Some(k) = &t.geo_key_directory {
            e.push((geo::TAG_GEO_KEY_DIRECTORY, Value::Short(k.clone())));
        }
        if let Some(s) = &t.geo_ascii_params {
            e.push((geo::TAG_GEO_ASCII_PARAMS, Value::ascii(s)));
        }
        if let Some(s) = &t.gdal_metadata {
            e.push((geo::TAG_GDAL_METADATA, Value::ascii(s)));
        }
        if let Some(v) = o.nodata {
            let same = |raw: &String| {
                parse_nodata(raw).is_some_and(|p| p == v || (p.is_nan() && v.is_nan()))
            };
            let text = match &t.gdal_nodata {
                Some(raw) if same(raw) => raw.clone(),
                _ => format_nodata(v),
            };
            e.push((geo::TAG_GDAL_NODATA, Value::ascii(&text)));
        }
        e
    }

    fn offset_value(&self, v: &[u64]) -> Value {
        if self.bigtiff {
            Value::Long8(v.to_vec())
        } else {
            // Every offset and count was checked against 4 GiB when written.
            Value::Long(v.iter().map(|&x| x as u32).collect())
        }
    }
}

/// Stores `src` into `dst` as little-endian samples of `ty`, every `spp`-th sample from
/// sample `k` (pixel-interleaved bands), or all of them when `spp` is 1.
fn store<T: Sample>(src: &[T], dst: &mut [u8], ty: OutputType, spp: usize, k: usize) {
    match ty {
        OutputType::F32 => store_as::<T, 4>(src, dst, spp, k, |v| v.to_f32().to_le_bytes()),
        OutputType::F64 => store_as::<T, 8>(src, dst, spp, k, |v| v.to_f64().to_le_bytes()),
    }
}

#[inline]
fn store_as<T: Sample, const N: usize>(
    src: &[T],
    dst: &mut [u8],
    spp: usize,
    k: usize,
    bytes: impl Fn(T) -> [u8; N],
) {
    if spp == 1 {
        for (d, &v) in dst.chunks_exact_mut(N).zip(src) {
            d.copy_from_slice(&bytes(v));
        }
    } else {
        for (d, &v) in dst.chunks_exact_mut(N * spp).zip(src) {
            d[k * N..(k + 1) * N].copy_from_slice(&bytes(v));
        }
    }
}
