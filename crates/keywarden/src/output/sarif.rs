//! SARIF 2.1.0, for code-scanning uploads: secrets redacted in messages, allowlisted findings
//! as suppressed results, skipped files as notifications.

use keywarden_engine::{RuleSet, builtin_rules};
use keywarden_scanner::Report;
use serde_json::{Value, json};

use crate::baseline::fingerprint;

/// The report as one SARIF log with one run.
pub(super) fn sarif_report(report: &Report, rules: &RuleSet) -> Value {
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
