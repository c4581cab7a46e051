//! The crate's integration tests in one binary (one link, not one per file): layouts, errors,
//! COG, GDAL-written fixtures, round trips. Tests that count allocations or clean up every
//! writer of the process are binaries of their own (Cargo.toml).

mod cog;
mod common;
mod errors;
mod gdal;
mod reader;
mod roundtrip;
