//! The ready-made integrations run as written: the `.pre-commit-hooks.yaml` entry blocks a
//! staged secret, and the README's GitHub Actions and GitLab CI scan commands fail a pull
//! request that adds one, with a SARIF report.

use std::path::Path;
use std::process::{Command, Output};

use super::readme_commands::repo_file;
use super::scan_cli::{KEY_ID, commit_all, git, json_of, new_repo, write};

/// Runs a `keywarden ...` command line (shell words) in `dir` with the built binary.
fn run_line(dir: &Path, line: &str) -> Output {
    let words = shell_words::split(line).unwrap_or_else(|e| panic!("{line}: {e}"));
    assert_eq!(words[0], "keywarden", "{line}");
    Command::new(env!("CARGO_BIN_EXE_keywarden"))
        .args(&words[1..])
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn the_pre_commit_hook_entry_blocks_a_staged_secret() {
    let hooks = repo_file(".pre-commit-hooks.yaml");
    let field = |key: &str| {
        hooks
            .lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in {hooks}"))
            .trim()
            .to_string()
    };
    assert_eq!(field("- id:"), "keywarden");
    // The entry scans the index itself: no file names, on every commit.
    assert_eq!(field("pass_filenames:"), "false");
    assert_eq!(field("always_run:"), "true");
    let entry = field("entry:");
    let (_tmp, dir) = new_repo();
    write(&dir, "a.txt", "hello\n");
    git(&dir, &["add", "a.txt"]);
    assert_eq!(run_line(&dir, &entry).status.code(), Some(0), "{entry}");
    write(&dir, "b.env", format!("ID={KEY_ID}\n"));
    git(&dir, &["add", "b.env"]);
    let out = run_line(&dir, &entry);
    assert_eq!(out.status.code(), Some(1), "{entry}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("b.env:1 [AWS_CLIENT_ID]"));
}

#[test]
fn the_readme_ci_examples_fail_a_pull_request_that_adds_a_secret() {
    let readme = repo_file("README.md");
    let commands: Vec<String> = readme
        .match_indices("keywarden scan --range")
        .map(|(at, _)| {
            let rest = &readme[at..];
            let end = rest
                .find("> keywarden.sarif")
                .expect("written to keywarden.sarif");
            rest[..end].split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect();
    assert_eq!(
        commands.len(),
        2,
        "GitHub Actions and GitLab CI: {commands:?}"
    );
    // The CI checkout: a clone whose origin has the target branch, HEAD the pull request.
    let (_tmp, upstream) = new_repo();
    write(&upstream, "app.py", "print('hi')\n");
    commit_all(&upstream, "base");
    let work = upstream.parent().unwrap().join("checkout");
    let out = Command::new("git")
        .args(["clone", "-q"])
        .arg(&upstream)
        .arg(&work)
        .output()
        .unwrap();
    assert!(out.status.success());
    git(&work, &["checkout", "-q", "-b", "feature"]);
    write(&work, "app.py", format!("print('hi')\nKEY = '{KEY_ID}'\n"));
    let added = commit_all(&work, "add a key");
    for command in commands {
        let line = command
            .replace("${{ github.base_ref }}", "main")
            .replace("$CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main");
        let out = run_line(&work, &line);
        assert_eq!(out.status.code(), Some(1), "{line}");
        let sarif = json_of(&out);
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 1, "{line}");
        assert_eq!(results[0]["properties"]["commitId"], added.as_str());
    }
}
