//! The two passes of the non-local filter chained in one stream over one plane.
//!
//! At the engine's row `y` pass 1 handles row `y + lag` and stores that pilot row; pass 2 then
//! handles row `y`, whose guide reads pilot rows `y − …` to `y + W/2 + P₂/2 + A/2 ≤ y + lag`.
//! The engine's window therefore reaches `lag` rows further than pass 1's own reach, and memory
//! stays proportional to the width (two passes' states and a ring of pilot rows), never the
//! height.
//!
//! Bit-identity whatever the band: pass 1 starts on the band's first row (a multiple of
//! [`REFRESH_ROWS`]) at row `start + lag`, and refreshes its column sums on rows
//! `≡ lag (mod 16)`; its rows are complete from `start + lag + warm-up₁`. Pass 2 starts where
//! every pilot row it reads is complete, on a row of its own fixed phase, and is complete
//! `warm-up₂` rows later. Above the image pass 2 starts no earlier than `−warm-up₂` (rows above
//! that feed no image row), so that with `nearest` the edge row it copies exists already.

use super::pass::{Geometry, Guide, PassState, Source};
use super::pilot::Pilot;
use crate::border::Border;
use crate::engine::{REFRESH_ROWS, RowContext};

/// The schedule of the chained passes: how far apart they run and when each is complete.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Schedule {
    pub first: Geometry,
    /// Pass 2, if any.
    pub second: Option<Geometry>,
}

impl Schedule {
    /// Rows pass 1 runs ahead of pass 2: pass 2's reach, and at least its warm-up (so that
    /// pass 2's first row above the image finds the pilot's edge row computed).
    pub fn lag(&self) -> usize {
        self.second.map_or(0, |g2| g2.radius().max(g2.warmup()))
    }

    /// The engine window's radius: pass 1's reach, `lag` rows further down.
    pub fn radius(&self) -> usize {
        self.first.radius() + self.lag()
    }

    /// Rows before its first output row the band starts (before rounding down to a multiple
    /// of 16): pass 1's warm-up, the rows pass 2 reads above its first row, and pass 2's
    /// warm-up, all `lag` rows later.
    pub fn warmup(&self) -> usize {
        match self.second {
            None => self.first.warmup(),
            Some(g2) => self.lag() + self.first.warmup() + g2.rows_above() + g2.warmup(),
        }
    }

    /// Rows of the pilot ring: every row pass 2 may read, from the one pass 1 just made.
    fn pilot_slots(&self) -> usize {
        self.second.map_or(0, |g2| self.lag() + g2.rows_above() + 2)
    }

    /// Bytes of one plane's [`Chain`] for an image `width` wide.
    pub fn state_bytes(&self, width: usize) -> usize {
        let pad = self.radius() - self.first.radius();
        self.first.state_bytes(width)
            + self.second.map_or(0, |g2| {
                g2.state_bytes(width)
                    + Pilot::bytes(width, g2.radius(), self.pilot_slots())
                    + 8 * width
            })
            + 8 * pad
    }
}

/// Pass 2's state and the pilot it reads.
#[derive(Debug)]
struct Second {
    pass: PassState,
    pilot: Pilot,
}

/// The state of the chained passes over one plane of a band of rows.
#[derive(Debug)]
pub(crate) struct Chain {
    sched: Schedule,
    first: PassState,
    second: Option<Second>,
    /// The band's first row (the engine's first call).
    start: Option<isize>,
    /// Pass 1's estimates of one row.
    est: Vec<f64>,
}

impl Chain {
    /// The state for an image `width` wide extended by `border`.
    pub fn new(sched: Schedule, width: usize, border: Border) -> Self {
        let lag = sched.lag();
        let second = sched.second.map(|g2| {
            let phase = lag + sched.first.warmup() + g2.rows_above();
            Second {
                pass: PassState::new(g2, width, phase),
                pilot: Pilot::new(border, width, g2.radius(), sched.pilot_slots()),
            }
        });
        Chain {
            sched,
            first: PassState::new(sched.first, width, lag),
            est: if second.is_some() {
                vec![0.0; width]
            } else {
                Vec::new()
            },
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
    /// image `height` rows high) and writes row `y`'s estimates to `out`.
    #[inline(always)]
    fn row(&mut self, ctx: &RowContext<'_>, y: isize, height: usize, out: &mut [f64]) {
        let start = *self.start.get_or_insert(y);
        let big = self.sched.radius();
        let top = y - big as isize;
        let source = |col: usize, guide| Source {
            window: ctx.window,
            top,
            col,
            guide,
        };
        let Some(second) = &mut self.second else {
            let src = source(0, Guide::LocalMean);
            self.first.row(&src, y, ctx.all_valid, ctx.centre, out);
            return;
        };
        let g2 = self.sched.second.expect("pass 2's geometry");
        let lag = self.sched.lag();
        // pass 1 on row j = y + lag; outside the image only where its rows are the pilot's
        second.pilot.height = height;
        let j = y + lag as isize;
        let own = second.pilot.extends_by_itself();
        if own || j < height as isize {
            let centre = &ctx.window.values()[big + lag][big..big + ctx.width()];
            let src = source(lag, Guide::LocalMean);
            self.first
                .row(&src, j, ctx.all_valid, centre, &mut self.est);
            let complete = j >= start + (lag + self.sched.first.warmup()) as isize;
            if complete && (own || j >= 0) {
                second.pilot.push(j, &self.est);
            }
        }
        // pass 2 on row y, from its first complete-input row
        let first2 = (start + (lag + self.sched.first.warmup() + g2.rows_above()) as isize)
            .max(-(g2.warmup() as isize));
        if y >= first2 {
            let src = source(big - g2.radius(), Guide::Pilot(&second.pilot));
            second.pass.row(&src, y, ctx.all_valid, ctx.centre, out);
        }
        debug_assert!(start.rem_euclid(REFRESH_ROWS as isize) == 0);
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
