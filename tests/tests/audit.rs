//! `secrets check` and `secrets audit`: each rule fires on one case and not
//! on another; no output format shows a secret; SARIF validates against the
//! 2.1.0 schema; `--fix` cleans what it may; exit codes 0, 1 and 2.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use secrets_core::envfile::Document;
use secrets_core::SecretValue;
use secrets_tests::{have_program, python, repo_root, require, require_python, secrets};

fn copy_dir(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).unwrap();
    for e in fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            fs::copy(e.path(), &to).unwrap();
            let mode = if e.file_name().to_string_lossy().starts_with(".env") {
                0o600
            } else {
                0o644
            };
            fs::set_permissions(&to, fs::Permissions::from_mode(mode)).unwrap();
        }
    }
    fs::set_permissions(dst, fs::Permissions::from_mode(0o700)).unwrap();
}

/// The findings of a JSON report; the command must have exited 0 or 1.
fn findings_in(o: &Output) -> Vec<serde_json::Value> {
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&o.stderr)));
    v["findings"].as_array().unwrap().clone()
}

/// The rule ids of a JSON report.
fn rules_in(o: &Output) -> Vec<String> {
    findings_in(o)
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

fn audit_rules(dir: &Path, extra: &[&str]) -> Vec<String> {
    let o = secrets(dir)
        .args(["audit", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    rules_in(&o)
}

/// The content rules, from tests/fixtures/audit/RULE/{fires,clean}.
#[test]
fn content_rules_fire_on_their_fixture_and_not_on_the_clean_one() {
    for rule in [
        "SA007", "SA008", "SA009", "SA010", "SA011", "SA012", "SA015", "SA016",
    ] {
        let d = tempfile::tempdir().unwrap();
        for case in ["fires", "clean"] {
            let dir = d.path().join(case);
            copy_dir(
                &repo_root()
                    .join("tests/fixtures/audit")
                    .join(rule)
                    .join(case),
                &dir,
            );
            let found = audit_rules(&dir, &[]);
            assert_eq!(
                found.contains(&rule.to_owned()),
                case == "fires",
                "{rule} {case}: {found:?}"
            );
        }
    }
}

fn env_file(dir: &Path, mode: u32) -> PathBuf {
    let p = dir.join(".env");
    fs::write(&p, "API_TOKEN=Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA\n").unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
    p
}

#[test]
fn file_and_directory_modes() {
    let d = tempfile::tempdir().unwrap();
    let (fires, clean) = (d.path().join("fires"), d.path().join("clean"));
    for dir in [&fires, &clean] {
        fs::create_dir(dir).unwrap();
    }
    env_file(&fires, 0o644);
    env_file(&clean, 0o600);
    fs::set_permissions(&fires, fs::Permissions::from_mode(0o777)).unwrap();
    fs::set_permissions(&clean, fs::Permissions::from_mode(0o700)).unwrap();
    let f = audit_rules(&fires, &[]);
    assert!(
        f.contains(&"SA001".into()) && f.contains(&"SA003".into()),
        "{f:?}"
    );
    let c = audit_rules(&clean, &[]);
    assert!(
        !c.contains(&"SA001".into()) && !c.contains(&"SA003".into()),
        "{c:?}"
    );
}

#[test]
fn owner_rule() {
    let d = tempfile::tempdir().unwrap();
    env_file(d.path(), 0o600);
    let uid = fs::metadata(d.path().join(".env"))
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .unwrap();
    assert!(audit_rules(d.path(), &["--owner", "65534:65534"]).contains(&"SA002".into()));
    assert!(!audit_rules(d.path(), &["--owner", &uid.to_string()]).contains(&"SA002".into()));
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn git_rules() {
    if !require(have_program("git"), "git", "apt-get install git") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let repo = |name: &str| {
        let r = d.path().join(name);
        fs::create_dir(&r).unwrap();
        git(&r, &["init", "-q"]);
        fs::write(r.join("README"), "x").unwrap();
        git(&r, &["add", "README"]);
        git(&r, &["commit", "-q", "-m", "init"]);
        env_file(&r, 0o600);
        r
    };
    // Not ignored, not tracked, not in history.
    let plain = repo("plain");
    let f = audit_rules(&plain, &[]);
    assert!(
        f.contains(&"SA004".into()) && !f.contains(&"SA005".into()) && !f.contains(&"SA006".into()),
        "{f:?}"
    );
    // Ignored: clean.
    let ignored = repo("ignored");
    fs::write(ignored.join(".gitignore"), ".env\n").unwrap();
    let f = audit_rules(&ignored, &[]);
    assert!(
        !f.iter()
            .any(|r| ["SA004", "SA005", "SA006"].contains(&r.as_str())),
        "{f:?}"
    );
    // Tracked (and so in history).
    let tracked = repo("tracked");
    git(&tracked, &["add", ".env"]);
    git(&tracked, &["commit", "-q", "-m", "oops"]);
    let f = audit_rules(&tracked, &[]);
    assert!(
        f.contains(&"SA005".into()) && f.contains(&"SA006".into()),
        "{f:?}"
    );
    // Removed from the index, still in history, now ignored.
    git(&tracked, &["rm", "-q", "--cached", ".env"]);
    fs::write(tracked.join(".gitignore"), ".env\n").unwrap();
    git(&tracked, &["add", ".gitignore"]);
    git(&tracked, &["commit", "-q", "-m", "untrack"]);
    let f = audit_rules(&tracked, &[]);
    assert!(
        f.contains(&"SA006".into()) && !f.contains(&"SA005".into()) && !f.contains(&"SA004".into()),
        "{f:?}"
    );
}

/// `git rev-parse REV` in `dir`.
fn rev(dir: &Path, rev: &str) -> String {
    let o = Command::new("git")
        .current_dir(dir)
        .args(["rev-parse", rev])
        .output()
        .unwrap();
    String::from_utf8(o.stdout).unwrap().trim().to_owned()
}

/// `(rule, path, message)` of each finding of `secrets audit ARGS` in `dir`.
fn audit_findings(
    dir: &Path,
    args: &[&str],
    path_env: Option<&str>,
) -> Vec<(String, String, String)> {
    let mut c = secrets(dir);
    c.args(["audit", "--format", "json"]).args(args);
    if let Some(p) = path_env {
        c.env("PATH", p);
    }
    let o = c.output().unwrap();
    rules_in(&o);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap().to_owned();
            (s("rule"), s("path"), s("message"))
        })
        .collect()
}

/// A repository whose secret files are all gone from the work tree: one
/// added, committed, deleted and the deletion committed; one on a second
/// branch only; one renamed to a name no rule looks at. SA006 names each
/// path and the commit that added it.
#[test]
fn history_finds_deleted_branch_only_and_renamed_secret_files() {
    if !require(have_program("git"), "git", "apt-get install git") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let r = d.path().join("repo");
    fs::create_dir(&r).unwrap();
    git(&r, &["init", "-q"]);
    fs::write(r.join("README"), "x").unwrap();
    git(&r, &["add", "README"]);
    git(&r, &["commit", "-q", "-m", "init"]);

    fs::write(r.join(".env.production"), "API_TOKEN=x\n").unwrap();
    git(&r, &["add", ".env.production"]);
    git(&r, &["commit", "-q", "-m", "add prod env"]);
    let deleted = rev(&r, "HEAD");
    git(&r, &["rm", "-q", ".env.production"]);
    git(&r, &["commit", "-q", "-m", "remove prod env"]);

    git(&r, &["checkout", "-q", "-b", "staging"]);
    fs::create_dir(r.join("deploy")).unwrap();
    fs::write(r.join("deploy/.env.staging"), "API_TOKEN=y\n").unwrap();
    git(&r, &["add", "deploy/.env.staging"]);
    git(&r, &["commit", "-q", "-m", "staging env"]);
    let branch_only = rev(&r, "HEAD");
    git(&r, &["checkout", "-q", "main"]);

    fs::create_dir(r.join("secrets")).unwrap();
    fs::write(r.join("secrets/api_key"), "k").unwrap();
    git(&r, &["add", "secrets/api_key"]);
    git(&r, &["commit", "-q", "-m", "key"]);
    let renamed = rev(&r, "HEAD");
    git(&r, &["mv", "secrets/api_key", "notes.txt"]);
    git(&r, &["commit", "-q", "-m", "rename"]);
    // A template is no secret file, in the history or on disk.
    fs::write(r.join(".env.example"), "API_TOKEN=\n").unwrap();
    git(&r, &["add", ".env.example"]);
    git(&r, &["commit", "-q", "-m", "template"]);
    assert!(!r.join(".env.production").exists() && !r.join("deploy").exists());

    let found = audit_findings(d.path(), &["repo"], None);
    let history: Vec<(&str, &str)> = found
        .iter()
        .filter(|f| f.0 == "SA006")
        .map(|f| (f.1.as_str(), f.2.as_str()))
        .collect();
    let expect = |path: &str, commit: &str| {
        (
            path.to_owned(),
            format!(
                "{path} is not in the work tree but is in the git history: added in commit {}",
                &commit[..12]
            ),
        )
    };
    let expected = [
        expect("repo/.env.production", &deleted),
        expect("repo/deploy/.env.staging", &branch_only),
        expect("repo/secrets/api_key", &renamed),
    ];
    let expected: Vec<(&str, &str)> = expected
        .iter()
        .map(|(p, m)| (p.as_str(), m.as_str()))
        .collect();
    assert_eq!(history, expected, "{found:?}");

    // A branch that added and removed a file, merged and deleted: no ref
    // names its commits but the merge.
    git(&r, &["checkout", "-q", "-b", "tmp"]);
    fs::create_dir(r.join("deploy")).unwrap();
    fs::write(r.join("deploy/.env.tmp"), "API_TOKEN=z\n").unwrap();
    git(&r, &["add", "deploy/.env.tmp"]);
    git(&r, &["commit", "-q", "-m", "tmp env"]);
    let merged = rev(&r, "HEAD");
    git(&r, &["rm", "-q", "deploy/.env.tmp"]);
    git(&r, &["commit", "-q", "-m", "oops"]);
    git(&r, &["checkout", "-q", "main"]);
    git(&r, &["merge", "-q", "--no-ff", "-m", "merge", "tmp"]);
    git(&r, &["branch", "-q", "-D", "tmp"]);

    // Auditing part of the repository searches that part of its history.
    fs::create_dir(r.join("deploy")).unwrap();
    let found = audit_findings(d.path(), &["repo/deploy"], None);
    let paths: Vec<(&str, &str)> = found
        .iter()
        .filter(|f| f.0 == "SA006")
        .map(|f| (f.1.as_str(), f.2.as_str()))
        .collect();
    let expected = [
        expect("repo/deploy/.env.staging", &branch_only),
        expect("repo/deploy/.env.tmp", &merged),
    ];
    let expected: Vec<(&str, &str)> = expected
        .iter()
        .map(|(p, m)| (p.as_str(), m.as_str()))
        .collect();
    assert_eq!(paths, expected, "{found:?}");
}

/// Without git, a repository with secrets only in its history gets one
/// SA014 and no claim about SA004-SA006.
#[test]
fn history_without_git_fails_closed() {
    if !require(have_program("git"), "git", "apt-get install git") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let r = d.path().join("repo");
    fs::create_dir(&r).unwrap();
    git(&r, &["init", "-q"]);
    fs::write(r.join(".env"), "API_TOKEN=x\n").unwrap();
    git(&r, &["add", ".env"]);
    git(&r, &["commit", "-q", "-m", "oops"]);
    git(&r, &["rm", "-q", ".env"]);
    git(&r, &["commit", "-q", "-m", "gone"]);
    let rules: Vec<String> = audit_findings(d.path(), &["repo"], Some("/nonexistent"))
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(rules, ["SA014"]);
    let rules: Vec<String> = audit_findings(d.path(), &["repo"], None)
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(rules, ["SA006"]);
}

const MANIFEST: &str = r#"
[stack]
include = ["postgres", "minio", "supertokens"]

[vars.OPENAI_API_KEY]
external = true

[vars.HEX_KEY]
kind = "hex"
bytes = 16
rotate_after = "30d"
"#;

/// A clean `.env` for MANIFEST: no check rule fires on it.
/// [`MANIFEST`] naming the `.env` files it describes.
fn describing(env_files: &[&str]) -> String {
    let list: Vec<String> = env_files.iter().map(|f| format!("{f:?}")).collect();
    MANIFEST.replace(
        "[stack]\n",
        &format!("[stack]\nenv_files = [{}]\n", list.join(", ")),
    )
}

fn clean_env(dir: &Path) -> Vec<u8> {
    fs::write(dir.join("secrets.toml"), MANIFEST).unwrap();
    let o = secrets(dir)
        .args(["write", "--out", ".env"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut doc = Document::parse(&fs::read(dir.join(".env")).unwrap()).unwrap();
    doc.set(
        "OPENAI_API_KEY",
        &SecretValue::new("sk-proj-Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA".into()),
    )
    .unwrap();
    let bytes = doc.render().as_bytes().to_vec();
    fs::write(dir.join(".env"), &bytes).unwrap();
    bytes
}

fn check_rules(dir: &Path) -> Vec<String> {
    let o = secrets(dir)
        .args(["check", "--env", ".env", "--format", "json"])
        .output()
        .unwrap();
    rules_in(&o)
}

#[test]
fn check_rules_fire_on_one_case_and_not_on_the_clean_file() {
    let d = tempfile::tempdir().unwrap();
    let clean = clean_env(d.path());
    assert_eq!(
        check_rules(d.path()),
        Vec::<String>::new(),
        "the clean file has findings"
    );

    let text = String::from_utf8(clean.clone()).unwrap();
    let get = |k: &str| {
        Document::parse(&clean)
            .unwrap()
            .get(k)
            .unwrap()
            .expose()
            .to_owned()
    };
    let set = |k: &str, v: &str| {
        let mut doc = Document::parse(&clean).unwrap();
        doc.set(k, &SecretValue::new(v.into())).unwrap();
        doc.render().to_string()
    };
    let pw = get("POSTGRES_PASSWORD");
    let cases: Vec<(&str, String, Option<String>)> = vec![
        (
            "SC001",
            text.lines()
                .filter(|l| !l.starts_with("MINIO_ROOT_PASSWORD="))
                .collect::<Vec<_>>()
                .join("\n")
                + "\n",
            None,
        ),
        ("SC002", set("POSTGRES_PASSWORD", ""), None),
        ("SC003", set("OPENAI_API_KEY", ""), None),
        ("SC004", set("POSTGRES_PASSWORD", "change-me"), None),
        ("SC005", set("MINIO_ROOT_PASSWORD", "minioadmin"), None),
        (
            "SC006",
            text.clone(),
            Some(format!("POSTGRES_PASSWORD={pw}\n")),
        ),
        ("SC007", set("HEX_KEY", "abc"), None),
        ("SC008", set("MINIO_ROOT_PASSWORD", "Password123"), None),
        ("SC009", set("MINIO_ROOT_PASSWORD", &pw), None),
        (
            "SC010",
            set("POSTGRES_PASSWORD", "Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA"),
            None,
        ),
        (
            "SC011",
            text.replace("OPENAI_API_KEY=sk-proj", "OPENAI_API_KEY=\"sk-proj")
                .replace("fH0jG5cA\n", "fH0jG5cA\"\n"),
            None,
        ),
        (
            "SC012",
            {
                let lines: Vec<&str> = text.lines().collect();
                let i = lines
                    .iter()
                    .position(|l| l.starts_with("HEX_KEY="))
                    .unwrap();
                // A first generation is stamped `generated:`, never `rotated:`;
                // its age counts from there.
                assert!(lines[i - 1].starts_with("# generated: "), "{text}");
                let mut l: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
                l[i - 1] = "# generated: 2020-01-01T00:00:00Z".into();
                l.join("\n") + "\n"
            },
            None,
        ),
    ];
    for (rule, env, example) in cases {
        fs::write(d.path().join(".env"), &env).unwrap();
        let _ = fs::remove_file(d.path().join(".env.example"));
        if let Some(e) = example {
            fs::write(d.path().join(".env.example"), e).unwrap();
        }
        let found = check_rules(d.path());
        assert!(
            found.contains(&rule.to_owned()),
            "{rule} did not fire: {found:?}"
        );
    }
}

/// A tree that trips every rule, with the secret values it holds.
fn dirty_tree(dir: &Path) -> Vec<String> {
    for rule in ["SA007", "SA008", "SA009", "SA010", "SA011", "SA012"] {
        copy_dir(
            &repo_root()
                .join("tests/fixtures/audit")
                .join(rule)
                .join("fires"),
            &dir.join(rule),
        );
    }
    let app = dir.join("app");
    fs::create_dir(&app).unwrap();
    clean_env(&app);
    fs::set_permissions(app.join(".env"), fs::Permissions::from_mode(0o644)).unwrap();
    fs::set_permissions(&app, fs::Permissions::from_mode(0o777)).unwrap();
    // The manifest stays where nobody else can change it (a manifest in a
    // world-writable directory is refused).
    // It names the `.env` it describes.
    fs::remove_file(app.join("secrets.toml")).unwrap();
    fs::write(dir.join("secrets.toml"), describing(&["app/.env"])).unwrap();
    fs::write(app.join("Dockerfile"), "FROM scratch\nCOPY . .\n").unwrap();
    let mut values = vec![
        "Zq8xT2mV9pL4rB7nK1wY6sD3".to_owned(),
        "sk-live-Zq8xT2mV9pL4rB7nK1wY6sD3".to_owned(),
    ];
    let doc = Document::parse(&fs::read(app.join(".env")).unwrap()).unwrap();
    values.extend(
        doc.entries()
            .map(|e| e.value().expose().to_owned())
            .filter(|v| v.len() >= 8 && v != "postgres"),
    );
    values
}

#[test]
fn no_output_format_shows_a_secret_and_sarif_validates() {
    let d = tempfile::tempdir().unwrap();
    let values = dirty_tree(d.path());
    let mut outputs = Vec::new();
    for format in ["text", "json", "sarif"] {
        let o = secrets(d.path())
            .args([
                "audit",
                "--format",
                format,
                "--manifest",
                "secrets.toml",
                "--owner",
                "65534",
            ])
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(1),
            "{format}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let all = [o.stdout.clone(), o.stderr.clone()].concat();
        let text = String::from_utf8_lossy(&all);
        for v in &values {
            assert!(
                !text.contains(v.as_str()),
                "{format} output shows a secret value"
            );
        }
        outputs.push((format, o.stdout));
    }
    let check = secrets(&d.path().join("app"))
        .args(["check", "--env", ".env", "--format", "json"])
        .output()
        .unwrap();
    for v in &values {
        assert!(!String::from_utf8_lossy(&check.stdout).contains(v.as_str()));
    }
    // Every rule id appears somewhere in the JSON report.
    let json: serde_json::Value = serde_json::from_slice(&outputs[1].1).unwrap();
    let ids: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    for id in [
        "SA001", "SA002", "SA003", "SA007", "SA008", "SA009", "SA010", "SA011", "SA012",
    ] {
        assert!(
            ids.contains(&id),
            "{id} missing from the dirty tree's report"
        );
    }
    if require_python(&[("jsonschema", "jsonschema")]) {
        let schema = repo_root().join("tests/fixtures/sarif/sarif-schema-2.1.0.json");
        let script = "import json, sys, jsonschema\nschema = json.load(open(sys.argv[1]))\nlog = json.load(sys.stdin)\njsonschema.validate(log, schema)\nassert log['runs'][0]['results'], 'no results'\nprint('valid')\n";
        let out = python(script, &[schema.to_str().unwrap()], &outputs[2].1);
        assert!(
            out.status.success(),
            "SARIF invalid: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn fix_makes_a_second_audit_clean_for_fixable_rules_and_keeps_values() {
    if !require(have_program("git"), "git", "apt-get install git") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    dirty_tree(d.path());
    git(d.path(), &["init", "-q"]);
    let before = fs::read(d.path().join("app/.env")).unwrap();
    let uid =
        std::os::unix::fs::MetadataExt::uid(&fs::metadata(d.path().join("app/.env")).unwrap());
    let owner = format!("{uid}");
    let first = audit_rules(d.path(), &["--owner", &owner]);
    for id in ["SA001", "SA003", "SA004", "SA007"] {
        assert!(
            first.contains(&id.to_owned()),
            "{id} should fire first: {first:?}"
        );
    }
    let o = secrets(d.path())
        .args(["audit", "--fix", "--format", "json", "--owner", &owner])
        .output()
        .unwrap();
    let fixed = String::from_utf8_lossy(&o.stderr);
    // Each fix as the command it stands for, runnable as printed.
    assert!(
        fixed.contains("secrets: fixed: chmod 600 ./app/.env\n"),
        "{fixed}"
    );
    assert!(
        fixed.contains(".gitignore") && fixed.contains(".dockerignore"),
        "{fixed}"
    );
    let second = audit_rules(d.path(), &["--owner", &owner]);
    for id in ["SA001", "SA004", "SA007"] {
        assert!(
            !second.contains(&id.to_owned()),
            "{id} still fires after --fix: {second:?}"
        );
    }
    assert!(
        !second.iter().any(|r| r == "SA003")
            || fs::metadata(d.path().join("app"))
                .unwrap()
                .permissions()
                .mode()
                & 0o002
                == 0
    );
    assert_eq!(
        fs::read(d.path().join("app/.env")).unwrap(),
        before,
        "--fix changed a value"
    );
    // Unfixable rules stay.
    assert!(second.contains(&"SA009".into()) && second.contains(&"SA010".into()));
}

#[test]
fn exit_codes_0_1_and_2() {
    let d = tempfile::tempdir().unwrap();
    let clean = d.path().join("clean");
    fs::create_dir(&clean).unwrap();
    fs::set_permissions(&clean, fs::Permissions::from_mode(0o700)).unwrap();
    env_file(&clean, 0o600);
    let o = secrets(&clean).args(["audit"]).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    env_file(&clean, 0o644);
    assert_eq!(
        secrets(&clean)
            .args(["audit"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        secrets(&clean)
            .args(["audit", "--fail-on", "high"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(1)
    );
    let o = secrets(&clean)
        .args(["audit", "no-such-dir"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "secrets: error: no-such-dir: no such file or directory\n"
    );
    let o = secrets(&clean)
        .args(["audit", "--owner", "no-such-user-x"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = secrets(&clean)
        .args(["check", "--env", "missing.env"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    fs::write(clean.join("bad.env"), "A='open\n").unwrap();
    let o = secrets(&clean)
        .args(["check", "--env", "bad.env"])
        .output()
        .unwrap();
    assert_eq!(
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned()
        ),
        (
            Some(2),
            "secrets: error: bad.env:1:3: unterminated quoted value\n".into()
        )
    );
}

#[test]
fn files_named_by_compose_and_under_secrets_are_audited() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).unwrap();
    fs::create_dir_all(dir.join("config")).unwrap();
    fs::create_dir_all(dir.join("secrets")).unwrap();
    fs::write(
        dir.join("compose.yaml"),
        "services:\n  app:\n    env_file:\n      - ./config/app.conf\nsecrets:\n  db:\n    file: ./config/db_password.txt\n",
    )
    .unwrap();
    for f in ["config/app.conf", "config/db_password.txt", "secrets/token"] {
        fs::write(dir.join(f), "x\n").unwrap();
        fs::set_permissions(dir.join(f), fs::Permissions::from_mode(0o644)).unwrap();
    }
    fs::write(dir.join("config/unrelated.txt"), "x\n").unwrap();
    let o = secrets(dir)
        .args(["audit", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut flagged: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "SA001")
        .map(|f| {
            f["path"]
                .as_str()
                .unwrap()
                .trim_start_matches("./")
                .to_owned()
        })
        .collect();
    flagged.sort();
    assert_eq!(
        flagged,
        ["config/app.conf", "config/db_password.txt", "secrets/token"]
    );
}

/// `audit --manifest` checks its `.env` files on several threads when there
/// are many: the findings are those of auditing each directory alone, in
/// the same order, whatever the scheduling.
#[test]
fn many_env_files_give_the_findings_of_one_at_a_time() {
    let d = tempfile::tempdir().unwrap();
    let clean = clean_env(d.path());
    fs::remove_file(d.path().join(".env")).unwrap();
    let findings = |o: &Output| -> Vec<(String, String, serde_json::Value)> {
        findings_in(o)
            .iter()
            .map(|f| {
                let path = f["path"].as_str().unwrap().to_owned();
                (
                    path,
                    f["rule"].as_str().unwrap().to_owned(),
                    f["line"].clone(),
                )
            })
            .collect()
    };
    let manifest = d.path().join("secrets.toml");
    fs::write(&manifest, describing(&["tree/*/.env"])).unwrap();
    let tree = d.path().join("tree");
    fs::create_dir(&tree).unwrap();
    let mut dirs = Vec::new();
    for i in 0..40 {
        let dir = tree.join(format!("app{i:02}"));
        fs::create_dir(&dir).unwrap();
        let mut doc = Document::parse(&clean).unwrap();
        // Every third file holds a guessable password, every fifth a
        // placeholder.
        if i % 3 == 0 {
            doc.set("POSTGRES_PASSWORD", &SecretValue::new("password123".into()))
                .unwrap();
        }
        if i % 5 == 0 {
            doc.set("MINIO_ROOT_PASSWORD", &SecretValue::new("changeme".into()))
                .unwrap();
        }
        fs::write(dir.join(".env"), doc.render().as_bytes()).unwrap();
        fs::set_permissions(dir.join(".env"), fs::Permissions::from_mode(0o600)).unwrap();
        dirs.push(dir);
    }
    let audit = |root: &Path| {
        secrets(d.path())
            .args(["audit", "--format", "json", "--manifest"])
            .arg(&manifest)
            .arg(root)
            .output()
            .unwrap()
    };
    let together = findings(&audit(&tree));
    let one_by_one: Vec<_> = dirs.iter().flat_map(|dir| findings(&audit(dir))).collect();
    assert!(
        together.iter().filter(|f| f.1 == "SC008").count() >= 14,
        "{together:?}"
    );
    assert_eq!(together, one_by_one);
}

/// A manifest applies to the `.env` it describes, not to an unrelated
/// application's file under the same root; and `audit --manifest` reports
/// what `check` and a plain `audit` report together, each finding once.
#[test]
fn a_manifest_applies_to_the_env_it_describes_each_finding_once() {
    let d = tempfile::tempdir().unwrap();
    let app = d.path().join("app");
    let other = d.path().join("other");
    fs::create_dir(&app).unwrap();
    fs::create_dir(&other).unwrap();
    let clean = clean_env(&app);
    let mut doc = Document::parse(&clean).unwrap();
    doc.set("POSTGRES_PASSWORD", &SecretValue::new("password123".into()))
        .unwrap();
    fs::write(app.join(".env"), doc.render().as_bytes()).unwrap();
    // Another application's file: none of the manifest's variables.
    fs::write(
        other.join(".env"),
        "API_TOKEN=Zq8xT2mV9pL4rB7n\nPORT=8080\n",
    )
    .unwrap();
    for f in [app.join(".env"), other.join(".env")] {
        fs::set_permissions(f, fs::Permissions::from_mode(0o600)).unwrap();
    }
    let keyed = |o: &Output| -> Vec<(String, String, serde_json::Value)> {
        let mut v: Vec<_> = findings_in(o)
            .iter()
            .map(|f| {
                let path = f["path"].as_str().unwrap().trim_start_matches("./");
                (
                    path.to_owned(),
                    f["rule"].as_str().unwrap().to_owned(),
                    f["line"].clone(),
                )
            })
            .collect();
        v.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        v
    };
    let run = |args: &[&str]| secrets(d.path()).args(args).output().unwrap();
    let with_manifest = keyed(&run(&[
        "audit",
        ".",
        "--format",
        "json",
        "--manifest",
        "app/secrets.toml",
    ]));
    assert!(
        with_manifest
            .iter()
            .any(|f| f.0 == "app/.env" && f.1 == "SC008"),
        "{with_manifest:?}"
    );
    assert!(
        !with_manifest
            .iter()
            .any(|f| f.0 == "other/.env" && f.1.starts_with("SC")),
        "the manifest was applied to an unrelated file: {with_manifest:?}"
    );
    let plain = keyed(&run(&["audit", ".", "--format", "json"]));
    assert!(!plain.iter().any(|f| f.1.starts_with("SC")), "{plain:?}");
    let check = keyed(&run(&[
        "check",
        "--env",
        "app/.env",
        "--manifest",
        "app/secrets.toml",
        "--format",
        "json",
    ]));
    assert!(!check.is_empty());
    let mut both: Vec<_> = plain.iter().chain(&check).cloned().collect();
    both.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    let before = both.len();
    both.dedup();
    assert_eq!(before, both.len(), "check and audit report a finding twice");
    assert_eq!(both, with_manifest);
}

/// What a manifest describes is found whatever its directory is called, the
/// `.env.*` beside it count too, and a manifest that describes nothing the
/// walk found is a finding (SA018), never a silent pass.
#[test]
fn a_manifest_s_files_are_found_or_their_absence_is_reported() {
    let d = tempfile::tempdir().unwrap();
    for name in ["app[1]", "app{x}"] {
        let app = d.path().join(name);
        fs::create_dir(&app).unwrap();
        clean_env(&app);
        let weak = "POSTGRES_PASSWORD=password123\n";
        fs::write(app.join(".env.production"), weak).unwrap();
        for f in [".env", ".env.production"] {
            fs::set_permissions(app.join(f), fs::Permissions::from_mode(0o600)).unwrap();
        }
        let manifest = format!("{name}/secrets.toml");
        let o = secrets(d.path())
            .args(["audit", name, "--format", "json", "--manifest", &manifest])
            .output()
            .unwrap();
        let found: Vec<(String, String)> = findings_in(&o)
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_owned(),
                    f["rule"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let production = format!("{name}/.env.production");
        assert!(
            found.iter().any(|(p, r)| *p == production && r == "SC008"),
            "{name}: {found:?}"
        );
        assert!(
            !found.iter().any(|(_, r)| r == "SA018"),
            "{name}: {found:?}"
        );
    }
    // The same directory reached through a symbolic link: the manifest's
    // files are not recognised, and the audit says so.
    std::os::unix::fs::symlink(d.path().join("app[1]"), d.path().join("link")).unwrap();
    let o = secrets(d.path())
        .args([
            "audit",
            "link/",
            "--format",
            "json",
            "--manifest",
            "app[1]/secrets.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let rules = rules_in(&o);
    assert!(rules.iter().any(|r| r == "SA018"), "{rules:?}");
    // Nothing was checked at all: that alone fails a gate on high.
    assert!(rules.iter().any(|r| r == "SA022"), "{rules:?}");
    assert!(!rules.iter().any(|r| r.starts_with("SC")), "{rules:?}");
}

/// A directory whose name is not UTF-8 is walked like any other: it cannot
/// hide a world-readable `.env` from the audit.
#[test]
fn a_directory_named_in_invalid_utf8_hides_nothing() {
    use std::os::unix::ffi::OsStrExt;
    let d = tempfile::tempdir().unwrap();
    let odd = d.path().join(std::ffi::OsStr::from_bytes(b"tenant-\xff"));
    fs::create_dir(&odd).unwrap();
    fs::write(odd.join(".env"), "API_TOKEN=Zq8xT2mV9pL4rB7nK1wY6sD3\n").unwrap();
    fs::set_permissions(odd.join(".env"), fs::Permissions::from_mode(0o666)).unwrap();
    let o = secrets(d.path())
        .args(["audit", ".", "--format", "json"])
        .output()
        .unwrap();
    let rules = rules_in(&o);
    assert!(rules.iter().any(|r| r == "SA001"), "{rules:?}");
    // Reports name such a file without failing.
    for format in ["sarif", "text"] {
        let o = secrets(d.path())
            .args(["audit", ".", "--format", format])
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(1),
            "{format}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("tenant-"),
            "{format}"
        );
    }
}
