//! `keywarden scan PATH`: files on disk (or standard input, `-`), a branch's tree, a whole
//! history, what is staged for the next commit, or the commits of a range scanned as the
//! server's hook scans a push.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use keywarden_core::rules::EffectiveRules;
use keywarden_engine::{RuleSet, ScanLimits};
use keywarden_git::{PushReader, Repo};
use keywarden_scanner::{Progress, SKIP_MARKER, Scanner, scan_commits, scan_staged};

use crate::output::{ColorChoice, Format, Secrets, write_report};
use crate::repo_config::{self, Discovered, Input};

/// Arguments of `keywarden scan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A directory or file to scan, `-` for standard input; with --branch, --history,
    /// --staged, --since or --range, a repository (bare or not; default: the current
    /// directory).
    pub path: Option<PathBuf>,
    /// Scan the tree of this branch, tag or commit instead of the files on disk.
    #[arg(long, conflicts_with_all = ["staged", "since", "range"])]
    pub branch: Option<String>,
    /// Scan every unique blob reachable from all refs (or from --branch).
    #[arg(long, conflicts_with_all = ["staged", "since", "range"])]
    pub history: bool,
    /// Scan the lines the index adds to HEAD: what `git commit` is about to record (for a
    /// pre-commit hook).
    #[arg(long, conflicts_with_all = ["since", "range"])]
    pub staged: bool,
    /// Scan the commits after REF up to HEAD (`REF..HEAD`), each by the lines it adds.
    #[arg(long, value_name = "REF", conflicts_with = "range")]
    pub since: Option<String>,
    /// Scan the commits of `BASE..TIP` (those reachable from TIP and not from BASE, merges
    /// included), each by the lines it adds, as the server scans a push.
    #[arg(long, value_name = "BASE..TIP")]
    pub range: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Apply this `soteri-security.yml` instead of the scanned repository's own (found at the
    /// root of its work tree, or of the scanned revision's tree).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Apply no `soteri-security.yml`: only the built-in rules.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Colour the text report: `auto` when stdout is a terminal and `NO_COLOR` is unset.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Show secrets in full in text output (they are redacted by default).
    #[arg(long)]
    pub show_secrets: bool,
    /// Redact secrets in JSON, JSON Lines and CSV output too (they hold them in full by
    /// default).
    #[arg(long)]
    pub redact: bool,
    /// Skip files larger than this many bytes.
    #[arg(long, default_value_t = ScanLimits::default().max_file_size)]
    pub max_file_size: u64,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Report only findings not in this baseline file; its entries that match no finding are
    /// reported (stale) on stderr.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write the scan's findings (not allowlisted) as a baseline file, then exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Leave out this built-in rule (repeatable), e.g. `GENERIC_CREDENTIAL` to scan without the
    /// syntax candidates.
    #[arg(long, value_name = "RULE")]
    pub disable: Vec<String>,
    /// Findings at or above this confidence (0 to 1) block (exit 1); those below only warn.
    #[arg(long, value_name = "CONFIDENCE", default_value_t = keywarden_engine::DEFAULT_BLOCK_THRESHOLD, value_parser = confidence)]
    pub block_threshold: f32,
    /// Findings below this confidence (0 to 1) are not reported.
    #[arg(long, value_name = "CONFIDENCE", default_value_t = keywarden_engine::DEFAULT_REPORT_THRESHOLD, value_parser = confidence)]
    pub report_threshold: f32,
}

/// A confidence argument: a number from 0 to 1.
fn confidence(s: &str) -> Result<f32, String> {
    match s.parse::<f32>() {
        Ok(c) if (0.0..=1.0).contains(&c) => Ok(c),
        _ => Err(format!(
            "{s:?} is not a confidence: give a number from 0 to 1"
        )),
    }
}

/// Runs a scan; exit 1 when a blocking finding is present.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .context("setting up worker threads")?;
    }
    let git_input = args.staged || args.since.is_some() || args.range.is_some();
    let path = match &args.path {
        Some(p) => p.clone(),
        None if git_input => PathBuf::from("."),
        None => bail!("give a PATH to scan (`-` for standard input)"),
    };
    let stdin = path.as_os_str() == "-";
    if stdin && (git_input || args.branch.is_some() || args.history) {
        bail!("standard input (`-`) is not a repository");
    }
    if !stdin && !path.exists() {
        bail!("{} does not exist", path.display());
    }
    for name in &args.disable {
        if keywarden_engine::find_builtin(name).is_none() {
            bail!("--disable {name}: no built-in rule of that name (see `keywarden rules`)");
        }
    }
    let limits = ScanLimits {
        max_file_size: args.max_file_size,
        ..ScanLimits::default()
    };
    let reader = match git_input {
        true => Some(PushReader::discover(&path)?),
        false => None,
    };
    let range = match (&args.since, &args.range) {
        (Some(since), _) => Some((since.as_str(), "HEAD")),
        (None, Some(range)) => Some(parse_range(range)?),
        (None, None) => None,
    };
    let effective = scan_rules(&args, &path, stdin, reader.as_ref(), range, limits)?;
    let rules: &RuleSet = &effective.rules;

    let bar = progress_bar(args.no_progress);
    let progress = BarProgress(bar.clone());
    let mut scanner = Scanner::new(rules).allowlist(&effective.allowlist);
    if !bar.is_hidden() {
        scanner = scanner.progress(&progress);
    }
    let mut report = if let Some(reader) = &reader {
        let cancel = AtomicBool::new(false);
        let allowlist = &effective.allowlist;
        let scan = match range {
            None => scan_staged(reader, rules, allowlist, &cancel)?,
            Some((base, tip)) => {
                let commits = reader.range_commits(base, tip)?;
                scan_commits(reader, commits, rules, allowlist, &cancel, None)?
            }
        };
        for c in &scan.skipped_commits {
            eprintln!(
                "keywarden: warning: commit {c} not scanned: its message carries {SKIP_MARKER}"
            );
        }
        scan.into_report(rules)
    } else if stdin {
        let mut data = Vec::new();
        std::io::stdin()
            .take(args.max_file_size.saturating_add(1))
            .read_to_end(&mut data)
            .context("reading standard input")?;
        scanner.scan_data("-", &data)
    } else if args.branch.is_some() || args.history {
        let repo = Repo::open(&path)?;
        let tips = match &args.branch {
            Some(b) => vec![repo.resolve_commit(b)?],
            None => repo.ref_tips()?,
        };
        if args.history {
            scanner.scan_history(&repo, &tips)?
        } else {
            scanner.scan_tree(&repo, tips[0])?
        }
    } else {
        scanner.scan_dir(&path)?
    };
    report.apply_thresholds(keywarden_scanner::Thresholds {
        block: args.block_threshold,
        report: args.report_threshold,
    });
    bar.finish_and_clear();
    for name in &report.rule_errors {
        eprintln!(
            "keywarden: warning: rule {name} exceeded its matching budget and was skipped on some files"
        );
    }
    if let Some(file) = &args.write_baseline {
        let n = crate::baseline::write(file, &report)?;
        eprintln!(
            "keywarden: wrote {n} baseline entries to {}",
            file.display()
        );
    }
    if let Some(file) = &args.baseline {
        for (fp, rule) in crate::baseline::apply(file, &mut report)? {
            eprintln!(
                "keywarden: note: stale baseline entry {fp} ({rule}): no such finding any more"
            );
        }
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let secrets = Secrets {
        show_in_text: args.show_secrets,
        redact_data: args.redact,
    };
    let mut notes = std::io::stderr().lock();
    let color = args.color.for_stdout();
    write_report(
        &mut out,
        &mut notes,
        &report,
        rules,
        args.format,
        secrets,
        color,
    )?;
    Ok(if report.has_blocking() && args.write_baseline.is_none() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The rules of the scan: the built-in catalogue with the `soteri-security.yml` that applies
/// ([`repo_config`]); the file applied and its warnings are told on stderr.
fn scan_rules(
    args: &Args,
    path: &Path,
    stdin: bool,
    reader: Option<&PushReader>,
    range: Option<(&str, &str)>,
    limits: ScanLimits,
) -> anyhow::Result<EffectiveRules> {
    let found = if args.no_config {
        Discovered::default()
    } else if let Some(file) = &args.config {
        repo_config::explicit(file)?
    } else {
        let cwd = PathBuf::from(".");
        repo_config::discover(match (reader, range) {
            (Some(reader), Some((base, tip))) => Input::Range(reader, base, tip),
            (Some(reader), None) => Input::Staged(reader),
            (None, _) if stdin => Input::Disk(&cwd),
            (None, _) if args.branch.is_some() || args.history => {
                Input::Tree(path, args.branch.as_deref().unwrap_or("HEAD"))
            }
            (None, _) => Input::Disk(path),
        })?
    };
    let effective = repo_config::rules(&found, limits, &args.disable)?;
    let mut origins: Vec<&str> = [&found.old, &found.new]
        .into_iter()
        .flatten()
        .map(|f| f.origin.as_str())
        .collect();
    origins.dedup();
    if !origins.is_empty() {
        eprintln!("keywarden: applying {}", origins.join(" and "));
    }
    for w in &effective.warnings {
        eprintln!("keywarden: warning: {w}");
    }
    Ok(effective)
}

/// `BASE..TIP` into its two revisions; both must be given.
fn parse_range(range: &str) -> anyhow::Result<(&str, &str)> {
    match range.split_once("..") {
        Some((base, tip)) if !base.is_empty() && !tip.is_empty() && !tip.starts_with('.') => {
            Ok((base, tip))
        }
        _ => bail!("--range takes BASE..TIP (two revisions), not {range:?}"),
    }
}

fn progress_bar(disabled: bool) -> ProgressBar {
    if disabled || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} files {msg}",
        )
        .expect("progress template"),
    );
    bar
}

struct BarProgress(ProgressBar);

impl Progress for BarProgress {
    fn start(&self, total_files: u64) {
        self.0.set_length(total_files);
    }
    fn advance(&self, files: u64, _bytes: u64) {
        self.0.inc(files);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_need_both_ends() {
        assert_eq!(parse_range("main..feature").unwrap(), ("main", "feature"));
        assert_eq!(parse_range("HEAD~3..HEAD").unwrap(), ("HEAD~3", "HEAD"));
        for bad in ["main", "..HEAD", "main..", "a...b"] {
            assert!(parse_range(bad).is_err(), "{bad}");
        }
    }
}
