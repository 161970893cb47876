//! What the server benchmarks share: the real `git`, and a real server in the process over a
//! data directory (SQLite in it, or a PostgreSQL database), reached over real HTTP.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use keywarden_server::{AcceptAll, AppState, Config};
use keywarden_store::DatabaseLocation;

/// The admin's password on benchmark servers.
pub const PASSWORD: &str = "bench-password";

/// Runs `git` in `dir` (no system or user configuration, a fixed identity, `main` as the
/// first branch); its standard output.
pub fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .args([
            "-c",
            "user.name=Bench",
            "-c",
            "user.email=bench@example.com",
        ])
        .args(["-c", "init.defaultBranch=main"])
        .args(args)
        .output()?;
    if !out.status.success() {
        bail!("git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A server in this process that accepts every push (its hook is the `keywarden` binary next
/// to the benchmark's).
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The server's state.
    pub state: AppState,
    client: reqwest::Client,
    data: PathBuf,
    db: Option<String>,
}

impl Server {
    /// Starts a server on the data directory `data`, with SQLite there or PostgreSQL at `db`.
    pub async fn start(data: &Path, db: Option<&str>) -> anyhow::Result<Server> {
        let mut config = Config::new(data);
        config.admin_password = Some(PASSWORD.into());
        // Pushes run `keywarden hook pre-receive`: the binary next to this one.
        let exe = std::env::current_exe()?;
        config.hook_program = exe.with_file_name("keywarden");
        anyhow::ensure!(
            config.hook_program.exists(),
            "build the keywarden binary first (cargo build -p keywarden)"
        );
        config.scan_poll = Duration::from_millis(20);
        if let Some(url) = db {
            config.database = DatabaseLocation::Postgres(url.to_string());
        }
        let state = keywarden_server::prepare_with_policy(config, Arc::new(AcceptAll)).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        tokio::spawn(keywarden_server::serve(
            listener,
            state.clone(),
            std::future::pending(),
        ));
        Ok(Server {
            base,
            state,
            client: reqwest::Client::new(),
            data: data.to_path_buf(),
            db: db.map(str::to_string),
        })
    }

    /// Stops the scan workers and closes the store.
    pub async fn stop(self) {
        keywarden_core::scans::stop(&self.state).await;
        self.state.store().close().await;
    }

    /// Stops this server and starts a new one on the same data: what a restart or a deploy
    /// does (the in-memory cache is gone).
    pub async fn restart(self) -> anyhow::Result<Server> {
        let (data, db) = (self.data.clone(), self.db.clone());
        self.stop().await;
        Server::start(&data, db.as_deref()).await
    }

    /// A request as the admin.
    pub fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .basic_auth("admin", Some(PASSWORD))
            .header("X-Atlassian-Token", "no-check")
    }

    /// A request as the admin, with a JSON body if given; the JSON answer (`null` for none).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> anyhow::Result<serde_json::Value> {
        let mut r = self.req(method, path);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await?;
        if !r.status().is_success() {
            bail!("{path}: {} {}", r.status(), r.text().await?);
        }
        if r.status() == reqwest::StatusCode::NO_CONTENT {
            return Ok(serde_json::Value::Null);
        }
        Ok(r.json().await?)
    }

    /// [`Server::call`] without a body.
    pub async fn json(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> anyhow::Result<serde_json::Value> {
        self.call(method, path, None).await
    }
}
