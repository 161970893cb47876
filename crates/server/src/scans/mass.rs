//! Mass scans: every branch of every repository in a scope, as one batch (whose completion
//! mail goes out once all its scans finished).

use keywarden_store::{Repository, ScanReason};

use super::{EnqueueOptions, enqueue_with, sync_branches};
use crate::error::ApiResult;
use crate::state::AppState;

/// What a mass scan covers, for its batch and mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every repository.
    All,
    /// A project's repositories, by key.
    Project(String),
    /// One repository: project key and slug.
    Repository(String, String),
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::All => f.write_str("all repositories"),
            Scope::Project(p) => write!(f, "project {p}"),
            Scope::Repository(p, r) => write!(f, "repository {p}/{r}"),
        }
    }
}

/// What a mass scan queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MassScan {
    /// Branch scans queued.
    pub scheduled: i64,
    /// The batch.
    pub batch_id: i64,
}

/// Queues a tree scan of every branch of `repositories` as one batch; `emails` get a mail
/// when all are done (if mail is on).
pub async fn mass_scan(
    state: &AppState,
    scope: &Scope,
    repositories: &[Repository],
    emails: &[String],
    requested_by: Option<&str>,
    reason: ScanReason,
) -> ApiResult<MassScan> {
    let batch_id = state
        .store()
        .create_batch(&scope.to_string(), &emails.join("\n"), requested_by)
        .await?;
    let mut scheduled = 0;
    for repository in repositories {
        let branches = match sync_branches(state, repository).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(repository = repository.id, error = %e, "mass scan: branches unreadable; skipped");
                continue;
            }
        };
        for (branch, _) in branches {
            let options = EnqueueOptions {
                history: false,
                batch_id: Some(batch_id),
            };
            enqueue_with(state, repository, &branch, reason, options).await?;
            scheduled += 1;
        }
    }
    state.store().set_batch_total(batch_id, scheduled).await?;
    tracing::info!(scope = %scope, scheduled, batch = batch_id, reason = %reason, "mass scan queued");
    // In case every scan finished already.
    super::mail::mail_when_done(state, batch_id).await;
    Ok(MassScan {
        scheduled,
        batch_id,
    })
}
