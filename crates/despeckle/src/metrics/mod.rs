//! Quality measures of a speckle filter's output, computed in one streaming pass with
//! bounded memory (definitions, formulas and references in `docs/metrics.md`).
//!
//! * Without a clean reference, [`NoReference`]: equivalent number of looks (ENL), speckle
//!   suppression index (SSI), mean preservation ratio, edge preservation index (EPI) over the
//!   whole image, over given [`Region`]s and over automatically found homogeneous blocks
//!   ([`homogeneous`]), statistics of the ratio image `input / output`, and the M index of
//!   Gomez, Ospina & Frery (2017) ([`MIndex`]).
//! * With a clean reference, [`Reference`]: PSNR, SSIM (as scikit-image's
//!   `structural_similarity`, module [`mod@ssim`]) and the mean bias.
//!
//! Both are accumulators: feed whole rows of the images top to bottom (any number at a
//! time), then `finish`. The functions below ([`enl`], [`speckle_suppression_index`],
//! [`mean_ratio`], [`edge_preservation_index`], [`assess`], [`psnr`], [`ssim()`],
//! [`compare_to_reference`]) run them on images in memory, so the streamed and in-memory
//! values are the same. No-data (NaN, ±∞ and an optional value) is skipped everywhere.
//!
//! `f` is the filtered image, `o` the original (input) image, `t` a clean reference.

pub mod cooccurrence;
pub mod homogeneous;
mod moments;
mod noref;
mod reference;
pub mod ssim;

pub use moments::{Moments, Region};
pub use noref::{HomogeneousMetrics, MIndex, NoReference, NoReferenceMetrics, RegionMetrics};
pub use reference::{Reference, ReferenceMetrics};

use crate::error::{Error, Result};
use crate::filters::Domain;
use crate::image::ImageRef;
use crate::sample::Sample;

/// Mean and population variance of the finite pixels of a region (`(NaN, NaN)` if none).
pub fn mean_variance<T: Sample>(img: &ImageRef<'_, T>, region: Region) -> (f64, f64) {
    let m = region_moments(img, region);
    (m.mean(), m.variance())
}

fn region_moments<T: Sample>(img: &ImageRef<'_, T>, region: Region) -> Moments {
    let r = region.clip(img.width(), img.height());
    let mut m = Moments::default();
    for y in r.y..r.y + r.height {
        for v in img.row(y)[r.x..r.x + r.width].iter().map(|v| v.to_f64()) {
            if v.is_finite() {
                m.add(v);
            }
        }
    }
    m
}

/// Equivalent number of looks of a homogeneous region: intensity `μ²/σ²`, amplitude
/// `(4/π − 1)·μ²/σ²` (population variance).
pub fn enl<T: Sample>(img: &ImageRef<'_, T>, region: Region, domain: Domain) -> f64 {
    region_moments(img, region).enl(domain)
}

/// [`NoReference`] over two images in memory: the whole image, `regions`, the homogeneous
/// blocks and the M index.
pub fn assess<T: Sample>(
    original: &ImageRef<'_, T>,
    filtered: &ImageRef<'_, T>,
    regions: &[Region],
    domain: Domain,
    nodata: Option<f64>,
) -> Result<NoReferenceMetrics> {
    let (w, h) = same_size(original, filtered)?;
    let mut acc = NoReference::new(w, h, regions, domain, nodata);
    for y in 0..h {
        acc.add_rows(original.row(y), filtered.row(y))?;
    }
    acc.finish()
}

fn same_size<T: Sample>(a: &ImageRef<'_, T>, b: &ImageRef<'_, T>) -> Result<(usize, usize)> {
    if (a.width(), a.height()) != (b.width(), b.height()) {
        return Err(Error::InvalidImage(format!(
            "the images differ in size: {} × {} and {} × {}",
            a.width(),
            a.height(),
            b.width(),
            b.height()
        )));
    }
    Ok((a.width(), a.height()))
}

fn one_region<T: Sample>(
    filtered: &ImageRef<'_, T>,
    original: &ImageRef<'_, T>,
    region: Region,
) -> RegionMetrics {
    match assess(original, filtered, &[region], Domain::Intensity, None) {
        Ok(m) => m.regions[0],
        Err(_) => RegionMetrics {
            region,
            pixels: 0,
            enl_input: f64::NAN,
            enl_output: f64::NAN,
            ssi: f64::NAN,
            mean_ratio: f64::NAN,
            epi: f64::NAN,
            ratio_mean: f64::NAN,
            ratio_enl: f64::NAN,
        },
    }
}

/// Speckle suppression index `(σ_f/μ_f) / (σ_o/μ_o)` over a region (below 1 is better; NaN
/// when the images differ in size).
pub fn speckle_suppression_index<T: Sample>(
    filtered: &ImageRef<'_, T>,
    original: &ImageRef<'_, T>,
    region: Region,
) -> f64 {
    one_region(filtered, original, region).ssi
}

/// Mean preservation ratio `μ_f / μ_o` over a region (close to 1 is better).
pub fn mean_ratio<T: Sample>(
    filtered: &ImageRef<'_, T>,
    original: &ImageRef<'_, T>,
    region: Region,
) -> f64 {
    one_region(filtered, original, region).mean_ratio
}

/// Edge preservation index `Σ|Δf| / Σ|Δo|` over horizontally and vertically adjacent pixel
/// pairs of a region valid in both images (close to 1 keeps edges; smoothing lowers it).
pub fn edge_preservation_index<T: Sample>(
    filtered: &ImageRef<'_, T>,
    original: &ImageRef<'_, T>,
    region: Region,
) -> f64 {
    one_region(filtered, original, region).epi
}

/// [`Reference`] over two images in memory.
pub fn compare_to_reference<T: Sample>(
    truth: &ImageRef<'_, T>,
    estimate: &ImageRef<'_, T>,
    peak: f64,
    nodata: Option<f64>,
) -> Result<ReferenceMetrics> {
    let (w, h) = same_size(truth, estimate)?;
    let mut acc = Reference::new(w, h, peak, nodata)?;
    for y in 0..h {
        acc.add_rows(truth.row(y), estimate.row(y))?;
    }
    acc.finish()
}

/// Peak signal-to-noise ratio of `estimate` against `truth` in dB, with data range `peak`.
pub fn psnr<T: Sample>(
    truth: &ImageRef<'_, T>,
    estimate: &ImageRef<'_, T>,
    peak: f64,
) -> Result<f64> {
    Ok(compare_to_reference(truth, estimate, peak, None)?.psnr)
}

/// Mean SSIM of `estimate` against `truth` with data range `peak` ([`mod@ssim`] module).
pub fn ssim<T: Sample>(
    truth: &ImageRef<'_, T>,
    estimate: &ImageRef<'_, T>,
    peak: f64,
) -> Result<f64> {
    Ok(compare_to_reference(truth, estimate, peak, None)?.ssim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_and_enl() {
        let v: Vec<f32> = vec![1.0, 3.0, 1.0, 3.0, f32::NAN, 2.0];
        let img = ImageRef::new(&v, 3, 2).unwrap();
        let (m, var) = mean_variance(&img, Region::all(&img));
        assert!((m - 2.0).abs() < 1e-12 && (var - 0.8).abs() < 1e-12);
        assert!((enl(&img, Region::all(&img), Domain::Intensity) - 5.0).abs() < 1e-9);
        let big: Vec<f64> = (0..1000).map(|i| 1e9 + (i % 2) as f64).collect();
        let img = ImageRef::new(&big, 1000, 1).unwrap();
        assert!((mean_variance(&img, Region::all(&img)).1 - 0.25).abs() < 1e-12);
        assert_eq!(
            speckle_suppression_index(&img, &img, Region::all(&img)),
            1.0
        );
    }
}
