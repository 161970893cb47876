//! Users and their personal access tokens.

use async_trait::async_trait;

use crate::*;

pub(crate) mod sql;

/// Users and their personal access tokens. Implemented once per backend, in [`sql`].
#[async_trait]
pub trait UserStore {
    /// Number of users (0 on a fresh database: time to bootstrap the admin).
    async fn count_users(&self) -> Result<i64>;

    /// Creates a user and their personal project `~NAME`, in one transaction.
    /// [`StoreError::Conflict`] if the name (case-insensitively) is taken.
    async fn create_user(&self, user: NewUser) -> Result<User>;

    /// The user with this name, matched case-insensitively.
    async fn user_by_name(&self, name: &str) -> Result<Option<User>>;

    /// The user with this id.
    async fn user_by_id(&self, id: i64) -> Result<Option<User>>;

    /// Users whose name or display name contains `filter` (case-insensitive), by name.
    async fn list_users(&self, filter: Option<&str>, page: PageRequest) -> Result<Page<User>>;

    /// Replaces a user's password hash.
    async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<()>;

    /// Grants or revokes global administration.
    async fn set_admin(&self, user_id: i64, admin: bool) -> Result<()>;

    /// Deletes a user with their tokens, grants and personal project; returns the repositories
    /// of that personal project, whose directories the caller removes from disk.
    async fn delete_user(&self, user_id: i64) -> Result<Vec<Repository>>;

    /// Stores a new token's hash under its public `key_id`.
    async fn create_token(&self, token: NewToken<'_>) -> Result<AccessToken>;

    /// The token with this `key_id` and its stored hash.
    async fn token_by_key(&self, key_id: &str) -> Result<Option<(AccessToken, String)>>;

    /// A user's tokens, newest first.
    async fn list_tokens(&self, user_id: i64) -> Result<Vec<AccessToken>>;

    /// Records that a token authenticated a request at `at` (milliseconds since the epoch).
    async fn touch_token(&self, token_id: i64, at: i64) -> Result<()>;

    /// Deletes one of a user's tokens.
    async fn delete_token(&self, user_id: i64, token_id: i64) -> Result<()>;
}
