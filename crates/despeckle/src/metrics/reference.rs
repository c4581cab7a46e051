//! Measures against a clean reference (`truth`): PSNR, SSIM and the mean bias.

use crate::error::{Error, Result};
use crate::sample::Sample;

use super::ssim::SsimRing;

/// Everything [`Reference`] measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReferenceMetrics {
    /// Pixels valid in both images.
    pub pixels: u64,
    /// The data range used by PSNR and SSIM.
    pub peak: f64,
    /// Mean squared error `mean((f − t)²)`.
    pub mse: f64,
    /// Peak signal-to-noise ratio `10 log₁₀(peak² / MSE)` in dB (`+∞` for equal images).
    pub psnr: f64,
    /// Mean structural similarity (scikit-image's defaults, [`mod@super::ssim`]).
    pub ssim: f64,
    /// Windows averaged by SSIM.
    pub ssim_windows: u64,
    /// Mean bias `mean(f − t)`.
    pub bias: f64,
    /// Relative mean bias `mean(f − t) / mean(t)`.
    pub relative_bias: f64,
}

/// One-pass measures of an estimate against a clean reference: rows of both fed in order with
/// [`Reference::add_rows`], then [`Reference::finish`]. A pixel counts where it is valid in
/// both images. Memory: a ring of 7 rows of both.
#[derive(Debug)]
pub struct Reference {
    width: usize,
    height: usize,
    peak: f64,
    nodata: Option<f64>,
    next_row: usize,
    n: f64,
    err: f64,
    err2: f64,
    truth_sum: f64,
    ssim: SsimRing,
    rows: (Vec<f64>, Vec<f64>),
}

impl Reference {
    /// Measures of `width × height` images whose values span `peak` (the data range of PSNR
    /// and SSIM: finite, > 0).
    pub fn new(width: usize, height: usize, peak: f64, nodata: Option<f64>) -> Result<Self> {
        if !(peak.is_finite() && peak > 0.0) {
            return Err(Error::param(
                "peak",
                format!("must be finite and > 0, got {peak}"),
            ));
        }
        Ok(Reference {
            width,
            height,
            peak,
            nodata,
            next_row: 0,
            n: 0.0,
            err: 0.0,
            err2: 0.0,
            truth_sum: 0.0,
            ssim: SsimRing::new(width, peak),
            rows: (vec![f64::NAN; width], vec![f64::NAN; width]),
        })
    }

    /// Adds the next whole rows of the reference (`truth`) and of the `estimate`.
    pub fn add_rows<T: Sample>(&mut self, truth: &[T], estimate: &[T]) -> Result<()> {
        let w = self.width.max(1);
        if truth.len() != estimate.len() || !truth.len().is_multiple_of(w) {
            return Err(Error::InvalidImage(format!(
                "rows of {} and {} values do not make whole rows of {} pixels for both images",
                truth.len(),
                estimate.len(),
                self.width
            )));
        }
        if self.width == 0 {
            return Ok(());
        }
        if self.next_row + truth.len() / w > self.height {
            return Err(Error::InvalidImage(format!(
                "more rows than the image's {}",
                self.height
            )));
        }
        let ok = crate::estimate::validity::<T>(self.nodata);
        for (a, b) in truth.chunks_exact(w).zip(estimate.chunks_exact(w)) {
            for x in 0..w {
                let (t, f) = (a[x].to_f64(), b[x].to_f64());
                if ok(t) && ok(f) {
                    let d = f - t;
                    self.n += 1.0;
                    self.err += d;
                    self.err2 += d * d;
                    self.truth_sum += t;
                    self.rows.0[x] = t;
                    self.rows.1[x] = f;
                } else {
                    self.rows.0[x] = f64::NAN;
                    self.rows.1[x] = f64::NAN;
                }
            }
            self.ssim.add_row(&self.rows.0, &self.rows.1);
            self.next_row += 1;
        }
        Ok(())
    }

    /// The measures. Fails unless every row was given.
    pub fn finish(self) -> Result<ReferenceMetrics> {
        if self.next_row != self.height {
            return Err(Error::InvalidImage(format!(
                "{} of {} rows given",
                self.next_row, self.height
            )));
        }
        let mse = self.err2 / self.n;
        let (ssim, ssim_windows) = self.ssim.finish();
        Ok(ReferenceMetrics {
            pixels: self.n as u64,
            peak: self.peak,
            mse,
            psnr: 10.0 * (self.peak * self.peak / mse).log10(),
            ssim,
            ssim_windows,
            bias: self.err / self.n,
            relative_bias: self.err / self.truth_sum,
        })
    }
}
