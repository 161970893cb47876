//! The store tests' shared harness: each case runs on a fresh SQLite file and on a fresh
//! PostgreSQL schema (from `KEYWARDEN_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`). The PostgreSQL half fails when the server is
//! unreachable, unless `KEYWARDEN_SKIP_POSTGRES=1`.

use std::future::Future;
use std::sync::Arc;

use keywarden_store::{PostgresStore, SqliteStore, Store};
use sqlx::Connection;

const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/test";

pub async fn on_sqlite<F, Fut>(case: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_file(&dir.path().join("k.db"))
        .await
        .unwrap();
    case(Arc::new(store)).await;
}

pub async fn on_postgres<F, Fut>(case: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    if std::env::var("KEYWARDEN_SKIP_POSTGRES").as_deref() == Ok("1") {
        eprintln!("KEYWARDEN_SKIP_POSTGRES=1: PostgreSQL half skipped");
        return;
    }
    let url = std::env::var("KEYWARDEN_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_PG.into());
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {url} unreachable ({e}); set KEYWARDEN_SKIP_POSTGRES=1 to skip")
    });
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    let schema = format!("kw_test_{}", u64::from_le_bytes(bytes));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let store = PostgresStore::open_in_schema(&url, &schema).await.unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    // Run the case in its own task so that a failing assertion still drops the schema.
    let outcome = tokio::spawn(case(store.clone())).await;
    store.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&mut admin)
        .await
        .unwrap();
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

/// Declares one test per backend for each `async fn(Arc<dyn Store>)` case.
macro_rules! both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $case() { super::on_sqlite(super::$case).await; })*
        }
        mod postgres {
            $(#[tokio::test] async fn $case() { super::on_postgres(super::$case).await; })*
        }
    };
}
