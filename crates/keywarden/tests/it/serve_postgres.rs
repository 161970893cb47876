//! The server end to end on PostgreSQL (`KEYWARDEN_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`), in a schema of its own that is dropped after.
//! Fails when PostgreSQL is unreachable, unless `KEYWARDEN_SKIP_POSTGRES=1`.

use std::sync::Arc;

use keywarden_server::AcceptAll;
use reqwest::Method;
use testkit::{ADMIN_PASSWORD, TestServer, git_ok, json, remote, work_repo};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_and_git_on_postgres() {
    if testkit::postgres::skipped() {
        return;
    }
    let (db, schema) = testkit::postgres::pg_schema().await;

    let outcome = tokio::spawn(async move {
        let s = TestServer::start_full(Arc::new(AcceptAll), Some(env!("CARGO_BIN_EXE_keywarden")), Some(db)).await;
        s.add_project("PG", "On PostgreSQL").await;
        for i in 0..4 {
            s.add_project(&format!("PG{i}"), &format!("Other {i}")).await;
        }
        s.add_repo("PG", "app").await;
        s.add_user("pat", "patpw").await;
        let r = s
            .admin(Method::PUT, "/rest/api/latest/projects/PG/repos/app/permissions/users?name=pat&permission=REPO_WRITE")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        let (_, page) = json(s.admin(Method::GET, "/rest/api/latest/projects?name=other&limit=3").send().await.unwrap()).await;
        assert_eq!((page["size"].as_u64(), page["nextPageStart"].as_u64()), (Some(3), Some(3)));
        let (_, page) = json(s.as_user("pat", "patpw", Method::GET, "/rest/api/latest/projects").send().await.unwrap()).await;
        assert_eq!(page["size"], 1);

        let tmp = tempfile::tempdir().unwrap();
        let work = work_repo(tmp.path(), "work", "f.txt", "pg\n");
        tokio::task::block_in_place(|| {
            git_ok(&work, &["push", "-q", &remote(&s, "pat", "patpw", "PG", "app"), "main"]);
            git_ok(tmp.path(), &["clone", "-q", &remote(&s, "admin", ADMIN_PASSWORD, "pg", "app"), "c"]);
        });
        assert_eq!(std::fs::read_to_string(tmp.path().join("c/f.txt")).unwrap(), "pg\n");
        s.state.store().close().await;
    })
    .await;
    testkit::postgres::drop_schema(&schema).await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
