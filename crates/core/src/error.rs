//! The domain's error type; the server maps it to its HTTP errors in one place.

use keywarden_store::StoreError;

/// What a domain operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Signed in, but not allowed; the text says what is missing.
    #[error("{0}")]
    Forbidden(String),
    /// No project with this key.
    #[error("Project {0} does not exist.")]
    NoSuchProject(String),
    /// No repository with this slug in the project.
    #[error("Repository {project}/{slug} does not exist.")]
    NoSuchRepository {
        /// The project key as requested.
        project: String,
        /// The slug as requested.
        slug: String,
    },
    /// Nothing of that name (a branch, a rule, a scan); the text says what.
    #[error("{0}")]
    NotFound(String),
    /// Bad input; the text names the field.
    #[error("{0}")]
    Invalid(String),
    /// The entity is in a state that forbids the change; the text says which.
    #[error("{0}")]
    Conflict(String),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Any other internal failure (git, the disk, compiling rules); the text says what.
    #[error("internal: {0}")]
    Internal(String),
}

impl CoreError {
    /// A signed-in user lacking a permission.
    pub fn forbidden() -> Self {
        Self::Forbidden("You are not permitted to access this resource".into())
    }
}

/// Shorthand for results of domain operations.
pub type CoreResult<T, E = CoreError> = std::result::Result<T, E>;
