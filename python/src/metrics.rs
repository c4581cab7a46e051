//! Quality measures of the core (`despeckle::metrics`) on 2-D numpy arrays: the accumulators
//! are fed row by row (a strided row is copied into one row buffer), with the GIL released.

use despeckle::metrics::{
    NoReference, NoReferenceMetrics, Reference, ReferenceMetrics, Region, RegionMetrics,
};
use despeckle::{Domain, Sample};
use numpy::ndarray::ArrayView2;
use numpy::{Element, PyArray2, PyArrayMethods, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::params::{self, Arg, value_error};

/// Feeds the rows of two same-shaped views to `add`.
fn feed<T: Sample>(
    a: &ArrayView2<'_, T>,
    b: &ArrayView2<'_, T>,
    mut add: impl FnMut(&[T], &[T]) -> despeckle::Result<()>,
) -> despeckle::Result<()> {
    let (mut ra, mut rb) = (Vec::new(), Vec::new());
    for (x, y) in a.rows().into_iter().zip(b.rows()) {
        let x = match x.as_slice() {
            Some(s) => s,
            None => {
                ra.clear();
                ra.extend(x.iter().copied());
                &ra[..]
            }
        };
        let y = match y.as_slice() {
            Some(s) => s,
            None => {
                rb.clear();
                rb.extend(y.iter().copied());
                &rb[..]
            }
        };
        add(x, y)?;
    }
    Ok(())
}

/// Two 2-D arrays of the same dtype (float32 or float64) and shape, as read-only views.
fn with_pair<'py, R>(
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    names: (&str, &str),
    f32_run: impl FnOnce(ArrayView2<'_, f32>, ArrayView2<'_, f32>) -> PyResult<R>,
    f64_run: impl FnOnce(ArrayView2<'_, f64>, ArrayView2<'_, f64>) -> PyResult<R>,
) -> PyResult<R> {
    fn pair<'py, T: Element>(
        a: &Bound<'py, PyAny>,
        b: &Bound<'py, PyAny>,
    ) -> Option<(PyReadonlyArray2<'py, T>, PyReadonlyArray2<'py, T>)> {
        let a = a.cast::<PyArray2<T>>().ok()?.try_readonly().ok()?;
        let b = b.cast::<PyArray2<T>>().ok()?.try_readonly().ok()?;
        Some((a, b))
    }
    let check = |sa: &[usize], sb: &[usize]| {
        if sa != sb {
            Err(PyValueError::new_err(format!(
                "{} has shape {:?} but {} has shape {:?}: the images must have the same shape",
                names.0, sa, names.1, sb
            )))
        } else {
            Ok(())
        }
    };
    for (arr, name) in [(a, names.0), (b, names.1)] {
        if let Ok(u) = arr.cast::<numpy::PyUntypedArray>() {
            crate::apply::check_aligned(u, name)?;
        }
    }
    if let Some((x, y)) = pair::<f32>(a, b) {
        check(x.shape(), y.shape())?;
        return f32_run(x.as_array(), y.as_array());
    }
    if let Some((x, y)) = pair::<f64>(a, b) {
        check(x.shape(), y.shape())?;
        return f64_run(x.as_array(), y.as_array());
    }
    Err(PyTypeError::new_err(format!(
        "{} and {} must be 2-D float32 or float64 numpy arrays of the same dtype",
        names.0, names.1
    )))
}

fn run_noref<T: Sample>(
    py: Python<'_>,
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    regions: &[Region],
    domain: Domain,
    nodata: Option<f64>,
) -> PyResult<NoReferenceMetrics> {
    let (h, w) = a.dim();
    py.detach(|| {
        let mut acc = NoReference::new(w, h, regions, domain, nodata);
        feed(&a, &b, |x, y| acc.add_rows(x, y))?;
        acc.finish()
    })
    .map_err(value_error)
}

fn run_ref<T: Sample>(
    py: Python<'_>,
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    peak: f64,
    nodata: Option<f64>,
) -> PyResult<ReferenceMetrics> {
    let (h, w) = a.dim();
    py.detach(|| {
        let mut acc = Reference::new(w, h, peak, nodata)?;
        feed(&a, &b, |x, y| acc.add_rows(x, y))?;
        acc.finish()
    })
    .map_err(value_error)
}

/// Sets numeric items of a dict.
fn put(d: &Bound<'_, PyDict>, items: &[(&str, f64)]) -> PyResult<()> {
    for (k, v) in items {
        d.set_item(*k, *v)?;
    }
    Ok(())
}

fn region_dict<'py>(py: Python<'py>, r: &RegionMetrics) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let g = r.region;
    d.set_item("roi", (g.x, g.y, g.width, g.height))?;
    d.set_item("pixels", r.pixels)?;
    put(
        &d,
        &[
            ("enl_input", r.enl_input),
            ("enl_output", r.enl_output),
            ("ssi", r.ssi),
            ("mean_ratio", r.mean_ratio),
            ("epi", r.epi),
            ("ratio_mean", r.ratio_mean),
            ("ratio_enl", r.ratio_enl),
        ],
    )?;
    Ok(d)
}

/// No-reference measures of `output` against `input` (see `despeckle.metrics.assess`).
#[pyfunction]
#[pyo3(signature = (input, output, rois=Vec::new(), *, domain=None, nodata=None))]
pub fn assess<'py>(
    py: Python<'py>,
    input: &Bound<'py, PyAny>,
    output: &Bound<'py, PyAny>,
    rois: Vec<(usize, usize, usize, usize)>,
    domain: Arg<'_, 'py>,
    nodata: Arg<'_, 'py>,
) -> PyResult<Bound<'py, PyDict>> {
    let domain = params::domain(domain)?;
    let nodata = params::float(nodata, "nodata", None)?.filter(|v| !v.is_nan());
    let regions: Vec<Region> = rois
        .iter()
        .map(|&(x, y, width, height)| Region {
            x,
            y,
            width,
            height,
        })
        .collect();
    let m = with_pair(
        input,
        output,
        ("input", "output"),
        |a, b| run_noref(py, a, b, &regions, domain, nodata),
        |a, b| run_noref(py, a, b, &regions, domain, nodata),
    )?;
    let d = PyDict::new(py);
    d.set_item("whole", region_dict(py, &m.whole)?)?;
    let rs = m
        .regions
        .iter()
        .map(|r| region_dict(py, r))
        .collect::<PyResult<Vec<_>>>()?;
    d.set_item("regions", rs)?;
    if let Some(h) = &m.homogeneous {
        let hd = PyDict::new(py);
        hd.set_item("blocks", h.blocks.len())?;
        hd.set_item(
            "block_corners",
            h.blocks.iter().map(|b| (b.x, b.y)).collect::<Vec<_>>(),
        )?;
        hd.set_item("block_size", despeckle::metrics::homogeneous::BLOCK)?;
        put(
            &hd,
            &[
                ("enl_input", h.enl_input),
                ("enl_output", h.enl_output),
                ("ssi", h.ssi),
                ("mean_ratio", h.mean_ratio),
                ("ratio_enl", h.ratio_enl),
                ("ratio_mean", h.ratio_mean),
            ],
        )?;
        d.set_item("homogeneous", hd)?;
    } else {
        d.set_item("homogeneous", py.None())?;
    }
    if let Some(mi) = &m.m_index {
        let md = PyDict::new(py);
        put(
            &md,
            &[
                ("m", mi.m),
                ("first_order", mi.first_order),
                ("delta_h", mi.delta_h),
                ("homogeneity", mi.homogeneity),
                ("shuffled_homogeneity", mi.shuffled_homogeneity),
            ],
        )?;
        md.set_item("blocks", mi.blocks)?;
        d.set_item("m_index", md)?;
    } else {
        d.set_item("m_index", py.None())?;
    }
    Ok(d)
}

/// Measures of `estimate` against a clean `truth` (see `despeckle.metrics.psnr`, `ssim`).
#[pyfunction]
#[pyo3(signature = (truth, estimate, peak, *, nodata=None))]
pub fn reference<'py>(
    py: Python<'py>,
    truth: &Bound<'py, PyAny>,
    estimate: &Bound<'py, PyAny>,
    peak: f64,
    nodata: Arg<'_, 'py>,
) -> PyResult<Bound<'py, PyDict>> {
    let nodata = params::float(nodata, "nodata", None)?.filter(|v| !v.is_nan());
    let m = with_pair(
        truth,
        estimate,
        ("truth", "estimate"),
        |a, b| run_ref(py, a, b, peak, nodata),
        |a, b| run_ref(py, a, b, peak, nodata),
    )?;
    let d = PyDict::new(py);
    d.set_item("pixels", m.pixels)?;
    d.set_item("ssim_windows", m.ssim_windows)?;
    put(
        &d,
        &[
            ("peak", m.peak),
            ("mse", m.mse),
            ("psnr", m.psnr),
            ("ssim", m.ssim),
            ("bias", m.bias),
            ("relative_bias", m.relative_bias),
        ],
    )?;
    Ok(d)
}
