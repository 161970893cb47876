//! Store tests of the rules and reviewed-findings tables. Every case runs twice: on a fresh SQLite file and on a fresh PostgreSQL
//! schema (from `KEYWARDEN_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`).
//! The PostgreSQL half fails when the server is unreachable, unless `KEYWARDEN_SKIP_POSTGRES=1`.

use crate::common::{on_postgres, on_sqlite};

use std::sync::Arc;

use keywarden_store::{NewCustomRule, NewProject, NewRepository, NewReviewed, Store, StoreError};

both_backends!(
    builtin_toggles,
    custom_rules_crud,
    repository_reviewed,
    global_reviewed_batches,
    rule_budget_events,
);

fn rule(name: &str, regexp: &str) -> NewCustomRule {
    NewCustomRule {
        name: name.into(),
        regexp: regexp.into(),
        enabled: true,
        blocking: true,
        created_by: Some("admin".into()),
    }
}

fn reviewed(text: &str, rule: Option<&str>) -> NewReviewed {
    NewReviewed {
        match_text: text.into(),
        rule_name: rule.map(Into::into),
        reviewed_by: Some("alice".into()),
    }
}

async fn builtin_toggles(store: Arc<dyn Store>) {
    assert!(store.builtin_rule_states().await.unwrap().is_empty());
    store
        .set_builtin_rule_enabled("RSA_PRIVATE_KEY", false)
        .await
        .unwrap();
    store
        .set_builtin_rule_enabled("AWS_CLIENT_ID", false)
        .await
        .unwrap();
    store
        .set_builtin_rule_enabled("AWS_CLIENT_ID", true)
        .await
        .unwrap();
    assert_eq!(
        store.builtin_rule_states().await.unwrap(),
        vec![
            ("AWS_CLIENT_ID".to_string(), true),
            ("RSA_PRIVATE_KEY".to_string(), false)
        ]
    );
}

async fn custom_rules_crud(store: Arc<dyn Store>) {
    let a = store
        .create_custom_rule(rule("A", "a_[0-9]+"))
        .await
        .unwrap();
    let b = store
        .create_custom_rule(rule("B", "b_[0-9]+"))
        .await
        .unwrap();
    assert!(b.id > a.id);
    assert_eq!(a.regexp, "a_[0-9]+");
    assert!(a.enabled && a.blocking && a.validation_error.is_none());
    assert_eq!(a.created_by.as_deref(), Some("admin"));
    let dup = store.create_custom_rule(rule("A", "x")).await.unwrap_err();
    assert!(matches!(dup, StoreError::Conflict(_)), "{dup:?}");

    store
        .set_custom_rule_error(a.id, Some("too slow"))
        .await
        .unwrap();
    let got = store.custom_rule(a.id).await.unwrap().unwrap();
    assert_eq!(got.validation_error.as_deref(), Some("too slow"));
    store.set_custom_rule_error(a.id, None).await.unwrap();
    assert!(
        store
            .custom_rule(a.id)
            .await
            .unwrap()
            .unwrap()
            .validation_error
            .is_none()
    );
    assert!(matches!(
        store.set_custom_rule_error(9999, None).await,
        Err(StoreError::NotFound)
    ));

    store.set_custom_rule_error(b.id, Some("x")).await.unwrap();
    let mut edit = rule("B2", "b2_[0-9]+");
    edit.blocking = false;
    edit.enabled = false;
    let b2 = store.update_custom_rule(b.id, edit).await.unwrap();
    assert_eq!(
        (b2.name.as_str(), b2.blocking, b2.enabled),
        ("B2", false, false)
    );
    assert!(b2.validation_error.is_none());
    let taken = store
        .update_custom_rule(b.id, rule("A", "x"))
        .await
        .unwrap_err();
    assert!(matches!(taken, StoreError::Conflict(_)), "{taken:?}");
    assert!(matches!(
        store.update_custom_rule(9999, rule("Z", "z")).await,
        Err(StoreError::NotFound)
    ));

    let all = store.list_custom_rules().await.unwrap();
    assert_eq!(
        all.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["A", "B2"]
    );
    store.delete_custom_rule(a.id).await.unwrap();
    assert!(matches!(
        store.delete_custom_rule(a.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.custom_rule(a.id).await.unwrap().is_none());
}

async fn repository_reviewed(store: Arc<dyn Store>) {
    let p = store
        .create_project(NewProject {
            key: "P".into(),
            name: "P".into(),
            description: None,
        })
        .await
        .unwrap();
    let new_repo = |slug: &str| NewRepository {
        project_id: p.id,
        slug: slug.into(),
        name: slug.into(),
        default_branch: "main".into(),
        disk_name: format!("{}-{slug}", p.id),
    };
    let r1 = store.create_repository(new_repo("r1")).await.unwrap();
    let r2 = store.create_repository(new_repo("r2")).await.unwrap();
    assert!(
        store
            .add_repository_reviewed(r1.id, reviewed("s3cr3t", Some("R")))
            .await
            .unwrap()
    );
    assert!(
        !store
            .add_repository_reviewed(r1.id, reviewed("s3cr3t", None))
            .await
            .unwrap()
    );
    assert!(
        store
            .add_repository_reviewed(r1.id, reviewed("other", None))
            .await
            .unwrap()
    );
    assert!(
        store
            .add_repository_reviewed(r2.id, reviewed("s3cr3t", None))
            .await
            .unwrap()
    );
    let list = store.list_repository_reviewed(r1.id).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1].match_text, "s3cr3t");
    assert_eq!(list[1].rule_name.as_deref(), Some("R"));
    assert_eq!(list[1].reviewed_by.as_deref(), Some("alice"));
    assert!(list[1].reviewed_at > 0);
    assert!(
        store
            .delete_repository_reviewed(r1.id, "s3cr3t")
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_repository_reviewed(r1.id, "s3cr3t")
            .await
            .unwrap()
    );
    assert_eq!(store.clear_repository_reviewed(r1.id).await.unwrap(), 1);
    assert!(
        store
            .list_repository_reviewed(r1.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.list_repository_reviewed(r2.id).await.unwrap().len(),
        1
    );
    assert!(matches!(
        store
            .add_repository_reviewed(9999, reviewed("x", None))
            .await,
        Err(StoreError::NotFound)
    ));
    // Deleting the repository takes its entries along.
    store.delete_repository(r2.id).await.unwrap();
    assert!(
        store
            .list_repository_reviewed(r2.id)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn global_reviewed_batches(store: Arc<dyn Store>) {
    let added = store
        .add_global_reviewed(vec![
            reviewed("a", Some("R")),
            reviewed("b", None),
            reviewed("a", None),
        ])
        .await
        .unwrap();
    assert_eq!(added, 2);
    assert_eq!(
        store
            .add_global_reviewed(vec![reviewed("b", None)])
            .await
            .unwrap(),
        0
    );
    let all = store.list_global_reviewed().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].rule_name.as_deref(), Some("R"));
    let removed = store
        .delete_global_reviewed(vec!["a".into(), "zzz".into()])
        .await
        .unwrap();
    assert_eq!(removed, 1);
    let many: Vec<_> = (0..2000)
        .map(|i| reviewed(&format!("m{i}"), None))
        .collect();
    assert_eq!(store.add_global_reviewed(many).await.unwrap(), 2000);
    assert_eq!(store.clear_global_reviewed().await.unwrap(), 2001);
    assert!(store.list_global_reviewed().await.unwrap().is_empty());
}

async fn rule_budget_events(store: Arc<dyn Store>) {
    let p = store
        .create_project(NewProject {
            key: "B".into(),
            name: "B".into(),
            description: None,
        })
        .await
        .unwrap();
    let mut repos = Vec::new();
    for slug in ["r1", "r2", "r3"] {
        repos.push(
            store
                .create_repository(NewRepository {
                    project_id: p.id,
                    slug: slug.into(),
                    name: slug.into(),
                    default_branch: "main".into(),
                    disk_name: format!("{}-{slug}", p.id),
                })
                .await
                .unwrap(),
        );
    }
    let a = store
        .create_custom_rule(rule("A", "a_[0-9]+"))
        .await
        .unwrap();
    let b = store
        .create_custom_rule(rule("B", "b_[0-9]+"))
        .await
        .unwrap();
    assert!(store.rule_budget_counts(0).await.unwrap().is_empty());
    // Rule A: r1 twice (at 100 and 200), r2 at 300, r3 at 50; rule B: r1 at 400.
    for (rule_id, repo, at) in [
        (a.id, repos[0].id, 100),
        (a.id, repos[0].id, 200),
        (a.id, repos[1].id, 300),
        (a.id, repos[2].id, 50),
        (b.id, repos[0].id, 400),
    ] {
        store
            .add_rule_budget_event(rule_id, repo, at)
            .await
            .unwrap();
    }
    let counts = store.rule_budget_counts(0).await.unwrap();
    assert_eq!(counts.len(), 2, "{counts:?}");
    assert_eq!(
        (
            counts[0].rule_id,
            counts[0].repositories,
            counts[0].times,
            counts[0].last
        ),
        (a.id, 3, 4, 300)
    );
    assert_eq!(
        (
            counts[1].rule_id,
            counts[1].repositories,
            counts[1].times,
            counts[1].last
        ),
        (b.id, 1, 1, 400)
    );
    // Only events at or after the window start count as repositories; times and last don't.
    let counts = store.rule_budget_counts(150).await.unwrap();
    assert_eq!(
        (counts[0].repositories, counts[0].times, counts[0].last),
        (2, 4, 300)
    );
    let counts = store.rule_budget_counts(1000).await.unwrap();
    assert_eq!((counts[0].repositories, counts[1].repositories), (0, 0));
    // Clearing forgets one rule's events only.
    assert_eq!(store.clear_rule_budget_events(a.id).await.unwrap(), 4);
    let counts = store.rule_budget_counts(0).await.unwrap();
    assert_eq!(counts.len(), 1);
    assert_eq!(counts[0].rule_id, b.id);
    // Deleting a repository or a rule deletes its events.
    store
        .add_rule_budget_event(a.id, repos[2].id, 500)
        .await
        .unwrap();
    store.delete_repository(repos[2].id).await.unwrap();
    store.delete_custom_rule(b.id).await.unwrap();
    assert!(store.rule_budget_counts(0).await.unwrap().is_empty());
    assert_eq!(store.clear_rule_budget_events(a.id).await.unwrap(), 0);
}
