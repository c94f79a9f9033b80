//! `secrets run`: replace this process with a command whose environment
//! holds the variables of a `.env` (decrypted in memory when it is
//! age-encrypted). `execve` with no intermediate process: the command has
//! this PID, gets the signals sent to it, and its exit status is the one
//! the caller sees. Values go into the environment, never into argv.

use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};

use crate::args::RunArgs;
use crate::failure::Failure;

pub fn run(args: RunArgs) -> Result<ExitCode, Failure> {
    // The file decides the environment of what runs (PATH, LD_PRELOAD,
    // BASH_ENV...): read like a key file, never one another user controls.
    let doc = super::crypt::read_env_trusted(&args.env, &args.identity)?
        .ok_or_else(|| Failure::Error(format!("{}: no such file", args.env.display())))?;
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| Failure::Error("no command to run".into()))?;
    // Found on the caller's PATH, not the file's: std would search the
    // child's PATH once the file sets one.
    let mut command = Command::new(resolve_program(program));
    command.arg0(program);
    command.args(rest);
    // The caller's own value wins unless --override (dotenv, dotenvx, Compose's
    // shell-over-file rule): a variable set for one run is not undone by the file.
    let mut kept: Vec<String> = Vec::new();
    let mut give = |key: &str, value: &secrets_core::SecretValue| {
        if !args.override_environment && std::env::var_os(key).is_some() {
            if !kept.iter().any(|k| k == key) {
                kept.push(key.to_owned());
            }
        } else {
            command.env(key, value.expose());
        }
    };
    if args.only.is_empty() {
        // In file order: a key assigned twice ends with its last value, as
        // Compose reads it.
        for e in doc.entries() {
            give(e.key(), e.value());
        }
    } else {
        for key in &args.only {
            let value = doc
                .get(key)
                .ok_or_else(|| Failure::Error(format!("{key} is not in {}", args.env.display())))?;
            give(key, value);
        }
    }
    if !kept.is_empty() {
        crate::note!(
            "secrets: kept the value already in the environment for {} (--override replaces it)",
            kept.join(", ")
        );
    }
    drop(doc);
    // The command gets the core limit the caller had, not ours.
    crate::restore_core_limit();
    let e = command.exec();
    // exec only returns on failure: the codes of a shell (and env(1)).
    let code = if e.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    };
    crate::note!(
        "secrets: error: cannot run {}: {e}",
        program.to_string_lossy()
    );
    Ok(ExitCode::from(code))
}

/// `program` as the caller's shell would find it: a name without `/` is
/// looked up on the caller's PATH (the first executable regular file);
/// otherwise, or when nothing is found, it is used as given (exec then
/// reports it).
fn resolve_program(program: &std::ffi::OsStr) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let given = std::path::PathBuf::from(program);
    if program.as_encoded_bytes().contains(&b'/') {
        return given;
    }
    let Some(path) = std::env::var_os("PATH") else {
        return given;
    };
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .unwrap_or(given)
}
