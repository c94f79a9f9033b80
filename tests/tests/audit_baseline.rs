//! `secrets audit` as people run it daily (issue 28): a baseline of
//! accepted findings, `--fix --dry-run`, fix hints that run as printed.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use secrets_tests::{have_program, require, secrets};

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn write(path: &Path, text: &str, mode: u32) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn audit(dir: &Path, args: &[&str]) -> Output {
    secrets(dir).arg("audit").args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}{}", stdout(o), stderr(o)))
}

/// A repository with a `.env` committed and deleted (SA006, by commit)
/// and a world-readable `.env` in `old/` (SA001).
fn repository(dir: &Path) {
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).unwrap();
    git(dir, &["init", "-q"]);
    write(&dir.join(".gitignore"), "/old/\n", 0o644);
    write(
        &dir.join("svc/.env"),
        "API_TOKEN=old-rotated-token-1\n",
        0o600,
    );
    git(dir, &["add", "-f", ".gitignore", "svc/.env"]);
    git(dir, &["commit", "-qm", "oops"]);
    git(dir, &["rm", "-q", "svc/.env"]);
    git(dir, &["commit", "-qm", "removed"]);
    write(
        &dir.join("old/.env"),
        "API_TOKEN=still-here-token-2\n",
        0o644,
    );
    fs::set_permissions(dir.join("old"), fs::Permissions::from_mode(0o700)).unwrap();
}

#[test]
fn accepted_findings_pass_new_ones_fail_stale_ones_are_reported_and_the_file_round_trips() {
    if !require(have_program("git"), "git", "apt-get install git") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    repository(dir);
    let o = audit(dir, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let rules: Vec<String> = json(&o)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        rules.contains(&"SA006".into()) && rules.contains(&"SA001".into()),
        "{rules:?}"
    );

    // Accept them all, with a reason given by hand.
    let o = audit(dir, &["--update-baseline"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let file = dir.join(".secrets-baseline.toml");
    let written = fs::read_to_string(&file).unwrap();
    assert!(
        !written.contains("old-rotated") && !written.contains("still-here"),
        "{written}"
    );
    let commit = String::from_utf8(
        Command::new("git")
            .current_dir(dir)
            .args(["rev-list", "--max-parents=0", "HEAD"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        written.contains(&format!("fingerprint = \"commit {}\"", commit.trim())),
        "{written}"
    );
    // The reason goes on the history finding's entry.
    let at = written.find("rule = \"SA006\"").expect("an SA006 entry");
    let reasoned = format!(
        "{}{}",
        &written[..at],
        written[at..].replacen("reason = \"\"", "reason = \"rotated on 2026-03-02\"", 1)
    );
    fs::write(&file, &reasoned).unwrap();

    // Accepted: the gate passes, and says so.
    let o = audit(dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("0 findings"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("accepted by .secrets-baseline.toml"),
        "{}",
        stdout(&o)
    );
    let o = audit(dir, &["--show-accepted"]);
    assert!(
        stdout(&o).contains("reason: rotated on 2026-03-02"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("SA006"), "{}", stdout(&o));

    // A round trip leaves the file as it was, byte for byte.
    let o = audit(dir, &["--update-baseline"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&file).unwrap(), reasoned);

    // A new finding fails the gate, alone in the report.
    write(
        &dir.join("new/.env.production"),
        "DB_PASSWORD=new-secret-3\n",
        0o644,
    );
    fs::set_permissions(dir.join("new"), fs::Permissions::from_mode(0o700)).unwrap();
    let o = audit(dir, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    let new: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        !new.is_empty() && new.iter().all(|p| p.contains("new/.env.production")),
        "{v:#}"
    );
    assert!(
        v["baseline"]["accepted"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "SA006"),
        "{v:#}"
    );
    fs::remove_dir_all(dir.join("new")).unwrap();

    // Fixed: its entry is stale, reported, and does not fail the gate.
    fs::set_permissions(dir.join("old/.env"), fs::Permissions::from_mode(0o600)).unwrap();
    let o = audit(dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("stale in .secrets-baseline.toml: SA001 old/.env"),
        "{}",
        stdout(&o)
    );
    let o = audit(dir, &["--format", "json"]);
    let stale = json(&o)["baseline"]["stale"].clone();
    assert_eq!(stale.as_array().unwrap().len(), 1, "{stale:#}");
    assert_eq!(stale[0]["rule"], "SA001");
    // Updating drops it and keeps the reason of what still matches.
    let o = audit(dir, &["--update-baseline"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let again = fs::read_to_string(&file).unwrap();
    assert!(!again.contains("rule = \"SA001\""), "{again}");
    assert!(
        again.contains("reason = \"rotated on 2026-03-02\""),
        "{again}"
    );
}

#[test]
fn a_bad_or_planted_baseline_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).unwrap();
    write(
        &dir.join("b.toml"),
        "[[accepted]]\nrule = \"SA001\"\npaht = \"x\"\n",
        0o644,
    );
    let o = audit(dir, &["--baseline", "b.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("b.toml:3:1: "), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    let o = audit(dir, &["--baseline", "missing.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // In a directory anyone can write, another user could have put it
    // there to accept findings: refused.
    let open = dir.join("shared");
    fs::create_dir(&open).unwrap();
    fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
    write(&open.join("b.toml"), "", 0o644);
    let o = audit(dir, &["--baseline", "shared/b.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
}

/// A file's path, bytes, mode, owner, group and mtime.
type FileState = (PathBuf, Vec<u8>, u32, u32, u32, i64, i64);

/// Everything under `dir`.
fn tree_state(dir: &Path) -> Vec<FileState> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(p) = stack.pop() {
        let m = fs::symlink_metadata(&p).unwrap();
        let bytes = if m.is_file() {
            fs::read(&p).unwrap()
        } else {
            Vec::new()
        };
        if m.is_dir() {
            for e in fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
        }
        out.push((
            p,
            bytes,
            m.mode(),
            m.uid(),
            m.gid(),
            m.mtime(),
            m.mtime_nsec(),
        ));
    }
    out.sort();
    out
}

#[test]
fn dry_run_changes_nothing_and_prints_what_fix_does_and_hints_run_as_printed() {
    if !require(have_program("git"), "git", "apt-get install git") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).unwrap();
    git(dir, &["init", "-q"]);
    write(
        &dir.join("my app/.env"),
        "API_TOKEN=tok-0123456789\n",
        0o644,
    );
    write(
        &dir.join("it's/.env.production"),
        "DB_PASSWORD=pw-0123456789\n",
        0o640,
    );
    write(
        &dir.join("certs/tls.key"),
        "-----BEGIN PRIVATE KEY-----\n",
        0o644,
    );
    fs::set_permissions(dir.join("certs"), fs::Permissions::from_mode(0o777)).unwrap();
    let owner = ["--owner", "65534:65534"];

    let before = tree_state(dir);
    let o = audit(dir, &["--fix", "--dry-run", owner[0], owner[1]]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(tree_state(dir), before, "--dry-run changed the tree");
    let planned: Vec<String> = stdout(&o)
        .lines()
        .filter_map(|l| l.strip_prefix("would run: "))
        .map(str::to_owned)
        .collect();
    assert!(
        planned.iter().any(|c| c == "chmod 600 './my app/.env'"),
        "{planned:?}"
    );
    assert!(
        planned
            .iter()
            .any(|c| c == "chown nobody:nogroup ./certs/tls.key" || c.starts_with("chown nobody:")),
        "{planned:?}"
    );

    // The same commands, once each, are what --fix then does.
    let o = audit(dir, &["--fix", owner[0], owner[1]]);
    let mut done: Vec<String> = stderr(&o)
        .lines()
        .filter_map(|l| l.strip_prefix("secrets: fixed: "))
        .map(str::to_owned)
        .collect();
    let mut planned = planned;
    planned.sort();
    done.sort();
    assert_eq!(planned, done, "{}", stderr(&o));
    assert_eq!(
        fs::metadata(dir.join("my app/.env")).unwrap().mode() & 0o777,
        0o600
    );
    assert_eq!(
        fs::metadata(dir.join("certs")).unwrap().mode() & 0o777,
        0o775
    );

    // A hint runs as printed: the path quoted, the owner by name.
    fs::set_permissions(
        dir.join("it's/.env.production"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let o = audit(dir, &[]);
    let hint = stdout(&o)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("fix: "))
        .find(|h| h.starts_with("chmod") && h.contains("it"))
        .unwrap_or_else(|| panic!("{}", stdout(&o)))
        .trim_end_matches(" (--fix does it)")
        .to_owned();
    assert_eq!(hint, "chmod 600 './it'\\''s/.env.production'");
    let sh = Command::new("sh")
        .current_dir(dir)
        .args(["-c", &hint])
        .output()
        .unwrap();
    assert!(
        sh.status.success(),
        "{}",
        String::from_utf8_lossy(&sh.stderr)
    );
    assert_eq!(
        fs::metadata(dir.join("it's/.env.production"))
            .unwrap()
            .mode()
            & 0o777,
        0o600
    );
}

/// A baseline decides what passes root's gate, so it is read as a manifest
/// is: one the attacker wrote in their own project (where root may run the
/// audit from) accepts nothing; root's audit refuses it, exit 2.
#[test]
fn a_baseline_the_attacker_wrote_in_their_own_project_accepts_nothing() {
    use secrets_tests::attacker;
    if !attacker::require_attacker() {
        return;
    }
    let (uid, gid) = attacker::ids();
    let d = tempfile::tempdir().unwrap();
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
    // Root's project: a .env others can read (SA001, high).
    let root_env = d.path().join("rootapp/.env");
    write(
        &root_env,
        "APP_PASSWORD=Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA\n",
        0o644,
    );
    // The attacker's project, with a baseline accepting that finding.
    let theirs = d.path().join("theirs");
    fs::create_dir(&theirs).unwrap();
    let accept = format!(
        "[[accepted]]\nrule = \"SA001\"\npath = \"{}\"\nreason = \"x\"\n",
        root_env.display()
    );
    write(&theirs.join(".secrets-baseline.toml"), &accept, 0o644);
    std::os::unix::fs::chown(&theirs, Some(uid), Some(gid)).unwrap();
    std::os::unix::fs::chown(theirs.join(".secrets-baseline.toml"), Some(uid), Some(gid)).unwrap();
    let root_dir = d.path().join("rootapp");
    let o = audit(&theirs, &[root_dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("another user could"), "{}", stderr(&o));
    assert!(!stdout(&o).contains("accepted"), "{}", stdout(&o));
}
