//! JUnit XML, for CI systems that show test reports: one test suite, a test case per finding
//! (failed when it blocks, skipped when allowlisted, passed with a note when it only warns),
//! or a single passing case when there is none. Secrets are always redacted.

use std::io::Write;

use keywarden_engine::RuleSet;
use keywarden_scanner::Report;

use super::blocks;

/// Writes the report as a JUnit `<testsuites>` document.
pub(super) fn write(out: &mut dyn Write, report: &Report, rules: &RuleSet) -> std::io::Result<()> {
    let failures = report.findings.iter().filter(|f| blocks(f)).count();
    let skipped = report.findings.iter().filter(|f| f.allowlisted).count();
    let tests = report.findings.len().max(1);
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="keywarden" tests="{tests}" failures="{failures}" errors="0" skipped="{skipped}">"#
    )?;
    writeln!(
        out,
        r#"  <testsuite name="keywarden scan" tests="{tests}" failures="{failures}" errors="0" skipped="{skipped}">"#
    )?;
    if report.findings.is_empty() {
        writeln!(
            out,
            r#"    <testcase classname="keywarden" name="no secrets found"/>"#
        )?;
    }
    for f in &report.findings {
        let at = match &f.commit {
            Some(c) => format!("{}:{} ({})", f.path, f.line.line, &c[..c.len().min(12)]),
            None => format!("{}:{}", f.path, f.line.line),
        };
        writeln!(
            out,
            r#"    <testcase classname="{}" name="{} {}" file="{}" line="{}">"#,
            xml(&f.path),
            xml(&f.rule_name),
            xml(&at),
            xml(&f.path),
            f.line.line
        )?;
        let shown = xml(rules.redact_finding(&f.line).trim());
        if f.allowlisted {
            writeln!(out, r#"      <skipped message="allowlisted"/>"#)?;
        } else if blocks(f) {
            writeln!(
                out,
                r#"      <failure type="{}" message="{} found at {}">{shown}</failure>"#,
                xml(&f.rule_name),
                xml(&f.rule_name),
                xml(&at)
            )?;
        } else {
            writeln!(
                out,
                "      <system-out>warning (the rule does not block): {shown}</system-out>"
            )?;
        }
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}

/// Escapes text for an XML attribute or element; characters XML 1.0 cannot hold become `?`.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::xml;

    #[test]
    fn markup_and_control_characters_are_escaped() {
        assert_eq!(
            xml(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
        assert_eq!(xml("a\u{1}b"), "a?b");
    }
}
