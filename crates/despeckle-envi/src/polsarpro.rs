//! PolSARpro matrix folders: `config.txt` and one headerless float32 file per matrix
//! element (`C11.bin`, `C12_real.bin`, ...), each with its ENVI header (`C11.bin.hdr`).
//!
//! `config.txt` is the text PolSARpro and polsartools write:
//!
//! ```text
//! Nrow
//! 1000
//! ---------
//! Ncol
//! 800
//! ---------
//! PolarCase
//! monostatic
//! ---------
//! PolarType
//! full
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use despeckle::polsar::Matrix;
use despeckle::{BoxError, RowSink};

use crate::error::{Error, Result};
use crate::header::{DataType, Header, find_header};
use crate::output::{FileSet, OutputOptions};
use crate::raster::{BandReader, Raster};
use crate::text::read_text;
use crate::writer::BandOut;

/// The largest `config.txt` read: 64 KiB.
pub const MAX_CONFIG_BYTES: u64 = 64 << 10;

/// The contents of a PolSARpro `config.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Rows (`Nrow`).
    pub rows: usize,
    /// Columns (`Ncol`).
    pub cols: usize,
    /// `PolarCase` (`monostatic` or `bistatic`; `monostatic` if absent).
    pub polar_case: String,
    /// `PolarType` (`full` for quad-pol; `pp1`, `pp2`, `pp3` for PolSARpro's dual-pol
    /// modes (HH, VH), (VV, HV), (HH, VV), the first channel being C11; `full` if absent).
    pub polar_type: String,
}

impl Config {
    /// A monostatic configuration with PolarType `full` for 3 × 3 and 4 × 4 matrices and
    /// `pp2` for C2: PolSARpro's (VV, HV) mode, Sentinel-1's usual VV + VH (PolSARpro's
    /// `S2_to_C2` builds pp1 from [S_hh, S_vh], pp2 from [S_vv, S_hv], pp3 from
    /// [S_hh, S_vv]; set [`Config::polar_type`] for another mode).
    pub fn new(matrix: Matrix, rows: usize, cols: usize) -> Config {
        Config {
            rows,
            cols,
            polar_case: "monostatic".into(),
            polar_type: if matrix == Matrix::C2 { "pp2" } else { "full" }.into(),
        }
    }

    /// Reads `config.txt` (at most [`MAX_CONFIG_BYTES`]).
    pub fn read(path: &Path) -> Result<Config> {
        Config::parse(
            &read_text(path, MAX_CONFIG_BYTES, "PolSARpro config.txt")?,
            path,
        )
    }

    /// Parses the text of `config.txt`: a key line followed by its value line, entries
    /// separated by dashed lines; keys matched without case. `Nrow` and `Ncol` are required.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let bad = |reason: String| Error::Polsarpro {
            path: path.to_path_buf(),
            reason,
        };
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("---"))
            .collect();
        let value = |key: &str| {
            lines
                .iter()
                .position(|l| l.eq_ignore_ascii_case(key))
                .and_then(|i| lines.get(i + 1))
                .copied()
        };
        let count = |key: &str| -> Result<usize> {
            let v = value(key).ok_or_else(|| bad(format!("no `{key}` in config.txt")))?;
            match v.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(bad(format!(
                    "`{key}` is `{v}`, not a positive whole number"
                ))),
            }
        };
        Ok(Config {
            rows: count("Nrow")?,
            cols: count("Ncol")?,
            polar_case: value("PolarCase").unwrap_or("monostatic").to_string(),
            polar_type: value("PolarType").unwrap_or("full").to_string(),
        })
    }

    /// The text of `config.txt`, as PolSARpro writes it.
    pub fn to_text(&self) -> String {
        let one = |s: &str| s.replace(['\n', '\r'], " ");
        format!(
            "Nrow\n{}\n---------\nNcol\n{}\n---------\nPolarCase\n{}\n---------\nPolarType\n{}\n",
            self.rows,
            self.cols,
            one(&self.polar_case),
            one(&self.polar_type)
        )
    }
}

/// A PolSARpro matrix folder opened for reading: its configuration, the matrix recognised
/// from the element files present, and one raster per element in [`Matrix::elements`]
/// order.
#[derive(Debug, Clone)]
pub struct PolsarproFolder {
    dir: PathBuf,
    config: Config,
    matrix: Matrix,
    planes: Vec<Raster>,
}

impl PolsarproFolder {
    /// Opens the folder `dir`: reads `config.txt`, recognises C2, C3, T3, C4 or T4 from the
    /// `.bin` files present (other files are ignored), and checks each element file against
    /// its ENVI header (`C11.bin.hdr` or `C11.hdr`; without one, float32 little-endian of the
    /// configured size) and the configured size.
    pub fn open(dir: &Path) -> Result<PolsarproFolder> {
        let bad = |path: &Path, reason: String| Error::Polsarpro {
            path: path.to_path_buf(),
            reason,
        };
        if !dir.is_dir() {
            return Err(bad(dir, "not a folder".into()));
        }
        let config_path = dir.join("config.txt");
        if !config_path.exists() {
            return Err(bad(dir, "no config.txt".into()));
        }
        let config = Config::read(&config_path)?;
        let mut names = Vec::new();
        for entry in fs::read_dir(dir).map_err(|e| Error::open_io(dir, e))? {
            let entry = entry.map_err(|e| Error::read_io(dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_bin = Path::new(&name)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("bin"));
            if is_bin {
                names.push(name);
            }
        }
        names.sort();
        let (matrix, order) = Matrix::recognise(&names).map_err(|source| Error::Layout {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut planes = Vec::with_capacity(order.len());
        for i in order {
            let data = dir.join(&names[i]);
            let raster = match find_header(&data) {
                Some(h) => Raster::open_with_header(&data, &h)?,
                None => Raster::with_header(
                    &data,
                    Header::new(config.cols, config.rows, DataType::F32),
                    &config_path,
                )?,
            };
            let h = raster.header();
            if (h.samples, h.lines, h.bands) != (config.cols, config.rows, 1) {
                return Err(bad(
                    raster.header_path(),
                    format!(
                        "{} is {} x {} with {} band(s), but config.txt says {} x {} (Ncol x Nrow) and one band per file",
                        names_of(&raster),
                        h.samples,
                        h.lines,
                        h.bands,
                        config.cols,
                        config.rows
                    ),
                ));
            }
            planes.push(raster);
        }
        Ok(PolsarproFolder {
            dir: dir.to_path_buf(),
            config,
            matrix,
            planes,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The matrix recognised from the element files.
    pub fn matrix(&self) -> Matrix {
        self.matrix
    }

    /// The contents of `config.txt`.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Image width (`Ncol`).
    pub fn width(&self) -> usize {
        self.config.cols
    }

    /// Image height (`Nrow`).
    pub fn height(&self) -> usize {
        self.config.rows
    }

    /// The element rasters, in [`Matrix::elements`] order.
    pub fn planes(&self) -> &[Raster] {
        &self.planes
    }

    /// A row reader of plane `p` (in [`Matrix::elements`] order).
    pub fn reader(&self, p: usize) -> Result<BandReader> {
        let raster = self.planes.get(p).ok_or_else(|| Error::OutOfRange {
            path: self.dir.clone(),
            reason: format!(
                "plane {p} of a {} matrix ({} planes)",
                self.matrix,
                self.planes.len()
            ),
        })?;
        raster.band(0)
    }

    /// Row readers of every plane, in [`Matrix::elements`] order (one open file each).
    pub fn readers(&self) -> Result<Vec<BandReader>> {
        (0..self.planes.len()).map(|p| self.reader(p)).collect()
    }

    /// The `map info` and `coordinate system string` of the first element's header, if any
    /// (PolSARpro copies them into every header).
    pub fn georeferencing(&self) -> (Option<&str>, Option<&str>) {
        let h = self.planes[0].header();
        (h.map_info.as_deref(), h.coordinate_system.as_deref())
    }

    /// The `geo points` (ground control points) of the first element's header, if any.
    pub fn geo_points(&self) -> Option<&str> {
        self.planes[0].header().geo_points.as_deref()
    }
}

fn names_of(r: &Raster) -> String {
    r.path()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What a [`PolsarproWriter`] writes besides the samples.
#[derive(Debug, Clone, Default)]
pub struct PolsarproOptions {
    /// Overwrite, the inputs never to replace, sync.
    pub output: OutputOptions,
    /// `PolarType` of `config.txt` (default: [`Config::new`]'s).
    pub polar_type: Option<String>,
    /// `map info` copied into every header.
    pub map_info: Option<String>,
    /// `coordinate system string` copied into every header.
    pub coordinate_system: Option<String>,
    /// `geo points` (ground control points) copied into every header.
    pub geo_points: Option<String>,
    /// `data ignore value` written into every header (the no-data value).
    pub nodata: Option<f64>,
}

/// Writes a PolSARpro matrix folder plane by plane, row by row: `config.txt` and
/// `<element>.bin` + `<element>.bin.hdr` for every element, all under temporary names,
/// renamed into place together by [`PolsarproWriter::finish`] (`config.txt` last). The
/// folder is created if it does not exist (its parent must); dropped unfinished, or on
/// error, nothing is left — not even the folder, if this writer created it.
#[derive(Debug)]
pub struct PolsarproWriter {
    set: Option<FileSet>,
    planes: Vec<BandOut<f32>>,
    config: Config,
    config_path: PathBuf,
    matrix: Matrix,
    created_dir: Option<PathBuf>,
}

impl PolsarproWriter {
    /// Starts writing a `matrix` of `width` × `height` pixels into the folder `dir`.
    pub fn create(
        dir: &Path,
        matrix: Matrix,
        width: usize,
        height: usize,
        opts: &PolsarproOptions,
    ) -> Result<PolsarproWriter> {
        if width == 0 || height == 0 {
            return Err(Error::OutOfRange {
                path: dir.to_path_buf(),
                reason: format!("an empty raster ({width} x {height})"),
            });
        }
        let created_dir = if dir.exists() {
            if !dir.is_dir() {
                return Err(Error::Polsarpro {
                    path: dir.to_path_buf(),
                    reason: "exists and is not a folder".into(),
                });
            }
            None
        } else {
            fs::create_dir(dir).map_err(|e| Error::write_io(dir, e))?;
            Some(dir.to_path_buf())
        };
        let mut config = Config::new(matrix, height, width);
        if let Some(t) = &opts.polar_type {
            config.polar_type = t.clone();
        }
        let mut w = PolsarproWriter {
            set: Some(FileSet::new(&opts.output)),
            planes: Vec::new(),
            config,
            config_path: dir.join("config.txt"),
            matrix,
            created_dir,
        };
        let set = w.set.as_mut().expect("set until finish");
        for name in matrix.elements() {
            let data = dir.join(format!("{name}.bin"));
            let mut header = Header::new(width, height, DataType::F32);
            header.description = Some("PolSARpro File Imported to ENVI".into());
            header.band_names = vec![format!("{name}.bin")];
            header.map_info.clone_from(&opts.map_info);
            header.coordinate_system.clone_from(&opts.coordinate_system);
            header.geo_points.clone_from(&opts.geo_points);
            header.no_data = opts.nodata;
            let hdr = dir.join(format!("{name}.bin.hdr"));
            w.planes.push(BandOut::create(set, &data, &hdr, header)?);
        }
        Ok(w)
    }

    /// The matrix written.
    pub fn matrix(&self) -> Matrix {
        self.matrix
    }

    /// The configuration written to `config.txt`.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Appends rows `y0 ..` of plane `p` (in [`Matrix::elements`] order); each plane's rows
    /// come in order.
    pub fn write(&mut self, p: usize, y0: usize, rows: &[f32]) -> Result<()> {
        let planes = self.planes.len();
        let band = self.planes.get_mut(p).ok_or_else(|| Error::OutOfRange {
            path: self.config_path.clone(),
            reason: format!("plane {p} of a {} matrix ({planes} planes)", self.matrix),
        })?;
        band.write(self.set.as_mut().expect("set until finish"), y0, rows)
    }

    /// A [`RowSink`] writing plane `p`.
    pub fn plane(&mut self, p: usize) -> PlaneSink<'_> {
        PlaneSink { writer: self, p }
    }

    /// Writes the headers and `config.txt` and renames every file into place.
    pub fn finish(mut self) -> Result<()> {
        let mut set = self.set.take().expect("set until finish");
        for band in &self.planes {
            band.finish(&mut set)?;
        }
        let i = set.create(&self.config_path)?;
        set.write(i, self.config.to_text().as_bytes())?;
        set.commit()?;
        self.created_dir = None;
        Ok(())
    }
}

impl Drop for PolsarproWriter {
    fn drop(&mut self) {
        // temporary files first, then the folder if this writer made it and it is empty
        drop(self.set.take());
        if let Some(dir) = &self.created_dir {
            let _ = fs::remove_dir(dir);
        }
    }
}

/// One plane of a [`PolsarproWriter`] as a [`RowSink<f32>`].
#[derive(Debug)]
pub struct PlaneSink<'a> {
    writer: &'a mut PolsarproWriter,
    p: usize,
}

impl RowSink<f32> for PlaneSink<'_> {
    fn write_rows(&mut self, y0: usize, rows: &[f32]) -> Result<(), BoxError> {
        Ok(self.writer.write(self.p, y0, rows)?)
    }
}
