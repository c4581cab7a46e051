//! The one generic helper behind every filter function: validates the numpy arguments,
//! borrows the buffers (no copy), releases the GIL and runs the core plane by plane.

use despeckle::{Options, Sample};
use despeckle_file::registry::{FilterSpec, MemSample};
use numpy::ndarray::{ArrayViewD, ArrayViewMutD, Axis, Ix2};
use numpy::{
    Element, PyArray1, PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::params::value_error;
use crate::plane::{PlaneJob, RawPlane, resolve, run_plane};

/// One output of a call: a filter of the registry with its parameters and where its result
/// goes (`None`: a new array).
pub type Job<'py> = (FilterSpec, Option<Bound<'py, PyAny>>);

/// Runs each job's filter on `img` and returns the output arrays, in job order.
///
/// Every argument is checked before anything is written. Outputs that are `img` itself are
/// computed last, in place.
pub fn apply<'py>(
    py: Python<'py>,
    img: &Bound<'py, PyAny>,
    jobs: Vec<Job<'py>>,
    opts: &Options,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    if let Ok(a) = img.cast::<PyArrayDyn<f32>>() {
        return typed(py, a, jobs, opts);
    }
    if let Ok(a) = img.cast::<PyArrayDyn<f64>>() {
        return typed(py, a, jobs, opts);
    }
    Err(dtype_error(img))
}

/// A `TypeError` for an `img` that is not a float32/float64 numpy array, saying how to convert.
pub fn dtype_error(img: &Bound<'_, PyAny>) -> PyErr {
    let Ok(arr) = img.cast::<PyUntypedArray>() else {
        let ty = img
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "?".into());
        return PyTypeError::new_err(format!(
            "img must be a numpy.ndarray of float32 or float64, got {ty}"
        ));
    };
    let dtype = arr.dtype();
    let name = dtype
        .str()
        .map(|s| s.to_string())
        .unwrap_or_else(|_| "?".into());
    let msg = match dtype.kind() {
        b'c' => format!(
            "img is complex ({name}): filter the intensity numpy.abs(img)**2 (or the amplitude \
             numpy.abs(img) with domain=\"amplitude\"), converted with .astype(numpy.float32)"
        ),
        b'i' | b'u' | b'b' => format!(
            "img has integer dtype {name}; despeckle filters float32 or float64 images: convert \
             it with img.astype(numpy.float32) (and pass its no-data value as nodata=)"
        ),
        b'f' if dtype.is_native_byteorder() == Some(false) => format!(
            "img has dtype {name}, in non-native byte order; despeckle filters float32 or \
             float64 in native byte order: convert it with img.astype(numpy.float32)"
        ),
        _ => format!(
            "img has dtype {name}; despeckle filters float32 or float64 images: convert it with \
             img.astype(numpy.float32)"
        ),
    };
    PyTypeError::new_err(msg)
}

/// The shape as Python prints it, e.g. `(3, 100, 200)`.
pub fn shape_str(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Byte addresses `[lo, hi)` spanned by an array's elements (empty arrays span nothing).
fn extent<T: Element>(arr: &Bound<'_, PyArrayDyn<T>>) -> (usize, usize) {
    let base = arr.data() as isize;
    if arr.shape().contains(&0) {
        return (base as usize, base as usize);
    }
    let (mut lo, mut hi) = (base, base + arr.dtype().itemsize() as isize);
    for (&n, &s) in arr.shape().iter().zip(arr.strides()) {
        let reach = (n as isize - 1) * s;
        lo += reach.min(0);
        hi += reach.max(0);
    }
    (lo as usize, hi as usize)
}

/// Whether two elements of the array may be the same memory (e.g. `broadcast_to`,
/// `as_strided`): a sufficient test for "no self-overlap" on the sorted strides.
fn self_overlaps(arr: &Bound<'_, PyUntypedArray>) -> bool {
    let mut dims: Vec<(usize, usize)> = arr
        .shape()
        .iter()
        .zip(arr.strides())
        .filter(|(n, _)| **n > 1)
        .map(|(&n, &s)| (s.unsigned_abs(), n))
        .collect();
    dims.sort_unstable();
    let mut span = arr.dtype().itemsize();
    for (stride, n) in dims {
        if stride < span {
            return true;
        }
        span += stride * (n - 1);
    }
    false
}

fn is_writeable(arr: &Bound<'_, PyUntypedArray>) -> PyResult<bool> {
    arr.getattr("flags")?.getattr("writeable")?.extract()
}

/// `arr` itself, or an aligned copy if it is not aligned for its dtype (rows handed over by
/// a Python callback: internal plumbing, so copied rather than refused).
pub fn aligned(arr: Bound<'_, PyAny>) -> PyResult<Bound<'_, PyAny>> {
    if arr
        .getattr("flags")?
        .getattr("aligned")?
        .extract::<bool>()?
    {
        Ok(arr)
    } else {
        arr.call_method0("copy")
    }
}

pub fn check_aligned(arr: &Bound<'_, PyUntypedArray>, what: &str) -> PyResult<()> {
    if arr
        .getattr("flags")?
        .getattr("aligned")?
        .extract::<bool>()?
    {
        Ok(())
    } else {
        Err(PyValueError::new_err(format!(
            "{what} is not aligned in memory (e.g. a field of a packed record array); pass a \
             copy: {what}.copy()"
        )))
    }
}

/// Whether `a` and `b` share memory, by `numpy.shares_memory` (an unprovable case counts as
/// shared).
fn shares_memory(py: Python<'_>, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<bool> {
    let np = py.import("numpy")?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("max_work", 1_000_000)?;
    match np.getattr("shares_memory")?.call((a, b), Some(&kwargs)) {
        Ok(v) => v.extract(),
        Err(e) if e.is_instance(py, &np.getattr("exceptions")?.getattr("TooHardError")?) => {
            Ok(true)
        }
        Err(e) => Err(e),
    }
}

/// Where one job writes.
enum Dest<'py, T> {
    /// A new array.
    New,
    /// `img` itself (`out` is `img` or a view of exactly its elements): in place.
    InPlace(Bound<'py, PyArrayDyn<T>>),
    /// Another array that shares no memory with `img`.
    Other(Bound<'py, PyArrayDyn<T>>),
}

/// Checks one `out` argument against `img`.
fn classify<'py, T: Element>(
    py: Python<'py>,
    img: &Bound<'py, PyArrayDyn<T>>,
    out: &Bound<'py, PyAny>,
) -> PyResult<Dest<'py, T>> {
    let img_u = img.as_untyped();
    let Ok(out_u) = out.cast::<PyUntypedArray>() else {
        let ty = out
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "?".into());
        return Err(PyTypeError::new_err(format!(
            "out must be a numpy.ndarray (or None for a new array), got {ty}"
        )));
    };
    let Ok(out_t) = out.cast::<PyArrayDyn<T>>() else {
        return Err(PyTypeError::new_err(format!(
            "out has dtype {} but img has dtype {}: out must have the same dtype; use \
             out=None, or numpy.empty_like(img)",
            out_u.dtype().str()?,
            img_u.dtype().str()?
        )));
    };
    if out_u.shape() != img_u.shape() {
        return Err(PyValueError::new_err(format!(
            "out has shape {} but img has shape {}: out must have the same shape; use \
             out=None, or numpy.empty_like(img)",
            shape_str(out_u.shape()),
            shape_str(img_u.shape())
        )));
    }
    if !is_writeable(out_u)? {
        return Err(PyValueError::new_err(
            "out is read-only (out.flags.writeable is False); pass a writable array, or \
             out=None for a new one",
        ));
    }
    check_aligned(out_u, "out")?;
    if self_overlaps(out_u) {
        return Err(PyValueError::new_err(
            "out has elements that share memory with each other (made with broadcast_to or \
             as_strided?); pass a normal array, e.g. numpy.empty_like(img)",
        ));
    }
    let identical = out.is(img)
        || (out_t.data() == img.data() && out_u.strides() == img_u.strides())
        || out_u.shape().contains(&0) && out_t.data() == img.data();
    if identical {
        return Ok(Dest::InPlace(out_t.clone()));
    }
    let (a, b) = (extent(img), extent(out_t));
    if a.0 < b.1 && b.0 < a.1 && shares_memory(py, img.as_any(), out)? {
        return Err(PyValueError::new_err(
            "out shares memory with img but is not img itself (a shifted, flipped or \
             transposed view?), which would give wrong results: pass out=img to filter in \
             place, or an array that does not overlap img",
        ));
    }
    Ok(Dest::Other(out_t.clone()))
}

/// A new C-ordered output array.
///
/// Allocated by Rust (zeroed by `calloc`: the pages are only mapped when the filter writes
/// them) rather than by numpy, which asks the kernel for transparent huge pages
/// (`MADV_HUGEPAGE`) on large arrays. First-touch faults of huge pages vary widely on these
/// virtual machines: writing a fresh 400 MB numpy array took 0.10 to 1.75 s, against a steady
/// 0.23 to 0.27 s with 4 KiB pages.
fn new_output<'py, T: Sample + Element>(
    py: Python<'py>,
    shape: &[usize],
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    let len = shape.iter().product::<usize>();
    PyArray1::from_vec(py, vec![T::default(); len]).reshape(shape)
}

/// The 2-D planes of a 2-D image or a 3-D `(band, y, x)` stack.
pub fn planes_of<T: Sample>(v: &ArrayViewD<'_, T>) -> Vec<RawPlane<T>> {
    let plane = |p: ArrayViewD<'_, T>| {
        RawPlane::of_view(&p.into_dimensionality::<Ix2>().expect("2-D plane"))
    };
    match v.ndim() {
        2 => vec![plane(v.view())],
        _ => (0..v.len_of(Axis(0)))
            .map(|b| plane(v.index_axis(Axis(0), b)))
            .collect(),
    }
}

/// Mutable [`planes_of`].
fn planes_of_mut<T: Sample>(v: &mut ArrayViewMutD<'_, T>) -> Vec<RawPlane<T>> {
    let plane = |p: ArrayViewMutD<'_, T>| {
        RawPlane::of_view_mut(&mut p.into_dimensionality::<Ix2>().expect("2-D plane"))
    };
    match v.ndim() {
        2 => vec![plane(v.view_mut())],
        _ => (0..v.len_of(Axis(0)))
            .map(|b| plane(v.index_axis_mut(Axis(0), b)))
            .collect(),
    }
}

/// Runs plane jobs with the GIL released: first the filter of every plane (image-wide
/// estimates, which may still fail: nothing is written yet), then the filtering.
fn run_detached<T: MemSample>(
    py: Python<'_>,
    spec: &FilterSpec,
    jobs: Vec<PlaneJob<T>>,
    opts: &Options,
) -> PyResult<()> {
    py.detach(|| {
        let filters = jobs
            .iter()
            .map(|job| {
                let input = match *job {
                    PlaneJob::InPlace(p) => p,
                    PlaneJob::Separate { input, .. } => input,
                };
                // SAFETY: the caller keeps the arrays borrowed until this returns.
                unsafe { resolve(spec, input, opts) }
            })
            .collect::<despeckle::Result<Vec<_>>>()?;
        filters.iter().zip(jobs).try_for_each(|(filter, job)| {
            // SAFETY: the caller keeps the arrays borrowed until this returns; `Separate`
            // jobs were checked not to share memory.
            unsafe { run_plane(&**filter, job, opts) }
        })
    })
    .map_err(value_error)
}

fn typed<'py, T: MemSample + Element>(
    py: Python<'py>,
    img: &Bound<'py, PyArrayDyn<T>>,
    jobs: Vec<Job<'py>>,
    opts: &Options,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let img_u = img.as_untyped();
    let shape = img_u.shape().to_vec();
    if !(2..=3).contains(&shape.len()) {
        return Err(PyValueError::new_err(format!(
            "img has shape {} ({}-D): pass a 2-D image (y, x) or a 3-D stack (band, y, x), \
             e.g. img.reshape(-1, ny, nx) for more leading dimensions",
            shape_str(&shape),
            shape.len()
        )));
    }
    check_aligned(img_u, "img")?;
    for (spec, _) in &jobs {
        crate::spec::check(spec, opts).map_err(value_error)?;
    }

    let mut dests = Vec::with_capacity(jobs.len());
    for (_, out) in &jobs {
        dests.push(match out {
            None => Dest::New,
            Some(o) => classify(py, img, o)?,
        });
    }
    let given: Vec<&Bound<'py, PyArrayDyn<T>>> = dests
        .iter()
        .filter_map(|d| match d {
            Dest::InPlace(a) | Dest::Other(a) => Some(a),
            Dest::New => None,
        })
        .collect();
    for (i, a) in given.iter().enumerate() {
        for b in &given[i + 1..] {
            if a.is(*b) || shares_memory(py, a.as_any(), b.as_any())? {
                return Err(PyValueError::new_err(
                    "two outputs share memory: give each statistic its own out array",
                ));
            }
        }
    }

    // Everything is valid: create the missing outputs, then filter.
    let outs: Vec<Bound<'py, PyArrayDyn<T>>> = dests
        .iter()
        .map(|d| match d {
            Dest::New => new_output::<T>(py, &shape),
            Dest::InPlace(a) | Dest::Other(a) => Ok(a.clone()),
        })
        .collect::<PyResult<_>>()?;
    if shape.contains(&0) {
        return Ok(outs.into_iter().map(Bound::into_any).collect());
    }

    let separate: Vec<usize> = (0..jobs.len())
        .filter(|&i| !matches!(dests[i], Dest::InPlace(_)))
        .collect();
    if !separate.is_empty() {
        let ro = img.try_readonly().map_err(|e| {
            PyValueError::new_err(format!(
                "img cannot be read now ({e}): is another thread writing it?"
            ))
        })?;
        let input = planes_of(&ro.as_array());
        for &i in &separate {
            let out = &outs[i];
            let mut guard = out.try_readwrite();
            let mut view = match &mut guard {
                Ok(g) => g.as_array_mut(),
                // numpy's borrow checker is conservative for views of one base array (e.g.
                // side by side halves); `classify` proved with numpy.shares_memory that this
                // output does not overlap img, and a new array cannot.
                // SAFETY: the array is alive and does not share memory with `img`.
                Err(_) => unsafe { out.as_array_mut() },
            };
            let jobs_i = input
                .iter()
                .zip(planes_of_mut(&mut view))
                .map(|(&input, output)| PlaneJob::Separate { input, output })
                .collect();
            run_detached(py, &jobs[i].0, jobs_i, opts)?;
        }
    }
    if let Some(i) = (0..jobs.len()).find(|&i| matches!(dests[i], Dest::InPlace(_))) {
        let mut rw = outs[i].try_readwrite().map_err(|e| {
            PyValueError::new_err(format!(
                "img cannot be written now ({e}): is another thread using it?"
            ))
        })?;
        let jobs_i = planes_of_mut(&mut rw.as_array_mut())
            .into_iter()
            .map(PlaneJob::InPlace)
            .collect();
        run_detached(py, &jobs[i].0, jobs_i, opts)?;
    }
    Ok(outs.into_iter().map(Bound::into_any).collect())
}
