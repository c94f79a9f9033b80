//! What the linters and scanners people already run find, `secrets check`
//! finds too (issue #14): duplicated keys, keys without a value, key-set
//! drift against the template, and dotenvx-encrypted values; `rotate` and
//! `write` refuse to edit one copy of a duplicated key or ciphertext.

use std::fs;
use std::path::Path;
use std::process::Output;

use secrets_tests::{repo_root, secrets};

/// `(rule, severity, line, key)` of each finding of a JSON report.
fn findings(o: &Output) -> Vec<(String, String, Option<u64>, Option<String>)> {
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
                f["line"].as_u64(),
                f["key"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn check(dir: &Path, extra: &[&str]) -> Vec<(String, String, Option<u64>, Option<String>)> {
    let o = secrets(dir)
        .args(["check", "--env", ".env", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    findings(&o)
}

/// The findings of one rule, as `(severity, line, key)`.
fn of(
    found: &[(String, String, Option<u64>, Option<String>)],
    rule: &str,
) -> Vec<(String, Option<u64>, Option<String>)> {
    found
        .iter()
        .filter(|f| f.0 == rule)
        .map(|f| (f.1.clone(), f.2, f.3.clone()))
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const PW1: &str = "Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA";
const PW2: &str = "Ab3dEf7hIj9kLm1nOp2qRs4tUv6wXy8z";

#[test]
fn duplicate_key_is_found_with_both_lines() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join(".env"), "A=1\nB=2\nA=3\n").unwrap();
    let found = check(d.path(), &[]);
    assert_eq!(
        of(&found, "SC013"),
        [("medium".into(), Some(1), Some("A".into()))],
        "{found:?}"
    );
    let o = secrets(d.path())
        .args(["check", "--env", ".env"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("A is assigned 2 times (lines 1 and 3)"),
        "{text}"
    );
}

#[test]
fn rotate_and_write_refuse_a_duplicated_generated_key_naming_both_lines() {
    let d = tempfile::tempdir().unwrap();
    let env = d.path().join(".env");
    // Without a manifest: the kind is inferred, the duplicate refused.
    let text = format!("API_TOKEN={PW1}\nOTHER=x\nAPI_TOKEN={PW2}\n");
    fs::write(&env, &text).unwrap();
    let o = secrets(d.path())
        .args(["rotate", "--env", ".env", "API_TOKEN"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("API_TOKEN is assigned 2 times (lines 1 and 3)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(fs::read_to_string(&env).unwrap(), text, "the file changed");

    // With a manifest: a generated key copied twice, and a dependent whose
    // input is the duplicated key.
    let text = format!("POSTGRES_PASSWORD={PW1}\nPOSTGRES_PASSWORD={PW2}\n");
    fs::write(&env, &text).unwrap();
    for args in [
        &[
            "rotate",
            "--env",
            ".env",
            "--with",
            "postgres",
            "POSTGRES_PASSWORD",
        ][..],
        &["rotate", "--env", ".env", "--with", "postgres", "--all"],
        &["write", "--out", ".env", "--with", "postgres"],
    ] {
        let o = secrets(d.path()).args(args).output().unwrap();
        assert!(!o.status.success(), "{args:?} succeeded");
        assert!(
            stderr(&o).contains("POSTGRES_PASSWORD is assigned 2 times (lines 1 and 2)"),
            "{args:?}: {}",
            stderr(&o)
        );
        assert_eq!(
            fs::read_to_string(&env).unwrap(),
            text,
            "{args:?} changed the file"
        );
    }
}

#[test]
fn key_without_value_is_found_and_kept() {
    let d = tempfile::tempdir().unwrap();
    let text = "A=1\nFROM_HOST\nAPI_TOKEN\n";
    fs::write(d.path().join(".env"), text).unwrap();
    let found = check(d.path(), &[]);
    assert_eq!(
        of(&found, "SC014"),
        [
            ("low".into(), Some(2), Some("FROM_HOST".into())),
            ("medium".into(), Some(3), Some("API_TOKEN".into()))
        ],
        "{found:?}"
    );
    assert_eq!(fs::read_to_string(d.path().join(".env")).unwrap(), text);
}

#[test]
fn keys_missing_from_or_extra_to_the_template_are_found() {
    let d = tempfile::tempdir().unwrap();
    fs::write(
        d.path().join(".env"),
        format!("API_TOKEN={PW1}\nDEBUG_LEVEL=2\nLOG_LEVEL=info\n"),
    )
    .unwrap();
    let template = "API_TOKEN=\nDB_PASSWORD=\nSMTP_HOST=\nINHERITED\nLOG_LEVEL=debug\n";
    fs::write(d.path().join(".env.example"), template).unwrap();
    let expected = |found: &[(String, String, Option<u64>, Option<String>)]| {
        assert_eq!(
            of(found, "SC015"),
            [
                ("high".into(), None, Some("DB_PASSWORD".into())),
                ("low".into(), None, Some("SMTP_HOST".into())),
                ("low".into(), None, Some("INHERITED".into())),
            ],
            "{found:?}"
        );
        assert_eq!(
            of(found, "SC016"),
            [("low".into(), Some(2), Some("DEBUG_LEVEL".into()))],
            "{found:?}"
        );
    };
    expected(&check(d.path(), &[]));

    // `--template` names another file; the .env.example beside is then unused.
    fs::rename(
        d.path().join(".env.example"),
        d.path().join("deploy.template"),
    )
    .unwrap();
    assert!(of(&check(d.path(), &[]), "SC015").is_empty());
    expected(&check(d.path(), &["--template", "deploy.template"]));
    let o = secrets(d.path())
        .args(["check", "--env", ".env", "--template", "deploy.template"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("DB_PASSWORD is in deploy.template but not in the file"),
        "{text}"
    );
    let o = secrets(d.path())
        .args(["check", "--env", ".env", "--template", "absent"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

/// A file encrypted by `dotenvx encrypt` (1.x/2.x): `secrets write` output
/// for these components, every value `encrypted:...`.
const ENCRYPTED_STACK: &str = "postgres,minio,supertokens,hasura";

#[test]
fn dotenvx_encrypted_values_are_one_low_note_not_format_findings() {
    let d = tempfile::tempdir().unwrap();
    fs::copy(
        repo_root().join("tests/fixtures/dotenvx/encrypted.env"),
        d.path().join(".env"),
    )
    .unwrap();
    let found = check(d.path(), &["--with", ENCRYPTED_STACK]);
    let high: Vec<_> = found.iter().filter(|f| f.1 != "low").collect();
    assert!(high.is_empty(), "{high:?}");
    assert_eq!(
        of(&found, "SC017"),
        [("low".into(), Some(13), None)],
        "{found:?}"
    );
}

#[test]
fn rotate_says_to_decrypt_a_dotenvx_encrypted_value_first() {
    let d = tempfile::tempdir().unwrap();
    let env = d.path().join(".env");
    fs::copy(
        repo_root().join("tests/fixtures/dotenvx/encrypted.env"),
        &env,
    )
    .unwrap();
    let before = fs::read(&env).unwrap();
    for args in [
        &["rotate", "--env", ".env", "JWT_SECRET"][..],
        &[
            "rotate",
            "--env",
            ".env",
            "--with",
            ENCRYPTED_STACK,
            "JWT_SECRET",
        ],
    ] {
        let o = secrets(d.path()).args(args).output().unwrap();
        assert!(!o.status.success(), "{args:?}");
        assert!(
            stderr(&o).contains("JWT_SECRET is encrypted by dotenvx: decrypt the file first"),
            "{args:?}: {}",
            stderr(&o)
        );
        assert_eq!(fs::read(&env).unwrap(), before);
    }
}

/// The SC011 messages of `secrets check` on `text`, by key.
fn reader_messages(text: &str) -> Vec<(String, String)> {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join(".env"), text).unwrap();
    let o = secrets(d.path())
        .args(["check", "--env", ".env", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "SC011")
        .map(|f| {
            (
                f["key"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn values_node_readers_read_differently_name_npm_dotenv_and_dotenvx() {
    let found = reader_messages("QUOTED=\"it's \\\"x\\\"\"\nSLASHES=\"back\\\\slash\\\\n\"\n");
    assert_eq!(found.len(), 2, "{found:?}");
    for (key, message) in &found {
        assert!(
            message.contains("npm dotenv") && message.contains("dotenvx"),
            "{key}: {message}"
        );
    }
}

#[test]
fn dollar_brace_in_single_quotes_names_compose_v1() {
    let found = reader_messages("K='a$b${c}d'\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].1,
        "K is read differently by docker-compose v1, python-dotenv, docker run --env-file"
    );
}
