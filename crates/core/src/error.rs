//! The domain's error type; the server maps it to its HTTP errors in one place.

use keywarden_store::StoreError;

/// What a domain operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Any other internal failure (git, the disk, compiling rules); the text says what.
    #[error("internal: {0}")]
    Internal(String),
}

/// Shorthand for results of domain operations.
pub type CoreResult<T, E = CoreError> = std::result::Result<T, E>;
