//! `secrets init` then `secrets write --template` on templates modelled on
//! real self-hosted projects (tests/fixtures/init: each `NAME.env.example`
//! with `NAME.expect`, what each variable is and the rule its consumer
//! needs). For each: every variable is classified as expected; the `.env`
//! keeps the template's lines, comments and order, settings byte for byte;
//! every secret is generated and meets its rule; externals are empty;
//! derived values match their inputs (as dotenvy reads the file too); and
//! `check` finds nothing at medium or above but SC003 for the externals.
//! Then malformed templates and compose files.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use secrets_core::envfile::Document;
use secrets_tests::{repo_root, secrets};

fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures/init").join(name)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn run(dir: &Path, args: &[&str]) -> Output {
    secrets(dir).args(args).output().unwrap()
}

/// `write` laying `.env` out like `.env.example`, with `secrets.toml`.
fn write_laid_out(dir: &Path) -> Output {
    run(
        dir,
        &[
            "write",
            "--out",
            ".env",
            "--manifest",
            "secrets.toml",
            "--template",
            ".env.example",
        ],
    )
}

/// A private directory holding the template as `.env.example`.
fn project_dir(template: &[u8]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o700)).unwrap();
    fs::write(d.path().join(".env.example"), template).unwrap();
    d
}

/// One line of a `.expect` file: `NAME CLASS [RULE ...] [commented] [uncertain]`.
#[derive(Debug)]
struct Expected {
    name: String,
    class: String,
    rules: Vec<String>,
    commented: bool,
    uncertain: bool,
}

fn expectations(project: &str) -> Vec<Expected> {
    fs::read_to_string(fixture(&format!("{project}.expect")))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut words = l.split_whitespace();
            let name = words.next().unwrap().to_owned();
            let class = words.next().unwrap().to_owned();
            let rest: Vec<String> = words.map(str::to_owned).collect();
            Expected {
                name,
                class,
                commented: rest.iter().any(|w| w == "commented"),
                uncertain: rest.iter().any(|w| w == "uncertain"),
                rules: rest
                    .into_iter()
                    .filter(|w| w != "commented" && w != "uncertain")
                    .collect(),
            }
        })
        .collect()
}

/// What the manifest says of each variable: (class, commented, uncertain),
/// from the comment above each entry (`# line 6: inferred secret: ...`).
fn manifest_classes(manifest: &str) -> BTreeMap<String, (String, bool, bool)> {
    let lines: Vec<&str> = manifest.lines().collect();
    let mut out = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line
            .strip_prefix("# line ")
            .or_else(|| line.strip_prefix("# not in the template"))
        else {
            continue;
        };
        let Some((_, head)) = rest.split_once(": ") else {
            continue;
        };
        let class = head
            .split(':')
            .next()
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_owned();
        let mut j = i + 1;
        let mut uncertain = false;
        while lines[j].starts_with("# uncertain:") {
            uncertain = true;
            j += 1;
        }
        let commented = lines[j].starts_with("# ");
        let name = lines[j]
            .trim_start_matches("# ")
            .split(" = ")
            .next()
            .unwrap();
        out.insert(name.to_owned(), (class, commented, uncertain));
    }
    out
}

/// RFC 3986 unreserved characters stay, everything else is %XX (what a
/// manifest URL template does to each value).
fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn render(template: &str, values: &BTreeMap<String, String>, encode: bool) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find('}').unwrap() + at;
        let value = &values[&rest[at + 2..end]];
        out.push_str(&if encode {
            percent_encode(value)
        } else {
            value.clone()
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Checks one rule of the `.expect` grammar on `name`'s value.
fn check_rule(rule: &str, name: &str, values: &BTreeMap<String, String>) -> Result<(), String> {
    let v = &values[name];
    let (what, arg) = rule.split_once('=').unwrap_or((rule, ""));
    let n = || arg.parse::<usize>().unwrap();
    let ok = match what {
        "hex" => {
            v.len() == n()
                && v.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        }
        "len" => v.chars().count() == n(),
        "min" => v.chars().count() >= n(),
        "alnum" => v.bytes().all(|b| b.is_ascii_alphanumeric()),
        "lower" => v
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
        "letter" => v.bytes().any(|b| b.is_ascii_alphabetic()),
        "urlsafe" => v
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "nosq" => !v.contains('\''),
        "base64" => STANDARD.decode(v).is_ok_and(|b| b.len() == n()),
        "laravel" => match v.strip_prefix("base64:") {
            Some(b) => STANDARD.decode(b).is_ok_and(|b| b.len() == 32),
            None => v.len() == 32,
        },
        "vapid" => v.len() == 43 && URL_SAFE_NO_PAD.decode(v).is_ok_and(|b| b.len() == 32),
        "distinct" => values[arg] != *v,
        "same" => values[arg] == *v,
        "template" => *v == render(arg, values, true),
        "raw-template" => *v == render(arg, values, false),
        "jwt" => match secrets_core::generate::jwt::verify_hs256(
            v,
            values[arg].as_bytes(),
            std::time::UNIX_EPOCH,
        ) {
            Ok(claims) => claims.get("iss").and_then(|i| i.as_str()) != Some("supabase-demo"),
            Err(_) => false,
        },
        "vapid-public" => {
            secrets_core::generate::vapid::public_key(&values[arg]).as_deref() == Ok(v.as_str())
        }
        other => panic!("unknown rule {other}"),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{name} does not meet `{rule}`"))
    }
}

fn values_of(doc: &Document) -> BTreeMap<String, String> {
    doc.entries()
        .map(|e| (e.key().to_owned(), e.value().expose().to_owned()))
        .collect()
}

/// The assignment's key of a line, if it is one.
fn key_of(line: &str) -> Option<&str> {
    let (k, _) = line.split_once('=')?;
    let k = k.trim().strip_prefix("export ").unwrap_or(k.trim());
    (!k.is_empty()
        && !k.starts_with('#')
        && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    .then_some(k)
}

/// init, write --template and check on one project's fixture.
fn project(name: &str) {
    let template = fs::read(fixture(&format!("{name}.env.example"))).unwrap();
    let expected = expectations(name);
    let d = project_dir(&template);
    let dir = d.path();

    let o = run(
        dir,
        &["init", "--from", ".env.example", "--out", "secrets.toml"],
    );
    assert!(o.status.success(), "{name}: {}", stderr(&o));
    let last = stderr(&o).lines().last().unwrap_or_default().to_owned();
    assert!(
        (last.contains(" secrets, ") || last.contains(" 1 secret, "))
            && last.contains(" uncertain"),
        "{name}: {last}"
    );
    let manifest = fs::read_to_string(dir.join("secrets.toml")).unwrap();
    assert_eq!(
        fs::metadata(dir.join("secrets.toml"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );

    // Every variable, as the fixture says.
    let got = manifest_classes(&manifest);
    let named: BTreeSet<&str> = expected.iter().map(|e| e.name.as_str()).collect();
    let described: BTreeSet<&str> = got.keys().map(String::as_str).collect();
    assert_eq!(
        named, described,
        "{name}: the manifest describes every variable once"
    );
    let wrong: Vec<String> = expected
        .iter()
        .filter(|e| {
            let (class, commented, uncertain) = &got[&e.name];
            *class != e.class || *commented != e.commented || (e.uncertain && !uncertain)
        })
        .map(|e| format!("{} expected {} got {:?}", e.name, e.class, got[&e.name]))
        .collect();
    assert!(
        wrong.is_empty(),
        "{name}:\n{}\n{manifest}",
        wrong.join("\n")
    );

    let o = write_laid_out(dir);
    assert!(o.status.success(), "{name}: {}", stderr(&o));
    let written = fs::read_to_string(dir.join(".env")).unwrap();
    let env = values_of(&Document::parse(written.as_bytes()).unwrap());
    let example = values_of(&Document::parse(&template).unwrap());
    let active: Vec<&Expected> = expected.iter().filter(|e| !e.commented).collect();
    let class_of: BTreeMap<&str, &str> = active
        .iter()
        .map(|e| (e.name.as_str(), e.class.as_str()))
        .collect();

    // The template's layout: the same lines in the same order (bar the
    // rotation stamps above generated keys), settings and comments byte
    // for byte, the other assignments on their own lines.
    let lines: Vec<&str> = written
        .lines()
        .filter(|l| !l.starts_with("# rotated: "))
        .collect();
    let template_text = String::from_utf8(template.clone()).unwrap();
    let template_lines: Vec<&str> = template_text.lines().collect();
    assert_eq!(lines.len(), template_lines.len(), "{name}: {written}");
    for (t, w) in template_lines.iter().zip(&lines) {
        match key_of(t) {
            Some(k) if class_of.get(k).is_some_and(|c| *c != "setting") => {
                assert_eq!(key_of(w), Some(k), "{name}: {t} became {w}")
            }
            _ => assert_eq!(t, w, "{name}: a setting or comment changed"),
        }
    }

    let mut generated = Vec::new();
    for e in &active {
        let value = &env[&e.name];
        match e.class.as_str() {
            "secret" => {
                assert!(!value.is_empty(), "{name}: {} is empty", e.name);
                assert_ne!(
                    Some(value),
                    example.get(&e.name),
                    "{name}: {} kept the example",
                    e.name
                );
                assert!(value.len() >= 16, "{name}: {} is short", e.name);
                generated.push((e.name.as_str(), value.as_str()));
            }
            "external" => assert!(
                value.is_empty(),
                "{name}: {} must be left to the operator",
                e.name
            ),
            _ => {}
        }
        for rule in &e.rules {
            if let Err(why) = check_rule(rule, &e.name, &env) {
                panic!("{name}: {why}");
            }
        }
    }
    for (i, (a, va)) in generated.iter().enumerate() {
        for (b, vb) in &generated[i + 1..] {
            assert_ne!(va, vb, "{name}: {a} and {b} were given one value");
        }
    }

    // A real reader agrees on everything secrets wrote.
    let dotenvy: BTreeMap<String, String> = dotenvy::from_path_iter(dir.join(".env"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for e in active.iter().filter(|e| e.class != "setting") {
        assert_eq!(
            dotenvy.get(&e.name),
            env.get(&e.name),
            "{name}: dotenvy reads {}",
            e.name
        );
    }

    let o = run(
        dir,
        &[
            "check",
            "--env",
            ".env",
            "--manifest",
            "secrets.toml",
            "--fail-on",
            "medium",
            "--format",
            "json",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let externals: BTreeSet<&str> = active
        .iter()
        .filter(|e| e.class == "external")
        .map(|e| e.name.as_str())
        .collect();
    let mut unset = BTreeSet::new();
    for f in report["findings"].as_array().unwrap() {
        let (rule, key, severity) = (
            f["rule"].as_str().unwrap(),
            f["key"].as_str().unwrap_or(""),
            f["severity"].as_str().unwrap(),
        );
        if severity == "low" {
            // The template's own spelling of a setting, kept byte for byte.
            assert!(
                rule == "SC011" && class_of.get(key) == Some(&"setting"),
                "{name}: {f}"
            );
        } else {
            assert!(rule == "SC003" && externals.contains(key), "{name}: {f}");
            unset.insert(key);
        }
    }
    assert_eq!(unset, externals, "{name}: every external is reported unset");
    assert_eq!(
        o.status.code(),
        Some(if externals.is_empty() { 0 } else { 1 })
    );
}

#[test]
fn supabase() {
    project("supabase");
}

#[test]
fn mastodon() {
    project("mastodon");
}

#[test]
fn outline() {
    project("outline");
}

#[test]
fn sentry() {
    project("sentry");
}

#[test]
fn pterodactyl() {
    project("pterodactyl");
}

#[test]
fn paperless() {
    project("paperless");
}

#[test]
fn umami_equal_placeholders_are_not_aliases() {
    project("umami");
}

#[test]
fn n8n() {
    project("n8n");
}

#[test]
fn plane() {
    project("plane");
}

#[test]
fn hoppscotch() {
    project("hoppscotch");
}

#[test]
fn infisical() {
    project("infisical");
}

#[test]
fn formbricks() {
    project("formbricks");
}

/// A malformed template: exit 2, the place in one line, nothing written.
fn refused(template: &[u8], place: &str) {
    let d = project_dir(template);
    let o = run(
        d.path(),
        &["init", "--from", ".env.example", "--out", "secrets.toml"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!("secrets: error: .env.example:{place}")),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(o.stdout.is_empty());
    assert!(!d.path().join("secrets.toml").exists());
    // The same template cannot lay a .env out either.
    fs::write(d.path().join("secrets.toml"), "[vars.A]\nvalue = \"1\"\n").unwrap();
    fs::set_permissions(
        d.path().join("secrets.toml"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let o = write_laid_out(d.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(".env.example:{place}")),
        "{}",
        stderr(&o)
    );
    assert!(!d.path().join(".env").exists());
}

#[test]
fn unterminated_quote_is_refused_with_its_place() {
    refused(b"A=1\nB=\"open\nC=2\n", "2:");
}

#[test]
fn duplicate_key_is_refused_with_its_line() {
    refused(
        b"A=1\nB=2\n# comment\nA=3\n",
        "4: A is assigned 2 times (lines 1 and 4)",
    );
}

#[test]
fn invalid_utf8_is_refused_with_its_place() {
    refused(b"A=1\nB=ok\xff\n", "2:5: not valid UTF-8");
}

#[test]
fn manifest_goes_to_stdout_and_an_existing_one_is_kept() {
    let d = project_dir(b"APP_SECRET=\nPORT=3000\n");
    let o = run(d.path(), &["init", "--from", ".env.example"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(
        out.contains("APP_SECRET = { kind = \"hex\", bytes = 32 }"),
        "{out}"
    );
    assert!(out.contains("PORT = { value = \"3000\" }"), "{out}");
    assert!(
        stderr(&o).ends_with("secrets: 1 secret, 0 derived, 0 external, 1 setting (0 more only in comments), 0 uncertain\n"),
        "{}",
        stderr(&o)
    );
    fs::write(d.path().join("secrets.toml"), "# mine\n").unwrap();
    let o = run(
        d.path(),
        &["init", "--from", ".env.example", "--out", "secrets.toml"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        fs::read(d.path().join("secrets.toml")).unwrap(),
        b"# mine\n"
    );
}

#[test]
fn compose_files_add_what_they_read_and_prove_aliases() {
    let d = project_dir(
        b"# Database\nPOSTGRES_USER=app\nPOSTGRES_PASSWORD=app\nDATABASE_URL=\nJWT_SECRET=\nREALTIME_JWT_SIGNER=\nUNUSED_SETTING=1\n",
    );
    fs::write(
        d.path().join("docker-compose.yml"),
        "services:\n  db:\n    image: postgres:${PG_TAG:-16}\n    environment:\n      POSTGRES_USER: ${POSTGRES_USER}\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}\n  api:\n    environment:\n      DATABASE_URL: ${DATABASE_URL:-postgresql://app:app@db:5432/app}\n      JWT_SECRET: ${JWT_SECRET}\n      REALTIME_JWT_SIGNER: ${JWT_SECRET}\n      WORKER_TOKEN: ${WORKER_TOKEN:?set it}\n",
    )
    .unwrap();
    let o = run(
        d.path(),
        &[
            "init",
            "--from",
            ".env.example",
            "--compose",
            "docker-compose.yml",
            "--out",
            "secrets.toml",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("added WORKER_TOKEN: docker-compose.yml line 12 reads it"),
        "{err}"
    );
    // The service gets JWT_SECRET under that name: the template's copy is read by none.
    assert!(
        err.contains("no compose service reads REALTIME_JWT_SIGNER, UNUSED_SETTING\n"),
        "{err}"
    );
    let manifest = fs::read_to_string(d.path().join("secrets.toml")).unwrap();
    let classes = manifest_classes(&manifest);
    assert_eq!(classes["WORKER_TOKEN"].0, "secret", "{manifest}");
    assert_eq!(classes["PG_TAG"].0, "setting", "{manifest}");
    assert!(
        manifest.contains("REALTIME_JWT_SIGNER = { same_as = \"JWT_SECRET\" }"),
        "{manifest}"
    );
    assert!(
        manifest.contains("DATABASE_URL = { template = \"postgresql://${POSTGRES_USER}:${POSTGRES_PASSWORD}@db:5432/app\" }"),
        "{manifest}"
    );

    let o = write_laid_out(d.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let text = fs::read_to_string(d.path().join(".env")).unwrap();
    assert!(
        text.starts_with("# Database\nPOSTGRES_USER=app\n"),
        "{text}"
    );
    let env = values_of(&Document::parse(text.as_bytes()).unwrap());
    assert_eq!(env["REALTIME_JWT_SIGNER"], env["JWT_SECRET"]);
    assert_eq!(
        env["DATABASE_URL"],
        format!("postgresql://app:{}@db:5432/app", env["POSTGRES_PASSWORD"])
    );
    // Appended after the template's own lines.
    let tail = text.split("UNUSED_SETTING=1\n").nth(1).unwrap();
    assert!(tail.contains("\nWORKER_TOKEN="), "{text}");
    assert!(tail.contains("\nPG_TAG=16\n"), "{text}");
}

#[test]
fn write_refuses_a_template_others_can_change() {
    // Its settings go into the .env as they are: read as the manifest is.
    let d = project_dir(b"APP_SECRET=\nPORT=3000\n");
    let o = run(
        d.path(),
        &["init", "--from", ".env.example", "--out", "secrets.toml"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    fs::set_permissions(
        d.path().join(".env.example"),
        fs::Permissions::from_mode(0o666),
    )
    .unwrap();
    let o = write_laid_out(d.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("controlled by root or you alone"),
        "{}",
        stderr(&o)
    );
    assert!(!d.path().join(".env").exists());
}
