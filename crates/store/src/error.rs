//! The store's error type.

/// What can go wrong in a store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row to update or delete does not exist.
    #[error("not found")]
    NotFound,
    /// A unique key (user name, project key, repository slug, ...) is already taken.
    #[error("already exists: {0}")]
    Conflict(String),
    /// A value read from the database is not one the store writes (corrupt or foreign data).
    #[error("invalid stored data: {0}")]
    Corrupt(String),
    /// The migrations could not be applied.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Any other database error (connection, I/O, SQL).
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_string())
            }
            _ => StoreError::Database(err),
        }
    }
}

impl StoreError {
    /// Whether the operation may succeed when tried again: a PostgreSQL deadlock or
    /// serialization failure, or an SQLite database busy or locked by another connection.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => {
                let code = db.code();
                let code = code.as_deref().unwrap_or("");
                // PostgreSQL codes are five-character SQLSTATEs; SQLite's are (extended) result
                // codes of at most four digits, whose low byte is the primary code.
                matches!(code, "40P01" | "40001")
                    || (code.len() < 5
                        && code.parse::<i64>().is_ok_and(|c| matches!(c & 0xff, 5 | 6)))
            }
            StoreError::Database(sqlx::Error::PoolTimedOut) => true,
            _ => false,
        }
    }
}

/// Maps "no row changed" to [`crate::StoreError::NotFound`].
pub(crate) fn found(rows_affected: u64) -> crate::Result<()> {
    if rows_affected == 0 {
        Err(crate::StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Maps a unique violation to a [`crate::StoreError::Conflict`] naming `what`.
pub(crate) fn conflict(err: sqlx::Error, what: String) -> crate::StoreError {
    match crate::StoreError::from(err) {
        crate::StoreError::Conflict(_) => crate::StoreError::Conflict(what),
        other => other,
    }
}

/// Shorthand for results of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
