//! Image-wide estimates used to set up filters: an exact quantile (Lee Sigma's `Z98`) and the
//! equivalent number of looks (`looks = "auto"`).
//!
//! Each is one value per image, computed from a [`RowSource`] (an [`ImageRef`](crate::ImageRef)
//! is one) in a few sequential passes, with memory independent of the image size: a fixed
//! histogram plus a strip of rows. The value then constructs the filter, so every driver,
//! thread count and block size sees the same number.

use std::fmt;
use std::str::FromStr;

use crate::driver::{PlaneSource, RowSource};
use crate::error::{Error, Result};
use crate::filters::Domain;
use crate::sample::Sample;

/// Samples read per strip (rows × width), bounding the memory of every pass.
const STRIP_SAMPLES: usize = 1 << 20;

/// Calls `f` on every row of the source, strip by strip.
fn for_each_row<T: Sample>(
    source: &mut impl RowSource<T>,
    rows_per_strip: usize,
    mut f: impl FnMut(usize, &[T]),
) -> Result<()> {
    let (w, h) = (source.width(), source.height());
    if w == 0 || h == 0 {
        return Ok(());
    }
    let rows = rows_per_strip.max(1);
    let mut buf = vec![T::default(); rows * w];
    for y0 in (0..h).step_by(rows) {
        let n = rows.min(h - y0);
        source
            .read_rows(y0, &mut buf[..n * w])
            .map_err(Error::Stream)?;
        for (i, row) in buf[..n * w].chunks_exact(w).enumerate() {
            f(y0 + i, row);
        }
    }
    Ok(())
}

/// The no-data test of the engine: finite and not equal to `nodata` as the image type
/// stores it.
pub(crate) fn validity<T: Sample>(nodata: Option<f64>) -> impl Fn(f64) -> bool {
    let nd = nodata
        .filter(|v| !v.is_nan())
        .map(|v| T::from_f64(v).to_f64())
        .unwrap_or(f64::NAN);
    move |x: f64| x.is_finite() && x != nd
}

/// An order-preserving unsigned key of a sample: `f32` samples use the top 32 bits (so two
/// 16-bit passes resolve them), `f64` samples all 64.
fn key<T: Sample>(v: f64) -> u64 {
    if std::mem::size_of::<T>() == 4 {
        let b = (v as f32).to_bits();
        let k = if b >> 31 == 1 { !b } else { b | 0x8000_0000 };
        (k as u64) << 32
    } else {
        let b = v.to_bits();
        if b >> 63 == 1 { !b } else { b | (1 << 63) }
    }
}

/// The inverse of [`key`].
fn value<T: Sample>(k: u64) -> f64 {
    if std::mem::size_of::<T>() == 4 {
        let k = (k >> 32) as u32;
        let b = if k >> 31 == 1 { k & 0x7FFF_FFFF } else { !k };
        f32::from_bits(b) as f64
    } else {
        let b = if k >> 63 == 1 { k & !(1 << 63) } else { !k };
        f64::from_bits(b)
    }
}

/// The exact `q`-quantile of the valid pixels (finite, not `nodata`) of an image, by the
/// nearest-rank definition: the `⌈q·n⌉`-th smallest of the `n` valid values (the smallest for
/// `q = 0`). `None` when the image has no valid pixel.
///
/// Radix selection on the values' bit patterns: the first pass counts the valid pixels and
/// builds a 65,536-bin histogram of the top 16 bits, each further pass a histogram of the next
/// 16 bits among the values in the selected bin, until the bin holds a single value (`f32`
/// images: 2 passes; `f64`: at most 4). Memory: the histogram (≈ 1.5 MiB) and a strip of
/// rows, whatever the image size. Lee Sigma's `Z98` is `quantile(source, 0.98, nodata)`.
pub fn quantile<T: Sample>(
    source: &mut impl RowSource<T>,
    q: f64,
    nodata: Option<f64>,
) -> Result<Option<f64>> {
    check_q(q)?;
    let ok = validity::<T>(nodata);
    let rows = (STRIP_SAMPLES / source.width().max(1)).max(1);
    let got = select::<T>(1, q, |visit| {
        for_each_row(source, rows, |_, row| {
            for v in row.iter().map(|v| v.to_f64()) {
                if ok(v) {
                    visit(0, v);
                }
            }
        })
    })?;
    Ok(got[0])
}

/// The exact `q`-quantile (as [`quantile`]) of each of `planes` of a multi-plane image, over
/// the pixels valid in *every* plane (finite, not `nodata`: the joint validity of a
/// polarimetric matrix): one value per entry of `planes` (`None`: no such pixel).
///
/// All the quantiles are selected together, in the same passes (`f32`: 2, `f64`: at most 4)
/// over the whole image read in strips; memory: one histogram per entry and a strip of rows.
/// The polarimetric Lee Sigma's `Z98` of each diagonal element is
/// `joint_quantiles(source, matrix.diagonal(), 0.98, nodata)`.
pub fn joint_quantiles<T: Sample, S: PlaneSource<T> + ?Sized>(
    source: &mut S,
    planes: &[usize],
    q: f64,
    nodata: Option<f64>,
) -> Result<Vec<Option<f64>>> {
    check_q(q)?;
    let (w, h, k) = (source.width(), source.height(), source.planes());
    if let Some(&p) = planes.iter().find(|&&p| p >= k) {
        return Err(Error::param(
            "planes",
            format!("plane {p} of an image of {k} planes"),
        ));
    }
    let ok = validity::<T>(nodata);
    let rows = (STRIP_SAMPLES / (w * k).max(1)).max(1);
    let mut bufs = vec![vec![T::default(); rows * w]; k];
    select::<T>(planes.len(), q, |visit| {
        if w == 0 {
            return Ok(());
        }
        for y0 in (0..h).step_by(rows) {
            let n = rows.min(h - y0) * w;
            let mut refs: Vec<&mut [T]> = bufs.iter_mut().map(|b| &mut b[..n]).collect();
            source
                .read_planes(y0, n / w, &mut refs)
                .map_err(Error::Stream)?;
            for i in 0..n {
                if bufs.iter().all(|b| ok(b[i].to_f64())) {
                    for (c, &p) in planes.iter().enumerate() {
                        visit(c, bufs[p][i].to_f64());
                    }
                }
            }
        }
        Ok(())
    })
}

fn check_q(q: f64) -> Result<()> {
    if (0.0..=1.0).contains(&q) {
        Ok(())
    } else {
        Err(Error::param(
            "quantile",
            format!("must be between 0 and 1, got {}", crate::Compact(q)),
        ))
    }
}

/// The radix selection behind [`quantile`] and [`joint_quantiles`]: the `q`-quantile of each
/// of `channels` sets of values, each pass of `pass` calling its visitor with
/// `(channel, value)` for every valid value (the same values, in any order, on every pass).
fn select<T: Sample>(
    channels: usize,
    q: f64,
    mut pass: impl FnMut(&mut dyn FnMut(usize, f64)) -> Result<()>,
) -> Result<Vec<Option<f64>>> {
    const BINS: usize = 1 << 16;
    struct Channel {
        count: Vec<u64>,
        lo: Vec<u64>,
        hi: Vec<u64>,
        /// 1-based rank still to find inside the selected prefix
        rank: u64,
        prefix: u64,
        result: Option<Option<f64>>,
    }
    let mut ch: Vec<Channel> = (0..channels)
        .map(|_| Channel {
            count: vec![0; BINS],
            lo: vec![u64::MAX; BINS],
            hi: vec![0; BINS],
            rank: 0,
            prefix: 0,
            result: None,
        })
        .collect();
    // f32 keys have 32 significant bits: two levels resolve them, no need to track whether
    // a bin holds a single value
    let single = std::mem::size_of::<T>() == 4;
    for level in 0..4u32 {
        let shift = 48 - 16 * level;
        for c in ch.iter_mut() {
            c.count.fill(0);
            c.lo.fill(u64::MAX);
            c.hi.fill(0);
        }
        pass(&mut |i: usize, v: f64| {
            let c = &mut ch[i];
            if c.result.is_some() {
                return;
            }
            let k = key::<T>(v);
            if level > 0 && (k >> (shift + 16)) != c.prefix {
                return;
            }
            let bin = ((k >> shift) & 0xFFFF) as usize;
            c.count[bin] += 1;
            if !single {
                c.lo[bin] = c.lo[bin].min(k);
                c.hi[bin] = c.hi[bin].max(k);
            }
        })?;
        for c in ch.iter_mut().filter(|c| c.result.is_none()) {
            if level == 0 {
                let n: u64 = c.count.iter().sum();
                if n == 0 {
                    c.result = Some(None);
                    continue;
                }
                c.rank = ((q * n as f64).ceil() as u64).clamp(1, n);
            }
            let mut below = 0u64;
            let bin = c
                .count
                .iter()
                .position(|&n| {
                    below += n;
                    below >= c.rank
                })
                .expect("the rank is within the counted values");
            c.rank -= below - c.count[bin];
            c.prefix = (c.prefix << 16) | bin as u64;
            if single && level == 1 {
                c.result = Some(Some(value::<T>(c.prefix << 32)));
            } else if !single && (c.lo[bin] == c.hi[bin] || level == 3) {
                c.result = Some(Some(value::<T>(c.lo[bin])));
            }
        }
        if ch.iter().all(|c| c.result.is_some()) {
            break;
        }
    }
    Ok(ch
        .into_iter()
        .map(|c| c.result.expect("four 16-bit levels resolve a 64-bit key"))
        .collect())
}

/// How an equivalent number of looks was estimated ([`enl`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnlEstimate {
    /// The estimated equivalent number of looks.
    pub enl: f64,
    /// Side of the non-overlapping blocks.
    pub block_size: usize,
    /// Blocks with every pixel valid and a positive mean and variance.
    pub blocks: u64,
    /// Blocks averaged (the homogeneous population).
    pub used: u64,
    /// `1 / mode` of the blocks' `σ²/μ²`, before the refinement.
    pub mode_enl: f64,
}

/// The fewest looks `looks = "auto"` uses: the speckle of an intensity image has at least one
/// look (a single-look intensity is exponential, `σ²/μ² = 1`; averaging only lowers it).
pub const MIN_AUTO_LOOKS: f64 = 1.0;

impl EnlEstimate {
    /// The number of looks `looks = "auto"` uses: the estimate, and at least
    /// [`MIN_AUTO_LOOKS`]. An estimate below one look means that even the most homogeneous
    /// blocks hold texture (heterogeneity only adds variance, so the estimate is a lower bound
    /// of the speckle's looks): the bundled single-look Sentinel-1 sample, with no
    /// homogeneous area, estimates 0.615, which would make every filter smooth as if the
    /// speckle were stronger than it can be.
    pub fn looks(&self) -> f64 {
        self.enl.max(MIN_AUTO_LOOKS)
    }
}

impl fmt::Display for EnlEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ENL {:.3} (mean σ²/μ² of the {} most homogeneous of {} complete {b} × {b} blocks; \
             mode ENL {:.3})",
            self.enl,
            self.used,
            self.blocks,
            self.mode_enl,
            b = self.block_size
        )
    }
}

/// Block side of the ENL estimate.
pub const ENL_BLOCK: usize = 9;

/// Estimates the equivalent number of looks of an image from its most homogeneous areas.
///
/// 1. The image is cut into non-overlapping 9 × 9 blocks (a partial last row or column of
///    blocks is ignored); a block counts when all its pixels are valid and its mean `μ_b` and
///    sample variance `s_b²` (`n − 1`) are positive. Amplitude data are squared first (the
///    ENL of intensities, as ESA SNAP).
/// 2. `c_b = s_b² / μ_b²` is histogrammed in `ln c` (bins of 0.01). Homogeneous blocks share
///    `c ≈ 1/L`; edges, texture and targets only add variance. The mode of the histogram
///    (smoothed over ±0.05) locates the homogeneous population.
/// 3. `L = 1 / mean(c_b)` over the blocks with `c_b ≤ mode · (1 + 2.5 r)`, where
///    `r = √((2 + 6/L) / 81)` is the relative spread of `c_b` for `L`-look gamma speckle;
///    repeated four times from `L = 1/mode`. (Below the cut nothing is discarded: heterogeneity
///    only raises `c`.)
///
/// On simulated gamma speckle (L = 1–16) the estimate is within 2 % of `L`; on a scene of
/// 100-pixel tiles with point targets within 1 %. Memory: a 2,400-bin histogram and a strip
/// of 9 rows. Unlike SNAP's estimate (`μ²/σ²` of each processing tile), it is one value per
/// image. Errors when no block qualifies.
pub fn enl<T: Sample>(
    source: &mut impl RowSource<T>,
    nodata: Option<f64>,
    domain: Domain,
) -> Result<EnlEstimate> {
    const LN_MIN: f64 = -16.0;
    const BW: f64 = 0.01;
    const BINS: usize = 2400;
    let b = ENL_BLOCK;
    let ok = validity::<T>(nodata);
    let w = source.width();
    let nbx = w / b;
    let nby = source.height() / b;
    let mut hist = vec![0u64; BINS];
    let mut csum = vec![0.0f64; BINS];
    // per block column: (valid count, shift, Σd, Σd²)
    let mut acc = vec![(0usize, 0.0f64, 0.0f64, 0.0f64); nbx];
    let bin_of = |c: f64| (((c.ln() - LN_MIN) / BW).floor().max(0.0) as usize).min(BINS - 1);
    let mut blocks = 0u64;
    if nbx > 0 && nby > 0 {
        for_each_row(source, b * (STRIP_SAMPLES / (b * w)).max(1), |y, row| {
            if y >= nby * b {
                return;
            }
            if y % b == 0 {
                acc.fill((0, 0.0, 0.0, 0.0));
            }
            for (i, a) in acc.iter_mut().enumerate() {
                for &v in &row[i * b..(i + 1) * b] {
                    let v = v.to_f64();
                    if ok(v) {
                        let v = if domain == Domain::Amplitude {
                            v * v
                        } else {
                            v
                        };
                        if a.0 == 0 {
                            a.1 = v;
                        }
                        let d = v - a.1;
                        a.0 += 1;
                        a.2 += d;
                        a.3 += d * d;
                    }
                }
            }
            if y % b == b - 1 {
                for a in &acc {
                    if a.0 != b * b {
                        continue;
                    }
                    let n = a.0 as f64;
                    let mean = a.1 + a.2 / n;
                    let var = (a.3 - a.2 * a.2 / n).max(0.0) / (n - 1.0);
                    if mean > 0.0 && var > 0.0 {
                        let c = var / (mean * mean);
                        let k = bin_of(c);
                        hist[k] += 1;
                        csum[k] += c;
                        blocks += 1;
                    }
                }
            }
        })?;
    }
    if blocks == 0 {
        return Err(Error::InvalidImage(format!(
            "cannot estimate the number of looks: no complete {b} × {b} block of valid pixels \
             with a positive mean and variance; give the looks explicitly"
        )));
    }
    // the mode of the histogram smoothed over ±5 bins
    let smooth = |k: usize| -> u64 { hist[k.saturating_sub(5)..(k + 6).min(BINS)].iter().sum() };
    let mut best = 0;
    for k in 1..BINS {
        if smooth(k) > smooth(best) {
            best = k;
        }
    }
    let mode = (LN_MIN + (best as f64 + 0.5) * BW).exp();
    let n = (b * b) as f64;
    let mut looks = 1.0 / mode;
    let mut used = 0;
    for _ in 0..4 {
        let r = 2.5 * ((2.0 + 6.0 / looks) / n).sqrt();
        let top = bin_of(mode * (1.0 + r));
        let (cnt, sum): (u64, f64) = (hist[..top].iter().sum(), csum[..top].iter().sum());
        if cnt == 0 || sum <= 0.0 {
            break;
        }
        looks = cnt as f64 / sum;
        used = cnt;
    }
    Ok(EnlEstimate {
        enl: looks,
        block_size: b,
        blocks,
        used,
        mode_enl: 1.0 / mode,
    })
}

/// A number of looks, given or estimated from the image (`"auto"`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Looks {
    /// A given number of looks (> 0).
    Given(f64),
    /// Estimate it with [`enl`].
    #[default]
    Auto,
}

impl Looks {
    /// The number of looks to use, and the estimate's details when it was estimated.
    pub fn resolve<T: Sample>(
        self,
        source: &mut impl RowSource<T>,
        nodata: Option<f64>,
        domain: Domain,
    ) -> Result<(f64, Option<EnlEstimate>)> {
        match self {
            Looks::Given(l) => Ok((crate::filters::check_looks(l)?, None)),
            Looks::Auto => {
                let e = enl(source, nodata, domain)?;
                Ok((e.looks(), Some(e)))
            }
        }
    }
}

impl fmt::Display for Looks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Looks::Given(l) => write!(f, "{l}"),
            Looks::Auto => f.write_str("auto"),
        }
    }
}

impl FromStr for Looks {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("auto") {
            return Ok(Looks::Auto);
        }
        let v: f64 = t.parse().map_err(|_| {
            Error::param(
                "looks",
                format!("`{s}` is not a number of looks; use a number > 0 or auto"),
            )
        })?;
        Ok(Looks::Given(crate::filters::check_looks(v)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_preserve_order() {
        let vals = [f64::NEG_INFINITY, -3.5, -1e-30, -0.0, 0.0, 1e-30, 2.0, 7e5];
        for w in vals.windows(2) {
            assert!(key::<f64>(w[0]) < key::<f64>(w[1]), "{w:?}");
            assert!(key::<f32>(w[0]) <= key::<f32>(w[1]), "{w:?}");
        }
        for &v in &vals {
            assert_eq!(value::<f64>(key::<f64>(v)).to_bits(), v.to_bits());
            assert_eq!(value::<f32>(key::<f32>(v)), v as f32 as f64);
        }
        assert_eq!("AUTO".parse::<Looks>().unwrap(), Looks::Auto);
        assert_eq!("4.5".parse::<Looks>().unwrap(), Looks::Given(4.5));
        assert!("-1".parse::<Looks>().is_err() && "x".parse::<Looks>().is_err());
    }
}
