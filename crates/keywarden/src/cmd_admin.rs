//! `keywarden admin user add|passwd|token`: operator commands that work on the database
//! directly (the server may be running or not).

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use keywarden_core::credentials;
use keywarden_server::rest::validate;
use keywarden_store::{DatabaseLocation, NewUser, Store, StoreError};

/// Admin subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Manage users.
    User(UserArgs),
}

/// `keywarden admin user ...`.
#[derive(Debug, clap::Args)]
pub struct UserArgs {
    /// Data directory (as given to `keywarden serve`).
    #[arg(
        long,
        global = true,
        env = "KEYWARDEN_DATA_DIR",
        default_value = "./keywarden-data"
    )]
    data_dir: PathBuf,
    /// Database URL (as given to `keywarden serve`).
    #[arg(
        long,
        global = true,
        env = "KEYWARDEN_DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// Start a new SQLite database when the data directory has none (by default a missing
    /// `keywarden.db` is an error: the wrong folder, most likely).
    #[arg(long, global = true)]
    create: bool,
    #[command(subcommand)]
    action: UserCommand,
}

/// User actions.
#[derive(Debug, clap::Subcommand)]
enum UserCommand {
    /// Create a user (the password from --password, KEYWARDEN_PASSWORD, or a line on stdin).
    Add {
        /// The username.
        name: String,
        /// The password.
        #[arg(long, env = "KEYWARDEN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Display name (default: the username).
        #[arg(long)]
        display_name: Option<String>,
        /// E-mail address.
        #[arg(long)]
        email: Option<String>,
        /// Make the user a global administrator.
        #[arg(long)]
        admin: bool,
    },
    /// Set a user's password (from --password, KEYWARDEN_PASSWORD, or a line on stdin).
    Passwd {
        /// The username.
        name: String,
        /// The new password.
        #[arg(long, env = "KEYWARDEN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Create a personal access token and print it (shown once).
    Token {
        /// The username.
        name: String,
        /// The token's name.
        #[arg(long = "token-name", default_value = "cli")]
        token_name: String,
    },
}

/// Runs an admin command.
pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    let Command::User(args) = cmd;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(user(args))
}

fn password(given: Option<String>) -> anyhow::Result<String> {
    let p = match given {
        Some(p) => p,
        None => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from stdin")?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    if p.is_empty() {
        bail!("the password must not be empty");
    }
    Ok(p)
}

async fn user(args: UserArgs) -> anyhow::Result<ExitCode> {
    let location =
        DatabaseLocation::from_url_or_data_dir(args.database_url.as_deref(), &args.data_dir);
    if let DatabaseLocation::Sqlite(file) = &location {
        if !file.exists() && !args.create {
            bail!(
                "no Keywarden database at {} (is {} the server's --data-dir? `keywarden serve` creates it on its first start; pass --create to start a new one here)",
                file.display(),
                args.data_dir.display()
            );
        }
        std::fs::create_dir_all(&args.data_dir)
            .with_context(|| format!("creating {}", args.data_dir.display()))?;
    }
    let store = keywarden_store::open(&location)
        .await
        .with_context(|| format!("opening {location:?}"))?;
    let result = user_action(store.as_ref(), args.action).await;
    store.close().await;
    result
}

async fn user_action(store: &dyn Store, action: UserCommand) -> anyhow::Result<ExitCode> {
    match action {
        UserCommand::Add {
            name,
            password: given,
            display_name,
            email,
            admin,
        } => {
            // The REST API's rules: the same names are valid whichever way a user is made.
            let name = validate::user_name(Some(&name)).map_err(|e| anyhow::anyhow!("{e}"))?;
            let display_name = display_name
                .map(|d| validate::display_name("displayName", Some(&d), 255))
                .transpose()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let password_hash = credentials::hash_password(password(given)?).await?;
            let new = NewUser {
                display_name: display_name.unwrap_or_else(|| name.clone()),
                name: name.clone(),
                email,
                password_hash,
                admin,
            };
            match store.create_user(new).await {
                Ok(_) => println!("created user {name}{}", if admin { " (admin)" } else { "" }),
                Err(StoreError::Conflict(_)) => bail!("user {name} already exists"),
                Err(e) => return Err(e.into()),
            }
        }
        UserCommand::Passwd {
            name,
            password: given,
        } => {
            let user = store
                .user_by_name(&name)
                .await?
                .with_context(|| format!("no user {name}"))?;
            let hash = credentials::hash_password(password(given)?).await?;
            store.set_password(user.id, &hash).await?;
            println!("password of {name} changed");
        }
        UserCommand::Token { name, token_name } => {
            let user = store
                .user_by_name(&name)
                .await?
                .with_context(|| format!("no user {name}"))?;
            let (key_id, token) = credentials::new_token();
            let hash = credentials::hash_password(token.clone()).await?;
            store
                .create_token(keywarden_store::NewToken {
                    user_id: user.id,
                    name: &token_name,
                    key_id: &key_id,
                    token_hash: &hash,
                    permissions: &keywarden_core::scope::Scope::FULL.stored(),
                    expires_at: None,
                })
                .await?;
            println!("{token}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
