//! The fuzzing harness, shared by the fuzz targets (`fuzz/` at the repository root) and the test
//! that replays their corpus (`tests/fuzz_corpus.rs`), so that both run exactly the same code.
//!
//! Not part of the crate's API: hidden from the documentation and free to change.
//!
//! - [`read_everything`] opens a file the way the command-line tool does and reads every row of
//!   every band through [`Reader::read_rows`], in batches that straddle strips and tiles, with a
//!   bounded amount of work whatever the file declares.
//! - [`describe`] is the `despeckle info` path: open, then the
//!   [`RasterInfo`](crate::RasterInfo) summary and every georeferencing reading of it.
//! - [`run`] runs either and panics when it allocated more at once than [`memory_bound`] allows
//!   for the file's size (counted by [`PeakAlloc`], a global allocator for the fuzz and test
//!   binaries), which the fuzzer reports as a crash.

use std::alloc::{GlobalAlloc, Layout as AllocLayout, System};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::{ComplexMode, Compression, Reader, ReaderOptions, Result};

/// The harness's bound on one decoded strip or row of tiles ([`ReaderOptions::max_block_bytes`]).
pub const MAX_BLOCK_BYTES: usize = 16 << 20;
/// Most samples converted per input (all bands together).
pub const SAMPLE_BUDGET: usize = 1 << 22;
/// Most decoded strip or tile-row bytes per input (blocks decoded again for each band of a
/// pixel-interleaved file count each time).
pub const DECODE_BUDGET: u64 = 256 << 20;
/// Allocations allowed whatever the file: buffered reader, decompressor states, tag values,
/// the harness's row buffers.
pub const FIXED_ALLOWANCE: usize = 8 << 20;

/// What [`read_everything`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Work {
    /// Samples converted, all bands together.
    pub samples: usize,
    /// `true` when the work budget stopped reading before the last row of the last band.
    pub truncated: bool,
}

fn options() -> ReaderOptions {
    ReaderOptions {
        complex: Some(ComplexMode::Intensity),
        max_block_bytes: MAX_BLOCK_BYTES,
    }
}

/// Opens `path` and reads every row of every band as `f32` (complex data as intensity), in
/// batches of one and a half blocks, until the file ends or the work budgets are spent.
pub fn read_everything(path: &Path) -> Result<(Compression, Work)> {
    let mut reader = Reader::open_with(path, options())?;
    let info = reader.info().clone();
    let mut work = Work::default();
    if info.width == 0 || info.height == 0 {
        return Ok((info.compression, work));
    }
    let block_h = reader.block_height();
    let batch = (block_h + block_h / 2).clamp(1, info.height);
    let spp = if info.planar { 1 } else { info.bands };
    let block_bytes = (block_h as u64)
        .saturating_mul(info.width as u64)
        .saturating_mul((spp * info.sample_type.bytes()) as u64);
    let mut decoded = 0u64;
    let mut buf: Vec<f32> = Vec::new();
    for band in 0..info.bands {
        let mut y = 0;
        while y < info.height {
            let rows = batch.min(info.height - y);
            let samples = rows.saturating_mul(info.width);
            // Blocks this batch touches (at most two more than its rows cover).
            let blocks = (rows / block_h + 2) as u64;
            decoded = decoded.saturating_add(blocks.saturating_mul(block_bytes));
            if work.samples.saturating_add(samples) > SAMPLE_BUDGET || decoded > DECODE_BUDGET {
                work.truncated = true;
                return Ok((info.compression, work));
            }
            buf.clear();
            buf.resize(samples, 0.0);
            reader.read_rows(band, y, &mut buf)?;
            work.samples += samples;
            y += rows;
        }
    }
    Ok((info.compression, work))
}

/// Opens `path` and returns what `despeckle info` prints about it, with every georeferencing
/// reading of the tags (transform, EPSG code, raster type, citation, no-data).
pub fn describe(path: &Path) -> Result<(Compression, String)> {
    let reader = Reader::open_with(path, options())?;
    let info = reader.info();
    let mut text = info.to_string();
    let g = &info.geo;
    let _ = write!(
        text,
        "\n{:?} {:?} {:?} {:?} {:?} {} {}",
        g.geo_transform(),
        g.epsg(),
        g.raster_type(),
        g.citation(),
        g.nodata(),
        info.pixels(),
        info.data_bytes()
    );
    Ok((info.compression, text))
}

/// The most a run of the harness may allocate for a file of `file_len` bytes compressed with
/// `compression` (`None` when the file could not be opened): [`FIXED_ALLOWANCE`], plus three
/// times what the data can decode to at the codec's [largest
/// expansion](Compression::max_expansion) (the block, one tile and the decoder's own copy),
/// capped by the reader's block bound.
pub fn memory_bound(file_len: u64, compression: Option<Compression>) -> usize {
    let ratio = compression.map_or(1, Compression::max_expansion);
    let data = file_len
        .saturating_mul(ratio)
        .min(2 * MAX_BLOCK_BYTES as u64) as usize;
    FIXED_ALLOWANCE + 3 * data
}

/// Which path of the reader a run exercises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// [`read_everything`].
    Read,
    /// [`describe`].
    Info,
}

/// Runs `target` on `path` and panics when it allocated more at once than [`memory_bound`]
/// allows for the file and its compression (only measured when [`PeakAlloc`] is the global allocator). Errors are
/// expected (most fuzzed files are damaged) and returned as their one-line message.
pub fn run(path: &Path, target: Target) -> std::result::Result<(), String> {
    let file_len = std::fs::metadata(path).map_or(0, |m| m.len());
    PeakAlloc::start();
    let (compression, result) = match target {
        Target::Read => read_everything(path),
        Target::Info => describe(path).map(|(c, _)| (c, Work::default())),
    }
    .map_or_else(|e| (None, Err(e.to_string())), |(c, _)| (Some(c), Ok(())));
    let peak = PeakAlloc::peak();
    // A read that fails after opening (damaged data) may have allocated for what its data can
    // decode to: its bound follows its compression too (found by opening it again, unmeasured).
    let compression = compression.or_else(|| {
        Reader::open_with(path, options())
            .ok()
            .map(|r| r.info().compression)
    });
    let bound = memory_bound(file_len, compression);
    assert!(
        peak <= bound,
        "{}: {peak} bytes allocated at once for a file of {file_len} bytes (bound {bound})",
        path.display()
    );
    result
}

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// A global allocator that counts the bytes allocated through it and remembers the peak.
///
/// Install it in a test or fuzz binary with
/// `#[global_allocator] static A: PeakAlloc = PeakAlloc;`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PeakAlloc;

impl PeakAlloc {
    /// The most bytes allocated at once since the last [`PeakAlloc::start`], beyond what was
    /// allocated then.
    pub fn peak() -> usize {
        PEAK.load(Ordering::Relaxed)
            .saturating_sub(BASE.load(Ordering::Relaxed))
    }

    /// Starts a measurement: resets the peak and makes what is allocated now its zero.
    pub fn start() {
        let now = CURRENT.load(Ordering::Relaxed);
        BASE.store(now, Ordering::Relaxed);
        PEAK.store(now, Ordering::Relaxed);
    }

    fn grew(by: usize) {
        let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
        PEAK.fetch_max(now, Ordering::Relaxed);
    }
}

static BASE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are updated.
unsafe impl GlobalAlloc for PeakAlloc {
    unsafe fn alloc(&self, layout: AllocLayout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            PeakAlloc::grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: AllocLayout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            PeakAlloc::grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: AllocLayout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: AllocLayout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                PeakAlloc::grew(new_size - layout.size());
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

/// Writes `data` to this process's scratch file (in the temporary folder) and [`run`]s
/// `target` on it: the body of a fuzz target. Errors are the expected outcome for most inputs;
/// panics and over-bound allocations are the findings.
pub fn run_bytes(data: &[u8], target: Target) {
    thread_local! {
        static SCRATCH: std::path::PathBuf = std::env::temp_dir()
            .join(format!("despeckle-fuzz-{}.tif", std::process::id()));
    }
    SCRATCH.with(|path| {
        std::fs::write(path, data)
            .unwrap_or_else(|e| panic!("cannot write the scratch file {}: {e}", path.display()));
        let _ = run(path, target);
    });
}

/// The files of `fuzz/<dir>` at the repository root (a seed corpus or the minimised
/// findings), sorted; none if the folder does not exist. `README.md` is not an input.
pub fn corpus(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz")
        .join(dir);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    files
}

/// Serialises the tests that read [`PeakAlloc`]'s counter: it is global, so one test's frees
/// would hide another's allocations.
pub fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}
