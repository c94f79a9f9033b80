//! `secrets rotate --apply postgres` against a real PostgreSQL server:
//! logins through the derived URLs, no plaintext in the server log, and the
//! failure paths (wrong admin credentials, a missing role, a failed commit,
//! a process killed mid-way, the server stopped) leaving the `.env` and the
//! database in agreement, with `--resume` completing or undoing the work.

use std::fs;
use std::path::Path;
use std::process::Output;
use std::str::FromStr;

use secrets_core::envfile::Document;
use secrets_core::generate::os_rng;
use secrets_core::postgres::{alter_role_sql, scram};
use secrets_core::SecretValue;
use secrets_tests::postgres::Server;
use secrets_tests::{dir_entries, require_strace, secrets, secrets_under_strace, skip};

/// A password with every character that breaks a URL's userinfo.
const SPECIAL: &str = "p@ss:w/rd?#%&=+ é$";

fn manifest(port: u16, extra: &str) -> String {
    format!(
        r#"
[vars.PG_ADMIN_URL]
external = true
[vars.APP_A_PASSWORD]
kind = "password"
postgres_role = "app_a"
[vars.APP_B_PASSWORD]
kind = "password"
postgres_role = "app_b"
[vars.APP_A_URL]
template = "postgresql://app_a:${{APP_A_PASSWORD}}@127.0.0.1:{port}/postgres"
[vars.APP_B_URL]
template = "postgresql://app_b:${{APP_B_PASSWORD}}@127.0.0.1:{port}/postgres"
{extra}"#
    )
}

fn connect(url: &str) -> Result<postgres::Client, postgres::Error> {
    postgres::Config::from_str(url)
        .expect("a valid URL")
        .connect(postgres::NoTls)
}

fn login(server: &Server, role: &str, password: &str) -> bool {
    let mut c = postgres::Config::new();
    c.host("127.0.0.1")
        .port(server.port)
        .user(role)
        .password(password)
        .dbname("postgres");
    c.connect(postgres::NoTls).is_ok()
}

fn get(dir: &Path, key: &str) -> String {
    Document::parse(&fs::read(dir.join(".env")).unwrap())
        .unwrap()
        .get(key)
        .unwrap()
        .expose()
        .to_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Roles app_a and app_b with known passwords (set as SCRAM verifiers), and a
/// .env whose URLs are derived from them by `secrets write`.
fn setup(server: &Server, dir: &Path, extra_manifest: &str) -> (String, String) {
    let mut admin = connect(&server.admin_url()).expect("admin connects");
    let a = "InitialPasswordA0123456789abcdef".to_owned();
    for (role, pw) in [("app_a", a.as_str()), ("app_b", SPECIAL)] {
        admin
            .batch_execute(&format!(
                "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN"
            ))
            .unwrap();
        admin
            .batch_execute(&alter_role_sql(
                role,
                &scram::new_verifier(pw, &mut os_rng()),
            ))
            .unwrap();
    }
    fs::write(
        dir.join("secrets.toml"),
        manifest(server.port, extra_manifest),
    )
    .unwrap();
    let mut doc = Document::new();
    doc.push(
        "PG_ADMIN_URL",
        &SecretValue::new(server.secrets_admin_url()),
    )
    .unwrap();
    doc.push("APP_A_PASSWORD", &SecretValue::new(a.clone()))
        .unwrap();
    doc.push("APP_B_PASSWORD", &SecretValue::new(SPECIAL.into()))
        .unwrap();
    fs::write(dir.join(".env"), doc.render().as_bytes()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir.join(".env"), fs::Permissions::from_mode(0o600)).unwrap();
    let o = secrets(dir)
        .args(["write", "--out", ".env"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    (a, SPECIAL.to_owned())
}

/// `secrets rotate` of both roles' passwords with `--apply postgres`.
const ROTATE_BOTH: [&str; 9] = [
    "rotate",
    "--env",
    ".env",
    "APP_A_PASSWORD",
    "APP_B_PASSWORD",
    "--apply",
    "postgres",
    "--admin-url-var",
    "PG_ADMIN_URL",
];

fn rotate(dir: &Path, extra: &[&str]) -> Output {
    secrets(dir).args(ROTATE_BOTH).args(extra).output().unwrap()
}

fn start() -> Option<Server> {
    match Server::start() {
        Ok(s) => Some(s),
        Err(why) => {
            skip(&why, "apt-get install postgresql, run as root");
            None
        }
    }
}

#[test]
fn rotates_two_roles_and_the_urls_log_in() {
    let Some(server) = start() else { return };
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let (old_a, old_b) = setup(&server, dir, "");
    // The derived URL percent-encodes the URL-special password: it logs in.
    connect(&get(dir, "APP_B_URL")).expect("the derived URL with URL-special characters logs in");
    connect(&get(dir, "APP_A_URL")).expect("app_a logs in before");

    let o = rotate(dir, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout)
        .contains("changed the database passwords of app_a, app_b"));
    let (new_a, new_b) = (get(dir, "APP_A_PASSWORD"), get(dir, "APP_B_PASSWORD"));
    assert_ne!(new_a, old_a);
    assert_ne!(new_b, old_b);
    connect(&get(dir, "APP_A_URL")).expect("app_a logs in through the new URL");
    connect(&get(dir, "APP_B_URL")).expect("app_b logs in through the new URL");
    assert!(
        !login(&server, "app_a", &old_a),
        "the old password of app_a still works"
    );
    assert!(
        !login(&server, "app_b", &old_b),
        "the old password of app_b still works"
    );
    assert!(
        !dir_entries(dir).iter().any(|n| n.contains("journal")),
        "the journal remains"
    );

    let log = server.log();
    assert!(
        log.contains("ALTER ROLE \"app_a\" PASSWORD 'SCRAM-SHA-256$4096:"),
        "statements are logged"
    );
    for pw in [&new_a, &new_b, &old_a, &old_b] {
        assert!(
            !log.contains(pw.as_str()),
            "a plaintext password is in the server log"
        );
    }
}

#[test]
fn wrong_admin_credentials_and_missing_roles_change_nothing() {
    let Some(server) = start() else { return };
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let (a, b) = setup(
        &server,
        dir,
        "[vars.GHOST_PASSWORD]\nkind = \"password\"\npostgres_role = \"ghost\"\n",
    );
    let before = fs::read(dir.join(".env")).unwrap();

    // Wrong admin password: from stdin (argv would show it).
    let mut child = secrets(dir)
        .args([
            "rotate",
            "--env",
            ".env",
            "APP_A_PASSWORD",
            "--apply",
            "postgres",
            "--admin-url",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            format!(
                "postgresql://admin:wrong@127.0.0.1:{}/postgres?requirepeer=postgres\n",
                server.port
            )
            .as_bytes(),
        )
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot connect as the administrator"),
        "{}",
        stderr(&o)
    );
    assert!(
        !stderr(&o).contains("wrong"),
        "the error shows the URL's password"
    );

    // A password in --admin-url is refused before anything happens.
    let o = secrets(dir)
        .args([
            "rotate",
            "--env",
            ".env",
            "APP_A_PASSWORD",
            "--apply",
            "postgres",
            "--admin-url",
            &server.admin_url(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("argv is visible"), "{}", stderr(&o));

    // A role that does not exist, rotated together with a real one.
    let o = secrets(dir)
        .args([
            "rotate",
            "--env",
            ".env",
            "APP_A_PASSWORD",
            "GHOST_PASSWORD",
            "--apply",
            "postgres",
            "--admin-url-var",
            "PG_ADMIN_URL",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "secrets: error: role `ghost` does not exist; nothing was changed\n"
    );

    assert_eq!(
        fs::read(dir.join(".env")).unwrap(),
        before,
        "the .env changed"
    );
    assert!(
        login(&server, "app_a", &a) && login(&server, "app_b", &b),
        "the database changed"
    );
    assert!(!dir_entries(dir).iter().any(|n| n.contains("journal")));
}

fn strace_rotate(dir: &Path, inject: &str) -> Output {
    secrets_under_strace(
        dir,
        "trace=rename,renameat,renameat2,fsync",
        inject,
        &ROTATE_BOTH,
    )
}

/// A server, a .env set up against it, the roles' passwords and the .env's
/// bytes before the test acts; `None` (after `require`) when strace or the
/// server is missing.
struct Fixture {
    server: Server,
    dir: tempfile::TempDir,
    a: String,
    b: String,
    before: Vec<u8>,
}

fn strace_fixture() -> Option<Fixture> {
    if !require_strace() {
        return None;
    }
    let server = start()?;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = setup(&server, dir.path(), "");
    let before = fs::read(dir.path().join(".env")).unwrap();
    Some(Fixture {
        server,
        dir,
        a,
        b,
        before,
    })
}

#[test]
fn a_failed_commit_restores_the_old_passwords() {
    let Some(Fixture {
        server,
        dir: d,
        a,
        b,
        before,
    }) = strace_fixture()
    else {
        return;
    };
    let dir = d.path();
    // The journal's rename is the first; the .env commit is the second.
    let o = strace_rotate(dir, "inject=rename,renameat,renameat2:error=EIO:when=2");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("failed: ")
            && stderr(&o).contains("the old passwords were restored and the .env is unchanged"),
        "{}",
        stderr(&o)
    );
    assert_eq!(fs::read(dir.join(".env")).unwrap(), before);
    assert!(
        login(&server, "app_a", &a) && login(&server, "app_b", &b),
        "old passwords were not restored"
    );
    assert!(!dir_entries(dir).iter().any(|n| n.contains("journal")));
}

#[test]
fn an_interrupted_rotation_is_resumed_after_the_server_comes_back() {
    let Some(Fixture {
        server,
        dir: d,
        a,
        b,
        before,
    }) = strace_fixture()
    else {
        return;
    };
    let dir = d.path();

    // Killed at the .env commit: the database has the new passwords, the
    // .env the old ones, the journal both.
    let o = strace_rotate(
        dir,
        "inject=rename,renameat,renameat2:signal=SIGKILL:when=2",
    );
    assert_ne!(o.status.code(), Some(0));
    assert_eq!(fs::read(dir.join(".env")).unwrap(), before);
    assert!(
        dir_entries(dir)
            .iter()
            .any(|n| n == "..env.rotation-journal"),
        "{:?}",
        dir_entries(dir)
    );
    assert!(
        !login(&server, "app_a", &a) && !login(&server, "app_b", &b),
        "the database kept the old passwords"
    );

    // The server is stopped: resuming fails and keeps the journal.
    server.stop().unwrap();
    let o = secrets(dir)
        .args([
            "rotate",
            "--env",
            ".env",
            "--resume",
            "--admin-url-var",
            "PG_ADMIN_URL",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot connect as the administrator"),
        "{}",
        stderr(&o)
    );
    assert!(dir_entries(dir)
        .iter()
        .any(|n| n == "..env.rotation-journal"));

    // Back up: resuming completes; the .env and the database agree.
    server.start_again().unwrap();
    let o = secrets(dir)
        .args([
            "rotate",
            "--env",
            ".env",
            "--resume",
            "--admin-url-var",
            "PG_ADMIN_URL",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("completed the interrupted rotation"));
    connect(&get(dir, "APP_A_URL")).expect("app_a logs in with the committed password");
    connect(&get(dir, "APP_B_URL")).expect("app_b logs in with the committed password");
    assert!(!dir_entries(dir).iter().any(|n| n.contains("journal")));
    let o = secrets(dir)
        .args([
            "rotate",
            "--env",
            ".env",
            "--resume",
            "--admin-url-var",
            "PG_ADMIN_URL",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no interrupted rotation to resume"));
}

#[test]
fn a_rotation_killed_before_the_database_changed_is_undone() {
    let Some(Fixture {
        server,
        dir: d,
        a,
        b,
        before,
    }) = strace_fixture()
    else {
        return;
    };
    let dir = d.path();
    // fsyncs: the journal's temporary file, then its directory: killed there,
    // after the journal is in place and before any ALTER ROLE.
    let o = strace_rotate(dir, "inject=fsync:signal=SIGKILL:when=2");
    assert_ne!(o.status.code(), Some(0));
    assert!(
        dir_entries(dir)
            .iter()
            .any(|n| n == "..env.rotation-journal"),
        "{:?}",
        dir_entries(dir)
    );
    assert!(login(&server, "app_a", &a) && login(&server, "app_b", &b));
    let o = secrets(dir)
        .args([
            "rotate",
            "--env",
            ".env",
            "--resume",
            "--admin-url-var",
            "PG_ADMIN_URL",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{:?}: {}", o.status, stderr(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("undid the interrupted rotation"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(fs::read(dir.join(".env")).unwrap(), before);
    assert!(login(&server, "app_a", &a) && login(&server, "app_b", &b));
    assert!(!dir_entries(dir).iter().any(|n| n.contains("journal")));
}

#[test]
fn hash_scram_reads_stdin_and_matches_the_known_answer_format() {
    let mut child = secrets(Path::new("."))
        .args(["hash", "scram"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"pencil\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let v = String::from_utf8(o.stdout).unwrap();
    // Recompute with the printed salt: the verifier is the RFC 7677 construction.
    let salt_b64 = v
        .trim()
        .split('$')
        .nth(1)
        .unwrap()
        .split(':')
        .nth(1)
        .unwrap();
    use base64::Engine as _;
    let salt = base64::engine::general_purpose::STANDARD
        .decode(salt_b64)
        .unwrap();
    assert_eq!(salt.len(), 16);
    assert_eq!(v.trim(), scram::verifier("pencil", &salt, 4096));
}

/// A `.env` for one role named through `APP_USER`, and the manifest text.
fn authority_case(server: &Server, dir: &Path, app_user_in_manifest: &str, env_app_user: &str) {
    let mut admin = connect(&server.admin_url()).expect("admin connects");
    admin
        .batch_execute("DROP ROLE IF EXISTS limited; CREATE ROLE limited LOGIN")
        .unwrap();
    admin
        .batch_execute(&alter_role_sql(
            "limited",
            &scram::new_verifier("LimitedInitial0123456789", &mut os_rng()),
        ))
        .unwrap();
    fs::write(
        dir.join("secrets.toml"),
        format!(
            "[vars.PG_ADMIN_URL]\nexternal = true\n[vars.APP_USER]\n{app_user_in_manifest}\n[vars.APP_PASSWORD]\nkind = \"password\"\npostgres_role = \"${{APP_USER}}\"\n"
        ),
    )
    .unwrap();
    let mut doc = Document::new();
    doc.push(
        "PG_ADMIN_URL",
        &SecretValue::new(server.secrets_admin_url()),
    )
    .unwrap();
    doc.push("APP_USER", &SecretValue::new(env_app_user.to_owned()))
        .unwrap();
    doc.push(
        "APP_PASSWORD",
        &SecretValue::new("LimitedInitial0123456789".to_owned()),
    )
    .unwrap();
    fs::write(dir.join(".env"), doc.render().as_bytes()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir.join(".env"), fs::Permissions::from_mode(0o600)).unwrap();
}

fn rotate_app_password(dir: &Path) -> Output {
    secrets(dir)
        .args([
            "rotate",
            "--env",
            ".env",
            "APP_PASSWORD",
            "--apply",
            "postgres",
        ])
        .args(["--admin-url-var", "PG_ADMIN_URL"])
        .output()
        .unwrap()
}

#[test]
fn a_role_named_in_the_env_is_data_not_authority() {
    let Some(server) = start() else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    // The service user edited APP_USER to the superuser; the manifest says
    // the role is `limited`: the manifest wins.
    authority_case(&server, dir, "value = \"limited\"", "admin");
    let o = rotate_app_password(dir);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("changed the database passwords of limited"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(login(&server, "limited", &get(dir, "APP_PASSWORD")));
    assert!(
        login(&server, "admin", &server.admin_password),
        "the superuser keeps its password"
    );

    // A role only the .env names, not vouched for by the manifest: refused.
    authority_case(&server, dir, "external = true", "admin");
    let before = fs::read(dir.join(".env")).unwrap();
    let o = rotate_app_password(dir);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("does not vouch for"), "{}", stderr(&o));
    assert_eq!(fs::read(dir.join(".env")).unwrap(), before);
    assert!(login(&server, "admin", &server.admin_password));
    assert!(login(&server, "limited", "LimitedInitial0123456789"));

    // Named through a manifest value but privileged: refused unless the
    // manifest names it itself.
    authority_case(&server, dir, "value = \"admin\"", "admin");
    let before = fs::read(dir.join(".env")).unwrap();
    let o = rotate_app_password(dir);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("is a superuser"), "{}", stderr(&o));
    assert_eq!(fs::read(dir.join(".env")).unwrap(), before);
    assert!(login(&server, "admin", &server.admin_password));

    // A journal left by an interrupted run blocks a new --apply.
    authority_case(&server, dir, "value = \"limited\"", "limited");
    fs::write(dir.join("..env.rotation-journal"), "{}").unwrap();
    let before = fs::read(dir.join(".env")).unwrap();
    let o = rotate_app_password(dir);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("must be resumed first"),
        "{}",
        stderr(&o)
    );
    assert_eq!(fs::read(dir.join(".env")).unwrap(), before);
    assert_eq!(
        fs::read(dir.join("..env.rotation-journal")).unwrap(),
        b"{}",
        "the journal is kept"
    );
    assert!(login(&server, "limited", "LimitedInitial0123456789"));
}

/// A journal written by the PostgreSQL-only code before the engines shared
/// one transaction (version 1: `role`, no `engine`, no `stage`) is resumed.
#[test]
fn a_version_one_journal_is_resumed() {
    let Some(Fixture {
        server,
        dir: d,
        a,
        b,
        before,
    }) = strace_fixture()
    else {
        return;
    };
    let dir = d.path();
    // Killed at the .env commit, then the journal rewritten as version 1.
    let o = strace_rotate(
        dir,
        "inject=rename,renameat,renameat2:signal=SIGKILL:when=2",
    );
    assert_ne!(o.status.code(), Some(0));
    assert_eq!(fs::read(dir.join(".env")).unwrap(), before);
    let path = dir.join("..env.rotation-journal");
    let mut journal: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    let object = journal.as_object_mut().unwrap();
    assert_eq!(object["engine"], "postgres");
    object.remove("engine");
    object.remove("stage");
    object.remove("restart_keys");
    object.insert("version".into(), 1.into());
    for change in object["changes"].as_array_mut().unwrap() {
        let change = change.as_object_mut().unwrap();
        let account = change.remove("account").unwrap();
        change.insert("role".into(), account);
    }
    fs::write(&path, serde_json::to_vec(&journal).unwrap()).unwrap();
    let o = secrets(dir)
        .args([
            "rotate",
            "--env",
            ".env",
            "--resume",
            "--admin-url-var",
            "PG_ADMIN_URL",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("completed the interrupted rotation"));
    connect(&get(dir, "APP_A_URL")).expect("app_a logs in with the committed password");
    connect(&get(dir, "APP_B_URL")).expect("app_b logs in with the committed password");
    assert!(!login(&server, "app_a", &a) && !login(&server, "app_b", &b));
    assert!(!dir_entries(dir).iter().any(|n| n.contains("journal")));
}
