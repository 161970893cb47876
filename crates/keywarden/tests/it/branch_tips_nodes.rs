//! Two servers sharing one PostgreSQL database and one data directory, pushed to at once
//! through the real `keywarden hook pre-receive`, with a policy that asks for a scan of every
//! pushed branch once its push completed (as the hook does with `hookFailOpen`): every branch
//! is recorded and every asked-for scan queued.

use std::sync::Arc;

use keywarden_server::{AppState, PushContext, PushPolicy, Verdict};
use keywarden_store::DatabaseLocation;

const PUSHES: usize = 40;

struct ScanLater;

#[async_trait::async_trait]
impl PushPolicy for ScanLater {
    async fn pre_receive(&self, state: &AppState, push: &PushContext) -> Verdict {
        for u in push.updates.iter().filter(|u| !u.is_delete()) {
            keywarden_server::scans::enqueue_after_push(
                state,
                push.repository.id,
                &u.name,
                &u.new,
                keywarden_store::ScanReason::Hook,
            );
        }
        Verdict::accept()
    }
}

async fn node(db: DatabaseLocation, data: std::path::PathBuf, id: &str) -> testkit::TestServer {
    let id = id.to_string();
    testkit::TestServer::start_config(
        Arc::new(ScanLater),
        Some(env!("CARGO_BIN_EXE_keywarden")),
        Some(db),
        move |c| {
            testkit::scans::fast(c);
            c.data_dir = data;
            c.node_id = id;
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_branch_lost_and_no_scan_skipped_on_two_nodes() {
    testkit::scans::on_backend(true, |db| async move {
        let db = db.unwrap();
        let data = tempfile::tempdir().unwrap();
        let shared = data.path().join("data");
        let first = node(db.clone(), shared.clone(), "first").await;
        first.add_project("PROJ", "Project").await;
        first.add_repo("PROJ", "app").await;
        let second = node(db, shared, "second").await;
        let tmp = tempfile::tempdir().unwrap();
        let commits = tokio::task::block_in_place(|| {
            let (dir, commits) = testkit::scans::prepare_branches(&first, tmp.path(), PUSHES);
            testkit::scans::push_concurrently(&[&first, &second], &dir, PUSHES);
            commits
        });
        let (code, page) = testkit::scans::get(
            &first,
            "/rest/security/latest/status/projects/PROJ/repos/app/branches?limit=1000",
        )
        .await;
        assert_eq!(code, 200, "{page}");
        let values = page["values"].as_array().unwrap();
        let mut lost = Vec::new();
        let mut unscanned = Vec::new();
        for (i, commit) in commits.iter().enumerate() {
            let name = format!("refs/heads/b{i}");
            match values.iter().find(|b| b["branch"] == name.as_str()) {
                None => lost.push(name),
                Some(b) => {
                    assert_eq!(b["latestCommit"], commit.as_str(), "{b}");
                    if b["scanKey"].is_null() {
                        unscanned.push(name);
                    }
                }
            }
        }
        assert!(
            lost.is_empty() && unscanned.is_empty(),
            "of {PUSHES} pushed branches, not recorded: {lost:?}; no scan queued: {unscanned:?}"
        );
    })
    .await;
}
