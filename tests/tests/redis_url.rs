//! The catalog's `REDIS_URL` logs in to a real `redis-server` with
//! `requirepass` through the three clients apps use: `redis-cli -u`, redis-py
//! and ioredis. `redis://:PASSWORD@` (no user name) is what redis-cli 7.0
//! refuses: it sends the empty name to `AUTH`, where the others send the
//! password alone. `redis://default:PASSWORD@` suits all three.

use std::fs;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use secrets_core::envfile::Document;
use secrets_tests::{
    have_program, node_prefix, python, require, require_python, run_piped, secrets,
};

/// A `redis-server` of this test on 127.0.0.1, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `redis-server` with `requirepass password`, from a 0600
/// configuration file in `dir` (the password never in argv), without
/// persistence.
fn start_server(dir: &Path, password: &str) -> Server {
    let port = free_port();
    let conf = dir.join("redis.conf");
    let quoted = password.replace('\\', "\\\\").replace('"', "\\\"");
    let text = format!(
        "port {port}\nbind 127.0.0.1\nrequirepass \"{quoted}\"\nsave \"\"\nappendonly no\ndir {}\n",
        dir.display()
    );
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&conf)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
    let child = Command::new("redis-server")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server starts");
    let server = Server { child, port };
    // Readiness, not speed: the deadline only bounds a server that never
    // comes up.
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis-server did not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    server
}

/// The RFC 3986 encoding of the template's `url` escape, written out here
/// independently: every byte but `A-Za-z0-9-._~` as `%XX`.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `secrets write --with redis` in `dir` (keeping a REDIS_PASSWORD already
/// there): the password and the URL it wrote.
fn write_redis_env(dir: &Path) -> (String, String) {
    let o = secrets(dir)
        .args(["write", "--out", ".env", "--with", "redis"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc = Document::parse(&fs::read(dir.join(".env")).unwrap()).unwrap();
    let get = |k: &str| doc.get(k).unwrap().expose().to_owned();
    (get("REDIS_PASSWORD"), get("REDIS_URL"))
}

/// `redis-cli -u URL PING`. redis-cli takes the URL in argv only; the
/// password is a throwaway of this test's server.
fn redis_cli_ping(url: &str) -> Output {
    Command::new("redis-cli")
        .args(["--no-auth-warning", "-u", url, "PING"])
        .stdin(Stdio::null())
        .output()
        .expect("redis-cli runs")
}

const REDIS_PY: &str = r#"
import sys, redis
r = redis.Redis.from_url(sys.stdin.read(), socket_timeout=10)
print("PONG" if r.ping() else "no")
"#;

const IOREDIS: &str = r#"
const Redis = require("ioredis");
let url = "";
process.stdin.on("data", (d) => (url += d));
process.stdin.on("end", () => {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: null });
  r.on("error", () => {});
  r.ping().then(
    (x) => { console.log(x); r.disconnect(); },
    (e) => { console.log("ERR " + e.message.split(" ")[0]); r.disconnect(); process.exitCode = 1; },
  );
});
"#;

/// ioredis's answer to PING through `url` (on stdin).
fn ioredis_ping(url: &str) -> Output {
    let node = Command::new("sh")
        .args(["-c", "command -v node"])
        .output()
        .expect("sh runs");
    let mut c = Command::new(String::from_utf8_lossy(&node.stdout).trim());
    c.args(["-e", IOREDIS])
        .env_clear()
        .env("NODE_PATH", node_prefix().join("node_modules"));
    run_piped(c, url.as_bytes())
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

/// Which clients are here; each missing one is a recorded skip (a failure
/// under CI=true).
struct Clients {
    redis_py: bool,
    ioredis: bool,
}

fn clients() -> Option<Clients> {
    let server = require(
        have_program("redis-server") && have_program("redis-cli"),
        "redis-server and redis-cli",
        "apt-get install redis-server redis-tools",
    );
    if !server {
        return None;
    }
    let redis_py = require_python(&[("redis", "redis")]);
    let ioredis = require(
        have_program("node")
            && node_prefix()
                .join("node_modules/ioredis/package.json")
                .is_file(),
        &format!("node and npm ioredis in {}", node_prefix().display()),
        "tests/install (npm install --prefix /opt/secrets-test-node ioredis@5)",
    );
    Some(Clients { redis_py, ioredis })
}

/// Every client logs in with `url` (rewritten to this test's server), and
/// none with a wrong password: the server does require it.
fn assert_every_client_logs_in(clients: &Clients, server: &Server, url: &str) {
    let local = url.replace("@redis:6379", &format!("@127.0.0.1:{}", server.port));
    assert_ne!(local, url, "the URL names host redis, port 6379");
    let wrong = format!("redis://default:wrong@127.0.0.1:{}", server.port);

    let o = redis_cli_ping(&local);
    assert_eq!(stdout(&o), "PONG", "redis-cli -u refuses the catalog's URL");
    let o = redis_cli_ping(&wrong);
    assert_ne!(
        stdout(&o),
        "PONG",
        "redis-cli logged in with a wrong password"
    );

    if clients.redis_py {
        let o = python(REDIS_PY, &[], local.as_bytes());
        assert_eq!(
            stdout(&o),
            "PONG",
            "redis-py refuses the catalog's URL: {}",
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
        let o = python(REDIS_PY, &[], wrong.as_bytes());
        assert_ne!(
            stdout(&o),
            "PONG",
            "redis-py logged in with a wrong password"
        );
    }
    if clients.ioredis {
        let o = ioredis_ping(&local);
        assert_eq!(stdout(&o), "PONG", "ioredis refuses the catalog's URL");
        let o = ioredis_ping(&wrong);
        assert_ne!(
            stdout(&o),
            "PONG",
            "ioredis logged in with a wrong password"
        );
    }
}

#[test]
fn generated_redis_url_logs_in_with_redis_cli_redis_py_and_ioredis() {
    let Some(clients) = clients() else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let (password, url) = write_redis_env(d.path());
    assert_eq!(url, format!("redis://default:{password}@redis:6379"));
    let server = start_server(d.path(), &password);
    assert_every_client_logs_in(&clients, &server, &url);

    // Why not `redis://:PASSWORD@`: redis-cli 7.0 fails to log in with it.
    let empty_user = format!("redis://:{password}@127.0.0.1:{}", server.port);
    let o = redis_cli_ping(&empty_user);
    assert_ne!(
        stdout(&o),
        "PONG",
        "redis-cli now accepts an empty user name"
    );
}

#[test]
fn a_password_with_url_delimiters_is_percent_encoded_and_logs_in() {
    let Some(clients) = clients() else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    // Every delimiter of a URL's authority, path, query and fragment, and a
    // space: unencoded, any of them ends the password early.
    let password = "p@ss:w/rd%#?+&= x";
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(d.path().join(".env"))
        .unwrap();
    f.write_all(format!("REDIS_PASSWORD='{password}'\n").as_bytes())
        .unwrap();
    let (kept, url) = write_redis_env(d.path());
    assert_eq!(kept, password, "secrets write kept the existing password");
    assert_eq!(
        url,
        format!("redis://default:{}@redis:6379", percent_encode(password))
    );
    let server = start_server(d.path(), password);
    assert_every_client_logs_in(&clients, &server, &url);
}
