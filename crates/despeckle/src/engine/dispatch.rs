//! CPU-feature dispatch: the engine's hot code compiled once per instruction set.
//!
//! Code runs through the crate's `dispatch::run` in three places: the band loop with its
//! running sums (once per pixel type), each filter's row maths (once per filter and pixel
//! type), and the non-local filter's chained passes (once: their maths does not depend on the
//! pixel type). Each is `#[inline(always)]`, so it is compiled into each variant below: AVX-512 or AVX2 + FMA on
//! x86-64 CPUs that have them, and the baseline instruction set otherwise. No fused
//! multiply-add is emitted implicitly, so every variant gives bit-identical results.

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

/// Code to compile once per instruction-set variant: [`Simd::run`] must be
/// `#[inline(always)]` (and what it calls, down to the arithmetic), so that each variant of
/// [`run`] holds its own copy compiled for that instruction set.
pub(crate) trait Simd {
    /// What the code returns.
    type Output;
    /// The code.
    fn run(self) -> Self::Output;
}

/// Runs `code` compiled for `level` (a level this CPU supports: from [`level`]).
#[inline(always)]
pub(crate) fn run<S: Simd>(level: Level, code: S) -> S::Output {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2,fma")]
        fn avx2<S: Simd>(code: S) -> S::Output {
            code.run()
        }
        #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
        fn avx512<S: Simd>(code: S) -> S::Output {
            code.run()
        }
        match level {
            // SAFETY: `level` checked that this CPU has these features.
            Level::Avx512 => return unsafe { avx512(code) },
            // SAFETY: as above.
            Level::Avx2 => return unsafe { avx2(code) },
            Level::Baseline => {}
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = level;
    code.run()
}
