//! `despeckle.polsar`: the polarimetric filters (`PolBoxcar`, `PolRefinedLee`) on the `(k², y,
//! x)` real planes of a matrix. The documented API (complex layouts, dask, xarray) is in
//! `python/despeckle/polsar.py`, which calls these.

use despeckle::EdgeRule;
use despeckle::polsar::{Matrix, PolBoxcar, PolRefinedLee};
use despeckle_file::planes::AnyPlanes;
use numpy::{PyArray3, PyArrayDescrMethods, PyUntypedArrayMethods};
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
                    ddof=None, edge_rule=None))]
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
    let f: Box<dyn AnyPlanes> = match filter {
        "boxcar" => {
            for (name, given) in [("looks", looks), ("ddof", ddof), ("edge_rule", edge_rule)] {
                if given.is_some_and(|g| !g.is_none()) {
                    return Err(PyValueError::new_err(format!(
                        "invalid parameter `{name}`: the boxcar takes no {name}"
                    )));
                }
            }
            Box::new(PolBoxcar::new(m))
        }
        "refined_lee" => {
            let looks = params::float(looks, "looks", Some(1.0))?.unwrap_or(1.0);
            let ddof = params::int(ddof, "ddof", Some(0))?.unwrap_or(0);
            let ddof = u8::try_from(ddof).map_err(|_| {
                PyValueError::new_err(format!("invalid parameter `ddof`: 0 or 1, got {ddof}"))
            })?;
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
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown polarimetric filter {other:?}: \"boxcar\" or \"refined_lee\""
            )));
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
