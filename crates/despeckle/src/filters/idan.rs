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
        self.region = check_region(n)?;
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

/// Checks a maximum region size (1 to 10,000).
pub(crate) fn check_region(n: usize) -> Result<usize> {
    if (1..=10_000).contains(&n) {
        Ok(n)
    } else {
        Err(Error::param(
            "region",
            format!("the adaptive neighbourhood size must be between 1 and 10000, got {n}"),
        ))
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

/// The chunked grids of IDAN's region growing, shared by [`Idan`] and the polarimetric IDAN.
///
/// A chunk of up to [`GRID_CHUNK`] output pixels starting at column `x0` has `n + 2` rows of
/// `g = cp + 2` cells (`cp = chunk + n − 1` window columns and a border cell each side); grid
/// index `q = (dy + 1)·g + c + 1` for window row `dy` and chunk column `c`. A layer holds a
/// value per cell, NaN where the pixel is invalid and on the border; the visit stamps mark
/// each output pixel's visited cells and, before its growth, the columns just left and right
/// of its window (the walls of its region).
pub(crate) struct Grid {
    /// Cells per grid row of the current chunk.
    pub g: usize,
    stamp: Vec<u32>,
    offsets: [isize; 8],
    /// The growth's first-in first-out queue, region and background (rejected) cells.
    pub queue: Vec<usize>,
    /// The region's cells.
    pub region: Vec<usize>,
    /// Cells visited and rejected by the first growth.
    pub background: Vec<usize>,
}

/// Output pixels per chunk of the region-growing grids.
pub(crate) const GRID_CHUNK: usize = 256;

impl Grid {
    /// Grids for rows of `w` pixels, an `n × n` window and regions of up to `region` pixels.
    pub fn new(w: usize, n: usize, region: usize) -> Self {
        let cells = (n + 2) * (GRID_CHUNK.min(w) + n + 1);
        Grid {
            g: 0,
            stamp: vec![0; cells],
            offsets: [0; 8],
            queue: Vec::with_capacity(region + 1),
            region: Vec::with_capacity(n * n),
            background: Vec::with_capacity(8 * region + 8),
        }
    }

    /// The cells of one layer for a chunk of `n + 2` rows of `g` cells.
    pub fn cells(w: usize, n: usize) -> usize {
        (n + 2) * (GRID_CHUNK.min(w) + n + 1)
    }

    /// Starts the chunk of `cw` output pixels (window side `n`): clears the stamps.
    pub fn start(&mut self, cw: usize, n: usize) {
        self.g = cw + n + 1;
        let g = self.g as isize;
        self.offsets = NEIGHBOURS.map(|(dy, dx)| dy * g + dx);
        self.stamp[..(n + 2) * self.g].fill(0);
    }

    /// Fills `layer` for the chunk at column `x0` from window rows `rows` (validity `valid`):
    /// `f(v)` where valid, NaN elsewhere.
    pub fn fill(
        &self,
        layer: &mut [f64],
        rows: &[&[f64]],
        valid: &[&[f64]],
        x0: usize,
        f: impl Fn(f64) -> f64,
    ) {
        let (n, g) = (rows.len(), self.g);
        let cp = g - 2;
        layer[..(n + 2) * g].fill(f64::NAN);
        for dy in 0..n {
            let at = (dy + 1) * g + 1;
            for c in 0..cp {
                if valid[dy][x0 + c] != 0.0 {
                    layer[at + c] = f(rows[dy][x0 + c]);
                }
            }
        }
    }

    /// Walls the window of chunk pixel `xl` (window side `n`); returns its generation and
    /// centre cell.
    pub fn walls(&mut self, xl: usize, n: usize) -> (u32, usize) {
        let g = self.g;
        let generation = xl as u32 + 1;
        for row in 0..n + 2 {
            self.stamp[row * g + xl] = generation; // window column −1
            self.stamp[row * g + xl + n + 1] = generation; // window column n
        }
        (generation, (n / 2 + 1) * g + xl + n / 2 + 1)
    }

    /// The upper median (element `k / 2` of the `k` sorted values) of the valid cells of the
    /// 3 × 3 neighbourhood of `centre` in `layer`; 0 if none is valid.
    pub fn seed(&self, layer: &[f64], centre: usize) -> f64 {
        let g = self.g as isize;
        let mut nine = [0.0f64; 9];
        let mut k = 0;
        for dy in [-1isize, 0, 1] {
            for dx in [-1isize, 0, 1] {
                let v = layer[(centre as isize + dy * g + dx) as usize];
                if !v.is_nan() {
                    nine[k] = v;
                    k += 1;
                }
            }
        }
        if k == 9 {
            median_of_nine(nine)
        } else {
            nine[..k].sort_unstable_by(f64::total_cmp);
            if k > 0 { nine[k / 2] } else { 0.0 }
        }
    }

    /// The first growth from `centre` (see [`Idan`], step 2): `accept(q)` is `None` for an
    /// invalid cell (layer NaN) and whether a valid cell joins the region otherwise. Fills
    /// [`Grid::region`] and [`Grid::background`]; stops at `max` region cells.
    pub fn grow(
        &mut self,
        centre: usize,
        generation: u32,
        max: usize,
        accept: impl Fn(usize) -> Option<bool>,
    ) {
        let (queue, region, background) = (&mut self.queue, &mut self.region, &mut self.background);
        queue.clear();
        region.clear();
        background.clear();
        self.stamp[centre] = generation;
        match accept(centre) {
            Some(true) => region.push(centre),
            Some(false) => background.push(centre),
            None => {}
        }
        queue.push(centre);
        let mut head = 0;
        'grow: while head < queue.len() && region.len() < max {
            let p = queue[head];
            head += 1;
            for &off in &self.offsets {
                let q = (p as isize + off) as usize;
                if self.stamp[q] == generation {
                    continue;
                }
                self.stamp[q] = generation;
                match accept(q) {
                    None => {} // invalid, or the border
                    Some(true) => {
                        region.push(q);
                        queue.push(q);
                        if region.len() >= max {
                            break 'grow;
                        }
                    }
                    Some(false) => background.push(q),
                }
            }
        }
    }
}

impl Idan {
    /// The filter's maths over a row, in `f64`.
    #[inline(always)]
    fn row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]) {
        let w = out.len();
        let n = ctx.window.size();
        let (vals, valid) = (ctx.window.values(), ctx.window.valid());
        let amplitude = self.domain == Domain::Amplitude;
        let mut grid = Grid::new(w, n, self.region);
        let cells = Grid::cells(w, n);
        // intensities (NaN: invalid, and the border) and raw values
        let mut inten = vec![f64::NAN; cells];
        let mut raw = vec![0.0f64; cells];
        for x0 in (0..w).step_by(GRID_CHUNK) {
            let cw = GRID_CHUNK.min(w - x0);
            grid.start(cw, n);
            grid.fill(&mut inten, vals, valid, x0, |v| {
                if amplitude { v * v } else { v }
            });
            grid.fill(&mut raw, vals, valid, x0, |v| v);
            for xl in 0..cw {
                let (generation, centre) = grid.walls(xl, n);
                out[x0 + xl] = T::from_f64(self.pixel(
                    &mut grid,
                    &inten,
                    &raw,
                    centre,
                    generation,
                    ctx.centre[x0 + xl],
                ));
            }
        }
    }

    /// One pixel: seed, growth, second pass and estimate (see [`Idan`]).
    #[inline(always)]
    fn pixel(
        &self,
        grid: &mut Grid,
        inten: &[f64],
        raw: &[f64],
        centre: usize,
        generation: u32,
        z: f64,
    ) -> f64 {
        let sv2 = 1.0 / self.looks;
        let sv = sv2.sqrt();
        let (t1, t2) = (2.0 / 3.0 * sv, 2.0 * sv);
        let accept = |i: f64, s: f64, t: f64| (i - s).abs() < t * s;
        // 1. seed: upper median of the valid 3 × 3
        let seed = grid.seed(inten, centre);
        // 2. growth
        grid.grow(centre, generation, self.region, |q| {
            let v = inten[q];
            (!v.is_nan()).then(|| accept(v, seed, t1))
        });
        let (region, background) = (&mut grid.region, &grid.background);

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
