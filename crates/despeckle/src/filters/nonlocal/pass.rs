//! The streaming state of one pass of the non-local filter over one plane.
//!
//! At the engine's row `y` (window rows `y − R … y + R`, `R` = [`Geometry::radius`]) the pass
//! handles every pixel pair `(s, s + d)` with `s` on row `y` and `d` in the positive half of the
//! search window (`d_y > 0`, or `d_y = 0, d_x > 0`), and adds its weight to both pixels: row `y`
//! and row `y + d_y` of a ring of accumulators. Row `y` then has all its pairs (those with a
//! pixel above came from earlier rows) and is written out. Per offset the state keeps the
//! running column sums of the dissimilarity over `P` rows, and the last `A` rows of patch-pair
//! weights summed over `A` columns (the aggregation). Column sums are recomputed directly on
//! rows `phase + k·`[`REFRESH_ROWS`] (and on the pass's first row, which is one of them), so
//! every value is a function of its position only: bit-identical whatever band the row falls
//! in, once [`Geometry::warmup`] rows have run.
//!
//! A pass reads its rows through a [`Source`]: the values and validity from the engine's window
//! (which may be wider and taller than the pass's reach: pass 1 of the chained filter runs rows
//! ahead of the engine's row), the guide either from a local mean of those values (pass 1) or
//! from the pilot rows pass 1 produced (pass 2).

use super::maths::{self, Acc};
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
        let wp = width + 2 * r;
        let offsets = (2 * self.rw + 1) * (2 * self.rw + 1) / 2;
        let a = 2 * self.ra + 1;
        4 * (offsets * (1 + a) * wp         // column sums, aggregation rows
            + 3 * (2 * r + 2) * wp          // guide, validity, value rows
            + 3 * (self.rw + 1) * width     // accumulators
            + 8 * wp) // scratch rows
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
    /// Per offset: `A` rows of weights summed over `A` columns, slot `row mod A`.
    agg: Vec<Vec<f32>>,
    /// Accumulators `N`, `S`, `M` of rows `y … y + W/2`, slot `row mod (W/2 + 1)`.
    num: Vec<f32>,
    den: Vec<f32>,
    max: Vec<f32>,
    started: bool,
    /// Column sums are recomputed on rows `≡ phase (mod REFRESH_ROWS)`.
    phase: isize,
    // scratch rows (padded width)
    e_new: Vec<f32>,
    e_old: Vec<f32>,
    ncol: Vec<f32>,
    nsum: Vec<f32>,
    dsum: Vec<f32>,
    wrow: Vec<f32>,
    delta: Vec<f32>,
}

impl PassState {
    /// The state for an image `width` wide, recomputing its column sums on its first row and
    /// on rows `≡ phase (mod REFRESH_ROWS)`.
    pub fn new(geo: Geometry, width: usize, phase: usize) -> Self {
        let r = geo.radius();
        let wp = width + 2 * r;
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
            agg: vec![vec![0.0; a * wp]; offsets.len()],
            offsets,
            num: vec![0.0; acc],
            den: vec![0.0; acc],
            max: vec![0.0; acc],
            started: false,
            phase: (phase % REFRESH_ROWS) as isize,
            e_new: vec![0.0; wp],
            e_old: vec![0.0; wp],
            ncol: vec![0.0; wp],
            nsum: vec![0.0; wp],
            dsum: vec![0.0; wp],
            wrow: vec![0.0; wp],
            delta: vec![0.0; wp],
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
        row.y = r;
        let wp = row.g.len();
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
                let mut sum = vec![0.0f64; wp];
                let mut cnt = vec![0.0f64; wp];
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

    /// `e` (or the validity of the pairs, `valid_only`) of row `r` for offset `(dy, dx)`.
    #[inline(always)]
    fn pair_row(
        &self,
        r: isize,
        dy: usize,
        dx: isize,
        valid_only: bool,
        full: bool,
        out: &mut [f32],
    ) {
        let (a, b) = (
            &self.rows[self.slot(r)],
            &self.rows[self.slot(r + dy as isize)],
        );
        debug_assert!(a.y == r && b.y == r + dy as isize);
        let wp = out.len();
        let rb = self.geo.rb;
        let lo = rb + (-dx).max(0) as usize;
        let hi = wp - rb - dx.max(0) as usize;
        if valid_only {
            maths::pair_valid(&a.v, &b.v, dx, lo, hi, out);
        } else {
            let cap = (2.0 * maths::TAU as f64 * self.geo.h) as f32;
            let masks = (!full).then_some((&a.v[..], &b.v[..]));
            maths::dissimilarity(&a.g, &b.g, masks, dx, lo, hi, cap, out);
        }
    }

    /// Handles row `y`, read from `src` (`full`: every position `src` holds is valid), and
    /// writes its estimates to `out`; `centre`: row `y`'s values in the image's precision.
    #[inline(always)]
    pub fn row(&mut self, src: &Source<'_>, y: isize, full: bool, centre: &[f64], out: &mut [f64]) {
        let Geometry { rw, rp, ra, rb, h } = self.geo;
        let radius = self.geo.radius();
        let (w, wp) = (self.width, self.width + 2 * radius);
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
        let u = y + ra_i;
        let a = 2 * ra + 1;
        let acc_rows = rw + 1;
        let mut e_new = std::mem::take(&mut self.e_new);
        let mut e_old = std::mem::take(&mut self.e_old);
        let mut ncol = std::mem::take(&mut self.ncol);
        let mut nsum = std::mem::take(&mut self.nsum);
        let mut dsum = std::mem::take(&mut self.dsum);
        let mut wrow = std::mem::take(&mut self.wrow);
        for o in 0..self.offsets.len() {
            let (dy, dx) = self.offsets[o];
            let lo = rb + (-dx).max(0) as usize;
            let hi = wp - rb - dx.max(0) as usize;
            // the column sums of e over rows u − P/2 … u + P/2
            let mut colsum = std::mem::take(&mut self.colsum[o]);
            if refresh {
                for k in -rp_i..=rp_i {
                    self.pair_row(u + k, dy, dx, false, full, &mut e_new);
                    if k == -rp_i {
                        colsum.copy_from_slice(&e_new);
                    } else {
                        maths::add(&mut colsum, &e_new);
                    }
                }
            } else {
                self.pair_row(u + rp_i, dy, dx, false, full, &mut e_new);
                self.pair_row(u - rp_i - 1, dy, dx, false, full, &mut e_old);
                maths::add_sub(&mut colsum, &e_new, &e_old);
            }
            // D, the patch sums, and the weights of the patch pairs centred on row u
            maths::box_sum(&colsum, rp, lo, hi, &mut dsum);
            self.colsum[o] = colsum;
            let counts = if full {
                None
            } else {
                for k in -rp_i..=rp_i {
                    self.pair_row(u + k, dy, dx, true, full, &mut e_old);
                    if k == -rp_i {
                        ncol.copy_from_slice(&e_old);
                    } else {
                        maths::add(&mut ncol, &e_old);
                    }
                }
                maths::box_sum(&ncol, rp, lo, hi, &mut nsum);
                Some(&nsum[..])
            };
            maths::weights(&mut dsum, counts, (p2, hf), full_scale);
            // the aggregation: A columns now, A rows below
            let agg = &mut self.agg[o];
            let su = u.rem_euclid(a as isize) as usize;
            maths::box_sum(
                &dsum,
                ra,
                lo + rp,
                hi - rp,
                &mut agg[su * wp..(su + 1) * wp],
            );
            for (i, r) in (y - ra_i..=y + ra_i).enumerate() {
                let sr = r.rem_euclid(a as isize) as usize;
                let src = &agg[sr * wp..(sr + 1) * wp];
                if i == 0 {
                    wrow.copy_from_slice(src);
                } else {
                    maths::add(&mut wrow, src);
                }
            }
            // both pixels valid: the pair's weight
            let (rs, rt) = (self.slot(y), self.slot(y + dy as isize));
            if !full {
                maths::pair_valid(&self.rows[rs].v, &self.rows[rt].v, dx, lo, hi, &mut e_old);
                for (wv, &m) in wrow.iter_mut().zip(&e_old) {
                    *wv *= m;
                }
            }
            // s on row y: N(s) += w·(x(s + d) − x(s)); t = s + d on row y + dy: the opposite
            let mut delta = std::mem::take(&mut self.delta);
            maths::pair_delta(
                &wrow,
                &self.rows[rs].x,
                &self.rows[rt].x,
                dx,
                lo,
                hi,
                &mut delta,
            );
            let sa = (y.rem_euclid(acc_rows as isize) as usize) * w;
            let mut acc = Acc {
                num: &mut self.num[sa..sa + w],
                den: &mut self.den[sa..sa + w],
                max: &mut self.max[sa..sa + w],
            };
            acc.add(&wrow, &delta, radius, 1.0);
            let ta = ((y + dy as isize).rem_euclid(acc_rows as isize) as usize) * w;
            let mut acc = Acc {
                num: &mut self.num[ta..ta + w],
                den: &mut self.den[ta..ta + w],
                max: &mut self.max[ta..ta + w],
            };
            acc.add(&wrow, &delta, (radius as isize - dx) as usize, -1.0);
            self.delta = delta;
        }
        // row y has every pair: the estimate, then the slot is cleared for row y + W/2 + 1
        let sa = (y.rem_euclid(acc_rows as isize) as usize) * w;
        let acc = Acc {
            num: &mut self.num[sa..sa + w],
            den: &mut self.den[sa..sa + w],
            max: &mut self.max[sa..sa + w],
        };
        acc.finish(centre, out);
        self.num[sa..sa + w].fill(0.0);
        self.den[sa..sa + w].fill(0.0);
        self.max[sa..sa + w].fill(0.0);
        self.e_new = e_new;
        self.e_old = e_old;
        self.ncol = ncol;
        self.nsum = nsum;
        self.dsum = dsum;
        self.wrow = wrow;
    }
}
