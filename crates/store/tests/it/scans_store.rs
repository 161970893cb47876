//! The scan queue and status rollups of the store. Every case runs twice: on a fresh SQLite file and on a fresh PostgreSQL
//! schema (from `KEYWARDEN_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`).
//! The PostgreSQL half fails when the server is unreachable, unless `KEYWARDEN_SKIP_POSTGRES=1`.

use crate::common::{on_postgres, on_sqlite};

use std::sync::Arc;

use keywarden_store::{
    JobKind, MassTarget, NewProject, NewRepository, NewScan, PageRequest, ProjectKind, ScanFinding,
    ScanOutcome, ScanReason, ScanState, Store, Viewer,
};

both_backends!(
    queue_lifecycle,
    leases_expire_and_claims_split,
    attempts_are_limited,
    status_rollups,
    slots_and_batches,
    older_findings_are_dropped,
    vulnerability_counts_are_replaced,
    branch_tips_are_written_conditionally,
    mass_scans_are_queued_in_one_statement,
    jobs_are_queued_once_claimed_once_and_released,
);

const ADMIN: Viewer = Viewer {
    user_id: -1,
    admin: true,
};

async fn setup(store: &dyn Store, key: &str, slugs: &[&str]) -> (i64, Vec<i64>) {
    let p = store
        .create_project(NewProject {
            key: key.into(),
            name: format!("{key} name"),
            description: None,
        })
        .await
        .unwrap();
    let mut ids = Vec::new();
    for slug in slugs {
        let r = store
            .create_repository(NewRepository {
                project_id: p.id,
                slug: slug.to_string(),
                name: slug.to_string(),
                default_branch: "main".into(),
                disk_name: format!("{key}-{slug}"),
            })
            .await
            .unwrap();
        ids.push(r.id);
    }
    (p.id, ids)
}

fn new_scan(repo: i64, branch: &str, key: &str) -> NewScan {
    NewScan {
        scan_key: key.into(),
        repository_id: repo,
        branch: branch.into(),
        history: false,
        reason: ScanReason::Manual,
        batch_id: None,
    }
}

fn finding(path: &str, allowlisted: bool) -> ScanFinding {
    ScanFinding {
        path: path.into(),
        line: 3,
        rule_name: "AWS".into(),
        text: "k=AKIA".into(),
        line_offset_start: 2,
        line_offset_end: 6,
        truncated: false,
        allowlisted,
        blocking: true,
        commit_id: Some("c1".into()),
        confidence: 0.75,
    }
}

async fn queue_lifecycle(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let (_, repos) = setup(s, "Q", &["a"]).await;
    let r = repos[0];
    s.sync_branches(r, "main", &[("refs/heads/main".into(), "c1".into())])
        .await
        .unwrap();
    let queued = s
        .enqueue_scan(new_scan(r, "refs/heads/main", "k1"))
        .await
        .unwrap();
    assert_eq!(queued.state, ScanState::Queued);
    let claimed = s.claim_scan("n1", 1_000, 500, 3).await.unwrap().unwrap();
    assert_eq!((claimed.id, claimed.state.as_str()), (queued.id, "RUNNING"));
    assert!(s.claim_scan("n2", 1_100, 500, 3).await.unwrap().is_none());
    assert!(
        s.start_scan(claimed.id, "n1", "c1", 7, "r", None)
            .await
            .unwrap()
    );
    assert!(s.renew_scan(claimed.id, "n1", 5_000, 1, 2).await.unwrap());
    assert!(!s.renew_scan(claimed.id, "n2", 5_000, 1, 2).await.unwrap());
    let outcome = ScanOutcome {
        findings: vec![finding("a.txt", false), finding("b.txt", true)],
        skipped_files: 1,
        vulnerabilities: 1,
        files_total: 2,
        config_warnings: vec!["unknown key `x` ignored".into()],
        rule_errors: vec!["SLOW".into(), "OTHER".into()],
        findings_dropped: 3,
    };
    assert!(
        !s.finish_scan(claimed.id, "n2", outcome.clone())
            .await
            .unwrap()
    );
    assert!(s.finish_scan(claimed.id, "n1", outcome).await.unwrap());
    let done = s.scan_by_key("k1").await.unwrap().unwrap();
    assert_eq!(done.state, ScanState::Done);
    assert_eq!(
        (
            done.findings_total,
            done.vulnerabilities,
            done.skipped_files
        ),
        (5, 1, 1)
    );
    assert_eq!(done.findings_dropped, 3);
    assert_eq!(done.commit_id.as_deref(), Some("c1"));
    assert_eq!(done.config_warnings(), ["unknown key `x` ignored"]);
    assert_eq!(done.rule_errors(), ["SLOW", "OTHER"]);
    let f = s.scan_findings(done.id).await.unwrap();
    assert_eq!(
        f.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        ["a.txt", "b.txt"]
    );
    assert_eq!(f[0], finding("a.txt", false));
    let batch = s.scan_findings_batch(done.id, 1, 10).await.unwrap();
    assert_eq!(batch, [finding("b.txt", true)]);
    assert_eq!(s.scan_findings_batch(done.id, 0, 1).await.unwrap().len(), 1);
    assert!(
        s.scan_findings_batch(done.id, 2, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let latest = s
        .latest_scan(r, "refs/heads/main", false, &[ScanState::Done])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.id, done.id);

    // Cancel a queued scan; unknown keys and finished scans are not cancelled.
    s.enqueue_scan(new_scan(r, "refs/heads/main", "k2"))
        .await
        .unwrap();
    assert!(!s.cancel_scan(r, "nope").await.unwrap());
    assert!(!s.cancel_scan(r, "k1").await.unwrap());
    assert!(s.cancel_scan(r, "k2").await.unwrap());
    assert!(s.claim_scan("n1", 2_000, 500, 3).await.unwrap().is_none());
    let page = s
        .branch_statuses(r, None, PageRequest::new(0, 10))
        .await
        .unwrap();
    let b = &page.values[0];
    assert_eq!(
        (b.scan_state, b.result_scan_key.as_deref()),
        (Some(ScanState::Cancelled), Some("k1"))
    );
    assert_eq!(
        (b.result_vulnerabilities, b.result_generation),
        (Some(1), Some(7))
    );
}

async fn leases_expire_and_claims_split(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let (_, repos) = setup(s, "L", &["a"]).await;
    for i in 0..20 {
        s.enqueue_scan(new_scan(
            repos[0],
            &format!("refs/heads/b{i}"),
            &format!("l{i}"),
        ))
        .await
        .unwrap();
    }
    // Concurrent claimers never take the same scan.
    let mut tasks = Vec::new();
    for n in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(scan) = store
                .claim_scan(&format!("n{n}"), 1_000, 60_000, 3)
                .await
                .unwrap()
            {
                got.push(scan.id);
            }
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    let before = all.len();
    all.dedup();
    assert_eq!((before, all.len()), (20, 20));
    // After the lease, another node takes a running scan over; the old holder is refused.
    let taken = s.claim_scan("n9", 70_000, 1_000, 3).await.unwrap().unwrap();
    assert_eq!(taken.lease_owner.as_deref(), Some("n9"));
    assert!(
        !s.renew_scan(taken.id, "n0", 80_000, 0, 0).await.unwrap()
            && !s.renew_scan(taken.id, "n1", 80_000, 0, 0).await.unwrap()
            && !s.renew_scan(taken.id, "n2", 80_000, 0, 0).await.unwrap()
            && !s.renew_scan(taken.id, "n3", 80_000, 0, 0).await.unwrap()
    );
    assert!(s.renew_scan(taken.id, "n9", 80_000, 0, 0).await.unwrap());
    // A stopping node hands its scans back.
    assert_eq!(s.release_scans("n9").await.unwrap(), 1);
    assert!(!s.renew_scan(taken.id, "n9", 80_000, 0, 0).await.unwrap());
    let again = s.claim_scan("n8", 80_000, 1_000, 3).await.unwrap().unwrap();
    assert_eq!(again.id, taken.id);
}

async fn attempts_are_limited(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let (_, repos) = setup(s, "A", &["a"]).await;
    let r = repos[0];
    s.sync_branches(
        r,
        "main",
        &[
            ("refs/heads/main".into(), "c1".into()),
            ("refs/heads/dev".into(), "c2".into()),
        ],
    )
    .await
    .unwrap();
    s.enqueue_scan(new_scan(r, "refs/heads/main", "k1"))
        .await
        .unwrap();
    // Three nodes start it and die in turn (their leases run out).
    for (i, node) in ["n1", "n2", "n3"].iter().enumerate() {
        let now = 200 * i as i64;
        let c = s.claim_scan(node, now, 100, 3).await.unwrap().unwrap();
        assert_eq!((c.scan_key.as_str(), c.attempts), ("k1", i as i64 + 1));
    }
    // The fourth start is refused: the scan fails with the reason.
    assert!(s.claim_scan("n4", 600, 100, 3).await.unwrap().is_none());
    let failed = s.scan_by_key("k1").await.unwrap().unwrap();
    assert_eq!(failed.state, ScanState::Failed);
    let error = failed.error.unwrap_or_default();
    assert!(
        error.contains("started 3 times") && error.contains("n3"),
        "{error}"
    );
    let page = s
        .branch_statuses(r, None, PageRequest::new(0, 10))
        .await
        .unwrap();
    let main = page
        .values
        .iter()
        .find(|b| b.name == "refs/heads/main")
        .unwrap();
    assert_eq!(main.scan_state, Some(ScanState::Failed));

    // A scan handed back by a stopping node does not use up an attempt.
    s.enqueue_scan(new_scan(r, "refs/heads/dev", "k2"))
        .await
        .unwrap();
    for _ in 0..5 {
        let c = s.claim_scan("n1", 1_000, 100, 3).await.unwrap().unwrap();
        assert_eq!((c.scan_key.as_str(), c.attempts), ("k2", 1));
        assert_eq!(s.release_scans("n1").await.unwrap(), 1);
    }
    // A node restarted under its name expires its own leases and takes the scan at once; the
    // interrupted run counts.
    let held = s
        .claim_scan("n5", 1_000, 1_000_000, 3)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.attempts, 1);
    assert!(s.claim_scan("n5", 2_000, 100, 3).await.unwrap().is_none());
    assert_eq!(s.expire_leases("n6").await.unwrap(), 0);
    assert_eq!(s.expire_leases("n5").await.unwrap(), 1);
    let again = s.claim_scan("n5", 2_000, 100, 3).await.unwrap().unwrap();
    assert_eq!((again.id, again.attempts), (held.id, 2));
}

async fn finish(
    s: &dyn Store,
    repo: i64,
    branch: &str,
    key: &str,
    vulns: i64,
    commit: &str,
    generation: i64,
) {
    s.enqueue_scan(new_scan(repo, branch, key)).await.unwrap();
    let c = s.claim_scan("n", 0, 60_000, 3).await.unwrap().unwrap();
    assert!(
        s.start_scan(c.id, "n", commit, generation, "r", None)
            .await
            .unwrap()
    );
    let outcome = ScanOutcome {
        findings: (0..vulns).map(|_| finding("x", false)).collect(),
        vulnerabilities: vulns,
        ..Default::default()
    };
    assert!(s.finish_scan(c.id, "n", outcome).await.unwrap());
}

async fn status_rollups(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let (p, repos) = setup(
        s,
        "S",
        &["secure", "vuln", "none", "partial", "outdated", "empty"],
    )
    .await;
    let two = |a: &str, b: &str| {
        vec![
            ("refs/heads/main".to_string(), a.to_string()),
            ("refs/heads/dev".to_string(), b.to_string()),
        ]
    };
    for &r in &repos[..5] {
        s.sync_branches(r, "main", &two("c1", "c2")).await.unwrap();
    }
    for branch in ["refs/heads/main", "refs/heads/dev"] {
        let commit = if branch.ends_with("main") { "c1" } else { "c2" };
        finish(s, repos[0], branch, &format!("s-{branch}"), 0, commit, 1).await;
        finish(s, repos[4], branch, &format!("o-{branch}"), 0, commit, 1).await;
    }
    finish(s, repos[1], "refs/heads/dev", "v", 3, "c2", 1).await;
    finish(s, repos[3], "refs/heads/main", "p", 0, "c1", 1).await;
    // The outdated repository's dev branch moves.
    s.sync_branches(repos[4], "main", &two("c1", "c3"))
        .await
        .unwrap();

    let page = s
        .repository_statuses(p, None, ADMIN, None, 1, PageRequest::new(0, 25))
        .await
        .unwrap();
    let got: Vec<(String, i64, i64, i64, i64, i64, i64)> = page
        .values
        .iter()
        .map(|r| {
            (
                r.repository.slug.clone(),
                r.total,
                r.secure,
                r.vulnerable,
                r.not_scanned,
                r.outdated,
                r.vulnerabilities,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("empty".into(), 0, 0, 0, 0, 0, 0),
            ("none".into(), 2, 0, 0, 2, 0, 0),
            ("outdated".into(), 2, 1, 0, 0, 1, 0),
            ("partial".into(), 2, 1, 0, 1, 0, 0),
            ("secure".into(), 2, 2, 0, 0, 0, 0),
            ("vuln".into(), 2, 0, 1, 1, 0, 3),
        ]
    );
    // A configuration change makes clean results outdated.
    let page = s
        .repository_statuses(p, Some(repos[0]), ADMIN, None, 2, PageRequest::new(0, 25))
        .await
        .unwrap();
    assert_eq!((page.values.len(), page.values[0].outdated), (1, 2));

    let projects = s
        .project_statuses(Some(p), ADMIN, None, None, 1, PageRequest::new(0, 25))
        .await
        .unwrap();
    let row = &projects.values[0];
    assert_eq!(
        (
            row.total,
            row.secure,
            row.vulnerable,
            row.not_scanned,
            row.partially_scanned,
            row.outdated,
            row.vulnerabilities
        ),
        (6, 1, 1, 2, 1, 1, 3)
    );
    // Paging and the name filter in SQL; a stranger sees nothing.
    let page = s
        .repository_statuses(p, None, ADMIN, Some("O"), 1, PageRequest::new(0, 1))
        .await
        .unwrap();
    assert_eq!(page.values[0].repository.slug, "none");
    assert!(!page.is_last_page);
    let page = s
        .repository_statuses(p, None, ADMIN, Some("O"), 1, PageRequest::new(1, 1))
        .await
        .unwrap();
    assert_eq!(page.values[0].repository.slug, "outdated");
    assert!(page.is_last_page);
    let stranger = Viewer {
        user_id: 999,
        admin: false,
    };
    let page = s
        .project_statuses(None, stranger, None, None, 1, PageRequest::new(0, 25))
        .await
        .unwrap();
    assert!(page.values.is_empty());
    // The type filter runs in SQL: this normal project is listed under normal projects only.
    let normal = s
        .project_statuses(
            None,
            ADMIN,
            Some(ProjectKind::Normal),
            None,
            1,
            PageRequest::new(0, 25),
        )
        .await
        .unwrap();
    assert!(normal.values.iter().any(|r| r.project.id == p));
    assert!(normal.values.iter().all(|r| !r.project.is_personal()));
    let personal = s
        .project_statuses(
            None,
            ADMIN,
            Some(ProjectKind::Personal),
            None,
            1,
            PageRequest::new(0, 25),
        )
        .await
        .unwrap();
    assert!(personal.values.iter().all(|r| r.project.is_personal()));
    let page = s
        .branch_statuses(repos[0], Some("DE"), PageRequest::new(0, 25))
        .await
        .unwrap();
    assert_eq!(page.values.len(), 1);
    assert_eq!(page.values[0].name, "refs/heads/dev");
}

async fn slots_and_batches(store: Arc<dyn Store>) {
    let s = store.as_ref();
    assert!(s.claim_setting_slot("slot", 10).await.unwrap());
    assert!(!s.claim_setting_slot("slot", 10).await.unwrap());
    assert!(!s.claim_setting_slot("slot", 9).await.unwrap());
    assert!(s.claim_setting_slot("slot", 11).await.unwrap());

    let (_, repos) = setup(s, "B", &["a"]).await;
    let batch = s
        .create_batch("project B", "a@example.com", Some("admin"))
        .await
        .unwrap();
    let mut scan = new_scan(repos[0], "refs/heads/main", "b1");
    scan.batch_id = Some(batch);
    s.enqueue_scan(scan).await.unwrap();
    // Not before its total is known, not while a scan is pending, and only once.
    assert!(s.claim_finished_batch(batch).await.unwrap().is_none());
    s.set_batch_total(batch, 1).await.unwrap();
    assert!(s.claim_finished_batch(batch).await.unwrap().is_none());
    let c = s.claim_scan("n", 0, 60_000, 3).await.unwrap().unwrap();
    assert!(s.fail_scan(c.id, "n", "boom").await.unwrap());
    let done = s.claim_finished_batch(batch).await.unwrap().unwrap();
    assert_eq!(
        (done.scope.as_str(), done.emails.as_str(), done.total),
        ("project B", "a@example.com", 1)
    );
    assert!(s.claim_finished_batch(batch).await.unwrap().is_none());
    assert_eq!(s.all_repositories(None).await.unwrap().len(), 1);
}

async fn older_findings_are_dropped(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let (_, repos) = setup(s, "O", &["a"]).await;
    finish(s, repos[0], "refs/heads/main", "o1", 2, "c1", 1).await;
    finish(s, repos[0], "refs/heads/other", "o2", 1, "c1", 1).await;
    finish(s, repos[0], "refs/heads/main", "o3", 1, "c2", 1).await;
    let first = s.scan_by_key("o1").await.unwrap().unwrap();
    let other = s.scan_by_key("o2").await.unwrap().unwrap();
    let last = s.scan_by_key("o3").await.unwrap().unwrap();
    assert!(s.scan_findings(first.id).await.unwrap().is_empty());
    assert_eq!(s.scan_findings(other.id).await.unwrap().len(), 1);
    assert_eq!(s.scan_findings(last.id).await.unwrap().len(), 1);
}

async fn vulnerability_counts_are_replaced(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let (_, repos) = setup(s, "V", &["a", "b"]).await;
    for &r in &repos {
        let tips = vec![
            ("refs/heads/main".to_string(), "c1".to_string()),
            ("refs/heads/dev".to_string(), "c1".to_string()),
        ];
        s.sync_branches(r, "main", &tips).await.unwrap();
    }
    finish(s, repos[0], "refs/heads/main", "v1", 2, "c1", 1).await;
    finish(s, repos[0], "refs/heads/main", "v2", 2, "c1", 1).await;
    finish(s, repos[1], "refs/heads/dev", "v3", 1, "c1", 1).await;
    let latest = s.scan_by_key("v2").await.unwrap().unwrap();
    let other = s.scan_by_key("v3").await.unwrap().unwrap();
    // Only the latest result of each branch, per repository or everywhere.
    assert_eq!(
        s.branch_results(Some(repos[0])).await.unwrap(),
        vec![(repos[0], latest.id, 2)]
    );
    assert_eq!(
        s.branch_results(None).await.unwrap(),
        vec![(repos[0], latest.id, 2), (repos[1], other.id, 1)]
    );
    s.set_scan_vulnerabilities(latest.id, 0).await.unwrap();
    let scan = s.scan_by_key("v2").await.unwrap().unwrap();
    assert_eq!(scan.vulnerabilities, 0);
    let page = s
        .branch_statuses(repos[0], Some("main"), PageRequest::new(0, 10))
        .await
        .unwrap();
    assert_eq!(page.values[0].result_vulnerabilities, Some(0));
    // The other repository's branch is untouched.
    let page = s
        .branch_statuses(repos[1], Some("dev"), PageRequest::new(0, 10))
        .await
        .unwrap();
    assert_eq!(page.values[0].result_vulnerabilities, Some(1));
}

async fn branch_tips_are_written_conditionally(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let (_, repos) = setup(s, "T", &["tips"]).await;
    let r = repos[0];
    let main = "refs/heads/main";
    assert!(
        s.set_branch_tip(r, "main", main, None, Some("c1"))
            .await
            .unwrap()
    );
    // A second creation, or a move from a tip that is not recorded, changes nothing.
    assert!(
        !s.set_branch_tip(r, "main", main, None, Some("c9"))
            .await
            .unwrap()
    );
    assert!(
        !s.set_branch_tip(r, "main", main, Some("c0"), Some("c9"))
            .await
            .unwrap()
    );
    assert!(
        !s.set_branch_tip(r, "main", main, Some("c0"), None)
            .await
            .unwrap()
    );
    assert_eq!(
        s.branch_tips(r).await.unwrap(),
        vec![(main.to_string(), "c1".to_string(), true)]
    );
    assert!(
        s.set_branch_tip(r, "main", main, Some("c1"), Some("c2"))
            .await
            .unwrap()
    );
    assert!(
        s.set_branch_tip(r, "main", "refs/heads/dev", None, Some("c2"))
            .await
            .unwrap()
    );
    let mut tips = s.branch_tips(r).await.unwrap();
    tips.sort();
    assert_eq!(
        tips,
        vec![
            ("refs/heads/dev".to_string(), "c2".to_string(), false),
            (main.to_string(), "c2".to_string(), true),
        ]
    );
    assert!(
        s.set_branch_tip(r, "main", main, Some("c2"), None)
            .await
            .unwrap()
    );
    assert_eq!(
        s.branch_tips(r).await.unwrap(),
        vec![("refs/heads/dev".to_string(), "c2".to_string(), false)]
    );
}

async fn mass_scans_are_queued_in_one_statement(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let (p, repos) = setup(s, "M", &["a", "b", "c"]).await;
    let (_, others) = setup(s, "N", &["x"]).await;
    let two = vec![
        ("refs/heads/main".to_string(), "c1".to_string()),
        ("refs/heads/dev".to_string(), "c2".to_string()),
    ];
    for &r in repos.iter().chain(&others) {
        s.sync_branches(r, "main", &two).await.unwrap();
    }
    assert_eq!(s.count_mass_branches(&MassTarget::All).await.unwrap(), 8);
    assert_eq!(
        s.count_mass_branches(&MassTarget::Project(p))
            .await
            .unwrap(),
        6
    );
    let batch = s.create_batch("all", "", None).await.unwrap();
    // The job that queues them carries the batch, the reason and the target.
    s.queue_mass_scan(
        batch,
        &MassTarget::Repositories(vec![1, 22]),
        ScanReason::Mass,
    )
    .await
    .unwrap();
    let job = s.claim_job("n", 1, 60_000, None).await.unwrap().unwrap();
    assert_eq!(job.kind, Some(JobKind::MassScan));
    assert_eq!(job.batch_id, Some(batch));
    assert_eq!(job.payload.as_deref(), Some("mass repositories:1,22"));
    assert!(s.finish_job(job.id, "n").await.unwrap());
    for t in [
        MassTarget::All,
        MassTarget::Project(7),
        MassTarget::Repositories(vec![]),
    ] {
        assert_eq!(MassTarget::parse(&t.to_text()), Some(t));
    }
    let all = s
        .enqueue_mass_scans(batch, &MassTarget::All, ScanReason::Mass)
        .await
        .unwrap();
    assert_eq!(all, 8);
    // Again for the same batch (its job taken over after it had done so): nothing more.
    let again = s
        .enqueue_mass_scans(batch, &MassTarget::All, ScanReason::Mass)
        .await
        .unwrap();
    assert_eq!(again, 0);
    let project = s.create_batch("project M", "", None).await.unwrap();
    let n = s
        .enqueue_mass_scans(project, &MassTarget::Project(p), ScanReason::Mass)
        .await
        .unwrap();
    assert_eq!(n, 6);
    let some = s.create_batch("some", "", None).await.unwrap();
    let n = s
        .enqueue_mass_scans(
            some,
            &MassTarget::Repositories(vec![repos[1]]),
            ScanReason::Mass,
        )
        .await
        .unwrap();
    assert_eq!(n, 2);
    let none = s.create_batch("none", "", None).await.unwrap();
    let n = s
        .enqueue_mass_scans(none, &MassTarget::Repositories(vec![]), ScanReason::Mass)
        .await
        .unwrap();
    assert_eq!(n, 0);
    // Each branch's latest scan is the newest batch's, queued, with a key of its own.
    let latest = s
        .latest_scan(repos[1], "refs/heads/dev", false, &[])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.batch_id, Some(some));
    assert_eq!(latest.state, ScanState::Queued);
    assert_eq!(latest.scan_key.len(), 24);
    let page = s
        .branch_statuses(others[0], Some("dev"), PageRequest::new(0, 10))
        .await
        .unwrap();
    assert_eq!(page.values[0].scan_state, Some(ScanState::Queued));
    let mut keys = std::collections::HashSet::new();
    while let Some(scan) = s.claim_scan("n", 1, 60_000, 3).await.unwrap() {
        assert!(keys.insert(scan.scan_key.clone()));
    }
    assert_eq!(keys.len(), 16);
}

async fn jobs_are_queued_once_claimed_once_and_released(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let (_, repos) = setup(s, "J", &["a", "b", "c"]).await;
    for &r in &repos {
        s.sync_branches(r, "main", &[("refs/heads/main".into(), "c1".into())])
            .await
            .unwrap();
    }
    // Only repositories with a branch result need a recount.
    finish(s, repos[0], "refs/heads/main", "j1", 1, "c1", 1).await;
    finish(s, repos[2], "refs/heads/main", "j3", 1, "c1", 1).await;
    assert_eq!(s.queue_recounts(None).await.unwrap(), 2);
    // Already queued and not taken: not again.
    assert_eq!(s.queue_recounts(None).await.unwrap(), 0);
    assert_eq!(s.queue_recounts(Some(repos[0])).await.unwrap(), 0);
    assert_eq!(s.pending_jobs().await.unwrap(), 2);
    let none = s
        .claim_job("n1", 1_000, 60_000, Some(JobKind::MassScan))
        .await
        .unwrap();
    assert_eq!(none, None);
    let first = s
        .claim_job("n1", 1_000, 60_000, Some(JobKind::Recount))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.kind, Some(JobKind::Recount));
    assert_eq!(first.repository_id, Some(repos[0]));
    // Taken: a new change queues it again.
    assert_eq!(s.queue_recounts(Some(repos[0])).await.unwrap(), 1);
    let second = s
        .claim_job("n2", 1_000, 60_000, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.repository_id, Some(repos[2]));
    // A node that stops (or starts again after dying) hands its jobs back.
    assert_eq!(s.release_jobs("n2").await.unwrap(), 1);
    assert!(!s.finish_job(second.id, "n2").await.unwrap());
    assert!(s.finish_job(first.id, "n1").await.unwrap());
    let third = s
        .claim_job("n3", 2_000, 60_000, None)
        .await
        .unwrap()
        .unwrap();
    let fourth = s
        .claim_job("n3", 2_000, 60_000, None)
        .await
        .unwrap()
        .unwrap();
    let mut got = vec![third.repository_id, fourth.repository_id];
    got.sort();
    assert_eq!(got, vec![Some(repos[0]), Some(repos[2])]);
    assert!(
        s.claim_job("n3", 2_000, 60_000, None)
            .await
            .unwrap()
            .is_none()
    );
    // An expired lease is taken over.
    let over = s
        .claim_job("n4", 70_000, 60_000, None)
        .await
        .unwrap()
        .unwrap();
    assert!(over.id == third.id || over.id == fourth.id);
    assert!(s.finish_job(over.id, "n4").await.unwrap());
    assert!(!s.finish_job(over.id, "n3").await.unwrap());
    assert_eq!(s.pending_jobs().await.unwrap(), 1);
}
