//! `secrets init`: a manifest describing a stack's .env.example, on stdout
//! or into a new file; the summary and what rests on a guess on stderr.

use std::process::ExitCode;
use std::time::Duration;

use secrets_core::init::{infer_files, Class};
use secrets_core::operation_report::to_json;
use secrets_core::secure_file::{SecureFile, WriteOptions};

use crate::args::{InitArgs, TextFormat};
use crate::failure::Failure;
use crate::output::count;

pub fn run(args: InitArgs) -> Result<ExitCode, Failure> {
    let inferred = infer_files(&args.from, &args.compose, args.name.as_deref())?;
    match &args.out {
        Some(path) => {
            let options = WriteOptions::default().with_lock_wait(Duration::from_secs(args.wait));
            let file = SecureFile::open(path, options).map_err(super::write_error)?;
            let file = match args.dry_run {
                true => file.lock_to_inspect()?,
                false => file.lock()?,
            };
            // A manifest may hold an operator's edits: never overwrite one.
            if file.read()?.is_some() {
                return Err(Failure::Error(format!(
                    "{}: exists; init writes a new manifest (remove it, or choose another --out)",
                    path.display()
                )));
            }
            match args.dry_run {
                true if args.format == TextFormat::Text => crate::output::print(&format!(
                    "would write {} (mode 0600, {} bytes)\n",
                    path.display(),
                    inferred.manifest.len()
                ))?,
                true => {}
                false => {
                    file.replace(inferred.manifest.as_bytes())?;
                }
            }
        }
        None if args.format == TextFormat::Text => crate::output::print(&inferred.manifest)?,
        None => {}
    }
    if args.format == TextFormat::Json {
        let mut report = to_json("init", args.out.as_deref(), &inferred);
        report["dry_run"] = args.dry_run.into();
        report["template"] = args.from.to_string_lossy().into();
        // Without --out the manifest is the command's output: it goes in the
        // report (a manifest holds names, kinds and the template's settings).
        if args.out.is_none() {
            report["manifest"] = inferred.manifest.clone().into();
        }
        crate::output::print_json(&report)?;
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
    if let (Some(path), false) = (&args.out, args.dry_run) {
        crate::note!("secrets: wrote {} (mode 0600)", path.display());
    }
    let s = inferred.summary();
    crate::note!(
        "secrets: {}, {} derived, {} external, {} ({} more only in comments), {} uncertain",
        count(s.secrets, "secret", "secrets"),
        s.derived,
        s.external,
        count(s.settings, "setting", "settings"),
        s.commented,
        s.uncertain
    );
    Ok(ExitCode::SUCCESS)
}
