//! Inline allowlist pragmas.

use memchr::memmem;

/// True when the line carries `pragma: allowlist-secret` or `pragma: allowlist secret`, or
/// Gitleaks' `gitleaks:allow`, in any comment syntax (the pragma text itself is what counts; the
/// comment marker is free).
pub fn is_allowlisted_line(line: &str) -> bool {
    let bytes = line.as_bytes();
    if memmem::find(bytes, b"gitleaks:allow").is_some() {
        return true;
    }
    let finder = memmem::Finder::new(b"pragma: allowlist");
    let mut pos = 0;
    while let Some(i) = finder.find(&bytes[pos..]) {
        let rest = &bytes[pos + i + b"pragma: allowlist".len()..];
        if rest.starts_with(b"-secret") || rest.starts_with(b" secret") {
            return true;
        }
        pos += i + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_in_any_comment_syntax() {
        for line in [
            "key = 'x' # pragma: allowlist-secret",
            "key = 'x' // pragma: allowlist secret",
            "key = 'x' /* pragma: allowlist-secret */",
            "key = 'x' ' pragma: allowlist-secret",
            "<k>x</k> <!-- pragma: allowlist secret -->",
            "select 1 -- # pragma: allowlist-secret not actually a secret",
            "key = 'x' # gitleaks:allow",
            "key = 'x' //gitleaks:allow",
        ] {
            assert!(is_allowlisted_line(line), "{line}");
        }
    }

    #[test]
    fn near_misses_are_not_pragmas() {
        for line in [
            "key = 'x' # pragma: allowlist",
            "key = 'x' # pragma: allowlistsecret",
            "key = 'x' # pragma allowlist-secret",
            "key = 'x' # gitleaks: allow",
            "key = 'x' # gitleaks",
            "key = 'x'",
        ] {
            assert!(!is_allowlisted_line(line), "{line}");
        }
    }
}
