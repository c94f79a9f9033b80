//! `secrets write`: permissions from creation, real ownership, fault
//! injection, symlinks, concurrency and idempotence.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use secrets_core::envfile::Document;
use secrets_tests::{
    assert_env_untouched, dir_entries, have_program, is_root, mode_of, require, require_strace,
    secrets, secrets_bin, secrets_under_strace,
};

fn write(dir: &Path, args: &[&str]) -> Output {
    secrets(dir).arg("write").args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn creates_then_completes_and_is_idempotent() {
    let d = tempfile::tempdir().unwrap();
    let o = write(d.path(), &["--out", ".env", "--with", "postgres"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o)
        .contains("added to .env: POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, DATABASE_URL"));
    let first = fs::read(d.path().join(".env")).unwrap();
    let o = write(d.path(), &["--out", ".env", "--with", "postgres"]);
    assert!(stderr(&o).contains(".env is up to date"), "{}", stderr(&o));
    assert_eq!(
        fs::read(d.path().join(".env")).unwrap(),
        first,
        "a second run changes nothing"
    );
    let o = write(d.path(), &["--out", ".env", "--with", "postgres,redis"]);
    assert!(
        stderr(&o).contains("added to .env: REDIS_PASSWORD"),
        "{}",
        stderr(&o)
    );
    let after = fs::read(d.path().join(".env")).unwrap();
    assert!(after.starts_with(&first), "existing bytes are kept");
    assert_eq!(
        dir_entries(d.path()),
        [".env"],
        "no temporary file and no lock file remain"
    );
    assert_eq!(mode_of(&d.path().join(".env")), 0o600);
}

#[test]
fn keeps_an_existing_file_byte_for_byte_and_derives_from_its_values() {
    let d = tempfile::tempdir().unwrap();
    let original = "# my stack\r\nexport POSTGRES_PASSWORD='p@ss w'  # chosen by hand\r\nOTHER=1";
    fs::write(d.path().join(".env"), original).unwrap();
    let o = write(d.path(), &["--out", ".env", "--with", "postgres"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = fs::read_to_string(d.path().join(".env")).unwrap();
    assert!(
        text.starts_with(&format!("{original}\r\n")),
        "prefix kept, CRLF continued"
    );
    assert!(
        !text.replace("\r\n", "").contains('\n'),
        "appended lines use CRLF too"
    );
    let doc = Document::parse(text.as_bytes()).unwrap();
    assert_eq!(
        doc.get("DATABASE_URL").unwrap().expose(),
        "postgresql://postgres:p%40ss%20w@postgres:5432/app"
    );
    assert_eq!(doc.get("POSTGRES_PASSWORD").unwrap().expose(), "p@ss w");
}

#[test]
fn tightens_an_existing_file_and_reports_it() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join(".env");
    assert!(write(d.path(), &["--out", ".env", "--with", "redis"])
        .status
        .success());
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
    let o = write(d.path(), &["--out", ".env", "--with", "redis"]);
    assert!(
        stderr(&o).contains("changed the mode of .env from 0644 to 0600"),
        "{}",
        stderr(&o)
    );
    assert_eq!(mode_of(&p), 0o600);
    let o = write(
        d.path(),
        &["--out", ".env", "--with", "redis", "--mode", "400"],
    );
    assert!(o.status.success());
    assert_eq!(mode_of(&p), 0o400);
    // Group-readable only when asked for explicitly; bits for others never.
    let o = write(
        d.path(),
        &["--out", ".env", "--with", "redis", "--mode", "640"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(mode_of(&p), 0o640);
    let o = write(
        d.path(),
        &["--out", ".env", "--with", "redis", "--mode", "644"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(mode_of(&p), 0o640);
}

#[test]
fn mkdir_creates_a_private_directory() {
    let d = tempfile::tempdir().unwrap();
    let o = write(d.path(), &["--out", "conf/.env", "--with", "redis"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("conf: the directory does not exist (--mkdir creates it)"));
    let o = write(
        d.path(),
        &["--out", "conf/.env", "--with", "redis", "--mkdir"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(mode_of(&d.path().join("conf")), 0o700);
    assert_eq!(mode_of(&d.path().join("conf/.env")), 0o600);
}

#[test]
fn a_world_writable_parent_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let shared = d.path().join("shared");
    fs::create_dir(&shared).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o777)).unwrap();
    let o = write(d.path(), &["--out", "shared/.env", "--with", "redis"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("writable by group and others"),
        "{}",
        stderr(&o)
    );
    assert!(dir_entries(&shared).is_empty(), "nothing written");
}

#[test]
fn bad_input_exits_2_with_one_line_and_changes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join(".env");
    fs::write(&p, "A=1\nB='unterminated\n").unwrap();
    let o = write(d.path(), &["--out", ".env", "--with", "redis"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "secrets: error: .env:2:3: unterminated quoted value\n"
    );
    assert_eq!(fs::read_to_string(&p).unwrap(), "A=1\nB='unterminated\n");

    let o = write(
        d.path(),
        &[
            "--out",
            "new.env",
            "--with",
            "redis",
            "--owner",
            "no-such-user-here",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "secrets: error: unknown user `no-such-user-here`: create it with `useradd --system --shell /usr/sbin/nologin --no-create-home --user-group no-such-user-here`, or pass --create-user\n"
    );
    let o = write(
        d.path(),
        &[
            "--out",
            "new.env",
            "--with",
            "redis",
            "--owner",
            "root:no-such-group-here",
        ],
    );
    assert_eq!(
        stderr(&o),
        "secrets: error: unknown group `no-such-group-here`\n"
    );
    assert!(!d.path().join("new.env").exists());

    fs::create_dir(d.path().join("adir")).unwrap();
    let o = write(d.path(), &["--out", "adir", "--with", "redis"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("adir: is a directory, not a regular file"),
        "{}",
        stderr(&o)
    );
    if have_program("mkfifo") {
        assert!(Command::new("mkfifo")
            .arg(d.path().join("fifo"))
            .status()
            .unwrap()
            .success());
        let o = write(d.path(), &["--out", "fifo", "--with", "redis"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("fifo: is a FIFO, not a regular file"),
            "{}",
            stderr(&o)
        );
    }
    let o = write(d.path(), &["--out", "/dev/null", "--with", "redis"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/dev/null: is a device, not a regular file"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_symlink_at_the_target_is_refused_and_its_target_unchanged() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("victim"), "precious\n").unwrap();
    std::os::unix::fs::symlink(d.path().join("victim"), d.path().join(".env")).unwrap();
    let o = write(d.path(), &["--out", ".env", "--with", "redis"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "secrets: error: .env: is a symbolic link; refusing to follow it\n"
    );
    assert_eq!(
        fs::read_to_string(d.path().join("victim")).unwrap(),
        "precious\n"
    );
    assert!(fs::symlink_metadata(d.path().join(".env"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn file_is_0600_from_creation_under_umask_000() {
    if !require_strace() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("trace");
    let status = Command::new("sh")
        .current_dir(d.path())
        .arg("-c")
        .arg(format!(
            "umask 000; exec strace -f -qq -o '{}' -e trace=openat,creat,chmod,fchmod,fchmodat '{}' write --out .env --with postgres 2>/dev/null",
            log.display(),
            secrets_bin().display()
        ))
        .status()
        .unwrap();
    assert!(status.success());
    let trace = fs::read_to_string(&log).unwrap();
    let creations: Vec<&str> = trace.lines().filter(|l| l.contains("O_CREAT")).collect();
    let temp = creations
        .iter()
        .find(|l| l.contains(".env.tmp-"))
        .expect("the temporary file's creation is traced");
    assert!(
        temp.contains("O_EXCL") && temp.contains("O_NOFOLLOW") && temp.contains("0600"),
        "{temp}"
    );
    for l in &creations {
        assert!(
            l.contains("0600"),
            "a file was created with another mode: {l}"
        );
    }
    for l in trace.lines().filter(|l| l.contains("chmod(")) {
        assert!(l.contains("0600"), "a chmod widened a file: {l}");
    }
    assert_eq!(mode_of(&d.path().join(".env")), 0o600);
}

/// Runs `secrets write` under strace with one injected failure; the old file
/// must be byte-identical afterwards, with no temporary file left.
fn inject(trace: &str, inject: &str, expected_message: &str) {
    let d = tempfile::tempdir().unwrap();
    assert!(write(d.path(), &["--out", ".env", "--with", "postgres"])
        .status
        .success());
    let before = fs::read(d.path().join(".env")).unwrap();
    let o = secrets_under_strace(
        d.path(),
        trace,
        inject,
        &["write", "--out", ".env", "--with", "postgres,redis"],
    );
    assert_eq!(o.status.code(), Some(2), "{inject}: {}", stderr(&o));
    assert!(
        stderr(&o).contains(expected_message),
        "{inject}: {}",
        stderr(&o)
    );
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert_env_untouched(d.path(), &before, inject);
}

#[test]
fn enospc_on_write_leaves_the_old_file() {
    if require_strace() {
        inject(
            "trace=write",
            "inject=write:error=ENOSPC:when=1",
            "write failed: No space left on device",
        );
    }
}

#[test]
fn eio_on_fsync_leaves_the_old_file() {
    if require_strace() {
        inject(
            "trace=fsync",
            "inject=fsync:error=EIO",
            "fsync failed: Input/output error",
        );
    }
}

#[test]
fn eio_on_rename_leaves_the_old_file() {
    if require_strace() {
        inject(
            "trace=rename,renameat,renameat2",
            "inject=rename,renameat,renameat2:error=EIO",
            ".env: rename failed: Input/output error",
        );
    }
}

#[test]
fn owner_is_set_for_real_and_other_users_cannot_read() {
    let tools = is_root() && have_program("useradd") && have_program("runuser");
    if !require(
        tools,
        "root with useradd and runuser",
        "run the tests as root on Debian (CI does)",
    ) {
        return;
    }
    let user = "secrets-test-svc";
    let _ = Command::new("useradd")
        .args(["-r", "-s", "/usr/sbin/nologin", user])
        .output();
    let id = |flag: &str| -> u32 {
        let o = Command::new("id").args([flag, user]).output().unwrap();
        String::from_utf8(o.stdout)
            .unwrap()
            .trim()
            .parse()
            .expect("the test user exists")
    };
    let (uid, gid) = (id("-u"), id("-g"));
    let d = tempfile::tempdir().unwrap();
    // The temporary directory is 0700 root: open it so only the file's mode decides.
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let o = write(
        d.path(),
        &[
            "--out", "svc/.env", "--with", "redis", "--owner", user, "--mkdir",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let p = d.path().join("svc/.env");
    let m = fs::metadata(&p).unwrap();
    assert_eq!((m.uid(), m.gid(), m.mode() & 0o777), (uid, gid, 0o600));
    let dm = fs::metadata(d.path().join("svc")).unwrap();
    assert_eq!((dm.uid(), dm.mode() & 0o777), (uid, 0o700));
    // Open the directory so that only the file's own mode stops nobody.
    fs::set_permissions(d.path().join("svc"), fs::Permissions::from_mode(0o755)).unwrap();
    let cat = Command::new("runuser")
        .args(["-u", "nobody", "--", "cat"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(!cat.status.success());
    assert!(String::from_utf8_lossy(&cat.stderr).contains("Permission denied"));
    let owner_cat = Command::new("runuser")
        .args(["-u", user, "--", "cat"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(
        owner_cat.status.success(),
        "the service user reads its file"
    );

    // Completing the file keeps the owner; numeric UID:GID works too.
    let o = write(
        d.path(),
        &[
            "--out",
            "svc/.env",
            "--with",
            "redis,minio",
            "--owner",
            &format!("{uid}:{gid}"),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let m = fs::metadata(&p).unwrap();
    assert_eq!((m.uid(), m.gid()), (uid, gid));
}

#[test]
fn twenty_concurrent_writers_lose_nothing() {
    let d = tempfile::tempdir().unwrap();
    let lists = [
        "postgres",
        "redis",
        "minio",
        "imgproxy",
        "pgcat",
        "grafana",
        "supertokens",
        "django",
        "web-push",
        "jwt",
        "postgres,redis",
        "hasura",
        "supabase",
        "postgrest",
        "mongodb",
        "pgadmin",
        "minio,redis",
        "postgres,mongodb",
        "django,web-push",
        "imgproxy,jwt",
    ];
    let children: Vec<_> = lists
        .iter()
        .map(|l| {
            secrets(d.path())
                .args(["write", "--out", ".env", "--with", l])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let text = fs::read(d.path().join(".env")).unwrap();
    let doc = Document::parse(&text).unwrap();
    let keys: Vec<&str> = doc.keys().collect();
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), keys.len(), "a variable was written twice");
    let all: Vec<String> = lists
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(",")
        .split(',')
        .map(String::from)
        .collect();
    let stack = secrets_core::stack::Stack::from_components("all", &all).unwrap();
    for v in stack.vars() {
        assert!(doc.get(&v.name).is_some(), "{} is missing", v.name);
    }
    // Dependents agree with the one value each input received.
    let pw = doc.get("POSTGRES_PASSWORD").unwrap().expose().to_owned();
    assert_eq!(
        doc.get("DATABASE_URL").unwrap().expose(),
        format!("postgresql://postgres:{pw}@postgres:5432/app")
    );
    assert_eq!(
        doc.get("PGRST_JWT_SECRET").unwrap().expose(),
        doc.get("JWT_SECRET").unwrap().expose()
    );
    assert_eq!(dir_entries(d.path()), [".env"]);
}

#[test]
fn a_chown_without_privilege_exits_2_and_leaves_nothing() {
    let tools = is_root() && have_program("runuser");
    if !require(
        tools,
        "root with runuser",
        "run the tests as root (CI does)",
    ) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("nobody");
    fs::create_dir(&dir).unwrap();
    assert!(Command::new("chown")
        .args(["nobody"])
        .arg(&dir)
        .status()
        .unwrap()
        .success());
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let o = Command::new("runuser")
        .args(["-u", "nobody", "--"])
        .arg(secrets_bin())
        .args(["write", "--out"])
        .arg(dir.join(".env"))
        .args(["--with", "redis", "--owner", "root"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.ends_with("cannot change the owner, which needs root or CAP_CHOWN: Operation not permitted (os error 1)\n"), "{err}");
    assert!(
        dir_entries(&dir).is_empty(),
        "no file, no temporary file, no lock file"
    );
}

#[test]
fn derived_values_waiting_for_an_external_are_computed_once_it_is_set() {
    let d = tempfile::tempdir().unwrap();
    fs::write(
        d.path().join("secrets.toml"),
        "[vars.API_KEY]\nexternal = true\n[vars.API_URL]\ntemplate = \"https://u:${API_KEY}@api.example.com\"\n",
    )
    .unwrap();
    let o = write(d.path(), &["--out", ".env"]);
    assert!(
        stderr(&o).contains("set these yourself in .env: API_KEY"),
        "{}",
        stderr(&o)
    );
    let text = fs::read_to_string(d.path().join(".env")).unwrap();
    assert!(
        text.contains("# (computed once API_KEY is set)\nAPI_URL=\n"),
        "{text}"
    );
    // The operator fills in the external value by hand; write computes the URL in place.
    fs::write(
        d.path().join(".env"),
        text.replace("API_KEY=\n", "API_KEY=k3y/v@lue\n"),
    )
    .unwrap();
    let o = write(d.path(), &["--out", ".env"]);
    assert!(
        stderr(&o).contains("added to .env: API_URL (computed)"),
        "{}",
        stderr(&o)
    );
    let doc = Document::parse(&fs::read(d.path().join(".env")).unwrap()).unwrap();
    assert_eq!(
        doc.get("API_URL").unwrap().expose(),
        "https://u:k3y%2Fv%40lue@api.example.com"
    );
    assert_eq!(doc.keys().filter(|k| *k == "API_URL").count(), 1);
    let o = write(d.path(), &["--out", ".env"]);
    assert!(stderr(&o).contains(".env is up to date"), "{}", stderr(&o));
}

/// A generated secret still holding a placeholder is never kept silently:
/// exit 1 and nothing written; `--replace-placeholders` generates it and
/// recomputes what is built from it.
#[test]
fn placeholders_are_refused_or_replaced() {
    let d = tempfile::tempdir().unwrap();
    let o = write(d.path(), &["--out", ".env", "--with", "postgres"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = fs::read_to_string(d.path().join(".env")).unwrap();
    let pw = Document::parse(text.as_bytes())
        .unwrap()
        .get("POSTGRES_PASSWORD")
        .unwrap()
        .expose()
        .to_owned();
    let planted = text.replace(&pw, "change-me");
    fs::write(d.path().join(".env"), &planted).unwrap();
    let o = write(d.path(), &["--out", ".env", "--with", "postgres"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("POSTGRES_PASSWORD (placeholder)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(fs::read_to_string(d.path().join(".env")).unwrap(), planted);
    let o = write(
        d.path(),
        &[
            "--out",
            ".env",
            "--with",
            "postgres",
            "--replace-placeholders",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let after = Document::parse(&fs::read(d.path().join(".env")).unwrap()).unwrap();
    let new = after.get("POSTGRES_PASSWORD").unwrap().expose().to_owned();
    assert!(new.len() >= 32 && new != "change-me");
    assert!(
        after
            .get("DATABASE_URL")
            .unwrap()
            .expose()
            .contains(&format!(":{new}@")),
        "the URL is rebuilt from the new password"
    );
}
