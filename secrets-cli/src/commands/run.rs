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
    let doc = super::crypt::read_env(&args.env, &args.identity)?
        .ok_or_else(|| Failure::Error(format!("{}: no such file", args.env.display())))?;
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| Failure::Error("no command to run".into()))?;
    let mut command = Command::new(program);
    command.args(rest);
    if args.only.is_empty() {
        // In file order: a key assigned twice ends with its last value, as
        // Compose reads it.
        for e in doc.entries() {
            command.env(e.key(), e.value().expose());
        }
    } else {
        for key in &args.only {
            let value = doc
                .get(key)
                .ok_or_else(|| Failure::Error(format!("{key} is not in {}", args.env.display())))?;
            command.env(key, value.expose());
        }
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
