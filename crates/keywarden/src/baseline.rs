//! Baselines: the findings already known, by content fingerprint, in a file meant to be
//! committed. The file is stable (entries sorted, no timestamps, lines, paths or commits), so
//! rescans, moves and history rewrites leave it unchanged and it does not merge-conflict.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, bail};
use keywarden_scanner::{Finding, Report};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The domain-separation key of fingerprints: a fingerprint is of a Keywarden finding only.
const FINGERPRINT_KEY: &[u8] = b"keywarden finding fingerprint v1";

/// The format version written in the file.
const VERSION: u32 = 1;

/// The content fingerprint of a finding: SHA-256, under [`FINGERPRINT_KEY`], of the rule name
/// and the matched secret, each length-prefixed. The same wherever and whenever the secret
/// occurs (not of the path, line or commit), and it does not reveal the secret.
pub fn fingerprint(f: &Finding) -> String {
    let mut h = Sha256::new();
    h.update(FINGERPRINT_KEY);
    for part in [f.rule_name.as_bytes(), f.line.match_text().as_bytes()] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// One known finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    fingerprint: String,
    rule: String,
}

/// The file's layout.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct File {
    keywarden_baseline: u32,
    findings: Vec<Entry>,
}

/// Writes the findings of `report` that are not allowlisted as a baseline at `path`; returns
/// the number of entries.
pub fn write(path: &Path, report: &Report) -> anyhow::Result<usize> {
    let entries: BTreeSet<Entry> = report
        .findings
        .iter()
        .filter(|f| !f.allowlisted)
        .map(|f| Entry {
            fingerprint: fingerprint(f),
            rule: f.rule_name.clone(),
        })
        .collect();
    let file = File {
        keywarden_baseline: VERSION,
        findings: entries.into_iter().collect(),
    };
    let mut text = serde_json::to_string_pretty(&file)?;
    text.push('\n');
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(file.findings.len())
}

/// Removes from `report` the findings the baseline at `path` holds; returns the baseline's
/// stale entries (matching no finding of the scan) as `(fingerprint, rule)`.
pub fn apply(path: &Path, report: &mut Report) -> anyhow::Result<Vec<(String, String)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file: File = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a keywarden baseline", path.display()))?;
    if file.keywarden_baseline != VERSION {
        bail!(
            "{}: baseline version {} is not supported (expected {VERSION})",
            path.display(),
            file.keywarden_baseline
        );
    }
    let mut known: BTreeMap<String, (String, bool)> = file
        .findings
        .into_iter()
        .map(|e| (e.fingerprint, (e.rule, false)))
        .collect();
    report
        .findings
        .retain(|f| match known.get_mut(&fingerprint(f)) {
            Some((_, seen)) => {
                *seen = true;
                false
            }
            None => true,
        });
    Ok(known
        .into_iter()
        .filter(|(_, (_, seen))| !seen)
        .map(|(fp, (rule, _))| (fp, rule))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use keywarden_engine::LineFinding;

    fn finding(path: &str, line: u32, rule: &str, text: &str) -> Finding {
        Finding {
            path: path.into(),
            commit: Some("ab".repeat(20)),
            blob: None,
            rule_name: rule.into(),
            blocking: true,
            allowlisted: false,
            line: LineFinding {
                rule: 0,
                line,
                text: format!("k = {text}"),
                start: 4,
                end: 4 + text.len() as u32,
                truncated: false,
                allowlisted: false,
                confidence: 1.0,
            },
        }
    }

    #[test]
    fn fingerprint_is_of_rule_and_secret_only() {
        let a = finding("a.env", 1, "AWS_CLIENT_ID", "AKIAZ7QXKP4MWL2HRT6J");
        let mut moved = finding("b/c.env", 40, "AWS_CLIENT_ID", "AKIAZ7QXKP4MWL2HRT6J");
        moved.commit = None;
        assert_eq!(fingerprint(&a), fingerprint(&moved));
        assert_eq!(fingerprint(&a).len(), 64);
        assert!(!fingerprint(&a).contains("AKIA"));
        let other_rule = finding("a.env", 1, "GENERIC", "AKIAZ7QXKP4MWL2HRT6J");
        let other_secret = finding("a.env", 1, "AWS_CLIENT_ID", "AKIAQW3ERT5YU7IOP2AS");
        assert_ne!(fingerprint(&a), fingerprint(&other_rule));
        assert_ne!(fingerprint(&a), fingerprint(&other_secret));
    }
}
