//! Measures without a clean reference: ENL, speckle suppression, mean preservation, edge
//! preservation and the ratio image `input / output` (with the M index), accumulated from
//! rows of the input and the filtered image fed in order.

use crate::error::{Error, Result};
use crate::filters::Domain;
use crate::sample::Sample;

use super::cooccurrence::Cooccurrence;
use super::homogeneous::{Block, HomogeneousBlocks};
use super::{Moments, Region};

/// What is measured over one region of an input and its filtered version.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegionMetrics {
    /// The region (clipped to the image).
    pub region: Region,
    /// Pixels valid in both images.
    pub pixels: u64,
    /// ENL of the input.
    pub enl_input: f64,
    /// ENL of the filtered image.
    pub enl_output: f64,
    /// Speckle suppression index `(σ_f/μ_f) / (σ_o/μ_o)` (below 1: speckle reduced).
    pub ssi: f64,
    /// Mean preservation ratio `μ_f / μ_o` (1 is ideal).
    pub mean_ratio: f64,
    /// Edge preservation index `Σ|Δf| / Σ|Δo|` over adjacent pixel pairs (1 keeps edges).
    pub epi: f64,
    /// Mean of the ratio image `o / f` (1 is ideal).
    pub ratio_mean: f64,
    /// ENL of the ratio image (the data's looks is ideal, in homogeneous areas).
    pub ratio_enl: f64,
}

/// The M index of Gomez, Ospina & Frery (2017) and its parts (lower is better, 0 ideal).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MIndex {
    /// `M = (r_ENL,μ + δh) / 2`.
    pub m: f64,
    /// First-order residual `r_ENL,μ`: mean over the homogeneous blocks of
    /// `(|ENL_o − ENL_r| / ENL_o + |1 − μ_r|) / 2`.
    pub first_order: f64,
    /// Second-order residual `δh = 100 · |h₀ − h̄| / h₀`.
    pub delta_h: f64,
    /// Homogeneity `h₀` of the ratio image's co-occurrence matrix.
    pub homogeneity: f64,
    /// Expected homogeneity `h̄` of the ratio image with its pixels shuffled.
    pub shuffled_homogeneity: f64,
    /// Homogeneous blocks used by the first-order part.
    pub blocks: usize,
}

/// Everything [`NoReference`] measures.
#[derive(Debug, Clone, PartialEq)]
pub struct NoReferenceMetrics {
    /// Over the whole image.
    pub whole: RegionMetrics,
    /// Over each region given, in order.
    pub regions: Vec<RegionMetrics>,
    /// Over the automatically found homogeneous blocks (pooled: ENL is `1 / mean(σ²/μ²)` of
    /// the blocks, SSI `√(mean σ_f²/μ_f² / mean σ_o²/μ_o²)`, the means are means of the
    /// blocks' values); `None` when no block qualifies.
    pub homogeneous: Option<HomogeneousMetrics>,
    /// The M index; `None` when no block qualifies.
    pub m_index: Option<MIndex>,
}

/// Measures over the automatically found homogeneous blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct HomogeneousMetrics {
    /// The blocks (most homogeneous first).
    pub blocks: Vec<Block>,
    /// ENL of the input.
    pub enl_input: f64,
    /// ENL of the filtered image.
    pub enl_output: f64,
    /// Speckle suppression index.
    pub ssi: f64,
    /// Mean of the blocks' `μ_f / μ_o`.
    pub mean_ratio: f64,
    /// ENL of the ratio image.
    pub ratio_enl: f64,
    /// Mean of the blocks' ratio means.
    pub ratio_mean: f64,
}

/// Accumulators of one region.
#[derive(Debug, Clone, Default)]
struct RegionAcc {
    input: Moments,
    output: Moments,
    ratio: Moments,
    grad_input: f64,
    grad_output: f64,
}

/// One-pass measures of a filtered image against its input, without a clean reference.
///
/// Feed rows of both images top to bottom with [`NoReference::add_rows`] (any number of rows
/// at a time), then [`NoReference::finish`]. A pixel counts where it is valid (finite, not
/// `nodata`) in both images; the ratio `input / output` also needs a non-zero output.
/// Memory: three rows, the co-occurrence counts and at most
/// [`MAX_BLOCKS`](super::homogeneous::MAX_BLOCKS) blocks — nothing grows with the height.
#[derive(Debug)]
pub struct NoReference {
    width: usize,
    height: usize,
    domain: Domain,
    nodata: Option<f64>,
    next_row: usize,
    whole: (Region, RegionAcc),
    regions: Vec<(Region, RegionAcc)>,
    blocks: HomogeneousBlocks,
    cooc: Cooccurrence,
    // current and previous rows as f64, NaN for no-data (pairs: input, output)
    cur: (Vec<f64>, Vec<f64>, Vec<f64>),
    prev: (Vec<f64>, Vec<f64>),
}

impl NoReference {
    /// Measures of a `width × height` image pair over the whole image and over `regions`
    /// (clipped to the image), the ENL in `domain`.
    pub fn new(
        width: usize,
        height: usize,
        regions: &[Region],
        domain: Domain,
        nodata: Option<f64>,
    ) -> Self {
        let row = || vec![f64::NAN; width];
        NoReference {
            width,
            height,
            domain,
            nodata,
            next_row: 0,
            whole: (Region::whole(width, height), RegionAcc::default()),
            regions: regions
                .iter()
                .map(|r| (r.clip(width, height), RegionAcc::default()))
                .collect(),
            blocks: HomogeneousBlocks::new(width, height),
            cooc: Cooccurrence::new(width),
            cur: (row(), row(), row()),
            prev: (row(), row()),
        }
    }

    /// Adds the next rows: `input` and `output` hold the same whole rows (`width` values
    /// each), of the input and of the filtered image.
    pub fn add_rows<T: Sample>(&mut self, input: &[T], output: &[T]) -> Result<()> {
        let w = self.width.max(1);
        if input.len() != output.len() || !input.len().is_multiple_of(w) {
            return Err(Error::InvalidImage(format!(
                "rows of {} and {} values do not make whole rows of {} pixels for both images",
                input.len(),
                output.len(),
                self.width
            )));
        }
        if self.width == 0 {
            return Ok(());
        }
        if self.next_row + input.len() / w > self.height {
            return Err(Error::InvalidImage(format!(
                "more rows than the image's {}",
                self.height
            )));
        }
        let ok = crate::estimate::validity::<T>(self.nodata);
        for (a, b) in input.chunks_exact(w).zip(output.chunks_exact(w)) {
            for x in 0..w {
                let (i, o) = (a[x].to_f64(), b[x].to_f64());
                let both = ok(i) && ok(o);
                self.cur.0[x] = if both { i } else { f64::NAN };
                self.cur.1[x] = if both { o } else { f64::NAN };
                self.cur.2[x] = if both && o != 0.0 { i / o } else { f64::NAN };
            }
            self.row();
        }
        Ok(())
    }

    fn row(&mut self) {
        let y = self.next_row;
        let (i, o, r) = (&self.cur.0, &self.cur.1, &self.cur.2);
        let (pi, po) = (&self.prev.0, &self.prev.1);
        let w = self.width;
        for (region, acc) in std::iter::once(&mut self.whole).chain(self.regions.iter_mut()) {
            if !region.has_row(y) {
                continue;
            }
            let cols = region.columns(w);
            let above = y > 0 && region.has_row(y - 1);
            for x in cols.clone() {
                if i[x].is_nan() {
                    continue;
                }
                acc.input.add(i[x]);
                acc.output.add(o[x]);
                if !r[x].is_nan() {
                    acc.ratio.add(r[x]);
                }
                if x + 1 < cols.end && !i[x + 1].is_nan() {
                    acc.grad_input += (i[x + 1] - i[x]).abs();
                    acc.grad_output += (o[x + 1] - o[x]).abs();
                }
                if above && !pi[x].is_nan() {
                    acc.grad_input += (pi[x] - i[x]).abs();
                    acc.grad_output += (po[x] - o[x]).abs();
                }
            }
        }
        self.blocks.add_row(y, i, o, r);
        self.cooc.add_row(r);
        std::mem::swap(&mut self.prev.0, &mut self.cur.0);
        std::mem::swap(&mut self.prev.1, &mut self.cur.1);
        self.next_row += 1;
    }

    /// The measures. Fails unless every row was given.
    pub fn finish(self) -> Result<NoReferenceMetrics> {
        if self.next_row != self.height {
            return Err(Error::InvalidImage(format!(
                "{} of {} rows given",
                self.next_row, self.height
            )));
        }
        let domain = self.domain;
        let region = |(region, a): &(Region, RegionAcc)| RegionMetrics {
            region: *region,
            pixels: a.input.count(),
            enl_input: a.input.enl(domain),
            enl_output: a.output.enl(domain),
            ssi: a.output.cv() / a.input.cv(),
            mean_ratio: a.output.mean() / a.input.mean(),
            epi: a.grad_output / a.grad_input,
            ratio_mean: a.ratio.mean(),
            ratio_enl: a.ratio.enl(domain),
        };
        let blocks = self.blocks.finish();
        let (homogeneous, m_index) = if blocks.is_empty() {
            (None, None)
        } else {
            let h = homogeneous(blocks, domain);
            let m = m_index(&h.blocks, &self.cooc, domain);
            (Some(h), Some(m))
        };
        Ok(NoReferenceMetrics {
            whole: region(&self.whole),
            regions: self.regions.iter().map(region).collect(),
            homogeneous,
            m_index,
        })
    }
}

/// The ENL factor of a domain: 1 (intensity) or `4/π − 1` (amplitude).
fn enl_factor(domain: Domain) -> f64 {
    match domain {
        Domain::Intensity => 1.0,
        Domain::Amplitude => 4.0 / std::f64::consts::PI - 1.0,
    }
}

fn homogeneous(blocks: Vec<Block>, domain: Domain) -> HomogeneousMetrics {
    let n = blocks.len() as f64;
    let mean = |f: &dyn Fn(&Block) -> f64| blocks.iter().map(f).sum::<f64>() / n;
    let cv2 = |m: &Moments| m.variance() / (m.mean() * m.mean());
    let (ci, co, cr) = (
        mean(&|b| cv2(&b.input)),
        mean(&|b| cv2(&b.output)),
        mean(&|b| cv2(&b.ratio)),
    );
    let k = enl_factor(domain);
    HomogeneousMetrics {
        enl_input: k / ci,
        enl_output: k / co,
        ssi: (co / ci).sqrt(),
        mean_ratio: mean(&|b| b.output.mean() / b.input.mean()),
        ratio_enl: k / cr,
        ratio_mean: mean(&|b| b.ratio.mean()),
        blocks,
    }
}

fn m_index(blocks: &[Block], cooc: &Cooccurrence, domain: Domain) -> MIndex {
    let first_order = blocks
        .iter()
        .map(|b| {
            let (eo, er) = (b.input.enl(domain), b.ratio.enl(domain));
            ((eo - er).abs() / eo + (1.0 - b.ratio.mean()).abs()) / 2.0
        })
        .sum::<f64>()
        / blocks.len() as f64;
    let (h0, hs) = (cooc.homogeneity(), cooc.shuffled_homogeneity());
    let delta_h = 100.0 * (h0 - hs).abs() / h0;
    MIndex {
        m: (first_order + delta_h) / 2.0,
        first_order,
        delta_h,
        homogeneity: h0,
        shuffled_homogeneity: hs,
        blocks: blocks.len(),
    }
}
