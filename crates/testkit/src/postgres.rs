//! Fresh PostgreSQL schemas on the tests' server (`KEYWARDEN_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`), one per test, dropped afterwards.

use std::future::Future;
use std::time::Duration;

use keywarden_store::DatabaseLocation;
use sqlx::Connection;

/// The PostgreSQL server of the tests.
pub fn pg_url() -> String {
    std::env::var("KEYWARDEN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Runs `case` with a fresh database: SQLite (`None`) or a PostgreSQL schema of its own,
/// dropped afterwards. Skipped for PostgreSQL when `KEYWARDEN_SKIP_POSTGRES=1`.
pub async fn on_backend<F, Fut>(postgres: bool, case: F)
where
    F: FnOnce(Option<DatabaseLocation>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    if !postgres {
        return case(None).await;
    }
    if skipped() {
        return;
    }
    let (db, schema) = pg_schema().await;
    let outcome = tokio::spawn(case(Some(db))).await;
    drop_schema(&schema).await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// A new PostgreSQL schema and the database location that uses it.
pub async fn pg_schema() -> (DatabaseLocation, String) {
    let schema = new_schema().await;
    let url = pg_url();
    let sep = if url.contains('?') { '&' } else { '?' };
    (
        DatabaseLocation::Postgres(format!("{url}{sep}options[search_path]={schema}")),
        schema,
    )
}

/// Creates a schema of a random name on the tests' server and returns the name.
pub async fn new_schema() -> String {
    let url = pg_url();
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
    schema
}

/// Whether `KEYWARDEN_SKIP_POSTGRES=1` asks to skip the PostgreSQL half (said on stderr).
pub fn skipped() -> bool {
    let skip = std::env::var("KEYWARDEN_SKIP_POSTGRES").as_deref() == Ok("1");
    if skip {
        eprintln!("KEYWARDEN_SKIP_POSTGRES=1: PostgreSQL half skipped");
    }
    skip
}

/// Drops a schema made by [`pg_schema`] (best effort).
pub async fn drop_schema(schema: &str) {
    tokio::time::sleep(Duration::from_millis(200)).await;
    if let Ok(mut admin) = sqlx::PgConnection::connect(&pg_url()).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE"
        )))
        .execute(&mut admin)
        .await;
    }
}
