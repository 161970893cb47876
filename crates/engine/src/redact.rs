//! Redaction of secrets for messages and logs.

/// How many leading characters of a secret stay visible.
const VISIBLE: usize = 4;

/// The secret with only its first 4 characters shown and every other character as `*`.
pub fn redact_secret(secret: &str) -> String {
    secret
        .chars()
        .enumerate()
        .map(|(i, c)| if i < VISIBLE { c } else { '*' })
        .collect()
}

/// The line with every span (`start..end` in Unicode scalar values, end exclusive) redacted:
/// overlapping or touching spans are joined, and of each joined span only the first 4
/// characters stay visible.
pub fn redact_spans(line: &str, spans: &[(u32, u32)]) -> String {
    let mut spans: Vec<(usize, usize)> = spans
        .iter()
        .filter(|(s, e)| s < e)
        .map(|&(s, e)| (s as usize, e as usize))
        .collect();
    spans.sort_unstable();
    let mut joined: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match joined.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => joined.push((s, e)),
        }
    }
    let mut next = joined.iter().peekable();
    line.chars()
        .enumerate()
        .map(|(i, c)| {
            while next.peek().is_some_and(|&&(_, e)| e <= i) {
                next.next();
            }
            match next.peek() {
                Some(&&(s, e)) if i >= s + VISIBLE && i < e => '*',
                _ => c,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_four_characters() {
        assert_eq!(
            redact_secret("AKIAIOSFODNN7EXAMPLE"),
            "AKIA****************"
        );
        assert_eq!(redact_secret("abc"), "abc");
        assert_eq!(
            redact_spans("k=AKIAXYZW12 # x", &[(2, 12)]),
            "k=AKIA****** # x"
        );
    }

    #[test]
    fn every_span_is_masked_and_overlaps_are_joined() {
        assert_eq!(
            redact_spans("a=SECRET1 b=SECRET2", &[(2, 9), (12, 19)]),
            "a=SECR*** b=SECR***"
        );
        assert_eq!(
            redact_spans("xx0123456789", &[(2, 8), (5, 12)]),
            "xx0123******"
        );
        assert_eq!(redact_spans("abc", &[]), "abc");
    }
}
