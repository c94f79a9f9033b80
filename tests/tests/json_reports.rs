//! `--format json` on every command that reports: the real binary's stdout
//! parses, and validates (with the `jsonschema` crate) against the schema
//! committed in secrets-cli/schemas/; no value of the `.env` appears in it.
//! Then `--dry-run` on `write`, `set` and `init --out`: it says what would
//! change and changes nothing, checked byte for byte (content, mode, owner,
//! mtime, inode, the directory's entries).

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use secrets_tests::{dir_entries, repo_root, run_piped, secrets};
use serde_json::Value;

const MANIFEST: &str = r#"[stack]
name = "demo"

[vars.API_TOKEN]
kind = "hex"

[vars.SESSION_SECRET]
kind = "password"

[vars.DATABASE_PASSWORD]
kind = "password"

[vars.DATABASE_URL]
template = "postgres://app:${DATABASE_PASSWORD}@db:5432/app"

[vars.SMTP_PASSWORD]
external = true
"#;

const STRONG: &str = "Qv7-Lm2xZr9TwB4nKp8sYd3hFg6jC1aE";

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn run(dir: &Path, args: &[&str]) -> Output {
    secrets(dir).args(args).output().expect("secrets runs")
}

/// A directory with the manifest, as root's private working directory.
fn stack_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("secrets.toml"), MANIFEST).unwrap();
    d
}

/// The schema of `name`, compiled.
fn schema(name: &str) -> jsonschema::Validator {
    let path = repo_root().join(format!("secrets-cli/schemas/{name}.schema.json"));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

/// Stdout of a successful run, parsed and validated against `name`'s schema.
fn report(o: &Output, name: &str) -> Value {
    assert!(o.status.success(), "{}", stderr(o));
    let v: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)));
    let errors: Vec<String> = schema(name)
        .iter_errors(&v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{v:#}");
    v
}

/// Every value of the `.env` at `env`, at least 8 bytes long.
fn values(env: &Path) -> Vec<String> {
    let text = fs::read_to_string(env).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            l.split_once('=')
                .map(|(_, v)| v.trim_matches('\'').to_owned())
        })
        .filter(|v| v.len() >= 8)
        .collect()
}

fn assert_no_value(out: &[u8], env: &Path) {
    let text = String::from_utf8_lossy(out);
    for v in values(env) {
        assert!(
            !text.contains(&v),
            "a value of {} in the report: {text}",
            env.display()
        );
    }
}

#[test]
fn write_set_and_rotate_reports_match_their_schemas() {
    let d = stack_dir();
    let dir = d.path();
    let o = run(dir, &["write", "--out", ".env", "--format", "json"]);
    let v = report(&o, "write");
    assert_eq!(v["command"], "write");
    assert_eq!(v["wrote"], true);
    assert_eq!(v["changes"][0]["change"], "created");
    assert_eq!(v["unset"], serde_json::json!(["SMTP_PASSWORD"]));
    assert_no_value(&o.stdout, &dir.join(".env"));
    // Written again: nothing to add, nothing changed.
    let v = report(
        &run(dir, &["write", "--out", ".env", "--format", "json"]),
        "write",
    );
    assert_eq!(
        (v["wrote"].clone(), v["changes"].clone()),
        (false.into(), serde_json::json!([]))
    );

    let mut c = secrets(dir);
    c.args(["set", "DATABASE_PASSWORD", "--format", "json"]);
    let o = run_piped(c, format!("{STRONG}\n").as_bytes());
    let v = report(&o, "set");
    assert_eq!(
        v["recomputed"][0]
            .as_str()
            .map(|s| s.starts_with("DATABASE_URL")),
        Some(true),
        "{v:#}"
    );
    assert!(!String::from_utf8_lossy(&o.stdout).contains(STRONG));
    assert_no_value(&o.stdout, &dir.join(".env"));

    for dry in [true, false] {
        let mut args = vec!["rotate", "API_TOKEN", "SESSION_SECRET", "--format", "json"];
        if dry {
            args.push("--dry-run");
        }
        let before = values(&dir.join(".env"));
        let o = run(dir, &args);
        let v = report(&o, "rotate");
        assert_eq!(v["dry_run"], dry);
        let names: Vec<&str> = v["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["API_TOKEN", "SESSION_SECRET"]);
        assert_eq!(v["keys"][0]["class"]["class"], "restart");
        assert_no_value(&o.stdout, &dir.join(".env"));
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(before.iter().all(|b| !text.contains(b.as_str())));
    }
}

#[test]
fn init_export_catalog_check_and_audit_reports_match_their_schemas() {
    let d = stack_dir();
    let dir = d.path();
    fs::write(
        dir.join(".env.example"),
        "# the app\nAPP_KEY=\nDB_PASSWORD=changeme\nAPP_NAME=demo\n",
    )
    .unwrap();
    let v = report(
        &run(dir, &["init", "--from", ".env.example", "--format", "json"]),
        "init",
    );
    assert!(
        v["manifest"].as_str().unwrap().contains("APP_KEY = {"),
        "{v:#}"
    );
    assert_eq!(v["path"], Value::Null);
    let v = report(
        &run(
            dir,
            &[
                "init",
                "--from",
                ".env.example",
                "--out",
                "m.toml",
                "--format",
                "json",
            ],
        ),
        "init",
    );
    assert_eq!(v["path"], "m.toml");
    assert!(v.get("manifest").is_none(), "{v:#}");
    assert!(dir.join("m.toml").exists());

    assert!(run(dir, &["write", "--out", ".env"]).status.success());
    let o = run(
        dir,
        &["export", "compose", "--dir", "run", "--format", "json"],
    );
    let v = report(&o, "export");
    assert_eq!(v["destination"], "compose");
    assert!(v["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["key"] == "API_TOKEN"));
    assert_no_value(&o.stdout, &dir.join(".env"));
    let o = run(
        dir,
        &[
            "export", "k8s", "--name", "app", "--out", "app.yaml", "--format", "json",
        ],
    );
    let v = report(&o, "export");
    assert_eq!(v["out"], "app.yaml");
    assert_no_value(&o.stdout, &dir.join(".env"));
    // Dry runs: nothing written, directories not created, byte for byte.
    let (run_before, top_before) = (tree(&dir.join("run")), dir_entries(dir));
    let o = run(dir, &["export", "compose", "--dir", "run", "--dry-run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("is up to date: nothing would change"));
    let o = run(dir, &["export", "compose", "--dir", "run2", "--dry-run"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("would create directory"),
        "{text}{}",
        stderr(&o)
    );
    let v = report(
        &run(
            dir,
            &[
                "export",
                "compose",
                "--dir",
                "run2",
                "--dry-run",
                "--format",
                "json",
            ],
        ),
        "export",
    );
    assert_eq!(v["dry_run"], true);
    let o = run(
        dir,
        &[
            "export",
            "k8s",
            "--name",
            "app",
            "--out",
            "new.yaml",
            "--dry-run",
        ],
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("would create it"),
        "{}",
        stderr(&o)
    );
    assert_no_value(&o.stdout, &dir.join(".env"));
    assert_eq!(
        (tree(&dir.join("run")), dir_entries(dir)),
        (run_before, top_before)
    );
    // The manifest on stdout holds the values: it has no JSON report.
    let o = run(dir, &["export", "k8s", "--name", "app", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(o.stdout.is_empty());

    let v = report(&run(dir, &["catalog", "--format", "json"]), "catalog");
    assert!(v["components"].as_array().unwrap().len() > 10);
    let o = run(dir, &["check", "--format", "json"]);
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(1),
        "{}",
        stderr(&o)
    );
    let o = Output {
        status: std::process::ExitStatus::default(),
        ..o
    };
    report(&o, "findings");
    let o = run(dir, &["audit", ".", "--format", "json"]);
    let o = Output {
        status: std::process::ExitStatus::default(),
        ..o
    };
    let v = report(&o, "findings");
    assert!(v["findings"].is_array());
}

/// Everything about a file that a change would alter.
#[derive(Debug, PartialEq)]
struct FileState {
    content: String,
    mode: u32,
    owner: (u32, u32),
    mtime: (i64, i64),
    inode: u64,
}

fn state(path: &Path) -> FileState {
    let m = fs::symlink_metadata(path).unwrap();
    FileState {
        content: String::from_utf8_lossy(&fs::read(path).unwrap()).into_owned(),
        mode: m.mode(),
        owner: (m.uid(), m.gid()),
        mtime: (m.mtime(), m.mtime_nsec()),
        inode: m.ino(),
    }
}

/// The state of every entry of `dir` (`None` for a directory), by name.
fn tree(dir: &Path) -> Vec<(String, Option<FileState>)> {
    dir_entries(dir)
        .into_iter()
        .map(|name| {
            let p: PathBuf = dir.join(&name);
            let s = fs::symlink_metadata(&p)
                .unwrap()
                .is_file()
                .then(|| state(&p));
            (name, s)
        })
        .collect()
}

#[test]
fn dry_runs_change_nothing_byte_for_byte() {
    let d = stack_dir();
    let dir = d.path();
    // A file that a write would complete and tighten: one key missing, mode 0640.
    fs::write(
        dir.join(".env"),
        "API_TOKEN=aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44\n",
    )
    .unwrap();
    fs::set_permissions(
        dir.join(".env"),
        std::os::unix::fs::PermissionsExt::from_mode(0o640),
    )
    .unwrap();
    // A stale temporary of a killed writer: a real write would remove it.
    fs::write(dir.join("..env.tmp-0123456789abcdef"), "").unwrap();
    let before = tree(dir);
    let dir_time = |dir: &Path| {
        let m = fs::metadata(dir).unwrap();
        (m.mtime(), m.mtime_nsec())
    };
    let dir_before = dir_time(dir);

    let o = run(dir, &["write", "--out", ".env", "--dry-run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("would replace"), "{text}");
    assert!(
        text.contains("would change the mode of .env from 0640 to 0600"),
        "{text}"
    );
    assert!(text.contains("would add 4 variables: "), "{text}");
    assert!(text.contains("SESSION_SECRET"), "{text}");
    assert_eq!(tree(dir), before, "write --dry-run changed the directory");

    let v = report(
        &run(
            dir,
            &["write", "--out", ".env", "--dry-run", "--format", "json"],
        ),
        "write",
    );
    assert_eq!(v["dry_run"], true);
    assert_eq!(tree(dir), before);

    let o = run(dir, &["write", "--out", "new/.env", "--mkdir", "--dry-run"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!dir.join("new").exists());

    let mut c = secrets(dir);
    c.args(["set", "DATABASE_PASSWORD", "--dry-run"]);
    let o = run_piped(c, format!("{STRONG}\n").as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("would add DATABASE_PASSWORD to .env"),
        "{text}"
    );
    let recomputed = text
        .lines()
        .find(|l| l.starts_with("would recompute "))
        .unwrap_or("");
    assert!(recomputed.contains("DATABASE_URL"), "{text}");
    assert!(!text.contains(STRONG));
    assert_eq!(tree(dir), before, "set --dry-run changed the directory");
    // A bad value is refused as without --dry-run.
    let mut c = secrets(dir);
    c.args(["set", "DATABASE_PASSWORD", "--dry-run"]);
    assert_eq!(run_piped(c, b"changeme\n").status.code(), Some(2));
    assert_eq!(dir_time(dir), dir_before, "an entry was created or removed");

    fs::write(dir.join(".env.example"), "APP_KEY=\n").unwrap();
    let before = tree(dir);
    let o = run(
        dir,
        &[
            "init",
            "--from",
            ".env.example",
            "--out",
            "m.toml",
            "--dry-run",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("would write m.toml (mode 0600"));
    assert_eq!(tree(dir), before, "init --dry-run changed the directory");
}
