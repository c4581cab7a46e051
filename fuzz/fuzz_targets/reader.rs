//! Open a GeoTIFF and read every row of every band (see `despeckle_geotiff::fuzzing`).
#![no_main]

use despeckle_geotiff::fuzzing::{PeakAlloc, Target, run_bytes};
use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

fuzz_target!(|data: &[u8]| run_bytes(data, Target::Read));
