//! The row loop over one band of output rows, shared by every driver.

use super::dispatch::{self, Level, Simd};
use super::kernel::{Kernel, Rows};
use super::planes::{PlanesContext, Validity};
use super::ring::{Ring, RowBuilder};
use super::sums::Sums;
use super::{REFRESH_ROWS, RowContext, Window};
use crate::sample::Sample;

/// Where a band reads its input rows and puts its output rows.
///
/// `input_row(plane, m)` must return the original (unfiltered) row `m` of an input plane
/// whenever the band asks for it; drivers arrange that (the in-place driver saves rows before
/// they are overwritten).
pub(crate) trait BandIo<T> {
    /// The original row `m` of input plane `plane`.
    fn input_row(&self, plane: usize, m: usize) -> &[T];
    /// Stores the finished row `y` of output plane `plane`.
    fn output_row(&mut self, plane: usize, y: usize, row: &[T]);
}

/// How the bands of one run are laid out: the row geometry and what the filter asked for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    pub builder: RowBuilder,
    /// Input planes.
    pub planes: usize,
    /// Output planes.
    pub out_planes: usize,
    pub validity: Validity,
    /// Rows a band runs through before its first output row.
    pub warmup: usize,
    /// Rows the output lags behind the filter's row ([`MultiFilter::delay`](super::MultiFilter::delay)).
    pub delay: usize,
    pub uses_sums: bool,
    /// [`MultiFilter::column_tasks`](super::MultiFilter::column_tasks) for the image's width.
    pub column_tasks: usize,
}

impl Layout {
    /// The first row a band starting at `y0` processes: `warmup` rows earlier, rounded down to
    /// a multiple of [`REFRESH_ROWS`] (so the running sums see the same refreshes whatever the
    /// band's start).
    pub fn start(&self, y0: usize) -> isize {
        if self.warmup == 0 {
            return y0 as isize;
        }
        let r = REFRESH_ROWS as isize;
        (y0 as isize - self.warmup as isize).div_euclid(r) * r
    }
}

/// Computes output rows `y0..y1` (`y0` a multiple of [`REFRESH_ROWS`]).
///
/// `filter` and `io` are trait objects, called once per row: one instantiation of the row
/// loop per sample type (times the instruction sets) serves every filter and driver.
pub(crate) fn run_band<T: Sample>(
    filter: &dyn Kernel<T>,
    layout: &Layout,
    opts: &crate::Options,
    y0: usize,
    y1: usize,
    io: &mut dyn BandIo<T>,
) {
    BandRun::new(filter, layout, opts, y0, y1).advance(y1, io);
}

/// The row loop of one band of output rows `y0..y1`, run in steps: [`advance`](Self::advance)
/// to an output row, then on with other input rows (the streaming driver's next block). The
/// rings, running sums and filter state carry over, so the band warms up once, and the result
/// is [`run_band`]'s bit for bit however the band is cut into steps.
pub(crate) struct BandRun<'a, T: Sample> {
    layout: &'a Layout,
    level: Level,
    y0: usize,
    y1: usize,
    /// The first row the band processes ([`Layout::start`]).
    start: isize,
    /// The next filter row to process (output row `next − delay`).
    next: isize,
    planes: Vec<Plane>,
    out: Vec<Vec<T>>,
    order: Vec<usize>,
    fulls: Vec<bool>,
    rows: Box<dyn Rows<T> + Send + 'a>,
}

impl<'a, T: Sample> BandRun<'a, T> {
    /// A band of output rows `y0..y1` (`y0` a multiple of [`REFRESH_ROWS`]) that has processed
    /// nothing yet.
    pub fn new(
        filter: &'a dyn Kernel<T>,
        layout: &'a Layout,
        opts: &crate::Options,
        y0: usize,
        y1: usize,
    ) -> Self {
        debug_assert!(y0.is_multiple_of(REFRESH_ROWS) && y0 < y1 && y1 <= layout.builder.height);
        let level = dispatch::level();
        let builder = &layout.builder;
        let size = 2 * builder.radius + 1;
        let (w, wp) = (builder.width, builder.padded_width());
        let start = layout.start(y0);
        BandRun {
            layout,
            level,
            y0,
            y1,
            start,
            next: start,
            planes: (0..layout.planes)
                .map(|_| Plane {
                    ring: Ring::new(size, wp),
                    sums: if layout.uses_sums {
                        Sums::new(w, wp)
                    } else {
                        Sums::new(0, 0)
                    },
                    entering: (vec![0.0; wp], vec![0.0; wp]),
                    entering_ones: false,
                })
                .collect(),
            out: vec![vec![T::default(); w]; layout.out_planes],
            order: vec![0usize; size],
            fulls: vec![false; layout.planes],
            rows: filter.rows(w, layout.planes, opts, level),
        }
    }

    /// Computes the band's output rows up to `to` (exclusive, at most `y1`). It reads the input
    /// rows that enter its window, down to row `to − 1 + delay + radius` but never below
    /// `y1 − 1 + radius`, and again the output rows that hold no-data pixels (to restore them).
    pub fn advance(&mut self, to: usize, io: &mut dyn BandIo<T>) {
        debug_assert!(to <= self.y1);
        let level = self.level;
        dispatch::run(level, BandLoop { band: self, to, io })
    }
}

/// The arguments of [`band_loop`], as [`dispatch::run`] compiles it.
struct BandLoop<'r, 'a, T: Sample> {
    band: &'r mut BandRun<'a, T>,
    to: usize,
    io: &'r mut dyn BandIo<T>,
}

impl<T: Sample> Simd for BandLoop<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        band_loop(self)
    }
}

/// One plane's ring, running sums and entering row.
struct Plane {
    ring: Ring,
    sums: Sums,
    entering: (Vec<f64>, Vec<f64>),
    /// `entering.1` holds only ones (it last held a fully valid row).
    entering_ones: bool,
}

/// With [`Validity::Joint`], makes a position invalid (value and mask 0) in every plane if it
/// is in any; `rows[i]` is plane `i`'s (values, validity) of one padded row, `full[i]` whether
/// it is entirely valid. Returns whether the combined row is entirely valid.
#[inline(always)]
fn join_validity(rows: &mut [(&mut [f64], &mut [f64])], full: &[bool]) -> bool {
    if full.iter().all(|&f| f) {
        return true;
    }
    let len = rows.first().map_or(0, |r| r.1.len());
    let mut all = true;
    for c in 0..len {
        let ok = rows.iter().all(|r| r.1[c] == 1.0);
        all &= ok;
        if !ok {
            for r in rows.iter_mut() {
                r.0[c] = 0.0;
                r.1[c] = 0.0;
            }
        }
    }
    all
}

/// Builds window row `p` of every plane into its ring slot (`into_ring`) or its entering row,
/// and sets `fulls[i]`: whether plane `i`'s row is entirely valid (with `joint` validity, the
/// combined row's).
#[inline(always)]
fn build_row<T: Sample>(
    builder: &RowBuilder,
    planes: &mut [Plane],
    joint: bool,
    p: isize,
    into_ring: bool,
    fulls: &mut [bool],
    io: &dyn BandIo<T>,
) {
    for (i, pl) in planes.iter_mut().enumerate() {
        let s = pl.ring.slot(p);
        let (vals, valid, ones) = if into_ring {
            let ones = pl.ring.full[s];
            (&mut pl.ring.vals[s], &mut pl.ring.valid[s], ones)
        } else {
            (&mut pl.entering.0, &mut pl.entering.1, pl.entering_ones)
        };
        fulls[i] = builder.build(p, vals, valid, ones, |m| Some(io.input_row(i, m)));
    }
    if joint {
        let mut rows: Vec<(&mut [f64], &mut [f64])> = planes
            .iter_mut()
            .map(|pl| {
                if into_ring {
                    let s = pl.ring.slot(p);
                    (&mut pl.ring.vals[s][..], &mut pl.ring.valid[s][..])
                } else {
                    (&mut pl.entering.0[..], &mut pl.entering.1[..])
                }
            })
            .collect();
        let all = join_validity(&mut rows, fulls);
        fulls.fill(all);
    }
}

/// The body of [`BandRun::advance`], inlined into each CPU-feature variant.
#[inline(always)]
fn band_loop<T: Sample>(args: BandLoop<'_, '_, T>) {
    let BandLoop { band, to, io } = args;
    let (layout, y0, y1, start) = (band.layout, band.y0, band.y1, band.start);
    let builder = &layout.builder;
    let delay = layout.delay as isize;
    debug_assert!(
        delay == 0 || !layout.uses_sums,
        "blank rows would enter the sums"
    );
    let joint = layout.validity == Validity::Joint && layout.planes > 1;
    let h = builder.radius;
    let size = 2 * h + 1;
    let w = builder.width;
    let planes = &mut band.planes;
    let out = &mut band.out;
    let order = &mut band.order;
    let fulls = &mut band.fulls;
    let rows = &mut band.rows;
    let write_back = layout.out_planes == layout.planes;

    let into_ring = |planes: &mut [Plane], p: isize, fulls: &mut [bool], io: &dyn BandIo<T>| {
        build_row(builder, planes, joint, p, true, fulls, io);
        for (pl, &f) in planes.iter_mut().zip(fulls.iter()) {
            let s = pl.ring.slot(p);
            pl.ring.full[s] = f;
        }
    };
    if band.next == start {
        for p in start - h as isize..=start + h as isize {
            into_ring(planes, p, fulls, &*io);
        }
    }
    // rows past this one feed no output row of the band (they exist only when delayed)
    let last_read = y1 as isize - 1 + h as isize;
    let end = to as isize + delay;
    for y in band.next..end {
        for (i, o) in order.iter_mut().enumerate() {
            *o = planes[0].ring.slot(y - h as isize + i as isize);
        }
        let p = y + h as isize;
        if p > last_read {
            for pl in planes.iter_mut() {
                let s = pl.ring.slot(p);
                pl.ring.vals[s].fill(0.0);
                pl.ring.valid[s].fill(0.0);
                pl.ring.full[s] = false;
            }
            fulls.fill(false);
        } else if y == start || y.rem_euclid(REFRESH_ROWS as isize) == 0 {
            if y != start {
                into_ring(planes, p, fulls, &*io);
            }
            if layout.uses_sums {
                for pl in planes.iter_mut() {
                    pl.sums.refresh_columns(&pl.ring, order);
                }
            }
        } else {
            build_row(builder, planes, joint, p, false, fulls, &*io);
            for (pl, &entering_full) in planes.iter_mut().zip(fulls.iter()) {
                let s = pl.ring.slot(p);
                let both_full = entering_full && pl.ring.full[s];
                pl.entering_ones = pl.ring.full[s];
                pl.ring.full[s] = entering_full;
                let drifted = layout.uses_sums
                    && pl.sums.replace_row(
                        (&pl.ring.vals[s], &pl.ring.valid[s]),
                        (&pl.entering.0, &pl.entering.1),
                        both_full,
                    );
                std::mem::swap(&mut pl.ring.vals[s], &mut pl.entering.0);
                std::mem::swap(&mut pl.ring.valid[s], &mut pl.entering.1);
                if drifted {
                    pl.sums.fix_drifted(&pl.ring, order);
                }
            }
        }
        for (pl, full) in planes.iter().zip(fulls.iter_mut()) {
            *full = order.iter().all(|&s| pl.ring.full[s]);
        }
        if layout.uses_sums {
            for (pl, &full) in planes.iter_mut().zip(fulls.iter()) {
                pl.sums.horizontal(size, full);
            }
        }
        let values: Vec<Vec<&[f64]>> = planes
            .iter()
            .map(|pl| order.iter().map(|&s| pl.ring.vals[s].as_slice()).collect())
            .collect();
        let valid: Vec<Vec<&[f64]>> = planes
            .iter()
            .map(|pl| order.iter().map(|&s| pl.ring.valid[s].as_slice()).collect())
            .collect();
        let ctxs: Vec<RowContext<'_>> = planes
            .iter()
            .zip(values.iter().zip(&valid))
            .zip(fulls.iter())
            .map(|((pl, (values, valid)), &all_valid)| RowContext {
                y: y.max(0) as usize,
                all_valid,
                count: &pl.sums.count,
                sum: &pl.sums.sum,
                sum_sq: &pl.sums.sum_sq,
                centre: &values[h][h..h + w],
                window: Window::new(values, valid),
            })
            .collect();
        let output = y - delay >= y0 as isize;
        let ctx = PlanesContext {
            y,
            output,
            height: builder.height,
            planes: &ctxs,
        };
        rows.rows(&ctx, out);
        if !output {
            continue;
        }
        // the output row, and its index in the window
        let (y, c) = ((y - delay) as usize, h - delay as usize);
        for (i, row) in out.iter_mut().enumerate() {
            if write_back {
                let centre_valid = &valid[i][c][h..h + w];
                if !planes[i].ring.full[order[c]] && centre_valid.contains(&0.0) {
                    let src = io.input_row(i, y);
                    for ((o, &s), &ok) in row.iter_mut().zip(src).zip(centre_valid) {
                        if ok == 0.0 {
                            *o = s;
                        }
                    }
                }
            }
            io.output_row(i, y, row);
        }
    }
    band.next = band.next.max(end);
}
