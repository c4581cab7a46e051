//! IDAN, the intensity-driven adaptive-neighbourhood filter (Vasile et al. 2006), as in ESA SNAP.

use super::range::{Degree, Maths, rescue};
use super::speckle::{Domain, check_ddof, check_looks, mmse_weight};
use crate::engine::{Filter, RowContext};
use crate::error::{Error, Result};
use crate::sample::Sample;

/// The 8 neighbours in growth order: the row above left to right, the same row, the row below.
const NEIGHBOURS: [(isize, isize); 8] = [
    (-1, -1),
    (-1, 0),
    (-1, 1),
    (0, -1),
    (0, 1),
    (1, -1),
    (1, 0),
    (1, 1),
];

/// The IDAN filter (Vasile, Trouvé, Lee & Buzuloiu, IEEE TGRS 2006), as ESA SNAP computes it.
///
/// Intensities `I` (amplitude data are squared), `σv = 1/√L`, maximum region size `N`
/// (default 50). For each pixel, inside its `size × size` window (positions `(dy, dx)`,
/// `|dy|, |dx| ≤ h`, valid pixels only):
///
/// 1. **Seed**: the upper median (element `k / 2` of the `k` sorted values) of the valid
///    intensities of the 3 × 3 neighbourhood.
/// 2. **Growth**: a first-in first-out breadth-first search from the centre over the
///    8-connected neighbours (visited in the order row above left to right, left, right, row
///    below left to right; each position visited once). A visited valid pixel joins the region
///    if `|I − seed| < (2/3)·σv·seed`; the centre is expanded even if it does not join.
///    Rejected valid pixels are remembered (background). Growth stops when the region holds
///    `N` pixels or no position is left.
/// 3. **Second pass**: `seed′` = the region's mean intensity (the seed if the region is
///    empty); every background pixel with `|I − seed′| < 2·σv·seed′` joins the region.
/// 4. **Estimate**: region empty → `z`. Otherwise, over the region, the intensities' mean
///    `μ_I` and variance `σ_I²` (`ddof`), `b = max(0, (σ_I² − μ_I² σv²)/(1 + σv²)) / σ_I²`
///    (0 where `σ_I² = 0`), and `out = μ + b (z − μ)`, `μ` the region's mean in the data's
///    own domain (for amplitude data the mean amplitude, `z` the amplitude).
///
/// The region never leaves the window: SNAP's is bounded by `N` pixels around the centre, so
/// `size = 2N + 1` reproduces it exactly; a compact region of 50 pixels fits in 9 × 9 or
/// 11 × 11. Cost per pixel: O(N), whatever the window size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Idan {
    looks: f64,
    region: usize,
    domain: Domain,
    ddof: u8,
}

impl Idan {
    /// IDAN for `looks` looks, region of at most 50 pixels, intensity data, population
    /// variance.
    pub fn new(looks: f64) -> Result<Self> {
        Ok(Idan {
            looks: check_looks(looks)?,
            region: 50,
            domain: Domain::Intensity,
            ddof: 0,
        })
    }

    /// Sets the maximum number of pixels of the first growth (`N`, 1 to 10,000; SNAP: 50).
    pub fn with_region(mut self, n: usize) -> Result<Self> {
        if !(1..=10_000).contains(&n) {
            return Err(Error::param(
                "region",
                format!("the adaptive neighbourhood size must be between 1 and 10000, got {n}"),
            ));
        }
        self.region = n;
        Ok(self)
    }

    /// Sets the data domain (amplitude data are grown on their squares).
    pub fn with_domain(mut self, domain: Domain) -> Result<Self> {
        self.domain = domain;
        Ok(self)
    }

    /// Sets the variance convention: 0 population (default), 1 sample (`n − 1`, as SNAP).
    pub fn with_ddof(mut self, ddof: u8) -> Result<Self> {
        self.ddof = check_ddof(ddof)?;
        Ok(self)
    }

    /// The number of looks `L`.
    pub fn looks(&self) -> f64 {
        self.looks
    }

    /// The maximum region size `N`.
    pub fn region(&self) -> usize {
        self.region
    }

    /// The data domain.
    pub fn domain(&self) -> Domain {
        self.domain
    }

    /// The variance convention (0 or 1).
    pub fn ddof(&self) -> u8 {
        self.ddof
    }
}

/// The median of nine values, branch-free (Paeth's 19 compare-exchange network).
#[inline(always)]
fn median_of_nine(mut p: [f64; 9]) -> f64 {
    const NET: [(usize, usize); 19] = [
        (1, 2),
        (4, 5),
        (7, 8),
        (0, 1),
        (3, 4),
        (6, 7),
        (1, 2),
        (4, 5),
        (7, 8),
        (0, 3),
        (5, 8),
        (4, 7),
        (3, 6),
        (1, 4),
        (2, 5),
        (4, 7),
        (4, 2),
        (6, 4),
        (4, 2),
    ];
    for (a, b) in NET {
        let (x, y) = (p[a], p[b]);
        p[a] = x.min(y);
        p[b] = x.max(y);
    }
    p[4]
}

impl Filter for Idan {
    fn name(&self) -> &'static str {
        "idan"
    }

    #[inline(always)]
    fn filter_row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]) {
        self.row(ctx, out);
        // amplitudes are squared, and their squares' variance formed: fourth powers
        let maths = match self.domain {
            Domain::Intensity => Maths::F64,
            Domain::Amplitude => Maths::F64Fourth,
        };
        rescue(ctx, out, maths, Degree::Bounded, |c, o, _| self.row(c, o));
    }
}

impl Idan {
    /// The filter's maths over a row, in `f64`.
    #[inline(always)]
    fn row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]) {
        let w = out.len();
        let n = ctx.window.size();
        let h = n / 2;
        let (vals, valid) = (ctx.window.values(), ctx.window.valid());
        let amplitude = self.domain == Domain::Amplitude;

        // The grid of a chunk of CHUNK output pixels: n + 2 rows of cp + 2 intensities (NaN:
        // invalid, and a border of NaN) and raw values, cp = chunk + n − 1 window columns;
        // grid index q = (dy + 1)·g + c + 1 for window row dy and chunk column c.
        const CHUNK: usize = 256;
        let cmax = CHUNK.min(w) + n - 1;
        let gmax = cmax + 2;
        let mut inten = vec![f64::NAN; (n + 2) * gmax];
        let mut raw = vec![0.0f64; (n + 2) * gmax];
        let mut stamp = vec![0u32; (n + 2) * gmax];
        let mut queue: Vec<usize> = Vec::with_capacity(self.region + 1);
        let mut region: Vec<usize> = Vec::with_capacity(n * n);
        let mut background: Vec<usize> = Vec::with_capacity(8 * self.region + 8);

        for x0 in (0..w).step_by(CHUNK) {
            let cw = CHUNK.min(w - x0);
            let cp = cw + n - 1;
            let g = cp + 2;
            let (inten, raw, stamp) = (
                &mut inten[..(n + 2) * g],
                &mut raw[..(n + 2) * g],
                &mut stamp[..(n + 2) * g],
            );
            inten.fill(f64::NAN);
            stamp.fill(0);
            for dy in 0..n {
                let at = (dy + 1) * g + 1;
                for c in 0..cp {
                    let v = vals[dy][x0 + c];
                    raw[at + c] = v;
                    if valid[dy][x0 + c] != 0.0 {
                        inten[at + c] = if amplitude { v * v } else { v };
                    }
                }
            }
            let offsets: [isize; 8] = NEIGHBOURS.map(|(dy, dx)| dy * g as isize + dx);
            for xl in 0..cw {
                let x = x0 + xl;
                // Visit stamps: the pixel's number marks its visited positions and, before
                // its growth, the columns just left and right of its window (the walls of
                // its region).
                let generation = xl as u32 + 1;
                for row in 0..n + 2 {
                    stamp[row * g + xl] = generation; // window column −1
                    stamp[row * g + xl + n + 1] = generation; // window column n
                }
                let centre = (h + 1) * g + xl + h + 1;
                out[x] = T::from_f64(self.pixel(
                    inten,
                    raw,
                    stamp,
                    &offsets,
                    g,
                    centre,
                    generation,
                    ctx.centre[x],
                    (&mut queue, &mut region, &mut background),
                ));
            }
        }
    }

    /// One pixel: seed, growth, second pass and estimate (see [`Idan`]).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn pixel(
        &self,
        inten: &[f64],
        raw: &[f64],
        stamp: &mut [u32],
        offsets: &[isize; 8],
        g: usize,
        centre: usize,
        generation: u32,
        z: f64,
        lists: (&mut Vec<usize>, &mut Vec<usize>, &mut Vec<usize>),
    ) -> f64 {
        let (queue, region, background) = lists;
        let sv2 = 1.0 / self.looks;
        let sv = sv2.sqrt();
        let (t1, t2) = (2.0 / 3.0 * sv, 2.0 * sv);
        let accept = |i: f64, s: f64, t: f64| (i - s).abs() < t * s;
        // 1. seed: upper median of the valid 3 × 3
        let mut nine = [0.0f64; 9];
        let mut k = 0;
        for dy in [-1isize, 0, 1] {
            for dx in [-1isize, 0, 1] {
                let v = inten[(centre as isize + dy * g as isize + dx) as usize];
                if !v.is_nan() {
                    nine[k] = v;
                    k += 1;
                }
            }
        }
        let seed = if k == 9 {
            median_of_nine(nine)
        } else {
            nine[..k].sort_unstable_by(f64::total_cmp);
            if k > 0 { nine[k / 2] } else { 0.0 }
        };

        // 2. growth
        queue.clear();
        region.clear();
        background.clear();
        stamp[centre] = generation;
        let zi = inten[centre];
        if !zi.is_nan() {
            if accept(zi, seed, t1) {
                region.push(centre);
            } else {
                background.push(centre);
            }
        }
        queue.push(centre);
        let mut head = 0;
        'grow: while head < queue.len() && region.len() < self.region {
            let p = queue[head];
            head += 1;
            for &off in offsets {
                let q = (p as isize + off) as usize;
                if stamp[q] == generation {
                    continue;
                }
                stamp[q] = generation;
                let v = inten[q];
                if v.is_nan() {
                    continue; // invalid, or the border
                }
                if accept(v, seed, t1) {
                    region.push(q);
                    queue.push(q);
                    if region.len() >= self.region {
                        break 'grow;
                    }
                } else {
                    background.push(q);
                }
            }
        }

        // 3. second pass from the region's mean
        let seed2 = if region.is_empty() {
            seed
        } else {
            region.iter().map(|&q| inten[q]).sum::<f64>() / region.len() as f64
        };
        for &q in background.iter() {
            if accept(inten[q], seed2, t2) {
                region.push(q);
            }
        }

        // 4. MMSE over the region
        if region.is_empty() {
            return z;
        }
        let cnt = region.len() as f64;
        let (mut s1, mut s2, mut sd) = (0.0f64, 0.0f64, 0.0f64);
        for &q in region.iter() {
            let d = inten[q] - seed2;
            s1 += d;
            s2 += d * d;
            sd += raw[q];
        }
        let (mu_i, var_i) = super::speckle::shifted_moments(cnt, s1, s2, seed2, self.ddof);
        let b = mmse_weight(mu_i, var_i, sv2);
        let mu = sd / cnt;
        mu + b * (z - mu)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nine_median_network() {
        // every permutation pattern of a few multisets
        let mut rng = 12345u64;
        for _ in 0..2000 {
            let mut v = [0.0f64; 9];
            for x in v.iter_mut() {
                rng = rng
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *x = ((rng >> 33) % 5) as f64;
            }
            let mut s = v;
            s.sort_by(f64::total_cmp);
            assert_eq!(median_of_nine(v), s[4], "{v:?}");
        }
    }

    #[test]
    fn parameters_are_validated() {
        assert!(Idan::new(0.0).is_err());
        let f = Idan::new(1.0).unwrap();
        assert!(f.with_region(0).is_err() && f.with_region(20_000).is_err());
        assert!(f.with_ddof(3).is_err());
        assert_eq!(f.region(), 50);
        let e = f.with_region(0).unwrap_err().to_string();
        assert!(e.contains("region"), "{e}");
    }
}
