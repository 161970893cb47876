//! The `keywarden` command: one binary for the server, the scanner, the Git hook and the
//! operator's administration commands.
//!
//! Each subcommand lives in its own `cmd_*.rs` module with its own clap `Args` and a `run`
//! function; this file only wires them together and maps errors to exit codes:
//! 0 success, 1 blocking findings (scan), 2 error with a one-line reason on stderr.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod baseline;
mod cmd_admin;
mod cmd_hook;
mod cmd_install_hook;
mod cmd_rules;
mod cmd_scan;
mod cmd_serve;
mod output;
mod repo_config;

/// Keywarden: a self-hosted Git server that keeps credentials out of source code.
#[derive(Debug, Parser)]
#[command(name = "keywarden", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: Git over HTTP, the REST API and the web UI.
    Serve(cmd_serve::Args),
    /// Scan a directory, a branch of a repository, or a repository's whole history.
    Scan(cmd_scan::Args),
    /// Install a git pre-commit hook that runs `keywarden scan --staged`.
    InstallHook(cmd_install_hook::Args),
    /// List the built-in rule catalogue.
    Rules(cmd_rules::Args),
    /// Git hooks (called by git on the server, not by people).
    #[command(subcommand)]
    Hook(cmd_hook::Command),
    /// Operator commands: users, passwords and tokens.
    #[command(subcommand)]
    Admin(cmd_admin::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => cmd_serve::run(args),
        Command::Scan(args) => cmd_scan::run(args),
        Command::InstallHook(args) => cmd_install_hook::run(args),
        Command::Rules(args) => cmd_rules::run(args),
        Command::Hook(cmd) => cmd_hook::run(cmd),
        Command::Admin(cmd) => cmd_admin::run(cmd),
    };
    match result {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // One line: the error and its causes, joined.
            let mut msg = err.to_string();
            for cause in err.chain().skip(1) {
                msg.push_str(": ");
                msg.push_str(&cause.to_string());
            }
            eprintln!("keywarden: error: {msg}");
            ExitCode::from(2)
        }
    }
}

/// A closed stdout (`keywarden scan | head`) is not an error: Unix tools exit quietly. The
/// JSON and CSV writers wrap the I/O error in their own.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(BrokenPipe))
            || c.downcast_ref::<csv::Error>().is_some_and(
                |e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe),
            )
    })
}
