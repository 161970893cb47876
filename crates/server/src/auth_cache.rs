//! A cache of recent successful password and token verifications, so that a client sending
//! the same credentials on every request pays for argon2 once per few minutes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use keywarden_core::credentials;
use sha2::{Digest, Sha256};

const CACHE_TTL: Duration = Duration::from_secs(300);
const CACHE_MAX: usize = 10_000;

/// Remembers recent successful argon2 verifications.
pub struct AuthCache {
    key: [u8; 32],
    entries: Mutex<HashMap<[u8; 32], (String, Instant)>>,
}

impl Default for AuthCache {
    fn default() -> Self {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the operating system's random source failed");
        Self {
            key,
            entries: Mutex::default(),
        }
    }
}

impl AuthCache {
    fn fingerprint(&self, who: &str, secret: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update(who.as_bytes());
        h.update([0]);
        h.update(secret.as_bytes());
        h.finalize().into()
    }

    fn hit(&self, fp: &[u8; 32], stored_hash: &str) -> bool {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        matches!(entries.get(fp), Some((h, at)) if h == stored_hash && at.elapsed() < CACHE_TTL)
    }

    fn remember(&self, fp: [u8; 32], stored_hash: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CACHE_MAX {
            entries.clear();
        }
        entries.insert(fp, (stored_hash.to_string(), Instant::now()));
    }

    /// Verifies `secret` against `stored_hash`, through the cache.
    pub(crate) async fn verify(&self, who: &str, secret: &str, stored_hash: &str) -> bool {
        let fp = self.fingerprint(who, secret);
        if self.hit(&fp, stored_hash) {
            return true;
        }
        let ok = credentials::verify_password(secret.to_string(), stored_hash.to_string()).await;
        if ok {
            self.remember(fp, stored_hash);
        }
        ok
    }
}
