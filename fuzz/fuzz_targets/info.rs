//! Open a GeoTIFF and describe it as `despeckle info` does (see `despeckle_geotiff::fuzzing`).
#![no_main]

use despeckle_geotiff::fuzzing::{PeakAlloc, Target, run_bytes};
use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

fuzz_target!(|data: &[u8]| run_bytes(data, Target::Info));
