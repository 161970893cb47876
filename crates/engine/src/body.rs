//! Widening a constant header match (`-----BEGIN RSA PRIVATE KEY-----`) over the secret's body,
//! on the same line or on the lines that follow, so that the match identifies the secret.

/// How the body of a secret whose match is a constant header is found, so that the reported
/// match covers the body and identifies the secret (reviewing one key never hides another).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Body {
    /// PEM or SSH2 armour: the base64 lines up to and including the `-----END ...-----` line,
    /// or the rest of the same line when the key is written on one line (`\n` escapes).
    Pem,
    /// A PuTTY key file: the lines up to and including its `Private-MAC:` line.
    Putty,
}

/// At most this many following lines are read for one body (a 16 kbit RSA key has ~190).
pub(crate) const MAX_BODY_LINES: usize = 400;
/// At most this many bytes of following lines are read for one body.
const MAX_BODY_BYTES: usize = 64 * 1024;
/// An in-line body must have at least this many base64 characters.
const MIN_INLINE_BODY: usize = 16;

/// The lines after the one being matched, for secrets that span lines.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Following<'a> {
    /// The rest of the blob after the line's `\n`.
    Blob(&'a [u8]),
    /// The next given lines with their numbers; only those numbered consecutively from the
    /// current line follow it.
    Lines(u32, &'a [(u32, &'a [u8])]),
}

impl<'a> Following<'a> {
    fn lines(self) -> Box<dyn Iterator<Item = &'a [u8]> + 'a> {
        match self {
            Following::Blob(rest) => Box::new(rest.split(|&b| b == b'\n')),
            Following::Lines(current, lines) => Box::new(
                lines
                    .iter()
                    .zip(current + 1..)
                    .take_while(|((n, _), want)| n == want)
                    .map(|((_, l), _)| *l),
            ),
        }
    }
}

/// The text a finding reports and the end (byte offset in that text) of its match, when the
/// header match `line[..header_end]` has a body: `line` joined with the body's lines by `\n`
/// when the body is on following lines. `None` when no body is found (the header alone).
pub(crate) fn widen(
    kind: Body,
    line: &str,
    header_end: usize,
    following: Following<'_>,
) -> Option<(String, usize)> {
    if kind == Body::Pem {
        let rest = &line[header_end..];
        if let Some(end) = pem_end(rest) {
            return Some((line.to_string(), header_end + end));
        }
        let body = inline_body(rest);
        if body > 0 {
            return Some((line.to_string(), header_end + body));
        }
    }
    let mut text = line.to_string();
    let mut last_body = None;
    let mut bytes = 0;
    for next in following.lines().take(MAX_BODY_LINES) {
        bytes += next.len() + 1;
        if bytes > MAX_BODY_BYTES {
            break;
        }
        let next = String::from_utf8_lossy(next.strip_suffix(b"\r").unwrap_or(next));
        text.push('\n');
        let at = text.len();
        text.push_str(&next);
        match kind {
            Body::Pem => {
                if let Some(end) = pem_end(&next) {
                    return Some((text, at + end));
                }
            }
            Body::Putty => {
                let t = next.trim_start();
                if t.starts_with("Private-MAC:") || t.starts_with("Private-Hash:") {
                    return Some((text.trim_end().to_string(), text.trim_end().len()));
                }
            }
        }
        let core = strip_quoting(&next);
        if is_base64(core) && !core.is_empty() {
            last_body = Some(text.len());
        } else if !(core.is_empty() || core.contains(':')) {
            break;
        }
    }
    // No end line: the body is the base64 lines read.
    last_body.map(|end| {
        text.truncate(end);
        (text, end)
    })
}

/// Whether the private key `text` (its armour from the header, with its body) is encrypted: a
/// `Proc-Type: 4,ENCRYPTED` field, an `ENCRYPTED` header, or an OpenSSH key whose cipher is not
/// `none` (the base64 of `openssh-key-v1\0` and the cipher's name begin its body).
pub(crate) fn is_encrypted_key(text: &str) -> bool {
    /// `openssh-key-v1\0` and the first bytes of the cipher name's length.
    const OPENSSH: &str = "b3BlbnNzaC1rZXktdjEAAAAA";
    /// `...\0\0\0\x04none`: the cipher name `none`, in the same base64 alignment.
    const OPENSSH_NONE: &str = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmU";
    let header = text.split('\n').next().unwrap_or("");
    if header.contains("ENCRYPTED") || text.contains("Proc-Type: 4,ENCRYPTED") {
        return true;
    }
    match text.find(OPENSSH) {
        Some(at) => !text[at..].starts_with(OPENSSH_NONE),
        None => false,
    }
}

/// Whether a line may be part of a secret over several lines: an armour line (`BEGIN`, `END`,
/// PuTTY's fields) or a line of base64.
pub(crate) fn may_be_body(line: &[u8]) -> bool {
    let line = String::from_utf8_lossy(line);
    let core = strip_quoting(&line);
    (core.len() >= MIN_INLINE_BODY && is_base64(core))
        || line.contains("PRIVATE KEY")
        || line.contains("-----END ")
        || line.contains("---- END ")
        || line.contains("Private-Lines:")
        || line.contains("Private-MAC:")
        || line.contains("PuTTY-User-Key-File-")
}

/// End (byte offset in `text`) of an END armour line's closing dashes, if `text` has one.
fn pem_end(text: &str) -> Option<usize> {
    let at = text.find("-----END ").or_else(|| text.find("---- END "))?;
    let after = at + 9;
    let dashes = text[after..].find("----")? + after;
    let run = text[dashes..].bytes().take_while(|&b| b == b'-').count();
    Some(dashes + run)
}

/// Length in bytes of a one-line body at the start of `rest`: base64, spaces and `\n` / `\r`
/// escapes, trailing spaces and escapes left out; 0 when it has too few base64 characters.
fn inline_body(rest: &str) -> usize {
    let b = rest.as_bytes();
    let (mut i, mut end, mut count) = (0, 0, 0);
    while i < b.len() {
        match b[i] {
            c if c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=') => {
                count += 1;
                i += 1;
                end = i;
            }
            b'\\' if matches!(b.get(i + 1), Some(b'n' | b'r')) => i += 2,
            b' ' | b'\t' => i += 1,
            _ => break,
        }
    }
    if count >= MIN_INLINE_BODY { end } else { 0 }
}

/// A line without the quoting of a key written in source code: spaces, quotes, `\n` escapes,
/// and a trailing `,` `+` `;` or `\`.
fn strip_quoting(line: &str) -> &str {
    let mut s = line.trim();
    loop {
        let before = s.len();
        s = s.trim_matches(|c: char| matches!(c, '"' | '\'' | '`' | ',' | '+' | ';' | ' ' | '\t'));
        s = s.strip_suffix("\\n").unwrap_or(s);
        s = s.strip_suffix("\\r").unwrap_or(s);
        s = s.strip_suffix('\\').unwrap_or(s);
        if s.len() == before {
            return s;
        }
    }
}

fn is_base64(s: &str) -> bool {
    s.bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pem_body_on_following_lines_ends_with_its_end_line() {
        let rest = b"MIIEowIBAAKCAQEAq1\nZm9vYmFy\n-----END RSA PRIVATE KEY-----\nnext";
        let line = "-----BEGIN RSA PRIVATE KEY-----";
        let (text, end) = widen(Body::Pem, line, line.len(), Following::Blob(rest)).unwrap();
        assert_eq!(
            &text[..end],
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAq1\nZm9vYmFy\n-----END RSA PRIVATE KEY-----"
        );
    }

    #[test]
    fn a_one_line_key_and_a_header_alone() {
        let line = r#"k = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAq1xyz\n-----END RSA PRIVATE KEY-----\n""#;
        let h = line.find("KEY-----").unwrap() + 8;
        let (text, end) = widen(Body::Pem, line, h, Following::Blob(b"")).unwrap();
        assert!(text[..end].ends_with("-----END RSA PRIVATE KEY-----"));
        let line = r#"k = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAq1xyz..."#;
        let (text, end) = widen(Body::Pem, line, h, Following::Blob(b"")).unwrap();
        assert!(text[..end].ends_with("q1xyz"), "{}", &text[..end]);
        let line = "-----BEGIN RSA PRIVATE KEY-----";
        assert_eq!(
            widen(Body::Pem, line, line.len(), Following::Blob(b"")),
            None
        );
        let lines = [(3, &b"not a body line!"[..])];
        assert_eq!(
            widen(Body::Pem, line, line.len(), Following::Lines(2, &lines)),
            None
        );
    }

    #[test]
    fn encrypted_keys_are_told_from_plain_ones() {
        assert!(is_encrypted_key(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nMIIE"
        ));
        assert!(is_encrypted_key(
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIE6TAbBgkqhkiG9w0BBQMw"
        ));
        assert!(is_encrypted_key(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0"
        ));
        assert!(!is_encrypted_key(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB"
        ));
        assert!(!is_encrypted_key(
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAq1\n-----END RSA PRIVATE KEY-----"
        ));
    }

    #[test]
    fn a_putty_body_ends_with_its_mac_line() {
        let rest = b"Encryption: none\nComment: k\nPublic-Lines: 1\nAAAAC3NzaC1lZDI1\nPrivate-Lines: 1\nAAAAIGZha2Uga2V5\nPrivate-MAC: 0a1b2c\nnext";
        let line = "PuTTY-User-Key-File-3: ssh-ed25519";
        let (text, end) = widen(Body::Putty, line, line.len(), Following::Blob(rest)).unwrap();
        assert!(text[..end].ends_with("Private-MAC: 0a1b2c"), "{text}");
        assert!(text[..end].contains("AAAAIGZha2Uga2V5"));
    }
}
