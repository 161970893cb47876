//! A push policy (as the hook does with `hookFailOpen`) asks for a scan of the pushed branch;
//! the scan is queued once the push completed, so it scans the new tip, through the real
//! `keywarden hook pre-receive`.

use std::sync::Arc;

use keywarden_server::{AppState, PushContext, PushPolicy, Verdict};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_asked_for_during_a_push_scans_the_new_tip() {
    let s = testkit::TestServer::start_config(
        Arc::new(ScanLater),
        Some(env!("CARGO_BIN_EXE_keywarden")),
        None,
        testkit::scans::fast,
    )
    .await;
    s.add_project("PROJ", "P").await;
    s.add_repo("PROJ", "app").await;
    let tmp = tempfile::tempdir().unwrap();
    let (dir, first) = tokio::task::block_in_place(|| {
        testkit::scans::push_files(&s, tmp.path(), "PROJ", "app", &[("a.txt", "a\n")])
    });
    let path = "/rest/security/1.0/scan/PROJ/repos/app";
    let body = testkit::scans::wait_scanned(&s, path).await;
    assert_eq!(
        (&body["commitId"], &body["actual"]),
        (&serde_json::json!(first), &serde_json::json!(true))
    );
    let second = tokio::task::block_in_place(|| {
        let c = testkit::scans::commit_files(
            &dir,
            &[("b.txt", "aws_access_key_id = AKIAZ7QXKP4MWL2HRT6J\n")],
            "b",
        );
        testkit::scans::push(&s, &dir, "PROJ", "app", "main");
        c
    });
    for _ in 0..100 {
        let (_, body) = testkit::scans::get(&s, path).await;
        if body["commitId"] == second.as_str() && body["scheduled"] == false {
            assert_eq!(
                (&body["actual"], &body["total"]),
                (&serde_json::json!(true), &serde_json::json!(1))
            );
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the pushed tip was not scanned");
}
