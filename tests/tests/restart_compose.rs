//! `secrets rotate … --compose FILE [--restart]`: the hint names the
//! compose services that read the rotated value; `--restart` recreates
//! exactly those (a real Docker engine with docker-compose v1 and a
//! busybox image), hands compose no value in its argv or environment, and
//! says which services still run the old value when it fails (exit 3).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use secrets_core::envfile::Document;
use secrets_tests::docker::{Engine, IMAGE};
use secrets_tests::{have_program, require, secrets, skip};

const OLD: &str = "Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA";
const OTHER: &str = "Pw3nR8tY1uI6oA9sD4fG7hJ2kL5zX0cV";

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn value(env: &Path, key: &str) -> String {
    let d = Document::parse(&fs::read(env).unwrap()).unwrap();
    d.get(key).unwrap().expose().to_owned()
}

/// Three services: one reads the `.env` through `env_file`, one
/// interpolates `${KEY}`, one reads only OTHER.
fn project(dir: &Path) {
    fs::write(dir.join(".env"), format!("KEY={OLD}\nOTHER={OTHER}\n")).unwrap();
    let service = |extra: &str| {
        format!("    image: {IMAGE}\n    command: [\"sleep\", \"3600\"]\n    network_mode: none\n{extra}")
    };
    let compose = format!(
        "services:\n  byfile:\n{}  byvar:\n{}  bystander:\n{}",
        service("    env_file: .env\n"),
        service("    environment:\n      SEEN: \"${KEY}\"\n"),
        service("    environment:\n      - OTHER_SEEN=${OTHER:-none}\n"),
    );
    fs::write(dir.join("compose.yml"), compose).unwrap();
}

#[test]
fn the_hint_names_the_compose_services_that_read_the_value() {
    let d = tempfile::tempdir().unwrap();
    project(d.path());
    let o = secrets(d.path())
        .args(["rotate", "KEY", "--compose", "compose.yml"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("restart: byfile, byvar\n"),
        "{}",
        stdout(&o)
    );
    assert_ne!(value(&d.path().join(".env"), "KEY"), OLD);
    let o = secrets(d.path())
        .args(["rotate", "OTHER", "--compose", "compose.yml", "--dry-run"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("then restart: byfile, bystander\n"),
        "{}",
        stdout(&o)
    );
    let o = secrets(d.path())
        .args([
            "rotate",
            "OTHER",
            "--compose",
            "compose.yml",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let services = json
        .pointer("/rotate/services")
        .or_else(|| json.pointer("/services"));
    assert_eq!(
        services,
        Some(&serde_json::json!(["byfile", "bystander"])),
        "{json}"
    );
}

#[test]
fn a_compose_file_that_cannot_be_followed_changes_nothing() {
    let d = tempfile::tempdir().unwrap();
    project(d.path());
    let env = d.path().join(".env");
    let before = fs::read(&env).unwrap();
    let aliased =
        "x-env: &env\n  SEEN: ${KEY}\nservices:\n  a:\n    image: x\n    environment: *env\n";
    fs::write(d.path().join("aliased.yml"), aliased).unwrap();
    for (file, expected) in [
        (
            "aliased.yml",
            "secrets: error: aliased.yml:6:5: an alias (`*name`) is not followed\n",
        ),
        ("missing.yml", "secrets: error: missing.yml: no such file\n"),
    ] {
        let o = secrets(d.path())
            .args(["rotate", "KEY", "--restart", "--compose", file])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert_eq!(stderr(&o), expected);
        assert_eq!(fs::read(&env).unwrap(), before, "{file}");
    }
    // A FIFO where the compose file should be (another user's plant) is
    // refused without blocking on it.
    let fifo = d.path().join("fifo.yml");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let start = std::time::Instant::now();
    let o = secrets(d.path())
        .args(["rotate", "KEY", "--restart", "--compose", "fifo.yml"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("secrets: error: fifo.yml: "),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).to_lowercase().contains("fifo"), "{}", stderr(&o));
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(fs::read(&env).unwrap(), before);
}

/// A `docker-compose` stand-in first on PATH: it records its argv and
/// environment, answers `version`, and fails `up`.
#[test]
fn a_failed_restart_is_exit_3_and_names_the_services_still_running_the_old_value() {
    let d = tempfile::tempdir().unwrap();
    project(d.path());
    let shims = d.path().join("shims");
    fs::create_dir(&shims).unwrap();
    let log = d.path().join("calls.log");
    let script = format!(
        "#!/bin/sh\n{{ echo \"ARGV $*\"; echo \"STDIN $(sha256sum < /dev/stdin)\"; env | sed 's/^/ENV /'; }} >> '{}'\n[ \"$1\" = version ] && exit 0\nexit 1\n",
        log.display()
    );
    for name in ["docker-compose", "docker"] {
        fs::write(shims.join(name), &script).unwrap();
        fs::set_permissions(shims.join(name), fs::Permissions::from_mode(0o755)).unwrap();
    }
    let o = secrets(d.path())
        .env("PATH", format!("{}:/usr/bin:/bin", shims.display()))
        // Values in our environment never reach compose (where KEY would
        // also override the .env's new value).
        .env("KEY", OLD)
        .env("SOME_TOKEN", OTHER)
        .args(["rotate", "KEY", "--restart", "--compose", "compose.yml"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let new = value(&d.path().join(".env"), "KEY");
    assert_ne!(new, OLD);
    assert!(stdout(&o).contains("rotated KEY"), "{}", stdout(&o));
    assert!(
        stderr(&o).ends_with("still running with the old values: byfile, byvar\n"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains(".env holds the new values"),
        "{}",
        stderr(&o)
    );
    let calls = fs::read_to_string(&log).unwrap();
    for v in [OLD, OTHER, new.as_str()] {
        assert!(
            !calls.contains(v),
            "a value reached compose's argv or environment:\n{calls}"
        );
    }
    // Compose reads the project's .env from its stdin: the file as it was
    // checked after the commit, with the new value.
    let up = "--env-file /dev/stdin -f compose.yml up -d --no-deps --force-recreate byfile byvar";
    assert!(
        calls.contains(&format!("ARGV compose {up}\n")) || calls.contains(&format!("ARGV {up}\n")),
        "{calls}"
    );
    use sha2::Digest;
    let committed = hex::encode(sha2::Sha256::digest(
        fs::read(d.path().join(".env")).unwrap(),
    ));
    let stdin = calls
        .lines()
        .skip_while(|l| !l.ends_with(up))
        .nth(1)
        .unwrap_or_default();
    assert!(
        stdin.starts_with(&format!("STDIN {committed}")),
        "{stdin}\n{calls}"
    );
    let names: Vec<&str> = calls
        .lines()
        .filter_map(|l| l.strip_prefix("ENV "))
        .filter_map(|l| l.split_once('=').map(|(n, _)| n))
        .collect();
    for n in &names {
        assert!(
            [
                // What compose needs (the engine, the project's name).
                "PATH",
                "HOME",
                "LC_ALL",
                "DOCKER_HOST",
                "DOCKER_CONTEXT",
                "DOCKER_CONFIG",
                "DOCKER_CERT_PATH",
                "DOCKER_TLS_VERIFY",
                "COMPOSE_PROJECT_NAME",
                // What the shim's shell sets itself.
                "PWD",
                "SHLVL",
                "_",
                "OLDPWD",
            ]
            .contains(n),
            "compose got {n} from our environment:\n{calls}"
        );
    }
}

fn container(engine: &Engine, dir: &Path, service: &str) -> String {
    let o = engine
        .docker()
        .args(["ps", "-q", "--no-trunc", "--filter"])
        .arg(format!("label=com.docker.compose.service={service}"))
        .output()
        .unwrap();
    let id = stdout(&o).trim().to_owned();
    assert!(
        o.status.success() && !id.is_empty() && !id.contains('\n'),
        "{service} in {}: {id:?}",
        dir.display()
    );
    id
}

fn env_of(engine: &Engine, id: &str) -> String {
    engine.ok(&["exec", id, "busybox", "env"]).unwrap()
}

#[test]
fn restart_recreates_exactly_the_readers_and_they_see_the_new_value() {
    if !require(
        have_program("docker-compose"),
        "docker-compose",
        "apt-get install docker-compose",
    ) {
        return;
    }
    let engine = match Engine::start() {
        Ok(e) => e,
        Err(why) => {
            skip(
                &why,
                "apt-get install docker.io docker-compose busybox-static, run as root",
            );
            return;
        }
    };
    let d = tempfile::tempdir().unwrap();
    project(d.path());
    let file = d.path().join("compose.yml");
    let up = std::process::Command::new("docker-compose")
        .env("DOCKER_HOST", &engine.host)
        .arg("-f")
        .arg(&file)
        .args(["up", "-d"])
        .output()
        .unwrap();
    assert!(up.status.success(), "{}", stderr(&up));
    let before: Vec<String> = ["byfile", "byvar", "bystander"]
        .iter()
        .map(|s| container(&engine, d.path(), s))
        .collect();
    assert!(env_of(&engine, &before[0]).contains(&format!("KEY={OLD}\n")));
    let o = secrets(d.path())
        .env("DOCKER_HOST", &engine.host)
        .env("KEY", OLD)
        .args(["rotate", "KEY", "--restart", "--compose"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("recreated byfile, byvar\n"),
        "{}",
        stdout(&o)
    );
    assert!(!stdout(&o).contains("restart:"), "{}", stdout(&o));
    let new = value(&d.path().join(".env"), "KEY");
    assert_ne!(new, OLD);
    let after: Vec<String> = ["byfile", "byvar", "bystander"]
        .iter()
        .map(|s| container(&engine, d.path(), s))
        .collect();
    assert_ne!(after[0], before[0], "byfile was not recreated");
    assert_ne!(after[1], before[1], "byvar was not recreated");
    assert_eq!(after[2], before[2], "bystander was recreated");
    assert!(env_of(&engine, &after[0]).contains(&format!("KEY={new}\n")));
    assert!(env_of(&engine, &after[1]).contains(&format!("SEEN={new}\n")));
    assert!(env_of(&engine, &after[2]).contains(&format!("OTHER_SEEN={OTHER}\n")));
    let _ = std::process::Command::new("docker-compose")
        .env("DOCKER_HOST", &engine.host)
        .arg("-f")
        .arg(&file)
        .args(["down", "-t", "0"])
        .output();
}

/// Reads every process's argv and environment until `stop`, counting the
/// scans and the processes whose argv or environment held `needle`.
fn scan_processes(
    needles: Vec<String>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<(usize, Vec<String>)> {
    std::thread::spawn(move || {
        let (mut scans, mut seen) = (0, Vec::new());
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            for entry in fs::read_dir("/proc").unwrap().flatten() {
                for what in ["cmdline", "environ"] {
                    let Ok(bytes) = fs::read(entry.path().join(what)) else {
                        continue;
                    };
                    let text = String::from_utf8_lossy(&bytes);
                    for n in &needles {
                        if text.contains(n.as_str()) {
                            seen.push(format!("{} {what}: {n}", entry.path().display()));
                        }
                    }
                }
            }
            scans += 1;
        }
        (scans, seen)
    })
}

/// `--apply command`'s step: a busybox service whose "CLI" is a shell
/// script that stores the password it reads on stdin. The value reaches
/// it on stdin only (no process's argv or environment holds it while it
/// runs), its exit status is the result, and a failing command changes
/// nothing.
#[test]
fn a_container_cli_gets_the_value_on_stdin_and_never_in_argv() {
    use secrets_core::compose::{ComposeProject, ComposeTool};
    use secrets_core::SecretValue;
    if !require(
        have_program("docker-compose"),
        "docker-compose",
        "apt-get install docker-compose",
    ) {
        return;
    }
    let engine = match Engine::start() {
        Ok(e) => e,
        Err(why) => {
            skip(
                &why,
                "apt-get install docker.io docker-compose busybox-static, run as root",
            );
            return;
        }
    };
    let d = tempfile::tempdir().unwrap();
    let cli = d.path().join("cli");
    fs::create_dir_all(cli.join("state")).unwrap();
    fs::write(
        cli.join("set.sh"),
        "read -r p\n[ -e /cli/fail ] && exit 1\n[ -n \"$p\" ] || exit 2\nprintf '%s' \"$p\" > /cli/state/password\n",
    )
    .unwrap();
    fs::write(
        cli.join("verify.sh"),
        "read -r p\n[ \"$p\" = \"$(cat /cli/state/password)\" ] && exit 0\nexit 1\n",
    )
    .unwrap();
    let file = d.path().join("compose.yml");
    fs::write(
        &file,
        format!("services:\n  app:\n    image: {IMAGE}\n    command: [\"sleep\", \"3600\"]\n    network_mode: none\n    volumes:\n      - ./cli:/cli\n"),
    )
    .unwrap();
    let up = std::process::Command::new("docker-compose")
        .env("DOCKER_HOST", &engine.host)
        .arg("-f")
        .arg(&file)
        .args(["up", "-d"])
        .output()
        .unwrap();
    assert!(up.status.success(), "{}", stderr(&up));
    // The compose child keeps DOCKER_HOST from this process's environment.
    std::env::set_var("DOCKER_HOST", &engine.host);
    let project = ComposeProject::read(std::slice::from_ref(&file)).unwrap();
    let set: Vec<String> = ["sh", "/cli/set.sh"].map(String::from).to_vec();
    let verify: Vec<String> = ["sh", "/cli/verify.sh"].map(String::from).to_vec();
    let run = |argv: &[String], v: &str| {
        project
            .exec(
                ComposeTool::V1,
                "app",
                argv,
                &SecretValue::new(v.to_owned()),
            )
            .unwrap()
            .code()
    };
    let stored = || fs::read_to_string(cli.join("state/password")).unwrap();
    assert_eq!(run(&set, OLD), Some(0));
    assert_eq!(stored(), OLD);

    let new = "Nw9eV4lU2eK7xQ1mB8zR5tH3jC6dF0gA";
    let control = "CONTROL-Hq4sT8wE2rY6uI0oP3aS7dF1gJ5kL";
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let scanner = scan_processes(vec![new.to_owned(), control.to_owned()], stop.clone());
    assert_eq!(run(&verify, OLD), Some(0));
    assert_eq!(run(&set, new), Some(0));
    assert_eq!(stored(), new);
    assert_eq!(run(&verify, new), Some(0));
    assert_eq!(run(&verify, OLD), Some(1));
    // The scanner sees a value that is in an argv.
    let shown = std::process::Command::new("sh")
        .args(["-c", "sleep 1", "sh", control])
        .status()
        .unwrap();
    assert!(shown.success());
    // A failing command: its status says so, the stored value stays.
    fs::write(cli.join("fail"), "").unwrap();
    assert_eq!(run(&set, OTHER), Some(1));
    assert_eq!(stored(), new);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (scans, seen) = scanner.join().unwrap();
    assert!(scans >= 10, "only {scans} scans of /proc");
    assert!(
        seen.iter().any(|s| s.contains(control)),
        "the scanner missed the control value in argv ({scans} scans)"
    );
    let leaks: Vec<&String> = seen.iter().filter(|s| s.contains(new)).collect();
    assert!(
        leaks.is_empty(),
        "the value was in a process's argv or environment: {leaks:?}"
    );
    eprintln!(
        "scanned /proc {scans} times during the run; the value was in no argv or environment"
    );
    let _ = std::process::Command::new("docker-compose")
        .env("DOCKER_HOST", &engine.host)
        .arg("-f")
        .arg(&file)
        .args(["down", "-t", "0"])
        .output();
}

/// A service that reads the key through a file secret of `export compose`
/// is not recreated (its file still holds the old value): exit 3, and the
/// way forward.
#[test]
fn a_reader_through_an_exported_file_secret_is_not_recreated_before_the_file_is() {
    let d = tempfile::tempdir().unwrap();
    project(d.path());
    let compose = fs::read_to_string(d.path().join("compose.yml"))
        .unwrap()
        .replace(
            "  bystander:\n",
            "  byfile_secret:\n    image: x\n    secrets:\n      - key\n  bystander:\n",
        )
        + "secrets:\n  key:\n    file: ./secrets/key\n";
    fs::write(d.path().join("compose.yml"), compose).unwrap();
    let shims = d.path().join("shims");
    fs::create_dir(&shims).unwrap();
    let log = d.path().join("calls.log");
    let script = format!(
        "#!/bin/sh\necho \"ARGV $*\" >> '{}'\nexit 0\n",
        log.display()
    );
    for name in ["docker-compose", "docker"] {
        fs::write(shims.join(name), &script).unwrap();
        fs::set_permissions(shims.join(name), fs::Permissions::from_mode(0o755)).unwrap();
    }
    let o = secrets(d.path())
        .env("PATH", format!("{}:/usr/bin:/bin", shims.display()))
        .args(["rotate", "KEY", "--restart", "--compose", "compose.yml"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("recreated byfile, byvar; byfile_secret read the rotated values through file secrets that `rotate` does not rewrite (./secrets/key): run `secrets export compose`, then recreate them; still running with the old values: byfile_secret\n"),
        "{}",
        stderr(&o)
    );
    let calls = fs::read_to_string(&log).unwrap();
    assert!(
        calls.ends_with("up -d --no-deps --force-recreate byfile byvar\n"),
        "{calls}"
    );
}

/// No service reads the rotated value: nothing is recreated, and the note
/// says so.
#[test]
fn restart_recreates_nothing_when_no_service_reads_the_value() {
    let d = tempfile::tempdir().unwrap();
    project(d.path());
    fs::write(
        d.path().join("compose.yml"),
        "services:\n  byvar:\n    image: x\n    environment:\n      SEEN: ${KEY}\n",
    )
    .unwrap();
    let shims = d.path().join("shims");
    fs::create_dir(&shims).unwrap();
    let log = d.path().join("calls.log");
    let script = format!(
        "#!/bin/sh\necho \"ARGV $*\" >> '{}'\nexit 0\n",
        log.display()
    );
    for name in ["docker-compose", "docker"] {
        fs::write(shims.join(name), &script).unwrap();
        fs::set_permissions(shims.join(name), fs::Permissions::from_mode(0o755)).unwrap();
    }
    let o = secrets(d.path())
        .env("PATH", format!("{}:/usr/bin:/bin", shims.display()))
        .args(["rotate", "OTHER", "--restart", "--compose", "compose.yml"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).ends_with(
            "\nsecrets: no service of the compose files reads the rotated values: nothing recreated\n"
        ),
        "{}",
        stderr(&o)
    );
    assert!(!log.exists(), "compose ran: {:?}", fs::read_to_string(&log));
    assert_ne!(value(&d.path().join(".env"), "OTHER"), OTHER);
}

/// Reads every process's argv and environment until `stop`, keeping each
/// distinct text: for a value not known until the run made it.
fn record_processes(
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<(usize, std::collections::HashSet<String>)> {
    std::thread::spawn(move || {
        let (mut scans, mut seen) = (0, std::collections::HashSet::new());
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            for entry in fs::read_dir("/proc").unwrap().flatten() {
                for what in ["cmdline", "environ"] {
                    if let Ok(bytes) = fs::read(entry.path().join(what)) {
                        seen.insert(String::from_utf8_lossy(&bytes).into_owned());
                    }
                }
            }
            scans += 1;
        }
        (scans, seen)
    })
}

/// A project for `--apply command`: a busybox service `app` whose "CLI"
/// is two scripts of the project (set: stores the password on stdin,
/// failing once when `cli/fail` exists; verify: exit 0 when the password
/// on stdin is the stored one), a manifest whose APP_PASSWORD has that
/// `live_command`, a `.env` and the service's password both OLD; up.
fn command_project(engine: &Engine) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let cli = d.path().join("cli");
    fs::create_dir_all(cli.join("state")).unwrap();
    // The set command fails once when told to (the restore then works).
    fs::write(
        cli.join("set.sh"),
        "read -r p\n[ -e /cli/fail ] && { rm /cli/fail; exit 1; }\n[ -n \"$p\" ] || exit 2\nprintf '%s' \"$p\" > /cli/state/password\n",
    )
    .unwrap();
    fs::write(
        cli.join("verify.sh"),
        "read -r p\n[ \"$p\" = \"$(cat /cli/state/password)\" ] && exit 0\nexit 1\n",
    )
    .unwrap();
    fs::write(cli.join("state/password"), OLD).unwrap();
    fs::write(
        d.path().join("compose.yml"),
        format!("services:\n  app:\n    image: {IMAGE}\n    command: [\"sleep\", \"3600\"]\n    network_mode: none\n    volumes:\n      - ./cli:/cli\n"),
    )
    .unwrap();
    fs::write(
        d.path().join("secrets.toml"),
        "[stack]\nname = \"t\"\n[vars.APP_PASSWORD]\nkind = \"password\"\nlive_command = { service = \"app\", set = [\"sh\", \"/cli/set.sh\"], verify = [\"sh\", \"/cli/verify.sh\"] }\n",
    )
    .unwrap();
    let env = d.path().join(".env");
    fs::write(&env, format!("APP_PASSWORD={OLD}\n")).unwrap();
    let up = std::process::Command::new("docker-compose")
        .env("DOCKER_HOST", &engine.host)
        .arg("-f")
        .arg(d.path().join("compose.yml"))
        .args(["up", "-d"])
        .output()
        .unwrap();
    assert!(up.status.success(), "{}", stderr(&up));
    d
}

/// `secrets rotate KEY --apply command --compose FILE`: the manifest's
/// `live_command` (shell scripts of the project, in a busybox service)
/// changes the service's stored password, checked by its `verify`, and the
/// `.env` follows; a failing set command changes nothing; a dry run lists
/// the step; the value is in no process's argv or environment.
#[test]
fn apply_command_changes_the_service_and_the_env_together() {
    if !require(
        have_program("docker-compose"),
        "docker-compose",
        "apt-get install docker-compose",
    ) {
        return;
    }
    let engine = match Engine::start() {
        Ok(e) => e,
        Err(why) => {
            skip(
                &why,
                "apt-get install docker.io docker-compose busybox-static, run as root",
            );
            return;
        }
    };
    let d = command_project(&engine);
    let cli = d.path().join("cli");
    let env = d.path().join(".env");
    let before = fs::read(&env).unwrap();
    let stored = || fs::read_to_string(cli.join("state/password")).unwrap();
    let rotate = |extra: &[&str]| {
        secrets(d.path())
            .env("DOCKER_HOST", &engine.host)
            .args(["rotate", "APP_PASSWORD", "--compose", "compose.yml"])
            .args(extra)
            .output()
            .unwrap()
    };

    // Stored, with a live_command: the way forward names the step.
    let o = rotate(&[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--apply command --compose FILE"),
        "{}",
        stderr(&o)
    );
    assert_eq!(fs::read(&env).unwrap(), before);

    // A dry run lists the step and changes nothing.
    let o = rotate(&["--apply", "command", "--dry-run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("would change on command: app:APP_PASSWORD for APP_PASSWORD"),
        "{}",
        stdout(&o)
    );
    assert_eq!(fs::read(&env).unwrap(), before);
    assert_eq!(stored(), OLD);

    // A failing set command: the .env byte for byte, the old password
    // stored, a one-line error, no journal.
    fs::write(cli.join("fail"), "").unwrap();
    let o = rotate(&["--apply", "command"]);
    assert!(!o.status.success(), "{}", stdout(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("secrets: error: changing the password of app:APP_PASSWORD failed"),
        "{}",
        stderr(&o)
    );
    assert!(!cli.join("fail").exists(), "the set command did not run");
    assert_eq!(fs::read(&env).unwrap(), before);
    assert_eq!(stored(), OLD);
    let leftovers: Vec<_> = fs::read_dir(d.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".env") && n != ".env")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // The rotation, watched: the new value in no argv or environment.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let scanner = record_processes(stop.clone());
    let control = "CONTROL-Hq4sT8wE2rY6uI0oP3aS7dF1gJ5kL";
    let shown = std::process::Command::new("sh")
        .args(["-c", "sleep 1", "sh", control])
        .status()
        .unwrap();
    assert!(shown.success());
    let o = rotate(&["--apply", "command"]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (scans, seen) = scanner.join().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let new = value(&env, "APP_PASSWORD");
    assert_ne!(new, OLD);
    assert_eq!(
        stored(),
        new,
        "the service's stored password is not the .env's"
    );
    assert!(scans >= 10, "only {scans} scans of /proc");
    assert!(
        seen.iter().any(|s| s.contains(control)),
        "the scanner missed the control value in argv ({scans} scans)"
    );
    let leaks: Vec<&String> = seen
        .iter()
        .filter(|s| s.contains(new.as_str()) || s.contains(OLD))
        .collect();
    assert!(
        leaks.is_empty(),
        "a value was in an argv or environment: {leaks:?}"
    );
    eprintln!(
        "scanned /proc {scans} times during the rotation; no value in any argv or environment"
    );
    let _ = std::process::Command::new("docker-compose")
        .env("DOCKER_HOST", &engine.host)
        .arg("-f")
        .arg(d.path().join("compose.yml"))
        .args(["down", "-t", "0"])
        .output();
}

/// `--apply command` killed before any change (the journal's fsync) and
/// after the change but before the `.env`'s commit (its rename): `--resume
/// --compose FILE` undoes or completes it, and the service's stored
/// password is the `.env`'s.
#[test]
fn apply_command_killed_then_resumed_the_env_and_the_service_agree() {
    if !require(
        have_program("docker-compose"),
        "docker-compose",
        "apt-get install docker-compose",
    ) || !secrets_tests::require_strace()
    {
        return;
    }
    let engine = match Engine::start() {
        Ok(e) => e,
        Err(why) => {
            skip(
                &why,
                "apt-get install docker.io docker-compose busybox-static, run as root",
            );
            return;
        }
    };
    // strace's child inherits our environment: the engine for compose.
    std::env::set_var("DOCKER_HOST", &engine.host);
    for (calls, when, outcome) in [
        ("fsync", 2, "undid"),
        ("rename,renameat,renameat2", 2, "completed"),
    ] {
        let d = command_project(&engine);
        let context = format!("killed at {calls} #{when}");
        let o = secrets_tests::secrets_under_strace(
            d.path(),
            &format!("trace={calls}"),
            &format!("inject={calls}:signal=SIGKILL:when={when}"),
            &[
                "rotate",
                "APP_PASSWORD",
                "--apply",
                "command",
                "--compose",
                "compose.yml",
            ],
        );
        assert_ne!(o.status.code(), Some(0), "{context}: {}", stderr(&o));
        assert!(
            d.path().join("..env.rotation-journal").exists(),
            "{context}: no journal"
        );
        let o = secrets(d.path())
            .env("DOCKER_HOST", &engine.host)
            .args(["rotate", "--resume", "--compose", "compose.yml"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{context}: {}", stderr(&o));
        assert!(
            stdout(&o).starts_with(&format!("{outcome} the interrupted rotation")),
            "{context}: {}",
            stdout(&o)
        );
        let in_env = value(&d.path().join(".env"), "APP_PASSWORD");
        let stored = fs::read_to_string(d.path().join("cli/state/password")).unwrap();
        assert_eq!(stored, in_env, "{context}");
        assert_eq!(in_env == OLD, outcome == "undid", "{context}");
        assert!(
            !d.path().join("..env.rotation-journal").exists(),
            "{context}: the journal is left"
        );
        let _ = std::process::Command::new("docker-compose")
            .env("DOCKER_HOST", &engine.host)
            .arg("-f")
            .arg(d.path().join("compose.yml"))
            .args(["down", "-t", "0"])
            .output();
    }
}

/// A `docker-compose` and `docker` stand-in first on PATH that records
/// every call in `log`; the PATH to run `secrets` with.
fn recording_shims(dir: &Path, log: &Path) -> String {
    let shims = dir.join("shims");
    fs::create_dir(&shims).unwrap();
    let script = format!(
        "#!/bin/sh\necho \"ARGV $*\" >> '{}'\n[ \"$1\" = version ] && exit 0\nexit 1\n",
        log.display()
    );
    for name in ["docker-compose", "docker"] {
        fs::write(shims.join(name), &script).unwrap();
        fs::set_permissions(shims.join(name), fs::Permissions::from_mode(0o755)).unwrap();
    }
    format!("{}:/usr/bin:/bin", shims.display())
}

/// A service that mounts the host's `/` and reads API_TOKEN.
const HOSTILE_COMPOSE: &str = "services:\n  app:\n    image: busybox\n    command: [\"sh\", \"-c\", \"echo owned > /host/tmp/owned\"]\n    volumes:\n      - /:/host\n    environment:\n      T: ${API_TOKEN}\n";

/// The attacker owns the project directory, its `.env` and its compose
/// file: root's `--restart` must not run compose on that file (it would
/// create the attacker's service, host `/` mounted, as root).
#[test]
fn restart_refuses_a_compose_file_another_user_owns() {
    use secrets_tests::attacker::{file, mkdir, public_tempdir, require_attacker, uid};
    if !require_attacker() {
        return;
    }
    // The attacker's directory; root's directory with the attacker's file.
    for (dir_is_attackers, named) in [(true, "p"), (false, "p/compose.yml")] {
        let d = public_tempdir();
        let p = d.path().join("p");
        mkdir(&p, 0o755, dir_is_attackers);
        let env = p.join(".env");
        file(&env, format!("API_TOKEN={OLD}\n").as_bytes(), 0o600, true);
        let compose = p.join("compose.yml");
        file(&compose, HOSTILE_COMPOSE.as_bytes(), 0o644, true);
        let log = d.path().join("calls.log");
        let path = recording_shims(d.path(), &log);
        let before = fs::read(&env).unwrap();
        let o = secrets(d.path())
            .env("PATH", &path)
            .arg("rotate")
            .arg("--env")
            .arg(&env)
            .arg("--compose")
            .arg(&compose)
            .args(["--restart", "API_TOKEN"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{named}: {}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        let owned = d.path().join(named).display().to_string();
        assert!(
            err.contains(&format!("{owned}: ")) && err.contains(&format!("uid {}", uid())),
            "{err}"
        );
        assert_eq!(fs::read(&env).unwrap(), before, "{named}: .env changed");
        assert!(
            !log.exists(),
            "{named}: compose ran: {}",
            fs::read_to_string(&log).unwrap_or_default()
        );
    }
}

/// A root-owned compose file in root's directory, but the project's
/// `.env` (the attacker's) names another project: compose would recreate
/// that project's containers. Refused before anything changes.
#[test]
fn restart_refuses_a_project_env_that_sets_compose_settings() {
    use secrets_tests::attacker::{file, require_attacker};
    if !require_attacker() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let env = d.path().join(".env");
    file(
        &env,
        format!("COMPOSE_PROJECT_NAME=victim\nAPI_TOKEN={OLD}\n").as_bytes(),
        0o600,
        true,
    );
    let compose = d.path().join("compose.yml");
    file(&compose, HOSTILE_COMPOSE.as_bytes(), 0o644, false);
    let log = d.path().join("calls.log");
    let path = recording_shims(d.path(), &log);
    let before = fs::read(&env).unwrap();
    let o = secrets(d.path())
        .env("PATH", &path)
        .env("COMPOSE_PROJECT_NAME", "victim")
        .args(["rotate", "--env", ".env", "--compose", "compose.yml"])
        .args(["--restart", "API_TOKEN"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(".env:1: sets COMPOSE_PROJECT_NAME"), "{err}");
    assert!(!err.contains(OLD), "{err}");
    assert_eq!(fs::read(&env).unwrap(), before, ".env changed");
    assert!(
        !log.exists(),
        "compose ran: {}",
        fs::read_to_string(&log).unwrap_or_default()
    );
}

/// The service user owning the project's `.env` adds `DOCKER_HOST`,
/// pointing at a socket of theirs, after the check that refuses it and
/// before compose runs: compose reads the copy that was checked (its
/// `--env-file` is a memfd on its stdin), so the impostor engine, which
/// would have received every container's configuration with the values
/// interpolated, gets no byte.
#[test]
fn a_project_env_changed_after_its_check_does_not_reach_compose() {
    use secrets_core::compose::{ComposeProject, ComposeRestart, ComposeTool};
    use secrets_tests::attacker::{self, file, require_attacker};
    if !require_attacker()
        || !require(
            have_program("docker-compose"),
            "docker-compose",
            "apt-get install docker-compose",
        )
    {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let env = d.path().join(".env");
    file(&env, format!("KEY={OLD}\n").as_bytes(), 0o600, true);
    let compose = d.path().join("compose.yml");
    let service = "services:\n  app:\n    image: secrets-test-absent-image\n    network_mode: none\n    environment:\n      SEEN: \"${KEY}\"\n";
    file(&compose, service.as_bytes(), 0o644, false);
    let lair = tempfile::tempdir().unwrap();
    fs::set_permissions(lair.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let (uid, gid) = attacker::ids();
    std::os::unix::fs::chown(lair.path(), Some(uid), Some(gid)).unwrap();
    let socket = lair.path().join("docker.sock");
    let log = lair.path().join("received");
    let _engine = attacker::recorder(&socket, &log, "", "");

    let project = ComposeProject::read_to_run(std::slice::from_ref(&compose)).unwrap();
    // The window: the attacker rewrites the file they own.
    let o = attacker::command("/bin/sh")
        .arg("-c")
        .arg(format!(
            "printf 'DOCKER_HOST=unix://{}\\n' >> '{}'",
            socket.display(),
            env.display()
        ))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(fs::read_to_string(&env).unwrap().contains("DOCKER_HOST"));
    let result = ComposeRestart::new(project, &env)
        .with_tool(ComposeTool::V1)
        .recreate(&["app".to_owned()]);
    let got = fs::read(&log).unwrap_or_default();
    assert!(
        got.is_empty(),
        "the impostor engine received {} bytes ({result:?}): {:?}",
        got.len(),
        String::from_utf8_lossy(&got)
    );
}

/// Lines compose v1 (python-dotenv) reads as `DOCKER_HOST` in forms a
/// narrower check missed (found by the attacker review): a quoted key, a
/// lone `\r` as the line break, a BOM, Python's `\x1c` whitespace. The
/// `.env`'s owner writes each; the project is refused and the impostor
/// engine gets no byte.
#[test]
fn a_project_env_setting_compose_reads_in_any_form_is_refused() {
    use secrets_core::compose::{ComposeError, ComposeProject, ComposeRestart, ComposeTool};
    use secrets_tests::attacker::{self, file, require_attacker};
    if !require_attacker()
        || !require(
            have_program("docker-compose"),
            "docker-compose",
            "apt-get install docker-compose",
        )
    {
        return;
    }
    let lair = tempfile::tempdir().unwrap();
    fs::set_permissions(lair.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let (uid, gid) = attacker::ids();
    std::os::unix::fs::chown(lair.path(), Some(uid), Some(gid)).unwrap();
    let socket = lair.path().join("docker.sock");
    let log = lair.path().join("received");
    let _engine = attacker::recorder(&socket, &log, "", "");
    let host = format!("unix://{}", socket.display());
    let forms = [
        ("a quoted key", format!("KEY={OLD}\n'DOCKER_HOST'={host}\n")),
        ("a lone CR", format!("KEY={OLD}\rDOCKER_HOST={host}\n")),
        ("a BOM", format!("\u{feff}DOCKER_HOST={host}\nKEY={OLD}\n")),
        ("U+001C", format!("KEY={OLD}\n\u{1c}DOCKER_HOST={host}\n")),
    ];
    let mut failures = Vec::new();
    for (what, content) in forms {
        let d = tempfile::tempdir().unwrap();
        let env = d.path().join(".env");
        file(&env, content.as_bytes(), 0o600, true);
        let compose = d.path().join("compose.yml");
        let service = "services:\n  app:\n    image: secrets-test-absent-image\n    network_mode: none\n    environment:\n      SEEN: \"${KEY}\"\n";
        file(&compose, service.as_bytes(), 0o644, false);
        let result = ComposeProject::read_to_run(std::slice::from_ref(&compose)).and_then(|p| {
            ComposeRestart::new(p, &env)
                .with_tool(ComposeTool::V1)
                .recreate(&["app".to_owned()])
        });
        if !matches!(&result, Err(ComposeError::ComposeSetting { key, .. }) if key == "DOCKER_HOST")
        {
            failures.push(format!("{what}: not refused: {result:?}"));
        }
        let got = fs::read(&log).unwrap_or_default();
        if !got.is_empty() {
            failures.push(format!(
                "{what}: the impostor engine got {} bytes",
                got.len()
            ));
            let _ = fs::remove_file(&log);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
