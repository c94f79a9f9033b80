//! `secrets rotate` through the built binary: only the concerned lines
//! change, failures and SIGKILL never leave a broken file, concurrent runs
//! lose no update.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use secrets_core::envfile::Document;
use secrets_core::generate::jwt;
use secrets_tests::{
    assert_env_untouched, dir_entries, mode_of, require_strace, secrets, secrets_under_strace,
};

const STACK: &str = "postgres,postgrest,supabase,hasura,web-push,imgproxy";

fn run(dir: &Path, args: &[&str]) -> Output {
    secrets(dir).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn setup(dir: &Path) -> Vec<u8> {
    let o = run(dir, &["write", "--out", ".env", "--with", STACK]);
    assert!(o.status.success(), "{}", stderr(&o));
    fs::read(dir.join(".env")).unwrap()
}

fn values(bytes: &[u8]) -> BTreeMap<String, String> {
    let d = Document::parse(bytes).unwrap();
    d.entries()
        .map(|e| (e.key().to_owned(), e.value().expose().to_owned()))
        .collect()
}

/// Lines of `after` that differ from `before` (same line count assumed where
/// nothing is inserted).
fn changed_lines(before: &str, after: &str) -> Vec<String> {
    let b: Vec<&str> = before.lines().collect();
    let a: Vec<&str> = after.lines().collect();
    assert_eq!(a.len(), b.len(), "line count changed");
    a.iter()
        .zip(&b)
        .filter(|(x, y)| x != y)
        .map(|(x, _)| x.split('=').next().unwrap().to_owned())
        .collect()
}

#[test]
fn rotation_changes_only_the_key_its_stamp_and_its_dependents() {
    let d = tempfile::tempdir().unwrap();
    let before = String::from_utf8(setup(d.path())).unwrap();
    // The stamp written at creation has this second; wait so the new one differs.
    std::thread::sleep(Duration::from_millis(1100));
    let o = run(
        d.path(),
        &["rotate", "--env", ".env", "--with", STACK, "JWT_SECRET"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "rotated JWT_SECRET (jwt-secret)\nupdated PGRST_JWT_SECRET, ANON_KEY, SERVICE_ROLE_KEY, HASURA_GRAPHQL_JWT_SECRET\nrestart: auth, hasura, kong, postgrest, rest\n"
    );
    let after = fs::read_to_string(d.path().join(".env")).unwrap();
    let mut changed = changed_lines(&before, &after);
    changed.sort();
    assert_eq!(
        changed,
        [
            "# rotated: ",
            "ANON_KEY",
            "HASURA_GRAPHQL_JWT_SECRET",
            "JWT_SECRET",
            "PGRST_JWT_SECRET",
            "SERVICE_ROLE_KEY"
        ]
        .map(|s| s.to_owned())
        .iter()
        .map(|s| if s.starts_with('#') {
            after
                .lines()
                .find(|l| l.starts_with(s.as_str()) && !before.contains(*l))
                .unwrap()
                .to_owned()
        } else {
            s.clone()
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
    let v = values(after.as_bytes());
    let old = values(before.as_bytes());
    assert_ne!(v["JWT_SECRET"], old["JWT_SECRET"]);
    assert_eq!(v["PGRST_JWT_SECRET"], v["JWT_SECRET"]);
    jwt::verify_hs256(
        &v["ANON_KEY"],
        v["JWT_SECRET"].as_bytes(),
        std::time::SystemTime::now(),
    )
    .unwrap();
    assert_eq!(
        jwt::verify_hs256(
            &v["ANON_KEY"],
            old["JWT_SECRET"].as_bytes(),
            std::time::UNIX_EPOCH
        ),
        Err(jwt::JwtError::Signature)
    );
    assert_eq!(mode_of(&d.path().join(".env")), 0o600);
}

#[test]
fn postgres_password_rotation_rewrites_the_url_and_keeps_the_rest() {
    let d = tempfile::tempdir().unwrap();
    let before = setup(d.path());
    let o = run(
        d.path(),
        &[
            "rotate",
            "--env",
            ".env",
            "--with",
            STACK,
            "POSTGRES_PASSWORD",
            "VAPID_PRIVATE_KEY",
            // POSTGRES_PASSWORD is stored: the server's copy changes by hand.
            "--server-changed",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let (b, a) = (
        values(&before),
        values(&fs::read(d.path().join(".env")).unwrap()),
    );
    let pw = &a["POSTGRES_PASSWORD"];
    assert_ne!(pw, &b["POSTGRES_PASSWORD"]);
    assert_eq!(
        a["DATABASE_URL"],
        format!("postgresql://postgres:{pw}@postgres:5432/app")
    );
    assert_ne!(
        a["VAPID_PUBLIC_KEY"], b["VAPID_PUBLIC_KEY"],
        "the keypair rotates as a whole"
    );
    for k in [
        "JWT_SECRET",
        "ANON_KEY",
        "IMGPROXY_KEY",
        "IMGPROXY_SALT",
        "POSTGRES_USER",
    ] {
        assert_eq!(a[k], b[k], "{k} must not change");
    }
}

#[test]
fn keep_previous_and_dry_run() {
    let d = tempfile::tempdir().unwrap();
    let before = setup(d.path());
    let o = run(
        d.path(),
        &[
            "rotate",
            "--env",
            ".env",
            "--with",
            STACK,
            "IMGPROXY_KEY",
            "--dry-run",
        ],
    );
    assert!(o.status.success());
    assert!(
        stdout(&o).starts_with(
            "would rotate IMGPROXY_KEY (imgproxy-key; class restart, catalog imgproxy)"
        ),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        fs::read(d.path().join(".env")).unwrap(),
        before,
        "--dry-run changes nothing"
    );
    let o = run(
        d.path(),
        &[
            "rotate",
            "--env",
            ".env",
            "--with",
            STACK,
            "IMGPROXY_KEY",
            "--keep-previous",
        ],
    );
    assert!(o.status.success());
    assert!(stdout(&o).contains("kept the old values in IMGPROXY_KEY_PREVIOUS"));
    assert!(
        stdout(&o).contains("rollover for IMGPROXY_KEY: imgproxy accepts lists"),
        "{}",
        stdout(&o)
    );
    let (b, a) = (
        values(&before),
        values(&fs::read(d.path().join(".env")).unwrap()),
    );
    assert_eq!(a["IMGPROXY_KEY_PREVIOUS"], b["IMGPROXY_KEY"]);
    assert_ne!(a["IMGPROXY_KEY"], b["IMGPROXY_KEY"]);
}

#[test]
fn without_a_manifest_it_infers_and_says_so() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join(".env"), "# app\nAPI_SECRET=0123456789abcdef0123456789abcdef\nDB=postgres://app:Xy7Pq2Lm9Nb4Vc8Zr3Tk6Wd1Fg5Hj0Ks@db/app\nPASS=Xy7Pq2Lm9Nb4Vc8Zr3Tk6Wd1Fg5Hj0Ks\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(d.path().join(".env"), fs::Permissions::from_mode(0o600)).unwrap();
    let o = run(d.path(), &["rotate", "--env", ".env", "API_SECRET", "PASS"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "rotated API_SECRET (inferred: hex, 16 bytes)\nrotated PASS (inferred: password, 32 alphanumeric characters)\nupdated DB\n"
    );
    let v = values(&fs::read(d.path().join(".env")).unwrap());
    assert_eq!(v["API_SECRET"].len(), 32);
    assert_eq!(v["DB"], format!("postgres://app:{}@db/app", v["PASS"]));
    let o = run(d.path(), &["rotate", "--env", ".env", "DB"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "secrets: error: cannot infer the kind of DB from its value; give its kind in a manifest (--manifest)\n");
}

#[test]
fn refusals_exit_2_and_change_nothing() {
    let d = tempfile::tempdir().unwrap();
    let before = setup(d.path());
    for (args, message) in [
        (vec!["PGRST_JWT_SECRET"], "PGRST_JWT_SECRET cannot be rotated: it is the same value as JWT_SECRET; rotate JWT_SECRET"),
        (vec!["DATABASE_URL"], "DATABASE_URL cannot be rotated: it is built from POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB; rotate those"),
        (vec!["NOT_THERE"], "NOT_THERE is not in the file"),
        (vec![], "nothing to rotate: name keys, or pass --all or --due"),
    ] {
        let o = secrets(d.path()).args(["rotate", "--env", ".env", "--with", STACK]).args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&o), format!("secrets: error: {message}\n"));
        assert!(o.stdout.is_empty());
    }
    let o = run(d.path(), &["rotate", "--env", "missing.env", "X"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o)
        .contains("missing.env: no such file; create it with `secrets write --out missing.env`"));
    let o = run(d.path(), &["rotate", "--env", ".env", "--all"]);
    assert_eq!(
        stderr(&o),
        "secrets: error: --all needs a manifest (--manifest FILE or ./secrets.toml)\n"
    );
    assert_eq!(fs::read(d.path().join(".env")).unwrap(), before);
}

#[test]
fn due_rotates_only_what_is_overdue() {
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    let o = run(
        d.path(),
        &["rotate", "--env", ".env", "--with", STACK, "--due"],
    );
    assert_eq!(stdout(&o), "nothing is due\n");
    // Age the stamps of the JWT secret and Hasura's admin secret by years.
    let text = fs::read_to_string(d.path().join(".env")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut aged: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    for key in ["JWT_SECRET=", "HASURA_GRAPHQL_ADMIN_SECRET="] {
        let i = lines.iter().position(|l| l.starts_with(key)).unwrap();
        assert!(lines[i - 1].starts_with("# generated: "), "{text}");
        aged[i - 1] = "# generated: 2024-01-01T00:00:00Z".into();
    }
    fs::write(d.path().join(".env"), aged.join("\n") + "\n").unwrap();
    let o = run(
        d.path(),
        &["rotate", "--env", ".env", "--with", STACK, "--due"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("rotated HASURA_GRAPHQL_ADMIN_SECRET (token; last rotated "),
        "{}",
        stdout(&o)
    );
    // JWT_SECRET is restart, but the anon and service keys signed with it
    // are handed to clients (issued): --due leaves it, and says so.
    assert!(
        stdout(&o).contains("skipped JWT_SECRET (restart, catalog jwt; last rotated ")
            && stdout(&o).contains("ANON_KEY follows it and is issued, catalog supabase"),
        "{}",
        stdout(&o)
    );
    assert!(!stdout(&o).contains("POSTGRES_PASSWORD"));
}

fn inject(trace: &str, inject: &str, expected: &str) {
    let d = tempfile::tempdir().unwrap();
    let before = setup(d.path());
    let o = secrets_under_strace(
        d.path(),
        trace,
        inject,
        &["rotate", "--env", ".env", "--with", STACK, "JWT_SECRET"],
    );
    assert_eq!(o.status.code(), Some(2), "{inject}: {}", stderr(&o));
    assert!(stderr(&o).contains(expected), "{inject}: {}", stderr(&o));
    assert_env_untouched(d.path(), &before, inject);
}

#[test]
fn injected_failures_leave_the_old_file() {
    if !require_strace() {
        return;
    }
    inject(
        "trace=write",
        "inject=write:error=ENOSPC:when=1",
        "write failed: No space left on device",
    );
    inject(
        "trace=fsync",
        "inject=fsync:error=EIO",
        "fsync failed: Input/output error",
    );
    inject(
        "trace=rename,renameat,renameat2",
        "inject=rename,renameat,renameat2:error=EIO",
        "rename failed: Input/output error",
    );
}

#[test]
fn sigkill_at_random_moments_leaves_the_old_or_the_new_document() {
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    let mut outcomes = [0u32; 2];
    let mut seed = std::time::UNIX_EPOCH.elapsed().map_or(1, |d| d.as_secs());
    for _ in 0..200 {
        let before = fs::read(d.path().join(".env")).unwrap();
        let old = values(&before);
        let mut child = secrets(d.path())
            .args(["rotate", "--env", ".env", "--with", STACK, "JWT_SECRET"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // xorshift: a delay from 0 to 8 ms, across the whole run of the
        // command (about 5 ms here), so kills land before, during and after
        // the write.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_micros(seed % 8000));
        let _ = child.kill();
        let _ = child.wait();
        let after = fs::read(d.path().join(".env")).unwrap();
        if after == before {
            outcomes[0] += 1;
            continue;
        }
        let new = values(&after);
        assert_eq!(
            new.keys().collect::<Vec<_>>(),
            old.keys().collect::<Vec<_>>(),
            "a partial document"
        );
        assert_ne!(new["JWT_SECRET"], old["JWT_SECRET"]);
        assert_eq!(
            new["PGRST_JWT_SECRET"], new["JWT_SECRET"],
            "a half-applied rotation"
        );
        jwt::verify_hs256(
            &new["ANON_KEY"],
            new["JWT_SECRET"].as_bytes(),
            std::time::UNIX_EPOCH,
        )
        .expect("dependents follow");
        outcomes[1] += 1;
    }
    eprintln!(
        "SIGKILL runs: {} left the old document, {} the new one",
        outcomes[0], outcomes[1]
    );
    assert_eq!(outcomes[0] + outcomes[1], 200);
    // A later run cleans what killed runs left behind.
    assert!(run(
        d.path(),
        &["rotate", "--env", ".env", "--with", STACK, "JWT_SECRET"]
    )
    .status
    .success());
    assert_eq!(dir_entries(d.path()), [".env"]);
}

#[test]
fn twenty_concurrent_rotations_of_twenty_keys_lose_no_update() {
    let d = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..20 {
        text.push_str(&format!("KEY_{i:02}={:064x}\n", i as u128 * 7919 + 1));
    }
    fs::write(d.path().join(".env"), &text).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(d.path().join(".env"), fs::Permissions::from_mode(0o600)).unwrap();
    let before = values(text.as_bytes());
    let children: Vec<_> = (0..20)
        .map(|i| {
            secrets(d.path())
                .args(["rotate", "--env", ".env", &format!("KEY_{i:02}")])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let after = values(&fs::read(d.path().join(".env")).unwrap());
    assert_eq!(after.len(), 20);
    for (k, v) in &before {
        assert_ne!(&after[k], v, "{k} lost its rotation");
        assert_eq!(after[k].len(), 64);
    }
}
