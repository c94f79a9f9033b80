//! `secrets rotate --apply redis` against a real `redis-server` (an ACL
//! file, a unix socket): the new password logs in, the old one is refused,
//! the `.env` holds the new one and the ACL file keeps it over a restart;
//! a process killed at each step is resumed to a consistent state; a
//! `redis_user` value is refused without its live step.

use std::fs;
use std::path::Path;
use std::process::Output;

use secrets_core::envfile::Document;
use secrets_core::SecretValue;
use secrets_tests::redis::{sha256_hex, Server};
use secrets_tests::{
    dir_entries, kill_at_each_cut_then_resume, require_strace, secrets, skip, Cut,
};

const OLD: &str = "OldRedisAppPassword0123456789abc";

const JOURNAL: &str = "..env.rotation-journal";

const ROTATE: [&str; 8] = [
    "rotate",
    "--env",
    ".env",
    "APP_REDIS_PASSWORD",
    "--apply",
    "redis",
    "--admin-url-var",
    "REDIS_ADMIN_URL",
];

const RESUME: [&str; 6] = [
    "rotate",
    "--env",
    ".env",
    "--resume",
    "--admin-url-var",
    "REDIS_ADMIN_URL",
];

fn start() -> Option<Server> {
    match Server::start() {
        Ok(s) => Some(s),
        Err(why) => {
            skip(&why, "apt-get install redis-server");
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

/// `app` with the password `OLD`, a manifest giving APP_REDIS_PASSWORD
/// `redis_user = "app"`, and a .env holding the admin URL and `OLD`.
fn setup(server: &Server, dir: &Path) {
    server.reset_app(OLD);
    fs::write(
        dir.join("secrets.toml"),
        "[vars.REDIS_ADMIN_URL]\nexternal = true\n[vars.APP_REDIS_PASSWORD]\nkind = \"password\"\nredis_user = \"app\"\n",
    )
    .unwrap();
    let mut doc = Document::new();
    doc.push("REDIS_ADMIN_URL", &SecretValue::new(server.admin_url()))
        .unwrap();
    doc.push("APP_REDIS_PASSWORD", &SecretValue::new(OLD.into()))
        .unwrap();
    fs::write(dir.join(".env"), doc.render().as_bytes()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir.join(".env"), fs::Permissions::from_mode(0o600)).unwrap();
}

#[test]
fn apply_redis_new_password_logs_in_old_refused_and_it_survives_a_restart() {
    let Some(mut server) = start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    setup(&server, dir);
    assert!(server.logs_in("app", OLD));
    let o = secrets(dir).args(ROTATE).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let new = get(dir, "APP_REDIS_PASSWORD");
    assert_ne!(new, OLD);
    assert!(server.logs_in("app", &new), "the new password is refused");
    assert!(
        !server.logs_in("app", OLD),
        "the old password still logs in"
    );
    assert!(!dir_entries(dir).iter().any(|n| n.contains("journal")));
    let out = format!("{}{}", stdout(&o), stderr(&o));
    assert!(!out.contains(&new) && !out.contains(OLD), "{out}");
    // ACL SAVE wrote the hash, never the password.
    let acl = fs::read_to_string(server.acl_file()).unwrap();
    assert!(
        acl.contains(&sha256_hex(&new)) && !acl.contains(&new),
        "{acl}"
    );
    server.restart();
    assert!(
        server.logs_in("app", &new),
        "the new password is lost in a restart"
    );
    assert!(!server.logs_in("app", OLD));
}

#[test]
fn a_redis_user_value_without_apply_is_refused_and_nothing_changes() {
    let Some(server) = start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    setup(&server, dir);
    let before = fs::read(dir.join(".env")).unwrap();
    let o = secrets(dir)
        .args(["rotate", "--env", ".env", "APP_REDIS_PASSWORD"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("stored (redis_user)"), "{}", stderr(&o));
    assert!(stderr(&o).contains("--apply redis"), "{}", stderr(&o));
    assert_eq!(fs::read(dir.join(".env")).unwrap(), before);
    assert!(server.logs_in("app", OLD));
}

#[test]
fn killed_at_each_step_then_resumed_the_env_and_the_server_agree() {
    if !require_strace() {
        return;
    }
    let Some(server) = start() else { return };
    // (syscalls, nth call, what --resume does): the journal's directory
    // fsync (before any ACL SETUSER), the login check's connect (after
    // SETUSER: both passwords work; connect #1 checks who listens on the
    // socket, #2 is the admin's), the .env commit's rename, the
    // journal's rewrite after the commit (before the old one is retired).
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
        |dir| setup(&server, dir),
        |dir, context, outcome| {
            let in_env = get(dir, "APP_REDIS_PASSWORD");
            assert!(server.logs_in("app", &in_env), "{context}");
            if in_env != OLD {
                assert!(
                    !server.logs_in("app", OLD),
                    "{context}: the old password still works"
                );
            }
            assert_eq!(in_env == OLD, outcome == "undid", "{context}");
        },
    );
}
