//! Replays the fuzzing corpus (`fuzz/seeds/*` and the minimised crashes in
//! `fuzz/regressions/*` at the repository root) through the fuzz targets' own harness: no file
//! may panic, hang or allocate more than its size justifies.

use despeckle_geotiff::fuzzing::{self, PeakAlloc, Target};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// Every seed is a valid file: it opens, describes itself and reads to the end, within its
/// memory bound.
#[test]
fn seeds_read_completely() {
    let _serial = fuzzing::serial();
    let seeds = fuzzing::corpus("seeds");
    assert!(seeds.len() >= 40, "only {} seed files", seeds.len());
    for path in &seeds {
        if let Err(e) = fuzzing::run(path, Target::Info) {
            panic!("info: {e}");
        }
        if let Err(e) = fuzzing::run(path, Target::Read) {
            panic!("read: {e}");
        }
        let (_, work) = fuzzing::read_everything(path).unwrap();
        assert!(!work.truncated && work.samples > 0, "{}", path.display());
    }
}

/// Every minimised crash now gives an error or a value, never a panic, within its memory bound.
/// `FUZZ_REPLAY=DIR` replays the files of DIR instead and prints each outcome (to triage
/// `fuzz/artifacts/TARGET`).
#[test]
fn regressions_do_not_panic() {
    let _serial = fuzzing::serial();
    let dir = std::env::var("FUZZ_REPLAY").unwrap_or_else(|_| "regressions".into());
    let mut failures = Vec::new();
    for path in fuzzing::corpus(&dir) {
        for target in [Target::Info, Target::Read] {
            let outcome = std::panic::catch_unwind(|| fuzzing::run(&path, target));
            if let (Ok(result), Ok(_)) = (&outcome, std::env::var("FUZZ_REPLAY")) {
                // Triage: what each file gives now.
                eprintln!("{target:?}\t{}\t{result:?}", path.display());
            }
            if let Err(panic) = outcome {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{} ({target:?}): {msg}", path.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
