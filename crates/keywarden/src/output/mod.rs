//! Scan report formats: text for people (redacted, coloured on a terminal), JSON, JSON Lines,
//! CSV, SARIF 2.1.0 and JUnit XML.

use std::io::Write;

use keywarden_engine::RuleSet;
use keywarden_scanner::{Finding, Report};
use serde_json::{Value, json};

use crate::baseline::fingerprint;

mod junit;
mod sarif;
mod text;

pub use text::ColorChoice;

/// Output format of `keywarden scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: one line per finding, secrets redacted.
    Text,
    /// `{"findings":[...],"scannedFiles":N,"skippedFiles":N,"scannedBytes":N,"skipped":[...]}`.
    Json,
    /// JSON Lines: one finding (as in `json`) per line.
    Jsonl,
    /// RFC 4180 CSV with a header row.
    Csv,
    /// SARIF 2.1.0.
    Sarif,
    /// JUnit XML: a test case per finding, failed when it blocks; secrets redacted.
    Junit,
}

/// How secrets appear in a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Secrets {
    /// Text output shows them in full (it redacts by default).
    pub show_in_text: bool,
    /// JSON, JSON Lines and CSV output redact them (they show them in full by default).
    pub redact_data: bool,
}

/// Writes the report in the chosen format; notes on skipped files go to `notes` (stderr) in
/// text output. `color`: text output uses ANSI colours.
pub fn write_report(
    out: &mut dyn Write,
    notes: &mut dyn Write,
    report: &Report,
    rules: &RuleSet,
    format: Format,
    secrets: Secrets,
    color: bool,
) -> anyhow::Result<()> {
    let redact = secrets.redact_data.then_some(rules);
    match format {
        Format::Text => text::write(out, notes, report, rules, secrets.show_in_text, color)?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &json_report(report, redact))?;
            writeln!(out)?;
        }
        Format::Jsonl => {
            for f in &report.findings {
                serde_json::to_writer(&mut *out, &finding_json(f, redact))?;
                writeln!(out)?;
            }
        }
        Format::Csv => write_csv(out, report, redact)?,
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut *out, &sarif::sarif_report(report, rules))?;
            writeln!(out)?;
        }
        Format::Junit => junit::write(out, report, rules)?,
    }
    out.flush()?;
    Ok(())
}

/// Whether a finding blocks: from a blocking rule and not allowlisted (what the exit status
/// and the text summary count).
fn blocks(f: &Finding) -> bool {
    f.blocking && !f.allowlisted
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
        "blocking": blocks(f),
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
            if blocks(f) { "true" } else { "false" },
            &fingerprint(f),
        ])?;
    }
    w.flush()?;
    Ok(())
}
