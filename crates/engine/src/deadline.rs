//! A time limit checked cheaply inside the scan loops.

use std::time::Instant;

/// The clock is read once per this many checks: a line's evaluation is bounded by the rules'
/// step budgets, so a scan overruns its limit by at most this many lines.
const CHECK_EVERY: u32 = 8;

/// A scan's time limit (or none).
pub(crate) struct Deadline {
    at: Option<Instant>,
    checks: u32,
    passed: bool,
}

impl Deadline {
    /// A limit at `at`; `None` never passes.
    pub(crate) fn new(at: Option<Instant>) -> Self {
        Deadline {
            at,
            checks: 0,
            passed: false,
        }
    }

    /// Whether the limit has passed (once true, stays true).
    pub(crate) fn passed(&mut self) -> bool {
        let Some(at) = self.at else {
            return false;
        };
        if !self.passed {
            self.checks += 1;
            if self.checks.is_multiple_of(CHECK_EVERY) {
                self.passed = Instant::now() >= at;
            }
        }
        self.passed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn no_limit_never_passes() {
        let mut d = Deadline::new(None);
        assert!((0..1000).all(|_| !d.passed()));
    }

    #[test]
    fn a_past_limit_passes_within_one_round_of_checks() {
        let mut d = Deadline::new(Some(Instant::now()));
        let first = (1..=CHECK_EVERY).find(|_| d.passed());
        assert_eq!(first, Some(CHECK_EVERY));
        assert!(d.passed());
    }

    #[test]
    fn a_future_limit_does_not_pass() {
        let mut d = Deadline::new(Some(Instant::now() + Duration::from_secs(3600)));
        assert!((0..1000).all(|_| !d.passed()));
    }
}
