//! Authentication: HTTP Basic (password or personal access token as the password) and
//! `Authorization: Bearer <token>`, on every REST and Git request; without an `Authorization`
//! header, the web UI's session cookie ([`crate::session`]).
//!
//! argon2 is slow by design and git sends credentials with every request of a push, so a
//! successful verification is remembered for a few minutes under a keyed SHA-256 of the
//! credentials (never the credentials themselves). The entry also holds the stored hash it was
//! checked against, so a password change or a deleted token invalidates it at once.
//!
//! Password checks are throttled ([`keywarden_core::throttle`]): failures count per account and per
//! source address, and a locked account or source is refused (429) before its password is
//! checked. A name without an account is checked against a dummy hash made with the same
//! parameters, so that a failure costs the same whether the account exists or not.

use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use keywarden_store::User;

use crate::error::ApiError;
use crate::state::AppState;
use keywarden_core::audit::{Audit, action};
use keywarden_core::credentials::{self, token_key_id};
use keywarden_core::scope::Scope;

pub use keywarden_core::access::CurrentUser;

/// As an extractor, [`CurrentUser`] rejects with 401 (and a Basic challenge) when the request
/// has no credentials or wrong ones.
impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let (user, scope) = match parts.headers.get(AUTHORIZATION) {
            Some(header) => {
                let header = header.to_str().map_err(|_| ApiError::BadCredentials)?;
                authenticate(state, header, source_address(&parts.extensions)).await?
            }
            // A browser signed in to the web UI: the session cookie.
            None => (
                session_user(state, &parts.headers)
                    .await?
                    .ok_or(ApiError::Unauthenticated)?,
                Scope::FULL,
            ),
        };
        tracing::debug!(user.id = user.id, user.name = %user.name, "authenticated");
        let current = CurrentUser(user, scope);
        parts.extensions.insert(current.clone());
        Ok(current)
    }
}

/// The user of the request's UI session cookie, if it names a live session.
pub async fn session_user(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<Option<User>, ApiError> {
    let Some(id) = crate::session::cookie(headers, crate::session::COOKIE_NAME) else {
        return Ok(None);
    };
    let Some(session) = crate::session::get(state.store(), id).await? else {
        return Ok(None);
    };
    Ok(state.store().user_by_id(session.user_id).await?)
}

/// The address the request came from (the TCP peer), when the server knows it.
pub fn source_address(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip())
}

/// Checks a user name and password (not a token) as the login form does: the user, or
/// [`ApiError::BadCredentials`], or [`ApiError::Throttled`] while the account or the source is
/// locked out.
pub async fn password_login(
    state: &AppState,
    name: &str,
    password: &str,
    source: Option<IpAddr>,
) -> Result<User, ApiError> {
    let throttle = state.login_throttle();
    if let Some(lockout) = throttle.check(name, source) {
        tracing::debug!(user = %name, source = ?source, "password attempt refused: locked out");
        return Err(ApiError::Throttled(lockout.retry_after_secs()));
    }
    let user = state.store().user_by_name(name).await?;
    let verified = match &user {
        Some(user) => {
            state
                .auth_cache()
                .verify(&user.name, password, &user.password_hash)
                .await
        }
        None => {
            credentials::verify_password(password.to_string(), dummy_hash().await.to_string())
                .await;
            false
        }
    };
    if let Some(user) = user.filter(|_| verified) {
        return Ok(user);
    }
    let Some(lockout) = throttle.failed(name, source) else {
        return Err(ApiError::BadCredentials);
    };
    let seconds = lockout.retry_after_secs();
    tracing::warn!(user = %name, source = ?source, seconds, "too many failed logins: locked out");
    Audit {
        user: Some(name),
        action: action::LOGIN_THROTTLED,
        project: None,
        repository: None,
        details: serde_json::json!({
            "sourceAddress": source.map(|ip| ip.to_string()),
            "lockedOut": if lockout.account { "ACCOUNT" } else { "SOURCE" },
            "retryAfterSeconds": seconds,
        }),
    }
    .record(state)
    .await;
    Err(ApiError::Throttled(seconds))
}

/// An argon2 hash of a random password, made once with the parameters of every stored hash.
async fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return hash;
    }
    let hash = credentials::hash_password(credentials::random_hex(16))
        .await
        .unwrap_or_default();
    DUMMY.get_or_init(|| hash)
}

/// Checks an `Authorization` header value from `source` and returns the user it proves, with
/// what the credentials allow.
pub async fn authenticate(
    state: &AppState,
    header: &str,
    source: Option<IpAddr>,
) -> Result<(User, Scope), ApiError> {
    let (scheme, value) = header.split_once(' ').ok_or(ApiError::BadCredentials)?;
    let value = value.trim();
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value)
            .map_err(|_| ApiError::BadCredentials)?;
        let decoded = String::from_utf8(decoded).map_err(|_| ApiError::BadCredentials)?;
        let (name, secret) = decoded.split_once(':').ok_or(ApiError::BadCredentials)?;
        basic(state, name, secret, source).await
    } else if scheme.eq_ignore_ascii_case("bearer") {
        bearer(state, value).await
    } else {
        Err(ApiError::BadCredentials)
    }
}

async fn basic(
    state: &AppState,
    name: &str,
    secret: &str,
    source: Option<IpAddr>,
) -> Result<(User, Scope), ApiError> {
    if token_key_id(secret).is_some() {
        let (user, scope) = bearer(state, secret).await?;
        return if user.name.eq_ignore_ascii_case(name) {
            Ok((user, scope))
        } else {
            Err(ApiError::BadCredentials)
        };
    }
    Ok((
        password_login(state, name, secret, source).await?,
        Scope::FULL,
    ))
}

/// How often a token's last use is written: a push authenticates many requests.
const TOUCH_EVERY_MS: i64 = 60_000;

async fn bearer(state: &AppState, token: &str) -> Result<(User, Scope), ApiError> {
    let key_id = token_key_id(token).ok_or(ApiError::BadCredentials)?;
    let (stored, hash) = state
        .store()
        .token_by_key(key_id)
        .await?
        .ok_or(ApiError::BadCredentials)?;
    if !state.auth_cache().verify(key_id, token, &hash).await {
        return Err(ApiError::BadCredentials);
    }
    let now = keywarden_store::now_millis();
    if stored.expires_at.is_some_and(|at| at <= now) {
        return Err(ApiError::TokenExpired);
    }
    if stored
        .last_used_at
        .is_none_or(|at| now - at >= TOUCH_EVERY_MS)
    {
        state.store().touch_token(stored.id, now).await?;
    }
    let user = state
        .store()
        .user_by_id(stored.user_id)
        .await?
        .ok_or(ApiError::BadCredentials)?;
    Ok((user, Scope::from_stored(&stored.permissions)))
}
