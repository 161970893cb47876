//! `keywarden install-hook`: a plain git pre-commit hook that runs `keywarden scan --staged`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

/// The line that marks a hook as written by this command (and so safe to replace).
const MARKER: &str = "# keywarden pre-commit hook";

/// Arguments of `keywarden install-hook`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The repository (default: the current directory).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Replace a pre-commit hook that keywarden did not write.
    #[arg(long)]
    pub force: bool,
}

/// Writes the hook into the repository's hooks directory (`core.hooksPath` honoured).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let out = Command::new("git")
        .arg("-C")
        .arg(&args.path)
        .args(["rev-parse", "--path-format=absolute", "--git-path", "hooks"])
        .output()
        .context("running git")?;
    if !out.status.success() {
        bail!(
            "{} is not in a git repository: {}",
            args.path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let hooks = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let hook = hooks.join("pre-commit");
    if let Ok(existing) = std::fs::read_to_string(&hook)
        && !existing.contains(MARKER)
        && !args.force
    {
        bail!(
            "{} exists and was not written by keywarden; add `keywarden scan --staged` to it, or replace it with --force",
            hook.display()
        );
    }
    let exe = std::env::current_exe().context("finding the keywarden binary")?;
    std::fs::create_dir_all(&hooks).with_context(|| format!("creating {}", hooks.display()))?;
    std::fs::write(&hook, hook_script(&exe))
        .with_context(|| format!("writing {}", hook.display()))?;
    make_executable(&hook)?;
    println!("installed {}", hook.display());
    Ok(ExitCode::SUCCESS)
}

/// The hook: `keywarden` from the `PATH`, else the binary that installed it.
fn hook_script(exe: &Path) -> String {
    let quoted = format!("'{}'", exe.display().to_string().replace('\'', r"'\''"));
    format!(
        "#!/bin/sh\n{MARKER}: blocks a commit that adds a secret (bypass once with `git commit --no-verify`).\n\
         if command -v keywarden >/dev/null 2>&1; then\n  exec keywarden scan --staged --no-progress\nfi\n\
         exec {quoted} scan --staged --no-progress\n"
    )
}

#[cfg(unix)]
fn make_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("making {} executable", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_quotes_the_fallback_path_and_carries_the_marker() {
        let s = hook_script(Path::new("/opt/it's here/keywarden"));
        assert!(s.starts_with("#!/bin/sh\n"));
        assert!(s.contains(MARKER));
        assert!(
            s.contains(r"exec '/opt/it'\''s here/keywarden' scan --staged"),
            "{s}"
        );
    }
}
