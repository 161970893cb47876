//! Git smart HTTP at `/scm/{project}/{slug}.git`, by spawning
//! `git upload-pack|receive-pack --stateless-rpc` per request.
//!
//! Request bodies are streamed into git's standard input and git's output is streamed back, so
//! memory does not grow with the size of a push or clone. gzip request bodies (which git sends
//! for large fetch negotiations) are decoded on the fly by the router's decompression layer.
//! The `Git-Protocol` header is passed as `GIT_PROTOCOL` when well-formed, which enables
//! protocol v2 for fetches.

use std::path::PathBuf;
use std::process::Stdio;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use keywarden_store::AccessLevel;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::io::{ReaderStream, StreamReader};

use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::hook::{ENV_HOOK_TOKEN, ENV_HOOK_URL};
use crate::push_sessions::{PushGuard, PushSession};
use crate::state::AppState;
use keywarden_core::access::repository_with;
use keywarden_core::audit::{Audit, action};
use keywarden_core::hook_install;

/// The two smart HTTP services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    UploadPack,
    ReceivePack,
}

impl Service {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "git-upload-pack" => Some(Self::UploadPack),
            "git-receive-pack" => Some(Self::ReceivePack),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::UploadPack => "upload-pack",
            Self::ReceivePack => "receive-pack",
        }
    }

    fn needs(self) -> AccessLevel {
        match self {
            Self::UploadPack => AccessLevel::Read,
            Self::ReceivePack => AccessLevel::Write,
        }
    }
}

/// Git endpoint failures, as plain text (git prints the status line).
#[derive(Debug)]
enum GitError {
    Api(ApiError),
    Status(StatusCode, &'static str),
}

impl From<ApiError> for GitError {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl From<keywarden_core::CoreError> for GitError {
    fn from(e: keywarden_core::CoreError) -> Self {
        Self::Api(e.into())
    }
}

impl IntoResponse for GitError {
    fn into_response(self) -> Response {
        match self {
            // Missing or wrong credentials: 401 with the Basic challenge, so git asks for them.
            GitError::Api(e @ (ApiError::Unauthenticated | ApiError::BadCredentials)) => {
                e.into_response()
            }
            // Signed in but not allowed: 403, so git does not discard good credentials.
            GitError::Api(ApiError::Forbidden(_)) => (
                StatusCode::FORBIDDEN,
                "You are not permitted to access this repository.\n",
            )
                .into_response(),
            GitError::Api(e @ (ApiError::NoSuchProject(_) | ApiError::NoSuchRepository { .. })) => {
                (StatusCode::NOT_FOUND, format!("{e}\n")).into_response()
            }
            GitError::Api(e) => e.into_response(),
            GitError::Status(status, msg) => (status, msg).into_response(),
        }
    }
}

/// A resolved, authorised repository.
struct Target {
    user: CurrentUser,
    session: PushSession,
    path: PathBuf,
}

async fn authorise(
    state: &AppState,
    user: CurrentUser,
    project: &str,
    repo: &str,
    service: Service,
) -> Result<Target, GitError> {
    let slug = repo.strip_suffix(".git").unwrap_or(repo);
    let (project, repository) =
        repository_with(state, &user, project, slug, service.needs()).await?;
    let path = state.config().repository_path(&repository.disk_name);
    let session = PushSession {
        user: user.0.clone(),
        project,
        repository,
    };
    Ok(Target {
        user,
        session,
        path,
    })
}

/// `GIT_PROTOCOL` from the `Git-Protocol` header, if it has the documented shape
/// `key=value(:key=value)*` with alphanumeric keys and values.
fn git_protocol(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("git-protocol")?.to_str().ok()?;
    let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    let ok = value
        .split(':')
        .all(|kv| kv.split_once('=').is_some_and(|(k, v)| word(k) && word(v)));
    ok.then(|| value.to_string())
}

/// `hooks`: run receive-pack with the hooks directory (else with no hooks at all).
fn command(
    state: &AppState,
    service: Service,
    protocol: Option<&str>,
    hooks: bool,
) -> tokio::process::Command {
    let mut cmd = keywarden_core::disk::git(&state.config().git_program);
    if service == Service::ReceivePack {
        let hooks_dir = if hooks {
            state.config().hooks_dir()
        } else {
            std::path::PathBuf::from("/dev/null")
        };
        cmd.arg("-c")
            .arg(format!("core.hooksPath={}", hooks_dir.display()))
            .args(["-c", "receive.advertisePushOptions=true"]);
    }
    cmd.arg(service.name()).arg("--stateless-rpc");
    if let Some(p) = protocol {
        cmd.env("GIT_PROTOCOL", p);
    }
    cmd
}

/// Checks that the pre-receive hook will run ([`hook_install::ensure`]); if it will not, the
/// refusal is logged and audited, and the message for the pusher returned.
async fn hook_ready(state: &AppState, target: &Target) -> Result<(), String> {
    let Err(e) = hook_install::ensure(state.config()).await else {
        return Ok(());
    };
    tracing::error!(error = %e, repository = %target.session.repository.slug, "push refused: the security hook cannot run");
    Audit {
        user: Some(&target.user.0.name),
        action: action::PUSH_BLOCKED,
        project: Some(&target.session.project.key),
        repository: Some(&target.session.repository.slug),
        details: serde_json::json!({"reason": "HOOK_UNAVAILABLE", "error": e.to_string()}),
    }
    .record(state)
    .await;
    Err(
        "Keywarden: push refused: the server's security hook cannot run, so the push could not be scanned for secrets. Ask an administrator to check the server log."
            .to_string(),
    )
}

/// A ref advertisement that ends the exchange with `ERR <message>`, which git shows as
/// `remote error: <message>`.
fn error_advertisement(service: Service, message: &str) -> Response {
    let mut body = pkt_line(&format!("# service=git-{}\n", service.name()));
    body.push_str("0000");
    body.push_str(&pkt_line(&format!("ERR {message}\n")));
    let mut response = Response::new(Body::from(body));
    no_cache(
        &mut response,
        format!("application/x-git-{}-advertisement", service.name()),
    );
    response
}

fn no_cache(response: &mut Response, content_type: String) {
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, max-age=0, must-revalidate"),
    );
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    h.insert(
        header::EXPIRES,
        HeaderValue::from_static("Fri, 01 Jan 1980 00:00:00 GMT"),
    );
}

fn pkt_line(s: &str) -> String {
    format!("{:04x}{s}", s.len() + 4)
}

/// `?service=`.
#[derive(Debug, Deserialize)]
pub struct InfoRefsQuery {
    service: Option<String>,
}

/// `GET /scm/{project}/{repo}/info/refs?service=git-upload-pack|git-receive-pack`.
pub async fn info_refs(
    State(state): State<AppState>,
    Path((project, repo)): Path<(String, String)>,
    Query(query): Query<InfoRefsQuery>,
    headers: HeaderMap,
    user: Result<CurrentUser, ApiError>,
) -> Response {
    info_refs_inner(state, project, repo, query, headers, user)
        .await
        .unwrap_or_else(|e| e.into_response())
}

async fn info_refs_inner(
    state: AppState,
    project: String,
    repo: String,
    query: InfoRefsQuery,
    headers: HeaderMap,
    user: Result<CurrentUser, ApiError>,
) -> Result<Response, GitError> {
    let service = query
        .service
        .as_deref()
        .and_then(Service::parse)
        .ok_or(GitError::Status(
            StatusCode::FORBIDDEN,
            "Only the smart HTTP protocol is supported.\n",
        ))?;
    let target = authorise(&state, user?, &project, &repo, service).await?;
    if service == Service::ReceivePack
        && let Err(refusal) = hook_ready(&state, &target).await
    {
        return Ok(error_advertisement(service, &refusal));
    }
    let protocol = git_protocol(&headers);
    let out = command(&state, service, protocol.as_deref(), false)
        .arg("--advertise-refs")
        .arg(&target.path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await
        .map_err(|e| ApiError::Internal(format!("spawning git: {e}")))?;
    if !out.status.success() {
        tracing::error!(stderr = %String::from_utf8_lossy(&out.stderr), "git --advertise-refs failed");
        return Err(GitError::Status(
            StatusCode::INTERNAL_SERVER_ERROR,
            "git failed\n",
        ));
    }
    let v2 = protocol
        .as_deref()
        .is_some_and(|p| p.split(':').any(|kv| kv == "version=2"));
    let mut body = Vec::with_capacity(out.stdout.len() + 64);
    if !v2 {
        body.extend_from_slice(pkt_line(&format!("# service=git-{}\n", service.name())).as_bytes());
        body.extend_from_slice(b"0000");
    }
    body.extend_from_slice(&out.stdout);
    let mut response = Response::new(Body::from(body));
    no_cache(
        &mut response,
        format!("application/x-git-{}-advertisement", service.name()),
    );
    tracing::debug!(user = %target.user.0.name, service = service.name(), "advertised refs");
    Ok(response)
}

/// `POST /scm/{project}/{repo}/git-upload-pack`.
pub async fn upload_pack(
    State(state): State<AppState>,
    Path((project, repo)): Path<(String, String)>,
    headers: HeaderMap,
    user: Result<CurrentUser, ApiError>,
    body: Body,
) -> Response {
    rpc(
        state,
        project,
        repo,
        headers,
        user,
        body,
        Service::UploadPack,
    )
    .await
    .unwrap_or_else(|e| e.into_response())
}

/// `POST /scm/{project}/{repo}/git-receive-pack`.
pub async fn receive_pack(
    State(state): State<AppState>,
    Path((project, repo)): Path<(String, String)>,
    headers: HeaderMap,
    user: Result<CurrentUser, ApiError>,
    body: Body,
) -> Response {
    rpc(
        state,
        project,
        repo,
        headers,
        user,
        body,
        Service::ReceivePack,
    )
    .await
    .unwrap_or_else(|e| e.into_response())
}

async fn rpc(
    state: AppState,
    project: String,
    repo: String,
    headers: HeaderMap,
    user: Result<CurrentUser, ApiError>,
    body: Body,
    service: Service,
) -> Result<Response, GitError> {
    let target = authorise(&state, user?, &project, &repo, service).await?;
    let expected = format!("application/x-git-{}-request", service.name());
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if content_type != Some(expected.as_str()) {
        return Err(GitError::Status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "wrong content type\n",
        ));
    }
    let protocol = git_protocol(&headers);
    let hooks = service == Service::ReceivePack
        && state
            .policy()
            .wants_pre_receive(&state, &target.session.project, &target.session.repository)
            .await;
    if hooks && let Err(refusal) = hook_ready(&state, &target).await {
        return Ok((StatusCode::SERVICE_UNAVAILABLE, format!("{refusal}\n")).into_response());
    }
    let mut cmd = command(&state, service, protocol.as_deref(), hooks);
    let guard: Option<PushGuard> = (service == Service::ReceivePack).then(|| {
        let guard = state.pushes().register(target.session.clone());
        cmd.env(ENV_HOOK_TOKEN, guard.token());
        if let Some(url) = state.hook_url() {
            cmd.env(ENV_HOOK_URL, url);
        }
        guard
    });
    // Held while git runs: the quarantine cleaner leaves this repository alone meanwhile.
    let pushing = match service {
        Service::ReceivePack => Some(
            state
                .scans()
                .push_locks()
                .pushing(target.session.repository.id)
                .await,
        ),
        Service::UploadPack => None,
    };
    let mut child = cmd
        .arg(&target.path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| ApiError::Internal(format!("spawning git: {e}")))?;
    let (Some(mut stdin), Some(stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(ApiError::Internal("git pipes missing".into()).into());
    };

    // Request body -> git's stdin, chunk by chunk.
    tokio::spawn(async move {
        let stream = body.into_data_stream().map_err(std::io::Error::other);
        let mut reader = StreamReader::new(stream);
        if let Err(e) = tokio::io::copy(&mut reader, &mut stdin).await {
            tracing::warn!(error = %e, "git request body not fully delivered");
        }
        let _ = stdin.shutdown().await;
    });

    // Wait for git (keeping the push session alive until then) and log its errors. After a
    // push, record the new branch tips (status dashboards) before the response ends, so a
    // client that asks right after its push sees them; then remove the quarantine folders
    // interrupted pushes left.
    let user = target.user.0.name.clone();
    let pushed = (service == Service::ReceivePack).then(|| target.session.repository.clone());
    let wait_state = state.clone();
    let (recorded, tips_recorded) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let mut errors = Vec::new();
        let _ = stderr.read_to_end(&mut errors).await;
        let ok = match child.wait().await {
            Ok(status) if status.success() => {
                tracing::info!(%user, service = service.name(), "git finished");
                true
            }
            Ok(status) => {
                tracing::warn!(
                    %user,
                    service = service.name(),
                    %status,
                    stderr = %String::from_utf8_lossy(&errors).trim(),
                    "git failed"
                );
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "waiting for git");
                false
            }
        };
        drop(pushing);
        if let Some(repository) = &pushed {
            if ok {
                keywarden_core::scans::after_push(&wait_state, repository).await;
            }
            // receive-pack reports refused and unreadable pushes with success too.
            keywarden_core::quarantine::clean(&wait_state, repository).await;
        }
        drop(guard);
        let _ = recorded.send(());
    });

    let done = futures_util::stream::once(async move {
        let _ = tips_recorded.await;
        Ok::<_, std::io::Error>(axum::body::Bytes::new())
    });
    let body = futures_util::StreamExt::chain(ReaderStream::new(stdout), done);
    let mut response = Response::new(Body::from_stream(body));
    no_cache(
        &mut response,
        format!("application/x-git-{}-result", service.name()),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_header_validation() {
        let mut h = HeaderMap::new();
        h.insert("git-protocol", HeaderValue::from_static("version=2"));
        assert_eq!(git_protocol(&h).as_deref(), Some("version=2"));
        h.insert(
            "git-protocol",
            HeaderValue::from_static("version=2:object-format=sha1"),
        );
        assert!(
            git_protocol(&h).is_none(),
            "'-' is outside the allowed alphabet"
        );
        h.insert("git-protocol", HeaderValue::from_static("version=2:x=y"));
        assert!(git_protocol(&h).is_some());
        h.insert(
            "git-protocol",
            HeaderValue::from_static("version=2; rm -rf"),
        );
        assert!(git_protocol(&h).is_none());
        assert_eq!(
            pkt_line("# service=git-upload-pack\n"),
            "001e# service=git-upload-pack\n"
        );
    }
}
