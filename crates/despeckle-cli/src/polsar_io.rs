//! The matrix files of `despeckle polsar`: PolSARpro folders and multi-band GeoTIFFs whose
//! band descriptions name the elements, read and written plane by plane in lockstep.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use despeckle::polsar::Matrix;
use despeckle::{BoxError, PlaneSink, PlaneSource, RowSource};
use despeckle_envi::{
    BandReader, OutputOptions, PolsarproFolder, PolsarproOptions, PolsarproWriter,
};
use despeckle_file::outputs::Outputs;
use despeckle_geotiff::{GeoTags, Reader, Writer, WriterOptions};
use indicatif::ProgressBar;

/// An opened matrix input.
pub enum Input {
    /// A PolSARpro folder.
    Folder(PolsarproFolder),
    /// A GeoTIFF: the reader and, for each plane of the matrix, its band (0-based).
    Tiff(Box<Reader>, Vec<usize>),
}

/// Whether `path` names a GeoTIFF (by its extension).
pub fn is_tiff(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("tif" | "tiff")
    )
}

/// The band descriptions of GDAL's metadata XML (`<Item name="DESCRIPTION" sample="i"
/// role="description">NAME</Item>`), by band; `None` where a band has none.
pub fn band_descriptions(xml: Option<&str>, bands: usize) -> Vec<Option<String>> {
    let mut out = vec![None; bands];
    let Some(xml) = xml else { return out };
    for item in xml.split("<Item").skip(1) {
        let Some(end) = item.find("</Item>") else {
            continue;
        };
        let item = &item[..end];
        let Some(close) = item.find('>') else {
            continue;
        };
        let (attrs, text) = (&item[..close], &item[close + 1..]);
        if !attrs.contains("role=\"description\"") {
            continue;
        }
        let sample = attrs
            .split("sample=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse::<usize>().ok());
        if let Some(i) = sample.filter(|&i| i < bands) {
            out[i] = Some(text.trim().to_string());
        }
    }
    out
}

/// GDAL metadata XML giving each band its element name as description.
fn descriptions_xml(matrix: Matrix) -> String {
    let mut s = String::from("<GDALMetadata>\n");
    for (i, name) in matrix.elements().iter().enumerate() {
        s.push_str(&format!(
            "  <Item name=\"DESCRIPTION\" sample=\"{i}\" role=\"description\">{name}</Item>\n"
        ));
    }
    s.push_str("</GDALMetadata>\n");
    s
}

impl Input {
    /// Opens a PolSARpro folder or a GeoTIFF; `matrix` gives the order of plain bands.
    pub fn open(path: &Path, matrix: Option<Matrix>) -> Result<Input> {
        if path.is_dir() {
            if matrix.is_some() {
                bail!(
                    "--matrix is for GeoTIFF bands; a PolSARpro folder's files name the elements"
                );
            }
            return Ok(Input::Folder(PolsarproFolder::open(path)?));
        }
        if !is_tiff(path) {
            bail!(
                "{}: neither a PolSARpro folder nor a GeoTIFF (.tif)",
                path.display()
            );
        }
        let reader = Reader::open(path)?;
        let info = reader.info();
        let order = match matrix {
            Some(m) => {
                if info.bands != m.planes() {
                    bail!(
                        "{}: a {m} matrix has {} planes ({}), the file has {} bands",
                        path.display(),
                        m.planes(),
                        m.elements().join(", "),
                        info.bands
                    );
                }
                (0..info.bands).collect()
            }
            None => {
                let names = band_descriptions(info.geo.gdal_metadata.as_deref(), info.bands);
                let names: Vec<String> = names.into_iter().map(Option::unwrap_or_default).collect();
                let (_, order) = Matrix::recognise(&names).map_err(|e| {
                    anyhow!(
                        "{}: the band descriptions do not name a matrix ({e}); give the order \
                         with --matrix c2|c3|t3|c4|t4",
                        path.display()
                    )
                })?;
                order
            }
        };
        Ok(Input::Tiff(Box::new(reader), order))
    }

    /// The matrix, given or recognised.
    pub fn matrix(&self, given: Option<Matrix>) -> Matrix {
        match self {
            Input::Folder(f) => f.matrix(),
            Input::Tiff(r, _) => given.unwrap_or_else(|| {
                let names =
                    band_descriptions(r.info().geo.gdal_metadata.as_deref(), r.info().bands);
                let names: Vec<String> = names.into_iter().map(Option::unwrap_or_default).collect();
                Matrix::recognise(&names).expect("recognised at open").0
            }),
        }
    }

    /// Width and height.
    pub fn size(&self) -> (usize, usize) {
        match self {
            Input::Folder(f) => (f.width(), f.height()),
            Input::Tiff(r, _) => (r.info().width, r.info().height),
        }
    }

    /// The files read.
    pub fn files(&self) -> Vec<PathBuf> {
        match self {
            Input::Folder(f) => f.planes().iter().map(|r| r.path().to_path_buf()).collect(),
            Input::Tiff(r, _) => vec![r.path().to_path_buf()],
        }
    }

    /// The no-data value of a GeoTIFF input.
    pub fn nodata(&self) -> Option<f64> {
        match self {
            Input::Folder(_) => None,
            Input::Tiff(r, _) => r.info().nodata,
        }
    }

    /// The planes as a row source, in the matrix's element order.
    pub fn source(self) -> Result<Source> {
        Ok(match self {
            Input::Folder(f) => Source::Folder(f.readers()?),
            Input::Tiff(r, order) => Source::Tiff(r, order),
        })
    }
}

/// The planes of an input, read in lockstep.
pub enum Source {
    /// One reader per element file.
    Folder(Vec<BandReader>),
    /// One GeoTIFF and the band of each plane.
    Tiff(Box<Reader>, Vec<usize>),
}

impl PlaneSource<f32> for Source {
    fn width(&self) -> usize {
        match self {
            Source::Folder(r) => r[0].width(),
            Source::Tiff(r, _) => r.info().width,
        }
    }
    fn height(&self) -> usize {
        match self {
            Source::Folder(r) => r[0].height(),
            Source::Tiff(r, _) => r.info().height,
        }
    }
    fn planes(&self) -> usize {
        match self {
            Source::Folder(r) => r.len(),
            Source::Tiff(_, order) => order.len(),
        }
    }
    fn read_planes(
        &mut self,
        y0: usize,
        rows: usize,
        bufs: &mut [&mut [f32]],
    ) -> Result<(), BoxError> {
        let w = self.width();
        match self {
            Source::Folder(readers) => {
                for (r, buf) in readers.iter_mut().zip(bufs.iter_mut()) {
                    RowSource::<f32>::read_rows(r, y0, &mut buf[..rows * w])?;
                }
            }
            Source::Tiff(reader, order) => {
                for (&band, buf) in order.iter().zip(bufs.iter_mut()) {
                    reader.read_rows(band, y0, &mut buf[..rows * w])?;
                }
            }
        }
        Ok(())
    }
}

/// An output being written: a PolSARpro folder or a GeoTIFF, with the progress bar.
pub struct Sink {
    out: Option<Out>,
    width: usize,
    planes: usize,
    bar: Option<ProgressBar>,
}

enum Out {
    Folder(PolsarproWriter),
    Tiff(Box<Writer>),
}

/// What an output is made from: its size, the files it may not overwrite, and the metadata
/// carried over.
pub struct OutputMeta {
    /// Width and height of the output.
    pub size: (usize, usize),
    /// The input files (never overwritten, never an output).
    pub files: Vec<PathBuf>,
    /// A GeoTIFF output's georeferencing and no-data value (band descriptions are set).
    pub geo: Option<(GeoTags, Option<f64>)>,
    /// A PolSARpro output's `map info`, coordinate system and `PolarType`.
    pub polsarpro: (Option<String>, Option<String>, Option<String>),
}

impl Input {
    /// The metadata of an output of the same grid.
    pub fn output_meta(&self) -> OutputMeta {
        let (geo, polsarpro) = match self {
            Input::Tiff(r, _) => (
                Some((
                    GeoTags {
                        gdal_metadata: None,
                        ..r.info().geo.clone()
                    },
                    r.info().nodata,
                )),
                (None, None, None),
            ),
            Input::Folder(f) => {
                let (m, c) = f.georeferencing();
                (
                    None,
                    (
                        m.map(str::to_string),
                        c.map(str::to_string),
                        Some(f.config().polar_type.clone()),
                    ),
                )
            }
        };
        OutputMeta {
            size: self.size(),
            files: self.files(),
            geo,
            polsarpro,
        }
    }
}

impl Sink {
    /// Starts writing `matrix` planes to `path` (a GeoTIFF if it ends in .tif, otherwise a
    /// PolSARpro folder) with `meta`'s georeferencing; no output file may be one of `meta`'s
    /// input files.
    pub fn create(
        path: &Path,
        meta: OutputMeta,
        matrix: Matrix,
        overwrite: bool,
        bar: Option<ProgressBar>,
    ) -> Result<Sink> {
        let (w, h) = meta.size;
        let files = meta.files;
        let out = if is_tiff(path) {
            let checked = Outputs::check(files.iter().map(PathBuf::as_path), [path], overwrite)?;
            let mut opts = WriterOptions::new(w, h, matrix.planes());
            if let Some((geo, nodata)) = meta.geo {
                opts.geo = geo;
                opts.nodata = nodata;
            }
            opts.geo.gdal_metadata = Some(descriptions_xml(matrix));
            opts.overwrite = overwrite;
            opts.inputs = checked.inputs().to_vec();
            Out::Tiff(Box::new(Writer::create(path, opts)?))
        } else {
            if let Ok(a) = path.canonicalize()
                && files
                    .iter()
                    .any(|f| f.parent().and_then(|p| p.canonicalize().ok()) == Some(a.clone()))
            {
                bail!(
                    "{}: the output folder is the input folder; give another one",
                    path.display()
                );
            }
            let checked = Outputs::check(files.iter().map(PathBuf::as_path), [], overwrite)?;
            let (map_info, coordinate_system, polar_type) = meta.polsarpro;
            let opts = PolsarproOptions {
                output: OutputOptions {
                    overwrite,
                    inputs: checked.inputs().to_vec(),
                    sync: false,
                },
                polar_type,
                map_info,
                coordinate_system,
            };
            Out::Folder(PolsarproWriter::create(path, matrix, w, h, &opts)?)
        };
        Ok(Sink {
            out: Some(out),
            width: w,
            planes: matrix.planes(),
            bar,
        })
    }

    /// Completes the output: every file renamed into place.
    pub fn finish(mut self) -> Result<()> {
        match self.out.take().expect("open until finished") {
            Out::Folder(w) => w.finish()?,
            Out::Tiff(w) => w.finish()?,
        }
        Ok(())
    }
}

impl PlaneSink<f32> for Sink {
    fn planes(&self) -> usize {
        self.planes
    }

    fn write_planes(&mut self, y0: usize, rows: &[&[f32]]) -> Result<(), BoxError> {
        match self.out.as_mut().expect("open until finished") {
            Out::Folder(w) => {
                for (p, r) in rows.iter().enumerate() {
                    w.write(p, y0, r)?;
                }
            }
            Out::Tiff(w) => {
                for (p, r) in rows.iter().enumerate() {
                    w.write_rows(p, r)?;
                }
            }
        }
        if let Some(bar) = &self.bar {
            bar.set_position((y0 + rows[0].len() / self.width.max(1)) as u64);
        }
        Ok(())
    }
}
