//! One long-running `git cat-file --batch` process: objects by id, each answer framed by its
//! size, so no object content (a commit message, say) can be mistaken for the framing.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use crate::error::GitError;

/// An object read by [`CatFile::read`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawObject {
    /// `blob`, `commit`, `tree` or `tag`.
    pub kind: String,
    /// The object's size in bytes.
    pub size: u64,
    /// The first bytes of its content: all of it, or at most the `limit` given to
    /// [`CatFile::read`].
    pub data: Vec<u8>,
}

/// A `git cat-file --batch` child; killed when dropped.
pub(crate) struct CatFile {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl CatFile {
    /// Starts `cmd` (a `git` command with the repository and environment set) as
    /// `cat-file --batch`.
    pub(crate) fn start(mut cmd: Command) -> Result<Self, GitError> {
        let mut child = cmd
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| GitError::Other(format!("running git cat-file: {e}")))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        Ok(CatFile {
            child,
            stdin,
            stdout,
        })
    }

    /// Reads object `id`, keeping at most `limit` bytes of its content (the rest is read and
    /// dropped). `None` when the repository does not have it (a submodule's commit, say).
    pub(crate) fn read(&mut self, id: &str, limit: u64) -> Result<Option<RawObject>, GitError> {
        let broken = |e: std::io::Error| GitError::Other(format!("git cat-file: {e}"));
        writeln!(self.stdin, "{id}")
            .and_then(|_| self.stdin.flush())
            .map_err(broken)?;
        let mut header = String::new();
        self.stdout.read_line(&mut header).map_err(broken)?;
        let header = header.trim_end();
        if header.ends_with(" missing") || header.ends_with(" ambiguous") {
            return Ok(None);
        }
        let mut fields = header.split(' ');
        let (Some(_), Some(kind), Some(size)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(GitError::Other(format!(
                "git cat-file: unexpected answer {header:?}"
            )));
        };
        let size: u64 = size
            .parse()
            .map_err(|_| GitError::Other(format!("git cat-file: unexpected answer {header:?}")))?;
        let mut data = Vec::new();
        (&mut self.stdout)
            .take(size.min(limit))
            .read_to_end(&mut data)
            .map_err(broken)?;
        // The rest of the content, and the newline that ends every answer.
        let rest = size - data.len() as u64 + 1;
        std::io::copy(&mut (&mut self.stdout).take(rest), &mut std::io::sink()).map_err(broken)?;
        Ok(Some(RawObject {
            kind: kind.to_string(),
            size,
            data,
        }))
    }
}

impl Drop for CatFile {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
