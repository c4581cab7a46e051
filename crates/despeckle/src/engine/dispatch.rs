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

/// The instruction-set variants of the engine's row loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The target's baseline (SSE2 on x86-64).
    Baseline,
    /// AVX2 + FMA.
    Avx2,
    /// AVX-512 (F, DQ, VL) + AVX2 + FMA.
    Avx512,
}

/// The highest variant allowed by the environment variable `DESPECKLE_SIMD`
/// (`baseline`, `avx2` or `avx512`; unset: no limit), read once.
fn env_cap() -> Level {
    static CAP: std::sync::OnceLock<Level> = std::sync::OnceLock::new();
    *CAP.get_or_init(|| match std::env::var("DESPECKLE_SIMD").as_deref() {
        Ok("baseline") | Ok("none") => Level::Baseline,
        Ok("avx2") => Level::Avx2,
        _ => Level::Avx512,
    })
}

/// The variant that runs on this CPU (the results are the same with every variant).
pub fn level() -> Level {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        let cap = env_cap();
        if PORTABLE_ONLY.load(Ordering::Relaxed)
            || cap == Level::Baseline
            || !(has!("avx2") && has!("fma"))
        {
            Level::Baseline
        } else if cap == Level::Avx512 && has!("avx512f") && has!("avx512dq") && has!("avx512vl") {
            Level::Avx512
        } else {
            Level::Avx2
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        Level::Baseline
    }
}

/// Whether a SIMD variant (AVX2 or wider) runs on this CPU.
pub fn uses_avx2() -> bool {
    level() != Level::Baseline
}
