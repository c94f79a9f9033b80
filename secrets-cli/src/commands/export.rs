//! `secrets export swarm|compose|k8s`.

use std::process::ExitCode;

use secrets_core::export::{export_env, ExportError, Outcome};
use secrets_core::secure_file::Change;

use crate::args::{ExportCommand, TextFormat};
use crate::failure::Failure;

pub fn run(command: ExportCommand) -> Result<ExitCode, Failure> {
    let json = command.source().format == TextFormat::Json;
    if let (ExportCommand::K8s(a), true) = (&command, json) {
        if a.out.is_none() {
            return Err(Failure::Error("--format json reports what was written, and a manifest on stdout is the values themselves: pass --out FILE".into()));
        }
    }
    // A manifest for stdout: judged before the .env is read.
    let stdout = match &command {
        ExportCommand::K8s(a) if a.out.is_none() => Some(crate::output::secret_stdout(
            "`--out FILE` writes the manifest to a file",
        )?),
        _ => None,
    };
    let source = command.source();
    let stack = super::load_optional_stack(&source.stack)?;
    let result = export_env(command.request(stack.as_ref())?);
    let empty = match &result {
        Ok(report) => &report.left_empty[..],
        Err(ExportError::NoValues { left_empty, .. }) => left_empty,
        Err(_) => &[],
    };
    if !empty.is_empty() {
        let display = source.env.display();
        crate::note!(
            "secrets: not exported, empty in {display}: {}",
            empty.join(", ")
        );
    }
    let report = result.map_err(|e| match e {
        ExportError::Read(e) => super::crypt::read_failure(e),
        ExportError::Write(e) => super::write_error(e),
        e => e.into(),
    })?;
    if json {
        let report = secrets_core::operation_report::to_json("export", Some(&source.env), &report);
        crate::output::print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    let (mut out, file_env) = match &report.outcome {
        Outcome::Swarm(r) => {
            let verbs = match matches!(command, ExportCommand::Swarm(a) if a.dry_run) {
                true => ["would create", "unchanged", "would rewire", "would remove"],
                false => ["created", "unchanged", "rewired", "removed"],
            };
            for (verb, names) in verbs
                .iter()
                .zip([&r.created, &r.unchanged, &r.rewired, &r.pruned])
            {
                names
                    .iter()
                    .for_each(|n| crate::note!("secrets: {verb} {n}"));
            }
            let header = "# for docker stack deploy: the top-level secrets of the compose file\n";
            (format!("{header}{}", r.stanza), &r.file_env)
        }
        Outcome::Compose(r) if report.dry_run => {
            let lines: String = (r.files.iter().zip(&r.changes))
                .map(|((key, path), changes)| planned(key, path, changes))
                .collect();
            crate::output::print(&lines)?;
            return Ok(ExitCode::SUCCESS);
        }
        Outcome::Compose(r) => {
            for (key, path) in &r.files {
                crate::note!("secrets: wrote {key} to {}", path.display());
            }
            (r.yaml.clone(), &r.file_env)
        }
        Outcome::K8sFile(path, changes) if report.dry_run => {
            crate::output::print(&planned("the manifest", path, changes))?;
            return Ok(ExitCode::SUCCESS);
        }
        Outcome::K8sFile(path, _) => {
            crate::note!("secrets: wrote {} (mode 0600)", path.display());
            return Ok(ExitCode::SUCCESS);
        }
        Outcome::K8sManifest(manifest) => {
            let stdout = stdout.ok_or_else(|| {
                Failure::Error("a manifest for stdout, though --out was given".into())
            })?;
            crate::output::write_secret(&stdout, manifest.as_bytes())?;
            return Ok(ExitCode::SUCCESS);
        }
        _ => return Ok(ExitCode::SUCCESS),
    };
    if !file_env.is_empty() {
        out.push_str("# environment for images that read values from files\n");
        out.extend(file_env.iter().map(|l| format!("# {l}\n")));
    }
    crate::output::print(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// One dry-run line: what would happen to the file of `what`.
fn planned(what: &str, path: &std::path::Path, changes: &[Change]) -> String {
    let path = path.display();
    let mut done: Vec<String> = Vec::new();
    for change in changes {
        done.push(match change {
            Change::CreatedDirectory(dir) => format!("create directory {}", dir.display()),
            Change::Created => "create it".into(),
            Change::Replaced => "replace it".into(),
            Change::Mode { from, to } => format!("change its mode from {from:04o} to {to:04o}"),
            Change::Owner { from, to } => format!(
                "change its owner from {} to {}",
                crate::output::owner_names(*from),
                crate::output::owner_names(*to)
            ),
            _ => continue,
        });
    }
    match done.is_empty() {
        true => format!("{path} ({what}) is up to date: nothing would change\n"),
        false => format!("{path} ({what}): would {}\n", done.join(", ")),
    }
}
