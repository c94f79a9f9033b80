//! Against a real `redis-server` each test starts (a temp dir, a unix
//! socket, no TCP port), stopped on drop. Without redis-server a test
//! skips with the reason; under `CI=true` it fails.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use super::*;

const ADMIN_PW: &str = "admin-Pw-3f9c1e";
const OLD: &str = "old-app-Pw-71d2aa0b";
const NEW: &str = "new-app-Pw-c04be913";
const OPS_PW: &str = "ops-Pw-5e8d";

/// redis-server's path, or `None` (a skip, said on stderr) when it is not
/// installed; under `CI=true` a missing server fails the test.
fn redis_server() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("redis-server"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let why = "redis-server missing; install it with: apt-get install redis-server";
        skip(why);
    }
    found
}

/// A component is missing: skipped locally, a failure under `CI=true`.
fn skip(why: &str) {
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "{why} (CI=true requires it)"
    );
    eprintln!("skipped: {why}");
}

/// Where a server keeps its users across a restart.
#[derive(Clone, Copy, PartialEq)]
enum Files {
    /// Command-line options only: nothing survives a restart.
    None,
    /// `--aclfile`: `ACL SAVE` persists.
    AclFile,
    /// A config file: `CONFIG REWRITE` persists.
    ConfigFile,
}

struct Server {
    bin: PathBuf,
    dir: tempfile::TempDir,
    files: Files,
    child: Option<Child>,
    /// More command-line options (TLS).
    extra: Vec<String>,
}

impl Server {
    /// A server with users `admin` (+@all, the admin connection), `app`
    /// (a limited user whose password is [`OLD`]) and `ops` (+@all), and
    /// `default` off; saved to its file when it has one.
    fn start(files: Files) -> Option<Server> {
        Self::start_with(files, |_| Vec::new())
    }

    /// As [`Server::start`], with more options made from the server's
    /// directory.
    fn start_with(files: Files, extra: impl FnOnce(&Path) -> Vec<String>) -> Option<Server> {
        let bin = redis_server()?;
        let dir = tempfile::tempdir().unwrap();
        let extra = extra(dir.path());
        let mut s = Server {
            bin,
            dir,
            files,
            child: None,
            extra,
        };
        let socket = s.socket();
        let common = format!(
            "port 0\nunixsocket {}\nunixsocketperm 700\ndir {}\nsave \"\"\nappendonly no\n",
            socket.display(),
            s.dir.path().display()
        );
        match files {
            Files::None => {}
            Files::AclFile => std::fs::write(s.dir.path().join("users.acl"), "").unwrap(),
            Files::ConfigFile => std::fs::write(s.dir.path().join("redis.conf"), common).unwrap(),
        }
        s.spawn();
        let mut c = UnixStream::connect(&socket).map(Raw).unwrap();
        for line in [
            format!("ACL SETUSER admin on #{} ~* &* +@all", sha(ADMIN_PW)),
            format!("ACL SETUSER app on #{} ~app:* -@all +get +set", sha(OLD)),
            format!("ACL SETUSER ops on #{} ~* &* +@all", sha(OPS_PW)),
            "ACL SETUSER default off".to_owned(),
        ] {
            assert_eq!(c.call(&line), "+OK", "{line}");
        }
        drop(c);
        if files != Files::None {
            let mut engine = s.engine();
            assert_eq!(engine.persist().unwrap(), None);
        }
        Some(s)
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("redis.sock")
    }

    fn spawn(&mut self) {
        let d = self.dir.path();
        let mut cmd = Command::new(&self.bin);
        match self.files {
            Files::ConfigFile => {
                cmd.arg(d.join("redis.conf"));
            }
            Files::None | Files::AclFile => {
                cmd.args(["--port", "0", "--unixsocket"])
                    .arg(self.socket())
                    .args(["--unixsocketperm", "700", "--dir"])
                    .arg(d)
                    .args(["--save", "", "--appendonly", "no"]);
                if self.files == Files::AclFile {
                    cmd.arg("--aclfile").arg(d.join("users.acl"));
                }
            }
        }
        let child = cmd
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        // Up once it answers on its socket (NOAUTH is an answer).
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(s) = UnixStream::connect(self.socket()) {
                if !Raw(s).call("PING").is_empty() {
                    return;
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(c.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
            c.wait().unwrap();
        }
        let _ = std::fs::remove_file(self.socket());
    }

    fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    fn admin_url(&self) -> SecretValue {
        SecretValue::new(format!(
            "unix://{}?user=admin&pass={ADMIN_PW}",
            self.socket().display()
        ))
    }

    fn engine(&self) -> RedisEngine {
        RedisEngine::connect(&self.admin_url()).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn sha(pw: &str) -> String {
    password_hash(&SecretValue::new(pw.to_owned()))
}

/// A bare RESP connection for setting up a server, beside the engine.
struct Raw<S: Read + Write>(S);

impl<S: Read + Write> Raw<S> {
    /// Sends one inline command; returns the first reply line.
    fn call(&mut self, line: &str) -> String {
        self.0.write_all(format!("{line}\r\n").as_bytes()).unwrap();
        let mut reply = Vec::new();
        let mut b = [0u8; 1];
        while self.0.read(&mut b).unwrap_or(0) == 1 {
            reply.push(b[0]);
            if reply.ends_with(b"\r\n") {
                break;
            }
        }
        String::from_utf8_lossy(&reply).trim_end().to_owned()
    }
}

fn change(account: &str, old: &str, new: &str, named: bool) -> AccountChange {
    AccountChange {
        key: "APP_REDIS_PASSWORD".into(),
        account: account.into(),
        old: SecretValue::new(old.into()),
        new: SecretValue::new(new.into()),
        named_explicitly: named,
    }
}

/// An ACL command on the engine's admin connection (test setup).
fn acl(e: &mut RedisEngine, args: &[&str]) {
    let _: () = ::redis::cmd("ACL").arg(args).query(&mut e.admin).unwrap();
}

fn logs_in(e: &mut RedisEngine, account: &str, pw: &str) -> bool {
    e.logs_in(account, &SecretValue::new(pw.into())).unwrap()
}

/// Both passwords log in between set_new and retire_old (no client is
/// refused while readers restart); after retire_old only the new one does.
/// Without a file, persist says the change lives until a restart.
#[test]
fn set_new_keeps_both_then_retire_old_leaves_only_new() {
    let Some(server) = Server::start(Files::None) else {
        return;
    };
    let mut e = server.engine();
    let c = change("app", OLD, NEW, false);
    e.check(std::slice::from_ref(&c)).unwrap();
    assert!(logs_in(&mut e, "app", OLD));
    assert!(!logs_in(&mut e, "app", NEW));
    e.set_new(&c).unwrap();
    assert!(logs_in(&mut e, "app", OLD), "old refused after set_new");
    assert!(logs_in(&mut e, "app", NEW), "new refused after set_new");
    e.retire_old(&c).unwrap();
    assert!(
        !logs_in(&mut e, "app", OLD),
        "old still accepted after retire_old"
    );
    assert!(logs_in(&mut e, "app", NEW));
    // Again (a resumed run): nothing to do, no error.
    e.retire_old(&c).unwrap();
    assert_eq!(e.passwords("app").unwrap(), vec![sha(NEW)]);
    let note = e.persist().unwrap().expect("a note without any file");
    assert!(note.contains("until the server restarts"), "{note}");
}

/// restore_old leaves exactly the old password, and again is harmless.
#[test]
fn restore_old_leaves_only_old() {
    let Some(server) = Server::start(Files::None) else {
        return;
    };
    let mut e = server.engine();
    let c = change("app", OLD, NEW, false);
    e.check(std::slice::from_ref(&c)).unwrap();
    e.set_new(&c).unwrap();
    e.restore_old(&c).unwrap();
    assert!(logs_in(&mut e, "app", OLD));
    assert!(
        !logs_in(&mut e, "app", NEW),
        "new still accepted after restore_old"
    );
    assert_eq!(e.passwords("app").unwrap(), vec![sha(OLD)]);
    e.restore_old(&c).unwrap();
    assert_eq!(e.passwords("app").unwrap(), vec![sha(OLD)]);
}

/// Runs a whole rotation, persists it, restarts the server and logs in.
/// A second change made after persist is lost in the restart: the restart
/// really reloads from the file, so the test would see a missing persist.
fn persisted_rotation_survives_restart(files: Files) {
    let Some(mut server) = Server::start(files) else {
        return;
    };
    let mut e = server.engine();
    let c = change("app", OLD, NEW, false);
    e.check(std::slice::from_ref(&c)).unwrap();
    e.set_new(&c).unwrap();
    assert!(e.logs_in("app", &c.new).unwrap());
    e.retire_old(&c).unwrap();
    assert_eq!(e.persist().unwrap(), None, "a file to persist to");
    let unsaved = change("ops", OPS_PW, "ops-unsaved", true);
    e.set_new(&unsaved).unwrap();
    drop(e);
    server.restart();
    let mut e = server.engine();
    assert!(
        logs_in(&mut e, "app", NEW),
        "new password lost in the restart"
    );
    assert!(
        !logs_in(&mut e, "app", OLD),
        "old password back after the restart"
    );
    assert!(
        !logs_in(&mut e, "ops", "ops-unsaved"),
        "the restart did not reload"
    );
}

#[test]
fn persist_with_aclfile_survives_restart() {
    persisted_rotation_survives_restart(Files::AclFile);
}

#[test]
fn persist_with_config_file_survives_restart() {
    persisted_rotation_survives_restart(Files::ConfigFile);
}

/// Bytes sent by the client on each connection a [`Recorder`] forwarded.
type Streams = Arc<Mutex<Vec<Arc<Mutex<Vec<u8>>>>>>;

/// A loopback TCP port that forwards each connection to the server's unix
/// socket and records what the client sent on it. MONITOR cannot show
/// this: Redis never feeds administrative commands (ACL, CONFIG) to
/// monitors, so a MONITOR test would pass whatever SETUSER sent.
fn recorder(socket: PathBuf) -> (u16, Streams) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let streams: Streams = Arc::default();
    let all = streams.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let mut server = UnixStream::connect(&socket).unwrap();
            let sent = Arc::new(Mutex::new(Vec::new()));
            all.lock().unwrap().push(sent.clone());
            let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut s2, &mut c2);
                let _ = c2.shutdown(Shutdown::Write);
            });
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = client.read(&mut buf) {
                    sent.lock().unwrap().extend_from_slice(&buf[..n]);
                    if server.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = server.shutdown(Shutdown::Write);
            });
        }
    });
    (port, streams)
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The admin connection carries the hashes and never a rotated password;
/// only the login check's own connection carries one (which shows the
/// recorder would see a plaintext if there were one).
#[test]
fn plaintext_never_crosses_the_admin_connection() {
    let Some(server) = Server::start(Files::None) else {
        return;
    };
    let (port, streams) = recorder(server.socket());
    let url = SecretValue::new(format!("redis://admin:{ADMIN_PW}@127.0.0.1:{port}"));
    let mut e = RedisEngine::connect(&url).unwrap();
    let c = change("app", OLD, NEW, false);
    e.check(std::slice::from_ref(&c)).unwrap();
    e.set_new(&c).unwrap();
    e.retire_old(&c).unwrap();
    e.restore_old(&c).unwrap();
    e.persist().unwrap();
    let admin = streams.lock().unwrap()[0].lock().unwrap().clone();
    assert!(
        !contains(&admin, NEW),
        "the new password crossed the admin connection"
    );
    assert!(
        !contains(&admin, OLD),
        "the old password crossed the admin connection"
    );
    assert!(contains(&admin, "SETUSER"));
    assert!(
        contains(&admin, &format!("#{}", sha(NEW))),
        "the new hash was not sent"
    );
    assert!(
        contains(&admin, &format!("!{}", sha(OLD))),
        "the old hash was not removed by hash"
    );
    assert!(e.logs_in("app", &c.old).unwrap());
    let n = streams.lock().unwrap().len();
    assert_eq!(n, 2, "the login check opens its own connection");
    let login = streams.lock().unwrap()[1].lock().unwrap().clone();
    assert!(contains(&login, OLD), "the recorder misses what AUTH sends");
}

/// The admin connection's own user, `ops` (+@all) and `default` with
/// +@all are privileged: refused unless the manifest names them. A
/// limited user is not.
#[test]
fn privileged_account_refused_unless_named() {
    let Some(server) = Server::start(Files::None) else {
        return;
    };
    let mut e = server.engine();
    acl(
        &mut e,
        &[
            "SETUSER",
            "default",
            "on",
            &format!("#{}", sha("default-pw")),
            "+@all",
        ],
    );
    for (account, pw, why) in [
        ("admin", ADMIN_PW, "own user"),
        ("ops", OPS_PW, "privileged"),
        ("default", "default-pw", "privileged"),
    ] {
        let err = e.check(&[change(account, pw, NEW, false)]).unwrap_err().0;
        assert!(
            err.contains(why) && err.contains("nothing was changed"),
            "{account}: {err}"
        );
        e.check(&[change(account, pw, NEW, true)]).unwrap();
    }
    // Limited, but one rule adds an admin command: privileged.
    acl(
        &mut e,
        &[
            "SETUSER",
            "cfg",
            "on",
            &format!("#{}", sha("cfg")),
            "-@all",
            "+get",
            "+config|get",
        ],
    );
    let err = e.check(&[change("cfg", "cfg", NEW, false)]).unwrap_err().0;
    assert!(err.contains("privileged"), "{err}");
    // Rules that never name an admin command but grant one (FLUSHALL is
    // @keyspace): ACL DRYRUN finds it.
    acl(
        &mut e,
        &[
            "SETUSER",
            "ks",
            "on",
            &format!("#{}", sha("ks")),
            "-@all",
            "+@keyspace",
        ],
    );
    assert!(!rules_privileged("-@all +@keyspace"));
    let err = e.check(&[change("ks", "ks", NEW, false)]).unwrap_err().0;
    assert!(err.contains("privileged"), "{err}");
    e.check(&[change("app", OLD, NEW, false)]).unwrap();
    assert_eq!(
        e.passwords("admin").unwrap(),
        vec![sha(ADMIN_PW)],
        "check changed nothing"
    );
}

/// A missing account, a `nopass` one, a disabled one, and one that does
/// not hold the .env's value are refused before anything changes, and
/// check creates no user.
#[test]
fn check_refuses_what_it_cannot_rotate() {
    let Some(server) = Server::start(Files::None) else {
        return;
    };
    let mut e = server.engine();
    let err = e.check(&[change("ghost", OLD, NEW, true)]).unwrap_err().0;
    assert!(err.contains("does not exist"), "{err}");
    assert!(e.get_user("ghost").unwrap().is_none());
    let err = e
        .check(&[change("app", "not-the-value", NEW, true)])
        .unwrap_err()
        .0;
    assert!(err.contains("disagree"), "{err}");
    acl(&mut e, &["SETUSER", "open", "on", "nopass", "+get"]);
    let err = e.check(&[change("open", OLD, NEW, true)]).unwrap_err().0;
    assert!(err.contains("nopass"), "{err}");
    acl(&mut e, &["SETUSER", "app", "off"]);
    let err = e.check(&[change("app", OLD, NEW, true)]).unwrap_err().0;
    assert!(err.contains("disabled"), "{err}");
    // The failures left the user as it was.
    assert_eq!(e.passwords("app").unwrap(), vec![sha(OLD)]);
}

/// A server that cannot be asked is an error, never a "no".
#[test]
fn logs_in_is_an_error_when_the_server_is_gone() {
    let Some(mut server) = Server::start(Files::None) else {
        return;
    };
    let mut e = server.engine();
    server.stop();
    let err = e
        .logs_in("app", &SecretValue::new(OLD.into()))
        .unwrap_err()
        .0;
    assert!(err.contains("cannot reach"), "{err}");
    assert!(!err.contains(OLD));
}

/// A password in clear to anything but loopback, a unix socket or TLS is
/// refused before any connection; no message repeats the URL's password.
#[test]
fn non_loopback_plaintext_refused_before_connecting() {
    for (url, says) in [
        ("redis://admin:s3cret-pw@192.0.2.1:6379", "not a loopback"),
        ("redis://admin:s3cret-pw@db.example:6379", "not a loopback"),
        (
            "redis://admin:s3cret-pw@[2001:db8::1]:6379",
            "not a loopback",
        ),
        ("redis://s3cret-pw@localhost.example", "not a loopback"),
        (
            "rediss://admin:s3cret-pw@db.example:6380/#insecure",
            "fragment",
        ),
        (
            "rediss://admin:s3cret-pw@db.example:6380/?protocol=resp3",
            "not understood",
        ),
        ("http://admin:s3cret-pw@127.0.0.1/", "scheme"),
        ("redis://admin:s3cret-pw@127.0.0.1/x", "database"),
        ("s3cret-pw", "not a URL"),
    ] {
        let err = RedisEngine::connect(&SecretValue::new(url.into()))
            .unwrap_err()
            .0;
        assert!(err.contains(says), "{url}: {err}");
        assert!(!err.contains("s3cret"), "{url}: {err}");
    }
    // Loopback forms parse (nothing listens there: the error is the connection's).
    for url in [
        "redis://a:b@127.0.0.2:1",
        "redis://a:b@[::1]:1",
        "redis://a:b@localhost:1",
    ] {
        let t = Target::parse(&SecretValue::new(url.into())).unwrap();
        assert!(
            matches!(t.transport, Transport::Loopback { ip, .. } if ip.is_loopback()),
            "{url}"
        );
    }
    // A listener on this machine's own non-loopback address, where one
    // exists: the refusal comes before any connection reaches it.
    let Some(ip) = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("192.0.2.1:9").map(|()| s))
        .and_then(|s| s.local_addr())
        .ok()
        .map(|a| a.ip())
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
    else {
        eprintln!("no non-loopback address here: the listener part is not run");
        return;
    };
    let listener = TcpListener::bind((ip, 0)).unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let err = RedisEngine::connect(&SecretValue::new(format!("redis://admin:pw@{ip}:{port}")))
        .unwrap_err()
        .0;
    assert!(err.contains("not a loopback"), "{err}");
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "a connection reached {ip}:{port}"
    );
    // The listener is reachable: a plain TCP connect gets there.
    drop(TcpStream::connect((ip, port)).unwrap());
}

#[test]
fn rules_that_grant_admin_commands_are_privileged() {
    for rules in [
        "+@all",
        "allcommands",
        "-@all +@admin",
        "+@dangerous -flushall",
        "-@all +get +config|get",
        "+ACL",
    ] {
        assert!(rules_privileged(rules), "{rules}");
    }
    for rules in [
        "-@all +get +set",
        "-@all +@read -@dangerous",
        "-@all +ping",
        "",
    ] {
        assert!(!rules_privileged(rules), "{rules}");
    }
}

/// Runs openssl with `args` in `dir`.
fn openssl(dir: &Path, args: &[&str]) {
    let o = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A CA and a server certificate for `localhost` only (no IP address).
fn certificates(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec![
        "req",
        "-x509",
        "-days",
        "2",
        "-subj",
        "/CN=secrets test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ];
    ca.extend(ec);
    openssl(dir, &ca);
    let mut csr = vec![
        "req",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ];
    csr.extend(ec);
    openssl(dir, &csr);
    std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.pem",
        ],
    );
}

/// rediss:// checks the certificate: with the URL's CA and the right name
/// the rotation runs over TLS (the login check too); the system roots, or
/// an address the certificate does not name, are refused.
#[test]
fn rediss_verifies_the_certificate() {
    let have_openssl = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_openssl {
        let why = "openssl missing; install it with: apt-get install openssl";
        skip(why);
        return;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let Some(server) = Server::start_with(Files::None, |d| {
        certificates(d);
        let f = |n: &str| d.join(n).display().to_string();
        vec![
            "--tls-port".into(),
            port.to_string(),
            "--bind".into(),
            "127.0.0.1".into(),
            "--tls-cert-file".into(),
            f("server.pem"),
            "--tls-key-file".into(),
            f("server.key"),
            "--tls-ca-cert-file".into(),
            f("ca.pem"),
            "--tls-auth-clients".into(),
            "no".into(),
        ]
    }) else {
        return;
    };
    let ca = server.dir.path().join("ca.pem");
    let url = |host: &str, ca: bool| {
        let ca = if ca {
            format!("?cacert={}", server.dir.path().join("ca.pem").display())
        } else {
            String::new()
        };
        SecretValue::new(format!("rediss://admin:{ADMIN_PW}@{host}:{port}{ca}"))
    };
    assert!(ca.exists());
    let mut e = RedisEngine::connect(&url("localhost", true)).unwrap();
    let c = change("app", OLD, NEW, false);
    e.check(std::slice::from_ref(&c)).unwrap();
    e.set_new(&c).unwrap();
    assert!(e.logs_in("app", &c.new).unwrap());
    e.retire_old(&c).unwrap();
    assert!(!e.logs_in("app", &c.old).unwrap());
    for (host, with_ca) in [("localhost", false), ("127.0.0.1", true)] {
        let err = RedisEngine::connect(&url(host, with_ca)).unwrap_err().0;
        assert!(
            err.contains("cannot reach") && !err.contains(ADMIN_PW),
            "{host} {with_ca}: {err}"
        );
    }
}
