//! What `secrets audit` takes for a secret file (issue 28): by name and
//! content, not by sitting in a directory called `secrets`. A Python
//! package `myapp/secrets/` is source code: never a finding, never chmod,
//! chown or `.gitignore`d by `--fix`. A file found by its content alone is
//! reported without a fix.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use secrets_tests::{have_program, require, secrets};

/// Source code and other files that are not secret files.
const NOT_SECRET: &[&str] = &[
    "myapp/secrets/__init__.py",
    "myapp/secrets/store.py",
    "myapp/secrets/data.json",
    "ops/secrets/rotate",
    "deploy/id_ed25519.pub",
    ".env.example",
    "config/settings.conf",
    "Makefile",
    "compose.yaml",
];

/// Secret files the audit is sure about: `--fix` repairs them.
const SURE: &[&str] = &[
    ".env.production",
    "certs/server.key",
    "deploy/id_ed25519",
    "ops/secrets/db_password",
    "config/credentials.data",
];

/// Found by its content alone: reported, never fixed.
const BY_CONTENT: &str = "config/app.conf";

fn fixture(dir: &Path) {
    let files: &[(&str, &str)] = &[
        ("myapp/secrets/__init__.py", "from .store import Store\n"),
        (
            "myapp/secrets/store.py",
            "class Store:\n    PASSWORD_FIELD = 'password'\n",
        ),
        ("myapp/secrets/data.json", "{\"schema\": 1}\n"),
        ("ops/secrets/rotate", "#!/bin/sh\nexec secrets rotate \"$@\"\n"),
        ("ops/secrets/db_password", "s3cr3t-value-1\n"),
        ("certs/server.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n"),
        ("deploy/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\n"),
        ("deploy/id_ed25519.pub", "ssh-ed25519 AAAA deploy\n"),
        (".env.production", "API_TOKEN=tok-1234567890\n"),
        (".env.example", "API_TOKEN=\n"),
        ("config/credentials.data", "user:pass\n"),
        ("config/app.conf", "DB_PASSWORD=hunter2-hunter2\nDB_HOST=db\n"),
        ("config/settings.conf", "HOST=db\nPORT=5432\n"),
        ("Makefile", "all:\n\tcargo build\n"),
        (
            "compose.yaml",
            "services:\n  app:\n    image: app\n    secrets: [creds]\nsecrets:\n  creds:\n    file: ./config/credentials.data\n",
        ),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    }
    for d in ["myapp/secrets", "ops/secrets", "certs", "deploy", "config"] {
        fs::set_permissions(dir.join(d), fs::Permissions::from_mode(0o700)).unwrap();
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).unwrap();
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .current_dir(dir)
        .args(["-c", "init.defaultBranch=main"])
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Bytes, mode, owner, group and mtime of a file.
fn state(path: &Path) -> (Vec<u8>, u32, u32, u32, i64, i64) {
    let m = fs::symlink_metadata(path).unwrap();
    (
        fs::read(path).unwrap(),
        m.mode(),
        m.uid(),
        m.gid(),
        m.mtime(),
        m.mtime_nsec(),
    )
}

fn findings(dir: &Path, extra: &[&str]) -> Vec<serde_json::Value> {
    let o = secrets(dir)
        .args(["audit", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["findings"].as_array().unwrap().clone()
}

/// The files a rule flags, relative to the tree.
fn flagged(findings: &[serde_json::Value], rule: &str) -> Vec<String> {
    let mut out: Vec<String> = findings
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| {
            f["path"]
                .as_str()
                .unwrap()
                .trim_start_matches("./")
                .to_owned()
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn exactly_the_secret_files_are_found_and_fix_leaves_source_alone() {
    if !require(have_program("git"), "git", "apt-get install git") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fixture(dir);
    git(dir, &["init", "-q"]);

    let mut expected: Vec<String> = SURE.iter().map(|s| s.to_string()).collect();
    expected.push(BY_CONTENT.into());
    expected.sort();
    let before = findings(dir, &[]);
    // Every file is mode 0644: SA001 names each secret file, and no other.
    assert_eq!(flagged(&before, "SA001"), expected, "{before:#?}");
    // Not ignored by git: the same files, and no other.
    assert_eq!(flagged(&before, "SA004"), expected, "{before:#?}");
    // The file found by its content carries no fix; the sure ones do.
    for f in before
        .iter()
        .filter(|f| f["path"].as_str().unwrap().ends_with(BY_CONTENT))
    {
        assert!(f.get("fix").is_none(), "{f:#}");
        assert!(
            f["message"].as_str().unwrap().contains("not fixed"),
            "{f:#}"
        );
    }
    assert!(before.iter().any(|f| f["rule"] == "SA001"
        && f["path"].as_str().unwrap().ends_with("certs/server.key")
        && f.get("fix").is_some()));

    let untouched: Vec<&str> = NOT_SECRET.iter().copied().chain([BY_CONTENT]).collect();
    let snapshot: Vec<_> = untouched.iter().map(|p| state(&dir.join(p))).collect();
    let o = secrets(dir)
        .args([
            "audit",
            "--fix",
            "--owner",
            "65534:65534",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for (p, was) in untouched.iter().zip(&snapshot) {
        assert_eq!(&state(&dir.join(p)), was, "--fix changed {p}");
    }
    for p in SURE {
        let m = fs::metadata(dir.join(p)).unwrap();
        assert_eq!(m.mode() & 0o777, 0o600, "{p}");
        assert_eq!(m.uid(), 65534, "{p}");
    }
    let ignore = fs::read_to_string(dir.join(".gitignore")).unwrap();
    for p in &untouched {
        let name = Path::new(p).file_name().unwrap().to_str().unwrap();
        assert!(
            !ignore.lines().any(|l| l.ends_with(name)),
            "{p} added to .gitignore:\n{ignore}"
        );
    }
    for p in SURE {
        assert!(
            ignore.lines().any(|l| l == format!("/{p}")),
            "{p} not ignored:\n{ignore}"
        );
    }
}

/// History (SA006) and the index (SA005) judge committed paths by the same
/// names: the package's source is not a secret committed.
#[test]
fn history_does_not_take_the_package_for_secrets() {
    if !require(have_program("git"), "git", "apt-get install git") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fixture(dir);
    git(dir, &["init", "-q"]);
    git(
        dir,
        &[
            "add",
            "myapp",
            "ops/secrets/rotate",
            "ops/secrets/db_password",
        ],
    );
    git(
        dir,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-qm",
            "x",
        ],
    );
    let found = findings(dir, &[]);
    let history: Vec<String> = flagged(&found, "SA006");
    // A committed path has no content and no siblings to look at: history
    // judges by the name alone (source extensions), so only the package's
    // source files are known not to be secrets there.
    assert!(history.iter().all(|p| !p.ends_with(".py")), "{history:?}");
    assert!(
        history.contains(&"ops/secrets/db_password".to_owned()),
        "{history:?}"
    );
    let tracked = flagged(&found, "SA005");
    assert_eq!(tracked, ["ops/secrets/db_password"], "{found:#?}");
}
