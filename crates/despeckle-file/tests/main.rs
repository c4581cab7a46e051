//! The crate's integration tests in one binary (one link, not one per file): streaming,
//! outputs, quick-looks, the registry. The peak-memory test is a binary of its own
//! (Cargo.toml): peak RSS is process-wide.

mod common;
mod outputs;
mod quicklook;
mod registry;
mod stream;
