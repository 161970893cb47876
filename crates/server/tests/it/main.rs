//! The server crate's integration tests: a real server over real HTTP, the real `git`, both
//! database backends. The harness is the `keywarden-testkit` crate.

extern crate keywarden_testkit as testkit;

mod abuse;
mod blob_cache;
mod branch_tips;
mod export;
mod openapi;
mod permissions_matrix;
mod rescan;
mod rest;
mod reviewed_api;
mod rules_api;
mod scans;
mod status;
