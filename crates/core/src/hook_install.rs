//! The pre-receive hook script in the data directory, and the invariant that it will run.
//!
//! git runs `<hooks dir>/pre-receive` inside `receive-pack` only if `core.hooksPath` names the
//! directory as git resolves it (a relative path is taken from the bare repository's folder), the
//! file exists and is executable (git skips a non-executable hook with a mere hint), and the
//! program it execs is there. Any of these failing would accept every push unscanned. So:
//!
//! * [`install`] writes the script at start (atomically) into an absolute hooks directory;
//! * [`probe`] runs it at start exactly as git will, with `git hook run pre-receive` and the
//!   same `core.hooksPath`, in probe mode ([`ENV_HOOK_PROBE`]): the server does not start unless
//!   the hook answers;
//! * [`ensure`] checks the file before every push (cheap: metadata and content), reinstalls it
//!   once if it was removed or changed, and otherwise reports why pushes must be refused.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::config::Config;

pub use crate::disk::ENV_HOOK_PROBE;

/// The line the hook prints in probe mode, before the probe's value.
pub const PROBE_ANSWER: &str = "keywarden-hook-probe";

/// Why the hook would not run.
#[derive(Debug, thiserror::Error)]
#[error("the pre-receive hook cannot run: {0}")]
pub struct HookError(pub String);

fn script_path(config: &Config) -> PathBuf {
    config.hooks_dir().join("pre-receive")
}

/// The `pre-receive` script: it execs `program hook pre-receive`.
pub fn hook_script(program: &Path) -> String {
    let quoted = program.to_string_lossy().replace('\'', "'\\''");
    format!(
        "#!/bin/sh\n# Installed by Keywarden at start; rewritten on every start.\nexec '{quoted}' hook pre-receive\n"
    )
}

/// Writes the hook script (atomically: a temporary file renamed over the old one).
pub async fn install(config: &Config) -> Result<(), HookError> {
    let dir = config.hooks_dir();
    let fail = |what: String| move |e: std::io::Error| HookError(format!("{what}: {e}"));
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(fail(format!("creating {}", dir.display())))?;
    let path = script_path(config);
    let tmp = dir.join(".pre-receive.tmp");
    tokio::fs::write(&tmp, hook_script(&config.hook_program))
        .await
        .map_err(fail(format!("writing {}", tmp.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tokio::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))
            .await
            .map_err(fail(format!("making {} executable", tmp.display())))?;
    }
    tokio::fs::rename(&tmp, &path)
        .await
        .map_err(fail(format!("installing {}", path.display())))
}

/// Whether `path` is a regular file that its owner may execute.
fn executable(path: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a file", path.display()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o111 == 0 {
            return Err(format!("{} is not executable", path.display()));
        }
    }
    Ok(())
}

/// The cheap check: the hooks directory is absolute, the script is in place, executable and
/// unchanged, and the program it runs is there.
pub fn check(config: &Config) -> Result<(), HookError> {
    let dir = config.hooks_dir();
    if !dir.is_absolute() {
        return Err(HookError(format!(
            "the hooks directory {} is relative (git would look for it inside each repository)",
            dir.display()
        )));
    }
    let path = script_path(config);
    executable(&path).map_err(HookError)?;
    let content = std::fs::read_to_string(&path)
        .map_err(|e| HookError(format!("reading {}: {e}", path.display())))?;
    if content != hook_script(&config.hook_program) {
        return Err(HookError(format!(
            "{} was changed since the server installed it",
            path.display()
        )));
    }
    let program = &config.hook_program;
    if program.components().count() > 1 {
        executable(program).map_err(|e| HookError(format!("the hook program is unusable: {e}")))?;
    }
    Ok(())
}

/// Before a push: [`check`], and if that fails, one reinstall and a second check. The error says
/// why the push must be refused.
pub async fn ensure(config: &Config) -> Result<(), HookError> {
    let Err(first) = check(config) else {
        return Ok(());
    };
    tracing::error!(error = %first, "the pre-receive hook is not in order; reinstalling it");
    install(config).await?;
    check(config)?;
    tracing::warn!("the pre-receive hook was reinstalled");
    Ok(())
}

/// Runs the hook the way git will (`git hook run pre-receive` with the server's
/// `core.hooksPath`, in a scratch bare repository) in probe mode, and checks its answer.
pub async fn probe(config: &Config) -> Result<(), HookError> {
    check(config)?;
    let scratch = config
        .data_dir
        .join(format!(".hook-probe-{}", crate::credentials::random_hex(4)));
    let result = probe_in(config, &scratch).await;
    let _ = tokio::fs::remove_dir_all(&scratch).await;
    result
}

async fn probe_in(config: &Config, scratch: &Path) -> Result<(), HookError> {
    crate::disk::create_bare(&config.git_program, scratch, "main")
        .await
        .map_err(|e| HookError(format!("creating a scratch repository: {e}")))?;
    let nonce = crate::credentials::random_hex(8);
    let mut cmd = crate::disk::git(&config.git_program);
    cmd.arg("--git-dir")
        .arg(scratch)
        .arg("-c")
        .arg(format!("core.hooksPath={}", config.hooks_dir().display()))
        .args(["hook", "run", "pre-receive"])
        .env(ENV_HOOK_PROBE, &nonce)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = cmd
        .output()
        .await
        .map_err(|e| HookError(format!("running git hook run: {e}")))?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() && said.contains(&format!("{PROBE_ANSWER} {nonce}")) {
        return Ok(());
    }
    Err(HookError(format!(
        "git did not run {} (is the data directory on a noexec file system?): {}",
        script_path(config).display(),
        said.trim()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_quotes_the_program() {
        let s = hook_script(Path::new("/opt/it's/keywarden"));
        assert!(
            s.contains("exec '/opt/it'\\''s/keywarden' hook pre-receive"),
            "{s}"
        );
    }

    #[tokio::test]
    async fn check_finds_missing_changed_and_relative_hooks() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::new(dir.path());
        config.hook_program = "/bin/true".into();
        assert!(check(&config).is_err(), "not installed yet");
        install(&config).await.unwrap();
        check(&config).unwrap();
        std::fs::write(script_path(&config), "#!/bin/sh\nexit 0\n").unwrap();
        let err = check(&config).unwrap_err().to_string();
        assert!(err.contains("was changed"), "{err}");
        ensure(&config).await.unwrap();
        check(&config).unwrap();
        let relative = Config {
            data_dir: "keywarden-data".into(),
            ..config.clone()
        };
        let err = check(&relative).unwrap_err().to_string();
        assert!(err.contains("relative"), "{err}");
    }
}
