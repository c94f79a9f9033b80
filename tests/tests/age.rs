//! age encryption at rest, against the real `age` CLI: round trips both
//! ways with X25519, ssh-ed25519 and ssh-rsa keys; `write --from` creates no
//! plaintext file but its 0600 temporary; damaged input, a wrong key, a
//! passphrase-protected key and missing recipients exit 2 and touch
//! nothing; `rotate`, `edit` and `run` on `.env.age`; the audit's view of
//! encrypted files.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use secrets_core::envfile::Document;
use secrets_tests::{
    dir_entries, have_program, mode_of, require, require_strace, secrets, secrets_bin,
};

/// A `.env` with the values that are easy to get wrong: quotes, `$`, `#`,
/// non-ASCII, empty, multi-line, `export`.
const TRICKY: &str = "# comment\nPLAIN=value\nQUOTED=\"with spaces and \\\"quotes\\\"\"\nSINGLE='$NOT_EXPANDED #hash'\nUNICODE=pässwörd✓\nEMPTY=\nMULTI=\"line1\nline2\"\nexport EXPORTED=1\n";

/// Skips locally (fails under CI=true) without the age and ssh-keygen tools.
fn tools() -> bool {
    require(
        have_program("age") && have_program("age-keygen"),
        "age",
        "apt-get install age",
    ) && require(
        have_program("ssh-keygen"),
        "ssh-keygen",
        "apt-get install openssh-client",
    )
}

fn run_ok(c: &mut Command) -> Output {
    let o = c.output().expect("the program runs");
    assert!(
        o.status.success(),
        "{c:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A key pair: the private key file and the public key (recipient) file.
struct Key {
    what: &'static str,
    private: PathBuf,
    public: PathBuf,
}

/// An X25519 key from `age-keygen` and SSH keys from `ssh-keygen`.
fn keys(dir: &Path) -> Vec<Key> {
    let x = dir.join("x25519.key");
    run_ok(Command::new("age-keygen").arg("-o").arg(&x));
    let out = run_ok(Command::new("age-keygen").arg("-y").arg(&x));
    fs::write(dir.join("x25519.pub"), &out.stdout).unwrap();
    let mut keys = vec![Key {
        what: "x25519",
        private: x,
        public: dir.join("x25519.pub"),
    }];
    for (what, t) in [("ed25519", "ed25519"), ("rsa", "rsa")] {
        let p = dir.join(what);
        run_ok(
            Command::new("ssh-keygen")
                .args(["-q", "-t", t, "-N", "", "-C", "test", "-f"])
                .arg(&p),
        );
        keys.push(Key {
            what,
            public: p.with_extension("pub"),
            private: p,
        });
    }
    keys
}

/// One X25519 key in `dir`.
fn x25519(dir: &Path) -> Key {
    let x = dir.join("x25519.key");
    run_ok(Command::new("age-keygen").arg("-o").arg(&x));
    let out = run_ok(Command::new("age-keygen").arg("-y").arg(&x));
    fs::write(dir.join("x25519.pub"), &out.stdout).unwrap();
    Key {
        what: "x25519",
        private: x,
        public: dir.join("x25519.pub"),
    }
}

fn age_decrypt(key: &Path, file: &Path) -> Vec<u8> {
    run_ok(Command::new("age").arg("-d").arg("-i").arg(key).arg(file)).stdout
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn value(doc: &Document, key: &str) -> String {
    doc.get(key).unwrap().expose().to_owned()
}

#[test]
fn secrets_encrypts_and_age_decrypts_the_exact_bytes() {
    if !tools() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join(".env"), TRICKY).unwrap();
    for key in keys(d.path()) {
        for armor in [false, true] {
            let out = d.path().join(format!("{}-{armor}.age", key.what));
            let mut c = secrets(d.path());
            c.args([
                "encrypt",
                "--env",
                ".env",
                "-R",
                s(&key.public),
                "--out",
                s(&out),
            ]);
            if armor {
                c.arg("--armor");
            }
            run_ok(&mut c);
            assert_eq!(mode_of(&out), 0o600);
            let head = fs::read(&out).unwrap();
            let expected: &[u8] = if armor {
                b"-----BEGIN AGE ENCRYPTED FILE-----"
            } else {
                b"age-encryption.org/v1\n"
            };
            assert!(head.starts_with(expected), "{} armor={armor}", key.what);
            assert_eq!(
                age_decrypt(&key.private, &out),
                TRICKY.as_bytes(),
                "{} armor={armor}",
                key.what
            );
        }
    }
}

#[test]
fn age_encrypts_and_secrets_decrypts_and_writes_the_exact_values() {
    if !tools() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join(".env"), TRICKY).unwrap();
    let original = Document::parse(TRICKY.as_bytes()).unwrap();
    fs::create_dir(d.path().join("srv")).unwrap();
    for key in keys(d.path()) {
        for armor in [false, true] {
            let f = d.path().join(format!("{}-{armor}.age", key.what));
            let mut c = Command::new("age");
            c.arg("-R").arg(&key.public).arg("-o").arg(&f);
            if armor {
                c.arg("-a");
            }
            run_ok(c.arg(d.path().join(".env")));
            let what = format!("{} armor={armor}", key.what);
            let o =
                run_ok(secrets(d.path()).args(["decrypt", "--env", s(&f), "-i", s(&key.private)]));
            assert_eq!(o.stdout, TRICKY.as_bytes(), "decrypt {what}");
            let target = d
                .path()
                .join("srv")
                .join(format!("{}-{armor}.env", key.what));
            run_ok(secrets(d.path()).args([
                "write",
                "--out",
                s(&target),
                "--from",
                s(&f),
                "-i",
                s(&key.private),
            ]));
            assert_eq!(mode_of(&target), 0o600, "{what}");
            let written = fs::read(&target).unwrap();
            assert_eq!(written, TRICKY.as_bytes(), "write --from {what}");
            let doc = Document::parse(&written).unwrap();
            for k in original.keys() {
                assert_eq!(value(&doc, k), value(&original, k), "{k} {what}");
            }
        }
    }
}

#[test]
fn write_from_creates_no_plaintext_file_but_the_0600_temporary() {
    if !tools() || !require_strace() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let key = x25519(d.path());
    fs::write(d.path().join("plain"), TRICKY).unwrap();
    run_ok(
        Command::new("age")
            .arg("-R")
            .arg(&key.public)
            .arg("-o")
            .arg(d.path().join("f.age"))
            .arg(d.path().join("plain")),
    );
    fs::remove_file(d.path().join("plain")).unwrap();
    fs::create_dir(d.path().join("srv")).unwrap();
    let log = d.path().join("trace");
    let status = Command::new("sh")
        .current_dir(d.path())
        .arg("-c")
        .arg(format!(
            "umask 000; exec strace -f -qq -o '{}' -e trace=open,openat,openat2,creat '{}' write --out srv/.env --from f.age -i '{}' 2>/dev/null",
            log.display(),
            secrets_bin().display(),
            key.private.display()
        ))
        .status()
        .unwrap();
    assert!(status.success());
    let trace = fs::read_to_string(&log).unwrap();
    // rustix opens by path with open(2), not openat(2): both are traced.
    assert!(
        trace.contains("\"f.age\", O_RDONLY"),
        "the trace sees the reads: {trace}"
    );
    let writable: Vec<&str> = trace
        .lines()
        .filter(|l| {
            l.contains("O_CREAT")
                || l.contains("O_WRONLY")
                || l.contains("O_RDWR")
                || l.contains("creat(")
        })
        .collect();
    assert_eq!(
        writable.len(),
        1,
        "one file opened for writing: {writable:#?}"
    );
    let temp = writable[0];
    assert!(
        temp.contains("\"..env.tmp-")
            && temp.contains("O_CREAT")
            && temp.contains("O_EXCL")
            && temp.contains("O_NOFOLLOW")
            && temp.contains("0600"),
        "{temp}"
    );
    assert_eq!(
        fs::read(d.path().join("srv/.env")).unwrap(),
        TRICKY.as_bytes()
    );
    assert_eq!(mode_of(&d.path().join("srv/.env")), 0o600);
    assert_eq!(dir_entries(&d.path().join("srv")), [".env"]);
}

/// Every way decrypting can fail exits 2 with one line, prints nothing,
/// and leaves the target and its directory exactly as they were.
#[test]
fn damage_wrong_keys_and_missing_recipients_exit_2_and_touch_nothing() {
    if !tools() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let key = x25519(dir);
    let other = dir.join("other.key");
    run_ok(Command::new("age-keygen").arg("-o").arg(&other));
    let protected = dir.join("protected");
    run_ok(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "a passphrase", "-f"])
            .arg(&protected),
    );
    fs::write(dir.join(".env"), TRICKY).unwrap();
    run_ok(secrets(dir).args([
        "encrypt",
        "--env",
        ".env",
        "-R",
        s(&key.public),
        "--out",
        "good.age",
    ]));
    let good = fs::read(dir.join("good.age")).unwrap();
    // One byte of the payload (the last chunk, past the header and nonce).
    let mut tampered = good.clone();
    let at = tampered.len() - 20;
    tampered[at] ^= 0x01;
    fs::write(dir.join("tampered.age"), &tampered).unwrap();
    fs::write(dir.join("truncated.age"), &good[..good.len() - 7]).unwrap();
    let header_end = good.windows(4).position(|w| w == b"\n---").unwrap();
    fs::write(dir.join("header-only.age"), &good[..header_end + 1]).unwrap();
    fs::write(dir.join("plain.age"), TRICKY).unwrap();

    fs::create_dir(dir.join("srv")).unwrap();
    let target = dir.join("srv/.env");
    fs::write(&target, "KEEP=me\n").unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
    let untouched = |what: &str| {
        assert_eq!(fs::read(&target).unwrap(), b"KEEP=me\n", "{what}");
        assert_eq!(dir_entries(&dir.join("srv")), [".env"], "{what}");
    };
    let cases: [(&str, &Path, &str); 6] = [
        (
            "tampered.age",
            &key.private,
            "changed, damaged or truncated",
        ),
        (
            "truncated.age",
            &key.private,
            "changed, damaged or truncated",
        ),
        (
            "header-only.age",
            &key.private,
            "changed, damaged or truncated",
        ),
        (
            "good.age",
            &other,
            "none of the identities given can decrypt it",
        ),
        ("good.age", &protected, "passphrase-protected SSH key"),
        ("plain.age", &key.private, "not an age-encrypted file"),
    ];
    for (file, identity, message) in cases {
        let what = format!("{file} with {}", identity.display());
        for args in [
            vec![
                "write",
                "--out",
                "srv/.env",
                "--from",
                file,
                "-i",
                s(identity),
            ],
            vec!["decrypt", "--env", file, "-i", s(identity)],
        ] {
            let o = secrets(dir).args(&args).output().unwrap();
            assert_eq!(
                o.status.code(),
                Some(2),
                "{what} {}: {}",
                args[0],
                stderr(&o)
            );
            assert!(stderr(&o).contains(message), "{what}: {}", stderr(&o));
            assert_eq!(stderr(&o).lines().count(), 1, "{what}: {}", stderr(&o));
            assert!(o.stdout.is_empty(), "{what}: output on stdout");
            untouched(&what);
        }
    }
    // No recipients anywhere: nothing is created, nothing is replaced.
    let o = secrets(dir)
        .args(["encrypt", "--env", ".env", "--out", "none.age"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no recipients"), "{}", stderr(&o));
    assert!(!dir.join("none.age").exists());
    let o = secrets(dir)
        .args([
            "rotate",
            "--env",
            "good.age",
            "-i",
            s(&key.private),
            "PLAIN",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no recipients"), "{}", stderr(&o));
    assert_eq!(fs::read(dir.join("good.age")).unwrap(), good);
}

/// `rotate` on an armored `.env.age` with the manifest's recipients file:
/// `age -d` of the result differs from the old plaintext only in the
/// rotated key, its dependent and their rotation stamps.
#[test]
fn rotate_reencrypts_and_only_the_rotated_keys_and_dependents_change() {
    if !tools() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let key = x25519(dir);
    fs::write(
        dir.join("secrets.toml"),
        "[stack]\ninclude = [\"postgres\", \"redis\"]\nrecipients_file = \"x25519.pub\"\n",
    )
    .unwrap();
    run_ok(secrets(dir).args(["write", "--out", ".env"]));
    let before = fs::read_to_string(dir.join(".env")).unwrap();
    run_ok(secrets(dir).args(["encrypt", "--env", ".env", "--armor", "--out", ".env.age"]));
    fs::remove_file(dir.join(".env")).unwrap();
    let o = run_ok(secrets(dir).args([
        "rotate",
        "--env",
        ".env.age",
        "-i",
        s(&key.private),
        "POSTGRES_PASSWORD",
        // Stored: the server's copy changes by hand (no server here).
        "--server-changed",
    ]));
    assert!(String::from_utf8_lossy(&o.stdout).contains("updated DATABASE_URL"));
    let sealed = fs::read(dir.join(".env.age")).unwrap();
    assert!(
        sealed.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"),
        "armor is kept"
    );
    assert_eq!(mode_of(&dir.join(".env.age")), 0o600);
    let after = String::from_utf8(age_decrypt(&key.private, &dir.join(".env.age"))).unwrap();
    let (b, a): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    assert_eq!(a.len(), b.len(), "{after}");
    let changed: Vec<&str> = b
        .iter()
        .zip(&a)
        .filter(|(x, y)| x != y)
        .map(|(_, y)| *y)
        .collect();
    for line in &changed {
        assert!(
            line.starts_with("POSTGRES_PASSWORD=")
                || line.starts_with("DATABASE_URL=")
                || line.starts_with("# rotated:"),
            "an unrelated line changed: {line}"
        );
    }
    let (old, new) = (
        Document::parse(before.as_bytes()).unwrap(),
        Document::parse(after.as_bytes()).unwrap(),
    );
    for k in ["POSTGRES_PASSWORD", "DATABASE_URL"] {
        assert_ne!(value(&old, k), value(&new, k), "{k} rotated");
    }
    assert!(new
        .get("DATABASE_URL")
        .unwrap()
        .expose()
        .contains(&value(&new, "POSTGRES_PASSWORD")));
    assert_eq!(value(&old, "REDIS_PASSWORD"), value(&new, "REDIS_PASSWORD"));
}

#[test]
fn run_keeps_the_callers_environment_unless_asked_to_override() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fs::write(dir.join(".env"), "TOKEN=from-the-file\nUSER_NAME=app\n").unwrap();
    let show = ["sh", "-c", "printf %s \"$TOKEN:$USER_NAME\""];
    // The caller's TOKEN wins, and the note names it (never its value).
    let o = run_ok(
        secrets(dir)
            .env("TOKEN", "from-the-caller")
            .args(["run", "--env", ".env", "--"])
            .args(show),
    );
    assert_eq!(o.stdout, b"from-the-caller:app");
    let note = stderr(&o);
    assert!(
        note.contains("TOKEN") && !note.contains("from-the"),
        "{note}"
    );
    // --override (and dotenvx's --overload) lets the file win.
    for flag in ["--override", "--overload"] {
        let o = run_ok(
            secrets(dir)
                .env("TOKEN", "from-the-caller")
                .args(["run", "--env", ".env", flag, "--"])
                .args(show),
        );
        assert_eq!(o.stdout, b"from-the-file:app", "{flag}");
    }
    // --only applies the same rule to the keys it names.
    let o = run_ok(
        secrets(dir)
            .env("USER_NAME", "caller")
            .args(["run", "--env", ".env", "--only", "USER_NAME", "--"])
            .args(["sh", "-c", "printf %s \"${TOKEN-unset}:$USER_NAME\""]),
    );
    assert_eq!(o.stdout, b"unset:caller");
}

#[test]
fn run_puts_values_in_the_environment_and_execs_in_place() {
    if !tools() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let key = x25519(dir);
    fs::write(
        dir.join(".env"),
        "TOKEN=s3cr3t-run-value-42\nUSER_NAME=app\n",
    )
    .unwrap();
    run_ok(secrets(dir).args([
        "encrypt",
        "--env",
        ".env",
        "-R",
        s(&key.public),
        "--out",
        ".env.age",
    ]));
    let id = s(&key.private);
    for file in [".env", ".env.age"] {
        let o = run_ok(secrets(dir).args([
            "run",
            "--env",
            file,
            "-i",
            id,
            "--",
            "sh",
            "-c",
            "printf %s \"$TOKEN:$USER_NAME\"",
        ]));
        assert_eq!(o.stdout, b"s3cr3t-run-value-42:app", "{file}");
    }
    let o = run_ok(secrets(dir).args([
        "run",
        "--env",
        ".env.age",
        "-i",
        id,
        "--only",
        "USER_NAME",
        "--",
        "sh",
        "-c",
        "printf %s \"${TOKEN-unset}:$USER_NAME\"",
    ]));
    assert_eq!(o.stdout, b"unset:app");
    let o = secrets(dir)
        .args([
            "run", "--env", ".env.age", "-i", id, "--", "sh", "-c", "exit 3",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    // The command starts as it would without secrets in between: the same
    // ignored and blocked signals as when run directly (std ignores SIGPIPE
    // in secrets), and the caller's core limit (secrets runs with 0).
    let sig = ["-E", "^Sig(Ign|Blk)", "/proc/self/status"];
    let o = run_ok(
        secrets(dir)
            .args(["run", "--env", ".env", "--", "grep"])
            .args(sig),
    );
    assert_eq!(o.stdout, run_ok(Command::new("grep").args(sig)).stdout);
    let o = run_ok(Command::new("sh").current_dir(dir).arg("-c").arg(format!(
        "ulimit -c 1234; exec '{}' run --env .env -- sh -c 'ulimit -c'",
        secrets_bin().display()
    )));
    assert_eq!(o.stdout, b"1234\n");
    let o = secrets(dir)
        .args(["run", "--env", ".env", "--", "no-such-command-x"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(127), "{}", stderr(&o));

    // Same PID after exec: its cmdline becomes the command's (no value in
    // it), its environment holds the value, and SIGTERM sent to that PID
    // ends the command itself.
    let mut child = secrets(dir)
        .args(["run", "--env", ".env.age", "-i", id, "--", "sleep", "30"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(20);
    let cmdline = loop {
        let c = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if c.starts_with(b"sleep\0") {
            break c;
        }
        assert!(
            Instant::now() < deadline,
            "no exec: {}",
            String::from_utf8_lossy(&c)
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(cmdline, b"sleep\x0030\x00");
    let environ = fs::read(format!("/proc/{pid}/environ")).unwrap();
    assert!(
        environ
            .split(|&b| b == 0)
            .any(|v| v == b"TOKEN=s3cr3t-run-value-42"),
        "the value is in the command's environment"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(15), "{status:?}");
}

/// The editor script: records where it was run, changes one value, and
/// leaves the backup files editors leave.
const EDITOR: &str = r#"f="$1"
printf '%s\n' "$f" > "$EDIT_LOG/path"
stat -c '%a' "$f" > "$EDIT_LOG/mode"
stat -c '%a' "$(dirname "$f")" > "$EDIT_LOG/dirmode"
grep -q '^USER_NAME=app$' "$f" || exit 9
sed -i 's/^USER_NAME=app$/USER_NAME=edited/' "$f"
b=$(basename "$f"); p=$(dirname "$f")
: > "$f~"; : > "$p/.$b.swp"; : > "$p/#$b#"
"#;

#[test]
fn edit_reencrypts_the_change_and_leaves_no_temporary_file() {
    if !tools() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let key = x25519(dir);
    let plain = "TOKEN=keep-this-value-1\nUSER_NAME=app\n";
    fs::write(dir.join(".env"), plain).unwrap();
    run_ok(secrets(dir).args([
        "encrypt",
        "--env",
        ".env",
        "-R",
        s(&key.public),
        "--out",
        ".env.age",
    ]));
    fs::remove_file(dir.join(".env")).unwrap();
    let runtime = dir.join("runtime");
    let log = dir.join("log");
    fs::create_dir(&runtime).unwrap();
    fs::create_dir(&log).unwrap();
    fs::set_permissions(&runtime, fs::Permissions::from_mode(0o700)).unwrap();
    fs::write(dir.join("editor.sh"), EDITOR).unwrap();
    let edit = |editor: &str| {
        secrets(dir)
            .args([
                "edit",
                ".env.age",
                "-i",
                s(&key.private),
                "-R",
                s(&key.public),
            ])
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("EDIT_LOG", &log)
            // Split on whitespace: the program, its argument, then the file.
            .env("EDITOR", editor)
            .output()
            .unwrap()
    };
    let o = edit(&format!("sh {}", dir.join("editor.sh").display()));
    assert!(o.status.success(), "{}", stderr(&o));
    let edited_at = PathBuf::from(fs::read_to_string(log.join("path")).unwrap().trim());
    assert!(edited_at.starts_with(&runtime), "{}", edited_at.display());
    assert_eq!(fs::read_to_string(log.join("mode")).unwrap().trim(), "600");
    assert_eq!(
        fs::read_to_string(log.join("dirmode")).unwrap().trim(),
        "700"
    );
    assert!(
        dir_entries(&runtime).is_empty(),
        "left behind: {:?}",
        dir_entries(&runtime)
    );
    assert!(stderr(&o).contains(".env~"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("outside that directory"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        age_decrypt(&key.private, &dir.join(".env.age")),
        b"TOKEN=keep-this-value-1\nUSER_NAME=edited\n"
    );
    assert_eq!(mode_of(&dir.join(".env.age")), 0o600);
    assert_eq!(
        dir_entries(dir),
        [
            ".env.age",
            "editor.sh",
            "log",
            "runtime",
            "x25519.key",
            "x25519.pub"
        ]
    );

    // A failing editor and an invalid result change nothing, and leave nothing.
    let sealed = fs::read(dir.join(".env.age")).unwrap();
    fs::write(
        dir.join("bad.sh"),
        "printf 'A=\"unterminated\\n' > \"$1\"\n",
    )
    .unwrap();
    for editor in [
        "false".to_owned(),
        format!("sh {}", dir.join("bad.sh").display()),
    ] {
        let o = edit(&editor);
        assert_eq!(o.status.code(), Some(2), "{editor}: {}", stderr(&o));
        assert_eq!(fs::read(dir.join(".env.age")).unwrap(), sealed, "{editor}");
        assert!(
            dir_entries(&runtime).is_empty(),
            "{editor}: {:?}",
            dir_entries(&runtime)
        );
    }
}

#[test]
fn generate_encrypt_to_prints_only_ciphertext() {
    if !tools() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let key = x25519(d.path());
    let public = fs::read_to_string(&key.public).unwrap();
    for armor in [false, true] {
        let mut c = secrets(d.path());
        c.args([
            "generate",
            "--with",
            "postgres",
            "--encrypt-to",
            public.trim(),
        ]);
        if armor {
            c.arg("--armor");
        }
        let o = run_ok(&mut c);
        let expected: &[u8] = if armor {
            b"-----BEGIN AGE ENCRYPTED FILE-----"
        } else {
            b"age-encryption.org/v1\n"
        };
        assert!(o.stdout.starts_with(expected));
        assert!(!String::from_utf8_lossy(&o.stdout).contains("POSTGRES_PASSWORD"));
        fs::write(d.path().join("g.age"), &o.stdout).unwrap();
        let doc = Document::parse(&age_decrypt(&key.private, &d.path().join("g.age"))).unwrap();
        assert_eq!(value(&doc, "POSTGRES_PASSWORD").len(), 32);
    }
}

#[test]
fn check_and_export_read_an_encrypted_env_with_its_key() {
    if !tools() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let key = x25519(dir);
    run_ok(secrets(dir).args(["write", "--out", ".env", "--with", "postgres"]));
    run_ok(secrets(dir).args([
        "encrypt",
        "--env",
        ".env",
        "-R",
        s(&key.public),
        "--out",
        ".env.age",
    ]));
    let password = value(
        &Document::parse(&fs::read(dir.join(".env")).unwrap()).unwrap(),
        "POSTGRES_PASSWORD",
    );
    let o = run_ok(secrets(dir).args([
        "check",
        "--env",
        ".env.age",
        "-i",
        s(&key.private),
        "--with",
        "postgres",
    ]));
    assert!(!String::from_utf8_lossy(&o.stdout).contains(&password));
    let o = secrets(dir)
        .args(["check", "--env", ".env.age", "--with", "postgres"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("give the key that decrypts it with -i"),
        "{}",
        stderr(&o)
    );
    let o = run_ok(secrets(dir).args([
        "export",
        "k8s",
        "--env",
        ".env.age",
        "-i",
        s(&key.private),
        "--with",
        "postgres",
        "--name",
        "app",
    ]));
    let expected = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&password)
    };
    assert!(String::from_utf8_lossy(&o.stdout).contains(&expected));
}

fn git(dir: &Path, args: &[&str]) {
    run_ok(
        Command::new("git")
            .current_dir(dir)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.com",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args),
    );
}

/// `(rule, file name)` of each finding of a JSON audit report.
fn audit(dir: &Path) -> Vec<(String, String)> {
    let o = secrets(dir)
        .args(["audit", "--format", "json"])
        .output()
        .unwrap();
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = PathBuf::from(f["path"].as_str().unwrap());
            (
                f["rule"].as_str().unwrap().to_owned(),
                path.file_name().unwrap().to_string_lossy().into_owned(),
            )
        })
        .collect()
}

#[test]
fn audit_accepts_committed_ciphertext_and_flags_plaintext_beside_it() {
    if !tools() || !require(have_program("git"), "git", "apt-get install git") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("repo");
    fs::create_dir(&repo).unwrap();
    fs::set_permissions(&repo, fs::Permissions::from_mode(0o700)).unwrap();
    let key = x25519(d.path());
    git(&repo, &["init", "-q"]);
    fs::write(d.path().join("plain"), "TOKEN=committed-but-encrypted-1\n").unwrap();
    run_ok(secrets(d.path()).args([
        "encrypt",
        "--env",
        "plain",
        "-R",
        s(&key.public),
        "--out",
        "repo/.env.age",
    ]));
    // Readable by all, tracked, in the history: fine for ciphertext.
    fs::set_permissions(repo.join(".env.age"), fs::Permissions::from_mode(0o644)).unwrap();
    git(&repo, &["add", ".env.age"]);
    git(&repo, &["commit", "-q", "-m", "encrypted secrets"]);
    let found = audit(&repo);
    assert!(
        !found.iter().any(|(_, f)| f == ".env.age"),
        "ciphertext is not a finding: {found:?}"
    );
    // The same file in plaintext would have been.
    fs::write(repo.join(".env.other"), "TOKEN=x\n").unwrap();
    fs::set_permissions(repo.join(".env.other"), fs::Permissions::from_mode(0o644)).unwrap();
    let found = audit(&repo);
    for rule in ["SA001", "SA004"] {
        assert!(
            found.contains(&(rule.into(), ".env.other".into())),
            "{rule}: {found:?}"
        );
    }
    fs::remove_file(repo.join(".env.other")).unwrap();
    // Its plaintext beside it, private and ignored: still high.
    fs::write(repo.join(".gitignore"), ".env\n").unwrap();
    fs::write(repo.join(".env"), "TOKEN=committed-but-encrypted-1\n").unwrap();
    fs::set_permissions(repo.join(".env"), fs::Permissions::from_mode(0o600)).unwrap();
    let found = audit(&repo);
    assert_eq!(
        found,
        [("SA017".to_owned(), ".env".to_owned())],
        "{found:?}"
    );
    let o = secrets(&repo).args(["audit"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "a high finding fails the audit");
}

/// `write --from`: the decrypted file replaces the target's content (no
/// merge), the manifest completes it, a variable the encrypted file lacks
/// keeps the target's value, and a second run changes nothing.
#[test]
fn write_from_replaces_the_target_and_keeps_values_only_for_what_the_file_lacks() {
    if !tools() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let key = x25519(dir);
    run_ok(secrets(dir).args(["write", "--out", "src.env", "--with", "postgres"]));
    run_ok(secrets(dir).args([
        "encrypt",
        "--env",
        "src.env",
        "-R",
        s(&key.public),
        "--out",
        "src.age",
    ]));
    let source = Document::parse(&fs::read(dir.join("src.env")).unwrap()).unwrap();
    fs::create_dir(dir.join("srv")).unwrap();
    fs::write(
        dir.join("srv/.env"),
        "OLD=gone\nREDIS_PASSWORD=kept-from-the-target-1\n",
    )
    .unwrap();
    let write = || {
        run_ok(secrets(dir).args([
            "write",
            "--out",
            "srv/.env",
            "--from",
            "src.age",
            "-i",
            s(&key.private),
            "--with",
            "postgres,redis",
        ]))
    };
    let o = write();
    assert!(
        stderr(&o).contains("REDIS_PASSWORD, REDIS_URL not in src.age"),
        "{}",
        stderr(&o)
    );
    let written = fs::read(dir.join("srv/.env")).unwrap();
    let doc = Document::parse(&written).unwrap();
    assert!(doc.get("OLD").is_none(), "replaced, not merged");
    assert_eq!(value(&doc, "REDIS_PASSWORD"), "kept-from-the-target-1");
    for k in source.keys() {
        assert_eq!(value(&doc, k), value(&source, k), "{k}");
    }
    let o = write();
    assert!(stderr(&o).contains("is up to date"), "{}", stderr(&o));
    assert_eq!(fs::read(dir.join("srv/.env")).unwrap(), written);
}
