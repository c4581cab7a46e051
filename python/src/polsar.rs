//! `despeckle.polsar`: the polarimetric filters (`PolBoxcar`, `PolRefinedLee`, `PolLeeSigma`,
//! `PolIdan`) on the `(k², y, x)` real planes of a matrix, and the joint `Z98` of the diagonal
//! elements. The documented API (complex layouts, dask, xarray) is in
//! `python/despeckle/polsar.py`, which calls these.

use despeckle::polsar::{
    Conversion, Criterion, Matrix, PolBoxcar, PolIdan, PolLeeSigma, PolRefinedLee,
};
use despeckle::{BoxError, EdgeRule, PlaneSource, Sample};
use despeckle_file::planes::AnyPlanes;
use numpy::{
    Element, PyArray3, PyArrayDescrMethods, PyArrayMethods, PyReadonlyArray3, PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::apply::{dtype_error, shape_str};
use crate::params::{self, Arg, value_error};
use crate::planes;

/// The matrix kind named `name` (`"c2"`, `"C3"`, `"t3"`, ...).
fn parse_matrix(name: &str) -> PyResult<Matrix> {
    name.parse::<Matrix>()
        .map_err(|e| PyValueError::new_err(format!("invalid parameter `matrix`: {e}")))
}

/// The matrix of `planes` planes: `matrix` if given (checked against `planes`), else C2, C3 or
/// C4 for 4, 9 or 16 planes.
fn matrix_for(planes: usize, matrix: Option<&str>) -> PyResult<Matrix> {
    if let Some(name) = matrix {
        let m = parse_matrix(name)?;
        if m.planes() != planes {
            return Err(PyValueError::new_err(format!(
                "a {} matrix has {} planes ({}), the array has {planes}",
                m.name(),
                m.planes(),
                m.elements().join(", ")
            )));
        }
        return Ok(m);
    }
    match planes {
        4 => Ok(Matrix::C2),
        9 => Ok(Matrix::C3),
        16 => Ok(Matrix::C4),
        _ => Err(PyValueError::new_err(format!(
            "{planes} planes hold no polarimetric matrix: pass 4 (C2), 9 (C3, T3) or 16 (C4, \
             T4) planes in the element order C11, C12_real, C12_imag, ..."
        ))),
    }
}

/// The element names of a matrix kind, in plane order (`["C11", "C12_real", ...]`), and its
/// canonical name (`"C3"`).
#[pyfunction]
pub fn polsar_elements(matrix: &str) -> PyResult<(String, Vec<String>)> {
    let m = parse_matrix(matrix)?;
    Ok((
        m.name().to_string(),
        m.elements().iter().map(|s| s.to_string()).collect(),
    ))
}

/// Recognises a matrix from element names in any order: `(kind, order)` with plane `p` being
/// `names[order[p]]`.
#[pyfunction]
pub fn polsar_recognise(names: Vec<String>) -> PyResult<(String, Vec<usize>)> {
    let (m, order) = Matrix::recognise(&names)
        .map_err(|e| PyValueError::new_err(format!("the element labels {names:?}: {e}")))?;
    Ok((m.name().to_string(), order))
}

/// A polarimetric filter of `planes` (see `despeckle.polsar`): a new `(k², y, x)` array, or
/// `planes` itself filtered in place when `out` is `planes`.
#[pyfunction]
#[pyo3(signature = (planes, *, filter, matrix=None, size=None, border=None, cval=None,
                    nodata=None, out=None, threads=None, max_memory=None, looks=None,
                    ddof=None, edge_rule=None, sigma=None, target_window=None,
                    min_cluster=None, z98=None, region=None, criterion=None))]
#[allow(clippy::too_many_arguments)]
pub fn polsar<'py>(
    py: Python<'py>,
    planes: &Bound<'py, PyAny>,
    filter: &str,
    matrix: Option<String>,
    size: Arg<'_, 'py>,
    border: Arg<'_, 'py>,
    cval: Arg<'_, 'py>,
    nodata: Arg<'_, 'py>,
    out: Option<Bound<'py, PyAny>>,
    threads: Arg<'_, 'py>,
    max_memory: Arg<'_, 'py>,
    looks: Arg<'_, 'py>,
    ddof: Arg<'_, 'py>,
    edge_rule: Arg<'_, 'py>,
    sigma: Arg<'_, 'py>,
    target_window: Arg<'_, 'py>,
    min_cluster: Arg<'_, 'py>,
    z98: Option<Vec<f64>>,
    region: Arg<'_, 'py>,
    criterion: Arg<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let opts = params::options(size, border, cval, nodata, threads, max_memory)?;
    params::warn_threads(py, opts.threads())?;
    let arr = planes.cast::<numpy::PyUntypedArray>().ok();
    let arr = arr.filter(|a| a.dtype().kind() == b'f' && matches!(a.dtype().itemsize(), 4 | 8));
    let Some(arr) = arr else {
        return Err(dtype_error(planes));
    };
    if arr.ndim() != 3 {
        return Err(PyValueError::new_err(format!(
            "planes has shape {} ({}-D): pass (k², y, x) real planes or a (k, k, y, x) complex \
             matrix",
            shape_str(arr.shape()),
            arr.ndim()
        )));
    }
    let m = matrix_for(arr.shape()[0], matrix.as_deref())?;
    let given = |a: Arg<'_, 'py>| a.is_some_and(|g| !g.is_none());
    let extra: [(&str, bool); 9] = [
        ("looks", given(looks)),
        ("ddof", given(ddof)),
        ("edge_rule", given(edge_rule)),
        ("sigma", given(sigma)),
        ("target_window", given(target_window)),
        ("min_cluster", given(min_cluster)),
        ("z98", z98.is_some()),
        ("region", given(region)),
        ("criterion", given(criterion)),
    ];
    let takes: &[&str] = match filter {
        "boxcar" => &[],
        "refined_lee" => &["looks", "ddof", "edge_rule"],
        "lee_sigma" => &[
            "looks",
            "ddof",
            "sigma",
            "target_window",
            "min_cluster",
            "z98",
        ],
        "idan" => &["looks", "ddof", "region", "criterion"],
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown polarimetric filter {other:?}: \"boxcar\", \"refined_lee\", \
                 \"lee_sigma\" or \"idan\""
            )));
        }
    };
    if let Some((name, _)) = extra.iter().find(|(n, g)| *g && !takes.contains(n)) {
        return Err(PyValueError::new_err(format!(
            "invalid parameter `{name}`: the {filter} takes no {name}"
        )));
    }
    let looks = params::float(looks, "looks", Some(1.0))?.unwrap_or(1.0);
    let ddof = params::int(ddof, "ddof", Some(0))?.unwrap_or(0);
    let ddof = u8::try_from(ddof).map_err(|_| {
        PyValueError::new_err(format!("invalid parameter `ddof`: 0 or 1, got {ddof}"))
    })?;
    let count = |a: Arg<'_, 'py>, name: &str, default: i64| -> PyResult<usize> {
        let v = params::int(a, name, Some(default))?.unwrap_or(default);
        usize::try_from(v).map_err(|_| {
            PyValueError::new_err(format!("invalid parameter `{name}`: must be ≥ 1, got {v}"))
        })
    };
    let f: Box<dyn AnyPlanes> = match filter {
        "boxcar" => Box::new(PolBoxcar::new(m)),
        "refined_lee" => {
            let rule = match params::string(edge_rule, "edge_rule", "gradient")?.as_str() {
                "gradient" => EdgeRule::Gradient,
                "closer" => EdgeRule::Closer,
                other => {
                    return Err(PyValueError::new_err(format!(
                        "invalid parameter `edge_rule`: \"gradient\" or \"closer\", got {other:?}"
                    )));
                }
            };
            Box::new(
                PolRefinedLee::new(m)
                    .with_looks(looks)
                    .map_err(value_error)?
                    .with_ddof(ddof)
                    .map_err(value_error)?
                    .with_edge_rule(rule),
            )
        }
        "lee_sigma" => {
            let z98 = z98.ok_or_else(|| {
                PyValueError::new_err(
                    "invalid parameter `z98`: required (one per diagonal element)",
                )
            })?;
            let sigma = params::float(sigma, "sigma", Some(0.9))?.unwrap_or(0.9);
            let target = count(target_window, "target_window", 3)?;
            let f = PolLeeSigma::new(m, looks, &z98)
                .and_then(|f| f.with_sigma(sigma))
                .and_then(|f| f.with_target_window(target))
                .and_then(|f| f.with_ddof(ddof))
                .map_err(value_error)?;
            let f = if given(min_cluster) {
                f.with_min_cluster(count(min_cluster, "min_cluster", 6)?)
                    .map_err(value_error)?
            } else {
                f
            };
            Box::new(f)
        }
        _ => {
            let criterion: Criterion = params::string(criterion, "criterion", "each")?
                .parse()
                .map_err(value_error)?;
            let region = count(region, "region", 50)?;
            Box::new(
                PolIdan::new(m, looks)
                    .and_then(|f| f.with_region(region))
                    .and_then(|f| f.with_ddof(ddof))
                    .map_err(value_error)?
                    .with_criterion(criterion),
            )
        }
    };
    f.check_options(&opts).map_err(value_error)?;
    let out = out.filter(|o| !o.is_none());
    if let Ok(a) = planes.cast::<PyArray3<f32>>() {
        return planes::run(py, a, &*f, out, &opts, "planes");
    }
    if let Ok(a) = planes.cast::<PyArray3<f64>>() {
        return planes::run(py, a, &*f, out, &opts, "planes");
    }
    Err(dtype_error(planes))
}

/// `planes` (`(k², y, x)` real planes of `matrix`) in the basis of `to` (C3 ↔ T3, C4 ↔ T4:
/// `T = U C Uᴴ`): a new array of the same dtype. A pixel with a non-finite or `nodata`
/// element is `nodata` (NaN by default) in every plane.
#[pyfunction]
#[pyo3(signature = (planes, to, *, matrix=None, nodata=None))]
pub fn polsar_convert<'py>(
    py: Python<'py>,
    planes: &Bound<'py, PyAny>,
    to: &str,
    matrix: Option<String>,
    nodata: Arg<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let arr = planes.cast::<numpy::PyUntypedArray>().ok();
    let Some(arr) = arr.filter(|a| a.ndim() == 3) else {
        return Err(dtype_error(planes));
    };
    crate::apply::check_aligned(arr, "planes")?;
    let from = matrix_for(arr.shape()[0], matrix.as_deref())?;
    let to = to
        .parse::<Matrix>()
        .map_err(|e| PyValueError::new_err(format!("invalid parameter `to`: {e}")))?;
    let conv = Conversion::new(from, to).map_err(value_error)?;
    let nodata = params::in_memory_nodata(nodata)?.filter(|v| !v.is_nan());
    if let Ok(a) = planes.cast::<PyArray3<f32>>() {
        return convert_array(py, a, conv, nodata);
    }
    if let Ok(a) = planes.cast::<PyArray3<f64>>() {
        return convert_array(py, a, conv, nodata);
    }
    Err(dtype_error(planes))
}

/// [`polsar_convert`] on one dtype.
fn convert_array<'py, T: Sample + Element>(
    py: Python<'py>,
    planes: &Bound<'py, PyArray3<T>>,
    conv: Conversion,
    nodata: Option<f64>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut out = planes
        .readonly()
        .as_array()
        .as_standard_layout()
        .into_owned();
    let (_, h, w) = out.dim();
    let data = out
        .as_slice_mut()
        .expect("an owned array is in standard layout");
    py.detach(|| {
        let mut rows_of: Vec<&mut [T]> = data.chunks_mut((h * w).max(1)).collect();
        for y in 0..h {
            let mut rows: Vec<&mut [T]> = rows_of
                .iter_mut()
                .map(|p| &mut p[y * w..(y + 1) * w])
                .collect();
            conv.rows(&mut rows, nodata);
        }
    });
    Ok(PyArray3::from_owned_array(py, out).into_any())
}

/// The planes of an image that lives elsewhere (a numpy or dask array), read through a Python
/// callable `read(y0, n)` returning a `(planes, n, width)` array.
struct CallbackPlanes<'a, 'py> {
    read: &'a Bound<'py, PyAny>,
    width: usize,
    height: usize,
    planes: usize,
}

impl<T: Sample + Element> PlaneSource<T> for CallbackPlanes<'_, '_> {
    fn width(&self) -> usize {
        self.width
    }
    fn height(&self) -> usize {
        self.height
    }
    fn planes(&self) -> usize {
        self.planes
    }
    fn read_planes(&mut self, y0: usize, n: usize, bufs: &mut [&mut [T]]) -> Result<(), BoxError> {
        let rows = crate::apply::aligned(self.read.call1((y0, n))?)?;
        let rows: PyReadonlyArray3<'_, T> = rows.extract()?;
        let view = rows.as_array();
        if view.dim() != (self.planes, n, self.width) {
            return Err(format!(
                "read({y0}, {n}) returned shape {:?}, expected ({}, {n}, {})",
                view.dim(),
                self.planes,
                self.width
            )
            .into());
        }
        for (buf, plane) in bufs.iter_mut().zip(view.outer_iter()) {
            for (dst, v) in buf.iter_mut().zip(plane.iter()) {
                *dst = *v;
            }
        }
        Ok(())
    }
}

/// The exact 98th percentile of each diagonal element of a matrix image read through
/// `read(y0, n)` (`(k², n, width)` rows), over the pixels valid in every element (`+inf`
/// where there is none): the polarimetric Lee Sigma's `z98`.
#[pyfunction]
#[pyo3(signature = (read, planes, height, width, dtype, *, matrix=None, nodata=None))]
pub fn polsar_z98<'py>(
    read: &Bound<'py, PyAny>,
    planes: usize,
    height: usize,
    width: usize,
    dtype: &str,
    matrix: Option<String>,
    nodata: Arg<'_, 'py>,
) -> PyResult<Vec<f64>> {
    let m = matrix_for(planes, matrix.as_deref())?;
    let nodata = params::in_memory_nodata(nodata)?.filter(|v| !v.is_nan());
    let mut src = CallbackPlanes {
        read,
        width,
        height,
        planes,
    };
    let diag = m.diagonal();
    let r = match dtype {
        "float32" => despeckle::estimate::joint_quantiles::<f32, _>(&mut src, diag, 0.98, nodata),
        "float64" => despeckle::estimate::joint_quantiles::<f64, _>(&mut src, diag, 0.98, nodata),
        _ => {
            return Err(PyValueError::new_err(format!(
                "dtype {dtype:?}: float32 or float64"
            )));
        }
    };
    let z98 = r.map_err(crate::estimate::read_error)?;
    Ok(z98
        .into_iter()
        .map(|v| v.unwrap_or(f64::INFINITY))
        .collect())
}
