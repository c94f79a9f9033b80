//! An existing target must belong to whom it will belong (issue 25).
//! `write --owner svc` into a directory of svc's trusts that directory,
//! since svc could replace its file anyway; but svc can also rename into it
//! a file of root's that it cannot read. Root's write must not complete
//! that file and hand it, root's values included, to svc.

use std::path::Path;
use std::process::Command;

use secrets_tests::attacker::{
    self, assert_unchanged, code, file, mkdir, public_tempdir, python, require_attacker, secrets,
    snapshot, stderr, stdout, NAME,
};

/// A value of root's that svc must never read.
const ROOT_VALUE: &str = "ROOT_ONLY_PASSWORD=Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA\n";

/// What the attacker reads of `path`: its bytes, or the error.
fn attacker_reads(path: &Path) -> String {
    let o = python(
        "import sys\ntry:\n    print(open(sys.argv[1]).read(), end='')\nexcept OSError as e:\n    print('error:', e.strerror, end='')\n",
        &[path],
    )
    .output()
    .unwrap();
    stdout(&o)
}

#[test]
fn write_owner_refuses_roots_file_renamed_into_the_owners_directory() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    // svc's directory, holding a file of root's (a backup root copied
    // there) that svc cannot read.
    let dir = base.path().join("svc");
    mkdir(&dir, 0o700, true);
    let backup = dir.join("backup.env");
    file(&backup, ROOT_VALUE.as_bytes(), 0o600, false);
    assert!(
        attacker_reads(&backup).starts_with("error:"),
        "the attacker cannot read root's file"
    );
    // svc renames it to the name root's write will complete.
    let env = dir.join(".env");
    let o = attacker::command("mv")
        .arg(&backup)
        .arg(&env)
        .output()
        .unwrap();
    assert!(o.status.success(), "mv: {}", stderr(&o));
    let before = snapshot(&env);
    let names = secrets_tests::dir_entries(&dir);

    let o = secrets(base.path())
        .args([
            "write", "--out", "svc/.env", "--with", "redis", "--owner", NAME,
        ])
        .output()
        .unwrap();
    assert_unchanged(&env, &before, "write --owner over root's renamed file");
    assert_eq!(secrets_tests::dir_entries(&dir), names, "nothing created");
    let read = attacker_reads(&env);
    assert!(
        !read.contains("ROOT_ONLY"),
        "the attacker read root's value: {read}"
    );
    assert_eq!(code(&o), Ok(2), "{}", stderr(&o));
    let (uid, _) = attacker::ids();
    assert_eq!(
        stderr(&o),
        format!(
            "secrets: error: svc/.env: belongs to root (uid 0), not to {NAME} (uid {uid}) for whom it is written; refusing to complete it and hand it over: check what it holds, then chown it to that user or remove it, and run again\n"
        )
    );

    // What the message says to do works: once the file is svc's, it is
    // completed and stays svc's.
    let o = Command::new("chown").arg(NAME).arg(&env).output().unwrap();
    assert!(o.status.success());
    let o = secrets(base.path())
        .args([
            "write", "--out", "svc/.env", "--with", "redis", "--owner", NAME,
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), Ok(0), "{}", stderr(&o));
    assert_eq!(snapshot(&env).mode_and_owner(), (0o600, uid));
}
