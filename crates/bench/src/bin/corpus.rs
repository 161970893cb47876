//! Generates the benchmark corpus: deterministic, realistic-looking source text with a few planted
//! (fake) secrets, as a directory tree and as a Git history.
//!
//! ```text
//! corpus tree   DIR [--mb 200] [--seed 1]        files under DIR
//! corpus history DIR [--mb 200] [--seed 1]       a bare repository built with `git fast-import`
//! ```
//!
//! The same arguments always produce the same bytes. Planted secrets are listed on stdout.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// xorshift64*: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const WORDS: &[&str] = &[
    "user", "account", "request", "response", "handler", "config", "value", "result", "item",
    "index", "count", "buffer", "stream", "client", "server", "session", "cache", "record", "node",
    "tree", "list", "map", "entry", "event", "message", "error", "status", "state", "context",
    "options", "params", "query", "table", "column", "row", "file", "path", "name", "id", "key",
    "login", "hash", "data", "payload", "builder", "parser", "worker", "schema", "order", "price",
    "amount", "total", "customer", "product", "invoice", "address", "email", "timeout", "retry",
    "limit", "offset", "page", "size", "width", "height", "color", "style",
];

/// Words that secret rules key on. Real code uses them, but rarely: about one identifier in 300.
const SENSITIVE: &[&str] = &[
    "token",
    "auth",
    "password",
    "secret",
    "api_key",
    "credentials",
];

const COMMENT: &[&str] = &[
    "the",
    "a",
    "we",
    "this",
    "function",
    "returns",
    "checks",
    "whether",
    "value",
    "is",
    "valid",
    "before",
    "after",
    "update",
    "make",
    "sure",
    "that",
    "cache",
    "not",
    "empty",
    "handle",
    "error",
    "case",
    "when",
    "user",
    "has",
    "no",
    "permission",
    "see",
    "issue",
    "for",
    "details",
    "TODO:",
    "note:",
    "keep",
    "in",
    "sync",
    "with",
    "server",
    "side",
    "logic",
];

fn ident(r: &mut Rng) -> String {
    let a = if r.below(300) == 0 {
        r.pick(SENSITIVE)
    } else {
        r.pick(WORDS)
    };
    match r.below(4) {
        0 => a.to_string(),
        1 => format!("{a}_{}", r.pick(WORDS)),
        2 => {
            let b = r.pick(WORDS);
            format!("{a}{}{}", b[..1].to_uppercase(), &b[1..])
        }
        _ => format!("{a}{}", r.below(10)),
    }
}

fn sentence(r: &mut Rng) -> String {
    let n = 4 + r.below(10);
    (0..n)
        .map(|_| r.pick(COMMENT))
        .collect::<Vec<_>>()
        .join(" ")
}

fn line(r: &mut Rng, lang: usize, depth: usize) -> String {
    let ind = "    ".repeat(depth);
    let s = match (lang, r.below(10)) {
        (_, 0) => match lang {
            0 => format!("# {}", sentence(r)),
            _ => format!("// {}", sentence(r)),
        },
        (0, 1..=3) => format!("{} = {}.{}({})", ident(r), ident(r), ident(r), ident(r)),
        (0, 4) => format!(
            "if {} is not None and {} > {}:",
            ident(r),
            ident(r),
            r.below(1000)
        ),
        (0, 5) => format!(
            "return {{\"{}\": {}, \"{}\": \"{}\"}}",
            ident(r),
            ident(r),
            ident(r),
            sentence(r)
        ),
        (0, 6) => format!(
            "def {}(self, {}, {}={}):",
            ident(r),
            ident(r),
            ident(r),
            r.below(100)
        ),
        (0, _) => format!("self.{} = {}[{}]", ident(r), ident(r), r.below(64)),
        (1, 1..=3) => format!(
            "let {} = {}.{}(&{})?;",
            ident(r),
            ident(r),
            ident(r),
            ident(r)
        ),
        (1, 4) => format!("if {}.len() > {} {{", ident(r), r.below(1000)),
        (1, 5) => format!(
            "pub fn {}(&self, {}: &str) -> Result<u64, Error> {{",
            ident(r),
            ident(r)
        ),
        (1, 6) => format!("tracing::debug!(\"{}\", {});", sentence(r), ident(r)),
        (1, _) => format!(
            "{}.insert({}, \"{}\".to_string());",
            ident(r),
            ident(r),
            ident(r)
        ),
        (2, 1..=3) => format!(
            "const {} = await this.{}.{}({});",
            ident(r),
            ident(r),
            ident(r),
            ident(r)
        ),
        (2, 4) => format!(
            "if ({} && {}.length > {}) {{",
            ident(r),
            ident(r),
            r.below(1000)
        ),
        (2, 5) => format!(
            "export function {}({}, {}) {{",
            ident(r),
            ident(r),
            ident(r)
        ),
        (2, 6) => format!("console.log(`{} ${{{}}}`);", sentence(r), ident(r)),
        (2, _) => format!(
            "{}.{} = {{ {}: {}, {}: '{}' }};",
            ident(r),
            ident(r),
            ident(r),
            r.below(99),
            ident(r),
            ident(r)
        ),
        (_, 1..=4) => format!("{}: {}", ident(r), ident(r)),
        (_, 5) => format!("{}: \"{}\"", ident(r), sentence(r)),
        (_, _) => format!("- {}: {}", ident(r), r.below(100_000)),
    };
    format!("{ind}{s}\n")
}

const EXT: &[&str] = &["py", "rs", "js", "yml"];

/// Fake secrets in provider formats (made up here; never real credentials).
fn planted(r: &mut Rng, i: usize) -> String {
    const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";
    let mut pick = |alphabet: &[u8], n: usize| -> String {
        (0..n)
            .map(|_| alphabet[r.below(alphabet.len())] as char)
            .collect()
    };
    match i % 2 {
        0 => format!("aws_access_key_id = AKIA{}\n", pick(B32, 16)),
        _ => format!("aws_secret_access_key = \"{}\"\n", pick(B64, 40)),
    }
}

/// One file of about `size` bytes.
fn file_content(r: &mut Rng, lang: usize, size: usize) -> Vec<u8> {
    let mut out = String::with_capacity(size + 200);
    let mut depth = 0usize;
    while out.len() < size {
        out.push_str(&line(r, lang, depth));
        depth = match r.below(6) {
            0 => depth.saturating_sub(1),
            1 if depth < 4 => depth + 1,
            _ => depth,
        };
    }
    out.into_bytes()
}

struct Spec {
    bytes: usize,
    seed: u64,
}

fn parse(args: &[String]) -> anyhow::Result<(String, PathBuf, Spec)> {
    let mode = args.first().cloned().unwrap_or_default();
    let dir = PathBuf::from(
        args.get(1)
            .context("usage: corpus tree|history DIR [--mb N] [--seed S]")?,
    );
    let mut spec = Spec {
        bytes: 200 << 20,
        seed: 1,
    };
    let mut i = 2;
    while i < args.len() {
        let v = args.get(i + 1).context("flag needs a value")?;
        match args[i].as_str() {
            "--mb" => spec.bytes = v.parse::<usize>()? << 20,
            "--seed" => spec.seed = v.parse()?,
            f => bail!("unknown flag {f}"),
        }
        i += 2;
    }
    Ok((mode, dir, spec))
}

/// Sizes between 1 KiB and 128 KiB, skewed small like real repositories.
fn next_size(r: &mut Rng) -> usize {
    let exp = 10 + r.below(8); // 1 KiB .. 128 KiB
    (1 << exp) + r.below(1 << exp)
}

fn write_tree(dir: &Path, spec: &Spec) -> anyhow::Result<()> {
    let mut r = Rng(spec.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut total = 0usize;
    let mut n = 0usize;
    while total < spec.bytes {
        let lang = r.below(EXT.len());
        let size = next_size(&mut r);
        let mut content = file_content(&mut r, lang, size);
        let path = dir.join(format!(
            "pkg{:02}/mod{:03}/file{n:05}.{}",
            n % 37,
            n % 211,
            EXT[lang]
        ));
        if n % 997 == 500 {
            let s = planted(&mut r, n);
            print!("planted {}: {s}", path.strip_prefix(dir)?.display());
            let at = content.len() / 2;
            let at = content[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            content.splice(at..at, s.into_bytes());
        }
        std::fs::create_dir_all(path.parent().unwrap())?;
        std::fs::write(&path, &content)?;
        total += content.len();
        n += 1;
    }
    eprintln!("{n} files, {total} bytes");
    Ok(())
}

/// A history like a real project's: an initial commit of a tenth of the target bytes, then
/// commits that each edit a few lines of 5 to 25 files (so packs hold deltas, as real ones do),
/// until the unique blob bytes reach the target. A few commits plant a secret.
fn write_history(dir: &Path, spec: &Spec) -> anyhow::Result<()> {
    let status = Command::new("git")
        .args(["init", "-q", "--bare", "-b", "main"])
        .arg(dir)
        .status()?;
    if !status.success() {
        bail!("git init failed");
    }
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .spawn()?;
    let mut w = std::io::BufWriter::new(child.stdin.take().unwrap());
    let mut r = Rng(spec.seed.wrapping_mul(0xbf58_476d_1ce4_e5b9) | 1);
    // (path, language, content)
    let mut files: Vec<(String, usize, Vec<u8>)> = Vec::new();
    let mut total = 0usize;
    let mut mark = 0usize;
    let mut commit_no = 0usize;
    let mut time = 1_700_000_000u64;
    while total < spec.bytes {
        let mut changed: Vec<usize> = Vec::new();
        if files.is_empty() {
            let mut initial = 0usize;
            while initial < spec.bytes / 10 {
                let lang = r.below(EXT.len());
                let size = next_size(&mut r);
                let path = format!(
                    "src{:02}/f{:05}.{}",
                    files.len() % 41,
                    files.len(),
                    EXT[lang]
                );
                let content = file_content(&mut r, lang, size);
                initial += content.len();
                changed.push(files.len());
                files.push((path, lang, content));
            }
        } else {
            for _ in 0..(5 + r.below(20)) {
                let i = r.below(files.len());
                let (_, lang, content) = &mut files[i];
                let lines: Vec<usize> = std::iter::once(0)
                    .chain(
                        content
                            .iter()
                            .enumerate()
                            .filter(|(_, b)| **b == b'\n')
                            .map(|(p, _)| p + 1),
                    )
                    .collect();
                let at = lines[r.below(lines.len())].min(content.len());
                let cut_end = lines
                    .iter()
                    .copied()
                    .find(|&p| p > at)
                    .unwrap_or(content.len());
                let mut new_lines = Vec::new();
                for _ in 0..(1 + r.below(6)) {
                    new_lines.extend_from_slice(line(&mut r, *lang, 1).as_bytes());
                }
                if (commit_no * 31 + i) % 97 == 7 {
                    let s = planted(&mut r, commit_no + i);
                    print!("planted commit {commit_no} {}: {s}", files[i].0);
                    new_lines.extend_from_slice(s.as_bytes());
                }
                let (_, _, content) = &mut files[i];
                content.splice(at..cut_end, new_lines);
                if !changed.contains(&i) {
                    changed.push(i);
                }
            }
        }
        let mut marks = Vec::new();
        for &i in &changed {
            let (path, _, content) = &files[i];
            mark += 1;
            writeln!(w, "blob\nmark :{mark}\ndata {}", content.len())?;
            w.write_all(content)?;
            writeln!(w)?;
            total += content.len();
            marks.push((mark, path.clone()));
        }
        let msg = format!("commit {commit_no}");
        time += 3600;
        writeln!(w, "commit refs/heads/main")?;
        writeln!(w, "committer Bench <bench@example.invalid> {time} +0000")?;
        writeln!(w, "data {}\n{msg}", msg.len())?;
        for (m, path) in marks {
            writeln!(w, "M 100644 :{m} {path}")?;
        }
        writeln!(w)?;
        commit_no += 1;
    }
    w.flush()?;
    drop(w);
    if !child.wait()?.success() {
        bail!("git fast-import failed");
    }
    let status = Command::new("git")
        .args([
            "repack",
            "-a",
            "-d",
            "-f",
            "-q",
            "--depth=50",
            "--window=10",
        ])
        .current_dir(dir)
        .status()?;
    if !status.success() {
        bail!("git repack failed");
    }
    eprintln!("{commit_no} commits, {total} bytes of unique blobs");
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, dir, spec) = parse(&args)?;
    match mode.as_str() {
        "tree" => write_tree(&dir, &spec),
        "history" => write_history(&dir, &spec),
        _ => bail!("usage: corpus tree|history DIR [--mb N] [--seed S]"),
    }
}
