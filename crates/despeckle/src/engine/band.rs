//! The row loop over one band of output rows, shared by every driver.

use super::ring::{Ring, RowBuilder};
use super::sums::Sums;
use super::{Filter, REFRESH_ROWS, RowContext, Window};
use crate::sample::Sample;

/// Where a band reads its input rows and puts its output rows.
///
/// `input_row(m)` must return the original (unfiltered) image row `m` whenever the band asks
/// for it; drivers arrange that (the in-place driver saves rows before they are overwritten).
pub(crate) trait BandIo<T> {
    /// The original image row `m`.
    fn input_row(&self, m: usize) -> &[T];
    /// Stores the finished output row `y`.
    fn output_row(&mut self, y: usize, row: &[T]);
}

/// Computes output rows `y0..y1` (`y0` a multiple of [`REFRESH_ROWS`]).
pub(crate) fn run_band<T: Sample, F: Filter, IO: BandIo<T>>(
    filter: &F,
    builder: &RowBuilder,
    y0: usize,
    y1: usize,
    io: &mut IO,
) {
    debug_assert!(y0.is_multiple_of(REFRESH_ROWS) && y0 < y1 && y1 <= builder.height);
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2,fma")]
        fn avx2<T: Sample, F: Filter, IO: BandIo<T>>(
            filter: &F,
            builder: &RowBuilder,
            y0: usize,
            y1: usize,
            io: &mut IO,
        ) {
            band_loop(filter, builder, y0, y1, io)
        }
        #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
        fn avx512<T: Sample, F: Filter, IO: BandIo<T>>(
            filter: &F,
            builder: &RowBuilder,
            y0: usize,
            y1: usize,
            io: &mut IO,
        ) {
            band_loop(filter, builder, y0, y1, io)
        }
        match super::dispatch::level() {
            // SAFETY: `level` checked that this CPU has these features.
            super::dispatch::Level::Avx512 => {
                return unsafe { avx512(filter, builder, y0, y1, io) };
            }
            // SAFETY: as above.
            super::dispatch::Level::Avx2 => return unsafe { avx2(filter, builder, y0, y1, io) },
            super::dispatch::Level::Baseline => {}
        }
    }
    band_loop(filter, builder, y0, y1, io)
}

/// The body of [`run_band`], inlined into each CPU-feature variant.
#[inline(always)]
fn band_loop<T: Sample, F: Filter, IO: BandIo<T>>(
    filter: &F,
    builder: &RowBuilder,
    y0: usize,
    y1: usize,
    io: &mut IO,
) {
    let h = builder.radius;
    let size = 2 * h + 1;
    let (w, wp) = (builder.width, builder.padded_width());
    let mut ring = Ring::new(size, wp);
    let mut sums = Sums::new(w, wp);
    let mut entering = (vec![0.0; wp], vec![0.0; wp]);
    let mut out = vec![T::default(); w];
    let mut order = vec![0usize; size];

    for p in y0 as isize - h as isize..=(y0 + h) as isize {
        let s = ring.slot(p);
        ring.full[s] = builder.build(p, &mut ring.vals[s], &mut ring.valid[s], false, |m| {
            Some(io.input_row(m))
        });
    }
    // `entering.1` holds only ones (it last held a fully valid row)
    let mut entering_ones = false;
    for y in y0..y1 {
        for (i, o) in order.iter_mut().enumerate() {
            *o = ring.slot(y as isize - h as isize + i as isize);
        }
        if y == y0 || y % REFRESH_ROWS == 0 {
            if y != y0 {
                let p = (y + h) as isize;
                let s = ring.slot(p);
                let ones = ring.full[s];
                ring.full[s] = builder.build(p, &mut ring.vals[s], &mut ring.valid[s], ones, |m| {
                    Some(io.input_row(m))
                });
            }
            sums.refresh_columns(&ring, &order);
        } else {
            let p = (y + h) as isize;
            let s = ring.slot(p);
            let entering_full =
                builder.build(p, &mut entering.0, &mut entering.1, entering_ones, |m| {
                    Some(io.input_row(m))
                });
            let both_full = entering_full && ring.full[s];
            entering_ones = ring.full[s];
            ring.full[s] = entering_full;
            let drifted = sums.replace_row(
                (&ring.vals[s], &ring.valid[s]),
                (&entering.0, &entering.1),
                both_full,
            );
            std::mem::swap(&mut ring.vals[s], &mut entering.0);
            std::mem::swap(&mut ring.valid[s], &mut entering.1);
            if drifted {
                sums.fix_drifted(&ring, &order);
            }
        }
        let all_valid = order.iter().all(|&s| ring.full[s]);
        sums.horizontal(size, all_valid);

        let values: Vec<&[f64]> = order.iter().map(|&s| ring.vals[s].as_slice()).collect();
        let valid: Vec<&[f64]> = order.iter().map(|&s| ring.valid[s].as_slice()).collect();
        let ctx = RowContext {
            y,
            all_valid,
            count: &sums.count,
            sum: &sums.sum,
            sum_sq: &sums.sum_sq,
            centre: &values[h][h..h + w],
            window: Window {
                values: &values,
                valid: &valid,
            },
        };
        filter.filter_row(&ctx, &mut out);

        let centre_valid = &valid[h][h..h + w];
        if !ring.full[order[h]] && centre_valid.contains(&0.0) {
            let src = io.input_row(y);
            for ((o, &s), &ok) in out.iter_mut().zip(src).zip(centre_valid) {
                if ok == 0.0 {
                    *o = s;
                }
            }
        }
        io.output_row(y, &out);
    }
}
