//! Streaming writer: rows go in top to bottom, strips or tiles come out compressed, the directory
//! and the copied georeferencing are written last, and the file appears under its name only when
//! complete. Cloud-optimized output ([`WriterOptions::cog`]) also computes the overviews as the
//! rows arrive, spills each level's tiles to a temporary file, and assembles the file at the end.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::cog::{self, Reducer};
use crate::convert::Sample;
use crate::encode::{ChunkCodec, EncoderPool, OutputCompression};
use crate::error::{Error, Result, parent_dir};
use crate::geo::{self, GeoTags, format_nodata, parse_nodata};
use crate::ifd::{self, Value};
use crate::info::RasterInfo;
use crate::temp::{FileId, TempFile, check_target};

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
    /// 512 × 512 tiles, the default of GDAL's COG driver.
    pub const COG_TILES: OutputLayout = OutputLayout::Tiles {
        width: 512,
        height: 512,
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
    /// Write a Cloud-Optimized GeoTIFF, laid out as GDAL's COG driver does: tiles (the layout
    /// must be [`OutputLayout::Tiles`]), internal overviews each half the size of the previous
    /// one down to the first that fits in one tile (averages of the valid pixels of 2 × 2
    /// blocks, see below), every directory at the start of the file (full resolution first),
    /// then the tile data of the smallest overview first and of the full resolution last, with
    /// GDAL's structural-metadata header and block leaders and trailers.
    ///
    /// An overview pixel is the mean of the valid pixels of its 2 × 2 block of the level above
    /// (fewer at the right and bottom edges of an odd size), computed in float64 from the
    /// values as stored and stored like them; NaN, ±∞ and the no-data value are left out, and a
    /// block without a valid pixel is no-data (NaN without a no-data value). The full
    /// resolution is the same as without this option.
    ///
    /// Memory stays bounded (a tile row per level): every level's tiles are written to a
    /// temporary file beside the output as they are made, and copied into the output by
    /// [`Writer::finish`]; the disk then briefly holds the output about twice.
    pub cog: bool,
    /// The files the output must never replace, with the paths they were given as: the
    /// inputs of the command (see [`crate::temp::check_target`]). Checked when the writer is
    /// created and again just before the final rename.
    pub inputs: Vec<(PathBuf, FileId)>,
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
            cog: false,
            inputs: Vec::new(),
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
                let mut pixels = self.width as u64 * self.height as u64;
                if self.cog
                    && let OutputLayout::Tiles { width, height } = self.layout
                {
                    pixels += cog::overview_sizes(self.width, self.height, width, height)
                        .iter()
                        .map(|&(w, h)| w as u64 * h as u64)
                        .sum::<u64>();
                }
                let raw = pixels * self.bands as u64 * self.sample_type.bytes() as u64;
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

/// One image of the file: the full resolution (level 0) or an overview.
#[derive(Debug)]
struct Level {
    width: usize,
    height: usize,
    geom: Geometry,
    /// Rows received so far, per band.
    received: Vec<usize>,
    planes: Vec<Plane>,
    /// The index of this level's first chunk in the writer's offsets and byte counts.
    base: usize,
}

impl Level {
    fn new(width: usize, height: usize, geom: Geometry, bands: usize, base: usize) -> Level {
        let planes = if geom.spp == 1 { bands } else { 1 };
        Level {
            width,
            height,
            geom,
            received: vec![0; bands],
            planes: (0..planes).map(|_| Plane::default()).collect(),
            base,
        }
    }

    /// Strips or tiles of the level.
    fn chunks(&self) -> usize {
        self.geom.across * self.geom.down * self.planes.len()
    }

    /// Rows of chunk row `r`.
    fn rows_in(&self, r: usize) -> usize {
        self.geom.chunk_h.min(self.height - r * self.geom.chunk_h)
    }
}

/// Where chunks are written: the output itself, or (cloud-optimized output) one temporary
/// file per level, copied into the output at the end.
#[derive(Debug)]
struct Sink {
    out: BufWriter<File>,
    /// Bytes written so far.
    pos: u64,
    /// The spill file (removed when dropped); `None` for the output itself.
    spill: Option<TempFile>,
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
    codec: ChunkCodec,
    /// The full resolution, then (cloud-optimized output) the overviews, largest first.
    levels: Vec<Level>,
    /// Per overview level `k` (at `k - 1`) and band: the averaging of level `k - 1` into `k`.
    reducers: Vec<Vec<Reducer>>,
    /// Where chunks go: the output, or one spill file per level (cloud-optimized).
    sinks: Vec<Sink>,
    /// The output's temporary file.
    temp: TempFile,
    /// Cloud-optimized output: the output file, written by `finish`.
    cog_out: Option<File>,
    /// Cloud-optimized output: bytes before the tile data (header, ghost header, directories).
    prefix_len: u64,
    /// Offsets (within their sink) and byte counts of every chunk, level after level.
    offsets: Vec<u64>,
    counts: Vec<u64>,
    /// Bytes of chunks written so far, over all sinks.
    written: u64,
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

/// The chunk geometry of a `width × height` image, or why the layout is refused.
fn geometry(
    layout: OutputLayout,
    width: usize,
    height: usize,
    spp: usize,
    sample_bytes: usize,
) -> std::result::Result<Geometry, String> {
    match layout {
        OutputLayout::Tiles {
            width: tw,
            height: th,
        } => {
            if tw == 0 || th == 0 || tw % 16 != 0 || th % 16 != 0 {
                return Err(format!(
                    "tile size {tw} x {th}: both sides must be positive multiples of 16"
                ));
            }
            if tw.saturating_mul(th) > (1 << 26) {
                return Err(format!("tile size {tw} x {th} is too large"));
            }
            Ok(Geometry {
                tiled: true,
                chunk_w: tw,
                chunk_h: th,
                across: width.div_ceil(tw),
                down: height.div_ceil(th),
                spp,
                sample_bytes,
            })
        }
        OutputLayout::Strips { rows_per_strip } => {
            let row_bytes = width * spp * sample_bytes;
            let rows = match rows_per_strip {
                Some(0) => return Err("rows per strip must be at least 1".into()),
                Some(r) => r,
                None => (STRIP_TARGET_BYTES / row_bytes).max(1),
            }
            .min(height);
            Ok(Geometry {
                tiled: false,
                chunk_w: width,
                chunk_h: rows,
                across: 1,
                down: height.div_ceil(rows),
                spp,
                sample_bytes,
            })
        }
    }
}

impl Writer {
    /// Checks the options and the output folder, then starts the temporary file (and, for
    /// cloud-optimized output, the spill files).
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
        if o.cog && !matches!(o.layout, OutputLayout::Tiles { .. }) {
            return Err(invalid(
                "a cloud-optimized GeoTIFF is tiled: choose tiles, not strips".into(),
            ));
        }
        let sample_bytes = o.sample_type.bytes();
        let planar = o.interleave == Interleave::Band || o.bands == 1;
        let spp = if planar { 1 } else { o.bands };
        let geom = geometry(o.layout, o.width, o.height, spp, sample_bytes).map_err(invalid)?;
        let mut levels = vec![Level::new(o.width, o.height, geom, o.bands, 0)];
        if o.cog {
            for (w, h) in cog::overview_sizes(o.width, o.height, geom.chunk_w, geom.chunk_h) {
                let g = geometry(o.layout, w, h, spp, sample_bytes).map_err(invalid)?;
                let last = levels.last().expect("level 0");
                let base = last.base + last.chunks();
                levels.push(Level::new(w, h, g, o.bands, base));
            }
        }
        if u32::try_from(levels[0].chunks()).is_err() {
            return Err(invalid(format!(
                "{} strips or tiles: too many, choose larger ones",
                levels[0].chunks()
            )));
        }
        let last = levels.last().expect("level 0");
        let chunks = last.base + last.chunks();
        let reducers = levels
            .windows(2)
            .map(|pair| {
                (0..o.bands)
                    .map(|_| Reducer::new(pair[0].width, pair[0].height, o.sample_type, o.nodata))
                    .collect()
            })
            .collect();

        let dir = parent_dir(&path);
        if !dir.is_dir() {
            return Err(Error::OutputDirMissing {
                path: path.clone(),
                dir,
            });
        }
        check_target(&path, o.overwrite, &o.inputs)?;
        let wr = |e| Error::from_write_io(&path, e);
        let (temp, file) = TempFile::create(&path, &o.inputs).map_err(wr)?;
        let bigtiff = o.uses_bigtiff();
        let header = ifd::header(bigtiff);
        let (sinks, cog_out) = if o.cog {
            // One spill file per level, named after the output.
            let mut sinks = Vec::with_capacity(levels.len());
            for k in 0..levels.len() {
                let name = path.with_file_name(format!(
                    "{}.level{k}",
                    path.file_name()
                        .map_or("output".into(), |n| n.to_string_lossy())
                ));
                let (spill, f) = TempFile::create(&name, &o.inputs).map_err(wr)?;
                sinks.push(Sink {
                    out: BufWriter::with_capacity(1 << 20, f),
                    pos: 0,
                    spill: Some(spill),
                });
            }
            (sinks, Some(file))
        } else {
            let mut out = BufWriter::with_capacity(1 << 20, file);
            out.write_all(&header).map_err(wr)?;
            let sink = Sink {
                out,
                pos: header.len() as u64,
                spill: None,
            };
            (vec![sink], None)
        };

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
        let mut writer = Writer {
            levels,
            reducers,
            sinks,
            path,
            bigtiff,
            codec,
            temp,
            cog_out,
            prefix_len: header.len() as u64,
            offsets: vec![0; chunks],
            counts: vec![0; chunks],
            written: 0,
            pool,
            next_write: 0,
            ready: BTreeMap::new(),
            in_flight: 0,
            spare_raw: Vec::new(),
            spare_out: Vec::new(),
            opts: options,
        };
        if writer.opts.cog {
            // The directories' size does not depend on the offsets they will hold.
            writer.prefix_len = writer
                .cog_prefix(&vec![0; writer.levels.len()])
                .map_err(|detail| Error::too_large(&writer.path, detail))?
                .len() as u64;
        }
        Ok(writer)
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

    /// Number of overview levels (cloud-optimized output; 0 otherwise).
    pub fn overview_count(&self) -> usize {
        self.levels.len() - 1
    }

    /// Rows of `band` written so far.
    pub fn rows_written(&self, band: usize) -> usize {
        self.levels[0].received.get(band).copied().unwrap_or(0)
    }

    /// Bytes currently held for rows not yet written and chunks not yet compressed (with the
    /// overviews being averaged, for cloud-optimized output).
    pub fn buffer_bytes(&self) -> usize {
        let open: usize = self
            .levels
            .iter()
            .flat_map(|l| &l.planes)
            .flat_map(|p| &p.open)
            .flat_map(|r| &r.chunks)
            .map(Vec::capacity)
            .sum();
        let reducers: usize = self.reducers.iter().flatten().map(Reducer::bytes).sum();
        let spare: usize = self.spare_raw.iter().map(Vec::capacity).sum();
        open + reducers + spare + self.in_flight
    }

    /// Most bytes [`Writer::buffer_bytes`] can reach: up to three open rows of chunks per
    /// plane of every level (a band may run two chunk rows ahead of the slowest; overview
    /// levels of a cloud-optimized output have their own, with the rows their averaging
    /// holds), and with compression the raw chunks queued for the encoders, their encoded
    /// results and recycled buffers (each about 8 MiB or two chunks, plus a row of chunks of
    /// the full resolution). For memory budgets.
    pub fn buffer_bound(&self) -> usize {
        let chunk_row = |l: &Level| self.codec.row_bytes * l.geom.chunk_h * l.geom.across;
        let open: usize = self
            .levels
            .iter()
            .map(|l| l.planes.len() * 3 * chunk_row(l))
            .sum();
        let reducers: usize = self.reducers.iter().flatten().map(Reducer::bytes).sum();
        let open = open + reducers;
        let chunk = self.codec.row_bytes * self.levels[0].geom.chunk_h;
        let chunk_row = chunk_row(&self.levels[0]);
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
        if band >= self.opts.bands {
            return Err(Error::BandOutOfRange {
                path: self.path.clone(),
                band,
                bands: self.opts.bands,
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
        let received = self.levels[0].received[band];
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
        let g = self.levels[0].geom;
        if g.spp > 1 {
            let slowest = self.levels[0].planes[0].flushed;
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
        self.store_rows(0, band, rows)?;
        self.reduce(0, band, rows)
    }

    /// Averages rows of `band` of level `k` into the levels below it.
    fn reduce<T: Sample>(&mut self, k: usize, band: usize, rows: &[T]) -> Result<()> {
        if k + 1 >= self.levels.len() {
            return Ok(());
        }
        let width = self.levels[k].width;
        for row in rows.chunks_exact(width) {
            if let Some(next) = self.reducers[k][band].push(row) {
                self.store_rows(k + 1, band, &next)?;
                self.reduce(k + 1, band, &next)?;
                self.reducers[k][band].give_back(next);
            }
        }
        Ok(())
    }

    /// Stores rows of `band` of level `k` (checked by the caller) and hands over the chunk rows
    /// they complete.
    fn store_rows<T: Sample>(&mut self, k: usize, band: usize, rows: &[T]) -> Result<()> {
        let level = &self.levels[k];
        let (width, height, g) = (level.width, level.height, level.geom);
        let received = level.received[band];
        let pixel = g.spp > 1;
        let (p, s) = if pixel { (0, band) } else { (band, 0) };
        let ty = self.opts.sample_type;
        let px = g.spp * g.sample_bytes;
        for (i, row) in rows.chunks_exact(width).enumerate() {
            let y = received + i;
            let r = y / g.chunk_h;
            let at = self.open_chunk_row(k, p, r);
            let yy = y - r * g.chunk_h;
            let chunks = &mut self.levels[k].planes[p].open[at].chunks;
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
                        s,
                    );
                }
            } else {
                let start = yy * width * px;
                store(row, &mut chunks[0][start..start + width * px], ty, g.spp, s);
            }
        }
        self.levels[k].received[band] += rows.len() / width;
        // Hand over the chunk rows now complete.
        loop {
            let level = &mut self.levels[k];
            let Some(front) = level.planes[p].open.front() else {
                break;
            };
            let end = ((front.r + 1) * g.chunk_h).min(height);
            let complete = if pixel {
                level.received.iter().all(|&got| got >= end)
            } else {
                level.received[band] >= end
            };
            if !complete {
                break;
            }
            let row = level.planes[p].open.pop_front().expect("a front chunk row");
            level.planes[p].flushed = end;
            let first = level.base + p * g.across * g.down + row.r * g.across;
            for (c, chunk) in row.chunks.into_iter().enumerate() {
                self.submit(first + c, chunk)?;
            }
        }
        Ok(())
    }

    /// The position in `levels[k].planes[p].open` of chunk row `r`, opened (with its buffers)
    /// if needed.
    fn open_chunk_row(&mut self, k: usize, p: usize, r: usize) -> usize {
        let level = &self.levels[k];
        let g = level.geom;
        let first = level.planes[p].flushed / g.chunk_h;
        let at = r - first;
        while self.levels[k].planes[p].open.len() <= at {
            let level = &self.levels[k];
            let r = first + level.planes[p].open.len();
            let px = g.spp * g.sample_bytes;
            let rows = level.rows_in(r);
            let (len, padded) = if g.tiled {
                let right = !level.width.is_multiple_of(g.chunk_w);
                (g.chunk_w * g.chunk_h * px, right || rows < g.chunk_h)
            } else {
                (rows * level.width * px, false)
            };
            let chunks = (0..g.across)
                .map(|c| {
                    let mut buf = self.spare_raw.pop().unwrap_or_default();
                    buf.resize(len, 0);
                    // Edge tiles are padded with zeros (the right column, the bottom row);
                    // other chunks are overwritten entirely.
                    if padded && (c + 1 == g.across || rows < g.chunk_h) {
                        buf.fill(0);
                    }
                    buf
                })
                .collect();
            self.levels[k].planes[p]
                .open
                .push_back(ChunkRow { r, chunks });
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
        let chunk = self.codec.row_bytes * self.levels[0].geom.chunk_h;
        if self.spare_raw.len() * chunk < QUEUE_BYTES.max(2 * chunk) {
            self.spare_raw.push(raw);
        }
    }

    /// The level holding chunk `index`.
    fn level_of(&self, index: usize) -> usize {
        self.levels
            .iter()
            .rposition(|l| l.base <= index)
            .expect("level 0 starts at 0")
    }

    fn write_chunk(&mut self, index: usize, bytes: &[u8]) -> Result<()> {
        let cog = self.opts.cog;
        let extra = if cog { cog::BLOCK_EXTRA } else { 0 };
        let total = self.prefix_len + self.written + bytes.len() as u64 + extra;
        if !self.bigtiff && total > u64::from(u32::MAX) {
            return Err(Error::too_large(
                &self.path,
                "the output outgrows the 4 GiB limit of classic TIFF; write it as BigTIFF",
            ));
        }
        let level = if cog { self.level_of(index) } else { 0 };
        let sink = &mut self.sinks[level];
        let wr = |e| Error::from_write_io(&self.path, e);
        if cog {
            sink.out.write_all(&cog::leader(bytes.len())).map_err(wr)?;
            sink.pos += 4;
        }
        sink.out.write_all(bytes).map_err(wr)?;
        self.offsets[index] = sink.pos;
        self.counts[index] = bytes.len() as u64;
        sink.pos += bytes.len() as u64;
        if cog {
            sink.out.write_all(&cog::trailer(bytes)).map_err(wr)?;
            sink.pos += 4;
        }
        self.written += bytes.len() as u64 + extra;
        Ok(())
    }

    /// Writes the remaining chunks, the directory and the tags (cloud-optimized output: the
    /// header, the directories and every level's tiles, copied from the spill files), then
    /// renames the temporary file onto the output path. Fails if some band is incomplete.
    pub fn finish(self) -> Result<()> {
        self.complete()?.persist()
    }

    /// [`Writer::finish`] without the final rename: the file is complete under its temporary
    /// name ([`Completed::persist`] renames it; dropping it removes it). For a set of outputs
    /// that appear together or not at all: complete every one, then persist them.
    pub fn complete(mut self) -> Result<Completed> {
        for (k, &got) in self.levels[0].received.iter().enumerate() {
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
        debug_assert!(
            self.levels
                .iter()
                .all(|l| l.received.iter().all(|&got| got == l.height)),
            "every overview row is made with the last row of the level above"
        );
        while self.in_flight > 0 {
            self.collect(true)?;
        }
        self.pool = None;
        let file = if self.opts.cog {
            self.assemble_cog()?
        } else {
            let wr = |e| Error::from_write_io(&self.path, e);
            let mut entries = self.tags(0, 0);
            let sink = &mut self.sinks[0];
            let enc = ifd::encode(sink.pos, &mut entries, self.bigtiff)
                .map_err(|detail| Error::too_large(&self.path, detail))?;
            sink.out.write_all(&enc.bytes).map_err(wr)?;
            let (at, pointer) = ifd::first_ifd_pointer(self.bigtiff, enc.ifd_offset);
            sink.out.seek(SeekFrom::Start(at)).map_err(wr)?;
            sink.out.write_all(&pointer).map_err(wr)?;
            let sink = self.sinks.pop().expect("the output sink");
            sink.out.into_inner().map_err(|e| wr(e.into_error()))?
        };
        if self.opts.sync {
            file.sync_all()
                .map_err(|e| Error::from_write_io(&self.path, e))?;
        }
        drop(file);
        let Writer {
            temp, path, opts, ..
        } = self;
        Ok(Completed {
            temp,
            path,
            overwrite: opts.overwrite,
        })
    }

    /// The header, ghost header and directories of cloud-optimized output whose level `k`'s
    /// tile data start at file offset `bases[k]`.
    fn cog_prefix(&self, bases: &[u64]) -> std::result::Result<Vec<u8>, String> {
        let mut bytes = ifd::header(self.bigtiff);
        bytes.extend_from_slice(&cog::ghost_header(bytes.len()));
        let first = bytes.len() as u64;
        let (at, pointer) = ifd::first_ifd_pointer(self.bigtiff, first);
        bytes[at as usize..at as usize + pointer.len()].copy_from_slice(&pointer);
        let next_len = if self.bigtiff { 8 } else { 4 };
        for (k, &base) in bases.iter().enumerate() {
            let start = bytes.len() as u64;
            let mut entries = self.tags(k, base);
            let n = entries.len();
            let dir = ifd::encode_dir_first(start, &mut entries, self.bigtiff, 0)?;
            bytes.extend_from_slice(&dir);
            while !bytes.len().is_multiple_of(8) {
                bytes.push(0);
            }
            if k + 1 < self.levels.len() {
                // Chain this directory to the next one, which starts here.
                let next = bytes.len() as u64;
                let end = (start + ifd::directory_len(n, self.bigtiff)) as usize;
                let pointer = if self.bigtiff {
                    next.to_le_bytes().to_vec()
                } else {
                    (next as u32).to_le_bytes().to_vec()
                };
                bytes[end - next_len..end].copy_from_slice(&pointer);
            }
        }
        Ok(bytes)
    }

    /// Lays out cloud-optimized output in its temporary file: header, ghost header and
    /// directories, then the spill files of the levels, smallest first. Returns the file.
    fn assemble_cog(&mut self) -> Result<File> {
        let wr = |e| Error::from_write_io(&self.path, e);
        let mut bases = vec![0u64; self.levels.len()];
        let mut at = self.prefix_len;
        for k in (0..self.levels.len()).rev() {
            bases[k] = at;
            at += self.sinks[k].pos;
        }
        let prefix = self
            .cog_prefix(&bases)
            .map_err(|detail| Error::too_large(&self.path, detail))?;
        debug_assert_eq!(prefix.len() as u64, self.prefix_len);
        let mut file = self.cog_out.take().expect("the output of a COG");
        file.write_all(&prefix).map_err(wr)?;
        for k in (0..self.levels.len()).rev() {
            let sink = &mut self.sinks[k];
            sink.out.flush().map_err(wr)?;
            let spill = sink.out.get_mut();
            spill.seek(SeekFrom::Start(0)).map_err(wr)?;
            // (`io::copy` between files copies inside the kernel where it can.)
            let copied = std::io::copy(&mut spill.take(sink.pos), &mut file).map_err(wr)?;
            if copied != sink.pos {
                return Err(wr(std::io::ErrorKind::UnexpectedEof.into()));
            }
            // The spill file is removed as soon as it is copied.
            drop(sink.spill.take());
        }
        Ok(file)
    }

    /// Gives up: the temporary file is removed (the same as dropping the writer).
    pub fn abort(self) {}

    /// The directory entries of level `k`, whose chunk offsets are relative to `base`.
    fn tags(&self, k: usize, base: u64) -> Vec<(u16, Value)> {
        let o = &self.opts;
        let level = &self.levels[k];
        let g = &level.geom;
        let nb = o.bands;
        let bits = (g.sample_bytes * 8) as u16;
        let planar = g.spp == 1 && nb > 1;
        let mut e: Vec<(u16, Value)> = vec![
            (256, Value::Long(vec![level.width as u32])),
            (257, Value::Long(vec![level.height as u32])),
            (258, Value::Short(vec![bits; nb])),
            (259, Value::Short(vec![o.compression.kind().code()])),
            (262, Value::Short(vec![1])), // BlackIsZero
            (277, Value::Short(vec![nb as u16])),
            (284, Value::Short(vec![if planar { 2 } else { 1 }])),
            (339, Value::Short(vec![3; nb])), // IEEE float
        ];
        if k > 0 {
            e.push((254, Value::Long(vec![1]))); // a reduced-resolution image
        }
        if self.codec.float_predictor {
            e.push((317, Value::Short(vec![3])));
        }
        if nb > 1 {
            e.push((338, Value::Short(vec![0; nb - 1]))); // unspecified extra samples
        }
        let range = level.base..level.base + level.chunks();
        let offsets: Vec<u64> = self.offsets[range.clone()]
            .iter()
            .map(|&x| base + x)
            .collect();
        let offsets = self.offset_value(&offsets);
        let counts = self.offset_value(&self.counts[range]);
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
        if let Some(v) = o.nodata {
            let same = |raw: &String| {
                parse_nodata(raw).is_some_and(|p| p == v || (p.is_nan() && v.is_nan()))
            };
            let text = match &o.geo.gdal_nodata {
                Some(raw) if same(raw) => raw.clone(),
                _ => format_nodata(v),
            };
            e.push((geo::TAG_GDAL_NODATA, Value::ascii(&text)));
        }
        if k > 0 {
            // Overviews take their georeferencing from the full resolution, as in GDAL.
            return e;
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

/// A complete output under its temporary name ([`Writer::complete`]): removed if dropped.
#[derive(Debug)]
pub struct Completed {
    temp: TempFile,
    path: PathBuf,
    overwrite: bool,
}

impl Completed {
    /// The final output path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the file onto its final path, after the same checks as [`Writer::finish`].
    pub fn persist(self) -> Result<()> {
        self.temp.persist(&self.path, self.overwrite)
    }
}
