//! The fuzzing harness of the text formats (ENVI headers, PolSARpro `config.txt`, BEAM-DIMAP
//! `.dim`), shared by the fuzz targets (`fuzz/` at the repository root) and the test that
//! replays their corpus (`tests/fuzz_corpus.rs`), so that both run exactly the same code.
//!
//! Not part of the crate's API: hidden from the documentation and free to change.
//!
//! A fuzz input is a small set of files packed into one byte string: its parts are separated
//! by NUL bytes (which none of these text formats contains; the last part, the binary data,
//! may hold any byte), and [`unpack`] writes them into
//! a scratch folder as the [`Target`] says. The harness then opens the product as the
//! command-line tool does and reads every row of every plane, and panics when that allocated
//! more at once than [`memory_bound`] allows for the input's size (counted by
//! [`PeakAlloc`]), which the fuzzer reports as a crash. Errors are the expected outcome for
//! most inputs.

use std::fs;
use std::path::{Path, PathBuf};

pub use despeckle_geotiff::fuzzing::{PeakAlloc, corpus, serial};

use crate::{ComplexPart, DimapProduct, PolsarproFolder, Raster, Result};
use despeckle::polsar::Matrix;

/// Most samples read per input (all planes together).
pub const SAMPLE_BUDGET: usize = 1 << 22;
/// Allocations allowed whatever the input: the reader's chunk buffer
/// ([`READ_CHUNK_BYTES`](crate::READ_CHUNK_BYTES)), file handles, path and error strings.
pub const FIXED_ALLOWANCE: usize = 4 << 20;

/// Which product a fuzz input describes, and how its parts are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `HEADER \0 DATA`: an ENVI raster `x.img` with its header `x.hdr`; every band (both
    /// parts of complex bands) is read.
    Envi,
    /// `CONFIG \0 KIND \0 HEADER \0 DATA`: a PolSARpro folder with `config.txt`, and the
    /// element files of matrix `KIND` (`C2`, `C3`, `T3`, `C4`, `T4`; C3 if it is none of
    /// them), each holding `DATA` with the header `HEADER` (no header files if `HEADER` is
    /// empty: the size then comes from `config.txt`).
    Polsarpro,
    /// `DIM \0 HEADER \0 DATA`: a BEAM-DIMAP document `p.dim`; every band header it names
    /// inside `p.data/` is written from `HEADER`, its `.img` from `DATA`.
    Dimap,
}

impl Target {
    /// The target named `name` (`envi`, `polsarpro`, `dimap`).
    pub fn from_name(name: &str) -> Option<Target> {
        match name {
            "envi" => Some(Target::Envi),
            "polsarpro" => Some(Target::Polsarpro),
            "dimap" => Some(Target::Dimap),
            _ => None,
        }
    }
}

/// The most bytes the harness may allocate at once for an input of `input_len` bytes:
/// [`FIXED_ALLOWANCE`], plus 64 bytes per input byte (parsed text: band names, map info,
/// the DIMAP tree; and the row buffers, whose width a header can only declare as large as the
/// data file behind it).
pub fn memory_bound(input_len: usize) -> usize {
    FIXED_ALLOWANCE + 64 * input_len
}

/// Writes the files of `data` for `target` into `dir` (emptied first); returns the path to
/// open: the `.img`, the folder, or the `.dim`.
pub fn unpack(data: &[u8], target: Target, dir: &Path) -> std::io::Result<PathBuf> {
    if dir.exists() {
        fs::remove_dir_all(dir)?;
    }
    fs::create_dir_all(dir)?;
    // the last part (binary data) keeps its NUL bytes
    let count = match target {
        Target::Envi => 2,
        Target::Dimap => 3,
        Target::Polsarpro => 4,
    };
    let mut parts = data.splitn(count, |&b| b == 0);
    let mut next = || parts.next().unwrap_or(&[]);
    match target {
        Target::Envi => {
            let (header, raster) = (next(), next());
            fs::write(dir.join("x.hdr"), header)?;
            fs::write(dir.join("x.img"), raster)?;
            Ok(dir.join("x.img"))
        }
        Target::Polsarpro => {
            let (config, kind, header, raster) = (next(), next(), next(), next());
            fs::write(dir.join("config.txt"), config)?;
            let matrix = match std::str::from_utf8(kind).map(str::trim) {
                Ok("C2") => Matrix::C2,
                Ok("T3") => Matrix::T3,
                Ok("C4") => Matrix::C4,
                Ok("T4") => Matrix::T4,
                _ => Matrix::C3,
            };
            for element in matrix.elements() {
                let bin = dir.join(format!("{element}.bin"));
                fs::write(&bin, raster)?;
                if !header.is_empty() {
                    fs::write(dir.join(format!("{element}.bin.hdr")), header)?;
                }
            }
            Ok(dir.to_path_buf())
        }
        Target::Dimap => {
            let (dim, header, raster) = (next(), next(), next());
            let path = dir.join("p.dim");
            fs::write(&path, dim)?;
            fs::create_dir_all(dir.join("p.data"))?;
            // The band headers the document names, where they fall inside the folder (a
            // document may name any path; the harness writes only its own files).
            if let Ok(product) = DimapProduct::open(&path) {
                for band in &product.bands {
                    let Some(h) = &band.header_path else { continue };
                    if h.starts_with(dir)
                        && !h.components().any(|c| c == std::path::Component::ParentDir)
                        && h.parent().is_some_and(Path::is_dir)
                    {
                        // (a name the file system refuses, e.g. too long, is simply missing)
                        let _ = fs::write(h, header);
                        let _ = fs::write(h.with_extension("img"), raster);
                    }
                }
            }
            Ok(path)
        }
    }
}

/// Reads every row of `reader`s (at most [`SAMPLE_BUDGET`] samples in all, `budget` counting
/// down).
fn read_all(reader: &mut crate::BandReader, budget: &mut usize) -> Result<()> {
    let (w, h) = (reader.width(), reader.height());
    if w == 0 || h == 0 {
        return Ok(());
    }
    let mut row = vec![0f64; w];
    for y in 0..h {
        if *budget < w {
            return Ok(());
        }
        *budget -= w;
        reader.read(y, &mut row)?;
    }
    Ok(())
}

/// Every plane of an ENVI raster: real bands, or both parts of complex ones.
fn read_raster(raster: &Raster, budget: &mut usize) -> Result<()> {
    for b in 0..raster.bands() {
        if raster.header().data_type.is_complex() {
            for part in [ComplexPart::Re, ComplexPart::Im] {
                read_all(&mut raster.band_part(b, part)?, budget)?;
            }
        } else {
            read_all(&mut raster.band(b)?, budget)?;
        }
    }
    Ok(())
}

/// Opens the product at `path` as `target` and reads it all.
pub fn open_and_read(path: &Path, target: Target) -> Result<()> {
    let mut budget = SAMPLE_BUDGET;
    match target {
        Target::Envi => {
            let raster = Raster::open(path)?;
            // map info, the coordinate system's WKT and the geo points, read as the
            // translation reads them
            let h = raster.header();
            let _ = crate::georef::NorthUp::from_envi(
                h.map_info.as_deref(),
                h.coordinate_system.as_deref(),
            );
            if let Some(points) = &h.geo_points {
                let _ = crate::georef::GroundPoints::from_envi(points)
                    .value
                    .map(|g| g.to_geotiff());
            }
            read_raster(&raster, &mut budget)
        }
        Target::Polsarpro => {
            let folder = PolsarproFolder::open(path)?;
            for mut reader in folder.readers()? {
                read_all(&mut reader, &mut budget)?;
            }
            Ok(())
        }
        Target::Dimap => {
            let product = DimapProduct::open(path)?;
            let _ = product.complex_pairs();
            let _ = product.matrix();
            // the WKT and the band headers' map info, read
            let _ = product.north_up();
            for i in 0..product.bands.len() {
                if product.bands[i].is_stored() {
                    read_all(&mut product.reader(i)?, &mut budget)?;
                }
            }
            Ok(())
        }
    }
}

/// Unpacks `data` into `dir`, opens and reads it, and panics when the reading allocated more
/// at once than [`memory_bound`] (only measured when [`PeakAlloc`] is the global allocator).
/// Returns the reader's one-line error, if any.
pub fn run_in(data: &[u8], target: Target, dir: &Path) -> std::result::Result<(), String> {
    let path = unpack(data, target, dir)
        .unwrap_or_else(|e| panic!("cannot write the scratch files in {}: {e}", dir.display()));
    PeakAlloc::start();
    let result = open_and_read(&path, target).map_err(|e| e.to_string());
    let peak = PeakAlloc::peak();
    let bound = memory_bound(data.len());
    assert!(
        peak <= bound,
        "{target:?}: {peak} bytes allocated at once for an input of {} bytes (bound {bound})",
        data.len()
    );
    if let Err(e) = &result {
        assert!(
            e.len() <= 2048 && !e.contains('\n'),
            "{target:?}: an error message must be one bounded line, got {} bytes: {e:.200}",
            e.len()
        );
    }
    result
}

/// The body of a fuzz target: [`run_in`] in this process's scratch folder (in the temporary
/// folder).
pub fn run_bytes(data: &[u8], target: Target) {
    thread_local! {
        static SCRATCH: PathBuf = std::env::temp_dir()
            .join(format!("despeckle-fuzz-{}", std::process::id()));
    }
    SCRATCH.with(|dir| {
        let _ = run_in(data, target, dir);
    });
}
