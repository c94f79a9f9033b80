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
        .filter(|l| !l.starts_with("# generated: "))
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
    // Only its name says APP_SECRET is a secret: a guess, listed first.
    let err = stderr(&o);
    assert!(
        err.starts_with("secrets: uncertain: APP_SECRET (secret): empty in the template"),
        "{err}"
    );
    assert!(
        err.ends_with("secrets: 1 secret, 0 derived, 0 external, 1 setting (0 more only in comments), 1 uncertain\n"),
        "{err}"
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

/// `init` on a template (and a compose file beside it), then `write
/// --template`: the manifest, what init said, and the `.env`'s values.
fn init_and_write(
    template: &str,
    compose: Option<&str>,
) -> (String, String, BTreeMap<String, String>) {
    let d = project_dir(template.as_bytes());
    let mut args = vec!["init", "--from", ".env.example", "--out", "secrets.toml"];
    if let Some(text) = compose {
        fs::write(d.path().join("docker-compose.yml"), text).unwrap();
        args.extend(["--compose", "docker-compose.yml"]);
    }
    let o = run(d.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let said = stderr(&o);
    let manifest = fs::read_to_string(d.path().join("secrets.toml")).unwrap();
    let o = write_laid_out(d.path());
    assert!(o.status.success(), "{}\n{manifest}", stderr(&o));
    let text = fs::read_to_string(d.path().join(".env")).unwrap();
    let env = values_of(&Document::parse(text.as_bytes()).unwrap());
    (manifest, said, env)
}

/// The manifest line of one variable.
fn entry_line<'m>(manifest: &'m str, name: &str) -> &'m str {
    manifest
        .lines()
        .find(|l| l.starts_with(&format!("{name} = ")))
        .unwrap_or_else(|| panic!("no {name} in\n{manifest}"))
}

/// The comment lines right above a variable's manifest entry.
fn entry_comments<'m>(manifest: &'m str, name: &str) -> Vec<&'m str> {
    let lines: Vec<&str> = manifest.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with(&format!("{name} = ")))
        .unwrap();
    lines[..at]
        .iter()
        .rev()
        .take_while(|l| l.starts_with("# "))
        .copied()
        .collect()
}

#[test]
fn a_provider_credential_is_left_for_the_operator_not_generated() {
    // Old code: ACME_API_KEY, FOO_APP_SECRET and PROXY_PASSWORD were
    // generated from their names.
    let (manifest, said, env) = init_and_write(
        "# Optional integrations: leave empty to turn them off\nACME_API_KEY=\n\nFOO_APP_ID=\nFOO_APP_SECRET=\n\nPROXY_USERNAME=\nPROXY_PASSWORD=\n\nMAIL_SERVER_HOST=mail.example.com\nMAIL_SERVER_PASSWORD=\n\n# the stack's own\nDASHBOARD_USERNAME=admin\nDASHBOARD_PASSWORD=changeme\n",
        None,
    );
    let classes = manifest_classes(&manifest);
    for name in [
        "ACME_API_KEY",
        "FOO_APP_SECRET",
        "PROXY_PASSWORD",
        "MAIL_SERVER_PASSWORD",
    ] {
        assert_eq!(classes[name].0, "external", "{name}\n{manifest}");
        assert_eq!(env[name], "", "{name} must be left to the operator");
    }
    // A guess beside an account, or in a paragraph of integrations, says so.
    for name in ["ACME_API_KEY", "FOO_APP_SECRET", "PROXY_PASSWORD"] {
        assert!(classes[name].2, "{name} is marked uncertain\n{manifest}");
    }
    assert_eq!(classes["DASHBOARD_PASSWORD"].0, "secret", "{manifest}");
    assert!(env["DASHBOARD_PASSWORD"].len() >= 16);
    assert!(said.contains("set these yourself: "), "{said}");
}

#[test]
fn a_secret_compose_hands_to_a_bundled_server_is_generated() {
    // Old code: PUSHER_* names a provider, so both were left empty and
    // the bundled realtime server ran with no auth between the services.
    let compose = "services:\n  web:\n    image: ghcr.io/shop/web:2\n    environment:\n      PUSHER_HOST: realtime\n      PUSHER_APP_KEY: ${PUSHER_APP_KEY}\n      PUSHER_APP_SECRET: ${PUSHER_APP_SECRET}\n      SMTP_PASSWORD: ${SMTP_PASSWORD}\n  realtime:\n    image: quay.io/soketi/soketi:1.6-16-debian\n    environment:\n      SOKETI_DEFAULT_APP_ID: ${PUSHER_APP_ID}\n      SOKETI_DEFAULT_APP_KEY: ${PUSHER_APP_KEY}\n      SOKETI_DEFAULT_APP_SECRET: ${PUSHER_APP_SECRET}\n";
    let (manifest, _, env) = init_and_write(
        "PUSHER_APP_ID=shop\nPUSHER_APP_KEY=\nPUSHER_APP_SECRET=\nSMTP_PASSWORD=\n",
        Some(compose),
    );
    let classes = manifest_classes(&manifest);
    for name in ["PUSHER_APP_KEY", "PUSHER_APP_SECRET"] {
        assert_eq!(classes[name].0, "secret", "{name}\n{manifest}");
        assert!(!classes[name].2, "compose proves it: no guess\n{manifest}");
        assert!(env[name].len() >= 16, "{name}");
    }
    assert_ne!(env["PUSHER_APP_KEY"], env["PUSHER_APP_SECRET"]);
    assert!(
        entry_comments(&manifest, "PUSHER_APP_KEY")
            .iter()
            .any(|c| c.contains("both ends run in this stack")),
        "{manifest}"
    );
    // Only the app is given the mail password: a provider's.
    assert_eq!(classes["SMTP_PASSWORD"].0, "external", "{manifest}");
    assert_eq!(env["PUSHER_APP_ID"], "shop");
}

#[test]
fn a_placeholder_is_never_kept_as_a_setting() {
    // Old code kept INVITE_CODE and DEMO_DIGEST byte for byte.
    let (manifest, _, env) = init_and_write(
        "INVITE_CODE=PLEASE CHANGE ME\nAPP_CRYPT_KEY=your-secret-key\nDEMO_DIGEST=6c1fe4e407b8911c104518103505b218\nSITE_URL=https://example.com\nADMIN_EMAIL=admin@example.com\nLOG_LEVEL=default\n",
        None,
    );
    let classes = manifest_classes(&manifest);
    for (name, template) in [
        ("INVITE_CODE", "PLEASE CHANGE ME"),
        ("APP_CRYPT_KEY", "your-secret-key"),
        ("DEMO_DIGEST", "6c1fe4e407b8911c104518103505b218"),
    ] {
        assert_eq!(classes[name].0, "secret", "{name}\n{manifest}");
        assert_ne!(env[name], template, "{name} kept its placeholder");
        assert!(env[name].len() >= 16, "{name}");
    }
    assert!(classes["INVITE_CODE"].2, "a guess: {manifest}");
    // What the operator edits stays as written.
    assert_eq!(env["SITE_URL"], "https://example.com");
    assert_eq!(classes["ADMIN_EMAIL"].0, "external");
    assert_eq!(env["LOG_LEVEL"], "default");
}

#[test]
fn compose_wiring_beats_the_catalog() {
    // Old code: the catalog's mysql entries generated MYSQL_PASSWORD and
    // MYSQL_ROOT_PASSWORD on their own, so the server and the app held
    // different passwords.
    let compose = "services:\n  app:\n    build: .\n    env_file: .env\n  db:\n    image: mysql:8.4\n    environment:\n      MYSQL_DATABASE: ${MYSQL_DATABASE}\n      MYSQL_USER: ${DB_USERNAME}\n      MYSQL_PASSWORD: ${DB_PASSWORD}\n      MYSQL_ROOT_PASSWORD: ${DB_ROOT_PASSWORD}\n";
    let (manifest, said, env) = init_and_write(
        "DB_USERNAME=shop\nDB_PASSWORD=secret\nDB_ROOT_PASSWORD=secret\nMYSQL_USER=shop\nMYSQL_DATABASE=shop\nMYSQL_PASSWORD=secret\nMYSQL_ROOT_PASSWORD=secret\n",
        Some(compose),
    );
    assert_eq!(env["MYSQL_PASSWORD"], env["DB_PASSWORD"], "{manifest}");
    assert_eq!(
        env["MYSQL_ROOT_PASSWORD"], env["DB_ROOT_PASSWORD"],
        "{manifest}"
    );
    assert_ne!(env["DB_PASSWORD"], env["DB_ROOT_PASSWORD"]);
    assert_ne!(env["DB_PASSWORD"], "secret");
    assert_eq!(env["DB_PASSWORD"].len(), 32);
    // The server keeps its own copy: `stored`, from what compose does.
    for name in ["DB_PASSWORD", "DB_ROOT_PASSWORD"] {
        let line = entry_line(&manifest, name);
        assert!(line.contains("rotation = \"stored\""), "{line}");
        assert!(!manifest_classes(&manifest)[name].2, "{manifest}");
    }
    assert!(
        said.contains("1 compose service(s) read .env.example whole through env_file: app"),
        "{said}"
    );
}

#[test]
fn an_exact_length_from_the_comments_beats_the_catalog_and_the_name() {
    // Old code: the catalog's 64 hex characters for SECRET_KEY, and the
    // name's for SIGNING_KEY; the consumer wants exactly 32.
    let (manifest, _, env) = init_and_write(
        "# The key must be 32 characters\nSECRET_KEY=\nUTILS_SECRET=\n\n# Signing key: must be exactly 24 characters long\nSIGNING_KEY=\n",
        None,
    );
    assert_eq!(env["SECRET_KEY"].len(), 32, "{manifest}");
    assert_eq!(env["SIGNING_KEY"].len(), 24, "{manifest}");
    assert!(
        !manifest_classes(&manifest)["SIGNING_KEY"].2,
        "stated: no guess"
    );
}

#[test]
fn an_empty_password_of_a_server_without_auth_stays_empty() {
    // Old code: the catalog's REDIS_PASSWORD was generated, and the app
    // sent AUTH to a server that has no password.
    let compose = "services:\n  app:\n    image: ghcr.io/shop/app:1\n    env_file: .env\n  redis:\n    image: redis:7-alpine\n    command: redis-server --appendonly yes\n";
    let template = "REDIS_HOST=redis\nREDIS_PASSWORD=\n";
    let (manifest, said, env) = init_and_write(template, Some(compose));
    assert_eq!(env["REDIS_PASSWORD"], "", "{manifest}");
    assert_eq!(manifest_classes(&manifest)["REDIS_PASSWORD"].0, "setting");
    assert!(
        said.contains("compose service redis runs without auth: REDIS_PASSWORD stays empty"),
        "{said}"
    );
    assert!(
        manifest.contains("compose runs service redis (redis) without a password"),
        "{manifest}"
    );
    // With `--requirepass`, the same empty value is the server's password.
    let compose = compose.replace("--appendonly yes", "--requirepass ${REDIS_PASSWORD}");
    let (manifest, _, env) = init_and_write(template, Some(&compose));
    assert_eq!(manifest_classes(&manifest)["REDIS_PASSWORD"].0, "secret");
    assert!(env["REDIS_PASSWORD"].len() >= 16);
}

#[test]
fn a_character_class_from_the_comments_is_met() {
    // Old code: letters and digits only, which the installer rejects.
    let (manifest, _, env) = init_and_write(
        "# Admin password: at least 12 characters, and it must contain a symbol\nADMIN_PASSWORD=\n\n# Exactly 16 characters with at least one special character\nINSTALL_PASSWORD=\n\n# Use only letters and numbers\nDB_PASSWORD=\n",
        None,
    );
    let symbol = |v: &str| v.bytes().any(|b| !b.is_ascii_alphanumeric());
    assert!(symbol(&env["ADMIN_PASSWORD"]), "{manifest}");
    assert!(env["ADMIN_PASSWORD"].len() >= 12);
    assert!(symbol(&env["INSTALL_PASSWORD"]), "{manifest}");
    assert_eq!(env["INSTALL_PASSWORD"].len(), 16);
    assert!(!symbol(&env["DB_PASSWORD"]));
}

#[test]
fn what_only_the_name_says_is_marked_uncertain_and_listed_first() {
    // Old code: nothing here was uncertain.
    let (manifest, said, _) = init_and_write(
        "APP_SECRET=\n# Generate with: openssl rand -hex 32\nSESSION_SECRET=\n\nDB_PASSWORD=\nPORT=3000\n",
        None,
    );
    let classes = manifest_classes(&manifest);
    assert!(classes["APP_SECRET"].2, "{manifest}");
    assert!(!classes["SESSION_SECRET"].2, "{manifest}");
    // A database password is stored by its server: said, as a guess.
    let db = entry_line(&manifest, "DB_PASSWORD");
    assert!(db.contains("rotation = \"stored\""), "{db}");
    assert!(
        entry_comments(&manifest, "DB_PASSWORD")
            .iter()
            .any(|c| c.contains("rotation `stored` from the name")),
        "{manifest}"
    );
    let first = said.lines().next().unwrap();
    assert!(
        first.starts_with("secrets: uncertain: APP_SECRET"),
        "{said}"
    );
}

#[test]
fn the_stack_name_comes_from_compose_and_says_where() {
    // Old code: the template's directory (`config`).
    let d = tempfile::tempdir().unwrap();
    let top = d.path().join("shopstack");
    fs::create_dir_all(top.join("config")).unwrap();
    fs::set_permissions(&top, fs::Permissions::from_mode(0o700)).unwrap();
    fs::write(top.join("config/.env.example"), "APP_SECRET=\n").unwrap();
    fs::write(
        top.join("compose.yml"),
        "services:\n  app:\n    image: shop\n    environment:\n      APP_SECRET: ${APP_SECRET}\n",
    )
    .unwrap();
    let o = run(
        &top,
        &[
            "init",
            "--from",
            "config/.env.example",
            "--compose",
            "compose.yml",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let manifest = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(
        manifest.contains("[stack]\nname = \"shopstack\"\n"),
        "{manifest}"
    );
    assert!(
        stderr(&o).contains("stack name \"shopstack\", from the directory of compose.yml"),
        "{}",
        stderr(&o)
    );
    fs::write(
        top.join("compose.yml"),
        "name: shop-prod\nservices:\n  app:\n    image: shop\n",
    )
    .unwrap();
    let o = run(
        &top,
        &[
            "init",
            "--from",
            "config/.env.example",
            "--compose",
            "compose.yml",
        ],
    );
    let manifest = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(manifest.contains("name = \"shop-prod\""), "{manifest}");
    assert!(
        stderr(&o).contains("from `name:` in compose.yml line 1"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn externals_split_required_from_optional() {
    let compose = "services:\n  app:\n    image: ghcr.io/shop/app:1\n    environment:\n      SMTP_PASSWORD: ${SMTP_PASSWORD:?set the mail password}\n      SENTRY_DSN: ${SENTRY_DSN:-}\n";
    let (_, said, _) = init_and_write("SMTP_PASSWORD=\nSENTRY_DSN=\n", Some(compose));
    assert!(
        said.contains("set these yourself, required (a compose service reads them with no default): SMTP_PASSWORD\n"),
        "{said}"
    );
    assert!(
        said.contains(
            "set these yourself if you use them (integrations, off while empty): SENTRY_DSN\n"
        ),
        "{said}"
    );
}

#[test]
fn a_secret_only_in_a_comment_that_compose_reads_is_managed() {
    // Old code left it commented out, and the stack ran on the compose
    // file's placeholder default.
    let compose = "services:\n  app:\n    image: ghcr.io/shop/app:1\n    environment:\n      APP_SECRET: ${APP_SECRET:-replace_me_with_a_random_string}\n";
    let (manifest, _, env) = init_and_write(
        "PORT=3000\n\n# Use openssl rand -base64 32 for each secret\n# APP_SECRET=replace_me_with_a_random_string\n# OTHER_SECRET=\n",
        Some(compose),
    );
    let app = entry_line(&manifest, "APP_SECRET");
    assert!(app.contains("kind = \"base64\""), "{manifest}");
    assert_eq!(env["APP_SECRET"].len(), 44, "{manifest}");
    // What no service reads stays a comment.
    assert!(manifest.contains("\n# OTHER_SECRET = "), "{manifest}");
    assert!(!env.contains_key("OTHER_SECRET"));
}
