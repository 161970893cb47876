//! The rules API, `soteri-security.yml`, settings, log level and audit log against a real
//! server over HTTP, on SQLite and (for the rules flow) PostgreSQL.

use std::sync::Arc;

use keywarden_core::settings::generation;
use keywarden_server::AcceptAll;
use keywarden_store::DatabaseLocation;
use reqwest::Method;
use serde_json::{Value, json};
use testkit::{TestServer, assert_error, git_ok, json, work_repo};

const INVALID: &str = "com.atlassian.bitbucket.validation.ArgumentValidationException";
const NOT_FOUND: &str = "com.atlassian.bitbucket.NoSuchEntityException";

async fn generation_of(s: &TestServer) -> i64 {
    generation(s.state.store()).await.unwrap()
}

/// The rules flow of the seed's "Rules" section.
async fn rules_flow(s: &TestServer) {
    // List: built-ins first, hardcoded, enabled, with their name as id.
    let (st, rules) = json(
        s.admin(Method::GET, "/rest/security/1.0/rules")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200);
    let rules = rules.as_array().unwrap().clone();
    assert!(rules.len() >= 300, "{}", rules.len());
    let rsa = rules
        .iter()
        .find(|r| r["name"] == "RSA_PRIVATE_KEY")
        .unwrap();
    assert_eq!(rsa["hardcoded"], true);
    assert_eq!(rsa["enabled"], true);
    assert_eq!(rsa["id"], "RSA_PRIVATE_KEY");
    assert!(rsa.get("regexp").is_none());
    assert!(rules.iter().all(|r| r["hardcoded"] == true));

    // Disable with the alias, enable again; each bumps the generation (scans become outdated).
    let g0 = generation_of(s).await;
    let r = s
        .admin(Method::DELETE, "/rest/security/1.0/hardcoded/RSA")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(generation_of(s).await > g0);
    let (_, rules) = json(
        s.admin(Method::GET, "/rest/security/latest/rules")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let rsa = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "RSA_PRIVATE_KEY")
        .unwrap()
        .clone();
    assert_eq!(rsa["enabled"], false);
    let g1 = generation_of(s).await;
    let r = s
        .admin(Method::POST, "/rest/security/1.0/hardcoded/RSA_PRIVATE_KEY")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(generation_of(s).await > g1);
    let r = s
        .admin(Method::POST, "/rest/security/1.0/hardcoded/NO_SUCH_RULE")
        .send()
        .await
        .unwrap();
    assert_error(r, 404, NOT_FOUND, "NO_SUCH_RULE").await;

    // Create a custom rule (the seed's body), blocking by default.
    let g2 = generation_of(s).await;
    let r = s
        .admin(Method::POST, "/rest/security/latest/rules")
        .json(&json!({"name": "rule name", "regexp": "rule-regex", "enabled": true}))
        .send()
        .await
        .unwrap();
    let (st, rule) = json(r).await;
    assert_eq!(st, 201, "{rule}");
    assert_eq!(rule["hardcoded"], false);
    assert_eq!(rule["blocking"], true);
    assert_eq!(rule["regexp"], "rule-regex");
    assert_eq!(rule["validationError"], Value::Null);
    assert!(generation_of(s).await > g2);
    let id = rule["id"].as_i64().unwrap();

    // Bad regexes are 400s with a clear message; duplicates 409.
    for (regexp, needle) in [
        ("(unclosed", "does not compile"),
        ("a*", "empty string"),
        ("(?=x)", "empty string"),
        ("", "regexp"),
    ] {
        let r = s
            .admin(Method::POST, "/rest/security/latest/rules")
            .json(&json!({"name": "bad", "regexp": regexp, "enabled": true}))
            .send()
            .await
            .unwrap();
        assert_error(r, 400, INVALID, needle).await;
    }
    let r = s
        .admin(Method::POST, "/rest/security/latest/rules")
        .json(&json!({"name": "", "regexp": "x"}))
        .send()
        .await
        .unwrap();
    assert_error(r, 400, INVALID, "name").await;
    let r = s
        .admin(Method::POST, "/rest/security/latest/rules")
        .json(&json!({"name": "rule name", "regexp": "other"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    // Java-style look-around compiles (runs under a step budget).
    let r = s
        .admin(Method::POST, "/rest/security/latest/rules")
        .json(&json!({"name": "lookbehind", "regexp": "(?<=token=)[a-z]{8}", "enabled": true, "blocking": false}))
        .send()
        .await
        .unwrap();
    let (st, lb) = json(r).await;
    assert_eq!(st, 201, "{lb}");
    assert_eq!(lb["blocking"], false);

    // A budget error is recorded by the scan side, then cleared with PUT (no body).
    let lb_id = lb["id"].as_i64().unwrap();
    assert!(
        keywarden_core::rules::disable_rule_for_budget(&s.state, lb_id)
            .await
            .unwrap()
    );
    assert!(
        !keywarden_core::rules::disable_rule_for_budget(&s.state, lb_id)
            .await
            .unwrap()
    );
    let (_, rules) = json(
        s.admin(Method::GET, "/rest/security/latest/rules")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let got = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == lb_id)
        .unwrap()
        .clone();
    assert!(
        got["validationError"].as_str().unwrap().contains("budget"),
        "{got}"
    );
    let g3 = generation_of(s).await;
    let r = s
        .admin(Method::PUT, &format!("/rest/security/latest/rules/{lb_id}"))
        .send()
        .await
        .unwrap();
    let (st, cleared) = json(r).await;
    assert_eq!(st, 200, "{cleared}");
    assert_eq!(cleared["validationError"], Value::Null);
    assert!(generation_of(s).await > g3);
    // PUT with a body edits.
    let r = s
        .admin(Method::PUT, &format!("/rest/security/latest/rules/{lb_id}"))
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    let (st, edited) = json(r).await;
    assert_eq!((st, edited["enabled"].clone()), (200, json!(false)));
    let r = s
        .admin(Method::PUT, "/rest/security/latest/rules/999999")
        .send()
        .await
        .unwrap();
    assert_error(r, 404, NOT_FOUND, "999999").await;
    let r = s
        .admin(Method::PUT, "/rest/security/latest/rules/abc")
        .send()
        .await
        .unwrap();
    assert_error(r, 400, INVALID, "id").await;

    // Delete.
    let r = s
        .admin(Method::DELETE, &format!("/rest/security/latest/rules/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = s
        .admin(Method::DELETE, &format!("/rest/security/latest/rules/{id}"))
        .send()
        .await
        .unwrap();
    assert_error(r, 404, NOT_FOUND, "does not exist").await;

    // Every change is audited.
    let (_, audit) = json(
        s.admin(Method::GET, "/rest/security/latest/audit?limit=100")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let actions: Vec<&str> = audit["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "RULE_TOGGLED").count(),
        2,
        "{actions:?}"
    );
    assert!(
        actions.iter().filter(|a| **a == "RULE_CHANGED").count() >= 5,
        "{actions:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_on_sqlite() {
    let s = TestServer::start().await;
    rules_flow(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_on_postgres() {
    if std::env::var("KEYWARDEN_SKIP_POSTGRES").as_deref() == Ok("1") {
        eprintln!("KEYWARDEN_SKIP_POSTGRES=1: skipped");
        return;
    }
    let url = std::env::var("KEYWARDEN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let mut bytes = [0u8; 8];
    getrandom_bytes(&mut bytes);
    let schema = format!("kw_rules_{}", u64::from_le_bytes(bytes));
    psql(&url, &format!("CREATE SCHEMA {schema}"));
    let sep = if url.contains('?') { '&' } else { '?' };
    let db = DatabaseLocation::Postgres(format!("{url}{sep}options[search_path]={schema}"));
    let outcome = tokio::spawn(async move {
        let s = TestServer::start_full(Arc::new(AcceptAll), None, Some(db)).await;
        rules_flow(&s).await;
    })
    .await;
    psql(&url, &format!("DROP SCHEMA {schema} CASCADE"));
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

fn getrandom_bytes(buf: &mut [u8]) {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let mixed = t ^ (u128::from(std::process::id()) << 64);
    for (i, b) in buf.iter_mut().enumerate() {
        *b = (mixed >> (i * 8)) as u8;
    }
}

fn psql(url: &str, sql: &str) {
    let out = std::process::Command::new("psql")
        .args([url, "-q", "-c", sql])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Commits `files` to the default branch of the bare repository directly (no hook).
fn commit_to(s: &TestServer, bare: &std::path::Path, files: &[(&str, &str)]) {
    let tmp = tempfile::tempdir().unwrap();
    let work = work_repo(tmp.path(), "w", "README.md", "readme\n");
    for (name, content) in files {
        std::fs::write(work.join(name), content).unwrap();
    }
    git_ok(&work, &["add", "."]);
    git_ok(&work, &["commit", "-q", "--allow-empty", "-m", "config"]);
    let _ = s;
    git_ok(
        &work,
        &[
            "-c",
            "core.hooksPath=/nonexistent-hooks",
            "push",
            "-q",
            "-f",
            bare.to_str().unwrap(),
            "main",
        ],
    );
}

async fn bare_path(
    s: &TestServer,
    key: &str,
    slug: &str,
) -> (keywarden_store::Repository, std::path::PathBuf) {
    let p = s.state.store().project_by_key(key).await.unwrap().unwrap();
    let r = s
        .state
        .store()
        .repository_by_slug(p.id, slug)
        .await
        .unwrap()
        .unwrap();
    let path = s.state.config().repository_path(&r.disk_name);
    (r, path)
}

async fn set_settings(s: &TestServer, body: Value) -> Value {
    let (st, v) = json(
        s.admin(Method::PUT, "/rest/security/latest/settings")
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soteri_security_yml_and_rule_types() {
    let s = TestServer::start().await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    let (repo, bare) = bare_path(&s, "PROJ", "app").await;
    let r = s
        .admin(Method::POST, "/rest/security/latest/rules")
        .json(&json!({"name": "CORP", "regexp": "corp_[0-9]{6}", "enabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = s
        .admin(Method::POST, "/rest/security/latest/rules")
        .json(&json!({"name": "OFF", "regexp": "off_[0-9]{6}", "enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    // Empty repository: rule names are the built-ins and every custom rule, disabled included.
    let path = "/rest/security/1.0/scan/PROJ/rule_types/app";
    let (st, names) = json(s.admin(Method::GET, path).send().await.unwrap()).await;
    assert_eq!(st, 200, "{names}");
    let names: Vec<String> = serde_json::from_value(names).unwrap();
    assert!(names.contains(&"AWS_CLIENT_ID".to_string()));
    assert!(names.ends_with(&["CORP".to_string(), "OFF".to_string()]));

    let yml = "# comment\ninherit_builtin_rules: false\ninherit_custom_rules: ~\nrules:\n  - RSA_PRIVATE_KEY\n  - NOT_A_RULE\ncustom_rules:\n  CORP: 'corp_[a-z]{6}'\n  REPO_ONLY: 'repo_[0-9]{4}'\nallowlist_paths:\n  - '^test/'\n  - '*.md'\nskip_file_paths: [x]\n";
    tokio::task::block_in_place(|| commit_to(&s, &bare, &[("soteri-security.yml", yml)]));

    // perRepositoryRules off (default): the file is ignored.
    let eff = keywarden_core::rules::effective_rules_for(&s.state, &repo)
        .await
        .unwrap();
    assert!(!eff.repo_config_applied);
    assert!(eff.rules.len() >= 300);
    let (_, names) = json(s.admin(Method::GET, path).send().await.unwrap()).await;
    assert!(!names.as_array().unwrap().contains(&json!("REPO_ONLY")));

    let g = generation_of(&s).await;
    set_settings(&s, json!({"perRepositoryRules": true})).await;
    assert!(
        generation_of(&s).await > g,
        "a settings change bumps the generation"
    );
    let eff = keywarden_core::rules::effective_rules_for(&s.state, &repo)
        .await
        .unwrap();
    assert!(eff.repo_config_applied);
    assert_eq!(eff.config_error, None);
    let rule_names: Vec<&str> = eff.rules.rules().map(|r| r.name.as_str()).collect();
    assert_eq!(rule_names, ["RSA_PRIVATE_KEY", "CORP", "REPO_ONLY"]);
    assert_eq!(
        eff.rules.rule(1).regex,
        "corp_[a-z]{6}",
        "the repository's CORP overrides the global one"
    );
    assert!(eff.allowlist.matches("test/a.txt") && eff.allowlist.matches("docs/README.md"));
    assert!(!eff.allowlist.matches("src/main.rs"));
    let warnings = eff.warnings.join("\n");
    for needle in ["skip_file_paths", "NOT_A_RULE", "*.md"] {
        assert!(warnings.contains(needle), "{needle} in {warnings}");
    }
    // Cached: the same Arc until the configuration changes.
    let again = keywarden_core::rules::effective_rules_for(&s.state, &repo)
        .await
        .unwrap();
    assert!(Arc::ptr_eq(&eff, &again));
    let (_, names) = json(s.admin(Method::GET, path).send().await.unwrap()).await;
    assert!(names.as_array().unwrap().contains(&json!("REPO_ONLY")));
    let r = s
        .admin(Method::GET, &format!("{path}?branch=main"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = s
        .admin(Method::GET, &format!("{path}?branch=nope"))
        .send()
        .await
        .unwrap();
    assert_error(r, 404, NOT_FOUND, "nope").await;

    // Invalid files: the global configuration applies and the error is reported.
    for bad in [
        "rules: [unclosed",
        "inherit_builtin_rules: maybe",
        "rules:\n  - name: X\n",
        "- a\n- b\n",
        "custom_rules: 5\n",
        "custom_rules:\n  BROKEN: '(unclosed'\n",
        "custom_rules:\n  EMPTY: 'x*'\n",
        "allowlist_paths: ['[z-a']\n",
        "inherit_builtin_rules: 'no'\n",
        "inherit_custom_rules: off\n",
    ] {
        tokio::task::block_in_place(|| commit_to(&s, &bare, &[("soteri-security.yml", bad)]));
        let eff = keywarden_core::rules::effective_rules_for(&s.state, &repo)
            .await
            .unwrap();
        assert!(
            eff.config_error
                .as_deref()
                .unwrap_or("")
                .contains("soteri-security.yml"),
            "{bad}: {:?}",
            eff.config_error
        );
        assert!(!eff.repo_config_applied);
        let names: Vec<&str> = eff.rules.rules().map(|r| r.name.as_str()).collect();
        assert!(
            names.contains(&"AWS_CLIENT_ID") && names.contains(&"CORP"),
            "{bad}"
        );
    }
    // Nulls everywhere mean the defaults; an empty file too.
    for ok in [
        "inherit_builtin_rules:\ninherit_custom_rules:\nrules:\ncustom_rules:\n# only comments\nallowlist_paths:\n",
        "",
        "~\n",
    ] {
        tokio::task::block_in_place(|| commit_to(&s, &bare, &[("soteri-security.yml", ok)]));
        let eff = keywarden_core::rules::effective_rules_for(&s.state, &repo)
            .await
            .unwrap();
        assert_eq!(eff.config_error, None, "{ok:?}");
        let names: Vec<&str> = eff.rules.rules().map(|r| r.name.as_str()).collect();
        assert!(
            names.contains(&"AWS_CLIENT_ID") && names.contains(&"CORP") && !names.contains(&"OFF"),
            "{ok:?}"
        );
    }
    // A global custom rule with a validation error is left out until cleared.
    let (_, rules) = json(
        s.admin(Method::GET, "/rest/security/latest/rules")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let corp = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "CORP")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    // One overrun skips the rule on a line only; a second repository does not disable it
    // either; overruns in three distinct repositories within 24 hours do.
    let mut repo_ids = vec![repo.id];
    for slug in ["other1", "other2"] {
        s.add_repo("PROJ", slug).await;
        let (other, _) = bare_path(&s, "PROJ", slug).await;
        repo_ids.push(other.id);
    }
    for (n, id) in [repo_ids[0], repo_ids[0], repo_ids[1], repo_ids[2]]
        .into_iter()
        .enumerate()
    {
        let eff = keywarden_core::rules::effective_rules_for(&s.state, &repo)
            .await
            .unwrap();
        assert!(eff.rules.rules().any(|r| r.name == "CORP"), "after {n}");
        let idx = eff.rules.rules().position(|r| r.name == "CORP").unwrap();
        let names = keywarden_core::rules::record_budget_exceeded(&s.state, &eff.rules, &[idx], id)
            .await
            .unwrap();
        assert_eq!(names, ["CORP"]);
    }
    let eff = keywarden_core::rules::effective_rules_for(&s.state, &repo)
        .await
        .unwrap();
    assert!(!eff.rules.rules().any(|r| r.name == "CORP"));
    let corp_json = |rules: Value| {
        rules
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "CORP")
            .unwrap()
            .clone()
    };
    let (_, rules) = json(
        s.admin(Method::GET, "/rest/security/latest/rules")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let got = corp_json(rules);
    assert_eq!(got["budgetExceededRepositories"], 3, "{got}");
    assert_eq!(got["budgetExceededTimes"], 4, "{got}");
    assert!(
        got["budgetExceededLast"].as_str().unwrap().ends_with('Z'),
        "{got}"
    );
    assert!(
        got["validationError"]
            .as_str()
            .unwrap()
            .contains("3 or more repositories"),
        "{got}"
    );
    let r = s
        .admin(Method::PUT, &format!("/rest/security/latest/rules/{corp}"))
        .send()
        .await
        .unwrap();
    let (st, cleared) = json(r).await;
    assert_eq!(st, 200);
    assert!(cleared["validationError"].is_null(), "{cleared}");
    assert_eq!(cleared["budgetExceededRepositories"], 0, "{cleared}");
    assert_eq!(cleared["budgetExceededTimes"], 0, "{cleared}");
    assert!(cleared["budgetExceededLast"].is_null(), "{cleared}");
    // What GET answered can be sent back as an edit.
    let r = s
        .admin(Method::PUT, &format!("/rest/security/latest/rules/{corp}"))
        .json(&cleared)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let eff = keywarden_core::rules::effective_rules_for(&s.state, &repo)
        .await
        .unwrap();
    assert!(eff.rules.rules().any(|r| r.name == "CORP"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_loglevel_and_audit() {
    let s = TestServer::start().await;
    s.add_user("bob", "bobpw").await;
    let (st, v) = json(
        s.admin(Method::GET, "/rest/security/latest/settings")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200);
    for key in [
        "hookMode",
        "perRepositoryRules",
        "parallelScans",
        "scanSchedule",
        "maxFileSize",
        "hookTimeoutSeconds",
        "hookFailOpen",
        "allowBypass",
        "appAccess",
    ] {
        assert!(v.get(key).is_some(), "{key} in {v}");
    }
    let v = set_settings(&s, json!({"hookMode": "ALWAYS", "appAccess": ["BOB"], "scanSchedule": "0 2 * * *", "maxFileSize": 1024})).await;
    assert_eq!(v["appAccess"], json!(["bob"]));
    assert_eq!(v["hookMode"], "ALWAYS");
    // Every form the scheduler runs is accepted: Quartz's too, as the README promises.
    for cron in ["0 0 3 * * ?", "0 3 * * MON", "0 2 * * *"] {
        let v = set_settings(&s, json!({"scanSchedule": cron})).await;
        assert_eq!(v["scanSchedule"], cron);
    }
    // Bad values change nothing.
    for (body, needle) in [
        (json!({"parallelScans": 0}), "parallelScans"),
        (json!({"hookMode": "SOMETIMES"}), "hookMode"),
        (json!({"perRepositoryRules": "yes"}), "perRepositoryRules"),
        (json!({"scanSchedule": "daily"}), "scanSchedule"),
        (json!({"appAccess": ["nobody"]}), "appAccess"),
        (json!({"unknown": 1}), "unknown"),
        (json!([1]), "body"),
    ] {
        let r = s
            .admin(Method::PUT, "/rest/security/latest/settings")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_error(r, 400, INVALID, needle).await;
    }
    let (_, after) = json(
        s.admin(Method::GET, "/rest/security/latest/settings")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(after, v);
    // bob now has app access: settings, rules, audit.
    let r = s
        .as_user(
            "bob",
            "bobpw",
            Method::GET,
            "/rest/security/latest/settings",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // ...but cannot change who has app access.
    let r = s
        .as_user(
            "bob",
            "bobpw",
            Method::PUT,
            "/rest/security/latest/settings",
        )
        .json(&json!({"appAccess": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Log level.
    let (st, v) = json(
        s.admin(Method::GET, "/rest/security/latest/loglevel")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, v), (200, json!({"logLevelOverride": "WARN"})));
    let (st, v) = json(
        s.admin(
            Method::PUT,
            "/rest/security/latest/loglevel?logLevelOverride=DEBUG",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((st, v), (200, json!({"logLevelOverride": "DEBUG"})));
    let (_, v) = json(
        s.admin(Method::GET, "/rest/security/1.0/loglevel")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v, json!({"logLevelOverride": "DEBUG"}));
    for bad in ["?logLevelOverride=VERBOSE", "?logLevelOverride=", ""] {
        let r = s
            .admin(Method::PUT, &format!("/rest/security/latest/loglevel{bad}"))
            .send()
            .await
            .unwrap();
        assert_error(r, 400, INVALID, "logLevelOverride").await;
    }

    // Audit: paged, newest first, each with user, time and details.
    let (st, page) = json(
        s.admin(Method::GET, "/rest/security/latest/audit?limit=2")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(page["size"], 2);
    assert_eq!(page["isLastPage"], false);
    assert_eq!(page["nextPageStart"], 2);
    let first = &page["values"][0];
    assert_eq!(first["action"], "SETTINGS_CHANGED");
    assert_eq!(first["user"], "admin");
    assert_eq!(first["details"]["logLevelOverride"]["to"], "DEBUG");
    assert!(first["date"].as_str().unwrap().ends_with('Z'));
    let (_, all) = json(
        s.admin(Method::GET, "/rest/security/latest/audit?limit=1000")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let actions: Vec<&str> = all["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "HOOK_MODE_CHANGED",
        "APP_ACCESS_CHANGED",
        "SETTINGS_CHANGED",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    let app = all["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "APP_ACCESS_CHANGED")
        .unwrap();
    assert_eq!(app["details"]["granted"], json!(["bob"]));
    let r = s
        .admin(Method::GET, "/rest/security/latest/audit?start=x")
        .send()
        .await
        .unwrap();
    assert_error(r, 400, INVALID, "start").await;
}
