//! `secrets write`: create or complete a .env at 0600, owned by the service
//! user, atomically and idempotently. With `--from FILE.age`, the content
//! comes from an age-encrypted file decrypted in memory: it goes straight
//! into the secure writer, so the only plaintext file ever created is its
//! 0600 temporary file.

use std::process::ExitCode;
use std::time::Duration;

use secrets_core::check::{is_placeholder, published_default};
use secrets_core::envfile::render::{append_vars, new_document, Disagreement};
use secrets_core::envfile::{is_dotenvx_encrypted, Document};
use secrets_core::generate::os_rng;
use secrets_core::init::{lay_out, read_trusted_template};
use secrets_core::manifest::Source;
use secrets_core::secure_file::{Change, Owner, SecureFile};
use secrets_core::stack::{Existing, Stack};
use secrets_core::unix_now;
use secrets_core::SecretValue;

use crate::args::WriteArgs;
use crate::failure::Failure;

pub fn run(args: WriteArgs) -> Result<ExitCode, Failure> {
    // --from: decrypted in memory before anything is opened for writing, so
    // a wrong key or a damaged file leaves everything as it was.
    let source = match &args.from {
        Some(from) => {
            // Its content becomes root's .env: read like a key file.
            let plaintext = super::crypt::decrypt_file_trusted(from, &args.identity)?;
            Some(super::crypt::parse(from, &plaintext)?)
        }
        None => None,
    };
    let stack = if source.is_some() {
        super::load_optional_stack(&args.stack)?
    } else {
        Some(super::load_stack(&args.stack)?)
    };
    let owner = args.owner.as_deref().map(Owner::parse).transpose()?;
    let mut options = args
        .mode
        .options()
        .with_owner(owner)
        .with_lock_wait(Duration::from_secs(args.wait));
    options.follow_symlinks = args.follow_symlinks;
    options.mkdir = args.mkdir;
    let file = SecureFile::open(&args.out, options).map_err(super::write_error)?;
    let mut changes: Vec<Change> = file.created_directory().into_iter().collect();
    let file = file.lock()?;
    let display = file.path().display().to_string();
    let now = unix_now();

    let (doc, disagreements, added, missing_external) = match (source, file.read()?) {
        (Some(mut doc), current) => {
            // The decrypted file is the whole content: what the target held
            // is replaced, not merged; the manifest completes it as usual.
            // Variables the decrypted file lacks keep the target's values
            // rather than new ones on every deploy (a target that does not
            // parse is simply replaced).
            let target = current.as_deref().and_then(|c| Document::parse(c).ok());
            let done = match &stack {
                Some(stack) => complete(&mut doc, stack, target.as_ref(), &[], &display, now)?,
                None => Completion::default(),
            };
            let changed = current.is_none_or(|c| c.as_slice() != doc.render().as_bytes());
            if !done.added.is_empty() {
                crate::note!(
                    "secrets: warning: {} not in {}: kept from {display} or generated here; add them to the encrypted file (`secrets edit`) so that every host has the same",
                    done.added.join(", "),
                    args.from.as_deref().unwrap_or(std::path::Path::new("")).display()
                );
            }
            (
                changed.then_some(doc),
                done.disagreements,
                if changed { done.added } else { Vec::new() },
                done.unset,
            )
        }
        (None, None) if args.template.is_some() => {
            let stack = stack.as_ref().expect("loaded without --from");
            let template = args.template.as_deref().expect("matched on it");
            let bytes = read_trusted_template(template)?;
            let laid = lay_out(
                &template.display().to_string(),
                &bytes,
                stack,
                &mut os_rng(),
                now,
            )?;
            let mut added = laid.generated;
            added.extend(laid.computed.into_iter().map(|n| format!("{n} (computed)")));
            added.extend(
                laid.appended
                    .into_iter()
                    .map(|n| format!("{n} (not in the template)")),
            );
            for d in &laid.kept_disagreeing {
                let readers: Vec<String> = d.readers.iter().map(ToString::to_string).collect();
                crate::note!(
                    "secrets: {} is kept as the template writes it, though {} read it differently",
                    d.name,
                    readers.join(", ")
                );
            }
            if !laid.cleared.is_empty() {
                crate::note!(
                    "secrets: left empty for you, not the template's example: {}",
                    laid.cleared.join(", ")
                );
            }
            (Some(laid.doc), laid.disagreements, added, laid.unset)
        }
        (None, None) => {
            let stack = stack.as_ref().expect("loaded without --from");
            let resolved = stack.resolve(&Existing::new(), &mut os_rng(), now)?;
            let (doc, disagreements) = new_document(stack, &resolved, now);
            (
                Some(doc),
                disagreements,
                resolved.added,
                resolved.missing_external,
            )
        }
        (None, Some(bytes)) => {
            let stack = stack.as_ref().expect("loaded without --from");
            if let Some(t) = &args.template {
                crate::note!(
                    "secrets: {display} exists: completed as usual, {} lays out new files only",
                    t.display()
                );
            }
            let mut doc =
                Document::parse(&bytes).map_err(|e| Failure::Error(format!("{display}:{e}")))?;
            // Generated secrets still holding a placeholder or a published
            // default are never kept silently.
            let stale: Vec<(&str, &str)> = stack
                .vars()
                .iter()
                .filter(|v| matches!(v.source, Source::Generate(_)))
                .filter_map(|v| {
                    let value = doc.get(&v.name)?.expose();
                    let why = if is_placeholder(value) {
                        "placeholder"
                    } else {
                        published_default(value)?
                    };
                    Some((v.name.as_str(), why))
                })
                .collect();
            if !stale.is_empty() && !args.replace_placeholders {
                let listed: Vec<String> = stale
                    .iter()
                    .map(|(n, why)| format!("{n} ({why})"))
                    .collect();
                crate::warn!(
                    "secrets: {display} holds values that protect nothing: {}; nothing was written. Before the stack's first start, `--replace-placeholders` generates them (PostgreSQL, MinIO and Grafana read their first credentials only once: after that, rotate them with `secrets rotate`)",
                    listed.join(", ")
                );
                return Ok(ExitCode::from(1));
            }
            let replaced: Vec<&str> = stale.iter().map(|(n, _)| *n).collect();
            let done = complete(&mut doc, stack, None, &replaced, &display, now)?;
            let changed = !done.added.is_empty();
            (
                changed.then_some(doc),
                done.disagreements,
                done.added,
                done.unset,
            )
        }
    };

    let wrote = doc.is_some();
    match doc {
        Some(doc) => changes.push(file.replace(doc.render().as_bytes())?),
        None => changes.extend(file.enforce()?),
    }
    super::warn_disagreements(&disagreements);

    for change in &changes {
        match change {
            Change::Created => {
                crate::note!("secrets: created {display} (mode {:04o})", args.mode.bits())
            }
            Change::Replaced => {}
            Change::Mode { from, to } => {
                crate::note!("secrets: changed the mode of {display} from {from:04o} to {to:04o}")
            }
            Change::Owner { from, to } => {
                crate::note!(
                    "secrets: changed the owner of {display} from {}:{} to {}:{}",
                    from.0,
                    from.1,
                    to.0,
                    to.1
                )
            }
            Change::CreatedDirectory(dir) => {
                crate::note!("secrets: created directory {} (mode 0700)", dir.display())
            }
            _ => {}
        }
    }
    if let (Some(from), true) = (&args.from, wrote) {
        crate::note!("secrets: wrote {display} from {}", from.display());
    }
    if added.is_empty() {
        if !wrote {
            crate::note!("secrets: {display} is up to date");
        }
    } else {
        crate::note!("secrets: added to {display}: {}", added.join(", "));
    }
    if !missing_external.is_empty() {
        crate::note!(
            "secrets: set these yourself in {display}: {}",
            missing_external.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuses a file whose generated keys are assigned twice (Compose reads
/// the last copy, dotenvy the first: which one is the secret?), or whose
/// values to compute from are dotenvx ciphertext.
fn refuse_unsafe_edits(
    doc: &Document,
    stack: &secrets_core::stack::Stack,
    waiting: &[&str],
    display: &str,
) -> Result<(), Failure> {
    for v in stack.vars() {
        let edited = matches!(v.source, Source::Generate(_)) || waiting.contains(&v.name.as_str());
        if let Some(d) = doc.duplicate(&v.name).filter(|_| edited) {
            return Err(Failure::Error(format!(
                "{display}: {d}; delete the stale copies and run again"
            )));
        }
    }
    for v in stack.vars() {
        if !(waiting.contains(&v.name.as_str()) || doc.get(&v.name).is_none()) {
            continue;
        }
        if let Some(input) = v
            .source
            .inputs()
            .into_iter()
            .find(|i| doc.get(i).is_some_and(|x| is_dotenvx_encrypted(x.expose())))
        {
            return Err(Failure::Error(format!(
                "{display}: {} is computed from {input}, which is encrypted by dotenvx: decrypt the file first (`dotenvx decrypt -f FILE`)",
                v.name
            )));
        }
    }
    Ok(())
}

/// What completing a document with the manifest did.
#[derive(Default)]
struct Completion {
    disagreements: Vec<Disagreement>,
    /// Variables added or computed, for the report.
    added: Vec<String>,
    /// External variables still without a value.
    unset: Vec<String>,
}

/// Completes `doc` with the manifest: derived values written empty (an
/// input was not set yet) are computed when their inputs allow, and
/// variables not in the file are appended (external ones empty, once, so
/// the operator sees what to fill in). Existing bytes are kept. A variable
/// not in `doc` takes its value from `fallback` when it is there.
///
/// `replaced` are generated variables whose placeholder is to be replaced:
/// they are generated anew, and what is derived from them recomputed.
fn complete(
    doc: &mut Document,
    stack: &Stack,
    fallback: Option<&Document>,
    replaced: &[&str],
    display: &str,
    now: u64,
) -> Result<Completion, Failure> {
    let derived = |v: &&secrets_core::manifest::VarDef| {
        matches!(
            v.source,
            Source::Template(_) | Source::SameAs(_) | Source::Derive { .. }
        )
    };
    let mut waiting: Vec<&str> = replaced.to_vec();
    waiting.extend(
        stack
            .vars()
            .iter()
            .filter(derived)
            .filter(|v| doc.get(&v.name).is_some_and(SecretValue::is_empty))
            .map(|v| v.name.as_str()),
    );
    loop {
        let more: Vec<&str> = stack
            .vars()
            .iter()
            .filter(derived)
            .filter(|v| !waiting.contains(&v.name.as_str()) && doc.get(&v.name).is_some())
            .filter(|v| v.source.inputs().iter().any(|i| waiting.contains(i)))
            .map(|v| v.name.as_str())
            .collect();
        if more.is_empty() {
            break;
        }
        waiting.extend(more);
    }
    refuse_unsafe_edits(doc, stack, &waiting, display)?;
    let existing: Existing = stack
        .vars()
        .iter()
        .filter(|v| !waiting.contains(&v.name.as_str()))
        .filter_map(|v| {
            doc.get(&v.name)
                .or_else(|| fallback.and_then(|f| f.get(&v.name)))
                .map(|value| (v.name.clone(), value.clone()))
        })
        .collect();
    let resolved = stack.resolve(&existing, &mut os_rng(), now)?;
    let mut disagreements = Vec::new();
    let mut added: Vec<String> = Vec::new();
    for name in &waiting {
        if let Some(value) = resolved.values.get(*name) {
            let readers = doc.set(name, value);
            if !readers.is_empty() {
                disagreements.push(Disagreement {
                    name: (*name).to_owned(),
                    readers,
                });
            }
            let how = if replaced.contains(name) {
                "replaced placeholder"
            } else {
                "computed"
            };
            added.push(format!("{name} ({how})"));
        }
    }
    let to_append: Vec<&str> = stack
        .vars()
        .iter()
        .map(|v| v.name.as_str())
        .filter(|n| doc.get(n).is_none())
        .collect();
    disagreements.extend(append_vars(doc, stack, &resolved, &to_append, now));
    added.extend(to_append.iter().map(|n| (*n).to_owned()));
    let unset: Vec<String> = stack
        .vars()
        .iter()
        .filter(|v| matches!(v.source, Source::External))
        .filter(|v| doc.get(&v.name).is_none_or(SecretValue::is_empty))
        .map(|v| v.name.clone())
        .collect();
    Ok(Completion {
        disagreements,
        added,
        unset,
    })
}
