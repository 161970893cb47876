//! Confidence levels of findings and the default thresholds that act on them.

/// The confidence of a value of a provider's exact shape whose checksum fails: reported (at the
/// default report threshold) and warned about, never blocking by default.
pub const CHECKSUM_FAILED_CONFIDENCE: f32 = 0.5;

/// The least confidence of a generic rule's match (its own checks passed: entropy, placeholders,
/// dummies), also when no syntax candidate lies on it (prose such as `the password is ...`): at
/// the default report threshold, so reported as before the scorer; the scorer's probability,
/// when higher, decides whether it blocks.
pub const GENERIC_RULE_CONFIDENCE: f32 = 0.5;

/// The confidence of a private key's armour that carries no usable key: the key is encrypted
/// (`Proc-Type: 4,ENCRYPTED`, `ENCRYPTED PRIVATE KEY`, an OpenSSH key with a cipher), so it is of
/// no use without its passphrase, or no key body follows the header (code that writes a header,
/// an example cut short). Reported and warned about, never blocking by default; a private key
/// with a plain body keeps confidence 1.
pub const KEY_WITHOUT_MATERIAL_CONFIDENCE: f32 = 0.5;

/// Findings at or above this confidence block a push (default of the `blockThreshold` setting),
/// chosen from the development set's precision curve (bench `recall --creddata`).
pub const DEFAULT_BLOCK_THRESHOLD: f32 = 0.8;

/// Findings at or above this confidence are reported by scans and warned about by the hook
/// (default of the `reportThreshold` setting); those below are dropped.
pub const DEFAULT_REPORT_THRESHOLD: f32 = 0.5;

/// A confidence as reports show it: three decimals (`0.8`, not `0.800000011920929`).
pub fn shown_confidence(c: f64) -> f64 {
    (c.clamp(0.0, 1.0) * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidences_show_three_decimals() {
        assert_eq!(shown_confidence(f64::from(0.8f32)), 0.8);
        assert_eq!(shown_confidence(0.12345), 0.123);
        assert_eq!(shown_confidence(1.5), 1.0);
    }
}
