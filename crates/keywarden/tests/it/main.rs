//! The `keywarden` binary's integration tests: the real binary as CLI, as server and as the
//! pre-receive hook, with the real `git`. The harness is the `keywarden-testkit` crate.

extern crate keywarden_testkit as testkit;

mod branch_tips_nodes;
mod hook_settings;
mod integrations;
mod loglevel_serve;
mod push_cache;
mod push_confidence;
mod push_security;
mod readme_commands;
mod repo_config_push;
mod scan_after_push;
mod scan_cli;
mod scan_config;
mod scan_nodes;
mod scan_reports;
mod seed;
mod serve_cli;
mod serve_git;
mod serve_postgres;
mod ui;
