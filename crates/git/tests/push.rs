//! Pushed ranges on repositories built with the real `git`.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use keywarden_git::{AddedFile, PushReader, PushedCommit, RefUpdate};

const ZERO: &str = "0000000000000000000000000000000000000000";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success() || args[0] == "merge",
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn commit(dir: &Path, files: &[(&str, &[u8])], msg: &str) -> String {
    for (p, c) in files {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, c).unwrap();
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", msg]);
    git(dir, &["rev-parse", "HEAD"])
}

fn lines(reader: &PushReader, c: &PushedCommit) -> Vec<(String, u32, String)> {
    let mut out = Vec::new();
    reader
        .added_lines(c, |f: AddedFile| {
            for (n, l) in f.lines {
                out.push((f.path.clone(), n, String::from_utf8_lossy(&l).into_owned()));
            }
        })
        .unwrap();
    out
}

fn update(old: &str, new: &str, name: &str) -> RefUpdate {
    RefUpdate {
        old: old.into(),
        new: new.into(),
        name: name.into(),
    }
}

#[test]
fn new_commits_and_their_added_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    git(d, &["init", "-q", "-b", "main"]);
    let base = commit(d, &[("a.txt", b"one\ntwo\nthree\n")], "base");
    // Work on a branch that is not a ref yet (as in a push): detach, commit, forget.
    git(d, &["checkout", "-q", "--detach"]);
    let c1 = commit(
        d,
        &[
            ("a.txt", b"one\nsecret=1\ntwo\nthree\n"),
            ("dir/b.txt", b"x\ny\n"),
        ],
        "first",
    );
    let c2 = commit(
        d,
        &[("a.txt", b"one\nsecret=1\ntwo\nthree\nfour\n")],
        "second\n\nbody",
    );
    git(d, &["checkout", "-q", "main"]);

    let reader = PushReader::new(&d.join(".git"), Vec::new());
    let commits = reader
        .new_commits(&[update(&base, &c2, "refs/heads/main")])
        .unwrap();
    let ids: Vec<&str> = commits.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![c1.as_str(), c2.as_str()],
        "parents first, base excluded"
    );
    assert_eq!(commits[1].message, "second\n\nbody");
    assert_eq!(commits[1].parents, vec![c1.clone()]);
    assert_eq!(
        lines(&reader, &commits[0]),
        vec![
            ("a.txt".into(), 2, "secret=1".into()),
            ("dir/b.txt".into(), 1, "x".into()),
            ("dir/b.txt".into(), 2, "y".into()),
        ]
    );
    assert_eq!(
        lines(&reader, &commits[1]),
        vec![("a.txt".into(), 5, "four".into())]
    );

    // A new branch at an existing commit, a deletion: nothing new.
    assert!(
        reader
            .new_commits(&[
                update(ZERO, &base, "refs/heads/copy"),
                update(&base, ZERO, "refs/heads/gone")
            ])
            .unwrap()
            .is_empty()
    );
}

#[test]
fn root_commits_add_every_line_with_the_files_heads() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    git(d, &["init", "-q", "-b", "main"]);
    let root = commit(
        d,
        &[
            ("k.pem", b"-----BEGIN\nbody\n"),
            ("img.png", b"\x89PNG\0\x01"),
        ],
        "root",
    );
    git(d, &["update-ref", "-d", "refs/heads/main"]);
    let reader = PushReader::new(&d.join(".git"), Vec::new());
    let commits = reader
        .new_commits(&[update(ZERO, &root, "refs/heads/main")])
        .unwrap();
    assert_eq!(commits.len(), 1);
    let mut files = Vec::new();
    reader.added_lines(&commits[0], |f| files.push(f)).unwrap();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    assert_eq!(files[0].path, "img.png");
    // Read as text: the scanner applies the binary rule to the head.
    assert!(files[0].head.contains(&0), "{:?}", files[0].head);
    assert_eq!(files[0].lines, vec![(1, b"\x89PNG\0\x01".to_vec())]);
    assert_eq!(files[1].path, "k.pem");
    assert_eq!(
        files[1].lines,
        vec![(1, b"-----BEGIN".to_vec()), (2, b"body".to_vec())]
    );
}

#[test]
fn a_merge_adds_only_lines_found_in_none_of_its_parents() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    git(d, &["init", "-q", "-b", "main"]);
    let base = commit(d, &[("f", b"a\nb\nc\n")], "base");
    git(d, &["checkout", "-q", "-b", "side"]);
    commit(
        d,
        &[("f", b"a\nb\nside\nc\n"), ("s.txt", b"from side\n")],
        "side",
    );
    git(d, &["checkout", "-q", "main"]);
    commit(d, &[("f", b"main\na\nb\nc\n")], "main");
    git(d, &["merge", "-q", "--no-commit", "side"]);
    let merge = commit(d, &[("f", b"main\na\nb\nside\nNEW SECRET\nc\n")], "merge");
    git(d, &["update-ref", "refs/heads/main", &base]);
    git(d, &["branch", "-q", "-D", "side"]);

    let reader = PushReader::new(&d.join(".git"), Vec::new());
    let commits = reader
        .new_commits(&[update(&base, &merge, "refs/heads/main")])
        .unwrap();
    assert_eq!(commits.len(), 3);
    let m = commits.last().unwrap();
    assert_eq!(m.id, merge);
    assert_eq!(m.parents.len(), 2);
    assert_eq!(
        lines(&reader, m),
        vec![("f".into(), 5, "NEW SECRET".into())]
    );
}

#[test]
fn objects_are_read_through_the_given_environment() {
    // Objects that live only in another object directory (as a push's do in the quarantine)
    // are visible through GIT_ALTERNATE_OBJECT_DIRECTORIES.
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let dst = tmp.path().join("dst.git");
    std::fs::create_dir(&src).unwrap();
    git(&src, &["init", "-q", "-b", "main"]);
    let c = commit(&src, &[("a", b"token=abc\n")], "c");
    git(tmp.path(), &["init", "-q", "--bare", dst.to_str().unwrap()]);

    let bare = PushReader::new(&dst, Vec::new());
    assert!(
        bare.new_commits(&[update(ZERO, &c, "refs/heads/main")])
            .is_err()
    );
    let env = vec![(
        OsString::from("GIT_ALTERNATE_OBJECT_DIRECTORIES"),
        src.join(".git/objects").into_os_string(),
    )];
    let reader = PushReader::new(&dst, env);
    let commits = reader
        .new_commits(&[update(ZERO, &c, "refs/heads/main")])
        .unwrap();
    assert_eq!(commits.len(), 1);
    assert_eq!(
        lines(&reader, &commits[0]),
        vec![("a".into(), 1, "token=abc".into())]
    );
}

fn staged(reader: &PushReader) -> Vec<(String, u32, String, bool)> {
    let mut out = Vec::new();
    reader
        .staged_lines(|f: AddedFile| {
            let binary = f.head.contains(&0);
            for (n, l) in f.lines {
                let l = String::from_utf8_lossy(&l).into_owned();
                out.push((f.path.clone(), n, l, binary));
            }
        })
        .unwrap();
    out
}

#[test]
fn staged_lines_are_the_index_against_head_or_the_empty_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    git(dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("a.txt"), "one\ntwo\n").unwrap();
    git(dir, &["add", "a.txt"]);
    let reader = PushReader::discover(dir).unwrap();
    let first = vec![
        ("a.txt".to_string(), 1, "one".to_string(), false),
        ("a.txt".to_string(), 2, "two".to_string(), false),
    ];
    assert_eq!(staged(&reader), first, "no HEAD yet: every staged line");
    git(dir, &["commit", "-q", "-m", "one"]);
    assert!(staged(&reader).is_empty());
    std::fs::write(dir.join("a.txt"), "one\nnew\ntwo\n").unwrap();
    git(dir, &["add", "a.txt"]);
    std::fs::write(dir.join("a.txt"), "one\nnew\ntwo\nunstaged\n").unwrap();
    assert_eq!(
        staged(&reader),
        vec![("a.txt".to_string(), 2, "new".to_string(), false)]
    );
    assert_eq!(
        reader.file_content("", "a.txt", 100).unwrap().unwrap(),
        b"one\nnew\ntwo\n",
        "the staged content, not the work tree's"
    );
}

#[test]
fn range_commits_are_those_of_base_to_tip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    git(dir, &["init", "-q", "-b", "main"]);
    let a = commit(dir, &[("a.txt", b"a\n")], "a");
    let b = commit(dir, &[("b.txt", b"b\n")], "b");
    let c = commit(dir, &[("c.txt", b"c\n")], "c");
    let reader = PushReader::discover(dir).unwrap();
    let ids = |base: &str, tip: &str| -> Vec<String> {
        let commits = reader.range_commits(base, tip).unwrap();
        commits.into_iter().map(|c| c.id).collect()
    };
    assert_eq!(ids(&a, "main"), vec![b.clone(), c.clone()]);
    assert_eq!(ids("HEAD~1", "HEAD"), vec![c.clone()]);
    assert!(ids(&c, &a).is_empty());
    let err = reader.range_commits("no-such-ref", "main").unwrap_err();
    assert!(err.to_string().contains("no-such-ref"), "{err}");
    assert!(reader.range_commits("--all", "main").is_err());
}

#[test]
fn one_stream_gives_every_commit_its_own_lines_merges_and_empty_commits_included() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    git(d, &["init", "-q", "-b", "main"]);
    let root = commit(d, &[("a.txt", b"one\n")], "root");
    git(d, &["commit", "-q", "--allow-empty", "-m", "empty"]);
    commit(d, &[("a.txt", b"one\nmain\n")], "main work");
    git(d, &["checkout", "-q", "-b", "side", &root]);
    commit(d, &[("s.txt", b"side\n")], "side work");
    git(d, &["checkout", "-q", "main"]);
    git(d, &["merge", "-q", "--no-ff", "--no-commit", "side"]);
    std::fs::write(d.join("m.txt"), "made in the merge\n").unwrap();
    let merge = commit(d, &[], "merge");
    let tip = commit(d, &[("a.txt", b"one\nmain\nlast\n")], "after");
    // As in a push that creates the branch: no ref holds these commits yet.
    git(d, &["update-ref", "-d", "refs/heads/main"]);
    git(d, &["update-ref", "-d", "refs/heads/side"]);

    let reader = PushReader::new(&d.join(".git"), Vec::new());
    let commits = reader
        .new_commits(&[update(ZERO, &tip, "refs/heads/main")])
        .unwrap();
    assert_eq!(commits.len(), 6, "every commit, the root's too");
    assert!(commits.iter().any(|c| c.id == merge));
    let mut streamed: Vec<Vec<(String, u32, String)>> = vec![Vec::new(); commits.len()];
    reader
        .commits_added_lines(&commits, |i, f| {
            for (n, l) in f.lines {
                streamed[i].push((f.path.clone(), n, String::from_utf8_lossy(&l).into_owned()));
            }
        })
        .unwrap();
    // The same lines as reading each commit on its own.
    let one_by_one: Vec<_> = commits.iter().map(|c| lines(&reader, c)).collect();
    assert_eq!(streamed, one_by_one);
    let at = |id: &str| commits.iter().position(|c| c.id == id).unwrap();
    assert_eq!(streamed[at(&root)], vec![("a.txt".into(), 1, "one".into())]);
    assert_eq!(
        streamed[at(&merge)],
        vec![("m.txt".into(), 1, "made in the merge".into())],
        "a merge: only what neither parent has"
    );
    assert_eq!(streamed[at(&tip)], vec![("a.txt".into(), 3, "last".into())]);
    let empty = commits.iter().position(|c| c.message == "empty").unwrap();
    assert!(streamed[empty].is_empty());
}

#[test]
fn a_created_file_carries_its_exact_content_and_a_changed_one_only_its_id() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    git(d, &["init", "-q", "-b", "main"]);
    git(d, &["config", "core.autocrlf", "false"]);
    let files: [(&str, &[u8]); 5] = [
        ("crlf.txt", b"one\r\ntwo\r\n"),
        ("open.txt", b"no newline at the end"),
        ("nul.bin", b"a\0b\nc\n"),
        ("empty.txt", b""),
        ("plain.txt", b"x = 1\ny = 2\n"),
    ];
    let root = commit(d, &files, "root");
    let next = commit(d, &[("plain.txt", b"x = 1\ny = 3\nz = 4\n")], "change");
    git(d, &["update-ref", "-d", "refs/heads/main"]);
    let reader = PushReader::new(&d.join(".git"), Vec::new());
    let commits = reader
        .new_commits(&[update(ZERO, &next, "refs/heads/main")])
        .unwrap();
    let mut seen = Vec::new();
    reader
        .commits_added_lines(&commits, |i, f| seen.push((i, f)))
        .unwrap();
    let blob_id = |rev: &str| git(d, &["rev-parse", rev]);
    let no = std::sync::atomic::AtomicBool::new(false);
    for (i, f) in &seen {
        let commit = &commits[*i].id;
        let id = blob_id(&format!("{commit}:{}", f.path));
        assert_eq!(f.blob.map(|b| b.to_string()), Some(id), "{}", f.path);
        if *commit == root {
            let expected = files.iter().find(|(p, _)| *p == f.path).unwrap().1;
            assert_eq!(f.content(&no).as_deref(), Some(expected), "{}", f.path);
            // Not the object's content: nothing.
            let mut other = f.clone();
            other.lines.push((99, b"more".to_vec()));
            assert_eq!(other.content(&no), None);
        } else {
            // Changed, not created: only the added lines are known.
            assert_eq!(f.path, "plain.txt");
            assert!(!f.whole);
            assert_eq!(f.content(&no), None);
        }
    }
    // Every file of the root commit with content was seen (and checked above).
    for (path, _) in files.iter().filter(|(_, c)| !c.is_empty()) {
        assert!(seen.iter().any(|(_, f)| f.path == *path), "{path}");
    }
}
