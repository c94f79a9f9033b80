//! `secrets init`: a manifest describing a stack's .env.example, on stdout
//! or into a new file; the summary and what rests on a guess on stderr.

use std::process::ExitCode;
use std::time::Duration;

use secrets_core::init::{infer_files, Class};
use secrets_core::secure_file::{SecureFile, WriteOptions};

use crate::args::InitArgs;
use crate::failure::Failure;

pub fn run(args: InitArgs) -> Result<ExitCode, Failure> {
    let inferred = infer_files(&args.from, &args.compose, args.name.as_deref())?;
    match &args.out {
        Some(path) => {
            let options = WriteOptions::default().with_lock_wait(Duration::from_secs(args.wait));
            let file = SecureFile::open(path, options).map_err(super::write_error)?;
            let file = file.lock()?;
            // A manifest may hold an operator's edits: never overwrite one.
            if file.read()?.is_some() {
                return Err(Failure::Error(format!(
                    "{}: exists; init writes a new manifest (remove it, or choose another --out)",
                    path.display()
                )));
            }
            file.replace(inferred.manifest.as_bytes())?;
        }
        None => crate::output::print(&inferred.manifest)?,
    }
    if inferred.compose_truncated {
        crate::note!(
            "secrets: warning: the compose files merge anchors into more services than init reads (a few times their own size): what those merges pass is not evidence here"
        );
    }
    // What rests on a guess comes first: it is what to review.
    for e in inferred.entries.iter().filter(|e| e.uncertain.is_some()) {
        let u = e.uncertain.as_deref().unwrap_or_default();
        crate::note!("secrets: uncertain: {} ({}): {u}", e.name, e.class.name());
    }
    if let Some((name, from)) = &inferred.stack_name {
        crate::note!("secrets: stack name {name:?}, from {from}");
    }
    for a in &inferred.added {
        crate::note!(
            "secrets: added {}: {} line {} reads it and {} lacks it",
            a.name,
            a.file,
            a.line,
            args.from.display()
        );
    }
    if !inferred.env_file_readers.is_empty() {
        crate::note!(
            "secrets: {} compose service(s) read {} whole through env_file: {}",
            inferred.env_file_readers.len(),
            args.from.display(),
            inferred.env_file_readers.join(", ")
        );
    }
    if !inferred.unread.is_empty() {
        crate::note!(
            "secrets: no compose service reads {}",
            inferred.unread.join(", ")
        );
    }
    for e in &inferred.entries {
        if let Some(service) = &e.runs_without_auth {
            crate::note!(
                "secrets: compose service {service} runs without auth: {} stays empty",
                e.name
            );
        }
    }
    let externals = |required: bool| -> Vec<&str> {
        (inferred.entries.iter())
            .filter(|e| e.class == Class::External && !e.commented && e.required == required)
            .map(|e| e.name.as_str())
            .collect()
    };
    let (required, optional) = (externals(true), externals(false));
    if args.compose.is_empty() && !optional.is_empty() {
        // Without compose files nothing tells a needed one from an integration.
        crate::note!("secrets: set these yourself: {}", optional.join(", "));
    } else if !required.is_empty() {
        crate::note!(
            "secrets: set these yourself, required (a compose service reads them with no default): {}",
            required.join(", ")
        );
    }
    if !args.compose.is_empty() && !optional.is_empty() {
        crate::note!(
            "secrets: set these yourself if you use them (integrations, off while empty): {}",
            optional.join(", ")
        );
    }
    if let Some(path) = &args.out {
        crate::note!("secrets: wrote {} (mode 0600)", path.display());
    }
    let s = inferred.summary();
    crate::note!(
        "secrets: {} secrets, {} derived, {} external, {} settings ({} more only in comments), {} uncertain",
        s.secrets,
        s.derived,
        s.external,
        s.settings,
        s.commented,
        s.uncertain
    );
    Ok(ExitCode::SUCCESS)
}
