//! `keywarden scan`'s reports as CI keeps them: SARIF checked against the SARIF 2.1.0 schema,
//! JSON, JSON Lines, CSV and JUnit XML agreeing with the text summary on what blocks, secrets
//! redacted on request, notes off stdout, quiet when the reader stops early, and colours only
//! on a terminal (or when asked), honouring `NO_COLOR`.

use std::process::Command;

use serde_json::Value;

use super::scan_cli::{
    KEY_ID, OTHER_KEY_ID, SECRET, commit_all, json_of, keywarden, keywarden_in, new_repo, write,
};

/// The SARIF 2.1.0 schema as OASIS publishes it (draft-04 JSON Schema).
const SARIF_SCHEMA: &str = include_str!("fixtures/sarif-schema-2.1.0.json");

/// Panics with every schema violation when `doc` is not valid SARIF 2.1.0.
fn assert_valid_sarif(doc: &Value) {
    let schema: Value = serde_json::from_str(SARIF_SCHEMA).unwrap();
    let validator = jsonschema::draft4::new(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}\n{doc:#}");
}

/// A directory with one blocking finding, one allowlisted by a pragma and one binary file.
fn tree() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "src/k.py", format!("k = '{KEY_ID}'\n"));
    write(
        tmp.path(),
        "src/ok.py",
        format!("k = '{OTHER_KEY_ID}' # pragma: allowlist-secret\n"),
    );
    write(
        tmp.path(),
        "a&b.env",
        format!("AWS_SECRET_ACCESS_KEY={SECRET}\n"),
    );
    write(tmp.path(), "image.bin", b"x\0y");
    tmp
}

#[test]
fn sarif_is_valid_sarif_2_1_0_for_files_and_commits() {
    let tmp = tree();
    let out = keywarden(&["scan", tmp.path().to_str().unwrap(), "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&out);
    assert_valid_sarif(&v);
    let results = v["runs"][0]["results"].as_array().unwrap();
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    let key = results
        .iter()
        .find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/k.py")
        .unwrap();
    assert_eq!(key["ruleId"], "AWS_CLIENT_ID");
    assert_eq!(
        key["locations"][0]["physicalLocation"]["region"]["startColumn"],
        6
    );
    let allowlisted: Vec<&Value> = results
        .iter()
        .filter(|r| r["suppressions"].is_array())
        .collect();
    assert_eq!(allowlisted.len(), 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains(SECRET) && !text.contains(&format!("found: {KEY_ID}")));
    assert!(
        text.contains("skipped image.bin (binary)"),
        "a notification"
    );

    // Commits: results carry the commit that added the line.
    let (_t, dir) = new_repo();
    write(&dir, "a.txt", "nothing\n");
    let base = commit_all(&dir, "base");
    write(&dir, "b.txt", format!("id = {KEY_ID}\n"));
    let tip = commit_all(&dir, "key");
    let out = keywarden_in(
        &dir,
        &[
            "scan",
            "--range",
            &format!("{base}..{tip}"),
            "--format",
            "sarif",
        ],
        b"",
    );
    let v = json_of(&out);
    assert_valid_sarif(&v);
    assert_eq!(v["runs"][0]["results"][0]["properties"]["commitId"], tip);
    // A clean scan is valid too.
    let clean = tempfile::tempdir().unwrap();
    write(clean.path(), "a.txt", "nothing\n");
    let out = keywarden(&["scan", clean.path().to_str().unwrap(), "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(0));
    assert_valid_sarif(&json_of(&out));
}

#[test]
fn every_format_agrees_with_the_text_summary_on_what_blocks() {
    let tmp = tree();
    let dir = tmp.path().to_str().unwrap();
    let text = keywarden(&["scan", dir]);
    let summary = String::from_utf8_lossy(&text.stdout);
    assert!(
        summary.contains("3 findings (2 blocking), 3 files scanned"),
        "{summary}"
    );

    let json = json_of(&keywarden(&["scan", dir, "--format", "json"]));
    let by_path = |v: &Value| -> Vec<(String, bool, bool)> {
        let mut rows: Vec<(String, bool, bool)> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["allowlisted"].as_bool().unwrap(),
                    f["blocking"].as_bool().unwrap(),
                )
            })
            .collect();
        rows.sort();
        rows
    };
    let expected = vec![
        ("a&b.env".to_string(), false, true),
        ("src/k.py".to_string(), false, true),
        ("src/ok.py".to_string(), true, false),
    ];
    assert_eq!(
        by_path(&json["findings"]),
        expected,
        "allowlisted never blocks"
    );

    // JSON Lines: the same findings, one object a line.
    let out = keywarden(&["scan", dir, "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(Value::Array(lines.clone()), json["findings"]);
    assert_eq!(by_path(&Value::Array(lines)), expected);

    // CSV: the Blocking column.
    let out = keywarden(&["scan", dir, "--format", "csv"]);
    let mut rows: Vec<(String, String, String)> = csv::Reader::from_reader(&out.stdout[..])
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[6].to_string(), r[7].to_string())
        })
        .collect();
    rows.sort();
    let as_text = |(p, a, b): &(String, bool, bool)| (p.clone(), a.to_string(), b.to_string());
    assert_eq!(rows, expected.iter().map(as_text).collect::<Vec<_>>());

    // JUnit: a failure per blocking finding, a skip per allowlisted one, markup escaped.
    let out = keywarden(&["scan", dir, "--format", "junit"]);
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8_lossy(&out.stdout);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
    assert!(
        xml.contains(r#"tests="3" failures="2" errors="0" skipped="1""#),
        "{xml}"
    );
    assert_eq!(xml.matches("<testcase ").count(), 3, "{xml}");
    assert_eq!(xml.matches("<failure ").count(), 2, "{xml}");
    assert_eq!(xml.matches("<skipped ").count(), 1, "{xml}");
    assert!(xml.contains(r#"classname="a&amp;b.env""#), "{xml}");
    assert!(!xml.contains("a&b"), "{xml}");
    assert!(
        !xml.contains(SECRET) && !xml.contains(KEY_ID),
        "redacted: {xml}"
    );
    assert!(xml.trim_end().ends_with("</testsuites>"));
    assert_eq!(
        xml.matches("<testsuite ").count(),
        xml.matches("</testsuite>").count()
    );
    let clean = tempfile::tempdir().unwrap();
    write(clean.path(), "a.txt", "nothing\n");
    let out = keywarden(&["scan", clean.path().to_str().unwrap(), "--format", "junit"]);
    assert_eq!(out.status.code(), Some(0));
    let xml = String::from_utf8_lossy(&out.stdout);
    assert!(xml.contains(r#"tests="1" failures="0""#), "{xml}");
}

#[test]
fn redact_on_request_notes_on_stderr_and_quiet_when_the_reader_stops() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "a.env", format!("AWS_SECRET_ACCESS_KEY={SECRET}\n"));
    write(d, "image.bin", b"x\0");
    let dir = d.to_str().unwrap();
    for format in ["json", "jsonl", "csv"] {
        let plain = keywarden(&["scan", dir, "--format", format]);
        assert!(String::from_utf8_lossy(&plain.stdout).contains(SECRET));
        let out = keywarden(&["scan", dir, "--format", format, "--redact"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1));
        assert!(!text.contains(SECRET), "{format}: {text}");
        assert!(text.contains("a.env"), "{format}: {text}");
    }
    for format in ["text", "json", "jsonl", "csv", "sarif", "junit"] {
        let out = keywarden(&["scan", dir, "--format", format]);
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        // The JSON and SARIF reports list skipped files in their own fields.
        if !["json", "sarif"].contains(&format) {
            assert!(!stdout.contains("image.bin"), "{format}: {stdout}");
        }
        if format == "text" {
            assert!(stderr.contains("skipped image.bin (binary)"), "{stderr}");
            assert!(
                stdout.contains("1 finding (1 blocking), 1 file scanned"),
                "{stdout}"
            );
        }
    }

    // Many findings into a reader that stops after the first line.
    let many: String = (0..20_000)
        .map(|_| format!("AWS_SECRET_ACCESS_KEY={SECRET}\n"))
        .collect();
    write(d, "many.env", many);
    for format in ["text", "json", "jsonl", "csv", "sarif", "junit"] {
        let sh = format!(
            "{} scan {dir} --format {format} | head -n 1 >/dev/null",
            env!("CARGO_BIN_EXE_keywarden")
        );
        let out = Command::new("sh").args(["-c", &sh]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("Broken pipe") && !err.contains("error"),
            "{format}: {err}"
        );
    }
}

/// Runs `keywarden` with stdout on a pseudo-terminal (`script`), `NO_COLOR` set or not: what
/// the terminal shows.
fn on_terminal(args: &str, no_color: Option<&str>) -> String {
    let cmd = format!("{} {args}", env!("CARGO_BIN_EXE_keywarden"));
    let mut c = Command::new("script");
    c.args(["-qec", &cmd, "/dev/null"]).env_remove("NO_COLOR");
    if let Some(v) = no_color {
        c.env("NO_COLOR", v);
    }
    let out = c.output().expect("script (util-linux) runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn colours_on_a_terminal_unless_no_color_or_never() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "k.py", format!("k = '{KEY_ID}'\n"));
    let dir = tmp.path().to_str().unwrap();
    let esc = "\x1b[";
    let scan = format!("scan {dir} --no-progress");
    let shown = on_terminal(&scan, None);
    assert!(shown.contains(esc), "a terminal gets colours: {shown:?}");
    assert!(shown.contains("k.py"), "{shown:?}");
    assert!(!on_terminal(&scan, Some("1")).contains(esc), "NO_COLOR");
    assert!(
        on_terminal(&scan, Some("")).contains(esc),
        "an empty NO_COLOR is unset"
    );
    assert!(!on_terminal(&format!("{scan} --color never"), None).contains(esc));
    assert!(!on_terminal(&format!("{scan} --format json"), None).contains(esc));
    // Into a pipe: plain unless asked.
    let piped = keywarden(&["scan", dir]);
    assert!(!String::from_utf8_lossy(&piped.stdout).contains(esc));
    let forced = keywarden(&["scan", dir, "--color", "always"]);
    let forced = String::from_utf8_lossy(&forced.stdout);
    assert!(forced.contains(esc), "{forced:?}");
    assert!(
        forced.contains("\x1b[1;31m[AWS_CLIENT_ID]\x1b[0m"),
        "{forced:?}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_keywarden"))
        .args(["scan", dir, "--color", "always"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(esc),
        "--color always wins over NO_COLOR"
    );
}
