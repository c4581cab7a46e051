//! The pilot of the two-pass filter: the rows pass 1 produced, kept as pass 2's guide
//! (`ln max(R₁, ε)`) and its scales `u²` (a second channel of the same rows), extended by the
//! border mode (docs/nonlocal.md §3).
//!
//! Columns are extended explicitly by the border mode, both channels alike. Rows outside the image: with `reflect`,
//! `mirror` and `wrap` the extended input is symmetric (or periodic) about the image's edges,
//! so pass 1 run on the extended input at an outside row *is* the pilot's extension there (in
//! exact arithmetic); those rows are pass 1's own. With `nearest`, `constant:K` and `shrink`
//! the outside rows are the edge row, `ln K` and nothing, as the definition says (the scale of
//! `K`: that of a value with no noise left, `E₀·L/2`).

use super::maths;
use crate::border::{Border, Source};

/// A ring of pilot rows, each padded by `pad` columns on both sides.
#[derive(Debug)]
pub(crate) struct Pilot {
    border: Border,
    width: usize,
    pad: usize,
    /// The image height (rows outside `0..height` follow the border mode).
    pub height: usize,
    rows: Vec<Vec<f32>>,
    /// The scales `u²` of the same rows.
    scales: Vec<Vec<f32>>,
    /// The absolute row each slot holds (`isize::MIN`: none).
    ids: Vec<isize>,
    /// `ln max(K, ε)` everywhere (`constant:K`), and its scale.
    constant: Vec<f32>,
    constant_scale: Vec<f32>,
    /// Zeros (no valid position: `shrink`).
    zeros: Vec<f32>,
}

impl Pilot {
    /// A ring of `slots` rows of an image `width` wide, padded by `pad` columns; `scale`: the
    /// `u²` of the border's constant.
    pub fn new(border: Border, width: usize, pad: usize, slots: usize, scale: f32) -> Self {
        let wp = width + 2 * pad;
        let k = match border {
            Border::Constant(k) => maths::log_floor_wide(k),
            _ => 0.0,
        };
        Pilot {
            border,
            width,
            pad,
            height: 0,
            rows: vec![vec![0.0; wp]; slots],
            scales: vec![vec![0.0; wp]; slots],
            ids: vec![isize::MIN; slots],
            constant: vec![k; wp],
            constant_scale: vec![scale; wp],
            zeros: vec![0.0; wp],
        }
    }

    /// Bytes of a pilot ring.
    pub fn bytes(width: usize, pad: usize, slots: usize) -> usize {
        4 * 2 * (slots + 2) * (width + 2 * pad)
    }

    /// Whether pass 1's rows outside the image are the pilot's extension (`reflect`, `mirror`,
    /// `wrap`), rather than rows taken from inside or constants.
    pub fn extends_by_itself(&self) -> bool {
        matches!(self.border, Border::Reflect | Border::Mirror | Border::Wrap)
    }

    fn slot(&self, r: isize) -> usize {
        r.rem_euclid(self.rows.len() as isize) as usize
    }

    /// Stores pass 1's estimates `est` and scales `scales` (the image's columns) as row `r`.
    pub fn push(&mut self, r: isize, est: &[f64], scales: &[f32]) {
        let s = self.slot(r);
        self.ids[s] = r;
        let (pad, width) = (self.pad, self.width);
        let (row, srow) = (&mut self.rows[s], &mut self.scales[s]);
        for (g, &e) in row[pad..pad + width].iter_mut().zip(est) {
            *g = maths::log_floor_wide(e);
        }
        srow[pad..pad + width].copy_from_slice(scales);
        for j in 0..pad {
            for (pos, i) in [
                (j, j as isize - pad as isize),
                (pad + width + j, (width + j) as isize),
            ] {
                (row[pos], srow[pos]) = match self.border.map(i, width) {
                    Source::Inside(k) => (row[pad + k], srow[pad + k]),
                    Source::Constant => (self.constant[0], self.constant_scale[0]),
                    Source::Outside => (0.0, 0.0),
                };
            }
        }
    }

    /// Row `r` of the extended pilot (padded): the logs and the scales.
    pub fn row(&self, r: isize) -> (&[f32], &[f32]) {
        let r = if self.extends_by_itself() || (0..self.height as isize).contains(&r) {
            r
        } else {
            match self.border.map(r, self.height) {
                Source::Inside(m) => m as isize,
                Source::Constant => return (&self.constant, &self.constant_scale),
                Source::Outside => return (&self.zeros, &self.zeros),
            }
        };
        let s = self.slot(r);
        assert_eq!(self.ids[s], r, "pilot row {r} not computed");
        (&self.rows[s], &self.scales[s])
    }
}
