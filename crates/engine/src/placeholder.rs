//! Placeholder and environment-reference detection for generic assignment rules.

/// Whether `value` (the secret part of a generic `password = value` match) is an environment
/// reference, a template variable, or an obvious placeholder rather than a credential.
pub(crate) fn is_placeholder(value: &str) -> bool {
    let v = value.trim_matches(|c: char| c == '"' || c == '\'' || c == '`' || c.is_whitespace());
    if v.chars().count() < 6 {
        return true;
    }
    // Template and environment references.
    if v.starts_with("${")
        || v.starts_with("$(")
        || v.starts_with("{{")
        || v.starts_with("%(")
        || v.starts_with("#{")
        || (v.starts_with('$')
            && v[1..]
                .chars()
                .all(|c| c == '_' || c.is_ascii_alphanumeric()))
        || (v.starts_with('%') && v.ends_with('%'))
        || (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with('[') && v.ends_with(']'))
        || v.starts_with("\\$")
        || is_variable_reference(v)
        || (v.starts_with('{') && v.ends_with('}'))
        || v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with("~/")
    {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    const REFERENCES: &[&str] = &[
        "os.environ",
        "getenv",
        "process.env",
        "env[",
        "env.",
        "environ[",
        "environment.",
        "settings.",
        "config.",
        "config[",
        "secrets.",
        "vault:",
        "request.",
        "params[",
        "&lt;",
        "&gt;",
        "://",
    ];
    if REFERENCES.iter().any(|r| lower.contains(r)) {
        return true;
    }
    const PLACEHOLDERS: &[&str] = &[
        "changeme",
        "change_me",
        "change-me",
        "example",
        "placeholder",
        "your_",
        "your-",
        "yourpassword",
        "xxxx",
        "****",
        "....",
        "redacted",
        "dummy",
        "sample",
        "secret_here",
        "password_here",
        "insert",
        "replace",
        "todo",
        "fixme",
        "notreal",
        "not_real",
        "fake",
        "your",
        "password",
        "passwd",
        "###",
        "%s",
        "not-set",
        "notset",
        "unset",
    ];
    if PLACEHOLDERS.iter().any(|p| lower.contains(p)) {
        return true;
    }
    const EXACT: &[&str] = &[
        "password",
        "passwd",
        "secret",
        "token",
        "null",
        "none",
        "undefined",
        "true",
        "false",
        "test",
        "testing",
        "admin",
        "default",
        "empty",
        "string",
        "value",
        "pass123",
        "password1",
        "password123",
        "secret123",
        "123456",
        "12345678",
        "qwerty",
    ];
    if EXACT.contains(&lower.as_str()) {
        return true;
    }
    // A function call or expression rather than a literal.
    if v.ends_with(')') || v.contains("()") {
        return true;
    }
    // One repeated character, or a plain run such as "aaaaaa" or "123456789".
    let first = v.chars().next().unwrap_or(' ');
    if v.chars().all(|c| c == first) {
        return true;
    }
    is_keyboard_dummy(&lower)
}

/// `$name` followed by more text (`$REACT_APP_URL/path`, `$(cmd)`, `${x}`): a shell or template
/// variable, not a literal.
fn is_variable_reference(v: &str) -> bool {
    let mut chars = v.chars();
    chars.next() == Some('$')
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '{' || c == '(')
}

/// Sequential or keyboard runs that mark a hand-typed test value: six letters of the alphabet in
/// order (`abcdef`), six digits in order (`123456`), or a keyboard row (`qwerty`).
fn is_keyboard_dummy(lower: &str) -> bool {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
    const DIGITS: &[u8] = b"01234567890";
    const ROWS: &[&str] = &["qwerty", "asdfgh", "zxcvbn", "987654", "876543", "765432"];
    let b = lower.as_bytes();
    let runs = |seq: &[u8]| seq.windows(6).any(|w| b.windows(6).any(|x| x == w));
    runs(ALPHABET) || runs(DIGITS) || ROWS.iter().any(|r| lower.contains(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_placeholders() {
        for v in [
            "${DB_PASS}",
            "os.environ['DB_PASS']",
            "System.getenv(\"DB_PASS\")",
            "<password>",
            "changeme",
            "xxxxxxxxxx",
            "example-password",
            "$DB_PASSWORD",
            "{{ db_password }}",
            "process.env.DB_PASS",
            "abc",
            "$REACT_APP_MATRIX_BASE_URL/classroom/#/forgot_password",
            "\\$_POST",
            "&lt;YOURPASSWROD&gt;",
            "abcdef1234567890abcdef1234567890",
            "1a2b3c4d-123456-zz",
            "{0}",
            "/usr/local/bin",
            "#add-password",
            "######",
        ] {
            assert!(is_placeholder(v), "{v}");
        }
    }

    #[test]
    fn real_looking_values_pass() {
        for v in [
            "s3cr3tP@ssw0rd!",
            "Xk9#mQ2$vL7pW4",
            "hunter2isnotgood",
            "951bc382db9abad29c68634761dd6e19",
            "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9",
        ] {
            assert!(!is_placeholder(v), "{v}");
        }
    }
}
