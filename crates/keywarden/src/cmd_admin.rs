//! `keywarden admin ...` (placeholder until the server lands).

use std::process::ExitCode;

/// Admin subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Not built yet.
    Noop,
}

/// Runs an admin command.
pub fn run(_cmd: Command) -> anyhow::Result<ExitCode> {
    anyhow::bail!("admin commands are not built yet")
}
