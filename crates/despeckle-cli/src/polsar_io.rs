//! The matrix files of `despeckle polsar`: PolSARpro folders and multi-band GeoTIFFs whose
//! band descriptions name the elements, read and written plane by plane in lockstep, and
//! BEAM-DIMAP products, read; georeferencing kept within a family and translated between
//! them ([`despeckle_envi::georef`]).

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use despeckle::polsar::Matrix;
use despeckle::{BoxError, PlaneSink, PlaneSource, RowSource};
use despeckle_envi::georef::{EnviGeo, GroundPoints, NorthUp, Translated};
use despeckle_envi::{
    BandReader, DimapProduct, Format, OutputOptions, PolsarproFolder, PolsarproOptions,
    PolsarproWriter,
};
use despeckle_file::outputs::Outputs;
use despeckle_geotiff::{GeoTags, Reader, Writer, WriterOptions};
use indicatif::ProgressBar;

/// An opened matrix input.
pub enum Input {
    /// A PolSARpro folder and its elements' common no-data value (`data ignore value`; an
    /// error naming each element's if they differ).
    Folder(PolsarproFolder, Result<Option<f64>, String>),
    /// A GeoTIFF: the reader and, for each plane of the matrix, its band (0-based).
    Tiff(Box<Reader>, Vec<usize>),
    /// A BEAM-DIMAP product: the product, for each plane its band (position in the
    /// document), and the bands' common no-data value (an error naming each band's if they
    /// differ).
    Dimap(Box<DimapProduct>, Vec<usize>, Result<Option<f64>, String>),
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
            let f = PolsarproFolder::open(path)?;
            let named = f
                .matrix()
                .elements()
                .iter()
                .zip(f.planes())
                .map(|(name, r)| (name.to_string(), r.header().no_data))
                .collect();
            let nodata = common_nodata(path, f.matrix(), named);
            return Ok(Input::Folder(f, nodata));
        }
        if Format::of(path) == Some(Format::Dimap) {
            if matrix.is_some() {
                bail!(
                    "--matrix is for GeoTIFF bands; a BEAM-DIMAP product's band names name the elements"
                );
            }
            return open_dimap(path);
        }
        if !is_tiff(path) {
            bail!(
                "{}: neither a PolSARpro folder, a BEAM-DIMAP .dim nor a GeoTIFF (.tif)",
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
            Input::Folder(f, _) => f.matrix(),
            Input::Dimap(d, _, _) => d.matrix().expect("recognised at open").0,
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
            Input::Folder(f, _) => (f.width(), f.height()),
            Input::Tiff(r, _) => (r.info().width, r.info().height),
            Input::Dimap(d, _, _) => (d.width, d.height),
        }
    }

    /// The files read.
    pub fn files(&self) -> Vec<PathBuf> {
        match self {
            Input::Folder(f, _) => f.planes().iter().map(|r| r.path().to_path_buf()).collect(),
            Input::Tiff(r, _) => vec![r.path().to_path_buf()],
            Input::Dimap(d, order, _) => {
                let mut files = vec![d.path().to_path_buf()];
                for &i in order {
                    if let Ok(r) = d.raster(i) {
                        files.push(r.path().to_path_buf());
                        files.push(r.header_path().to_path_buf());
                    }
                }
                files
            }
        }
    }

    /// The no-data value: `given` (--nodata), else the input's (a GeoTIFF's, or the common
    /// value of a PolSARpro folder's elements or a BEAM-DIMAP product's bands; planes that
    /// differ are an error without `given`).
    pub fn nodata(&self, given: Option<f64>) -> Result<Option<f64>> {
        if given.is_some() {
            return Ok(given);
        }
        Ok(match self {
            Input::Tiff(r, _) => r.info().nodata,
            Input::Folder(_, nodata) | Input::Dimap(_, _, nodata) => {
                nodata.clone().map_err(|e| anyhow!(e))?
            }
        })
    }

    /// The planes as a row source, in the matrix's element order.
    pub fn source(self) -> Result<Source> {
        Ok(match self {
            Input::Folder(f, _) => Source::Folder(f.readers()?),
            Input::Tiff(r, order) => Source::Tiff(r, order),
            Input::Dimap(d, order, _) => Source::Folder(
                order
                    .iter()
                    .map(|&i| d.reader(i))
                    .collect::<std::result::Result<_, _>>()?,
            ),
        })
    }
}

/// Opens a BEAM-DIMAP product whose stored bands name a matrix's elements, with their
/// common no-data value (or why there is none: one value serves every plane).
fn open_dimap(path: &Path) -> Result<Input> {
    let d = DimapProduct::open(path)?;
    let (matrix, order) = d.matrix()?;
    // every band readable before anything is written (virtual, log-scaled, wrong size)
    for &i in &order {
        d.reader(i)?;
    }
    let named = order
        .iter()
        .map(|&i| {
            let v = d.bands[i]
                .no_data
                .or_else(|| d.raster(i).ok()?.header().no_data);
            (d.bands[i].name.clone(), v)
        })
        .collect();
    let nodata = common_nodata(path, matrix, named);
    Ok(Input::Dimap(Box::new(d), order, nodata))
}

/// The no-data value the planes `named` (name, value) share, or an error naming each
/// plane's (then `--nodata` must give one).
fn common_nodata(
    path: &Path,
    matrix: Matrix,
    named: Vec<(String, Option<f64>)>,
) -> Result<Option<f64>, String> {
    let same = |a: &Option<f64>, b: &Option<f64>| match (a, b) {
        (Some(x), Some(y)) => x == y || (x.is_nan() && y.is_nan()),
        (None, None) => true,
        _ => false,
    };
    let first = named.first().and_then(|(_, v)| *v);
    if named.iter().all(|(_, v)| same(v, &first)) {
        return Ok(first);
    }
    let list: Vec<String> = named
        .iter()
        .map(|(name, v)| format!("{name} {}", v.map_or("none".to_string(), |v| v.to_string())))
        .collect();
    Err(format!(
        "{}: the {matrix} planes have different no-data values ({}); give one with --nodata",
        path.display(),
        list.join(", ")
    ))
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
    note: Option<String>,
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
    /// The input's georeferencing, kept verbatim in an output of the same family and
    /// translated into the other.
    pub georef: Georef,
    /// The output's no-data value (GDAL_NODATA, or every header's `data ignore value`).
    pub nodata: Option<f64>,
    /// A PolSARpro output's `PolarType` (default: by the matrix).
    pub polar_type: Option<String>,
}

/// The georeferencing of an input, in its own family's terms.
pub enum Georef {
    /// GeoTIFF tags (GeoKeys, tie points, pixel scale, transformation; GDAL no-data).
    Tiff(GeoTags),
    /// ENVI header fields.
    Envi(EnviGeo),
    /// A BEAM-DIMAP product's map georeferencing, read from its document.
    Dimap(Translated<Option<NorthUp>>),
}

impl Georef {
    /// GeoTIFF tags for an output GeoTIFF, and a note on what was not carried.
    fn to_tiff(&self) -> (GeoTags, Option<String>) {
        let north_up = match self {
            Georef::Tiff(g) => return (g.clone(), None),
            Georef::Envi(EnviGeo {
                map_info: None,
                geo_points: Some(points),
                ..
            }) => {
                let gcps = GroundPoints::from_envi(points);
                return (
                    gcps.value.map(|g| g.to_geotiff()).unwrap_or_default(),
                    gcps.note,
                );
            }
            Georef::Envi(e) => {
                NorthUp::from_envi(e.map_info.as_deref(), e.coordinate_system.as_deref())
            }
            Georef::Dimap(t) => t.clone(),
        };
        (
            north_up.value.map(|n| n.to_geotiff()).unwrap_or_default(),
            north_up.note,
        )
    }

    /// `map info` and `coordinate system string` for a PolSARpro output, and a note on what
    /// was not carried.
    fn to_envi(&self) -> (EnviGeo, Option<String>) {
        let north_up = match self {
            Georef::Envi(e) => return (e.clone(), None),
            Georef::Tiff(g) => {
                let gcps = GroundPoints::from_geotiff(g);
                if let Some(points) = gcps.value {
                    let envi = EnviGeo {
                        geo_points: Some(points.to_envi()),
                        ..EnviGeo::default()
                    };
                    return (envi, None);
                }
                if gcps.note.is_some() {
                    return (EnviGeo::default(), gcps.note);
                }
                NorthUp::from_geotiff(g)
            }
            Georef::Dimap(t) => t.clone(),
        };
        match north_up.value {
            None => (EnviGeo::default(), north_up.note),
            Some(n) => {
                let envi = n.to_envi();
                let note = match (north_up.note, envi.note) {
                    (Some(a), Some(b)) => Some(format!("{a}; {b}")),
                    (a, b) => a.or(b),
                };
                (envi.value, note)
            }
        }
    }
}

impl Input {
    /// The metadata of an output of the same grid.
    pub fn output_meta(&self) -> OutputMeta {
        let (georef, nodata, polar_type) = match self {
            Input::Tiff(r, _) => (
                Georef::Tiff(GeoTags {
                    gdal_metadata: None,
                    ..r.info().geo.clone()
                }),
                r.info().nodata,
                None,
            ),
            Input::Folder(f, nodata) => {
                let (m, c) = f.georeferencing();
                (
                    Georef::Envi(EnviGeo {
                        map_info: m.map(str::to_string),
                        coordinate_system: c.map(str::to_string),
                        geo_points: f.geo_points().map(str::to_string),
                    }),
                    nodata.clone().ok().flatten(),
                    Some(f.config().polar_type.clone()),
                )
            }
            Input::Dimap(d, _, nodata) => (
                Georef::Dimap(d.north_up()),
                nodata.clone().ok().flatten(),
                None,
            ),
        };
        OutputMeta {
            size: self.size(),
            files: self.files(),
            georef,
            nodata,
            polar_type,
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
        let files = meta.files.clone();
        let note;
        let out = if is_tiff(path) {
            let checked = Outputs::check(files.iter().map(PathBuf::as_path), [path], overwrite)?;
            let mut opts = WriterOptions::new(w, h, matrix.planes());
            let (geo, n) = meta.georef.to_tiff();
            note = n;
            opts.geo = geo;
            opts.nodata = meta.nodata;
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
            let (envi, n) = meta.georef.to_envi();
            note = n;
            let opts = PolsarproOptions {
                output: OutputOptions {
                    overwrite,
                    inputs: checked.inputs().to_vec(),
                    sync: false,
                },
                polar_type: meta.polar_type,
                map_info: envi.map_info,
                coordinate_system: envi.coordinate_system,
                geo_points: envi.geo_points,
                nodata: meta.nodata,
            };
            Out::Folder(PolsarproWriter::create(path, matrix, w, h, &opts)?)
        };
        Ok(Sink {
            out: Some(out),
            width: w,
            planes: matrix.planes(),
            bar,
            note,
        })
    }

    /// What the output could not carry over from the input's georeferencing, in one line.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
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
