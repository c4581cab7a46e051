//! Unpack a BEAM-DIMAP product from the input and read all of it (see `despeckle_envi::fuzzing`).
#![no_main]

use despeckle_envi::fuzzing::{PeakAlloc, Target, run_bytes};
use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

fuzz_target!(|data: &[u8]| run_bytes(data, Target::Dimap));
