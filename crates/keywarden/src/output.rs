//! Scan report formats: text (redacted), JSON, CSV and SARIF 2.1.0.

use std::io::Write;

use keywarden_engine::{RuleSet, builtin_rules};
use keywarden_scanner::{Finding, Report};
use serde_json::{Value, json};

use crate::baseline::fingerprint;

/// Output format of `keywarden scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: one line per finding, secrets redacted.
    Text,
    /// `{"findings":[...],"scannedFiles":N,"skippedFiles":N,"scannedBytes":N}`.
    Json,
    /// RFC 4180 CSV with a header row.
    Csv,
    /// SARIF 2.1.0.
    Sarif,
}

/// How secrets appear in a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Secrets {
    /// Text output shows them in full (it redacts by default).
    pub show_in_text: bool,
    /// JSON and CSV output redact them (they show them in full by default).
    pub redact_data: bool,
}

/// Writes the report in the chosen format; notes on skipped files go to `notes` (stderr) in
/// text output.
pub fn write_report(
    out: &mut dyn Write,
    notes: &mut dyn Write,
    report: &Report,
    rules: &RuleSet,
    format: Format,
    secrets: Secrets,
) -> anyhow::Result<()> {
    let redact = secrets.redact_data.then_some(rules);
    match format {
        Format::Text => write_text(out, notes, report, rules, secrets.show_in_text)?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &json_report(report, redact))?;
            writeln!(out)?;
        }
        Format::Csv => write_csv(out, report, redact)?,
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut *out, &sarif_report(report, rules))?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// A finding's line and match, redacted with `redact`'s rules when given.
fn shown(f: &Finding, redact: Option<&RuleSet>) -> (String, String) {
    match redact {
        Some(rules) => (
            rules.redact_finding(&f.line),
            keywarden_engine::redact_secret(f.line.match_text()),
        ),
        None => (f.line.text.clone(), f.line.match_text().to_string()),
    }
}

/// The fields of an `invalidLines` entry (SPEC 6), plus `commitId` for Git inputs.
fn finding_json(f: &Finding, redact: Option<&RuleSet>) -> Value {
    let mut v = json!({
        "path": f.path,
        "line": f.line.line,
        "ruleName": f.rule_name,
        "text": shown(f, redact).0,
        "lineOffsetStart": f.line.start,
        "lineOffsetEnd": f.line.end,
        "truncated": f.line.truncated,
        "allowlisted": f.allowlisted,
        "reviewed": false,
        "blocking": f.blocking,
        "confidence": keywarden_engine::shown_confidence(f64::from(f.line.confidence)),
        "fingerprint": fingerprint(f),
    });
    if let Some(c) = &f.commit {
        v["commitId"] = json!(c);
    }
    v
}

fn json_report(report: &Report, redact: Option<&RuleSet>) -> Value {
    json!({
        "findings": report.findings.iter().map(|f| finding_json(f, redact)).collect::<Vec<_>>(),
        "scannedFiles": report.scanned_files,
        "skippedFiles": report.skipped_files(),
        "scannedBytes": report.scanned_bytes,
        "skipped": report.skipped.iter().map(|s| json!({"path": s.path, "reason": s.kind.to_string()})).collect::<Vec<_>>(),
    })
}

fn write_text(
    out: &mut dyn Write,
    notes: &mut dyn Write,
    report: &Report,
    rules: &RuleSet,
    show_secrets: bool,
) -> std::io::Result<()> {
    for f in &report.findings {
        let text = if show_secrets {
            f.line.text.clone()
        } else {
            rules.redact_finding(&f.line)
        };
        let commit = f
            .commit
            .as_deref()
            .map(|c| format!("{} ", &c[..c.len().min(12)]))
            .unwrap_or_default();
        let mut tags = String::new();
        if f.allowlisted {
            tags.push_str(" (allowlisted)");
        } else if !f.blocking {
            tags.push_str(" (warning)");
        }
        if f.line.confidence < 1.0 {
            tags.push_str(&format!(" (confidence {:.2})", f.line.confidence));
        }
        writeln!(
            out,
            "{commit}{}:{} [{}]{tags} {}",
            f.path,
            f.line.line,
            f.rule_name,
            text.trim()
        )?;
    }
    for s in &report.skipped {
        writeln!(notes, "keywarden: skipped {} ({})", s.path, s.kind)?;
    }
    let blocking = report
        .findings
        .iter()
        .filter(|f| f.blocking && !f.allowlisted)
        .count();
    writeln!(
        out,
        "{} ({blocking} blocking), {} scanned ({}), {} skipped",
        count(report.findings.len() as u64, "finding"),
        count(report.scanned_files, "file"),
        count(report.scanned_bytes, "byte"),
        report.skipped_files()
    )
}

/// `1 finding`, `2 findings`.
fn count(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Prefixes cells that a spreadsheet would run as a formula.
pub fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

fn write_csv(out: &mut dyn Write, report: &Report, redact: Option<&RuleSet>) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "File",
        "Line",
        "Rule",
        "Match",
        "Line Text",
        "Commit",
        "Allowlisted",
        "Blocking",
        "Fingerprint",
    ])?;
    for f in &report.findings {
        let line = f.line.line.to_string();
        let (text, secret) = shown(f, redact);
        w.write_record([
            csv_safe(&f.path).as_ref(),
            &line,
            &f.rule_name,
            &csv_safe(&secret),
            &csv_safe(&text),
            f.commit.as_deref().unwrap_or(""),
            if f.allowlisted { "true" } else { "false" },
            if f.blocking { "true" } else { "false" },
            &fingerprint(f),
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn sarif_report(report: &Report, rules: &RuleSet) -> Value {
    let rule_names: Vec<&str> = rules.rules().map(|r| r.name.as_str()).collect();
    let sarif_rules: Vec<Value> = rules
        .rules()
        .map(|r| {
            let def = builtin_rules().iter().find(|d| d.name == r.name);
            let desc = def.map_or("Custom rule", |d| d.description.as_str());
            json!({
                "id": r.name,
                "name": r.name,
                "shortDescription": {"text": desc},
                "defaultConfiguration": {"level": if r.blocking { "error" } else { "warning" }},
                "properties": {"category": def.map_or("Custom", |d| d.category.as_str())},
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut region = json!({"startLine": f.line.line});
            if !f.line.truncated {
                region["startColumn"] = json!(f.line.start + 1);
                region["endColumn"] = json!(f.line.end + 1);
            }
            let idx = rule_names
                .iter()
                .position(|n| *n == f.rule_name)
                .unwrap_or(0);
            let mut result = json!({
                "ruleId": f.rule_name,
                "ruleIndex": idx,
                "rank": (100.0 * keywarden_engine::shown_confidence(f64::from(f.line.confidence)) * 10.0).round() / 10.0,
                "level": if f.blocking { "error" } else { "warning" },
                "message": {"text": format!("{} found: {}", f.rule_name,
                    keywarden_engine::redact_secret(f.line.match_text()))},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": f.path},
                    "region": region,
                }}],
                "partialFingerprints": {"secretFingerprint/v1": fingerprint(f)},
            });
            if f.allowlisted {
                result["suppressions"] = json!([{"kind": "inSource"}]);
            }
            if let Some(c) = &f.commit {
                result["properties"] = json!({"commitId": c});
            }
            result
        })
        .collect();
    let notifications: Vec<Value> = report
        .skipped
        .iter()
        .map(|s| {
            json!({
                "level": "note",
                "message": {"text": format!("skipped {} ({})", s.path, s.kind)},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": s.path}}}],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "keywarden",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": sarif_rules,
            }},
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn counts_are_singular_for_one() {
        assert_eq!(count(0, "finding"), "0 findings");
        assert_eq!(count(1, "finding"), "1 finding");
        assert_eq!(count(2, "file"), "2 files");
    }
}
