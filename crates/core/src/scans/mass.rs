//! Mass scans: every branch of every repository in a scope, as one batch (whose completion
//! mail goes out once all its scans finished).

use keywarden_store::{MassTarget, ScanReason};

use crate::Core;
use crate::error::CoreResult;

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

/// Queues a tree scan of every recorded branch of the `target` repositories as one batch.
/// Answers at once, even for 10,000 repositories: the branches are counted, and a job in the
/// database queue ([`super::jobs`]) that any node takes queues the scans themselves, which the
/// workers of every node share. The branches are those recorded in the database, kept equal to
/// the refs on disk after every push and by the periodic reconciliation
/// ([`super::maintain_all`]). `emails` get a mail when all are done (if mail is on).
pub async fn mass_scan(
    state: &Core,
    scope: &Scope,
    target: &MassTarget,
    emails: &[String],
    requested_by: Option<&str>,
    reason: ScanReason,
) -> CoreResult<MassScan> {
    let store = state.store();
    let batch_id = store
        .create_batch(&scope.to_string(), &emails.join("\n"), requested_by)
        .await?;
    let scheduled = store.count_mass_branches(target).await?;
    store.queue_mass_scan(batch_id, target, reason).await?;
    state.scans().wake();
    tracing::info!(scope = %scope, scheduled, batch = batch_id, reason = %reason, "mass scan queued");
    Ok(MassScan {
        scheduled,
        batch_id,
    })
}

/// The job of a mass scan: queues its batch's branch scans in one statement (none when the
/// batch has them already: the job was taken over after it did so).
pub(crate) async fn queue_batch(state: &Core, batch_id: i64, payload: &str) -> CoreResult<()> {
    let parsed = payload.split_once(' ').and_then(|(reason, target)| {
        Some((
            reason.parse::<ScanReason>().ok()?,
            MassTarget::parse(target)?,
        ))
    });
    let Some((reason, target)) = parsed else {
        tracing::warn!(
            batch = batch_id,
            payload,
            "dropping a mass scan job this build cannot read"
        );
        return Ok(());
    };
    let queued = state
        .store()
        .enqueue_mass_scans(batch_id, &target, reason)
        .await?;
    state.scans().wake();
    tracing::info!(batch = batch_id, queued, "mass scan's branch scans queued");
    Ok(())
}
