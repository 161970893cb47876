//! Browser sessions for the web UI: an opaque random id in an `HttpOnly`, `SameSite=Strict`
//! cookie, mapped in memory to the user and the session's CSRF token. Sessions end on logout,
//! after [`IDLE`] without use, or when the server restarts (the user logs in again).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

use crate::credentials::random_hex;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "keywarden_session";
/// The cookie holding the login form's CSRF token (double submit, before a session exists).
pub const LOGIN_COOKIE: &str = "keywarden_login";
/// How long an unused session lives.
pub const IDLE: Duration = Duration::from_secs(8 * 3600);
const MAX_SESSIONS: usize = 50_000;

/// One signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user's id.
    pub user_id: i64,
    /// The token every form of this session must carry.
    pub csrf: String,
    last_used: Instant,
}

/// All live sessions.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Opens a session for `user_id`; returns its id.
    pub fn create(&self, user_id: i64) -> String {
        let id = random_hex(32);
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, s| s.last_used.elapsed() < IDLE);
        }
        map.insert(
            id.clone(),
            Session {
                user_id,
                csrf: random_hex(32),
                last_used: Instant::now(),
            },
        );
        id
    }

    /// The live session with this id (refreshing its idle timer).
    pub fn get(&self, id: &str) -> Option<Session> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(id) {
            Some(s) if s.last_used.elapsed() < IDLE => {
                s.last_used = Instant::now();
                Some(s.clone())
            }
            Some(_) => {
                map.remove(id);
                None
            }
            None => None,
        }
    }

    /// Ends a session.
    pub fn remove(&self, id: &str) {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }
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
    fn sessions_live_until_removed() {
        let s = Sessions::default();
        let id = s.create(7);
        assert_eq!(id.len(), 64);
        let session = s.get(&id).unwrap();
        assert_eq!(session.user_id, 7);
        assert_ne!(session.csrf, id);
        assert!(s.get("not-a-session").is_none());
        s.remove(&id);
        assert!(s.get(&id).is_none());
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
