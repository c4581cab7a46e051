//! The polarimetric boxcar: every element averaged over the same window.

use super::check_planes;
use crate::engine::{Filter, MultiFilter, PlanesContext, Validity};
use crate::error::Result;
use crate::filters::Mean;
use crate::options::Options;
use crate::polsar::Matrix;
use crate::sample::Sample;

/// The polarimetric boxcar filter: each element's mean over the window's valid pixels (a
/// pixel is valid if every element is), `⟨M⟩ = Σ M / n` — the multilook average of the
/// matrices, Hermitian positive semi-definite when the inputs are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolBoxcar {
    matrix: Matrix,
}

impl PolBoxcar {
    /// The boxcar of a `matrix` image.
    pub fn new(matrix: Matrix) -> Self {
        PolBoxcar { matrix }
    }

    /// The matrix kind.
    pub fn matrix(&self) -> Matrix {
        self.matrix
    }
}

impl MultiFilter for PolBoxcar {
    type State = ();

    fn name(&self) -> &'static str {
        "boxcar"
    }

    fn output_planes(&self, planes: usize) -> Result<usize> {
        check_planes(self.matrix, planes)
    }

    fn validity(&self) -> Validity {
        Validity::Joint
    }

    fn state(&self, _width: usize, _planes: usize, _opts: &Options) {}

    #[inline(always)]
    fn filter_rows<T: Sample>(&self, _: &mut (), ctx: &PlanesContext<'_>, out: &mut [Vec<T>]) {
        for (plane, row) in ctx.planes.iter().zip(out) {
            Filter::filter_row(&Mean, plane, row);
        }
    }

    fn scratch_bytes(&self, width: usize, size: usize, _planes: usize) -> usize {
        Filter::scratch_bytes(&Mean, width, size)
    }
}
