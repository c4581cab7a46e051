//! The streaming local-statistics engine and the interface every filter plugs into.
//!
//! Rows are processed top to bottom. The engine keeps a ring of the `size` padded rows of the
//! current window (values as `f64` with no-data replaced by 0, and a validity mask), per-column
//! sums `N[c]`, `Σx[c]`, `Σx²[c]` over the rows of the window, updated by adding the entering row
//! and subtracting the leaving one, and then sums `size` adjacent column sums for each pixel:
//! directly (eight pixels per SIMD step) for windows up to 15 wide, as a sliding running sum
//! for wider ones.
//! Both running sums are recomputed from the ring at fixed absolute positions (every
//! [`REFRESH_ROWS`] rows and every [`REFRESH_COLS`] columns), which bounds rounding drift and
//! makes every sum a function of the pixel position only — so results are bit-identical whatever
//! the split of the image into bands, the thread count, or the driver.
//!
//! Work per pixel is O(1) in the window size (plus `size / REFRESH_*` for the refreshes) beyond
//! 15 columns, at most 14 vector additions per eight pixels below; memory
//! is O(width × size) per worker.

mod band;
pub mod dispatch;
mod kernel;
mod planes;
pub(crate) mod ring;

mod sums;

pub(crate) use band::{BandIo, BandRun, Layout, run_band};
pub(crate) use kernel::Kernel;
pub use planes::{MultiFilter, PlanesContext, Validity};

use crate::sample::Sample;

/// Column sums are recomputed from the ring on every row whose index is a multiple of this.
///
/// Band and block boundaries of the drivers are multiples of it.
pub const REFRESH_ROWS: usize = 16;
/// Horizontal running window sums (windows wider than 15: narrower ones are summed directly)
/// are recomputed directly at every column that is a multiple of this.
pub const REFRESH_COLS: usize = 128;

/// A speckle filter: computes one output row from the window statistics and window values.
///
/// The engine calls [`Filter::filter_row`] once per output row with a [`RowContext`] holding,
/// for each pixel of the row, the number of valid pixels in its window and their sum and sum of
/// squares (`f64`), its own value, and a view of the window's raw values. Two kinds of filter
/// plug in the same way:
///
/// * functions of the window sums (mean, local statistics, Enhanced Lee, Lee, Kuan, Gamma MAP)
///   read `ctx.count`, `ctx.sum`, `ctx.sum_sq` and `ctx.centre`;
/// * functions of the window's values (Frost, median, Refined Lee, Lee Sigma) read
///   `ctx.window`.
///
/// Implementations should evaluate the row branch-free (compute every case, choose with
/// [`Real::select`](crate::Real::select)) in [`Sample::Lane`] precision, and be
/// `#[inline(always)]` so that the engine's CPU-feature dispatch (AVX2 where available)
/// reaches their maths. Output values at pixels whose own value is no-data are ignored: the
/// engine writes the input value back there.
pub trait Filter: Sync {
    /// The filter's name, as in the CLI (`enhanced-lee`, `mean`, …).
    fn name(&self) -> &'static str;

    /// Computes one output row (`out.len() == ctx.width()`).
    fn filter_row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]);

    /// Checks that the filter supports these options (e.g. Refined Lee's window sizes),
    /// with an [`Error::InvalidParameter`](crate::Error::InvalidParameter) naming the
    /// parameter and what is accepted. The default accepts everything.
    ///
    /// Callers should call it before filtering; a filter must still give a deterministic,
    /// documented result from [`Filter::filter_row`] for options it rejects here.
    fn check_options(&self, opts: &crate::Options) -> crate::Result<()> {
        let _ = opts;
        Ok(())
    }

    /// Most bytes [`Filter::filter_row`] allocates for one row of an image `width` wide with a
    /// `size` window, for the memory model ([`budget`](crate::budget)).
    ///
    /// The default allows eight `f64` rows of the padded width and three `f64` arrays of
    /// `(size + 2) × (size + 258)` (window-sized scratch processed 256 columns at a time);
    /// filters that need more must say so.
    fn scratch_bytes(&self, width: usize, size: usize) -> usize {
        8 * 8 * (width + size) + 24 * (size + 2) * (size + 258)
    }
}

/// What the engine knows about one output row, given to [`Filter::filter_row`].
///
/// All slices of per-pixel values have the image width; index `x` is the pixel in column `x`.
#[derive(Debug)]
pub struct RowContext<'a> {
    /// The row index in the image.
    pub y: usize,
    /// Every window of this row is entirely valid: every count is `size²`.
    pub all_valid: bool,
    /// Number of valid pixels in each pixel's window (an integer stored as `f64`).
    pub count: &'a [f64],
    /// Sum of the valid values in each pixel's window.
    pub sum: &'a [f64],
    /// Sum of the squares of the valid values in each pixel's window.
    pub sum_sq: &'a [f64],
    /// Each pixel's own value (0 where it is no-data).
    pub centre: &'a [f64],
    /// The raw window values.
    pub window: Window<'a>,
}

impl RowContext<'_> {
    /// The image width.
    pub fn width(&self) -> usize {
        self.centre.len()
    }
}

/// The window's raw values for a whole row of output pixels.
///
/// `values()[dy]` is the padded image row `y − h + dy` (`dy` in `0..size`), extended left and
/// right by `h = size / 2` columns according to the border mode: the window of output pixel `x`
/// covers indices `x .. x + size` of each of these rows. No-data and out-of-image (`shrink`)
/// positions hold 0 in `values()` and 0 in `valid()` (1 elsewhere).
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    values: &'a [&'a [f64]],
    valid: &'a [&'a [f64]],
}

impl<'a> Window<'a> {
    /// A window from its padded rows and their validity masks (as the engine builds them).
    pub(crate) fn new(values: &'a [&'a [f64]], valid: &'a [&'a [f64]]) -> Self {
        Window { values, valid }
    }

    /// The window's padded rows, top to bottom.
    pub fn values(&self) -> &'a [&'a [f64]] {
        self.values
    }

    /// The validity masks (1.0 valid, 0.0 no-data or outside) of the padded rows.
    pub fn valid(&self) -> &'a [&'a [f64]] {
        self.valid
    }

    /// The window side length.
    pub fn size(&self) -> usize {
        self.values.len()
    }

    /// The window radius `size / 2`.
    pub fn radius(&self) -> usize {
        self.values.len() / 2
    }
}

/// Window mean and variance of a whole row, in the filter's lane type: `mean[x] = μ`,
/// `var[x] = σ²` as in [`mean_variance`].
///
/// The sums are combined in `f64` (one division per pixel) and only then rounded to `L`, so a
/// filter's own maths can run in a separate loop of `L` lanes only (8 `f32` lanes with AVX2
/// rather than 4 when `f64` and `f32` share a loop).
#[inline(always)]
pub fn moments_row<L: crate::sample::Real>(
    ctx: &RowContext<'_>,
    ddof: u8,
    mean: &mut [L],
    var: &mut [L],
) {
    let w = mean.len().min(var.len()).min(ctx.width());
    let (n, s1, s2) = (&ctx.count[..w], &ctx.sum[..w], &ctx.sum_sq[..w]);
    let (mean, var) = (&mut mean[..w], &mut var[..w]);
    if ddof == 0 && ctx.all_valid {
        // every count is size²: one reciprocal for the row (the same value `1.0 / n[x]` gives)
        let inv = 1.0 / n.first().copied().unwrap_or(1.0);
        for x in 0..w {
            let mu = s1[x] * inv;
            mean[x] = L::from_f64(mu);
            var[x] = L::from_f64((s2[x] - s1[x] * mu).max(0.0) * inv);
        }
    } else if ddof == 0 {
        for x in 0..w {
            let inv = 1.0 / n[x];
            let mu = s1[x] * inv;
            mean[x] = L::from_f64(mu);
            var[x] = L::from_f64((s2[x] - s1[x] * mu).max(0.0) * inv);
        }
    } else {
        for x in 0..w {
            let (mu, v) = mean_variance(n[x], s1[x], s2[x], ddof as f64);
            mean[x] = L::from_f64(mu);
            var[x] = L::from_f64(v);
        }
    }
}

/// The one-pass sum of squared deviations `Σx² − μ·Σx` is trusted down to this fraction of
/// `Σx²`; below it (a spread under about 0.1 % of the level, or a constant window) it is
/// recomputed in two passes by [`deviation_sum`].
///
/// The one-pass form loses `log2(Σx² / Σ(x − μ)²)` bits to cancellation: with values near
/// 2³² and a spread of 30 its error is several times the variance itself. Below the threshold
/// at most 20 of the 53 bits are lost before the fallback takes over.
pub const CANCELLATION: f64 = 1.0 / (1u64 << 20) as f64;

/// Whether `Σx² − μ·Σx = ss` lost too many bits to cancellation (see [`CANCELLATION`]); all-zero
/// windows (`Σx² = 0`) are exact.
#[inline(always)]
pub fn cancelled(ss: f64, s2: f64) -> bool {
    ss <= s2 * CANCELLATION && s2 > 0.0
}

/// `Σ (x − μ)²` over the valid values of output pixel `x`'s window, summed directly (two-pass
/// variance: no cancellation beyond the rounding of each `x − μ`). `mu` is the window mean.
pub fn deviation_sum(window: &Window<'_>, x: usize, mu: f64) -> f64 {
    let size = window.size();
    let mut ss = 0.0;
    for (vals, ok) in window.values().iter().zip(window.valid()) {
        for (&v, &k) in vals[x..x + size].iter().zip(&ok[x..x + size]) {
            let d = (v - mu) * k;
            ss += d * d;
        }
    }
    ss
}

/// Window mean and variance from the sums: `μ = Σx / n`,
/// `σ² = max(0, Σx² − μ·Σx) / max(n − ddof, 1)` (0 when `n ≤ ddof`).
///
/// Computed in `f64`: the subtraction cancels when the variance is small beside `μ²`.
#[inline(always)]
pub fn mean_variance(n: f64, s1: f64, s2: f64, ddof: f64) -> (f64, f64) {
    let mu = s1 / n;
    let ss = (s2 - s1 * mu).max(0.0);
    let var = ss / (n - ddof).max(1.0);
    (mu, if n > ddof { var } else { 0.0 })
}
