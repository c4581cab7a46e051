//! Quick-look PNG of an image streamed row by row, without holding the image.
//!
//! Rows are block-averaged on the fly (in the linear domain, no-data left out) to at most
//! `max_side` pixels on the long side; at the end the small image is shown in dB with a 2–98 %
//! percentile stretch found from a histogram (no sort), no-data pixels transparent.

use std::io::Write;
use std::path::Path;

use crate::outputs::{Outputs, PendingOutput};

/// A streaming block-average downsampler and PNG writer.
#[derive(Debug, Clone)]
pub struct QuickLook {
    width: usize,
    height: usize,
    factor: usize,
    out_w: usize,
    out_h: usize,
    nodata: Option<f64>,
    sum: Vec<f64>,
    count: Vec<u32>,
    /// Position of the next value.
    next_row: usize,
    next_col: usize,
}

/// Lower and upper percentiles of the dB stretch.
const STRETCH: (f64, f64) = (2.0, 98.0);
/// Histogram bins used to find the percentiles.
const BINS: usize = 1 << 14;

impl QuickLook {
    /// Reduction factor and size of the quick-look of a `width × height` image.
    fn shape(width: usize, height: usize, max_side: usize) -> (usize, usize, usize) {
        let factor = width.max(height).div_ceil(max_side.max(1)).max(1);
        (factor, width.div_ceil(factor), height.div_ceil(factor))
    }

    /// Bytes [`QuickLook::new`] allocates for these arguments (sums and counts; the PNG is
    /// made from them at the end).
    pub fn bytes(width: usize, height: usize, max_side: usize) -> usize {
        let (_, w, h) = Self::shape(width, height, max_side);
        // sums (f64), counts (u32), and the grey and alpha planes of the PNG with its
        // dB values (f64) made at the end
        w * h * (8 + 4 + 8 + 2)
    }

    /// A quick-look of a `width × height` image, at most `max_side` pixels on its long side;
    /// pixels equal to `nodata` (and NaN, ±∞, values ≤ 0, which have no dB value) are left
    /// out.
    pub fn new(width: usize, height: usize, max_side: usize, nodata: Option<f64>) -> QuickLook {
        let (factor, out_w, out_h) = Self::shape(width, height, max_side);
        QuickLook {
            width,
            height,
            factor,
            out_w,
            out_h,
            nodata,
            sum: vec![0.0; out_w * out_h],
            count: vec![0; out_w * out_h],
            next_row: 0,
            next_col: 0,
        }
    }

    /// The quick-look's size `(width, height)`.
    pub fn size(&self) -> (usize, usize) {
        (self.out_w, self.out_h)
    }

    /// Image pixels per quick-look pixel along each side.
    pub fn factor(&self) -> usize {
        self.factor
    }

    /// Adds the next rows (top to bottom, `width` values each).
    pub fn add_rows(&mut self, rows: impl IntoIterator<Item = f64>) {
        let mut x = self.next_col;
        let mut base = (self.next_row / self.factor) * self.out_w;
        for v in rows {
            if self.next_row >= self.height {
                break;
            }
            let keep = v.is_finite() && v > 0.0 && self.nodata != Some(v);
            if keep {
                let i = base + x / self.factor;
                self.sum[i] += v;
                self.count[i] += 1;
            }
            x += 1;
            if x == self.width {
                x = 0;
                self.next_row += 1;
                base = (self.next_row / self.factor) * self.out_w;
            }
        }
        self.next_col = x;
    }

    /// The block means, row-major (NaN where a block has no valid pixel).
    pub fn means(&self) -> Vec<f64> {
        self.sum
            .iter()
            .zip(&self.count)
            .map(|(&s, &n)| if n > 0 { s / n as f64 } else { f64::NAN })
            .collect()
    }

    /// The dB range `(lo, hi)` at the 2 % and 98 % percentiles of the block means, from a
    /// histogram; `None` when no block has a valid pixel.
    pub fn stretch(&self) -> Option<(f64, f64)> {
        let db: Vec<f64> = self
            .means()
            .into_iter()
            .filter(|m| m.is_finite())
            .map(|m| 10.0 * m.log10())
            .collect();
        percentiles(&db, STRETCH)
    }

    /// The grey levels (and alpha: 0 where no-data) of the quick-look, row-major.
    pub fn grey_alpha(&self) -> (Vec<u8>, Vec<u8>) {
        self.grey_alpha_in(self.stretch().unwrap_or((0.0, 1.0)))
    }

    /// [`QuickLook::grey_alpha`] with a given dB range `(lo, hi)` (e.g. another image's
    /// [`QuickLook::stretch`], to show several images on the same scale).
    pub fn grey_alpha_in(&self, (lo, hi): (f64, f64)) -> (Vec<u8>, Vec<u8>) {
        let span = (hi - lo).max(1e-9);
        let means = self.means();
        let grey = means
            .iter()
            .map(|&m| {
                if m.is_finite() {
                    (((10.0 * m.log10() - lo) / span).clamp(0.0, 1.0) * 255.0).round() as u8
                } else {
                    0
                }
            })
            .collect();
        let alpha = means
            .iter()
            .map(|m| if m.is_finite() { 255 } else { 0 })
            .collect();
        (grey, alpha)
    }

    /// Encodes the quick-look as PNG (grey, or grey + alpha when some block is no-data).
    pub fn encode_png(&self, out: impl Write) -> Result<(), png::EncodingError> {
        self.encode_png_in(out, self.stretch().unwrap_or((0.0, 1.0)))
    }

    /// [`QuickLook::encode_png`] with a given dB range.
    pub fn encode_png_in(
        &self,
        out: impl Write,
        range: (f64, f64),
    ) -> Result<(), png::EncodingError> {
        let (grey, alpha) = self.grey_alpha_in(range);
        let transparent = alpha.contains(&0);
        let mut enc = png::Encoder::new(out, self.out_w as u32, self.out_h as u32);
        enc.set_depth(png::BitDepth::Eight);
        let data = if transparent {
            enc.set_color(png::ColorType::GrayscaleAlpha);
            grey.iter()
                .zip(&alpha)
                .flat_map(|(&g, &a)| [g, a])
                .collect()
        } else {
            enc.set_color(png::ColorType::Grayscale);
            grey
        };
        let mut w = enc.write_header()?;
        w.write_image_data(&data)?;
        w.finish()
    }

    /// Writes the PNG to a temporary file beside `path` (one of `outputs`), to be renamed
    /// onto it by [`PendingOutput::commit`] (dropping it removes the temporary file).
    pub fn write_pending(&self, outputs: &Outputs, path: &Path) -> crate::Result<PendingOutput> {
        let mut pending = outputs.create(path)?;
        let mut w = std::io::BufWriter::new(pending.file());
        let written = self
            .encode_png(&mut w)
            .map_err(std::io::Error::other)
            .and_then(|()| w.flush());
        drop(w);
        written.map_err(|e| pending.write_error(e))?;
        Ok(pending)
    }
}

/// The `(lo, hi)` percentiles of `values` from a histogram of [`BINS`] bins between their
/// minimum and maximum (exact to a bin width; no sort).
fn percentiles(values: &[f64], (plo, phi): (f64, f64)) -> Option<(f64, f64)> {
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for &v in values {
        min = min.min(v);
        max = max.max(v);
    }
    if values.is_empty() {
        return None;
    }
    if max <= min {
        return Some((min, min + 1.0));
    }
    let scale = (BINS - 1) as f64 / (max - min);
    let mut hist = vec![0u64; BINS];
    for &v in values {
        hist[((v - min) * scale) as usize] += 1;
    }
    let n = values.len() as f64;
    let at = |p: f64| {
        let want = (p / 100.0 * n).ceil().max(1.0) as u64;
        let mut acc = 0;
        for (i, &c) in hist.iter().enumerate() {
            acc += c;
            if acc >= want {
                return min + (i as f64 + 0.5) / scale;
            }
        }
        max
    };
    Some((at(plo), at(phi)))
}
