//! `rotate --compose FILE [--restart]`: the compose services that read the
//! rotated values, named in the hint or recreated once the file is
//! committed.

use std::process::ExitCode;

use secrets_core::compose::{ComposeProject, ComposeRestart};
use secrets_core::rotate::{RestartReaders, RotateReport};

use crate::args::{ApplyTarget, RotateArgs};
use crate::failure::Failure;

/// Exit code when the file is committed but its readers could not all be
/// recreated: they still run with the old values.
pub const RESTART_FAILED: u8 = 3;

/// The project of `--compose`, read before anything changes: a file that
/// cannot be read or followed is exit 2 with the file untouched. Compose
/// runs it with `--restart` or `--apply command`: then its files must be
/// trusted ([`ComposeProject::read_to_run`]).
pub fn project(args: &RotateArgs) -> Result<Option<ComposeProject>, Failure> {
    if args.compose.is_empty() {
        return Ok(None);
    }
    let runs = args.restart || matches!(args.apply, Some(ApplyTarget::Command));
    Ok(Some(match runs {
        true => ComposeProject::read_to_run(&args.compose)?,
        false => ComposeProject::read(&args.compose)?,
    }))
}

/// With `--restart`: the step that recreates the readers.
pub fn restart<'a>(
    args: &RotateArgs,
    project: Option<&ComposeProject>,
) -> Option<Box<dyn RestartReaders + 'a>> {
    let project = project.filter(|_| args.restart)?.clone();
    Some(Box::new(ComposeRestart::new(project, &args.env)))
}

/// The services the "restart:" hint names: with `--compose`, the compose
/// services that read the rotated values (or their dependents); else the
/// catalog's components.
pub fn hint(
    args: &RotateArgs,
    project: Option<&ComposeProject>,
    r: &RotateReport,
) -> Result<Vec<String>, Failure> {
    let Some(project) = project else {
        return Ok(r.services.clone());
    };
    let mut keys: Vec<String> = r.keys.iter().map(|k| k.name.clone()).collect();
    keys.extend(r.dependents.iter().cloned());
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    if !args.restart {
        for (service, file) in project.file_secret_readers(&keys) {
            crate::warn!(
                "secrets: warning: {service} reads a rotated value from the file secret {}, which rotate does not rewrite: run `secrets export compose` before restarting it",
                file.display()
            );
        }
    }
    match project.readers(&args.env, &keys) {
        Ok(services) => Ok(services),
        Err(e) => {
            crate::warn!(
                "secrets: warning: which compose services read the new values cannot be told: {}",
                crate::failure::one_line(&e)
            );
            Ok(r.services.clone())
        }
    }
}

/// 0, or [`RESTART_FAILED`] with the reason on stderr: `--restart` failed,
/// or did not run although `readers` (the compose services that read the
/// rotated values) exist.
pub fn exit_code(
    args: &RotateArgs,
    r: &RotateReport,
    display: &str,
    readers: &[String],
) -> ExitCode {
    if let Some(why) = &r.restart_failed {
        crate::warn!(
            "secrets: error: {display} holds the new values, but recreating their readers failed: {why}"
        );
        return ExitCode::from(RESTART_FAILED);
    }
    if !args.restart || r.dry_run || r.keys.is_empty() || !r.restarted.is_empty() {
        return ExitCode::SUCCESS;
    }
    if readers.is_empty() {
        crate::note!(
            "secrets: no service of the compose files reads the rotated values: nothing recreated"
        );
        return ExitCode::SUCCESS;
    }
    crate::warn!(
        "secrets: error: {display} holds the new values, but --restart did not run with this rotation; still running with the old values: {}",
        readers.join(", ")
    );
    ExitCode::from(RESTART_FAILED)
}
