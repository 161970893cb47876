//! The job worker of each process: takes jobs from the database queue
//! ([`keywarden_store::JobStore`]) one at a time, under a lease, so that mass work a request
//! queued (a mass scan's branch scans, recounts) is shared by every node and survives a
//! restart.

use keywarden_store::{Job, JobKind};

use super::reviewed_counts::recount;
use crate::Core;

/// Runs jobs until the process stops.
pub(crate) async fn run(state: Core) {
    let runtime = state.scans();
    // Jobs this node held when it last stopped (or died) are taken again at once.
    if let Err(e) = state.store().release_jobs(&state.config().node_id).await {
        tracing::warn!(error = %e, "returning this node's jobs to the queue");
    }
    while !runtime.stopping() {
        let wake = runtime.wake.notified();
        match run_one(&state, None).await {
            Ok(true) => {}
            Ok(false) => {
                let _ = tokio::time::timeout(state.config().scan_poll, wake).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "claiming a job failed");
                tokio::time::sleep(state.config().scan_poll).await;
            }
        }
    }
}

/// Takes one job (of `kind`, or of any kind) and does it; false when there was none. A job
/// that fails is left to its lease, after which a node takes it again.
pub(crate) async fn run_one(state: &Core, kind: Option<JobKind>) -> keywarden_store::Result<bool> {
    let node = &state.config().node_id;
    let lease = i64::try_from(state.config().scan_lease.as_millis()).unwrap_or(30_000);
    let Some(job) = state
        .store()
        .claim_job(node, keywarden_store::now_millis(), lease, kind)
        .await?
    else {
        return Ok(false);
    };
    if let Err(e) = execute(state, &job).await {
        tracing::warn!(job = job.id, error = %e, "job failed");
        return Ok(true);
    }
    if let Err(e) = state.store().finish_job(job.id, node).await {
        tracing::warn!(job = job.id, error = %e, "recording a finished job");
    }
    Ok(true)
}

async fn execute(state: &Core, job: &Job) -> crate::CoreResult<()> {
    match (job.kind, job.repository_id, job.batch_id) {
        (Some(JobKind::Recount), Some(repository), _) => recount(state, Some(repository)).await,
        (Some(JobKind::MassScan), _, Some(batch)) => {
            super::mass::queue_batch(state, batch, job.payload.as_deref().unwrap_or("")).await
        }
        (kind, repository, batch) => {
            tracing::warn!(
                job = job.id,
                ?kind,
                ?repository,
                ?batch,
                "dropping a job this build cannot do"
            );
            Ok(())
        }
    }
}
