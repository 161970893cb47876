//! The Keywarden server: the Bitbucket REST subset, Git smart HTTP, the web UI and the
//! pre-receive hook endpoint, over the domain in [`keywarden_core`].
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

mod app;
pub mod auth;
mod auth_cache;
pub mod error;
mod git_http;
pub mod hook;
pub mod limits;
mod push_sessions;
pub mod rest;
pub mod session;
pub mod state;
pub mod ui;
mod xsrf;

pub use app::{
    Listening, ServerError, bootstrap_admin, prepare, prepare_with_policy, router, run, serve,
};
pub use error::{ApiError, ApiResult};
pub use hook::{AcceptAll, PushContext, PushPolicy, QuarantineEnv, RefUpdate, Verdict};
pub use keywarden_core::push::SecretScanPolicy;
pub use keywarden_core::{Config, Core};
pub use state::AppState;
