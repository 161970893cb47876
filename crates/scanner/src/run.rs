//! Enumerating inputs and scanning them in parallel.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use keywarden_engine::{LineMemo, PathAllowlist, RuleSet};
use keywarden_git::{BlobReader, ObjectId, Repo};
use rayon::prelude::*;

use crate::report::{FileResult, Outcome, Report, SkipKind};

/// Progress reporting, called from worker threads.
pub trait Progress: Sync {
    /// The number of files to scan, once known.
    fn start(&self, total_files: u64);
    /// `files` more files are done, holding `bytes` bytes.
    fn advance(&self, files: u64, bytes: u64);
}

/// Outcomes of blobs already scanned with the scanner's rule set, by blob id. The cache must
/// belong to one rule set (and limits): findings hold rule indexes into it.
///
/// A scan calls [`BlobCache::prefetch`] once with every blob it will look up, then, per blob,
/// [`BlobCache::get`] and, after a miss, either [`BlobCache::put`] (the outcome is settled) or
/// [`BlobCache::forget`] (it is not: unreadable, timed out, failed); [`BlobCache::flush`] at the
/// end, also when the scan failed or was cancelled.
pub trait BlobCache: Sync {
    /// Loads what is known of these blobs, before they are looked up one by one.
    fn prefetch(&self, _blobs: &[ObjectId]) {}
    /// The outcome of a blob, if known.
    fn get(&self, blob: &ObjectId) -> Option<Outcome>;
    /// Remembers the outcome of a blob.
    fn put(&self, blob: ObjectId, outcome: &Outcome);
    /// A blob missed by [`BlobCache::get`] got no settled outcome.
    fn forget(&self, _blob: &ObjectId) {}
    /// Writes what was remembered to lasting storage.
    fn flush(&self) {}
}

/// Why a scan failed.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// Reading the repository failed.
    #[error(transparent)]
    Git(#[from] keywarden_git::GitError),
    /// Walking the directory failed.
    #[error("cannot read {path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// The reason.
        message: String,
    },
    /// The scan was cancelled.
    #[error("the scan was cancelled")]
    Cancelled,
}

/// Scans inputs with one rule set.
pub struct Scanner<'a> {
    rules: &'a RuleSet,
    allowlist: Option<&'a PathAllowlist>,
    progress: Option<&'a dyn Progress>,
    cancel: Option<&'a AtomicBool>,
    cache: Option<&'a dyn BlobCache>,
    file_budget: Option<Duration>,
}

/// One unit of work: a blob of a repository, or a file on disk.
struct Item {
    path: String,
    commit: Option<ObjectId>,
    source: Source,
}

enum Source {
    Blob(ObjectId),
    File(std::path::PathBuf, u64),
}

/// Per-worker state: a blob reader, a reusable buffer and, for histories, the memo of clean
/// lines.
struct Worker {
    reader: Option<BlobReader>,
    buf: Vec<u8>,
    memo: Option<LineMemo>,
}

/// Line hashes remembered per worker in history scans (about 16 MiB each).
const MEMO_LINES: usize = 1 << 20;

impl<'a> Scanner<'a> {
    /// A scanner with `rules` and no path allowlist, progress or cancellation.
    pub fn new(rules: &'a RuleSet) -> Self {
        Scanner {
            rules,
            allowlist: None,
            progress: None,
            cancel: None,
            cache: None,
            file_budget: None,
        }
    }

    /// Findings in paths this allowlist matches are marked allowlisted.
    pub fn allowlist(mut self, allowlist: &'a PathAllowlist) -> Self {
        self.allowlist = Some(allowlist);
        self
    }

    /// Reports progress here.
    pub fn progress(mut self, progress: &'a dyn Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Stops with [`ScanError::Cancelled`] soon after `flag` turns true.
    pub fn cancel_flag(mut self, flag: &'a AtomicBool) -> Self {
        self.cancel = Some(flag);
        self
    }

    /// Reuses (and records) the outcomes of Git blobs by id.
    pub fn cache(mut self, cache: &'a dyn BlobCache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Gives each file at most `budget` of matching: a file still unfinished then keeps the
    /// findings of the lines scanned so far and is reported as skipped
    /// ([`SkipKind::TimedOut`]), so that one file cannot hold up a whole scan.
    pub fn file_budget(mut self, budget: Duration) -> Self {
        self.file_budget = Some(budget);
        self
    }

    /// Every file under `root` (symlinks not followed; `.git` directories skipped).
    pub fn scan_dir(&self, root: &Path) -> Result<Report, ScanError> {
        let mut items = Vec::new();
        // Anything but a directory is read as one file: a pipe such as `/dev/stdin` too.
        if !root.is_dir() {
            let len = root.metadata().map(|m| m.len()).unwrap_or(0);
            let name = root.file_name().map_or_else(
                || root.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            items.push(Item {
                path: name,
                commit: None,
                source: Source::File(root.to_path_buf(), len),
            });
        } else {
            let walker = walkdir::WalkDir::new(root)
                .follow_links(false)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| !(e.file_type().is_dir() && e.file_name() == ".git"));
            for entry in walker {
                let entry = entry.map_err(|e| ScanError::Io {
                    path: e
                        .path()
                        .map_or_else(|| root.display().to_string(), |p| p.display().to_string()),
                    message: e.to_string(),
                })?;
                if !entry.file_type().is_file() {
                    continue;
                }
                let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
                let path = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
                items.push(Item {
                    path,
                    commit: None,
                    source: Source::File(entry.into_path(), len),
                });
            }
        }
        self.run(items, None)
    }

    /// `data` as the content of one file named `path` (standard input, say).
    pub fn scan_data(&self, path: &str, data: &[u8]) -> Report {
        let outcome = if data.len() as u64 > self.rules.limits().max_file_size {
            Outcome::Skipped(SkipKind::TooLarge)
        } else {
            self.scan_bytes(data, None)
        };
        let mut report = Report::default();
        report.absorb(
            FileResult {
                path: path.to_string(),
                commit: None,
                blob: None,
                path_allowlisted: self.allowlist.is_some_and(|a| a.matches(path)),
                outcome,
            },
            self.rules,
        );
        report.finish();
        report
    }

    /// Every file of `commit`'s tree.
    pub fn scan_tree(&self, repo: &Repo, commit: ObjectId) -> Result<Report, ScanError> {
        let items = repo
            .tree_blobs(commit)?
            .into_iter()
            .map(|b| Item {
                path: b.path,
                commit: Some(commit),
                source: Source::Blob(b.id),
            })
            .collect();
        self.run(items, Some(repo))
    }

    /// Every unique blob reachable from `tips`, each scanned once and reported with the commit
    /// and path that introduced it.
    pub fn scan_history(&self, repo: &Repo, tips: &[ObjectId]) -> Result<Report, ScanError> {
        let mut blobs = repo.history_blobs(tips)?;
        // Versions of one file are usually stored as deltas of each other, the newest whole and
        // each older one a delta on a newer one, and the pack cache keeps the objects read last.
        // So each worker takes a contiguous run of paths and reads each path's versions newest
        // first: every read is then one delta on a cached object. (Oldest first, every read
        // re-inflated the whole chain: quadratic in its length.)
        blobs.reverse();
        blobs.sort_by(|a, b| a.path.cmp(&b.path));
        let items = blobs
            .into_iter()
            .map(|b| Item {
                path: b.path,
                commit: Some(b.commit),
                source: Source::Blob(b.id),
            })
            .collect();
        self.run_with(items, Some(repo), true)
    }

    fn run(&self, items: Vec<Item>, repo: Option<&Repo>) -> Result<Report, ScanError> {
        self.run_with(items, repo, false)
    }

    fn run_with(
        &self,
        items: Vec<Item>,
        repo: Option<&Repo>,
        memo: bool,
    ) -> Result<Report, ScanError> {
        if let Some(p) = self.progress {
            p.start(items.len() as u64);
        }
        if let Some(c) = self.cache {
            let blobs: Vec<ObjectId> = items
                .iter()
                .filter_map(|i| match i.source {
                    Source::Blob(id) => Some(id),
                    Source::File(..) => None,
                })
                .collect();
            c.prefetch(&blobs);
        }
        // Few, long jobs: each keeps its reader's caches (and memo) warm over a contiguous run
        // of inputs, and there are still enough of them to balance the cores.
        let min_len = (items.len() / (rayon::current_num_threads() * 8)).max(1);
        let results: Vec<Result<FileResult, ScanError>> = items
            .into_par_iter()
            .with_min_len(min_len)
            .map_init(
                || Worker {
                    reader: repo.map(Repo::reader),
                    buf: Vec::new(),
                    memo: memo.then(|| LineMemo::new(MEMO_LINES)),
                },
                |w, item| self.scan_item(w, item),
            )
            .collect();
        if let Some(c) = self.cache {
            c.flush();
        }
        let mut report = Report::default();
        for r in results {
            report.absorb(r?, self.rules);
        }
        report.finish();
        Ok(report)
    }

    fn scan_item(&self, w: &mut Worker, item: Item) -> Result<FileResult, ScanError> {
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(ScanError::Cancelled);
        }
        let max = self.rules.limits().max_file_size;
        let outcome = match &item.source {
            Source::File(path, len) => {
                if *len > max {
                    Outcome::Skipped(SkipKind::TooLarge)
                } else {
                    match std::fs::read(path) {
                        // A pipe's length is only known once read.
                        Ok(data) if data.len() as u64 > max => Outcome::Skipped(SkipKind::TooLarge),
                        Ok(data) => self.scan_bytes(&data, None),
                        Err(e) => Outcome::Skipped(SkipKind::Unreadable(e.to_string())),
                    }
                }
            }
            Source::Blob(id) => match self.cache.and_then(|c| c.get(id)) {
                Some(hit) => hit,
                None => {
                    let outcome = match self.scan_blob(w, *id) {
                        Ok(o) => o,
                        Err(e) => {
                            if let Some(c) = self.cache {
                                c.forget(id);
                            }
                            return Err(e);
                        }
                    };
                    if let Some(c) = self.cache {
                        match settled(&outcome) {
                            true => c.put(*id, &outcome),
                            false => c.forget(id),
                        }
                    }
                    outcome
                }
            },
        };
        self.finish_item(item, outcome)
    }

    fn scan_blob(&self, w: &mut Worker, id: ObjectId) -> Result<Outcome, ScanError> {
        let reader = w.reader.as_mut().expect("blob reader for repository input");
        if reader.size(id)? > self.rules.limits().max_file_size {
            return Ok(Outcome::Skipped(SkipKind::TooLarge));
        }
        reader.read_into(id, &mut w.buf)?;
        let outcome = self.scan_bytes(&w.buf, w.memo.as_mut());
        if w.buf.capacity() > 4 * 1024 * 1024 {
            w.buf = Vec::new(); // don't keep a large buffer per worker
        }
        Ok(outcome)
    }

    fn finish_item(&self, item: Item, outcome: Outcome) -> Result<FileResult, ScanError> {
        if let Some(p) = self.progress {
            let bytes = match &outcome {
                Outcome::Scanned { bytes, .. } => *bytes,
                Outcome::Skipped(_) => 0,
            };
            p.advance(1, bytes);
        }
        let path_allowlisted = self.allowlist.is_some_and(|a| a.matches(&item.path));
        Ok(FileResult {
            commit: item.commit.map(|c| c.to_string()),
            blob: match item.source {
                Source::Blob(id) => Some(id.to_string()),
                Source::File(..) => None,
            },
            path: item.path,
            path_allowlisted,
            outcome,
        })
    }

    fn scan_bytes(&self, data: &[u8], memo: Option<&mut LineMemo>) -> Outcome {
        let deadline = self.file_budget.map(|b| Instant::now() + b);
        let scan = match memo {
            Some(memo) => self.rules.scan_memo_until(data, memo, deadline),
            None => self.rules.scan_until(data, deadline),
        };
        outcome(scan, data.len())
    }
}

/// The outcome of a blob of `len` bytes scanned whole: what [`BlobCache`] keeps.
pub(crate) fn outcome(scan: keywarden_engine::BlobScan, len: usize) -> Outcome {
    match scan.skipped {
        Some(reason) => Outcome::Skipped(reason.into()),
        None => Outcome::Scanned {
            findings: scan.findings,
            bytes: len as u64,
            budget_exceeded: scan.budget_exceeded,
            timed_out: scan.timed_out,
        },
    }
}

/// Whether a blob's outcome says what the blob holds, so that it may be kept: neither a read
/// error nor a timed-out scan does.
pub(crate) fn settled(outcome: &Outcome) -> bool {
    !matches!(
        outcome,
        Outcome::Skipped(SkipKind::Unreadable(_))
            | Outcome::Scanned {
                timed_out: true,
                ..
            }
    )
}
