//! An independent float64 reference of every filter, written plainly: for each pixel, walk
//! its window, find each position's source pixel by reflecting or wrapping step by step (not
//! the engine's modular formula), collect the valid values, and apply the definition with
//! two-pass moments and ordinary `if`/`else`.
#![allow(dead_code)]

use despeckle::Border;

/// A test image in f64, row-major.
#[derive(Clone, Debug)]
pub struct Img {
    pub w: usize,
    pub h: usize,
    pub v: Vec<f64>,
}

impl Img {
    pub fn at(&self, x: usize, y: usize) -> f64 {
        self.v[y * self.w + x]
    }
    pub fn to_f32(&self) -> Vec<f32> {
        self.v.iter().map(|&x| x as f32).collect()
    }
}

/// Source index of coordinate `i` on an axis of length `n`, found by bouncing off the edges.
pub fn bounce(border: Border, mut i: isize, n: usize) -> Option<isize> {
    let n = n as isize;
    loop {
        if (0..n).contains(&i) {
            return Some(i);
        }
        match border {
            Border::Reflect => i = if i < 0 { -1 - i } else { 2 * n - 1 - i },
            Border::Mirror => {
                if n == 1 {
                    return Some(0);
                }
                i = if i < 0 { -i } else { 2 * n - 2 - i }
            }
            Border::Nearest => i = i.clamp(0, n - 1),
            Border::Wrap => i = if i < 0 { i + n } else { i - n },
            Border::Constant(_) | Border::Shrink => return None,
        }
    }
}

fn valid(x: f64, nodata: Option<f64>) -> bool {
    x.is_finite() && Some(x) != nodata
}

/// The valid values of the window of pixel (x, y).
pub fn window(
    img: &Img,
    x: usize,
    y: usize,
    size: usize,
    border: Border,
    nodata: Option<f64>,
) -> Vec<f64> {
    let h = (size / 2) as isize;
    let mut out = Vec::new();
    for dy in -h..=h {
        for dx in -h..=h {
            let sy = bounce(border, y as isize + dy, img.h);
            let sx = bounce(border, x as isize + dx, img.w);
            let v = match (sx, sy, border) {
                (Some(sx), Some(sy), _) => img.at(sx as usize, sy as usize),
                (_, _, Border::Constant(c)) => c,
                _ => continue,
            };
            if valid(v, nodata) {
                out.push(v);
            }
        }
    }
    out
}

/// Two-pass mean and variance (`ddof` 0 or 1; 0 when n ≤ ddof).
pub fn moments(vals: &[f64], ddof: usize) -> (f64, f64) {
    let n = vals.len() as f64;
    let mean = vals.iter().sum::<f64>() / n;
    let ss: f64 = vals.iter().map(|v| (v - mean) * (v - mean)).sum();
    let var = if vals.len() > ddof {
        ss / (n - ddof as f64)
    } else {
        0.0
    };
    (mean, var)
}

pub struct Params {
    pub size: usize,
    pub border: Border,
    pub nodata: Option<f64>,
}

/// Applies `f(window values, z)` to every valid pixel; no-data pixels are copied.
pub fn reference(img: &Img, p: &Params, f: impl Fn(&[f64], f64) -> f64) -> Vec<f64> {
    let mut out = vec![0.0; img.w * img.h];
    for y in 0..img.h {
        for x in 0..img.w {
            let z = img.at(x, y);
            out[y * img.w + x] = if valid(z, p.nodata) {
                f(&window(img, x, y, p.size, p.border, p.nodata), z)
            } else {
                z
            };
        }
    }
    out
}

/// Enhanced Lee as written in docs/filters.md.
pub fn enhanced_lee(vals: &[f64], z: f64, cu: f64, cmax: f64, damping: f64, ddof: usize) -> f64 {
    let (mean, var) = moments(vals, ddof);
    if mean <= 0.0 {
        return mean;
    }
    let ci = var.sqrt() / mean;
    if ci <= cu {
        mean
    } else if ci >= cmax {
        z
    } else {
        let w = (-damping * (ci - cu) / (cmax - ci)).exp();
        mean * w + z * (1.0 - w)
    }
}

/// A small deterministic generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// Gamma-distributed speckle with mean 1 and `looks` (integer) looks.
    pub fn speckle(&mut self, looks: u32) -> f64 {
        (0..looks).map(|_| -self.uniform().ln()).sum::<f64>() / looks as f64
    }
}

/// A speckled scene with the features filters must handle: two reflectivity levels split by a
/// vertical edge, a bright point target, a constant area, a zero area, NaN pixels and pixels
/// equal to `nodata_value`.
pub fn scene(w: usize, h: usize, looks: u32, seed: u64, nodata_value: f64) -> Img {
    let mut rng = Rng::new(seed);
    let mut v = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let base = if x < w / 2 { 1.0 } else { 6.0 };
            let mut val = base * rng.speckle(looks);
            if x == w / 3 && y == h / 3 {
                val = 400.0;
            }
            if (w * 3 / 4..w * 3 / 4 + 5).contains(&x) && (h / 2..h / 2 + 6).contains(&y) {
                val = 2.5;
            }
            if x < 6 && y >= h.saturating_sub(7) {
                val = 0.0;
            }
            if (x * 7 + y * 13) % 97 == 5 {
                val = f64::NAN;
            }
            if (x * 11 + y * 3) % 89 == 7 {
                val = nodata_value;
            }
            v.push(val);
        }
    }
    Img { w, h, v }
}

pub const BORDERS: [Border; 7] = [
    Border::Reflect,
    Border::Mirror,
    Border::Nearest,
    Border::Wrap,
    Border::Constant(0.0),
    Border::Constant(3.0),
    Border::Shrink,
];

/// Asserts `got` is within `rel · scale + abs` of `want` pixel by pixel (NaN must match NaN).
pub fn assert_close(got: &[f64], want: &[f64], rel: f64, abs: f64, what: &str) {
    assert_eq!(got.len(), want.len());
    for (i, (&g, &r)) in got.iter().zip(want).enumerate() {
        if r.is_nan() {
            assert!(g.is_nan(), "{what}: pixel {i}: got {g}, want NaN");
            continue;
        }
        let tol = rel * r.abs().max(1e-300) + abs;
        assert!(
            (g - r).abs() <= tol || g == r,
            "{what}: pixel {i}: got {g}, want {r} (|diff| {:e} > {tol:e})",
            (g - r).abs()
        );
    }
}
