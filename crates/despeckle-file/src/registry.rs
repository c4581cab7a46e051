//! The table of filters: names, parameters, defaults, and how to build each filter.
//!
//! The command-line tool makes one subcommand per entry of [`FILTERS`] (with one `--NAME`
//! option per parameter), `despeckle filters` prints the table, and the Python package makes
//! its filter functions (`despeckle.enhanced_lee(img, ...)` on numpy arrays, through
//! [`AnyFilter`] and [`FilterSpec::resolve`]) and `despeckle.filter_file` from it, with the same
//! parameter names and defaults. Adding a filter of the core crate is one
//! [`FilterDef`] entry: its name, a one-line summary, its parameters (most are shared
//! constants such as [`LOOKS`] or [`DDOF`]) and a `build` function from the parameter values to
//! the filter.
//!
//! ```
//! use despeckle_file::registry::FilterSpec;
//! let mut spec = FilterSpec::new("enhanced_lee")?; // `-` or `_`, any case
//! spec.set("looks", 4.0)?.set("domain", "amplitude")?;
//! let filter = spec.build()?;
//! assert_eq!(filter.name(), "enhanced-lee");
//! # Ok::<(), despeckle::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;

use despeckle::{
    Distance, Domain, EnhancedFrost, EnhancedLee, Error, Filter, Frost, GammaMap, Idan, ImageMut,
    ImageRef, Kuan, Lee, LeeSigma, LocalStats, Mean, Median, Options, Ppb, RefinedLee, Result,
    RowSink, RowSource, Sample, Statistic,
};

use despeckle::temporal::{Quegan, SuperImage};

use crate::planes::AnyPlanes;
use crate::stream::FileFilter;

/// The in-memory drivers of [`AnyFilter`] for one pixel type: their declarations (`decl`)
/// and their implementation for every filter of the core.
macro_rules! in_memory {
    (decl $t:ty, $filter:ident, $in_place:ident) => {
        #[doc = concat!("[`despeckle::filter`] on `", stringify!($t), "` images.")]
        fn $filter(
            &self,
            input: ImageRef<'_, $t>,
            output: &mut ImageMut<'_, $t>,
            opts: &Options,
        ) -> Result<()>;
        #[doc = concat!("[`despeckle::filter_in_place`] on an `", stringify!($t), "` image.")]
        fn $in_place(&self, image: &mut ImageMut<'_, $t>, opts: &Options) -> Result<()>;
    };
    ($t:ty, $filter:ident, $in_place:ident) => {
        fn $filter(
            &self,
            input: ImageRef<'_, $t>,
            output: &mut ImageMut<'_, $t>,
            opts: &Options,
        ) -> Result<()> {
            despeckle::filter(self, input, output, opts)
        }
        fn $in_place(&self, image: &mut ImageMut<'_, $t>, opts: &Options) -> Result<()> {
            despeckle::filter_in_place(self, image, opts)
        }
    };
}
/// A filter built from the registry: it runs on files ([`FileFilter`]) and on images in
/// memory, in `f32` or `f64` (what the Python package does with numpy arrays).
///
/// The object-safe face of [`despeckle::Filter`] for the core's in-memory drivers, implemented
/// for every filter of the core; each method runs the driver monomorphised for the concrete
/// filter, so results are those of [`despeckle::filter`] and [`despeckle::filter_in_place`]
/// bit for bit. Generic code calls them through [`MemSample`] (`T::filter(f, ...)`).
pub trait AnyFilter: FileFilter + Send {
    in_memory!(decl f32, filter_f32, filter_in_place_f32);
    in_memory!(decl f64, filter_f64, filter_in_place_f64);
    /// The multi-temporal filter of Quegan & Yu with this filter as its local mean
    /// ([`despeckle::temporal::Quegan`]), the dates split into `groups` (the group of each
    /// date; empty: one group); an error for filters that cannot be one (filters with
    /// row-to-row state, such as the non-local filter).
    fn quegan(
        &self,
        super_image: Option<SuperImage>,
        groups: Vec<usize>,
    ) -> Result<Box<dyn AnyPlanes>>;
}

impl<F: Filter + Send + Clone + 'static> AnyFilter for F {
    in_memory!(f32, filter_f32, filter_in_place_f32);
    in_memory!(f64, filter_f64, filter_in_place_f64);
    fn quegan(
        &self,
        super_image: Option<SuperImage>,
        groups: Vec<usize>,
    ) -> Result<Box<dyn AnyPlanes>> {
        Ok(Box::new(
            Quegan::new(self.clone())
                .with_super_image(super_image)
                .with_groups(groups),
        ))
    }
}

impl std::fmt::Debug for dyn AnyFilter + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AnyFilter({})", self.name())
    }
}

/// The pixel types an [`AnyFilter`] runs on (`f32`, `f64`): the core's three drivers for a
/// filter chosen at run time.
pub trait MemSample: Sample {
    /// [`despeckle::filter`].
    fn filter(
        f: &dyn AnyFilter,
        input: ImageRef<'_, Self>,
        output: &mut ImageMut<'_, Self>,
        opts: &Options,
    ) -> Result<()>;
    /// [`despeckle::filter_in_place`].
    fn filter_in_place(
        f: &dyn AnyFilter,
        image: &mut ImageMut<'_, Self>,
        opts: &Options,
    ) -> Result<()>;
    /// [`despeckle::filter_stream`].
    fn filter_stream(
        f: &dyn AnyFilter,
        source: &mut dyn RowSource<Self>,
        sink: &mut dyn RowSink<Self>,
        opts: &Options,
    ) -> Result<()>;
}

macro_rules! mem_sample {
    ($t:ty, $filter:ident, $in_place:ident, $stream:ident) => {
        impl MemSample for $t {
            fn filter(
                f: &dyn AnyFilter,
                input: ImageRef<'_, $t>,
                output: &mut ImageMut<'_, $t>,
                opts: &Options,
            ) -> Result<()> {
                f.$filter(input, output, opts)
            }
            fn filter_in_place(
                f: &dyn AnyFilter,
                image: &mut ImageMut<'_, $t>,
                opts: &Options,
            ) -> Result<()> {
                f.$in_place(image, opts)
            }
            fn filter_stream(
                f: &dyn AnyFilter,
                source: &mut dyn RowSource<$t>,
                sink: &mut dyn RowSink<$t>,
                opts: &Options,
            ) -> Result<()> {
                f.$stream(source, sink, opts, None)
            }
        }
    };
}
mem_sample!(f32, filter_f32, filter_in_place_f32, stream_f32);
mem_sample!(f64, filter_f64, filter_in_place_f64, stream_f64);

/// An image-wide value that a parameter given as `auto` is estimated as, from each band of
/// the input, before filtering ([`despeckle::estimate`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Estimate {
    /// The equivalent number of looks ([`despeckle::estimate::enl`], in the filter's
    /// `domain`).
    Enl,
    /// A quantile of the valid pixels ([`despeckle::estimate::quantile`]), e.g. 0.98.
    Quantile(f64),
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Estimate::Enl => f.write_str("the equivalent number of looks of the band"),
            Estimate::Quantile(q) => write!(f, "the {}th percentile of the band", q * 100.0),
        }
    }
}

impl Estimate {
    /// The estimate over an image read from `source` ([`despeckle::estimate::enl`] in
    /// `domain`, or [`despeckle::estimate::quantile`]); `None`: a quantile of an image without
    /// valid pixels.
    pub fn of<T: Sample>(
        self,
        source: &mut impl RowSource<T>,
        nodata: Option<f64>,
        domain: Domain,
    ) -> Result<Option<f64>> {
        match self {
            Estimate::Enl => {
                despeckle::estimate::enl(source, nodata, domain).map(|e| Some(e.looks()))
            }
            Estimate::Quantile(q) => despeckle::estimate::quantile(source, q, nodata),
        }
    }

    /// A stand-in value that lets the filter be built (and its other parameters checked)
    /// before the estimate is known: 1 look, or `+∞` for a threshold.
    pub fn stand_in(self) -> f64 {
        match self {
            Estimate::Enl => 1.0,
            Estimate::Quantile(_) => f64::INFINITY,
        }
    }
}

/// The kind of value a parameter takes (for help texts and checks of the value's form; the
/// filter's constructor checks its range).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamKind {
    /// A real number (`nan`/`inf` are read as numbers and then refused by the filter).
    Float,
    /// A real number, or `auto`: estimated from each band of the input file.
    Estimated(Estimate),
    /// A whole number.
    Int,
    /// One of a fixed set of names.
    Choice(&'static [&'static str]),
}

impl ParamKind {
    /// A placeholder for help texts (`L`, `N`, `intensity|amplitude`).
    pub fn placeholder(&self) -> String {
        match self {
            ParamKind::Float => "X".into(),
            ParamKind::Estimated(_) => "X|auto".into(),
            ParamKind::Int => "N".into(),
            ParamKind::Choice(names) => names.join("|"),
        }
    }
}

/// One parameter of a filter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamDef {
    /// The name: the CLI option `--NAME` and the Python keyword argument.
    pub name: &'static str,
    /// What kind of value it takes.
    pub kind: ParamKind,
    /// The default value as text; `None`: unset unless given (an optional parameter).
    pub default: Option<&'static str>,
    /// One line of help.
    pub help: &'static str,
}

/// Number of looks `L` of the data (> 0, need not be an integer).
pub const LOOKS: ParamDef = ParamDef {
    name: "looks",
    kind: ParamKind::Estimated(Estimate::Enl),
    default: Some("4"),
    help: "equivalent number of looks L of the data (> 0, need not be an integer; auto: \
           estimated from each band's homogeneous areas, at least 1)",
};
/// Damping factor of Enhanced Lee and Enhanced Frost.
pub const DAMPING: ParamDef = ParamDef {
    name: "damping",
    kind: ParamKind::Float,
    default: Some("1"),
    help: "damping factor D ≥ 0 (larger keeps more detail near edges)",
};
/// Intensity or amplitude data (selects the speckle coefficient of variation `Cu`).
pub const DOMAIN: ParamDef = ParamDef {
    name: "domain",
    kind: ParamKind::Choice(&["intensity", "amplitude"]),
    default: Some("intensity"),
    help: "whether pixel values are intensities (power) or amplitudes; sets Cu",
};
/// Upper heterogeneity threshold `Cmax` of Enhanced Lee.
pub const CMAX: ParamDef = ParamDef {
    name: "cmax",
    kind: ParamKind::Float,
    default: None,
    help: "upper threshold Cmax of Ci (default √(1 + 2/L); must exceed Cu)",
};
/// Variance convention.
pub const DDOF: ParamDef = ParamDef {
    name: "ddof",
    kind: ParamKind::Int,
    default: Some("0"),
    help: "variance convention: 0 population (n), 1 sample (n − 1, as SNAP and OTB)",
};
/// An optional number of looks (unset: the filter estimates the noise locally).
pub const LOOKS_OPTIONAL: ParamDef = ParamDef {
    name: "looks",
    kind: ParamKind::Estimated(Estimate::Enl),
    default: None,
    help: "number of looks L (auto: estimated from each band, at least 1; default: the noise \
           level is estimated in each window, as ESA SNAP)",
};
/// Damping factor `K` of Frost (ESA SNAP's default 2; OTB's `deramp`).
pub const FROST_DAMPING: ParamDef = ParamDef {
    name: "damping",
    kind: ParamKind::Float,
    default: Some("2"),
    help: "damping factor K ≥ 0 of the exponential weights (ESA SNAP: 2; OTB's deramp: 0.1)",
};
/// Damping factor `K` of Enhanced Frost (PCI Geomatica's default 1).
pub const ENHANCED_FROST_DAMPING: ParamDef = ParamDef {
    name: "damping",
    kind: ParamKind::Float,
    default: Some("1"),
    help: "damping factor K ≥ 0 of the exponential weights",
};
/// Distance from the window centre used by the Frost filters.
pub const DISTANCE: ParamDef = ParamDef {
    name: "distance",
    kind: ParamKind::Choice(&["euclidean", "chebyshev"]),
    default: Some("euclidean"),
    help: "distance to the window centre: euclidean (Frost et al., OTB) or chebyshev (SNAP)",
};
/// Lee Sigma's 98th percentile of the image.
pub const Z98: ParamDef = ParamDef {
    name: "z98",
    kind: ParamKind::Estimated(Estimate::Quantile(0.98)),
    default: Some("auto"),
    help: "point-target threshold: the band's 98th percentile (auto: computed exactly from \
           each band), or a value (inf disables point targets)",
};
/// Lee Sigma's sigma probability.
pub const SIGMA: ParamDef = ParamDef {
    name: "sigma",
    kind: ParamKind::Float,
    default: Some("0.9"),
    help: "probability mass of the sigma range, in (0, 1) (Lee et al. tabulate 0.5–0.9)",
};
/// Lee Sigma's target window.
pub const TARGET_WINDOW: ParamDef = ParamDef {
    name: "target_window",
    kind: ParamKind::Int,
    default: Some("3"),
    help: "side of the point-target / a-priori window: 3 or 5",
};
/// Lee Sigma's point-target cluster size.
pub const MIN_CLUSTER: ParamDef = ParamDef {
    name: "min_cluster",
    kind: ParamKind::Int,
    default: Some("6"),
    help: "bright pixels of the target window that make a point target (1 … t²)",
};
/// IDAN's maximum region size.
pub const REGION: ParamDef = ParamDef {
    name: "region",
    kind: ParamKind::Int,
    default: Some("50"),
    help: "maximum number of pixels of the adaptive neighbourhood (1 … 10000)",
};
/// The statistic of `local-stats`.
pub const STAT: ParamDef = ParamDef {
    name: "stat",
    kind: ParamKind::Choice(&["mean", "variance", "std", "cv"]),
    default: Some("mean"),
    help: "the local statistic to output (cv = σ/μ, 0 where μ ≤ 0)",
};

/// The non-local filter's search window `W`.
pub const SEARCH: ParamDef = ParamDef {
    name: "search",
    kind: ParamKind::Int,
    default: Some("23"),
    help: "search window side W (odd, 3 … 101): the pixels averaged",
};
/// The non-local filter's patch `P`.
pub const PATCH: ParamDef = ParamDef {
    name: "patch",
    kind: ParamKind::Int,
    default: Some("7"),
    help: "patch side P (odd, 1 … 51): the neighbourhoods compared",
};
/// The non-local filter's aggregation `A`.
pub const AGGREGATION: ParamDef = ParamDef {
    name: "aggregation",
    kind: ParamKind::Int,
    default: Some("3"),
    help: "aggregation side A (odd, 1 … 9): a pair's weight sums the A × A patch pairs \
           holding it",
};
/// The non-local filter's guide smoothing `b`.
pub const PRESMOOTH: ParamDef = ParamDef {
    name: "presmooth",
    kind: ParamKind::Int,
    default: Some("3"),
    help: "side b of the local mean the patches compare (odd, 1 … 9; 1: the pixels themselves, \
           which smooths flat areas less and keeps point targets no better)",
};
/// The non-local filter's strength `c` of `h`.
pub const STRENGTH: ParamDef = ParamDef {
    name: "strength",
    kind: ParamKind::Float,
    default: Some("0.35"),
    help: "strength c of h = c·P²·2ψ₁(b²L) (> 0; larger smooths more)",
};
/// The non-local filter's `h`, given directly.
pub const H: ParamDef = ParamDef {
    name: "h",
    kind: ParamKind::Float,
    default: None,
    help: "pass 1's filtering parameter h (> 0; default from the strength)",
};
/// The non-local filter's point-target rule.
pub const TARGETS: ParamDef = ParamDef {
    name: "targets",
    kind: ParamKind::Float,
    default: Some("1e-5"),
    help: "point targets: false-alarm probability p of the rule that returns a pixel unchanged \
           where it is brighter than κ times the weighted mean of the pixels outside its 3 × 3 \
           neighbourhood (or none of them is similar), κ the upper p quantile of L-look \
           speckle (11.5 at L = 1; 0 ≤ p < 1; 0: off)",
};
/// The non-local filter's number of passes.
pub const PASSES: ParamDef = ParamDef {
    name: "passes",
    kind: ParamKind::Int,
    default: Some("2"),
    help: "passes: 2 (a second pass compares the first one's patches) or 1 (the first alone)",
};
/// The non-local filter's pass-2 patch `P₂`.
pub const PATCH2: ParamDef = ParamDef {
    name: "patch2",
    kind: ParamKind::Int,
    default: Some("5"),
    help: "pass 2's patch side P₂ (odd, 1 … 51)",
};
/// The non-local filter's pass-2 strength `f`.
pub const STRENGTH2: ParamDef = ParamDef {
    name: "strength2",
    kind: ParamKind::Float,
    default: Some("0.7"),
    help: "pass 2's strength f of h₂ = f·P₂² (> 0; larger smooths more; pass 2 compares the \
           pilot relative to its variance, so f does not depend on L)",
};
/// The non-local filter's pass-2 `h₂`, given directly.
pub const H2: ParamDef = ParamDef {
    name: "h2",
    kind: ParamKind::Float,
    default: None,
    help: "pass 2's filtering parameter h₂ (> 0; default from strength2)",
};

/// The window options common to every filter (handled by the file pipeline, not by the
/// filters' `build`), for help texts and listings.
pub const COMMON: &[ParamDef] = &[
    ParamDef {
        name: "size",
        kind: ParamKind::Int,
        default: Some("7"),
        help: "window side in pixels (odd, 3 … 1001)",
    },
    ParamDef {
        name: "border",
        kind: ParamKind::Choice(&[
            "reflect",
            "mirror",
            "nearest",
            "wrap",
            "constant:V",
            "shrink",
        ]),
        default: Some("reflect"),
        help: "how the window is completed outside the image (scipy.ndimage's modes; shrink \
               cuts the window at the edge)",
    },
    ParamDef {
        name: "cval",
        kind: ParamKind::Float,
        default: None,
        help: "the value of border=constant (default 0; same as constant:V)",
    },
    ParamDef {
        name: "nodata",
        kind: ParamKind::Float,
        default: None,
        help: "no-data value, left out of every window and kept in the output (default: the \
               input's GDAL_NODATA; `none` ignores it); NaN and ±inf are always no-data",
    },
    ParamDef {
        name: "threads",
        kind: ParamKind::Int,
        default: None,
        help: "worker threads (default: all cores); results do not depend on it",
    },
];

/// The border mode from a name (`reflect`, `constant`, `constant:0.5`, ...) and the optional
/// `cval` of `constant` (as in the Python package: `border="constant", cval=0.5`).
pub fn border_with_cval(border: &str, cval: Option<f64>) -> Result<despeckle::Border> {
    use despeckle::Border;
    let parsed: Border = border.parse()?;
    match (parsed, cval) {
        (b, None) => Ok(b),
        (Border::Constant(v), Some(c)) => {
            let same = v == c || (v.is_nan() && c.is_nan());
            if border.contains(':') && !same {
                Err(Error::param(
                    "cval",
                    format!(
                        "border {border} and cval {} give two different constants; give one \
                         of them",
                        despeckle::Compact(c)
                    ),
                ))
            } else {
                Ok(Border::Constant(c))
            }
        }
        (b, Some(c)) => Err(Error::param(
            "cval",
            format!(
                "cval {} only applies to border constant, not {b}",
                despeckle::Compact(c)
            ),
        )),
    }
}

/// One filter: its name, summary, parameters and constructor.
#[derive(Clone, Copy)]
pub struct FilterDef {
    /// The name, as a CLI subcommand (`enhanced-lee`); `_` is accepted for `-` when looking
    /// it up.
    pub name: &'static str,
    /// A one-line description (with its reference).
    pub summary: &'static str,
    /// The filter's own parameters (the window options `size`, `border`, `nodata`, `threads`
    /// are common to all filters and not listed here).
    pub params: &'static [ParamDef],
    /// Builds the filter from its parameter values (every parameter of `params` is present
    /// in `Params`, at its default when not given).
    pub build: fn(&Params) -> Result<Box<dyn AnyFilter>>,
}

impl fmt::Debug for FilterDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilterDef")
            .field("name", &self.name)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// Every filter, in the order `despeckle filters` lists them.
///
/// To add a filter of the core crate, add one entry here (and, if it has new parameters, a
/// `ParamDef` constant above); the CLI subcommand, its options and help, `despeckle filters`
/// and the Python `filter_file` follow.
pub static FILTERS: &[FilterDef] = &[
    FilterDef {
        name: "enhanced-lee",
        summary: "Enhanced Lee (Lopes, Touzi & Nezry 1990): mean in homogeneous areas, \
                  the pixel at point targets, a damped blend in between",
        params: &[LOOKS, DAMPING, DOMAIN, CMAX, DDOF],
        build: |p| {
            let f = EnhancedLee::new(p.float("looks")?)?
                .with_damping(p.float("damping")?)?
                .with_domain(p.parse::<Domain>("domain")?)?
                .with_cmax(p.opt_float("cmax")?)?
                .with_ddof(p.ddof("ddof")?)?;
            Ok(Box::new(f))
        },
    },
    FilterDef {
        name: "lee",
        summary: "Lee (1980): MMSE blend of the window mean and the pixel, weight \
                  1 − Cu²/Ci² (OTB's and ESA SNAP's Lee)",
        params: &[LOOKS, DOMAIN, DDOF],
        build: |p| {
            let f = Lee::new(p.float("looks")?)?
                .with_domain(p.parse("domain")?)?
                .with_ddof(p.ddof("ddof")?)?;
            Ok(Box::new(f))
        },
    },
    FilterDef {
        name: "kuan",
        summary: "Kuan, Sawchuk, Strand & Chavel (1985): MMSE weight \
                  (1 − Cu²/Ci²)/(1 + Cu²) (OTB's Kuan)",
        params: &[LOOKS, DOMAIN, DDOF],
        build: |p| {
            let f = Kuan::new(p.float("looks")?)?
                .with_domain(p.parse("domain")?)?
                .with_ddof(p.ddof("ddof")?)?;
            Ok(Box::new(f))
        },
    },
    FilterDef {
        name: "gamma-map",
        summary: "Gamma MAP (Lopes, Nezry, Touzi & Laur 1990): MAP estimate under a Gamma \
                  prior, for intensity data",
        params: &[LOOKS, DDOF],
        build: |p| {
            let f = GammaMap::new(p.float("looks")?)?.with_ddof(p.ddof("ddof")?)?;
            Ok(Box::new(f))
        },
    },
    FilterDef {
        name: "frost",
        summary: "Frost, Stiles, Shanmugan & Holtzman (1982): exponentially weighted window \
                  mean, weights exp(−K·Ci²·distance)",
        params: &[FROST_DAMPING, DISTANCE, DDOF],
        build: |p| {
            let f = Frost::new()
                .with_damping(p.float("damping")?)?
                .with_distance(p.parse::<Distance>("distance")?)?
                .with_ddof(p.ddof("ddof")?)?;
            Ok(Box::new(f))
        },
    },
    FilterDef {
        name: "enhanced-frost",
        summary: "Enhanced Frost (Lopes, Touzi & Nezry 1990): mean, damped exponential \
                  weights, or the pixel, by Ci between Cu and Cmax",
        params: &[LOOKS, ENHANCED_FROST_DAMPING, DOMAIN, CMAX, DISTANCE, DDOF],
        build: |p| {
            let f = EnhancedFrost::new(p.float("looks")?)?
                .with_damping(p.float("damping")?)?
                .with_domain(p.parse("domain")?)?
                .with_cmax(p.opt_float("cmax")?)?
                .with_distance(p.parse("distance")?)?
                .with_ddof(p.ddof("ddof")?)?;
            Ok(Box::new(f))
        },
    },
    FilterDef {
        name: "refined-lee",
        summary: "Refined Lee (Lee 1981; ESA SNAP): MMSE over the edge-aligned half window \
                  (size 5, 7, 9, …, 17)",
        params: &[LOOKS_OPTIONAL, DOMAIN, DDOF],
        build: |p| {
            let f = RefinedLee::new()
                .with_looks(p.opt_float("looks")?)?
                .with_domain(p.parse("domain")?)?
                .with_ddof(p.ddof("ddof")?)?;
            Ok(Box::new(f))
        },
    },
    FilterDef {
        name: "lee-sigma",
        summary: "Improved Lee Sigma (Lee, Wen, Ainsworth et al. 2009): point targets kept, \
                  MMSE over the pixels within the sigma range",
        params: &[LOOKS, Z98, SIGMA, TARGET_WINDOW, MIN_CLUSTER, DOMAIN, DDOF],
        build: |p| {
            let f = LeeSigma::new(p.float("looks")?, p.float("z98")?)?
                .with_domain(p.parse("domain")?)?
                .with_sigma(p.float("sigma")?)?
                .with_target_window(p.count("target_window")?)?
                .with_min_cluster(p.count("min_cluster")?)?
                .with_ddof(p.ddof("ddof")?)?;
            Ok(Box::new(f))
        },
    },
    FilterDef {
        name: "idan",
        summary: "IDAN (Vasile, Trouvé, Lee & Buzuloiu 2006; ESA SNAP): MMSE over an \
                  intensity-driven adaptive neighbourhood",
        params: &[LOOKS, REGION, DOMAIN, DDOF],
        build: |p| {
            let f = Idan::new(p.float("looks")?)?
                .with_region(p.count("region")?)?
                .with_domain(p.parse("domain")?)?
                .with_ddof(p.ddof("ddof")?)?;
            Ok(Box::new(f))
        },
    },
    FilterDef {
        name: "median",
        summary: "Median of the window's valid pixels (exact, any border and no-data)",
        params: &[],
        build: |_| Ok(Box::new(Median)),
    },
    FilterDef {
        name: "mean",
        summary: "Boxcar mean of the window's valid pixels",
        params: &[],
        build: |_| Ok(Box::new(Mean)),
    },
    FilterDef {
        name: "local-stats",
        summary: "Local statistics of the window: mean, variance, standard deviation or \
                  coefficient of variation",
        params: &[STAT, DDOF],
        build: |p| {
            let f = LocalStats::new(p.parse::<Statistic>("stat")?).with_ddof(p.ddof("ddof")?)?;
            Ok(Box::new(f))
        },
    },
    FilterDef {
        name: "ppb",
        summary: "Non-local (PPB-type; Deledalle, Denis & Tupin 2009), two passes: weighted \
                  mean over the search window, weights exp(−D/h) from log-patch \
                  dissimilarities (pass 2 compares pass 1's patches)",
        params: &[
            LOOKS,
            PASSES,
            SEARCH,
            PATCH,
            AGGREGATION,
            PRESMOOTH,
            STRENGTH,
            H,
            PATCH2,
            STRENGTH2,
            H2,
            TARGETS,
        ],
        build: |p| {
            let f = Ppb::new(p.float("looks")?)?
                .with_passes(p.count("passes")?)?
                .with_search(p.count("search")?)?
                .with_patch(p.count("patch")?)?
                .with_aggregation(p.count("aggregation")?)?
                .with_presmooth(p.count("presmooth")?)?
                .with_strength(p.float("strength")?)?
                .with_h(p.opt_float("h")?)?
                .with_patch2(p.count("patch2")?)?
                .with_strength2(p.float("strength2")?)?
                .with_h2(p.opt_float("h2")?)?
                .with_targets(p.float("targets")?)?;
            Ok(Box::new(crate::one_plane::OnePlane(f)))
        },
    },
];

/// Finds a filter by name (`enhanced-lee`, `enhanced_lee`, any case).
pub fn find(name: &str) -> Option<&'static FilterDef> {
    let want = name.trim().to_ascii_lowercase().replace('_', "-");
    FILTERS.iter().find(|d| d.name == want)
}

/// The names of all filters, comma-separated (for messages).
pub fn names() -> String {
    FILTERS
        .iter()
        .map(|d| d.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A parameter value: typed (from Rust or Python) or text (from the command line, parsed when
/// the filter is built).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A real number.
    Float(f64),
    /// A whole number.
    Int(i64),
    /// Text, parsed according to the parameter's kind.
    Text(String),
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(v.into())
    }
}
impl From<u8> for Value {
    fn from(v: u8) -> Self {
        Value::Int(v.into())
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Float(v) => write!(f, "{}", despeckle::Compact(*v)),
            Value::Int(v) => write!(f, "{v}"),
            Value::Text(s) => f.write_str(s),
        }
    }
}

/// The values of a filter's parameters, given to [`FilterDef::build`].
#[derive(Debug, Clone)]
pub struct Params {
    values: Vec<(&'static str, Option<Value>)>,
}

impl Params {
    fn get(&self, name: &'static str) -> Option<&Value> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_ref())
    }

    fn required(&self, name: &'static str) -> Result<&Value> {
        self.get(name)
            .ok_or_else(|| Error::param(name, "is required"))
    }

    /// A real number (`nan`, `inf` accepted as numbers: the filter decides).
    pub fn float(&self, name: &'static str) -> Result<f64> {
        to_float(name, self.required(name)?)
    }

    /// An optional real number (`None` when unset, or given as `none`).
    pub fn opt_float(&self, name: &'static str) -> Result<Option<f64>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Text(t)) if t.trim().eq_ignore_ascii_case("none") => Ok(None),
            Some(v) => to_float(name, v).map(Some),
        }
    }

    /// A whole number.
    pub fn int(&self, name: &'static str) -> Result<i64> {
        let v = self.required(name)?;
        match v {
            Value::Int(i) => Ok(*i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => Ok(*f as i64),
            Value::Text(t) => t
                .trim()
                .parse::<i64>()
                .map_err(|_| Error::param(name, format!("`{t}` is not a whole number"))),
            other => Err(Error::param(
                name,
                format!("must be a whole number, got {other}"),
            )),
        }
    }

    /// A count (a whole number ≥ 0).
    pub fn count(&self, name: &'static str) -> Result<usize> {
        let v = self.int(name)?;
        usize::try_from(v)
            .map_err(|_| Error::param(name, format!("must be a whole number ≥ 0, got {v}")))
    }

    /// A variance convention `ddof` (0 or 1).
    pub fn ddof(&self, name: &'static str) -> Result<u8> {
        let v = self.int(name)?;
        u8::try_from(v).ok().filter(|d| *d <= 1).ok_or_else(|| {
            Error::param(
                name,
                format!("must be 0 (population variance) or 1 (sample variance, n − 1), got {v}"),
            )
        })
    }

    /// A value parsed with `FromStr` (names such as `domain`, `stat`).
    pub fn parse<T: FromStr<Err = Error>>(&self, name: &'static str) -> Result<T> {
        match self.required(name)? {
            Value::Text(t) => t.parse(),
            other => Err(Error::param(name, format!("must be a name, got {other}"))),
        }
    }
}

fn to_float(name: &'static str, v: &Value) -> Result<f64> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::Text(t) if t.trim().eq_ignore_ascii_case("auto") => Err(Error::param(
            name,
            "`auto` is estimated from the image: filter a file (despeckle_file::filter_file_spec, \
             the command line) or give a number",
        )),
        Value::Text(t) => t
            .trim()
            .parse::<f64>()
            .map_err(|_| Error::param(name, format!("`{t}` is not a number"))),
    }
}

/// The values estimated for the `auto` parameters of a filter: `(parameter, value)`.
pub type EstimatedValues = Vec<(&'static str, f64)>;

/// A filter chosen by name with parameter values: what the CLI and the Python `filter_file`
/// turn their arguments into.
#[derive(Debug, Clone)]
pub struct FilterSpec {
    def: &'static FilterDef,
    values: Vec<(&'static str, Option<Value>)>,
}

impl FilterSpec {
    /// The filter `name` (see [`FILTERS`]) with every parameter at its default.
    pub fn new(name: &str) -> Result<FilterSpec> {
        let def = find(name).ok_or_else(|| {
            Error::param(
                "filter",
                format!("`{name}` is not a filter; the filters are {}", names()),
            )
        })?;
        Ok(FilterSpec {
            def,
            values: def
                .params
                .iter()
                .map(|p| (p.name, p.default.map(Value::from)))
                .collect(),
        })
    }

    /// The filter's definition.
    pub fn def(&self) -> &'static FilterDef {
        self.def
    }

    /// Sets a parameter; fails if the filter has no parameter of that name.
    pub fn set(&mut self, name: &str, value: impl Into<Value>) -> Result<&mut FilterSpec> {
        let def = self.def;
        let slot = self
            .values
            .iter_mut()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| {
                let known: Vec<&str> = def.params.iter().map(|p| p.name).collect();
                Error::param(
                    "filter",
                    format!(
                        "{} has no parameter `{name}`; its parameters are {} (plus size, \
                         border, nodata, threads)",
                        def.name,
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                )
            })?;
        slot.1 = Some(value.into());
        Ok(self)
    }

    /// The current value of a parameter (`None`: unset).
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_ref())
    }

    /// The parameters given as `auto`, with what each is estimated as.
    pub fn estimates(&self) -> Vec<(&'static str, Estimate)> {
        self.def
            .params
            .iter()
            .filter_map(|p| match (p.kind, self.value(p.name)) {
                (ParamKind::Estimated(e), Some(Value::Text(t)))
                    if t.trim().eq_ignore_ascii_case("auto") =>
                {
                    Some((p.name, e))
                }
                _ => None,
            })
            .collect()
    }

    /// Builds the filter, checking every parameter.
    pub fn build(&self) -> Result<Box<dyn FileFilter>> {
        Ok(self.build_any()?)
    }

    /// [`FilterSpec::build`], for files or images in memory.
    pub fn build_any(&self) -> Result<Box<dyn AnyFilter>> {
        (self.def.build)(&Params {
            values: self.values.clone(),
        })
    }

    /// Builds the filter with stand-ins for the parameters given as `auto`
    /// ([`Estimate::stand_in`]): checks every other parameter before any image is read.
    pub fn build_probe(&self) -> Result<Box<dyn AnyFilter>> {
        let mut probe = self.clone();
        for (name, what) in self.estimates() {
            probe.set(name, what.stand_in())?;
        }
        probe.build_any()
    }

    /// The data domain of the filter (`domain`, intensity for filters without one), in which
    /// the number of looks is estimated.
    pub fn domain(&self) -> Result<Domain> {
        match self.value("domain") {
            Some(Value::Text(t)) => t.parse(),
            Some(other) => Err(Error::param(
                "domain",
                format!("must be intensity or amplitude, got {other}"),
            )),
            None => Ok(Domain::Intensity),
        }
    }

    /// Builds the filter for one image read from `source`: the parameters given as `auto`
    /// are estimated from it first ([`Estimate::of`]). A quantile of an image without valid
    /// pixels is `+∞` (nothing is above it). Returns the filter and the values estimated.
    pub fn resolve<T: Sample>(
        &self,
        source: &mut impl RowSource<T>,
        nodata: Option<f64>,
    ) -> Result<(Box<dyn AnyFilter>, EstimatedValues)> {
        let autos = self.estimates();
        if autos.is_empty() {
            return Ok((self.build_any()?, Vec::new()));
        }
        let domain = self.domain()?;
        let mut spec = self.clone();
        let mut values = Vec::with_capacity(autos.len());
        for (name, what) in autos {
            let v = what.of(source, nodata, domain)?.unwrap_or(f64::INFINITY);
            spec.set(name, v)?;
            values.push((name, v));
        }
        Ok((spec.build_any()?, values))
    }
}
