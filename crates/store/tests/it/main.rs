//! The store's integration tests: every case on a fresh SQLite file and on a fresh PostgreSQL
//! schema.

#[macro_use]
mod common;

mod blobs_store;
mod rules_store;
mod scans_store;
mod sessions_store;
mod store;
