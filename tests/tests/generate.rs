//! `secrets generate` and `secrets catalog` through the built binary.

use std::collections::HashMap;
use std::fs;
use std::process::Command;

use secrets_tests::{mode_of, repo_root, secrets, secrets_bin};

fn json_values(stdout: &[u8]) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::from_slice(stdout).expect("generate --format json prints JSON") {
        serde_json::Value::Object(m) => m,
        other => panic!("expected an object, got {}", other.to_string().len()),
    }
}

#[test]
fn redirected_stdout_is_0600_under_umask_022() {
    let d = tempfile::tempdir().unwrap();
    let status = Command::new("sh")
        .current_dir(d.path())
        .arg("-c")
        .arg(format!(
            "umask 022; exec '{}' generate --with postgres > f",
            secrets_bin().display()
        ))
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(mode_of(&d.path().join("f")), 0o600);
    let text = fs::read_to_string(d.path().join("f")).unwrap();
    assert!(text.contains("POSTGRES_PASSWORD="));
}

#[test]
fn without_a_manifest_it_says_how_to_start() {
    let d = tempfile::tempdir().unwrap();
    let out = secrets(d.path()).arg("generate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("--with") && err.contains("secrets catalog"),
        "{err}"
    );
}

#[test]
fn reads_secrets_toml_by_default() {
    let d = tempfile::tempdir().unwrap();
    fs::write(
        d.path().join("secrets.toml"),
        "[stack]\ninclude = [\"redis\"]\n",
    )
    .unwrap();
    let out = secrets(d.path())
        .args(["generate", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v = json_values(&out.stdout);
    assert_eq!(
        v.keys().collect::<Vec<_>>(),
        ["REDIS_PASSWORD", "REDIS_URL"]
    );
}

/// Ten distinct manifest mistakes: each gives exit 2, one line on stderr that
/// names file:line:col, and nothing on stdout.
#[test]
fn manifest_mistakes_name_file_line_and_column() {
    let cases: &[(&str, &str)] = &[
        (
            "[vars.A]\nkind = \"passwrd\"\n",
            "m.toml:2:8: unknown kind `passwrd`",
        ),
        (
            "[vars.A]\nkind = \"hex\"\nlenght = 3\n",
            "m.toml:3:1: unknown field `lenght`",
        ),
        (
            "[vars.A]\nsame_as = \"B\"\n",
            "m.toml:2:11: `A` refers to `B`, which is not defined",
        ),
        (
            "[vars.A]\nsame_as = \"B\"\n[vars.B]\nsame_as = \"A\"\n",
            "m.toml:4:11: derivation cycle: A -> B -> A",
        ),
        (
            "[vars.A]\nkind = \"hex\"\nvalue = \"x\"\n",
            "m.toml:3:9: `A` has both `kind` and `value`",
        ),
        (
            "[vars.A]\ndescription = \"x\"\n",
            "m.toml:1:1: `A` needs one of",
        ),
        (
            "[stack]\ninclude = [\"postgress\"]\n",
            "m.toml:2:12: unknown component `postgress`",
        ),
        (
            "[vars.A]\nkind = \"password\"\nlength = 4\n",
            "m.toml:3:10: `length` must be between 8 and 65536",
        ),
        (
            "[vars.A]\nkind = \"jwt\"\n",
            "m.toml:2:8: kind `jwt` is computed from another variable",
        ),
        (
            "[vars.A]\ntemplate = \"x${B\"\n",
            "m.toml:2:14: `${` is not closed by `}`",
        ),
        (
            "[vars.A]\nkind = \"token\"\nrotate_after = \"soon\"\n",
            "m.toml:3:16: `rotate_after` `soon` is not a duration",
        ),
        (
            "[vars.9A]\nkind = \"token\"\n",
            "m.toml:1:7: `9A` is not a variable name",
        ),
        (
            "[vars.A]\nkind = \"jwt-secret\"\nalg = \"RS256\"\n",
            "m.toml:3:7: unknown `alg` `RS256`",
        ),
        (
            "[vars.A]\nkind = \"hex\"\nlength = 3\n",
            "m.toml:3:10: `length` does not apply to kind `hex`",
        ),
        ("[vars.A\nkind = \"hex\"\n", "m.toml:1:8: "),
    ];
    let d = tempfile::tempdir().unwrap();
    for (text, expected) in cases {
        fs::write(d.path().join("m.toml"), text).unwrap();
        let out = secrets(d.path())
            .args(["generate", "--manifest", "m.toml"])
            .output()
            .unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(out.stdout.is_empty(), "{text}: stdout not empty");
        assert_eq!(err.lines().count(), 1, "{text}: {err}");
        assert!(
            err.starts_with(&format!("secrets: error: {expected}")),
            "{text}: got {err}"
        );
    }
}

#[test]
fn json_has_every_variable_and_stderr_has_no_value() {
    let d = tempfile::tempdir().unwrap();
    let all = "postgres,jwt,postgrest,hasura,supabase,minio,imgproxy,pgcat,grafana,pgadmin,supertokens,redis,mongodb,django,web-push";
    let out = secrets(d.path())
        .args(["generate", "--format", "json", "--with", all])
        .output()
        .unwrap();
    assert!(out.status.success());
    let values = json_values(&out.stdout);
    assert_eq!(values["PGADMIN_DEFAULT_EMAIL"], serde_json::Value::Null);
    assert_eq!(values["PGRST_JWT_SECRET"], values["JWT_SECRET"]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    for (name, v) in &values {
        if let Some(s) = v.as_str().filter(|s| s.len() >= 8) {
            assert!(!stderr.contains(s), "stderr shows the value of {name}");
        }
    }
}

#[test]
fn every_example_stack_generates_with_its_variable_names() {
    let expected: HashMap<&str, &[&str]> = HashMap::from([
        (
            "peakstone",
            &[
                "POSTGRES_SUPERPASS",
                "JWT_SECRET",
                "HASURA_ADMIN_SECRET",
                "MINIO_ROOT_PASS",
                "S3_APP_SECRET_KEY",
                "IMGPROXY_KEY_HEX",
                "IMGPROXY_SALT_HEX",
                "PGADMIN_EMAIL",
                "PGADMIN_PASSWORD",
                "PGCAT_ADMIN_USER",
                "PGCAT_ADMIN_PASSWORD",
                "LOKI_ACCESS_KEY",
                "LOKI_SECRET_KEY",
                "GRAFANA_ADMIN_USER",
                "GRAFANA_ADMIN_PASSWORD",
                "DB_AUTHENTICATOR_PASSWORD",
                "HASURA_DB_PASSWORD",
                "DB_MIGRATOR_PASSWORD",
                "PGRST_DB_URI",
                "HASURA_GRAPHQL_DATABASE_URL",
                "ATLAS_URL",
            ][..],
        ),
        (
            "notion-bot",
            &[
                "DISCORD_TOKEN",
                "NOTION_TOKEN",
                "OPENAI_API_KEY",
                "POSTGRES_PASSWORD",
                "DATABASE_URL",
            ][..],
        ),
        (
            "viarah",
            &[
                "DJANGO_SECRET_KEY",
                "VIA_RAH_ENCRYPTION_KEY",
                "WEBPUSH_VAPID_PRIVATE_KEY",
                "WEBPUSH_VAPID_PUBLIC_KEY",
                "WEBPUSH_VAPID_SUBJECT",
                "DATABASE_URL",
            ][..],
        ),
        (
            "atom",
            &[
                "PGRAPHILE_JWT_SECRET",
                "JWT_SECRET",
                "API_KEYS",
                "API_TOKEN",
                "POSTGRES_PASSWORD",
                "OPTAPLANNER_PASSWORD",
            ][..],
        ),
        (
            "atlas",
            &[
                "MONGO_URL",
                "REDIS_URL",
                "REDIS_PASSWORD",
                "SLACK_BOT_TOKEN",
                "GITHUB_TOKEN",
            ][..],
        ),
    ]);
    let stacks = repo_root().join("examples/stacks");
    let d = tempfile::tempdir().unwrap();
    for (name, vars) in expected {
        let manifest = stacks.join(format!("{name}.toml"));
        let out = secrets(d.path())
            .args(["generate", "--format", "json", "--manifest"])
            .arg(&manifest)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let values = json_values(&out.stdout);
        for v in vars {
            assert!(values.contains_key(*v), "{name} lacks {v}");
        }
        let env = secrets(d.path())
            .args(["generate", "--manifest"])
            .arg(&manifest)
            .output()
            .unwrap();
        assert!(env.status.success());
        let parsed: Vec<(String, String)> = dotenvy::from_read_iter(&env.stdout[..])
            .map(|r| r.expect("dotenvy parses"))
            .collect();
        assert_eq!(
            parsed.len(),
            values.len(),
            "{name}: dotenvy sees every variable"
        );
    }
    // Stack-specific relations.
    let out = secrets(d.path())
        .args(["generate", "--format", "json", "--manifest"])
        .arg(stacks.join("atom.toml"))
        .output()
        .unwrap();
    let v = json_values(&out.stdout);
    assert_eq!(v["PGRAPHILE_JWT_SECRET"], v["JWT_SECRET"]);
    let out = secrets(d.path())
        .args(["generate", "--format", "json", "--manifest"])
        .arg(stacks.join("peakstone.toml"))
        .output()
        .unwrap();
    let v = json_values(&out.stdout);
    let pw = v["DB_AUTHENTICATOR_PASSWORD"].as_str().unwrap();
    assert_eq!(
        v["PGRST_DB_URI"].as_str().unwrap(),
        format!("postgres://db_authenticator:{pw}@pgcat:6432/postgres")
    );
}

#[test]
fn catalog_lists_components_and_kinds() {
    let d = tempfile::tempdir().unwrap();
    let out = secrets(d.path())
        .args(["catalog", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for c in [
        "postgres",
        "jwt",
        "postgrest",
        "hasura",
        "supabase",
        "minio",
        "imgproxy",
        "pgcat",
        "grafana",
        "pgadmin",
        "supertokens",
        "redis",
        "mongodb",
        "django",
        "web-push",
    ] {
        assert!(names.contains(&c), "missing component {c}");
    }
    assert!(v["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["name"] == "fernet"));
    let text = secrets(d.path()).arg("catalog").output().unwrap();
    assert!(String::from_utf8(text.stdout)
        .unwrap()
        .contains("PGRST_JWT_SECRET             same as JWT_SECRET"));
}

#[test]
fn usage_errors_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let out = secrets(d.path())
        .args(["generate", "--format", "yaml", "--with", "redis"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = secrets(d.path())
        .args(["generate", "--with", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("unknown component `nope`"));
}
