//! `secrets init`: a manifest describing a stack's .env.example, on stdout
//! or into a new file; the summary and what rests on a guess on stderr.

use std::process::ExitCode;
use std::time::Duration;

use secrets_core::init::infer_files;
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
                    crate::note!("secrets: wrote {} (mode 0600)", path.display());
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
    for a in &inferred.added {
        crate::note!(
            "secrets: added {}: {} line {} reads it and {} lacks it",
            a.name,
            a.file,
            a.line,
            args.from.display()
        );
    }
    if !inferred.unread.is_empty() {
        crate::note!(
            "secrets: no compose service reads {}",
            inferred.unread.join(", ")
        );
    }
    let uncertain: Vec<String> = inferred
        .entries
        .iter()
        .filter_map(|e| e.uncertain.as_ref().map(|u| format!("{} ({u})", e.name)))
        .collect();
    let s = inferred.summary();
    let listed = if uncertain.is_empty() {
        String::new()
    } else {
        format!(": {}", uncertain.join("; "))
    };
    crate::note!(
        "secrets: {}, {} derived, {} external, {} ({} more only in comments), {} uncertain{listed}",
        count(s.secrets, "secret", "secrets"),
        s.derived,
        s.external,
        count(s.settings, "setting", "settings"),
        s.commented,
        s.uncertain
    );
    Ok(ExitCode::SUCCESS)
}
