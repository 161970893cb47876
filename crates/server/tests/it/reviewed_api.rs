//! Reviewed findings over HTTP: repository scope (create, delete, delete all) and the global
//! CSV upload, delete and export (BOM, CRLF, quoted commas, missing header, 50,000 rows).

use reqwest::Method;
use serde_json::json;
use testkit::{TestServer, assert_error, json};

const INVALID: &str = "com.atlassian.bitbucket.validation.ArgumentValidationException";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repository_scope() {
    let s = TestServer::start().await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;
    s.add_repo("PROJ", "other").await;
    let base = "/rest/security/latest/review-lines/projects/PROJ/repos/app";
    let secret = "FACEBOOK).setClientId(\"950513172001321";
    let r = s
        .admin(Method::POST, &format!("{base}/create"))
        .json(&json!({"matchText": secret, "ruleName": "FACEBOOK_CLIENT_ID"}))
        .send()
        .await
        .unwrap();
    let (st, v) = json(r).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["matchText"], secret);
    assert_eq!(v["reviewedBy"], "admin");
    assert_eq!(v["created"], true);
    assert!(v["reviewedDate"].as_str().unwrap().ends_with('Z'));
    // Idempotent.
    let r = s
        .admin(Method::POST, &format!("{base}/create"))
        .json(&json!({"matchText": secret}))
        .send()
        .await
        .unwrap();
    let (_, v) = json(r).await;
    assert_eq!(v["created"], false);
    assert_eq!(v["ruleName"], "FACEBOOK_CLIENT_ID");

    // The reviewed set of the repository sees it; another repository does not.
    let p = s
        .state
        .store()
        .project_by_key("PROJ")
        .await
        .unwrap()
        .unwrap();
    let app = s
        .state
        .store()
        .repository_by_slug(p.id, "app")
        .await
        .unwrap()
        .unwrap();
    let other = s
        .state
        .store()
        .repository_by_slug(p.id, "other")
        .await
        .unwrap()
        .unwrap();
    let set = keywarden_core::rules::reviewed(&s.state, app.id)
        .await
        .unwrap();
    assert!(set.contains("FACEBOOK_CLIENT_ID", secret));
    assert!(!set.contains("X", "something else"));
    let set = keywarden_core::rules::reviewed(&s.state, other.id)
        .await
        .unwrap();
    assert!(!set.contains("FACEBOOK_CLIENT_ID", secret));

    for body in [
        json!({}),
        json!({"matchText": ""}),
        json!({"ruleName": "X"}),
    ] {
        let r = s
            .admin(Method::POST, &format!("{base}/create"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_error(r, 400, INVALID, "matchText").await;
    }
    let r = s
        .admin(
            Method::POST,
            "/rest/security/latest/review-lines/projects/PROJ/repos/nope/create",
        )
        .json(&json!({"matchText": "x"}))
        .send()
        .await
        .unwrap();
    assert_error(
        r,
        404,
        "com.atlassian.bitbucket.repository.NoSuchRepositoryException",
        "PROJ/nope",
    )
    .await;

    // Delete one; 404 when not marked.
    let r = s
        .admin(Method::POST, &format!("{base}/delete"))
        .json(&json!({"matchText": secret}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = s
        .admin(Method::POST, &format!("{base}/delete"))
        .json(&json!({"matchText": secret}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Delete all needs confirm=true.
    for t in ["a", "b", "c"] {
        let r = s
            .admin(Method::POST, &format!("{base}/create"))
            .json(&json!({"matchText": t}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    for q in ["", "?confirm=false", "?confirm=yes"] {
        let r = s
            .admin(Method::DELETE, &format!("{base}/delete{q}"))
            .send()
            .await
            .unwrap();
        assert_error(r, 400, INVALID, "confirm").await;
    }
    let (_, list) = json(s.admin(Method::GET, base).send().await.unwrap()).await;
    assert_eq!(list.as_array().unwrap().len(), 3);
    let (st, v) = json(
        s.admin(Method::DELETE, &format!("{base}/delete?confirm=true"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, v), (200, json!({"removed": 3})));

    // Audited without the match text.
    let (_, audit) = json(
        s.admin(Method::GET, "/rest/security/latest/audit?limit=1000")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let text = audit.to_string();
    assert!(
        !text.contains("950513172001321"),
        "the audit log holds no match text"
    );
    let marked = audit["values"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "REVIEW_MARKED")
        .count();
    assert_eq!(marked, 4);
    let unmarked = audit["values"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "REVIEW_UNMARKED")
        .count();
    assert_eq!(unmarked, 2);
}

/// A `multipart/form-data` body with one field (as `curl -F name=@file` sends it).
fn multipart(field: &str, content: &[u8]) -> (String, Vec<u8>) {
    let boundary = "------------------------d74496d66958873e";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"reviewed.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(s: &TestServer, what: &str, csv: Vec<u8>) -> (u16, serde_json::Value) {
    let (ct, body) = multipart("file", &csv);
    let r = s
        .admin(
            Method::POST,
            &format!("/rest/security/latest/global-reviewed/{what}"),
        )
        .header("Content-Type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    json(r).await
}

async fn export(s: &TestServer) -> String {
    let r = s
        .admin(Method::GET, "/rest/security/latest/global-reviewed")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=UTF-8");
    r.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_csv() {
    let s = TestServer::start().await;
    s.add_project("PROJ", "Project").await;
    s.add_repo("PROJ", "app").await;

    // BOM, CRLF, quoted commas and quotes, extra columns, an invalid row, a duplicate.
    let csv = "\u{feff}note,matchText,ruleName\r\nx,\"AKIA,with comma\",AWS_CLIENT_ID\r\ny,\"say \"\"hi\"\"\",\r\nz,,R\r\nw,plain,\r\nv,plain,\r\n";
    let (st, v) = upload(&s, "create", csv.as_bytes().to_vec()).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["added"], 3);
    assert_eq!(v["skipped"], 1);
    assert_eq!(
        v["invalid"],
        json!([{"line": 4, "message": "matchText is empty"}])
    );
    // Idempotent.
    let (_, v) = upload(&s, "create", csv.as_bytes().to_vec()).await;
    assert_eq!(
        (v["added"].clone(), v["skipped"].clone()),
        (json!(0), json!(4))
    );

    let p = s
        .state
        .store()
        .project_by_key("PROJ")
        .await
        .unwrap()
        .unwrap();
    let app = s
        .state
        .store()
        .repository_by_slug(p.id, "app")
        .await
        .unwrap()
        .unwrap();
    let set = keywarden_core::rules::reviewed(&s.state, app.id)
        .await
        .unwrap();
    assert!(set.contains("ANY", "AKIA,with comma"));
    assert!(set.contains("ANY", "say \"hi\""));

    // Missing header: 400, nothing changed.
    let before = export(&s).await;
    for bad in ["AKIA1234,AWS_CLIENT_ID\nfoo,bar\n", "", "ruleName\nX\n"] {
        let (st, v) = upload(&s, "create", bad.as_bytes().to_vec()).await;
        assert_eq!(st, 400, "{bad:?}: {v}");
        assert!(
            v["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("matchText"),
            "{v}"
        );
        let (st, _) = upload(&s, "delete", bad.as_bytes().to_vec()).await;
        assert_eq!(st, 400);
    }
    assert_eq!(export(&s).await, before);
    // A quote never closed would merge every row after it into one entry: 400, nothing changed.
    let unclosed = "matchText,ruleName\nfirst-text,R\n\"second-text,R\nthird-text,R\n";
    let (st, v) = upload(&s, "create", unclosed.as_bytes().to_vec()).await;
    assert_eq!(st, 400, "{v}");
    let message = v["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("line 3"), "{v}");
    assert_eq!(export(&s).await, before);
    // Not multipart, or no `file` field.
    let r = s
        .admin(Method::POST, "/rest/security/latest/global-reviewed/create")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_error(r, 400, INVALID, "file").await;
    let (ct, body) = multipart("other", b"matchText\na\n");
    let r = s
        .admin(Method::POST, "/rest/security/latest/global-reviewed/create")
        .header("Content-Type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_error(r, 400, INVALID, "file").await;

    // Export, clear, upload the export back: the same entries.
    let exported = export(&s).await;
    assert!(
        exported.starts_with("matchText,ruleName,reviewedBy,reviewedDate\r\n"),
        "{exported}"
    );
    let r = s
        .admin(Method::DELETE, "/rest/security/latest/global-reviewed")
        .send()
        .await
        .unwrap();
    assert_error(r, 400, INVALID, "confirm").await;
    let (st, v) = json(
        s.admin(
            Method::DELETE,
            "/rest/security/latest/global-reviewed?confirm=true",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((st, v), (200, json!({"removed": 3})));
    let set = keywarden_core::rules::reviewed(&s.state, app.id)
        .await
        .unwrap();
    assert!(set.is_empty());
    let (_, v) = upload(&s, "create", exported.clone().into_bytes()).await;
    assert_eq!(v["added"], 3, "{v}");
    let strip_dates = |t: &str| {
        t.lines()
            .map(|l| l.rsplit_once(',').map_or(l, |(a, _)| a).to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(strip_dates(&export(&s).await), strip_dates(&exported));

    // Delete by file.
    let (st, v) = upload(
        &s,
        "delete",
        b"matchText\r\nplain\r\nnot there\r\n".to_vec(),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (v["removed"].clone(), v["skipped"].clone()),
        (json!(1), json!(1))
    );
    let set = keywarden_core::rules::reviewed(&s.state, app.id)
        .await
        .unwrap();
    assert!(!set.contains("ANY", "plain"));
    assert!(set.contains("ANY", "AKIA,with comma"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_csv_50000_rows() {
    let s = TestServer::start().await;
    let mut csv = String::from("matchText,ruleName\n");
    for i in 0..50_000 {
        csv.push_str(&format!("token_{i:08}_abcdefghijklmnop,CUSTOM_RULE\n"));
    }
    let started = std::time::Instant::now();
    let (st, v) = upload(&s, "create", csv.clone().into_bytes()).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["added"], 50_000);
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
    let exported = export(&s).await;
    assert_eq!(exported.lines().count(), 50_001);
    let (_, v) = upload(&s, "delete", csv.into_bytes()).await;
    assert_eq!(v["removed"], 50_000);
}
