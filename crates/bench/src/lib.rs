//! Benchmarks and measurement tools for Keywarden. See `bench/README.md`.

#![deny(missing_docs)]

pub mod creddata;
pub mod harness;
pub mod train;
