//! The store test suite. Every case runs twice: on a fresh SQLite file and on a fresh PostgreSQL
//! schema (from `KEYWARDEN_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`).
//! The PostgreSQL half fails when the server is unreachable, unless `KEYWARDEN_SKIP_POSTGRES=1`.

use crate::common::{on_postgres, on_sqlite};

use std::sync::Arc;

use keywarden_store::{
    AccessLevel, Grants, HookScope, HookSetting, NewAuditEvent, NewProject, NewRepository,
    NewToken, NewUser, PageRequest, Store, StoreError, Viewer,
};

both_backends!(
    users_roundtrip,
    user_names_are_unique_case_insensitively,
    personal_project_created_with_user,
    users_paged_and_filtered,
    tokens,
    projects_crud,
    projects_paged_filtered_and_visible,
    repositories_crud_and_listing,
    permissions_and_grants,
    delete_user_takes_personal_project,
    settings,
    settings_increment,
    hook_settings,
    audit_log,
    concurrent_write_transactions,
);

fn new_user(name: &str) -> NewUser {
    NewUser {
        name: name.into(),
        display_name: format!("{name} Display"),
        email: Some(format!("{name}@example.com")),
        password_hash: "$argon2id$fake".into(),
        admin: false,
    }
}

fn project(key: &str, name: &str) -> NewProject {
    NewProject {
        key: key.into(),
        name: name.into(),
        description: Some("d".into()),
    }
}

fn repo(project_id: i64, slug: &str) -> NewRepository {
    NewRepository {
        project_id,
        slug: slug.into(),
        name: slug.into(),
        default_branch: "main".into(),
        disk_name: format!("{project_id}-{slug}"),
    }
}

const ADMIN: Viewer = Viewer {
    user_id: -1,
    admin: true,
};

async fn users_roundtrip(store: Arc<dyn Store>) {
    assert_eq!(store.count_users().await.unwrap(), 0);
    let alice = store.create_user(new_user("Alice")).await.unwrap();
    assert_eq!(alice.name, "Alice");
    assert_eq!(alice.email.as_deref(), Some("Alice@example.com"));
    assert!(!alice.admin);
    assert_eq!(store.count_users().await.unwrap(), 1);
    let found = store.user_by_name("alice").await.unwrap().unwrap();
    assert_eq!(found, alice);
    assert_eq!(store.user_by_id(alice.id).await.unwrap().unwrap(), alice);
    assert!(store.user_by_name("bob").await.unwrap().is_none());

    store
        .set_password(alice.id, "$argon2id$other")
        .await
        .unwrap();
    store.set_admin(alice.id, true).await.unwrap();
    let found = store.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(found.password_hash, "$argon2id$other");
    assert!(found.admin);
    assert!(matches!(
        store.set_password(9999, "x").await,
        Err(StoreError::NotFound)
    ));
}

async fn user_names_are_unique_case_insensitively(store: Arc<dyn Store>) {
    store.create_user(new_user("carol")).await.unwrap();
    let err = store.create_user(new_user("CAROL")).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    // The failed transaction left nothing behind.
    assert_eq!(store.count_users().await.unwrap(), 1);
}

async fn personal_project_created_with_user(store: Arc<dyn Store>) {
    let dave = store.create_user(new_user("dave")).await.unwrap();
    let personal = store.project_by_key("~dave").await.unwrap().unwrap();
    assert_eq!(personal.key, "~DAVE");
    assert_eq!(personal.owner_id, Some(dave.id));
    assert!(personal.is_personal());
    // Personal projects are not in the project list.
    let page = store
        .list_projects(ADMIN, None, PageRequest::new(0, 25))
        .await
        .unwrap();
    assert!(page.values.is_empty());
}

async fn users_paged_and_filtered(store: Arc<dyn Store>) {
    for i in 0..7 {
        store
            .create_user(new_user(&format!("user{i}")))
            .await
            .unwrap();
    }
    store.create_user(new_user("other_x")).await.unwrap();
    let p1 = store
        .list_users(Some("USER"), PageRequest::new(0, 3))
        .await
        .unwrap();
    let names: Vec<_> = p1.values.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["user0", "user1", "user2"]);
    assert!(!p1.is_last_page);
    assert_eq!(p1.next_page_start(), Some(3));
    let p3 = store
        .list_users(Some("user"), PageRequest::new(6, 3))
        .await
        .unwrap();
    assert_eq!(p3.values.len(), 1);
    assert!(p3.is_last_page);
    // `_` is literal, not a wildcard.
    let p = store
        .list_users(Some("r_x"), PageRequest::new(0, 25))
        .await
        .unwrap();
    assert_eq!(p.values.len(), 1);
    let p = store
        .list_users(Some("r_"), PageRequest::new(0, 25))
        .await
        .unwrap();
    assert_eq!(p.values.len(), 1);
    // Display names match too.
    let p = store
        .list_users(Some("x display"), PageRequest::new(0, 25))
        .await
        .unwrap();
    assert_eq!(p.values.len(), 1);
}

fn new_token<'a>(user_id: i64, name: &'a str, key_id: &'a str, hash: &'a str) -> NewToken<'a> {
    NewToken {
        user_id,
        name,
        key_id,
        token_hash: hash,
        permissions: "REPO_READ",
        expires_at: None,
    }
}

async fn tokens(store: Arc<dyn Store>) {
    let erin = store.create_user(new_user("erin")).await.unwrap();
    let t = store
        .create_token(new_token(erin.id, "ci", "k1", "$argon2id$tok"))
        .await
        .unwrap();
    assert_eq!(t.name, "ci");
    assert_eq!(t.permissions, "REPO_READ");
    assert_eq!(t.last_used_at, None);
    store
        .create_token(NewToken {
            permissions: "PROJECT_WRITE",
            expires_at: Some(123_456),
            ..new_token(erin.id, "other", "k2", "$argon2id$tok2")
        })
        .await
        .unwrap();
    let (found, hash) = store.token_by_key("k1").await.unwrap().unwrap();
    assert_eq!(found, t);
    assert_eq!(hash, "$argon2id$tok");
    let (other, _) = store.token_by_key("k2").await.unwrap().unwrap();
    assert_eq!(other.permissions, "PROJECT_WRITE");
    assert_eq!(other.expires_at, Some(123_456));
    store.touch_token(other.id, 777).await.unwrap();
    let (other, _) = store.token_by_key("k2").await.unwrap().unwrap();
    assert_eq!(other.last_used_at, Some(777));
    assert!(store.token_by_key("nope").await.unwrap().is_none());
    assert_eq!(store.list_tokens(erin.id).await.unwrap().len(), 2);
    let dup = store
        .create_token(new_token(erin.id, "again", "k1", "h"))
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict(_)));
    store.delete_token(erin.id, t.id).await.unwrap();
    assert!(store.token_by_key("k1").await.unwrap().is_none());
    assert!(matches!(
        store.delete_token(erin.id, t.id).await,
        Err(StoreError::NotFound)
    ));
}

async fn projects_crud(store: Arc<dyn Store>) {
    let p = store
        .create_project(project("PROJ", "My Project"))
        .await
        .unwrap();
    assert_eq!(p.key, "PROJ");
    assert!(!p.is_personal());
    assert_eq!(store.project_by_key("proj").await.unwrap().unwrap(), p);
    assert_eq!(store.project_by_id(p.id).await.unwrap().unwrap(), p);
    let dup = store
        .create_project(project("PROJ", "Other"))
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict(_)));
    let updated = store.update_project(p.id, "Renamed", None).await.unwrap();
    assert_eq!(updated.name, "Renamed");
    assert_eq!(updated.description, None);

    let r = store.create_repository(repo(p.id, "r1")).await.unwrap();
    let busy = store.delete_project(p.id).await.unwrap_err();
    assert!(matches!(busy, StoreError::Conflict(_)), "{busy:?}");
    store.delete_repository(r.id).await.unwrap();
    store.delete_project(p.id).await.unwrap();
    assert!(store.project_by_key("PROJ").await.unwrap().is_none());
    assert!(matches!(
        store.delete_project(p.id).await,
        Err(StoreError::NotFound)
    ));
}

async fn projects_paged_filtered_and_visible(store: Arc<dyn Store>) {
    for i in 0..12 {
        let name = if i % 2 == 0 {
            format!("Alpha {i}")
        } else {
            format!("Beta {i}")
        };
        store
            .create_project(project(&format!("P{i:02}"), &name))
            .await
            .unwrap();
    }
    let all = store
        .list_projects(ADMIN, None, PageRequest::new(0, 5))
        .await
        .unwrap();
    let keys: Vec<_> = all.values.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["P00", "P01", "P02", "P03", "P04"]);
    assert!(!all.is_last_page);
    let last = store
        .list_projects(ADMIN, None, PageRequest::new(10, 5))
        .await
        .unwrap();
    assert_eq!(last.values.len(), 2);
    assert!(last.is_last_page);
    let alpha = store
        .list_projects(ADMIN, Some("aLpHa"), PageRequest::new(0, 4))
        .await
        .unwrap();
    assert_eq!(alpha.values.len(), 4);
    assert!(alpha.values.iter().all(|p| p.name.starts_with("Alpha")));
    assert!(!alpha.is_last_page);
    // The filter is on the name, not the key.
    let by_key = store
        .list_projects(ADMIN, Some("P0"), PageRequest::new(0, 25))
        .await
        .unwrap();
    assert!(by_key.values.is_empty());

    // A user sees projects they have a grant on, or a repository grant in.
    let frank = store.create_user(new_user("frank")).await.unwrap();
    let me = Viewer {
        user_id: frank.id,
        admin: false,
    };
    assert!(
        store
            .list_projects(me, None, PageRequest::new(0, 25))
            .await
            .unwrap()
            .values
            .is_empty()
    );
    let p3 = store.project_by_key("P03").await.unwrap().unwrap();
    store
        .grant_project(p3.id, frank.id, AccessLevel::Read)
        .await
        .unwrap();
    let p7 = store.project_by_key("P07").await.unwrap().unwrap();
    let r = store.create_repository(repo(p7.id, "x")).await.unwrap();
    store
        .grant_repository(r.id, frank.id, AccessLevel::Write)
        .await
        .unwrap();
    let seen = store
        .list_projects(me, None, PageRequest::new(0, 25))
        .await
        .unwrap();
    let keys: Vec<_> = seen.values.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["P03", "P07"]);
}

async fn repositories_crud_and_listing(store: Arc<dyn Store>) {
    let p = store.create_project(project("REP", "Repos")).await.unwrap();
    for slug in ["delta", "alpha", "charlie", "bravo"] {
        store.create_repository(repo(p.id, slug)).await.unwrap();
    }
    let dup = store
        .create_repository(repo(p.id, "alpha"))
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict(_)));
    let r = store
        .repository_by_slug(p.id, "ALPHA")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.slug, "alpha");
    assert_eq!(r.default_branch, "main");
    assert_eq!(store.repository_by_id(r.id).await.unwrap().unwrap(), r);

    let page = store
        .list_repositories(p.id, ADMIN, None, PageRequest::new(1, 2))
        .await
        .unwrap();
    let slugs: Vec<_> = page.values.iter().map(|r| r.slug.as_str()).collect();
    assert_eq!(slugs, ["bravo", "charlie"]);
    assert!(!page.is_last_page);
    let page = store
        .list_repositories(p.id, ADMIN, Some("RL"), PageRequest::new(0, 25))
        .await;
    assert_eq!(page.unwrap().values.len(), 1);

    let gina = store.create_user(new_user("gina")).await.unwrap();
    let me = Viewer {
        user_id: gina.id,
        admin: false,
    };
    let none = store
        .list_repositories(p.id, me, None, PageRequest::new(0, 25))
        .await
        .unwrap();
    assert!(none.values.is_empty());
    store
        .grant_repository(r.id, gina.id, AccessLevel::Read)
        .await
        .unwrap();
    let one = store
        .list_repositories(p.id, me, None, PageRequest::new(0, 25))
        .await
        .unwrap();
    assert_eq!(one.values, vec![r.clone()]);
    store
        .grant_project(p.id, gina.id, AccessLevel::Read)
        .await
        .unwrap();
    let all = store
        .list_repositories(p.id, me, None, PageRequest::new(0, 25))
        .await
        .unwrap();
    assert_eq!(all.values.len(), 4);

    // The owner of a personal project sees its repositories.
    let personal = store.project_by_key("~gina").await.unwrap().unwrap();
    store
        .create_repository(repo(personal.id, "mine"))
        .await
        .unwrap();
    let mine = store
        .list_repositories(personal.id, me, None, PageRequest::new(0, 25))
        .await;
    assert_eq!(mine.unwrap().values.len(), 1);

    store.delete_repository(r.id).await.unwrap();
    assert!(store.repository_by_id(r.id).await.unwrap().is_none());
    assert!(matches!(
        store.delete_repository(r.id).await,
        Err(StoreError::NotFound)
    ));
}

async fn permissions_and_grants(store: Arc<dyn Store>) {
    let p = store.create_project(project("PERM", "Perm")).await.unwrap();
    let r = store.create_repository(repo(p.id, "r")).await.unwrap();
    let hank = store.create_user(new_user("hank")).await.unwrap();
    let ivy = store.create_user(new_user("ivy")).await.unwrap();
    assert_eq!(
        store.grants(hank.id, p.id, Some(r.id)).await.unwrap(),
        Grants::default()
    );

    store
        .grant_project(p.id, hank.id, AccessLevel::Read)
        .await
        .unwrap();
    store
        .grant_project(p.id, hank.id, AccessLevel::Admin)
        .await
        .unwrap(); // replaces
    store
        .grant_repository(r.id, ivy.id, AccessLevel::Write)
        .await
        .unwrap();
    let g = store.grants(hank.id, p.id, Some(r.id)).await.unwrap();
    assert_eq!(
        g,
        Grants {
            project: Some(AccessLevel::Admin),
            repository: None,
            any_repository: false
        }
    );
    let g = store.grants(ivy.id, p.id, Some(r.id)).await.unwrap();
    assert_eq!(
        g,
        Grants {
            project: None,
            repository: Some(AccessLevel::Write),
            any_repository: true
        }
    );
    let g = store.grants(ivy.id, p.id, None).await.unwrap();
    assert_eq!(
        g,
        Grants {
            project: None,
            repository: None,
            any_repository: true
        }
    );

    let pg = store
        .project_grants(p.id, None, PageRequest::new(0, 25))
        .await
        .unwrap();
    assert_eq!(pg.values.len(), 1);
    assert_eq!(pg.values[0].user.name, "hank");
    assert_eq!(pg.values[0].level, AccessLevel::Admin);
    let rg = store
        .repository_grants(r.id, Some("IV"), PageRequest::new(0, 25))
        .await
        .unwrap();
    assert_eq!(rg.values.len(), 1);
    assert_eq!(rg.values[0].level, AccessLevel::Write);

    store.revoke_project(p.id, hank.id).await.unwrap();
    store.revoke_repository(r.id, ivy.id).await.unwrap();
    store.revoke_repository(r.id, ivy.id).await.unwrap(); // idempotent
    assert_eq!(
        store.grants(hank.id, p.id, Some(r.id)).await.unwrap(),
        Grants::default()
    );
    assert_eq!(
        store.grants(ivy.id, p.id, Some(r.id)).await.unwrap(),
        Grants::default()
    );
}

async fn delete_user_takes_personal_project(store: Arc<dyn Store>) {
    let jack = store.create_user(new_user("jack")).await.unwrap();
    let personal = store.project_by_key("~JACK").await.unwrap().unwrap();
    let r = store
        .create_repository(repo(personal.id, "dotfiles"))
        .await
        .unwrap();
    let p = store
        .create_project(project("SHARED", "Shared"))
        .await
        .unwrap();
    store
        .grant_project(p.id, jack.id, AccessLevel::Write)
        .await
        .unwrap();
    store
        .create_token(new_token(jack.id, "t", "jk", "h"))
        .await
        .unwrap();

    let removed = store.delete_user(jack.id).await.unwrap();
    assert_eq!(removed, vec![r.clone()]);
    assert!(store.user_by_name("jack").await.unwrap().is_none());
    assert!(store.project_by_key("~jack").await.unwrap().is_none());
    assert!(store.repository_by_id(r.id).await.unwrap().is_none());
    assert!(store.token_by_key("jk").await.unwrap().is_none());
    assert!(
        store
            .project_grants(p.id, None, PageRequest::new(0, 5))
            .await
            .unwrap()
            .values
            .is_empty()
    );
    assert!(matches!(
        store.delete_user(jack.id).await,
        Err(StoreError::NotFound)
    ));
    // The name is free again.
    store.create_user(new_user("jack")).await.unwrap();
}

async fn settings(store: Arc<dyn Store>) {
    assert_eq!(store.setting("hookMode").await.unwrap(), None);
    store.put_setting("hookMode", "\"block\"").await.unwrap();
    store.put_setting("hookMode", "\"warn\"").await.unwrap();
    assert_eq!(
        store.setting("hookMode").await.unwrap().as_deref(),
        Some("\"warn\"")
    );
}

async fn settings_increment(store: Arc<dyn Store>) {
    assert_eq!(store.increment_setting("generation", 1).await.unwrap(), 1);
    assert_eq!(store.increment_setting("generation", 1).await.unwrap(), 2);
    assert_eq!(store.increment_setting("generation", 5).await.unwrap(), 7);
    assert_eq!(
        store.setting("generation").await.unwrap().as_deref(),
        Some("7")
    );
}

async fn hook_settings(store: Arc<dyn Store>) {
    let p = store
        .create_project(project("HOOK", "Hooks"))
        .await
        .unwrap();
    let r = store.create_repository(repo(p.id, "r")).await.unwrap();
    let (ps, rs) = (HookScope::Project(p.id), HookScope::Repository(r.id));
    assert_eq!(store.hook_setting(ps).await.unwrap(), None);
    assert_eq!(store.hook_setting(rs).await.unwrap(), None);
    let on_warn = HookSetting {
        enabled: true,
        warn: true,
    };
    let off = HookSetting {
        enabled: false,
        warn: false,
    };
    store.put_hook_setting(ps, on_warn).await.unwrap();
    store.put_hook_setting(rs, off).await.unwrap();
    store.put_hook_setting(rs, on_warn).await.unwrap();
    assert_eq!(store.hook_setting(ps).await.unwrap(), Some(on_warn));
    assert_eq!(store.hook_setting(rs).await.unwrap(), Some(on_warn));
    store.delete_hook_setting(rs).await.unwrap();
    store.delete_hook_setting(rs).await.unwrap();
    assert_eq!(store.hook_setting(rs).await.unwrap(), None);
    // An unknown scope is NotFound; a deleted repository takes its setting with it.
    assert!(matches!(
        store
            .put_hook_setting(HookScope::Repository(999_999), off)
            .await,
        Err(keywarden_store::StoreError::NotFound)
    ));
    store.put_hook_setting(rs, off).await.unwrap();
    store.delete_repository(r.id).await.unwrap();
    assert_eq!(store.hook_setting(rs).await.unwrap(), None);
}

async fn audit_log(store: Arc<dyn Store>) {
    for i in 0..3 {
        let e = store
            .append_audit(NewAuditEvent {
                user_name: Some("alice".into()),
                action: format!("ACTION_{i}"),
                project_key: Some("P".into()),
                repository_slug: None,
                details: format!("{{\"n\":{i}}}"),
            })
            .await
            .unwrap();
        assert_eq!(e.action, format!("ACTION_{i}"));
        assert!(e.created_at > 0);
    }
    let page = store.list_audit(PageRequest::new(0, 2)).await.unwrap();
    assert_eq!(page.values.len(), 2);
    assert!(!page.is_last_page);
    assert_eq!(page.values[0].action, "ACTION_2", "newest first");
    assert_eq!(page.values[1].details, "{\"n\":1}");
    let rest = store.list_audit(PageRequest::new(2, 2)).await.unwrap();
    assert_eq!(rest.values.len(), 1);
    assert!(rest.is_last_page);
    assert_eq!(rest.values[0].user_name.as_deref(), Some("alice"));
}

/// Write transactions that read before they write, run side by side with other writes, all
/// succeed (on SQLite they take the write lock up front and wait for it, rather than failing
/// with "database is locked" when another connection commits in between).
async fn concurrent_write_transactions(store: Arc<dyn Store>) {
    let mut ids = Vec::new();
    for i in 0..24 {
        ids.push(
            store
                .create_user(new_user(&format!("cw{i}")))
                .await
                .unwrap()
                .id,
        );
    }
    let mut tasks = Vec::new();
    for (i, id) in ids.into_iter().enumerate() {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            s.delete_user(id).await.map(|_| ())?;
            s.create_user(new_user(&format!("cx{i}"))).await.map(|_| ())
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("every write succeeds");
    }
    assert!(store.user_by_name("cw0").await.unwrap().is_none());
    assert!(store.user_by_name("cx23").await.unwrap().is_some());
}
