//! Rows of the web UI's session table (SPEC 11).

/// A signed-in browser, as stored. The token itself is never stored, only its hash.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UiSession {
    /// The signed-in user.
    pub user_id: i64,
    /// The token every form of this session carries.
    pub csrf: String,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Last use, milliseconds since the Unix epoch.
    pub last_used_at: i64,
}
