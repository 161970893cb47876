//! Browser sessions for the web UI: a random token in an `HttpOnly`, `SameSite=Strict` cookie.
//! The store keeps only the token's SHA-256 with the user and the session's CSRF token, so
//! sessions survive a restart and are shared by every server on the same database. A session
//! ends on logout or after [`IDLE`] without use.

use std::time::Duration;

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use keywarden_store::{Store, now_millis};
use sha2::{Digest, Sha256};

use keywarden_core::credentials::random_hex;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "keywarden_session";
/// The cookie holding the login form's CSRF token (double submit, before a session exists).
pub const LOGIN_COOKIE: &str = "keywarden_login";
/// How long an unused session lives.
pub const IDLE: Duration = Duration::from_secs(8 * 3600);
/// A session's last use is written at most this often (page polls do not write every time).
const TOUCH_EVERY_MS: i64 = 60_000;

/// One signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user's id.
    pub user_id: i64,
    /// The token every form of this session must carry.
    pub csrf: String,
}

fn idle_ms() -> i64 {
    i64::try_from(IDLE.as_millis()).unwrap_or(i64::MAX)
}

/// The stored form of a session token.
fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Opens a session for `user_id` (sweeping expired ones); returns the cookie's token.
pub async fn create(store: &dyn Store, user_id: i64) -> keywarden_store::Result<String> {
    store
        .delete_expired_sessions(now_millis() - idle_ms())
        .await?;
    let token = random_hex(32);
    store
        .create_session(&token_hash(&token), user_id, &random_hex(32))
        .await?;
    Ok(token)
}

/// The live session of this token, refreshing its idle timer.
pub async fn get(store: &dyn Store, token: &str) -> keywarden_store::Result<Option<Session>> {
    if token.is_empty() {
        return Ok(None);
    }
    let hash = token_hash(token);
    let now = now_millis();
    let Some(found) = store.session(&hash, now - idle_ms()).await? else {
        return Ok(None);
    };
    if now - found.last_used_at >= TOUCH_EVERY_MS {
        store.touch_session(&hash).await?;
    }
    Ok(Some(Session {
        user_id: found.user_id,
        csrf: found.csrf,
    }))
}

/// Ends the session of this token.
pub async fn remove(store: &dyn Store, token: &str) -> keywarden_store::Result<()> {
    store.delete_session(&token_hash(token)).await
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value for `name=value` with the UI's attributes; `max_age` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, max_age: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// Compares two tokens in time independent of where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && !a.is_empty()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn cookies_are_read_from_every_cookie_header() {
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_static("a=1; keywarden_login=xyz"));
        h.append(COOKIE, HeaderValue::from_static("keywarden_session=abc"));
        assert_eq!(cookie(&h, COOKIE_NAME), Some("abc"));
        assert_eq!(cookie(&h, LOGIN_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn only_a_hash_of_the_token_is_stored() {
        let h = token_hash("abc");
        assert_eq!(h.len(), 64);
        assert_ne!(h, "abc");
        assert_eq!(h, token_hash("abc"));
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
        assert!(!same_token("", ""));
    }

    #[test]
    fn cookie_attributes() {
        let c = set_cookie(COOKIE_NAME, "v", 60, true);
        assert_eq!(
            c,
            "keywarden_session=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure"
        );
    }
}
