//! The CredData development set: labelled line ranges of real files, and its scoring rule.
//!
//! A finding hits a label when it is in the same file and its line lies in
//! `[LineStart, LineEnd]`. Recall counts the `T` labels hit, without labels whose only category
//! is `UUID`; labelled precision is `T hit / (T hit + F and X hit)`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The ground truth of one label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    /// A real-looking credential.
    T,
    /// A false positive.
    F,
    /// A test value, placeholder or unknown.
    X,
}

/// One labelled line range.
#[derive(Debug, Clone)]
pub struct Label {
    /// First line, 1-based.
    pub start: u32,
    /// Last line, inclusive.
    pub end: u32,
    /// Ground truth.
    pub truth: Truth,
    /// CredSweeper's categories, `:`-joined.
    pub category: String,
}

impl Label {
    /// Whether the label counts for recall and precision (a bare UUID does not).
    pub fn counts(&self) -> bool {
        self.category != "UUID"
    }

    /// Whether a finding on `line` hits this label.
    pub fn covers(&self, line: u32) -> bool {
        (self.start..=self.end).contains(&line)
    }
}

/// One labelled file.
#[derive(Debug, Clone)]
pub struct LabelledFile {
    /// Repository id.
    pub repo: String,
    /// Path relative to the data set's folder (`data/<repo>/<scope>/<file>.<ext>`).
    pub path: String,
    /// Its labels.
    pub labels: Vec<Label>,
}

/// Where the CredData development set is: `KEYWARDEN_CREDDATA` when set, else
/// `../shared/data/creddata-dev` relative to the workspace root.
pub fn default_dir() -> PathBuf {
    match std::env::var_os("KEYWARDEN_CREDDATA") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/creddata-dev"),
    }
}

/// The whole data set.
#[derive(Debug, Clone)]
pub struct CredData {
    /// The data set's folder.
    pub dir: PathBuf,
    /// Labelled files, sorted by path.
    pub files: Vec<LabelledFile>,
}

impl CredData {
    /// Reads every `meta/<repo>.csv` of `dir`.
    pub fn load(dir: &Path) -> Result<CredData> {
        let meta = dir.join("meta");
        let mut by_path: BTreeMap<String, LabelledFile> = BTreeMap::new();
        let mut metas: Vec<PathBuf> = std::fs::read_dir(&meta)
            .with_context(|| format!("reading {}", meta.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "csv"))
            .collect();
        metas.sort();
        for m in metas {
            let mut rd =
                csv::Reader::from_path(&m).with_context(|| format!("reading {}", m.display()))?;
            let headers = rd.headers()?.clone();
            let col = |name: &str| {
                headers
                    .iter()
                    .position(|h| h == name)
                    .with_context(|| format!("{}: no column {name}", m.display()))
            };
            let (c_repo, c_path, c_start, c_end, c_truth, c_cat) = (
                col("RepoName")?,
                col("FilePath")?,
                col("LineStart")?,
                col("LineEnd")?,
                col("GroundTruth")?,
                col("Category")?,
            );
            for (i, row) in rd.records().enumerate() {
                let row = row.with_context(|| format!("{}: row {}", m.display(), i + 2))?;
                let num = |c: usize| -> Result<u32> {
                    row[c].parse().with_context(|| {
                        format!("{}: row {}: not a line number", m.display(), i + 2)
                    })
                };
                let truth = match &row[c_truth] {
                    "T" => Truth::T,
                    "F" => Truth::F,
                    _ => Truth::X,
                };
                let path = row[c_path].to_string();
                by_path
                    .entry(path.clone())
                    .or_insert_with(|| LabelledFile {
                        repo: row[c_repo].to_string(),
                        path,
                        labels: Vec::new(),
                    })
                    .labels
                    .push(Label {
                        start: num(c_start)?,
                        end: num(c_end)?,
                        truth,
                        category: row[c_cat].to_string(),
                    });
            }
        }
        Ok(CredData {
            dir: dir.to_path_buf(),
            files: by_path.into_values().collect(),
        })
    }

    /// The content of a labelled file.
    pub fn read(&self, file: &LabelledFile) -> Result<Vec<u8>> {
        let p = self.dir.join(&file.path);
        std::fs::read(&p).with_context(|| format!("reading {}", p.display()))
    }

    /// Repository ids, sorted.
    pub fn repos(&self) -> Vec<String> {
        let mut r: Vec<String> = self.files.iter().map(|f| f.repo.clone()).collect();
        r.sort();
        r.dedup();
        r
    }
}

/// Counts of one slice of the data (overall, a category, a repository).
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// `T` labels that count.
    pub t: usize,
    /// `T` labels hit.
    pub t_hit: usize,
    /// `F` labels hit.
    pub f_hit: usize,
    /// `X` labels hit.
    pub x_hit: usize,
}

impl Tally {
    /// T hit / T.
    pub fn recall(&self) -> f64 {
        ratio(self.t_hit, self.t)
    }
    /// T hit / (T hit + F hit + X hit).
    pub fn precision(&self) -> f64 {
        ratio(self.t_hit, self.t_hit + self.f_hit + self.x_hit)
    }
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 { 0.0 } else { n as f64 / d as f64 }
}

/// The score of a set of findings against the labels.
#[derive(Debug, Clone, Default)]
pub struct Score {
    /// Over the whole data.
    pub overall: Tally,
    /// By category (a label with several categories counts in each).
    pub by_category: BTreeMap<String, Tally>,
    /// By repository.
    pub by_repo: BTreeMap<String, Tally>,
    /// Findings on lines that no label covers.
    pub unlabelled: usize,
}

impl Score {
    /// Adds one file: `lines` are the lines of its findings (repeats allowed).
    pub fn add(&mut self, file: &LabelledFile, lines: &[u32]) {
        self.unlabelled += lines
            .iter()
            .filter(|&&n| !file.labels.iter().any(|l| l.covers(n)))
            .count();
        for label in file.labels.iter().filter(|l| l.counts()) {
            for c in label.category.split(':') {
                self.by_category.entry(c.to_string()).or_default();
            }
            let hit = lines.iter().any(|&n| label.covers(n));
            let repo = self.by_repo.entry(file.repo.clone()).or_default();
            let mut tallies = vec![&mut self.overall, repo];
            tallies.extend(
                self.by_category
                    .iter_mut()
                    .filter(|(c, _)| label.category.split(':').any(|x| x == c.as_str()))
                    .map(|(_, t)| t),
            );
            for t in tallies {
                match label.truth {
                    Truth::T => {
                        t.t += 1;
                        t.t_hit += usize::from(hit);
                    }
                    Truth::F => t.f_hit += usize::from(hit),
                    Truth::X => t.x_hit += usize::from(hit),
                }
            }
        }
    }

    /// Prints the report: overall, by category and by repository.
    pub fn print(&self, title: &str) {
        let o = &self.overall;
        println!("== {title}");
        println!(
            "recall {:.3} ({}/{} T labels, without UUID)   labelled precision {:.3} ({} T, {} F, {} X hit)   findings on unlabelled lines {}",
            o.recall(),
            o.t_hit,
            o.t,
            o.precision(),
            o.t_hit,
            o.f_hit,
            o.x_hit,
            self.unlabelled
        );
        let row = |name: &str, t: &Tally| {
            println!(
                "  {name:<28} recall {:>5.3} {:>4}/{:<4}  precision {:>5.3}  F hit {:>4}  X hit {:>4}",
                t.recall(),
                t.t_hit,
                t.t,
                t.precision(),
                t.f_hit,
                t.x_hit
            );
        };
        println!("by category (most T first):");
        let mut cats: Vec<_> = self.by_category.iter().collect();
        cats.sort_by(|a, b| b.1.t.cmp(&a.1.t).then(a.0.cmp(b.0)));
        for (c, t) in cats {
            row(c, t);
        }
        println!("by repository:");
        for (r, t) in &self.by_repo {
            row(r, t);
        }
    }
}
