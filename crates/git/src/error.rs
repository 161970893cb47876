//! Errors of the Git layer.

/// What went wrong reading a repository.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The path is not a Git repository.
    #[error("{path} is not a Git repository (bare or with a work tree): {message}")]
    NotARepository {
        /// The path given.
        path: String,
        /// The underlying reason.
        message: String,
    },
    /// A revision did not resolve to a commit.
    #[error("`{rev}` does not name a branch, tag or commit in this repository")]
    UnknownRevision {
        /// The revision given.
        rev: String,
    },
    /// Reading or decoding an object failed.
    #[error("reading object {id}: {message}")]
    Object {
        /// The object id.
        id: String,
        /// The underlying reason.
        message: String,
    },
    /// Reading was stopped by the caller's cancel flag.
    #[error("cancelled")]
    Cancelled,
    /// Any other repository failure.
    #[error("{0}")]
    Other(String),
}

impl GitError {
    pub(crate) fn object(id: impl std::fmt::Display, e: impl std::fmt::Display) -> Self {
        GitError::Object {
            id: id.to_string(),
            message: e.to_string(),
        }
    }
    pub(crate) fn other(e: impl std::fmt::Display) -> Self {
        GitError::Other(e.to_string())
    }
}
