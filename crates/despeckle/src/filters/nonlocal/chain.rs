//! The two passes of the non-local filter chained in one stream over one plane.
//!
//! Both passes work on tiles of [`TILE`] rows (`pass`). The output lags `TILE − 1` rows behind
//! the engine's row (`MultiFilter::delay`): at the engine's row `t + TILE − 1` (`t ≡ 0 (mod
//! TILE)`), whose window reaches a tile's reach below the tile, pass 1 handles the tile starting
//! on row `t + lag` and stores its pilot rows; pass 2 then handles the tile `t … t + TILE − 1`,
//! whose guide reads pilot rows `t − P₂/2 − A/2` to `t + TILE − 1 + W/2 + P₂/2 + A/2 =
//! t + TILE − 1 + lag`; its rows are handed out over the next `TILE` calls. The engine's window
//! therefore reaches `lag` rows further than pass 1's own reach; the rows above a tile that have
//! left the window are kept by the pass (it reads each row once, before it leaves the window:
//! a tile's new rows in one parallel batch), and
//! memory stays proportional to the width (two passes' rows and accumulators and a ring of
//! pilot rows), never the height.
//!
//! Bit-identity whatever the band: bands start on a multiple of [`TILE`], so every tile of
//! both passes starts on a fixed row (pass 1's `≡ lag`, pass 2's `≡ 0`). Pass 1's rows are
//! complete from its first tile's row + warm-up₁; pass 2 starts on its first tile whose pilot
//! rows are all complete and is complete warm-up₂ rows later. Above the image, with a border
//! that does not extend the pilot by itself (`nearest`, `constant`, `shrink`), pass 2 starts
//! once the pilot's row 0 exists (earlier tiles feed no image row).

use super::maths;
use super::pass::{Geometry, Guide, Kind, PassState, Source, TILE};
use super::pilot::Pilot;
use crate::border::Border;
use crate::engine::RowContext;

/// The schedule of the chained passes: how far apart they run and when each is complete.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Schedule {
    pub first: Geometry,
    /// Pass 2, if any.
    pub second: Option<Geometry>,
}

impl Schedule {
    /// Rows pass 1 runs ahead of pass 2: pass 2's reach.
    pub fn lag(&self) -> usize {
        self.second.map_or(0, |g2| g2.radius())
    }

    /// How far the output depends on the input: pass 1's reach, `lag` rows further down.
    pub fn reach(&self) -> usize {
        self.first.radius() + self.lag()
    }

    /// The engine window's radius: the reach, and at least the rest of a tile and the rows
    /// pass 2 reads above it (when a tile is finished the window still holds the values of its
    /// rows, and pass 2's rows above it; pass 1 keeps its own).
    pub fn radius(&self) -> usize {
        let above = self.second.map_or(0, |g2| g2.rows_above());
        self.reach().max(self.delay() + above)
    }

    /// Rows the output lags behind the engine's row: the rest of a tile.
    pub fn delay(&self) -> usize {
        TILE - 1
    }

    /// Rows before its first output row the band starts (before rounding down to a multiple
    /// of 16): pass 1's warm-up; with two passes, the lag, pass 1's warm-up, the rows pass 2
    /// reads above its tile, up to a tile until pass 2's next tile, and pass 2's warm-up.
    pub fn warmup(&self) -> usize {
        match self.second {
            None => self.first.warmup(),
            Some(g2) => self.lag() + self.first.warmup() + g2.rows_above() + TILE - 1 + g2.warmup(),
        }
    }

    /// Rows of the pilot ring: every row pass 2 may read, to the last one pass 1 made.
    fn pilot_slots(&self) -> usize {
        self.second
            .map_or(0, |g2| g2.rows_above() + TILE + self.lag() + 2)
    }

    /// Bytes of one plane's [`Chain`] for an image `width` wide.
    pub fn state_bytes(&self, width: usize) -> usize {
        let pad = self.radius() - self.first.radius();
        self.first.state_bytes(width)
            + self.second.map_or(0, |g2| {
                g2.state_bytes(width) + Pilot::bytes(width, g2.radius(), self.pilot_slots())
            })
            + 8 * pad
    }
}

/// Pass 2's state, the pilot it reads, and the first row of its last tile.
#[derive(Debug)]
struct Second {
    pass: PassState,
    pilot: Pilot,
    tile: Option<isize>,
}

/// The state of the chained passes over one plane of a band of rows.
#[derive(Debug)]
pub(crate) struct Chain {
    sched: Schedule,
    first: PassState,
    second: Option<Second>,
    /// The band's first row (the engine's first call).
    start: Option<isize>,
}

impl Chain {
    /// The state for an image `width` wide extended by `border`, for `workers` workers
    /// (`pass::block_width`).
    pub fn new(sched: Schedule, width: usize, workers: usize, border: Border) -> Self {
        let second = sched.second.map(|g2| Second {
            pass: PassState::new(g2, width, workers),
            pilot: Pilot::new(border, width, g2.radius(), sched.pilot_slots(), {
                // a constant border is a value with no noise left: E₀·L/2
                let Kind::Pilot { looks } = sched.first.kind else {
                    unreachable!("pass 1 of two is the pilot")
                };
                maths::alone_scale(looks)
            }),
            tile: None,
        });
        Chain {
            sched,
            first: PassState::new(sched.first, width, workers),
            second,
            start: None,
        }
    }

    /// [`Chain::row`] compiled once per instruction set of the engine (`engine::dispatch`),
    /// whatever the image's sample type: the engine's row loop is compiled per sample type and
    /// instruction set, and the filter's maths, which does not depend on the sample type,
    /// would otherwise be compiled into each (twice the code, for no speed).
    #[inline(never)]
    pub fn row_dispatched(
        &mut self,
        ctx: &RowContext<'_>,
        y: isize,
        height: usize,
        out: &mut [f64],
    ) {
        let level = crate::engine::dispatch::level();
        crate::engine::dispatch::run(
            level,
            RowCall {
                chain: self,
                ctx,
                y,
                height,
                out,
            },
        )
    }

    /// Handles the engine's row `y` (`ctx`: the window of radius [`Schedule::radius`] of an
    /// image `height` rows high) and writes the estimates of row `y − TILE + 1` to `out`.
    #[inline(always)]
    fn row(&mut self, ctx: &RowContext<'_>, y: isize, height: usize, out: &mut [f64]) {
        let start = *self.start.get_or_insert(y);
        debug_assert!(start.rem_euclid(TILE as isize) == 0);
        let w = ctx.width();
        let big = self.sched.radius();
        let top = y - big as isize;
        let source = |reach: usize, guide| Source {
            window: ctx.window,
            top,
            col: big - reach,
            guide,
        };
        let lag = self.sched.lag() as isize;
        // pass 1 keeps the rows it will read before they leave the window (a tile's new rows
        // together, at the call before the tile), from its first tile's on (its first tile, on
        // row start + lag, reads the rows above it)
        let src1 = source(self.sched.first.radius(), Guide::LocalMean);
        // the tile ending on row y, and the output row's tile
        let new_tile = (y + 1).rem_euclid(TILE as isize) == 0;
        let reach = y + self.sched.reach() as isize;
        self.first.keep_rows(&src1, start + lag, reach, new_tile);
        let t = y + 1 - TILE as isize;
        let yo = y - self.sched.delay() as isize;
        let to = yo - yo.rem_euclid(TILE as isize);
        let i = (yo - to) as usize * w;
        let Some(second) = &mut self.second else {
            if new_tile {
                self.first.tile(&src1, t, ctx.all_valid);
            }
            out.copy_from_slice(&self.first.est[i..i + w]);
            return;
        };
        let g2 = self.sched.second.expect("pass 2's geometry");
        if new_tile {
            // pass 1 on the tile j … j + TILE − 1, j = t + lag; outside the image only where
            // its rows are the pilot's
            second.pilot.height = height;
            let j = t + lag;
            let own = second.pilot.extends_by_itself();
            if own || j < height as isize {
                self.first.tile(&src1, j, ctx.all_valid);
                let rows = self.first.est.chunks_exact(w);
                for (i, (est, u2)) in rows.zip(self.first.scales.chunks_exact(w)).enumerate() {
                    let r = j + i as isize;
                    if own || (0..height as isize).contains(&r) {
                        second.pilot.push(r, est, u2);
                    }
                }
            }
            // pass 2 on the tile t … t + TILE − 1, once every pilot row it reads is complete
            let complete = start + lag + self.sched.first.warmup() as isize;
            let ready =
                t - g2.rows_above() as isize >= complete && (own || t + lag + TILE as isize > 0);
            if ready {
                let src = source(g2.radius(), Guide::Pilot(&second.pilot));
                second.pass.tile(&src, t, ctx.all_valid);
                second.tile = Some(t);
            }
        }
        if second.tile == Some(to) {
            out.copy_from_slice(&second.pass.est[i..i + w]);
        }
    }
}

/// One call of [`Chain::row`], as the engine's instruction-set dispatch compiles it.
struct RowCall<'a, 'c> {
    chain: &'a mut Chain,
    ctx: &'a RowContext<'c>,
    y: isize,
    height: usize,
    out: &'a mut [f64],
}

impl crate::engine::dispatch::Simd for RowCall<'_, '_> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        self.chain.row(self.ctx, self.y, self.height, self.out)
    }
}
