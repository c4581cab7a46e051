//! The streaming state of one pass of the non-local filter over one plane.
//!
//! At the engine's row `y` (window rows `y − R … y + R`, `R` = [`Geometry::radius`]) the pass
//! handles every pixel pair `(s, s + d)` with `s` on row `y` and `d` in the positive half of the
//! search window (`d_y > 0`, or `d_y = 0, d_x > 0`), and adds its weight to both pixels: row `y`
//! and row `y + d_y` of a ring of accumulators. Row `y` then has all its pairs (those with a
//! pixel above came from earlier rows) and is written out. Per offset the state keeps the
//! running column sums of the dissimilarity over `P` rows, and the patch-pair weights summed
//! over `A` columns and down the aggregation rows as `A − 1` partial sums. Column sums are recomputed directly on
//! rows `phase + k·`[`REFRESH_ROWS`] (and on the pass's first row, which is one of them), so
//! every value is a function of its position only: bit-identical whatever band the row falls
//! in, once [`Geometry::warmup`] rows have run.
//!
//! A pass reads its rows through a [`Source`]: the values and validity from the engine's window
//! (which may be wider and taller than the pass's reach: pass 1 of the chained filter runs rows
//! ahead of the engine's row), the guide either from a local mean of those values (pass 1) or
//! from the pilot rows pass 1 produced (pass 2).

use super::maths::{self, Acc, LANES, PairRows, lanes};
use super::pilot::Pilot;
use crate::engine::{REFRESH_ROWS, Window};
use crate::sample::Real;

/// The radii and constants of one pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Geometry {
    /// Search radius `W/2`.
    pub rw: usize,
    /// Patch radius `P/2`.
    pub rp: usize,
    /// Aggregation radius `A/2`.
    pub ra: usize,
    /// Radius of the local mean of the guide `b/2`.
    pub rb: usize,
    /// The filtering parameter `h`.
    pub h: f64,
}

impl Geometry {
    /// How far the output reads the input: `W/2 + P/2 + A/2 + b/2`.
    pub fn radius(&self) -> usize {
        self.rw + self.rp + self.ra + self.rb
    }

    /// Rows run before the first output row so that every accumulator and weight row is
    /// complete: `W/2` rows of pairs reaching down to the row, `2·A/2` rows of aggregation.
    pub fn warmup(&self) -> usize {
        self.rw + 2 * self.ra
    }

    /// How many rows above its first row a pass reads: `max(P/2 + 1 − A/2, 0)`.
    pub fn rows_above(&self) -> usize {
        (self.rp + 1).saturating_sub(self.ra)
    }

    /// The offsets `(d_y, d_x)` of the positive half of the search window, in processing order.
    pub fn offsets(&self) -> Vec<(usize, isize)> {
        let r = self.rw as isize;
        let mut v: Vec<(usize, isize)> = (1..=r).map(|dx| (0, dx)).collect();
        for dy in 1..=self.rw {
            v.extend((-r..=r).map(|dx| (dy, dx)));
        }
        v
    }

    /// Bytes of one plane's [`PassState`] for an image `width` wide.
    pub fn state_bytes(&self, width: usize) -> usize {
        let r = self.radius();
        // padded rows, and LANES more for the chunked loops
        let wp = width + 2 * r + LANES;
        let offsets = (2 * self.rw + 1) * (2 * self.rw + 1) / 2;
        let a = 2 * self.ra + 1;
        4 * (offsets * a * wp               // column sums, A − 1 aggregation sums
            + 3 * (2 * r + 2) * wp          // guide, validity, value rows
            + 3 * (self.rw + 1) * width     // accumulators
            + if self.rb > 0 { 4 * wp } else { 0 } // column sums of the local mean (f64)
            + 6 * (BLOCK + 2 * (self.rw + self.rp + self.ra) + LANES)) // scratch
            + (2 * self.rp + 1) * size_of::<PairRows<'_>>() // one row's row pairs
            // the offsets, the headers of their rows and of the ring's rows
            + offsets * (size_of::<(usize, isize)>() + 2 * size_of::<Vec<f32>>())
            + (2 * r + 2) * size_of::<Row>()
    }
}

/// One input row as the pass reads it (padded columns).
#[derive(Debug, Clone)]
struct Row {
    /// The absolute row index it holds (`isize::MIN`: none yet).
    y: isize,
    /// Guide `ln max(B, ε)`, 0 where invalid.
    g: Vec<f32>,
    /// 1 valid, 0 not.
    v: Vec<f32>,
    /// The value, 0 where invalid.
    x: Vec<f32>,
}

/// Where the guide of a pass comes from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Guide<'a> {
    /// `ln max(B, ε)`, `B` the mean of the valid values of the `b × b` window (`b = 2·rb + 1`).
    LocalMean,
    /// `ln max(R₁, ε)`: the rows of a pilot, padded as the pass's rows.
    Pilot(&'a Pilot),
}

/// The rows a pass reads: the engine's window, whose row 0 is absolute row `top` and whose
/// padded column `col` is the pass's padded column 0, and the guide.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source<'a> {
    pub window: Window<'a>,
    pub top: isize,
    pub col: usize,
    pub guide: Guide<'a>,
}

/// The state of one pass over one plane of a band of rows.
#[derive(Debug)]
pub(crate) struct PassState {
    geo: Geometry,
    width: usize,
    offsets: Vec<(usize, isize)>,
    rows: Vec<Row>,
    /// Per offset: the column sums of the dissimilarity over the `P` rows around `u = y + A/2`.
    colsum: Vec<Vec<f32>>,
    /// Per offset: the patch-pair weights summed over `A` columns (`h`), as `A − 1` partial
    /// sums down the aggregation rows: slot `r mod (A − 1)` holds `h(r) + h(r + 1) + …` up to
    /// the last row computed, so that the next row's pixel-pair weight is one sum plus its own
    /// newest row (docs/nonlocal.md §10).
    agg: Vec<Vec<f32>>,
    /// Accumulators `N`, `S`, `M` of rows `y … y + W/2`, slot `row mod (W/2 + 1)`.
    num: Vec<f32>,
    den: Vec<f32>,
    max: Vec<f32>,
    started: bool,
    /// Column sums are recomputed on rows `≡ phase (mod REFRESH_ROWS)`.
    phase: isize,
    /// Column sums, patch sums and counts of one block of columns (and its margins).
    scratch: Scratch,
    /// The local mean's column sums of values and of valid positions (pass 1, `b > 1`).
    mean_sums: (Vec<f64>, Vec<f64>),
}

/// The per-block scratch of [`PassState::row`]: every step of one offset over one block of
/// [`BLOCK`] columns (plus margins) reads and writes these, which stay in L1.
#[derive(Debug, Default)]
struct Scratch {
    /// Validity counts of the columns of the patch pairs, then of the patch pairs.
    ncol: Vec<f32>,
    nsum: Vec<f32>,
    /// Patch sums, then patch-pair weights.
    omega: Vec<f32>,
    /// The newest aggregation row, pixel-pair weights and moves.
    g: Vec<f32>,
    w: Vec<f32>,
    delta: Vec<f32>,
}

/// Image columns of one block of [`PassState::row`]'s loop: each offset runs all its steps
/// over one block before the next block, so that the block's rows stay in L1 (256 and 512
/// columns ran 5–10 % faster than 128, whose per-block set-up weighs more).
pub(crate) const BLOCK: usize = 256;

impl PassState {
    /// The state for an image `width` wide, recomputing its column sums on its first row and
    /// on rows `≡ phase (mod REFRESH_ROWS)`.
    pub fn new(geo: Geometry, width: usize, phase: usize) -> Self {
        let r = geo.radius();
        let wp = width + 2 * r + LANES;
        let offsets = geo.offsets();
        let a = 2 * geo.ra + 1;
        let row = Row {
            y: isize::MIN,
            g: vec![0.0; wp],
            v: vec![0.0; wp],
            x: vec![0.0; wp],
        };
        let acc = (geo.rw + 1) * width;
        PassState {
            geo,
            width,
            rows: vec![row; 2 * r + 2],
            colsum: vec![vec![0.0; wp]; offsets.len()],
            agg: vec![vec![0.0; (a - 1) * wp]; offsets.len()],
            offsets,
            num: vec![0.0; acc],
            den: vec![0.0; acc],
            max: vec![0.0; acc],
            started: false,
            mean_sums: if geo.rb > 0 {
                (vec![0.0; wp], vec![0.0; wp])
            } else {
                Default::default()
            },
            phase: (phase % REFRESH_ROWS) as isize,
            scratch: {
                let n = BLOCK + 2 * (geo.rw + geo.rp + geo.ra) + LANES;
                Scratch {
                    ncol: vec![0.0; n],
                    nsum: vec![0.0; n],
                    omega: vec![0.0; n],
                    g: vec![0.0; n],
                    w: vec![0.0; n],
                    delta: vec![0.0; n],
                }
            },
        }
    }

    #[inline(always)]
    fn slot(&self, r: isize) -> usize {
        r.rem_euclid(self.rows.len() as isize) as usize
    }

    /// Makes sure absolute row `r` is in the row ring, read from `src`.
    #[inline(always)]
    fn load(&mut self, src: &Source<'_>, r: isize) {
        let s = self.slot(r);
        if self.rows[s].y == r {
            return;
        }
        let rb = self.geo.rb;
        let (values, valid) = (src.window.values(), src.window.valid());
        let k = (r - src.top) as usize;
        let c = src.col;
        let row = &mut self.rows[s];
        let (sum, cnt) = &mut self.mean_sums;
        row.y = r;
        let wp = row.g.len() - LANES;
        for p in 0..wp {
            row.x[p] = values[k][c + p] as f32;
            row.v[p] = valid[k][c + p] as f32;
        }
        match src.guide {
            // the pilot's logs, 0 where invalid
            Guide::Pilot(pilot) => {
                for (g, (&l, &v)) in row.g.iter_mut().zip(pilot.row(r).iter().zip(&row.v)) {
                    *g = f32::select(v > 0.0, l, 0.0);
                }
            }
            // the pixels' logs, 0 where invalid
            Guide::LocalMean if rb == 0 => {
                for p in 0..wp {
                    let g = maths::log_floor(row.x[p]);
                    row.g[p] = f32::select(row.v[p] > 0.0, g, 0.0);
                }
            }
            Guide::LocalMean => {
                row.g.fill(0.0);
                // B = the mean of the valid values of the b × b window, in f64
                sum.fill(0.0);
                cnt.fill(0.0);
                for kk in k - rb..=k + rb {
                    for p in 0..wp {
                        sum[p] += values[kk][c + p];
                        cnt[p] += valid[kk][c + p];
                    }
                }
                for p in rb..wp - rb {
                    let (mut s1, mut n) = (0.0, 0.0);
                    for q in p - rb..=p + rb {
                        s1 += sum[q];
                        n += cnt[q];
                    }
                    let b = if n > 0.0 { s1 / n } else { 0.0 };
                    let g = maths::log_floor(b as f32);
                    row.g[p] = if row.v[p] > 0.0 { g } else { 0.0 };
                }
            }
        }
    }

    /// The row pair `(r, r + d_y)` of offset `(d_y, d_x)` read from padded position `p` on.
    #[inline(always)]
    fn pair(
        rows: &[Row],
        r: isize,
        (dy, dx): (usize, isize),
        p: usize,
        full: bool,
    ) -> PairRows<'_> {
        let n = rows.len() as isize;
        let a = &rows[r.rem_euclid(n) as usize];
        let b = &rows[(r + dy as isize).rem_euclid(n) as usize];
        debug_assert!(a.y == r && b.y == r + dy as isize);
        let q = (p as isize + dx) as usize;
        PairRows {
            ga: &a.g[p..],
            gb: &b.g[q..],
            masks: (!full).then(|| (&a.v[p..], &b.v[q..])),
        }
    }

    /// Handles row `y`, read from `src` (`full`: every position `src` holds is valid), and
    /// writes its estimates to `out`; `centre`: row `y`'s values in the image's precision.
    ///
    /// The loop runs over the offsets, and for each over blocks of [`BLOCK`] image columns:
    /// every step (column sums, patch sums, weights, aggregation, pixel pairs and both
    /// accumulations) runs over one block and its margins, in L1, before the next block; the
    /// offset's state rows are read left to right (which the hardware prefetches; with the
    /// blocks outside and the offsets inside, short runs of 220 offsets' rows made two passes
    /// on two threads 40 % slower). An offset `(d_y, d_x)` handles on a block the pairs
    /// `(s, s + d)` whose `s` is on the block or whose `s + d` is (so `|d_x|` columns more),
    /// and adds to the block's columns only: every accumulator receives its terms in offset
    /// order, `+Δ` before `−Δ`, whatever the blocks. The column sums of a column are updated
    /// once (by the first block that reaches it); the other values of the margins are
    /// computed again, identically, by both blocks.
    #[inline(always)]
    pub fn row(&mut self, src: &Source<'_>, y: isize, full: bool, centre: &[f64], out: &mut [f64]) {
        let Geometry { rw, rp, ra, rb, h } = self.geo;
        let radius = self.geo.radius();
        let w = self.width;
        // the stride of the aggregation rows
        let wp = w + 2 * radius + LANES;
        let (rp_i, ra_i) = (rp as isize, ra as isize);
        let first = (y + ra_i - rp_i - 1).min(y);
        for r in first..=y + (radius - rb) as isize {
            self.load(src, r);
        }
        let refresh = !self.started || (y - self.phase).rem_euclid(REFRESH_ROWS as isize) == 0;
        self.started = true;
        let p2 = ((2 * rp + 1) * (2 * rp + 1)) as f32;
        let hf = h as f32;
        let full_scale = p2 / (p2 * hf);
        let cap = (2.0 * maths::TAU as f64 * h) as f32;
        // patch pairs centred on row u; the aggregation's rows y − A/2 … y + A/2 = u
        let u = y + ra_i;
        // the partial sum used up on this row starts on row u − 2·A/2 ≡ u (mod 2·A/2)
        let nsums = 2 * ra;
        let used = if nsums > 0 {
            u.rem_euclid(nsums as isize) as usize
        } else {
            0
        };
        let acc_rows = (rw + 1) as isize;
        let margin = ra + rp;
        let PassState {
            offsets,
            rows,
            colsum,
            agg,
            num,
            den,
            max,
            scratch,
            ..
        } = self;
        let rows = &rows[..];
        let mut pairs: Vec<PairRows<'_>> = Vec::with_capacity(2 * rp + 1);
        let sa = y.rem_euclid(acc_rows) as usize * w;
        let (ry, nrows) = (
            &rows[y.rem_euclid(rows.len() as isize) as usize],
            rows.len(),
        );
        for (o, &(dy, dx)) in offsets.iter().enumerate() {
            for x0 in (0..w).step_by(BLOCK) {
                let x1 = (x0 + BLOCK).min(w);
                let d = (dy, dx);
                let (dxp, dxn) = (dx.max(0) as usize, (-dx).max(0) as usize);
                // the pairs whose s (padded column p) or s + d is on the block
                let (pa, pb) = (x0 + radius - dxp, x1 + radius + dxn);
                // the column sums of e over rows u − P/2 … u + P/2 at [pa − margin, pb +
                // margin); those left of cs0 the previous block updated
                let cs0 = if x0 == 0 {
                    pa - margin
                } else {
                    x0 + radius + dxn + margin
                };
                let cs = &mut colsum[o][cs0..pb + margin];
                if refresh {
                    pairs.clear();
                    pairs.extend((-rp_i..=rp_i).map(|k| Self::pair(rows, u + k, d, cs0, full)));
                    maths::column_sums(cs, &pairs, cap);
                } else {
                    let new = Self::pair(rows, u + rp_i, d, cs0, full);
                    let old = Self::pair(rows, u - rp_i - 1, d, cs0, full);
                    maths::column_sums_step(cs, new, old, cap);
                }
                // D, the patch sums, and the weights of the patch pairs at [pa − A/2, pb + A/2)
                let (o0, n_om) = (pa - ra, lanes(pb - pa + 2 * ra));
                let counts = if full {
                    None
                } else {
                    pairs.clear();
                    pairs.extend((-rp_i..=rp_i).map(|k| Self::pair(rows, u + k, d, o0 - rp, full)));
                    let ncol = &mut scratch.ncol[..n_om + 2 * rp];
                    maths::valid_counts(ncol, &pairs);
                    let nsum = &mut scratch.nsum[..n_om];
                    maths::box_sum(ncol, rp, nsum);
                    Some(&*nsum)
                };
                let omega = &mut scratch.omega[..n_om];
                let cs = &colsum[o][o0 - rp..];
                maths::patch_weights(cs, rp, counts, (p2, hf, full_scale), omega);
                // the aggregation (A columns now, into row u's slot; A rows below) and the pixel
                // pairs: weights (both pixels valid) and moves
                let n = pb - pa;
                let nl = lanes(n);
                // the sums, the one used up first; this block moves them down one row on the
                // columns no later block reads (all that remain, for the last block)
                let mut sums: [&mut [f32]; 8] = Default::default();
                for (j, row) in agg[o].chunks_exact_mut(wp).enumerate() {
                    sums[(j + nsums - used) % nsums] = &mut row[pa..];
                }
                let keep = if x1 == w { n } else { x1 - x0 };
                let rt = &rows[(y + dy as isize).rem_euclid(nrows as isize) as usize];
                let pt = (pa as isize + dx) as usize;
                let masks = (!full).then(|| (&ry.v[pa..], &rt.v[pt..]));
                let (wv, delta) = (&mut scratch.w[..nl], &mut scratch.delta[..nl]);
                let g = &mut scratch.g[..nl];
                // (the whole scratch: the lanes past n read up to 2·A/2 values past n_om)
                maths::pair_weights(
                    &scratch.omega,
                    ra,
                    &mut sums[..nsums],
                    keep,
                    g,
                    masks,
                    (&ry.x[pa..], &rt.x[pt..]),
                    wv,
                    delta,
                );
                // s on row y: N(s) += w·(x(s + d) − x(s)); t = s + d on row y + dy: the opposite
                let mut acc = Acc {
                    num: &mut num[sa + x0..sa + x1],
                    den: &mut den[sa + x0..sa + x1],
                    max: &mut max[sa + x0..sa + x1],
                };
                acc.add(&wv[dxp..], &delta[dxp..], 1.0);
                let ta = (y + dy as isize).rem_euclid(acc_rows) as usize * w;
                let mut acc = Acc {
                    num: &mut num[ta + x0..ta + x1],
                    den: &mut den[ta + x0..ta + x1],
                    max: &mut max[ta + x0..ta + x1],
                };
                acc.add(&wv[dxn..], &delta[dxn..], -1.0);
            }
        }
        // row y has every pair: the estimate, then the slot is cleared for row y + W/2 + 1
        let acc = Acc {
            num: &mut num[sa..sa + w],
            den: &mut den[sa..sa + w],
            max: &mut max[sa..sa + w],
        };
        acc.finish(centre, out);
        num[sa..sa + w].fill(0.0);
        den[sa..sa + w].fill(0.0);
        max[sa..sa + w].fill(0.0);
    }
}
