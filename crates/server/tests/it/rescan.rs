//! Mass scans and scheduled scans (SPEC 6): `total_rescan`, project and repository rescans
//! with repeatable `email`, the completion mail through a small SMTP listener run by the test,
//! the answer when mail is off, and `scanSchedule` queuing scans by itself.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use keywarden_server::AcceptAll;
use keywarden_store::{JobKind, MassTarget, ScanReason};
use reqwest::Method;
use serde_json::Value;
use testkit::scans::{fast, get, push, push_files, server};
use testkit::{TestServer, assert_error, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A minimal SMTP server: accepts everything, keeps each message's data.
async fn smtp() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let mails = Arc::new(Mutex::new(Vec::new()));
    let store = mails.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut r = BufReader::new(r);
                w.write_all(b"220 test SMTP\r\n").await.unwrap();
                let mut line = String::new();
                while r.read_line(&mut line).await.unwrap_or(0) > 0 {
                    let cmd = line.trim_end().to_ascii_uppercase();
                    let reply: &[u8] = if cmd.starts_with("EHLO") {
                        b"250-test\r\n250 OK\r\n"
                    } else if cmd == "DATA" {
                        w.write_all(b"354 go on\r\n").await.unwrap();
                        let mut data = String::new();
                        loop {
                            let mut l = String::new();
                            r.read_line(&mut l).await.unwrap();
                            if l == ".\r\n" {
                                break;
                            }
                            data.push_str(&l);
                        }
                        store.lock().unwrap().push(data);
                        b"250 queued\r\n"
                    } else if cmd == "QUIT" {
                        w.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    w.write_all(reply).await.unwrap();
                    line.clear();
                }
            });
        }
    });
    (addr, mails)
}

async fn put(s: &TestServer, path: &str) -> (u16, Value) {
    json(s.admin(Method::PUT, path).send().await.unwrap()).await
}

/// Two projects, three repositories, four branches.
async fn fill(s: &TestServer, tmp: &std::path::Path) {
    s.add_project("ONE", "One").await;
    s.add_project("TWO", "Two").await;
    for (p, r) in [("ONE", "a"), ("ONE", "b"), ("TWO", "c")] {
        s.add_repo(p, r).await;
    }
    tokio::task::block_in_place(|| {
        let (dir, _) = push_files(s, tmp, "ONE", "a", &[("x.txt", "x\n")]);
        push(s, &dir, "ONE", "a", "main:dev");
        push_files(
            s,
            tmp,
            "ONE",
            "b",
            &[("y.txt", "aws_access_key_id = AKIAZ7QXKP4MWL2HRT6J\n")],
        );
        push_files(s, tmp, "TWO", "c", &[("z.txt", "z\n")]);
    });
}

async fn wait_all_scanned(s: &TestServer, project: &str) -> Value {
    for _ in 0..200 {
        let (_, p) = get(
            s,
            &format!("/rest/security/latest/status/projects/{project}"),
        )
        .await;
        let r = &p["repositories"];
        if r["notScanned"] == 0 && r["partiallyScanned"] == 0 {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{project} not scanned");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mass_scans_and_mail() {
    let (addr, mails) = smtp().await;
    let s = server(None, |c| c.smtp_server = Some(addr)).await;
    let tmp = tempfile::tempdir().unwrap();
    fill(&s, tmp.path()).await;

    let (status, body) = put(
        &s,
        "/rest/security/latest/status/total_rescan?email=a@example.com&email=b@example.com",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scheduled"], 4);
    assert_eq!(body["mailEnabled"], true);
    assert_eq!(
        body["emails"],
        serde_json::json!(["a@example.com", "b@example.com"])
    );
    let one = wait_all_scanned(&s, "ONE").await;
    assert_eq!(
        (&one["status"], &one["vulnerabilities"]),
        (&serde_json::json!("VULNERABLE"), &serde_json::json!(1))
    );
    assert_eq!(wait_all_scanned(&s, "TWO").await["status"], "SECURE");
    let mut mail = None;
    for _ in 0..100 {
        if let Some(m) = mails.lock().unwrap().first().cloned() {
            mail = Some(m);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mail = mail.expect("a completion mail");
    assert!(mail.contains("To: a@example.com, b@example.com"), "{mail}");
    assert!(
        mail.contains("Subject: Keywarden: the security scan of all repositories has finished"),
        "{mail}"
    );
    assert!(mail.contains("4 branch scans"), "{mail}");

    // Project and repository scopes.
    let (_, body) = put(&s, "/rest/security/latest/status/projects/ONE").await;
    assert_eq!(
        (&body["scheduled"], &body["message"]),
        (
            &serde_json::json!(3),
            &serde_json::json!("No email requested.")
        )
    );
    let (_, body) = put(
        &s,
        "/rest/security/1.0/status/projects/TWO/repos/c?email=c@example.com",
    )
    .await;
    assert_eq!(body["scheduled"], 1);
    for _ in 0..100 {
        if mails.lock().unwrap().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let second = mails.lock().unwrap()[1].clone();
    assert!(
        second.contains("To: c@example.com") && second.contains("repository TWO/c"),
        "{second}"
    );

    // Bad input and permissions.
    let r = s
        .admin(
            Method::PUT,
            "/rest/security/latest/status/total_rescan?email=not-an-address",
        )
        .send()
        .await
        .unwrap();
    assert_error(
        r,
        400,
        "com.atlassian.bitbucket.validation.ArgumentValidationException",
        "email",
    )
    .await;
    s.add_user("bob", "bobpw").await;
    let r = s
        .as_user(
            "bob",
            "bobpw",
            Method::PUT,
            "/rest/security/latest/status/total_rescan",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = s
        .admin(Method::PUT, "/rest/security/latest/status/projects/NOPE")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_off_and_schedule() {
    let s = server(None, |_| {}).await;
    let tmp = tempfile::tempdir().unwrap();
    fill(&s, tmp.path()).await;
    let (status, body) = put(
        &s,
        "/rest/security/latest/status/projects/TWO?email=ops@example.com",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["mailEnabled"], false);
    assert!(
        body["message"].as_str().unwrap().starts_with("Mail is off"),
        "{body}"
    );
    assert_eq!(wait_all_scanned(&s, "TWO").await["status"], "SECURE");

    // A schedule firing every second scans everything by itself.
    let store = s.state.store();
    let mut settings = keywarden_core::settings::SecuritySettings::load(store)
        .await
        .unwrap();
    settings.scan_schedule = Some("* * * * * ?".into());
    settings.save(store).await.unwrap();
    assert_eq!(wait_all_scanned(&s, "ONE").await["status"], "VULNERABLE");
    settings.scan_schedule = None;
    settings.save(store).await.unwrap();
    // The run is audited once all its scans are queued, which may be after the first finished.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let audit = store
            .list_audit(keywarden_store::PageRequest::new(0, 100))
            .await
            .unwrap();
        if audit.values.iter().any(|e| e.action == "SCHEDULED_SCAN") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no SCHEDULED_SCAN audit event"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mass_scan_job_held_by_a_dead_node_is_done_by_it_restarted() {
    let s = server(None, |_| {}).await;
    let tmp = tempfile::tempdir().unwrap();
    fill(&s, tmp.path()).await;
    // A node named `ghost` took the job of a mass scan and died before doing it.
    let store = s.state.store();
    let batch = store
        .create_batch("all repositories", "", None)
        .await
        .unwrap();
    store
        .queue_mass_scan(batch, &MassTarget::All, ScanReason::Mass)
        .await
        .unwrap();
    // Claimed with a lease that would outlive the test.
    let now = keywarden_store::now_millis();
    let taken = store
        .claim_job("ghost", now, 3_600_000, Some(JobKind::MassScan))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.batch_id, Some(batch));
    // Started again under that name, the node takes its job back at once and queues the batch.
    let s = s
        .restart_with(Arc::new(AcceptAll), |c| {
            fast(c);
            c.node_id = "ghost".into();
        })
        .await;
    for _ in 0..100 {
        if s.state.store().pending_jobs().await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(s.state.store().pending_jobs().await.unwrap(), 0);
    // Every branch (four) was queued in the batch and scanned.
    for (project, slug, branch) in [
        ("ONE", "a", "refs/heads/main"),
        ("ONE", "a", "refs/heads/dev"),
        ("ONE", "b", "refs/heads/main"),
        ("TWO", "c", "refs/heads/main"),
    ] {
        let store = s.state.store();
        let p = store.project_by_key(project).await.unwrap().unwrap();
        let r = store.repository_by_slug(p.id, slug).await.unwrap().unwrap();
        let scan = store
            .latest_scan(r.id, branch, false, &[])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(scan.batch_id, Some(batch), "{project}/{slug} {branch}");
    }
    wait_all_scanned(&s, "ONE").await;
    wait_all_scanned(&s, "TWO").await;
}
