//! Bare repositories on disk, managed with the `git` program.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;

/// Errors of on-disk repository operations.
#[derive(Debug, thiserror::Error)]
pub enum DiskError {
    /// Spawning git or touching the file system failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// git exited with an error.
    #[error("git {what} failed: {stderr}")]
    Git {
        /// The git subcommand.
        what: String,
        /// git's error output.
        stderr: String,
    },
}

/// Environment variable: when set (and no push is in progress), `keywarden hook pre-receive`
/// prints `keywarden-hook-probe <value>` and exits 0, so the server can check that git runs it
/// (see [`crate::hook_install::probe`]). Never passed on to the server's own git commands.
pub const ENV_HOOK_PROBE: &str = "KEYWARDEN_HOOK_PROBE";

/// A `git` command with the options every server-side invocation carries: repositories are
/// owned by the server's user, but do not make git refuse them if that is not so.
pub fn git(program: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.arg("-c").arg("safe.directory=*");
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_CONFIG",
        "GIT_NAMESPACE",
        ENV_HOOK_PROBE,
    ] {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null()).kill_on_drop(true);
    cmd
}

async fn run(mut cmd: Command, what: &str) -> Result<Vec<u8>, DiskError> {
    let out = cmd.output().await.map_err(|source| DiskError::Io {
        what: format!("running git {what}"),
        source,
    })?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(DiskError::Git {
            what: what.into(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

/// Creates a bare repository at `path` whose `HEAD` names `default_branch`.
pub async fn create_bare(
    program: &Path,
    path: &Path,
    default_branch: &str,
) -> Result<(), DiskError> {
    let mut cmd = git(program);
    cmd.args(["init", "--bare", "--quiet"])
        .arg(format!("--initial-branch={default_branch}"))
        .arg(path);
    run(cmd, "init").await?;
    Ok(())
}

/// Removes a repository directory: first renamed aside (atomic), then deleted.
pub async fn remove(path: &Path) -> Result<(), DiskError> {
    if !path.exists() {
        return Ok(());
    }
    let trash: PathBuf =
        path.with_extension(format!("deleted-{}", crate::credentials::random_hex(4)));
    tokio::fs::rename(path, &trash)
        .await
        .map_err(|source| DiskError::Io {
            what: format!("moving {} aside", path.display()),
            source,
        })?;
    tokio::fs::remove_dir_all(&trash)
        .await
        .map_err(|source| DiskError::Io {
            what: format!("removing {}", trash.display()),
            source,
        })
}

/// The branches of a repository: `(name, commit id)` sorted by name.
pub async fn branches(program: &Path, path: &Path) -> Result<Vec<(String, String)>, DiskError> {
    let mut cmd = git(program);
    cmd.arg("--git-dir").arg(path).args([
        "for-each-ref",
        "--format=%(refname:lstrip=2)%00%(objectname)",
        "refs/heads",
    ]);
    let out = run(cmd, "for-each-ref").await?;
    let text = String::from_utf8_lossy(&out);
    let mut list: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.split_once('\0'))
        .map(|(n, c)| (n.to_string(), c.to_string()))
        .collect();
    list.sort();
    Ok(list)
}
