//! The server end to end on PostgreSQL (`KEYWARDEN_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`), in a schema of its own that is dropped after.
//! Fails when PostgreSQL is unreachable, unless `KEYWARDEN_SKIP_POSTGRES=1`.

#[path = "../../server/tests/common/mod.rs"]
mod common;

use std::sync::Arc;

use common::{ADMIN_PASSWORD, TestServer, git_ok, json, remote, work_repo};
use keywarden_server::AcceptAll;
use keywarden_store::DatabaseLocation;
use reqwest::Method;
use sqlx::Connection;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_and_git_on_postgres() {
    if std::env::var("KEYWARDEN_SKIP_POSTGRES").as_deref() == Ok("1") {
        eprintln!("KEYWARDEN_SKIP_POSTGRES=1: skipped");
        return;
    }
    let url = std::env::var("KEYWARDEN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {url} unreachable ({e}); set KEYWARDEN_SKIP_POSTGRES=1 to skip")
    });
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    let schema = format!("kw_serve_{}", u64::from_le_bytes(bytes));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let db = DatabaseLocation::Postgres(format!("{url}{sep}options[search_path]={schema}"));

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
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&mut admin)
        .await
        .unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
