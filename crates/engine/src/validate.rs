//! Checksums and entropy: precision by construction.

use base64::Engine as _;
use serde::Deserialize;

/// A checksum or structure a secret must satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Validator {
    /// The token ends in 6 base62 characters holding the CRC32 of the 30 characters before them
    /// (the format of GitHub's `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` and npm's `npm_` tokens). The
    /// secret group must be the part after the prefix and its underscore.
    Crc32Base62,
    /// A JSON Web Token: three dot-separated base64url parts whose first decodes to a JSON object
    /// with an `alg` field.
    Jwt,
}

impl Validator {
    /// Whether `secret` passes the check.
    pub fn check(self, secret: &str) -> bool {
        match self {
            Validator::Crc32Base62 => crc32_base62_tail(secret),
            Validator::Jwt => jwt_header(secret),
        }
    }
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Encodes `n` in base62, left-padded with `0` to `width` characters.
pub(crate) fn base62(mut n: u64, width: usize) -> String {
    let mut out = Vec::new();
    while n > 0 {
        out.push(BASE62[(n % 62) as usize]);
        n /= 62;
    }
    while out.len() < width {
        out.push(b'0');
    }
    out.reverse();
    String::from_utf8(out).expect("base62 is ASCII")
}

fn crc32_base62_tail(body: &str) -> bool {
    if body.len() < 7 || !body.is_ascii() {
        return false;
    }
    let (random, check) = body.split_at(body.len() - 6);
    base62(u64::from(crc32fast::hash(random.as_bytes())), 6) == check
}

fn jwt_header(token: &str) -> bool {
    let mut parts = token.split('.');
    let Some(header) = parts.next() else {
        return false;
    };
    if parts.next().is_none() {
        return false;
    }
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let Ok(bytes) = engine.decode(header.trim_end_matches('=')) else {
        return false;
    };
    let text = String::from_utf8_lossy(&bytes);
    let t = text.trim_start();
    t.starts_with('{') && t.contains("\"alg\"")
}

/// Shannon entropy of `s` in bits per character.
pub fn shannon_entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    let mut n = 0u32;
    for b in s.bytes() {
        counts[b as usize] += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = f64::from(n);
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Test helper: a token body of 30 characters followed by its valid checksum.
#[cfg(test)]
pub(crate) fn with_crc32_base62(random30: &str) -> String {
    format!(
        "{random30}{}",
        base62(u64::from(crc32fast::hash(random30.as_bytes())), 6)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_checksum_round_trip() {
        let body = with_crc32_base62("aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1");
        assert!(Validator::Crc32Base62.check(&body));
        let mut bad = body.clone().into_bytes();
        bad[0] = b'Z';
        assert!(!Validator::Crc32Base62.check(std::str::from_utf8(&bad).unwrap()));
    }

    #[test]
    fn jwt_needs_a_json_header() {
        // {"alg":"HS256","typ":"JWT"} . {"sub":"1"} . sig
        assert!(
            Validator::Jwt
                .check("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl")
        );
        assert!(!Validator::Jwt.check("eyJub3QiOiJhIGp3dCJ9.eyJzdWIiOiIxIn0.c2ln"));
        assert!(!Validator::Jwt.check("abc.def.ghi"));
    }

    #[test]
    fn entropy_orders_strings() {
        assert_eq!(shannon_entropy("aaaaaaaa"), 0.0);
        assert!(shannon_entropy("aB3dE5fG7hJ9kL1m") > 3.5);
    }
}
