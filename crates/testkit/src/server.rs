//! A real server on `127.0.0.1:0` over a temporary data directory, and a real HTTP client.

use std::sync::Arc;

use keywarden_server::{AcceptAll, AppState, Config, PushPolicy};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The bootstrap admin's password in tests.
pub const ADMIN_PASSWORD: &str = "admin-password";

/// A running server; stopped (gracefully) when dropped.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The server's state (store access for assertions).
    pub state: AppState,
    /// The temporary directory holding the data directory.
    pub dir: tempfile::TempDir,
    database: Option<keywarden_store::DatabaseLocation>,
    client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
}

impl TestServer {
    /// Starts a server that accepts every push.
    pub async fn start() -> Self {
        Self::start_with(Arc::new(AcceptAll), None).await
    }

    /// Starts a server with a push policy and, if given, the program the hook runs.
    pub async fn start_with(policy: Arc<dyn PushPolicy>, hook_program: Option<&str>) -> Self {
        Self::start_full(policy, hook_program, None).await
    }

    /// Starts a server with a policy, hook program and database (SQLite in the data directory
    /// when `None`).
    pub async fn start_full(
        policy: Arc<dyn PushPolicy>,
        hook_program: Option<&str>,
        database: Option<keywarden_store::DatabaseLocation>,
    ) -> Self {
        Self::start_config(policy, hook_program, database, |_| {}).await
    }

    /// [`TestServer::start_full`], with a last say on the configuration.
    pub async fn start_config(
        policy: Arc<dyn PushPolicy>,
        hook_program: Option<&str>,
        database: Option<keywarden_store::DatabaseLocation>,
        tweak: impl FnOnce(&mut Config),
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, policy, hook_program, database, tweak).await
    }

    /// Stops this server and starts a new one on the same data directory and database, as a
    /// restart of the process would.
    pub async fn restart(self, policy: Arc<dyn PushPolicy>) -> Self {
        self.restart_with(policy, |_| {}).await
    }

    /// [`TestServer::restart`], with `tweak` applied to the new server's configuration (the
    /// old server's tweaks are not kept).
    pub async fn restart_with(
        mut self,
        policy: Arc<dyn PushPolicy>,
        tweak: fn(&mut Config),
    ) -> Self {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.state.store().close().await;
        let dir = tempfile::tempdir().unwrap();
        let old = std::mem::replace(&mut self.dir, dir);
        let database = self.database.take();
        drop(self);
        Self::start_in(old, policy, None, database, tweak).await
    }

    async fn start_in(
        dir: tempfile::TempDir,
        policy: Arc<dyn PushPolicy>,
        hook_program: Option<&str>,
        database: Option<keywarden_store::DatabaseLocation>,
        tweak: impl FnOnce(&mut Config),
    ) -> Self {
        let mut config = Config::new(dir.path().join("data"));
        config.admin_password = Some(ADMIN_PASSWORD.into());
        config.hook_program = match hook_program.map(String::from).or_else(keywarden_binary) {
            Some(p) => p.into(),
            None => accept_all_hook(dir.path()),
        };
        if let Some(db) = database.clone() {
            config.database = db;
        }
        tweak(&mut config);
        let state = keywarden_server::prepare_with_policy(config, policy)
            .await
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(keywarden_server::serve(
            listener,
            state.clone(),
            async move {
                let _ = stopped.await;
            },
        ));
        Self {
            base,
            state,
            dir,
            database,
            client: reqwest::Client::new(),
            stop: Some(stop),
        }
    }

    /// A request to `path` (relative to the base URL), without credentials.
    pub fn anon(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    /// A request as `user`, with the XSRF header.
    pub fn as_user(
        &self,
        user: &str,
        password: &str,
        method: Method,
        path: &str,
    ) -> RequestBuilder {
        self.anon(method, path)
            .basic_auth(user, Some(password))
            .header("X-Atlassian-Token", "no-check")
    }

    /// A request as the bootstrap admin, with the XSRF header.
    pub fn admin(&self, method: Method, path: &str) -> RequestBuilder {
        self.as_user("admin", ADMIN_PASSWORD, method, path)
    }

    /// Creates a user through the admin API.
    pub async fn add_user(&self, name: &str, password: &str) {
        let path = format!(
            "/rest/api/latest/admin/users?name={name}&password={password}&displayName={name}%20Example&emailAddress={name}@example.com"
        );
        let r = self.admin(Method::POST, &path).send().await.unwrap();
        assert_eq!(r.status(), 204, "creating user {name}");
    }

    /// Creates a project through the REST API.
    pub async fn add_project(&self, key: &str, name: &str) -> Value {
        let r = self
            .admin(Method::POST, "/rest/api/latest/projects")
            .json(&serde_json::json!({"key": key, "name": name, "description": "test"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "creating project {key}");
        r.json().await.unwrap()
    }

    /// Creates a repository through the REST API, as `user`.
    pub async fn add_repo_as(&self, user: (&str, &str), key: &str, name: &str) -> Value {
        let r = self
            .as_user(
                user.0,
                user.1,
                Method::POST,
                &format!("/rest/api/latest/projects/{key}/repos"),
            )
            .json(&serde_json::json!({"name": name}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "creating repository {key}/{name}");
        r.json().await.unwrap()
    }

    /// Creates a repository as the admin.
    pub async fn add_repo(&self, key: &str, name: &str) -> Value {
        self.add_repo_as(("admin", ADMIN_PASSWORD), key, name).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Status and JSON body of a response.
pub async fn json(r: Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Asserts a Bitbucket error envelope with this status, exception and message.
pub async fn assert_error(r: Response, status: u16, exception: &str, message: &str) {
    let (got, body) = json(r).await;
    assert_eq!(got, status, "{body}");
    let e = &body["errors"][0];
    assert_eq!(e["context"], Value::Null, "{body}");
    assert_eq!(e["exceptionName"], exception, "{body}");
    assert!(
        e["message"].as_str().unwrap_or("").contains(message),
        "message {:?} should contain {message:?}",
        e["message"]
    );
}

/// The `keywarden` binary, when these are its crate's tests (Cargo sets the variable for the
/// integration tests of the crate that owns the binary, at build and at run time).
fn keywarden_binary() -> Option<String> {
    std::env::var("CARGO_BIN_EXE_keywarden").ok()
}

/// The hook program of the other crates' tests, which cannot run the `keywarden` binary:
/// it answers the start-up probe as the real hook does and accepts every push.
fn accept_all_hook(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("accept-all-hook");
    let script = format!(
        "#!/bin/sh\n\
         if [ -n \"${probe}\" ]; then echo \"{answer} ${probe}\"; exit 0; fi\n\
         cat >/dev/null\n",
        probe = keywarden_core::hook_install::ENV_HOOK_PROBE,
        answer = keywarden_core::hook_install::PROBE_ANSWER,
    );
    std::fs::write(&path, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}
