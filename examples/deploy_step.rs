//! A deploy step built on `secrets-core` alone: write the stack's `.env`,
//! rotate its database password, gate on `audit` with the check rules, plan the Swarm
//! export (dry run) and hand the application its connection string. Names
//! and lengths are printed, never a value.
//!
//! Usage: `deploy_step DIR` (DIR: a directory only you can change; docker
//! is reached as the CLI is, through `DOCKER_HOST`).

use std::error::Error;
use std::path::{Path, PathBuf};

use secrets_core::audit::{audit, AuditOptions};
use secrets_core::check::{Finding, Severity};
use secrets_core::envfile::Document;
use secrets_core::export::select;
use secrets_core::export::swarm::{self, Docker, SwarmOptions};
use secrets_core::generate::os_rng;
use secrets_core::manifest::ManifestFile;
use secrets_core::rotate::{self, Selection};
use secrets_core::secure_file::{SecureFile, WriteOptions};
use secrets_core::stack::Stack;
use secrets_core::write_env::{write_env, Content, WriteRequest};
use std::time::SystemTime;

const MANIFEST: &str = r#"
[stack]
name = "shop"
include = ["postgres"]

[vars.SESSION_SECRET]
kind = "token"
bytes = 32
"#;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: deploy_step DIR")?);
    let env = dir.join(".env");
    let mut stack = Stack::from_manifest(ManifestFile::parse("secrets.toml", MANIFEST)?)?;
    stack.env_files = vec![env.clone()];
    let now = SystemTime::now();

    // 1. Write or complete the .env: 0600, atomic, existing values kept.
    let request = WriteRequest::new(Some(&stack), Content::Manifest).at(now);
    let file = SecureFile::open(&env, WriteOptions::default())?;
    let written = write_env(file, request, &mut os_rng())?;
    println!("write: added {:?}, wrote {}", written.added, written.wrote);

    // 2. Rotate the database password; the connection URL follows.
    let file = SecureFile::open(&env, WriteOptions::preserving(&env)?)?;
    let locked = file.lock()?;
    let bytes = locked.read()?.ok_or("the .env vanished")?;
    let mut doc = Document::parse(&bytes)?;
    let mut selection = Selection {
        keys: vec!["POSTGRES_PASSWORD".into()],
        ..Selection::default()
    };
    // A `stored` value: this deploy changes the server's copy itself
    // before the restart, and must say so (or use `Database::Postgres`).
    selection.consent.server_changed = true;
    let plan = rotate::plan(&doc, Some(&stack), &selection, now)?;
    rotate::apply(&mut doc, Some(&stack), &plan, false, &mut os_rng(), now)?;
    locked.replace(doc.render().as_bytes())?;
    drop(locked);
    println!(
        "rotate: POSTGRES_PASSWORD, dependents {:?}",
        plan.dependents
    );

    // 3. The gate: the check rules on the .env the manifest describes and
    // the audit rules on the directory, each finding once.
    let mut options = AuditOptions::new(vec![dir.clone()], now);
    options.manifests = vec![&stack];
    let audited = audit(&options)?;
    let blocking: Vec<&Finding> = (audited.findings.iter())
        .filter(|f| f.severity >= Severity::Medium)
        .collect();
    for f in &blocking {
        eprintln!("{} {}: {}", f.rule, f.path.display(), f.message);
    }
    if !blocking.is_empty() {
        return Err(format!("gate: {} blocking findings", blocking.len()).into());
    }
    println!(
        "gate: {} findings, none blocking, {} files audited",
        audited.findings.len(),
        audited.files.len()
    );

    // 4. What a Swarm export would create (nothing is created on a dry run).
    let selected = select(&doc, Some(&stack), &[])?;
    let options = SwarmOptions {
        prefix: "shop".into(),
        dry_run: true,
        now,
        ..SwarmOptions::default()
    };
    let report = swarm::export(&Docker::default(), &selected.values, &options)?;
    println!("swarm (dry run): would create {}", report.created.len());
    for name in &report.created {
        println!("  {name}");
    }

    // 5. The application's connection string, checked, not printed.
    print_connection(&env, &doc)?;
    Ok(())
}

fn print_connection(env: &Path, doc: &Document) -> Result<(), Box<dyn Error>> {
    let url = doc.get("DATABASE_URL").ok_or("no DATABASE_URL")?;
    let password = doc.get("POSTGRES_PASSWORD").ok_or("no POSTGRES_PASSWORD")?;
    let (scheme, rest) = url.expose().split_once("://").ok_or("not a URL")?;
    let (userinfo, location) = rest.rsplit_once('@').ok_or("no user in the URL")?;
    let (user, _) = userinfo.split_once(':').ok_or("no password in the URL")?;
    // Generated passwords need no percent-encoding: the URL holds it as is.
    if !userinfo.ends_with(password.expose()) {
        return Err(format!("{}: DATABASE_URL is stale", env.display()).into());
    }
    println!(
        "connection: {scheme}://{user}:<{} characters>@{location}",
        password.len()
    );
    Ok(())
}
