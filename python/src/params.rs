//! Parameter parsing: Python values → the core's types and the registry's filter parameters,
//! with messages that say what to change.

use despeckle::{Border, Domain, Options};
use despeckle_file::Nodata;
use despeckle_file::registry::{self, FilterSpec, ParamDef, ParamKind, Value};
use pyo3::exceptions::{PyMemoryError, PyResourceWarning, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

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

/// The core's error as a Python `ValueError` (its message already names the parameter), or
/// `MemoryError` for work that does not fit the memory budget.
pub fn value_error(e: despeckle::Error) -> PyErr {
    match e {
        despeckle::Error::MemoryBudget(_) => PyMemoryError::new_err(e.to_string()),
        e => PyValueError::new_err(e.to_string()),
    }
}

/// `max_memory`: bytes (an int ≥ 1) or a size string (`"512M"`, `"4G"`, `"25%"`); `None`:
/// the default budget.
pub fn max_memory(obj: Arg<'_, '_>) -> PyResult<Option<usize>> {
    let Some(o) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if let Ok(text) = o.extract::<String>() {
        return despeckle::budget::parse_size(&text)
            .map(Some)
            .map_err(value_error);
    }
    match o.extract::<i64>() {
        Ok(b) if b >= 1 => Ok(Some(b as usize)),
        Ok(b) => Err(PyValueError::new_err(format!(
            "invalid parameter `max_memory`: must be at least 1 byte, got {b}"
        ))),
        Err(_) => Err(type_error(
            "max_memory",
            "a number of bytes or a size such as \"512M\", \"4G\" or \"25%\"",
            o,
        )),
    }
}

/// Warns (`ResourceWarning`) when more threads than cores are asked for: only the cores are
/// used.
pub fn warn_threads(py: Python<'_>, threads: Option<usize>) -> PyResult<()> {
    let cores = despeckle::budget::cores();
    if let Some(t) = threads.filter(|&t| t > cores) {
        let msg = std::ffi::CString::new(format!(
            "threads={t}: using {cores} (the cores available); more would only slow it down"
        ))
        .expect("no NUL in the message");
        PyErr::warn(py, py.get_type::<PyResourceWarning>().as_any(), &msg, 1)?;
    }
    Ok(())
}

/// Parses `border` (`"reflect"`, `"mirror"`, `"nearest"`, `"wrap"`, `"shrink"`, `"constant"`,
/// `"constant:K"`) together with the `cval` keyword.
pub fn border(border: &str, cval: Option<f64>) -> PyResult<Border> {
    registry::border_with_cval(border, cval).map_err(value_error)
}

/// Parses the window options shared by every filter (`size` 7 and `border` reflect by default).
pub fn options(
    size: Arg<'_, '_>,
    border_name: Arg<'_, '_>,
    cval: Arg<'_, '_>,
    nodata: Arg<'_, '_>,
    threads: Arg<'_, '_>,
    max_memory: Arg<'_, '_>,
) -> PyResult<Options> {
    let size = int(size, "size", Some(7))?.unwrap_or(7);
    let border_name = string(border_name, "border", "reflect")?;
    let cval = float(cval, "cval", None)?;
    let nodata = in_memory_nodata(nodata)?;
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
        .with_threads(threads)
        .with_max_memory(self::max_memory(max_memory)?);
    opts.validate().map_err(value_error)?;
    Ok(opts)
}

/// Parses `nodata`, the same everywhere (in-memory filters, estimates, dask, files): a
/// number, `"none"` (no no-data value: ignore a file's `GDAL_NODATA`), or `None` (a file's
/// `GDAL_NODATA`; nothing for arrays).
pub fn nodata(obj: Arg<'_, '_>) -> PyResult<Nodata> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(Nodata::FromFile),
        Some(o) => match o.extract::<String>() {
            Ok(s) if s.trim().eq_ignore_ascii_case("none") => Ok(Nodata::None),
            Ok(s) => Err(PyValueError::new_err(format!(
                "invalid parameter `nodata`: {s:?} is not a number; give a number, \"none\" \
                 (no no-data value) or None (a file's own no-data value)"
            ))),
            Err(_) => Ok(Nodata::Value(float(Some(o), "nodata", None)?.expect("set"))),
        },
    }
}

/// [`nodata`] for arrays, which have no no-data value of their own: the value, if any.
pub fn in_memory_nodata(obj: Arg<'_, '_>) -> PyResult<Option<f64>> {
    Ok(match nodata(obj)? {
        Nodata::Value(v) => Some(v),
        Nodata::None | Nodata::FromFile => None,
    })
}

/// Parses `domain` (`"intensity"` (default) / `"power"`, `"amplitude"` / `"magnitude"`).
pub fn domain(domain: Arg<'_, '_>) -> PyResult<Domain> {
    string(domain, "domain", "intensity")?
        .parse()
        .map_err(value_error)
}

/// The filter `name` of the registry (`enhanced_lee` or `enhanced-lee`) with the keyword
/// arguments `kwargs`, each converted by its parameter's kind (`None`: its default). An
/// unknown keyword is a `TypeError`, as for any Python function.
pub fn spec(name: &str, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<FilterSpec> {
    let mut spec = FilterSpec::new(name).map_err(value_error)?;
    let def = spec.def();
    for (key, obj) in kwargs.into_iter().flat_map(|d| d.iter()) {
        let key: String = key.extract()?;
        let Some(p) = def.params.iter().find(|p| p.name == key) else {
            let known: Vec<&str> = def.params.iter().map(|p| p.name).collect();
            return Err(PyTypeError::new_err(format!(
                "{} got an unexpected keyword argument {key:?}; its parameters are {} (and \
                 size, border, cval, nodata, threads, max_memory)",
                def.name.replace('-', "_"),
                if known.is_empty() {
                    "none of its own".to_string()
                } else {
                    known.join(", ")
                }
            )));
        };
        if let Some(v) = value(p, &obj)? {
            spec.set(p.name, v).map_err(value_error)?;
        }
    }
    Ok(spec)
}

/// A Python value as the registry's value of parameter `p` (`None`: unset, the default).
/// Types are checked here (`TypeError`); ranges when the filter is built (`ValueError`).
fn value(p: &ParamDef, obj: &Bound<'_, PyAny>) -> PyResult<Option<Value>> {
    if obj.is_none() {
        return Ok(None);
    }
    let name = p.name;
    let v = match p.kind {
        ParamKind::Int => Value::Int(int(Some(obj), name, None)?.expect("not None")),
        ParamKind::Float => Value::Float(float(Some(obj), name, None)?.expect("not None")),
        ParamKind::Choice(_) => Value::Text(
            obj.extract::<String>()
                .map_err(|_| type_error(name, "a string", obj))?,
        ),
        ParamKind::Estimated(_) => match obj.extract::<String>() {
            Ok(s) if s.trim().eq_ignore_ascii_case("auto") => Value::Text("auto".into()),
            Ok(s) => Value::Float(s.trim().parse::<f64>().map_err(|_| {
                value_error(despeckle::Error::param(
                    name,
                    format!("`{s}` is not a number; use a number or \"auto\""),
                ))
            })?),
            Err(_) => Value::Float(
                obj.extract::<f64>()
                    .map_err(|_| type_error(name, "a number or \"auto\"", obj))?,
            ),
        },
    };
    Ok(Some(v))
}
