//! The REST error type and its one mapping to Bitbucket's error envelope.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keywarden_core::CoreError;
use keywarden_store::StoreError;

/// The `WWW-Authenticate` challenge sent with every 401 for missing or wrong credentials.
pub const BASIC_CHALLENGE: &str = "Basic realm=\"Keywarden\"";

/// Everything a REST handler can fail with. Each variant has one status code and one
/// Bitbucket exception name; [`IntoResponse`] renders
/// `{"errors":[{"context":null,"message":"...","exceptionName":"..."}]}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No credentials: 401 with a Basic challenge.
    #[error("Authentication required.")]
    Unauthenticated,
    /// Wrong user name, password or token: 401 with a Basic challenge.
    #[error("Authentication failed. Please check your credentials and try again.")]
    BadCredentials,
    /// A personal access token past its expiry date: 401 with a Basic challenge.
    #[error("The access token has expired; create a new one.")]
    TokenExpired,
    /// Signed in, but not allowed: 401 (Bitbucket's habit) without a challenge.
    #[error("{0}")]
    Forbidden(String),
    /// 404 for a project key.
    #[error("Project {0} does not exist.")]
    NoSuchProject(String),
    /// 404 for a repository slug in a project.
    #[error("Repository {project}/{slug} does not exist.")]
    NoSuchRepository {
        /// The project key as requested.
        project: String,
        /// The slug as requested.
        slug: String,
    },
    /// 404 for a user name.
    #[error("User {0} does not exist.")]
    NoSuchUser(String),
    /// 404 for anything else.
    #[error("{0}")]
    NotFound(String),
    /// 400: bad input; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// 409: a name or key is taken, or the entity is in a state that forbids the change.
    #[error("{message}")]
    Conflict {
        /// What is in the way.
        message: String,
        /// The Bitbucket exception class.
        exception: &'static str,
    },
    /// 413: the request is larger than allowed.
    #[error("{0}")]
    TooLarge(String),
    /// 429: too many failed logins for the account or from the source address; the number is
    /// the seconds until the next attempt (`Retry-After`).
    #[error("Too many failed login attempts; try again in {0} seconds.")]
    Throttled(u64),
    /// 500: a store failure (details logged, not returned).
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// 500: any other internal failure (details logged, not returned).
    #[error("internal: {0}")]
    Internal(String),
}

impl From<CoreError> for ApiError {
    fn from(err: CoreError) -> Self {
        match err {
            CoreError::Forbidden(e) => ApiError::Forbidden(e),
            CoreError::NoSuchProject(key) => ApiError::NoSuchProject(key),
            CoreError::NoSuchRepository { project, slug } => {
                ApiError::NoSuchRepository { project, slug }
            }
            CoreError::NotFound(message) => ApiError::NotFound(message),
            CoreError::Invalid(message) => ApiError::Invalid(message),
            CoreError::Conflict(message) => ApiError::Conflict {
                message,
                exception: "com.atlassian.bitbucket.IllegalEntityStateException",
            },
            CoreError::Store(e) => ApiError::Store(e),
            CoreError::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl ApiError {
    /// Shorthand for a 400 with a message that names the field.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    /// Shorthand for a signed-in user lacking a permission.
    pub fn forbidden() -> Self {
        Self::Forbidden("You are not permitted to access this resource".into())
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated
            | Self::BadCredentials
            | Self::TokenExpired
            | Self::Forbidden(_) => StatusCode::UNAUTHORIZED,
            Self::NoSuchProject(_)
            | Self::NoSuchRepository { .. }
            | Self::NoSuchUser(_)
            | Self::NotFound(_)
            | Self::Store(StoreError::NotFound) => StatusCode::NOT_FOUND,
            Self::Invalid(_) => StatusCode::BAD_REQUEST,
            Self::Conflict { .. } | Self::Store(StoreError::Conflict(_)) => StatusCode::CONFLICT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Store(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The Bitbucket exception class name.
    pub fn exception_name(&self) -> &'static str {
        match self {
            Self::Unauthenticated | Self::Forbidden(_) => {
                "com.atlassian.bitbucket.AuthorisationException"
            }
            Self::BadCredentials => {
                "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"
            }
            Self::TokenExpired => "com.atlassian.bitbucket.auth.ExpiredAccessTokenException",
            Self::NoSuchProject(_) => "com.atlassian.bitbucket.project.NoSuchProjectException",
            Self::NoSuchRepository { .. } => {
                "com.atlassian.bitbucket.repository.NoSuchRepositoryException"
            }
            Self::NoSuchUser(_) => "com.atlassian.bitbucket.user.NoSuchUserException",
            Self::NotFound(_) | Self::Store(StoreError::NotFound) => {
                "com.atlassian.bitbucket.NoSuchEntityException"
            }
            Self::Invalid(_) => "com.atlassian.bitbucket.validation.ArgumentValidationException",
            Self::Conflict { exception, .. } => exception,
            Self::Store(StoreError::Conflict(_)) => {
                "com.atlassian.bitbucket.DuplicateEntityException"
            }
            Self::TooLarge(_) => "com.atlassian.bitbucket.RequestTooLargeException",
            Self::Throttled(_) => {
                "com.atlassian.bitbucket.auth.CaptchaRequiredAuthenticationException"
            }
            Self::Store(_) | Self::Internal(_) => "com.atlassian.bitbucket.ServiceException",
        }
    }

    /// The message shown to the client (internal details are not).
    fn public_message(&self) -> String {
        match self {
            Self::Store(StoreError::NotFound) => "The requested entity does not exist.".into(),
            Self::Store(StoreError::Conflict(what)) => format!("{what} already exists."),
            Self::Store(_) | Self::Internal(_) => "An internal error occurred.".into(),
            other => other.to_string(),
        }
    }
}

/// The error envelope for one message.
pub fn envelope(message: &str, exception_name: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "errors": [{ "context": null, "message": message, "exceptionName": exception_name }]
    })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let body = envelope(&self.public_message(), Some(self.exception_name()));
        let mut response = (status, axum::Json(body)).into_response();
        if matches!(
            self,
            Self::Unauthenticated | Self::BadCredentials | Self::TokenExpired
        ) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(BASIC_CHALLENGE),
            );
        }
        if let Self::Throttled(seconds) = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<keywarden_core::disk::DiskError> for ApiError {
    fn from(e: keywarden_core::disk::DiskError) -> Self {
        Self::Internal(e.to_string())
    }
}
