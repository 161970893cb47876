//! Benchmarks and measurement tools for Keywarden. See `bench/README.md`.
