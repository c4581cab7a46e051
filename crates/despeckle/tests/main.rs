//! The crate's integration tests in one binary (one link, not one per file): references of
//! every filter, drivers, borders, no-data, planes, the non-local, polarimetric and temporal
//! filters, the instruction-set variants. The allocation-budget tests, which measure the whole
//! process, are a binary of their own (Cargo.toml).

mod accuracy;
mod common;
mod drivers;
mod filters_behaviour;
mod filters_estimate;
mod filters_otb;
mod filters_reference;
mod filters_window;
mod finite_range;
mod median_exact;
mod metrics;
mod planes;
mod polsar_filters;
mod polsar_sigma_idan;
mod ppb;
mod reference;
mod simd_variants;
mod temporal;
