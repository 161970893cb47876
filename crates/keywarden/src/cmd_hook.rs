//! `keywarden hook ...` (placeholder until the server lands).

use std::process::ExitCode;

/// Hook subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// The pre-receive hook.
    PreReceive,
}

/// Runs a hook.
pub fn run(_cmd: Command) -> anyhow::Result<ExitCode> {
    Ok(ExitCode::SUCCESS)
}
