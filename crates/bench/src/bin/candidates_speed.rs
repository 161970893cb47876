//! Micro-benchmark of the syntax candidates (rule `GENERIC_CREDENTIAL`): the built-in catalogue
//! scans files held in memory on one thread, with the candidates and without them, alternating.
//!
//! ```text
//! cargo run --release -p keywarden-bench --bin candidates_speed -- DIR [MB] [RUNS]
//! ```
//!
//! Reads up to MB (default 50) of files under DIR (sorted paths, files over 1 MiB left out) and
//! prints the best time of RUNS (default 3) for each configuration and the difference. With
//! `CANDIDATES_SPEED_ONLY_ON` (`..._OFF`) set only the configuration with (without) the candidates
//! runs, to profile it.

use std::path::Path;
use std::time::Instant;

use keywarden_engine::{Rule, RuleSet, builtin_rules};

fn load(dir: &Path, out: &mut Vec<(String, Vec<u8>)>, size: &mut usize, cap: usize) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        if *size >= cap {
            return;
        }
        let p = e.path();
        if p.is_dir() {
            load(&p, out, size, cap);
        } else if let Ok(d) = std::fs::read(&p)
            && d.len() <= 1 << 20
        {
            *size += d.len();
            out.push((p.display().to_string(), d));
        }
    }
}

/// Scans every file (scored with its path, as a tree scan reports); returns seconds and findings.
fn run(set: &RuleSet, files: &[(String, Vec<u8>)]) -> (f64, usize) {
    let t = Instant::now();
    let mut n = 0;
    for (path, data) in files {
        for mut f in set.scan(data).findings {
            set.rescore(&mut f, path);
            n += 1;
        }
    }
    (t.elapsed().as_secs_f64(), n)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: candidates_speed DIR [MB] [RUNS]");
        std::process::exit(2);
    };
    let mb: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(50);
    let runs: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3);
    let mut files = Vec::new();
    let mut size = 0;
    load(Path::new(dir), &mut files, &mut size, mb << 20);
    let all = || builtin_rules().iter().map(Rule::from_def);
    let on = RuleSet::compile(all().collect()).expect("catalogue compiles");
    let off = RuleSet::compile(all().filter(|r| !r.checks.candidates).collect())
        .expect("catalogue compiles");
    let (mut best_on, mut best_off) = (f64::MAX, f64::MAX);
    let (mut n_on, mut n_off) = (0, 0);
    let only_off = std::env::var_os("CANDIDATES_SPEED_ONLY_OFF").is_some();
    for _ in 0..runs {
        let (t, n) = if only_off { (0.0, 0) } else { run(&on, &files) };
        best_on = best_on.min(t);
        n_on = n;
        if std::env::var_os("CANDIDATES_SPEED_ONLY_ON").is_some() {
            continue;
        }
        let (t, n) = run(&off, &files);
        best_off = best_off.min(t);
        n_off = n;
    }
    let mbs = size as f64 / 1048576.0;
    println!(
        "{} files, {mbs:.1} MB: candidates on {best_on:.3} s ({n_on} findings), off {best_off:.3} s ({n_off} findings): {:+.1} %",
        files.len(),
        100.0 * (best_on - best_off) / best_off
    );
}
