//! The unprivileged local attacker of `tests/tests/hostile.rs`: a real
//! account (`secrets-attacker`), commands run as it with `setpriv`, and the
//! snapshots that prove a victim file or directory was not touched.

use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::{have_program, is_root, require};

/// The attacker's account name.
pub const NAME: &str = "secrets-attacker";

/// The system interpreter: one under /root (pyenv) is not reachable by the
/// attacker.
pub const PYTHON: &str = "/usr/bin/python3";

/// The attacker's uid and gid, creating the account once per test process.
/// useradd exits 9 when another test process created it first.
pub fn ids() -> (u32, u32) {
    static IDS: OnceLock<(u32, u32)> = OnceLock::new();
    *IDS.get_or_init(|| {
        let status = Command::new("useradd")
            .args(["-r", "-M", "-s", "/usr/sbin/nologin", NAME])
            .stderr(Stdio::null())
            .status()
            .expect("useradd runs");
        assert!(
            status.success() || status.code() == Some(9),
            "useradd {NAME}: {status}"
        );
        let id = |flag: &str| -> u32 {
            let o = Command::new("id")
                .args([flag, NAME])
                .output()
                .expect("id runs");
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse()
                .expect("a numeric id")
        };
        (id("-u"), id("-g"))
    })
}

/// The attacker's uid.
pub fn uid() -> u32 {
    ids().0
}

/// Whether the attacker can be played here (root, useradd, setpriv and the
/// system python3); skips locally, fails under `CI=true`.
pub fn require_attacker() -> bool {
    let here = is_root()
        && have_program("useradd")
        && have_program("setpriv")
        && Path::new(PYTHON).exists();
    if !require(
        here,
        "root with useradd, setpriv and /usr/bin/python3",
        "run as root; apt-get install passwd util-linux python3",
    ) {
        return false;
    }
    ids();
    true
}

/// `program` run as the attacker: its own uid and gid, no supplementary
/// groups, a minimal environment, working directory `/`.
pub fn command(program: &str) -> Command {
    let mut c = Command::new("setpriv");
    c.args([
        &format!("--reuid={NAME}"),
        &format!("--regid={NAME}"),
        "--clear-groups",
        program,
    ])
    .current_dir("/")
    .env_clear()
    .env("PATH", "/usr/bin:/bin");
    c
}

/// A Python script run as the attacker, with `args` as `sys.argv[1:]`.
pub fn python(script: &str, args: &[&Path]) -> Command {
    let mut c = command(PYTHON);
    c.arg("-c").arg(script).args(args);
    c
}

/// An attacker process running in the background, talking over its stdin
/// and stdout; killed when dropped, so a failed assertion leaves no loop
/// behind.
#[derive(Debug)]
pub struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Running {
    /// Starts `command` with piped stdin and stdout.
    pub fn spawn(mut command: Command) -> Running {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the attacker process starts");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Running {
            child,
            stdin,
            stdout,
        }
    }

    /// The next line it prints (without the newline); panics at its end.
    pub fn line(&mut self) -> String {
        let mut s = String::new();
        self.stdout.read_line(&mut s).expect("read the attacker");
        assert!(!s.is_empty(), "the attacker process ended early");
        s.trim_end_matches('\n').to_owned()
    }

    /// Waits for the line `expected` (the attacker saying it is in place).
    pub fn expect(&mut self, expected: &str) {
        let got = self.line();
        assert_eq!(got, expected, "the attacker process said something else");
    }

    /// Sends a line on its stdin.
    pub fn say(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        writeln!(stdin, "{line}").expect("write to the attacker");
        stdin.flush().expect("flush");
    }

    /// Closes its stdin (a loop's signal to stop), waits, and returns what
    /// it printed last.
    pub fn finish(mut self) -> String {
        drop(self.stdin.take());
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self.stdout, &mut rest).expect("read the attacker");
        let status = self.child.wait().expect("wait for the attacker");
        assert!(status.success(), "the attacker process failed: {status}");
        rest.trim().to_owned()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The `secrets` binary under test: `$SECRETS_BIN` when set (to run this
/// suite against another build, such as the previous release, and see which
/// attacks it loses to), else the one built from these sources.
pub fn secrets_bin() -> PathBuf {
    match std::env::var_os("SECRETS_BIN").filter(|p| !p.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => crate::secrets_bin(),
    }
}

/// A `secrets` command run by root in `dir`, clean environment.
pub fn secrets(dir: &Path) -> Command {
    let mut c = Command::new(secrets_bin());
    c.current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .env("NO_COLOR", "1");
    c
}

/// `secrets ARGS` started by `sh` after the shell commands `prelude` (such
/// as `ulimit -c unlimited`): the binary replaces the shell, so its pid is
/// the child's.
pub fn secrets_after(dir: &Path, prelude: &str, args: &[&str]) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(format!("{prelude}; exec \"$0\" \"$@\""))
        .arg(secrets_bin())
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .env("NO_COLOR", "1");
    c
}

/// `secrets_after` under GNU time, which writes the peak RSS in KiB of the
/// command to `rss` (read it with [`peak_kib`]).
pub fn measured(dir: &Path, rss: &Path, prelude: &str, args: &[&str]) -> Command {
    let mut c = Command::new(GNU_TIME);
    c.arg("-o")
        .arg(rss)
        .args(["-f", "%M", "sh", "-c"])
        .arg(format!("{prelude}; exec \"$0\" \"$@\""))
        .arg(secrets_bin())
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .env("NO_COLOR", "1");
    c
}

/// GNU time (Debian package `time`).
pub const GNU_TIME: &str = "/usr/bin/time";

/// The peak RSS in KiB that GNU time wrote to `rss` (removed), if it did.
pub fn peak_kib(rss: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(rss).ok()?;
    let _ = std::fs::remove_file(rss);
    text.lines().last()?.trim().parse().ok()
}

/// A command that ran under a watchdog.
#[derive(Debug)]
pub struct Watched {
    /// Its output (killed: what it wrote until then).
    pub output: Output,
    /// Whether it ended by itself before the limit.
    pub finished: bool,
    /// How long it ran.
    pub elapsed: Duration,
}

/// Runs `command` (stdin closed), killing it after `limit` with its whole
/// process group (a wrapper such as GNU time, and what it started).
pub fn run_watched(mut command: Command, limit: Duration) -> Watched {
    use std::os::unix::process::CommandExt;
    let start = Instant::now();
    let mut child = command
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    // Drained on threads, so a chatty child never blocks on a full pipe.
    let drain = |r: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(child.stdout.take().map(|s| Box::new(s) as _));
    let err = drain(child.stderr.take().map(|s| Box::new(s) as _));
    let (status, finished): (ExitStatus, bool) = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break (s, true);
        }
        if start.elapsed() >= limit {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            break (child.wait().expect("wait"), false);
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = start.elapsed();
    Watched {
        output: Output {
            status,
            stdout: out.join().expect("stdout"),
            stderr: err.join().expect("stderr"),
        },
        finished,
        elapsed,
    }
}

/// What an attack must not change about a file or directory: type, mode,
/// owner, inode, link count, change time, and content (a directory's: its
/// names). Content over 1 MiB is kept as a hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    kind: &'static str,
    mode: u32,
    uid: u32,
    gid: u32,
    ino: u64,
    nlink: u64,
    ctime: (i64, i64),
    content: Content,
}

#[derive(Clone, PartialEq, Eq)]
enum Content {
    Bytes(Vec<u8>),
    Hash(u64, u64),
    Names(Vec<String>),
    Target(PathBuf),
    None,
}

impl Snapshot {
    /// Its mode bits and owner.
    pub fn mode_and_owner(&self) -> (u32, u32) {
        (self.mode, self.uid)
    }
}

impl std::fmt::Debug for Content {
    // Text, so that a failed assertion shows what was written.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Content::Bytes(b) => write!(f, "{:?}", String::from_utf8_lossy(b)),
            Content::Hash(len, h) => write!(f, "{len} bytes, hash {h:016x}"),
            Content::Names(n) => write!(f, "{n:?}"),
            Content::Target(t) => write!(f, "-> {}", t.display()),
            Content::None => f.write_str("-"),
        }
    }
}

/// The snapshot of `path` (not following a final symlink).
pub fn snapshot(path: &Path) -> Snapshot {
    let m = std::fs::symlink_metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let ft = m.file_type();
    let (kind, content) = if ft.is_file() {
        let bytes = std::fs::read(path).expect("read the file");
        let content = if bytes.len() > 1 << 20 {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut h);
            Content::Hash(bytes.len() as u64, h.finish())
        } else {
            Content::Bytes(bytes)
        };
        ("file", content)
    } else if ft.is_dir() {
        ("directory", Content::Names(crate::dir_entries(path)))
    } else if ft.is_symlink() {
        (
            "symlink",
            Content::Target(std::fs::read_link(path).expect("readlink")),
        )
    } else {
        ("special", Content::None)
    };
    Snapshot {
        kind,
        mode: m.mode() & 0o7777,
        uid: m.uid(),
        gid: m.gid(),
        ino: m.ino(),
        nlink: m.nlink(),
        ctime: (m.ctime(), m.ctime_nsec()),
        content,
    }
}

/// Panics unless `path` is as `before` was.
pub fn assert_unchanged(path: &Path, before: &Snapshot, context: &str) {
    let now = snapshot(path);
    assert!(
        now == *before,
        "{context}: {} changed\nbefore: {before:?}\nafter:  {now:?}",
        path.display()
    );
}

/// Whether `path` still is as `before` was.
pub fn unchanged(path: &Path, before: &Snapshot) -> bool {
    std::fs::symlink_metadata(path).is_ok() && snapshot(path) == *before
}

/// A temporary directory, root's, that the attacker can traverse (0755;
/// tempfile makes them 0700).
pub fn public_tempdir() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("a temporary directory");
    chmod(d.path(), 0o755);
    d
}

/// `chmod MODE path`.
pub fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

/// Gives `path` (not following a symlink) to the attacker.
pub fn give(path: &Path) {
    let (u, g) = ids();
    std::os::unix::fs::lchown(path, Some(u), Some(g))
        .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
}

/// A directory at `mode`, the attacker's when `attackers`.
pub fn mkdir(path: &Path, mode: u32, attackers: bool) {
    std::fs::create_dir(path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
    chmod(path, mode);
    if attackers {
        give(path);
    }
}

/// A file holding `content` at `mode`, the attacker's when `attackers`.
pub fn file(path: &Path, content: &[u8], mode: u32, attackers: bool) {
    std::fs::write(path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    chmod(path, mode);
    if attackers {
        give(path);
    }
}

/// Listens on the unix socket `argv[1]` (or, for `tcp`, on a free
/// 127.0.0.1 port it prints) and appends every byte received to `argv[2]`;
/// sends `argv[3]` (hex) on accepting and `argv[4]` (hex) after the first
/// bytes received, the way a server asks for a login, and hangs up after
/// the answer. A PostgreSQL SSLRequest is answered `N` (no TLS) first.
const RECORDER: &str = r#"
import os, socket, sys
path, log = sys.argv[1], sys.argv[2]
greeting, reply = bytes.fromhex(sys.argv[3]), bytes.fromhex(sys.argv[4])
if path == "tcp":
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    print(s.getsockname()[1], flush=True)
else:
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    os.chmod(path, 0o777)
    s.listen(16)
    print("ready", flush=True)
while True:
    c, _ = s.accept()
    c.settimeout(5)
    first = True
    try:
        if greeting:
            c.sendall(greeting)
        while True:
            b = c.recv(65536)
            if not b:
                break
            with open(log, "ab") as f:
                f.write(b)
            if b == bytes.fromhex("0000000804d2162f"):
                c.sendall(b"N")
                continue
            if not (first and reply):
                break
            c.sendall(reply)
            first = False
    except OSError:
        pass
    c.close()
"#;

/// The attacker's impostor server: a unix socket at `socket` (in a
/// directory the attacker can write) recording every byte it is sent into
/// `log`, answering a connection with `greeting` and the first bytes it
/// receives with `reply` (both hex, may be empty). Listening when this
/// returns; killed when dropped.
pub fn recorder(socket: &Path, log: &Path, greeting: &str, reply: &str) -> Running {
    let mut r = Running::spawn(python(
        RECORDER,
        &[socket, log, Path::new(greeting), Path::new(reply)],
    ));
    r.expect("ready");
    r
}

/// [`recorder`] on a free loopback TCP port, which it returns.
pub fn tcp_recorder(log: &Path, greeting: &str, reply: &str) -> (Running, u16) {
    let mut r = Running::spawn(python(
        RECORDER,
        &[Path::new("tcp"), log, Path::new(greeting), Path::new(reply)],
    ));
    let port = r
        .line()
        .trim()
        .parse()
        .expect("the recorder prints its port");
    (r, port)
}

/// The exit code, or a description of the signal that ended it.
pub fn code(o: &Output) -> Result<i32, String> {
    o.status
        .code()
        .ok_or_else(|| format!("killed: {}", o.status))
}

/// Its stderr, lossily.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Its stdout, lossily.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The findings of a JSON report (`--format json`) as `(rule, severity)`,
/// empty when stdout is not one.
pub fn findings(o: &Output) -> Vec<(String, String)> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&o.stdout) else {
        return Vec::new();
    };
    let text = |f: &serde_json::Value, k: &str| f[k].as_str().unwrap_or_default().to_owned();
    v["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| (text(f, "rule"), text(f, "severity")))
                .collect()
        })
        .unwrap_or_default()
}

/// The rule ids of a JSON report.
pub fn rules(o: &Output) -> Vec<String> {
    findings(o).into_iter().map(|(r, _)| r).collect()
}

/// A racer for `python(EXCHANGE_RACER, &[BASE])`, woken by inotify when
/// root creates `app` in `BASE`: it exchanges `app` and `decoy` at once (`renameat2(RENAME_EXCHANGE)`), so
/// that what root opens by the name `app` right after its mkdirat is root's
/// own directory. Between `go` and `sync` it waits on inotify; `sync` is
/// answered with `ok N`, N the exchanges made in this attempt.
pub const EXCHANGE_RACER: &str = r#"
import ctypes, os, select, sys
libc = ctypes.CDLL(None, use_errno=True)
renameat2 = libc.renameat2
renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
AT_FDCWD, RENAME_EXCHANGE, IN_CREATE, IN_NONBLOCK = -100, 2, 0x100, 0o4000
base = sys.argv[1]
app = os.path.join(base, "app").encode()
decoy = os.path.join(base, "decoy").encode()
ino = libc.inotify_init1(IN_NONBLOCK)
assert ino >= 0 and libc.inotify_add_watch(ino, base.encode(), IN_CREATE) >= 0
def drain():
    try:
        while os.read(ino, 4096):
            pass
    except BlockingIOError:
        pass
def line():
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(0, 64)
        if not chunk:
            return None
        data += chunk
    return data.strip()
total = 0
print("ready", flush=True)
while line() == b"go":
    drain()
    print("going", flush=True)
    swaps = 0
    while True:
        ready = select.select([ino, 0], [], [])[0]
        if ino in ready:
            # First the exchange, then the bookkeeping.
            if renameat2(AT_FDCWD, app, AT_FDCWD, decoy, RENAME_EXCHANGE) == 0:
                swaps += 1
            drain()
        if 0 in ready:
            break
    if line() != b"sync":
        break
    total += swaps
    print("ok %d" % swaps, flush=True)
print(total, flush=True)
"#;

/// Root's directory in the attacker's `BASE` (the racer's `decoy`), and
/// what must stay as it is.
#[derive(Debug)]
pub struct Decoy {
    base: PathBuf,
    ino: u64,
    mode_and_owner: (u32, u32),
    gid: u32,
    precious: Snapshot,
}

impl Decoy {
    /// `BASE/decoy`: root's, 0700, holding root's `precious` (0600).
    pub fn make(base: &Path) -> Decoy {
        let dir = base.join("decoy");
        mkdir(&dir, 0o700, false);
        file(&dir.join("precious"), b"root's\n", 0o600, false);
        let s = snapshot(&dir);
        let m = std::fs::metadata(&dir).unwrap();
        Decoy {
            base: base.to_owned(),
            ino: m.ino(),
            mode_and_owner: s.mode_and_owner(),
            gid: m.gid(),
            precious: snapshot(&dir.join("precious")),
        }
    }

    /// Where root's directory is now: `decoy`, or `app` after an exchange.
    pub fn find(&self) -> PathBuf {
        ["decoy", "app"]
            .iter()
            .map(|n| self.base.join(n))
            .find(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.ino() == self.ino))
            .expect("root's directory is still in BASE")
    }

    /// Whether root's directory kept its owner, group, mode and content.
    /// (Not its change time: the exchange itself updates it.)
    pub fn untouched(&self) -> bool {
        let at = self.find();
        let m = std::fs::symlink_metadata(&at).unwrap();
        snapshot(&at).mode_and_owner() == self.mode_and_owner
            && m.gid() == self.gid
            && crate::dir_entries(&at) == ["precious"]
            && unchanged(&at.join("precious"), &self.precious)
    }

    /// Back to the state before an attempt: only root's directory, named
    /// `decoy`, in `BASE`.
    pub fn reset(&self) {
        let at = self.find();
        for name in ["app", "decoy"] {
            let p = self.base.join(name);
            if p != at && std::fs::symlink_metadata(&p).is_ok() {
                std::fs::remove_dir_all(&p).unwrap();
            }
        }
        if at != self.base.join("decoy") {
            std::fs::rename(&at, self.base.join("decoy")).unwrap();
        }
        assert_eq!(crate::dir_entries(&self.base), ["decoy"]);
    }

    /// Removes `app` and `decoy` from `BASE`, whichever is root's.
    pub fn clear(&self) {
        for name in ["app", "decoy"] {
            let p = self.base.join(name);
            if std::fs::symlink_metadata(&p).is_ok() {
                std::fs::remove_dir_all(&p).unwrap();
            }
        }
    }
}
