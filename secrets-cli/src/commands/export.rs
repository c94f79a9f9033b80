//! `secrets export swarm|compose|k8s`.

use std::process::ExitCode;

use secrets_core::export::{self, compose, k8s, swarm, Exported};
use secrets_core::secure_file::{Owner, SecureFile, WriteOptions};
use secrets_core::stack::Stack;
use secrets_core::unix_now;

use crate::args::{ExportCommand, ExportSource};
use crate::failure::Failure;

/// The values to export, and the stack when there is a manifest.
fn load(source: &ExportSource) -> Result<(Vec<Exported>, Option<Stack>), Failure> {
    let stack = super::load_optional_stack(&source.stack)?;
    let display = source.env.display();
    let doc = super::crypt::read_env(&source.env, &source.identity)?
        .ok_or_else(|| Failure::Error(format!("{display}: no such file")))?;
    let selection = export::select(&doc, stack.as_ref(), &source.keys)?;
    if !selection.left_empty.is_empty() {
        crate::note!(
            "secrets: not exported, empty in {display}: {}",
            selection.left_empty.join(", ")
        );
    }
    let exported = selection.values;
    if exported.is_empty() {
        return Err(Failure::Error(format!(
            "{display}: no secret values to export"
        )));
    }
    Ok((exported, stack))
}

/// A default prefix from a name: lower case, other characters as `-`.
fn sanitize(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-').to_owned();
    if s.is_empty() {
        "secrets".into()
    } else {
        s
    }
}

pub fn run(command: ExportCommand) -> Result<ExitCode, Failure> {
    let mut out = String::new();
    match command {
        ExportCommand::Swarm(a) => {
            let (exported, stack) = load(&a.source)?;
            let (manifest_uid, manifest_gid) =
                stack.as_ref().map_or((None, None), |s| s.secrets_owner);
            let stack_name = stack.map(|s| s.name);
            let prefix = a.prefix.clone().unwrap_or_else(|| {
                sanitize(&stack_name.unwrap_or_else(|| {
                    std::fs::canonicalize(&a.source.env)
                        .ok()
                        .and_then(|p| {
                            p.parent()
                                .and_then(|d| d.file_name())
                                .map(|n| n.to_string_lossy().into_owned())
                        })
                        .unwrap_or_default()
                }))
            });
            let options = swarm::SwarmOptions {
                prefix,
                services: a.services.clone(),
                prune: a.prune,
                dry_run: a.dry_run,
                uid: a.uid.or(manifest_uid),
                gid: a.gid.or(manifest_gid),
                now: unix_now(),
            };
            let report = swarm::export(&swarm::Docker::default(), &exported, &options)?;
            let (created, rewired, pruned) = if a.dry_run {
                ("would create", "would rewire", "would remove")
            } else {
                ("created", "rewired", "removed")
            };
            for n in &report.created {
                crate::note!("secrets: {created} {n}");
            }
            for n in &report.unchanged {
                crate::note!("secrets: unchanged {n}");
            }
            for r in &report.rewired {
                crate::note!("secrets: {rewired} {r}");
            }
            for n in &report.pruned {
                crate::note!("secrets: {pruned} {n}");
            }
            out.push_str("# for docker stack deploy: the top-level secrets of the compose file\n");
            out.push_str(&report.stanza);
            if !report.file_env.is_empty() {
                out.push_str("# environment for images that read values from files\n");
                for l in &report.file_env {
                    out.push_str(&format!("# {l}\n"));
                }
            }
        }
        ExportCommand::Compose(a) => {
            let (exported, stack) = load(&a.source)?;
            let mut options = a
                .mode
                .options()
                .with_lock_wait(std::time::Duration::from_secs(a.wait));
            let from_manifest = stack
                .as_ref()
                .map(|s| s.secrets_owner)
                .filter(|(u, g)| u.is_some() || g.is_some())
                .map(|(uid, gid)| Owner { uid, gid });
            options.owner = a
                .owner
                .as_deref()
                .map(Owner::parse)
                .transpose()?
                .or(from_manifest);
            options.mkdir = true;
            let report = compose::export(&exported, &a.dir, &options)?;
            for (key, path) in &report.files {
                crate::note!("secrets: wrote {key} to {}", path.display());
            }
            out.push_str(&report.yaml);
            let lines = export::file_env_lines(&exported, "/run/secrets");
            if !lines.is_empty() {
                out.push_str("# environment for images that read values from files\n");
                for l in lines {
                    out.push_str(&format!("# {l}\n"));
                }
            }
        }
        ExportCommand::K8s(a) => {
            let (exported, _) = load(&a.source)?;
            let manifest = k8s::manifest(&exported, &a.name, a.namespace.as_deref())?;
            match &a.out {
                Some(path) => {
                    let options = WriteOptions::default()
                        .with_lock_wait(std::time::Duration::from_secs(a.wait));
                    let file = SecureFile::open(path, options).map_err(super::write_error)?;
                    file.lock()?.replace(manifest.as_bytes())?;
                    crate::note!("secrets: wrote {} (mode 0600)", path.display());
                }
                None => {
                    if let crate::output::SecretOutput::Replaced(path) =
                        crate::output::write_secret_stdout(&manifest)?
                    {
                        crate::note!("secrets: stdout was {path}, a file the shell created: wrote a new file there at mode 0600 instead (the shell's stays empty)");
                    }
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
    }
    crate::output::print(&out)?;
    Ok(ExitCode::SUCCESS)
}
