//! Trains the scorer of generic candidates on the CredData set and writes the engine's embedded
//! model file. Deterministic: the same data writes the same bytes.
//!
//! ```text
//! cargo run --release -p keywarden-bench --bin train -- [--creddata DIR] [--out FILE]
//! ```
//!
//! `--creddata` defaults to `KEYWARDEN_CREDDATA`, else `../shared/data/creddata-dev` relative to
//! the workspace root; `--out` to `crates/engine/model/generic.txt`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use keywarden_bench::creddata::CredData;
use keywarden_bench::train;

fn main() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut data_dir = keywarden_bench::creddata::default_dir();
    let mut out = root.join("crates/engine/model/generic.txt");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--creddata" => {
                data_dir = PathBuf::from(args.next().context("--creddata needs a directory")?)
            }
            "--out" => out = PathBuf::from(args.next().context("--out needs a file")?),
            "-h" | "--help" => {
                println!("usage: train [--creddata DIR] [--out FILE]");
                return Ok(());
            }
            other => bail!("unknown argument {other:?} (try --help)"),
        }
    }
    let data = CredData::load(&data_dir)?;
    let samples = train::collect(&data)?;
    let labelled = samples
        .iter()
        .flatten()
        .filter(|s| s.label.is_some())
        .count();
    let positives = samples
        .iter()
        .flatten()
        .filter(|s| s.label == Some(true))
        .count();
    let model = train::fit_files(&data, &samples, |_| true, train::Settings::default());
    std::fs::write(&out, model.to_text()).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "trained on {labelled} labelled candidates ({positives} credentials) of {} files; wrote {}",
        data.files.len(),
        out.display()
    );
    Ok(())
}
