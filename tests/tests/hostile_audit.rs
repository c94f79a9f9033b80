//! The third attack round on `audit` (issue 25): what a compose file may
//! steer `--fix` to, secret-named links, and memory on a tree of hard
//! links. Root runs `secrets`; the unprivileged `secrets-attacker` owns the
//! project it attacks from and writes its files itself.
//! `SECRETS_BIN=/path/to/secrets` runs the CLI tests against another build
//! (the old release loses each of them).

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use secrets_core::audit::{audit, AuditOptions};
use secrets_core::check::{Finding, RuleId, Severity};
use secrets_tests::attacker::{
    self, chmod, code, file, measured, mkdir, peak_kib, public_tempdir, python, require_attacker,
    rules, run_watched, secrets, snapshot, stderr, stdout, NAME,
};
use secrets_tests::require;

/// A value no rule complains about.
const TOKEN: &[u8] = b"API_TOKEN=Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA\n";

/// A private key as a TLS key file holds one.
const KEY: &[u8] = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIEx9tZQvHcuNc7uKk2r6sWnE6h2W7Qm0b3l1M9d8ZxYa\n-----END PRIVATE KEY-----\n";

/// `path` written by the attacker itself (in a directory it owns).
fn attackers_file(path: &Path, content: &str) {
    let o = python(
        "import sys; open(sys.argv[1], 'w').write(sys.argv[2])",
        &[path, Path::new(content)],
    )
    .output()
    .unwrap();
    assert!(
        o.status.success(),
        "the attacker writes {}: {}",
        path.display(),
        stderr(&o)
    );
}

/// The findings of a JSON report as JSON values.
fn json_findings(o: &std::process::Output) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "a JSON report: {e}; stdout: {}; stderr: {}",
            stdout(o),
            stderr(o)
        )
    });
    v["findings"].as_array().cloned().unwrap_or_default()
}

/// The findings on `path` (by its name's end) of rule `rule`.
fn on<'a>(findings: &'a [serde_json::Value], path: &str, rule: &str) -> Vec<&'a serde_json::Value> {
    findings
        .iter()
        .filter(|f| f["path"].as_str().is_some_and(|p| p.ends_with(path)) && f["rule"] == rule)
        .collect()
}

/// `/srv` with the attacker's project `svc` and root's project `rootapp`
/// (0755, a 0640 private key and a public 0644 page); the attacker's
/// compose file names both of root's files.
fn srv_with_a_reference(base: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let srv = base.join("srv");
    mkdir(&srv, 0o755, false);
    let svc = srv.join("svc");
    mkdir(&svc, 0o755, true);
    let rootapp = srv.join("rootapp");
    mkdir(&rootapp, 0o755, false);
    let key = rootapp.join("tls.key");
    file(&key, KEY, 0o640, false);
    let page = rootapp.join("index.html");
    file(&page, b"<!doctype html><p>hello</p>\n", 0o644, false);
    attackers_file(
        &svc.join("docker-compose.yml"),
        "services:\n  app:\n    image: busybox\n    env_file:\n      - ../rootapp/tls.key\n      - ../rootapp/index.html\n",
    );
    (key, page)
}

// Row 4: `svc`'s compose file names root's files in another project; root
// runs `audit /srv --owner svc --fix`, then `audit /srv --fix`.
#[test]
fn a_compose_reference_directs_no_fix_to_another_owners_project() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let (key, page) = srv_with_a_reference(base.path());
    let (key_before, page_before) = (snapshot(&key), snapshot(&page));
    for owner in [Some(NAME), None] {
        let mut args = vec!["audit", "--fix", "--format", "json", "srv"];
        if let Some(owner) = owner {
            args.extend(["--owner", owner]);
        }
        let o = secrets(base.path()).args(&args).output().unwrap();
        attacker::assert_unchanged(&key, &key_before, &format!("{args:?}: tls.key"));
        attacker::assert_unchanged(&page, &page_before, &format!("{args:?}: index.html"));
        assert_eq!(code(&o), Ok(1), "{args:?}: {}", stderr(&o));
        assert!(
            !stderr(&o).contains("fixed:"),
            "{args:?}: nothing may be fixed: {}",
            stderr(&o)
        );
        // The findings stay, with no fix, saying what to do by hand.
        let findings = json_findings(&o);
        for path in ["tls.key", "index.html"] {
            let modes = on(&findings, path, "SA001");
            assert_eq!(modes.len(), 1, "{args:?}: {path}: {findings:#?}");
            let mode = modes[0];
            assert!(mode.get("fix").is_none(), "{args:?}: {path}: {mode:#}");
            let message = mode["message"].as_str().unwrap();
            assert!(
                message.contains("by hand") && message.contains("docker-compose.yml"),
                "{args:?}: {message}"
            );
            if owner.is_some() {
                let owners = on(&findings, path, "SA002");
                assert_eq!(owners.len(), 1, "{args:?}: {path}: {findings:#?}");
                assert!(owners[0].get("fix").is_none(), "{:#}", owners[0]);
            }
        }
    }
}

// Row 4, what still holds: a reference in the attacker's own project to a
// secret file of its own is fixed as before.
#[test]
fn a_compose_reference_within_its_authors_directory_is_still_fixed() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let srv = base.path().join("srv");
    mkdir(&srv, 0o755, false);
    let svc = srv.join("svc");
    mkdir(&svc, 0o755, true);
    attackers_file(&svc.join("app.conf"), std::str::from_utf8(TOKEN).unwrap());
    chmod(&svc.join("app.conf"), 0o644);
    attackers_file(
        &svc.join("compose.yml"),
        "services:\n  app:\n    image: busybox\n    env_file: ./app.conf\n",
    );
    let o = secrets(base.path())
        .args(["audit", "--fix", "--format", "json", "--owner", NAME, "srv"])
        .output()
        .unwrap();
    assert!(matches!(code(&o), Ok(0 | 1)), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("fixed: chmod 600 srv/svc/app.conf\n"),
        "the file of the reference's author is fixed: {}",
        stderr(&o)
    );
    assert_eq!(secrets_tests::mode_of(&svc.join("app.conf")) & 0o777, 0o600);
}

// Row 4, the outage: root's own compose file names root's public page
// (`env_file: ./public/index.html`); making it 0600 would take the site
// down, so a named file that is no secret by name or content is not fixed.
#[test]
fn a_named_file_that_is_no_secret_is_not_made_private() {
    let base = tempfile::tempdir().unwrap();
    let app = base.path().join("app");
    fs::create_dir_all(app.join("public")).unwrap();
    let page = app.join("public/index.html");
    fs::write(&page, "<!doctype html><p>hello</p>\n").unwrap();
    chmod(&page, 0o644);
    fs::write(
        app.join("compose.yml"),
        "services:\n  web:\n    image: nginx\n    env_file: ./public/index.html\n",
    )
    .unwrap();
    let o = secrets(base.path())
        .args(["audit", "--fix", "--format", "json", "app"])
        .output()
        .unwrap();
    assert_eq!(
        secrets_tests::mode_of(&page) & 0o777,
        0o644,
        "the page was made private: {}",
        stderr(&o)
    );
    let findings = json_findings(&o);
    let modes = on(&findings, "index.html", "SA001");
    assert_eq!(modes.len(), 1, "{findings:#?}");
    assert!(modes[0].get("fix").is_none(), "{:#}", modes[0]);
    assert!(
        modes[0]["message"]
            .as_str()
            .unwrap()
            .contains("neither named nor shaped like a secret"),
        "{:#}",
        modes[0]
    );
    assert_eq!(code(&o), Ok(1), "{}", stderr(&o));
}

// Row 6: `.env` is a symlink (planted by the attacker in its project) to a
// file holding the secrets; Compose reads through it, the old audit
// skipped it and passed. Each target kind, with its severity.
#[test]
fn a_secret_named_symlink_is_a_finding_judged_by_its_target() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let store = base.path().join("store");
    mkdir(&store, 0o755, false);
    let public = store.join("public.env");
    file(&public, TOKEN, 0o644, false);
    let private = store.join("private.env");
    file(&private, TOKEN, 0o600, false);
    let fifo = store.join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    let cases = [
        ("public", public.clone(), "high"),
        ("private", private.clone(), "medium"),
        ("fifo", fifo.clone(), "high"),
        ("dangling", store.join("missing"), "high"),
    ];
    for (case, target, _) in &cases {
        let project = base.path().join(case);
        mkdir(&project, 0o755, true);
        let link = project.join(".env.production");
        let o = python(
            "import os, sys; os.symlink(sys.argv[1], sys.argv[2])",
            &[target, &link],
        )
        .output()
        .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let befores: Vec<_> = [&public, &private, &fifo]
        .iter()
        .map(|p| snapshot(p))
        .collect();
    for (case, _, severity) in &cases {
        let w = run_watched(
            {
                let mut c = secrets(base.path());
                c.args(["audit", "--fix", "--format", "json", "--owner", NAME, case]);
                c
            },
            Duration::from_secs(20),
        );
        assert!(w.finished, "{case}: audit hung");
        let o = w.output;
        let findings = json_findings(&o);
        let links = on(&findings, ".env.production", "SA019");
        assert_eq!(links.len(), 1, "{case}: {findings:#?}; {}", stderr(&o));
        assert_eq!(links[0]["severity"], *severity, "{case}: {:#}", links[0]);
        assert!(links[0].get("fix").is_none(), "{case}: {:#}", links[0]);
        assert_eq!(code(&o), Ok(1), "{case}: the gate fails: {}", stderr(&o));
        // `--fail-on high` passes a private target only.
        let o = secrets(base.path())
            .args(["audit", "--fail-on", "high", case])
            .output()
            .unwrap();
        let expected = if *severity == "high" { 1 } else { 0 };
        assert_eq!(code(&o), Ok(expected), "{case}: {}", stdout(&o));
    }
    for (p, before) in [&public, &private, &fifo].iter().zip(&befores) {
        attacker::assert_unchanged(p, before, "audit --fix through a link");
    }
    for (case, target, _) in &cases {
        let link = base.path().join(case).join(".env.production");
        assert_eq!(
            fs::read_link(&link).unwrap(),
            *target,
            "{case}: the link was changed"
        );
    }
}

// A FIFO named `.env` (the attacker's) is not opened, and not skipped:
// the gate fails closed.
#[test]
fn a_fifo_named_env_is_reported_not_skipped() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let project = base.path().join("p");
    mkdir(&project, 0o755, true);
    let o = python(
        "import os, sys; os.mkfifo(sys.argv[1], 0o666)",
        &[&project.join(".env")],
    )
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let w = run_watched(
        {
            let mut c = secrets(base.path());
            c.args(["audit", "--format", "json", "p"]);
            c
        },
        Duration::from_secs(20),
    );
    assert!(w.finished, "audit hung on the FIFO");
    let findings = json_findings(&w.output);
    let unreadable = on(&findings, ".env", "SA013");
    assert_eq!(unreadable.len(), 1, "{findings:#?}");
    assert_eq!(unreadable[0]["severity"], "high");
    assert_eq!(code(&w.output), Ok(1), "{}", stderr(&w.output));
}

/// A compose file of about `size` bytes: one published database port (one
/// finding) and services padding it out.
fn big_compose(size: usize) -> String {
    let mut text = String::from(
        "services:\n  db:\n    image: postgres:16\n    ports:\n      - \"5432:5432\"\n",
    );
    let mut i = 0;
    while text.len() < size {
        text.push_str(&format!(
            "  s{i:06}:\n    image: busybox:1.36\n    restart: unless-stopped\n"
        ));
        i += 1;
    }
    text
}

/// `n` directories `dN` holding one compose file as `docker-compose.yml`,
/// hard-linked (one inode, `n` names).
fn hard_link_tree(tree: &Path, text: &str, n: usize) {
    fs::create_dir_all(tree.join("d0")).unwrap();
    let first = tree.join("d0/docker-compose.yml");
    fs::write(&first, text).unwrap();
    for i in 1..n {
        let d = tree.join(format!("d{i}"));
        fs::create_dir(&d).unwrap();
        fs::hard_link(&first, d.join("docker-compose.yml")).unwrap();
    }
}

// Row 8: one 4 MB compose file hard-linked as `dN/docker-compose.yml` 150
// times. The old audit kept every name's copy: 583 MiB. Each inode is read
// once now; peak RSS must stay under 128 MiB.
#[test]
fn a_hard_linked_compose_file_is_read_once() {
    if !require(
        Path::new(attacker::GNU_TIME).exists(),
        "GNU time",
        "apt-get install time",
    ) {
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let tree = base.path().join("tree");
    hard_link_tree(&tree, &big_compose(4_000_000), 150);
    let rss = base.path().join("rss");
    let w = run_watched(
        measured(
            base.path(),
            &rss,
            "true",
            &["audit", "--format", "json", "tree"],
        ),
        Duration::from_secs(600),
    );
    assert!(w.finished, "audit did not end in 600 s");
    let o = &w.output;
    let peak = peak_kib(&rss).expect("GNU time wrote the peak RSS");
    eprintln!(
        "peak RSS of audit over 150 hard links of a 4 MB compose file: {} KiB",
        peak
    );
    assert!(peak < 128 * 1024, "peak RSS {peak} KiB (limit 128 MiB)");
    // The published port once, at the first name; each other name refers
    // to it.
    let r = rules(o);
    assert_eq!(r.iter().filter(|r| *r == "SA011").count(), 1, "{r:?}");
    assert_eq!(r.iter().filter(|r| *r == "SA021").count(), 149, "{r:?}");
    assert_eq!(code(o), Ok(1), "{}", stderr(o));
}

fn audited(root: &Path, kept_bytes: Option<u64>) -> Vec<Finding> {
    let mut options = AuditOptions::new(vec![root.to_owned()], SystemTime::now());
    if let Some(cap) = kept_bytes {
        options.kept_bytes = cap;
    }
    audit(&options).expect("the audit runs").findings
}

// Bounded resources: past the cap on kept bytes, a high finding instead of
// growth; hard links count once towards it (each inode is read once).
#[test]
fn past_the_kept_bytes_cap_the_tree_is_too_large_to_check_fully() {
    let base = tempfile::tempdir().unwrap();
    let text = big_compose(100_000);
    // 150 names of one 100 kB file fit a 150 kB cap: read once.
    let links = base.path().join("links");
    hard_link_tree(&links, &text, 150);
    let found = audited(&links, Some(150_000));
    assert!(
        !found.iter().any(|f| f.rule == RuleId::TreeTooLarge),
        "{found:#?}"
    );
    assert_eq!(
        found
            .iter()
            .filter(|f| f.rule == RuleId::ComposePublicDatabasePort)
            .count(),
        1
    );
    // Three distinct ones do not.
    let copies = base.path().join("copies");
    for i in 0..3 {
        let d = copies.join(format!("d{i}"));
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("compose.yml"), &text).unwrap();
    }
    let found = audited(&copies, Some(150_000));
    let too_large: Vec<_> = found
        .iter()
        .filter(|f| f.rule == RuleId::TreeTooLarge)
        .collect();
    assert_eq!(too_large.len(), 1, "{found:#?}");
    assert_eq!(too_large[0].severity, Severity::High);
    assert!(
        too_large[0]
            .message
            .contains("tree too large to check fully")
            && too_large[0].message.contains("and 1 other file"),
        "{}",
        too_large[0].message
    );
    // The default cap holds them all.
    let found = audited(&copies, None);
    assert!(
        !found.iter().any(|f| f.rule == RuleId::TreeTooLarge),
        "{found:#?}"
    );
    assert_eq!(
        found
            .iter()
            .filter(|f| f.rule == RuleId::ComposePublicDatabasePort)
            .count(),
        3
    );
    // The cap is the whole audit's, every root together.
    let mut options = AuditOptions::new(
        (0..3).map(|i| copies.join(format!("d{i}"))).collect(),
        SystemTime::now(),
    );
    options.kept_bytes = 250_000;
    let found = audit(&options).unwrap().findings;
    assert_eq!(
        found
            .iter()
            .filter(|f| f.rule == RuleId::TreeTooLarge)
            .count(),
        1,
        "{found:#?}"
    );
}

// Bounded resources: a compose file naming a thousand files outside the
// tree adds a hundred findings one by one and one that counts the rest, not
// a finding per name (a 4 MiB file can name 400,000).
#[test]
fn the_references_of_one_compose_file_add_bounded_findings() {
    let base = tempfile::tempdir().unwrap();
    let app = base.path().join("app");
    fs::create_dir(&app).unwrap();
    let mut text = String::from("services:\n  app:\n    image: busybox\n    env_file:\n");
    for i in 0..1000 {
        text.push_str(&format!("      - /nonexistent/elsewhere/{i}.env\n"));
    }
    fs::write(app.join("compose.yml"), text).unwrap();
    let found = audited(&app, None);
    let outside: Vec<_> = found
        .iter()
        .filter(|f| f.rule == RuleId::OutsideReference)
        .collect();
    assert_eq!(outside.len(), 101, "{outside:#?}");
    assert!(
        outside.iter().any(|f| f
            .message
            .contains("900 more references are not audited or fixed")),
        "{outside:#?}"
    );
}
