//! `despeckle.filter_file`: the command line's streaming GeoTIFF filter
//! ([`despeckle_file::filter_file_spec`]), with the filter and its parameters from the
//! registry, the same option names and defaults as the `despeckle FILTER IN OUT` subcommands,
//! and the GIL released for the whole run.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use despeckle_file::registry::FilterSpec;
use despeckle_file::{
    BigTiff, ComplexMode, Compression, FileOptions, OutputCompression, OutputLayout, OutputType,
    Progress, Reader, Report, filter_file_spec,
};
use despeckle_geotiff::Error as TiffError;
use pyo3::exceptions::{
    PyFileExistsError, PyFileNotFoundError, PyKeyboardInterrupt, PyOSError, PyPermissionError,
    PyRuntimeError, PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::params::{self, Arg};

/// How often the progress callback is called at most (and Ctrl-C looked for).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

fn bad(msg: String) -> PyErr {
    PyValueError::new_err(msg)
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// A text option among `choices` (`None`: unset).
fn choice(obj: Arg<'_, '_>, name: &str, choices: &[&str]) -> PyResult<Option<String>> {
    let Some(o) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let s: String = o.extract().map_err(|_| {
        PyTypeError::new_err(format!(
            "{name} must be one of {choices:?}, got {} ({})",
            o.repr().map(|r| r.to_string()).unwrap_or_default(),
            type_name(o)
        ))
    })?;
    let t = s.trim().to_ascii_lowercase();
    if choices.contains(&t.as_str()) {
        Ok(Some(t))
    } else {
        Err(bad(format!("{name}={s:?}: use one of {choices:?}")))
    }
}

/// A boolean option given as `True`/`False` or one of the CLI's names.
fn flag(obj: Arg<'_, '_>, name: &str, yes: &str, no: &str) -> PyResult<Option<bool>> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(None),
        Some(o) if o.is_instance_of::<pyo3::types::PyBool>() => Ok(Some(o.extract()?)),
        Some(o) => match choice(Some(o), name, &[yes, no, "auto"])?.as_deref() {
            Some(v) if v == yes => Ok(Some(true)),
            Some(v) if v == no => Ok(Some(false)),
            _ => Ok(None),
        },
    }
}

/// A whole number ≥ `min` (`None`: unset).
fn whole(obj: Arg<'_, '_>, name: &str, min: i64) -> PyResult<Option<usize>> {
    match params::int(obj, name, None)? {
        None => Ok(None),
        Some(v) if v >= min => Ok(Some(v as usize)),
        Some(v) => Err(bad(format!(
            "invalid parameter `{name}`: must be at least {min}, got {v}"
        ))),
    }
}

/// `band`: a band number or a sequence of them, numbered from 1 as in GDAL and the CLI.
fn bands(obj: Arg<'_, '_>) -> PyResult<Option<Vec<usize>>> {
    let Some(o) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let numbers: Vec<i64> = match o.extract::<i64>() {
        Ok(b) => vec![b],
        Err(_) => o.extract::<Vec<i64>>().map_err(|_| {
            PyTypeError::new_err(format!(
                "band must be a band number (from 1) or a sequence of them, got {}",
                type_name(o)
            ))
        })?,
    };
    if numbers.is_empty() {
        return Err(bad(
            "band=[] selects no band: give at least one band number (from 1), \
                        or band=None for all"
                .into(),
        ));
    }
    numbers
        .into_iter()
        .map(|b| {
            usize::try_from(b)
                .ok()
                .filter(|&b| b >= 1)
                .map(|b| b - 1)
                .ok_or_else(|| bad(format!("band {b}: bands are numbered from 1, as in GDAL")))
        })
        .collect::<PyResult<Vec<_>>>()
        .map(Some)
}

/// `tiled`: `True` (256 × 256), a side, or `(width, height)`; `False`: strips.
fn tiled(obj: Arg<'_, '_>) -> PyResult<Option<OutputLayout>> {
    let Some(o) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let (width, height) = if o.is_instance_of::<pyo3::types::PyBool>() {
        if !o.extract::<bool>()? {
            return Ok(Some(OutputLayout::Strips {
                rows_per_strip: None,
            }));
        }
        (256, 256)
    } else if let Ok(side) = o.extract::<i64>() {
        (side, side)
    } else {
        o.extract::<(i64, i64)>().map_err(|_| {
            PyTypeError::new_err(format!(
                "tiled must be True, False, a tile side or (width, height), got {}",
                type_name(o)
            ))
        })?
    };
    if width <= 0 || height <= 0 || width % 16 != 0 || height % 16 != 0 {
        return Err(bad(format!(
            "tiled=({width}, {height}): tile sides must be positive multiples of 16 (TIFF's rule)"
        )));
    }
    Ok(Some(OutputLayout::Tiles {
        width: width as usize,
        height: height as usize,
    }))
}

/// `strips`: `True` (about 512 KiB per strip) or rows per strip.
fn strips(obj: Arg<'_, '_>) -> PyResult<Option<OutputLayout>> {
    let Some(o) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let rows_per_strip = if o.is_instance_of::<pyo3::types::PyBool>() {
        if !o.extract::<bool>()? {
            return Ok(None);
        }
        None
    } else {
        Some(whole(Some(o), "strips", 1)?.expect("not None"))
    };
    Ok(Some(OutputLayout::Strips { rows_per_strip }))
}

/// `dtype`: `"float32"`, `"float64"`, or anything `numpy.dtype` understands.
fn dtype(py: Python<'_>, obj: Arg<'_, '_>) -> PyResult<Option<OutputType>> {
    let Some(o) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let name: String = match o.extract::<String>() {
        Ok(s) => s,
        Err(_) => py
            .import("numpy")?
            .getattr("dtype")?
            .call1((o,))?
            .getattr("name")?
            .extract()?,
    };
    match name.trim().to_ascii_lowercase().as_str() {
        "float32" | "f4" | "<f4" => Ok(Some(OutputType::F32)),
        "float64" | "f8" | "<f8" => Ok(Some(OutputType::F64)),
        _ => Err(bad(format!(
            "dtype={name:?}: the output is float32 or float64"
        ))),
    }
}

/// Output compression from `compress` and `level` (`None`: the input's, with `level` if
/// given).
fn compression(
    name: Option<&str>,
    level: Option<i64>,
    input: Compression,
) -> PyResult<Option<OutputCompression>> {
    let name = match (name, level) {
        (Some(n), _) => n,
        (None, None) => return Ok(None),
        (None, Some(_)) => match input {
            Compression::Deflate => "deflate",
            Compression::Zstd => "zstd",
            other => {
                return Err(bad(format!(
                    "level= needs compress=\"deflate\" or \"zstd\" (the input's compression is \
                     {other})"
                )));
            }
        },
    };
    let level = |default: i64, max: i64| -> PyResult<i64> {
        match level.unwrap_or(default) {
            l if (1..=max).contains(&l) => Ok(l),
            l => Err(bad(format!("level={l}: {name} levels are 1 to {max}"))),
        }
    };
    Ok(Some(match name {
        "none" => OutputCompression::None,
        "lzw" => OutputCompression::Lzw,
        "packbits" => OutputCompression::PackBits,
        "deflate" => OutputCompression::Deflate {
            level: level(6, 9)? as u32,
        },
        _ => OutputCompression::Zstd {
            level: level(9, 22)? as i32,
        },
    }))
}

/// A `despeckle_file` error as the Python exception it means, its message naming the file.
fn file_error(e: despeckle_file::Error) -> PyErr {
    let msg = e.to_string();
    match e {
        despeckle_file::Error::File(f) => match f {
            TiffError::NotFound { .. } | TiffError::OutputDirMissing { .. } => {
                PyFileNotFoundError::new_err(msg)
            }
            TiffError::PermissionDenied { .. } | TiffError::OutputNotWritable { .. } => {
                PyPermissionError::new_err(msg)
            }
            TiffError::OutputExists { .. } => {
                PyFileExistsError::new_err(format!("{msg}; pass overwrite=True to replace it"))
            }
            TiffError::DiskFull { .. }
            | TiffError::Io { .. }
            | TiffError::NotRegularFile { .. }
            | TiffError::OutputNotRegular { .. } => PyOSError::new_err(msg),
            _ => PyValueError::new_err(msg),
        },
        despeckle_file::Error::QuickLook { .. } => PyOSError::new_err(msg),
        despeckle_file::Error::Cancelled { .. } => PyKeyboardInterrupt::new_err(msg),
        despeckle_file::Error::Internal { .. } => PyRuntimeError::new_err(msg),
        _ => PyValueError::new_err(msg),
    }
}

/// The progress callback and Ctrl-C, looked at from the filtering thread at most every
/// [`PROGRESS_EVERY`]: the GIL is taken only then. An exception (raised by the callback, or
/// `KeyboardInterrupt`) cancels the run and is raised by `filter_file`.
struct Watch {
    callback: Option<Py<PyAny>>,
    cancel: Arc<AtomicBool>,
    state: Mutex<(Option<Instant>, Option<PyErr>)>,
}

impl Watch {
    fn update(&self, p: Progress) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let due = state.0.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) || p.done == p.total;
        if !due || state.1.is_some() {
            return;
        }
        state.0 = Some(Instant::now());
        let result = Python::attach(|py| {
            py.check_signals()?;
            if let Some(cb) = &self.callback {
                cb.call1(py, (p.done, p.total))?;
            }
            Ok::<(), PyErr>(())
        });
        if let Err(e) = result {
            state.1 = Some(e);
            self.cancel.store(true, Ordering::Relaxed);
        }
    }

    fn take_error(&self) -> Option<PyErr> {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .take()
    }
}

/// The options that need the input's description, then the run (GIL released by the caller).
fn run(
    src: &std::path::Path,
    dst: &std::path::Path,
    spec: &FilterSpec,
    mut opts: FileOptions,
    compress: Option<&str>,
    level: Option<i64>,
) -> PyResult<Report> {
    let info = Reader::open(src)
        .map_err(|e| file_error(e.into()))?
        .info()
        .clone();
    if let Some(b) = opts
        .bands
        .as_ref()
        .and_then(|b| b.iter().find(|&&b| b >= info.bands))
    {
        return Err(bad(format!(
            "{}: band {} out of range: the image has {} band(s), numbered from 1",
            src.display(),
            b + 1,
            info.bands
        )));
    }
    opts.compression = compression(compress, level, info.compression)?;
    filter_file_spec(src, dst, spec, &opts).map_err(file_error)
}

/// The report of a run as a dict.
fn report_dict<'py>(py: Python<'py>, r: &Report) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("filter", r.filter.replace('-', "_"))?;
    d.set_item("output", r.output.clone())?;
    d.set_item("width", r.width)?;
    d.set_item("height", r.height)?;
    d.set_item("bands", r.bands.iter().map(|b| b + 1).collect::<Vec<_>>())?;
    let estimates = PyDict::new(py);
    for e in &r.estimates {
        match estimates.get_item(e.name)? {
            Some(list) => list.cast::<PyList>()?.append(e.value)?,
            None => estimates.set_item(e.name, vec![e.value])?,
        }
    }
    d.set_item("estimates", estimates)?;
    d.set_item("input_type", r.input_type.to_string())?;
    d.set_item("nodata", r.nodata)?;
    d.set_item(
        "dtype",
        match r.dtype {
            OutputType::F32 => "float32",
            OutputType::F64 => "float64",
        },
    )?;
    d.set_item(
        "compress",
        r.compression.kind().to_string().to_ascii_lowercase(),
    )?;
    match r.layout {
        OutputLayout::Tiles { width, height } => d.set_item("tiled", (width, height))?,
        OutputLayout::Strips { .. } => d.set_item("tiled", false)?,
    }
    d.set_item("bigtiff", r.bigtiff)?;
    d.set_item("quicklook", r.quicklook.clone())?;
    d.set_item("seconds", r.seconds)?;
    Ok(d)
}

/// Filters a GeoTIFF file into another (see `despeckle.filter_file`).
#[pyfunction]
#[pyo3(signature = (src, dst, filter, *, size=None, border=None, cval=None, nodata=None,
                    threads=None, band=None, complex=None, compress=None, level=None,
                    predictor=None, tiled=None, strips=None, bigtiff=None, dtype=None,
                    overwrite=false, quicklook=None, progress=None, **params))]
#[allow(clippy::too_many_arguments)]
pub fn filter_file<'py>(
    py: Python<'py>,
    src: PathBuf,
    dst: PathBuf,
    filter: &str,
    size: Arg<'_, 'py>,
    border: Arg<'_, 'py>,
    cval: Arg<'_, 'py>,
    nodata: Arg<'_, 'py>,
    threads: Arg<'_, 'py>,
    band: Arg<'_, 'py>,
    complex: Arg<'_, 'py>,
    compress: Arg<'_, 'py>,
    level: Arg<'_, 'py>,
    predictor: Arg<'_, 'py>,
    tiled: Arg<'_, 'py>,
    strips: Arg<'_, 'py>,
    bigtiff: Arg<'_, 'py>,
    dtype: Arg<'_, 'py>,
    overwrite: bool,
    quicklook: Option<PathBuf>,
    progress: Option<Bound<'py, PyAny>>,
    params: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyDict>> {
    let spec = params::spec(filter, params)?;
    // Every parameter is checked now, `auto` ones with stand-ins (estimated later per band).
    spec.build_probe().map_err(params::value_error)?;

    let size = params::int(size, "size", Some(7))?.unwrap_or(7);
    let size = usize::try_from(size).map_err(|_| {
        bad(format!(
            "invalid parameter `size`: the window size must be odd and at least 3, got {size}"
        ))
    })?;
    let mut opts = FileOptions::new(size);
    let border_name = params::string(border, "border", "reflect")?;
    opts.border = params::border(&border_name, params::float(cval, "cval", None)?)?;
    opts.nodata = params::nodata(nodata)?;
    opts.threads = whole(threads, "threads", 1)?;
    opts.bands = bands(band)?;
    let domain = spec.domain().map_err(params::value_error)?;
    opts.complex = Some(
        match choice(complex, "complex", &["intensity", "amplitude"])?.as_deref() {
            Some("amplitude") => ComplexMode::Amplitude,
            Some(_) => ComplexMode::Intensity,
            None if domain == despeckle::Domain::Amplitude => ComplexMode::Amplitude,
            None => ComplexMode::Intensity,
        },
    );
    let compress = choice(
        compress,
        "compress",
        &["none", "deflate", "lzw", "zstd", "packbits"],
    )?;
    let level = params::int(level, "level", None)?;
    opts.float_predictor = flag(predictor, "predictor", "float", "none")?;
    opts.layout = match (tiled, strips) {
        (Some(t), Some(s))
            if !t.is_none() && !s.is_none() && t.is_truthy()? && s.is_truthy()? =>
        {
            return Err(bad(
                "tiled= and strips= both given: choose tiles or strips".into()
            ));
        }
        _ => self::tiled(tiled)?.or(self::strips(strips)?),
    };
    opts.bigtiff = match flag(bigtiff, "bigtiff", "yes", "no")? {
        Some(true) => BigTiff::Yes,
        Some(false) => BigTiff::No,
        None => BigTiff::Auto,
    };
    opts.dtype = self::dtype(py, dtype)?;
    opts.overwrite = overwrite;
    opts.quicklook = quicklook;
    if let Some(p) = &progress
        && !p.is_none()
        && !p.is_callable()
    {
        return Err(PyTypeError::new_err(format!(
            "progress must be a callable progress(rows_done, rows_total), got {}",
            type_name(p)
        )));
    }
    let cancel = Arc::new(AtomicBool::new(false));
    let watch = Arc::new(Watch {
        callback: progress.filter(|p| !p.is_none()).map(Bound::unbind),
        cancel: cancel.clone(),
        state: Mutex::new((None, None)),
    });
    let w = watch.clone();
    opts.progress = Some(Arc::new(move |p: Progress| w.update(p)));
    opts.cancel = Some(cancel);

    let result = py.detach(|| run(&src, &dst, &spec, opts, compress.as_deref(), level));
    if let Some(e) = watch.take_error() {
        // Raised during the last rows: the run completed before it saw the cancellation, but
        // the call fails, so it leaves no output either.
        if let Ok(r) = &result {
            let _ = std::fs::remove_file(&r.output);
            if let Some(q) = &r.quicklook {
                let _ = std::fs::remove_file(q);
            }
        }
        return Err(e);
    }
    report_dict(py, &result?)
}
