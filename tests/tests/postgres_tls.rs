//! `secrets rotate --apply postgres` over TLS, against a real PostgreSQL
//! server started with `ssl = on` and certificates made by `openssl`:
//! libpq's `sslmode` (verify-full, verify-ca, require, prefer) and
//! `sslrootcert`, refusals that leave the `.env` and the database as they
//! were, and a login check that never sends a password in clear.

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use secrets_core::envfile::Document;
use secrets_core::generate::os_rng;
use secrets_core::postgres::{alter_role_sql, scram};
use secrets_core::SecretValue;
use secrets_tests::postgres::{Options, Pki, Server};
use secrets_tests::{dir_entries, have_program, require_strace, secrets, secrets_bin, skip};

/// pg_hba.conf of the TLS rig: SCRAM over the unix socket (the test's own
/// door) and over TLS; TCP without TLS is rejected.
const TLS_ONLY: &str = "local all all scram-sha-256
hostssl all all 127.0.0.1/32 scram-sha-256
hostnossl all all 127.0.0.1/32 reject
";

fn pki() -> Option<Pki> {
    Pki::make()
        .map_err(|why| skip(&why, "apt-get install openssl"))
        .ok()
}

fn start(options: Options) -> Option<Server> {
    Server::start_with(&options)
        .map_err(|why| skip(&why, "apt-get install postgresql, run as root"))
        .ok()
}

/// A cluster with TLS from `leaf` (`server` or `wrong`) and `hba`.
fn tls_server(pki: &Pki, leaf: &str, hba: &str) -> Option<Server> {
    start(Options {
        tls: Some((
            pki.path(&format!("{leaf}.crt")),
            pki.path(&format!("{leaf}.key")),
        )),
        hba: Some(hba.into()),
        log_connections: true,
    })
}

/// Whether `role` logs in with `password` through the unix socket (which
/// every rig here allows with SCRAM): the database's state, seen without TLS.
fn login(server: &Server, role: &str, password: &str) -> bool {
    let mut c = postgres::Config::new();
    c.host_path(server.socket_dir())
        .port(server.port)
        .user(role)
        .password(password)
        .dbname("postgres");
    c.connect(postgres::NoTls).is_ok()
}

/// A TCP admin URL; `query` such as `?sslmode=verify-full&sslrootcert=...`.
fn admin_url(server: &Server, query: &str) -> String {
    format!(
        "postgresql://admin:{}@127.0.0.1:{}/postgres{query}",
        server.admin_password, server.port
    )
}

/// A `.env` set up against `server` whose roles have known passwords.
struct Setup {
    dir: tempfile::TempDir,
    a: String,
    b: String,
    before: Vec<u8>,
}

const A: &str = "InitialPasswordA0123456789abcdef";
const B: &str = "p@ss:w/rd?#%&=+ é$";

fn setup(server: &Server) -> Setup {
    let mut c = postgres::Config::new();
    c.host_path(server.socket_dir())
        .port(server.port)
        .user("admin")
        .password(&server.admin_password)
        .dbname("postgres");
    let mut admin = c.connect(postgres::NoTls).expect("admin connects");
    for (role, pw) in [("app_a", A), ("app_b", B)] {
        admin
            .batch_execute(&format!("CREATE ROLE {role} LOGIN"))
            .unwrap();
        admin
            .batch_execute(&alter_role_sql(
                role,
                &scram::new_verifier(pw, &mut os_rng()),
            ))
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let port = server.port;
    fs::write(
        dir.path().join("secrets.toml"),
        format!(
            r#"
[vars.APP_A_PASSWORD]
kind = "password"
postgres_role = "app_a"
[vars.APP_B_PASSWORD]
kind = "password"
postgres_role = "app_b"
[vars.APP_A_URL]
template = "postgresql://app_a:${{APP_A_PASSWORD}}@127.0.0.1:{port}/postgres?sslmode=require"
"#
        ),
    )
    .unwrap();
    let mut doc = Document::new();
    doc.push("APP_A_PASSWORD", &SecretValue::new(A.into()))
        .unwrap();
    doc.push("APP_B_PASSWORD", &SecretValue::new(B.into()))
        .unwrap();
    fs::write(dir.path().join(".env"), doc.render().as_bytes()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir.path().join(".env"), fs::Permissions::from_mode(0o600)).unwrap();
    let o = secrets(dir.path())
        .args(["write", "--out", ".env"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let before = fs::read(dir.path().join(".env")).unwrap();
    Setup {
        dir,
        a: A.into(),
        b: B.into(),
        before,
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const ROTATE_BOTH: [&str; 9] = [
    "rotate",
    "--env",
    ".env",
    "APP_A_PASSWORD",
    "APP_B_PASSWORD",
    "--apply",
    "postgres",
    "--admin-url",
    "-",
];

/// `secrets rotate` of both roles with `admin` on stdin, as `prefix` (a
/// tracer) runs it if given.
fn rotate_with(dir: &Path, admin: &str, prefix: &[&str]) -> Output {
    let mut cmd = match prefix.split_first() {
        Some((tracer, args)) => {
            let mut c = Command::new(tracer);
            c.args(args).arg(secrets_bin()).current_dir(dir);
            c
        }
        None => secrets(dir),
    };
    let mut child = cmd
        .args(ROTATE_BOTH)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{admin}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn rotate(dir: &Path, admin: &str) -> Output {
    rotate_with(dir, admin, &[])
}

fn get(dir: &Path, key: &str) -> String {
    Document::parse(&fs::read(dir.join(".env")).unwrap())
        .unwrap()
        .get(key)
        .unwrap()
        .expose()
        .to_owned()
}

/// A refused rotation: exit 2, one line on stderr with `expected` and no
/// password, the `.env`'s bytes and the old passwords as they were.
fn assert_refused(server: Option<&Server>, s: &Setup, o: &Output, expected: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(expected), "expected {expected:?} in: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let secrets = [s.a.as_str(), s.b.as_str()];
    let admin = server.map(|s| s.admin_password.as_str());
    for pw in secrets.into_iter().chain(admin) {
        assert!(!err.contains(pw), "a password is in the error: {err}");
    }
    assert_eq!(
        fs::read(s.dir.path().join(".env")).unwrap(),
        s.before,
        "the .env changed"
    );
    assert!(
        !dir_entries(s.dir.path())
            .iter()
            .any(|n| n.contains("journal")),
        "a journal remains"
    );
    if let Some(server) = server {
        assert!(
            login(server, "app_a", &s.a) && login(server, "app_b", &s.b),
            "the database changed"
        );
    }
}

/// A rotation that went through: the new passwords log in, the old ones not.
fn assert_rotated(server: &Server, s: &Setup, o: &Output) {
    assert!(o.status.success(), "{}", stderr(o));
    let dir = s.dir.path();
    let (new_a, new_b) = (get(dir, "APP_A_PASSWORD"), get(dir, "APP_B_PASSWORD"));
    assert!(new_a != s.a && new_b != s.b);
    assert!(login(server, "app_a", &new_a) && login(server, "app_b", &new_b));
    assert!(!login(server, "app_a", &s.a) && !login(server, "app_b", &s.b));
    assert!(!dir_entries(dir).iter().any(|n| n.contains("journal")));
}

/// The log's `connection authorized` lines for `role` of logins over TCP
/// (matched by the backend's pid, which the default log_line_prefix shows,
/// to their `connection received: host=127.0.0.1` line).
fn tcp_logins<'a>(log: &'a str, role: &str) -> Vec<&'a str> {
    let pid = |l: &'a str| {
        l.split_once(" [")
            .and_then(|(_, r)| r.split_once(']'))
            .map(|p| p.0)
    };
    let tcp: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("connection received: host=127.0.0.1"))
        .filter_map(pid)
        .collect();
    let needle = format!("connection authorized: user={role} ");
    log.lines()
        .filter(|l| l.contains(&needle) && pid(l).is_some_and(|p| tcp.contains(&p)))
        .collect()
}

#[test]
fn verify_full_with_the_ca_rotates_over_tls() {
    let Some(pki) = pki() else { return };
    let Some(server) = tls_server(&pki, "server", TLS_ONLY) else {
        return;
    };
    let s = setup(&server);
    let url = admin_url(
        &server,
        &format!(
            "?sslmode=verify-full&sslrootcert={}",
            pki.path("ca.crt").display()
        ),
    );
    let o = rotate(s.dir.path(), &url);
    assert_rotated(&server, &s, &o);
    // The admin connection and the login checks all came over TLS (TCP
    // without it is rejected anyway), and none answered a cleartext request.
    let log = server.log();
    for role in ["admin", "app_a", "app_b"] {
        let lines = tcp_logins(&log, role);
        assert!(!lines.is_empty(), "no login of {role} over TCP: {log}");
        assert!(lines.iter().all(|l| l.contains("SSL enabled")), "{lines:?}");
    }
    assert!(!log.contains("method=password"));
}

#[test]
fn prefer_uses_tls_where_the_server_rejects_plaintext() {
    let Some(pki) = pki() else { return };
    let Some(server) = tls_server(&pki, "server", TLS_ONLY) else {
        return;
    };
    let s = setup(&server);
    // The key=value form, no sslmode: libpq's default, prefer (a
    // certificate not checked: the port's listener is named).
    let url = format!(
        "host=127.0.0.1 port={} user=admin password='{}' dbname=postgres requirepeer=postgres",
        server.port, server.admin_password
    );
    let o = rotate(s.dir.path(), &url);
    assert_rotated(&server, &s, &o);
    let log = server.log();
    let lines = tcp_logins(&log, "app_a");
    assert!(!lines.is_empty(), "{log}");
    assert!(lines.iter().all(|l| l.contains("SSL enabled")), "{lines:?}");
}

#[test]
fn a_certificate_from_another_ca_changes_nothing() {
    let Some(pki) = pki() else { return };
    let Some(server) = tls_server(&pki, "server", TLS_ONLY) else {
        return;
    };
    let s = setup(&server);
    let other = pki.path("other-ca.crt");
    // require with a root file verifies the chain, as libpq's verify-ca.
    for mode in ["verify-full", "verify-ca", "require"] {
        let url = admin_url(
            &server,
            &format!("?sslmode={mode}&sslrootcert={}", other.display()),
        );
        let o = rotate(s.dir.path(), &url);
        assert_refused(
            Some(&server),
            &s,
            &o,
            &format!(
                "cannot connect as the administrator: TLS handshake with 127.0.0.1 failed (sslmode={mode}): invalid peer certificate: "
            ),
        );
    }
    // A CA file that is not there: refused before connecting.
    let url = admin_url(
        &server,
        "?sslmode=verify-full&sslrootcert=/nonexistent/ca.crt",
    );
    let o = rotate(s.dir.path(), &url);
    assert_refused(
        Some(&server),
        &s,
        &o,
        "admin URL: sslrootcert /nonexistent/ca.crt: ",
    );
    // require without a root file encrypts and verifies nothing (libpq).
    let o = rotate(
        s.dir.path(),
        &admin_url(&server, "?sslmode=require&requirepeer=postgres"),
    );
    assert_rotated(&server, &s, &o);
}

#[test]
fn verify_ca_accepts_a_leaf_for_another_name_that_verify_full_refuses() {
    let Some(pki) = pki() else { return };
    let Some(server) = tls_server(&pki, "wrong", TLS_ONLY) else {
        return;
    };
    let s = setup(&server);
    let ca = pki.path("ca.crt");
    let url = admin_url(
        &server,
        &format!("?sslmode=verify-full&sslrootcert={}", ca.display()),
    );
    let o = rotate(s.dir.path(), &url);
    assert_refused(
        Some(&server),
        &s,
        &o,
        "TLS handshake with 127.0.0.1 failed (sslmode=verify-full): invalid peer certificate: certificate not valid for name \"127.0.0.1\"; certificate is only valid for DnsName(\"wrong.example\")",
    );
    let url = admin_url(
        &server,
        &format!("?sslmode=verify-ca&sslrootcert={}", ca.display()),
    );
    let o = rotate(s.dir.path(), &url);
    assert_rotated(&server, &s, &o);
}

#[test]
fn the_login_check_never_sends_a_password_in_clear_without_tls() {
    // No TLS; app_a's logins over TCP take a cleartext password.
    let Some(server) = start(Options {
        tls: None,
        hba: Some(
            "local all all scram-sha-256
host all app_a 127.0.0.1/32 password
host all all 127.0.0.1/32 scram-sha-256
"
            .into(),
        ),
        log_connections: true,
    }) else {
        return;
    };
    let s = setup(&server);
    // require: no plaintext after the server's "no TLS".
    let o = rotate(
        s.dir.path(),
        &admin_url(&server, "?sslmode=require&requirepeer=postgres"),
    );
    assert_refused(
        Some(&server),
        &s,
        &o,
        "cannot connect as the administrator: 127.0.0.1 does not offer TLS, which sslmode=require requires",
    );
    // prefer on loopback: the server has no TLS, so plaintext, to the
    // listener the URL names.
    let o = rotate(s.dir.path(), &admin_url(&server, "?requirepeer=postgres"));
    assert_refused(
        Some(&server),
        &s,
        &o,
        "logging in as app_a with the new password failed: the server asked for the password in clear text (pg_hba.conf method `password`); secrets sends passwords only through SCRAM-SHA-256, so it sent nothing; the old passwords were restored and the .env is unchanged",
    );
    let log = server.log();
    assert!(
        log.contains("connection authenticated: identity=\"admin\" method=scram-sha-256"),
        "log_connections is off: {log}"
    );
    assert!(
        !log.contains("method=password"),
        "a password went in clear: {log}"
    );

    // Through the unix socket (SCRAM there), the same check logs in. The
    // cluster runs as `postgres`, not root: its socket is used only when
    // the URL names that account (libpq's requirepeer).
    let url = |extra: &str| {
        format!(
            "host={} port={} user=admin password={} dbname=postgres sslmode=verify-full{extra}",
            server.socket_dir().display(),
            server.port,
            server.admin_password
        )
    };
    let o = rotate(s.dir.path(), &url(""));
    assert_refused(Some(&server), &s, &o, "is served by postgres (uid ");
    assert!(
        stderr(&o).contains("add requirepeer=postgres"),
        "{}",
        stderr(&o)
    );
    let o = rotate(s.dir.path(), &url(" requirepeer=postgres"));
    assert_rotated(&server, &s, &o);
}

#[test]
fn over_tls_the_login_check_takes_only_scram_with_channel_binding() {
    let Some(pki) = pki() else { return };
    let Some(server) = tls_server(
        &pki,
        "server",
        "local all all scram-sha-256
hostssl all app_a 127.0.0.1/32 password
hostssl all all 127.0.0.1/32 scram-sha-256
hostnossl all all 127.0.0.1/32 reject
",
    ) else {
        return;
    };
    let s = setup(&server);
    let url = admin_url(
        &server,
        &format!(
            "?sslmode=verify-full&sslrootcert={}",
            pki.path("ca.crt").display()
        ),
    );
    let o = rotate(s.dir.path(), &url);
    assert_refused(
        Some(&server),
        &s,
        &o,
        "logging in as app_a with the new password failed: 127.0.0.1 did not offer SCRAM-SHA-256-PLUS",
    );
    assert!(!server.log().contains("method=password"));
}

#[test]
fn plaintext_to_a_remote_host_is_refused_before_connecting() {
    // No server: 192.0.2.1 (TEST-NET-1) must never see a packet.
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("secrets.toml"),
        "[vars.APP_A_PASSWORD]\nkind = \"password\"\npostgres_role = \"app_a\"\n[vars.APP_B_PASSWORD]\nkind = \"password\"\npostgres_role = \"app_b\"\n",
    )
    .unwrap();
    let mut doc = Document::new();
    doc.push("APP_A_PASSWORD", &SecretValue::new(A.into()))
        .unwrap();
    doc.push("APP_B_PASSWORD", &SecretValue::new(B.into()))
        .unwrap();
    fs::write(dir.path().join(".env"), doc.render().as_bytes()).unwrap();
    let s = Setup {
        before: fs::read(dir.path().join(".env")).unwrap(),
        dir,
        a: A.into(),
        b: B.into(),
    };
    let traced = require_strace() && have_program("strace");
    let trace = s.dir.path().join("connects");
    let trace_arg = trace.to_str().unwrap().to_owned();
    for url in [
        "host=192.0.2.1 port=5432 user=admin password=TopSecretAdmin dbname=postgres sslmode=allow",
        "postgresql://admin:TopSecretAdmin@192.0.2.1:5432/postgres?sslmode=allow",
    ] {
        let prefix: Vec<&str> = if traced {
            vec![
                "strace",
                "-f",
                "-qq",
                "-e",
                "trace=connect",
                "-o",
                &trace_arg,
            ]
        } else {
            vec![]
        };
        let started = Instant::now();
        let o = rotate_with(s.dir.path(), url, &prefix);
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(!stderr(&o).contains("TopSecretAdmin"));
        assert_eq!(
            stderr(&o),
            "secrets: error: admin URL: sslmode=allow sends the password without TLS first, and 192.0.2.1 is not a unix socket or a loopback address: use sslmode=verify-full (or require), or sslmode=disable to accept plaintext; nothing was changed\n"
        );
        assert_refused(None, &s, &o, "192.0.2.1 is not a unix socket");
        if traced {
            let calls = fs::read_to_string(&trace).unwrap();
            assert!(
                !calls.contains("AF_INET"),
                "a network connection was attempted: {calls}"
            );
            fs::remove_file(&trace).unwrap();
        }
    }
    // The control: the trace does show a connection when one is made (to
    // loopback, where allow may go without TLS; port 1 refuses at once).
    if traced {
        let o = rotate_with(
            s.dir.path(),
            "host=127.0.0.1 port=1 user=admin password=TopSecretAdmin dbname=postgres sslmode=allow",
            &["strace", "-f", "-qq", "-e", "trace=connect", "-o", &trace_arg],
        );
        assert_refused(None, &s, &o, "cannot connect as the administrator");
        let calls = fs::read_to_string(&trace).unwrap();
        assert!(
            calls.contains("AF_INET") && calls.contains("127.0.0.1"),
            "{calls}"
        );
    }
}
