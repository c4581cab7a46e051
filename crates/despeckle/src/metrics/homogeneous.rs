//! Automatic homogeneous areas: the most homogeneous square blocks of the input, kept in a
//! bounded heap while the rows stream past.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::Moments;

/// Side of the blocks searched for homogeneous areas.
pub const BLOCK: usize = 15;
/// Most blocks kept.
pub const MAX_BLOCKS: usize = 1000;
/// Share of the complete blocks kept (at least one).
pub const BLOCK_SHARE: f64 = 0.05;

/// One block: its top-left corner and the moments of the input, output and ratio inside it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Block {
    /// Column of the top-left pixel.
    pub x: usize,
    /// Row of the top-left pixel.
    pub y: usize,
    /// Moments of the input.
    pub input: Moments,
    /// Moments of the filtered image.
    pub output: Moments,
    /// Moments of the ratio `input / output`.
    pub ratio: Moments,
}

/// A block ordered by the squared coefficient of variation of its input.
#[derive(Debug)]
struct Ranked(f64, Block);

impl PartialEq for Ranked {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ranked {
    fn cmp(&self, o: &Self) -> Ordering {
        // ties broken by position, so the choice is deterministic
        self.0
            .total_cmp(&o.0)
            .then((self.1.y, self.1.x).cmp(&(o.1.y, o.1.x)))
    }
}

/// Finds the `keep` blocks of [`BLOCK`] × [`BLOCK`] pixels (non-overlapping, on a grid from
/// the top-left corner; partial blocks at the right and bottom ignored) with the lowest
/// coefficient of variation of the input, among the blocks where every pixel is valid in the
/// input, the output and the ratio, and the input has a positive mean and variance.
#[derive(Debug)]
pub struct HomogeneousBlocks {
    nby: usize,
    keep: usize,
    acc: Vec<(Moments, Moments, Moments, bool)>,
    heap: BinaryHeap<Ranked>,
}

impl HomogeneousBlocks {
    /// A search over a `width × height` image.
    pub fn new(width: usize, height: usize) -> Self {
        let (nbx, nby) = (width / BLOCK, height / BLOCK);
        let keep = (((nbx * nby) as f64 * BLOCK_SHARE).ceil() as usize).clamp(1, MAX_BLOCKS);
        HomogeneousBlocks {
            nby,
            keep,
            acc: vec![Default::default(); nbx],
            heap: BinaryHeap::new(),
        }
    }

    /// How many blocks are kept at most: 5 % of the complete blocks, 1 to 1,000.
    pub fn keep(&self) -> usize {
        self.keep
    }

    /// Adds row `y` (input, output and ratio, NaN for no-data).
    pub fn add_row(&mut self, y: usize, input: &[f64], output: &[f64], ratio: &[f64]) {
        if y >= self.nby * BLOCK {
            return;
        }
        if y.is_multiple_of(BLOCK) {
            self.acc.fill((
                Moments::default(),
                Moments::default(),
                Moments::default(),
                true,
            ));
        }
        for (bx, a) in self.acc.iter_mut().enumerate() {
            let cols = bx * BLOCK..(bx + 1) * BLOCK;
            for ((&i, &o), &r) in input[cols.clone()]
                .iter()
                .zip(&output[cols.clone()])
                .zip(&ratio[cols])
            {
                if i.is_nan() || o.is_nan() || r.is_nan() {
                    a.3 = false;
                } else if a.3 {
                    a.0.add(i);
                    a.1.add(o);
                    a.2.add(r);
                }
            }
        }
        if y % BLOCK == BLOCK - 1 {
            for (bx, a) in self.acc.iter().enumerate() {
                let (m, v) = (a.0.mean(), a.0.variance());
                if !a.3 || m <= 0.0 || v <= 0.0 || m.is_nan() || v.is_nan() {
                    continue;
                }
                self.heap.push(Ranked(
                    v / (m * m),
                    Block {
                        x: bx * BLOCK,
                        y: y + 1 - BLOCK,
                        input: a.0,
                        output: a.1,
                        ratio: a.2,
                    },
                ));
                if self.heap.len() > self.keep {
                    self.heap.pop();
                }
            }
        }
    }

    /// The blocks found, most homogeneous first.
    pub fn finish(self) -> Vec<Block> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|r| r.1)
            .collect()
    }
}
