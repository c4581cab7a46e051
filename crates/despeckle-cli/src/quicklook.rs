//! Quick-look images: intensities on a dB scale with a percentile stretch, as 8-bit PNG.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use crate::output::write_atomic;

/// The dB values (`10·log10`) at the `lo` and `hi` percentiles of the positive finite pixels.
pub fn db_stretch(pixels: &[f32], lo: f64, hi: f64) -> Option<(f64, f64)> {
    let mut db: Vec<f64> = pixels
        .iter()
        .filter(|v| v.is_finite() && **v > 0.0)
        .map(|&v| 10.0 * (v as f64).log10())
        .collect();
    if db.is_empty() {
        return None;
    }
    db.sort_by(f64::total_cmp);
    let at = |p: f64| db[((db.len() - 1) as f64 * p / 100.0).round() as usize];
    Some((at(lo), at(hi)))
}

/// One pixel as a grey level: dB mapped linearly from `range` to 0–255 (non-positive or
/// non-finite values black).
fn grey(v: f32, (lo, hi): (f64, f64)) -> u8 {
    if !(v.is_finite() && v > 0.0) {
        return 0;
    }
    let db = 10.0 * (v as f64).log10();
    (((db - lo) / (hi - lo).max(1e-9)).clamp(0.0, 1.0) * 255.0).round() as u8
}

/// Writes images of equal size side by side (with a 4-pixel white gap) as one grey PNG, all
/// with the same dB range.
pub fn write_side_by_side(
    path: &Path,
    images: &[&[f32]],
    width: usize,
    height: usize,
    range: (f64, f64),
    overwrite: bool,
) -> Result<()> {
    const GAP: usize = 4;
    let total_w = images.len() * width + (images.len().saturating_sub(1)) * GAP;
    let mut buf = vec![255u8; total_w * height];
    for (k, img) in images.iter().enumerate() {
        let x0 = k * (width + GAP);
        for y in 0..height {
            for x in 0..width {
                buf[y * total_w + x0 + x] = grey(img[y * width + x], range);
            }
        }
    }
    // (images made in memory: the bundled sample, no input file)
    write_atomic(path, &[], overwrite, |w| {
        encode(&buf, total_w, height, &mut *w)?;
        w.flush()?;
        Ok(())
    })
}

/// Encodes 8-bit grey levels as PNG.
fn encode(grey: &[u8], width: usize, height: usize, out: impl Write) -> Result<()> {
    let mut enc = png::Encoder::new(out, width as u32, height as u32);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().context("PNG header")?;
    writer.write_image_data(grey).context("PNG data")?;
    writer.finish().context("PNG end")?;
    Ok(())
}

/// One image as a grey PNG in memory, dB mapped from `range` to 0–255.
pub fn encode_grey(
    pixels: &[f32],
    width: usize,
    height: usize,
    range: (f64, f64),
) -> Result<Vec<u8>> {
    let grey: Vec<u8> = pixels.iter().map(|&v| grey(v, range)).collect();
    let mut png = Vec::new();
    encode(&grey, width, height, &mut png)?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretch_and_grey_levels() {
        let px: Vec<f32> = (1..=100).map(|i| i as f32).collect();
        let (lo, hi) = db_stretch(&px, 0.0, 100.0).unwrap();
        assert!((lo - 0.0).abs() < 1e-12 && (hi - 20.0).abs() < 1e-12);
        assert_eq!(grey(1.0, (lo, hi)), 0);
        assert_eq!(grey(100.0, (lo, hi)), 255);
        assert_eq!(grey(0.0, (lo, hi)), 0);
        assert_eq!(grey(f32::NAN, (lo, hi)), 0);
        assert!(db_stretch(&[0.0, f32::NAN], 2.0, 98.0).is_none());
    }
}
