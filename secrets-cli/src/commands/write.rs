//! `secrets write`: create or complete a .env at 0600, owned by the service
//! user, atomically and idempotently. With `--from FILE.age`, the content
//! comes from an age-encrypted file decrypted in memory: it goes straight
//! into the secure writer, so the only plaintext file ever created is its
//! 0600 temporary file.

use std::process::ExitCode;
use std::time::Duration;

use secrets_core::generate::os_rng;
use secrets_core::init::read_trusted_template;
use secrets_core::operation_report::to_json;
use secrets_core::secure_file::{Change, Owner, OwnerError, SecureFile, WriteError};
use secrets_core::write_env::WriteReport;
use secrets_core::write_env::{write_env, Content, WriteEnvError, WriteRequest};

use crate::args::{TextFormat, WriteArgs};
use crate::failure::Failure;

pub fn run(args: WriteArgs) -> Result<ExitCode, Failure> {
    // --from: decrypted in memory before anything is opened for writing, so
    // a wrong key or a damaged file leaves everything as it was.
    let content = match (&args.from, &args.template) {
        (Some(from), _) => {
            // Its content becomes root's .env: read like a key file.
            let plaintext = super::crypt::decrypt_file_trusted(from, &args.identity)?;
            Content::Document(super::crypt::parse(from, &plaintext)?)
        }
        (None, Some(template)) => Content::Template {
            name: template.display().to_string(),
            bytes: read_trusted_template(template)?,
        },
        (None, None) => Content::Manifest,
    };
    let stack = match content {
        Content::Document(_) => super::load_optional_stack(&args.stack)?,
        _ => Some(super::load_stack(&args.stack)?),
    };
    let owner = match args.owner.as_deref() {
        Some(spec) => Some(owner(spec, args.create_user, args.dry_run)?),
        None => None,
    };
    let mut options = args
        .mode
        .options()
        .with_owner(owner)
        .with_lock_wait(Duration::from_secs(args.wait));
    options.follow_symlinks = args.follow_symlinks;
    // A dry run creates no directory: a missing one is reported instead.
    options.mkdir = args.mkdir && !args.dry_run;
    let file = SecureFile::open(&args.out, options).map_err(|e| match e {
        WriteError::MissingParent(dir) if args.dry_run && args.mkdir => Failure::Error(format!(
            "{}: no such directory; --dry-run creates nothing, and without it --mkdir would create it (mode 0700) and {} in it with every variable of the manifest",
            dir.display(),
            args.out.display()
        )),
        e => super::write_error(e),
    })?;
    let path = file.path().to_owned();
    let display = path.display().to_string();
    let request = WriteRequest::new(stack.as_ref(), content)
        .replacing_placeholders(args.replace_placeholders)
        .dry_run(args.dry_run);
    let report = match write_env(file, request, &mut os_rng()) {
        Ok(report) => report,
        Err(e @ WriteEnvError::Placeholders { .. }) => {
            crate::warn!(
                "secrets: {e}; nothing was written. Before the stack's first start, `--replace-placeholders` generates them (PostgreSQL, MinIO and Grafana read their first credentials only once: after that, rotate them with `secrets rotate`)"
            );
            return Ok(ExitCode::from(1));
        }
        Err(WriteEnvError::File(e)) => return Err(super::write_error(e)),
        Err(e) => return Err(Failure::from(e)),
    };

    match (args.format, args.dry_run) {
        (TextFormat::Json, dry_run) => {
            crate::output::print_json(&to_json("write", Some(&path), &report))?;
            if dry_run {
                return Ok(ExitCode::SUCCESS);
            }
        }
        (TextFormat::Text, true) => {
            crate::output::print(&dry_run_text(&report, &display, args.mode.bits()))?;
            return Ok(ExitCode::SUCCESS);
        }
        (TextFormat::Text, false) => {}
    }
    if let (Some(t), true) = (&args.template, report.template_unused) {
        crate::note!(
            "secrets: {display} exists: completed as usual, {} lays out new files only",
            t.display()
        );
    }
    if let (Some(from), false) = (&args.from, report.not_in_document.is_empty()) {
        crate::note!(
            "secrets: warning: {} not in {}: kept from {display} or generated here; add them to the encrypted file (`secrets edit`) so that every host has the same",
            report.not_in_document.join(", "),
            from.display()
        );
    }
    for d in &report.kept_disagreeing {
        let readers: Vec<String> = d.readers.iter().map(ToString::to_string).collect();
        crate::note!(
            "secrets: {} is kept as the template writes it, though {} read it differently",
            d.name,
            readers.join(", ")
        );
    }
    if !report.cleared.is_empty() {
        crate::note!(
            "secrets: left empty for you, not the template's example: {}",
            report.cleared.join(", ")
        );
    }
    super::warn_disagreements(&report.disagreements);
    for change in &report.changes {
        note_change(change, &display, args.mode.bits());
    }
    if let (Some(from), true) = (&args.from, report.wrote) {
        crate::note!("secrets: wrote {display} from {}", from.display());
    }
    if report.added.is_empty() {
        if !report.wrote {
            crate::note!("secrets: {display} is up to date");
        }
    } else {
        crate::note!("secrets: added to {display}: {}", report.added.join(", "));
    }
    if !report.unset.is_empty() {
        crate::note!(
            "secrets: set these yourself in {display}: {}",
            report.unset.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What a dry run found, one line per change (names, never values).
fn dry_run_text(report: &WriteReport, display: &str, mode: u32) -> String {
    let mut out = String::new();
    for change in &report.changes {
        let line = match change {
            Change::Created => format!("would create {display} (mode {mode:04o})"),
            Change::Replaced => format!("would replace {display}"),
            Change::Mode { from, to } => {
                format!("would change the mode of {display} from {from:04o} to {to:04o}")
            }
            Change::Owner { from, to } => format!(
                "would change the owner of {display} from {} to {}",
                crate::output::owner_names(*from),
                crate::output::owner_names(*to)
            ),
            Change::CreatedDirectory(dir) => {
                format!("would create directory {} (mode 0700)", dir.display())
            }
            _ => continue,
        };
        out.push_str(&line);
        out.push('\n');
    }
    if !report.added.is_empty() {
        out.push_str(&format!(
            "would add {}: {}\n",
            crate::output::count(report.added.len(), "variable", "variables"),
            report.added.join(", ")
        ));
    }
    if !report.unset.is_empty() {
        out.push_str(&format!(
            "left for you to set: {}\n",
            report.unset.join(", ")
        ));
    }
    if report.changes.is_empty() {
        out.push_str(&format!("{display} is up to date: nothing would change\n"));
    }
    out
}

fn note_change(change: &Change, display: &str, mode: u32) {
    match change {
        Change::Created => crate::note!("secrets: created {display} (mode {mode:04o})"),
        Change::Mode { from, to } => {
            crate::note!("secrets: changed the mode of {display} from {from:04o} to {to:04o}")
        }
        Change::Owner { from, to } => crate::note!(
            "secrets: changed the owner of {display} from {} to {}",
            crate::output::owner_names(*from),
            crate::output::owner_names(*to)
        ),
        Change::CreatedDirectory(dir) => {
            crate::note!("secrets: created directory {} (mode 0700)", dir.display())
        }
        _ => {}
    }
}

/// `--owner SPEC`, creating its user first with `--create-user`; an unknown
/// user's error names both ways forward.
fn owner(spec: &str, create: bool, dry_run: bool) -> Result<Owner, Failure> {
    let user = spec.split(':').next().unwrap_or("");
    if create && !dry_run && !user.is_empty() && user.parse::<u32>().is_err() {
        let created = secrets_core::secure_file::ensure_system_user(user)
            .map_err(|e| Failure::Error(e.to_string()))?;
        if created {
            crate::note!(
                "secrets: created the system user {user} (its own group, no home, no login)"
            );
        }
    }
    Owner::parse(spec).map_err(|e| match e {
        OwnerError::UnknownUser(name) if dry_run && create => Failure::Error(format!(
            "unknown user `{name}`: --dry-run creates nothing, and without it --create-user would create it (the plan needs its uid)"
        )),
        OwnerError::UnknownUser(name) => Failure::Error(format!(
            "unknown user `{name}`: create it with `useradd --system --shell /usr/sbin/nologin --no-create-home --user-group {name}`, or pass --create-user"
        )),
        e => Failure::from(e),
    })
}
