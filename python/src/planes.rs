//! Multi-plane numpy arrays `(k, y, x)` through a filter of several planes ([`AnyPlanes`]):
//! the shared driver call of `despeckle.temporal.quegan` and `despeckle.polsar`.

use despeckle::Options;
use despeckle::{ImageMut, ImageRef};
use despeckle_file::planes::{AnyPlanes, PlanesSample};
use numpy::{Element, PyArray3, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::params::value_error;

/// Filters the `(k, y, x)` array `a` (named `what` in messages) with `f`: a new array, or `a`
/// itself filtered in place when `out` is `a`.
pub fn run<'py, T: PlanesSample + Element>(
    py: Python<'py>,
    a: &Bound<'py, PyArray3<T>>,
    f: &dyn AnyPlanes,
    out: Option<Bound<'py, PyAny>>,
    opts: &Options,
    what: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let [t, h, w] = [a.shape()[0], a.shape()[1], a.shape()[2]];
    if t == 0 {
        return Err(PyValueError::new_err(format!(
            "{what} has no planes (shape[0] == 0)"
        )));
    }
    crate::apply::check_aligned(a.as_untyped(), what)?;
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
                return Err(PyValueError::new_err(format!(
                    "out={what} filters in place, which has no room for {k} output planes: \
                     use out=None"
                )));
            }
            let mut rw = a
                .try_readwrite()
                .map_err(|e| PyValueError::new_err(format!("out={what}: {e}")))?;
            let data = rw.as_slice_mut().map_err(|_| contiguous(what))?;
            py.detach(|| {
                let mut planes = images_mut(data, w, h)?;
                T::filter_planes_in_place(f, &mut planes, opts)
            })
            .map_err(value_error)?;
            Ok(a.clone().into_any())
        }
        Some(_) => Err(PyTypeError::new_err(format!(
            "out must be None (a new array) or the {what} itself (in place)"
        ))),
        None => {
            let ro = a.try_readonly()?;
            let data = ro.as_slice().map_err(|_| contiguous(what))?;
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
