//! The blob cache: entries per rule set, shared lookups, eviction of unused rule sets and the
//! size cap.

use crate::common::{on_postgres, on_sqlite};

use std::sync::Arc;

use keywarden_store::Store;

both_backends!(
    entries_are_kept_per_rule_set,
    unused_rule_sets_are_evicted,
    the_size_cap_removes_the_least_recently_used,
);

fn blob(i: u32) -> Vec<u8> {
    let mut b = vec![0u8; 20];
    b[..4].copy_from_slice(&i.to_be_bytes());
    b
}

async fn entries_are_kept_per_rule_set(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let a = s.blob_rule_set("rules-a").await.unwrap();
    let b = s.blob_rule_set("rules-b").await.unwrap();
    assert_ne!(a, b);
    assert_eq!(s.blob_rule_set("rules-a").await.unwrap(), a);
    // More entries than one statement binds.
    let entries: Vec<(Vec<u8>, String)> = (0..2500).map(|i| (blob(i), format!("o{i}"))).collect();
    s.cache_blobs(a, &entries).await.unwrap();
    // A second write of an entry keeps the first.
    s.cache_blobs(a, &[(blob(7), "other".into())])
        .await
        .unwrap();
    let wanted: Vec<Vec<u8>> = (2490..2510).map(blob).collect();
    let mut found = s.cached_blobs(a, &wanted).await.unwrap();
    found.sort_by(|x, y| x.blob.cmp(&y.blob));
    assert_eq!(found.len(), 10);
    assert_eq!(found[0].blob, blob(2490));
    assert_eq!(found[0].outcome, "o2490");
    let seven = s.cached_blobs(a, &[blob(7)]).await.unwrap();
    assert_eq!(seven[0].outcome, "o7");
    assert!(s.cached_blobs(b, &wanted).await.unwrap().is_empty());
    assert!(s.cached_blobs(a, &[]).await.unwrap().is_empty());
    let stats = s.blob_cache_stats().await.unwrap();
    assert_eq!(stats.entries, 2500);
    assert_eq!(stats.rule_sets, 2);
    let text: i64 = entries.iter().map(|(_, o)| o.len() as i64 + 20).sum();
    assert_eq!(stats.bytes, text);
}

async fn unused_rule_sets_are_evicted(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let old = s.blob_rule_set("old").await.unwrap();
    let kept = s.blob_rule_set("kept").await.unwrap();
    s.cache_blobs(old, &[(blob(1), "x".into())]).await.unwrap();
    s.cache_blobs(kept, &[(blob(1), "y".into())]).await.unwrap();
    // Recently used rule sets stay, in use or not.
    let before = keywarden_store::now_millis() - 60_000;
    assert_eq!(
        s.evict_blob_rule_sets(&["kept".into()], before)
            .await
            .unwrap(),
        0
    );
    let later = keywarden_store::now_millis() + 1;
    assert_eq!(
        s.evict_blob_rule_sets(&["kept".into()], later)
            .await
            .unwrap(),
        1
    );
    assert!(s.cached_blobs(old, &[blob(1)]).await.unwrap().is_empty());
    assert_eq!(s.cached_blobs(kept, &[blob(1)]).await.unwrap().len(), 1);
    let stats = s.blob_cache_stats().await.unwrap();
    assert_eq!((stats.rule_sets, stats.entries), (1, 1));
    // With nothing in use, every stale rule set goes.
    assert_eq!(s.evict_blob_rule_sets(&[], later).await.unwrap(), 1);
    assert_eq!(s.blob_cache_stats().await.unwrap().entries, 0);
}

async fn the_size_cap_removes_the_least_recently_used(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let r = s.blob_rule_set("r").await.unwrap();
    let outcome = "x".repeat(80);
    let first: Vec<(Vec<u8>, String)> = (0..500).map(|i| (blob(i), outcome.clone())).collect();
    s.cache_blobs(r, &first).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second: Vec<(Vec<u8>, String)> = (500..1000).map(|i| (blob(i), outcome.clone())).collect();
    s.cache_blobs(r, &second).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    // Reading an old entry makes it recent.
    s.touch_cached_blobs(r, &[blob(3)]).await.unwrap();
    assert_eq!(s.blob_cache_stats().await.unwrap().bytes, 100_000);
    let removed = s.trim_blob_cache(60_000).await.unwrap();
    let stats = s.blob_cache_stats().await.unwrap();
    assert!(stats.bytes <= 60_000, "{stats:?}");
    assert_eq!(stats.entries as u64, 1000 - removed);
    assert_eq!(s.cached_blobs(r, &[blob(3)]).await.unwrap().len(), 1);
    assert!(s.cached_blobs(r, &[blob(4)]).await.unwrap().is_empty());
    assert_eq!(s.cached_blobs(r, &[blob(999)]).await.unwrap().len(), 1);
    assert_eq!(s.trim_blob_cache(60_000).await.unwrap(), 0);
}
