//! The real `git` client, isolated from the user's configuration.

use crate::TestServer;

/// Runs the real `git` in `dir`, isolated from the user's configuration; returns the output.
pub fn git(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("git")
        .current_dir(dir)
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "credential.helper=",
            "-c",
            "advice.detachedHead=false",
        ])
        .args(args)
        .output()
        .expect("git runs")
}

/// Runs git and asserts success; returns stdout.
pub fn git_ok(dir: &std::path::Path, args: &[&str]) -> String {
    let out = git(dir, args);
    assert!(
        out.status.success(),
        "git {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs git, asserts failure; returns stderr.
pub fn git_fails(dir: &std::path::Path, args: &[&str]) -> String {
    let out = git(dir, args);
    assert!(!out.status.success(), "git {args:?} should have failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `http://user:password@host:port/scm/{project}/{slug}.git`.
pub fn remote(s: &TestServer, user: &str, password: &str, project: &str, slug: &str) -> String {
    let host = s.base.trim_start_matches("http://");
    format!("http://{user}:{password}@{host}/scm/{project}/{slug}.git")
}

/// A new working repository with one commit of `file` = `content`.
pub fn work_repo(
    parent: &std::path::Path,
    name: &str,
    file: &str,
    content: &str,
) -> std::path::PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    git_ok(&dir, &["init", "-q"]);
    std::fs::write(dir.join(file), content).unwrap();
    git_ok(&dir, &["add", "."]);
    git_ok(&dir, &["commit", "-q", "-m", "first"]);
    dir
}

/// Writes `file` = `content` in `dir`, commits everything, and returns the new commit id.
pub fn commit(dir: &std::path::Path, file: &str, content: &str, msg: &str) -> String {
    std::fs::write(dir.join(file), content).unwrap();
    git_ok(dir, &["add", "."]);
    git_ok(dir, &["commit", "-q", "-m", msg]);
    git_ok(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

/// Runs git (e.g. a push) and returns whether it succeeded and everything it printed.
pub fn push(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = git(dir, args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}
