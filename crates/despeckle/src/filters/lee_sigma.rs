//! The improved Lee Sigma filter (Lee, Wen, Ainsworth, Chen & Chen 2009).

use super::gamma_dist::{Speckle, sigma_range};
use super::range::{Degree, Maths, rescue};
use super::speckle::{Domain, check_ddof, check_looks};
use crate::engine::{Filter, RowContext};
use crate::error::{Compact, Error, Result};
use crate::options::Options;
use crate::sample::{Real, Sample};

/// Pixels per chunk of the selection loop (its arrays stay in L1).
const CHUNK: usize = 256;

/// The sigma range of Lee et al. (2009) for `L` looks and a probability `sigma`.
///
/// For mean-1 speckle with probability density `p` (intensity: Gamma(L, L); amplitude: its
/// square root scaled to mean 1), `[low, high]` is the interval with
/// `∫ p = sigma` whose truncated mean `∫ x p / sigma` is 1, and `eta` (`η′`) is the standard
/// deviation of the truncated distribution, `√(∫ x² p / sigma − 1)`: the speckle level of the
/// pixels a sigma range selects. Computed for any `L > 0` (Lee et al. tabulate L = 1–4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SigmaRange {
    /// `I1` (intensity) or `A1` (amplitude): the lower end, a fraction of the mean.
    pub low: f64,
    /// `I2` or `A2`: the upper end.
    pub high: f64,
    /// `η′`, the revised speckle coefficient of variation.
    pub eta: f64,
}

impl SigmaRange {
    /// The range for `looks` looks, probability `sigma` (in (0, 1)) and a data domain.
    pub fn new(looks: f64, sigma: f64, domain: Domain) -> Result<Self> {
        let looks = check_looks(looks)?;
        check_sigma(sigma)?;
        let dist = match domain {
            Domain::Intensity => Speckle::Intensity(looks),
            Domain::Amplitude => Speckle::Amplitude(looks),
        };
        let (low, high, eta) = sigma_range(dist, sigma);
        Ok(SigmaRange { low, high, eta })
    }
}

pub(crate) fn check_sigma(sigma: f64) -> Result<f64> {
    if sigma.is_finite() && sigma > 0.0 && sigma < 1.0 {
        Ok(sigma)
    } else {
        Err(Error::param(
            "sigma",
            format!(
                "must be a probability strictly between 0 and 1 (Lee et al. use 0.5–0.9), got {}",
                Compact(sigma)
            ),
        ))
    }
}

/// Checks a target window side (3 or 5).
pub(crate) fn check_target(target: usize) -> Result<usize> {
    if target == 3 || target == 5 {
        Ok(target)
    } else {
        Err(Error::param(
            "target_window",
            format!("must be 3 or 5, got {target}"),
        ))
    }
}

/// Checks a minimum point-target cluster (1 to `target²`).
pub(crate) fn check_min_cluster(count: usize, target: usize) -> Result<usize> {
    let max = target * target;
    if count == 0 || count > max {
        return Err(Error::param(
            "min_cluster",
            format!("must be between 1 and {max} (the target window's pixels), got {count}"),
        ));
    }
    Ok(count)
}

/// Checks that the window holds the point-target test of a `target × target` window
/// (`2·target − 1` at least).
pub(crate) fn check_size(target: usize, opts: &Options) -> Result<()> {
    let need = 2 * target - 1;
    if opts.size() < need {
        return Err(Error::param(
            "size",
            format!(
                "Lee Sigma with a {target} × {target} target window needs a window of at least \
                 {need} ({recommended} recommended), got {}",
                opts.size(),
                recommended = need.max(7)
            ),
        ));
    }
    Ok(())
}

/// The improved Lee Sigma filter (Lee, Wen, Ainsworth, Chen & Chen, IEEE TGRS 2009).
///
/// Parameters: looks `L`, `sigma` (default 0.9), target window `t` (3 default, or 5), the
/// image's 98th percentile `Z98` (one value per image, e.g. from
/// [`estimate::quantile`](crate::estimate::quantile)), the minimum point-target cluster `K`
/// (default 6: "more than 5", as ESA SNAP), `domain`, `ddof`. `η = Cu` ([`Domain::cu`]);
/// `[I1, I2]` and `η′` from [`SigmaRange`]. For a pixel `z` with valid window pixels:
///
/// 1. **Point targets.** A pixel is a *cluster centre* when `z > Z98` and at least `K` valid
///    pixels of its `t × t` target window are `> Z98`. A pixel `> Z98` that is a cluster centre
///    or lies in the target window of one is kept: `out = z`. (The order-independent form of
///    SNAP's marking, which depends on the scan order and the processing tile.)
/// 2. **A-priori mean.** `x̂ = μ_t + b_t (z − μ_t)`, the MMSE estimate over the valid pixels of
///    the `t × t` target window: `b_t = max(0, (σ_t² − μ_t² η²) / (1 + η²)) / σ_t²` (0 where
///    `σ_t² = 0`).
/// 3. **Selection.** The valid window pixels `x` with `I1·x̂ ≤ x ≤ I2·x̂`; none: `out = z`.
/// 4. **Estimate.** MMSE over the selected pixels with `η′`:
///    `out = μ_s + b (z − μ_s)`, `b = max(0, (σ_s² − μ_s² η′²) / (1 + η′²)) / σ_s²`.
///
/// Needs a window of at least `2t − 1` (5 for `t = 3`) for step 1's neighbourhood
/// ([`Filter::check_options`] rejects smaller ones); with a smaller window only the pixel's
/// own cluster test applies. Lee et al. recommend 7 × 7 (9 × 9 or 11 × 11 for many looks).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeeSigma {
    looks: f64,
    sigma: f64,
    target: usize,
    min_cluster: usize,
    z98: f64,
    domain: Domain,
    ddof: u8,
    range: SigmaRange,
}

impl LeeSigma {
    /// Lee Sigma for `looks` looks and the image's 98th percentile `z98` (`+∞` disables the
    /// point-target test), sigma 0.9, target window 3, cluster 6, intensity data, population
    /// variance.
    pub fn new(looks: f64, z98: f64) -> Result<Self> {
        let looks = check_looks(looks)?;
        if z98.is_nan() {
            return Err(Error::param(
                "z98",
                "must be a number (the image's 98th percentile; +inf disables point targets)",
            ));
        }
        Ok(LeeSigma {
            looks,
            sigma: 0.9,
            target: 3,
            min_cluster: 6,
            z98,
            domain: Domain::Intensity,
            ddof: 0,
            range: SigmaRange::new(looks, 0.9, Domain::Intensity)?,
        })
    }

    /// Sets the sigma probability (strictly between 0 and 1; Lee et al. tabulate 0.5–0.9).
    pub fn with_sigma(mut self, sigma: f64) -> Result<Self> {
        self.sigma = check_sigma(sigma)?;
        self.range = SigmaRange::new(self.looks, sigma, self.domain)?;
        Ok(self)
    }

    /// Sets the target window (3 or 5).
    pub fn with_target_window(mut self, target: usize) -> Result<Self> {
        self.target = check_target(target)?;
        if self.min_cluster > target * target {
            self.min_cluster = target * target;
        }
        Ok(self)
    }

    /// Sets the minimum number of target-window pixels above `Z98` that makes a point target
    /// (1 to t², default 6; Lee et al.'s text uses 5).
    pub fn with_min_cluster(mut self, count: usize) -> Result<Self> {
        self.min_cluster = check_min_cluster(count, self.target)?;
        Ok(self)
    }

    /// Sets the data domain, which selects `η = Cu` and the sigma-range table.
    pub fn with_domain(mut self, domain: Domain) -> Result<Self> {
        self.domain = domain;
        self.range = SigmaRange::new(self.looks, self.sigma, domain)?;
        Ok(self)
    }

    /// Sets the variance convention: 0 population (default), 1 sample (`n − 1`).
    pub fn with_ddof(mut self, ddof: u8) -> Result<Self> {
        self.ddof = check_ddof(ddof)?;
        Ok(self)
    }

    /// The number of looks `L`.
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

    /// The 98th percentile used for point targets.
    pub fn z98(&self) -> f64 {
        self.z98
    }

    /// The data domain.
    pub fn domain(&self) -> Domain {
        self.domain
    }

    /// The variance convention (0 or 1).
    pub fn ddof(&self) -> u8 {
        self.ddof
    }

    /// The sigma range `[I1, I2]` and `η′` in use.
    pub fn range(&self) -> SigmaRange {
        self.range
    }

    /// `η = Cu`, the speckle level of the a-priori (target window) estimate.
    pub fn cu(&self) -> f64 {
        self.domain.cu(self.looks)
    }
}

/// `max(0, (σ² − μ²η²) / (1 + η²)) / σ²` in lanes (0 where `σ² ≤ 0`).
#[inline(always)]
fn mmse_b<L: Real>(mu: L, var: L, eta2: L, one_eta2: L) -> L {
    let vx = ((var - mu * mu * eta2) / one_eta2).max(L::ZERO);
    L::select(var > L::ZERO, vx / var, L::ZERO)
}

impl Filter for LeeSigma {
    fn name(&self) -> &'static str {
        "lee-sigma"
    }

    fn check_options(&self, opts: &Options) -> Result<()> {
        check_size(self.target, opts)
    }

    #[inline(always)]
    fn filter_row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]) {
        self.row(ctx, self.z98, out);
        // a scaled window is compared with the scaled Z98 (exact: a power of two)
        rescue(ctx, out, Maths::Lanes, Degree::Bounded, |c, o, s| {
            self.row(c, self.z98 * s, o)
        });
    }
}

/// Step 1 of [`LeeSigma`] for a row of `w` output pixels: whether each pixel is kept as a
/// point target, from the window rows `vals` and their validity `valid` (the engine's
/// [`Window`](crate::engine::Window) of the row), the `target × target` window, the minimum
/// cluster and the threshold `z98`.
///
/// A pixel is kept when it is valid, `> z98`, and a cluster centre (`> z98` with at least
/// `min_cluster` valid pixels `> z98` in its target window) or in the target window of one.
/// With a window narrower than `2·target − 1` only the pixel's own cluster test applies.
pub(crate) fn point_targets(
    vals: &[&[f64]],
    valid: &[&[f64]],
    w: usize,
    target: usize,
    min_cluster: usize,
    z98: f64,
) -> Vec<bool> {
    let size = vals.len();
    let h = size / 2;
    let wp = w + size - 1;
    let ht = target.min(size) / 2;
    let closure = h >= 2 * ht;
    let reach = if closure { 2 * ht } else { ht };
    let above: Vec<Vec<u8>> = (h - reach..=h + reach)
        .map(|dy| {
            vals[dy][..wp]
                .iter()
                .zip(&valid[dy][..wp])
                .map(|(&v, &ok)| ((ok != 0.0) & (v > z98)) as u8)
                .collect()
        })
        .collect();
    // `above[r]` is window row h − reach + r; a cluster centre at (row r, column c).
    let centre = |r: usize, c: usize| -> bool {
        if above[r][c] == 0 {
            return false;
        }
        let mut n = 0usize;
        for row in &above[r - ht..=r + ht] {
            n += row[c - ht..=c + ht]
                .iter()
                .map(|&a| a as usize)
                .sum::<usize>();
        }
        n >= min_cluster
    };
    (0..w)
        .map(|x| {
            let c = x + h;
            if above[reach][c] == 0 {
                false
            } else if closure {
                (reach - ht..=reach + ht).any(|r| (c - ht..=c + ht).any(|cc| centre(r, cc)))
            } else {
                centre(reach, c)
            }
        })
        .collect()
}

impl LeeSigma {
    /// The filter's maths over a row, with the point-target threshold `z98`.
    #[inline(always)]
    fn row<T: Sample>(&self, ctx: &RowContext<'_>, z98: f64, out: &mut [T]) {
        type L<T> = <T as Sample>::Lane;
        let w = out.len();
        let size = ctx.window.size();
        let h = size / 2;
        let wp = w + size - 1;
        let ht = self.target.min(size) / 2;
        let (vals, valid) = (ctx.window.values(), ctx.window.valid());
        let zero = L::<T>::ZERO;
        let one = L::<T>::ONE;

        // 1. point targets
        let keep = point_targets(vals, valid, w, self.target, self.min_cluster, z98);

        // Window rows in the lane type.
        let vl: Vec<Vec<L<T>>> = vals
            .iter()
            .map(|r| r[..wp].iter().map(|&v| L::<T>::from_f64(v)).collect())
            .collect();
        let okl: Vec<Vec<bool>> = valid
            .iter()
            .map(|r| r[..wp].iter().map(|&v| v != 0.0).collect())
            .collect();

        let eta2 = L::<T>::from_f64(self.cu().powi(2));
        let one_eta2 = L::<T>::from_f64(1.0 + self.cu().powi(2));
        let etap2 = L::<T>::from_f64(self.range.eta.powi(2));
        let one_etap2 = L::<T>::from_f64(1.0 + self.range.eta.powi(2));
        let (i1, i2) = (
            L::<T>::from_f64(self.range.low),
            L::<T>::from_f64(self.range.high),
        );
        let ddof = L::<T>::from_f64(self.ddof as f64);
        let moments = |n: L<T>, s1: L<T>, s2: L<T>, shift: L<T>| {
            let d = s1 / n;
            let ss = (s2 - s1 * d).max(zero);
            let var = L::<T>::select(n > ddof, ss / (n - ddof), zero);
            (shift + d, var)
        };

        let mut lo = [zero; CHUNK];
        let mut hi = [zero; CHUNK];
        let mut xh = [zero; CHUNK];
        let mut cnt = [zero; CHUNK];
        let mut s1 = [zero; CHUNK];
        let mut s2 = [zero; CHUNK];
        for x0 in (0..w).step_by(CHUNK) {
            let n = CHUNK.min(w - x0);
            // 2. a-priori mean over the target window, sums shifted by the centre value
            for i in 0..n {
                cnt[i] = zero;
                s1[i] = zero;
                s2[i] = zero;
            }
            let zc = &vl[h][x0 + h..x0 + h + n];
            for dy in h - ht..=h + ht {
                for dx in h - ht..=h + ht {
                    let (v, ok) = (
                        &vl[dy][x0 + dx..x0 + dx + n],
                        &okl[dy][x0 + dx..x0 + dx + n],
                    );
                    for i in 0..n {
                        let d = v[i] - zc[i];
                        cnt[i] = cnt[i] + L::<T>::select(ok[i], one, zero);
                        s1[i] = s1[i] + L::<T>::select(ok[i], d, zero);
                        s2[i] = s2[i] + L::<T>::select(ok[i], d * d, zero);
                    }
                }
            }
            for i in 0..n {
                let (mu, var) = moments(cnt[i], s1[i], s2[i], zc[i]);
                let b = mmse_b(mu, var, eta2, one_eta2);
                xh[i] = mu + b * (zc[i] - mu);
                lo[i] = i1 * xh[i];
                hi[i] = i2 * xh[i];
                cnt[i] = zero;
                s1[i] = zero;
                s2[i] = zero;
            }
            // 3. selection, sums shifted by x̂
            for dy in 0..size {
                for dx in 0..size {
                    let (v, ok) = (
                        &vl[dy][x0 + dx..x0 + dx + n],
                        &okl[dy][x0 + dx..x0 + dx + n],
                    );
                    for i in 0..n {
                        let inside = ok[i] & (v[i] >= lo[i]) & (v[i] <= hi[i]);
                        let d = v[i] - xh[i];
                        cnt[i] = cnt[i] + L::<T>::select(inside, one, zero);
                        s1[i] = s1[i] + L::<T>::select(inside, d, zero);
                        s2[i] = s2[i] + L::<T>::select(inside, d * d, zero);
                    }
                }
            }
            // 4. MMSE over the selection with η′
            for i in 0..n {
                let z = zc[i];
                let (mu, var) = moments(cnt[i], s1[i], s2[i], xh[i]);
                let b = mmse_b(mu, var, etap2, one_etap2);
                let est = mu + b * (z - mu);
                let kept = keep[x0 + i] | (cnt[i] <= zero);
                out[x0 + i] = T::from_lane(L::<T>::select(kept, z, est));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_validated() {
        assert!(LeeSigma::new(0.0, 1.0).is_err());
        assert!(LeeSigma::new(1.0, f64::NAN).is_err());
        let f = LeeSigma::new(2.0, 10.0).unwrap();
        assert!(f.with_sigma(1.0).is_err() && f.with_sigma(0.0).is_err());
        assert!(f.with_target_window(4).is_err());
        assert!(f.with_min_cluster(0).is_err() && f.with_min_cluster(10).is_err());
        assert!(f.with_ddof(2).is_err());
        let e = f.with_sigma(1.5).unwrap_err().to_string();
        assert!(e.contains("sigma") && e.contains("between 0 and 1"), "{e}");
        let opts = Options::new(3).unwrap();
        assert!(f.check_options(&opts).is_err());
        assert!(f.check_options(&Options::new(5).unwrap()).is_ok());
        let f5 = f.with_target_window(5).unwrap();
        assert!(f5.check_options(&Options::new(7).unwrap()).is_err());
        assert!(f5.check_options(&Options::new(9).unwrap()).is_ok());
    }
}
