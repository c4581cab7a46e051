//! The polarimetric IDAN filter (Vasile, Trouvé, Lee & Buzuloiu 2006), as ESA SNAP's
//! Polarimetric Speckle Filter.

use std::fmt;
use std::str::FromStr;

use super::check_planes;
use crate::engine::{MultiFilter, PlanesContext, Validity};
use crate::error::{Error, Result};
use crate::filters::idan::{GRID_CHUNK, Grid, check_region};
use crate::filters::speckle::{check_ddof, check_looks, mmse_weight, shifted_moments};
use crate::options::Options;
use crate::polsar::Matrix;
use crate::sample::Sample;

/// How the polarimetric IDAN compares a pixel's diagonal elements `D_j` with the seed `s_j`
/// against a tolerance `t` (`(2/3)·σv` for the growth, `2·σv` for the second pass).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Criterion {
    /// Every element within the tolerance: `|D_j − s_j| < t · s_j` for all `j` (default).
    #[default]
    Each,
    /// The sum of the relative deviations within `k` tolerances:
    /// `Σ_j |D_j − s_j| / |s_j| < k · t` (ESA SNAP's C3/T3 thresholds `2σv` and `6σv`).
    Sum,
}

impl fmt::Display for Criterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Criterion::Each => "each",
            Criterion::Sum => "sum",
        })
    }
}

impl FromStr for Criterion {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "each" => Ok(Criterion::Each),
            "sum" => Ok(Criterion::Sum),
            other => Err(Error::param(
                "criterion",
                format!("\"each\" or \"sum\", got {other:?}"),
            )),
        }
    }
}

/// The polarimetric IDAN filter (Vasile, Trouvé, Lee & Buzuloiu, IEEE TGRS 2006): an
/// adaptive neighbourhood grown from the diagonal elements `D₁ … D_k`, then the LLMMSE
/// estimate over it with one weight from the span, applied to every element.
///
/// `σv = 1/√L`, maximum region size `N` (default 50). For each pixel, inside its
/// `size × size` window (valid pixels only), [`Idan`](crate::Idan)'s steps with vectors:
///
/// 1. **Seed** `s_j`: the upper median of `D_j` over the valid 3 × 3 neighbourhood (the
///    marginal median, element by element).
/// 2. **Growth**: [`Idan`](crate::Idan)'s breadth-first search from the centre; a pixel joins
///    when its diagonal elements pass the [`Criterion`] with `t = (2/3)·σv`, until `N`
///    pixels.
/// 3. **Second pass**: `s′_j` = the region's mean of `D_j` (the seed if the region is
///    empty); rejected pixels that pass with `s′` and `t = 2·σv` join.
/// 4. **Estimate**: region empty → `Z`. Otherwise the span `S = Σ D_j` over the region gives
///    `b = max(0, (σ_S² − μ_S² σv²)/(1 + σv²)) / σ_S²` (`ddof`; 0 where `σ_S² = 0`), and each
///    element is `M̄ + b (Z − M̄)`, `M̄` its mean over the region: a convex combination of the
///    input matrices, Hermitian positive semi-definite.
///
/// With `k = 1` this is [`Idan`](crate::Idan) of intensities. SNAP's region is bounded by
/// `N` pixels around the centre (`size = 2N + 1` reproduces it; a compact region of 50
/// pixels fits in 9 × 9 or 11 × 11); SNAP uses [`Criterion::Sum`] and sample variances
/// (`ddof = 1`), grows front by front (it may pass `N` by up to 7 pixels), filters C3 as T3,
/// and its C2 thresholds are `σv` and `4σv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PolIdan {
    matrix: Matrix,
    looks: f64,
    region: usize,
    ddof: u8,
    criterion: Criterion,
}

impl PolIdan {
    /// IDAN of a `matrix` image with `looks` looks: region of at most 50 pixels, every
    /// element within the tolerance, population variance.
    pub fn new(matrix: Matrix, looks: f64) -> Result<Self> {
        Ok(PolIdan {
            matrix,
            looks: check_looks(looks)?,
            region: 50,
            ddof: 0,
            criterion: Criterion::Each,
        })
    }

    /// Sets the maximum number of pixels of the first growth (`N`, 1 to 10,000; SNAP: 50).
    pub fn with_region(mut self, n: usize) -> Result<Self> {
        self.region = check_region(n)?;
        Ok(self)
    }

    /// Sets the variance convention: 0 population (default), 1 sample (`n − 1`, SNAP).
    pub fn with_ddof(mut self, ddof: u8) -> Result<Self> {
        self.ddof = check_ddof(ddof)?;
        Ok(self)
    }

    /// Sets how the diagonal elements are compared with the seed.
    pub fn with_criterion(mut self, criterion: Criterion) -> Self {
        self.criterion = criterion;
        self
    }

    /// The matrix kind.
    pub fn matrix(&self) -> Matrix {
        self.matrix
    }

    /// The number of looks.
    pub fn looks(&self) -> f64 {
        self.looks
    }

    /// The maximum region size `N`.
    pub fn region(&self) -> usize {
        self.region
    }

    /// The variance convention (0 or 1).
    pub fn ddof(&self) -> u8 {
        self.ddof
    }

    /// The criterion.
    pub fn criterion(&self) -> Criterion {
        self.criterion
    }
}

/// The grids of a band of rows: the region-growing grid and one layer per input plane.
pub struct Scratch {
    grid: Grid,
    layers: Vec<Vec<f64>>,
}

impl fmt::Debug for Scratch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scratch")
            .field("layers", &self.layers.len())
            .finish()
    }
}

impl MultiFilter for PolIdan {
    type State = Scratch;

    fn name(&self) -> &'static str {
        "idan"
    }

    fn output_planes(&self, planes: usize) -> Result<usize> {
        check_planes(self.matrix, planes)
    }

    fn validity(&self) -> Validity {
        Validity::Joint
    }

    fn uses_sums(&self) -> bool {
        false
    }

    fn state(&self, width: usize, planes: usize, opts: &Options) -> Scratch {
        let n = opts.size();
        Scratch {
            grid: Grid::new(width, n, self.region),
            layers: vec![vec![f64::NAN; Grid::cells(width, n)]; planes],
        }
    }

    fn filter_rows<T: Sample>(
        &self,
        st: &mut Scratch,
        ctx: &PlanesContext<'_>,
        out: &mut [Vec<T>],
    ) {
        let w = ctx.width();
        let planes = ctx.planes;
        let n = planes[0].window.size();
        let valid = planes[0].window.valid();
        let diag = self.matrix.diagonal();
        let k = diag.len();
        let sv2 = 1.0 / self.looks;
        let sv = sv2.sqrt();
        let (t1, t2) = match self.criterion {
            Criterion::Each => (2.0 / 3.0 * sv, 2.0 * sv),
            Criterion::Sum => (k as f64 * 2.0 / 3.0 * sv, k as f64 * 2.0 * sv),
        };
        let each = self.criterion == Criterion::Each;
        let Scratch { grid, layers } = st;
        let mut seed = [0.0f64; 4];
        let mut seed2 = [0.0f64; 4];
        let mut sums = vec![0.0f64; planes.len()];
        for x0 in (0..w).step_by(GRID_CHUNK) {
            let cw = GRID_CHUNK.min(w - x0);
            grid.start(cw, n);
            for (layer, p) in layers.iter_mut().zip(planes) {
                grid.fill(layer, p.window.values(), valid, x0, |v| v);
            }
            let d: Vec<&[f64]> = diag.iter().map(|&p| &layers[p][..]).collect();
            let accept = |q: usize, s: &[f64; 4], t: f64| -> bool {
                if each {
                    (0..k).all(|j| (d[j][q] - s[j]).abs() < t * s[j])
                } else {
                    (0..k)
                        .map(|j| (d[j][q] - s[j]).abs() / s[j].abs())
                        .sum::<f64>()
                        < t
                }
            };
            for xl in 0..cw {
                let x = x0 + xl;
                let (generation, centre) = grid.walls(xl, n);
                // 1. seeds: the marginal upper medians of the valid 3 × 3
                for j in 0..k {
                    seed[j] = grid.seed(d[j], centre);
                }
                // 2. growth
                grid.grow(centre, generation, self.region, |q| {
                    (!d[0][q].is_nan()).then(|| accept(q, &seed, t1))
                });
                // 3. second pass from the region's means
                let region = &mut grid.region;
                for j in 0..k {
                    seed2[j] = if region.is_empty() {
                        seed[j]
                    } else {
                        region.iter().map(|&q| d[j][q]).sum::<f64>() / region.len() as f64
                    };
                }
                for &q in grid.background.iter() {
                    if accept(q, &seed2, t2) {
                        region.push(q);
                    }
                }
                // 4. the span's MMSE weight over the region, the same for every element
                if region.is_empty() {
                    for (p, row) in out.iter_mut().enumerate() {
                        row[x] = T::from_f64(planes[p].centre[x]);
                    }
                    continue;
                }
                let cnt = region.len() as f64;
                let shift: f64 = seed2[..k].iter().sum();
                let (mut s1, mut s2) = (0.0f64, 0.0f64);
                sums.fill(0.0);
                for &q in region.iter() {
                    let dv = d.iter().map(|l| l[q]).sum::<f64>() - shift;
                    s1 += dv;
                    s2 += dv * dv;
                    for (s, l) in sums.iter_mut().zip(layers.iter()) {
                        *s += l[q];
                    }
                }
                let (mu, var) = shifted_moments(cnt, s1, s2, shift, self.ddof);
                let b = mmse_weight(mu, var, sv2);
                for (p, row) in out.iter_mut().enumerate() {
                    let m = sums[p] / cnt;
                    row[x] = T::from_f64(m + b * (planes[p].centre[x] - m));
                }
            }
        }
    }

    fn scratch_bytes(&self, width: usize, size: usize, planes: usize) -> usize {
        let cells = Grid::cells(width, size);
        // the layers, the stamps, the lists
        8 * cells * planes + 4 * cells + 8 * (size * size + 9 * self.region + 16) + 8 * planes
    }
}
