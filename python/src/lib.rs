//! `despeckle._despeckle`: the compiled part of the `despeckle` Python package.
//!
//! One generic function for every filter of the registry of `despeckle-file` (`filters`; the
//! table the command line is made from): it parses its parameters into the registry's
//! `FilterSpec` and hands the arrays to the one generic helper, `apply::apply`, which
//! validates and borrows them and runs the core plane by plane (`plane`) with the GIL
//! released. `file::filter_file` runs the command line's streaming file filter. The documented public API (signatures, docstrings) is in
//! `python/despeckle/__init__.py`, which calls these.

mod apply;
mod estimate;
mod file;
mod filters;
mod metrics;
mod params;
mod plane;
mod planes;
mod polsar;
mod spec;
mod temporal;

use params::Arg;
use pyo3::prelude::*;

/// The canonical name of a border mode (`"reflect"`, …, `"constant:0.5"`), after checking it.
#[pyfunction]
#[pyo3(signature = (border, cval=None))]
fn border_mode(border: Arg<'_, '_>, cval: Arg<'_, '_>) -> PyResult<String> {
    let name = params::string(border, "border", "reflect")?;
    Ok(params::border(&name, params::float(cval, "cval", None)?)?.to_string())
}

/// The compiled part of the `despeckle` package.
#[pymodule]
fn _despeckle(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(filters::filter, m)?)?;
    m.add_function(wrap_pyfunction!(filters::local_stats, m)?)?;
    m.add_function(wrap_pyfunction!(filters::halo, m)?)?;
    m.add_function(wrap_pyfunction!(filters::filter_table, m)?)?;
    m.add_function(wrap_pyfunction!(file::filter_file, m)?)?;
    m.add_function(wrap_pyfunction!(estimate::estimate, m)?)?;
    m.add_function(wrap_pyfunction!(estimate::estimate_rows, m)?)?;
    m.add_function(wrap_pyfunction!(border_mode, m)?)?;
    m.add_function(wrap_pyfunction!(temporal::quegan, m)?)?;
    m.add_function(wrap_pyfunction!(polsar::polsar, m)?)?;
    m.add_function(wrap_pyfunction!(polsar::polsar_elements, m)?)?;
    m.add_function(wrap_pyfunction!(polsar::polsar_recognise, m)?)?;
    m.add_function(wrap_pyfunction!(polsar::polsar_z98, m)?)?;
    m.add_function(wrap_pyfunction!(polsar::polsar_convert, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::assess, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::reference, m)?)?;
    // The engine recomputes its running sums at these absolute row / column positions; the
    // dask wrapper aligns chunk overlaps to them so chunked results are bit-identical.
    m.add("REFRESH_ROWS", despeckle::engine::REFRESH_ROWS)?;
    m.add("REFRESH_COLS", despeckle::engine::REFRESH_COLS)?;
    m.add("CORE_VERSION", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
