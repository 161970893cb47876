//! Micro-benchmark of keyword prefilter strategies over a corpus held in memory (one thread).
//!
//! `prefilter DIR [extra keywords...]`: reads up to 100 MB of files under DIR, builds the
//! catalogue's keyword automaton in several configurations and prints MB/s for each.

use std::time::Instant;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use keywarden_engine::builtin_rules;

fn load(dir: &std::path::Path, out: &mut Vec<u8>, cap: usize) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        if out.len() >= cap {
            return;
        }
        let p = e.path();
        if p.is_dir() {
            load(&p, out, cap);
        } else if let Ok(d) = std::fs::read(&p) {
            out.extend_from_slice(&d);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut data = Vec::new();
    load(std::path::Path::new(&args[0]), &mut data, 100 << 20);
    let mut kws: Vec<String> = builtin_rules()
        .iter()
        .flat_map(|r| r.keywords.iter().map(|k| k.to_ascii_lowercase()))
        .collect();
    kws.extend(args[1..].iter().cloned());
    kws.sort();
    kws.dedup();
    println!("{} MB, {} keywords", data.len() >> 20, kws.len());
    let mb = data.len() as f64 / 1048576.0;
    for (name, kind, mk, overlapping) in [
        (
            "dfa overlapping",
            Some(AhoCorasickKind::DFA),
            MatchKind::Standard,
            true,
        ),
        (
            "dfa standard",
            Some(AhoCorasickKind::DFA),
            MatchKind::Standard,
            false,
        ),
        (
            "dfa leftmost-first",
            Some(AhoCorasickKind::DFA),
            MatchKind::LeftmostFirst,
            false,
        ),
        ("auto standard", None, MatchKind::Standard, false),
        (
            "nfa overlapping",
            Some(AhoCorasickKind::ContiguousNFA),
            MatchKind::Standard,
            true,
        ),
    ] {
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(mk)
            .kind(kind)
            .build(&kws)
            .unwrap();
        let t = Instant::now();
        let n = if overlapping {
            ac.find_overlapping_iter(&data).count()
        } else {
            ac.find_iter(&data).count()
        };
        let s = t.elapsed().as_secs_f64();
        println!("{name:22} {:8.0} MB/s  {n} hits", mb / s);
    }
    for (name, classes, pre) in [
        ("dfa no byte classes", false, true),
        ("dfa no prefilter", true, false),
    ] {
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .byte_classes(classes)
            .prefilter(pre)
            .build(&kws)
            .unwrap();
        let t = Instant::now();
        let n = ac.find_overlapping_iter(&data).count();
        println!(
            "{name:22} {:8.0} MB/s  {n} hits",
            mb / t.elapsed().as_secs_f64()
        );
    }
    // The regex crate and a fully compiled dense DFA over the same keyword alternation.
    {
        let alt: Vec<String> = kws.iter().map(|k| regex::escape(k)).collect();
        let pattern = format!("(?i-u){}", alt.join("|"));
        let re = regex::bytes::RegexBuilder::new(&pattern)
            .size_limit(1 << 30)
            .dfa_size_limit(1 << 30)
            .build()
            .unwrap();
        let t = Instant::now();
        let hits = re.find_iter(&data).count();
        println!(
            "{:22} {:8.0} MB/s  {hits} hits",
            "regex alternation",
            mb / t.elapsed().as_secs_f64()
        );
        use regex_automata::{
            Input,
            dfa::{Automaton, dense},
        };
        let t0 = Instant::now();
        match dense::Builder::new()
            .configure(dense::Config::new().minimize(false))
            .syntax(
                regex_automata::util::syntax::Config::new()
                    .case_insensitive(true)
                    .unicode(false)
                    .utf8(false),
            )
            .build(&alt.join("|"))
        {
            Ok(dfa) => {
                let built = t0.elapsed().as_secs_f64();
                let t = Instant::now();
                let mut hits = 0usize;
                let mut at = 0usize;
                while at < data.len() {
                    match dfa
                        .try_search_fwd(&Input::new(&data[..]).range(at..))
                        .unwrap()
                    {
                        Some(m) => {
                            hits += 1;
                            // Only the line matters: resume at the next line.
                            at = memchr::memchr(b'\n', &data[m.offset()..])
                                .map_or(data.len(), |i| m.offset() + i + 1);
                        }
                        None => break,
                    }
                }
                println!(
                    "{:22} {:8.0} MB/s  {hits} lines, {} KiB, built in {built:.2} s",
                    "dense dfa, per line",
                    mb / t.elapsed().as_secs_f64(),
                    dfa.memory_usage() / 1024
                );
            }
            Err(e) => println!("dense dfa: {e}"),
        }
    }
    // Keywords cut to their first N bytes: fewer automaton states, a few more hits.
    for n in [12usize, 8, 6, 5, 4] {
        let mut cut: Vec<String> = kws.iter().map(|k| k.chars().take(n).collect()).collect();
        cut.sort();
        cut.dedup();
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&cut)
            .unwrap();
        let t = Instant::now();
        let hits = ac.find_overlapping_iter(&data).count();
        println!(
            "{:22} {:8.0} MB/s  {hits} hits, {} keywords, {} KiB",
            format!("dfa, keywords cut to {n}"),
            mb / t.elapsed().as_secs_f64(),
            cut.len(),
            ac.memory_usage() / 1024
        );
    }
    // Lower-case 64 KiB chunks into a buffer, then a packed (Teddy) search.
    let packed = aho_corasick::packed::Config::new()
        .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
        .heuristic_pattern_limits(false)
        .builder()
        .extend(kws.iter())
        .build();
    match packed {
        None => println!("packed: not available for {} patterns", kws.len()),
        Some(p) => {
            let t = Instant::now();
            let mut buf = vec![0u8; 1 << 16];
            let mut n = 0;
            for chunk in data.chunks(1 << 16) {
                let b = &mut buf[..chunk.len()];
                for (d, &c) in b.iter_mut().zip(chunk) {
                    *d = c | (((c.wrapping_sub(b'A') < 26) as u8) << 5);
                }
                n += p.find_iter(&*b).count();
            }
            let s = t.elapsed().as_secs_f64();
            println!("{:22} {:8.0} MB/s  {n} hits", "lowercase+teddy", mb / s);
            let t = Instant::now();
            for chunk in data.chunks(1 << 16) {
                let b = &mut buf[..chunk.len()];
                for (d, &c) in b.iter_mut().zip(chunk) {
                    *d = c | (((c.wrapping_sub(b'A') < 26) as u8) << 5);
                }
            }
            println!(
                "{:22} {:8.0} MB/s",
                "lowercase only",
                mb / t.elapsed().as_secs_f64()
            );
        }
    }
    let t = Instant::now();
    let n = memchr::memchr_iter(b'\n', &data).count();
    println!(
        "{:22} {:8.0} MB/s  {n} lines",
        "memchr newline count",
        mb / t.elapsed().as_secs_f64()
    );
}
