//! Grey-level co-occurrence of the ratio image, and its homogeneity against shuffled versions
//! (the second-order part of the M index, [`super::MIndex`]).

/// Grey levels of the quantised ratio image.
pub const LEVELS: usize = 32;
/// Ratio values `0 ≤ r < RATIO_MAX` are quantised linearly into [`LEVELS`] levels; larger
/// values fall into the top level.
pub const RATIO_MAX: f64 = 3.0;
/// Neighbour offsets `(dx, dy)`: right, down, down-right, down-left (0°, 90°, 135°, 45° at
/// distance 1).
const OFFSETS: [(isize, usize); 4] = [(1, 0), (0, 1), (1, 1), (-1, 1)];

/// Streaming co-occurrence counts of a quantised image in the four directions at distance 1,
/// and the histogram of its levels. Fed rows top to bottom; holds one previous row.
#[derive(Debug, Clone)]
pub struct Cooccurrence {
    width: usize,
    prev: Vec<u8>,
    cur: Vec<u8>,
    has_prev: bool,
    counts: Vec<[u64; LEVELS * LEVELS]>,
    levels: [u64; LEVELS],
}

/// Level of a ratio value; `u8::MAX` for no-data (NaN) and negative values.
#[inline]
pub fn level(r: f64) -> u8 {
    if r.is_nan() || r < 0.0 {
        u8::MAX
    } else {
        ((r / RATIO_MAX * LEVELS as f64) as usize).min(LEVELS - 1) as u8
    }
}

impl Cooccurrence {
    /// Counts for an image `width` pixels wide.
    pub fn new(width: usize) -> Self {
        Cooccurrence {
            width,
            prev: vec![u8::MAX; width],
            cur: vec![u8::MAX; width],
            has_prev: false,
            counts: vec![[0; LEVELS * LEVELS]; OFFSETS.len()],
            levels: [0; LEVELS],
        }
    }

    /// Adds the next row of ratio values (NaN for no-data).
    pub fn add_row(&mut self, ratio: &[f64]) {
        let w = self.width;
        for (c, &r) in self.cur.iter_mut().zip(ratio) {
            *c = level(r);
        }
        for (d, &(dx, dy)) in OFFSETS.iter().enumerate() {
            let counts = &mut self.counts[d];
            if dy == 0 {
                for x in 0..w.saturating_sub(1) {
                    let (a, b) = (self.cur[x], self.cur[x + 1]);
                    if a != u8::MAX && b != u8::MAX {
                        counts[a as usize * LEVELS + b as usize] += 1;
                    }
                }
            } else if self.has_prev {
                for x in 0..w {
                    let nx = x as isize + dx;
                    if nx < 0 || nx >= w as isize {
                        continue;
                    }
                    let (a, b) = (self.prev[x], self.cur[nx as usize]);
                    if a != u8::MAX && b != u8::MAX {
                        counts[a as usize * LEVELS + b as usize] += 1;
                    }
                }
            }
        }
        for &c in &self.cur {
            if c != u8::MAX {
                self.levels[c as usize] += 1;
            }
        }
        std::mem::swap(&mut self.prev, &mut self.cur);
        self.has_prev = true;
    }

    /// Haralick's homogeneity `Σ P(i, j) / (1 + (i − j)²)` of the normalised co-occurrence
    /// matrix, averaged over the four directions (NaN without pairs).
    pub fn homogeneity(&self) -> f64 {
        let mut total = 0.0;
        for counts in &self.counts {
            let n: u64 = counts.iter().sum();
            if n == 0 {
                return f64::NAN;
            }
            let mut h = 0.0;
            for (k, &c) in counts.iter().enumerate() {
                h += c as f64 / weight(k / LEVELS, k % LEVELS);
            }
            total += h / n as f64;
        }
        total / OFFSETS.len() as f64
    }

    /// The expected homogeneity of the image after a uniformly random permutation of its
    /// valid pixels: two distinct positions then hold levels `i` and `j` with probability
    /// `nᵢ (nⱼ − [i = j]) / (N (N − 1))`, so the expectation is exact (what the mean over
    /// many shuffles estimates).
    pub fn shuffled_homogeneity(&self) -> f64 {
        let n: f64 = self.levels.iter().map(|&c| c as f64).sum();
        if n < 2.0 {
            return f64::NAN;
        }
        let mut h = 0.0;
        for i in 0..LEVELS {
            for j in 0..LEVELS {
                let ni = self.levels[i] as f64;
                let nj = self.levels[j] as f64 - if i == j { 1.0 } else { 0.0 };
                h += ni * nj / weight(i, j);
            }
        }
        h / (n * (n - 1.0))
    }
}

fn weight(i: usize, j: usize) -> f64 {
    let d = i as f64 - j as f64;
    1.0 + d * d
}
