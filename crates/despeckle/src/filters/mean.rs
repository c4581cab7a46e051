//! The boxcar mean.

use super::range::{Degree, Maths, rescue};
use crate::engine::{Filter, RowContext};
use crate::sample::Sample;

/// The boxcar (moving average) filter: `out = μ = Σx / n` over the window's valid pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mean;

impl Filter for Mean {
    fn name(&self) -> &'static str {
        "mean"
    }

    #[inline(always)]
    fn filter_row<T: Sample>(&self, ctx: &RowContext<'_>, out: &mut [T]) {
        row(ctx, out);
        rescue(ctx, out, Maths::F64, Degree::Bounded, |c, o, _| row(c, o));
    }
}

/// `μ` from the window sums.
#[inline(always)]
fn row<T: Sample>(ctx: &RowContext<'_>, out: &mut [T]) {
    let w = out.len();
    for ((o, &n), &s) in out.iter_mut().zip(&ctx.count[..w]).zip(&ctx.sum[..w]) {
        *o = T::from_f64(s / n);
    }
}
