//! The multi-temporal filter of Quegan & Yu.

use std::fmt;
use std::str::FromStr;

use crate::engine::{Filter, MultiFilter, PlanesContext, Validity};
use crate::error::{Error, Result};
use crate::filters::Mean;
use crate::options::Options;
use crate::sample::Sample;

/// The temporal "super image" [`Quegan`] can add as an output plane after the dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuperImage {
    /// The mean of the ratios `S = 1/N_u · Σ_{i∈U} I_i / E[I_i]` (dimensionless, about 1 on
    /// a stationary scene): the factor every date's local mean is multiplied by.
    Ratio,
    /// The arithmetic temporal mean `1/N_v · Σ_{i valid} I_i` of the valid dates.
    Mean,
}

impl SuperImage {
    /// The name used on the command line and in Python (`ratio`, `mean`).
    pub fn name(self) -> &'static str {
        match self {
            SuperImage::Ratio => "ratio",
            SuperImage::Mean => "mean",
        }
    }
}

impl fmt::Display for SuperImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SuperImage {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ratio" => Ok(SuperImage::Ratio),
            "mean" => Ok(SuperImage::Mean),
            other => Err(Error::param(
                "super_image",
                format!("must be ratio or mean, got `{other}`"),
            )),
        }
    }
}

/// The multi-temporal speckle filter of Quegan & Yu (IEEE TGRS 2001): `N` co-registered
/// dates of one scene in, `N` filtered dates out (plus the [`SuperImage`] if asked for).
///
/// For date `k` at one pixel, with `E[I_i]` the local mean of date `i` given by the inner
/// single-channel filter `F` (the boxcar [`Mean`] by default; any [`Filter`] — Lee, Refined
/// Lee, Lee Sigma, … — with its own parameters and the common window options):
///
/// ```text
/// J_k = E[I_k] / N_u · Σ_{i ∈ U} I_i / E[I_i]
/// ```
///
/// where `U` is the set of *usable* dates at this pixel — dates whose pixel is valid (not
/// no-data) and whose local mean is finite and `> 0` — and `N_u = |U|`. So:
///
/// * a date that is no-data at a pixel is left out of every other date's sum there, and stays
///   no-data in its own output (the engine writes the input value back; with a super image
///   plane the date planes hold the no-data value, NaN when none is set);
/// * a valid date whose local mean is `≤ 0` (a zero-filled area) or not finite is left out of
///   the sums like no-data, and its own output is its local mean `E[I_k]` — never NaN or ∞;
/// * a pixel with no usable date: every valid date's output is its local mean, the super
///   image is no-data there.
///
/// The local means and the sum are computed in `f64` (the inner filter runs in `f64` whatever
/// the image type) and the result rounded once to the image type, clamped to its finite range.
///
/// **Groups.** With [`Quegan::with_groups`] the dates are split into groups (for example the
/// VV and the VH dates of a dual-polarisation stack): the sums run over the dates of `k`'s own
/// group only, so groups are filtered as separate stacks in one pass, and the super image has
/// one plane per group.
///
/// With `N` independent `L`-look dates of a stationary scene and a local mean over `M`
/// independent pixels (boxcar), the output's equivalent number of looks is, to first order,
/// `N·L / (1 + (N − 1)/M)`: close to `N·L` for large windows, at full spatial resolution.
#[derive(Debug, Clone, PartialEq)]
pub struct Quegan<F = Mean> {
    inner: F,
    super_image: Option<SuperImage>,
    /// The group of each date (empty: one group).
    groups: Vec<usize>,
}

impl Default for Quegan<Mean> {
    fn default() -> Self {
        Quegan::new(Mean)
    }
}

impl<F: Filter> Quegan<F> {
    /// The filter with `inner` as the local mean estimator, without a super image.
    pub fn new(inner: F) -> Self {
        Quegan {
            inner,
            super_image: None,
            groups: Vec::new(),
        }
    }

    /// Adds the super image as output planes after the dates, one per group (`None`: dates
    /// only, the default).
    pub fn with_super_image(mut self, super_image: Option<SuperImage>) -> Self {
        self.super_image = super_image;
        self
    }

    /// Splits the dates into groups filtered apart: `groups[k]` is the group of date `k`,
    /// numbered from 0 with every number up to the largest used (checked against the number
    /// of dates when the filter runs). Empty (the default): one group of every date.
    pub fn with_groups(mut self, groups: Vec<usize>) -> Self {
        self.groups = groups;
        self
    }

    /// The group of each date (empty: one group).
    pub fn groups(&self) -> &[usize] {
        &self.groups
    }

    /// Number of groups.
    pub fn group_count(&self) -> usize {
        self.groups.iter().max().map_or(1, |g| g + 1)
    }

    /// The group of date `k`.
    #[inline(always)]
    fn group_of(&self, k: usize) -> usize {
        self.groups.get(k).copied().unwrap_or(0)
    }

    /// The local mean estimator.
    pub fn inner(&self) -> &F {
        &self.inner
    }

    /// The super image, if it is an output plane.
    pub fn super_image(&self) -> Option<SuperImage> {
        self.super_image
    }
}

/// Per band of rows: each date's local means of the current row, the sums over each group's
/// dates, and the value written where the output is no-data.
#[derive(Debug)]
pub struct QueganState {
    means: Vec<Vec<f64>>,
    sums: Vec<GroupSums>,
    nodata: f64,
}

/// One group's sums over its dates, per pixel of the current row.
#[derive(Debug)]
struct GroupSums {
    ratio_sum: Vec<f64>,
    usable: Vec<f64>,
    value_sum: Vec<f64>,
    valid: Vec<f64>,
}

impl GroupSums {
    fn new(width: usize) -> Self {
        GroupSums {
            ratio_sum: vec![0.0; width],
            usable: vec![0.0; width],
            value_sum: vec![0.0; width],
            valid: vec![0.0; width],
        }
    }

    fn clear(&mut self, w: usize) {
        self.ratio_sum[..w].fill(0.0);
        self.usable[..w].fill(0.0);
        self.value_sum[..w].fill(0.0);
        self.valid[..w].fill(0.0);
    }
}

/// `E[I]` usable as a divisor: finite and positive.
#[inline(always)]
fn usable(e: f64) -> bool {
    e > 0.0 && e < f64::INFINITY
}

/// `v` rounded to `T`, clamped to its finite range (NaN stays NaN).
#[inline(always)]
fn saturate<T: Sample>(v: f64) -> T {
    T::from_f64(v.clamp(-T::MAX, T::MAX))
}

impl<F: Filter> MultiFilter for Quegan<F> {
    type State = QueganState;

    fn name(&self) -> &'static str {
        "quegan"
    }

    fn output_planes(&self, planes: usize) -> Result<usize> {
        let groups = self.group_count();
        if !self.groups.is_empty() {
            if self.groups.len() != planes {
                return Err(Error::param(
                    "groups",
                    format!(
                        "{} group numbers for {planes} dates: give one per date",
                        self.groups.len()
                    ),
                ));
            }
            if let Some(g) = (0..groups).find(|g| !self.groups.contains(g)) {
                return Err(Error::param(
                    "groups",
                    format!("group {g} has no date: number the groups 0, 1, … without gaps"),
                ));
            }
        }
        Ok(planes
            + if self.super_image.is_some() {
                groups
            } else {
                0
            })
    }

    fn validity(&self) -> Validity {
        Validity::PerPlane
    }

    fn state(&self, width: usize, planes: usize, opts: &Options) -> QueganState {
        QueganState {
            means: vec![vec![0.0; width]; planes],
            sums: (0..self.group_count())
                .map(|_| GroupSums::new(width))
                .collect(),
            nodata: opts.nodata().unwrap_or(f64::NAN),
        }
    }

    #[inline(always)]
    fn filter_rows<T: Sample>(
        &self,
        st: &mut QueganState,
        ctx: &PlanesContext<'_>,
        out: &mut [Vec<T>],
    ) {
        let w = ctx.width();
        let QueganState {
            means,
            sums,
            nodata,
        } = st;
        let nodata = *nodata;
        for g in sums.iter_mut() {
            g.clear(w);
        }
        for (k, (plane, mean)) in ctx.planes.iter().zip(means.iter_mut()).enumerate() {
            let GroupSums {
                ratio_sum,
                usable: n_usable,
                value_sum,
                valid: n_valid,
            } = &mut sums[self.group_of(k)];
            let mean = &mut mean[..w];
            self.inner.filter_row::<f64>(plane, mean);
            let h = plane.window.radius();
            let valid = &plane.window.valid()[h][h..h + w];
            for x in 0..w {
                if valid[x] != 1.0 {
                    continue;
                }
                let (z, e) = (plane.centre[x], mean[x]);
                value_sum[x] += z;
                n_valid[x] += 1.0;
                if usable(e) {
                    ratio_sum[x] += z / e;
                    n_usable[x] += 1.0;
                }
            }
        }
        for (k, plane) in ctx.planes.iter().enumerate() {
            let h = plane.window.radius();
            let valid = &plane.window.valid()[h][h..h + w];
            let (mean, row) = (&means[k][..w], &mut out[k][..w]);
            let GroupSums {
                ratio_sum,
                usable: n_usable,
                ..
            } = &sums[self.group_of(k)];
            for x in 0..w {
                let e = mean[x];
                let j = if valid[x] != 1.0 {
                    nodata
                } else if usable(e) {
                    // k is usable here, so n_usable ≥ 1
                    let j = e * (ratio_sum[x] / n_usable[x]);
                    // ±∞ ratios of opposite signs (values near the type's limits over
                    // tiny means) leave the local mean
                    if j.is_nan() { e } else { j }
                } else {
                    e
                };
                row[x] = saturate(j);
            }
        }
        if let Some(kind) = self.super_image {
            for (g, group) in sums.iter().enumerate() {
                let row = &mut out[ctx.planes.len() + g][..w];
                let (sum, count) = match kind {
                    SuperImage::Ratio => (&group.ratio_sum[..w], &group.usable[..w]),
                    SuperImage::Mean => (&group.value_sum[..w], &group.valid[..w]),
                };
                for x in 0..w {
                    row[x] = if count[x] > 0.0 {
                        let s = sum[x] / count[x];
                        saturate(if s.is_nan() { nodata } else { s })
                    } else {
                        T::from_f64(nodata)
                    };
                }
            }
        }
    }

    fn check_options(&self, opts: &Options) -> Result<()> {
        Filter::check_options(&self.inner, opts)
    }

    fn scratch_bytes(&self, width: usize, size: usize, planes: usize) -> usize {
        Filter::scratch_bytes(&self.inner, width, size)
            + 8 * width * (planes + 4 * self.group_count())
    }
}
