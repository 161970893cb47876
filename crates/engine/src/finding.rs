//! What a scan of one blob produces.

/// One finding: one match of one rule on one line (a line may have several).
#[derive(Debug, Clone, PartialEq)]
pub struct LineFinding {
    /// Index of the rule in its [`crate::RuleSet`].
    pub rule: usize,
    /// 1-based line number.
    pub line: u32,
    /// The line (without its line terminator), or the match alone when `truncated`.
    pub text: String,
    /// Start of the match in `text`, in Unicode scalar values.
    pub start: u32,
    /// End of the match in `text` (exclusive), in Unicode scalar values.
    pub end: u32,
    /// The line was longer than the limit and `text` holds only the match.
    pub truncated: bool,
    /// The line carries an allowlist pragma.
    pub allowlisted: bool,
    /// How likely the match is a credential, in [0, 1]: 1 for a provider's exact format with a
    /// valid checksum and for custom rules; the trained scorer's probability for generic rules
    /// and syntax candidates ([`crate::RuleSet::rescore`] refines it with the file's path);
    /// [`crate::CHECKSUM_FAILED_CONFIDENCE`] for a provider's shape whose checksum fails.
    pub confidence: f32,
}

impl LineFinding {
    /// The matched text (group 0), i.e. `text[start..end]` counted in characters.
    pub fn match_text(&self) -> &str {
        let mut it = self.text.char_indices().map(|(i, _)| i);
        let s = it
            .clone()
            .nth(self.start as usize)
            .unwrap_or(self.text.len());
        let e = it.nth(self.end as usize).unwrap_or(self.text.len());
        &self.text[s..e.max(s)]
    }
}

/// Why a blob was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// A NUL byte in the first 8 KiB.
    Binary,
    /// Larger than the size limit.
    TooLarge,
}

impl SkipReason {
    /// A short lower-case word for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge => "too-large",
        }
    }
}

/// The outcome of scanning one blob.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlobScan {
    /// Findings in line order.
    pub findings: Vec<LineFinding>,
    /// Set when the blob was skipped (then `findings` is empty).
    pub skipped: Option<SkipReason>,
    /// Rules (by index) that exceeded their matching budget on at least one line of this blob,
    /// without repeats. Such a rule is skipped on the line where it overran, and only there.
    pub budget_exceeded: Vec<usize>,
    /// The scan stopped at its time limit before the end of the blob: `findings` hold the lines
    /// scanned by then.
    pub timed_out: bool,
}
