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
        || v.starts_with('*')
        || v.starts_with(':')
        || v.starts_with('\\')
        || v.starts_with('&')
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
        "${",
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
        "...",
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
    false
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

/// A hand-typed test value: mostly made of runs such as `abcd`, `1234` or `9876` (at least 60 % of
/// its characters in ascending or descending runs of four or more), one short block repeated
/// (`abcd1234abcd1234...`, `deadbeefdeadbeef`), an alternating `a1b2c3` pattern, or a keyboard
/// row (`qwerty`). Random tokens essentially never look like this.
pub(crate) fn is_keyboard_dummy(lower: &str) -> bool {
    const ROWS: &[&str] = &["qwerty", "asdfgh", "zxcvbn", "a1b2c3", "1a2b3c"];
    if ROWS.iter().any(|r| lower.contains(r)) {
        return true;
    }
    let b: Vec<u8> = lower
        .bytes()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    if b.len() < 8 {
        return false;
    }
    // Characters covered by ascending or descending runs of length >= 4.
    let mut covered = vec![false; b.len()];
    for step in [1i16, -1] {
        let mut start = 0;
        for i in 1..=b.len() {
            let continues = i < b.len() && i16::from(b[i]) - i16::from(b[i - 1]) == step;
            if !continues {
                if i - start >= 4 {
                    covered[start..i].iter_mut().for_each(|c| *c = true);
                }
                start = i;
            }
        }
    }
    if covered.iter().filter(|&&c| c).count() * 10 >= b.len() * 6 {
        return true;
    }
    // A block of at most 8 characters repeated over (nearly) the whole value.
    (1..=8).any(|period| {
        b.len() >= period * 3
            && b.iter()
                .skip(period)
                .zip(b.iter())
                .filter(|(x, y)| x == y)
                .count()
                * 10
                >= (b.len() - period) * 9
    })
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
            "{0}",
            "/usr/local/bin",
            "#add-password",
            "######",
            "*const",
            "\\nWelcome",
            "eyJhbGciOiJSUzI1NiIsImtpZ...",
            "&mut_password_buffer",
        ] {
            assert!(is_placeholder(v), "{v}");
        }
    }

    #[test]
    fn hand_typed_dummies() {
        for v in [
            "abcdef1234567890abcdef1234567890",
            "1a2b3c4d-123456-zz",
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV",
            "abcd1234abcd5678abcd9012abcd3456",
            "deadbeefdeadbeefdeadbeefdeadbeef",
            "qwerty123",
        ] {
            assert!(is_keyboard_dummy(&v.to_ascii_lowercase()), "{v}");
        }
        for v in [
            "951bc382db9abad29c68634761dd6e19",
            "dp50091fm93fl4nod3a4c5lijihbrrtbvg1",
            "Zq8Wm3Xn7Lp2Kr9Tv4Bs6Hd1Gf5Jc0Ya8Ue3Oi7R",
        ] {
            assert!(!is_keyboard_dummy(&v.to_ascii_lowercase()), "{v}");
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
            "dp50091fm93fl4nod3a4c5lijihbrrtbvg1",
            "abc123def456ghi789jkl000",
        ] {
            assert!(!is_placeholder(v), "{v}");
        }
    }
}
