//! What the pages show beyond the API's own shapes (which the pages render as they are):
//! status bars, statuses in words, and findings cut around their match.

use keywarden_core::findings::Finding;
use keywarden_core::status::RepositoryCounts;

/// One segment of a status bar.
pub struct Segment {
    /// The status it counts.
    pub status: &'static str,
    /// How many.
    pub count: i64,
    /// Width in percent.
    pub percent: String,
}

/// A project's repositories by status, as a bar.
pub trait StatusBar {
    /// The non-empty segments of the status bar, in a fixed order.
    fn segments(&self) -> Vec<Segment>;

    /// The bar in words ("2 secure, 1 vulnerable").
    fn words(&self) -> String {
        let parts: Vec<String> = self
            .segments()
            .iter()
            .map(|s| format!("{} {}", s.count, label(s.status).to_lowercase()))
            .collect();
        if parts.is_empty() {
            "no repositories".into()
        } else {
            parts.join(", ")
        }
    }
}

impl StatusBar for RepositoryCounts {
    fn segments(&self) -> Vec<Segment> {
        [
            ("SECURE", self.secure),
            ("VULNERABLE", self.vulnerable),
            ("OUTDATED", self.outdated),
            ("PARTIALLY_SCANNED", self.partially_scanned),
            ("NOT_SCANNED", self.not_scanned),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0 && self.total > 0)
        .map(|(status, count)| Segment {
            status,
            count,
            percent: format!("{:.2}", 100.0 * count as f64 / self.total as f64),
        })
        .collect()
    }
}

/// A status in words: `PARTIALLY_SCANNED` is "Partially scanned".
pub fn label(status: &str) -> String {
    let lower = status.replace('_', " ").to_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A finding cut in three for display: before, match, after.
pub struct Shown {
    /// The line before the match.
    pub before: String,
    /// The match, redacted unless revealed.
    pub matched: String,
    /// The line after the match.
    pub after: String,
    /// Whether the match is shown in clear.
    pub revealed: bool,
}

/// The line of `f` cut around the match (its first line, for a secret over several lines);
/// unless `reveal`, the match and every candidate secret of `rules` on the line are redacted.
pub fn shown(f: &Finding, reveal: bool, rules: &keywarden_engine::RuleSet) -> Shown {
    let m = f.match_text();
    let first = |s: &str| s.split('\n').next().unwrap_or("").to_string();
    if f.truncated {
        return Shown {
            before: String::new(),
            matched: if reveal {
                first(&m)
            } else {
                redact(&first(&m))
            },
            after: " …".to_string(),
            revealed: reveal,
        };
    }
    let line = first(&f.text);
    let chars: Vec<char> = line.chars().collect();
    let start = usize::try_from(f.line_offset_start)
        .unwrap_or(0)
        .min(chars.len());
    let end = usize::try_from(f.line_offset_end)
        .unwrap_or(0)
        .clamp(start, chars.len());
    let shown: Vec<char> = if reveal {
        chars
    } else {
        let mut spans = rules.secret_spans(&line);
        spans.push((start as u32, end as u32));
        keywarden_engine::redact_spans(&line, &spans)
            .chars()
            .collect()
    };
    Shown {
        before: shown[..start].iter().collect(),
        matched: shown[start..end].iter().collect(),
        after: shown[end..].iter().collect::<String>()
            + if f.text.contains('\n') { " …" } else { "" },
        revealed: reveal,
    }
}

/// Keeps the first four characters of a secret and stars the rest.
pub fn redact(s: &str) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| if i < 4 { c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_redaction() {
        assert_eq!(label("PARTIALLY_SCANNED"), "Partially scanned");
        assert_eq!(redact("AKIAXYZ"), "AKIA***");
        assert_eq!(redact("ab"), "ab");
    }

    #[test]
    fn findings_are_cut_around_the_match() {
        let f = Finding {
            allowlisted: false,
            blocking: true,
            commit_id: None,
            confidence: 1.0,
            line: 1,
            line_offset_end: 13,
            line_offset_start: 6,
            path: "a".into(),
            reviewed: false,
            rule_name: "R".into(),
            text: "key = sécret1 # x".into(),
            truncated: false,
        };
        let none = keywarden_engine::RuleSet::compile(Vec::new()).unwrap();
        let s = shown(&f, false, &none);
        assert_eq!(
            (s.before.as_str(), s.matched.as_str(), s.after.as_str()),
            ("key = ", "sécr***", " # x")
        );
        assert_eq!(shown(&f, true, &none).matched, "sécret1");
    }

    #[test]
    fn status_bar_words() {
        let c = RepositoryCounts {
            total: 3,
            secure: 2,
            vulnerable: 1,
            ..RepositoryCounts::default()
        };
        assert_eq!(c.words(), "2 secure, 1 vulnerable");
        assert_eq!(c.segments()[0].percent, "66.67");
        assert_eq!(RepositoryCounts::default().words(), "no repositories");
    }
}
