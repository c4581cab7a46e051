//! CPU-feature dispatch: the engine's row loop compiled once per instruction set.
//!
//! The band loop, the running sums and every filter's row maths are `#[inline(always)]`, so
//! they are compiled into each variant below: AVX2 + FMA on x86-64 CPUs that have them, and the
//! baseline instruction set otherwise. No fused multiply-add is emitted implicitly, so both
//! variants give bit-identical results.

use std::sync::atomic::{AtomicBool, Ordering};

static PORTABLE_ONLY: AtomicBool = AtomicBool::new(false);

/// Restricts the engine to the baseline instruction set (for tests and benchmarks that compare
/// the variants); `false` restores automatic selection.
#[doc(hidden)]
pub fn force_portable_code(portable: bool) {
    PORTABLE_ONLY.store(portable, Ordering::Relaxed);
}

/// Whether the AVX2 variant runs on this CPU.
pub fn uses_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        !PORTABLE_ONLY.load(Ordering::Relaxed)
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}
