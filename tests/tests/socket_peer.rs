//! An admin URL naming a unix socket in a directory another user controls:
//! that user (the unprivileged `secrets-attacker`) listens there, as a
//! Redis, MariaDB or PostgreSQL server would, and records every byte it
//! is sent. `rotate --apply` refuses the socket before sending anything,
//! because its listener is neither root, the caller, nor the account the
//! URL names with `requirepeer=`; naming the attacker's account there
//! lets the login through, which proves the recorder would have caught it.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Output, Stdio};

use secrets_core::envfile::Document;
use secrets_core::SecretValue;
use secrets_tests::attacker::{self, secrets, Running};

const ADMIN_PASSWORD: &str = "AdminPasswordTheAttackerWants42";
const OLD: &str = "OldAppPassword0123456789abcdefgh";

/// A MySQL protocol 10 greeting offering `mysql_native_password`: enough
/// for a client to answer with its user and scrambled password.
fn mysql_greeting() -> String {
    let mut p = vec![0x0a];
    p.extend_from_slice(b"5.7.0\0");
    p.extend_from_slice(&7u32.to_le_bytes());
    p.extend_from_slice(b"abcdefgh\0");
    let caps: u32 =
        0x0000_0001 | 0x0000_0008 | 0x0000_0200 | 0x0000_2000 | 0x0000_8000 | 0x0008_0000;
    p.extend_from_slice(&(caps as u16).to_le_bytes());
    p.push(0x21);
    p.extend_from_slice(&2u16.to_le_bytes());
    p.extend_from_slice(&((caps >> 16) as u16).to_le_bytes());
    p.push(21);
    p.extend_from_slice(&[0; 10]);
    p.extend_from_slice(b"ijklmnopqrst\0");
    p.extend_from_slice(b"mysql_native_password\0");
    let mut packet = (p.len() as u32).to_le_bytes()[..3].to_vec();
    packet.push(0);
    packet.extend(p);
    hex::encode(packet)
}

struct Engine {
    name: &'static str,
    manifest: &'static str,
    /// The admin URL for the socket at `dir`, with `extra` query parameters.
    url: fn(&Path, &str) -> String,
    /// The admin URL for loopback TCP `port`, without TLS.
    tcp_url: fn(u16) -> String,
    socket_name: &'static str,
    greeting: fn() -> String,
    /// Sent after the client's first bytes.
    reply: &'static str,
}

fn engines() -> [Engine; 3] {
    [
        Engine {
            name: "redis",
            manifest: "[vars.APP_PASSWORD]\nkind = \"password\"\nredis_user = \"app\"\n",
            url: |dir, extra| {
                format!(
                    "unix://{}/redis.sock?user=admin&pass={ADMIN_PASSWORD}{extra}",
                    dir.display()
                )
            },
            tcp_url: |port| format!("redis://admin:{ADMIN_PASSWORD}@127.0.0.1:{port}"),
            socket_name: "redis.sock",
            greeting: String::new,
            reply: "2b4f4b0d0a", // +OK
        },
        Engine {
            name: "mysql",
            manifest: "[vars.APP_PASSWORD]\nkind = \"password\"\nmysql_user = \"app\"\n",
            url: |dir, extra| {
                format!(
                    "mysql://root:{ADMIN_PASSWORD}@localhost/?socket={}/mysqld.sock{extra}",
                    dir.display()
                )
            },
            tcp_url: |port| format!("mysql://root:{ADMIN_PASSWORD}@127.0.0.1:{port}/"),
            socket_name: "mysqld.sock",
            greeting: mysql_greeting,
            reply: "",
        },
        Engine {
            name: "postgres",
            manifest: "[vars.APP_PASSWORD]\nkind = \"password\"\npostgres_role = \"app\"\n",
            url: |dir, extra| {
                let extra = extra.replace('&', " ");
                format!(
                    "host={} port=5432 user=admin password={ADMIN_PASSWORD} dbname=postgres{extra}",
                    dir.display()
                )
            },
            tcp_url: |port| {
                format!("postgresql://admin:{ADMIN_PASSWORD}@127.0.0.1:{port}/postgres")
            },
            socket_name: ".s.PGSQL.5432",
            greeting: String::new,
            // AuthenticationCleartextPassword: "send me the password".
            reply: "520000000800000003",
        },
    ]
}

/// The project (root's), and the attacker's own directory with its
/// recorder listening on the engine's socket name.
struct Scene {
    project: tempfile::TempDir,
    lair: tempfile::TempDir,
    /// Killed on drop.
    _recorder: Running,
}

impl Scene {
    fn new(engine: &Engine) -> Scene {
        let (uid, gid) = attacker::ids();
        let project = tempfile::tempdir().unwrap();
        fs::write(project.path().join("secrets.toml"), engine.manifest).unwrap();
        let mut doc = Document::new();
        doc.push("APP_PASSWORD", &SecretValue::new(OLD.into()))
            .unwrap();
        fs::write(project.path().join(".env"), doc.render().as_bytes()).unwrap();
        fs::set_permissions(
            project.path().join(".env"),
            fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        let lair = tempfile::tempdir().unwrap();
        fs::set_permissions(lair.path(), fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::chown(lair.path(), Some(uid), Some(gid)).unwrap();
        let socket = lair.path().join(engine.socket_name);
        let log = lair.path().join("received");
        let recorder = attacker::recorder(&socket, &log, &(engine.greeting)(), engine.reply);
        Scene {
            project,
            lair,
            _recorder: recorder,
        }
    }

    fn rotate(&self, engine: &Engine, extra: &str) -> Output {
        self.rotate_with(engine, &(engine.url)(self.lair.path(), extra))
    }

    fn rotate_with(&self, engine: &Engine, url: &str) -> Output {
        let mut child = secrets(self.project.path())
            .args(["rotate", "--env", ".env", "APP_PASSWORD", "--apply"])
            .arg(engine.name)
            .args(["--admin-url", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{url}\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// What the attacker received, after its connection ended.
    fn received(&self) -> Vec<u8> {
        fs::read(self.lair.path().join("received")).unwrap_or_default()
    }

    fn env(&self) -> String {
        fs::read_to_string(self.project.path().join(".env")).unwrap()
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// What is wrong with `o` as a refusal: the attacker received bytes
/// (`got`), or it is not exit 2 on one line holding every `expected`. The
/// password in the error or a changed `.env` fails at once.
fn refusal_problems(
    engine: &str,
    scene: &Scene,
    before: &str,
    o: &Output,
    got: &[u8],
    expected: &[String],
) -> Vec<String> {
    let err = stderr(o);
    assert!(!err.contains(ADMIN_PASSWORD), "{engine}: {err}");
    assert_eq!(scene.env(), before, "{engine}: the .env changed");
    let mut problems = Vec::new();
    if !got.is_empty() {
        problems.push(format!(
            "{engine}: the attacker received {} bytes: {:?}",
            got.len(),
            String::from_utf8_lossy(got)
        ));
    }
    if !(o.status.code() == Some(2)
        && err.lines().count() == 1
        && expected.iter().all(|e| err.contains(e.as_str())))
    {
        problems.push(format!("{engine}: {:?}: {err}", o.status.code()));
    }
    problems
}

#[test]
fn an_attackers_socket_gets_no_byte_of_any_engines_admin_login() {
    if !attacker::require_attacker() {
        return;
    }
    let who = attacker::NAME;
    // Every engine is tried, and every failure reported at the end.
    let mut failures = Vec::new();
    for engine in engines() {
        let scene = Scene::new(&engine);
        let before = scene.env();
        let o = scene.rotate(&engine, "");
        let expected = [
            format!("is served by {who} (uid {})", attacker::uid()),
            "nothing was sent".to_owned(),
            format!("requirepeer={who}"),
        ];
        failures.extend(refusal_problems(
            engine.name,
            &scene,
            &before,
            &o,
            &scene.received(),
            &expected,
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn requirepeer_naming_the_listener_lets_the_login_through() {
    if !attacker::require_attacker() {
        return;
    }
    // The same recorder, now named as the server's account: the client
    // speaks to it, so the test above would have seen a leak.
    for engine in engines() {
        let scene = Scene::new(&engine);
        let o = scene.rotate(&engine, &format!("&requirepeer={}", attacker::NAME));
        assert_ne!(o.status.code(), Some(0), "{}: {}", engine.name, stderr(&o));
        let mut got = scene.received();
        for _ in 0..50 {
            if !got.is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
            got = scene.received();
        }
        assert!(
            !got.is_empty(),
            "{}: the named listener received nothing: {}",
            engine.name,
            stderr(&o)
        );
    }
}

#[test]
fn requirepeer_naming_someone_else_refuses_the_attackers_socket() {
    if !attacker::require_attacker() {
        return;
    }
    for engine in engines() {
        let scene = Scene::new(&engine);
        let o = scene.rotate(&engine, "&requirepeer=root");
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{}: {err}", engine.name);
        assert!(
            err.contains("not by root that requirepeer names"),
            "{}: {err}",
            engine.name
        );
        assert!(scene.received().is_empty(), "{}", engine.name);
    }
}

/// The attacker's listener never accepts and keeps its backlog full (found
/// by the attacker review: the check's connection waited for ever). Each
/// engine gives up within its 10 s limit, refusing the socket, nothing
/// changed.
#[test]
fn a_listener_that_never_accepts_is_refused_in_time() {
    use secrets_tests::attacker::{run_watched, Watched};
    if !attacker::require_attacker() {
        return;
    }
    const STUCK: &str = r#"
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
s.listen(0)
held = []
for _ in range(64):
    c = socket.socket(socket.AF_UNIX)
    c.setblocking(False)
    try:
        c.connect(sys.argv[1])
        held.append(c)
    except BlockingIOError:
        break
print("ready", flush=True)
sys.stdin.read()
"#;
    let mut failures = Vec::new();
    for engine in engines() {
        let (uid, gid) = attacker::ids();
        let project = tempfile::tempdir().unwrap();
        fs::write(project.path().join("secrets.toml"), engine.manifest).unwrap();
        fs::write(project.path().join(".env"), format!("APP_PASSWORD={OLD}\n")).unwrap();
        let before = fs::read(project.path().join(".env")).unwrap();
        let lair = tempfile::tempdir().unwrap();
        fs::set_permissions(lair.path(), fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::chown(lair.path(), Some(uid), Some(gid)).unwrap();
        let socket = lair.path().join(engine.socket_name);
        let mut stuck = Running::spawn(attacker::python(STUCK, &[&socket]));
        stuck.expect("ready");
        let url = (engine.url)(lair.path(), "");
        let mut c = std::process::Command::new("sh");
        c.arg("-c")
            .arg("printf '%s\\n' \"$1\" | exec \"$0\" rotate --env .env APP_PASSWORD --apply \"$2\" --admin-url -")
            .arg(attacker::secrets_bin())
            .arg(&url)
            .arg(engine.name)
            .current_dir(project.path());
        let Watched {
            output, finished, ..
        } = run_watched(c, std::time::Duration::from_secs(60));
        let err = String::from_utf8_lossy(&output.stderr);
        if !finished {
            failures.push(format!("{}: still waiting after 60 s", engine.name));
        } else if !(output.status.code() == Some(2)
            && err.contains("accepted no connection within 10 s"))
        {
            failures.push(format!(
                "{}: {:?}: {err}",
                engine.name,
                output.status.code()
            ));
        }
        if fs::read(project.path().join(".env")).unwrap() != before {
            failures.push(format!("{}: the .env changed", engine.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// No server holds the loopback port the admin URL names (one restarting,
/// Redis with `port 0`), so the attacker does, answering as each server
/// would (found by the attacker review: Redis got `AUTH admin <password>`,
/// PostgreSQL the password in clear after `prefer` fell back). The
/// listener's uid is read from `/proc/net/tcp` first: refused, no byte.
#[test]
fn a_loopback_port_squatter_gets_no_byte_of_the_admin_login() {
    if !attacker::require_attacker() {
        return;
    }
    let who = attacker::NAME;
    let mut failures = Vec::new();
    for engine in engines() {
        let scene = Scene::new(&engine);
        let log = scene.lair.path().join("tcp-received");
        let (_squatter, port) = attacker::tcp_recorder(&log, &(engine.greeting)(), engine.reply);
        let before = scene.env();
        let o = scene.rotate_with(&engine, &(engine.tcp_url)(port));
        let got = fs::read(&log).unwrap_or_default();
        let expected = [format!("127.0.0.1:{port} is served by {who}")];
        failures.extend(refusal_problems(
            engine.name,
            &scene,
            &before,
            &o,
            &got,
            &expected,
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
