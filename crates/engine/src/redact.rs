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

/// The line with the characters `start..end` (Unicode scalar values) redacted.
pub fn redact_in_line(line: &str, start: u32, end: u32) -> String {
    let (start, end) = (start as usize, end as usize);
    line.chars()
        .enumerate()
        .map(|(i, c)| {
            if i >= start + VISIBLE && i < end {
                '*'
            } else {
                c
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
            redact_in_line("k=AKIAXYZW12 # x", 2, 12),
            "k=AKIA****** # x"
        );
    }
}
