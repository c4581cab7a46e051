//! Padded rows and the ring of the rows of the current window.

use crate::border::{Border, Source};
use crate::sample::Sample;

/// How input samples become window values: validity test and border completion.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowBuilder {
    pub width: usize,
    pub height: usize,
    pub radius: usize,
    pub border: Border,
    /// The no-data value as the image type represents it.
    pub nodata: Option<f64>,
}

impl RowBuilder {
    /// Length of a padded row.
    pub fn padded_width(&self) -> usize {
        self.width + 2 * self.radius
    }

    /// Whether a sample counts in window statistics.
    #[inline(always)]
    pub fn is_valid(&self, x: f64) -> bool {
        // NaN never compares equal: a missing no-data value excludes nothing more.
        x.is_finite() & (x != self.nodata.unwrap_or(f64::NAN))
    }

    /// The border's constant as a (value, validity) pair.
    fn constant(&self) -> (f64, f64) {
        match self.border {
            Border::Constant(c) if self.is_valid(c) => (c, 1.0),
            _ => (0.0, 0.0),
        }
    }

    /// Where window row `p` (an image row index, possibly outside `0..height`) comes from.
    pub fn source_row(&self, p: isize) -> Source {
        self.border.map(p, self.height)
    }

    /// Fills `vals`/`valid` (padded width) for window row `p`, reading image rows via `read`;
    /// returns whether every position is valid.
    ///
    /// `valid_is_ones`: `valid` already holds 1 everywhere (it last held a fully valid row).
    /// The image part of `valid` is then only rewritten if this row has an invalid sample, so
    /// a stream of fully valid rows writes values only.
    #[inline(always)]
    pub fn build<'a, T: Sample>(
        &self,
        p: isize,
        vals: &mut [f64],
        valid: &mut [f64],
        valid_is_ones: bool,
        read: impl FnOnce(usize) -> Option<&'a [T]>,
    ) -> bool {
        let src = match self.source_row(p) {
            Source::Inside(m) => read(m),
            Source::Constant => None,
            Source::Outside => {
                vals.fill(0.0);
                valid.fill(0.0);
                return false;
            }
        };
        let Some(src) = src else {
            let (c, v) = self.constant();
            vals.fill(c);
            valid.fill(v);
            return v == 1.0;
        };
        let h = self.radius;
        let inner_vals = &mut vals[h..h + self.width];
        let inner_valid = &mut valid[h..h + self.width];
        let nodata = self.nodata.unwrap_or(f64::NAN);
        // finite: |x| ≤ MAX is false for NaN and ±∞
        let good = |x: f64| (x.abs() <= f64::MAX) & (x != nodata);
        let mut all = true;
        for (v, &s) in inner_vals.iter_mut().zip(src) {
            let x = s.to_f64();
            *v = if good(x) { x } else { 0.0 };
            all &= good(x);
        }
        if !all {
            for (ok, &s) in inner_valid.iter_mut().zip(src) {
                *ok = if good(s.to_f64()) { 1.0 } else { 0.0 };
            }
        } else if !valid_is_ones {
            inner_valid.fill(1.0);
        }
        let (c, cv) = self.constant();
        for j in 0..h {
            for (pos, i) in [
                (j, j as isize - h as isize),
                (h + self.width + j, (self.width + j) as isize),
            ] {
                let (v, ok) = match self.border.map(i, self.width) {
                    Source::Inside(k) => (vals[h + k], valid[h + k]),
                    Source::Constant => (c, cv),
                    Source::Outside => (0.0, 0.0),
                };
                vals[pos] = v;
                valid[pos] = ok;
                all &= ok == 1.0;
            }
        }
        all
    }
}

/// The padded rows of the current window, stored by window row index modulo `size`.
#[derive(Debug)]
pub(crate) struct Ring {
    pub vals: Vec<Vec<f64>>,
    pub valid: Vec<Vec<f64>>,
    /// Whether every position of the slot's row is valid.
    pub full: Vec<bool>,
}

impl Ring {
    pub fn new(size: usize, padded_width: usize) -> Self {
        Ring {
            vals: vec![vec![0.0; padded_width]; size],
            valid: vec![vec![0.0; padded_width]; size],
            full: vec![false; size],
        }
    }

    /// The slot holding window row `p`.
    #[inline]
    pub fn slot(&self, p: isize) -> usize {
        p.rem_euclid(self.vals.len() as isize) as usize
    }
}
