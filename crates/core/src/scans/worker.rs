//! The workers: claim a scan, run it off the async runtime, renew its lease, record the result.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use keywarden_git::Repo;
use keywarden_scanner::{Progress, Report, ScanError, Scanner};
use keywarden_store::{Scan, ScanFinding, ScanOutcome};
use tokio::task::JoinHandle;

use super::cache::Lasting;
use super::rules_source::{self, ReviewedSet};
use crate::Core;
use crate::settings::{self, SecuritySettings};

/// The worker tasks of this process.
#[derive(Debug)]
pub struct Workers {
    tasks: Vec<JoinHandle<()>>,
}

/// Most workers one process runs when `parallelScans` decides (changes to the setting apply
/// without a restart, up to this many).
pub const MAX_WORKERS: u32 = 16;

/// How often the `parallelScans` setting is read again.
const SETTINGS_EVERY: Duration = Duration::from_secs(2);

async fn parallel_scans(state: &Core) -> u32 {
    SecuritySettings::load(state.store())
        .await
        .map(|s| s.parallel_scans)
        .unwrap_or(2)
        .clamp(1, MAX_WORKERS)
}

impl Workers {
    /// Starts `scan_workers` (config) workers, or as many as `parallelScans` (settings) allows
    /// at any time.
    pub(crate) async fn start(state: &Core) -> Workers {
        // Scans this node name still holds were interrupted (the process died): take them over
        // now instead of waiting for their leases to run out.
        let node = &state.config().node_id;
        match state.store().expire_leases(node).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::warn!(node = %node, scans = n, "taking over the scans this node was running when it stopped")
            }
            Err(e) => tracing::warn!(node = %node, error = %e, "expiring this node's scan leases"),
        }
        let runtime = state.scans();
        let mut tasks = Vec::new();
        let spawned = match state.config().scan_workers {
            Some(n) => {
                let n = n.max(1);
                runtime.allowed.store(n, Ordering::Relaxed);
                n
            }
            None => {
                runtime
                    .allowed
                    .store(parallel_scans(state).await, Ordering::Relaxed);
                let watcher = state.clone();
                tasks.push(tokio::spawn(async move {
                    loop {
                        let wake = watcher.scans().wake.notified();
                        if watcher.scans().stopping() {
                            break;
                        }
                        let _ = tokio::time::timeout(SETTINGS_EVERY, wake).await;
                        let n = parallel_scans(&watcher).await;
                        watcher.scans().allowed.store(n, Ordering::Relaxed);
                    }
                }));
                MAX_WORKERS
            }
        };
        tracing::info!(node = %state.config().node_id, workers = runtime.allowed.load(Ordering::Relaxed), "scan workers started");
        tasks.extend((0..spawned).map(|i| tokio::spawn(run_worker(state.clone(), i))));
        Workers { tasks }
    }

    /// Waits for the workers to stop.
    pub(crate) async fn join(self) {
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

fn lease_ms(state: &Core) -> i64 {
    i64::try_from(state.config().scan_lease.as_millis()).unwrap_or(30_000)
}

async fn run_worker(state: Core, index: u32) {
    let runtime = state.scans();
    while !runtime.stopping() {
        let wake = runtime.wake.notified();
        if index >= runtime.allowed.load(Ordering::Relaxed) {
            // Beyond `parallelScans` for now.
            let _ = tokio::time::timeout(state.config().scan_poll, wake).await;
            continue;
        }
        let node = &state.config().node_id;
        let claimed = state
            .store()
            .claim_scan(
                node,
                keywarden_store::now_millis(),
                lease_ms(&state),
                i64::from(state.config().scan_attempts.max(1)),
            )
            .await;
        match claimed {
            Ok(Some(scan)) => {
                tracing::info!(node = %node, worker = index, scan = %scan.scan_key, branch = %scan.branch, "scan started");
                run_scan(&state, scan).await;
            }
            Ok(None) => {
                let _ = tokio::time::timeout(state.config().scan_poll, wake).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "claiming a scan failed");
                tokio::time::sleep(state.config().scan_poll).await;
            }
        }
    }
}

/// How a scan ended, for the log.
enum End {
    Done,
    /// Cancelled, taken over, or the server is stopping: nothing to record.
    Abandoned,
    Failed(String),
}

async fn run_scan(state: &Core, scan: Scan) {
    let node = state.config().node_id.clone();
    let end = execute(state, &scan).await;
    match end {
        End::Done => tracing::info!(scan = %scan.scan_key, "scan finished"),
        End::Abandoned => tracing::info!(scan = %scan.scan_key, "scan stopped"),
        End::Failed(message) => {
            tracing::warn!(scan = %scan.scan_key, error = %message, "scan failed");
            if let Err(e) = state.store().fail_scan(scan.id, &node, &message).await {
                tracing::warn!(error = %e, "recording a failed scan");
            }
        }
    }
    if let Some(batch) = scan.batch_id {
        super::mail::mail_when_done(state, batch).await;
    }
}

/// Progress counters shared with the scanning threads.
#[derive(Default)]
struct Counter {
    total: AtomicU64,
    done: AtomicU64,
    delay: Option<Duration>,
}

impl Progress for Counter {
    fn start(&self, total_files: u64) {
        self.total.store(total_files, Ordering::Relaxed);
    }

    fn advance(&self, files: u64, _bytes: u64) {
        self.done.fetch_add(files, Ordering::Relaxed);
        if let Some(d) = self.delay {
            std::thread::sleep(d);
        }
    }
}

async fn execute(state: &Core, scan: &Scan) -> End {
    let store = state.store();
    let node = state.config().node_id.clone();
    let repository = match store.repository_by_id(scan.repository_id).await {
        Ok(Some(r)) => r,
        Ok(None) => return End::Failed("the repository no longer exists".into()),
        Err(e) => return End::Failed(format!("database: {e}")),
    };
    let path = state.config().repository_path(&repository.disk_name);
    let branch = scan.branch.clone();
    let opened = tokio::task::spawn_blocking(move || {
        let repo = Repo::open(&path)?;
        let commit = repo.resolve_commit(&branch)?;
        Ok::<_, keywarden_git::GitError>((repo, commit))
    })
    .await;
    let (repo, commit) = match opened {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            return End::Failed(format!(
                "branch {} cannot be read: {e}",
                scan.branch.trim_start_matches("refs/heads/")
            ));
        }
        Err(e) => return End::Failed(format!("internal: {e}")),
    };
    // The generation first: a change after this point makes the result outdated.
    let generation = match settings::generation(store).await {
        Ok(g) => g,
        Err(e) => return End::Failed(format!("database: {e}")),
    };
    let thresholds = match SecuritySettings::load(store).await {
        Ok(s) => s.thresholds(),
        Err(e) => return End::Failed(format!("database: {e}")),
    };
    let rules = match rules_source::effective(state, &repository).await {
        Ok(r) => r,
        Err(e) => return End::Failed(format!("rules: {e}")),
    };
    let reviewed = match rules_source::reviewed(state, repository.id).await {
        Ok(r) => r,
        Err(e) => return End::Failed(format!("reviewed findings: {e}")),
    };
    match store
        .start_scan(
            scan.id,
            &node,
            &commit.to_string(),
            generation,
            &rules.result_identity(&reviewed),
            rules.config_error.as_deref(),
        )
        .await
    {
        Ok(true) => {}
        Ok(false) => return End::Abandoned,
        Err(e) => return End::Failed(format!("database: {e}")),
    }

    let lasting = Lasting::open(state, rules.identity).await;
    let cancel = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(Counter {
        delay: state.config().scan_file_delay,
        ..Counter::default()
    });
    let heartbeat = tokio::spawn(heartbeat(
        state.clone(),
        scan.id,
        counter.clone(),
        cancel.clone(),
    ));
    let report = {
        let (state, rules, cancel, counter) = (
            state.clone(),
            rules.clone(),
            cancel.clone(),
            counter.clone(),
        );
        let history = scan.history;
        tokio::task::spawn_blocking(move || {
            let cache = state.scans().cache().for_rules(rules.identity, lasting);
            let scanner = Scanner::new(&rules.rules)
                .allowlist(&rules.allowlist)
                .progress(counter.as_ref())
                .cancel_flag(&cancel)
                .cache(&cache)
                .file_budget(state.config().scan_file_budget);
            if history {
                scanner.scan_history(&repo, &[commit])
            } else {
                scanner.scan_tree(&repo, commit)
            }
        })
        .await
    };
    heartbeat.abort();
    let mut report = match report {
        Ok(Ok(r)) => r,
        Ok(Err(ScanError::Cancelled)) => return End::Abandoned,
        Ok(Err(e)) => return End::Failed(e.to_string()),
        Err(e) => return End::Failed(format!("internal: {e}")),
    };
    if cancel.load(Ordering::Relaxed) || state.scans().stopping() {
        return End::Abandoned;
    }
    report.apply_thresholds(thresholds);
    let mut outcome = outcome(
        &report,
        &reviewed,
        &commit.to_string(),
        state.config().scan_max_findings,
    );
    outcome.config_warnings = rules.config_warnings.clone();
    if !report.rule_errors.is_empty() {
        let indices: Vec<usize> = rules
            .rules
            .rules()
            .enumerate()
            .filter(|(_, r)| report.rule_errors.contains(&r.name))
            .map(|(i, _)| i)
            .collect();
        outcome.rule_errors = match crate::rules::record_budget_exceeded(
            state,
            &rules.rules,
            &indices,
            repository.id,
        )
        .await
        {
            Ok(names) => names,
            Err(e) => {
                tracing::warn!(error = %e, "recording matching budget overruns");
                report.rule_errors.clone()
            }
        };
    }
    match store.finish_scan(scan.id, &node, outcome).await {
        Ok(true) => End::Done,
        Ok(false) => End::Abandoned,
        Err(e) => End::Failed(format!("database: {e}")),
    }
}

/// Renews the lease and records progress until aborted; raises `cancel` when the scan is no
/// longer this process's (cancelled or taken over) or the server stops.
async fn heartbeat(state: Core, id: i64, counter: Arc<Counter>, cancel: Arc<AtomicBool>) {
    let every = (state.config().scan_lease / 3).min(Duration::from_millis(500));
    loop {
        tokio::time::sleep(every).await;
        if state.scans().stopping() {
            cancel.store(true, Ordering::Relaxed);
            return;
        }
        let until = keywarden_store::now_millis() + lease_ms(&state);
        let done = counter.done.load(Ordering::Relaxed) as i64;
        let total = counter.total.load(Ordering::Relaxed) as i64;
        match state
            .store()
            .renew_scan(id, &state.config().node_id, until, done, total)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                cancel.store(true, Ordering::Relaxed);
                return;
            }
            Err(e) => tracing::warn!(error = %e, "renewing a scan lease"),
        }
    }
}

/// The rows to store for a report: at most `cap` findings, in report order; the rest are
/// counted as dropped (and still counted as vulnerabilities).
fn outcome(report: &Report, reviewed: &ReviewedSet, commit: &str, cap: usize) -> ScanOutcome {
    let mut vulnerabilities = 0;
    let mut findings = Vec::with_capacity(report.findings.len().min(cap));
    for f in &report.findings {
        if !f.allowlisted && !reviewed.contains(&f.rule_name, f.line.match_text()) {
            vulnerabilities += 1;
        }
        if findings.len() < cap {
            findings.push(row(f, commit));
        }
    }
    ScanOutcome {
        findings_dropped: (report.findings.len() - findings.len()) as i64,
        findings,
        skipped_files: report.skipped_files() as i64,
        vulnerabilities,
        files_total: (report.scanned_files + report.skipped_files()) as i64,
        ..ScanOutcome::default()
    }
}

/// The stored row of one finding.
fn row(f: &keywarden_scanner::Finding, commit: &str) -> ScanFinding {
    ScanFinding {
        path: f.path.clone(),
        line: i64::from(f.line.line),
        rule_name: f.rule_name.clone(),
        text: f.line.text.clone(),
        line_offset_start: i64::from(f.line.start),
        line_offset_end: i64::from(f.line.end),
        truncated: f.line.truncated,
        allowlisted: f.allowlisted,
        blocking: f.blocking,
        commit_id: Some(f.commit.clone().unwrap_or_else(|| commit.to_string())),
        confidence: f64::from(f.line.confidence),
    }
}
