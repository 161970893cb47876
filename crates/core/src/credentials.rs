//! Password and token hashing (argon2, off the async threads) and secret generation.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Prefix of personal access tokens: `kwt_<key id>_<secret>`.
pub const TOKEN_PREFIX: &str = "kwt_";

/// Errors of hashing.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// argon2 failed (never for valid input).
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The blocking task was cancelled.
    #[error("password hashing task failed")]
    Join,
}

/// Hashes a password (or token) to an argon2id PHC string. Blocking: call from a blocking thread.
pub fn hash_password_blocking(secret: &str) -> Result<String, CredentialError> {
    Argon2::default()
        .hash_password(secret.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| CredentialError::Hash(e.to_string()))
}

/// Whether `secret` matches the PHC string. Blocking: call from a blocking thread.
pub fn verify_password_blocking(secret: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// [`hash_password_blocking`] on tokio's blocking pool.
pub async fn hash_password(secret: String) -> Result<String, CredentialError> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&secret))
        .await
        .map_err(|_| CredentialError::Join)?
}

/// [`verify_password_blocking`] on tokio's blocking pool.
pub async fn verify_password(secret: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password_blocking(&secret, &phc))
        .await
        .unwrap_or(false)
}

/// `n` random bytes as lower-case hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new personal access token: `(key_id, full token)`. The key id is stored in clear for
/// lookup; the full token is shown once and stored only as a hash.
pub fn new_token() -> (String, String) {
    let key_id = random_hex(8);
    let token = format!("{TOKEN_PREFIX}{key_id}_{}", random_hex(20));
    (key_id, token)
}

/// Splits a token into its key id, if it has the token shape.
pub fn token_key_id(token: &str) -> Option<&str> {
    let rest = token.strip_prefix(TOKEN_PREFIX)?;
    let (key_id, secret) = rest.split_once('_')?;
    (!key_id.is_empty() && !secret.is_empty()).then_some(key_id)
}

/// A random password for the bootstrap admin (24 characters, letters and digits).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash_password_blocking("s3cret").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password_blocking("s3cret", &h));
        assert!(!verify_password_blocking("wrong", &h));
        assert!(!verify_password_blocking("s3cret", "not a hash"));
    }

    #[test]
    fn minted_tokens_are_found_by_the_catalogue() {
        let rules = keywarden_engine::RuleSet::compile(
            keywarden_engine::builtin_rules()
                .iter()
                .map(keywarden_engine::Rule::from_def)
                .collect(),
        )
        .unwrap();
        for _ in 0..20 {
            let (_, token) = new_token();
            let line = format!("KEYWARDEN_TOKEN={token}");
            let scan = rules.scan(line.as_bytes());
            let f = scan.findings.first().expect("a minted token is found");
            assert_eq!(rules.rule(f.rule).name, "KEYWARDEN_ACCESS_TOKEN");
            assert_eq!(f.match_text(), token);
            assert_eq!(f.confidence, 1.0);
        }
    }

    #[test]
    fn tokens_have_a_key_id() {
        let (key, token) = new_token();
        assert_eq!(token_key_id(&token), Some(key.as_str()));
        assert_eq!(token_key_id("kwt_"), None);
        assert_eq!(token_key_id("password"), None);
        assert_eq!(generate_password().len(), 24);
    }
}
