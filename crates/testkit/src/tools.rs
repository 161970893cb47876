//! External programs some tests drive (schemathesis, Chromium): missing on a developer's
//! machine, such a test is skipped with a note; under `CI=true` it fails, so that CI never
//! passes without running it.

/// Whether the environment says this is a CI run (`CI` set to `true` or `1`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// A test cannot run because `what` is missing: fails under CI ([`in_ci`]), else prints
/// `SKIPPED: ...` with `how` to get it. The caller returns after it.
pub fn missing_tool(what: &str, how: &str) {
    assert!(
        !in_ci(),
        "{what} is missing and CI=true: {how}; a CI run must not skip this test"
    );
    eprintln!("SKIPPED: {what} is missing ({how})");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipping_depends_on_ci() {
        // The variable is read per call; the test's own environment decides which branch runs.
        let outcome = std::panic::catch_unwind(|| missing_tool("a tool", "install it"));
        assert_eq!(outcome.is_err(), in_ci());
    }
}
