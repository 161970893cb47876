//! The README's test command is the one CI runs: `.ci/run` ends with exactly the command the
//! README's "The two commands" section gives, so a fresh machine runs what CI runs.

use std::path::PathBuf;

/// A file of the repository, by its path from the root.
pub(crate) fn repo_file(path: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The first line of the first fenced block after `marker` in `text`.
fn command_after(text: &str, marker: &str) -> String {
    let rest = &text[text.find(marker).unwrap_or_else(|| panic!("no {marker:?}"))..];
    let block = rest.split("```").nth(1).expect("a fenced block");
    let mut lines = block.lines();
    lines.next(); // the language tag
    lines
        .find(|l| !l.trim().is_empty())
        .expect("a command")
        .trim()
        .to_string()
}

#[test]
fn the_readme_and_ci_run_the_same_test_command() {
    let readme = repo_file("README.md");
    let readme_cmd = command_after(&readme, "Run the whole test suite");
    assert!(
        readme_cmd.starts_with("cargo test --workspace"),
        "{readme_cmd}"
    );
    assert!(
        readme_cmd.contains("--no-fail-fast"),
        "one failing test binary must not keep the others from running: {readme_cmd}"
    );
    let ci = repo_file(".ci/run");
    let after = ci
        .split("# The README's test command.")
        .nth(1)
        .expect(".ci/run marks the README's test command");
    let ci_cmd = after
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .expect("a command after the marker");
    assert_eq!(ci_cmd, readme_cmd);
    let last = ci
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap();
    assert_eq!(last, readme_cmd, "the test command is .ci/run's last step");
}
