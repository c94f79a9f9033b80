//! `secrets export`: swarm against a real engine (values byte for byte in
//! the container, rotation rewires the service, unchanged values create
//! nothing, prune, no value in any docker argv or environment), compose
//! files, Kubernetes manifests, and the failure paths.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use base64::Engine as _;
use secrets_core::envfile::Document;
use secrets_tests::docker::{Engine, IMAGE};
use secrets_tests::{secrets, skip, write_env};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn values(path: &Path) -> Vec<(String, String)> {
    let d = Document::parse(&fs::read(path).unwrap()).unwrap();
    d.entries()
        .map(|e| (e.key().to_owned(), e.value().expose().to_owned()))
        .collect()
}

fn value(path: &Path, key: &str) -> String {
    values(path)
        .into_iter()
        .rev()
        .find(|(k, _)| k == key)
        .unwrap()
        .1
}

fn sha256_hex(data: &[u8]) -> String {
    let o = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    let mut o = o;
    o.stdin.take().unwrap().write_all(data).unwrap();
    String::from_utf8(o.wait_with_output().unwrap().stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Waits until the service's logs show `needle`.
fn wait_for_log(engine: &Engine, service: &str, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let logs = engine
            .docker()
            .args(["service", "logs", "--raw", service])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&logs.stdout).contains(needle) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{service} never logged the expected digest"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// `secrets export swarm` of the test stack against `engine`, with `path`
/// as PATH when given (to put a docker shim first).
fn export_with_path(dir: &Path, engine: &Engine, path: Option<&str>, args: &[&str]) -> Output {
    let mut c = secrets(dir);
    if let Some(p) = path {
        c.env("PATH", p);
    }
    c.env("DOCKER_HOST", &engine.host)
        .args([
            "export",
            "swarm",
            "--env",
            ".env",
            "--with",
            "postgres,redis",
            "--prefix",
            "st",
        ])
        .args(args)
        .output()
        .unwrap()
}

fn export(dir: &Path, engine: &Engine, args: &[&str]) -> Output {
    export_with_path(dir, engine, None, args)
}

fn stack_secrets(engine: &Engine) -> Vec<String> {
    let mut v: Vec<String> = engine
        .ok(&[
            "secret",
            "ls",
            "--filter",
            "label=io.secrets.stack=st",
            "--format",
            "{{.Name}}",
        ])
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    v.sort();
    v
}

#[test]
fn swarm_export_against_a_real_engine() {
    let engine = match Engine::start() {
        Ok(e) => e,
        Err(why) => {
            skip(
                &why,
                "apt-get install docker.io busybox-static, run as root",
            );
            return;
        }
    };
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_env(dir, "postgres,redis");

    // Export: one secret per secret variable, literals skipped.
    let o = export(dir, &engine, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let names = stack_secrets(&engine);
    assert_eq!(names.len(), 4, "{names:?}");
    for stem in [
        "st_database_url_",
        "st_postgres_password_",
        "st_redis_password_",
        "st_redis_url_",
    ] {
        assert!(
            names.iter().any(|n| n.starts_with(stem)),
            "{stem} missing from {names:?}"
        );
    }
    let stanza = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        stanza
            .contains("  postgres_password:\n    external: true\n    name: st_postgres_password_"),
        "{stanza}"
    );
    assert!(
        stanza.contains("# POSTGRES_PASSWORD_FILE=/run/secrets/postgres_password"),
        "{stanza}"
    );
    let labels = engine
        .ok(&[
            "secret",
            "inspect",
            "--format",
            "{{json .Spec.Labels}}",
            &names[1],
        ])
        .unwrap();
    for l in [
        "io.secrets.stack",
        "io.secrets.var",
        "io.secrets.version",
        "io.secrets.created",
    ] {
        assert!(labels.contains(l), "{labels}");
    }

    // A service sees the value byte for byte (a digest, never the value).
    let pw_secret = names
        .iter()
        .find(|n| n.starts_with("st_postgres_password_"))
        .unwrap()
        .clone();
    engine
        .ok(&[
            "service",
            "create",
            "--detach",
            "--name",
            "probe",
            "--stop-grace-period",
            "1s",
            "--secret",
            &format!("source={pw_secret},target=postgres_password,mode=0400"),
            IMAGE,
            "/bin/sh",
            "-c",
            "sha256sum /run/secrets/postgres_password; sleep 3600",
        ])
        .unwrap();
    let digest = sha256_hex(value(&dir.join(".env"), "POSTGRES_PASSWORD").as_bytes());
    wait_for_log(&engine, "probe", &digest);

    // Unchanged values create nothing.
    let o = export(dir, &engine, &[]);
    assert!(o.status.success());
    assert!(!stderr(&o).contains("created"), "{}", stderr(&o));
    assert_eq!(stack_secrets(&engine), names);

    // Rotate, export with --service: the new task sees the new value.
    let r = secrets(dir)
        .args([
            "rotate",
            "--env",
            ".env",
            "--with",
            "postgres,redis",
            "POSTGRES_PASSWORD",
            // Stored: the server's copy changes by hand (no server here).
            "--server-changed",
        ])
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", stderr(&r));
    let o = export(dir, &engine, &["--service", "probe"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "rewired probe: {pw_secret} -> st_postgres_password_"
        )),
        "{}",
        stderr(&o)
    );
    let new_digest = sha256_hex(value(&dir.join(".env"), "POSTGRES_PASSWORD").as_bytes());
    assert_ne!(new_digest, digest);
    wait_for_log(&engine, "probe", &new_digest);

    // --prune removes the old versions no service uses.
    let o = export(dir, &engine, &["--prune"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let after = stack_secrets(&engine);
    assert!(
        !after.contains(&pw_secret),
        "the old version was not pruned: {after:?}"
    );
    assert_eq!(after.len(), 4, "{after:?}");

    // A docker shim first on PATH records every call: no value in argv or env.
    let shim_dir = dir.join("shim");
    fs::create_dir(&shim_dir).unwrap();
    let log = dir.join("docker-calls.log");
    let real = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v docker"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    fs::write(
        shim_dir.join("docker"),
        format!("#!/bin/sh\n{{ printf 'ARGV:'; printf ' %s' \"$@\"; echo; env; }} >> '{}'\nexec {} \"$@\"\n", log.display(), real.trim()),
    )
    .unwrap();
    fs::set_permissions(shim_dir.join("docker"), fs::Permissions::from_mode(0o755)).unwrap();
    assert!(secrets(dir)
        .args([
            "rotate",
            "--env",
            ".env",
            "--with",
            "postgres,redis",
            "REDIS_PASSWORD",
            "POSTGRES_PASSWORD",
            "--server-changed"
        ])
        .output()
        .unwrap()
        .status
        .success());
    let path = format!("{}:{}", shim_dir.display(), std::env::var("PATH").unwrap());
    let o = export_with_path(
        dir,
        &engine,
        Some(&path),
        &["--service", "probe", "--prune"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let calls = fs::read_to_string(&log).unwrap();
    assert!(
        calls.contains("ARGV: secret create"),
        "the shim saw no creation"
    );
    for key in ["POSTGRES_PASSWORD", "DATABASE_URL", "REDIS_PASSWORD"] {
        let v = value(&dir.join(".env"), key);
        assert!(
            !calls.contains(&v),
            "{key}'s value reached docker's argv or environment"
        );
        // The URL embeds the password percent-encoded: not that either.
        assert!(!calls.contains(&v.replace('@', "%40")));
    }

    // A service that does not exist: exit 2, nothing created.
    let before = stack_secrets(&engine);
    assert!(secrets(dir)
        .args([
            "rotate",
            "--env",
            ".env",
            "--with",
            "postgres,redis",
            "REDIS_PASSWORD"
        ])
        .output()
        .unwrap()
        .status
        .success());
    let o = export(dir, &engine, &["--service", "no-such-service"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "secrets: error: service `no-such-service` does not exist (docker service inspect failed)\n");
    assert_eq!(stack_secrets(&engine), before);

    // A node not in a swarm.
    engine.ok(&["service", "rm", "probe"]).unwrap();
    engine.ok(&["swarm", "leave", "--force"]).unwrap();
    let o = export(dir, &engine, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("this node is not in a swarm"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn partial_failures_name_what_was_created_and_rewire_nothing() {
    // A docker stand-in whose third `secret create` fails: the error must list
    // the two created, and no `service update` may follow.
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_env(dir, "postgres,redis,minio");
    let log = dir.join("calls");
    let fake = dir.join("bin");
    fs::create_dir(&fake).unwrap();
    fs::write(
        fake.join("docker"),
        format!(
            r#"#!/bin/sh
echo "$*" >> '{log}'
case "$1 $2" in
  "info "*) echo active ;;
  "service inspect") echo '[{{"SecretName":"x_postgres_password_00000000","File":{{"Name":"postgres_password"}}}}]' ;;
  "secret ls") ;;
  "secret create")
    cat > /dev/null
    n=$(grep -c '^secret create' '{log}')
    if [ "$n" -ge 3 ]; then echo "Error response from daemon: rpc error: quota" >&2; exit 1; fi ;;
esac
"#,
            log = log.display()
        ),
    )
    .unwrap();
    fs::set_permissions(fake.join("docker"), fs::Permissions::from_mode(0o755)).unwrap();
    let o = secrets(dir)
        .env("PATH", format!("{}:/usr/bin:/bin", fake.display()))
        .args([
            "export",
            "swarm",
            "--env",
            ".env",
            "--with",
            "postgres,redis,minio",
            "--prefix",
            "x",
            "--service",
            "web",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("created before the failure: x_postgres_password_")
            && err.contains(", x_database_url_"),
        "{err}"
    );
    assert!(err.ends_with("no service was changed\n"), "{err}");
    assert!(!fs::read_to_string(&log).unwrap().contains("service update"));

    // No docker at all.
    let o = secrets(dir)
        .env("PATH", "/nonexistent")
        .args(["export", "swarm", "--env", ".env", "--with", "redis"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "secrets: error: docker is not installed or not on PATH\n"
    );
}

#[test]
fn compose_export_writes_private_files_and_names_them() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_env(dir, "postgres,grafana");
    let o = secrets(dir)
        .args([
            "export",
            "compose",
            "--env",
            ".env",
            "--with",
            "postgres,grafana",
            "--dir",
            "run-secrets",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let yaml = String::from_utf8_lossy(&o.stdout).into_owned();
    let env = values(&dir.join(".env"));
    for key in [
        "POSTGRES_PASSWORD",
        "DATABASE_URL",
        "GF_SECURITY_ADMIN_USER",
        "GF_SECURITY_ADMIN_PASSWORD",
    ] {
        let file = dir.join("run-secrets").join(key.to_ascii_lowercase());
        assert!(
            yaml.contains(&format!(
                "  {}:\n    file: run-secrets/{}\n",
                key.to_ascii_lowercase(),
                key.to_ascii_lowercase()
            )),
            "{yaml}"
        );
        let m = fs::metadata(&file).unwrap();
        assert_eq!(m.mode() & 0o777, 0o400);
        assert_eq!(
            fs::read_to_string(&file).unwrap(),
            env.iter().find(|(k, _)| k == key).unwrap().1,
            "{key}: exact bytes, no newline"
        );
    }
    assert!(
        !dir.join("run-secrets/postgres_user").exists(),
        "literals are not secrets"
    );
    assert!(
        yaml.contains("# GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/gf_security_admin_password"),
        "{yaml}"
    );
    assert_eq!(
        fs::metadata(dir.join("run-secrets")).unwrap().mode() & 0o777,
        0o700
    );
    if secrets_tests::is_root() {
        let o = secrets(dir)
            .args([
                "export",
                "compose",
                "--env",
                ".env",
                "--with",
                "postgres",
                "--dir",
                "run-secrets",
                "--owner",
                "999:999",
                "--mode",
                "600",
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let m = fs::metadata(dir.join("run-secrets/postgres_password")).unwrap();
        assert_eq!((m.uid(), m.gid(), m.mode() & 0o777), (999, 999, 0o600));
        // Another user's file is never adopted: changing the owner of
        // existing secret files is refused.
        let o = secrets(dir)
            .args(["export", "compose", "--env", ".env", "--with", "postgres"])
            .args(["--dir", "run-secrets", "--owner", "998:997"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("is owned by uid 999"), "{}", stderr(&o));
        // Without --owner, the manifest's secrets_uid/secrets_gid apply.
        fs::remove_dir_all(dir.join("run-secrets")).unwrap();
        fs::write(
            dir.join("secrets.toml"),
            "[stack]\ninclude = [\"postgres\"]\nsecrets_uid = 998\nsecrets_gid = 997\n",
        )
        .unwrap();
        let o = secrets(dir)
            .args(["export", "compose", "--env", ".env", "--dir", "run-secrets"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let m = fs::metadata(dir.join("run-secrets/postgres_password")).unwrap();
        assert_eq!((m.uid(), m.gid(), m.mode() & 0o777), (998, 997, 0o400));
    }
}

#[test]
fn k8s_manifest_decodes_back_to_every_value() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_env(dir, "postgres,hasura");
    let o = secrets(dir)
        .args([
            "export",
            "k8s",
            "--env",
            ".env",
            "--with",
            "postgres,hasura",
            "--name",
            "app-secrets",
            "--namespace",
            "prod",
            "--out",
            "secret.yaml",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        fs::metadata(dir.join("secret.yaml")).unwrap().mode() & 0o777,
        0o600
    );
    let text = fs::read_to_string(dir.join("secret.yaml")).unwrap();
    assert!(text.starts_with("apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-secrets\n  namespace: prod\ntype: Opaque\ndata:\n"), "{text}");
    let data: Vec<(String, String)> = text
        .split("\ndata:\n")
        .nth(1)
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.trim().split_once(": ").unwrap();
            let k = k.trim_matches('"');
            let decoded = base64::engine::general_purpose::STANDARD.decode(v).unwrap();
            (k.to_owned(), String::from_utf8(decoded).unwrap())
        })
        .collect();
    let env = values(&dir.join(".env"));
    for key in [
        "POSTGRES_PASSWORD",
        "DATABASE_URL",
        "JWT_SECRET",
        "HASURA_GRAPHQL_ADMIN_SECRET",
        "HASURA_GRAPHQL_JWT_SECRET",
    ] {
        let got = &data
            .iter()
            .find(|(k, _)| k == key)
            .unwrap_or_else(|| panic!("{key} missing"))
            .1;
        assert_eq!(got, &env.iter().find(|(k, _)| k == key).unwrap().1, "{key}");
    }
    assert!(!data.iter().any(|(k, _)| k == "POSTGRES_USER"));
    let o = secrets(dir)
        .args([
            "export", "k8s", "--env", ".env", "--with", "postgres", "--name", "Bad_Name",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`Bad_Name` is not a valid Secret name"),
        "{}",
        stderr(&o)
    );
}

/// An external value nobody has set is left out of the Secret's `data`
/// (Kubernetes stores no empty value), and one note on stderr names it; no
/// value is on stderr. Once set, it is exported and the note is gone.
#[test]
fn k8s_names_the_empty_keys_it_leaves_out() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_env(dir, "postgres,web-push");
    let k8s = |dir: &Path| {
        secrets(dir)
            .args([
                "export",
                "k8s",
                "--env",
                ".env",
                "--with",
                "postgres,web-push",
                "--name",
                "s",
                "--out",
                "s.yaml",
            ])
            .output()
            .unwrap()
    };
    let o = k8s(dir);
    assert!(o.status.success(), "{}", stderr(&o));
    let notes: Vec<&str> = std::str::from_utf8(&o.stderr)
        .unwrap()
        .lines()
        .filter(|l| l.contains("not exported"))
        .collect();
    assert_eq!(
        notes,
        ["secrets: not exported, empty in .env: VAPID_SUBJECT"]
    );
    let yaml = fs::read_to_string(dir.join("s.yaml")).unwrap();
    assert!(!yaml.contains("VAPID_SUBJECT"), "{yaml}");
    assert!(yaml.contains("\"VAPID_PRIVATE_KEY\": "), "{yaml}");
    for (key, value) in values(&dir.join(".env")) {
        if value.len() >= 8 {
            assert!(
                !stderr(&o).contains(&value),
                "stderr shows the value of {key}"
            );
        }
    }

    let text = fs::read_to_string(dir.join(".env")).unwrap();
    fs::write(
        dir.join(".env"),
        text.replace("VAPID_SUBJECT=", "VAPID_SUBJECT=mailto:ops@example.com"),
    )
    .unwrap();
    let o = k8s(dir);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("not exported"), "{}", stderr(&o));
    assert!(fs::read_to_string(dir.join("s.yaml"))
        .unwrap()
        .contains("\"VAPID_SUBJECT\": "));
}

/// Keys a YAML 1.1 reader (PyYAML, as kubectl's older clients) would take
/// for booleans or null are quoted, so every key reads back as the string.
#[test]
fn k8s_keys_read_back_as_strings_in_yaml_1_1() {
    if !secrets_tests::require_python(&[("yaml", "PyYAML")]) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fs::write(
        dir.join(".env"),
        "ON=a1\nNO=b2\nnull=c3\nyes=d4\nPLAIN=e5\n",
    )
    .unwrap();
    let o = secrets(dir)
        .args([
            "export", "k8s", "--env", ".env", "--name", "s", "--out", "s.yaml",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, yaml; d = yaml.safe_load(open(sys.argv[1]))['data']; print(sorted(repr(k) for k in d))",
        ])
        .arg(dir.join("s.yaml"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "[\"'NO'\", \"'ON'\", \"'PLAIN'\", \"'null'\", \"'yes'\"]"
    );
}

/// Two keys that differ only in case would share one file: refused.
#[test]
fn compose_export_refuses_keys_that_collide_in_lower_case() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fs::write(dir.join(".env"), "DB_PASS=one111111\ndb_pass=two222222\n").unwrap();
    let o = secrets(dir)
        .args(["export", "compose", "--env", ".env", "--dir", "run-secrets"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("would both be written to db_pass"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.join("run-secrets/db_pass").exists(), "nothing written");
}

/// `DB` and `DB_PASSWORD` under one prefix: `peak_db_` starts both names,
/// so versions must be matched by their labels. Rotating `DB` rewires only
/// the `db` target, and `--prune DB` removes only `DB`'s old version.
#[test]
fn swarm_versions_are_told_apart_by_labels_not_name_prefixes() {
    let engine = match Engine::start() {
        Ok(e) => e,
        Err(why) => {
            skip(
                &why,
                "apt-get install docker.io busybox-static, run as root",
            );
            return;
        }
    };
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fs::write(
        dir.join(".env"),
        "DB=first-db-value-1\nDB_PASSWORD=first-pw-value-1\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        secrets(dir)
            .env("DOCKER_HOST", &engine.host)
            .args(["export", "swarm", "--env", ".env", "--prefix", "peak"])
            .args(args)
            .output()
            .unwrap()
    };
    let o = run(&[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let listed = |engine: &Engine| -> Vec<String> {
        let mut v: Vec<String> = engine
            .ok(&[
                "secret",
                "ls",
                "--filter",
                "label=io.secrets.stack=peak",
                "--format",
                "{{.Name}}",
            ])
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        v.sort();
        v
    };
    let first = listed(&engine);
    let old_db = first
        .iter()
        .find(|n| !n.starts_with("peak_db_password_"))
        .unwrap()
        .clone();
    let pw = first
        .iter()
        .find(|n| n.starts_with("peak_db_password_"))
        .unwrap()
        .clone();
    engine
        .ok(&[
            "service",
            "create",
            "--detach",
            "--name",
            "peak_api",
            "--stop-grace-period",
            "1s",
            "--secret",
            &format!("source={old_db},target=db"),
            "--secret",
            &format!("source={pw},target=db_password"),
            IMAGE,
            "/bin/sh",
            "-c",
            "sleep 3600",
        ])
        .unwrap();
    fs::write(
        dir.join(".env"),
        "DB=second-db-value-2\nDB_PASSWORD=first-pw-value-1\n",
    )
    .unwrap();
    let o = run(&["--service", "peak_api", "DB"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mounted = engine
        .ok(&[
            "service", "inspect", "--format",
            "{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.File.Name}}={{.SecretName}} {{end}}",
            "peak_api",
        ])
        .unwrap();
    let mut mounted: Vec<&str> = mounted.split_whitespace().collect();
    mounted.sort();
    let new_db = listed(&engine)
        .into_iter()
        .find(|n| !first.contains(n))
        .expect("a new DB version");
    assert_eq!(
        mounted,
        [format!("db={new_db}"), format!("db_password={pw}")],
        "only the db target moves to the new version"
    );
    // The old DB version is unused now; DB_PASSWORD's current one must stay.
    let o = run(&["--prune", "DB"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let after = listed(&engine);
    assert!(!after.contains(&old_db), "{after:?}");
    assert!(after.contains(&pw) && after.contains(&new_db), "{after:?}");
}
