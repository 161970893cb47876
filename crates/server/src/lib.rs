//! The Keywarden server: the Bitbucket REST subset, Git smart HTTP and the pre-receive hook
//! endpoint, over a [`keywarden_store::Store`].
//!
//! Entry points:
//!
//! * [`run`]: prepare the data directory and serve on an address (what `keywarden serve` does);
//! * [`prepare`] + [`serve`]: the same in two steps, for tests that bind `127.0.0.1:0`;
//! * [`router`]: the [`axum::Router`] over an [`AppState`], for in-process tests;
//! * [`AppState::with_policy`] and [`PushPolicy`]: where the security hook plugs in its
//!   verdict on pushes (see [`hook`]).
//!
//! Authentication ([`auth`]) is HTTP Basic (password, or a personal access token as the
//! password) or `Bearer <token>`, on every REST and Git request. Errors ([`ApiError`]) are
//! rendered in one place as Bitbucket's error envelope.

#![deny(missing_docs)]

pub mod access;
mod app;
pub mod audit;
pub mod auth;
pub mod config;
pub mod credentials;
pub mod disk;
pub mod error;
mod git_http;
pub mod hook;
pub mod hook_install;
pub mod hook_settings;
pub mod limits;
pub mod logging;
mod push_policy;
pub mod quarantine;
pub mod repo_locks;
pub mod rest;
pub mod rules;
pub mod scans;
pub mod scope;
pub mod settings;
pub mod state;
pub mod throttle;
pub mod ui;
mod xsrf;

pub use app::{ServerError, bootstrap_admin, prepare, prepare_with_policy, router, run, serve};
pub use config::Config;
pub use error::{ApiError, ApiResult};
pub use hook::{AcceptAll, PushContext, PushPolicy, QuarantineEnv, RefUpdate, Verdict};
pub use push_policy::SecretScanPolicy;
pub use state::AppState;
