//! The streaming state of one pass of the non-local filter over one plane.
//!
//! The pass works on tiles of [`TILE`] rows starting on rows `≡ 0 (mod TILE)`: for a tile
//! `t … t + TILE − 1` it handles every pixel pair `(s, s + d)` with `s` on the tile and `d` in
//! the positive half of the search window (`d_y > 0`, or `d_y = 0, d_x > 0`), and adds its weight
//! to both pixels: rows of the tile and up to `W/2` rows below it, in a ring of accumulators.
//! The tile's rows then have all their pairs (those with a pixel above came from the previous
//! tile) and are finished. Per [`GROUP`] of offsets and block of columns, the tile runs down
//! its rows with each offset's column sums of the dissimilarity over `P` rows and the
//! aggregation's `A − 1` partial sums held in the block's scratch: they start afresh on every
//! tile (direct column sums on its first row, zero partial sums `2·A/2` rows above it), so
//! every value is a function of its
//! position only — bit-identical whatever band the row falls in, once [`Geometry::warmup`] rows
//! have run — and no state spans the width between tiles but the accumulators. The blocks of
//! columns of a tile are independent (each adds to its own accumulators) and run on rayon's
//! workers, so one band of rows keeps every core busy (`MultiFilter::column_tasks`).
//!
//! A pass reads its rows through a [`Source`]: the values and validity from the engine's window
//! (which reaches `TILE − 1` rows further down than the pass's reach, and may be wider and
//! taller: pass 1 of the chained filter runs rows ahead of the engine's row), the guide either
//! from a local mean of those values (pass 1) or from the pilot rows pass 1 produced (pass 2).

use super::aligned::{Aligned, prefetch};
use super::maths::{self, Accumulators, LANES, PairRows, lanes};
use super::pilot::Pilot;
use crate::engine::{REFRESH_ROWS, Window};
use rayon::prelude::*;

/// Rows of a tile: the engine's refresh period, so that tiles start where bands do.
pub(crate) const TILE: usize = REFRESH_ROWS;
use crate::sample::Real;

/// Rows of the point-target rule's near sums: a tile and the row below it, which the pairs
/// `(s, s + d)` with `d_y = 1` reach.
const NEAR_ROWS: usize = TILE + 1;

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
    /// The point-target rule of the pass.
    pub targets: Targets,
    /// Which pass of the chain this is.
    pub kind: Kind,
}

/// Which pixels a pass returns unchanged as point targets (docs/nonlocal.md §4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Targets {
    /// None.
    Off,
    /// Those whose value exceeds `κ` times `R₋`, the weighted mean of the pixels outside their
    /// `3 × 3` neighbourhood, and those no pixel outside it has a positive weight for (the
    /// filter's only pass, or pass 1 of two).
    Ratio(f64),
    /// Those pass 1 returned unchanged (pass 2): the pilot's `u²` there is `E₀·L/2`, the scale
    /// of a value with no other weight ([`maths::pilot_scale`]), which no weighted mean has.
    Pilot(f32),
}

impl Targets {
    /// Whether the pass keeps the sums of the pairs within the `3 × 3` neighbourhood apart
    /// until the test ([`Targets::Ratio`]).
    fn near_sums(self) -> bool {
        matches!(self, Targets::Ratio(_))
    }
}

/// What a pass computes besides its estimates, and how it compares its guide.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    /// The filter's only pass.
    Alone,
    /// Pass 1 of two: also `Q = Σ w²` and the pilot's `u²` for `looks` (docs/nonlocal.md §2).
    Pilot { looks: f64 },
    /// Pass 2: `e` scaled by the pilot's `max(u²(q), u²(q + d))`, and the flat top `φ·P²`
    /// (docs/nonlocal.md §3).
    Second,
}

impl Geometry {
    /// How far the output reads the input: `W/2 + P/2 + A/2 + b/2`.
    pub fn radius(&self) -> usize {
        self.rw + self.rp + self.ra + self.rb
    }

    /// Rows run before the first output row so that every accumulator is complete: `W/2`
    /// rows of pairs reaching down to the row (and `2·A/2` more, which the tiles no longer
    /// need but the band starts and dask halos keep).
    pub fn warmup(&self) -> usize {
        self.rw + 2 * self.ra
    }

    /// The power of two `k` the averaged values are divided by while the pass sums them
    /// (docs/nonlocal.md §10, "Numeric range"): the least with `2^k ≥ 2·A²·(W² − 1)`, so that
    /// `N = Σ w·(x(t) − x(s))/2^k` stays within `f32`'s range whatever finite `f32` values the
    /// image holds (`|x(t) − x(s)| ≤ 2·max`, `w ≤ A²`, `W² − 1` other pixels). Dividing by a
    /// power of two is exact, so the estimates are the same bits as without it wherever the
    /// scaled values stay normal (above `2^(k − 126)` in magnitude).
    pub fn value_shift(&self) -> i32 {
        let (a, w) = (2 * self.ra + 1, 2 * self.rw + 1);
        let bound = (2 * a * a * (w * w - 1)) as f64;
        bound.log2().ceil() as i32
    }

    /// How many rows above its tile a pass reads the guide: `P/2 + A/2`.
    pub fn rows_above(&self) -> usize {
        self.rp + self.ra
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

    /// The input rows `lo .. hi` the tile starting on row `t` reads: the rows above it its
    /// patches read, the tile, and the pass's reach below it (less the local mean's radius,
    /// which the guide's rows already include).
    fn tile_rows(&self, t: isize) -> (isize, isize) {
        (
            t - self.rows_above() as isize,
            t + (TILE + self.radius() - self.rb) as isize,
        )
    }

    /// Rows of the ring of input rows: a tile, the rows above it its patches read, and the
    /// pass's reach below it.
    fn ring_rows(&self) -> usize {
        TILE + self.rows_above() + self.radius() + 2
    }

    /// Values of one block's scratch rows: the block, its pairs' margins, and a chunk of lanes.
    fn scratch_len(&self, block: usize) -> usize {
        // (whole lines, so that every row of the partial sums starts on one)
        lanes(block + 2 * (self.rw + self.rp + self.ra) + 2 * LANES)
    }

    /// Bytes of one plane's [`PassState`] for an image `width` wide.
    pub fn state_bytes(&self, width: usize) -> usize {
        // (the machine's cores: fewer workers give wider blocks, with fewer margins, so this
        // is the most)
        let block = block_width(width, cores());
        let r = self.radius();
        // padded rows, and LANES more for the chunked loops
        let wp = width + 2 * r + LANES;
        let offsets = (2 * self.rw + 1) * (2 * self.rw + 1) / 2;
        let (pilot, second, near) = (
            matches!(self.kind, Kind::Pilot { .. }) as usize,
            (self.kind == Kind::Second) as usize,
            self.targets.near_sums() as usize,
        );
        4 * ((3 + second) * self.ring_rows() * wp   // guide, validity, value (scale) rows
            + ((3 + pilot) * (TILE + self.rw) + 2 * near * NEAR_ROWS) * width // accumulators
            + GROUP * (7 + 2 * self.ra) * self.scratch_len(block) * width.div_ceil(block)) // scratch
            + (8 + 4 * pilot) * TILE * width        // the tile's estimates (and u²)
            + (2 * self.rp + 1) * size_of::<PairRows<'_>>() // one row's row pairs
            // the offsets and the headers of the ring's rows
            + offsets * size_of::<(usize, isize)>()
            + self.ring_rows() * size_of::<Row>()
            + width.div_ceil(block) * size_of::<Block>()
    }
}

/// One input row as the pass reads it (padded columns).
#[derive(Debug, Clone)]
struct Row {
    /// The absolute row index it holds (`isize::MIN`: none yet).
    y: isize,
    /// Guide `ln max(B, ε)`, 0 where invalid.
    g: Aligned,
    /// 1 valid, 0 not.
    v: Aligned,
    /// The value divided by `2^k` ([`Geometry::value_shift`]), 0 where invalid.
    x: Aligned,
    /// The pilot's `u²` (pass 2; empty otherwise).
    u: Aligned,
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
    /// The blocks of [`block_width`] columns: their accumulators and scratch.
    blocks: Vec<Block>,
    /// The estimates of the last tile's rows, `TILE` rows of the image's width.
    pub est: Vec<f64>,
    /// The pilot's `u²` of the last tile's rows (pass 1 of two; empty otherwise).
    pub scales: Vec<f32>,
    /// The last row [`PassState::keep_rows`] loaded.
    kept: Option<isize>,
    /// The point targets of one finished row of a block.
    targets: Vec<bool>,
}

/// One block of [`block_width`] image columns `x0 .. x1` of a pass.
#[derive(Debug)]
struct Block {
    x0: usize,
    x1: usize,
    /// Accumulators `N`, `S`, `M` (and `Q = Σ w²` for pass 1 of two) of the block's columns
    /// of rows `t … t + TILE + W/2 − 1`, slot `row mod (TILE + W/2)`, `x1 − x0` per slot.
    acc: Accumulators,
    /// Column sums, partial sums, patch sums and counts of the block (and its margins), one
    /// per offset of a [`GROUP`].
    scratch: Vec<Scratch>,
}

/// The per-block scratch of [`PassState::tile`]: every step of one offset over one block of
/// [`block_width`] columns (plus margins) reads and writes these, which stay in L1.
#[derive(Debug, Default)]
struct Scratch {
    /// Column sums of the dissimilarity over the patch rows around the current row.
    cs: Aligned,
    /// The aggregation's `A − 1` partial sums (`A − 1` rows).
    sums: Aligned,
    /// Validity counts of the columns of the patch pairs (with invalid pixels about).
    ncol: Aligned,
    /// Validity counts of the patch pairs, for patches other than 5, 7 and 9 (whose weights
    /// sum the column counts in their own loop).
    nsum: Aligned,
    /// Patch-pair weights.
    omega: Aligned,
    /// The newest aggregation row, pixel-pair weights and moves.
    g: Aligned,
    w: Aligned,
    delta: Aligned,
}

/// Image columns of one block of [`PassState::tile`]'s loop for an image `width` wide and
/// `workers` workers ([`workers`]): each offset runs all its steps over one block before the
/// next block, so that the block's rows stay close. The widest of 512 and 384 columns that
/// still gives every worker two blocks (so that the workers share one band of rows,
/// `MultiFilter::column_tasks`, rather than each running its own with its own state and
/// warm-up), else 256. One pass at 3,000², one thread, offsets in pairs: 384 and 512 columns
/// ran alike, 768 ≈ 3 % and 256 ≈ 13 % slower (their margins, computed again by both
/// neighbours, and per-row set-up weigh more); at 1,400², two threads, 384 (four blocks) ran
/// ≈ 8 % faster than 256 (six); one thread at 1,000² on a 2-core machine, 512 (two blocks)
/// ≈ 12 % faster than the 256 chosen for its two cores before the workers were counted. The
/// bits do not depend on it.
pub(crate) fn block_width(width: usize, workers: usize) -> usize {
    [512, 384]
        .into_iter()
        .find(|&b| width.div_ceil(b) >= 2 * workers)
        .unwrap_or(256)
}

/// The machine's cores.
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The workers a run with `opts` asks for ([`Options::threads`], at most the machine's cores;
/// all of them by default), for [`block_width`]. The drivers may run fewer (for memory, or on
/// few rows); the blocks are then narrower than need be, never wrong: the bits do not depend
/// on them.
pub(crate) fn workers(opts: &crate::Options) -> usize {
    opts.threads().unwrap_or(usize::MAX).min(cores()).max(1)
}

impl PassState {
    /// The state for an image `width` wide, for `workers` workers ([`block_width`]).
    pub fn new(geo: Geometry, width: usize, workers: usize) -> Self {
        let r = geo.radius();
        let wp = width + 2 * r + LANES;
        let row = Row {
            y: isize::MIN,
            g: Aligned::zeros(wp),
            v: Aligned::zeros(wp),
            x: Aligned::zeros(wp),
            u: if geo.kind == Kind::Second {
                Aligned::zeros(wp)
            } else {
                Aligned::default()
            },
        };
        let pilot = matches!(geo.kind, Kind::Pilot { .. });
        let cols = block_width(width, workers);
        let n = geo.scratch_len(cols);
        let block = |x0: usize| {
            let x1 = (x0 + cols).min(width);
            Block {
                x0,
                x1,
                acc: Accumulators::new(
                    x1 - x0,
                    TILE + geo.rw,
                    pilot,
                    if geo.targets.near_sums() {
                        NEAR_ROWS
                    } else {
                        0
                    },
                ),
                scratch: (0..GROUP)
                    .map(|_| Scratch {
                        cs: Aligned::zeros(n),
                        sums: Aligned::zeros(2 * geo.ra * n),
                        ncol: Aligned::zeros(n),
                        nsum: Aligned::zeros(n),
                        omega: Aligned::zeros(n),
                        g: Aligned::zeros(n),
                        w: Aligned::zeros(n),
                        delta: Aligned::zeros(n),
                    })
                    .collect(),
            }
        };
        PassState {
            geo,
            width,
            rows: vec![row; geo.ring_rows()],
            offsets: geo.offsets(),
            blocks: (0..width).step_by(cols).map(block).collect(),
            est: vec![0.0; TILE * width],
            scales: if pilot {
                vec![0.0; TILE * width]
            } else {
                vec![]
            },
            kept: None,
            targets: vec![false; cols.min(width)],
        }
    }

    /// Loads the rows entering `src`'s window down to row `bottom` (the last one the pass's
    /// next tile reads, plus the local mean's radius), from the rows the tile starting on row
    /// `first` reads on: rows leave the window before the tile that reads them last (its rows
    /// above), so the pass keeps them. With `batch` (the call before a tile) every row not yet
    /// loaded is, in one parallel batch; otherwise only the rows whose local mean would lose its
    /// top row from the window at the next call (the window moves down one row per call), so
    /// that the rows of a tile normally load together, on every worker.
    pub fn keep_rows(&mut self, src: &Source<'_>, first: isize, bottom: isize, batch: bool) {
        let rb = self.geo.rb as isize;
        let from = match self.kept {
            Some(k) => k + 1,
            None => (first - self.geo.rows_above() as isize).max(src.top + rb),
        };
        let to = if batch {
            bottom - rb
        } else {
            (bottom - rb).min(src.top + rb)
        };
        if to < from {
            return;
        }
        self.load_rows(src, from, to);
        self.kept = Some(self.kept.map_or(to, |k| k.max(to)));
    }

    /// Makes sure the absolute rows `lo ..= hi` (at most the ring's size) are in the row ring,
    /// read from `src`. Each row goes to its own slot and depends on `src` only, so the rows
    /// missing load in parallel on rayon's workers, with the same values whatever the workers.
    fn load_rows(&mut self, src: &Source<'_>, lo: isize, hi: isize) {
        let n = self.rows.len() as isize;
        debug_assert!(hi - lo < n);
        // the row of lo ..= hi that slot `slot` holds, if it is not there yet
        let missing = |slot: usize, row: &Row| {
            let r = lo + (slot as isize - lo).rem_euclid(n);
            (r <= hi && row.y != r).then_some(r)
        };
        if self
            .rows
            .iter()
            .enumerate()
            .all(|(s, row)| missing(s, row).is_none())
        {
            return;
        }
        let (rb, shift) = (self.geo.rb, self.geo.value_shift());
        self.rows
            .par_iter_mut()
            .enumerate()
            .for_each(|(slot, row)| {
                if let Some(r) = missing(slot, row) {
                    load_row(row, rb, shift, src, r);
                }
            });
    }

    /// The row pair `(r, r + d_y)` of offset `(d_y, d_x)` read from padded position `p` on.
    #[inline(always)]
    fn pair<const S: bool>(
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
            scales: if S {
                (&a.u[p..], &b.u[q..])
            } else {
                (&[], &[])
            },
        }
    }

    /// Handles the tile of rows `t … t + TILE − 1` (`t` on a fixed phase of [`TILE`]: the
    /// same whatever the band), read from `src`
    /// (`full`: every position `src` holds is valid), and writes their estimates to
    /// [`PassState::est`]. The rows below the tile that its pairs reach keep their
    /// accumulators for the next tile.
    ///
    /// The blocks of [`block_width`] image columns are independent (each adds to its own columns
    /// only) and run on rayon's workers; each runs over the offsets in [`GROUP`]s, and for each
    /// group down the tile's rows: every step (column sums, patch sums, weights, aggregation,
    /// pixel pairs, per offset, then both accumulations for the group) runs over one block and
    /// its margins, in L1, and the column sums and partial sums stay in the block's scratch
    /// from row to row. An offset `(d_y, d_x)` handles on a block the pairs `(s, s + d)` whose
    /// `s` is on the block or whose `s + d` is (so `|d_x|` columns more), and adds to the
    /// block's columns only: every accumulator receives its terms in the same order (tile,
    /// group, row; `+Δ` before `−Δ`; offset) whatever the blocks and the workers. The values
    /// of the margins are computed again, identically, by both blocks.
    #[inline(always)]
    pub fn tile(&mut self, src: &Source<'_>, t: isize, full: bool) {
        // the pilot's sums and pass 2's scales only where they exist: pass 1's loop as it was
        match self.geo.kind {
            Kind::Alone => self.tile_of::<false, false>(src, t, full),
            Kind::Pilot { .. } => self.tile_of::<true, false>(src, t, full),
            Kind::Second => self.tile_of::<false, true>(src, t, full),
        }
    }

    /// [`PassState::tile`] with `Q` (accumulate `Σ w²`, give the pilot's `u²`) and `S`
    /// (`e` scaled by the pilot's `u²`, flat top) fixed.
    #[inline(always)]
    fn tile_of<const Q: bool, const S: bool>(&mut self, src: &Source<'_>, t: isize, full: bool) {
        let geo = self.geo;
        let radius = geo.radius();
        let (lo, hi) = geo.tile_rows(t);
        self.load_rows(src, lo, hi - 1);
        let job = TileJob {
            geo,
            rows: &self.rows,
            offsets: &self.offsets,
            t,
            full,
        };
        let level = crate::engine::dispatch::level();
        self.blocks.par_iter_mut().for_each(|block| {
            crate::engine::dispatch::run(level, BlockCall::<Q, S> { job: &job, block })
        });
        // the tile's rows have every pair: the estimates, then their slots are cleared for the
        // rows further down
        let w = self.width;
        let values = src.window.values();
        let up = (geo.value_shift() as f64).exp2();
        for i in 0..TILE {
            let y = t + i as isize;
            let centre = &values[(y - src.top) as usize][src.col + radius..];
            for b in &mut self.blocks {
                let (x0, x1) = (b.x0, b.x1);
                let mut acc = b.acc.at::<Q>(y);
                let (centre, targets) = (&centre[x0..x1], &mut self.targets[..x1 - x0]);
                match geo.targets {
                    Targets::Off => targets.fill(false),
                    Targets::Ratio(q) => {
                        acc.targets(centre, q, up, targets);
                        acc.fold_near();
                    }
                    // the pilot's u² at the tile's row, in the pass's ring
                    Targets::Pilot(alone) => {
                        let row = &self.rows[y.rem_euclid(self.rows.len() as isize) as usize];
                        debug_assert_eq!(row.y, y);
                        for (k, &u) in targets.iter_mut().zip(&row.u[radius + x0..radius + x1]) {
                            *k = u == alone;
                        }
                    }
                }
                acc.finish(centre, targets, up, &mut self.est[i * w + x0..i * w + x1]);
                if let Kind::Pilot { looks } = geo.kind {
                    acc.scales(looks, targets, &mut self.scales[i * w + x0..i * w + x1]);
                }
                b.acc.clear(y);
            }
        }
    }
}

/// Loads absolute row `r` from `src` into `row`: values (divided by `2^shift`,
/// [`Geometry::value_shift`]; a `float64` value beyond the range of `f32` values so divided
/// saturates to its ends) and validity, and the guide.
fn load_row(row: &mut Row, rb: usize, shift: i32, src: &Source<'_>, r: isize) {
    let (values, valid) = (src.window.values(), src.window.valid());
    let k = (r - src.top) as usize;
    let c = src.col;
    row.y = r;
    let wp = row.g.len() - LANES;
    let down = (-shift as f64).exp2();
    let most = (f32::MAX as f64 * down) as f32;
    for p in 0..wp {
        row.x[p] = ((values[k][c + p] * down) as f32).clamp(-most, most);
        row.v[p] = valid[k][c + p] as f32;
    }
    match src.guide {
        // the pilot's logs, 0 where invalid
        Guide::Pilot(pilot) => {
            let (logs, scales) = pilot.row(r);
            for (g, (&l, &v)) in row.g.iter_mut().zip(logs.iter().zip(row.v.iter())) {
                *g = f32::select(v > 0.0, l, 0.0);
            }
            row.u[..wp].copy_from_slice(&scales[..wp]);
        }
        // the pixels' logs, 0 where invalid
        Guide::LocalMean if rb == 0 => {
            for p in 0..wp {
                let g = maths::log_floor_wide(values[k][c + p]);
                row.g[p] = f32::select(row.v[p] > 0.0, g, 0.0);
            }
        }
        Guide::LocalMean => {
            row.g.fill(0.0);
            // B = the mean of the valid values of the b × b window, in f64: the sums of its
            // columns (top to bottom, from 0) added left to right; in chunks of positions,
            // whose column sums sit on the stack, in loops over the positions that vectorise
            const CHUNK: usize = 256;
            let (mut s, mut n) = ([0.0f64; CHUNK + 2 * MAX_RB], [0.0f64; CHUNK + 2 * MAX_RB]);
            let (mut ms, mut mn) = ([0.0f64; CHUNK], [0.0f64; CHUNK]);
            for p0 in (rb..wp - rb).step_by(CHUNK) {
                let len = CHUNK.min(wp - rb - p0);
                // the columns p0 − rb … p0 + len + rb − 1
                let cols = len + 2 * rb;
                let (s, n) = (&mut s[..cols], &mut n[..cols]);
                s.fill(0.0);
                n.fill(0.0);
                for kk in k - rb..=k + rb {
                    let at = c + p0 - rb..c + p0 - rb + cols;
                    let (vs, ok) = (&values[kk][at.clone()], &valid[kk][at]);
                    for q in 0..cols {
                        s[q] += vs[q];
                        n[q] += ok[q];
                    }
                }
                let (ms, mn) = (&mut ms[..len], &mut mn[..len]);
                maths::box_sum(s, rb, ms);
                maths::box_sum(n, rb, mn);
                for (i, (&s1, &nn)) in ms.iter().zip(mn.iter()).enumerate() {
                    let p = p0 + i;
                    let mean = if nn > 0.0 { s1 / nn } else { 0.0 };
                    let g = maths::log_floor_wide(mean);
                    row.g[p] = if row.v[p] > 0.0 { g } else { 0.0 };
                }
            }
        }
    }
}

/// The largest radius of the guide's local mean: `presmooth` is at most `2·MAX_RB + 1 = 9`.
pub(crate) const MAX_RB: usize = 4;

/// What every block of one tile reads: the pass's geometry, rows and offsets.
struct TileJob<'a> {
    geo: Geometry,
    rows: &'a [Row],
    offsets: &'a [(usize, isize)],
    t: isize,
    full: bool,
}

/// One block of one tile, as `engine::dispatch` compiles it (the workers run it outside the
/// engine's dispatched row loop).
struct BlockCall<'a, 'b, const Q: bool, const S: bool> {
    job: &'a TileJob<'b>,
    block: &'a mut Block,
}

impl<const Q: bool, const S: bool> crate::engine::dispatch::Simd for BlockCall<'_, '_, Q, S> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        self.job.block::<Q, S>(self.block)
    }
}

/// Offsets handled together, down the rows of a tile: consecutive offsets of one `d_y` (the
/// same two rows of accumulators), at most this many. Each has its own scratch; their pairs
/// of one row add to the accumulators in one pass over them, which loads and stores each
/// accumulator once per group rather than once per offset. Measured at 3,000², one thread:
/// two ran ≈ 4 % faster than the loop over single offsets this replaced (≈ 9 % faster than
/// groups of one); three 1.8× slower (three scratches and their streams no longer stay in
/// L1).
const GROUP: usize = 2;

/// The offsets of [`Geometry::offsets`] in groups of at most [`GROUP`] consecutive ones with
/// the same `d_y`.
fn groups(offsets: &[(usize, isize)]) -> impl Iterator<Item = &[(usize, isize)]> {
    offsets
        .chunk_by(|a, b| a.0 == b.0)
        .flat_map(|row| row.chunks(GROUP))
}

/// Where one offset's work lies on one block (padded columns): the pairs `(s, s + d)` whose
/// `s` (at `pa …`) or `s + d` is on the block, the column sums of `e` from `c0` to
/// `pb + A/2 + P/2`, the patch pairs from `pa − A/2` (`n_om` of them), the pixel pairs from
/// `pa` (`nl`).
#[derive(Clone, Copy)]
struct Span {
    d: (usize, isize),
    /// `max(d_x, 0)` and `max(−d_x, 0)`: where the pairs of `s` and of `s + d` on the block
    /// start among the pixel pairs.
    dxp: usize,
    dxn: usize,
    pa: usize,
    pb: usize,
    c0: usize,
    n_om: usize,
    nl: usize,
}

impl Span {
    /// Whether the offset is within the `3 × 3` neighbourhood.
    fn near(&self) -> bool {
        self.d.0 <= 1 && self.d.1.abs() <= 1
    }
}

/// The constants of a pass's weights: those of `maths::patch_weights`, and the cap of `e`.
#[derive(Clone, Copy)]
struct WeightConsts {
    patch: maths::PatchScale,
    cap: f32,
}

impl<'r> TileJob<'r> {
    /// Every pair of the tile on `block` ([`PassState::tile`]).
    #[inline(always)]
    fn block<const Q: bool, const S: bool>(&self, block: &mut Block) {
        let TileJob {
            geo,
            rows,
            offsets,
            t,
            full,
        } = *self;
        let Geometry { rw, rp, ra, h, .. } = geo;
        let radius = geo.radius();
        let p2 = ((2 * rp + 1) * (2 * rp + 1)) as f32;
        let hf = h as f32;
        // pass 2: t = max(D − φ·P², 0)/h, so e above 2·(τ·h + φ·P²) changes no weight either
        let (cap, flat) = if S {
            let fp = maths::FLAT * p2 as f64;
            ((2.0 * (maths::TAU as f64 * h + fp)) as f32, (fp / h) as f32)
        } else {
            ((2.0 * maths::TAU as f64 * h) as f32, 0.0)
        };
        let consts = WeightConsts {
            patch: maths::PatchScale {
                p2,
                h: hf,
                full: p2 / (p2 * hf),
                flat,
            },
            cap,
        };
        let nsums = 2 * ra;
        let margin = ra + rp;
        let Block {
            x0,
            x1,
            acc,
            scratch,
        } = block;
        let (x0, x1) = (*x0, *x1);
        let nrows = rows.len() as isize;
        let row_at = |r: isize| &rows[r.rem_euclid(nrows) as usize];
        // where the window holds invalid positions but none of those this block reads (rows
        // t − P/2 − A/2 … t + 15 + W/2 + P/2 + A/2, padded columns x0 + reach − W/2 − P/2 − A/2
        // … x1 + reach + W/2 + P/2 + A/2), the block takes the loops without masks: the same
        // values (masks of ones change no product), a fraction of the cost
        let full = full || {
            let (c0, c1) = (x0 + radius - rw - margin, x1 + radius + rw + margin);
            let (r0, r1) = geo.tile_rows(t);
            (r0..r1).all(|r| row_at(r).v[c0..c1].iter().all(|&v| v > 0.0))
        };
        let span = |d: (usize, isize)| {
            let (dxp, dxn) = (d.1.max(0) as usize, (-d.1).max(0) as usize);
            let (pa, pb) = (x0 + radius - dxp, x1 + radius + dxn);
            Span {
                d,
                dxp,
                dxn,
                pa,
                pb,
                c0: pa - margin,
                n_om: lanes(pb - pa + 2 * ra),
                nl: lanes(pb - pa),
            }
        };
        let mut pairs: Vec<PairRows<'_>> = Vec::with_capacity(2 * rp + 1);
        let near_rule = geo.targets.near_sums();
        for group in groups(offsets) {
            let dy = group[0].0 as isize;
            let mut spans = [span(group[0]); GROUP];
            for (s, &d) in spans.iter_mut().zip(group) {
                *s = span(d);
            }
            let spans = &spans[..group.len()];
            for sc in &mut scratch[..group.len()] {
                let sl = sc.cs.len();
                sc.sums[..nsums * sl].fill(0.0);
            }
            // the patch pairs centred on rows u = t − A/2 … t + TILE − 1 + A/2: the pixel
            // pairs of row y = u − A/2 from the (2·A/2 + 1)-th on
            for k in 0..TILE + nsums {
                for (sc, sp) in scratch.iter_mut().zip(spans) {
                    self.offset_row::<S>(sc, &mut pairs, sp, k, full, consts);
                }
                if k < nsums {
                    continue;
                }
                // s on row y: N(s) += w·(x(s + d) − x(s)); t = s + d on row y + dy: the
                // opposite
                let y = t + (k - nsums) as isize;
                // the next row's values for the group's pixel pairs, which this step's other
                // streams push out of L1 between two offsets' reads: without the hint their
                // loads stall (≈ 6 % of a pass)
                if k + 1 < TILE + nsums {
                    // (the union of the group's ranges: the pixel pairs at [pa, pa + nl) on
                    // row y, at [pa + d_x, pa + d_x + nl) on row y + d_y)
                    let (mut a, mut b) = ((usize::MAX, 0), (usize::MAX, 0));
                    for sp in spans {
                        let pt = (sp.pa as isize + sp.d.1) as usize;
                        a = (a.0.min(sp.pa), a.1.max(sp.pa + sp.nl));
                        b = (b.0.min(pt), b.1.max(pt + sp.nl));
                    }
                    prefetch(&row_at(y + 1).x[a.0..a.1]);
                    prefetch(&row_at(y + 1 + dy).x[b.0..b.1]);
                }
                let mut s_parts: [(&[f32], &[f32]); GROUP] = Default::default();
                let mut t_parts = s_parts;
                for ((sc, sp), (sv, tv)) in scratch
                    .iter()
                    .zip(spans)
                    .zip(s_parts.iter_mut().zip(&mut t_parts))
                {
                    *sv = (&sc.w[sp.dxp..sp.nl], &sc.delta[sp.dxp..sp.nl]);
                    *tv = (&sc.w[sp.dxn..sp.nl], &sc.delta[sp.dxn..sp.nl]);
                }
                let n = spans.len();
                // with the point-target rule, the pairs within the 3 × 3 neighbourhood go to
                // the near sums (the others' then give R₋ outside it, `Acc::targets`)
                if near_rule && spans.iter().any(Span::near) {
                    for (sp, (sv, tv)) in spans.iter().zip(s_parts.iter().zip(&t_parts)) {
                        if sp.near() {
                            acc.near_at::<Q>(y).add::<Q, false>(&[*sv]);
                            acc.near_at::<Q>(y + dy).add::<Q, true>(&[*tv]);
                        } else {
                            acc.at::<Q>(y).add::<Q, false>(&[*sv]);
                            acc.at::<Q>(y + dy).add::<Q, true>(&[*tv]);
                        }
                    }
                } else {
                    acc.at::<Q>(y).add::<Q, false>(&s_parts[..n]);
                    acc.at::<Q>(y + dy).add::<Q, true>(&t_parts[..n]);
                }
            }
        }
    }

    /// Row `k` of the tile for one offset on one block (`Span`), in `scratch`: the column sums
    /// of `e` move down to the patch pairs centred on row `u = t − A/2 + k`, then the patch
    /// pairs' weights, and the aggregation: its partial sums only for the rows above the tile
    /// (`k < 2·A/2`), else also the weights `w` and moves `Δ` of the pixel pairs of row
    /// `y = u − A/2` (`maths::pair_weights`).
    #[inline(always)]
    fn offset_row<const S: bool>(
        &self,
        scratch: &mut Scratch,
        pairs: &mut Vec<PairRows<'r>>,
        sp: &Span,
        k: usize,
        full: bool,
        c: WeightConsts,
    ) {
        let (rows, t) = (self.rows, self.t);
        let Geometry { rp, ra, .. } = self.geo;
        let (rp_i, ra_i, nsums) = (rp as isize, ra as isize, 2 * ra);
        let Span {
            d,
            pa,
            pb,
            c0,
            n_om,
            nl,
            ..
        } = *sp;
        let (dy, dx) = (d.0 as isize, d.1);
        let pair = PassState::pair::<S>;
        let nrows = rows.len() as isize;
        let row_at = |r: isize| &rows[r.rem_euclid(nrows) as usize];
        // the scratch rows' length (`Geometry::scratch_len` of the block width)
        let sl = scratch.cs.len();
        let u = t - ra_i + k as isize;
        let cs = &mut scratch.cs[..pb + ra + rp - c0];
        // (with masks, the valid pairs of each column too, as running counts)
        let ncol = &mut scratch.ncol[..n_om + 2 * rp];
        if k == 0 {
            pairs.clear();
            pairs.extend((-rp_i..=rp_i).map(|j| pair(rows, u + j, d, c0, full)));
            maths::column_sums::<S>(cs, pairs, c.cap);
            if !full {
                maths::valid_counts(ncol, pairs);
            }
        } else {
            let new = pair(rows, u + rp_i, d, c0, full);
            let old = pair(rows, u - rp_i - 1, d, c0, full);
            // (with masks, the counts in the same loop)
            maths::column_sums_step::<S>(cs, ncol, new, old, c.cap);
        }
        // D, the patch sums, and the weights of the patch pairs at [pa − A/2, pa − A/2 + n_om)
        let counts = (!full).then(|| (&scratch.ncol[..n_om + 2 * rp], &mut scratch.nsum[..n_om]));
        let omega = &mut scratch.omega[..n_om];
        maths::patch_weights::<S>(&scratch.cs, rp, counts, c.patch, omega);
        // the partial sums, the one used up first (the sum starting on row u − 2·A/2)
        let used = if nsums > 0 {
            u.rem_euclid(nsums as isize) as usize
        } else {
            0
        };
        let mut sums: [&mut [f32]; 8] = Default::default();
        for (j, row) in scratch.sums[..nsums * sl].chunks_exact_mut(sl).enumerate() {
            sums[(j + nsums - used) % nsums] = row;
        }
        let g = &mut scratch.g[..nl];
        if k < nsums {
            // rows above the tile: the partial sums only
            maths::aggregate(&scratch.omega, ra, &mut sums[..nsums], g);
            return;
        }
        // the aggregation and the pixel pairs: weights (both pixels valid) and moves
        let y = u - ra_i;
        let (ry, rt) = (row_at(y), row_at(y + dy));
        let pt = (pa as isize + dx) as usize;
        let masks = (!full).then(|| (&ry.v[pa..], &rt.v[pt..]));
        let (wv, delta) = (&mut scratch.w[..nl], &mut scratch.delta[..nl]);
        // (the whole scratch: the lanes past n read up to 2·A/2 values past n_om)
        maths::pair_weights(
            &scratch.omega,
            ra,
            &mut sums[..nsums],
            g,
            masks,
            (&ry.x[pa..], &rt.x[pt..]),
            wv,
            delta,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_images_get_wide_blocks_only_with_two_per_worker() {
        for workers in [1, 2, 3, 16, 64] {
            assert_eq!(block_width(1, workers), 256);
            assert_eq!(block_width(2 * workers * 512, workers), 512);
            // (2·workers − 1)·512 columns hold 2·workers blocks of 384 (for any number)
            assert_eq!(block_width(2 * workers * 512 - 512, workers), 384);
            assert_eq!(block_width(2 * workers * 384 - 383, workers), 384);
            assert_eq!(block_width(2 * workers * 384 - 384, workers), 256);
        }
        // one worker asked for on a machine of many cores: the blocks of one worker
        let opts = crate::Options::new(7).unwrap().with_threads(Some(1));
        assert_eq!(workers(&opts), 1);
        assert_eq!(block_width(2048, workers(&opts)), 512);
        let all = crate::Options::new(7).unwrap();
        assert_eq!(workers(&all), cores());
        let many = crate::Options::new(7).unwrap().with_threads(Some(10_000));
        assert_eq!(workers(&many), cores());
    }
}
