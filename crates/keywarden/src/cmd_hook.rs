//! `keywarden hook pre-receive`: run by git inside `receive-pack` (not by people).
//!
//! It forwards the push to the server that started `receive-pack`: the ref updates from
//! standard input, the quarantine environment and the push options, over HTTP on loopback to
//! the URL in `KEYWARDEN_HOOK_URL`, with the per-push secret from `KEYWARDEN_HOOK_TOKEN`. It
//! prints the server's messages on stderr (git relays them to the pusher as `remote:` lines)
//! and exits 0 to accept or 1 to refuse. Anything unexpected refuses the push.
//!
//! Run with [`ENV_HOOK_PROBE`] set and outside a push (neither the hook URL nor the token set),
//! it only answers the server's start-up probe: git found and ran it.

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use keywarden_server::hook::{ENV_HOOK_TOKEN, ENV_HOOK_URL, HookRequest, Verdict};
use keywarden_server::hook_install::{ENV_HOOK_PROBE, PROBE_ANSWER};
use keywarden_server::{QuarantineEnv, RefUpdate};

/// Hook subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// The pre-receive hook.
    PreReceive,
}

/// Runs a hook.
pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::PreReceive => Ok(pre_receive()),
    }
}

fn pre_receive() -> ExitCode {
    let in_push =
        std::env::var_os(ENV_HOOK_URL).is_some() || std::env::var_os(ENV_HOOK_TOKEN).is_some();
    if let (false, Ok(probe)) = (in_push, std::env::var(ENV_HOOK_PROBE)) {
        println!("{PROBE_ANSWER} {probe}");
        return ExitCode::SUCCESS;
    }
    match ask_server() {
        Ok(answer) => {
            for line in &answer.messages {
                eprintln!("{line}");
            }
            if answer.accept {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(reason) => {
            eprintln!("keywarden: push refused: {reason}");
            ExitCode::from(1)
        }
    }
}

fn ask_server() -> Result<Verdict, String> {
    let url = std::env::var(ENV_HOOK_URL)
        .map_err(|_| format!("{ENV_HOOK_URL} is not set (not a push through Keywarden)"))?;
    let token =
        std::env::var(ENV_HOOK_TOKEN).map_err(|_| format!("{ENV_HOOK_TOKEN} is not set"))?;
    let mut updates = Vec::new();
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| format!("reading the ref updates: {e}"))?;
        let mut fields = line.split_whitespace();
        if let (Some(old), Some(new), Some(name)) = (fields.next(), fields.next(), fields.next()) {
            updates.push(RefUpdate {
                old: old.into(),
                new: new.into(),
                name: name.into(),
            });
        }
    }
    let count: usize = std::env::var("GIT_PUSH_OPTION_COUNT")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let push_options = (0..count)
        .filter_map(|i| std::env::var(format!("GIT_PUSH_OPTION_{i}")).ok())
        .collect();
    let request = HookRequest {
        token,
        updates,
        quarantine: QuarantineEnv::from_env(),
        push_options,
    };
    let body = serde_json::to_vec(&request).map_err(|e| e.to_string())?;
    let (status, answer) = post(&url, &body)?;
    serde_json::from_slice::<Verdict>(&answer)
        .map_err(|_| format!("the server answered {status} without a verdict"))
}

/// A minimal HTTP/1.1 POST to `http://host:port/path` (the server is on loopback; no TLS).
fn post(url: &str, body: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("unsupported hook URL {url}"))?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream =
        TcpStream::connect(authority).map_err(|e| format!("connecting to the server: {e}"))?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(3600)));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body))
        .map_err(|e| format!("sending the push to the server: {e}"))?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .map_err(|e| format!("reading the server's verdict: {e}"))?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("malformed answer from the server")?;
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("malformed status line from the server")?;
    let mut payload = response[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        payload = dechunk(&payload).ok_or("malformed chunked answer from the server")?;
    }
    Ok((status, payload))
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}
