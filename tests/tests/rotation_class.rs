//! `secrets rotate` and each value's rotation class, through the built
//! binary on stacks generated from the catalog: a value a server stored at
//! first start, a key that encrypts data at rest and a value handed outside
//! the stack are never rotated by `--all` or `--due`, and rotated by name
//! only with their live step or the operator's explicit word.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Output;

use secrets_core::envfile::Document;
use secrets_tests::{secrets, write_env};

/// Values that are not `restart`, from the images' and frameworks' own
/// documentation (an oracle written apart from the catalog files): a
/// server's first-start copy (stored), encryption at rest (data-key) or
/// copies outside the stack (issued).
const NOT_RESTART: &[&str] = &[
    // stored
    "POSTGRES_PASSWORD",
    "POSTGRES_NON_ROOT_PASSWORD",
    "MYSQL_ROOT_PASSWORD",
    "MYSQL_PASSWORD",
    "MARIADB_ROOT_PASSWORD",
    "MARIADB_PASSWORD",
    "MONGO_INITDB_ROOT_USERNAME",
    "MONGO_INITDB_ROOT_PASSWORD",
    "RABBITMQ_DEFAULT_USER",
    "RABBITMQ_DEFAULT_PASS",
    "RABBITMQ_PASSWORD",
    "GF_SECURITY_ADMIN_USER",
    "GF_SECURITY_ADMIN_PASSWORD",
    "PGADMIN_DEFAULT_PASSWORD",
    "DB_PASS",
    "DB_PASSWORD",
    // data-key
    "APP_KEY",
    "N8N_ENCRYPTION_KEY",
    "ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY",
    "ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT",
    "ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY",
    "OTP_SECRET",
    "VAULT_ENC_KEY",
    "DATA_ENCRYPTION_KEY",
    "ENCRYPTION_KEY",
    "SECRET_KEY",
    // issued
    "VAPID_PRIVATE_KEY",
    "VAPID_PUBLIC_KEY",
    "ANON_KEY",
    "SERVICE_ROLE_KEY",
    "MEILI_MASTER_KEY",
    "HASHIDS_SALT",
];

fn run(dir: &Path, args: &[&str]) -> Output {
    secrets(dir).args(args).output().expect("secrets runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn values(dir: &Path) -> BTreeMap<String, String> {
    let d = Document::parse(&fs::read(dir.join(".env")).unwrap()).unwrap();
    d.entries()
        .map(|e| (e.key().to_owned(), e.value().expose().to_owned()))
        .collect()
}

/// The values of `before` that must not change: each not-`restart` value,
/// and each value holding one of them (a URL, an alias).
fn protected(before: &BTreeMap<String, String>) -> Vec<&str> {
    let kept: Vec<&str> = (before.iter())
        .filter(|(k, v)| NOT_RESTART.contains(&k.as_str()) && !v.is_empty())
        .map(|(_, v)| v.as_str())
        .collect();
    (before.iter())
        .filter(|(_, v)| kept.iter().any(|k| v.contains(k)))
        .map(|(k, _)| k.as_str())
        .collect()
}

/// `--all` through the CLI, with every consent flag given: bulk rotation
/// ignores them. Returns the values before and after.
fn rotate_all(dir: &Path, with: &str) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let before = values(dir);
    let o = run(
        dir,
        &[
            "rotate",
            "--env",
            ".env",
            "--with",
            with,
            "--all",
            "--server-changed",
            "--accept-data-loss",
            "--keep-previous",
        ],
    );
    // The old code has no consent flags: then the same without them.
    let o = match o.status.code() {
        Some(2) if stderr(&o).contains("unexpected argument") => {
            run(dir, &["rotate", "--env", ".env", "--with", with, "--all"])
        }
        _ => o,
    };
    assert!(o.status.success(), "{with}: {}", stderr(&o));
    (before, values(dir))
}

fn assert_protected_unchanged(
    with: &str,
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) {
    for k in protected(before) {
        assert_eq!(
            before[k].as_bytes(),
            after[k].as_bytes(),
            "{with}: --all changed {k}"
        );
    }
}

#[test]
fn a_stored_value_without_its_live_step_is_refused_and_nothing_changes() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    for (with, key) in [
        ("postgres", "POSTGRES_PASSWORD"),
        ("mongodb", "MONGO_INITDB_ROOT_PASSWORD"),
        ("grafana", "GF_SECURITY_ADMIN_PASSWORD"),
    ] {
        fs::remove_file(dir.join(".env")).ok();
        write_env(dir, with);
        let before = fs::read(dir.join(".env")).unwrap();
        let o = run(dir, &["rotate", "--env", ".env", "--with", with, key]);
        assert_eq!(o.status.code(), Some(2), "{key}: {}", stdout(&o));
        assert_eq!(fs::read(dir.join(".env")).unwrap(), before, "{key}");
        let e = stderr(&o);
        assert!(
            e.starts_with(&format!(
                "secrets: error: {key} is stored (catalog {with}): "
            )),
            "{e}"
        );
        assert!(e.contains("nothing was changed"), "{e}");
        assert!(e.contains("--server-changed"), "{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(o.stdout.is_empty());
    }
    // PostgreSQL has a live step: the error names it.
    fs::remove_file(dir.join(".env")).unwrap();
    write_env(dir, "postgres");
    let o = run(
        dir,
        &[
            "rotate",
            "--env",
            ".env",
            "--with",
            "postgres",
            "POSTGRES_PASSWORD",
        ],
    );
    assert!(
        stderr(&o).contains("pass `--apply postgres`"),
        "{}",
        stderr(&o)
    );

    // The operator's word that the server's copy is changed by hand: it
    // rotates, and says what is left to do.
    let before = values(dir);
    let o = run(
        dir,
        &[
            "rotate",
            "--env",
            ".env",
            "--with",
            "postgres",
            "POSTGRES_PASSWORD",
            "--server-changed",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let after = values(dir);
    assert_ne!(after["POSTGRES_PASSWORD"], before["POSTGRES_PASSWORD"]);
    assert!(
        stderr(&o).contains("change by hand: POSTGRES_PASSWORD is stored, catalog postgres"),
        "{}",
        stderr(&o)
    );

    // A `postgres_role` in the operator's own manifest makes it stored too.
    fs::write(
        dir.join("secrets.toml"),
        "[vars.APP_PASSWORD]\nkind = \"password\"\npostgres_role = \"app\"\n",
    )
    .unwrap();
    fs::write(
        dir.join(".env"),
        "APP_PASSWORD=Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA\n",
    )
    .unwrap();
    let before = fs::read(dir.join(".env")).unwrap();
    let o = run(dir, &["rotate", "--env", ".env", "APP_PASSWORD"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("APP_PASSWORD is stored (postgres_role)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(fs::read(dir.join(".env")).unwrap(), before);
}

#[test]
fn all_on_n8n_laravel_and_mastodon_rotates_only_restart_values() {
    for (with, kept, rotated) in [
        (
            "n8n",
            &["N8N_ENCRYPTION_KEY"][..],
            &["N8N_RUNNERS_AUTH_TOKEN"][..],
        ),
        ("laravel", &["APP_KEY"][..], &[][..]),
        (
            "mastodon",
            &[
                "ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY",
                "ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT",
                "ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY",
                "VAPID_PRIVATE_KEY",
                "VAPID_PUBLIC_KEY",
                "DB_PASS",
                "OTP_SECRET",
            ][..],
            &["SECRET_KEY_BASE"][..],
        ),
    ] {
        let d = tempfile::tempdir().unwrap();
        write_env(d.path(), with);
        let (before, after) = rotate_all(d.path(), with);
        for k in kept {
            assert_eq!(
                before[*k].as_bytes(),
                after[*k].as_bytes(),
                "{with}: --all changed {k}"
            );
        }
        for k in rotated {
            assert_ne!(before[*k], after[*k], "{with}: --all left {k}");
        }
        assert_protected_unchanged(with, &before, &after);
        assert!(!after.contains_key("APP_KEY_PREVIOUS"));
    }
}

#[test]
fn all_and_dry_run_list_each_skipped_value_with_its_class_and_reason() {
    let d = tempfile::tempdir().unwrap();
    write_env(d.path(), "mastodon");
    let before = fs::read(d.path().join(".env")).unwrap();
    let o = run(
        d.path(),
        &[
            "rotate",
            "--env",
            ".env",
            "--with",
            "mastodon",
            "--all",
            "--dry-run",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("would rotate SECRET_KEY_BASE (password; class restart, catalog rails)\n"),
        "{out}"
    );
    for line in [
        "skipped DB_PASS (stored, catalog mastodon): ",
        "skipped OTP_SECRET (data-key, catalog mastodon): ",
        "skipped ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY (data-key, catalog mastodon): ",
        "skipped VAPID_PRIVATE_KEY (issued, catalog vapid): ",
    ] {
        assert!(out.contains(line), "{line} missing:\n{out}");
    }
    assert!(
        out.contains("its consumer reads no previous key"),
        "the reason says what to do: {out}"
    );
    assert_eq!(fs::read(d.path().join(".env")).unwrap(), before);

    // The same run for real: exit 0, the same skipped lines.
    let o = run(
        d.path(),
        &["rotate", "--env", ".env", "--with", "mastodon", "--all"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("rotated SECRET_KEY_BASE (password)\n"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("skipped DB_PASS (stored, catalog mastodon): "));
}

/// Every catalog component on its own: `--all` touches no stored,
/// data-key or issued value, nor a value built from one.
#[test]
fn all_on_every_catalog_component_touches_no_stored_data_key_or_issued_value() {
    let mut checked = 0;
    for name in secrets_core::manifest::catalog::component_names() {
        let d = tempfile::tempdir().unwrap();
        let o = run(d.path(), &["write", "--out", ".env", "--with", name]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let (before, after) = rotate_all(d.path(), name);
        assert_protected_unchanged(name, &before, &after);
        checked += protected(&before).len();
    }
    assert!(checked > 40, "only {checked} values were checked");
}

/// `secrets catalog --format json` gives the same classes as the oracle.
#[test]
fn the_catalog_shows_each_class() {
    let d = tempfile::tempdir().unwrap();
    let o = run(d.path(), &["catalog", "--format", "json"]);
    assert!(o.status.success());
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut classes = BTreeMap::new();
    for c in json["components"].as_array().unwrap() {
        for v in c["vars"].as_array().unwrap() {
            if let Some(class) = v["rotation"].as_str() {
                classes.insert(v["name"].as_str().unwrap().to_owned(), class.to_owned());
            }
        }
    }
    for (name, class) in &classes {
        // A name two components share has one class in both (SECRET_KEY of
        // Outline and Plane, POSTGRES_PASSWORD of every database).
        assert_eq!(
            NOT_RESTART.contains(&name.as_str()),
            class != "restart",
            "{name} is {class}"
        );
    }
    assert_eq!(classes["APP_KEY"], "data-key");
    let text = stdout(&run(d.path(), &["catalog"]));
    assert!(text.contains("rotation stored"), "{text}");
    assert!(
        text.contains("previous keys in APP_PREVIOUS_KEYS"),
        "{text}"
    );
}

/// Ages a key's `# rotated:` stamp.
fn age_stamp(dir: &Path, key: &str) {
    let text = fs::read_to_string(dir.join(".env")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let i = (lines.iter())
        .position(|l| l.starts_with(&format!("{key}=")))
        .unwrap();
    let tag = ["# rotated: ", "# generated: "]
        .into_iter()
        .find(|t| lines[i - 1].starts_with(t))
        .unwrap_or_else(|| panic!("{key} has no stamp"));
    lines[i - 1] = format!("{tag}2020-01-01T00:00:00Z");
    fs::write(dir.join(".env"), lines.join("\n") + "\n").unwrap();
}

#[test]
fn due_skips_an_overdue_postgres_role_value_and_says_why() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    // REDIS_PASSWORD is restart (its catalog class); APP_PASSWORD is a
    // role's password. Both overdue.
    fs::write(
        dir.join("secrets.toml"),
        "[stack]\ninclude = [\"redis\"]\n[vars.REDIS_PASSWORD]\nkind = \"password\"\nrotate_after = \"30d\"\n[vars.APP_PASSWORD]\nkind = \"password\"\npostgres_role = \"app\"\nrotate_after = \"30d\"\n",
    )
    .unwrap();
    let o = run(dir, &["write", "--out", ".env"]);
    assert!(o.status.success(), "{}", stderr(&o));
    age_stamp(dir, "REDIS_PASSWORD");
    age_stamp(dir, "APP_PASSWORD");
    let before = values(dir);
    let o = run(dir, &["rotate", "--env", ".env", "--due"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let after = values(dir);
    assert_eq!(
        before["APP_PASSWORD"].as_bytes(),
        after["APP_PASSWORD"].as_bytes(),
        "--due rotated a role's password in the file alone"
    );
    assert_ne!(before["REDIS_PASSWORD"], after["REDIS_PASSWORD"]);
    let out = stdout(&o);
    assert!(
        out.contains("skipped APP_PASSWORD (stored, postgres_role; last rotated "),
        "{out}"
    );
    assert!(out.contains("--apply postgres"), "{out}");
}

#[test]
fn keep_previous_on_laravel_writes_app_previous_keys_newest_first() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_env(dir, "laravel");
    let first = values(dir)["APP_KEY"].clone();
    let rotate = || {
        let o = run(
            dir,
            &[
                "rotate",
                "--env",
                ".env",
                "--with",
                "laravel",
                "APP_KEY",
                "--keep-previous",
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        o
    };
    let o = rotate();
    assert!(
        stdout(&o).contains("kept the old values in APP_PREVIOUS_KEYS"),
        "{}",
        stdout(&o)
    );
    let v = values(dir);
    let second = v["APP_KEY"].clone();
    assert_ne!(second, first);
    assert_eq!(v.get("APP_PREVIOUS_KEYS"), Some(&first));
    assert!(
        !v.contains_key("APP_KEY_PREVIOUS"),
        "Laravel never reads it"
    );
    rotate();
    let v = values(dir);
    assert_ne!(v["APP_KEY"], second);
    assert_eq!(v["APP_PREVIOUS_KEYS"], format!("{second},{first}"));

    // Without --keep-previous, a data key is refused, the file unchanged.
    let before = fs::read(dir.join(".env")).unwrap();
    let o = run(
        dir,
        &["rotate", "--env", ".env", "--with", "laravel", "APP_KEY"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("pass --keep-previous to keep the old key in APP_PREVIOUS_KEYS"),
        "{}",
        stderr(&o)
    );
    assert_eq!(fs::read(dir.join(".env")).unwrap(), before);
}

#[test]
fn a_data_key_without_previous_keys_needs_the_loss_accepted() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_env(dir, "n8n");
    let before = fs::read(dir.join(".env")).unwrap();
    for extra in [&[][..], &["--keep-previous"][..]] {
        let o = secrets(dir)
            .args([
                "rotate",
                "--env",
                ".env",
                "--with",
                "n8n",
                "N8N_ENCRYPTION_KEY",
            ])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        assert!(
            stderr(&o).contains("its consumer reads no previous key"),
            "{}",
            stderr(&o)
        );
        assert_eq!(fs::read(dir.join(".env")).unwrap(), before, "{extra:?}");
    }
    let o = run(
        dir,
        &[
            "rotate",
            "--env",
            ".env",
            "--with",
            "n8n",
            "N8N_ENCRYPTION_KEY",
            "--accept-data-loss",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("data loss accepted: N8N_ENCRYPTION_KEY is data-key, catalog n8n"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_issued_value_rotates_by_name_and_says_what_breaks() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_env(dir, "vapid");
    let before = values(dir);
    let o = run(
        dir,
        &[
            "rotate",
            "--env",
            ".env",
            "--with",
            "vapid",
            "VAPID_PRIVATE_KEY",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let after = values(dir);
    assert_ne!(before["VAPID_PRIVATE_KEY"], after["VAPID_PRIVATE_KEY"]);
    assert_ne!(before["VAPID_PUBLIC_KEY"], after["VAPID_PUBLIC_KEY"]);
    assert!(
        stderr(&o).contains("breaks: VAPID_PRIVATE_KEY is issued, catalog vapid: ")
            && stderr(&o).contains("invalidates every subscription"),
        "{}",
        stderr(&o)
    );
}
