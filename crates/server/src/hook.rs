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
//! [`crate::AppState::with_policy`] with [`keywarden_core::push::SecretScanPolicy`].

use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::state::AppState;

pub use keywarden_core::push::{AcceptAll, PushContext, PushPolicy, QuarantineEnv};
pub use keywarden_git::RefUpdate;
pub use keywarden_scanner::Verdict;

/// The internal endpoint the hook calls.
pub const HOOK_PATH: &str = "/internal/hooks/pre-receive";
/// Environment variable: the URL of the hook endpoint.
pub const ENV_HOOK_URL: &str = "KEYWARDEN_HOOK_URL";
/// Environment variable: the per-push secret.
pub const ENV_HOOK_TOKEN: &str = "KEYWARDEN_HOOK_TOKEN";

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
