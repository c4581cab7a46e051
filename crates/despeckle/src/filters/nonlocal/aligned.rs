//! Rows of `f32` that start on a 64-byte boundary, so that a vector loop over them from index
//! 0 (or any multiple of [`LANES`](super::maths::LANES)) never has a load or store straddle
//! two cache lines. `Vec<f32>` is only 4-byte aligned (16 in practice): almost every AVX-512
//! access of the non-local filter's scratch and accumulators was split in two.

use std::ops::{Deref, DerefMut};

/// One cache line of values.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
struct Line([f32; 16]);

/// `len` values on 64-byte lines (the last one padded), seen as a slice.
#[derive(Clone, Debug, Default)]
pub(crate) struct Aligned {
    lines: Vec<Line>,
    len: usize,
}

impl Aligned {
    /// `len` zeros.
    pub fn zeros(len: usize) -> Self {
        Aligned {
            lines: vec![Line([0.0; 16]); len.div_ceil(16)],
            len,
        }
    }
}

impl Deref for Aligned {
    type Target = [f32];
    #[inline(always)]
    fn deref(&self) -> &[f32] {
        // SAFETY: a `Line` is 16 `f32` without padding (`repr(C)`, 64 bytes), so the lines
        // are `16 · lines.len() ≥ len` initialised, contiguous `f32` borrowed with `self`.
        unsafe { std::slice::from_raw_parts(self.lines.as_ptr().cast::<f32>(), self.len) }
    }
}

impl DerefMut for Aligned {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [f32] {
        // SAFETY: as in `deref`, borrowed mutably with `self`.
        unsafe { std::slice::from_raw_parts_mut(self.lines.as_mut_ptr().cast::<f32>(), self.len) }
    }
}

/// Asks the CPU to bring `values` into its nearest cache (x86-64: one `prefetcht0` per 64-byte
/// line; elsewhere nothing). A hint only: no value changes.
#[inline(always)]
pub(crate) fn prefetch(values: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let lines = values.as_ptr_range();
        let mut p = lines.start.cast::<i8>();
        while p < lines.end.cast::<i8>() {
            // SAFETY: `prefetcht0` (SSE, part of every x86-64) reads nothing and faults on no
            // address: a hint to the cache only
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p) };
            p = p.wrapping_add(64);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = values;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_start_on_a_cache_line_and_hold_their_values() {
        for len in [0, 1, 15, 16, 17, 1000] {
            let mut a = Aligned::zeros(len);
            assert_eq!(a.len(), len);
            assert_eq!(a.as_ptr() as usize % 64, 0);
            for (i, v) in a.iter_mut().enumerate() {
                *v = i as f32;
            }
            let b = a.clone();
            assert!(b.iter().enumerate().all(|(i, &v)| v == i as f32));
        }
    }
}
