//! What a push adds: the commits it makes newly reachable, and the lines each commit adds.
//!
//! Read with the `git` CLI, because only git reads the receive quarantine (the objects of a push
//! that the pre-receive hook has not yet accepted) out of the box: the caller passes the
//! quarantine environment (`GIT_OBJECT_DIRECTORY`, `GIT_ALTERNATE_OBJECT_DIRECTORIES`,
//! `GIT_QUARANTINE_PATH`) and every command here runs with it.
//!
//! Semantics (SPEC 5): every commit reachable from a pushed new value and from no existing ref
//! (`git rev-list <new>... --not --all`), each on its own: for an ordinary commit the lines it
//! adds against its first parent (or all lines of a root commit); for a merge, the lines of the
//! result found in none of its parents (a combined diff's lines marked `+` for every parent).

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::GitError;

/// The all-zero id git uses for a ref that does not exist (created or deleted refs).
const ZERO: &str = "0000000000000000000000000000000000000000";

/// One ref update as the pre-receive hook receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    /// The old value (all zeros when the ref is created).
    pub old: String,
    /// The new value (all zeros when the ref is deleted).
    pub new: String,
    /// The full ref name.
    pub name: String,
}

impl RefUpdate {
    /// Whether the update deletes the ref.
    pub fn is_delete(&self) -> bool {
        self.new == ZERO
    }
}

/// A pushed commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedCommit {
    /// Its id.
    pub id: String,
    /// Its parents' ids.
    pub parents: Vec<String>,
    /// Its full message.
    pub message: String,
}

/// The lines one commit adds to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedFile {
    /// Repository-relative path in the commit.
    pub path: String,
    /// The added lines, each with its line number in the commit's version of the file.
    pub lines: Vec<(u32, Vec<u8>)>,
    /// Git sees the file as binary (no lines are listed).
    pub binary: bool,
}

/// Reads pushed ranges from one repository, with an environment (the receive quarantine).
#[derive(Debug, Clone)]
pub struct PushReader {
    git_dir: PathBuf,
    env: Vec<(OsString, OsString)>,
    program: PathBuf,
}

impl PushReader {
    /// A reader of the repository at `git_dir`, running git with `env` added.
    pub fn new(git_dir: &Path, env: Vec<(OsString, OsString)>) -> Self {
        PushReader {
            git_dir: git_dir.to_path_buf(),
            env,
            program: PathBuf::from("git"),
        }
    }

    /// Runs this `git` program instead of the one on `PATH`.
    pub fn program(mut self, program: &Path) -> Self {
        self.program = program.to_path_buf();
        self
    }

    fn git(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.arg("--git-dir")
            .arg(&self.git_dir)
            .args(["-c", "core.quotePath=false", "-c", "diff.noprefix=false"])
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        cmd
    }

    fn output(&self, args: &[&str]) -> Result<Vec<u8>, GitError> {
        let out = self
            .git()
            .args(args)
            .output()
            .map_err(|e| GitError::Other(format!("running git {}: {e}", args.join(" "))))?;
        if !out.status.success() {
            return Err(GitError::Other(format!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(out.stdout)
    }

    /// The commits the updates make newly reachable, parents before children. Deleted refs and
    /// refs moved to commits that are already reachable contribute nothing.
    pub fn new_commits(&self, updates: &[RefUpdate]) -> Result<Vec<PushedCommit>, GitError> {
        let news: Vec<&str> = updates
            .iter()
            .filter(|u| !u.is_delete())
            .map(|u| u.new.as_str())
            .collect();
        if news.is_empty() {
            return Ok(Vec::new());
        }
        let mut args = vec!["rev-list", "--reverse", "--topo-order", "--parents"];
        args.extend(news.iter().copied());
        args.extend(["--not", "--all"]);
        let out = self.output(&args)?;
        let mut commits = Vec::new();
        for line in String::from_utf8_lossy(&out).lines() {
            let mut ids = line.split_whitespace().map(str::to_string);
            let Some(id) = ids.next() else { continue };
            let parents = ids.collect();
            let message =
                String::from_utf8_lossy(&self.output(&["log", "-1", "--format=%B", &id])?)
                    .trim_end()
                    .to_string();
            commits.push(PushedCommit {
                id,
                parents,
                message,
            });
        }
        Ok(commits)
    }

    /// Calls `f` with the lines `commit` adds, file by file (see the module docs for merges).
    pub fn added_lines(
        &self,
        commit: &PushedCommit,
        mut f: impl FnMut(AddedFile),
    ) -> Result<(), GitError> {
        let merge = commit.parents.len() > 1;
        let mut cmd = self.git();
        cmd.args([
            "diff-tree",
            "-p",
            "-U0",
            "--no-color",
            "--no-ext-diff",
            "--no-renames",
            "-r",
        ]);
        if merge {
            cmd.arg("--cc");
        } else {
            cmd.arg("--root");
        }
        cmd.arg(&commit.id)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| GitError::Other(format!("running git diff-tree: {e}")))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let parents = if merge { commit.parents.len() } else { 1 };
        let parse = parse_diff(BufReader::new(stdout), parents, &mut f);
        let out = child
            .wait_with_output()
            .map_err(|e| GitError::Other(format!("git diff-tree: {e}")))?;
        if !out.status.success() {
            return Err(GitError::Other(format!(
                "git diff-tree {} failed: {}",
                commit.id,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        parse
    }
}

/// Parses `diff-tree -p -U0` output (plain, or combined with `parents` columns).
fn parse_diff(
    mut r: impl BufRead,
    parents: usize,
    f: &mut impl FnMut(AddedFile),
) -> Result<(), GitError> {
    let mut file: Option<AddedFile> = None;
    let mut next_line = 0u32;
    let mut buf = Vec::new();
    let hunk_marker = "@".repeat(parents + 1);
    loop {
        buf.clear();
        let n = r
            .read_until(b'\n', &mut buf)
            .map_err(|e| GitError::Other(format!("reading git diff-tree: {e}")))?;
        if n == 0 {
            break;
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        if line.starts_with(b"diff --git ")
            || line.starts_with(b"diff --cc ")
            || line.starts_with(b"diff --combined ")
        {
            if let Some(done) = file.take() {
                emit(done, f);
            }
            file = Some(AddedFile {
                path: String::new(),
                lines: Vec::new(),
                binary: false,
            });
            continue;
        }
        let Some(cur) = file.as_mut() else { continue };
        if let Some(path) = line.strip_prefix(b"+++ ") {
            let path = String::from_utf8_lossy(path);
            let path = unquote(&path);
            cur.path = path.strip_prefix("b/").unwrap_or(&path).to_string();
            continue;
        }
        if line.starts_with(b"Binary files ") {
            cur.binary = true;
            if cur.path.is_empty() {
                // "Binary files /dev/null and b/path differ"
                let text = String::from_utf8_lossy(line);
                if let Some(p) = text.rsplit(" and ").next() {
                    let p = p.trim_end_matches(" differ");
                    cur.path = unquote(p).trim_start_matches("b/").to_string();
                }
            }
            continue;
        }
        if line.starts_with(hunk_marker.as_bytes()) {
            // The last range (`+start[,count]`) is the result's.
            let text = String::from_utf8_lossy(line);
            let plus = text
                .split_whitespace()
                .skip(1)
                .find(|t| t.starts_with('+'))
                .ok_or_else(|| GitError::Other(format!("unexpected hunk header: {text}")))?;
            let start = plus[1..].split(',').next().unwrap_or("0");
            next_line = start
                .parse()
                .map_err(|_| GitError::Other(format!("unexpected hunk header: {text}")))?;
            continue;
        }
        if line.len() >= parents && cur.path.is_empty() {
            continue; // header lines (index, mode, ---) before +++
        }
        if line.len() < parents {
            continue;
        }
        let (marks, content) = line.split_at(parents);
        if marks.contains(&b'-') || marks.starts_with(b"\\") {
            continue; // removed from the result, or "\ No newline at end of file"
        }
        if marks.iter().all(|&m| m == b'+') {
            cur.lines.push((next_line, content.to_vec()));
        }
        if marks.iter().all(|&m| m == b'+' || m == b' ') {
            next_line += 1;
        }
    }
    if let Some(done) = file.take() {
        emit(done, f);
    }
    Ok(())
}

/// Passes a file on, unless it was deleted (nothing of it is in the commit).
fn emit(file: AddedFile, f: &mut impl FnMut(AddedFile)) {
    if file.path != "/dev/null" && !file.path.is_empty() {
        f(file);
    }
}

/// Undoes git's C-style quoting of unusual path names (`"a\tb"`).
fn unquote(s: &str) -> String {
    let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return s.to_string();
    };
    let mut out = Vec::new();
    let mut bytes = inner.bytes();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'"') => out.push(b'"'),
            Some(b'\\') => out.push(b'\\'),
            Some(d @ b'0'..=b'7') => {
                let mut v = u32::from(d - b'0');
                for _ in 0..2 {
                    if let Some(d) = bytes.next() {
                        v = v * 8 + u32::from(d.wrapping_sub(b'0'));
                    }
                }
                out.push(v as u8);
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
