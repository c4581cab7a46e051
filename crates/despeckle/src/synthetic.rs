//! Deterministic speckled test scenes, for demos, benchmarks and tests.
//!
//! A scene is a piecewise-constant reflectivity (square tiles with log-uniform levels between
//! 0.05 and 5, and a bright point target at the centre of every quarter tile) multiplied by
//! fully developed intensity speckle with `looks` looks (gamma distributed, mean 1, variance
//! `1/looks`). The same seed gives the same scene whatever the number of threads.

use rayon::prelude::*;

use crate::metrics::Region;

/// Side of a reflectivity tile, in pixels.
pub const TILE: usize = 500;

/// A generated scene.
#[derive(Debug, Clone)]
pub struct Scene {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Row-major intensities.
    pub data: Vec<f32>,
    /// A homogeneous area (inside the first tile, away from point targets), for ENL.
    pub homogeneous: Region,
}

fn mix(mut z: u64) -> u64 {
    // splitmix64 finaliser
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform number in (0, 1) from a hash.
fn unit(h: u64) -> f64 {
    ((h >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// The reflectivity of pixel (x, y).
fn reflectivity(x: usize, y: usize, seed: u64) -> f64 {
    let (tx, ty) = (x / TILE, y / TILE);
    let level =
        (0.05f64.ln() + unit(mix(seed ^ ((tx as u64) << 32 | ty as u64))) * (100f64).ln()).exp();
    let q = TILE / 2;
    if x % q == q / 2 && y % q == q / 2 {
        level * 100.0
    } else {
        level
    }
}

/// Fills one row with speckled intensities.
fn fill_row(row: &mut [f32], y: usize, looks: u32, seed: u64) {
    let mut state = mix(seed.wrapping_add(0x9E37_79B9_7F4A_7C15u64.wrapping_mul(y as u64 + 1)));
    for (x, v) in row.iter_mut().enumerate() {
        // Gamma(L, 1/L) as −ln(U₁·…·U_L)/L: one logarithm per pixel.
        let mut prod = 1.0f64;
        for _ in 0..looks {
            state = mix(state);
            prod *= unit(state);
        }
        *v = (reflectivity(x, y, seed) * -prod.ln() / looks as f64) as f32;
    }
}

/// Generates a `width × height` scene with `looks`-look speckle (`looks` ≥ 1), in parallel.
pub fn speckled_scene(width: usize, height: usize, looks: u32, seed: u64) -> Scene {
    let looks = looks.max(1);
    let mut data = vec![0f32; width * height];
    if width > 0 {
        data.par_chunks_mut(width)
            .enumerate()
            .for_each(|(y, row)| fill_row(row, y, looks, seed));
    }
    let q = TILE / 2;
    let (x0, x1) = ((q / 2 + 15).min(width), (q + q / 2 - 15).min(width));
    let (y0, y1) = ((q / 2 + 15).min(height), (q + q / 2 - 15).min(height));
    Scene {
        width,
        height,
        data,
        homogeneous: Region {
            x: x0,
            y: y0,
            width: x1 - x0,
            height: y1 - y0,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Domain, ImageRef, metrics};

    #[test]
    fn speckle_statistics_and_determinism() {
        let s = speckled_scene(600, 420, 4, 1);
        assert_eq!(s.data, speckled_scene(600, 420, 4, 1).data);
        let img = ImageRef::new(&s.data, s.width, s.height).unwrap();
        let enl = metrics::enl(&img, s.homogeneous, Domain::Intensity);
        assert!((3.6..4.4).contains(&enl), "ENL of 4-look speckle: {enl}");
        assert!(s.homogeneous.width > 100 && s.homogeneous.height > 100);
    }
}
