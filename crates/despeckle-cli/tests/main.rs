//! The command line's integration tests in one binary (one link, not one per file): filters,
//! trust (hostile inputs, outputs that never resolve to an input), polarimetric and temporal
//! commands.

mod cli;
mod common;
mod polsar;
mod temporal;
mod trust;
