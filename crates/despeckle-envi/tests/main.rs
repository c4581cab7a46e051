//! The crate's tests, one binary: ENVI headers, readers and writer; GDAL-written fixtures;
//! PolSARpro folders; BEAM-DIMAP products; arbitrary text that must never panic.

mod common;
mod dimap;
mod envi;
mod gdal;
mod georef;
mod hostile;
mod polsarpro;
