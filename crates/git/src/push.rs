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
//!
//! Diffs are read with `--text`, so git's own binary guess (which also looks at the old version)
//! never hides a file: each file comes with the first bytes of its new content
//! ([`AddedFile::head`]) for the scanner to apply the engine's one binary rule. A
//! [cancel flag](PushReader::cancel_flag) stops every loop here within a line of git's output and
//! kills the git process it was reading.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::ObjectId;
use crate::cat_file::CatFile;
use crate::error::GitError;

/// One ref update as the pre-receive hook receives it (a line `<old> <new> <ref>`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RefUpdate {
    /// The old value (all zeros when the ref is created).
    pub old: String,
    /// The new value (all zeros when the ref is deleted).
    pub new: String,
    /// The full ref name.
    pub name: String,
}

impl RefUpdate {
    /// Whether the update deletes the ref (its new id is all zeros).
    pub fn is_delete(&self) -> bool {
        is_zero(&self.new)
    }

    /// Whether the update creates the ref (its old id is all zeros).
    pub fn is_create(&self) -> bool {
        is_zero(&self.old)
    }
}

/// Whether `id` is the null object id (all zeros, of either hash length).
fn is_zero(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b == b'0')
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
    /// The added lines, each with its line number in the commit's version of the file. Lines
    /// past [`PushReader::max_added_bytes`] are counted in `added_bytes` but not kept.
    pub lines: Vec<(u32, Vec<u8>)>,
    /// The first [`PushReader::head_len`] bytes of the file's content in the commit (empty when
    /// the commit adds no line to it), for the binary rule.
    pub head: Vec<u8>,
    /// Bytes of the added lines, each with its line terminator.
    pub added_bytes: u64,
    /// The file's object id in the commit, from the diff's `index` line.
    pub blob: Option<ObjectId>,
    /// The commit creates the file and [`AddedFile::lines`] hold all of it.
    pub whole: bool,
    /// The last line has no line terminator (`\ No newline at end of file`).
    pub unterminated: bool,
}

impl AddedFile {
    /// The file's content rebuilt from its lines, when they are all of it
    /// ([`AddedFile::whole`]) and only if the rebuilt bytes hash to [`AddedFile::blob`]: then
    /// they are the object's exact bytes. `None` also when `cancel` was raised while hashing.
    pub fn content(&self, cancel: &AtomicBool) -> Option<Vec<u8>> {
        if !self.whole {
            return None;
        }
        let blob = self.blob?;
        let mut data = Vec::with_capacity(self.added_bytes as usize);
        for (_, line) in &self.lines {
            data.extend_from_slice(line);
            data.push(b'\n');
        }
        if self.unterminated {
            data.pop();
        }
        let id = gix::objs::compute_stream_hash(
            blob.kind(),
            gix::objs::Kind::Blob,
            &mut data.as_slice(),
            data.len() as u64,
            &mut gix::progress::Discard,
            cancel,
        )
        .ok()?;
        (id == blob).then_some(data)
    }
}

/// Reads pushed ranges from one repository, with an environment (the receive quarantine).
#[derive(Debug)]
pub struct PushReader {
    git_dir: PathBuf,
    env: Vec<(OsString, OsString)>,
    program: PathBuf,
    cancel: Arc<AtomicBool>,
    head_len: usize,
    max_added_bytes: u64,
    /// Started on first use; one per reader.
    objects: Mutex<Option<CatFile>>,
}

impl std::fmt::Debug for CatFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CatFile")
    }
}

impl PushReader {
    /// A reader of the repository at `git_dir`, running git with `env` added.
    pub fn new(git_dir: &Path, env: Vec<(OsString, OsString)>) -> Self {
        PushReader {
            git_dir: git_dir.to_path_buf(),
            env,
            program: PathBuf::from("git"),
            cancel: Arc::new(AtomicBool::new(false)),
            head_len: 8 * 1024,
            max_added_bytes: 10 * 1024 * 1024,
            objects: Mutex::new(None),
        }
    }

    /// A reader of the repository holding `path` (a work tree, a directory in it, or a bare
    /// repository), found as git finds it.
    pub fn discover(path: &Path) -> Result<Self, GitError> {
        let out = Command::new("git")
            .arg("-C")
            .arg(path)
            .args(["rev-parse", "--absolute-git-dir"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| GitError::Other(format!("running git rev-parse: {e}")))?;
        if !out.status.success() {
            return Err(GitError::Other(format!(
                "{} is not in a git repository: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let git_dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Ok(PushReader::new(Path::new(&git_dir), Vec::new()))
    }

    /// Runs this `git` program instead of the one on `PATH`.
    pub fn program(mut self, program: &Path) -> Self {
        self.program = program.to_path_buf();
        self
    }

    /// Stops reading (with [`GitError::Cancelled`]) once `flag` is set, killing the git
    /// process being read.
    pub fn cancel_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.cancel = flag;
        self
    }

    /// How many leading bytes of each file [`AddedFile::head`] holds (default 8 KiB), and how
    /// many bytes of added lines per file are kept (default 10 MiB; the rest only counted).
    pub fn file_limits(mut self, head_len: usize, max_added_bytes: u64) -> Self {
        self.head_len = head_len;
        self.max_added_bytes = max_added_bytes;
        self
    }

    /// The head length in force (see [`PushReader::file_limits`]).
    pub fn head_len(&self) -> usize {
        self.head_len
    }

    /// The added bytes kept per file (see [`PushReader::file_limits`]).
    pub fn max_added_bytes(&self) -> u64 {
        self.max_added_bytes
    }

    fn cancelled(&self) -> Result<(), GitError> {
        match self.cancel.load(Ordering::Relaxed) {
            true => Err(GitError::Cancelled),
            false => Ok(()),
        }
    }

    /// Reads an object (at most `limit` bytes of it) through the long-running `cat-file`.
    fn object(&self, id: &str, limit: u64) -> Result<Option<crate::cat_file::RawObject>, GitError> {
        let mut objects = self.objects.lock().unwrap_or_else(|e| e.into_inner());
        if objects.is_none() {
            *objects = Some(CatFile::start(self.git())?);
        }
        objects.as_mut().expect("started").read(id, limit)
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
        self.rev_list(&news, &["--all"])
    }

    /// The commits reachable from `tip` and not from `base` (`git rev-list base..tip`), parents
    /// before children, merges included: what a pull request from `base` to `tip` adds. Both
    /// are revisions (branch, tag, id, `HEAD~3`) resolved to commits first.
    pub fn range_commits(&self, base: &str, tip: &str) -> Result<Vec<PushedCommit>, GitError> {
        let base = self.resolve_commit(base)?;
        let tip = self.resolve_commit(tip)?;
        self.rev_list(&[tip.as_str()], &[base.as_str()])
    }

    /// The commit id `rev` names; an error naming `rev` when it names none.
    pub fn resolve_commit(&self, rev: &str) -> Result<String, GitError> {
        let spec = format!("{rev}^{{commit}}");
        let out = self
            .git()
            .args([
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                &spec,
            ])
            .output()
            .map_err(|e| GitError::Other(format!("running git rev-parse: {e}")))?;
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !out.status.success() || id.is_empty() {
            return Err(GitError::Other(format!("{rev:?} names no commit")));
        }
        Ok(id)
    }

    /// `git rev-list` of `tips` not reachable from `not` (ids, or `--all`), read as commits.
    fn rev_list(&self, tips: &[&str], not: &[&str]) -> Result<Vec<PushedCommit>, GitError> {
        if tips.is_empty() {
            return Ok(Vec::new());
        }
        let mut args = vec!["rev-list", "--reverse", "--topo-order", "--parents"];
        args.extend(tips.iter().copied());
        args.push("--not");
        args.extend(not.iter().copied());
        let out = self.output(&args)?;
        let mut commits = Vec::new();
        for line in String::from_utf8_lossy(&out).lines() {
            self.cancelled()?;
            let mut ids = line.split_whitespace().map(str::to_string);
            let Some(id) = ids.next() else { continue };
            let parents = ids.collect();
            let raw = self
                .object(&id, u64::MAX)?
                .filter(|o| o.kind == "commit")
                .ok_or_else(|| GitError::object(&id, "not a commit in the repository"))?;
            commits.push(PushedCommit {
                message: commit_message(&raw.data),
                id,
                parents,
            });
        }
        Ok(commits)
    }

    /// The content of `path` as `commit` has it, when it is a file of at most `limit` bytes;
    /// with `commit` empty, as the index has it.
    pub fn file_content(
        &self,
        commit: &str,
        path: &str,
        limit: u64,
    ) -> Result<Option<Vec<u8>>, GitError> {
        if path.contains('\n') {
            return Ok(None);
        }
        Ok(self
            .object(&format!("{commit}:{path}"), limit)?
            .filter(|o| o.kind == "blob" && o.size <= limit)
            .map(|o| o.data))
    }

    /// The first [`PushReader::head_len`] bytes of a file as the commit has it: from the diff
    /// when the commit creates the file (its lines are all added), else from the object.
    fn head(&self, file: &ParsedFile) -> Result<Vec<u8>, GitError> {
        let limit = self.head_len;
        if file.added.lines.is_empty() {
            return Ok(Vec::new());
        }
        if file.created && file.added.added_bytes <= self.max_added_bytes {
            let mut head = Vec::with_capacity(limit);
            for (_, line) in &file.added.lines {
                if head.len() >= limit {
                    break;
                }
                head.extend_from_slice(line);
                head.push(b'\n');
            }
            head.truncate(limit);
            return Ok(head);
        }
        match &file.blob {
            Some(id) => Ok(self
                .object(id, limit as u64)?
                .map(|o| o.data)
                .unwrap_or_default()),
            None => Err(GitError::Other(format!(
                "git diff-tree gave no object id for {}",
                file.added.path
            ))),
        }
    }

    /// Calls `f` with the lines `commit` adds, file by file (see the module docs for merges):
    /// [`PushReader::commits_added_lines`] of one commit.
    pub fn added_lines(
        &self,
        commit: &PushedCommit,
        mut f: impl FnMut(AddedFile),
    ) -> Result<(), GitError> {
        self.commits_added_lines(std::slice::from_ref(commit), |_, file| f(file))
    }

    /// Calls `f(i, file)` with the lines `commits[i]` adds, file by file, commit after commit
    /// in the order given (see the module docs for merges). One `git diff-tree --stdin` process
    /// reads every commit's diff, so a range of a thousand commits starts git once, not a
    /// thousand times.
    pub fn commits_added_lines(
        &self,
        commits: &[PushedCommit],
        f: impl FnMut(usize, AddedFile),
    ) -> Result<(), GitError> {
        if commits.is_empty() {
            return Ok(());
        }
        let mut cmd = self.git();
        // `--always`: every commit's id line comes out, an empty diff's too, and starts its
        // diff. `--root` diffs a root commit against the empty tree, `--cc` a merge against all
        // of its parents (combined); an ordinary commit is diffed against its first parent.
        cmd.args(["diff-tree", "--stdin", "--always", "-r", "--root", "--cc"])
            .args(DIFF_ARGS)
            .stdin(Stdio::piped());
        let ids: String = commits.iter().map(|c| format!("{}\n", c.id)).collect();
        self.read_diff(cmd, Some(ids), Some(commits), "git diff-tree --stdin", f)
    }

    /// Calls `f` with the lines the index adds to `HEAD` (to the empty tree when there is no
    /// `HEAD` commit yet), file by file: what `git commit` is about to record. The content of a
    /// staged file is at the revision `:path` ([`PushReader::file_content`] with commit `""`).
    pub fn staged_lines(&self, mut f: impl FnMut(AddedFile)) -> Result<(), GitError> {
        let base = match self.resolve_commit("HEAD") {
            Ok(head) => head,
            Err(_) => self.empty_tree()?,
        };
        let mut cmd = self.git();
        cmd.args(["diff-index", "--cached"]).args(DIFF_ARGS);
        cmd.arg(&base);
        self.read_diff(cmd, None, None, "git diff-index --cached", |_, file| {
            f(file)
        })
    }

    /// The id of the empty tree in the repository's hash.
    fn empty_tree(&self) -> Result<String, GitError> {
        let out = self.output(&["hash-object", "-t", "tree", "/dev/null"])?;
        Ok(String::from_utf8_lossy(&out).trim().to_string())
    }

    /// Runs a diff command, writing `input` to its stdin, and passes its files to `f`: with
    /// `commits`, the output is theirs one after the other, each starting with its id line, and
    /// `f` is given the commit's index; without, it is one plain diff (index 0).
    fn read_diff(
        &self,
        mut cmd: Command,
        input: Option<String>,
        commits: Option<&[PushedCommit]>,
        what: &str,
        mut f: impl FnMut(usize, AddedFile),
    ) -> Result<(), GitError> {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| GitError::Other(format!("running {what}: {e}")))?;
        // Written from a thread: git writes its output while it still reads its input.
        let writer = match (input, child.stdin.take()) {
            (Some(input), Some(mut stdin)) => Some(std::thread::spawn(move || {
                use std::io::Write;
                // A git that stopped early (killed on cancel) closes the pipe: not an error here.
                let _ = stdin.write_all(input.as_bytes());
            })),
            _ => None,
        };
        let stdout = child.stdout.take().expect("piped stdout");
        let mut failed = None;
        let parse = parse_stream(
            BufReader::new(stdout),
            commits,
            self.max_added_bytes,
            &self.cancel,
            &mut |i, parsed: ParsedFile| {
                if failed.is_some() {
                    return;
                }
                match self.head(&parsed) {
                    Ok(head) => {
                        let whole = parsed.created && parsed.plain && !parsed.cut;
                        f(
                            i,
                            AddedFile {
                                head,
                                whole,
                                ..parsed.added
                            },
                        )
                    }
                    Err(e) => failed = Some(e),
                }
            },
        );
        if parse.is_err() {
            let _ = child.kill();
        }
        let out = child
            .wait_with_output()
            .map_err(|e| GitError::Other(format!("{what}: {e}")))?;
        if let Some(w) = writer {
            let _ = w.join();
        }
        parse?;
        if let Some(e) = failed {
            return Err(e);
        }
        if !out.status.success() {
            return Err(GitError::Other(format!(
                "{what} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(())
    }
}

/// The options of every diff read here: added lines only, as text, with full blob ids.
const DIFF_ARGS: &[&str] = &[
    "-p",
    "-U0",
    "--text",
    "--full-index",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-renames",
];

/// The message of a raw commit object: what follows the first empty line, without trailing
/// whitespace.
fn commit_message(raw: &[u8]) -> String {
    let body = raw
        .windows(2)
        .position(|w| w == b"\n\n")
        .map_or(&raw[raw.len()..], |i| &raw[i + 2..]);
    String::from_utf8_lossy(body).trim_end().to_string()
}

/// A file of the diff as parsed, before its head is read.
struct ParsedFile {
    added: AddedFile,
    /// The new object id from the `index` line.
    blob: Option<String>,
    /// The commit creates the file (`new file mode`): every line of it is added.
    created: bool,
    /// The diff has one parent column (not a merge's combined diff).
    plain: bool,
    /// Added lines were left out ([`PushReader::max_added_bytes`]).
    cut: bool,
}

/// Parses a diff stream: with `commits`, `diff-tree --stdin --always` output, where a line
/// that is the next commit's id starts that commit's diff (no diff line can be one: each
/// starts with a keyword, a marker column or `@@`), with as many marker columns as the commit
/// has parents; without, one plain diff. Calls `f` with each file and its commit's index.
/// Checks `cancel` at every line.
fn parse_stream(
    mut r: impl BufRead,
    commits: Option<&[PushedCommit]>,
    max_bytes: u64,
    cancel: &AtomicBool,
    f: &mut impl FnMut(usize, ParsedFile),
) -> Result<(), GitError> {
    let mut current = match commits {
        None => Some((0, DiffParser::new(1, max_bytes))),
        Some(_) => None,
    };
    let mut next = 0;
    let mut buf = Vec::new();
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(GitError::Cancelled);
        }
        buf.clear();
        let n = r
            .read_until(b'\n', &mut buf)
            .map_err(|e| GitError::Other(format!("reading git diff-tree: {e}")))?;
        if n == 0 {
            break;
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        if let Some(commit) = commits.and_then(|c| c.get(next))
            && line == commit.id.as_bytes()
        {
            if let Some((i, parser)) = current.take() {
                parser.finish(&mut |file| f(i, file));
            }
            current = Some((next, DiffParser::new(commit.parents.len(), max_bytes)));
            next += 1;
            continue;
        }
        if let Some((i, parser)) = current.as_mut() {
            let i = *i;
            parser.line(line, &mut |file| f(i, file))?;
        }
    }
    if let Some((i, parser)) = current.take() {
        parser.finish(&mut |file| f(i, file));
    }
    if let Some(missing) = commits.and_then(|c| c.get(next)) {
        return Err(GitError::Other(format!(
            "git diff-tree gave no diff for commit {}",
            missing.id
        )));
    }
    Ok(())
}

/// Parses the `-p -U0 --full-index` diff of one commit (plain, or combined with one marker
/// column per parent) line by line; at most `max_bytes` of added lines are kept per file.
struct DiffParser {
    parents: usize,
    hunk_marker: Vec<u8>,
    max_bytes: u64,
    file: Option<ParsedFile>,
    next_line: u32,
    /// The last content line was an added one.
    last_added: bool,
}

impl DiffParser {
    /// A parser for a commit with `parents` parents (a root commit: 1 column, like one parent).
    fn new(parents: usize, max_bytes: u64) -> Self {
        let parents = parents.max(1);
        DiffParser {
            parents,
            hunk_marker: vec![b'@'; parents + 1],
            max_bytes,
            file: None,
            next_line: 0,
            last_added: false,
        }
    }

    /// One line of the diff, without its newline; a finished file goes to `f`.
    fn line(&mut self, line: &[u8], f: &mut impl FnMut(ParsedFile)) -> Result<(), GitError> {
        if line.starts_with(b"diff --git ")
            || line.starts_with(b"diff --cc ")
            || line.starts_with(b"diff --combined ")
        {
            if let Some(done) = self.file.take() {
                emit(done, f);
            }
            self.file = Some(ParsedFile {
                added: AddedFile {
                    path: String::new(),
                    lines: Vec::new(),
                    head: Vec::new(),
                    added_bytes: 0,
                    blob: None,
                    whole: false,
                    unterminated: false,
                },
                blob: None,
                created: false,
                plain: self.parents == 1,
                cut: false,
            });
            return Ok(());
        }
        let Some(cur) = self.file.as_mut() else {
            return Ok(());
        };
        if cur.added.path.is_empty() {
            // Header lines (mode, index, ---) before +++.
            if line.starts_with(b"new file mode ") {
                cur.created = true;
            } else if let Some(ids) = line.strip_prefix(b"index ") {
                let ids = String::from_utf8_lossy(ids);
                let ids = ids.split_whitespace().next().unwrap_or("");
                cur.blob = ids.rsplit("..").next().map(str::to_string);
                cur.added.blob = cur
                    .blob
                    .as_deref()
                    .and_then(|h| ObjectId::from_hex(h.as_bytes()).ok())
                    .filter(|id| !id.is_null());
            } else if let Some(path) = line.strip_prefix(b"+++ ") {
                let path = String::from_utf8_lossy(path);
                let path = unquote(&path);
                cur.added.path = path.strip_prefix("b/").unwrap_or(&path).to_string();
            }
            return Ok(());
        }
        if line.starts_with(&self.hunk_marker) {
            // The last range (`+start[,count]`) is the result's.
            let text = String::from_utf8_lossy(line);
            let plus = text
                .split_whitespace()
                .skip(1)
                .find(|t| t.starts_with('+'))
                .ok_or_else(|| GitError::Other(format!("unexpected hunk header: {text}")))?;
            let start = plus[1..].split(',').next().unwrap_or("0");
            self.next_line = start
                .parse()
                .map_err(|_| GitError::Other(format!("unexpected hunk header: {text}")))?;
            return Ok(());
        }
        if line.len() < self.parents {
            return Ok(());
        }
        let (marks, content) = line.split_at(self.parents);
        if marks.starts_with(b"\\") {
            // "\ No newline at end of file", of the line before.
            cur.added.unterminated = self.last_added;
            return Ok(());
        }
        self.last_added = false;
        if marks.contains(&b'-') {
            return Ok(()); // removed from the result
        }
        if marks.iter().all(|&m| m == b'+') {
            self.last_added = true;
            let added = &mut cur.added;
            added.added_bytes += content.len() as u64 + 1;
            if added.added_bytes <= self.max_bytes {
                added.lines.push((self.next_line, content.to_vec()));
            } else {
                cur.cut = true;
            }
        }
        if marks.iter().all(|&m| m == b'+' || m == b' ') {
            self.next_line += 1;
        }
        Ok(())
    }

    /// The end of the commit's diff: its last file goes to `f`.
    fn finish(mut self, f: &mut impl FnMut(ParsedFile)) {
        if let Some(done) = self.file.take() {
            emit(done, f);
        }
    }
}

/// Passes a file on, unless it was deleted (nothing of it is in the commit).
fn emit(file: ParsedFile, f: &mut impl FnMut(ParsedFile)) {
    if file.added.path != "/dev/null" && !file.added.path.is_empty() {
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
