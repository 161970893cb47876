//! Keywarden's shared test harness, used by the integration tests of the store, the server and
//! the `keywarden` binary: a real server on `127.0.0.1:0` over a temporary data directory
//! ([`TestServer`]), the real `git` client isolated from the user's configuration ([`git()`] and
//! friends), fresh PostgreSQL schemas ([`postgres`]), the scan tests' helpers ([`scans`]), and
//! [`missing_tool`] for tests that drive an external program.
//!
//! In the `keywarden` crate's tests (where Cargo sets `CARGO_BIN_EXE_keywarden`), the servers'
//! pushes run the real `keywarden hook pre-receive`; elsewhere a small script that accepts every
//! push stands in for it.

#![deny(missing_docs)]

mod content;
mod git;
pub mod postgres;
pub mod scans;
mod server;
mod tools;

pub use content::password_lines;
pub use git::{commit, git, git_fails, git_ok, push, remote, work_repo};
pub use server::{ADMIN_PASSWORD, TestServer, assert_error, json};
pub use tools::{in_ci, missing_tool};
