//! A compiled set of rules and the line-oriented matcher.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::OnceLock;
use std::time::Instant;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use memchr::{memchr, memchr_iter, memrchr};

use crate::body::{Body, Following, MAX_BODY_LINES, is_encrypted_key, may_be_body, widen};
use crate::candidates::{Candidate, candidates};
use crate::confidence::{
    CHECKSUM_FAILED_CONFIDENCE, GENERIC_RULE_CONFIDENCE, KEY_WITHOUT_MATERIAL_CONFIDENCE,
};
use crate::deadline::Deadline;
use crate::finding::{BlobScan, LineFinding, SkipReason};
use crate::placeholder::is_placeholder;
use crate::pragma::is_allowlisted_line;
use crate::redact::redact_spans;
use crate::rule::{Rule, RuleError, RuleOrigin};
use crate::score::Scorer;
use crate::validate::{provider_owned_name, shannon_entropy};

/// Limits that apply to every scan with a [`RuleSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanLimits {
    /// Blobs larger than this many bytes are skipped (default 10 MiB).
    pub max_file_size: u64,
    /// Lines longer than this many characters are truncated to their match (default 1,000).
    pub max_line_chars: usize,
    /// Bytes at the start of a blob searched for a NUL byte to detect binary content (8 KiB).
    pub binary_sniff_len: usize,
    /// Backtracking steps allowed per line for rules that need look-around or back-references.
    pub backtrack_limit: usize,
}

impl Default for ScanLimits {
    fn default() -> Self {
        ScanLimits {
            max_file_size: 10 * 1024 * 1024,
            max_line_chars: 1000,
            binary_sniff_len: 8 * 1024,
            backtrack_limit: 100_000,
        }
    }
}

/// Least entropy (bits per character) of a value whose checksum fails for it to be reported: a
/// run of one character in a token's shape is a placeholder.
const MIN_CHECKSUM_FAILED_ENTROPY: f64 = 3.0;

/// Upper bound on the compiled size of one rule's regex.
const REGEX_SIZE_LIMIT: usize = 4 * 1024 * 1024;

enum Matcher {
    /// Linear time: the `regex` crate (custom rules: Unicode classes, as Java has them).
    Fast(regex::Regex),
    /// Linear time over bytes with ASCII classes (built-in rules: token formats are ASCII, and
    /// Unicode classes in bounded repetitions make automata, and capture searches, far larger).
    Ascii(regex::bytes::Regex),
    /// Look-around or back-references: backtracking under a step budget.
    Backtracking(fancy_regex::Regex),
    /// The syntax candidates ([`crate::candidates`]).
    Candidates,
}

struct Compiled {
    rule: Rule,
    /// Built on first use for built-in rules (most never meet a candidate line in a small scan),
    /// at compile time for custom rules (so their errors surface when they are created).
    matcher: OnceLock<Result<Matcher, RuleError>>,
}

/// Rules compiled once, ready to scan any number of blobs from any number of threads.
pub struct RuleSet {
    rules: Vec<Compiled>,
    /// Keyword automaton; `None` when no rule has keywords.
    prefilter: Option<AhoCorasick>,
    /// For each keyword pattern (folded to lower case), the rules it enables.
    keyword_rules: Vec<KeywordRules>,
    /// Rules without keywords: they run on every line.
    unfiltered: Vec<usize>,
    limits: ScanLimits,
    /// Scores generic rules' matches and syntax candidates.
    scorer: Cow<'static, Scorer>,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("rules", &self.rules.len())
            .field("keywords", &self.keyword_rules.len())
            .field("unfiltered", &self.unfiltered.len())
            .finish()
    }
}

/// Checks a rule without building its automaton when the linear-time engine can run it (a parse
/// is cheap; building can take milliseconds for large bounded repetitions). Look-around and
/// back-references need the backtracking engine, which is built here.
fn validate(rule: &Rule, limits: &ScanLimits) -> Result<Option<Matcher>, RuleError> {
    match regex_syntax::ParserBuilder::new()
        .build()
        .parse(&rule.regex)
    {
        Ok(hir) => {
            if hir.properties().minimum_len() == Some(0) {
                return Err(RuleError::MatchesEmpty {
                    name: rule.name.clone(),
                });
            }
            Ok(None)
        }
        Err(fast_err) => {
            let re = fancy_regex::RegexBuilder::new(&rule.regex)
                .backtrack_limit(limits.backtrack_limit)
                .build()
                .map_err(|_| RuleError::Syntax {
                    name: rule.name.clone(),
                    message: fast_err.to_string(),
                })?;
            // No static minimum length for look-around patterns: probe a few inputs.
            for probe in ["", "a", "0", " ", "aZ9_-=:\"'", "\t"] {
                if let Ok(Some(m)) = re.find(probe)
                    && m.start() == m.end()
                {
                    return Err(RuleError::MatchesEmpty {
                        name: rule.name.clone(),
                    });
                }
            }
            Ok(Some(Matcher::Backtracking(re)))
        }
    }
}

/// Builds the linear-time matcher of a validated rule.
fn build_fast(rule: &Rule) -> Result<Matcher, RuleError> {
    let built = if rule.origin == RuleOrigin::Builtin {
        regex::bytes::RegexBuilder::new(&rule.regex)
            .unicode(false)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map(Matcher::Ascii)
    } else {
        regex::RegexBuilder::new(&rule.regex)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map(Matcher::Fast)
    };
    built.map_err(|e| match e {
        regex::Error::CompiledTooBig(limit) => RuleError::TooLarge {
            name: rule.name.clone(),
            message: format!("compiled size exceeds {limit} bytes"),
        },
        other => RuleError::Syntax {
            name: rule.name.clone(),
            message: other.to_string(),
        },
    })
}

impl Compiled {
    /// Appends to `out` the byte spans of the rule's matches in `line`, in order: the accepted
    /// ones (group 0), or with `raw` the secret of every regex match before any check. Each span
    /// says whether its checksum holds (false: the value has a provider's exact shape but fails
    /// its checksum). Returns false when the rule overran its step budget (the matches found
    /// before are kept).
    fn find_all(&self, line: &str, raw: bool, out: &mut Vec<(usize, usize, bool)>) -> bool {
        let checks = &self.rule.checks;
        let plain = checks.secret_group == 0
            && checks.min_entropy.is_none()
            && checks.validator.is_none()
            && !checks.filter_placeholders
            && checks.not_after.is_none()
            && checks.not_before.is_none();
        let matcher = match self.matcher.get_or_init(|| build_fast(&self.rule)) {
            Ok(m) => m,
            // Cannot happen for validated patterns short of the size limit; the rule is then
            // skipped and reported like one over its budget.
            Err(_) => return false,
        };
        match matcher {
            Matcher::Candidates => {
                // A provider rule checks what is assigned to its own names exactly.
                out.extend(
                    candidates(line)
                        .iter()
                        .filter(|c| !provider_owned_name(&c.name))
                        .map(|c| (c.start, c.end, true)),
                );
            }
            Matcher::Fast(re) if plain => {
                out.extend(re.find_iter(line).map(|m| (m.start(), m.end(), true)));
            }
            Matcher::Fast(re) => {
                for caps in re.captures_iter(line) {
                    let whole = caps.get(0).expect("group 0");
                    let secret = (checks.secret_group..caps.len())
                        .find_map(|i| caps.get(i))
                        .unwrap_or(whole);
                    let name = assigned_name(line, whole.start(), secret.start());
                    if raw {
                        out.push((secret.start(), secret.end(), true));
                    } else if let Some(exact) = self.accepts(name, secret.as_str())
                        && self.bounded(line, whole.start(), whole.end())
                    {
                        out.push((whole.start(), whole.end(), exact));
                    }
                }
            }
            Matcher::Ascii(re) if plain => {
                out.extend(re.find_iter(line.as_bytes()).map(|m| {
                    let (s, e) = snap_range(line, m.start(), m.end());
                    (s, e, true)
                }));
            }
            Matcher::Ascii(re) => {
                for caps in re.captures_iter(line.as_bytes()) {
                    let whole = caps.get(0).expect("group 0");
                    let secret = (checks.secret_group..caps.len())
                        .find_map(|i| caps.get(i))
                        .unwrap_or(whole);
                    let (start, end) = snap_range(line, whole.start(), whole.end());
                    let name = assigned_name(line, start, secret.start());
                    if raw {
                        let (s, e) = snap_range(line, secret.start(), secret.end());
                        out.push((s, e, true));
                    } else if let Some(exact) =
                        self.accepts(name, &String::from_utf8_lossy(secret.as_bytes()))
                        && self.bounded(line, start, end)
                    {
                        out.push((start, end, exact));
                    }
                }
            }
            Matcher::Backtracking(re) => {
                for caps in re.captures_iter(line) {
                    let Ok(caps) = caps else {
                        return false;
                    };
                    let whole = caps.get(0).expect("group 0");
                    let secret = (checks.secret_group..caps.len())
                        .find_map(|i| caps.get(i))
                        .unwrap_or(whole);
                    let name = assigned_name(line, whole.start(), secret.start());
                    if raw {
                        out.push((secret.start(), secret.end(), true));
                    } else if plain {
                        out.push((whole.start(), whole.end(), true));
                    } else if let Some(exact) = self.accepts(name, secret.as_str())
                        && self.bounded(line, whole.start(), whole.end())
                    {
                        out.push((whole.start(), whole.end(), exact));
                    }
                }
            }
        }
        true
    }

    /// The characters around the match are none of the excluded ones.
    fn bounded(&self, line: &str, start: usize, end: usize) -> bool {
        let c = &self.rule.checks;
        let before = line[..start].chars().next_back();
        let after = line[end..].chars().next();
        !(c.not_after
            .as_deref()
            .zip(before)
            .is_some_and(|(set, ch)| set.contains(ch))
            || c.not_before
                .as_deref()
                .zip(after)
                .is_some_and(|(set, ch)| set.contains(ch)))
    }

    /// Whether the secret passes the rule's checks (`name` is what it is assigned to): `None`
    /// when it fails one, `Some(false)` when only a checksum fails (a value of the provider's
    /// exact shape that is not a placeholder), `Some(true)` when it passes all.
    fn accepts(&self, name: &str, secret: &str) -> Option<bool> {
        let c = &self.rule.checks;
        if let Some(min) = c.min_entropy
            && shannon_entropy(secret) < min
        {
            return None;
        }
        if c.filter_placeholders && is_placeholder(secret) {
            return None;
        }
        match c.validator {
            Some(v) if !v.check_assigned(name, secret) => (v.is_checksum()
                && !is_placeholder(secret)
                && shannon_entropy(secret) >= MIN_CHECKSUM_FAILED_ENTROPY)
                .then_some(false),
            _ => Some(true),
        }
    }
}

/// The name a secret is assigned to: from the start of the identifier that the match begins in
/// (`AWS_` of `AWS_SECRET_ACCESS_KEY=...` when the match begins at `SECRET`) up to the secret.
/// Empty when the secret comes first or the offsets are not character boundaries.
fn assigned_name(line: &str, match_start: usize, secret_start: usize) -> &str {
    if secret_start < match_start {
        return "";
    }
    let head = line.get(..match_start).unwrap_or("");
    let ident = head
        .bytes()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        .count();
    line.get(match_start - ident..secret_start).unwrap_or("")
}

/// What follows `line`, a slice of `data`, in `data`.
fn following_in<'a>(data: &'a [u8], line: &[u8]) -> Following<'a> {
    let end = line.as_ptr() as usize - data.as_ptr() as usize + line.len();
    Following::Blob(rest_of(data, end))
}

/// The bytes after the `\n` at `end` (none when `end` is the end of `data`).
fn rest_of(data: &[u8], end: usize) -> &[u8] {
    data.get(end + 1..).unwrap_or(&[])
}

/// A byte match widened to character boundaries (an ASCII-class regex can stop inside a
/// multi-byte character).
fn snap_range(line: &str, mut start: usize, mut end: usize) -> (usize, usize) {
    while start > 0 && !line.is_char_boundary(start) {
        start -= 1;
    }
    while end < line.len() && !line.is_char_boundary(end) {
        end += 1;
    }
    (start, end)
}

/// Lines already seen to yield no finding, by 64-bit content hash, for scanning many blobs that
/// share most of their lines (the versions of a file in a history). A line's result depends on
/// its content alone, so a remembered clean line need not be matched again. Bounded: cleared when
/// it reaches its capacity.
#[derive(Debug)]
pub struct LineMemo {
    clean: std::collections::HashSet<u64, std::hash::BuildHasherDefault<IdentityHasher>>,
    capacity: usize,
}

impl LineMemo {
    /// A memo that holds at most `capacity` line hashes (16 bytes each, or so).
    pub fn new(capacity: usize) -> Self {
        LineMemo {
            clean: Default::default(),
            capacity,
        }
    }

    fn remember(&mut self, hash: u64) {
        if self.clean.len() >= self.capacity {
            self.clean.clear();
        }
        self.clean.insert(hash);
    }
}

/// The keys are already hashes.
#[derive(Default)]
struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// The rules one keyword pattern enables: those that ignore case, and those that need one exact
/// spelling (the automaton ignores case; the spelling is checked at the hit).
#[derive(Debug, Default)]
struct KeywordRules {
    any_case: Vec<usize>,
    exact: Vec<(Vec<u8>, Vec<usize>)>,
}

impl KeywordRules {
    /// Whether a hit whose text is `hit` enables any rule (a keyword that only case-sensitive
    /// rules use, met in another spelling, enables none: "nde" in "index" for "NDE").
    fn enables_any(&self, hit: &[u8]) -> bool {
        !self.any_case.is_empty() || self.exact.iter().any(|(s, _)| s.as_slice() == hit)
    }

    /// Adds the rules enabled by a hit whose text is `hit`.
    fn enable(&self, hit: &[u8], cands: &mut Candidates) {
        for &r in &self.any_case {
            cands.add(r);
        }
        for (spelling, rules) in &self.exact {
            if spelling.as_slice() == hit {
                for &r in rules {
                    cands.add(r);
                }
            }
        }
    }
}

/// Per-scan scratch: which rules are candidates for the current line.
struct Candidates {
    bits: Vec<u64>,
    any: bool,
}

impl Candidates {
    fn new(n: usize) -> Self {
        Candidates {
            bits: vec![0; n.div_ceil(64).max(1)],
            any: false,
        }
    }
    fn add(&mut self, rule: usize) {
        self.bits[rule / 64] |= 1 << (rule % 64);
        self.any = true;
    }
    fn clear(&mut self) {
        if self.any {
            self.bits.iter_mut().for_each(|w| *w = 0);
            self.any = false;
        }
    }
    /// Candidate rules in ascending (catalogue) order.
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.bits.iter().enumerate().flat_map(|(wi, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let b = w.trailing_zeros() as usize;
                w &= w - 1;
                Some(wi * 64 + b)
            })
        })
    }
}

impl RuleSet {
    /// Compiles rules in the given order (which is the order that decides which rule wins on a
    /// line). Fails on the first rule that cannot be used.
    pub fn compile(rules: Vec<Rule>) -> Result<RuleSet, RuleError> {
        Self::compile_with(rules, ScanLimits::default())
    }

    /// Like [`RuleSet::compile`] with explicit limits.
    pub fn compile_with(rules: Vec<Rule>, limits: ScanLimits) -> Result<RuleSet, RuleError> {
        let (set, mut errors) = Self::compile_lenient(rules, limits);
        match errors.is_empty() {
            true => Ok(set),
            false => Err(errors.swap_remove(0)),
        }
    }

    /// Compiles what compiles; rules that cannot be used are left out and returned with their
    /// errors (so a scan can go on without them and say so).
    pub fn compile_lenient(rules: Vec<Rule>, limits: ScanLimits) -> (RuleSet, Vec<RuleError>) {
        let mut compiled = Vec::with_capacity(rules.len());
        let mut errors = Vec::new();
        for rule in rules {
            let matcher = OnceLock::new();
            if rule.checks.candidates {
                let _ = matcher.set(Ok(Matcher::Candidates));
                compiled.push(Compiled { rule, matcher });
                continue;
            }
            let checked = validate(&rule, &limits).and_then(|m| match m {
                Some(backtracking) => Ok(Some(backtracking)),
                None if rule.origin == RuleOrigin::Builtin => Ok(None),
                None => build_fast(&rule).map(Some),
            });
            match checked {
                Ok(Some(m)) => {
                    let _ = matcher.set(Ok(m));
                    compiled.push(Compiled { rule, matcher });
                }
                Ok(None) => compiled.push(Compiled { rule, matcher }),
                Err(e) => errors.push(e),
            }
        }
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<KeywordRules> = Vec::new();
        let mut unfiltered = Vec::new();
        for (i, c) in compiled.iter().enumerate() {
            if c.rule.keywords.is_empty() {
                unfiltered.push(i);
                continue;
            }
            for kw in &c.rule.keywords {
                let folded = kw.to_ascii_lowercase();
                let p = match keywords.iter().position(|k| *k == folded) {
                    Some(p) => p,
                    None => {
                        keywords.push(folded);
                        keyword_rules.push(KeywordRules::default());
                        keywords.len() - 1
                    }
                };
                let entry = &mut keyword_rules[p];
                if c.rule.keywords_case_sensitive {
                    match entry.exact.iter_mut().find(|(s, _)| s == kw.as_bytes()) {
                        Some((_, rules)) => rules.push(i),
                        None => entry.exact.push((kw.as_bytes().to_vec(), vec![i])),
                    }
                } else {
                    entry.any_case.push(i);
                }
            }
        }
        let prefilter = (!keywords.is_empty()).then(|| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&keywords)
                .or_else(|_| {
                    AhoCorasick::builder()
                        .ascii_case_insensitive(true)
                        .match_kind(MatchKind::Standard)
                        .build(&keywords)
                })
                .expect("keyword automaton")
        });
        let set = RuleSet {
            rules: compiled,
            prefilter,
            keyword_rules,
            unfiltered,
            limits,
            scorer: Cow::Borrowed(Scorer::embedded()),
        };
        (set, errors)
    }

    /// Number of rules in the set.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when the set has no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rule at `index` (as in [`LineFinding::rule`]).
    pub fn rule(&self, index: usize) -> &Rule {
        &self.rules[index].rule
    }

    /// All rules, in order.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().map(|c| &c.rule)
    }

    /// The same rules with another scorer of generic matches and candidates (a model trained on
    /// part of the data, to measure it on the rest).
    pub fn with_scorer(mut self, scorer: Scorer) -> RuleSet {
        self.scorer = Cow::Owned(scorer);
        self
    }

    /// The confidence of a match of rule `rule` at bytes `start..end` of `line`, in the file at
    /// `path` (empty when unknown); `exact` is false when the value failed its checksum.
    /// `scored` holds the line's scored candidates once one match needed them, so that several
    /// matches on one line read its candidates once.
    fn confidence(
        &self,
        rule: usize,
        line: &str,
        (start, end): (usize, usize),
        exact: bool,
        path: &str,
        scored: &mut Option<Vec<(Candidate, f32)>>,
    ) -> f32 {
        if !exact {
            return CHECKSUM_FAILED_CONFIDENCE;
        }
        let checks = &self.rules[rule].rule.checks;
        if !checks.scored {
            return 1.0;
        }
        let score = scored
            .get_or_insert_with(|| self.scorer.score_line(line, path))
            .iter()
            .filter(|(c, _)| c.start < end && start < c.end)
            .map(|&(_, s)| s)
            .reduce(f32::max);
        match (checks.candidates, score) {
            (true, score) => score.unwrap_or(0.0),
            // A generic rule's own checks (entropy, placeholders, dummies) passed: reported as
            // before; the scorer decides whether it blocks.
            (false, Some(s)) => s.max(GENERIC_RULE_CONFIDENCE),
            (false, None) => GENERIC_RULE_CONFIDENCE,
        }
    }

    /// Scores a finding again knowing the path of its file (a scan of content alone scores it
    /// without one): the scorer reads the path's words (tests, examples, docs) and extension.
    pub fn rescore(&self, f: &mut LineFinding, path: &str) {
        if f.truncated || !self.rules[f.rule].rule.checks.scored {
            return;
        }
        let line = f.text.split('\n').next().unwrap_or("");
        let byte = |c: u32| {
            line.char_indices()
                .nth(c as usize)
                .map_or(line.len(), |(i, _)| i)
        };
        let span = (byte(f.start), byte(f.end));
        f.confidence = self.confidence(f.rule, line, span, true, path, &mut None);
    }

    /// The limits in force.
    pub fn limits(&self) -> &ScanLimits {
        &self.limits
    }

    /// Why a blob of this content would be skipped, if it would.
    pub fn skip_reason(&self, data: &[u8]) -> Option<SkipReason> {
        if data.len() as u64 > self.limits.max_file_size {
            return Some(SkipReason::TooLarge);
        }
        self.is_binary(data).then_some(SkipReason::Binary)
    }

    /// The one binary rule, for every kind of scan: a NUL byte in the first
    /// [`ScanLimits::binary_sniff_len`] bytes of a file's content (`data` may be just those).
    pub fn is_binary(&self, data: &[u8]) -> bool {
        memchr(0, &data[..data.len().min(self.limits.binary_sniff_len)]).is_some()
    }

    /// Scans one blob (a file's content), line by line.
    pub fn scan(&self, data: &[u8]) -> BlobScan {
        self.scan_until(data, None)
    }

    /// Like [`RuleSet::scan`], stopping at `deadline`: the findings of the lines scanned by
    /// then, with [`BlobScan::timed_out`] set.
    pub fn scan_until(&self, data: &[u8], deadline: Option<Instant>) -> BlobScan {
        let mut deadline = Deadline::new(deadline);
        let mut out = BlobScan::default();
        if let Some(reason) = self.skip_reason(data) {
            out.skipped = Some(reason);
            return out;
        }
        let mut cands = Candidates::new(self.rules.len());
        if !self.unfiltered.is_empty() {
            // Some rule runs on every line: walk all lines.
            let mut line_no = 0u32;
            for line in data.split(|&b| b == b'\n') {
                line_no += 1;
                if deadline.passed() {
                    out.timed_out = true;
                    return out;
                }
                self.line_candidates(line, &mut cands);
                let rest = following_in(data, line);
                self.eval_line(line, line_no, &cands, rest, false, &mut out);
                cands.clear();
            }
            return out;
        }
        let Some(ac) = &self.prefilter else {
            return out;
        };
        let mut current: Option<(usize, usize)> = None;
        let mut line_no = 1u32;
        let mut counted = 0usize;
        for m in ac.find_overlapping_iter(data) {
            let p = m.start();
            let rules = &self.keyword_rules[m.pattern().as_usize()];
            if !rules.enables_any(&data[p..m.end()]) {
                continue;
            }
            if let Some((s, e)) = current {
                if p < e {
                    rules.enable(&data[p..m.end()], &mut cands);
                    continue;
                }
                self.eval_line(
                    &data[s..e],
                    line_no,
                    &cands,
                    Following::Blob(rest_of(data, e)),
                    false,
                    &mut out,
                );
                cands.clear();
                if deadline.passed() {
                    out.timed_out = true;
                    return out;
                }
            }
            let s = memrchr(b'\n', &data[..p]).map_or(0, |i| i + 1);
            let e = memchr(b'\n', &data[p..]).map_or(data.len(), |i| p + i);
            line_no += memchr_iter(b'\n', &data[counted..s]).count() as u32;
            counted = s;
            current = Some((s, e));
            rules.enable(&data[p..m.end()], &mut cands);
        }
        if let Some((s, e)) = current {
            self.eval_line(
                &data[s..e],
                line_no,
                &cands,
                Following::Blob(rest_of(data, e)),
                false,
                &mut out,
            );
        }
        out
    }

    /// Like [`RuleSet::scan`], skipping lines that `memo` has seen clean before and remembering
    /// the new clean ones. Same findings as `scan`; faster when blobs share many lines.
    pub fn scan_memo(&self, data: &[u8], memo: &mut LineMemo) -> BlobScan {
        self.scan_memo_until(data, memo, None)
    }

    /// Like [`RuleSet::scan_memo`], stopping at `deadline` as [`RuleSet::scan_until`] does.
    pub fn scan_memo_until(
        &self,
        data: &[u8],
        memo: &mut LineMemo,
        deadline: Option<Instant>,
    ) -> BlobScan {
        let mut deadline = Deadline::new(deadline);
        let mut out = BlobScan::default();
        if let Some(reason) = self.skip_reason(data) {
            out.skipped = Some(reason);
            return out;
        }
        let mut cands = Candidates::new(self.rules.len());
        let mut start = 0usize;
        let mut line_no = 0u32;
        let ends = memchr_iter(b'\n', data).chain(std::iter::once(data.len()));
        for end in ends {
            line_no += 1;
            let line = &data[start..end];
            start = end + 1;
            let rest = Following::Blob(rest_of(data, end));
            let hash = xxhash_rust::xxh3::xxh3_64(line);
            if memo.clean.contains(&hash) {
                continue;
            }
            if deadline.passed() {
                out.timed_out = true;
                return out;
            }
            self.line_candidates(line, &mut cands);
            let before = out.findings.len();
            let complete = self.eval_line(line, line_no, &cands, rest, false, &mut out);
            cands.clear();
            // A line where a rule overran its budget was not fully checked: not known clean.
            if out.findings.len() == before && complete {
                memo.remember(hash);
            }
        }
        out
    }

    /// Scans individual lines (e.g. the lines a commit adds), each with its line number in the
    /// file. Lines must not contain `\n`.
    pub fn scan_lines<'a>(&self, lines: impl IntoIterator<Item = (u32, &'a [u8])>) -> BlobScan {
        let mut out = BlobScan::default();
        let mut cands = Candidates::new(self.rules.len());
        // Lines are taken one by one (the caller may stop the iterator to cancel), and read
        // ahead only for a line where a rule with a body may match.
        let mut lines = lines.into_iter();
        let mut ahead: VecDeque<(u32, &[u8])> = VecDeque::new();
        while let Some((line_no, line)) = ahead.pop_front().or_else(|| lines.next()) {
            self.line_candidates(line, &mut cands);
            if cands
                .iter()
                .any(|r| self.rules[r].rule.checks.body.is_some())
            {
                while ahead.len() < MAX_BODY_LINES {
                    match lines.next() {
                        Some(next) => ahead.push_back(next),
                        None => break,
                    }
                }
            }
            let rest = Following::Lines(line_no, ahead.make_contiguous());
            self.eval_line(line, line_no, &cands, rest, false, &mut out);
            cands.clear();
        }
        out
    }

    /// Whether `line` may be part of a secret written over several lines (a private key's
    /// armour or body). When lines added to a file are scanned ([`RuleSet::scan_lines`]) and
    /// one of them may be, the file's content should be scanned with
    /// [`RuleSet::scan_added`], so that a key whose header or body was not added is still read
    /// whole.
    pub fn may_span_lines(&self, line: &[u8]) -> bool {
        self.rules.iter().any(|c| c.rule.checks.body.is_some()) && may_be_body(line)
    }

    /// Scans the lines `added` (line numbers, ascending) of a file whose content is `data`, as
    /// [`RuleSet::scan_lines`] does with those lines, and also reports each secret over several
    /// lines (a private key with its body) that begins on a line not added but covers an added
    /// one. Skipped like [`RuleSet::scan`] when `data` is binary or too large. `stop` is asked
    /// before each line; when it answers true the scan ends there (a time budget).
    pub fn scan_added(&self, data: &[u8], added: &[u32], stop: &dyn Fn() -> bool) -> BlobScan {
        let mut out = BlobScan::default();
        if let Some(reason) = self.skip_reason(data) {
            out.skipped = Some(reason);
            return out;
        }
        let mut cands = Candidates::new(self.rules.len());
        let mut line_no = 0u32;
        for line in data.split(|&b| b == b'\n') {
            if stop() {
                break;
            }
            line_no += 1;
            let is_added = added.binary_search(&line_no).is_ok();
            self.line_candidates(line, &mut cands);
            let rest = following_in(data, line);
            let before = out.findings.len();
            self.eval_line(line, line_no, &cands, rest, !is_added, &mut out);
            cands.clear();
            if !is_added {
                let mut kept = before;
                for i in before..out.findings.len() {
                    let f = &out.findings[i];
                    let last = f.line + f.match_text().matches('\n').count() as u32;
                    let covers = added.iter().any(|&n| n > f.line && n <= last);
                    if covers {
                        out.findings.swap(kept, i);
                        kept += 1;
                    }
                }
                out.findings.truncate(kept);
            }
        }
        out
    }

    /// Candidate rules of one line: those whose keywords occur, plus the unfiltered ones.
    fn line_candidates(&self, line: &[u8], cands: &mut Candidates) {
        for &r in &self.unfiltered {
            cands.add(r);
        }
        if let Some(ac) = &self.prefilter {
            for m in ac.find_overlapping_iter(line) {
                self.keyword_rules[m.pattern().as_usize()].enable(&line[m.start()..m.end()], cands);
            }
        }
    }

    /// Applies the candidate rules to one line; records every distinct match. A rule that
    /// overruns its step budget is skipped on this line only and recorded (once per blob) in
    /// [`BlobScan::budget_exceeded`]. Returns false when some rule overran (the line was then
    /// not fully checked).
    /// `following` is what comes after the line (for secrets over several lines); with
    /// `body_only` only such rules are applied.
    fn eval_line(
        &self,
        line: &[u8],
        line_no: u32,
        cands: &Candidates,
        following: Following<'_>,
        body_only: bool,
        out: &mut BlobScan,
    ) -> bool {
        if !cands.any {
            return true;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let text: Cow<'_, str> = String::from_utf8_lossy(line);
        let mut complete = true;
        // Accepted spans with their rules: blocking rules first, so a warn-only match never
        // hides a blocking one; within each kind the first rule in order wins an overlap.
        let mut taken: Vec<(usize, usize, usize, bool)> = Vec::new();
        let mut line_candidates: Option<Vec<Candidate>> = None;
        let mut spans = Vec::new();
        for blocking in [true, false] {
            for r in cands.iter() {
                let rule = &self.rules[r].rule;
                if rule.blocking != blocking || (body_only && rule.checks.body.is_none()) {
                    continue;
                }
                spans.clear();
                if rule.checks.candidates {
                    // Extracted once per line: the scorer reads the same candidates.
                    let found = line_candidates.get_or_insert_with(|| candidates(&text));
                    spans.extend(
                        found
                            .iter()
                            .filter(|c| !provider_owned_name(&c.name))
                            .map(|c| (c.start, c.end, true)),
                    );
                } else if !self.rules[r].find_all(&text, false, &mut spans) {
                    complete = false;
                    if !out.budget_exceeded.contains(&r) {
                        out.budget_exceeded.push(r);
                    }
                }
                for &(bs, be, exact) in &spans {
                    if !taken.iter().any(|&(s, e, _, _)| bs < e && s < be) {
                        taken.push((bs, be, r, exact));
                    }
                }
            }
        }
        taken.sort_unstable();
        let mut scored =
            line_candidates.map(|found| self.scorer.score_candidates(found, &text, ""));
        for (bs, be, r, exact) in taken {
            let mut confidence = self.confidence(r, &text, (bs, be), exact, "", &mut scored);
            let body = self.rules[r].rule.checks.body;
            let widened = body.and_then(|kind| widen(kind, &text, be, following));
            // A private key's armour without a usable key: no body, or an encrypted one.
            if body == Some(Body::Pem)
                && widened
                    .as_ref()
                    .is_none_or(|(joined, end)| is_encrypted_key(&joined[bs..*end]))
            {
                confidence = confidence.min(KEY_WITHOUT_MATERIAL_CONFIDENCE);
            }
            let mut f = match widened {
                Some((joined, end)) => self.make_finding(r, line_no, &joined, bs, end),
                None => self.make_finding(r, line_no, &text, bs, be),
            };
            f.confidence = confidence;
            out.findings.push(f);
        }
        complete
    }

    /// Every span of `line` that may hold a secret, in Unicode scalar values (end exclusive):
    /// the secret (its capture group, else the whole match) of each regex match of each rule
    /// whose keywords occur on the line, before any check a match must pass (entropy,
    /// checksum, placeholder), so what a check rejected is masked too. A
    /// rule that overruns its step budget yields the whole line.
    pub fn secret_spans(&self, line: &str) -> Vec<(u32, u32)> {
        let mut cands = Candidates::new(self.rules.len());
        self.line_candidates(line.as_bytes(), &mut cands);
        let mut bytes = Vec::new();
        for r in cands.iter() {
            if !self.rules[r].find_all(line, true, &mut bytes) {
                return vec![(0, line.chars().count() as u32)];
            }
        }
        let chars = |b: usize| line[..b].chars().count() as u32;
        bytes
            .into_iter()
            .map(|(s, e, _)| (chars(s), chars(e)))
            .collect()
    }

    /// A finding's line as it may be shown: the first line of its text, with its match and
    /// every candidate span of [`RuleSet::secret_spans`] redacted.
    pub fn redact_finding(&self, f: &LineFinding) -> String {
        let first = f.text.split('\n').next().unwrap_or("");
        let len = first.chars().count() as u32;
        let mut spans = self.secret_spans(first);
        spans.push((f.start.min(len), f.end.min(len)));
        if f.truncated {
            spans.push((0, len));
        }
        redact_spans(first, &spans)
    }

    fn make_finding(
        &self,
        rule: usize,
        line: u32,
        text: &str,
        bs: usize,
        be: usize,
    ) -> LineFinding {
        let allowlisted = is_allowlisted_line(text);
        let start = text[..bs].chars().count();
        let match_len = text[bs..be].chars().count();
        // A line of at most `max_line_chars` bytes has at most that many characters.
        let long = text.len() > self.limits.max_line_chars
            && text.chars().count() > self.limits.max_line_chars;
        if long {
            LineFinding {
                rule,
                line,
                text: text[bs..be].to_string(),
                start: 0,
                end: match_len as u32,
                truncated: true,
                allowlisted,
                confidence: 1.0,
            }
        } else {
            LineFinding {
                rule,
                line,
                text: text.to_string(),
                start: start as u32,
                end: (start + match_len) as u32,
                truncated: false,
                allowlisted,
                confidence: 1.0,
            }
        }
    }
}
