//! Polarimetric Refined Lee (Lee, Grunes & de Grandi 1999), as PolSARpro and ESA SNAP.

use super::check_planes;
use crate::engine::{MultiFilter, PlanesContext, Validity, mean_variance};
use crate::error::Result;
use crate::filters::edge_windows::{ColumnSums, EdgeRule, block_geometry, check_size};
use crate::filters::speckle::{check_ddof, check_looks, mmse_weight};
use crate::options::Options;
use crate::polsar::Matrix;
use crate::sample::Sample;

/// Output pixels per chunk of column sums (kept in cache).
const CHUNK: usize = 256;

/// The polarimetric Refined Lee filter (Lee, Grunes & de Grandi 1999): the edge-aligned half
/// window and the MMSE weight come from the span, and every element is filtered with them.
///
/// For a window of side `n` (5, 7, 9, 11, 13, 15 or 17; sub-windows as
/// [`RefinedLee`](crate::RefinedLee)'s) and the span `S = Σ diagonal elements`:
///
/// 1. the nine sub-window means of `S` give the half window ([`EdgeRule`]; by default
///    PolSARpro's and SNAP's [`EdgeRule::Gradient`]);
/// 2. over that half window (`n · (n/2 + 1)` pixels), the span's `μ` and `σ²` (`ddof`) give
///    `w = max(0, (σ² − μ² η²) / (1 + η²)) / σ²` with `η² = 1 / looks` (0 where `σ² = 0` or
///    `μ ≤ 0`);
/// 3. each element `z` becomes `z̄ + w (z − z̄)`, `z̄` its mean over the same half window.
///
/// A window with an invalid pixel (no-data, or outside the image with the `shrink` border)
/// uses all its valid pixels instead of a half window (as SNAP does at image borders, but
/// with the span's weight for every element, so the output stays positive semi-definite).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PolRefinedLee {
    matrix: Matrix,
    looks: f64,
    ddof: u8,
    rule: EdgeRule,
}

impl PolRefinedLee {
    /// Refined Lee of a `matrix` image: 1 look, population variance, PolSARpro's edge rule.
    pub fn new(matrix: Matrix) -> Self {
        PolRefinedLee {
            matrix,
            looks: 1.0,
            ddof: 0,
            rule: EdgeRule::Gradient,
        }
    }

    /// Sets the number of looks of the input (`η² = 1 / looks`).
    pub fn with_looks(mut self, looks: f64) -> Result<Self> {
        self.looks = check_looks(looks)?;
        Ok(self)
    }

    /// Sets the variance convention: 0 population (PolSARpro, default), 1 sample (`n − 1`).
    pub fn with_ddof(mut self, ddof: u8) -> Result<Self> {
        self.ddof = check_ddof(ddof)?;
        Ok(self)
    }

    /// Sets how the half window is chosen.
    pub fn with_edge_rule(mut self, rule: EdgeRule) -> Self {
        self.rule = rule;
        self
    }

    /// The matrix kind.
    pub fn matrix(&self) -> Matrix {
        self.matrix
    }

    /// The number of looks.
    pub fn looks(&self) -> f64 {
        self.looks
    }

    /// The variance convention (0 or 1).
    pub fn ddof(&self) -> u8 {
        self.ddof
    }

    /// The edge rule.
    pub fn edge_rule(&self) -> EdgeRule {
        self.rule
    }
}

/// Scratch of one band of rows, kept from row to row.
#[derive(Debug)]
pub struct Scratch {
    /// The span's window rows of one chunk (`n` rows of `cp` columns).
    span: Vec<Vec<f64>>,
    span_sums: Option<ColumnSums>,
    element_sums: Option<ColumnSums>,
    /// Per output pixel of a chunk: the half window (8: the whole window) and the weight.
    half: Vec<usize>,
    weight: Vec<f64>,
}

impl MultiFilter for PolRefinedLee {
    type State = Scratch;

    fn name(&self) -> &'static str {
        "refined-lee"
    }

    fn output_planes(&self, planes: usize) -> Result<usize> {
        check_planes(self.matrix, planes)
    }

    fn validity(&self) -> Validity {
        Validity::Joint
    }

    fn check_options(&self, opts: &Options) -> Result<()> {
        check_size(opts)
    }

    fn state(&self, width: usize, _planes: usize, opts: &Options) -> Scratch {
        let n = opts.size();
        let cmax = CHUNK.min(width) + n - 1;
        let geometry = block_geometry(n);
        Scratch {
            span: vec![vec![0.0; cmax]; n],
            span_sums: geometry.map(|g| ColumnSums::new(n, g, cmax, true)),
            element_sums: geometry.map(|g| ColumnSums::new(n, g, cmax, false)),
            half: vec![8; CHUNK],
            weight: vec![0.0; CHUNK],
        }
    }

    #[inline(always)]
    fn filter_rows<T: Sample>(
        &self,
        st: &mut Scratch,
        ctx: &PlanesContext<'_>,
        out: &mut [Vec<T>],
    ) {
        let w = ctx.width();
        let planes = ctx.planes;
        let first = &planes[0];
        let n = first.window.size();
        let h = n / 2;
        let diag = self.matrix.diagonal();
        let eta2 = 1.0 / self.looks;
        let ddof = self.ddof;
        let valid = first.window.valid();
        let full = (n * n) as f64;
        let half_count = (n * (h + 1)) as f64;
        let (Some(span_sums), Some(element_sums)) = (&mut st.span_sums, &mut st.element_sums)
        else {
            // Not a supported size (rejected by `check_options`): the whole window.
            whole_windows(self, ctx, w, &mut st.weight);
            for (p, row) in out.iter_mut().enumerate() {
                let c = &planes[p];
                for (x, o) in row[..w].iter_mut().enumerate() {
                    let m = c.sum[x] / c.count[x];
                    *o = T::from_f64(m + st.weight[x] * (c.centre[x] - m));
                }
            }
            return;
        };
        for x0 in (0..w).step_by(CHUNK) {
            let cw = CHUNK.min(w - x0);
            let cp = cw + n - 1;
            // the span's window rows of this chunk
            for (r, span) in st.span.iter_mut().enumerate() {
                let span = &mut span[..cp];
                span.copy_from_slice(&planes[diag[0]].window.values()[r][x0..x0 + cp]);
                for &d in &diag[1..] {
                    let v = &planes[d].window.values()[r][x0..x0 + cp];
                    for (s, &v) in span.iter_mut().zip(v) {
                        *s += v;
                    }
                }
            }
            let rows: Vec<&[f64]> = st.span.iter().map(|r| &r[..cp]).collect();
            span_sums.fill(&rows, cp);
            for xl in 0..cw {
                let x = x0 + xl;
                if first.count[x] == full {
                    let (s1, _) = span_sums.blocks(xl);
                    let k = self.rule.half_window(&s1);
                    let (a1, a2) = span_sums.half(k, xl);
                    let (mu, var) = mean_variance(half_count, a1, a2, ddof as f64);
                    st.half[xl] = k;
                    st.weight[xl] = if mu > 0.0 {
                        mmse_weight(mu, var, eta2)
                    } else {
                        0.0
                    };
                } else {
                    st.half[xl] = 8;
                    st.weight[xl] = incomplete_weight(self, &st.span, valid, x0, xl, n, eta2);
                }
            }
            for (c, row) in planes.iter().zip(out.iter_mut()) {
                let rows: Vec<&[f64]> = c.window.values().iter().map(|r| &r[x0..x0 + cp]).collect();
                element_sums.fill(&rows, cp);
                for (xl, o) in row[x0..x0 + cw].iter_mut().enumerate() {
                    let x = x0 + xl;
                    let k = st.half[xl];
                    let m = if k < 8 {
                        element_sums.half(k, xl).0 / half_count
                    } else {
                        c.sum[x] / c.count[x]
                    };
                    *o = T::from_f64(m + st.weight[xl] * (c.centre[x] - m));
                }
            }
        }
    }

    fn scratch_bytes(&self, width: usize, size: usize, _planes: usize) -> usize {
        let cp = CHUNK.min(width) + size;
        // span rows, span sums and squares, element sums, middle rows, per-pixel choices
        8 * cp * (size + 3 * (2 * size + 1) + 4) + 16 * CHUNK + 64 * size
    }
}

/// The span weight of a window with invalid pixels: `μ`, `σ²` of the span over its valid
/// pixels (`span` holds the chunk's span rows, `valid` the window's validity rows).
fn incomplete_weight(
    f: &PolRefinedLee,
    span: &[Vec<f64>],
    valid: &[&[f64]],
    x0: usize,
    xl: usize,
    n: usize,
    eta2: f64,
) -> f64 {
    let (mut c, mut s1, mut s2) = (0.0, 0.0, 0.0);
    for (srow, vrow) in span.iter().zip(valid) {
        for i in xl..xl + n {
            if vrow[x0 + i] != 0.0 {
                let v = srow[i];
                c += 1.0;
                s1 += v;
                s2 += v * v;
            }
        }
    }
    if c == 0.0 {
        return 0.0;
    }
    let (mu, var) = mean_variance(c, s1, s2, f.ddof as f64);
    if mu > 0.0 {
        mmse_weight(mu, var, eta2)
    } else {
        0.0
    }
}

/// Whole-window weights of the `w` pixels of a row (sizes without edge-aligned windows).
fn whole_windows(f: &PolRefinedLee, ctx: &PlanesContext<'_>, w: usize, weight: &mut Vec<f64>) {
    let n = ctx.planes[0].window.size();
    let diag = f.matrix.diagonal();
    weight.resize(w.max(weight.len()), 0.0);
    let valid = ctx.planes[0].window.valid();
    for (x, wt) in weight[..w].iter_mut().enumerate() {
        let (mut c, mut s1, mut s2) = (0.0f64, 0.0, 0.0);
        for (r, vrow) in valid.iter().enumerate().take(n) {
            for (i, &ok) in vrow.iter().enumerate().skip(x).take(n) {
                if ok != 0.0 {
                    let v: f64 = diag
                        .iter()
                        .map(|&d| ctx.planes[d].window.values()[r][i])
                        .sum();
                    c += 1.0;
                    s1 += v;
                    s2 += v * v;
                }
            }
        }
        let (mu, var) = mean_variance(c.max(1.0), s1, s2, f.ddof as f64);
        *wt = if mu > 0.0 {
            mmse_weight(mu, var, 1.0 / f.looks)
        } else {
            0.0
        };
    }
}
