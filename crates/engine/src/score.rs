//! The trained scorer of generic candidates: a logistic regression over features of the name,
//! the value, the line and the file path. The embedded model (`model/generic.txt`) is written by
//! the bench's `train` command from the CredData development set.

use std::sync::OnceLock;

use crate::candidates::{Candidate, candidates, name_tokens};
use crate::placeholder::is_placeholder;
use crate::validate::shannon_entropy;

/// Number of features.
pub const N_FEATURES: usize = DENSE + NAME_BUCKETS + PATH_BUCKETS + LINE_BUCKETS;

/// Dense features (value, syntax, line, file) come first.
const DENSE: usize = 128;
/// Hashed words of the name.
const NAME_BUCKETS: usize = 512;
/// Hashed words of the path and its extension.
const PATH_BUCKETS: usize = 64;
/// Hashed words of the line outside the value.
const LINE_BUCKETS: usize = 128;

/// A sparse feature vector: (index, value) pairs, indices ascending and distinct.
pub type Features = Vec<(u32, f32)>;

/// Words of a value that say it is not a real credential (or is one written in the clear).
const VALUE_WORDS: &[&str] = &[
    "password",
    "secret",
    "token",
    "example",
    "test",
    "dummy",
    "fake",
    "sample",
    "changeme",
    "xxx",
    "your",
    "here",
    "placeholder",
    "null",
    "none",
    "true",
    "false",
    "env",
    "todo",
    "admin",
    "demo",
    "default",
    "foo",
    "bar",
    "abc",
    "123",
    "pass",
    "key",
    "user",
    "mock",
    "localhost",
    "value",
];

fn fnv(s: &str) -> u32 {
    let mut h: u32 = 0x811c9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x01000193);
    }
    h
}

/// Words of a path or a line: runs of ASCII letters, lower-cased, at least two long.
fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2)
        .map(|w| w.to_ascii_lowercase())
}

struct Builder {
    f: Vec<(u32, f32)>,
}

impl Builder {
    fn set(&mut self, i: usize, v: f32) {
        if v != 0.0 {
            self.f.push((i as u32, v));
        }
    }
    fn flag(&mut self, i: usize, b: bool) {
        self.set(i, f32::from(u8::from(b)));
    }
    fn hashed(&mut self, base: usize, buckets: usize, word: &str) {
        self.f
            .push(((base + fnv(word) as usize % buckets) as u32, 1.0));
    }
    fn finish(mut self) -> Features {
        self.f.sort_by_key(|&(i, _)| i);
        let mut out: Features = Vec::with_capacity(self.f.len());
        for (i, v) in self.f {
            match out.last_mut() {
                // Hashed words that meet in a bucket count once.
                Some(last) if last.0 == i => last.1 = last.1.max(v),
                _ => out.push((i, v)),
            }
        }
        out
    }
}

/// The features of one candidate of `line` in the file at `path`.
pub fn features(c: &Candidate, line: &str, path: &str) -> Features {
    let mut b = Builder { f: Vec::new() };
    let value = c.value(line);
    let n = value.chars().count().max(1);
    let count = |p: fn(&char) -> bool| value.chars().filter(p).count();
    let (digits, upper, lower) = (
        count(char::is_ascii_digit),
        count(char::is_ascii_uppercase),
        count(char::is_ascii_lowercase),
    );
    let special = n.saturating_sub(digits + upper + lower);
    let frac = |k: usize| k as f32 / n as f32;
    // Value: size and character classes.
    b.set(0, (n as f32 + 1.0).ln() / 5.0);
    for (i, (lo, hi)) in [
        (0, 4),
        (4, 6),
        (6, 8),
        (8, 12),
        (12, 20),
        (20, 32),
        (32, 64),
        (64, usize::MAX),
    ]
    .iter()
    .enumerate()
    {
        b.flag(1 + i, (*lo..*hi).contains(&n));
    }
    b.set(9, shannon_entropy(value) as f32 / 6.0);
    b.set(10, frac(digits));
    b.set(11, frac(upper));
    b.set(12, frac(lower));
    b.set(13, frac(special));
    let classes = [digits, upper, lower, special]
        .iter()
        .filter(|&&k| k > 0)
        .count();
    b.set(14, classes as f32 / 4.0);
    b.flag(15, digits == n);
    b.flag(16, n >= 16 && value.chars().all(|c| c.is_ascii_hexdigit()));
    b.flag(17, lower == n);
    b.flag(
        18,
        value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
            && upper > 0,
    );
    b.flag(19, is_uuid(value));
    b.flag(20, is_placeholder(value));
    b.flag(
        21,
        value.contains("${")
            || value.contains("{{")
            || value.starts_with('$')
            || value.starts_with('%'),
    );
    b.flag(22, value.contains('<') || value.contains('>'));
    b.flag(23, looks_like_path(value));
    b.flag(24, value.contains("://"));
    b.flag(25, is_version(value));
    b.flag(26, is_identifier(value));
    b.flag(27, is_expression(value));
    b.flag(28, value.contains(char::is_whitespace));
    b.flag(29, has_run(value, 3));
    b.flag(
        30,
        value.contains("1234") || value.to_ascii_lowercase().contains("abcd"),
    );
    b.flag(
        31,
        value.contains('*') && frac(value.matches('*').count()) > 0.3,
    );
    b.flag(
        32,
        n >= 16
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c)),
    );
    b.flag(33, value.ends_with('='));
    b.flag(34, value.starts_with("eyJ"));
    b.flag(
        35,
        value.contains('.') && value.split('.').count() >= 3 && !value.contains(' '),
    );
    b.flag(36, value.contains('\\'));
    b.flag(37, value.contains('@'));
    b.flag(38, upper > 0 && lower > 0 && digits > 0);
    let vl = value.to_ascii_lowercase();
    for (i, w) in VALUE_WORDS.iter().enumerate() {
        b.flag(40 + i, vl.contains(w));
    }
    // The value repeats a word of the name (`password: password`).
    let tokens = name_tokens(&c.name);
    b.flag(
        73,
        tokens
            .iter()
            .any(|t| t.len() >= 3 && vl.contains(t.as_str())),
    );
    // Syntax.
    b.flag(74 + c.syntax.index(), true);
    // Line.
    let trimmed = line.trim_start();
    b.flag(
        84,
        ["#", "//", "/*", "*", "--", "<!--", ";", "rem ", "REM "]
            .iter()
            .any(|p| trimmed.starts_with(p)),
    );
    b.set(85, (line.len() as f32 + 1.0).ln() / 7.0);
    b.flag(86, line.len() > 300);
    b.flag(
        87,
        c.name.chars().any(|c| c.is_ascii_uppercase())
            && !c.name.chars().any(|c| c.is_ascii_lowercase()),
    );
    b.flag(88, c.name.starts_with('-'));
    b.flag(89, tokens.is_empty());
    b.set(90, (tokens.len() as f32) / 4.0);
    let around = format!(
        "{} {}",
        &line[..c.start.min(line.len())],
        line.get(c.end..).unwrap_or("")
    );
    b.flag(
        91,
        around.contains("==") || around.contains("!=") || around.contains("assert"),
    );
    b.flag(
        92,
        c.start > 0 && line[..c.start].ends_with(['"', '\'', '`']),
    );
    // Value shape: words or random letters, hashes, regular expressions, format strings.
    let letters: Vec<u8> = value
        .bytes()
        .filter(u8::is_ascii_alphabetic)
        .map(|b| b.to_ascii_lowercase())
        .collect();
    let vowels = letters.iter().filter(|b| b"aeiouy".contains(b)).count();
    let vowel_ratio = if letters.is_empty() {
        0.0
    } else {
        vowels as f32 / letters.len() as f32
    };
    let consonant_run = value
        .split(|c: char| !c.is_ascii_alphabetic() || "aeiouyAEIOUY".contains(c))
        .map(str::len)
        .max()
        .unwrap_or(0);
    b.set(96, vowel_ratio);
    b.flag(97, consonant_run >= 4);
    b.flag(
        98,
        letters.len() >= 4 && (0.3..=0.6).contains(&vowel_ratio) && consonant_run < 4,
    );
    b.flag(99, is_crypt_hash(value));
    b.flag(100, is_regex_like(value));
    b.flag(
        101,
        ["%s", "%d", "%v", "{}", "{0}", "%(", "#{"]
            .iter()
            .any(|p| value.contains(p)),
    );
    // The value wrapped in a call or constructor (`Some("...")`, `CreateKey("...")`).
    b.flag(
        102,
        line[..c.start.min(line.len())]
            .trim_end_matches(['"', '\'', '`'])
            .ends_with('('),
    );
    b.flag(103, n >= 8 && value.chars().all(|c| c.is_ascii_hexdigit()));
    b.flag(
        104,
        vl == c.name.to_ascii_lowercase() || tokens.contains(&vl),
    );
    b.flag(
        105,
        value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && digits > 0
            && lower > 0,
    );
    // Names that say what the value is not (an id, a file, a field's name) or what it is.
    let last = tokens.last().map_or("", String::as_str);
    b.flag(
        106,
        [
            "id",
            "name",
            "file",
            "path",
            "url",
            "uri",
            "type",
            "field",
            "label",
            "header",
            "format",
            "length",
            "len",
            "prefix",
            "count",
            "size",
            "dir",
            "mode",
            "kind",
            "enabled",
            "required",
            "policy",
            "version",
            "hint",
            "placeholder",
            "message",
            "text",
            "title",
        ]
        .contains(&last),
    );
    b.flag(107, tokens.iter().any(|t| t == "public"));
    // The file: configuration, code, documentation; test and example paths.
    let lower_path = path.to_ascii_lowercase();
    let ext = lower_path.rsplit_once('.').map_or("", |(_, e)| e);
    b.flag(
        108,
        [
            "yml",
            "yaml",
            "ini",
            "properties",
            "env",
            "conf",
            "cfg",
            "toml",
            "json",
            "xml",
            "config",
            "tf",
            "tfvars",
            "plist",
            "example",
            "sample",
            "dist",
        ]
        .contains(&ext),
    );
    b.flag(
        109,
        [
            "py", "js", "ts", "java", "go", "php", "rb", "cs", "scala", "kt", "c", "cc", "cpp",
            "h", "hpp", "rs", "swift", "m", "groovy", "jsx", "tsx", "dart", "pl", "lua", "r",
        ]
        .contains(&ext),
    );
    b.flag(
        110,
        ["md", "rst", "txt", "adoc", "html", "htm", "ipynb", "tex"].contains(&ext),
    );
    b.flag(
        111,
        ["sh", "bash", "ps1", "bat", "cmd", "sql", "dockerfile", "mk"].contains(&ext),
    );
    let path_words: Vec<String> = words(&lower_path).collect();
    b.flag(
        112,
        path_words.iter().any(|w| {
            [
                "test", "tests", "spec", "specs", "fixture", "fixtures", "mock", "mocks",
                "testdata",
            ]
            .contains(&w.as_str())
        }),
    );
    b.flag(
        113,
        path_words.iter().any(|w| {
            [
                "example", "examples", "sample", "samples", "demo", "doc", "docs", "tutorial",
            ]
            .contains(&w.as_str())
        }),
    );
    // Code around the value: it goes on after it (`"...");`, `"..." +`), or the line is a
    // declaration.
    let after = line
        .get(c.end..)
        .unwrap_or("")
        .trim_start_matches(['"', '\'', '`']);
    b.flag(114, after.trim_start().starts_with(['+', '.', '%']));
    b.flag(
        115,
        after.trim_end().ends_with(';') || after.trim_end().ends_with(','),
    );
    b.flag(116, n <= 5);
    // Name words.
    for t in &tokens {
        b.hashed(DENSE, NAME_BUCKETS, t);
    }
    if let Some(last) = tokens.last() {
        b.hashed(DENSE, NAME_BUCKETS, &format!("last:{last}"));
    }
    // The value's shape with the last word of its name (digits under `token`, words under `key`).
    let shape = if digits == n {
        "digits"
    } else if n >= 8 && value.chars().all(|c| c.is_ascii_hexdigit()) {
        "hex"
    } else if lower == n {
        "lower"
    } else if upper + digits + value.matches('_').count() == n {
        "upper"
    } else if special == 0 {
        "alnum"
    } else {
        "mixed"
    };
    b.hashed(DENSE, NAME_BUCKETS, &format!("shape:{shape}:{last}"));
    // Path words and extension.
    let base = DENSE + NAME_BUCKETS;
    for w in words(path) {
        b.hashed(base, PATH_BUCKETS, &w);
    }
    if let Some(ext) = path.rsplit_once('.').map(|(_, e)| e) {
        b.hashed(
            base,
            PATH_BUCKETS,
            &format!("ext:{}", ext.to_ascii_lowercase()),
        );
    }
    // Line words outside the value.
    let base = base + PATH_BUCKETS;
    for w in words(&around) {
        b.hashed(base, LINE_BUCKETS, &w);
    }
    b.finish()
}

fn is_uuid(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    parts.len() == 5
        && parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

fn looks_like_path(v: &str) -> bool {
    v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with("~/")
        || v.starts_with("..")
        || (v.len() > 2 && v.as_bytes()[1] == b':' && v.as_bytes()[2] == b'\\')
        || v.matches('/').count() >= 2
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c))
}

fn is_version(v: &str) -> bool {
    let v = v.trim_start_matches('v');
    v.contains('.')
        && v.split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// A name in code: `snake_case`, `camelCase`, `dotted.name` of letters without digits runs.
fn is_identifier(v: &str) -> bool {
    let letters = v.chars().filter(|c| c.is_ascii_alphabetic()).count();
    !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.".contains(c))
        && letters * 10 >= v.len() * 9
        && (v.contains('_') || v.contains('.') || v.chars().skip(1).any(|c| c.is_ascii_uppercase()))
}

/// Code rather than a literal: a call, an index, a member access, a variable.
fn is_expression(v: &str) -> bool {
    v.contains('(')
        || v.contains('[')
        || v.starts_with("this.")
        || v.starts_with("self.")
        || v.starts_with("process.")
        || v.starts_with("os.")
        || v.starts_with('@')
        || v.starts_with("env.")
        || v.starts_with("ENV[")
}

/// A crypt(3) hash (`$2a$10$...`, `$6$salt$...`).
fn is_crypt_hash(v: &str) -> bool {
    v.len() > 20 && v.starts_with('$') && v[1..].find('$').is_some_and(|i| i <= 8)
}

/// A regular expression rather than a value: classes, groups, quantifiers, anchors.
fn is_regex_like(v: &str) -> bool {
    [
        "\\d", "\\w", "\\s", "[^", "(?", ".*", ".+", "[a-z", "[A-Z", "[0-9", "]{", "]+", "]*",
    ]
    .iter()
    .any(|p| v.contains(p))
        || (v.starts_with('^') && v.ends_with('$'))
}

fn has_run(v: &str, k: usize) -> bool {
    let b = v.as_bytes();
    b.windows(k).any(|w| w.iter().all(|&c| c == w[0]))
}

/// A trained logistic regression over [`features`].
#[derive(Debug, Clone, PartialEq)]
pub struct Scorer {
    /// The intercept.
    pub bias: f32,
    /// One weight per feature ([`N_FEATURES`]).
    pub weights: Vec<f32>,
}

/// The first line of a model file.
const HEADER: &str = "keywarden-generic-model 1";

impl Scorer {
    /// The model built into the engine.
    pub fn embedded() -> &'static Scorer {
        static S: OnceLock<Scorer> = OnceLock::new();
        S.get_or_init(|| {
            Scorer::from_text(include_str!("../model/generic.txt"))
                .expect("the embedded model is well formed")
        })
    }

    /// A model from its text form ([`Scorer::to_text`]).
    pub fn from_text(text: &str) -> Result<Scorer, String> {
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Err(format!(
                "not a model file: the first line is not {HEADER:?}"
            ));
        }
        let mut nums = lines.map(|l| l.trim().parse::<f32>().map_err(|e| format!("{l:?}: {e}")));
        let bias = nums.next().ok_or("no bias")??;
        let weights = nums.collect::<Result<Vec<f32>, String>>()?;
        if weights.len() != N_FEATURES {
            return Err(format!("{} weights, expected {N_FEATURES}", weights.len()));
        }
        Ok(Scorer { bias, weights })
    }

    /// The text form: a header, the bias, then one weight per line (fixed decimals, so the same
    /// training writes the same bytes).
    pub fn to_text(&self) -> String {
        let mut s = format!("{HEADER}\n{:.6}\n", self.bias);
        for w in &self.weights {
            s.push_str(&format!("{w:.6}\n"));
        }
        s
    }

    /// The probability that the features are a credential's.
    pub fn score(&self, f: &Features) -> f32 {
        let z = self.bias
            + f.iter()
                .map(|&(i, v)| self.weights.get(i as usize).copied().unwrap_or(0.0) * v)
                .sum::<f32>();
        1.0 / (1.0 + (-z).exp())
    }

    /// The candidates of `line` (in the file at `path`) with their confidence.
    pub fn score_line(&self, line: &str, path: &str) -> Vec<(Candidate, f32)> {
        self.score_candidates(candidates(line), line, path)
    }

    /// The given candidates of `line` (in the file at `path`) with their confidence.
    pub fn score_candidates(
        &self,
        found: Vec<Candidate>,
        line: &str,
        path: &str,
    ) -> Vec<(Candidate, f32)> {
        found
            .into_iter()
            .map(|c| {
                let s = self.score(&features(&c, line, path));
                (c, s)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded model's confidence for the first candidate of `line` in `path`.
    fn confidence(line: &str, path: &str) -> f32 {
        let scored = Scorer::embedded().score_line(line, path);
        assert!(!scored.is_empty(), "{line:?}: no candidate");
        scored[0].1
    }

    #[test]
    fn confidences_order_real_looking_values_above_placeholders() {
        let real = confidence(r#"db_password = "Xk29vLq7Rt""#, "src/app/config.py");
        let placeholder = confidence(r#"db_password = "test""#, "src/app/config.py");
        assert!(real > placeholder, "{real} <= {placeholder}");
        assert!((0.0..=1.0).contains(&real) && (0.0..=1.0).contains(&placeholder));
    }

    /// Fixed candidates and the embedded model's confidence for each, as recorded when the
    /// model file was last written by the bench's `train` command. A change to the features,
    /// the candidates or the model file changes these: retrain, then record the new values.
    const RECORDED: &[(&str, &str, f32)] = &[
        (
            r#"db_password = "Xk29vLq7Rt""#,
            "src/app/config.py",
            0.976055,
        ),
        (r#"db_password = "test""#, "src/app/config.py", 0.032253),
        ("MYSQL_ROOT_PASSWORD=bbaruf", "docker/.env", 0.829852),
        ("password: hunter2", "tests/fixtures/app.yml", 0.938866),
        (
            "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
            "docs/api.md",
            0.998735,
        ),
        (
            "curl -u admin:Pa55w0rd https://h.example",
            "scripts/deploy.sh",
            0.976343,
        ),
        (
            "CREATE USER 'app'@'%' IDENTIFIED BY 'Tq8zP1vW';",
            "db/init.sql",
            0.985570,
        ),
        ("secret: abc", "app/settings.yml", 0.005242),
    ];

    #[test]
    fn the_embedded_model_scores_fixed_candidates_as_recorded() {
        let all: Vec<f32> = RECORDED
            .iter()
            .map(|(line, path, _)| confidence(line, path))
            .collect();
        for ((line, path, want), got) in RECORDED.iter().zip(&all) {
            assert!(
                (got - want).abs() < 1e-4,
                "{line:?} in {path}: confidence {got:.6}, recorded {want:.6} (all now: {all:?})"
            );
        }
    }

    #[test]
    fn a_model_survives_its_text_form() {
        let m = Scorer::embedded();
        assert_eq!(&Scorer::from_text(&m.to_text()).unwrap(), m);
        assert!(Scorer::from_text("not a model").is_err());
        assert!(Scorer::from_text("keywarden-generic-model 1\n0.5\n1.0\n").is_err());
    }
}
