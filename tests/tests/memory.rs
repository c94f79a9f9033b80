//! No plaintext left behind in memory. `secrets` is stopped right after its
//! secret work, blocked writing its last output to a pipe that is full and
//! never drained, and a core is taken with `gcore` (gdb attaches through
//! ptrace: the CLI makes itself non-dumpable, which only root, with
//! CAP_SYS_PTRACE, gets past). A marker value may then be in the core at
//! most once, raw or in base64: the live copy, zeroized on exit. Any other
//! copy is freed heap or stack that nothing will clear: a buffer that grew,
//! a temporary, a third-party copy.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use nix::fcntl::OFlag;
use rand::Rng;
use secrets_core::envfile::Document;
use secrets_core::generate::os_rng;
use secrets_core::postgres::{alter_role_sql, scram};
use secrets_core::SecretValue;
use secrets_tests::postgres::{Options, Pki, Server};
use secrets_tests::{have_program, is_root, secrets, skip};

/// Whether a core of the CLI can be taken here; skips (fails in CI) with
/// the reason when not.
fn gcore_usable() -> bool {
    if !have_program("gcore") {
        skip("gdb missing (gcore)", "apt-get install gdb");
        return false;
    }
    if !is_root() {
        skip(
            "not root: the CLI is not dumpable, so only CAP_SYS_PTRACE lets gcore attach",
            "run the tests as root",
        );
        return false;
    }
    // Yama's mode 3 forbids every attach, root's too.
    if fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope").is_ok_and(|s| s.trim() == "3") {
        skip(
            "kernel.yama.ptrace_scope is 3 (no ptrace attach at all)",
            "sysctl kernel.yama.ptrace_scope=1 (needs a reboot once set to 3)",
        );
        return false;
    }
    true
}

/// An anonymous pipe whose buffer is full: its reader stays open and never
/// reads, so whoever writes to it blocks. (Not a FIFO on disk: `secrets`
/// refuses to write secret material to one.)
struct FullPipe {
    _reader: OwnedFd,
    filler: File,
}

impl FullPipe {
    fn new() -> FullPipe {
        let (reader, filler) = nix::unistd::pipe2(OFlag::O_NONBLOCK | OFlag::O_CLOEXEC).unwrap();
        let mut filler = File::from(filler);
        // Pages first, then single bytes into what the last page has left.
        for chunk in [&[b'x'; 4096][..], b"x"] {
            loop {
                match filler.write(chunk) {
                    Ok(_) => {}
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => panic!("filling the pipe: {e}"),
                }
            }
        }
        FullPipe {
            _reader: reader,
            filler,
        }
    }

    /// A blocking write end, for the child's stdout: the same pipe opened
    /// again, without the filler's O_NONBLOCK.
    fn writer(&self) -> File {
        let fd = self.filler.as_raw_fd();
        OpenOptions::new()
            .write(true)
            .open(format!("/proc/self/fd/{fd}"))
            .unwrap()
    }
}

/// Whether `pid` sleeps in a write to a full pipe: `pipe_write` (or
/// `anon_pipe_write` in newer kernels) in its wait channel, or, where the
/// kernel shows no symbols there, a `write` to fd 1 in progress.
fn blocked_on_pipe(pid: u32) -> bool {
    let wchan = fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
    if wchan.trim().ends_with("pipe_write") {
        return true;
    }
    let write = if cfg!(target_arch = "x86_64") {
        "1"
    } else {
        "64"
    };
    let syscall = fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
    let mut fields = syscall.split_whitespace();
    wchan.trim() == "0" && fields.next() == Some(write) && fields.next() == Some("0x1")
}

/// Runs `command` (in `dir`) with stdout on a full pipe until it blocks
/// writing its output there, takes a core of it with gcore, ends it and
/// returns the core.
fn core_when_blocked(mut command: Command, dir: &Path) -> Vec<u8> {
    let pipe = FullPipe::new();
    let stderr_path = dir.join("stderr");
    let mut child = command
        .stdout(pipe.writer())
        .stderr(File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    // A bound on a hang, not a speed target: the work takes seconds.
    let deadline = Instant::now() + Duration::from_secs(300);
    while !blocked_on_pipe(child.id()) {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "secrets ended ({status}) before blocking on its output: {}",
                fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "secrets never blocked on stdout");
        std::thread::sleep(Duration::from_millis(20));
    }
    let prefix = dir.join("core");
    let o = Command::new("gcore")
        .arg("-o")
        .arg(&prefix)
        .arg(child.id().to_string())
        .output()
        .unwrap();
    let core_path = PathBuf::from(format!("{}.{}", prefix.display(), child.id()));
    let core = fs::read(&core_path).unwrap_or_else(|e| {
        panic!(
            "gcore wrote no core ({e}): {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    fs::remove_file(&core_path).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(core.len() > 1 << 20, "the core is too small to be one");
    core
}

/// How many times `needle` occurs in `hay`.
fn occurrences(hay: &[u8], needle: &[u8]) -> usize {
    let mut n = 0;
    let mut at = 0;
    while let Some(i) = hay[at..].iter().position(|&b| b == needle[0]) {
        let start = at + i;
        if hay[start..].starts_with(needle) {
            n += 1;
        }
        at = start + 1;
    }
    n
}

/// How much of a freed block's start the allocator may overwrite with its
/// own pointers (glibc: next/key in tcache, fd/bk and the size links of
/// large bins): a freed copy is found by what follows.
const CLOBBERED: usize = 32;

/// Copies of `value` in `core`, raw and in base64, each found by its tail
/// past the first [`CLOBBERED`] bytes (so the value must be longer).
fn copies(core: &[u8], value: &str) -> (usize, usize) {
    let b64 = STANDARD.encode(value);
    assert!(value.len() >= CLOBBERED + 16, "a marker too short to find");
    (
        occurrences(core, &value.as_bytes()[CLOBBERED..]),
        occurrences(core, &b64.as_bytes()[CLOBBERED..]),
    )
}

/// `tag` and 56 random characters.
fn random_marker(tag: &str) -> String {
    let mut rng = rand::rng();
    let tail: String = (0..56)
        .map(|_| char::from(b"abcdefghijkmnpqrstuvwxyz23456789"[rng.random_range(0..32)]))
        .collect();
    format!("{tag}{tail}")
}

/// `doc` as `dir/.env`, mode 0600.
fn write_private_env(dir: &Path, doc: &Document) {
    fs::write(dir.join(".env"), doc.render().as_bytes()).unwrap();
    fs::set_permissions(dir.join(".env"), fs::Permissions::from_mode(0o600)).unwrap();
}

/// `export k8s` of 3,000 keys (enough for every growing buffer to move
/// many times), some double-quoted with escapes: each marker is in the core
/// once raw (the exported value) and once in base64 (the manifest being
/// written).
#[test]
fn export_k8s_leaves_one_copy_of_each_value() {
    if !gcore_usable() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let keys = 3000;
    let mut markers = Vec::new();
    let mut doc = Document::new();
    for i in 0..keys {
        let mut value = random_marker(&format!("K8sMarker{i:04}x"));
        if i % 2 == 1 {
            // Needs double quotes and escapes in the file.
            value.push_str("$ 'q\"\\");
        }
        doc.push(&format!("KEY_{i}"), &SecretValue::new(value.clone()))
            .unwrap();
        if [0, 1, 2, 3, keys / 2, keys - 2, keys - 1].contains(&i) {
            markers.push(value);
        }
    }
    write_private_env(dir, &doc);

    let mut command = secrets(dir);
    command.args(["export", "k8s", "--env", ".env", "--name", "app"]);
    let core = core_when_blocked(command, dir);
    let counts: Vec<(usize, usize)> = markers.iter().map(|m| copies(&core, m)).collect();
    eprintln!("export k8s, copies (raw, base64) of markers: {counts:?}");
    for (marker, (raw, b64)) in markers.iter().zip(&counts) {
        let key = &marker[..13];
        assert!(*raw <= 1, "{key}...: {raw} raw copies in the core");
        assert!(*b64 <= 1, "{key}...: {b64} base64 copies in the core");
    }
}

/// `rotate --apply postgres` through `admin_url` to `server`: blocked on
/// its report, after the database and the .env were changed, neither the
/// old password (a marker) nor the new one (read from the committed .env)
/// is in the core: the report waits until every value is dropped.
fn rotation_leaves_at_most_one_copy(server: &Server, url_query: &str, case: &str) {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let old = random_marker("OldRoleMarker");
    // Through the unix socket, which every rig here lets in with SCRAM.
    let mut admin = postgres::Config::new()
        .host_path(server.socket_dir())
        .port(server.port)
        .user("admin")
        .password(&server.admin_password)
        .dbname("postgres")
        .connect(postgres::NoTls)
        .expect("admin connects");
    admin
        .batch_execute("DROP ROLE IF EXISTS app; CREATE ROLE app LOGIN")
        .unwrap();
    // The administrator's password too is long enough to be found.
    let admin_password = random_marker("AdminMarker");
    admin
        .batch_execute(&alter_role_sql(
            "admin",
            &scram::new_verifier(&admin_password, &mut os_rng()),
        ))
        .unwrap();
    let admin_url = format!(
        "postgresql://admin:{admin_password}@127.0.0.1:{}/postgres{url_query}",
        server.port
    );
    admin
        .batch_execute(&alter_role_sql(
            "app",
            &scram::new_verifier(&old, &mut os_rng()),
        ))
        .unwrap();
    // A URL built from the password: its template rendering and
    // percent-encoding handle the values too.
    fs::write(
        dir.join("secrets.toml"),
        format!(
            r#"
[vars.PG_ADMIN_URL]
external = true
[vars.APP_PASSWORD]
kind = "password"
length = 64
postgres_role = "app"
[vars.APP_URL]
template = "postgresql://app:${{APP_PASSWORD}}@127.0.0.1:{}/postgres"
"#,
            server.port
        ),
    )
    .unwrap();
    let mut doc = Document::new();
    doc.push("PG_ADMIN_URL", &SecretValue::new(admin_url))
        .unwrap();
    doc.push("APP_PASSWORD", &SecretValue::new(old.clone()))
        .unwrap();
    doc.push(
        "APP_URL",
        &SecretValue::new(format!(
            "postgresql://app:{old}@127.0.0.1:{}/postgres",
            server.port
        )),
    )
    .unwrap();
    write_private_env(dir, &doc);

    let mut command = secrets(dir);
    command.args([
        "rotate",
        "--env",
        ".env",
        "APP_PASSWORD",
        "--apply",
        "postgres",
        "--admin-url-var",
        "PG_ADMIN_URL",
    ]);
    let core = core_when_blocked(command, dir);
    let after = Document::parse(&fs::read(dir.join(".env")).unwrap()).unwrap();
    let new = after.get("APP_PASSWORD").unwrap().expose().to_owned();
    assert_ne!(new, old, "the rotation was committed before the report");
    assert!(
        after.get("APP_URL").unwrap().expose().contains(&new),
        "the URL follows the password"
    );

    let (old_copies, new_copies) = (copies(&core, &old), copies(&core, &new));
    // Not bounded: tokio-postgres, which makes the admin connection, keeps
    // the admin password in plain buffers (SECURITY.md, "Memory").
    let admin_copies = copies(&core, &admin_password);
    eprintln!(
        "rotate --apply postgres {case}, copies (raw, base64): old {old_copies:?}, new {new_copies:?}, admin password {admin_copies:?} (not bounded)"
    );
    // The report is printed once every value is dropped: no live copy is
    // left either, so any copy is one nothing cleared.
    assert_eq!(old_copies, (0, 0), "{case}: copies of the old password");
    assert_eq!(new_copies, (0, 0), "{case}: copies of the new password");
}

/// Without TLS (loopback): the login check's own SCRAM-SHA-256.
#[test]
fn rotate_apply_postgres_leaves_at_most_one_copy() {
    if !gcore_usable() {
        return;
    }
    let server = match Server::start() {
        Ok(s) => s,
        Err(why) => return skip(&why, "apt-get install postgresql, run as root"),
    };
    rotation_leaves_at_most_one_copy(&server, "?requirepeer=postgres", "without TLS");
}

/// Over TLS (verify-full, a CA made by openssl, TCP without TLS
/// rejected): the login check's own SCRAM-SHA-256-PLUS.
#[test]
fn rotate_apply_postgres_over_tls_leaves_at_most_one_copy() {
    if !gcore_usable() {
        return;
    }
    let pki = match Pki::make() {
        Ok(p) => p,
        Err(why) => return skip(&why, "apt-get install openssl"),
    };
    let options = Options {
        tls: Some((pki.path("server.crt"), pki.path("server.key"))),
        hba: Some(
            "local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 127.0.0.1/32 reject\n"
                .into(),
        ),
        log_connections: false,
    };
    let server = match Server::start_with(&options) {
        Ok(s) => s,
        Err(why) => return skip(&why, "apt-get install postgresql, run as root"),
    };
    let query = format!(
        "?sslmode=verify-full&sslrootcert={}",
        pki.path("ca.crt").display()
    );
    rotation_leaves_at_most_one_copy(&server, &query, "over TLS");
}
