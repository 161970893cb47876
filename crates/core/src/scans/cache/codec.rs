//! How a blob's outcome is written in the store: compact JSON, each line's text once however
//! many findings it holds, empty fields left out.

use keywarden_engine::LineFinding;
use keywarden_scanner::{BlobOutcome, SkipKind};
use serde::{Deserialize, Serialize};

/// The stored form of an outcome.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    /// Bytes scanned.
    #[serde(rename = "b", default, skip_serializing_if = "is_zero")]
    bytes: u64,
    /// Why the blob was not scanned: `binary` or `large`.
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    skipped: Option<String>,
    /// Indexes of the rules that ran out of budget.
    #[serde(rename = "x", default, skip_serializing_if = "Vec::is_empty")]
    budget_exceeded: Vec<usize>,
    /// Lines with findings: (number, text, truncated, allowlisted).
    #[serde(rename = "l", default, skip_serializing_if = "Vec::is_empty")]
    lines: Vec<(u32, String, bool, bool)>,
    /// Findings: (index into `lines`, rule index, start, end, confidence).
    #[serde(rename = "f", default, skip_serializing_if = "Vec::is_empty")]
    findings: Vec<(usize, usize, u32, u32, f32)>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The stored text of a settled outcome; `None` for one that must not be kept (unreadable,
/// timed out).
pub fn encode(outcome: &BlobOutcome) -> Option<String> {
    let stored = match outcome {
        BlobOutcome::Skipped(SkipKind::Binary) => Stored {
            skipped: Some("binary".into()),
            ..Stored::default()
        },
        BlobOutcome::Skipped(SkipKind::TooLarge) => Stored {
            skipped: Some("large".into()),
            ..Stored::default()
        },
        BlobOutcome::Skipped(_) => return None,
        BlobOutcome::Scanned {
            timed_out: true, ..
        } => return None,
        BlobOutcome::Scanned {
            findings,
            bytes,
            budget_exceeded,
            timed_out: false,
        } => {
            let mut s = Stored {
                bytes: *bytes,
                budget_exceeded: budget_exceeded.clone(),
                ..Stored::default()
            };
            for f in findings {
                let line = (f.line, f.text.clone(), f.truncated, f.allowlisted);
                let at = match s.lines.iter().position(|l| *l == line) {
                    Some(i) => i,
                    None => {
                        s.lines.push(line);
                        s.lines.len() - 1
                    }
                };
                s.findings.push((at, f.rule, f.start, f.end, f.confidence));
            }
            s
        }
    };
    serde_json::to_string(&stored).ok()
}

/// The outcome stored as `text`; `None` when it cannot be read (then the blob is scanned).
pub fn decode(text: &str) -> Option<BlobOutcome> {
    let s: Stored = serde_json::from_str(text).ok()?;
    match s.skipped.as_deref() {
        Some("binary") => return Some(BlobOutcome::Skipped(SkipKind::Binary)),
        Some("large") => return Some(BlobOutcome::Skipped(SkipKind::TooLarge)),
        Some(_) => return None,
        None => {}
    }
    let mut findings = Vec::with_capacity(s.findings.len());
    for (at, rule, start, end, confidence) in s.findings {
        let (line, text, truncated, allowlisted) = s.lines.get(at)?.clone();
        findings.push(LineFinding {
            rule,
            line,
            text,
            start,
            end,
            truncated,
            allowlisted,
            confidence,
        });
    }
    Some(BlobOutcome::Scanned {
        findings,
        bytes: s.bytes,
        budget_exceeded: s.budget_exceeded,
        timed_out: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: usize, line: u32, start: u32) -> LineFinding {
        LineFinding {
            rule,
            line,
            text: "key = AKIAZ7QXKP4MWL2HRT6J secret = 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"
                .into(),
            start,
            end: start + 20,
            truncated: false,
            allowlisted: false,
            confidence: 0.75,
        }
    }

    #[test]
    fn outcomes_round_trip_with_each_line_stored_once() {
        let outcome = BlobOutcome::Scanned {
            findings: vec![finding(0, 3, 6), finding(2, 3, 36), finding(1, 9, 0)],
            bytes: 4096,
            budget_exceeded: vec![4],
            timed_out: false,
        };
        let text = encode(&outcome).unwrap();
        assert_eq!(text.matches("AKIAZ7QXKP4MWL2HRT6J").count(), 2, "{text}");
        assert_eq!(decode(&text), Some(outcome));
        let clean = BlobOutcome::Scanned {
            findings: vec![],
            bytes: 12,
            budget_exceeded: vec![],
            timed_out: false,
        };
        assert_eq!(encode(&clean).unwrap(), r#"{"b":12}"#);
        assert_eq!(decode(r#"{"b":12}"#), Some(clean));
        for kind in [SkipKind::Binary, SkipKind::TooLarge] {
            let o = BlobOutcome::Skipped(kind);
            assert_eq!(decode(&encode(&o).unwrap()), Some(o));
        }
    }

    #[test]
    fn unsettled_outcomes_are_not_stored_and_unreadable_text_is_a_miss() {
        assert_eq!(
            encode(&BlobOutcome::Skipped(SkipKind::Unreadable("x".into()))),
            None
        );
        let partial = BlobOutcome::Scanned {
            findings: vec![],
            bytes: 1,
            budget_exceeded: vec![],
            timed_out: true,
        };
        assert_eq!(encode(&partial), None);
        assert_eq!(decode("not json"), None);
        assert_eq!(decode(r#"{"s":"what"}"#), None);
        assert_eq!(decode(r#"{"l":[],"f":[[3,0,0,1,1.0]]}"#), None);
    }
}
