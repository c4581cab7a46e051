//! Image-wide estimates of the core (`despeckle::estimate`): the equivalent number of looks
//! (and the looks `looks="auto"` takes from it), and exact quantiles (Lee Sigma's `Z98`), one
//! value per image plane.

use despeckle::estimate::{enl, quantile};
use despeckle::{BoxError, Domain, RowSource, Sample};
use numpy::{Element, PyArrayDyn, PyArrayMethods, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::apply::{check_aligned, dtype_error, planes_of, shape_str};
use crate::params::{self, Arg, value_error};
use crate::plane::{DynSource, with_source};

/// What to estimate.
#[derive(Clone, Copy)]
enum What {
    Enl(Domain),
    /// The looks `looks="auto"` uses: the ENL, at least one.
    Looks(Domain),
    Quantile(f64),
}

impl What {
    fn parse(what: &str, q: Arg<'_, '_>, domain: Arg<'_, '_>) -> PyResult<Self> {
        match what {
            "enl" => Ok(What::Enl(params::domain(domain)?)),
            "looks" => Ok(What::Looks(params::domain(domain)?)),
            "quantile" => {
                let q = params::float(q, "q", None)?
                    .ok_or_else(|| PyValueError::new_err("q is required"))?;
                if (0.0..=1.0).contains(&q) {
                    Ok(What::Quantile(q))
                } else {
                    Err(PyValueError::new_err(format!(
                        "invalid parameter `q`: must be between 0 and 1, got {q}"
                    )))
                }
            }
            _ => Err(PyValueError::new_err(format!("unknown estimate {what:?}"))),
        }
    }

    /// The estimate over one plane (NaN: a quantile of a plane without valid pixels).
    fn of<T: Sample>(
        self,
        src: &mut impl RowSource<T>,
        nodata: Option<f64>,
    ) -> despeckle::Result<f64> {
        match self {
            What::Enl(domain) => enl(src, nodata, domain).map(|e| e.enl),
            What::Looks(domain) => enl(src, nodata, domain).map(|e| e.looks()),
            What::Quantile(q) => quantile(src, q, nodata).map(|v| v.unwrap_or(f64::NAN)),
        }
    }
}

/// One estimate per plane of a 2-D image or 3-D stack (see `despeckle.estimate_enl`,
/// `despeckle.quantile`), computed with the GIL released.
#[pyfunction]
#[pyo3(signature = (img, what, *, q=None, nodata=None, domain=None))]
pub fn estimate<'py>(
    py: Python<'py>,
    img: &Bound<'py, PyAny>,
    what: &str,
    q: Arg<'_, 'py>,
    nodata: Arg<'_, 'py>,
    domain: Arg<'_, 'py>,
) -> PyResult<Vec<f64>> {
    let what = What::parse(what, q, domain)?;
    let nodata = params::in_memory_nodata(nodata)?.filter(|v| !v.is_nan());
    if let Ok(a) = img.cast::<PyArrayDyn<f32>>() {
        return planes(py, a, what, nodata);
    }
    if let Ok(a) = img.cast::<PyArrayDyn<f64>>() {
        return planes(py, a, what, nodata);
    }
    Err(dtype_error(img))
}

fn planes<T: Sample + Element>(
    py: Python<'_>,
    img: &Bound<'_, PyArrayDyn<T>>,
    what: What,
    nodata: Option<f64>,
) -> PyResult<Vec<f64>> {
    let shape = img.shape().to_vec();
    if !(2..=3).contains(&shape.len()) {
        return Err(PyValueError::new_err(format!(
            "img has shape {}: pass a 2-D image (y, x) or a 3-D stack (band, y, x)",
            shape_str(&shape)
        )));
    }
    check_aligned(img.as_untyped(), "img")?;
    let ro = img
        .try_readonly()
        .map_err(|e| PyValueError::new_err(format!("img cannot be read now ({e})")))?;
    let planes = planes_of(&ro.as_array());
    py.detach(|| {
        planes
            .into_iter()
            .map(|p| {
                // SAFETY: `ro` keeps the array borrowed read-only until this returns.
                unsafe { with_source(p, |src| what.of(&mut DynSource(src), nodata)) }
            })
            .collect::<despeckle::Result<Vec<f64>>>()
    })
    .map_err(value_error)
}

/// Rows of an image that lives elsewhere (e.g. a dask array), read through a Python callable
/// `read(y0, n)` returning an `(n, width)` array.
struct CallbackSource<'a, 'py> {
    read: &'a Bound<'py, PyAny>,
    width: usize,
    height: usize,
}

impl<T: Sample + Element> RowSource<T> for CallbackSource<'_, '_> {
    fn width(&self) -> usize {
        self.width
    }
    fn height(&self) -> usize {
        self.height
    }
    fn read_rows(&mut self, y0: usize, buf: &mut [T]) -> Result<(), BoxError> {
        let n = buf.len() / self.width.max(1);
        let rows = crate::apply::aligned(self.read.call1((y0, n))?)?;
        let rows: PyReadonlyArray2<'_, T> = rows.extract()?;
        let view = rows.as_array();
        if view.dim() != (n, self.width) {
            return Err(format!(
                "read({y0}, {n}) returned shape {:?}, expected ({n}, {})",
                view.dim(),
                self.width
            )
            .into());
        }
        for (dst, v) in buf.iter_mut().zip(view.iter()) {
            *dst = *v;
        }
        Ok(())
    }
}

/// The estimate of an image read row block by row block through `read(y0, n)` (the dask
/// wrapper's image-wide estimates; runs with the GIL held, `read` is Python).
#[pyfunction]
#[pyo3(signature = (read, height, width, dtype, what, *, q=None, nodata=None, domain=None))]
#[allow(clippy::too_many_arguments)]
pub fn estimate_rows<'py>(
    read: &Bound<'py, PyAny>,
    height: usize,
    width: usize,
    dtype: &str,
    what: &str,
    q: Arg<'_, 'py>,
    nodata: Arg<'_, 'py>,
    domain: Arg<'_, 'py>,
) -> PyResult<f64> {
    let what = What::parse(what, q, domain)?;
    let nodata = params::in_memory_nodata(nodata)?.filter(|v| !v.is_nan());
    let mut src = CallbackSource {
        read,
        width,
        height,
    };
    let r = match dtype {
        "float32" => what.of::<f32>(&mut src, nodata),
        "float64" => what.of::<f64>(&mut src, nodata),
        _ => {
            return Err(PyValueError::new_err(format!(
                "dtype {dtype:?}: float32 or float64"
            )));
        }
    };
    r.map_err(read_error)
}

/// The error of an estimate read through a Python callable: a Python error raised by `read`
/// keeps its type; others become a `ValueError`.
pub fn read_error(e: despeckle::Error) -> PyErr {
    match e {
        despeckle::Error::Stream(inner) => match inner.downcast::<PyErr>() {
            Ok(py_err) => *py_err,
            Err(other) => PyValueError::new_err(other.to_string()),
        },
        e => value_error(e),
    }
}
