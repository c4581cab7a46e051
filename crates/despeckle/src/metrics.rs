//! Quality measures of a filtered image (`f` the filtered, `o` the original image).
//!
//! All measures skip non-finite pixels and use population moments over a region.

use crate::filters::Domain;
use crate::image::ImageRef;
use crate::sample::Sample;

/// A rectangle of an image: columns `x .. x + width`, rows `y .. y + height`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// First column.
    pub x: usize,
    /// First row.
    pub y: usize,
    /// Number of columns.
    pub width: usize,
    /// Number of rows.
    pub height: usize,
}

impl Region {
    /// The whole of an image.
    pub fn all<T: Sample>(img: &ImageRef<'_, T>) -> Self {
        Region {
            x: 0,
            y: 0,
            width: img.width(),
            height: img.height(),
        }
    }

    fn rows<'a, T: Sample>(&self, img: &ImageRef<'a, T>) -> impl Iterator<Item = &'a [T]> {
        let (x0, x1) = (
            self.x.min(img.width()),
            (self.x + self.width).min(img.width()),
        );
        let (y0, y1) = (
            self.y.min(img.height()),
            (self.y + self.height).min(img.height()),
        );
        let img = *img;
        (y0..y1).map(move |y| &img.row(y)[x0..x1])
    }
}

/// Mean and population variance of the finite pixels of a region (`(NaN, NaN)` if none).
pub fn mean_variance<T: Sample>(img: &ImageRef<'_, T>, region: Region) -> (f64, f64) {
    // Shifted sums (by the first value) keep the variance exact for offset data.
    let (mut n, mut s1, mut s2, mut shift) = (0.0f64, 0.0f64, 0.0f64, None);
    for row in region.rows(img) {
        for v in row.iter().map(|v| v.to_f64()).filter(|v| v.is_finite()) {
            let k = *shift.get_or_insert(v);
            let d = v - k;
            n += 1.0;
            s1 += d;
            s2 += d * d;
        }
    }
    let k = shift.unwrap_or(f64::NAN);
    let m = s1 / n;
    (k + m, (s2 / n - m * m).max(0.0))
}

/// Equivalent number of looks of a homogeneous region: intensity `μ²/σ²`, amplitude
/// `(4/π − 1)·μ²/σ²`.
pub fn enl<T: Sample>(img: &ImageRef<'_, T>, region: Region, domain: Domain) -> f64 {
    let (m, v) = mean_variance(img, region);
    let ratio = m * m / v;
    match domain {
        Domain::Intensity => ratio,
        Domain::Amplitude => (4.0 / std::f64::consts::PI - 1.0) * ratio,
    }
}

/// Speckle suppression index `(σ_f/μ_f) / (σ_o/μ_o)` over a region (below 1 is better).
pub fn speckle_suppression_index<T: Sample>(
    filtered: &ImageRef<'_, T>,
    original: &ImageRef<'_, T>,
    region: Region,
) -> f64 {
    let (mf, vf) = mean_variance(filtered, region);
    let (mo, vo) = mean_variance(original, region);
    (vf.sqrt() / mf) / (vo.sqrt() / mo)
}

/// Mean preservation ratio `μ_f / μ_o` over a region (close to 1 is better).
pub fn mean_ratio<T: Sample>(
    filtered: &ImageRef<'_, T>,
    original: &ImageRef<'_, T>,
    region: Region,
) -> f64 {
    mean_variance(filtered, region).0 / mean_variance(original, region).0
}

/// Edge preservation index `Σ|Δf| / Σ|Δo|` over horizontally and vertically adjacent pixel
/// pairs of a region (close to 1 keeps edges; smoothing lowers it).
pub fn edge_preservation_index<T: Sample>(
    filtered: &ImageRef<'_, T>,
    original: &ImageRef<'_, T>,
    region: Region,
) -> f64 {
    let grad = |img: &ImageRef<'_, T>| {
        let rows: Vec<&[T]> = region.rows(img).collect();
        let mut total = 0.0;
        for (i, row) in rows.iter().enumerate() {
            for x in 0..row.len() {
                let v = row[x].to_f64();
                let mut add = |u: f64| {
                    if v.is_finite() && u.is_finite() {
                        total += (v - u).abs();
                    }
                };
                if x + 1 < row.len() {
                    add(row[x + 1].to_f64());
                }
                if i + 1 < rows.len() {
                    add(rows[i + 1][x].to_f64());
                }
            }
        }
        total
    };
    grad(filtered) / grad(original)
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
