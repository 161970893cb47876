//! Pushes while their objects are in quarantine: what is known about one ([`PushContext`]),
//! the [`PushPolicy`] that accepts or refuses it, and the security hook's policy
//! ([`SecretScanPolicy`]).

mod policy;

use std::path::PathBuf;

use async_trait::async_trait;
use keywarden_git::RefUpdate;
use keywarden_scanner::Verdict;
use keywarden_store::{Project, Repository, User};
use serde::{Deserialize, Serialize};

use crate::Core;

pub use policy::SecretScanPolicy;

/// The quarantine environment git gives the hook; the server's own git commands need it to
/// see the pushed objects before they are accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuarantineEnv {
    /// `GIT_OBJECT_DIRECTORY`.
    pub object_directory: Option<String>,
    /// `GIT_ALTERNATE_OBJECT_DIRECTORIES`.
    pub alternate_object_directories: Option<String>,
    /// `GIT_QUARANTINE_PATH`.
    pub quarantine_path: Option<String>,
}

impl QuarantineEnv {
    /// Reads the variables from this process's environment (in the hook).
    pub fn from_env() -> Self {
        Self {
            object_directory: std::env::var("GIT_OBJECT_DIRECTORY").ok(),
            alternate_object_directories: std::env::var("GIT_ALTERNATE_OBJECT_DIRECTORIES").ok(),
            quarantine_path: std::env::var("GIT_QUARANTINE_PATH").ok(),
        }
    }

    /// Sets the variables on a command.
    pub fn apply(&self, cmd: &mut tokio::process::Command) {
        let vars = [
            ("GIT_OBJECT_DIRECTORY", &self.object_directory),
            (
                "GIT_ALTERNATE_OBJECT_DIRECTORIES",
                &self.alternate_object_directories,
            ),
            ("GIT_QUARANTINE_PATH", &self.quarantine_path),
        ];
        for (name, value) in vars {
            if let Some(v) = value {
                cmd.env(name, v);
            }
        }
    }
}

/// Everything known about a push while its objects are in quarantine.
#[derive(Debug, Clone)]
pub struct PushContext {
    /// The repository's project.
    pub project: Project,
    /// The repository.
    pub repository: Repository,
    /// Who pushes.
    pub pusher: User,
    /// The bare repository on disk.
    pub repository_path: PathBuf,
    /// The `git` program.
    pub git_program: PathBuf,
    /// The ref updates.
    pub updates: Vec<RefUpdate>,
    /// Where the pushed objects are.
    pub quarantine: QuarantineEnv,
    /// `git push -o` values.
    pub push_options: Vec<String>,
}

impl PushContext {
    /// A `git --git-dir=<repository>` command that sees the quarantined objects
    /// (e.g. `.args(["rev-list", new, "--not", "--all"])`).
    pub fn git(&self) -> tokio::process::Command {
        let mut cmd = crate::disk::git(&self.git_program);
        cmd.arg("--git-dir").arg(&self.repository_path);
        self.quarantine.apply(&mut cmd);
        cmd
    }
}

/// Decides whether a push is accepted. The security hook implements this.
#[async_trait]
pub trait PushPolicy: Send + Sync + 'static {
    /// Called once per push, before any ref is updated, with the objects in quarantine.
    async fn pre_receive(&self, core: &Core, push: &PushContext) -> Verdict;

    /// Asked when `receive-pack` starts: whether pushes to this repository need the hook at
    /// all. `false` runs `receive-pack` without hooks (no hook process, no round trip). When
    /// in doubt (e.g. settings unreadable) answer `true`, so that [`Self::pre_receive`] decides.
    async fn wants_pre_receive(
        &self,
        _core: &Core,
        _project: &Project,
        _repository: &Repository,
    ) -> bool {
        true
    }
}

/// Accepts every push.
#[derive(Debug, Clone, Copy, Default)]
pub struct AcceptAll;

#[async_trait]
impl PushPolicy for AcceptAll {
    async fn pre_receive(&self, _core: &Core, _push: &PushContext) -> Verdict {
        Verdict::accept()
    }
}
