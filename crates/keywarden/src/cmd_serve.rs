//! `keywarden serve` (placeholder until the server lands).

use std::process::ExitCode;

/// Arguments of `keywarden serve`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the server.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the server is not built yet")
}
