//! The non-local (patch-based) filter: a weighted mean over a search window, with weights
//! from the similarity of the patches around the two pixels (Buades et al. 2005; for SAR,
//! Deledalle, Denis & Tupin's PPB 2009 and NL-SAR 2015).
//!
//! Cost per pixel: one pass over the `(W² − 1)/2` offsets of the positive half-window (each pair
//! computed once, added to both pixels), `O(1)` in `P` for the vertical patch sums (running
//! column sums) and `P + A` additions for the horizontal ones; all maths in `f32` lanes.

mod aligned;
mod chain;
mod maths;
mod pass;
mod pilot;

use crate::engine::{MultiFilter, PlanesContext};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::sample::Sample;
use chain::{Chain, Schedule};
use pass::{Geometry, Kind, Targets};

/// The non-local patch-based filter for `L`-look intensity images: two passes by default
/// (docs/nonlocal.md), one pass (the pilot) with [`Ppb::with_passes`]`(1)`.
///
/// Built with [`Ppb::new`] and the `with_*` setters; the engine's window size
/// ([`Options::size`]) is not used: the filter reads [`Ppb::reach`] pixels around each pixel.
///
/// One pass `Π(g; P, h)` (docs/filters.md, "Non-local"; docs/nonlocal.md §1) averages the
/// intensities `I` (extended by the border mode) over the `W × W` search window, comparing a
/// guide `g` (logs), with patch `P × P`, aggregation `A × A`, `τ = 30`, `ε = 2⁻¹²⁶`:
///
/// * per position and search offset `d`: `e(q, d) = (g(q) − g(q + d))²` over valid pairs;
/// * patch dissimilarity `D(u, d) = P² · Σ_k e(u + k, d) / Σ_k n(u + k, d)` over the
///   `P × P` patch (`n` = 1 where both positions are valid);
/// * patch-pair weight `ω(u, d) = exp(−D/h)` when `D/h ≤ τ` (and some pair is valid), else 0;
/// * pixel-pair weight `w(s, d) = Σ_{j ∈ A × A} ω(s − j, d)` (every patch pair that holds `s`
///   and `s + d` at the same place), 0 unless both pixels are valid;
/// * estimate `R̂(s) = (M·I(s) + Σ_d w·I(s + d)) / (M + Σ_d w)`, `M = max_d w(s, d)` (the
///   centre weighs as much as its most similar other pixel), `R̂(s) = I(s)` when no weight is
///   positive.
///
/// Pass 1 (the pilot `R₁`): guide `g₁ = ln max(B, ε)`, `B` the mean of the valid values of the
/// `b × b` window (`b = 1`: the pixel itself), patch `P₁`, `h₁ = c₁ · P₁² · 2ψ₁(b²L)` (`c₁` the
/// strength, default 0.35; `2ψ₁(b²L)` the mean of `e` on pure `L`-look speckle), or given. With
/// two passes it also gives each pilot value a log-variance `v = (1/E + 1/E₀)/L` from the ENL
/// of its weights `E = (M + S)²/(M² + Σ w²)` (`E₀ = 50`; `v = 1/(E₀·L)` when `M + S = 0`),
/// and `u² = 1/(2v)`.
/// Pass 2: guide `g₂ = ln max(R₁, ε)` (the pilot and its `u²`, extended by the same border
/// mode), `e(q, d) = (g₂(q) − g₂(q + d))² · max(u²(q), u²(q + d))`, patch `P₂`, weight
/// `exp(−max(D − φ·P₂², 0)/h₂)` (`φ = 1.5`), `h₂ = f · P₂²` (`f` the strength, default 0.7), or
/// given. Both passes run in one stream, pass 1 a few rows ahead of pass 2.
///
/// Point targets ([`Ppb::with_targets`], `p` = 1e−5 by default): pass 1 returns `I(s)`
/// unchanged where `I(s) > κ · R₋(s)`, `R₋ = Σ_d w·I(s + d) / Σ_d w` the weighted mean of the
/// pixels outside the `3 × 3` neighbourhood of `s` (`max(|d_y|, |d_x|) ≥ 2`; so the pixels of
/// a small cluster do not raise each other's) and `κ` the upper `p` quantile of `L`-look
/// speckle (`κ = −ln p` for `L = 1`), and where no pixel outside that neighbourhood has a
/// positive weight, with `v = 1/(E₀·L)`; pass 2 returns unchanged every pixel pass 1 returned
/// unchanged.
///
/// ```
/// use despeckle::{ImageMut, ImageRef, Options, Ppb};
/// let img: Vec<f32> = (0..40 * 30).map(|i| 1.0 + (i % 7) as f32).collect();
/// let mut out = vec![0.0f32; img.len()];
/// let f = Ppb::new(1.0)?.with_search(7)?.with_patch(3)?.with_patch2(3)?;
/// despeckle::filter_planes(
///     &f,
///     &[ImageRef::new(&img, 40, 30)?],
///     &mut [ImageMut::new(&mut out, 40, 30)?],
///     &Options::new(3)?,
/// )?;
/// # Ok::<(), despeckle::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ppb {
    looks: f64,
    passes: usize,
    search: usize,
    patch: usize,
    aggregation: usize,
    presmooth: usize,
    strength: f64,
    h: Option<f64>,
    patch2: usize,
    strength2: f64,
    h2: Option<f64>,
    targets: f64,
    /// `κ` for `looks` and `targets` ([`Ppb::target_ratio`]), found once where either is set:
    /// a bisection, which every geometry query would otherwise repeat.
    kappa: f64,
}

/// The point-target rule's default false-alarm probability ([`Ppb::with_targets`]).
const DEFAULT_TARGETS: f64 = 1e-5;

fn check_odd(name: &'static str, v: usize, min: usize, max: usize) -> Result<usize> {
    if v % 2 == 1 && (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(Error::param(
            name,
            format!("{name} must be odd, {min} … {max}, got {v}"),
        ))
    }
}

/// `κ` for `looks` and the point-target rule's probability `p`: `P(X > κ) = p` for `L`-look
/// intensity speckle; `∞` when `p = 0` (no rule).
fn target_ratio(looks: f64, p: f64) -> f64 {
    if p > 0.0 {
        super::gamma_dist::intensity_upper_quantile(looks, p)
    } else {
        f64::INFINITY
    }
}

fn check_positive(name: &'static str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(Error::param(
            name,
            format!("{name} must be a finite number > 0, got {v}"),
        ))
    }
}

impl Ppb {
    /// The filter for `looks`-look intensities (> 0) with the defaults: two passes, `W = 23`,
    /// `A = 3`; pass 1 `P₁ = 7`, `b = 3`, strength 0.35; pass 2 `P₂ = 5`, strength 0.7.
    pub fn new(looks: f64) -> Result<Self> {
        let looks = super::check_looks(looks)?;
        Ok(Ppb {
            looks,
            passes: 2,
            search: 23,
            patch: 7,
            aggregation: 3,
            presmooth: 3,
            strength: 0.35,
            h: None,
            patch2: 5,
            strength2: 0.7,
            h2: None,
            targets: DEFAULT_TARGETS,
            kappa: target_ratio(looks, DEFAULT_TARGETS),
        })
    }

    /// The number of passes: 1 (the pilot alone) or 2 (default).
    pub fn with_passes(mut self, passes: usize) -> Result<Self> {
        if !(1..=2).contains(&passes) {
            return Err(Error::param(
                "passes",
                format!("passes must be 1 or 2, got {passes}"),
            ));
        }
        self.passes = passes;
        Ok(self)
    }

    /// The search window side `W` (odd, 3 … 101), both passes.
    pub fn with_search(mut self, search: usize) -> Result<Self> {
        self.search = check_odd("search", search, 3, 101)?;
        Ok(self)
    }

    /// Pass 1's patch side `P₁` (odd, 1 … 51).
    pub fn with_patch(mut self, patch: usize) -> Result<Self> {
        self.patch = check_odd("patch", patch, 1, 51)?;
        Ok(self)
    }

    /// The aggregation side `A` (odd, 1 … 9; 1: no aggregation), both passes.
    pub fn with_aggregation(mut self, aggregation: usize) -> Result<Self> {
        self.aggregation = check_odd("aggregation", aggregation, 1, 9)?;
        Ok(self)
    }

    /// The side `b` of the local mean pass 1 compares (odd, 1 … 9; 1: the pixels).
    pub fn with_presmooth(mut self, presmooth: usize) -> Result<Self> {
        self.presmooth = check_odd("presmooth", presmooth, 1, 2 * pass::MAX_RB + 1)?;
        Ok(self)
    }

    /// The strength `c₁` of `h₁ = c₁ · P₁² · 2ψ₁(b²L)` (finite, > 0; larger smooths more).
    pub fn with_strength(mut self, strength: f64) -> Result<Self> {
        self.strength = check_positive("strength", strength)?;
        Ok(self)
    }

    /// Sets `h₁` directly (finite, > 0), overriding the strength; `None`: from the strength.
    pub fn with_h(mut self, h: Option<f64>) -> Result<Self> {
        self.h = h.map(|v| check_positive("h", v)).transpose()?;
        Ok(self)
    }

    /// Pass 2's patch side `P₂` (odd, 1 … 51).
    pub fn with_patch2(mut self, patch: usize) -> Result<Self> {
        self.patch2 = check_odd("patch2", patch, 1, 51)?;
        Ok(self)
    }

    /// The strength `f` of `h₂ = f · P₂²` (finite, > 0; larger smooths more). Pass 2 compares
    /// the pilot's logs relative to their variance, so `f` does not depend on `L`.
    pub fn with_strength2(mut self, strength: f64) -> Result<Self> {
        self.strength2 = check_positive("strength2", strength)?;
        Ok(self)
    }

    /// Sets `h₂` directly (finite, > 0), overriding `strength2`; `None`: from `strength2`.
    pub fn with_h2(mut self, h: Option<f64>) -> Result<Self> {
        self.h2 = h.map(|v| check_positive("h2", v)).transpose()?;
        Ok(self)
    }

    /// The point-target rule's false-alarm probability `p` (`0 ≤ p < 1`; 0: no rule, default
    /// 1e−5): pass 1 returns a pixel unchanged where its value exceeds `κ` times the weighted
    /// mean of the pixels outside its `3 × 3` neighbourhood (or none of them has a positive
    /// weight), `κ` the upper `p` quantile of `L`-look speckle ([`Ppb::target_ratio`]); pass 2
    /// returns the pixels pass 1 returned unchanged.
    pub fn with_targets(mut self, p: f64) -> Result<Self> {
        if !(0.0..1.0).contains(&p) {
            return Err(Error::param(
                "targets",
                format!("targets must be a probability, 0 ≤ p < 1 (0: off), got {p}"),
            ));
        }
        self.targets = p;
        self.kappa = target_ratio(self.looks, p);
        Ok(self)
    }

    /// The point-target ratio `κ` in use: `P(X > κ) = p` for `L`-look intensity speckle `X`
    /// (Gamma(`L`, rate `L`), mean 1); `∞` when the rule is off. `κ = −ln p` for `L = 1`
    /// (11.5 for the default `p = 1e−5`), 4.67 for `L = 4`.
    pub fn target_ratio(&self) -> f64 {
        self.kappa
    }

    /// The number of passes.
    pub fn passes(&self) -> usize {
        self.passes
    }

    /// Pass 1's filtering parameter `h₁` in use.
    pub fn h(&self) -> f64 {
        self.h.unwrap_or_else(|| {
            let p2 = (self.patch * self.patch) as f64;
            let b2 = (self.presmooth * self.presmooth) as f64;
            self.strength * p2 * 2.0 * maths::trigamma(b2 * self.looks)
        })
    }

    /// Pass 2's filtering parameter `h₂` in use.
    pub fn h2(&self) -> f64 {
        self.h2.unwrap_or_else(|| {
            let p2 = (self.patch2 * self.patch2) as f64;
            self.strength2 * p2
        })
    }

    fn schedule(&self) -> Schedule {
        let first = Geometry {
            rw: self.search / 2,
            rp: self.patch / 2,
            ra: self.aggregation / 2,
            rb: self.presmooth / 2,
            h: self.h(),
            targets: if self.targets > 0.0 {
                Targets::Ratio(self.kappa)
            } else {
                Targets::Off
            },
            kind: if self.passes == 2 {
                Kind::Pilot { looks: self.looks }
            } else {
                Kind::Alone
            },
        };
        let second = (self.passes == 2).then(|| Geometry {
            rp: self.patch2 / 2,
            rb: 0,
            h: self.h2(),
            kind: Kind::Second,
            targets: if self.targets > 0.0 {
                Targets::Pilot(maths::alone_scale(self.looks))
            } else {
                Targets::Off
            },
            ..first
        });
        Schedule { first, second }
    }

    /// How far (in pixels, along each axis) the output depends on the input around a pixel:
    /// pass 1's reach `W/2 + P₁/2 + A/2 + b/2` (16 with the defaults), plus with two passes the
    /// rows pass 1 runs ahead, pass 2's reach `W/2 + P₂/2 + A/2` (14): 30. (The filter works on
    /// tiles of 16 rows: its output lags 15 rows behind the rows it reads.)
    pub fn reach(&self) -> usize {
        self.schedule().reach()
    }

    /// Rows a band (or a tile) runs before its first output row so that the streamed state is
    /// complete there, before rounding its start down to a multiple of 16 (13 for one pass
    /// with the defaults, 58 for two). A tiling whose tiles overlap by
    /// `reach + warmup + 16` rows and columns gives the same bits as the whole image.
    pub fn warmup(&self) -> usize {
        self.schedule().warmup()
    }
}

/// The state of a band: the chained passes of each plane.
#[derive(Debug)]
pub struct PpbState {
    planes: Vec<Chain>,
    row: Vec<f64>,
}

impl MultiFilter for Ppb {
    type State = PpbState;

    fn name(&self) -> &'static str {
        "ppb"
    }

    fn output_planes(&self, planes: usize) -> Result<usize> {
        Ok(planes)
    }

    fn radius(&self, _opts: &Options) -> usize {
        self.schedule().radius()
    }

    fn warmup(&self, _opts: &Options) -> usize {
        Ppb::warmup(self)
    }

    fn delay(&self, _opts: &Options) -> usize {
        self.schedule().delay()
    }

    fn uses_sums(&self) -> bool {
        false
    }

    /// The blocks of 512, 384 or 256 columns of a tile (`pass::block_width`), which run on the
    /// workers.
    fn column_tasks(&self, width: usize, opts: &Options) -> usize {
        width.div_ceil(pass::block_width(width, pass::workers(opts)))
    }

    fn state(&self, width: usize, planes: usize, opts: &Options) -> PpbState {
        let sched = self.schedule();
        PpbState {
            planes: (0..planes)
                .map(|_| Chain::new(sched, width, pass::workers(opts), opts.border()))
                .collect(),
            row: vec![0.0; width],
        }
    }

    #[inline(always)]
    fn filter_rows<T: Sample>(
        &self,
        state: &mut PpbState,
        ctx: &PlanesContext<'_>,
        out: &mut [Vec<T>],
    ) {
        for ((st, c), o) in state.planes.iter_mut().zip(ctx.planes).zip(out) {
            st.row_dispatched(c, ctx.y, ctx.height, &mut state.row);
            if ctx.output {
                for (o, &v) in o.iter_mut().zip(&state.row) {
                    *o = T::from_f64(v);
                }
            }
        }
    }

    fn scratch_bytes(&self, width: usize, _size: usize, planes: usize) -> usize {
        let sched = self.schedule();
        let r = sched.radius();
        planes * sched.state_bytes(width) + 8 * width + 16 * (width + 2 * r)
    }
}
