//! Replays the text formats' fuzzing corpus (`fuzz/seeds-TARGET/*` and the minimised crashes in
//! `fuzz/regressions-TARGET/*` at the repository root, TARGET = envi, polsarpro, dimap) through
//! the fuzz targets' own harness (`despeckle_envi::fuzzing`): no input may panic or allocate
//! more than its size justifies, and every seed reads to the end.

use std::path::PathBuf;

use despeckle_envi::fuzzing::{self, PeakAlloc, Target};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

const TARGETS: [(&str, Target); 3] = [
    ("envi", Target::Envi),
    ("polsarpro", Target::Polsarpro),
    ("dimap", Target::Dimap),
];

/// Every seed is a valid product: it opens and reads to the end, within its memory bound.
#[test]
fn seeds_read_completely() {
    let _serial = fuzzing::serial();
    let scratch = tempfile::tempdir().unwrap();
    for (name, target) in TARGETS {
        let seeds = fuzzing::corpus(&format!("seeds-{name}"));
        assert!(seeds.len() >= 3, "{name}: only {} seed files", seeds.len());
        for path in &seeds {
            let data = std::fs::read(path).unwrap();
            if let Err(e) = fuzzing::run_in(&data, target, scratch.path()) {
                panic!("{}: {e}", path.display());
            }
        }
    }
}

/// Damaged seeds — every seed cut at a few lengths and with a few bytes changed — give an
/// error or a value, never a panic, within their memory bound. (A fast stand-in for the
/// fuzzer in the test suite; the fuzzer itself explores far more.)
#[test]
fn damaged_seeds_do_not_panic() {
    let _serial = fuzzing::serial();
    let scratch = tempfile::tempdir().unwrap();
    for (name, target) in TARGETS {
        for path in fuzzing::corpus(&format!("seeds-{name}")) {
            let data = std::fs::read(&path).unwrap();
            for cut in [1, data.len() / 3, data.len() / 2, data.len() - 1] {
                let _ = fuzzing::run_in(&data[..cut], target, scratch.path());
            }
            for (i, b) in [(7usize, b'9'), (40, b'-'), (60, 0xff), (90, b'}')] {
                if i < data.len() {
                    let mut d = data.clone();
                    d[i] = b;
                    let _ = fuzzing::run_in(&d, target, scratch.path());
                }
            }
        }
    }
}

/// Every minimised crash the fuzzer found now gives an error or a value, never a panic,
/// within its memory bound. `FUZZ_REPLAY=DIR FUZZ_TARGET=NAME` replays the files of DIR
/// instead and prints each outcome (to triage `fuzz/artifacts/NAME`).
#[test]
fn regressions_do_not_panic() {
    let _serial = fuzzing::serial();
    let scratch = tempfile::tempdir().unwrap();
    if let (Ok(dir), Ok(name)) = (std::env::var("FUZZ_REPLAY"), std::env::var("FUZZ_TARGET")) {
        let target = Target::from_name(&name).expect("FUZZ_TARGET: envi, polsarpro or dimap");
        let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        for path in v {
            let data = std::fs::read(&path).unwrap();
            let outcome = fuzzing::run_in(&data, target, scratch.path());
            eprintln!("{}: {outcome:?}", path.display());
        }
        return;
    }
    for (name, target) in TARGETS {
        for path in fuzzing::corpus(&format!("regressions-{name}")) {
            let data = std::fs::read(&path).unwrap();
            let _ = fuzzing::run_in(&data, target, scratch.path());
        }
    }
}
