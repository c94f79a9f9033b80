//! The hostile-tree suite: root runs `secrets` over directories that an
//! unprivileged local user (`secrets-attacker`, run with setpriv) can write
//! to, and every attack of the old release is tried again. Each test proves
//! that the victim file or directory keeps its bytes, mode, owner, inode and
//! change time, and checks the exit code and what `secrets` says.
//!
//! Race tests run the attacker as a loop in a separate process for at least
//! 200 attempts of the operation and count the attempts it won.
//! `SECRETS_BIN=/path/to/secrets` runs the suite against another build.

use std::fs::{self, OpenOptions};
use std::os::unix::fs::{symlink, MetadataExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use secrets_core::envfile::Document;
use secrets_tests::attacker::{
    self, chmod, code, file, findings, give, mkdir, public_tempdir, python, require_attacker,
    rules, run_watched, secrets, secrets_after, secrets_bin, snapshot, stderr, stdout, unchanged,
    Running, Snapshot, NAME,
};
use secrets_tests::{dir_entries, have_program, is_root, require};

/// How many times a race test repeats the operation it races.
const ATTEMPTS: usize = 200;

/// The watchdog of the inputs that must never block.
const WATCHDOG: Duration = Duration::from_secs(10);

/// A value no rule complains about.
const TOKEN: &[u8] = b"API_TOKEN=Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA\n";

fn assert_unchanged(path: &Path, before: &Snapshot, context: &str) {
    attacker::assert_unchanged(path, before, context);
}

/// A complete `.env` for `--with COMPONENTS`, from `generate` on a pipe.
fn generated(components: &str) -> Vec<u8> {
    let o = secrets(Path::new("/"))
        .args(["generate", "--with", components])
        .output()
        .unwrap();
    assert_eq!(code(&o), Ok(0), "{}", stderr(&o));
    o.stdout
}

/// `git` in `dir` as root, which must succeed.
fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
}

/// A git work tree owned by the attacker, as a checkout it maintains is.
fn attackers_repo(path: &Path) {
    mkdir(path, 0o755, true);
    git(path, &["init", "-q", "."]);
    let o = Command::new("chown")
        .args(["-R", &format!("{NAME}:{NAME}")])
        .arg(path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

/// An admin who marked checkouts safe (`safe.directory=*`), so that root's
/// git answers in the attacker's tree and the ignore fixes are attempted.
fn trusting_git(c: &mut Command) -> &mut Command {
    c.env("GIT_CONFIG_COUNT", "1")
        .env("GIT_CONFIG_KEY_0", "safe.directory")
        .env("GIT_CONFIG_VALUE_0", "*")
}

fn require_git() -> bool {
    require(have_program("git"), "git", "apt-get install git")
}

/// Removes everything in `dir` (the attacker may be adding entries).
fn empty(dir: &Path) {
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let _ = match fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(&p),
            _ => fs::remove_file(&p),
        };
    }
}

/// Tally of exit codes and refusals over the attempts of a race.
#[derive(Debug, Default)]
struct Tally {
    ok: usize,
    refused: usize,
    other: Vec<String>,
}

impl Tally {
    /// Counts `o`; anything but success or a one-line refusal is kept.
    fn add(&mut self, o: &Output) {
        match code(o) {
            Ok(0 | 1) => self.ok += 1,
            Ok(2) if stderr(o).lines().any(|l| l.starts_with("secrets: error: ")) => {
                self.refused += 1
            }
            c => self.other.push(format!("{c:?}: {}", stderr(o))),
        }
    }
}

// 1. A compose file in the audited tree names a file outside it.
#[test]
fn compose_env_file_outside_the_tree_is_reported_not_fixed() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let victim = base.path().join("victim");
    file(&victim, b"VICTIM_TOKEN=kept-by-root\n", 0o644, false);
    let elsewhere = base.path().join("elsewhere");
    mkdir(&elsewhere, 0o755, false);
    let absolute = elsewhere.join("victim.env");
    file(&absolute, b"OTHER_TOKEN=kept-by-root\n", 0o644, false);
    for (tree, reference, target) in [
        ("relative", "../victim".to_owned(), &victim),
        ("absolute", absolute.display().to_string(), &absolute),
    ] {
        let dir = base.path().join(tree);
        mkdir(&dir, 0o755, true);
        let compose =
            format!("services:\n  app:\n    image: busybox\n    env_file:\n      - {reference}\n");
        file(&dir.join("compose.yml"), compose.as_bytes(), 0o644, true);
        let before = snapshot(target);
        let o = secrets(base.path())
            .args(["audit", "--fix", "--format", "json", "--owner", NAME, tree])
            .output()
            .unwrap();
        assert_unchanged(target, &before, &format!("env_file: {reference}"));
        assert_eq!(code(&o), Ok(1), "{reference}: {}", stderr(&o));
        assert!(
            rules(&o).contains(&"SA015".to_owned()),
            "env_file: {reference}: no SA015 finding in {:?}; stderr: {}",
            rules(&o),
            stderr(&o)
        );
    }
}

// 2. `.gitignore` is a symlink to a root-owned file.
#[test]
fn gitignore_symlink_to_a_root_file_is_not_appended_to() {
    if !require_attacker() || !require_git() {
        return;
    }
    let base = public_tempdir();
    let victim = base.path().join("profile");
    file(&victim, b"export PATH=/usr/bin:/bin\n", 0o644, false);
    let repo = base.path().join("repo");
    attackers_repo(&repo);
    file(&repo.join(".env"), TOKEN, 0o600, true);
    symlink(&victim, repo.join(".gitignore")).unwrap();
    give(&repo.join(".gitignore"));
    let before = snapshot(&victim);
    let o = trusting_git(&mut secrets(base.path()))
        .args(["audit", "--fix", "--format", "json", "repo"])
        .output()
        .unwrap();
    assert_unchanged(&victim, &before, "audit --fix");
    assert_eq!(code(&o), Ok(1), "{}", stderr(&o));
    assert!(
        rules(&o).contains(&"SA004".to_owned()),
        "the not-ignored finding remains: {:?}",
        rules(&o)
    );
    assert!(stderr(&o).contains(".gitignore"), "{}", stderr(&o));
}

// 2. `.gitignore` is a dangling symlink into a directory of root's.
#[test]
fn dangling_gitignore_symlink_creates_nothing() {
    if !require_attacker() || !require_git() {
        return;
    }
    let base = public_tempdir();
    let victim_dir = base.path().join("victim-dir");
    mkdir(&victim_dir, 0o755, false);
    let repo = base.path().join("repo");
    attackers_repo(&repo);
    file(&repo.join(".env"), TOKEN, 0o600, true);
    symlink(victim_dir.join("new"), repo.join(".gitignore")).unwrap();
    give(&repo.join(".gitignore"));
    let before = snapshot(&victim_dir);
    let o = trusting_git(&mut secrets(base.path()))
        .args(["audit", "--fix", "--format", "json", "repo"])
        .output()
        .unwrap();
    assert_unchanged(&victim_dir, &before, "audit --fix");
    assert_eq!(code(&o), Ok(1), "{}", stderr(&o));
    assert!(
        rules(&o).contains(&"SA004".to_owned()),
        "the not-ignored finding remains: {:?}",
        rules(&o)
    );
    assert!(stderr(&o).contains(".gitignore"), "{}", stderr(&o));
}

// 2. A secret file whose name holds a newline, so that its ignore line
// would become two: the second un-ignores the real `.env`.
#[test]
fn newline_in_a_secret_name_forges_no_gitignore_line() {
    if !require_attacker() || !require_git() {
        return;
    }
    let base = public_tempdir();
    let repo = base.path().join("repo");
    attackers_repo(&repo);
    file(&repo.join(".gitignore"), b"/.env\n", 0o644, true);
    file(&repo.join(".env"), TOKEN, 0o600, true);
    file(&repo.join(".env.a\n!.env"), TOKEN, 0o600, true);
    let o = trusting_git(&mut secrets(base.path()))
        .args(["audit", "--fix", "--format", "json", "repo"])
        .output()
        .unwrap();
    let ignore = fs::read_to_string(repo.join(".gitignore")).unwrap();
    assert!(
        !ignore.lines().any(|l| l.trim() == "!.env"),
        "a forged line un-ignores .env:\n{ignore}"
    );
    assert!(
        ignore.lines().count() <= 2,
        "one line at most was added:\n{ignore}"
    );
    let still = trusting_git(&mut Command::new("git"))
        .current_dir(&repo)
        .args(["check-ignore", "-q", ".env"])
        .status()
        .unwrap();
    assert!(still.success(), ".env is no longer ignored:\n{ignore}");
    // Escaped (then the finding is gone) or refused (then it remains).
    assert!(matches!(code(&o), Ok(0 | 1)), "{}", stderr(&o));
}

// 3. `.env` is a hard link to a root file; `write` finds it up to date, so
// the old release only chmod'ed and chown'ed it: the other name's inode.
#[test]
fn hard_linked_env_is_refused_by_write() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let victim = base.path().join("victim");
    file(&victim, &generated("redis"), 0o644, false);
    let app = base.path().join("app");
    mkdir(&app, 0o755, true);
    // protected_hardlinks stops the attacker, not root setting up the tree.
    fs::hard_link(&victim, app.join(".env")).unwrap();
    let before = snapshot(&victim);
    let o = secrets(base.path())
        .args([
            "write", "--out", "app/.env", "--with", "redis", "--owner", NAME,
        ])
        .output()
        .unwrap();
    assert_unchanged(&victim, &before, "write --owner secrets-attacker");
    assert_eq!(code(&o), Ok(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("hard links"), "{}", stderr(&o));
}

// 3. The same link under `audit --fix --owner`.
#[test]
fn hard_linked_env_is_not_fixed_by_audit() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let victim = base.path().join("victim");
    file(&victim, TOKEN, 0o644, false);
    let tree = base.path().join("tree");
    mkdir(&tree, 0o755, true);
    fs::hard_link(&victim, tree.join(".env")).unwrap();
    let before = snapshot(&victim);
    let o = secrets(base.path())
        .args([
            "audit", "--fix", "--format", "json", "--owner", NAME, "tree",
        ])
        .output()
        .unwrap();
    assert_unchanged(&victim, &before, "audit --fix --owner secrets-attacker");
    assert_eq!(code(&o), Ok(1), "{}", stderr(&o));
    assert!(
        rules(&o).contains(&"SA001".to_owned()),
        "the mode finding remains: {:?}; stderr: {}",
        rules(&o),
        stderr(&o)
    );
}

/// Renames whatever is at `PUB/new` away and puts a symlink to the victim
/// directory in its place, until the stop file exists.
const SWAP_NEW_DIR: &str = r#"
import os, sys
pub, victim, stop = sys.argv[1:4]
new = os.path.join(pub, "new")
print("ready", flush=True)
n = swaps = 0
while not os.path.exists(stop):
    n += 1
    try:
        os.rename(new, os.path.join(pub, "moved-%d" % n))
    except OSError:
        pass
    try:
        os.symlink(victim, new)
        swaps += 1
    except OSError:
        pass
print(swaps, flush=True)
"#;

// 4. `write --mkdir --owner U` in a directory U owns, U swapping the new
// directory for a symlink to a directory of root's.
#[test]
fn mkdir_race_in_a_directory_of_the_owner() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let victim = base.path().join("victim");
    let make_victim = || {
        mkdir(&victim, 0o755, false);
        file(&victim.join("precious"), b"root's\n", 0o600, false);
        (snapshot(&victim), snapshot(&victim.join("precious")))
    };
    let mut before = make_victim();
    let public = base.path().join("pub");
    mkdir(&public, 0o755, true);
    let stop = base.path().join("stop");
    let mut attack = Running::spawn(python(SWAP_NEW_DIR, &[&public, &victim, &stop]));
    attack.expect("ready");
    let (mut tally, mut wins) = (Tally::default(), 0);
    for _ in 0..ATTEMPTS {
        let o = secrets(base.path())
            .args([
                "write",
                "--out",
                "pub/new/.env",
                "--mkdir",
                "--owner",
                NAME,
                "--with",
                "redis",
            ])
            .output()
            .unwrap();
        tally.add(&o);
        if !unchanged(&victim, &before.0) || !unchanged(&victim.join("precious"), &before.1) {
            wins += 1;
            fs::remove_dir_all(&victim).unwrap();
            before = make_victim();
        }
        empty(&public);
    }
    file(&stop, b"", 0o644, false);
    let swaps = attack.finish();
    assert!(
        wins == 0 && tally.other.is_empty(),
        "the attacker won {wins} of {ATTEMPTS} (its swaps: {swaps}; {tally:?})"
    );
    assert!(tally.ok + tally.refused == ATTEMPTS, "{tally:?}");
}

// 4. The simpler case: `--mkdir` under a world-writable directory, the
// attacker not the owner: refused outright.
#[test]
fn mkdir_under_a_world_writable_directory_is_refused() {
    let base = public_tempdir();
    let public = base.path().join("pub");
    mkdir(&public, 0o777, false);
    let before = snapshot(&public);
    let o = secrets(base.path())
        .args([
            "write",
            "--out",
            "pub/new/.env",
            "--mkdir",
            "--with",
            "redis",
        ])
        .output()
        .unwrap();
    assert_unchanged(&public, &before, "write --mkdir");
    assert_eq!(code(&o), Ok(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("writable by"), "{}", stderr(&o));
}

/// Flips `.env` in every directory between a 0644 regular file (all of
/// them) and a symlink to the victim (all of them), until the stop file
/// exists.
const FLIP_ENV: &str = r#"
import os, sys
victim, stop = sys.argv[1:3]
dirs = sys.argv[3:]
print("ready", flush=True)
flips = 0
while not os.path.exists(stop):
    for d in dirs:
        r = os.path.join(d, "r.tmp")
        try:
            fd = os.open(r, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, b"API_TOKEN=Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA\n")
            os.fchmod(fd, 0o644)
            os.close(fd)
            os.rename(r, os.path.join(d, ".env"))
        except OSError:
            pass
    for d in dirs:
        l = os.path.join(d, "l.tmp")
        try:
            os.symlink(victim, l)
        except FileExistsError:
            pass
        try:
            os.rename(l, os.path.join(d, ".env"))
            flips += 1
        except OSError:
            pass
print(flips, flush=True)
"#;

/// Directories the audit race covers per run.
const FLIP_DIRS: usize = 20;

// 5. `audit --fix` while `.env` flips between a 0644 file and a symlink to
// a root file: the old release chmod'ed by path, following the link.
#[test]
fn audit_fix_race_between_file_and_symlink() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let victim = base.path().join("victim");
    file(&victim, TOKEN, 0o644, false);
    let mut before = snapshot(&victim);
    let tree = base.path().join("tree");
    mkdir(&tree, 0o755, true);
    let dirs: Vec<PathBuf> = (0..FLIP_DIRS).map(|i| tree.join(format!("d{i}"))).collect();
    for d in &dirs {
        mkdir(d, 0o755, true);
    }
    let stop = base.path().join("stop");
    let mut args: Vec<&Path> = vec![&victim, &stop];
    args.extend(dirs.iter().map(PathBuf::as_path));
    let mut attack = Running::spawn(python(FLIP_ENV, &args));
    attack.expect("ready");
    let (mut codes, mut wins) = (Vec::new(), 0);
    let runs = ATTEMPTS;
    for _ in 0..runs {
        let o = secrets(base.path())
            .args([
                "audit", "--fix", "--owner", NAME, "--format", "json", "tree",
            ])
            .output()
            .unwrap();
        codes.push(code(&o));
        if !unchanged(&victim, &before) {
            wins += 1;
            file(&victim, TOKEN, 0o644, false);
            before = snapshot(&victim);
        }
    }
    file(&stop, b"", 0o644, false);
    let flips = attack.finish();
    let crashed: Vec<_> = codes.iter().filter(|c| c.is_err()).collect();
    assert!(
        wins == 0,
        "the attacker won {wins} of {runs} audit runs over {FLIP_DIRS} flipping files each (its flips: {flips})"
    );
    assert!(crashed.is_empty(), "audit crashed: {crashed:?}");
}

/// Opens the file, says so, and after a line on stdin (or its end) reads
/// everything its descriptor gives and prints the count of bytes.
const HOLD_AND_READ: &str = r#"
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
print("opened", flush=True)
sys.stdin.readline()
n = 0
while True:
    b = os.read(fd, 65536)
    if not b:
        break
    n += len(b)
print(n, flush=True)
"#;

/// `secrets ARGS > path` as a shell runs it: stdout opened O_WRONLY|O_TRUNC
/// on the existing file.
fn redirected(dir: &Path, path: &Path, args: &[&str]) -> Output {
    let out = OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .unwrap();
    secrets(dir)
        .args(args)
        .stdout(out)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

// 6. `(umask 022; secrets generate --with postgres > dir/.env)` with the
// attacker holding the shell's file open from the moment it exists.
#[test]
fn generate_to_a_shell_created_file_leaks_nothing_to_an_open_descriptor() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let dir = base.path().join("app");
    mkdir(&dir, 0o755, false);
    let env = dir.join(".env");
    for run in 0..10 {
        let _ = fs::remove_file(&env);
        // What the shell's `> .env` makes under umask 022.
        file(&env, b"", 0o644, false);
        let mut attack = Running::spawn(python(HOLD_AND_READ, &[&env]));
        attack.expect("opened");
        let o = redirected(&dir, &env, &["generate", "--with", "postgres"]);
        let read = attack.finish();
        assert_eq!(
            read, "0",
            "run {run}: the attacker read {read} bytes of values"
        );
        assert_eq!(code(&o), Ok(0), "run {run}: {}", stderr(&o));
        assert!(stderr(&o).contains("mode 0600"), "{}", stderr(&o));
        assert_eq!(attacker::snapshot(&env).mode_and_owner(), (0o600, 0));
        let doc = Document::parse(&fs::read(&env).unwrap()).unwrap();
        assert!(
            doc.get("POSTGRES_PASSWORD").is_some_and(|v| !v.is_empty()),
            "the values are in the new file"
        );
    }
}

// 7. `rotate` on a `.env` in a world-writable directory.
#[test]
fn rotate_in_a_world_writable_directory_is_refused() {
    let base = public_tempdir();
    let shared = base.path().join("shared");
    mkdir(&shared, 0o755, false);
    file(&shared.join(".env"), &generated("redis"), 0o600, false);
    chmod(&shared, 0o777);
    let (before, names) = (snapshot(&shared.join(".env")), dir_entries(&shared));
    let o = secrets(base.path())
        .args([
            "rotate",
            "--env",
            "shared/.env",
            "--with",
            "redis",
            "REDIS_PASSWORD",
        ])
        .output()
        .unwrap();
    assert_unchanged(&shared.join(".env"), &before, "rotate");
    assert_eq!(dir_entries(&shared), names);
    assert_eq!(code(&o), Ok(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("writable by"), "{}", stderr(&o));
}

// 8. The attacker creates `.env` first in a sticky world-writable directory.
#[test]
fn write_over_a_file_planted_in_a_sticky_directory_is_refused() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let drop = base.path().join("drop");
    mkdir(&drop, 0o1777, false);
    let planted = drop.join(".env");
    let o = python(
        "import os, sys\nfd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)\nos.write(fd, b'PLANTED=1\\n')\n",
        &[&planted],
    )
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let before = snapshot(&planted);
    assert_eq!(before.mode_and_owner().1, attacker::uid());
    let o = secrets(base.path())
        .args(["write", "--out", "drop/.env", "--with", "redis"])
        .output()
        .unwrap();
    assert_unchanged(&planted, &before, "write");
    assert_eq!(dir_entries(&drop), [".env"]);
    assert_eq!(code(&o), Ok(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("writable by"), "{}", stderr(&o));
}

// 9. The attacker holds the lock on the target's directory.
#[test]
fn a_held_directory_lock_makes_write_give_up() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let app = base.path().join("app");
    mkdir(&app, 0o755, false);
    file(&app.join(".env"), &generated("redis"), 0o600, false);
    let (before, names) = (snapshot(&app.join(".env")), dir_entries(&app));
    let mut attack = Running::spawn(python(
        "import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_RDONLY)\nfcntl.flock(fd, fcntl.LOCK_EX)\nprint('locked', flush=True)\nsys.stdin.readline()\n",
        &[&app],
    ));
    attack.expect("locked");
    let mut c = secrets(base.path());
    c.args([
        "write",
        "--out",
        "app/.env",
        "--with",
        "redis,postgres",
        "--wait",
        "1",
    ]);
    let w = run_watched(c, WATCHDOG);
    assert!(
        w.finished,
        "write --wait 1 still waited after {:?}",
        w.elapsed
    );
    assert_unchanged(&app.join(".env"), &before, "write --wait 1");
    assert_eq!(dir_entries(&app), names);
    assert_eq!(code(&w.output), Ok(2), "{}", stderr(&w.output));
    let err = stderr(&w.output);
    assert!(
        err.contains("app: another process holds the lock on this directory"),
        "{err}"
    );
    attack.finish();
    // Released, the same write goes through: the lock was the only obstacle.
    let o = secrets(base.path())
        .args(["write", "--out", "app/.env", "--with", "redis,postgres"])
        .output()
        .unwrap();
    assert_eq!(code(&o), Ok(0), "{}", stderr(&o));
}

/// A manifest whose password belongs to the PostgreSQL role `app`.
const PG_MANIFEST: &str = "[vars.APP_PASSWORD]\nkind = \"password\"\npostgres_role = \"app\"\n";

/// A private directory with the manifest and a `.env` written from it.
fn pg_stack() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("m.toml"), PG_MANIFEST).unwrap();
    let o = secrets(d.path())
        .args(["write", "--out", ".env", "--manifest", "m.toml"])
        .output()
        .unwrap();
    assert_eq!(code(&o), Ok(0), "{}", stderr(&o));
    d
}

// 10. An admin URL with a password in argv, which every local user reads
// in /proc/PID/cmdline. Port 1 refuses at once, should one be tried.
#[test]
fn admin_url_with_a_password_in_argv_is_refused() {
    let d = pg_stack();
    let env = d.path().join(".env");
    let (before, names) = (snapshot(&env), dir_entries(d.path()));
    let mut failures = Vec::new();
    for url in [
        "postgres://admin@127.0.0.1:1/db?password=pw",
        "host=127.0.0.1 port=1 user=admin password=pw",
        "postgres://admin:pw@127.0.0.1:1/db",
    ] {
        let o = secrets(d.path())
            .args([
                "rotate",
                "--env",
                ".env",
                "--manifest",
                "m.toml",
                "APP_PASSWORD",
                "--apply",
                "postgres",
                "--admin-url",
                url,
            ])
            .output()
            .unwrap();
        if code(&o) != Ok(2) || !stderr(&o).contains("argv") {
            failures.push(format!("{url}: {:?} {}", code(&o), stderr(&o)));
        }
        if !unchanged(&env, &before) {
            failures.push(format!("{url}: .env changed"));
        }
        if dir_entries(d.path()) != names {
            failures.push(format!("{url}: left {:?}", dir_entries(d.path())));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The first fields of /proc/PID/syscall: `0 0x0 ` is read(0, ...).
fn blocked_reading_stdin(pid: u32) -> bool {
    let exe = fs::read_link(format!("/proc/{pid}/exe")).ok();
    let ours = exe.is_some_and(|e| Some(e) == fs::canonicalize(secrets_bin()).ok());
    ours && fs::read_to_string(format!("/proc/{pid}/syscall"))
        .is_ok_and(|s| s.starts_with("0 0x0 "))
}

// 11. `kill -ABRT` while the values are in memory, with `ulimit -c
// unlimited`: no core file may hold them.
#[test]
fn sigabrt_dumps_no_core() {
    if !require(
        is_root(),
        "root",
        "run the tests as root (to raise RLIMIT_CORE)",
    ) {
        return;
    }
    let d = pg_stack();
    let before = snapshot(&d.path().join(".env"));
    let mut child = secrets_after(
        d.path(),
        "ulimit -c unlimited",
        &[
            "rotate",
            "--env",
            ".env",
            "--manifest",
            "m.toml",
            "APP_PASSWORD",
            "--apply",
            "postgres",
            "--admin-url",
            "-",
        ],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    // It read the .env, made the new values, and waits for the URL.
    let start = Instant::now();
    while !blocked_reading_stdin(child.id()) {
        assert!(
            start.elapsed() < WATCHDOG,
            "secrets never blocked reading the URL"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGABRT).unwrap();
    let status = child.wait().unwrap();
    drop(child.stdin.take());
    let cores: Vec<String> = dir_entries(d.path())
        .into_iter()
        .filter(|n| n.starts_with("core"))
        .collect();
    assert_eq!(
        status.signal(),
        Some(nix::sys::signal::Signal::SIGABRT as i32),
        "{status}"
    );
    assert!(!status.core_dumped(), "a core was dumped: {cores:?}");
    assert!(cores.is_empty(), "core files: {cores:?}");
    assert_unchanged(&d.path().join(".env"), &before, "killed");
}

/// Peak memory allowed to a command refusing a large or endless input.
const PEAK_KIB: u64 = 64 << 10;

fn require_time() -> bool {
    require(
        Path::new(attacker::GNU_TIME).exists(),
        "GNU time",
        "apt-get install time",
    )
}

// 12. `.env.example` beside the audited `.env` is a symlink to /dev/zero,
// or a FIFO: nothing may read forever or block. Peak memory shows whether
// /dev/zero was read: the address space is capped (so a release that reads
// it fails an allocation rather than take the machine's memory), and std's
// read gives up quietly at that cap.
#[test]
fn special_env_example_does_not_hang_audit_or_check() {
    if !require_time() {
        return;
    }
    let base = tempfile::tempdir().unwrap();
    fs::write(
        base.path().join("m.toml"),
        "[stack]\nenv_files = [\"*/.env\"]\n[vars.REDIS_PASSWORD]\nkind = \"password\"\n",
    )
    .unwrap();
    let rss = base.path().join("rss");
    for (case, what) in [("zero", "symbolic link"), ("fifo", "FIFO")] {
        let dir = base.path().join(case);
        mkdir(&dir, 0o700, false);
        file(&dir.join(".env"), &generated("redis"), 0o600, false);
        let example = dir.join(".env.example");
        if case == "zero" {
            symlink("/dev/zero", &example).unwrap();
        } else {
            nix::unistd::mkfifo(&example, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
        }
        let env = format!("{case}/.env");
        let runs: [(&[&str], &str); 3] = [
            (&["audit", "--format", "json", case], ""),
            (
                &["audit", "--format", "json", "--manifest", "m.toml", case],
                "",
            ),
            (&["check", "--env", &env], what),
        ];
        for (args, refusal) in runs {
            let w = run_watched(
                attacker::measured(base.path(), &rss, "ulimit -v 2097152", args),
                WATCHDOG,
            );
            let o = &w.output;
            let peak = attacker::peak_kib(&rss);
            assert!(
                w.finished,
                "{case}: secrets {args:?} was killed after {:?}",
                w.elapsed
            );
            assert!(
                peak.is_some_and(|k| k < PEAK_KIB),
                "{case}: secrets {args:?} took {:?} and a peak RSS of {peak:?} KiB",
                w.elapsed
            );
            if refusal.is_empty() {
                assert!(
                    matches!(code(o), Ok(0 | 1)),
                    "{case}: secrets {args:?} took {:?}: {:?} {}",
                    w.elapsed,
                    code(o),
                    stderr(o)
                );
            } else {
                assert_eq!(code(o), Ok(2), "{case}: {args:?} {}", stderr(o));
                assert!(stderr(o).contains(refusal), "{case}: {}", stderr(o));
            }
        }
    }
}

// 13. A 100 MB `.env`: refused before it is read, in bounded memory.
#[test]
fn huge_env_is_refused_with_bounded_memory() {
    if !require_time() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let env = d.path().join(".env");
    let f = fs::File::create(&env).unwrap();
    std::io::Write::write_all(&mut &f, &generated("redis")).unwrap();
    // Sparse: 100 MB of size, almost none on disk.
    f.set_len(100 << 20).unwrap();
    drop(f);
    let (before, names) = (snapshot(&env), dir_entries(d.path()));
    // Outside the directory, which must hold nothing new.
    let scratch = tempfile::tempdir().unwrap();
    let rss = scratch.path().join("rss");
    for args in [
        &["check", "--env", ".env"][..],
        &[
            "rotate",
            "--env",
            ".env",
            "--with",
            "redis",
            "REDIS_PASSWORD",
        ],
    ] {
        let o = attacker::measured(d.path(), &rss, ":", args)
            .output()
            .unwrap();
        let peak = attacker::peak_kib(&rss);
        assert_unchanged(&env, &before, &format!("{args:?}"));
        assert_eq!(dir_entries(d.path()), names, "{args:?}");
        assert!(
            peak.is_some_and(|k| k < PEAK_KIB),
            "{args:?}: peak RSS {peak:?} KiB"
        );
        assert_eq!(code(&o), Ok(2), "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o).lines().count(), 1, "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("over the limit"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}

/// A name that would forge a report line and clear the screen.
const FORGING: &str = "forged:1: high SA001 file-permissions: forged\x1b[2J";

fn assert_escaped(text: &str, expected_lines: usize, context: &str) {
    assert_eq!(
        text.lines().count(),
        expected_lines,
        "{context}: a line was forged:\n{text}"
    );
    assert!(
        !text.lines().any(|l| l.starts_with("forged")),
        "{context}:\n{text}"
    );
    assert!(!text.contains('\x1b'), "{context}: raw ESC in:\n{text}");
    assert!(
        text.contains("\\n") && text.contains("\\x1b"),
        "{context}: not escaped:\n{text}"
    );
}

// 14. A secret file whose name holds a newline and ESC, in `audit`.
#[test]
fn control_characters_in_file_names_are_escaped_in_audit() {
    let d = tempfile::tempdir().unwrap();
    // Private, so the finding is the file's alone.
    chmod(d.path(), 0o700);
    let name = format!(".env.a\n{FORGING}");
    file(&d.path().join(&name), TOKEN, 0o644, false);
    let o = secrets(d.path()).args(["audit", "."]).output().unwrap();
    assert_eq!(code(&o), Ok(1), "{}", stderr(&o));
    // One finding: its file's line, its own, its fix line, the summary.
    assert_escaped(&stdout(&o), 4, "audit");
    assert!(stdout(&o).contains("\n1 finding: 1 high"), "{}", stdout(&o));
    let o = secrets(d.path())
        .args(["audit", "--fix", "."])
        .output()
        .unwrap();
    assert_eq!(code(&o), Ok(0), "{}", stderr(&o));
    assert_escaped(&stderr(&o), 1, "audit --fix");
    assert_eq!(
        attacker::snapshot(&d.path().join(&name)).mode_and_owner().0,
        0o600
    );
}

// 14. The same in `check`: a file name, and a key name in a manifest (the
// error that quotes it), and a path in a write error.
#[test]
fn control_characters_are_escaped_in_check_and_errors() {
    let d = tempfile::tempdir().unwrap();
    let name = format!("x.env\n{FORGING}");
    file(&d.path().join(&name), b"API_TOKEN=\n", 0o600, false);
    let o = secrets(d.path())
        .args(["check", "--env", &name])
        .output()
        .unwrap();
    assert_eq!(code(&o), Ok(1), "{}", stderr(&o));
    // Its file's line, the finding, its fix line, the summary.
    assert_escaped(&stdout(&o), 4, "check");

    file(&d.path().join(".env"), TOKEN, 0o600, false);
    fs::write(
        d.path().join("m.toml"),
        "[vars.\"EVIL\\nforged:1: high SC999 x\\u001b[2J\"]\nkind = \"password\"\n",
    )
    .unwrap();
    let o = secrets(d.path())
        .args(["check", "--env", ".env", "--manifest", "m.toml"])
        .output()
        .unwrap();
    assert_eq!(code(&o), Ok(2), "{}", stderr(&o));
    assert_escaped(&stderr(&o), 1, "a key name in an error");

    let out = format!("missing\n{FORGING}/.env");
    let o = secrets(d.path())
        .args(["write", "--out", &out, "--with", "redis"])
        .output()
        .unwrap();
    assert_eq!(code(&o), Ok(2), "{}", stderr(&o));
    assert_escaped(&stderr(&o), 1, "a path in an error");
}

// An unparseable `.env` audited with a manifest: a finding, not silence.
#[test]
fn unparseable_env_is_a_finding() {
    let d = tempfile::tempdir().unwrap();
    fs::write(
        d.path().join("m.toml"),
        "[stack]\nenv_files = [\"tree/.env\"]\n[vars.API_TOKEN]\nkind = \"password\"\n",
    )
    .unwrap();
    let tree = d.path().join("tree");
    mkdir(&tree, 0o700, false);
    file(
        &tree.join(".env"),
        b"API_TOKEN=\"unterminated\n",
        0o600,
        false,
    );
    let o = secrets(d.path())
        .args(["audit", "--format", "json", "--manifest", "m.toml", "tree"])
        .output()
        .unwrap();
    assert_eq!(code(&o), Ok(1), "{}", stderr(&o));
    assert!(
        findings(&o).contains(&("SA013".into(), "high".into())),
        "{:?} {}",
        findings(&o),
        stderr(&o)
    );
}

// Git missing from PATH, or failing, in a work tree where `.env` is
// ignored but tracked: one finding that says so, and no claim about
// ignoring or tracking.
#[test]
fn missing_git_is_a_finding_not_a_false_claim() {
    if !require_git() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("repo");
    mkdir(&repo, 0o700, false);
    git(&repo, &["init", "-q", "."]);
    file(&repo.join(".gitignore"), b".env\n", 0o644, false);
    file(&repo.join(".env"), TOKEN, 0o600, false);
    git(&repo, &["add", "-f", ".env", ".gitignore"]);
    git(&repo, &["commit", "-q", "-m", "tracked by mistake"]);
    let fake = d.path().join("fakebin");
    mkdir(&fake, 0o755, false);
    file(
        &fake.join("git"),
        b"#!/bin/sh\necho 'fatal: simulated failure' >&2\nexit 128\n",
        0o755,
        false,
    );
    let audit = |path: Option<&Path>| {
        let mut c = secrets(d.path());
        if let Some(p) = path {
            c.env("PATH", p);
        }
        c.args(["audit", "--format", "json", "repo"])
            .output()
            .unwrap()
    };
    // With git: tracked, not "not ignored" (the tree is what it claims).
    let o = audit(None);
    let found = rules(&o);
    assert!(
        found.contains(&"SA005".into()) && !found.contains(&"SA004".into()),
        "{found:?}"
    );
    for path in [Path::new("/nonexistent"), fake.as_path()] {
        let o = audit(Some(path));
        let found = rules(&o);
        assert_eq!(code(&o), Ok(1), "PATH={}: {}", path.display(), stderr(&o));
        assert!(
            found.contains(&"SA014".into()),
            "PATH={}: {found:?}",
            path.display()
        );
        for claim in ["SA004", "SA005", "SA006"] {
            assert!(
                !found.contains(&claim.into()),
                "PATH={}: {claim} claimed without git: {found:?}",
                path.display()
            );
        }
    }
}

/// Exchanges `.env` and `.decoy` in the directory (renameat2
/// RENAME_EXCHANGE) as fast as it can, until the stop file exists.
const EXCHANGE: &str = r#"
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
d, stop = sys.argv[1:3]
fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
print("ready", flush=True)
n = 0
while not os.path.exists(stop):
    if libc.renameat2(fd, b".env", fd, b".decoy", 2) == 0:
        n += 1
print(n, flush=True)
"#;

/// Whether a file of the attacker's in `dir` holds `marker`.
fn attacker_holds(dir: &Path, marker: &[u8]) -> bool {
    // The names move under us: look a few times.
    (0..5).any(|_| {
        [".env", ".decoy"].iter().any(|n| {
            // One handle for the owner and the content: the names keep
            // swapping, and a stat then a read by name could pair the
            // attacker's owner with root's content.
            use std::io::Read;
            let Ok(mut f) = fs::File::open(dir.join(n)) else {
                return false;
            };
            let mut content = Vec::new();
            f.metadata().is_ok_and(|m| m.uid() == attacker::uid())
                && f.read_to_end(&mut content).is_ok()
                && content.windows(marker.len()).any(|w| w == marker)
        })
    })
}

// Beyond the list: root's `.env` sits in a directory the attacker owns,
// which `rotate` refuses. The attacker swaps in a decoy of its own while
// rotate reads the owner to preserve, and root's file back before it is
// read under the lock: the decoy's owner is then trusted for the
// directory, and the rotated copy of root's file is chowned to it.
#[test]
fn rotate_owner_check_races_a_decoy() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let app = base.path().join("app");
    mkdir(&app, 0o755, true);
    let marker = b"ROOT_ONLY=only-root-may-read-this";
    let mut root_env = generated("redis");
    root_env.extend_from_slice(marker);
    root_env.push(b'\n');
    let stop = base.path().join("stop");
    let mut attack = Running::spawn(python(EXCHANGE, &[&app, &stop]));
    attack.expect("ready");
    let (mut tally, mut wins) = (Tally::default(), 0);
    for _ in 0..ATTEMPTS {
        empty(&app);
        // Staged and renamed in, so each name appears whole.
        file(&app.join("stage-root"), &root_env, 0o600, false);
        file(&app.join("stage-decoy"), b"REDIS_PASSWORD=x\n", 0o600, true);
        fs::rename(app.join("stage-root"), app.join(".env")).unwrap();
        fs::rename(app.join("stage-decoy"), app.join(".decoy")).unwrap();
        let o = secrets(base.path())
            .args([
                "rotate",
                "--env",
                "app/.env",
                "--with",
                "redis",
                "REDIS_PASSWORD",
            ])
            .output()
            .unwrap();
        tally.add(&o);
        if attacker_holds(&app, marker) {
            wins += 1;
        }
    }
    file(&stop, b"", 0o644, false);
    let swaps = attack.finish();
    assert!(
        wins == 0,
        "the attacker got root's secrets in a file it owns in {wins} of {ATTEMPTS} rotations ({tally:?}, its swaps: {swaps})"
    );
}

// Beyond the list: the admin tightens a shell-made file before
// redirecting into it (`touch .env; chmod 600 .env; secrets generate >
// .env`), but the attacker opened it while it was 0644. A 0600 stdout is
// written in place, into the inode the attacker holds.
#[test]
fn generate_into_a_private_file_opened_while_it_was_readable() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let dir = base.path().join("app");
    mkdir(&dir, 0o755, false);
    let env = dir.join(".env");
    file(&env, b"", 0o644, false);
    let mut attack = Running::spawn(python(HOLD_AND_READ, &[&env]));
    attack.expect("opened");
    chmod(&env, 0o600);
    let o = redirected(&dir, &env, &["generate", "--with", "postgres"]);
    let read = attack.finish();
    assert_eq!(code(&o), Ok(0), "{}", stderr(&o));
    assert_eq!(read, "0", "the attacker read {read} bytes of values");
}

// Beyond the list: root exports from its own `.env`, in a project
// directory the attacker maintains, whose `./secrets.toml` (read by
// default) names the attacker as `secrets_uid`: the exported files and
// their new directory are chowned to the attacker.
#[test]
fn export_compose_owner_chosen_by_a_manifest_the_attacker_wrote() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let etc = base.path().join("etc");
    mkdir(&etc, 0o755, false);
    file(&etc.join(".env"), &generated("redis"), 0o600, false);
    let project = base.path().join("project");
    mkdir(&project, 0o755, true);
    let (uid, gid) = attacker::ids();
    let manifest = format!(
        "[stack]\nname = \"app\"\ninclude = [\"redis\"]\nsecrets_uid = {uid}\nsecrets_gid = {gid}\n"
    );
    file(
        &project.join("secrets.toml"),
        manifest.as_bytes(),
        0o644,
        true,
    );
    let out = etc.join("secrets");
    let o = secrets(&project)
        .args(["export", "compose", "--env"])
        .arg(etc.join(".env"))
        .arg("--dir")
        .arg(&out)
        .output()
        .unwrap();
    let theirs: Vec<String> = fs::read_dir(&out)
        .map(|d| {
            d.flatten()
                .filter(|e| e.metadata().is_ok_and(|m| m.uid() == uid))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        theirs.is_empty(),
        "root's values in files the attacker owns: {theirs:?} ({:?} {})",
        code(&o),
        stderr(&o)
    );
}

// `man --dir` as root into a directory the attacker owns: `secrets.1`
// planted there as a link made root overwrite what it points to (the pages
// were written with `fs::write`, which follows links). The pages are
// public, so the directory may be the attacker's; what matters is that no
// write goes through a name, and that no link the attacker placed on the
// way is followed.
#[test]
fn man_pages_into_a_directory_the_attacker_owns_never_write_through_a_link() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let victim = base.path().join("victim");
    file(&victim, b"root's file\n", 0o644, false);
    let pages = base.path().join("pages");
    mkdir(&pages, 0o755, true);
    symlink(&victim, pages.join("secrets.1")).unwrap();
    give(&pages.join("secrets.1"));
    let before = snapshot(&victim);
    let o = secrets(base.path())
        .args(["man", "--dir", "pages"])
        .output()
        .unwrap();
    assert_unchanged(&victim, &before, "man --dir");
    assert_eq!(code(&o), Ok(0), "{}", stderr(&o));
    let page = fs::symlink_metadata(pages.join("secrets.1")).unwrap();
    assert!(
        page.is_file() && page.uid() == 0,
        "secrets.1 is not root's new page"
    );

    // A link the attacker placed on the way to the directory is not
    // followed: root's directory gets no page.
    let roots = base.path().join("roots");
    mkdir(&roots, 0o755, false);
    let theirs = base.path().join("theirs");
    mkdir(&theirs, 0o755, true);
    symlink(&roots, theirs.join("man")).unwrap();
    give(&theirs.join("man"));
    let o = secrets(base.path())
        .args(["man", "--dir", "theirs/man"])
        .output()
        .unwrap();
    assert_eq!(code(&o), Ok(2), "{}", stderr(&o));
    assert!(dir_entries(&roots).is_empty(), "{:?}", dir_entries(&roots));
}

// The same in root's own directory: a link there (root's, or left by a
// package) is replaced by the page, never written through.
#[test]
fn man_pages_replace_a_link_instead_of_writing_through_it() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let victim = base.path().join("victim");
    file(&victim, b"root's file\n", 0o644, false);
    let pages = base.path().join("pages");
    mkdir(&pages, 0o755, false);
    symlink(&victim, pages.join("secrets.1")).unwrap();
    let before = snapshot(&victim);
    let o = secrets(base.path())
        .args(["man", "--dir", "pages"])
        .output()
        .unwrap();
    assert_eq!(code(&o), Ok(0), "{}", stderr(&o));
    assert_unchanged(&victim, &before, "man --dir");
    let page = fs::symlink_metadata(pages.join("secrets.1")).unwrap();
    assert!(page.is_file(), "secrets.1 is still a link");
    assert_eq!(page.mode() & 0o7777, 0o644);
    assert!(!dir_entries(&pages).iter().any(|n| n.ends_with(".tmp")));
}
