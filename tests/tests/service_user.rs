//! `write --owner NAME --create-user`: the seeds' first manual step
//! (`useradd -r -s /usr/sbin/nologin NAME`) done by the tool, idempotently,
//! with real `useradd` and `userdel`; without the flag, an unknown user's
//! error names both ways forward.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::process::Command;

use secrets_tests::{have_program, is_root, require, secrets};

/// `getent passwd NAME`'s fields, if the user exists.
fn passwd(name: &str) -> Option<Vec<String>> {
    let o = Command::new("getent")
        .args(["passwd", name])
        .output()
        .unwrap();
    o.status.success().then(|| {
        String::from_utf8_lossy(&o.stdout)
            .trim()
            .split(':')
            .map(str::to_owned)
            .collect()
    })
}

/// Removes the user (and its group) when the test ends, however it ends.
struct Remove(&'static str);

impl Drop for Remove {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(self.0).output();
        let _ = Command::new("groupdel").arg(self.0).output();
    }
}

#[test]
fn create_user_makes_a_system_account_once_and_the_error_says_how() {
    if !require(
        is_root() && have_program("useradd") && have_program("userdel"),
        "root with useradd and userdel",
        "run as root; apt-get install passwd",
    ) {
        return;
    }
    const NAME: &str = "secrets-svc-test";
    let _cleanup = Remove(NAME);
    let _ = Command::new("userdel").arg(NAME).output();
    assert!(passwd(NAME).is_none(), "{NAME} exists before the test");
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("app/.env");
    let write = |extra: &[&str]| {
        secrets(d.path())
            .args([
                "write", "--with", "redis", "--mkdir", "--owner", NAME, "--out",
            ])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };

    // Without the flag: exit 2, nothing made, both ways forward named.
    let o = write(&[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("useradd --system") && err.contains("--create-user"),
        "{err}"
    );
    assert!(!d.path().join("app").exists());
    assert!(passwd(NAME).is_none());

    // With it: a system account with its own group, no home, no login.
    let o = write(&["--create-user"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains(&format!("created the system user {NAME}")),
        "{err}"
    );
    let fields = passwd(NAME).expect("the user exists");
    let (uid, gid): (u32, u32) = (fields[2].parse().unwrap(), fields[3].parse().unwrap());
    assert!(uid < 1000, "not a system uid: {uid}");
    assert_eq!(fields[6], "/usr/sbin/nologin");
    assert!(!std::path::Path::new(&fields[5]).exists() || fields[5] == "/nonexistent");
    let group = Command::new("getent")
        .args(["group", NAME])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&group.stdout).starts_with(&format!("{NAME}:x:{gid}:")));
    let meta = fs::metadata(&out).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o777),
        (uid, gid, 0o600)
    );

    // Again: nothing to create, and nothing said about it.
    let o = write(&["--create-user"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("created the system user"), "{err}");
    assert_eq!(passwd(NAME).unwrap()[2], uid.to_string());

    // A name useradd would refuse is refused before it runs.
    let o = secrets(d.path())
        .args([
            "write",
            "--with",
            "redis",
            "--owner",
            "Bad;Name",
            "--create-user",
            "--out",
            "x.env",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a user name"));
}
