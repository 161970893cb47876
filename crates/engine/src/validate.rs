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
    /// Base64 text that decodes to a PEM private key (`-----BEGIN ... PRIVATE KEY`), as found in
    /// Kubernetes secrets and CI variables. Only the first 64 characters need to decode.
    Base64PrivateKey,
    /// A password that is not an obvious hand-typed dummy (`abcd1234`, `123456789`, `qwerty`,
    /// one short block repeated) nor a name from code, nor a token of a format that its own rule
    /// checks exactly (a `ghp_` token with a wrong checksum is not a password either): for generic
    /// password rules, whose test fixtures are full of them.
    GenericPassword,
    /// A Discord bot token: its first dot-separated part is the bot's numeric id (17 to 20 digits)
    /// in unpadded base64.
    DiscordBotToken,
    /// An Atlassian Data Center personal access token (Jira, Confluence, Bitbucket Server): 44
    /// base64 characters that decode to a 12-digit id, a colon and random bytes.
    AtlassianPat,
    /// A bech32 string (BIP 173: human-readable part, `1`, data, 6-character checksum) whose
    /// checksum holds, as age's `AGE-SECRET-KEY-1...` identities are written.
    Bech32,
    /// A NATS nkey (seed or public key): unpadded base32 of a prefix, the key and a CRC-16/XMODEM
    /// of both, little-endian, in the last two bytes.
    NkeyCrc16,
    /// A value that looks like a secret rather than a word, identifier, path or URL: it mixes
    /// letters and digits, holds no `://`, is not a single-case `snake_case` / `dotted.name` of
    /// plain words, and is not a well-known public-key encoding. For generic rules.
    GenericSecret,
}

impl Validator {
    /// Whether the check is a checksum of a provider's exact format: a value of that shape whose
    /// checksum fails is still reported, at [`crate::CHECKSUM_FAILED_CONFIDENCE`] (a typo, an
    /// edited or an obfuscated token is still worth a look).
    pub fn is_checksum(self) -> bool {
        matches!(
            self,
            Validator::Crc32Base62 | Validator::Bech32 | Validator::NkeyCrc16
        )
    }

    /// Whether `secret` passes the check.
    pub fn check(self, secret: &str) -> bool {
        match self {
            Validator::Crc32Base62 => crc32_base62_tail(secret),
            Validator::Jwt => jwt_header(secret),
            Validator::Base64PrivateKey => base64_private_key(secret),
            Validator::GenericSecret => generic_secret(secret),
            Validator::DiscordBotToken => discord_bot_token(secret),
            Validator::AtlassianPat => atlassian_pat(secret),
            Validator::Bech32 => bech32_checksum(secret),
            Validator::NkeyCrc16 => nkey_crc16(secret),
            Validator::GenericPassword => {
                !crate::placeholder::is_keyboard_dummy(&secret.to_ascii_lowercase())
                    && !is_code_identifier(secret)
                    && !is_config_word(secret)
                    && !is_language_word(secret)
                    && !in_checked_format(secret)
            }
        }
    }

    /// [`Validator::check`] for a value assigned to `name` (the identifier the match begins in,
    /// up to the value, e.g. `AWS_SECRET_ACCESS_KEY=`). A generic secret assigned to a name that a
    /// provider rule owns is refused: that rule checks the value's exact format, ran first and
    /// rejected it, so the value is a dummy or truncated (`AWS_SECRET_ACCESS_KEY` holding 42 hex
    /// characters rather than 40 base64 ones).
    pub fn check_assigned(self, name: &str, secret: &str) -> bool {
        if self == Validator::GenericSecret && provider_owned_name(name) {
            return false;
        }
        self.check(secret)
    }
}

/// Whether an assignment's name belongs to a provider rule that checks the value exactly:
/// `AWS_SECRET_ACCESS_KEY`, `awsSecretKey` and the like (`AWS_SECRET_ACCESS_KEY`: 40 base64
/// characters), Twitch stream keys (`TWITCH_STREAM_KEY`: `live_`, the user id, 30
/// characters) and age identities (`AGE-SECRET-KEY-1` and bech32 with its checksum).
pub(crate) fn provider_owned_name(name: &str) -> bool {
    let flat: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let after = |a: &str, b: &str| {
        flat.find(a)
            .is_some_and(|i| flat[i + a.len()..].contains(b))
    };
    after("aws", "secret")
        || after("amazon", "secret")
        || after("twitch", "streamkey")
        || flat.starts_with("agesecretkey")
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

fn base64_private_key(text: &str) -> bool {
    // Decode a prefix whose length is a multiple of 4; enough to hold the BEGIN line.
    let head: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '/')
        .take(96)
        .collect();
    let n = head.len() / 4 * 4;
    let engine = base64::engine::general_purpose::STANDARD_NO_PAD;
    let Ok(bytes) = engine.decode(&head[..n]) else {
        return false;
    };
    let text = String::from_utf8_lossy(&bytes);
    text.starts_with("-----BEGIN ") && text.contains("PRIVATE KEY")
}

fn discord_bot_token(token: &str) -> bool {
    let id = token.split('.').next().unwrap_or("");
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let Ok(bytes) = engine.decode(id.trim_end_matches('=')) else {
        return false;
    };
    (17..=20).contains(&bytes.len()) && bytes.iter().all(u8::is_ascii_digit)
}

fn atlassian_pat(token: &str) -> bool {
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(token) else {
        return false;
    };
    bytes.len() == 33 && bytes[..12].iter().all(u8::is_ascii_digit) && bytes[12] == b':'
}

fn bech32_checksum(text: &str) -> bool {
    use bech32::primitives::decode::CheckedHrpstring;
    CheckedHrpstring::new::<bech32::Bech32>(text).is_ok()
}

/// A value in a provider format that a dedicated rule checks exactly (prefix and length,
/// checksum): if it reached a generic rule, that rule rejected it (a fake or truncated token),
/// or reported it first.
fn in_checked_format(v: &str) -> bool {
    CHECKED_PREFIXES.iter().any(|p| v.starts_with(p)) || is_nkey_seed_shaped(v)
}

/// The shape of a NATS nkey seed: `S`, a key type, `A`, 55 more base32 characters.
fn is_nkey_seed_shaped(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 58
        && b[0] == b'S'
        && b"UAONCX".contains(&b[1])
        && b[2] == b'A'
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(c))
}

fn nkey_crc16(text: &str) -> bool {
    const XMODEM: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_XMODEM);
    let Ok(bytes) = data_encoding::BASE32_NOPAD.decode(text.as_bytes()) else {
        return false;
    };
    let Some(split) = bytes.len().checked_sub(2).filter(|&n| n > 0) else {
        return false;
    };
    let (body, sum) = bytes.split_at(split);
    XMODEM.checksum(body) == u16::from_le_bytes([sum[0], sum[1]])
}

/// DER prefixes (base64) of public keys, which generic rules must not report.
const PUBLIC_KEY_PREFIXES: &[&str] = &[
    "MIIBIjAN", "MIICIjAN", "MIIBCgKC", "MFkwEwYH", "MCowBQYD", "MHYwEAYH", "MIGbMBAG", "MIGfMA0G",
];

/// Prefixes of token formats that have their own exact, checked rule in the catalogue.
const CHECKED_PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "npm_",
    "hvs.",
    "hvb.",
    "hvr.",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xapp-",
    "sk-ant-",
    "glpat-",
    "AKIA",
    "ASIA",
    "pypi-",
    "dop_v1_",
    "SG.",
    "AGE-SECRET-KEY-1",
];

/// Marks of a hand-typed placeholder inside an otherwise plausible value: an alternating
/// `a1b2c3` pattern, a keyboard row or the alphabet's first seven letters in order. Random
/// tokens essentially never contain these (seven given letters in any case: about one in 3e10
/// per position of a base62 token).
fn has_dummy_marker(lower: &str) -> bool {
    const MARKS: &[&str] = &[
        "a1b2c3", "1a2b3c", "d4c3b2a1", "qwerty", "asdfgh", "zxcvbn", "abcdefg",
    ];
    MARKS.iter().any(|m| lower.contains(m))
}

fn generic_secret(v: &str) -> bool {
    let has_letter = v.chars().any(|c| c.is_ascii_alphabetic());
    let has_digit = v.chars().any(|c| c.is_ascii_digit());
    if !has_letter || !has_digit || v.contains("://") {
        return false;
    }
    if PUBLIC_KEY_PREFIXES.iter().any(|p| v.starts_with(p)) {
        return false;
    }
    if in_checked_format(v) {
        return false;
    }
    if has_dummy_marker(&v.to_ascii_lowercase()) {
        return false;
    }
    if is_wordy_name(v) || is_attribute_path(v) {
        return false;
    }
    // An identifier or key path of plain words: single case, separators, and every segment
    // either all letters or all digits (`MY_SECRET_NAME_2`, `prod.db.password`, `x-api-key-v2`).
    let single_case =
        !(v.chars().any(|c| c.is_ascii_lowercase()) && v.chars().any(|c| c.is_ascii_uppercase()));
    let segments: Vec<&str> = v.split(['_', '.', '-', '/', ':']).collect();
    if single_case && segments.len() >= 2 && segments.iter().all(|s| is_word_segment(s)) {
        return false;
    }
    true
}

/// A segment of an identifier: all digits, or letters with at most two trailing digits (`v2`).
fn is_word_segment(s: &str) -> bool {
    let letters = s.trim_end_matches(|c: char| c.is_ascii_digit());
    s.chars().all(|c| c.is_ascii_digit())
        || (s.len() - letters.len() <= 2 && letters.chars().all(|c| c.is_ascii_alphabetic()))
}

/// A name from code rather than a literal: a path (`core::PCWSTR`, `a->b`), a constant or type
/// name in capitals (`WIN32_ERROR`, `HRESULT`), or a `snake_case` name without digits
/// (`raw_key_sz`, `Uri_PROPERTY`).
fn is_code_identifier(v: &str) -> bool {
    if v.contains("::") || v.contains("->") || is_attribute_path(v) {
        return true;
    }
    let ident = v.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ident {
        return false;
    }
    let has_lower = v.chars().any(|c| c.is_ascii_lowercase());
    let has_digit = v.chars().any(|c| c.is_ascii_digit());
    !has_lower || (v.contains('_') && !has_digit) || (!has_digit && camel_word_share(v) >= 0.7)
}

/// A configuration word rather than a password: a version number (`1.302138`), words joined by
/// hyphens (`elevated-privileges`, `scram-sha-256`), or an e-mail address.
fn is_config_word(v: &str) -> bool {
    let all = |s: &str, f: fn(&char) -> bool| !s.is_empty() && s.chars().all(|c| f(&c));
    if v.split('.').count() >= 2 && v.split('.').all(|s| all(s, char::is_ascii_digit)) {
        return true;
    }
    let segs: Vec<&str> = v.split('-').collect();
    let words = segs
        .iter()
        .filter(|s| s.len() >= 2 && all(s, char::is_ascii_lowercase))
        .count();
    if segs.len() >= 2
        && words >= 2
        && segs
            .iter()
            .all(|s| all(s, char::is_ascii_lowercase) || all(s, char::is_ascii_digit))
    {
        return true;
    }
    match v.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && domain.contains('.')
                && domain
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                && domain
                    .rsplit('.')
                    .next()
                    .is_some_and(|tld| tld.len() >= 2 && all(tld, char::is_ascii_alphabetic))
        }
        None => false,
    }
}

/// A keyword of a programming language or a YAML tag where a password would be, as in
/// `passwd = unsafe { ... }`, `password = await vault.read()` or Home Assistant's
/// `password: !secret db_password`: code or a reference, not a literal.
fn is_language_word(v: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "async",
        "await",
        "const",
        "default",
        "false",
        "function",
        "lambda",
        "new",
        "nil",
        "none",
        "null",
        "return",
        "self",
        "static",
        "this",
        "true",
        "typeof",
        "undefined",
        "unsafe",
        "yield",
    ];
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(v))
        || v.strip_prefix('!').is_some_and(|tag| {
            tag.len() >= 2 && tag.chars().all(|c| c.is_ascii_alphabetic() || c == '_')
        })
}

/// An attribute access or qualified name (`self.pwd`, `_ffi.NULL`, `win32api.RegEnumKey`,
/// `ed25519.Ed25519PublicKey`): identifiers joined by dots, with few digits, or ending in a type
/// name that names a credential.
fn is_attribute_path(v: &str) -> bool {
    let segs: Vec<&str> = v.split('.').collect();
    let idents = segs.len() >= 2
        && segs.iter().all(|s| {
            s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if !idents {
        return false;
    }
    let digits = v.chars().filter(|c| c.is_ascii_digit()).count();
    let last = segs[segs.len() - 1];
    let type_name = last.starts_with(|c: char| c.is_ascii_uppercase())
        && [
            "Key",
            "Token",
            "Secret",
            "Credential",
            "Credentials",
            "Password",
        ]
        .iter()
        .any(|w| last.ends_with(w));
    digits <= 3 || type_name
}

/// Share of the characters of `v` that belong to CamelCase words (a capital followed by at least
/// two lower-case letters), or 0 when no such word has five letters or more: high for names such
/// as `X509KeyUsageFlags`, low for random tokens.
fn camel_word_share(v: &str) -> f64 {
    let b = v.as_bytes();
    let (mut covered, mut i, mut longest) = (0usize, 0usize, 0usize);
    while i < b.len() {
        if b[i].is_ascii_uppercase() {
            let mut j = i + 1;
            while j < b.len() && b[j].is_ascii_lowercase() {
                j += 1;
            }
            if j - i >= 3 {
                covered += j - i;
                longest = longest.max(j - i);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    if longest < 5 {
        0.0
    } else {
        covered as f64 / b.len() as f64
    }
}

/// A name made of words: `snake_case`/`dotted.name` segments that are mostly plain words
/// (`nl80211_rekey_data`), a single-case `CONSTANT_NAME` with a word in it (`D3DVSD_TOKENTYPE`), or
/// CamelCase words covering most of it (`X509KeyUsageFlags`, `SQLITE_Fts3Tokenizer`).
fn is_wordy_name(v: &str) -> bool {
    let ident = v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'));
    if !ident {
        return false;
    }
    let segs: Vec<&str> = v
        .split(['_', '.', '-', '/'])
        .filter(|s| !s.is_empty())
        .collect();
    let is_word = |s: &&str| {
        s.len() >= 3
            && (s.chars().all(|c| c.is_ascii_lowercase())
                || (s.starts_with(|c: char| c.is_ascii_uppercase())
                    && s[1..].chars().all(|c| c.is_ascii_lowercase())))
    };
    let words = segs.iter().filter(|s| is_word(s)).count();
    if segs.len() >= 2 && words >= 2 && words * 2 >= segs.len() {
        return true;
    }
    let single_case =
        !(v.chars().any(|c| c.is_ascii_lowercase()) && v.chars().any(|c| c.is_ascii_uppercase()));
    if single_case
        && v.contains('_')
        && segs
            .iter()
            .any(|s| s.len() >= 4 && s.chars().all(|c| c.is_ascii_alphabetic()))
    {
        return true;
    }
    let digits = v.chars().filter(|c| c.is_ascii_digit()).count();
    digits <= 3 && camel_word_share(v) >= 0.6
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
    fn base64_pem_private_keys_decode() {
        // base64("-----BEGIN RSA PRIVATE KEY-----\n...")
        assert!(
            Validator::Base64PrivateKey
                .check("LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb2dJQkFBS0NBUUVB")
        );
        // base64("-----BEGIN CERTIFICATE-----\n...")
        assert!(
            !Validator::Base64PrivateKey
                .check("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJ3RENDQVdlZ0F3SUJBZ0lS")
        );
        assert!(!Validator::Base64PrivateKey.check("LS0tLS1CRUdJTi"));
    }

    #[test]
    fn provider_owned_names_are_left_to_their_rules() {
        let v = "ded7db27a4558e2ea9bbf0bf36ae0e8521618f366c";
        for owned in [
            "AWS_SECRET_ACCESS_KEY=",
            "awsSecretKey: \"",
            "TWITCH_STREAM_KEY = \"",
        ] {
            assert!(
                !Validator::GenericSecret.check_assigned(owned, v),
                "{owned}"
            );
        }
        for free in ["CLIENT_SECRET=", "secret_of_aws=", "STREAM_KEY="] {
            assert!(Validator::GenericSecret.check_assigned(free, v), "{free}");
        }
        // Only the generic secret validator looks at the name.
        assert!(Validator::Jwt.check_assigned(
            "AWS_SECRET=",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
        ));
    }

    #[test]
    fn generic_secret_shape() {
        for ok in [
            "951bc382db9abad29c68634761dd6e19",
            "Zq8Wm3Xn7Lp2Kr9Tv4Bs6Hd1Gf5Jc0Ya8Ue3Oi7R",
            "123e4567-e89b-12d3-a456-426614174000",
            "QA6TTJ7CS4QT32R3ASQA8F7T5N8T676H2D0CUEHCQRI5MGU7",
        ] {
            assert!(Validator::GenericSecret.check(ok), "{ok}");
        }
        for bad in [
            "MY_SECRET_NAME_2",
            "prod.db.password",
            "x-api-key-v2",
            "https://oauth2.googleapis.com/token1",
            "getAuthenticationToken",
            "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE4f1x",
            "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8NRAL",
            "hvs.JGbZZaCkOSgsZ56uhGlTK2zyC1j2mwhy0VLp4",
            "X509KeyUsageFlags",
            "SQLITE_Fts3Tokenizer",
            "nl80211_rekey_data",
            "D3DVSD_TOKENTYPE",
            "fts5CreateTokenizer",
            "ed25519.Ed25519PublicKey",
            "win32api.RegEnumKey",
            "man2/s390_pci_mmio_read.2",
            "abcdefghijklmnopqrstuvwxyz123456",
            "xyz9ABCDEFGHIJ1234567890klmn",
        ] {
            assert!(!Validator::GenericSecret.check(bad), "{bad}");
        }
        for ok in [
            "Cww4yGAobwURvlWS",
            "bAqhcVzrhy5cRHkOlNTc0Ve6w5NUDCpcutm8vGE9myi",
        ] {
            assert!(Validator::GenericSecret.check(ok), "{ok}");
        }
    }

    #[test]
    fn bech32_and_nkey_checksums() {
        // The age specification's test identity, and the same with its last character changed.
        let age = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
        assert!(Validator::Bech32.check(age));
        assert!(!Validator::Bech32.check(&age.replace("GAEX", "GAEQ")));
        assert!(!Validator::Bech32.check("AGE-SECRET-KEY-1"));
        // The seed of NATS's documentation, and one character changed.
        let seed = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY";
        assert!(Validator::NkeyCrc16.check(seed));
        assert!(!Validator::NkeyCrc16.check(&seed.replace("SSL3", "SSL4")));
        assert!(!Validator::NkeyCrc16.check("SUA"));
        assert!(!Validator::NkeyCrc16.check("SU"));
    }

    #[test]
    fn discord_and_atlassian_token_structure() {
        // base64("123456789012345678") . timestamp . hmac
        assert!(
            Validator::DiscordBotToken
                .check("MTIzNDU2Nzg5MDEyMzQ1Njc4.GaB3cD.abcdefghijklmnopqrstuvwxyz0123456")
        );
        assert!(!Validator::DiscordBotToken.check("TWFueSBoYW5kcyBtYWtl.GaB3cD.abc"));
        // base64("926607655526:" + 20 bytes)
        assert!(Validator::AtlassianPat.check("OTI2NjA3NjU1NTI2Oh2DOnASdOHoIhEGyqIuYrdkYaQZ"));
        assert!(!Validator::AtlassianPat.check("MDAwMToPTwEV1TLGOh2DOnASdOHoIhEGyqIuYrdkYaQZ"));
    }

    #[test]
    fn generic_password_rejects_dummies() {
        assert!(Validator::GenericPassword.check("s3cr3tP@ssw0rd!"));
        assert!(Validator::GenericPassword.check("whiteduke"));
        assert!(Validator::GenericPassword.check("!Dd5G4s9"));
        for code in [
            "windows_sys::core::PCWSTR",
            "WIN32_ERROR",
            "HRESULT",
            "raw_key_sz",
            "Uri_PROPERTY",
            "WSManSessionFlags",
            "InputScope",
            "self.pwd",
            "_ffi.NULL",
            "1.302138",
            "elevated-privileges",
            "scram-sha-256",
            "anonymous@domain.org",
            "unsafe",
            "await",
            "!secret",
            "!vault",
        ] {
            assert!(!Validator::GenericPassword.check(code), "{code}");
        }
        assert!(!Validator::GenericPassword.check("abcd1234abcd1234"));
        assert!(!Validator::GenericPassword.check("Qwerty123!"));
    }

    #[test]
    fn every_rule_file_parses_and_is_not_empty() {
        // Validator names are checked by deserialisation; an unknown one fails here.
        for (name, text) in crate::catalogue::rule_files() {
            let rules =
                crate::catalogue::parse_rule_file(name, text).unwrap_or_else(|e| panic!("{e}"));
            assert!(!rules.is_empty(), "{name} holds no rules");
        }
    }

    #[test]
    fn entropy_orders_strings() {
        assert_eq!(shannon_entropy("aaaaaaaa"), 0.0);
        assert!(shannon_entropy("aB3dE5fG7hJ9kL1m") > 3.5);
    }
}
