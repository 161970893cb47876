//! `keywarden rules`: the built-in catalogue.

use std::io::Write;
use std::process::ExitCode;

use keywarden_engine::builtin_rules;
use serde::Serialize;

/// Arguments of `keywarden rules`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    pub format: RulesFormat,
}

/// How to print the catalogue.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RulesFormat {
    /// One rule per line: name, category, description.
    Text,
    /// A JSON array with every field.
    Json,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleOut<'a> {
    name: &'a str,
    category: &'a str,
    description: &'a str,
    regexp: &'a str,
    keywords: &'a [String],
    aliases: &'a [String],
    blocking: bool,
}

/// Prints the catalogue.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        RulesFormat::Json => {
            let rules: Vec<RuleOut<'_>> = builtin_rules()
                .iter()
                .map(|r| RuleOut {
                    name: &r.name,
                    category: &r.category,
                    description: &r.description,
                    regexp: &r.regex,
                    keywords: &r.keywords,
                    aliases: &r.aliases,
                    blocking: true,
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &rules)?;
            writeln!(out)?;
        }
        RulesFormat::Text => {
            let width = builtin_rules()
                .iter()
                .map(|r| r.name.len())
                .max()
                .unwrap_or(0);
            for r in builtin_rules() {
                writeln!(
                    out,
                    "{:width$}  {:14}  {}",
                    r.name, r.category, r.description
                )?;
            }
            writeln!(out, "{} built-in rules", builtin_rules().len())?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
