//! `keywarden scan PATH`: files on disk, a branch's tree, or a whole history.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use keywarden_engine::{RepoConfig, RuleSet, ScanLimits, effective_rules};
use keywarden_git::Repo;
use keywarden_scanner::{Progress, Scanner};

use crate::output::{Format, write_report};

/// Arguments of `keywarden scan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A directory or file to scan; with --branch or --history, a repository (bare or not).
    pub path: PathBuf,
    /// Scan the tree of this branch, tag or commit instead of the files on disk.
    #[arg(long)]
    pub branch: Option<String>,
    /// Scan every unique blob reachable from all refs (or from --branch).
    #[arg(long)]
    pub history: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Rules configuration in the `soteri-security.yml` format.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Show secrets in full in text output (they are redacted by default).
    #[arg(long)]
    pub show_secrets: bool,
    /// Skip files larger than this many bytes.
    #[arg(long, default_value_t = ScanLimits::default().max_file_size)]
    pub max_file_size: u64,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// Runs a scan; exit 1 when a blocking finding is present.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .context("setting up worker threads")?;
    }
    if !args.path.exists() {
        bail!("{} does not exist", args.path.display());
    }
    let config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let cfg = RepoConfig::parse(&text).with_context(|| path.display().to_string())?;
            Some(cfg)
        }
        None => None,
    };
    let effective = effective_rules(|_| true, &[], config.as_ref());
    for w in &effective.warnings {
        eprintln!("keywarden: warning: {w}");
    }
    let limits = ScanLimits {
        max_file_size: args.max_file_size,
        ..ScanLimits::default()
    };
    let rules = RuleSet::compile_with(effective.rules, limits)?;

    let bar = progress_bar(args.no_progress);
    let progress = BarProgress(bar.clone());
    let mut scanner = Scanner::new(&rules).allowlist(&effective.allowlist);
    if !bar.is_hidden() {
        scanner = scanner.progress(&progress);
    }
    let report = if args.branch.is_some() || args.history {
        let repo = Repo::open(&args.path)?;
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
        scanner.scan_dir(&args.path)?
    };
    bar.finish_and_clear();
    for name in &report.rule_errors {
        eprintln!(
            "keywarden: warning: rule {name} exceeded its matching budget and was skipped on some files"
        );
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    write_report(&mut out, &report, &rules, args.format, args.show_secrets)?;
    Ok(if report.has_blocking() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
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
