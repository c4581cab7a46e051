//! An independent float64 reference of every filter, written plainly: for each pixel, walk
//! its window, find each position's source pixel by reflecting or wrapping step by step (not
//! the engine's modular formula), collect the valid values, and apply the definition with
//! two-pass moments and ordinary `if`/`else`.
#![allow(dead_code)]

pub mod planes;

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

// ---------------------------------------------------------------------------------------
// References of the speckle-filter family, written from docs/filters.md. Each works on the
// pixel's window as a grid (`None` = not valid) or on its list of valid values.

/// The window of pixel (x, y) as a `size × size` grid, row by row (`grid[dy][dx]`), `None`
/// where the position is not valid.
pub fn grid(
    img: &Img,
    x: usize,
    y: usize,
    size: usize,
    border: Border,
    nodata: Option<f64>,
) -> Vec<Vec<Option<f64>>> {
    let h = (size / 2) as isize;
    (-h..=h)
        .map(|dy| {
            (-h..=h)
                .map(|dx| {
                    let sy = bounce(border, y as isize + dy, img.h);
                    let sx = bounce(border, x as isize + dx, img.w);
                    let v = match (sx, sy, border) {
                        (Some(sx), Some(sy), _) => img.at(sx as usize, sy as usize),
                        (_, _, Border::Constant(c)) => c,
                        _ => return None,
                    };
                    valid(v, nodata).then_some(v)
                })
                .collect()
        })
        .collect()
}

/// Applies `f(grid, z)` to every valid pixel; no-data pixels are copied.
pub fn reference_grid(
    img: &Img,
    p: &Params,
    f: impl Fn(&[Vec<Option<f64>>], f64) -> f64,
) -> Vec<f64> {
    let mut out = vec![0.0; img.w * img.h];
    for y in 0..img.h {
        for x in 0..img.w {
            let z = img.at(x, y);
            out[y * img.w + x] = if valid(z, p.nodata) {
                f(&grid(img, x, y, p.size, p.border, p.nodata), z)
            } else {
                z
            };
        }
    }
    out
}

/// Whether a pixel is valid (finite, not the no-data value).
pub fn is_valid(x: f64, nodata: Option<f64>) -> bool {
    valid(x, nodata)
}

pub fn cu_intensity(looks: f64) -> f64 {
    (1.0 / looks).sqrt()
}

/// Lee: `W = clamp(1 − Cu²/Ci², 0, 1)`, `μ + W(z − μ)`; μ ≤ 0 → μ.
pub fn lee(vals: &[f64], z: f64, cu: f64, ddof: usize) -> f64 {
    let (mean, var) = moments(vals, ddof);
    if mean <= 0.0 {
        return mean;
    }
    let ci2 = var / (mean * mean);
    let w = if ci2 > 0.0 {
        (1.0 - cu * cu / ci2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    mean + w * (z - mean)
}

/// Kuan: `W = clamp((1 − Cu²/Ci²)/(1 + Cu²), 0, 1)`.
pub fn kuan(vals: &[f64], z: f64, cu: f64, ddof: usize) -> f64 {
    let (mean, var) = moments(vals, ddof);
    if mean <= 0.0 {
        return mean;
    }
    let ci2 = var / (mean * mean);
    let w = if ci2 > 0.0 {
        ((1.0 - cu * cu / ci2) / (1.0 + cu * cu)).clamp(0.0, 1.0)
    } else {
        0.0
    };
    mean + w * (z - mean)
}

/// Gamma MAP, with the window's Ci returned too (for the discontinuity at √2·Cu).
pub fn gamma_map(vals: &[f64], z: f64, looks: f64, ddof: usize) -> (f64, f64) {
    let (mean, var) = moments(vals, ddof);
    if mean <= 0.0 {
        return (mean, 0.0);
    }
    let cu = (1.0 / looks).sqrt();
    let ci = var.sqrt() / mean;
    if ci <= cu {
        return (mean, ci);
    }
    if ci >= 2f64.sqrt() * cu {
        return (z, ci);
    }
    let alpha = (1.0 + cu * cu) / (ci * ci - cu * cu);
    let b = alpha - looks - 1.0;
    let d = mean * mean * b * b + 4.0 * alpha * looks * mean * z;
    if d < 0.0 {
        return (z, ci);
    }
    ((b * mean + d.sqrt()) / (2.0 * alpha), ci)
}

/// Distance of window position (dy, dx) from the centre.
pub fn distance(dy: isize, dx: isize, chebyshev: bool) -> f64 {
    if chebyshev {
        dy.abs().max(dx.abs()) as f64
    } else {
        ((dy * dy + dx * dx) as f64).sqrt()
    }
}

/// The distance-weighted mean `Σ e^{−A d} x / Σ e^{−A d}` over the valid grid positions.
pub fn weighted(g: &[Vec<Option<f64>>], a: f64, chebyshev: bool) -> f64 {
    let h = (g.len() / 2) as isize;
    let (mut num, mut den) = (0.0, 0.0);
    for (i, row) in g.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            if let Some(v) = v {
                let m = (-a * distance(i as isize - h, j as isize - h, chebyshev)).exp();
                num += m * v;
                den += m;
            }
        }
    }
    num / den
}

pub fn valid_values(g: &[Vec<Option<f64>>]) -> Vec<f64> {
    g.iter().flatten().flatten().copied().collect()
}

/// Frost: `A = K·Ci²`.
pub fn frost(g: &[Vec<Option<f64>>], damping: f64, chebyshev: bool, ddof: usize) -> f64 {
    let (mean, var) = moments(&valid_values(g), ddof);
    if mean <= 0.0 {
        return mean;
    }
    weighted(g, damping * var / (mean * mean), chebyshev)
}

/// Enhanced Frost.
#[allow(clippy::too_many_arguments)]
pub fn enhanced_frost(
    g: &[Vec<Option<f64>>],
    z: f64,
    cu: f64,
    cmax: f64,
    damping: f64,
    chebyshev: bool,
    ddof: usize,
) -> f64 {
    let (mean, var) = moments(&valid_values(g), ddof);
    if mean <= 0.0 {
        return mean;
    }
    let ci = var.sqrt() / mean;
    if ci <= cu {
        mean
    } else if ci >= cmax {
        z
    } else {
        weighted(g, damping * (ci - cu) / (cmax - ci), chebyshev)
    }
}

/// Median of the valid values (mean of the two middle ones for an even count), by sorting.
pub fn median(vals: &[f64]) -> f64 {
    let mut v = vals.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// `μ + b(z − μ)`, `b = max(0, (σ² − μ²η²)/(1 + η²))/σ²` (0 where σ² = 0).
pub fn mmse(vals: &[f64], z: f64, eta2: f64, ddof: usize) -> f64 {
    let (mean, var) = moments(vals, ddof);
    let b = if var > 0.0 {
        ((var - mean * mean * eta2) / (1.0 + eta2)).max(0.0) / var
    } else {
        0.0
    };
    mean + b * (z - mean)
}

/// Refined Lee on a window grid (sizes 5–17), `eta2` `None` for the local estimate.
pub fn refined_lee(g: &[Vec<Option<f64>>], z: f64, eta2: Option<f64>, ddof: usize) -> f64 {
    refined_lee_tie(g, z, eta2, ddof).0
}

/// Refined Lee, and whether its direction or side decision is a tie up to rounding (two
/// compared quantities within 1e-12 of the sub-window means' scale, the window not constant).
pub fn refined_lee_tie(
    g: &[Vec<Option<f64>>],
    z: f64,
    eta2: Option<f64>,
    ddof: usize,
) -> (f64, bool) {
    let n = g.len();
    let h = n / 2;
    let (b, s) = match n {
        5 => (3, 1),
        7 => (3, 2),
        9 => (5, 2),
        11 => (5, 3),
        13 => (5, 4),
        15 => (7, 4),
        17 => (7, 5),
        _ => panic!("no Refined Lee geometry for {n}"),
    };
    // the nine sub-windows: (complete, mean, σ²/μ²)
    let mut subs = Vec::new();
    for j in 0..3 {
        for i in 0..3 {
            let mut v = Vec::new();
            let mut complete = true;
            for row in &g[j * s..j * s + b] {
                for c in &row[i * s..i * s + b] {
                    match c {
                        Some(x) => v.push(*x),
                        None => complete = false,
                    }
                }
            }
            let (m, var) = if complete {
                moments(&v, ddof)
            } else {
                (f64::NAN, f64::NAN)
            };
            let cv = if m > 0.0 { var / (m * m) } else { 0.0 };
            let sum: f64 = v.iter().sum();
            subs.push((complete, m, cv, sum));
        }
    }
    let local = || {
        let mut cv: Vec<f64> = subs.iter().filter(|s| s.0).map(|s| s.2).collect();
        cv.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let k = cv.len().min(5);
        if k == 0 {
            0.0
        } else {
            cv[..k].iter().sum::<f64>() / k as f64
        }
    };
    let eta2 = eta2.unwrap_or_else(local);
    let all = valid_values(g);
    if all.len() < n * n {
        let (mean, _) = moments(&all, ddof);
        let v = if mean > 0.0 {
            mmse(&all, z, eta2, ddof)
        } else {
            mean
        };
        return (v, false);
    }
    // sub-window sums (means × b²: the same decisions, and exact for f32 data)
    let m = |j: usize, i: usize| subs[3 * j + i].3;
    let grads = [
        (m(1, 0) - m(1, 2)).abs(),
        (m(0, 2) - m(2, 0)).abs(),
        (m(0, 1) - m(2, 1)).abs(),
        (m(0, 0) - m(2, 2)).abs(),
    ];
    let mut dir = 0;
    for k in 1..4 {
        if grads[k] > grads[dir] {
            dir = k;
        }
    }
    let c = m(1, 1);
    let (a1, a2) = match dir {
        0 => (m(1, 0), m(1, 2)),
        1 => (m(0, 2), m(2, 0)),
        2 => (m(0, 1), m(2, 1)),
        _ => (m(0, 0), m(2, 2)),
    };
    let first = (a1 - c).abs() < (c - a2).abs();
    let constant = all.iter().all(|&v| v == all[0]);
    let scale = subs.iter().fold(0.0f64, |m, s| m.max(s.3.abs()));
    let near = |p: f64, q: f64| (p - q).abs() <= 1e-12 * scale;
    let mut sorted = grads;
    sorted.sort_by(|a, b| b.partial_cmp(a).unwrap());
    let tie = !constant && (near(sorted[0], sorted[1]) || near((a1 - c).abs(), (c - a2).abs()));
    let inside = |y: usize, x: usize| -> bool {
        match (dir, first) {
            (0, true) => x <= h,
            (0, false) => x >= h,
            (1, true) => x >= y,
            (1, false) => x <= y,
            (2, true) => y <= h,
            (2, false) => y >= h,
            (_, true) => x + y < n,
            (_, false) => x + y >= n - 1,
        }
    };
    let mut sel = Vec::new();
    for (y, row) in g.iter().enumerate() {
        for (x, v) in row.iter().enumerate() {
            if inside(y, x) {
                sel.push(v.unwrap());
            }
        }
    }
    assert_eq!(sel.len(), n * (h + 1));
    let (mean, _) = moments(&sel, ddof);
    let v = if mean > 0.0 {
        mmse(&sel, z, eta2, ddof)
    } else {
        mean
    };
    (v, tie)
}

/// The nearest-rank quantile of the valid values, by sorting.
pub fn quantile(img: &Img, q: f64, nodata: Option<f64>) -> f64 {
    let mut v: Vec<f64> = img
        .v
        .iter()
        .copied()
        .filter(|&x| valid(x, nodata))
        .collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let k = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[k - 1]
}

/// Lee Sigma parameters for the reference.
#[derive(Clone, Copy, Debug)]
pub struct SigmaParams {
    pub z98: f64,
    pub target: usize,
    pub min_cluster: usize,
    pub eta: f64,
    pub low: f64,
    pub high: f64,
    pub eta_prime: f64,
    pub ddof: usize,
}

/// Lee Sigma on a window grid. Returns the value and the smallest distance, relative to x̂,
/// of a window value from the selection boundaries (to skip rounding-ambiguous pixels).
pub fn lee_sigma(g: &[Vec<Option<f64>>], z: f64, p: &SigmaParams) -> (f64, f64) {
    let n = g.len() as isize;
    let h = n / 2;
    let t = (p.target as isize).min(n);
    let ht = t / 2;
    let at = |y: isize, x: isize| -> Option<f64> {
        if (0..n).contains(&y) && (0..n).contains(&x) {
            g[y as usize][x as usize]
        } else {
            None
        }
    };
    let above = |y: isize, x: isize| at(y, x).is_some_and(|v| v > p.z98);
    let centre = |y: isize, x: isize| -> bool {
        if !above(y, x) {
            return false;
        }
        let mut k = 0;
        for dy in -ht..=ht {
            for dx in -ht..=ht {
                k += above(y + dy, x + dx) as usize;
            }
        }
        k >= p.min_cluster
    };
    let kept = if h >= 2 * ht {
        above(h, h) && (-ht..=ht).any(|dy| (-ht..=ht).any(|dx| centre(h + dy, h + dx)))
    } else {
        centre(h, h)
    };
    if kept {
        return (z, f64::INFINITY);
    }
    let mut tw = Vec::new();
    for dy in -ht..=ht {
        for dx in -ht..=ht {
            if let Some(v) = at(h + dy, h + dx) {
                tw.push(v);
            }
        }
    }
    let xh = mmse(&tw, z, p.eta * p.eta, p.ddof);
    let (lo, hi) = (p.low * xh, p.high * xh);
    let all = valid_values(g);
    let sel: Vec<f64> = all
        .iter()
        .copied()
        .filter(|&v| v >= lo && v <= hi)
        .collect();
    let margin = all
        .iter()
        .map(|&v| (v - lo).abs().min((v - hi).abs()) / xh.abs())
        .fold(f64::INFINITY, f64::min);
    if sel.is_empty() {
        return (z, margin);
    }
    (mmse(&sel, z, p.eta_prime * p.eta_prime, p.ddof), margin)
}

/// IDAN on a window grid, written from docs/filters.md with a recursive-free list growth.
pub fn idan(
    g: &[Vec<Option<f64>>],
    z: f64,
    looks: f64,
    max_region: usize,
    amplitude: bool,
    ddof: usize,
) -> f64 {
    let n = g.len() as isize;
    let h = n / 2;
    let inten = |v: f64| if amplitude { v * v } else { v };
    let get = |y: isize, x: isize| -> Option<f64> {
        if (0..n).contains(&y) && (0..n).contains(&x) {
            g[y as usize][x as usize]
        } else {
            None
        }
    };
    let sv = (1.0 / looks).sqrt();
    let mut nb: Vec<f64> = Vec::new();
    for dy in -1..=1 {
        for dx in -1..=1 {
            if let Some(v) = get(h + dy, h + dx) {
                nb.push(inten(v));
            }
        }
    }
    nb.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let seed = nb[nb.len() / 2];
    let ok = |v: f64, s: f64, t: f64| (v - s).abs() < t * s;
    let mut seen = vec![vec![false; n as usize]; n as usize];
    let mut region: Vec<(isize, isize)> = Vec::new();
    let mut rejected: Vec<(isize, isize)> = Vec::new();
    let mut order: std::collections::VecDeque<(isize, isize)> = Default::default();
    seen[h as usize][h as usize] = true;
    if let Some(v) = get(h, h) {
        if ok(inten(v), seed, 2.0 / 3.0 * sv) {
            region.push((h, h));
        } else {
            rejected.push((h, h));
        }
    }
    order.push_back((h, h));
    'outer: while region.len() < max_region {
        let Some((y, x)) = order.pop_front() else {
            break;
        };
        for (dy, dx) in [
            (-1, -1),
            (-1, 0),
            (-1, 1),
            (0, -1),
            (0, 1),
            (1, -1),
            (1, 0),
            (1, 1),
        ] {
            let (yy, xx) = (y + dy, x + dx);
            if !(0..n).contains(&yy) || !(0..n).contains(&xx) || seen[yy as usize][xx as usize] {
                continue;
            }
            seen[yy as usize][xx as usize] = true;
            let Some(v) = get(yy, xx) else { continue };
            if ok(inten(v), seed, 2.0 / 3.0 * sv) {
                region.push((yy, xx));
                order.push_back((yy, xx));
                if region.len() >= max_region {
                    break 'outer;
                }
            } else {
                rejected.push((yy, xx));
            }
        }
    }
    let seed2 = if region.is_empty() {
        seed
    } else {
        region
            .iter()
            .map(|&(y, x)| inten(get(y, x).unwrap()))
            .sum::<f64>()
            / region.len() as f64
    };
    for &(y, x) in &rejected {
        if ok(inten(get(y, x).unwrap()), seed2, 2.0 * sv) {
            region.push((y, x));
        }
    }
    if region.is_empty() {
        return z;
    }
    let iv: Vec<f64> = region
        .iter()
        .map(|&(y, x)| inten(get(y, x).unwrap()))
        .collect();
    let (mi, vi) = moments(&iv, ddof);
    let b = if vi > 0.0 {
        ((vi - mi * mi / looks) / (1.0 + 1.0 / looks)).max(0.0) / vi
    } else {
        0.0
    };
    let mean = region.iter().map(|&(y, x)| get(y, x).unwrap()).sum::<f64>() / region.len() as f64;
    mean + b * (z - mean)
}

/// Runs a filter out of place on `img` converted to `T`, returning f64 values.
pub fn run_filter<T: despeckle::Sample, F: despeckle::Filter>(
    f: &F,
    img: &Img,
    p: &Params,
) -> Vec<f64> {
    use despeckle::{ImageMut, ImageRef, Options};
    let input: Vec<T> = img.v.iter().map(|&x| T::from_f64(x)).collect();
    let mut out = vec![T::default(); input.len()];
    let opts = Options::new(p.size)
        .unwrap()
        .with_border(p.border)
        .with_nodata(p.nodata);
    f.check_options(&opts).unwrap();
    despeckle::filter(
        f,
        ImageRef::new(&input, img.w, img.h).unwrap(),
        &mut ImageMut::new(&mut out, img.w, img.h).unwrap(),
        &opts,
    )
    .unwrap();
    out.iter().map(|v| v.to_f64()).collect()
}

/// The image rounded to f32 (the reference then runs on exactly the f32 input).
pub fn rounded_f32(img: &Img) -> Img {
    Img {
        w: img.w,
        h: img.h,
        v: img.v.iter().map(|&x| x as f32 as f64).collect(),
    }
}

/// Compares a filter's output with a reference pixel by pixel: no-data pixels must be copied
/// bit for bit (NaN stays NaN); elsewhere `|got − want| ≤ tol(i)`; pixels where `skip(i)`
/// (a reference decision within rounding of a threshold) are not compared. Returns the
/// number of skipped pixels.
pub fn compare(
    img: &Img,
    p: &Params,
    got: &[f64],
    want: &[f64],
    tol: impl Fn(usize) -> f64,
    skip: impl Fn(usize) -> bool,
    what: &str,
) -> usize {
    assert_eq!(got.len(), want.len());
    let mut skipped = 0;
    for i in 0..want.len() {
        let (g, r) = (got[i], want[i]);
        if !valid(img.v[i], p.nodata) {
            assert!(
                g.to_bits() == r.to_bits() || (g.is_nan() && r.is_nan()),
                "{what}: no-data pixel {i} changed: {g} vs {r}"
            );
            continue;
        }
        if skip(i) {
            skipped += 1;
            continue;
        }
        let t = tol(i);
        assert!(
            (g - r).abs() <= t,
            "{what}: pixel ({}, {}): got {g}, want {r}, |diff| {:e} > {t:e}",
            i % img.w,
            i / img.w,
            (g - r).abs()
        );
    }
    skipped
}

/// `|μ| + |z|` of every pixel's window (the scale of the comparison tolerances).
pub fn scale(img: &Img, p: &Params) -> Vec<f64> {
    reference(img, p, |w, z| moments(w, 0).0.abs() + z.abs())
}
