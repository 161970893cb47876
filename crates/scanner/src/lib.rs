//! Runs the engine over real inputs on all cores: files under a directory, the tree of a commit,
//! or every unique blob of a history; and the commits of a push, by the lines each adds.
//!
//! The engine ([`keywarden_engine::RuleSet`]) is pure and per-blob; this crate enumerates blobs,
//! reads them (from disk or through [`keywarden_git::Repo`]), scans them in parallel with rayon,
//! and gathers one [`Report`] with findings sorted by path and line.

#![deny(missing_docs)]

mod push;
mod report;
mod run;
mod thresholds;

pub use push::{
    BYPASS_OPTION, PushFinding, PushScan, PushSettings, SKIP_MARKER, Verdict, decide, scan_commits,
    scan_push, scan_staged,
};
pub use report::{Finding, Outcome as BlobOutcome, Report, SkipKind, Skipped};
pub use run::{BlobCache, Progress, ScanError, Scanner};
pub use thresholds::Thresholds;
