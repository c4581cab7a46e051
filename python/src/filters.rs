//! The filter functions: one generic function for every filter of the registry
//! (`despeckle_file::registry::FILTERS`, shared with the command line), plus `local_stats`,
//! which computes several statistics in one call. Each turns its keyword arguments into the
//! registry's [`FilterSpec`] (names, defaults, checks, estimates) and hands everything to the
//! one generic helper, [`apply`].
//!
//! Every parameter is keyword-only and `None` means its default: the documented signatures and
//! defaults live in `despeckle/__init__.py`, which always passes keywords.

use despeckle_file::registry::{Estimate, FILTERS, ParamKind};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::apply::apply;
use crate::params::{self, Arg};

/// `out=None` given explicitly is the same as no `out`.
fn none_to_absent(out: Option<Bound<'_, PyAny>>) -> Option<Bound<'_, PyAny>> {
    out.filter(|o| !o.is_none())
}

/// The filter `name` of the registry (`enhanced_lee` or `enhanced-lee`) with its parameters
/// `params` (see `despeckle.<name>`).
#[pyfunction]
#[pyo3(signature = (name, img, *, size=None, border=None, cval=None, nodata=None, out=None,
                    threads=None, max_memory=None, **params))]
#[allow(clippy::too_many_arguments)]
pub fn filter<'py>(
    py: Python<'py>,
    name: &str,
    img: &Bound<'py, PyAny>,
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
    let spec = params::spec(name, params)?;
    let mut outs = apply(py, img, vec![(spec, none_to_absent(out))], &opts)?;
    Ok(outs.pop().expect("one output"))
}

/// The overlap (rows and columns on each side) a tile needs for the filter `name` with these
/// parameters to give the whole image's result bit for bit (`despeckle.dask`'s halo;
/// `despeckle::halo`). Parameters given as `auto` count as their stand-ins.
#[pyfunction]
#[pyo3(signature = (name, *, size=None, border=None, cval=None, nodata=None, threads=None,
                    max_memory=None, **params))]
#[allow(clippy::too_many_arguments)]
pub fn halo(
    name: &str,
    size: Arg<'_, '_>,
    border: Arg<'_, '_>,
    cval: Arg<'_, '_>,
    nodata: Arg<'_, '_>,
    threads: Arg<'_, '_>,
    max_memory: Arg<'_, '_>,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<usize> {
    let opts = params::options(size, border, cval, nodata, threads, max_memory)?;
    let filter = params::spec(name, params)?
        .build_probe()
        .map_err(params::value_error)?;
    Ok(filter.halo(&opts))
}

/// Local statistics (see `despeckle.local_stats`): one output per name in `stats`, `out` a
/// list of the same length (`None` entries: new arrays).
#[pyfunction]
#[pyo3(signature = (img, stats, *, size=None, border=None, cval=None, nodata=None, out=None,
                    threads=None, max_memory=None, ddof=None))]
#[allow(clippy::too_many_arguments)]
pub fn local_stats<'py>(
    py: Python<'py>,
    img: &Bound<'py, PyAny>,
    stats: Vec<String>,
    size: Arg<'_, 'py>,
    border: Arg<'_, 'py>,
    cval: Arg<'_, 'py>,
    nodata: Arg<'_, 'py>,
    out: Option<Vec<Option<Bound<'py, PyAny>>>>,
    threads: Arg<'_, 'py>,
    max_memory: Arg<'_, 'py>,
    ddof: Arg<'_, 'py>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let opts = params::options(size, border, cval, nodata, threads, max_memory)?;
    params::warn_threads(py, opts.threads())?;
    let kwargs = PyDict::new(py);
    if let Some(d) = ddof {
        kwargs.set_item("ddof", d)?;
    }
    let spec = params::spec("local-stats", Some(&kwargs))?;
    let outs = out.unwrap_or_else(|| vec![None; stats.len()]);
    if outs.len() != stats.len() {
        return Err(PyValueError::new_err(format!(
            "out has {} arrays for {} statistics: give one out array (or None) per statistic",
            outs.len(),
            stats.len()
        )));
    }
    let mut jobs = Vec::with_capacity(stats.len());
    for (name, out) in stats.iter().zip(outs) {
        let mut s = spec.clone();
        s.set("stat", name.as_str()).map_err(params::value_error)?;
        s.build_any().map_err(params::value_error)?;
        jobs.push((s, out.and_then(|o| none_to_absent(Some(o)))));
    }
    apply(py, img, jobs, &opts)
}

/// The registry as Python data: one dict per filter, `{"name", "summary", "params"}`, each
/// parameter `{"name", "kind", "default", "help", "choices", "estimate", "q"}` (`kind`:
/// `"float"`, `"int"`, `"choice"` or `"estimated"`; `default` as text, or None; `estimate`:
/// `"enl"` or `"quantile"` (of `q`) for `"estimated"` parameters given as `"auto"`).
#[pyfunction]
pub fn filter_table(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let table = PyList::empty(py);
    for def in FILTERS {
        let params = PyList::empty(py);
        for p in def.params {
            let d = PyDict::new(py);
            d.set_item("name", p.name)?;
            let (kind, choices): (&str, &[&str]) = match p.kind {
                ParamKind::Float => ("float", &[]),
                ParamKind::Int => ("int", &[]),
                ParamKind::Choice(c) => ("choice", c),
                ParamKind::Estimated(_) => ("estimated", &[]),
            };
            d.set_item("kind", kind)?;
            let (estimate, q) = match p.kind {
                ParamKind::Estimated(Estimate::Enl) => (Some("enl"), None),
                ParamKind::Estimated(Estimate::Quantile(q)) => (Some("quantile"), Some(q)),
                _ => (None, None),
            };
            d.set_item("estimate", estimate)?;
            d.set_item("q", q)?;
            d.set_item("choices", choices.to_vec())?;
            d.set_item("default", p.default)?;
            d.set_item("help", p.help)?;
            params.append(d)?;
        }
        let d = PyDict::new(py);
        d.set_item("name", def.name)?;
        d.set_item("summary", def.summary)?;
        d.set_item("params", params)?;
        table.append(d)?;
    }
    Ok(table)
}
