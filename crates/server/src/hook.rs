//! The pre-receive hook: the extension point where a push is accepted or refused.
//!
//! How a push reaches a [`PushPolicy`]:
//!
//! 1. The Git handler runs `git receive-pack` with `core.hooksPath=<data>/hooks` and push
//!    options advertised, after registering a [`PushSession`] under a random per-push token; the
//!    token and the URL of [`HOOK_PATH`] go to git (and so to the hook) in the environment
//!    variables [`ENV_HOOK_URL`] and [`ENV_HOOK_TOKEN`].
//! 2. git receives the objects into a quarantine directory and runs `<data>/hooks/pre-receive`,
//!    a script that execs `keywarden hook pre-receive`.
//! 3. That command POSTs a [`HookRequest`] (ref updates, the quarantine environment, push
//!    options) to the server, prints the [`Verdict`]'s messages (git shows them to the
//!    pusher as `remote:` lines) and exits 0 to accept or 1 to refuse the whole push.
//! 4. The server resolves the token to its session and asks the policy, passing a
//!    [`PushContext`] whose [`PushContext::git`] runs git *inside* the quarantine, so the
//!    pushed objects are visible.
//!
//! This policy is [`AcceptAll`]; the security hook replaces it through
//! [`crate::AppState::with_policy`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use async_trait::async_trait;
use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keywarden_store::{Project, Repository, User};
use serde::{Deserialize, Serialize};

use crate::state::AppState;

pub use keywarden_git::RefUpdate;
pub use keywarden_scanner::Verdict;

/// The internal endpoint the hook calls.
pub const HOOK_PATH: &str = "/internal/hooks/pre-receive";
/// Environment variable: the URL of the hook endpoint.
pub const ENV_HOOK_URL: &str = "KEYWARDEN_HOOK_URL";
/// Environment variable: the per-push secret.
pub const ENV_HOOK_TOKEN: &str = "KEYWARDEN_HOOK_TOKEN";

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

/// What the hook sends to the server.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookRequest {
    /// The per-push secret.
    pub token: String,
    /// The ref updates, in git's order.
    pub updates: Vec<RefUpdate>,
    /// The quarantine environment.
    pub quarantine: QuarantineEnv,
    /// `git push -o` values (`GIT_PUSH_OPTION_<i>`).
    pub push_options: Vec<String>,
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
    async fn pre_receive(&self, state: &AppState, push: &PushContext) -> Verdict;

    /// Asked when `receive-pack` starts: whether pushes to this repository need the hook at
    /// all. `false` runs `receive-pack` without hooks (no hook process, no round trip). When
    /// in doubt (e.g. settings unreadable) answer `true`, so that [`Self::pre_receive`] decides.
    async fn wants_pre_receive(
        &self,
        _state: &AppState,
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
    async fn pre_receive(&self, _state: &AppState, _push: &PushContext) -> Verdict {
        Verdict::accept()
    }
}

/// Who pushes where, registered for the duration of one `receive-pack`.
#[derive(Debug, Clone)]
pub struct PushSession {
    /// The pusher.
    pub user: User,
    /// The repository's project.
    pub project: Project,
    /// The repository.
    pub repository: Repository,
}

/// The pushes in progress, by token.
#[derive(Default)]
pub(crate) struct PushSessions(Mutex<HashMap<String, PushSession>>);

impl PushSessions {
    /// Registers a push; the token is valid until the guard is dropped.
    pub(crate) fn register(&self, state: &AppState, session: PushSession) -> PushGuard {
        let token = crate::credentials::random_hex(32);
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.clone(), session);
        PushGuard {
            state: state.clone(),
            token,
        }
    }

    fn get(&self, token: &str) -> Option<PushSession> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .cloned()
    }
}

/// Unregisters a push session when dropped.
pub(crate) struct PushGuard {
    state: AppState,
    token: String,
}

impl PushGuard {
    /// The per-push secret.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }
}

impl Drop for PushGuard {
    fn drop(&mut self) {
        self.state
            .pushes()
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.token);
    }
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(Verdict::reject(message))).into_response()
}

/// `POST /internal/hooks/pre-receive`: loopback only, authenticated by the per-push token.
pub async fn endpoint(State(state): State<AppState>, request: Request) -> Response {
    if let Some(ConnectInfo(peer)) = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        && !peer.ip().is_loopback()
    {
        return refuse(StatusCode::FORBIDDEN, "the hook endpoint is loopback only");
    }
    let bytes = match axum::body::to_bytes(request.into_body(), 16 << 20).await {
        Ok(b) => b,
        Err(_) => return refuse(StatusCode::BAD_REQUEST, "unreadable hook request"),
    };
    let req: HookRequest = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(_) => return refuse(StatusCode::BAD_REQUEST, "malformed hook request"),
    };
    let Some(session) = state.pushes().get(&req.token) else {
        return refuse(StatusCode::FORBIDDEN, "unknown or expired push");
    };
    let push = PushContext {
        repository_path: state
            .config()
            .repository_path(&session.repository.disk_name),
        git_program: state.config().git_program.clone(),
        project: session.project,
        repository: session.repository,
        pusher: session.user,
        updates: req.updates,
        quarantine: req.quarantine,
        push_options: req.push_options,
    };
    let verdict = state.policy().pre_receive(&state, &push).await;
    tracing::info!(
        project = %push.project.key,
        repository = %push.repository.slug,
        pusher = %push.pusher.name,
        refs = push.updates.len(),
        accept = verdict.accept,
        "pre-receive"
    );
    Json(verdict).into_response()
}
