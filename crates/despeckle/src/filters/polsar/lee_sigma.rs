//! The polarimetric improved Lee Sigma filter (Lee et al. 2009, 2015), as ESA SNAP's
//! Polarimetric Speckle Filter computes it but with an image-wide `Z98`.

use super::check_planes;
use crate::engine::{MultiFilter, PlanesContext, Validity};
use crate::error::{Compact, Error, Result};
use crate::filters::lee_sigma::{
    SigmaRange, check_min_cluster, check_sigma, check_target, point_targets,
};
use crate::filters::speckle::{Domain, check_ddof, check_looks, mmse_weight, shifted_moments};
use crate::options::Options;
use crate::polsar::Matrix;
use crate::sample::Sample;

/// The polarimetric improved Lee Sigma filter (Lee, Wen, Ainsworth, Chen & Chen, IEEE TGRS
/// 2009; its polarimetric form in Lee, Ainsworth, Wang & Chen, IEEE TGRS 2015, and ESA SNAP's
/// Polarimetric Speckle Filter): [`LeeSigma`](crate::LeeSigma)'s steps on the `k` diagonal
/// elements `D₁ … D_k`, then one MMSE weight from the span applied to every element.
///
/// Parameters: looks `L` (`η = 1/√L`), `sigma` (default 0.9; `[I1, I2]` and `η′` from
/// [`SigmaRange`] for intensities), target window `t` (3 or 5), the image-wide 98th percentile
/// `Z98_j` of each diagonal element (over the jointly valid pixels:
/// [`joint_quantiles`](crate::estimate::joint_quantiles)), the minimum cluster `K` (default
/// 6), `ddof`. For a pixel with matrix `Z` and valid window pixels:
///
/// 1. **Point targets.** For each diagonal element `j`, [`LeeSigma`](crate::LeeSigma)'s test
///    with `Z98_j`: a pixel with `D_j > Z98_j` that is a cluster centre of `D_j` (at least `K`
///    valid target-window pixels with `D_j > Z98_j`) or lies in the target window of one. A
///    pixel that is a point target in any element is kept: `out = Z`.
/// 2. **A-priori mean** of each diagonal element: `x̂_j = μ + b (D_j − μ)`, the MMSE estimate
///    over the valid pixels of the `t × t` target window, `b` with `η² = 1/L` (`ddof`).
/// 3. **Selection.** The valid window pixels whose every diagonal element lies in
///    `[I1 · x̂_j, I2 · x̂_j]`; none: `out = Z`.
/// 4. **Estimate.** Over the selected pixels, the span `S = Σ D_j` gives
///    `b = max(0, (σ_S² − μ_S² η′²) / (1 + η′²)) / σ_S²` (0 where `σ_S² = 0`), and every
///    element is `out = M̄ + b (Z − M̄)`, `M̄` its mean over the selected pixels: a convex
///    combination of the input matrices, Hermitian positive semi-definite.
///
/// With `k = 1` (a C2 whose only non-zero element is C11) this is
/// [`LeeSigma`](crate::LeeSigma) of intensities. SNAP differs in: its `Z98` is taken per
/// processing tile; C3 input is filtered as T3 (its diagonal elements T11, T22, T33 drive
/// steps 1–3); windows that cross the tile's source rectangle use all their pixels with `η`;
/// and sample variances (`ddof = 1`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PolLeeSigma {
    matrix: Matrix,
    looks: f64,
    sigma: f64,
    target: usize,
    min_cluster: usize,
    z98: [f64; 4],
    ddof: u8,
    range: SigmaRange,
}

impl PolLeeSigma {
    /// Lee Sigma of a `matrix` image with `looks` looks and the 98th percentile of each
    /// diagonal element (`z98[j]` for the `j`-th diagonal element, `+∞` disables the
    /// point-target test for it): sigma 0.9, target window 3, cluster 6, population variance.
    pub fn new(matrix: Matrix, looks: f64, z98: &[f64]) -> Result<Self> {
        let looks = check_looks(looks)?;
        let k = matrix.k();
        if z98.len() != k || z98.iter().any(|v| v.is_nan()) {
            return Err(Error::param(
                "z98",
                format!(
                    "a {} matrix needs {k} numbers (the 98th percentile of each diagonal \
                     element; +inf disables point targets), got [{}]",
                    matrix.name(),
                    z98.iter()
                        .map(|&v| Compact(v).to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let mut z = [f64::INFINITY; 4];
        z[..k].copy_from_slice(z98);
        Ok(PolLeeSigma {
            matrix,
            looks,
            sigma: 0.9,
            target: 3,
            min_cluster: 6,
            z98: z,
            ddof: 0,
            range: SigmaRange::new(looks, 0.9, Domain::Intensity)?,
        })
    }

    /// Sets the sigma probability (strictly between 0 and 1; SNAP offers 0.5–0.9).
    pub fn with_sigma(mut self, sigma: f64) -> Result<Self> {
        self.sigma = check_sigma(sigma)?;
        self.range = SigmaRange::new(self.looks, sigma, Domain::Intensity)?;
        Ok(self)
    }

    /// Sets the target window (3 or 5).
    pub fn with_target_window(mut self, target: usize) -> Result<Self> {
        self.target = check_target(target)?;
        self.min_cluster = self.min_cluster.min(target * target);
        Ok(self)
    }

    /// Sets the minimum point-target cluster (1 to t², default 6 as SNAP).
    pub fn with_min_cluster(mut self, count: usize) -> Result<Self> {
        self.min_cluster = check_min_cluster(count, self.target)?;
        Ok(self)
    }

    /// Sets the variance convention: 0 population (default), 1 sample (`n − 1`, SNAP).
    pub fn with_ddof(mut self, ddof: u8) -> Result<Self> {
        self.ddof = check_ddof(ddof)?;
        Ok(self)
    }

    /// The matrix kind.
    pub fn matrix(&self) -> Matrix {
        self.matrix
    }

    /// The number of looks.
    pub fn looks(&self) -> f64 {
        self.looks
    }

    /// The sigma probability.
    pub fn sigma(&self) -> f64 {
        self.sigma
    }

    /// The target window side.
    pub fn target_window(&self) -> usize {
        self.target
    }

    /// The minimum point-target cluster.
    pub fn min_cluster(&self) -> usize {
        self.min_cluster
    }

    /// The 98th percentile of each diagonal element.
    pub fn z98(&self) -> &[f64] {
        &self.z98[..self.matrix.k()]
    }

    /// The variance convention (0 or 1).
    pub fn ddof(&self) -> u8 {
        self.ddof
    }

    /// The sigma range `[I1, I2]` and `η′` in use.
    pub fn range(&self) -> SigmaRange {
        self.range
    }
}

impl MultiFilter for PolLeeSigma {
    type State = ();

    fn name(&self) -> &'static str {
        "lee-sigma"
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

    fn check_options(&self, opts: &Options) -> Result<()> {
        crate::filters::lee_sigma::check_size(self.target, opts)
    }

    fn state(&self, _width: usize, _planes: usize, _opts: &Options) {}

    fn filter_rows<T: Sample>(&self, _: &mut (), ctx: &PlanesContext<'_>, out: &mut [Vec<T>]) {
        let w = ctx.width();
        let planes = ctx.planes;
        let n = planes[0].window.size();
        let h = n / 2;
        let ht = self.target.min(n) / 2;
        let valid = planes[0].window.valid();
        let diag = self.matrix.diagonal();
        let k = diag.len();
        let dvals: Vec<&[&[f64]]> = diag.iter().map(|&d| planes[d].window.values()).collect();
        let eta2 = 1.0 / self.looks;
        let etap2 = self.range.eta * self.range.eta;
        let (i1, i2) = (self.range.low, self.range.high);

        // 1. point targets in any diagonal element
        let mut keep = vec![false; w];
        for (j, vals) in dvals.iter().enumerate() {
            if self.z98[j] < f64::INFINITY {
                let kj = point_targets(vals, valid, w, self.target, self.min_cluster, self.z98[j]);
                for (a, b) in keep.iter_mut().zip(kj) {
                    *a |= b;
                }
            }
        }

        let mut lo = [0.0f64; 4];
        let mut hi = [0.0f64; 4];
        let mut sums = vec![0.0f64; planes.len()];
        for x in 0..w {
            let c = x + h;
            let centre = |p: usize| planes[p].centre[x];
            let store = |out: &mut [Vec<T>], v: &dyn Fn(usize) -> f64| {
                for (p, row) in out.iter_mut().enumerate() {
                    row[x] = T::from_f64(v(p));
                }
            };
            if keep[x] {
                store(out, &centre);
                continue;
            }
            // 2. a-priori mean of each diagonal element over the target window
            for (j, vals) in dvals.iter().enumerate() {
                let z = vals[h][c];
                let (mut cnt, mut s1, mut s2) = (0.0, 0.0, 0.0);
                for dy in h - ht..=h + ht {
                    for i in c - ht..=c + ht {
                        if valid[dy][i] != 0.0 {
                            let d = vals[dy][i] - z;
                            cnt += 1.0;
                            s1 += d;
                            s2 += d * d;
                        }
                    }
                }
                let xh = if cnt > 0.0 {
                    let (mu, var) = shifted_moments(cnt, s1, s2, z, self.ddof);
                    mu + mmse_weight(mu, var, eta2) * (z - mu)
                } else {
                    z
                };
                lo[j] = i1 * xh;
                hi[j] = i2 * xh;
            }
            // 3. selection; sums of the span (shifted by the centre's) and of every element
            let shift: f64 = dvals.iter().map(|v| v[h][c]).sum();
            let (mut cnt, mut s1, mut s2) = (0.0, 0.0, 0.0);
            sums.fill(0.0);
            for dy in 0..n {
                for i in x..x + n {
                    if valid[dy][i] == 0.0 {
                        continue;
                    }
                    let inside = (0..k).all(|j| {
                        let v = dvals[j][dy][i];
                        v >= lo[j] && v <= hi[j]
                    });
                    if !inside {
                        continue;
                    }
                    let d = dvals.iter().map(|v| v[dy][i]).sum::<f64>() - shift;
                    cnt += 1.0;
                    s1 += d;
                    s2 += d * d;
                    for (s, pl) in sums.iter_mut().zip(planes) {
                        *s += pl.window.values()[dy][i];
                    }
                }
            }
            if cnt == 0.0 {
                store(out, &centre);
                continue;
            }
            // 4. the span's MMSE weight with η′, the same for every element
            let (mu, var) = shifted_moments(cnt, s1, s2, shift, self.ddof);
            let b = mmse_weight(mu, var, etap2);
            store(out, &|p| {
                let m = sums[p] / cnt;
                m + b * (centre(p) - m)
            });
        }
    }

    fn scratch_bytes(&self, width: usize, size: usize, planes: usize) -> usize {
        // the keep flags, one diagonal element's point-target rows, the sums
        2 * (width + size) * (2 * self.target + 1) + 8 * planes + 256
    }
}
