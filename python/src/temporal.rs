//! `despeckle.temporal.quegan`: the multi-temporal filter of Quegan & Yu on a `(t, y, x)`
//! numpy array, with any filter of the registry as the local mean. The documented API is in
//! `python/despeckle/temporal.py`, which calls this.

use despeckle::Options;
use despeckle::temporal::SuperImage;
use despeckle::{ImageMut, ImageRef};
use despeckle_file::planes::{AnyPlanes, PlanesSample};
use numpy::{Element, PyArray3, PyArrayDescrMethods, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::apply::{dtype_error, shape_str};
use crate::params::{self, Arg, value_error};

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
    if let Ok(a) = stack.cast::<PyArray3<f32>>() {
        return typed(py, a, &*f, out, &opts);
    }
    if let Ok(a) = stack.cast::<PyArray3<f64>>() {
        return typed(py, a, &*f, out, &opts);
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

fn typed<'py, T: PlanesSample + Element>(
    py: Python<'py>,
    a: &Bound<'py, PyArray3<T>>,
    f: &dyn AnyPlanes,
    out: Option<Bound<'py, PyAny>>,
    opts: &Options,
) -> PyResult<Bound<'py, PyAny>> {
    let [t, h, w] = [a.shape()[0], a.shape()[1], a.shape()[2]];
    if t == 0 {
        return Err(PyValueError::new_err("stack has no dates (shape[0] == 0)"));
    }
    let k = f.output_planes(t).map_err(value_error)?;
    if h * w == 0 {
        // nothing to filter: an empty result of the right shape
        return Ok(match out {
            Some(o) if o.is(a) => a.clone().into_any(),
            _ => PyArray3::<T>::zeros(py, [k, h, w], false).into_any(),
        });
    }
    let contiguous = |what: &str| {
        PyValueError::new_err(format!(
            "{what} must be C-contiguous (numpy.ascontiguousarray) to be filtered here"
        ))
    };
    match out {
        Some(o) if o.is(a) => {
            if k != t {
                return Err(PyValueError::new_err(
                    "out=stack filters in place, which has no room for the super image: use \
                     super_image=None, or out=None",
                ));
            }
            let mut rw = a
                .try_readwrite()
                .map_err(|e| PyValueError::new_err(format!("out=stack: {e}")))?;
            let data = rw.as_slice_mut().map_err(|_| contiguous("stack"))?;
            py.detach(|| {
                let mut planes = images_mut(data, w, h)?;
                T::filter_planes_in_place(f, &mut planes, opts)
            })
            .map_err(value_error)?;
            Ok(a.clone().into_any())
        }
        Some(_) => Err(PyTypeError::new_err(
            "out must be None (a new array) or the stack itself (in place)",
        )),
        None => {
            let ro = a.try_readonly()?;
            let data = ro.as_slice().map_err(|_| contiguous("stack"))?;
            let result = PyArray3::<T>::zeros(py, [k, h, w], false);
            {
                let mut rw = result.readwrite();
                let dst = rw.as_slice_mut().expect("a new array is contiguous");
                py.detach(|| {
                    let inputs = data
                        .chunks_exact(h * w)
                        .map(|p| ImageRef::new(p, w, h))
                        .collect::<despeckle::Result<Vec<_>>>()?;
                    let mut outs = images_mut(dst, w, h)?;
                    T::filter_planes(f, &inputs, &mut outs, opts)
                })
                .map_err(value_error)?;
            }
            Ok(result.into_any())
        }
    }
}

/// The planes of a `(k, h, w)` buffer (`h · w > 0`) as images.
fn images_mut<T: PlanesSample>(
    data: &mut [T],
    w: usize,
    h: usize,
) -> despeckle::Result<Vec<ImageMut<'_, T>>> {
    data.chunks_exact_mut(h * w)
        .map(|p| ImageMut::new(p, w, h))
        .collect()
}
