//! `despeckle._despeckle`: the compiled part of the `despeckle` Python package.
//!
//! One function per filter of the core crate (`filters`); each parses its parameters into the
//! core's types and hands the arrays to the one generic helper, `apply::apply`, which
//! validates and borrows them and runs the core plane by plane (`plane`) with the GIL
//! released. The documented public API (signatures, docstrings) is in
//! `python/despeckle/__init__.py`, which calls these.

mod apply;
mod estimate;
mod filters;
mod params;
mod plane;
mod spec;

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
    m.add_function(wrap_pyfunction!(filters::enhanced_lee, m)?)?;
    m.add_function(wrap_pyfunction!(filters::mean, m)?)?;
    m.add_function(wrap_pyfunction!(filters::local_stats, m)?)?;
    m.add_function(wrap_pyfunction!(filters::lee, m)?)?;
    m.add_function(wrap_pyfunction!(filters::kuan, m)?)?;
    m.add_function(wrap_pyfunction!(filters::gamma_map, m)?)?;
    m.add_function(wrap_pyfunction!(filters::frost, m)?)?;
    m.add_function(wrap_pyfunction!(filters::enhanced_frost, m)?)?;
    m.add_function(wrap_pyfunction!(filters::median, m)?)?;
    m.add_function(wrap_pyfunction!(filters::refined_lee, m)?)?;
    m.add_function(wrap_pyfunction!(filters::lee_sigma, m)?)?;
    m.add_function(wrap_pyfunction!(filters::idan, m)?)?;
    m.add_function(wrap_pyfunction!(estimate::estimate, m)?)?;
    m.add_function(wrap_pyfunction!(estimate::estimate_rows, m)?)?;
    m.add_function(wrap_pyfunction!(border_mode, m)?)?;
    // The engine recomputes its running sums at these absolute row / column positions; the
    // dask wrapper aligns chunk overlaps to them so chunked results are bit-identical.
    m.add("REFRESH_ROWS", despeckle::engine::REFRESH_ROWS)?;
    m.add("REFRESH_COLS", despeckle::engine::REFRESH_COLS)?;
    m.add("CORE_VERSION", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
