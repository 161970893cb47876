//! The two confidence thresholds that decide what a finding does.

use keywarden_engine::{DEFAULT_BLOCK_THRESHOLD, DEFAULT_REPORT_THRESHOLD};

/// What a finding's confidence makes of it: at or above `block` it blocks a push (when its rule
/// blocks); at or above `report` it is reported by scans and warned about by the hook; below
/// `report` it is dropped. Provider rules with a valid checksum and custom rules have
/// confidence 1, so any thresholds in [0, 1] leave them as they are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Block at or above this confidence.
    pub block: f32,
    /// Report at or above this confidence.
    pub report: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            block: DEFAULT_BLOCK_THRESHOLD,
            report: DEFAULT_REPORT_THRESHOLD,
        }
    }
}

impl Thresholds {
    /// Whether a finding of this confidence blocks (if its rule does).
    pub fn blocks(self, confidence: f32) -> bool {
        confidence >= self.block
    }

    /// Whether a finding of this confidence is reported.
    pub fn reports(self, confidence: f32) -> bool {
        confidence >= self.report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_inclusive() {
        let t = Thresholds {
            block: 0.8,
            report: 0.4,
        };
        assert!(t.blocks(0.8) && !t.blocks(0.79));
        assert!(t.reports(0.4) && !t.reports(0.39));
        assert!(t.blocks(1.0) && t.reports(1.0));
    }
}
