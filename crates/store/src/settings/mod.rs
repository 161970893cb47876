//! Server-wide settings and the security hook settings of each scope.

use async_trait::async_trait;

use crate::*;

pub(crate) mod sql;

/// Server-wide settings and the security hook settings of each scope. Implemented once per backend, in [`sql`].
#[async_trait]
pub trait SettingStore {
    /// A server-wide setting (a JSON text by convention).
    async fn setting(&self, key: &str) -> Result<Option<String>>;

    /// Writes a server-wide setting.
    async fn put_setting(&self, key: &str, value: &str) -> Result<()>;

    /// Adds `by` to an integer setting (0 when missing) in one statement and returns the new
    /// value; safe against concurrent writers (e.g. the configuration generation).
    async fn increment_setting(&self, key: &str, by: i64) -> Result<i64>;

    /// The explicit hook setting at a scope, or `None` when it inherits.
    async fn hook_setting(&self, scope: HookScope) -> Result<Option<HookSetting>>;

    /// Sets the explicit hook setting at a scope (replacing any previous one).
    async fn put_hook_setting(&self, scope: HookScope, setting: HookSetting) -> Result<()>;

    /// Removes the explicit setting at a scope (back to inherited); no error if there was none.
    async fn delete_hook_setting(&self, scope: HookScope) -> Result<()>;

    /// Raises the integer setting `key` to `slot` if it is lower (or missing); true when this
    /// call raised it, so that of several processes exactly one claims each slot.
    async fn claim_setting_slot(&self, key: &str, slot: i64) -> Result<bool>;
}
