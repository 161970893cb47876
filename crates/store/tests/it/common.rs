//! The store tests' shared harness: each case runs on a fresh SQLite file and on a fresh
//! PostgreSQL schema (from `KEYWARDEN_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`). The PostgreSQL half fails when the server is
//! unreachable, unless `KEYWARDEN_SKIP_POSTGRES=1`.

use std::future::Future;
use std::sync::Arc;

use keywarden_store::{PostgresStore, SqliteStore, Store};

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
    if keywarden_testkit::postgres::skipped() {
        return;
    }
    let url = keywarden_testkit::postgres::pg_url();
    let schema = keywarden_testkit::postgres::new_schema().await;
    let store = PostgresStore::open_in_schema(&url, &schema).await.unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    // Run the case in its own task so that a failing assertion still drops the schema.
    let outcome = tokio::spawn(case(store.clone())).await;
    store.close().await;
    keywarden_testkit::postgres::drop_schema(&schema).await;
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
