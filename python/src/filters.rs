//! One Python function per filter of the core: each parses its own parameters into the core's
//! filter (or a recipe for it, when `looks="auto"` or Lee Sigma's `Z98` are estimated from the
//! image) and hands everything to the one generic helper, [`apply`].
//!
//! Every parameter is keyword-only and `None` means its default: the documented signatures and
//! defaults live in `despeckle/__init__.py`, which always passes keywords.

use despeckle::estimate::Looks;
use despeckle::{
    Domain, EnhancedFrost, EnhancedLee, Frost, GammaMap, Idan, Kuan, Lee, LeeSigma, LocalStats,
    Mean, Median, Options, RefinedLee,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::apply::apply;
use crate::params::{self, Arg, value_error};
use crate::spec::{Estimated, Fixed, Spec, Z98};

/// The default number of looks of every filter that takes one.
const LOOKS: f64 = 4.0;

/// `out=None` given explicitly is the same as no `out`.
fn none_to_absent(out: Option<Bound<'_, PyAny>>) -> Option<Bound<'_, PyAny>> {
    out.filter(|o| !o.is_none())
}

/// Runs one filter into one output.
fn run<'py, S: Spec>(
    py: Python<'py>,
    img: &Bound<'py, PyAny>,
    spec: S,
    out: Option<Bound<'py, PyAny>>,
    opts: &Options,
) -> PyResult<Bound<'py, PyAny>> {
    let mut outs = apply(py, img, vec![(spec, none_to_absent(out))], opts)?;
    Ok(outs.pop().expect("one output"))
}

/// A filter built from the number of looks (and `Z98`) once known for each plane.
fn estimated<F>(
    looks: Looks,
    domain: Domain,
    z98: Z98,
    build: impl Fn(f64, f64) -> despeckle::Result<F> + Send + Sync + 'static,
) -> Estimated<F> {
    Estimated {
        looks,
        domain,
        z98,
        build: Box::new(build),
    }
}

/// Enhanced Lee (see `despeckle.enhanced_lee`).
#[pyfunction]
#[pyo3(signature = (img, *, size=None, looks=None, damping=None, domain=None, border=None,
                    cval=None, nodata=None, out=None, threads=None, cmax=None, ddof=None))]
#[allow(clippy::too_many_arguments)]
pub fn enhanced_lee<'py>(
    py: Python<'py>,
    img: &Bound<'py, PyAny>,
    size: Arg<'_, 'py>,
    looks: Arg<'_, 'py>,
    damping: Arg<'_, 'py>,
    domain: Arg<'_, 'py>,
    border: Arg<'_, 'py>,
    cval: Arg<'_, 'py>,
    nodata: Arg<'_, 'py>,
    out: Option<Bound<'py, PyAny>>,
    threads: Arg<'_, 'py>,
    cmax: Arg<'_, 'py>,
    ddof: Arg<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let opts = params::options(size, border, cval, nodata, threads)?;
    let looks = params::looks(looks, LOOKS)?;
    let damping = params::float(damping, "damping", Some(1.0))?.unwrap_or(1.0);
    let cmax = params::float(cmax, "cmax", None)?;
    let (domain, ddof) = (params::domain(domain)?, params::ddof(ddof)?);
    let spec = estimated(looks, domain, Z98::Unused, move |l, _| {
        EnhancedLee::new(l)?
            .with_damping(damping)?
            .with_domain(domain)?
            .with_cmax(cmax)?
            .with_ddof(ddof)
    });
    run(py, img, spec, out, &opts)
}

/// Boxcar mean (see `despeckle.mean`).
#[pyfunction]
#[pyo3(signature = (img, *, size=None, border=None, cval=None, nodata=None, out=None,
                    threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn mean<'py>(
    py: Python<'py>,
    img: &Bound<'py, PyAny>,
    size: Arg<'_, 'py>,
    border: Arg<'_, 'py>,
    cval: Arg<'_, 'py>,
    nodata: Arg<'_, 'py>,
    out: Option<Bound<'py, PyAny>>,
    threads: Arg<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let opts = params::options(size, border, cval, nodata, threads)?;
    run(py, img, Fixed(Mean), out, &opts)
}

/// Median (see `despeckle.median`).
#[pyfunction]
#[pyo3(signature = (img, *, size=None, border=None, cval=None, nodata=None, out=None,
                    threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn median<'py>(
    py: Python<'py>,
    img: &Bound<'py, PyAny>,
    size: Arg<'_, 'py>,
    border: Arg<'_, 'py>,
    cval: Arg<'_, 'py>,
    nodata: Arg<'_, 'py>,
    out: Option<Bound<'py, PyAny>>,
    threads: Arg<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let opts = params::options(size, border, cval, nodata, threads)?;
    run(py, img, Fixed(Median), out, &opts)
}

/// Local statistics (see `despeckle.local_stats`): one output per name in `stats`, `out` a
/// list of the same length (`None` entries: new arrays).
#[pyfunction]
#[pyo3(signature = (img, stats, *, size=None, border=None, cval=None, nodata=None, out=None,
                    threads=None, ddof=None))]
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
    ddof: Arg<'_, 'py>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let opts = params::options(size, border, cval, nodata, threads)?;
    let ddof = params::ddof(ddof)?;
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
        let f = LocalStats::new(params::statistic(name)?)
            .with_ddof(ddof)
            .map_err(value_error)?;
        jobs.push((Fixed(f), out.and_then(|o| none_to_absent(Some(o)))));
    }
    apply(py, img, jobs, &opts)
}

/// Lee or Kuan: the same parameters, another weight.
macro_rules! mmse_function {
    ($fn:ident, $filter:ident, $doc:literal) => {
        #[doc = $doc]
        #[pyfunction]
        #[pyo3(signature = (img, *, size=None, looks=None, domain=None, border=None, cval=None,
                                            nodata=None, out=None, threads=None, ddof=None))]
        #[allow(clippy::too_many_arguments)]
        pub fn $fn<'py>(
            py: Python<'py>,
            img: &Bound<'py, PyAny>,
            size: Arg<'_, 'py>,
            looks: Arg<'_, 'py>,
            domain: Arg<'_, 'py>,
            border: Arg<'_, 'py>,
            cval: Arg<'_, 'py>,
            nodata: Arg<'_, 'py>,
            out: Option<Bound<'py, PyAny>>,
            threads: Arg<'_, 'py>,
            ddof: Arg<'_, 'py>,
        ) -> PyResult<Bound<'py, PyAny>> {
            let opts = params::options(size, border, cval, nodata, threads)?;
            let looks = params::looks(looks, LOOKS)?;
            let (domain, ddof) = (params::domain(domain)?, params::ddof(ddof)?);
            let spec = estimated(looks, domain, Z98::Unused, move |l, _| {
                $filter::new(l)?.with_domain(domain)?.with_ddof(ddof)
            });
            run(py, img, spec, out, &opts)
        }
    };
}

mmse_function!(lee, Lee, "Lee (see `despeckle.lee`).");
mmse_function!(kuan, Kuan, "Kuan (see `despeckle.kuan`).");

/// Gamma MAP (see `despeckle.gamma_map`).
#[pyfunction]
#[pyo3(signature = (img, *, size=None, looks=None, border=None, cval=None, nodata=None,
                    out=None, threads=None, ddof=None))]
#[allow(clippy::too_many_arguments)]
pub fn gamma_map<'py>(
    py: Python<'py>,
    img: &Bound<'py, PyAny>,
    size: Arg<'_, 'py>,
    looks: Arg<'_, 'py>,
    border: Arg<'_, 'py>,
    cval: Arg<'_, 'py>,
    nodata: Arg<'_, 'py>,
    out: Option<Bound<'py, PyAny>>,
    threads: Arg<'_, 'py>,
    ddof: Arg<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let opts = params::options(size, border, cval, nodata, threads)?;
    let looks = params::looks(looks, LOOKS)?;
    let ddof = params::ddof(ddof)?;
    let spec = estimated(looks, Domain::Intensity, Z98::Unused, move |l, _| {
        GammaMap::new(l)?.with_ddof(ddof)
    });
    run(py, img, spec, out, &opts)
}

/// Frost (see `despeckle.frost`).
#[pyfunction]
#[pyo3(signature = (img, *, size=None, damping=None, distance=None, border=None, cval=None,
                    nodata=None, out=None, threads=None, ddof=None))]
#[allow(clippy::too_many_arguments)]
pub fn frost<'py>(
    py: Python<'py>,
    img: &Bound<'py, PyAny>,
    size: Arg<'_, 'py>,
    damping: Arg<'_, 'py>,
    distance: Arg<'_, 'py>,
    border: Arg<'_, 'py>,
    cval: Arg<'_, 'py>,
    nodata: Arg<'_, 'py>,
    out: Option<Bound<'py, PyAny>>,
    threads: Arg<'_, 'py>,
    ddof: Arg<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let opts = params::options(size, border, cval, nodata, threads)?;
    let damping = params::float(damping, "damping", Some(2.0))?.unwrap_or(2.0);
    let (distance, ddof) = (params::distance(distance)?, params::ddof(ddof)?);
    let f = Frost::new()
        .with_damping(damping)
        .and_then(|f| f.with_distance(distance))
        .and_then(|f| f.with_ddof(ddof))
        .map_err(value_error)?;
    run(py, img, Fixed(f), out, &opts)
}

/// Enhanced Frost (see `despeckle.enhanced_frost`).
#[pyfunction]
#[pyo3(signature = (img, *, size=None, looks=None, damping=None, domain=None, cmax=None,
                    distance=None, border=None, cval=None, nodata=None, out=None, threads=None,
                    ddof=None))]
#[allow(clippy::too_many_arguments)]
pub fn enhanced_frost<'py>(
    py: Python<'py>,
    img: &Bound<'py, PyAny>,
    size: Arg<'_, 'py>,
    looks: Arg<'_, 'py>,
    damping: Arg<'_, 'py>,
    domain: Arg<'_, 'py>,
    cmax: Arg<'_, 'py>,
    distance: Arg<'_, 'py>,
    border: Arg<'_, 'py>,
    cval: Arg<'_, 'py>,
    nodata: Arg<'_, 'py>,
    out: Option<Bound<'py, PyAny>>,
    threads: Arg<'_, 'py>,
    ddof: Arg<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let opts = params::options(size, border, cval, nodata, threads)?;
    let looks = params::looks(looks, LOOKS)?;
    let damping = params::float(damping, "damping", Some(1.0))?.unwrap_or(1.0);
    let cmax = params::float(cmax, "cmax", None)?;
    let (domain, ddof) = (params::domain(domain)?, params::ddof(ddof)?);
    let distance = params::distance(distance)?;
    let spec = estimated(looks, domain, Z98::Unused, move |l, _| {
        EnhancedFrost::new(l)?
            .with_damping(damping)?
            .with_domain(domain)?
            .with_cmax(cmax)?
            .with_distance(distance)?
            .with_ddof(ddof)
    });
    run(py, img, spec, out, &opts)
}

/// Refined Lee (see `despeckle.refined_lee`).
#[pyfunction]
#[pyo3(signature = (img, *, size=None, looks=None, domain=None, border=None, cval=None,
                    nodata=None, out=None, threads=None, ddof=None))]
#[allow(clippy::too_many_arguments)]
pub fn refined_lee<'py>(
    py: Python<'py>,
    img: &Bound<'py, PyAny>,
    size: Arg<'_, 'py>,
    looks: Arg<'_, 'py>,
    domain: Arg<'_, 'py>,
    border: Arg<'_, 'py>,
    cval: Arg<'_, 'py>,
    nodata: Arg<'_, 'py>,
    out: Option<Bound<'py, PyAny>>,
    threads: Arg<'_, 'py>,
    ddof: Arg<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let opts = params::options(size, border, cval, nodata, threads)?;
    let (domain, ddof) = (params::domain(domain)?, params::ddof(ddof)?);
    let base = move || RefinedLee::new().with_domain(domain)?.with_ddof(ddof);
    match params::optional_looks(looks)? {
        // No looks: the filter's own local noise estimate.
        None => run(py, img, Fixed(base().map_err(value_error)?), out, &opts),
        Some(looks) => {
            let spec = estimated(looks, domain, Z98::Unused, move |l, _| {
                base()?.with_looks(Some(l))
            });
            run(py, img, spec, out, &opts)
        }
    }
}

/// Improved Lee Sigma (see `despeckle.lee_sigma`).
#[pyfunction]
#[pyo3(signature = (img, *, size=None, looks=None, sigma=None, target_window=None,
                    min_cluster=None, z98=None, domain=None, border=None, cval=None, nodata=None,
                    out=None, threads=None, ddof=None))]
#[allow(clippy::too_many_arguments)]
pub fn lee_sigma<'py>(
    py: Python<'py>,
    img: &Bound<'py, PyAny>,
    size: Arg<'_, 'py>,
    looks: Arg<'_, 'py>,
    sigma: Arg<'_, 'py>,
    target_window: Arg<'_, 'py>,
    min_cluster: Arg<'_, 'py>,
    z98: Arg<'_, 'py>,
    domain: Arg<'_, 'py>,
    border: Arg<'_, 'py>,
    cval: Arg<'_, 'py>,
    nodata: Arg<'_, 'py>,
    out: Option<Bound<'py, PyAny>>,
    threads: Arg<'_, 'py>,
    ddof: Arg<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let opts = params::options(size, border, cval, nodata, threads)?;
    let looks = params::looks(looks, LOOKS)?;
    let sigma = params::float(sigma, "sigma", Some(0.9))?.unwrap_or(0.9);
    let target = params::count(target_window, "target_window", 3)?;
    let cluster = params::count(min_cluster, "min_cluster", 6)?;
    let z98 = match params::float(z98, "z98", None)? {
        Some(z) => Z98::Given(z),
        None => Z98::Estimate,
    };
    let (domain, ddof) = (params::domain(domain)?, params::ddof(ddof)?);
    let spec = estimated(looks, domain, z98, move |l, z| {
        LeeSigma::new(l, z)?
            .with_sigma(sigma)?
            .with_target_window(target)?
            .with_min_cluster(cluster)?
            .with_domain(domain)?
            .with_ddof(ddof)
    });
    run(py, img, spec, out, &opts)
}

/// IDAN (see `despeckle.idan`).
#[pyfunction]
#[pyo3(signature = (img, *, size=None, looks=None, region=None, domain=None, border=None,
                    cval=None, nodata=None, out=None, threads=None, ddof=None))]
#[allow(clippy::too_many_arguments)]
pub fn idan<'py>(
    py: Python<'py>,
    img: &Bound<'py, PyAny>,
    size: Arg<'_, 'py>,
    looks: Arg<'_, 'py>,
    region: Arg<'_, 'py>,
    domain: Arg<'_, 'py>,
    border: Arg<'_, 'py>,
    cval: Arg<'_, 'py>,
    nodata: Arg<'_, 'py>,
    out: Option<Bound<'py, PyAny>>,
    threads: Arg<'_, 'py>,
    ddof: Arg<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let opts = params::options(size, border, cval, nodata, threads)?;
    let looks = params::looks(looks, LOOKS)?;
    let region = params::count(region, "region", 50)?;
    let (domain, ddof) = (params::domain(domain)?, params::ddof(ddof)?);
    let spec = estimated(looks, domain, Z98::Unused, move |l, _| {
        Idan::new(l)?
            .with_region(region)?
            .with_domain(domain)?
            .with_ddof(ddof)
    });
    run(py, img, spec, out, &opts)
}
