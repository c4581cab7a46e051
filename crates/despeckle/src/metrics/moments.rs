//! Streaming moments and the rectangles they are taken over.

use crate::filters::Domain;
use crate::image::ImageRef;
use crate::sample::Sample;

/// A rectangle of an image: columns `x .. x + width`, rows `y .. y + height` (clipped to the
/// image where it is used).
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
        Region::whole(img.width(), img.height())
    }

    /// The whole of a `width × height` image.
    pub fn whole(width: usize, height: usize) -> Self {
        Region {
            x: 0,
            y: 0,
            width,
            height,
        }
    }

    /// Whether row `y` crosses the region.
    pub fn has_row(&self, y: usize) -> bool {
        y >= self.y && y - self.y < self.height
    }

    /// The region's columns within an image `width` wide.
    pub fn columns(&self, width: usize) -> std::ops::Range<usize> {
        self.x.min(width)..self.x.saturating_add(self.width).min(width)
    }

    /// The region clipped to a `width × height` image (possibly empty).
    pub fn clip(&self, width: usize, height: usize) -> Region {
        let c = self.columns(width);
        let y0 = self.y.min(height);
        let y1 = self.y.saturating_add(self.height).min(height);
        Region {
            x: c.start,
            y: y0,
            width: c.end - c.start,
            height: y1 - y0,
        }
    }
}

/// Count, mean and population variance of a stream of values, in one pass.
///
/// Sums are shifted by the first value, which keeps the variance exact for data with a large
/// offset (values near 10⁹ with a variance of 0.25).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moments {
    n: f64,
    shift: f64,
    s1: f64,
    s2: f64,
}

impl Moments {
    /// Adds one value (the caller leaves no-data out).
    #[inline]
    pub fn add(&mut self, v: f64) {
        if self.n == 0.0 {
            self.shift = v;
        }
        let d = v - self.shift;
        self.n += 1.0;
        self.s1 += d;
        self.s2 += d * d;
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.n as u64
    }

    /// The mean (NaN without values).
    pub fn mean(&self) -> f64 {
        if self.n == 0.0 {
            return f64::NAN;
        }
        self.shift + self.s1 / self.n
    }

    /// The population variance `Σ(x − μ)² / n` (NaN without values).
    pub fn variance(&self) -> f64 {
        if self.n == 0.0 {
            return f64::NAN;
        }
        let m = self.s1 / self.n;
        (self.s2 / self.n - m * m).max(0.0)
    }

    /// The equivalent number of looks `μ²/σ²` (intensity) or `(4/π − 1)·μ²/σ²` (amplitude);
    /// `+∞` for constant values, NaN without values.
    pub fn enl(&self, domain: Domain) -> f64 {
        let m = self.mean();
        let ratio = m * m / self.variance();
        match domain {
            Domain::Intensity => ratio,
            Domain::Amplitude => (4.0 / std::f64::consts::PI - 1.0) * ratio,
        }
    }

    /// The coefficient of variation `σ/μ`.
    pub fn cv(&self) -> f64 {
        self.variance().sqrt() / self.mean()
    }
}
