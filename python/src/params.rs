//! Parameter parsing: Python values → the core's types, with messages that say what to change.

use despeckle::estimate::Looks;
use despeckle::{Border, Distance, Domain, Options, Statistic};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// An optional argument (`None` or absent: unset).
pub type Arg<'a, 'py> = Option<&'a Bound<'py, PyAny>>;

fn type_error(name: &str, what: &str, obj: &Bound<'_, PyAny>) -> PyErr {
    let ty = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into());
    let repr = obj
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "?".into());
    PyTypeError::new_err(format!("{name} must be {what}, got {repr} ({ty})"))
}

/// An integer argument (Python `int` or numpy integer; not a float, even 7.0).
pub fn int(obj: Arg<'_, '_>, name: &str, default: Option<i64>) -> PyResult<Option<i64>> {
    match obj {
        None => Ok(default),
        Some(o) if o.is_none() => Ok(default),
        Some(o) => o
            .extract::<i64>()
            .map(Some)
            .map_err(|_| type_error(name, "an integer", o)),
    }
}

/// A float argument (any real number, numpy scalars included).
pub fn float(obj: Arg<'_, '_>, name: &str, default: Option<f64>) -> PyResult<Option<f64>> {
    match obj {
        None => Ok(default),
        Some(o) if o.is_none() => Ok(default),
        Some(o) => o
            .extract::<f64>()
            .map(Some)
            .map_err(|_| type_error(name, "a number", o)),
    }
}

/// A string argument.
pub fn string(obj: Arg<'_, '_>, name: &str, default: &str) -> PyResult<String> {
    match obj {
        None => Ok(default.to_string()),
        Some(o) if o.is_none() => Ok(default.to_string()),
        Some(o) => o
            .extract::<String>()
            .map_err(|_| type_error(name, "a string", o)),
    }
}

/// The core's error as a Python `ValueError` (its message already names the parameter).
pub fn value_error(e: despeckle::Error) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// Parses `border` (`"reflect"`, `"mirror"`, `"nearest"`, `"wrap"`, `"shrink"`, `"constant"`,
/// `"constant:K"`) together with the `cval` keyword.
pub fn border(border: &str, cval: Option<f64>) -> PyResult<Border> {
    let parsed: Border = border.parse().map_err(value_error)?;
    match (parsed, cval) {
        (b, None) => Ok(b),
        (Border::Constant(v), Some(c)) => {
            let explicit = border.contains(':');
            let same = v == c || (v.is_nan() && c.is_nan());
            if explicit && !same {
                Err(PyValueError::new_err(format!(
                    "border={border:?} and cval={c} give two different constants; pass \
                     border=\"constant\", cval={c} (or border=\"constant:{c}\" without cval)"
                )))
            } else {
                Ok(Border::Constant(c))
            }
        }
        (b, Some(c)) => Err(PyValueError::new_err(format!(
            "cval={c} only applies to border=\"constant\"; with border={:?} leave cval unset, \
             or use border=\"constant\", cval={c}",
            b.to_string()
        ))),
    }
}

/// Parses the window options shared by every filter (`size` 7 and `border` reflect by default).
pub fn options(
    size: Arg<'_, '_>,
    border_name: Arg<'_, '_>,
    cval: Arg<'_, '_>,
    nodata: Arg<'_, '_>,
    threads: Arg<'_, '_>,
) -> PyResult<Options> {
    let size = int(size, "size", Some(7))?.unwrap_or(7);
    let border_name = string(border_name, "border", "reflect")?;
    let cval = float(cval, "cval", None)?;
    let nodata = float(nodata, "nodata", None)?;
    let threads = int(threads, "threads", None)?;
    let size = usize::try_from(size).map_err(|_| {
        PyValueError::new_err(format!(
            "invalid parameter `size`: the window size must be odd and at least 3, got {size}"
        ))
    })?;
    let threads = match threads {
        None => None,
        Some(t) if t >= 1 => Some(t as usize),
        Some(t) => {
            return Err(PyValueError::new_err(format!(
                "invalid parameter `threads`: must be at least 1 (or None for all cores), got {t}"
            )));
        }
    };
    let opts = Options::new(size)
        .map_err(value_error)?
        .with_border(border(&border_name, cval)?)
        .with_nodata(nodata)
        .with_threads(threads);
    opts.validate().map_err(value_error)?;
    Ok(opts)
}

/// Parses `domain` (`"intensity"` (default) / `"power"`, `"amplitude"` / `"magnitude"`).
pub fn domain(domain: Arg<'_, '_>) -> PyResult<Domain> {
    string(domain, "domain", "intensity")?
        .parse()
        .map_err(value_error)
}

/// Parses a local statistic name (`"mean"`, `"variance"`/`"var"`, `"std"`, `"cv"`).
pub fn statistic(stat: &str) -> PyResult<Statistic> {
    stat.parse().map_err(value_error)
}

/// Checks `ddof` (0 (default) or 1).
pub fn ddof(ddof: Arg<'_, '_>) -> PyResult<u8> {
    match int(ddof, "ddof", Some(0))?.unwrap_or(0) {
        d @ (0 | 1) => Ok(d as u8),
        other => Err(PyValueError::new_err(format!(
            "invalid parameter `ddof`: must be 0 (population variance) or 1 (sample variance, \
             n − 1), got {other}"
        ))),
    }
}

/// Parses `looks`: a number > 0 or `"auto"` (estimated from each image plane).
pub fn looks(obj: Arg<'_, '_>, default: f64) -> PyResult<Looks> {
    match obj {
        None => Ok(Looks::Given(default)),
        Some(o) if o.is_none() => Ok(Looks::Given(default)),
        Some(o) => {
            if let Ok(s) = o.extract::<String>() {
                return s.parse().map_err(value_error);
            }
            let l = o
                .extract::<f64>()
                .map_err(|_| type_error("looks", "a number or \"auto\"", o))?;
            despeckle::check_looks(l)
                .map(Looks::Given)
                .map_err(value_error)
        }
    }
}

/// Parses an optional `looks` (`None`: the filter's own estimate, e.g. Refined Lee's local
/// noise level).
pub fn optional_looks(obj: Arg<'_, '_>) -> PyResult<Option<Looks>> {
    match obj {
        Some(o) if !o.is_none() => looks(Some(o), 1.0).map(Some),
        _ => Ok(None),
    }
}

/// Parses `distance` (`"euclidean"` (default) or `"chebyshev"`).
pub fn distance(obj: Arg<'_, '_>) -> PyResult<Distance> {
    string(obj, "distance", "euclidean")?
        .parse()
        .map_err(value_error)
}

/// A non-negative integer argument (`size`-like counts).
pub fn count(obj: Arg<'_, '_>, name: &str, default: usize) -> PyResult<usize> {
    let v = int(obj, name, Some(default as i64))?.unwrap_or(default as i64);
    usize::try_from(v).map_err(|_| {
        PyValueError::new_err(format!("invalid parameter `{name}`: must be ≥ 0, got {v}"))
    })
}
