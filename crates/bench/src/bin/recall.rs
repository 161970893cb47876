//! Recall report for the built-in rule catalogue.
//!
//! Runs every built-in rule (in catalogue order, as the product does) over two sets of labelled
//! examples kept outside the repository:
//!
//! * `rule-examples/rule_examples.jsonl`: one JSON object per line with `source`, `rule_id`,
//!   `rule_name`, `label` (1 positive, 0 negative) and `text` (possibly several lines);
//! * `credsweeper-samples/samples/`: files whose names end in `_p` hold positives and `_n`
//!   negatives; the other files are samples of one credential kind each.
//!
//! It prints recall overall, by source and by provider, the negatives flagged (with the rule that
//! flagged each), and the providers with the most misses.
//!
//! ```text
//! cargo run --release -p keywarden-bench --bin recall -- [--data DIR] [--misses N] [--show-misses]
//! ```
//!
//! With `--creddata DIR` it scores the CredData development set instead (see
//! [`keywarden_bench::creddata`]): recall, labelled precision and findings on unlabelled lines,
//! overall, per category and per repository.
//!
//! `--data` defaults to `../shared/data` relative to the workspace root.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use keywarden_bench::creddata::{CredData, Score};
use keywarden_bench::train;
use keywarden_engine::{DEFAULT_REPORT_THRESHOLD, Rule, RuleSet, builtin_rules};
use serde::Deserialize;

/// One labelled example of `rule_examples.jsonl`.
#[derive(Debug, Deserialize)]
struct Example {
    source: String,
    rule_id: String,
    #[allow(dead_code)]
    rule_name: String,
    label: u8,
    text: String,
}

/// Command-line options.
struct Options {
    data: PathBuf,
    /// How many providers to list among the biggest misses.
    top_misses: usize,
    /// Print every missed positive text.
    show_misses: bool,
    /// Texts to explain (which rules match them alone, and which wins) instead of the report.
    explain: Vec<String>,
    /// A directory of ordinary code to probe for false positives instead of the report.
    probe: Option<PathBuf>,
    /// The CredData development set to score instead of the rule examples.
    creddata: Option<PathBuf>,
    /// Grouped cross-validation folds for the scorer of generic candidates (0: no model).
    folds: usize,
    /// Confidence at or above which a generic candidate counts as a finding.
    threshold: f32,
}

fn default_data_dir() -> PathBuf {
    // crates/bench -> workspace root -> its parent, which holds `shared/`.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    std::fs::canonicalize(&dir).unwrap_or(dir)
}

fn parse_args() -> Result<Options> {
    let mut opts = Options {
        data: default_data_dir(),
        top_misses: 40,
        show_misses: false,
        explain: Vec::new(),
        probe: None,
        creddata: None,
        folds: 0,
        threshold: 0.5,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => opts.data = PathBuf::from(args.next().context("--data needs a directory")?),
            "--misses" => {
                opts.top_misses = args
                    .next()
                    .context("--misses needs a number")?
                    .parse()
                    .context("--misses needs a number")?
            }
            "--show-misses" => opts.show_misses = true,
            "--explain" => opts
                .explain
                .push(args.next().context("--explain needs a text")?),
            "--probe" => {
                opts.probe = Some(PathBuf::from(
                    args.next().context("--probe needs a directory")?,
                ))
            }
            "--creddata" => {
                opts.creddata = Some(PathBuf::from(
                    args.next().context("--creddata needs a directory")?,
                ))
            }
            "--folds" => {
                opts.folds = args
                    .next()
                    .context("--folds needs a number")?
                    .parse()
                    .context("--folds needs a number")?
            }
            "--threshold" => {
                opts.threshold = args
                    .next()
                    .context("--threshold needs a number")?
                    .parse()
                    .context("--threshold needs a number")?
            }
            "-h" | "--help" => {
                println!(
                    "usage: recall [--data DIR] [--misses N] [--show-misses] [--explain TEXT]... [--probe DIR] [--creddata DIR [--folds K] [--threshold T]]\n\
                     DIR defaults to ../shared/data relative to the workspace root"
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?} (try --help)"),
        }
    }
    Ok(opts)
}

/// The provider of a rule id: `kingfisher.adafruitio.1` -> `adafruitio`, `np.aws.2` -> `aws`.
fn provider_key(rule_id: &str) -> String {
    let mut parts = rule_id.split('.');
    let first = parts.next().unwrap_or(rule_id);
    parts.next().unwrap_or(first).to_ascii_lowercase()
}

fn pct(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        100.0 * n as f64 / d as f64
    }
}

/// A one-line preview of a (possibly multi-line) text.
fn preview(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c == '\n' { '⏎' } else { c })
        .collect();
    if flat.chars().count() > max {
        let cut: String = flat.chars().take(max).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

#[derive(Default)]
struct Tally {
    total: usize,
    found: usize,
}

fn rule_examples(set: &RuleSet, path: &Path, opts: &Options) -> Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut examples = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let ex: Example = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not an example", path.display(), i + 1))?;
        examples.push(ex);
    }

    let mut overall = Tally::default();
    let mut by_source: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_provider: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut misses: BTreeMap<String, Vec<&Example>> = BTreeMap::new();
    let mut negatives = 0usize;
    let mut flagged: Vec<(&Example, String, String)> = Vec::new();
    let mut found_texts: HashSet<&str> = HashSet::new();

    for ex in &examples {
        let scan = set.scan(ex.text.as_bytes());
        // What a scan reports: findings at or above the default report threshold.
        let first = scan
            .findings
            .iter()
            .find(|f| f.confidence >= DEFAULT_REPORT_THRESHOLD);
        if ex.label == 1 {
            let hit = first.is_some();
            if hit {
                found_texts.insert(ex.text.trim());
            }
            for t in [
                &mut overall,
                by_source.entry(ex.source.clone()).or_default(),
                by_provider.entry(provider_key(&ex.rule_id)).or_default(),
            ] {
                t.total += 1;
                t.found += usize::from(hit);
            }
            match first {
                Some(f) => *by_rule.entry(set.rule(f.rule).name.clone()).or_default() += 1,
                None => misses
                    .entry(provider_key(&ex.rule_id))
                    .or_default()
                    .push(ex),
            }
        } else {
            negatives += 1;
            if let Some(f) = first {
                flagged.push((
                    ex,
                    set.rule(f.rule).name.clone(),
                    f.match_text().to_string(),
                ));
            }
        }
    }

    // Texts the data labels both ways: the data takes its negatives from single rules' negative
    // examples, and some are, character for character, a sibling rule's positive (a Slack bot
    // token is a negative of "Slack User Token" and a positive of "Slack Bot Token"). No scanner
    // can find such a positive without flagging its twin negative, so the report also reads both
    // targets on the labels that agree: without those texts on either side.
    let trimmed = |label: u8| -> HashSet<&str> {
        examples
            .iter()
            .filter(|e| e.label == label)
            .map(|e| e.text.trim())
            .collect()
    };
    let (positive_texts, negative_texts) = (trimmed(1), trimmed(0));
    let twin = |e: &Example| {
        let other = if e.label == 0 {
            &positive_texts
        } else {
            &negative_texts
        };
        other.contains(e.text.trim())
    };
    let twin_negatives = examples.iter().filter(|e| e.label == 0 && twin(e)).count();
    let flagged_twins = flagged.iter().filter(|(e, _, _)| twin(e)).count();
    let twin_positives = examples.iter().filter(|e| e.label == 1 && twin(e)).count();
    let found_twins = examples
        .iter()
        .filter(|e| e.label == 1 && twin(e) && found_texts.contains(e.text.trim()))
        .count();

    println!("== rule examples: {}", path.display());
    println!(
        "positives found: {}/{} = {:.1} %   (target >= 60 %)",
        overall.found,
        overall.total,
        pct(overall.found, overall.total)
    );
    println!(
        "negatives flagged: {}/{} = {:.1} %   (target <= 10 %)",
        flagged.len(),
        negatives,
        pct(flagged.len(), negatives)
    );
    println!(
        "  contradictory labels: {twin_negatives} negatives are, word for word, the text of a \
         positive ({twin_positives} positives); {flagged_twins} of those negatives are flagged, \
         {found_twins} of those positives found"
    );
    println!("on the labels that agree (both sides without those texts):");
    println!(
        "  positives found: {}/{} = {:.1} %   (target >= 60 %)",
        overall.found - found_twins,
        overall.total - twin_positives,
        pct(overall.found - found_twins, overall.total - twin_positives)
    );
    println!(
        "  negatives flagged: {}/{} = {:.1} %   (target <= 10 %)",
        flagged.len() - flagged_twins,
        negatives - twin_negatives,
        pct(flagged.len() - flagged_twins, negatives - twin_negatives)
    );
    println!();
    println!("recall by source:");
    for (src, t) in &by_source {
        println!(
            "  {src:<12} {:>5}/{:<5} {:>5.1} %",
            t.found,
            t.total,
            pct(t.found, t.total)
        );
    }

    println!();
    println!(
        "recall by provider ({} providers; those with >= 4 positives, most examples first):",
        by_provider.len()
    );
    let mut provs: Vec<(&String, &Tally)> = by_provider.iter().collect();
    provs.sort_by(|a, b| b.1.total.cmp(&a.1.total).then(a.0.cmp(b.0)));
    for (p, t) in provs.iter().filter(|(_, t)| t.total >= 4) {
        println!(
            "  {p:<22} {:>3}/{:<3} {:>5.1} %",
            t.found,
            t.total,
            pct(t.found, t.total)
        );
    }
    let full = provs.iter().filter(|(_, t)| t.found == t.total).count();
    let none = provs.iter().filter(|(_, t)| t.found == 0).count();
    println!(
        "  providers fully found: {full}, partly: {}, not at all: {none}",
        provs.len() - full - none
    );

    println!();
    println!("negatives flagged ({}):", flagged.len());
    for (ex, rule, m) in &flagged {
        println!(
            "  {:<24} by {:<28} match {:?}{}  in {}",
            ex.rule_id,
            rule,
            preview(m, 60),
            if twin(ex) {
                " [same text is also a positive]"
            } else {
                ""
            },
            preview(&ex.text, 80)
        );
    }

    println!();
    let mut miss_list: Vec<(&String, &Vec<&Example>)> = misses.iter().collect();
    miss_list.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    println!(
        "biggest misses ({} positives missed in {} providers; top {}):",
        overall.total - overall.found,
        miss_list.len(),
        opts.top_misses
    );
    for (p, exs) in miss_list.iter().take(opts.top_misses) {
        let t = &by_provider[*p];
        println!(
            "  {p:<22} missed {:>3} of {:<3} e.g. {}",
            exs.len(),
            t.total,
            preview(&exs[0].text, 70)
        );
    }
    if opts.show_misses {
        println!();
        println!("all missed positives:");
        for (p, exs) in &miss_list {
            for ex in exs.iter() {
                println!("  {p:<20} {:<28} {}", ex.rule_id, preview(&ex.text, 150));
            }
        }
    }

    println!();
    println!("positives found, by the rule that found them (top 30):");
    let mut rules: Vec<(&String, &usize)> = by_rule.iter().collect();
    rules.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (r, n) in rules.iter().take(30) {
        println!("  {r:<34} {n:>4}");
    }
    Ok(())
}

fn credsweeper_samples(set: &RuleSet, dir: &Path) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    entries.sort();

    println!();
    println!("== credsweeper samples: {}", dir.display());
    let mut other_files = 0usize;
    let mut other_flagged = 0usize;
    let mut other_skipped = 0usize;
    let mut other_unflagged = Vec::new();
    let (mut p_lines, mut p_found, mut n_lines, mut n_found) = (0usize, 0usize, 0usize, 0usize);
    for path in &entries {
        let name = path.file_name().map(|n| n.to_string_lossy().to_string());
        let name = name.unwrap_or_default();
        let data = std::fs::read(path)?;
        let scan = set.scan(&data);
        let stem = name.split('.').next().unwrap_or(&name);
        let positive = stem.ends_with("_p");
        let negative = stem.ends_with("_n");
        if positive || negative {
            let text = String::from_utf8_lossy(&data);
            let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
            let found = scan.findings.len();
            println!(
                "  {name:<22} {}: {found} of {lines} non-empty lines flagged",
                if positive { "positives" } else { "negatives" },
            );
            for f in &scan.findings {
                println!(
                    "      line {:<3} {:<28} {}",
                    f.line,
                    set.rule(f.rule).name,
                    preview(f.match_text(), 60)
                );
            }
            if positive {
                p_lines += lines;
                p_found += found;
            } else {
                n_lines += lines;
                n_found += found;
            }
        } else {
            other_files += 1;
            if scan.skipped.is_some() {
                other_skipped += 1;
            } else if scan.findings.is_empty() {
                other_unflagged.push(name);
            } else {
                other_flagged += 1;
            }
        }
    }
    println!(
        "  *_p files: {p_found} of {p_lines} lines flagged ({:.1} %); *_n files: {n_found} of {n_lines} lines flagged ({:.1} %)",
        pct(p_found, p_lines),
        pct(n_found, n_lines)
    );
    println!(
        "  other sample files (one credential kind each): {other_flagged} of {other_files} with a finding, {other_skipped} skipped (binary or too large)"
    );
    println!("  without a finding: {}", other_unflagged.join(" "));
    Ok(())
}

/// Shows, for each text, the finding of the whole catalogue and every rule that matches alone.
fn explain(set: &RuleSet, texts: &[String]) -> Result<()> {
    for text in texts {
        println!("text: {text:?}");
        let scan = set.scan(text.as_bytes());
        for f in &scan.findings {
            println!(
                "  catalogue: line {} {} {:?}",
                f.line,
                set.rule(f.rule).name,
                f.match_text()
            );
        }
        for def in builtin_rules() {
            let alone = RuleSet::compile(vec![Rule::from_def(def)])?;
            for f in alone.scan(text.as_bytes()).findings {
                println!(
                    "  alone:     line {} {} {:?}",
                    f.line,
                    def.name,
                    f.match_text()
                );
            }
        }
    }
    Ok(())
}

/// Scans every file under `dir` (ordinary code, assumed to hold few real secrets) and prints the
/// findings per rule with a few examples: a false-positive probe.
fn probe(set: &RuleSet, dir: &Path) -> Result<()> {
    let mut stack = vec![dir.to_path_buf()];
    let (mut files, mut bytes) = (0usize, 0u64);
    let mut per_rule: BTreeMap<String, Vec<String>> = BTreeMap::new();
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file() {
                let Ok(data) = std::fs::read(&p) else {
                    continue;
                };
                files += 1;
                bytes += data.len() as u64;
                for f in set.scan(&data).findings {
                    per_rule
                        .entry(set.rule(f.rule).name.clone())
                        .or_default()
                        .push(format!(
                            "{}:{}: {}",
                            p.display(),
                            f.line,
                            preview(f.match_text(), 90)
                        ));
                }
            }
        }
    }
    println!("probed {files} files, {} MB", bytes / 1_000_000);
    let mut rules: Vec<_> = per_rule.into_iter().collect();
    rules.sort_by_key(|r| std::cmp::Reverse(r.1.len()));
    for (rule, hits) in rules {
        println!("{rule}: {}", hits.len());
        for h in hits.iter().step_by((hits.len() / 25).max(1)).take(25) {
            println!("    {h}");
        }
    }
    Ok(())
}

/// Scores the CredData set: every labelled file scanned whole, as a push is. First the
/// catalogue's regex rules alone, every finding counted; then the product: the whole catalogue
/// with the syntax candidates, each finding with its confidence (scored knowing the file's
/// path), by threshold: with the embedded model (in-sample) and, with `--folds K`, with models
/// trained in grouped K-fold cross-validation (the model that scores a repository never saw it).
fn creddata(set: &RuleSet, dir: &Path, opts: &Options) -> Result<()> {
    let data = CredData::load(dir)?;
    let mut catalogue = Score::default();
    let mut contents = Vec::with_capacity(data.files.len());
    for file in &data.files {
        let bytes = data.read(file)?;
        let lines: Vec<u32> = set
            .scan(&bytes)
            .findings
            .iter()
            .filter(|f| !set.rule(f.rule).checks.candidates)
            .map(|f| f.line)
            .collect();
        catalogue.add(file, &lines);
        contents.push(bytes);
    }
    let title = format!(
        "CredData: {} files of {} repositories",
        data.files.len(),
        data.repos().len()
    );
    catalogue.print(&format!("{title}, catalogue regex rules (every finding)"));

    // Each file's findings as (line, confidence) with the rules scored by `scorer`.
    let scored = |rules: &RuleSet, i: usize| -> Vec<(u32, f32)> {
        rules
            .scan(&contents[i])
            .findings
            .into_iter()
            .map(|mut f| {
                rules.rescore(&mut f, &data.files[i].path);
                (f.line, f.confidence)
            })
            .collect()
    };
    let in_sample: Vec<Vec<(u32, f32)>> = (0..data.files.len()).map(|i| scored(set, i)).collect();
    report_scored(
        &data,
        &in_sample,
        opts.threshold,
        &format!("{title}, catalogue + candidates, embedded model (in-sample)"),
    );
    if opts.folds >= 2 {
        let samples = train::collect(&data)?;
        let repos = data.repos();
        let mut found: Vec<Vec<(u32, f32)>> = vec![Vec::new(); data.files.len()];
        for k in 0..opts.folds {
            let model = train::fit_files(
                &data,
                &samples,
                |f| train::fold_of(&repos, &f.repo, opts.folds) != k,
                train::Settings::default(),
            );
            let rules = RuleSet::compile(builtin_rules().iter().map(Rule::from_def).collect())?
                .with_scorer(model);
            for (i, file) in data.files.iter().enumerate() {
                if train::fold_of(&repos, &file.repo, opts.folds) == k {
                    found[i] = scored(&rules, i);
                }
            }
        }
        report_scored(
            &data,
            &found,
            opts.threshold,
            &format!(
                "{title}, catalogue + candidates, grouped {}-fold cross-validation by repository",
                opts.folds
            ),
        );
    }
    Ok(())
}

/// The score of the findings at or above `threshold`.
fn score_at(data: &CredData, found: &[Vec<(u32, f32)>], threshold: f32) -> Score {
    let mut score = Score::default();
    for (file, found) in data.files.iter().zip(found) {
        let lines: Vec<u32> = found
            .iter()
            .filter(|(_, c)| *c >= threshold)
            .map(|(l, _)| *l)
            .collect();
        score.add(file, &lines);
    }
    score
}

/// Prints the precision curve over thresholds, then the full report at `threshold`.
fn report_scored(data: &CredData, found: &[Vec<(u32, f32)>], threshold: f32, title: &str) {
    println!();
    println!("== {title}: by threshold");
    for t in (1..20).map(|k| k as f32 * 0.05) {
        let s = score_at(data, found, t);
        println!(
            "  threshold {t:.2}  recall {:.3}  labelled precision {:.3}  unlabelled {}",
            s.overall.recall(),
            s.overall.precision(),
            s.unlabelled
        );
    }
    score_at(data, found, threshold).print(&format!("{title}, threshold {threshold:.2}"));
}

fn main() -> Result<()> {
    let opts = parse_args()?;
    let rules: Vec<Rule> = builtin_rules().iter().map(Rule::from_def).collect();
    let n = rules.len();
    let set = RuleSet::compile(rules)?;
    if !opts.explain.is_empty() {
        return explain(&set, &opts.explain);
    }
    if let Some(dir) = &opts.probe {
        return probe(&set, dir);
    }
    if let Some(dir) = &opts.creddata {
        return creddata(&set, dir, &opts);
    }
    let mut cats: BTreeMap<&str, usize> = BTreeMap::new();
    for def in builtin_rules() {
        *cats.entry(def.category.as_str()).or_default() += 1;
    }
    println!("catalogue: {n} built-in rules");
    for (c, k) in &cats {
        println!("  {c:<20} {k:>3}");
    }
    println!();

    let jsonl = opts.data.join("rule-examples/rule_examples.jsonl");
    rule_examples(&set, &jsonl, &opts)?;
    let samples = opts.data.join("credsweeper-samples/samples");
    if samples.is_dir() {
        credsweeper_samples(&set, &samples)?;
    } else {
        println!("(no credsweeper samples at {})", samples.display());
    }
    Ok(())
}
