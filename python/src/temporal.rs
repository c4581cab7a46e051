//! `despeckle.temporal.quegan`: the multi-temporal filter of Quegan & Yu on a `(t, y, x)`
//! numpy array, with any filter of the registry as the local mean. The documented API is in
//! `python/despeckle/temporal.py`, which calls this.

use despeckle::temporal::SuperImage;
use numpy::{PyArray3, PyArrayDescrMethods, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::apply::{dtype_error, shape_str};
use crate::params::{self, Arg, value_error};
use crate::planes;

/// Quegan & Yu on `stack` (see `despeckle.temporal.quegan`): a new `(t [+ 1], y, x)` array,
/// or `stack` itself filtered in place when `out` is `stack`.
#[pyfunction]
#[pyo3(signature = (stack, *, filter=None, super_image=None, groups=None, size=None, border=None,
                    cval=None, nodata=None, out=None, threads=None, max_memory=None, **params))]
#[allow(clippy::too_many_arguments)]
pub fn quegan<'py>(
    py: Python<'py>,
    stack: &Bound<'py, PyAny>,
    filter: Option<String>,
    super_image: Option<String>,
    groups: Option<Vec<usize>>,
    size: Arg<'_, 'py>,
    border: Arg<'_, 'py>,
    cval: Arg<'_, 'py>,
    nodata: Arg<'_, 'py>,
    out: Option<Bound<'py, PyAny>>,
    threads: Arg<'_, 'py>,
    max_memory: Arg<'_, 'py>,
    params: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let opts = params::options(size, border, cval, nodata, threads, max_memory)?;
    params::warn_threads(py, opts.threads())?;
    let spec = params::spec(filter.as_deref().unwrap_or("mean"), params)?;
    if let Some((name, _)) = spec.estimates().first() {
        return Err(PyValueError::new_err(format!(
            "invalid parameter `{name}`: \"auto\" is not available for stacks; give a value"
        )));
    }
    let kind = super_image
        .as_deref()
        .map(str::parse::<SuperImage>)
        .transpose()
        .map_err(value_error)?;
    let f = spec
        .build_any()
        .map_err(value_error)?
        .quegan(kind, groups.unwrap_or_default())
        .map_err(value_error)?;
    f.check_options(&opts).map_err(value_error)?;
    let out = out.filter(|o| !o.is_none());
    if kind.is_some() && out.as_ref().is_some_and(|o| o.is(stack)) {
        return Err(PyValueError::new_err(
            "out=stack filters in place, which has no room for the super image: use \
             super_image=None, or out=None",
        ));
    }
    if let Ok(a) = stack.cast::<PyArray3<f32>>() {
        return planes::run(py, a, &*f, out, &opts, "stack");
    }
    if let Ok(a) = stack.cast::<PyArray3<f64>>() {
        return planes::run(py, a, &*f, out, &opts, "stack");
    }
    if let Ok(a) = stack.cast::<numpy::PyUntypedArray>()
        && a.ndim() != 3
        && matches!(a.dtype().kind(), b'f')
    {
        return Err(PyValueError::new_err(format!(
            "stack has shape {} ({}-D): pass a (t, y, x) array, one plane per date",
            shape_str(a.shape()),
            a.ndim()
        )));
    }
    Err(dtype_error(stack))
}
