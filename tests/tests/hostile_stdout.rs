//! Stdout as a destination like any other (issue 25). A member of a
//! group-writable project directory (`secrets-attacker`, run with setpriv)
//! plants what root's `secrets generate > .env` will open: a FIFO it reads,
//! a link to its own pipe (`/proc/PID/fd/N`) or to its own terminal. The
//! shell follows the name before `secrets` runs; `secrets` must then refuse
//! stdout with exit 2 before any secret exists, and the attacker reads 0
//! bytes. An anonymous pipe of root's, this session's terminal and
//! /dev/null still take the output.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use secrets_tests::attacker::{
    self, code, mkdir, public_tempdir, python, require_attacker, run_watched, secrets, secrets_bin,
    stderr, stdout, Running,
};
use secrets_tests::{have_program, require, require_strace};

/// A bound on a hang (a FIFO nobody opens), not a speed target.
const WATCHDOG: Duration = Duration::from_secs(60);

/// A project directory of root's that the attacker's group may write to
/// (0775 root:secrets-attacker), as a team's shared checkout is.
fn shared_project(base: &Path) -> PathBuf {
    let dir = base.join("app");
    mkdir(&dir, 0o775, false);
    std::os::unix::fs::chown(&dir, None, Some(attacker::ids().1)).unwrap();
    dir
}

/// `sh -c 'secrets ARGS > .env'` run by root in `dir`, under a watchdog:
/// the shell opens (and follows) `.env` itself.
fn to_dot_env(dir: &Path, args: &[&str]) -> Output {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("exec \"$0\" \"$@\" > .env")
        .arg(secrets_bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1");
    let run = run_watched(c, WATCHDOG);
    assert!(run.finished, "root's command hung: {}", stderr(&run.output));
    run.output
}

/// The attacker's FIFO at `argv[1]`: planted, then read to its end; prints
/// how many bytes came through.
const FIFO_READER: &str = r#"
import os, signal, sys
signal.alarm(60)
os.mkfifo(sys.argv[1], 0o666)
print("planted", flush=True)
fd = os.open(sys.argv[1], os.O_RDONLY)
n = 0
while True:
    b = os.read(fd, 65536)
    if not b:
        break
    n += len(b)
print(n, flush=True)
"#;

/// Root's private files: an age identity, a `.env.age` for it, a `.env`.
struct RootFiles {
    _dir: tempfile::TempDir,
    identity: PathBuf,
    encrypted: PathBuf,
    env: PathBuf,
}

fn root_files() -> RootFiles {
    let dir = tempfile::tempdir().unwrap();
    let identity = dir.path().join("key.txt");
    let o = Command::new("age-keygen")
        .arg("-o")
        .arg(&identity)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = Command::new("age-keygen")
        .arg("-y")
        .arg(&identity)
        .output()
        .unwrap();
    let recipient = stdout(&o).trim().to_owned();
    let encrypted = dir.path().join(".env.age");
    let o = secrets(dir.path())
        .args(["generate", "--with", "postgres", "--encrypt-to", &recipient])
        .output()
        .unwrap();
    assert_eq!(code(&o), Ok(0), "{}", stderr(&o));
    fs::write(&encrypted, &o.stdout).unwrap();
    let env = dir.path().join(".env");
    let o = secrets(dir.path())
        .args(["write", "--out", ".env", "--with", "postgres"])
        .output()
        .unwrap();
    assert_eq!(code(&o), Ok(0), "{}", stderr(&o));
    RootFiles {
        _dir: dir,
        identity,
        encrypted,
        env,
    }
}

fn have_age() -> bool {
    require(
        have_program("age-keygen"),
        "age-keygen",
        "apt-get install age",
    )
}

/// The commands that print secret material, reading `files`.
fn secret_printers(files: &RootFiles) -> Vec<(&'static str, Vec<String>)> {
    let s = |p: &Path| p.display().to_string();
    vec![
        (
            "generate",
            vec!["generate".into(), "--with".into(), "postgres".into()],
        ),
        (
            "decrypt",
            vec![
                "decrypt".into(),
                "--env".into(),
                s(&files.encrypted),
                "-i".into(),
                s(&files.identity),
            ],
        ),
        (
            "export k8s",
            vec![
                "export".into(),
                "k8s".into(),
                "--env".into(),
                s(&files.env),
                "--name".into(),
                "app".into(),
            ],
        ),
        (
            "get",
            vec![
                "get".into(),
                "--env".into(),
                s(&files.env),
                "POSTGRES_PASSWORD".into(),
            ],
        ),
    ]
}

#[test]
fn a_fifo_planted_as_dot_env_reads_nothing_from_generate_decrypt_export_or_get() {
    if !require_attacker() || !have_age() {
        return;
    }
    let files = root_files();
    // Every command is tried before anything is asserted, so that a
    // failure names each one that leaked.
    let mut leaks = Vec::new();
    for (what, args) in secret_printers(&files) {
        let base = public_tempdir();
        let dir = shared_project(base.path());
        let mut attack = Running::spawn(python(FIFO_READER, &[&dir.join(".env")]));
        attack.expect("planted");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = to_dot_env(&dir, &args);
        let read = attack.finish();
        let err = stderr(&o);
        let refused = err.starts_with(&format!(
            "secrets: error: stdout is a FIFO on disk ({}/.env): another user may be reading it; no secret is produced or written; ",
            dir.display()
        )) && (err.ends_with(" writes the file itself\n")
            || what == "export k8s" && err.ends_with("`--out FILE` writes the manifest to a file\n")
            || what == "get" && err.ends_with("pipe it to the command that needs it\n"))
            && err.lines().count() == 1;
        if read != "0" || code(&o) != Ok(2) || !refused {
            leaks.push(format!(
                "{what}: the attacker read {read} bytes, exit {:?}, {err}",
                code(&o)
            ));
        }
    }
    assert!(leaks.is_empty(), "{leaks:#?}");
}

/// Blocking `getrandom` calls of a length over 0 in an strace log: the OS
/// generator drawing values (the runtime's own seeds are non-blocking).
fn values_drawn(trace: &str) -> usize {
    trace
        .lines()
        .filter(|l| l.contains("getrandom("))
        .filter_map(|l| l.split_once(", 0) = ").map(|(call, _)| call))
        .filter(|call| {
            call.rsplit(", ")
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|n| n > 0)
        })
        .count()
}

#[test]
fn generate_draws_no_value_when_stdout_is_refused() {
    if !require_attacker() || !require_strace() {
        return;
    }
    let base = public_tempdir();
    let dir = shared_project(base.path());
    let trace = base.path().join("trace");
    let traced = |dir: &Path, redirect: &str| {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(format!(
                "exec strace -f -qq -o \"$0\" -e trace=getrandom \"$@\" {redirect}"
            ))
            .arg(&trace)
            .arg(secrets_bin())
            .args(["generate", "--with", "postgres,minio"])
            .current_dir(dir)
            .env("NO_COLOR", "1");
        let run = run_watched(c, WATCHDOG);
        assert!(run.finished, "hung: {}", stderr(&run.output));
        (run.output, fs::read_to_string(&trace).unwrap())
    };
    // The control: the same command draws its values when stdout is fine.
    let (o, log) = traced(&dir, "> /dev/null");
    assert_eq!(code(&o), Ok(0), "{}", stderr(&o));
    assert!(values_drawn(&log) > 0, "the OS generator is seen: {log}");

    let mut attack = Running::spawn(python(FIFO_READER, &[&dir.join(".env")]));
    attack.expect("planted");
    let (o, log) = traced(&dir, "> .env");
    assert_eq!(attack.finish(), "0");
    assert_eq!(code(&o), Ok(2), "{}", stderr(&o));
    assert_eq!(values_drawn(&log), 0, "values were drawn: {log}");
}

/// The attacker's own pipe, planted as a link `.env -> /proc/PID/fd/W` that
/// root's shell reopens; once told, it reads the pipe to its end.
const PIPE_READER: &str = r#"
import os, signal, sys
signal.alarm(60)
r, w = os.pipe()
os.symlink("/proc/%d/fd/%d" % (os.getpid(), w), sys.argv[1])
print("planted", flush=True)
sys.stdin.readline()
os.close(w)
n = 0
while True:
    b = os.read(r, 65536)
    if not b:
        break
    n += len(b)
print(n, flush=True)
"#;

#[test]
fn another_users_pipe_reopened_through_proc_gets_nothing() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let dir = shared_project(base.path());
    let mut attack = Running::spawn(python(PIPE_READER, &[&dir.join(".env")]));
    attack.expect("planted");
    let o = to_dot_env(&dir, &["generate", "--with", "postgres"]);
    attack.say("read");
    let read = attack.finish();
    assert_eq!(read, "0", "the attacker read {read} bytes from its pipe");
    assert_eq!(code(&o), Ok(2), "{}", stderr(&o));
    let (uid, _) = attacker::ids();
    assert!(
        stderr(&o).starts_with(&format!(
            "secrets: error: stdout is a pipe made by {} (uid {uid}): another user's pipe",
            attacker::NAME
        )),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_pipe_of_the_user_logged_in_to_the_session_is_trusted() {
    if !require_attacker() {
        return;
    }
    // `sudo secrets generate | ...` typed by a user: the pipe is that user's
    // shell's, and the session's login uid (set at login, kept through sudo)
    // is that user. Played here by setting root's shell's login uid to the
    // account that made the pipe.
    let base = public_tempdir();
    let dir = shared_project(base.path());
    let mut user = Running::spawn(python(PIPE_READER, &[&dir.join(".env")]));
    user.expect("planted");
    let (uid, _) = attacker::ids();
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(format!(
            "echo {uid} > /proc/self/loginuid || exit 99; exec \"$0\" generate --with postgres > .env"
        ))
        .arg(secrets_bin())
        .current_dir(&dir);
    let o = run_watched(c, WATCHDOG).output;
    user.say("read");
    let read = user.finish();
    if code(&o) == Ok(99) {
        // No CAP_AUDIT_CONTROL here (a container): nothing to show.
        return;
    }
    assert_eq!(code(&o), Ok(0), "{}", stderr(&o));
    assert!(
        read.parse::<u64>().unwrap() > 0,
        "the logged-in user's pipe got the output"
    );
}

/// The attacker's own terminal, planted as a link `.env -> /dev/pts/N`;
/// once told, it reads what arrived at the master side.
const TERMINAL_READER: &str = r#"
import os, select, signal, sys
signal.alarm(60)
m, s = os.openpty()
os.symlink(os.ttyname(s), sys.argv[1])
print("planted", flush=True)
sys.stdin.readline()
n = 0
while select.select([m], [], [], 1.0)[0]:
    try:
        b = os.read(m, 65536)
    except OSError:
        break
    if not b:
        break
    n += len(b)
print(n, flush=True)
"#;

#[test]
fn another_users_terminal_gets_nothing() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let dir = shared_project(base.path());
    let mut attack = Running::spawn(python(TERMINAL_READER, &[&dir.join(".env")]));
    attack.expect("planted");
    let o = to_dot_env(&dir, &["generate", "--with", "postgres"]);
    attack.say("read");
    let read = attack.finish();
    assert_eq!(
        read, "0",
        "the attacker read {read} bytes from its terminal"
    );
    assert_eq!(code(&o), Ok(2), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with(
            "secrets: error: stdout is a terminal that is not this session's (/dev/pts/"
        ),
        "{}",
        stderr(&o)
    );
}

/// `sh -c SCRIPT` run by root in `dir` with `secrets` as `$0`.
fn shell(dir: &Path, script: &str) -> Output {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(script)
        .arg(secrets_bin())
        .current_dir(dir)
        .env("NO_COLOR", "1");
    let run = run_watched(c, WATCHDOG);
    assert!(run.finished, "hung: {}", stderr(&run.output));
    run.output
}

#[test]
fn an_anonymous_pipe_this_sessions_terminal_and_dev_null_still_work() {
    if !have_age() {
        return;
    }
    let files = root_files();
    let dir = files.identity.parent().unwrap().to_owned();
    for (what, args) in secret_printers(&files) {
        let args = args.join(" ");
        let o = shell(&dir, &format!("\"$0\" {args} | cat"));
        assert_eq!(code(&o), Ok(0), "{what} | cat: {}", stderr(&o));
        let out = stdout(&o);
        let expected = match what {
            "get" => out.len() > 1 && out.ends_with('\n') && !out.contains('='),
            _ => out.contains("POSTGRES_PASSWORD"),
        };
        assert!(expected, "{what} | cat printed: {out}");
        let o = shell(&dir, &format!("\"$0\" {args} > /dev/null"));
        assert_eq!(code(&o), Ok(0), "{what} > /dev/null: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{what} > /dev/null");
    }
    // A terminal: `script` runs the command on a new pty that is its
    // controlling terminal.
    if require(have_program("script"), "script", "apt-get install bsdutils") {
        let o = shell(
            &dir,
            "script -qec \"$0 generate --with redis\" /dev/null < /dev/null",
        );
        assert_eq!(code(&o), Ok(0), "{}", stderr(&o));
        assert!(stdout(&o).contains("REDIS_PASSWORD="), "{}", stdout(&o));
    }
}

#[test]
fn stdout_is_judged_before_any_input_is_read() {
    // A socket on stdout (a systemd service's journal) and inputs that do
    // not exist: the refusal of stdout comes first, so no manifest is
    // loaded, nothing is decrypted and no .env is read.
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("missing");
    let missing = missing.to_str().unwrap();
    for args in [
        vec!["generate", "--manifest", missing],
        vec!["decrypt", "--env", missing, "-i", missing],
        vec!["export", "k8s", "--env", missing, "--name", "app"],
        vec!["get", "--env", missing, "POSTGRES_PASSWORD"],
    ] {
        let (ours, _theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        let o = secrets(d.path())
            .args(&args)
            .stdout(std::process::Stdio::from(std::os::fd::OwnedFd::from(ours)))
            .output()
            .unwrap();
        assert_eq!(code(&o), Ok(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).starts_with(
                "secrets: error: stdout is a socket: a service's stdout goes to the journal through one, and whoever reads the journal would get every value; no secret is produced or written; "
            ),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}
