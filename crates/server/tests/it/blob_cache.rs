//! The blob cache in the store, end to end on both backends: a fork's identical blobs are not
//! scanned again, a restarted server rescans an unchanged branch from the database alone, and a
//! rule change never serves the old rule set's findings.

use std::sync::Arc;
use std::time::Duration;

use keywarden_core::scans::{UNUSED_FOR, evict};

use keywarden_server::AcceptAll;
use reqwest::Method;
use serde_json::{Value, json};
use testkit::scans::{fast, on_backend, push_files, server, wait_scanned};
use testkit::{TestServer, json};

const KEY_ID: &str = "AKIAZ7QXKP4MWL2HRT6J";
const GH_TOKEN: &str = "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";
const APP: &str = "/rest/security/1.0/scan/PROJ/repos/app";
const FORK: &str = "/rest/security/1.0/scan/PROJ/repos/fork";
const AWS_RULE: &str = "/rest/security/latest/hardcoded/AWS_CLIENT_ID";

fn files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = (0..6)
        .map(|i| (format!("src/f{i}.txt"), format!("plain line {i}\n")))
        .collect();
    files.push((
        "config/app.properties".into(),
        format!("aws_access_key_id = {KEY_ID}\n"),
    ));
    files.push(("src/main.py".into(), format!("TOKEN = \"{GH_TOKEN}\"\n")));
    files
}

async fn scan(s: &TestServer, path: &str) -> Value {
    let r = s.admin(Method::POST, path).send().await.unwrap();
    let (status, body) = json(r).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scheduled"], true, "{body}");
    wait_scanned(s, path).await
}

/// Toggles a rule off and on again: results are outdated, the rule set is the same.
async fn touch_rules(s: &TestServer) {
    for method in [Method::DELETE, Method::POST] {
        let r = s.admin(method, AWS_RULE).send().await.unwrap();
        assert_eq!(r.status(), 204);
    }
}

/// The findings without their commit ids.
fn without_commits(body: &Value) -> Value {
    let mut lines = body["invalidLines"].clone();
    for line in lines.as_array_mut().unwrap() {
        line.as_object_mut().unwrap().remove("commitId");
    }
    lines
}

fn rules_of(body: &Value) -> Vec<String> {
    let mut names: Vec<String> = body["invalidLines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| format!("{} {}", l["path"], l["ruleName"]))
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_across_repositories_restarts_and_rule_changes_sqlite() {
    on_backend(false, shared_across_repositories_restarts_and_rule_changes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_across_repositories_restarts_and_rule_changes_postgres() {
    on_backend(true, shared_across_repositories_restarts_and_rule_changes).await;
}

async fn shared_across_repositories_restarts_and_rule_changes(
    db: Option<keywarden_store::DatabaseLocation>,
) {
    let s = server(db, |_| {}).await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    s.add_repo("PROJ", "fork").await;
    let work = tempfile::tempdir().unwrap();
    let files = files();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    tokio::task::block_in_place(|| {
        push_files(&s, work.path(), "PROJ", "app", &refs);
        push_files(&s, work.path(), "PROJ", "fork", &refs);
    });

    let cold = s.state.scans().cache().counts();
    let first = scan(&s, APP).await;
    let after_app = s.state.scans().cache().counts();
    assert_eq!(after_app.misses - cold.misses, 8);
    assert_eq!(after_app.stored - cold.stored, 8);
    let stats = s.state.store().blob_cache_stats().await.unwrap();
    assert_eq!(stats.entries, 8);
    let expected = vec![
        "\"config/app.properties\" \"AWS_CLIENT_ID\"".to_string(),
        "\"src/main.py\" \"GITHUB_TOKEN\"".to_string(),
    ];
    assert_eq!(rules_of(&first), expected, "{first}");

    // The fork holds the same blobs: none is scanned again.
    let fork = scan(&s, FORK).await;
    let after_fork = s.state.scans().cache().counts();
    assert_eq!(after_fork.misses, after_app.misses);
    assert_eq!(after_fork.hits - after_app.hits, 8);
    // Each repository was pushed its own commit (made apart): the lines are the same.
    assert_eq!(without_commits(&fork), without_commits(&first));

    // After a restart, memory is empty: the unchanged branch comes from the database.
    let s = s.restart_with(Arc::new(AcceptAll), fast).await;
    touch_rules(&s).await;
    let again = scan(&s, APP).await;
    let restarted = s.state.scans().cache().counts();
    assert_eq!(
        (restarted.misses, restarted.loaded),
        (0, 8),
        "{restarted:?}"
    );
    assert_eq!(again["invalidLines"], first["invalidLines"]);

    // Another rule set has other entries: a rule turned off is not served from the cache.
    let r = s.admin(Method::DELETE, AWS_RULE).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let fewer = scan(&s, APP).await;
    let changed = s.state.scans().cache().counts();
    assert_eq!(changed.misses - restarted.misses, 8);
    let names = rules_of(&fewer);
    assert!(
        !names.iter().any(|n| n.contains("AWS_CLIENT_ID")),
        "{names:?}"
    );
    assert!(names.contains(&expected[1]), "{names:?}");
    assert_eq!(
        s.state.store().blob_cache_stats().await.unwrap().entries,
        16
    );
    assert_eq!(fewer["scanned"], json!(true));

    // Eviction keeps the rule sets of branch results (app's new one, fork's old one).
    let store = s.state.store();
    let none = Duration::ZERO;
    assert_eq!(evict(store, u64::MAX, none).await.unwrap(), (0, 0));
    // The rule on again: both branches' results are of the first rule set once rescanned.
    let r = s.admin(Method::POST, AWS_RULE).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(rules_of(&scan(&s, APP).await), expected);
    let (rule_sets, entries) = evict(store, u64::MAX, none).await.unwrap();
    assert_eq!((rule_sets, entries), (1, 0));
    let stats = store.blob_cache_stats().await.unwrap();
    assert_eq!((stats.rule_sets, stats.entries), (1, 8));
    // A rule set in use within the grace period stays.
    assert_eq!(evict(store, u64::MAX, UNUSED_FOR).await.unwrap(), (0, 0));
    // Over the size cap, the least recently used entries go; a scan still finds its lines.
    let (_, trimmed) = evict(store, 1, none).await.unwrap();
    assert_eq!(trimmed, 8);
    assert_eq!(rules_of(&scan(&s, FORK).await), expected);
}
