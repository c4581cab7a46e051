//! The non-local (patch-based) filter: a weighted mean over a search window, with weights
//! from the similarity of the patches around the two pixels (Buades et al. 2005; for SAR,
//! Deledalle, Denis & Tupin's PPB 2009 and NL-SAR 2015).
//!
//! Cost per pixel: one pass over the `(W² − 1)/2` offsets of the positive half-window (each pair
//! computed once, added to both pixels), `O(1)` in `P` for the vertical patch sums (running
//! column sums) and `P + A` additions for the horizontal ones; all maths in `f32` lanes.

mod maths;
mod stream;

use crate::engine::{MultiFilter, PlanesContext};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::sample::Sample;
use stream::{Geometry, PassState};

/// The non-local (PPB-type) patch-based filter for `L`-look intensity images.
///
/// Built with [`Ppb::new`] and the `with_*` setters; the engine's window size
/// ([`Options::size`]) is not used: the filter reads `W/2 + P/2 + A/2 + b/2` pixels around
/// each pixel ([`Ppb::reach`]).
///
/// Definition (docs/filters.md, "Non-local, PPB-type"; docs/nonlocal.md), for an `L`-look
/// intensity image `I` extended by the border mode, search window `W × W`, patch `P × P`,
/// aggregation `A × A`, guide pre-smoothing `b × b`, `τ = 30`, `ε = 2⁻¹²⁶`:
///
/// * guide `g(u) = ln max(B(u), ε)`, `B` the mean of the valid values of the `b × b` window
///   (`b = 1`: the pixel itself);
/// * per position and search offset `d`: `e(q, d) = (g(q) − g(q + d))²` over valid pairs;
/// * patch dissimilarity `D(u, d) = P² · Σ_k e(u + k, d) / Σ_k n(u + k, d)` over the
///   `P × P` patch (`n` = 1 where both positions are valid);
/// * patch-pair weight `ω(u, d) = exp(−D/h)` when `D/h ≤ τ` (and some pair is valid), else 0;
/// * pixel-pair weight `w(s, d) = Σ_{j ∈ A × A} ω(s − j, d)` (every patch pair that holds `s`
///   and `s + d` at the same place), 0 unless both pixels are valid;
/// * estimate `R̂(s) = (M·I(s) + Σ_d w·I(s + d)) / (M + Σ_d w)`, `M = max_d w(s, d)` (the
///   centre weighs as much as its most similar other pixel), `R̂(s) = I(s)` when no weight is
///   positive;
/// * `h = c · P² · 2ψ₁(b²L)` (`c` the strength, default 0.4; `2ψ₁(b²L)` the mean of `e` on
///   pure `L`-look speckle), or given directly.
///
/// ```
/// use despeckle::{ImageMut, ImageRef, Options, Ppb};
/// let img: Vec<f32> = (0..40 * 30).map(|i| 1.0 + (i % 7) as f32).collect();
/// let mut out = vec![0.0f32; img.len()];
/// let f = Ppb::new(1.0)?.with_search(7)?.with_patch(3)?;
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
    search: usize,
    patch: usize,
    aggregation: usize,
    presmooth: usize,
    strength: f64,
    h: Option<f64>,
}

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

impl Ppb {
    /// The filter for `looks`-look intensities (> 0) with the defaults `W = 21`, `P = 7`,
    /// `A = 3`, `b = 3`, strength 0.4.
    pub fn new(looks: f64) -> Result<Self> {
        Ok(Ppb {
            looks: super::check_looks(looks)?,
            search: 21,
            patch: 7,
            aggregation: 3,
            presmooth: 3,
            strength: 0.4,
            h: None,
        })
    }

    /// The search window side `W` (odd, 3 … 101).
    pub fn with_search(mut self, search: usize) -> Result<Self> {
        self.search = check_odd("search", search, 3, 101)?;
        Ok(self)
    }

    /// The patch side `P` (odd, 1 … 51).
    pub fn with_patch(mut self, patch: usize) -> Result<Self> {
        self.patch = check_odd("patch", patch, 1, 51)?;
        Ok(self)
    }

    /// The aggregation side `A` (odd, 1 … 9; 1: no aggregation).
    pub fn with_aggregation(mut self, aggregation: usize) -> Result<Self> {
        self.aggregation = check_odd("aggregation", aggregation, 1, 9)?;
        Ok(self)
    }

    /// The side `b` of the local mean the patches compare (odd, 1 … 9; 1: the pixels).
    pub fn with_presmooth(mut self, presmooth: usize) -> Result<Self> {
        self.presmooth = check_odd("presmooth", presmooth, 1, 9)?;
        Ok(self)
    }

    /// The strength `c` of `h = c · P² · 2ψ₁(b²L)` (finite, > 0; larger smooths more).
    pub fn with_strength(mut self, strength: f64) -> Result<Self> {
        if !(strength.is_finite() && strength > 0.0) {
            return Err(Error::param(
                "strength",
                format!("strength must be a finite number > 0, got {strength}"),
            ));
        }
        self.strength = strength;
        Ok(self)
    }

    /// Sets `h` directly (finite, > 0), overriding the strength; `None`: from the strength.
    pub fn with_h(mut self, h: Option<f64>) -> Result<Self> {
        if let Some(v) = h
            && !(v.is_finite() && v > 0.0)
        {
            return Err(Error::param(
                "h",
                format!("h must be a finite number > 0, got {v}"),
            ));
        }
        self.h = h;
        Ok(self)
    }

    /// The filtering parameter `h` in use.
    pub fn h(&self) -> f64 {
        self.h.unwrap_or_else(|| {
            let p2 = (self.patch * self.patch) as f64;
            let b2 = (self.presmooth * self.presmooth) as f64;
            self.strength * p2 * 2.0 * maths::trigamma(b2 * self.looks)
        })
    }

    fn geometry(&self) -> Geometry {
        Geometry {
            rw: self.search / 2,
            rp: self.patch / 2,
            ra: self.aggregation / 2,
            rb: self.presmooth / 2,
            h: self.h(),
        }
    }

    /// How far (in pixels, along each axis) an output pixel depends on the input:
    /// `W/2 + P/2 + A/2 + b/2` (15 with the defaults). The halo a tiling needs.
    pub fn reach(&self) -> usize {
        self.geometry().radius()
    }
}

/// The state of a band: one pass per plane.
#[derive(Debug)]
pub struct PpbState {
    planes: Vec<PassState>,
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
        self.reach()
    }

    fn warmup(&self, _opts: &Options) -> usize {
        self.geometry().warmup()
    }

    fn uses_sums(&self) -> bool {
        false
    }

    fn state(&self, width: usize, planes: usize, _opts: &Options) -> PpbState {
        let geo = self.geometry();
        PpbState {
            planes: (0..planes).map(|_| PassState::new(geo, width)).collect(),
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
            st.row(c, ctx.y, &mut state.row);
            if ctx.output {
                for (o, &v) in o.iter_mut().zip(&state.row) {
                    *o = T::from_f64(v);
                }
            }
        }
    }

    fn scratch_bytes(&self, width: usize, _size: usize, planes: usize) -> usize {
        let geo = self.geometry();
        planes * geo.state_bytes(width) + 8 * width + 16 * (width + 2 * geo.radius())
    }
}
