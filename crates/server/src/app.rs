//! Assembling the router, preparing the data directory, and serving.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::header;
use axum::routing::{get, post};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use keywarden_store::{NewUser, Store};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;

use crate::hook::{self, PushPolicy};
use crate::state::AppState;
use crate::{git_http, limits, rest, ui, xsrf};
use keywarden_core::config::Config;
use keywarden_core::credentials;
use keywarden_core::hook_install;
use keywarden_core::push::SecretScanPolicy;

/// Errors while preparing or running the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// File system or socket failure.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Store(#[from] keywarden_store::StoreError),
    /// Hashing the bootstrap password failed.
    #[error(transparent)]
    Credentials(#[from] credentials::CredentialError),
    /// The pre-receive hook would not run: the server refuses to start rather than accept
    /// pushes unscanned.
    #[error(transparent)]
    Hook(#[from] hook_install::HookError),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ServerError {
    let what = what.into();
    move |source| ServerError::Io { what, source }
}

/// The whole HTTP surface: `/status`, the REST API (with the XSRF rule), Git smart HTTP, the
/// internal hook endpoint and the web UI.
pub fn router(state: AppState) -> Router {
    let rest = rest::router()
        .fallback(rest::not_found)
        // Inside the XSRF check, whose refusal is plain text as Bitbucket's is.
        .layer(axum::middleware::from_fn(rest::error_envelope::wrap))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            xsrf::check,
        ));
    let git = Router::new()
        .route("/scm/{project}/{repo}/info/refs", get(git_http::info_refs))
        .route(
            "/scm/{project}/{repo}/git-upload-pack",
            post(git_http::upload_pack),
        )
        .route(
            "/scm/{project}/{repo}/git-receive-pack",
            post(git_http::receive_pack),
        )
        .layer(RequestDecompressionLayer::new());
    Router::new()
        .route("/status", get(status))
        .route(hook::HOOK_PATH, post(hook::endpoint))
        .merge(git)
        .nest("/rest", Router::new().fallback(rest::not_found))
        .merge(rest)
        .merge(ui::router())
        .layer(axum::middleware::from_fn(limits::check))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default();
            tracing::info_span!("http", method = %req.method(), route = %route)
        }))
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
        ]))
        .layer(CatchPanicLayer::new())
        .with_state(state)
}

/// `GET /status`: the health check, with this process's blob cache counts since it started
/// (`misses` are the blobs it scanned, `loaded` the outcomes it read from the database).
async fn status(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::Json<serde_json::Value> {
    let c = state.scans().cache().counts();
    axum::Json(serde_json::json!({
        "state": "RUNNING",
        "scanCache": {
            "hits": c.hits,
            "misses": c.misses,
            "loaded": c.loaded,
            "stored": c.stored,
            "waited": c.waited,
        },
    }))
}

/// Prepares the data directory, opens and migrates the store, creates the bootstrap admin on
/// an empty database, and installs the hook script. Returns the state to serve, with the
/// security hook ([`SecretScanPolicy`]) deciding on pushes.
pub async fn prepare(config: Config) -> Result<AppState, ServerError> {
    prepare_with_policy(config, Arc::new(SecretScanPolicy::new())).await
}

/// [`prepare`] with a given pre-receive policy (the security hook's entry point).
///
/// Every path of the configuration is made absolute first (git runs the hook from inside each
/// repository, where a relative path means something else), and the server does not start
/// unless git will run the installed hook ([`hook_install::probe`]).
pub async fn prepare_with_policy(
    config: Config,
    policy: Arc<dyn PushPolicy>,
) -> Result<AppState, ServerError> {
    let (state, generated) = prepare_state(config, policy).await?;
    if let Some(password) = generated {
        // Logged once, on purpose: without a terminal this is the only way to learn it.
        tracing::warn!("created the admin user 'admin' with the generated password: {password}");
    }
    Ok(state)
}

/// [`prepare_with_policy`], returning the bootstrap admin's password when it was generated
/// now instead of logging it.
async fn prepare_state(
    mut config: Config,
    policy: Arc<dyn PushPolicy>,
) -> Result<(AppState, Option<String>), ServerError> {
    make_absolute(&mut config)?;
    for dir in [config.data_dir.clone(), config.repositories_dir()] {
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(io(format!("creating {}", dir.display())))?;
    }
    hook_install::install(&config).await?;
    hook_install::probe(&config).await?;
    let store = keywarden_store::open(&config.database).await?;
    let generated = bootstrap_admin(store.as_ref(), config.admin_password.clone()).await?;
    let state = AppState::with_policy(config, store, policy);
    crate::rest::security::loglevel::restore(&state).await?;
    Ok((state, generated))
}

/// Resolves the data directory, the SQLite file and a hook program given as a path against the
/// current directory.
fn make_absolute(config: &mut Config) -> Result<(), ServerError> {
    let absolute = |p: &std::path::Path| {
        std::path::absolute(p).map_err(io(format!("resolving {}", p.display())))
    };
    config.data_dir = absolute(&config.data_dir)?;
    if let keywarden_store::DatabaseLocation::Sqlite(path) = &config.database {
        config.database = keywarden_store::DatabaseLocation::Sqlite(absolute(path)?);
    }
    if config.hook_program.components().count() > 1 {
        config.hook_program = absolute(&config.hook_program)?;
    }
    Ok(())
}

/// Creates the `admin` user if there are no users. The password comes from the config, or is
/// generated: then it is returned, for the caller to show once.
pub async fn bootstrap_admin(
    store: &dyn Store,
    password: Option<String>,
) -> Result<Option<String>, ServerError> {
    if store.count_users().await? > 0 {
        return Ok(None);
    }
    let (password, generated) = match password.filter(|p| !p.is_empty()) {
        Some(p) => (p, false),
        None => (credentials::generate_password(), true),
    };
    let password_hash = credentials::hash_password(password.clone()).await?;
    let user = NewUser {
        name: "admin".into(),
        display_name: "Administrator".into(),
        email: None,
        password_hash,
        admin: true,
    };
    match store.create_user(user).await {
        Ok(_) => {}
        // Another process bootstrapped at the same moment.
        Err(keywarden_store::StoreError::Conflict(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    if generated {
        return Ok(Some(password));
    }
    tracing::info!(
        "created the admin user 'admin' with the password from KEYWARDEN_ADMIN_PASSWORD"
    );
    Ok(None)
}

/// The URL the hook uses to reach a server listening at `addr`.
fn hook_url_for(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_string(),
        ip if ip.is_unspecified() => "[::1]".to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    format!("http://{ip}:{}{}", addr.port(), hook::HOOK_PATH)
}

/// Serves `state` on `listener` until `shutdown` completes, then finishes the requests in
/// flight. Each connection is HTTP/1.1 with hyper's request-head limits raised above the
/// router's own ([`limits`]), and each request carries its peer address (`ConnectInfo`).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let addr = listener
        .local_addr()
        .map_err(io("reading the listening address"))?;
    state.set_hook_url(hook_url_for(addr));
    keywarden_core::scans::start(&state).await;
    let app = router(state.clone());
    let connections = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.max_buf_size(limits::HYPER_MAX_BUF)
        .max_headers(limits::HYPER_MAX_HEADERS);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            tower::ServiceExt::oneshot(app.clone(), request)
        });
        let connection = connections.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    connections.shutdown().await;
    keywarden_core::scans::stop(&state).await;
    state.store().close().await;
    Ok(())
}

/// An accept error: one connection's (the client gave up) is skipped; any other (out of file
/// descriptors) is logged and retried after a pause rather than spinning.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
}

/// Prepares, binds `bind` and serves until `shutdown`. `on_listen` is told the bound address.
pub async fn run(
    config: Config,
    bind: &str,
    on_listen: impl FnOnce(Listening),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let (state, admin_password) = prepare_state(config, Arc::new(SecretScanPolicy::new())).await?;
    if admin_password.is_some() {
        tracing::warn!(
            "created the admin user 'admin' with a generated password, printed once on standard output"
        );
    }
    let listener = TcpListener::bind(bind)
        .await
        .map_err(io(format!("binding {bind}")))?;
    let addr = listener
        .local_addr()
        .map_err(io("reading the listening address"))?;
    on_listen(Listening {
        addr,
        admin_password,
    });
    serve(listener, state, shutdown).await
}

/// What [`run`] tells its caller once it listens.
#[derive(Debug)]
pub struct Listening {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The bootstrap admin's password when it was generated on this start (shown once).
    pub admin_password: Option<String>,
}
