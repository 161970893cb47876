//! The text report: a line per finding with its secret redacted, then a summary; rule names and
//! verdicts in colour when asked.

use std::io::{IsTerminal, Write};

use keywarden_engine::RuleSet;
use keywarden_scanner::Report;

use super::blocks;

/// When text output is coloured (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// When standard output is a terminal and `NO_COLOR` is unset or empty.
    Auto,
    /// Always, `NO_COLOR` or not.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour, given whether stdout is a terminal and the value of `NO_COLOR`.
    pub fn resolve(self, terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && no_color.is_none_or(|v| v.is_empty()),
        }
    }

    /// [`ColorChoice::resolve`] for this process's stdout and environment.
    pub fn for_stdout(self) -> bool {
        let no_color = std::env::var_os("NO_COLOR");
        self.resolve(std::io::stdout().is_terminal(), no_color.as_deref())
    }
}

const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[33m";
const DIM: &str = "\x1b[2m";
const CYAN: &str = "\x1b[36m";
const GREEN: &str = "\x1b[32m";
const RESET: &str = "\x1b[0m";

/// `text` in `style` when colouring.
fn paint(color: bool, style: &str, text: &str) -> String {
    match color {
        true => format!("{style}{text}{RESET}"),
        false => text.to_string(),
    }
}

/// Writes the findings and the summary to `out`, the skipped files to `notes`.
pub(super) fn write(
    out: &mut dyn Write,
    notes: &mut dyn Write,
    report: &Report,
    rules: &RuleSet,
    show_secrets: bool,
    color: bool,
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
            .map(|c| format!("{} ", paint(color, DIM, &c[..c.len().min(12)])))
            .unwrap_or_default();
        let (style, mut tag) = if f.allowlisted {
            (DIM, " (allowlisted)".to_string())
        } else if !f.blocking {
            (YELLOW, " (warning)".to_string())
        } else {
            (RED, String::new())
        };
        if f.line.confidence < 1.0 {
            tag.push_str(&format!(" (confidence {:.2})", f.line.confidence));
        }
        writeln!(
            out,
            "{commit}{}:{} {}{} {}",
            paint(color, CYAN, &f.path),
            f.line.line,
            paint(color, style, &format!("[{}]", f.rule_name)),
            paint(color, style, &tag),
            text.trim()
        )?;
    }
    for s in &report.skipped {
        writeln!(notes, "keywarden: skipped {} ({})", s.path, s.kind)?;
    }
    let blocking = report.findings.iter().filter(|f| blocks(f)).count() as u64;
    let verdict = format!("({blocking} blocking)");
    writeln!(
        out,
        "{} {}, {} scanned ({}), {} skipped",
        count(report.findings.len() as u64, "finding"),
        paint(color, if blocking > 0 { RED } else { GREEN }, &verdict),
        count(report.scanned_files, "file"),
        count(report.scanned_bytes, "byte"),
        report.skipped_files()
    )
}

/// `1 finding`, `2 findings`.
fn count(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn counts_are_singular_for_one() {
        assert_eq!(count(0, "finding"), "0 findings");
        assert_eq!(count(1, "finding"), "1 finding");
        assert_eq!(count(2, "file"), "2 files");
    }

    #[test]
    fn no_color_turns_off_automatic_colours_only() {
        let set = Some(OsStr::new("1"));
        assert!(ColorChoice::Auto.resolve(true, None));
        assert!(ColorChoice::Auto.resolve(true, Some(OsStr::new(""))));
        assert!(!ColorChoice::Auto.resolve(true, set));
        assert!(!ColorChoice::Auto.resolve(false, None));
        assert!(ColorChoice::Always.resolve(false, set));
        assert!(!ColorChoice::Never.resolve(true, None));
    }
}
