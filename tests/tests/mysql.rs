//! `secrets rotate --apply mysql` against a real MariaDB server: every host
//! of a user changes (TCP `app@%`, socket `app@localhost`), the server sees
//! hashes only, a process killed at each step is resumed to a consistent
//! state, privileged accounts need naming, and no password goes in clear
//! to a remote host or into any process's argv.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use secrets_core::envfile::Document;
use secrets_core::SecretValue;
use secrets_tests::mariadb::Server;
use secrets_tests::{
    dir_entries, kill_at_each_cut_then_resume, require_strace, secrets, secrets_bin,
    secrets_under_strace, skip, Cut,
};

const OLD: &str = "OldAppPassword0123456789abcdefgh";

const JOURNAL: &str = "..env.rotation-journal";

fn start() -> Option<Server> {
    match Server::start() {
        Ok(s) => Some(s),
        Err(why) => {
            skip(
                &why,
                "apt-get install mariadb-server mariadb-client, run as root",
            );
            None
        }
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn get(dir: &Path, key: &str) -> String {
    Document::parse(&fs::read(dir.join(".env")).unwrap())
        .unwrap()
        .get(key)
        .unwrap()
        .expose()
        .to_owned()
}

/// `app@%` and `app@localhost` with the password `OLD`, `boss@%` with ALL
/// on *.*, a manifest giving APP_DB_PASSWORD `mysql_user = USER_SPEC`, and
/// a .env holding the admin URL and the old password.
fn setup(server: &Server, dir: &Path, user_spec: &str, admin_url: &str) {
    server
        .root(&format!(
            "DROP USER IF EXISTS app@'%', app@localhost, boss@'%';\
             CREATE USER app@'%' IDENTIFIED BY '{OLD}';\
             CREATE USER app@localhost IDENTIFIED BY '{OLD}';\
             CREATE USER boss@'%' IDENTIFIED BY '{OLD}';\
             GRANT ALL ON *.* TO boss@'%';"
        ))
        .unwrap();
    fs::write(
        dir.join("secrets.toml"),
        format!(
            "[vars.MYSQL_ADMIN_URL]\nexternal = true\n[vars.APP_DB_PASSWORD]\nkind = \"password\"\nmysql_user = {user_spec}\n"
        ),
    )
    .unwrap();
    let mut doc = Document::new();
    doc.push("MYSQL_ADMIN_URL", &SecretValue::new(admin_url.to_owned()))
        .unwrap();
    doc.push("APP_DB_PASSWORD", &SecretValue::new(OLD.into()))
        .unwrap();
    fs::write(dir.join(".env"), doc.render().as_bytes()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir.join(".env"), fs::Permissions::from_mode(0o600)).unwrap();
}

const ROTATE: [&str; 8] = [
    "rotate",
    "--env",
    ".env",
    "APP_DB_PASSWORD",
    "--apply",
    "mysql",
    "--admin-url-var",
    "MYSQL_ADMIN_URL",
];

const RESUME: [&str; 6] = [
    "rotate",
    "--env",
    ".env",
    "--resume",
    "--admin-url-var",
    "MYSQL_ADMIN_URL",
];

/// Both accounts of `app` log in with `password` (TCP as `app@%`, the
/// socket as `app@localhost`).
fn app_logs_in(server: &Server, password: &str) -> (bool, bool) {
    let tcp = server.login("app", password, false);
    let socket = server.login("app", password, true);
    if let Some(who) = &tcp {
        assert_eq!(who, "app@%");
    }
    if let Some(who) = &socket {
        assert_eq!(who, "app@localhost");
    }
    (tcp.is_some(), socket.is_some())
}

/// Every command line and environment of every process, sampled while
/// `command` runs.
fn run_watching_processes(mut command: Command) -> (Output, BTreeSet<String>) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut seen = BTreeSet::new();
    let sample = |seen: &mut BTreeSet<String>| {
        for entry in fs::read_dir("/proc").unwrap().flatten() {
            for what in ["cmdline", "environ"] {
                if let Ok(bytes) = fs::read(entry.path().join(what)) {
                    seen.insert(String::from_utf8_lossy(&bytes).into_owned());
                }
            }
        }
    };
    while child.try_wait().unwrap().is_none() {
        sample(&mut seen);
        std::thread::sleep(Duration::from_millis(2));
    }
    (child.wait_with_output().unwrap(), seen)
}

#[test]
fn every_host_of_the_user_changes_and_the_server_sees_only_hashes() {
    let Some(server) = start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    setup(&server, dir, "\"app\"", &server.admin_url());
    assert_eq!(app_logs_in(&server, OLD), (true, true));

    // Only what the rotation logs: the setup's own statements are before.
    let log_before = server.general_log().len();
    let mut command = secrets(dir);
    command.args(ROTATE);
    let (o, seen) = run_watching_processes(command);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("changed the database passwords of app@%, app@localhost"),
        "{}",
        stdout(&o)
    );
    let new = get(dir, "APP_DB_PASSWORD");
    assert_ne!(new, OLD);
    assert_eq!(
        app_logs_in(&server, &new),
        (true, true),
        "the new password logs in"
    );
    assert_eq!(
        app_logs_in(&server, OLD),
        (false, false),
        "the old password is refused"
    );
    assert!(!dir_entries(dir).iter().any(|n| n.contains("journal")));

    // No process's argv or environment held the new password, and the
    // server logged the hash, never the plaintext.
    assert!(seen.len() > 10, "the sampler saw processes");
    assert!(
        !seen.iter().any(|s| s.contains(&new)),
        "a process showed the new password"
    );
    let log = server.general_log()[log_before..].to_owned();
    assert!(
        log.contains("IDENTIFIED WITH mysql_native_password AS '*"),
        "{log}"
    );
    assert!(
        !log.contains(&new),
        "the general log holds the new password"
    );
    assert!(!log.contains(OLD), "the general log holds the old password");
}

#[test]
fn a_privileged_user_is_refused_unless_named_with_its_host() {
    let Some(server) = start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    setup(&server, dir, "\"boss\"", &server.admin_url());
    let before = fs::read(dir.join(".env")).unwrap();
    let o = secrets(dir).args(ROTATE).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("account `boss@%` is privileged")
            && stderr(&o).contains("nothing was changed"),
        "{}",
        stderr(&o)
    );
    assert_eq!(fs::read(dir.join(".env")).unwrap(), before);
    assert!(server.login("boss", OLD, false).is_some());
    assert!(!dir_entries(dir).iter().any(|n| n.contains("journal")));

    // Named with its host, it rotates.
    setup(&server, dir, "[\"boss@%\"]", &server.admin_url());
    let o = secrets(dir).args(ROTATE).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let new = get(dir, "APP_DB_PASSWORD");
    assert!(server.login("boss", &new, false).is_some());
    assert!(server.login("boss", OLD, false).is_none());
    // `app` was not named: untouched.
    assert_eq!(app_logs_in(&server, OLD), (true, true));
}

#[test]
fn killed_at_each_step_then_resumed_the_env_and_the_server_agree() {
    if !require_strace() {
        return;
    }
    let Some(server) = start() else { return };
    // (syscalls, nth call, what --resume does): the journal's directory
    // fsync (before any ALTER USER), the first login check's connect (after
    // both ALTER USERs; the first two are the admin's and the check of the
    // server's socket), the .env commit's rename, the journal's rewrite
    // after the commit.
    let cuts = [
        Cut {
            calls: "fsync",
            when: 2,
            outcome: "undid",
        },
        Cut {
            calls: "connect",
            when: 3,
            outcome: "completed",
        },
        Cut {
            calls: "rename,renameat,renameat2",
            when: 2,
            outcome: "completed",
        },
        Cut {
            calls: "rename,renameat,renameat2",
            when: 3,
            outcome: "completed",
        },
    ];
    kill_at_each_cut_then_resume(
        &cuts,
        JOURNAL,
        &ROTATE,
        &RESUME,
        |dir| setup(&server, dir, "\"app\"", &server.admin_url()),
        |dir, context, outcome| {
            let in_env = get(dir, "APP_DB_PASSWORD");
            assert_eq!(app_logs_in(&server, &in_env), (true, true), "{context}");
            if in_env != OLD {
                assert_eq!(app_logs_in(&server, OLD), (false, false), "{context}");
            }
            assert_eq!(in_env == OLD, outcome == "undid", "{context}");
        },
    );
}

#[test]
fn a_failed_login_check_restores_the_old_password() {
    if !require_strace() {
        return;
    }
    let Some(server) = start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    setup(&server, dir, "\"app\"", &server.admin_url());
    let before = fs::read(dir.join(".env")).unwrap();
    // The first login check cannot connect (connect #1 is the admin's, #2
    // the check of the server's socket).
    let o = secrets_under_strace(
        dir,
        "trace=connect",
        "inject=connect:error=ECONNREFUSED:when=3",
        &ROTATE,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the old passwords were restored and the .env is unchanged"),
        "{}",
        stderr(&o)
    );
    assert_eq!(fs::read(dir.join(".env")).unwrap(), before);
    assert_eq!(app_logs_in(&server, OLD), (true, true));
    assert!(!dir_entries(dir).iter().any(|n| n.contains("journal")));
}

#[test]
fn a_remote_host_without_tls_is_refused_before_connecting() {
    if !require_strace() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    fs::write(
        dir.join("secrets.toml"),
        "[vars.MYSQL_ADMIN_URL]\nexternal = true\n[vars.APP_DB_PASSWORD]\nkind = \"password\"\nmysql_user = \"app\"\n",
    )
    .unwrap();
    let url = "mysql://admin:TopSecretAdmin@192.0.2.10:3306/?ssl-mode=DISABLED";
    fs::write(
        dir.join(".env"),
        format!("MYSQL_ADMIN_URL={url}\nAPP_DB_PASSWORD={OLD}\n"),
    )
    .unwrap();
    let before = fs::read(dir.join(".env")).unwrap();
    let trace = dir.join("trace");
    let o = Command::new("strace")
        .current_dir(dir)
        .args(["-f", "-qq", "-e", "trace=connect", "-o"])
        .arg(&trace)
        .arg(secrets_bin())
        .args(ROTATE)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not the unix socket or a loopback address"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("TopSecretAdmin"));
    let calls = fs::read_to_string(&trace).unwrap();
    assert!(!calls.contains("192.0.2.10"), "connected: {calls}");
    fs::remove_file(&trace).unwrap();
    assert_eq!(fs::read(dir.join(".env")).unwrap(), before);
    assert_eq!(dir_entries(dir), [".env", "secrets.toml"]);
}

#[test]
fn a_dry_run_lists_the_live_step_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    fs::write(
        dir.join("secrets.toml"),
        "[vars.APP_DB_PASSWORD]\nkind = \"password\"\nmysql_user = [\"app@%\", \"app@localhost\"]\nservices = [\"web\"]\n",
    )
    .unwrap();
    fs::write(dir.join(".env"), format!("APP_DB_PASSWORD={OLD}\n")).unwrap();
    let before = fs::read(dir.join(".env")).unwrap();
    let o = secrets(dir)
        .args([
            "rotate",
            "--env",
            ".env",
            "APP_DB_PASSWORD",
            "--apply",
            "mysql",
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("would change on mysql: app@% for APP_DB_PASSWORD"),
        "{out}"
    );
    assert!(
        out.contains("would change on mysql: app@localhost for APP_DB_PASSWORD"),
        "{out}"
    );
    assert!(out.contains("then restart: web"), "{out}");
    assert_eq!(fs::read(dir.join(".env")).unwrap(), before);
}

/// The journal belongs to the .env's owner: one that names another account
/// (a privileged one, "named explicitly") is refused on --resume, and that
/// account keeps its password.
#[test]
fn a_journal_naming_another_account_is_not_resumed() {
    if !require_strace() {
        return;
    }
    let Some(server) = start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    setup(&server, dir, "\"app\"", &server.admin_url());
    let o = secrets_under_strace(
        dir,
        "trace=rename,renameat,renameat2",
        "inject=rename,renameat,renameat2:signal=SIGKILL:when=2",
        &ROTATE,
    );
    assert_ne!(o.status.code(), Some(0));
    let path = dir.join(JOURNAL);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains(r#""account":"app""#), "{text}");
    let forged = text
        .replace(r#""account":"app""#, r#""account":"boss@%""#)
        .replace(r#""named_explicitly":false"#, r#""named_explicitly":true"#);
    fs::write(&path, &forged).unwrap();
    let o = secrets(dir).args(RESUME).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("which the manifest does not"),
        "{}",
        stderr(&o)
    );
    assert!(
        server.login("boss", OLD, false).is_some(),
        "boss's password changed"
    );
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        forged,
        "the journal is kept"
    );
}

/// A fake server on loopback (an impostor on the port) that asks for
/// caching_sha2_password's full authentication without TLS: the client
/// must not ask for its public key (it would get the password encrypted to
/// the impostor's key). Prints what the client sent after the request, in
/// hex.
const IMPOSTOR: &str = r#"
import socket, struct, sys
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
print(srv.getsockname()[1], flush=True)
srv.settimeout(120)
c, _ = srv.accept(); c.settimeout(20)
def send(seq, payload):
    c.sendall(struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload)
def recv():
    h = b""
    while len(h) < 4:
        part = c.recv(4 - len(h))
        if not part: return None
        h += part
    n = int.from_bytes(h[:3], "little"); body = b""
    while len(body) < n:
        part = c.recv(n - len(body))
        if not part: return None
        body += part
    return body
salt = b"abcdefghijklmnopqrst"
caps = 0x000FF7FF
hs = (b"\x0a" + b"8.0.36\x00" + struct.pack("<I", 7) + salt[:8] + b"\x00"
      + struct.pack("<H", caps & 0xFFFF) + b"\x21" + struct.pack("<H", 2)
      + struct.pack("<H", caps >> 16) + bytes([21]) + b"\x00" * 10 + salt[8:] + b"\x00"
      + b"caching_sha2_password\x00")
send(0, hs)
if recv() is None: print("no-response"); sys.exit()
send(2, b"\x01\x04")
try:
    after = recv()
except OSError:
    after = None
print("nothing" if after is None else "sent:" + after[:64].hex(), flush=True)
"#;

#[test]
fn an_impostor_asking_for_the_password_by_rsa_gets_nothing() {
    use std::io::{BufRead, BufReader};
    if !secrets_tests::require_python(&[]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut fake = Command::new("/usr/bin/python3")
        .args(["-c", IMPOSTOR])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(fake.stdout.take().unwrap()).lines();
    let port = lines.next().unwrap().unwrap();
    fs::write(
        dir.join("secrets.toml"),
        "[vars.MYSQL_ADMIN_URL]\nexternal = true\n[vars.APP_DB_PASSWORD]\nkind = \"password\"\nmysql_user = \"app\"\n",
    )
    .unwrap();
    fs::write(
        dir.join(".env"),
        format!("MYSQL_ADMIN_URL=mysql://admin:TopSecretAdmin@127.0.0.1:{port}/\nAPP_DB_PASSWORD={OLD}\n"),
    )
    .unwrap();
    let o = secrets(dir).args(ROTATE).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot connect as the administrator"),
        "{}",
        stderr(&o)
    );
    let seen = lines.next().unwrap().unwrap();
    let _ = fake.wait();
    // Nothing, or COM_QUIT (0x01) as the client hangs up; never 0x02, the
    // request for the key to encrypt the password with.
    assert!(
        seen == "nothing" || seen == "sent:01",
        "the client went on with the impostor: {seen}"
    );
}

/// The admin URL decides which server gets root's identity (a socket whose
/// peer authentication lets root in without a password) and so which
/// tenant's account changes: a service user owning the `.env` must not
/// choose it. `--admin-url-var` reads it only from a `.env` root or the
/// caller owns; refused before any connection, nothing changed.
#[test]
fn an_admin_url_in_a_service_users_env_is_refused() {
    use secrets_tests::attacker;
    if !attacker::require_attacker() {
        return;
    }
    let (uid, gid) = attacker::ids();
    let root = tempfile::tempdir().unwrap();
    let manifest = root.path().join("secrets.toml");
    fs::write(
        &manifest,
        "[vars.MYSQL_ADMIN_URL]\nexternal = true\n[vars.APP_DB_PASSWORD]\nkind = \"password\"\nmysql_user = \"app\"\n",
    )
    .unwrap();
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    let env = dir.join(".env");
    fs::write(
        &env,
        format!("MYSQL_ADMIN_URL=mysql://root@localhost/?socket=/nonexistent/attacker.sock\nAPP_DB_PASSWORD={OLD}\n"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&env, fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::chown(dir, Some(uid), Some(gid)).unwrap();
    std::os::unix::fs::chown(&env, Some(uid), Some(gid)).unwrap();
    let before = fs::read(&env).unwrap();
    let o = secrets(dir)
        .args(["rotate", "--env", ".env", "--manifest"])
        .arg(&manifest)
        .args([
            "APP_DB_PASSWORD",
            "--apply",
            "mysql",
            "--admin-url-var",
            "MYSQL_ADMIN_URL",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("--admin-url -"), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert_eq!(fs::read(&env).unwrap(), before);
    assert_eq!(dir_entries(dir), [".env"]);
}
