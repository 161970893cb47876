//! The check a custom rule's regex must pass before it is used: global custom rules on
//! creation and edit, repository custom rules of `soteri-security.yml` when the file is read.

use crate::rule::{Rule, RuleOrigin};
use crate::ruleset::RuleSet;

/// Checks that `regexp` compiles as a custom rule named `name` and cannot match the empty
/// string. The message says what is wrong (without naming a field).
pub fn check_custom_regex(name: &str, regexp: &str) -> Result<(), String> {
    if regexp.is_empty() {
        return Err("a regular expression is required".to_string());
    }
    let rule = Rule::custom(name, regexp, true, RuleOrigin::GlobalCustom(0));
    let set = RuleSet::compile(vec![rule]).map_err(|e| e.to_string())?;
    // The static check cannot see that a look-around-only pattern such as `(?=x)` matches the
    // empty string; probe it with its own characters.
    let mut probes = vec![regexp.to_string()];
    probes.extend(
        regexp
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(String::from),
    );
    for probe in &probes {
        let scan = set.scan_lines([(1, probe.as_bytes())]);
        if scan.findings.iter().any(|f| f.start == f.end) {
            return Err(format!(
                "rule {name}: the regular expression matches the empty string; make it require at least one character"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_cannot_be_used() {
        assert!(check_custom_regex("R", "tok_[0-9]{8}").is_ok());
        assert!(check_custom_regex("R", "(?<=token=)[a-z]{8}").is_ok());
        assert!(check_custom_regex("R", "(unclosed").is_err());
        assert!(
            check_custom_regex("R", "a*")
                .unwrap_err()
                .contains("empty string")
        );
        assert!(
            check_custom_regex("R", "(?=x)")
                .unwrap_err()
                .contains("empty string")
        );
        assert!(check_custom_regex("R", "").is_err());
    }
}
