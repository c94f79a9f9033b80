//! Review of the age surface (`edit`, `run`, `encrypt`, `decrypt`,
//! `rotate` and `write --from` on `.env.age`) and of the other files root
//! reads with authority, played by the unprivileged local user of
//! `hostile.rs` (`secrets-attacker`). Each test here is an attack that
//! worked when it was written: it fails until the weakness it names is
//! fixed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use secrets_tests::attacker::{self, code, file, mkdir, public_tempdir, require_attacker, stderr};
use secrets_tests::{have_program, require};

/// A value no rule complains about.
const TOKEN: &[u8] = b"API_TOKEN=Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA\n";

/// Root with the attacker account and the age tools.
fn require_age_attacker() -> bool {
    require_attacker()
        && require(
            have_program("age") && have_program("age-keygen"),
            "age and age-keygen",
            "apt-get install age",
        )
}

fn run_ok(c: &mut Command) -> Output {
    let o = c.output().expect("the program runs");
    assert!(
        o.status.success(),
        "{c:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// An X25519 key pair made by root in `dir`: the identity file (0600) and
/// the public key.
fn keypair(dir: &Path, name: &str) -> (PathBuf, String) {
    let key = dir.join(name);
    run_ok(Command::new("age-keygen").arg("-o").arg(&key));
    let public = run_ok(Command::new("age-keygen").arg("-y").arg(&key));
    let public = String::from_utf8(public.stdout).expect("UTF-8");
    (key, public.trim().to_owned())
}

/// Whether `identity` decrypts `file` (run as root: only the key matters).
fn decrypts(identity: &Path, file: &Path) -> Option<Vec<u8>> {
    let o = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(identity)
        .arg(file)
        .output()
        .expect("age runs");
    o.status.success().then_some(o.stdout)
}

/// A directory the attacker owns (0755) holding a `.env` that puts the
/// attacker's `bin/` first in `PATH`, and `bin/true`, a script that leaves
/// `pwned` behind when root runs it.
fn attackers_path_env(base: &Path) -> (PathBuf, PathBuf) {
    let evil = base.join("evil");
    mkdir(&evil, 0o755, true);
    let bin = evil.join("bin");
    mkdir(&bin, 0o755, true);
    let marker = evil.join("pwned");
    let script = format!("#!/bin/sh\n: > '{}'\n", marker.display());
    file(&bin.join("true"), script.as_bytes(), 0o755, true);
    let env = format!("PATH={}:/usr/bin:/bin\n", bin.display());
    file(&evil.join(".env"), env.as_bytes(), 0o644, true);
    (evil, marker)
}

// A manifest is authority and is read like an SSH key file, but the
// `recipients_file` it names is read like any named file: any owner, any
// directory, symlinks followed. Root's own `secrets.toml` names
// `team/recipients.txt`; `team/` belongs to a team member (the attacker),
// who adds their own age key to it. Root's `encrypt --out` (and `rotate`,
// `edit` of a `.env.age`) then seals root's values to the attacker, with no
// warning, since root's key still decrypts the result.
#[test]
fn manifest_recipients_file_in_a_directory_the_attacker_owns_gets_roots_secrets() {
    if !require_age_attacker() {
        return;
    }
    let base = public_tempdir();
    let keys = base.path().join("keys");
    mkdir(&keys, 0o700, false);
    let (_, root_public) = keypair(&keys, "root.key");
    let (attacker_key, attacker_public) = keypair(&keys, "attacker.key");

    let project = base.path().join("project");
    mkdir(&project, 0o755, false);
    file(&project.join(".env"), TOKEN, 0o600, false);
    file(
        &project.join("secrets.toml"),
        b"[stack]\nname = \"app\"\nrecipients_file = \"team/recipients.txt\"\n",
        0o644,
        false,
    );
    let team = project.join("team");
    mkdir(&team, 0o755, true);
    let recipients = format!("{root_public}\n{attacker_public}\n");
    file(
        &team.join("recipients.txt"),
        recipients.as_bytes(),
        0o644,
        true,
    );

    let o = attacker::secrets(&project)
        .args(["encrypt", "--env", ".env", "--out", ".env.age"])
        .output()
        .unwrap();
    let leaked = decrypts(&attacker_key, &project.join(".env.age"));
    assert!(
        leaked.is_none(),
        "root's .env sealed to the key the attacker put in the manifest's recipients_file ({:?} {})",
        code(&o),
        stderr(&o)
    );
}

// `run` gives the `.env` authority over the environment of the command it
// execs as root, and `Command` looks the program up in the *new* PATH.
// The `.env` is read with no rule on who owns it or its directory: a `.env`
// in a project directory the attacker owns makes `secrets run --env
// evil/.env -- true` exec the attacker's `evil/bin/true` as root.
#[test]
fn run_env_the_attacker_wrote_picks_the_program_root_runs() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let (evil, marker) = attackers_path_env(base.path());
    let o = attacker::secrets(base.path())
        .args(["run", "--env"])
        .arg(evil.join(".env"))
        .args(["--", "true"])
        .output()
        .unwrap();
    assert!(
        !marker.exists(),
        "root ran the attacker's program found through the .env's PATH ({:?} {})",
        code(&o),
        stderr(&o)
    );
}

// The same with an absolute program: the `.env` sets `BASH_ENV` (or
// `LD_PRELOAD`, `PYTHONSTARTUP`, `NODE_OPTIONS`, ...), so an allow-list of
// programs or a PATH resolved before the environment is applied is not
// enough.
#[test]
fn run_env_the_attacker_wrote_sets_bash_env_for_root() {
    if !require_attacker()
        || !require(
            Path::new("/bin/bash").exists(),
            "/bin/bash",
            "apt-get install bash",
        )
    {
        return;
    }
    let base = public_tempdir();
    let evil = base.path().join("evil");
    mkdir(&evil, 0o755, true);
    let marker = evil.join("pwned");
    let payload = evil.join("payload.sh");
    file(
        &payload,
        format!(": > '{}'\n", marker.display()).as_bytes(),
        0o644,
        true,
    );
    file(
        &evil.join(".env"),
        format!("BASH_ENV={}\n", payload.display()).as_bytes(),
        0o644,
        true,
    );
    let o = attacker::secrets(base.path())
        .args(["run", "--env"])
        .arg(evil.join(".env"))
        .args(["--", "/bin/bash", "-c", ":"])
        .output()
        .unwrap();
    assert!(
        !marker.exists(),
        "root's bash sourced the file the attacker's BASH_ENV named ({:?} {})",
        code(&o),
        stderr(&o)
    );
}

// age does not authenticate who encrypted: anyone with root's *public*
// key (it is in the manifest, or `/etc/ssh/ssh_host_ed25519_key.pub`) can
// make a `.env.age` that root's identity decrypts. A `.env.age` the
// attacker dropped in their directory is run by root like its own.
#[test]
fn run_env_age_forged_with_roots_public_key() {
    if !require_age_attacker() {
        return;
    }
    let base = public_tempdir();
    let keys = base.path().join("keys");
    mkdir(&keys, 0o700, false);
    let (root_key, root_public) = keypair(&keys, "root.key");
    let (evil, marker) = attackers_path_env(base.path());
    let forged = evil.join(".env.age");
    let o = attacker::command("/usr/bin/age")
        .arg("-r")
        .arg(&root_public)
        .arg("-o")
        .arg(&forged)
        .arg(evil.join(".env"))
        .output()
        .expect("age runs as the attacker");
    assert!(o.status.success(), "age as the attacker: {}", stderr(&o));
    let o = attacker::secrets(base.path())
        .args(["run", "--env"])
        .arg(&forged)
        .arg("-i")
        .arg(&root_key)
        .args(["--", "true"])
        .output()
        .unwrap();
    assert!(
        !marker.exists(),
        "root ran the program chosen by a .env.age the attacker encrypted to root's public key ({:?} {})",
        code(&o),
        stderr(&o)
    );
}

// `sslrootcert` decides which server root gives the administrator's login
// to (and the new passwords after it), but it was read with
// `File::open`: any owner, any directory, symlinks, FIFOs and devices
// followed and opened. Root's admin URL names `team/ca.crt`; `team/`
// belongs to a team member (the attacker), who can put their own CA there,
// under which their server's certificate verifies. Here the attacker's
// file holds the CA that signed the test server's certificate: root's
// `verify-full` connection then trusts whatever that file says.
#[test]
fn sslrootcert_in_a_directory_the_attacker_owns_decides_whom_root_trusts() {
    use secrets_tests::postgres::{Options, Pki, Server};
    if !require_attacker() {
        return;
    }
    let pki = match Pki::make() {
        Ok(p) => p,
        Err(why) => return secrets_tests::skip(&why, "apt-get install openssl"),
    };
    let server = match Server::start_with(&Options {
        tls: Some((pki.path("server.crt"), pki.path("server.key"))),
        hba: Some("local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 127.0.0.1/32 reject\n".into()),
        log_connections: true,
    }) {
        Ok(s) => s,
        Err(why) => return secrets_tests::skip(&why, "apt-get install postgresql, run as root"),
    };
    let base = public_tempdir();
    let team = base.path().join("team");
    mkdir(&team, 0o755, true);
    let ca = team.join("ca.crt");
    let pem = std::fs::read(pki.path("ca.crt")).unwrap();
    file(&ca, &pem, 0o644, true);

    let project = base.path().join("project");
    mkdir(&project, 0o700, false);
    file(
        &project.join("secrets.toml"),
        b"[vars.APP_PASSWORD]\nkind = \"password\"\npostgres_role = \"app\"\n",
        0o600,
        false,
    );
    file(
        &project.join(".env"),
        b"APP_PASSWORD=Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA\n",
        0o600,
        false,
    );
    let url = format!(
        "postgresql://admin:{}@127.0.0.1:{}/postgres?sslmode=verify-full&sslrootcert={}\n",
        server.admin_password,
        server.port,
        ca.display()
    );
    let mut child = attacker::secrets(&project)
        .args(["rotate", "--env", ".env", "APP_PASSWORD"])
        .args(["--apply", "postgres", "--admin-url", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), url.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    let log = server.log();
    let trusted = log
        .lines()
        .any(|l| l.contains("connection authorized: user=admin") && l.contains("SSL enabled"));
    assert!(
        !trusted,
        "root logged in as the administrator to a server verified with the CA file the attacker controls ({:?} {})",
        code(&o),
        stderr(&o)
    );
    assert_eq!(code(&o), Ok(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("team"), "{}", stderr(&o));
}

// `init --from` reads a project's template by the name root gives, links
// followed: a `.env.example` the attacker made a link to a device was
// opened by root before its type was seen, and opening some devices acts
// (`/dev/watchdog` arms the machine's watchdog, which reboots it when not
// fed). `/dev/zero` stands in for one here, and strace shows each open.
#[test]
fn init_from_a_template_link_to_a_device_opens_the_device_as_root() {
    if !require_attacker() || !secrets_tests::require_strace() {
        return;
    }
    let base = public_tempdir();
    let project = base.path().join("project");
    mkdir(&project, 0o755, true);
    let template = project.join(".env.example");
    std::os::unix::fs::symlink("/dev/zero", &template).unwrap();
    attacker::give(&template);
    let trace = base.path().join("trace");
    let o = Command::new("strace")
        .args(["-f", "-qq", "-y", "-e", "trace=open,openat,openat2", "-o"])
        .arg(&trace)
        .arg(attacker::secrets_bin())
        .args(["init", "--from"])
        .arg(&template)
        .current_dir(base.path())
        .output()
        .expect("strace runs");
    let trace = std::fs::read_to_string(&trace).expect("the trace");
    let opened: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains("</dev/zero>") && !l.contains("O_PATH"))
        .collect();
    assert!(
        opened.is_empty(),
        "root opened the device the attacker's link names: {opened:?}"
    );
    assert_eq!(code(&o), Ok(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("device"), "{}", stderr(&o));
}
