//! Web UI sessions.

use async_trait::async_trait;

use crate::*;

mod model;
pub(crate) mod sql;

pub use model::*;

/// Web UI sessions. Implemented once per backend, in [`sql`].
#[async_trait]
pub trait SessionStore {
    /// Stores a new session under the hash of its token.
    async fn create_session(&self, token_hash: &str, user_id: i64, csrf: &str) -> Result<()>;

    /// The session with this token hash, unless it was last used before `used_since`.
    async fn session(&self, token_hash: &str, used_since: i64) -> Result<Option<UiSession>>;

    /// Records that the session was used now.
    async fn touch_session(&self, token_hash: &str) -> Result<()>;

    /// Ends a session (no error when it does not exist).
    async fn delete_session(&self, token_hash: &str) -> Result<()>;

    /// Deletes the sessions last used before `used_before`; returns how many.
    async fn delete_expired_sessions(&self, used_before: i64) -> Result<u64>;
}
