//! The rules `keywarden scan` applies: the built-in catalogue with the scanned repository's
//! `soteri-security.yml`, computed by the server's own [`keywarden_core::rules::compute`], so
//! that the file means the same to the command line as to the server.
//!
//! Where the file is read ([`discover`]):
//! * files on disk and standard input: the root of the Git work tree holding the path (outside a
//!   work tree, the scanned directory, or the scanned file's directory);
//! * `--branch REV`: the root of REV's tree; `--history`: the tree of `HEAD` (of REV with
//!   `--branch`);
//! * `--staged`: the stronger of `HEAD`'s file and the index's, and `--since`/`--range
//!   BASE..TIP`: the stronger of BASE's and TIP's, as the server scans a push that changes the
//!   file on the default branch (what a change adds applies at once, what it takes away only
//!   once merged).
//!
//! `--config FILE` names the file instead, `--no-config` applies none. An invalid file stops the
//! scan (exit 2): scanning without it would silently leave out the rules it adds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use keywarden_core::rules::{EffectiveRules, REPO_CONFIG_FILE, compute, parse_repo_config};
use keywarden_engine::ScanLimits;
use keywarden_git::{PushReader, Repo};

/// One `soteri-security.yml`: where it was read, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    /// Where it was read, for messages (`work/soteri-security.yml`, `main:soteri-security.yml`).
    pub origin: String,
    /// Its content.
    pub yml: Vec<u8>,
}

/// The files that decide a scan's rules: `old` and `new` differ only for a change (staged
/// files, a range of commits); both `None` without a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovered {
    /// The file before the change (the same as `new` when nothing changes).
    pub old: Option<ConfigFile>,
    /// The file the scanned content has.
    pub new: Option<ConfigFile>,
}

impl Discovered {
    /// One file (or none) that applies as it is.
    pub fn one(file: Option<ConfigFile>) -> Self {
        Discovered {
            old: file.clone(),
            new: file,
        }
    }
}

/// What a scan reads, for finding its file.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// Files on disk under this path (standard input: the current directory).
    Disk(&'a Path),
    /// The tree of this revision of the repository at the path.
    Tree(&'a Path, &'a str),
    /// What the index adds to `HEAD`.
    Staged(&'a PushReader),
    /// The commits of `BASE..TIP`.
    Range(&'a PushReader, &'a str, &'a str),
}

/// The `soteri-security.yml` files of the scanned repository (see the module docs).
pub fn discover(input: Input<'_>) -> anyhow::Result<Discovered> {
    match input {
        Input::Disk(path) => on_disk(path).map(Discovered::one),
        Input::Tree(path, rev) => {
            let repo = Repo::open(path)?;
            let Ok(commit) = repo.resolve_commit(rev) else {
                return Ok(Discovered::default());
            };
            let yml = repo
                .root_file(commit, REPO_CONFIG_FILE)
                .with_context(|| format!("reading {rev}:{REPO_CONFIG_FILE}"))?;
            Ok(Discovered::one(yml.map(|yml| ConfigFile {
                origin: format!("{rev}:{REPO_CONFIG_FILE}"),
                yml,
            })))
        }
        Input::Staged(reader) => {
            let old = match reader.resolve_commit("HEAD") {
                Ok(_) => in_revision(reader, "HEAD")?,
                Err(_) => None,
            };
            Ok(Discovered {
                old,
                new: in_revision(reader, "")?,
            })
        }
        Input::Range(reader, base, tip) => Ok(Discovered {
            old: in_revision(reader, base)?,
            new: in_revision(reader, tip)?,
        }),
    }
}

/// The file at the root of `rev` (the index when `rev` is empty).
fn in_revision(reader: &PushReader, rev: &str) -> anyhow::Result<Option<ConfigFile>> {
    let yml = reader
        .file_content(rev, REPO_CONFIG_FILE, u64::MAX)
        .with_context(|| format!("reading {rev}:{REPO_CONFIG_FILE}"))?;
    Ok(yml.map(|yml| ConfigFile {
        origin: match rev {
            "" => format!("{REPO_CONFIG_FILE} (staged)"),
            rev => format!("{rev}:{REPO_CONFIG_FILE}"),
        },
        yml,
    }))
}

/// The file at the root of the work tree holding `path`, read from disk.
fn on_disk(path: &Path) -> anyhow::Result<Option<ConfigFile>> {
    let dir = if path.is_dir() {
        path.to_path_buf()
    } else {
        match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    };
    let root = work_tree_root(&dir).unwrap_or(dir);
    let file = root.join(REPO_CONFIG_FILE);
    if !file.is_file() {
        return Ok(None);
    }
    let yml = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
    Ok(Some(ConfigFile {
        origin: file.display().to_string(),
        yml,
    }))
}

/// The top of the Git work tree holding `dir`; `None` outside one (or without git).
fn work_tree_root(dir: &Path) -> Option<PathBuf> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--show-toplevel"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let top = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !top.is_empty()).then(|| PathBuf::from(top))
}

/// `--config FILE`: that file as it is.
pub fn explicit(file: &Path) -> anyhow::Result<Discovered> {
    let yml = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    Ok(Discovered::one(Some(ConfigFile {
        origin: file.display().to_string(),
        yml,
    })))
}

/// The rules in force with these files and no server settings (every built-in rule enabled but
/// the `disabled` ones, no global custom rules): the server's computation. Fails on a file that
/// does not parse.
pub fn rules(
    found: &Discovered,
    limits: ScanLimits,
    disabled: &[String],
) -> anyhow::Result<EffectiveRules> {
    for file in [&found.old, &found.new].into_iter().flatten() {
        if let Err(e) = parse_repo_config(&file.yml) {
            bail!(
                "{}: {e} (fix the file, or pass --no-config to scan without it)",
                file.origin
            );
        }
    }
    let yml = |f: &Option<ConfigFile>| f.as_ref().map(|f| f.yml.clone());
    let change = (found.old != found.new).then(|| yml(&found.old));
    let states: HashMap<String, bool> = disabled
        .iter()
        .filter_map(|name| keywarden_engine::find_builtin(name))
        .map(|rule| (rule.name.to_string(), false))
        .collect();
    Ok(compute(&states, &[], change, yml(&found.new), limits, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(yml: &str) -> Option<ConfigFile> {
        Some(ConfigFile {
            origin: "test".into(),
            yml: yml.as_bytes().to_vec(),
        })
    }

    #[test]
    fn an_invalid_file_is_an_error_naming_it() {
        for found in [
            Discovered::one(file("rules: [unclosed\n")),
            Discovered {
                old: file("custom_rules: nope\n"),
                new: None,
            },
        ] {
            let err = rules(&found, ScanLimits::default(), &[])
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("test: "), "{err}");
            assert!(err.contains("--no-config"), "{err}");
        }
    }

    #[test]
    fn a_change_applies_the_stronger_of_both_files() {
        let found = Discovered {
            old: file("custom_rules:\n  OLD_RULE: 'OLD-[0-9]{6}'\n"),
            new: file("custom_rules:\n  NEW_RULE: 'NEW-[0-9]{6}'\n"),
        };
        let eff = rules(&found, ScanLimits::default(), &[]).unwrap();
        let names: Vec<&str> = eff.rules.rules().map(|r| r.name.as_str()).collect();
        assert!(names.contains(&"OLD_RULE") && names.contains(&"NEW_RULE"));
        let plain = rules(&Discovered::default(), ScanLimits::default(), &[]).unwrap();
        assert_eq!(plain.rules.rules().count() + 2, names.len());
    }
}
