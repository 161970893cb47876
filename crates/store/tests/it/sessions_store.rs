//! Web UI sessions in the store (SPEC 11), on SQLite and PostgreSQL.

use crate::common::{on_postgres, on_sqlite};

use std::sync::Arc;

use keywarden_store::{NewUser, Store, now_millis};

both_backends!(
    sessions_roundtrip,
    sessions_expire,
    sessions_end_with_their_user
);

async fn user(store: &dyn Store, name: &str) -> i64 {
    store
        .create_user(NewUser {
            name: name.into(),
            display_name: name.into(),
            email: None,
            password_hash: "$argon2id$fake".into(),
            admin: false,
        })
        .await
        .unwrap()
        .id
}

async fn sessions_roundtrip(store: Arc<dyn Store>) {
    let alice = user(store.as_ref(), "alice").await;
    store
        .create_session("hash-a", alice, "csrf-a")
        .await
        .unwrap();
    let s = store.session("hash-a", 0).await.unwrap().unwrap();
    assert_eq!((s.user_id, s.csrf.as_str()), (alice, "csrf-a"));
    assert_eq!(s.created_at, s.last_used_at);
    assert!(store.session("hash-b", 0).await.unwrap().is_none());

    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    store.touch_session("hash-a").await.unwrap();
    let touched = store.session("hash-a", 0).await.unwrap().unwrap();
    assert!(touched.last_used_at > s.last_used_at);

    store.delete_session("hash-a").await.unwrap();
    assert!(store.session("hash-a", 0).await.unwrap().is_none());
    // Deleting twice is not an error (a second logout).
    store.delete_session("hash-a").await.unwrap();
}

async fn sessions_expire(store: Arc<dyn Store>) {
    let bob = user(store.as_ref(), "bob").await;
    store.create_session("old", bob, "c1").await.unwrap();
    let used = store.session("old", 0).await.unwrap().unwrap().last_used_at;
    let later = now_millis() + 60_000;
    // Idle since before the cut-off: not found, and swept by the expiry.
    assert!(store.session("old", later).await.unwrap().is_none());
    store.create_session("fresh", bob, "c2").await.unwrap();
    assert_eq!(store.delete_expired_sessions(used).await.unwrap(), 0);
    assert_eq!(store.delete_expired_sessions(later).await.unwrap(), 2);
    assert!(store.session("fresh", 0).await.unwrap().is_none());
}

async fn sessions_end_with_their_user(store: Arc<dyn Store>) {
    let carol = user(store.as_ref(), "carol").await;
    store.create_session("hash-c", carol, "csrf").await.unwrap();
    store.delete_user(carol).await.unwrap();
    assert!(store.session("hash-c", 0).await.unwrap().is_none());
}
