//! Streaming SSIM (Wang, Bovik, Sheikh & Simoncelli 2004) with scikit-image's defaults.

/// Window side (scikit-image's `win_size` default).
pub const WIN: usize = 7;
/// `K1` of the stabilising constant `C1 = (K1·peak)²`.
pub const K1: f64 = 0.01;
/// `K2` of the stabilising constant `C2 = (K2·peak)²`.
pub const K2: f64 = 0.03;

/// SSIM over `7 × 7` uniform windows with sample covariances, averaged over the windows that
/// lie inside the image (scikit-image's `structural_similarity(..., data_range=peak)` crops
/// the `(7 − 1)/2` border before averaging: the same windows), skipping windows with a
/// no-data pixel in either image. Holds a ring of 7 rows of both images.
#[derive(Debug, Clone)]
pub struct SsimRing {
    width: usize,
    c1: f64,
    c2: f64,
    rows: usize,
    // ring of WIN rows: truth, estimate (NaN for no-data)
    x: Vec<Vec<f64>>,
    y: Vec<Vec<f64>>,
    // column sums over the ring: n, Σx, Σy, Σx², Σy², Σxy
    cols: [Vec<f64>; 6],
    sum: f64,
    windows: u64,
}

impl SsimRing {
    /// SSIM of images `width` wide with values spanning `peak` (the data range).
    pub fn new(width: usize, peak: f64) -> Self {
        SsimRing {
            width,
            c1: (K1 * peak).powi(2),
            c2: (K2 * peak).powi(2),
            rows: 0,
            x: vec![vec![f64::NAN; width]; WIN],
            y: vec![vec![f64::NAN; width]; WIN],
            cols: std::array::from_fn(|_| vec![0.0; width]),
            sum: 0.0,
            windows: 0,
        }
    }

    /// Adds the next row of both images (NaN for no-data).
    pub fn add_row(&mut self, truth: &[f64], estimate: &[f64]) {
        let slot = self.rows % WIN;
        self.x[slot].copy_from_slice(truth);
        self.y[slot].copy_from_slice(estimate);
        self.rows += 1;
        if self.rows < WIN || self.width < WIN {
            return;
        }
        // Column sums over the 7 rows of the ring, summed afresh (no running-sum drift).
        for c in &mut self.cols {
            c.fill(0.0);
        }
        let [n, sx, sy, sxx, syy, sxy] = &mut self.cols;
        for (xr, yr) in self.x.iter().zip(&self.y) {
            for i in 0..self.width {
                let (a, b) = (xr[i], yr[i]);
                if a.is_nan() || b.is_nan() {
                    continue;
                }
                n[i] += 1.0;
                sx[i] += a;
                sy[i] += b;
                sxx[i] += a * a;
                syy[i] += b * b;
                sxy[i] += a * b;
            }
        }
        let np = (WIN * WIN) as f64;
        let norm = np / (np - 1.0);
        for x0 in 0..=self.width - WIN {
            let s = |c: &Vec<f64>| c[x0..x0 + WIN].iter().sum::<f64>();
            if s(n) != np {
                continue;
            }
            let (ux, uy) = (s(sx) / np, s(sy) / np);
            let (uxx, uyy, uxy) = (s(sxx) / np, s(syy) / np, s(sxy) / np);
            let vx = norm * (uxx - ux * ux);
            let vy = norm * (uyy - uy * uy);
            let vxy = norm * (uxy - ux * uy);
            let a = (2.0 * ux * uy + self.c1) * (2.0 * vxy + self.c2);
            let b = (ux * ux + uy * uy + self.c1) * (vx + vy + self.c2);
            self.sum += a / b;
            self.windows += 1;
        }
    }

    /// The mean SSIM and the number of windows averaged (NaN without windows).
    pub fn finish(&self) -> (f64, u64) {
        (self.sum / self.windows as f64, self.windows)
    }
}
