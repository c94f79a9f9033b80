//! `secrets hash scram`: a verifier for a password read from stdin (never
//! from argv).

use std::process::ExitCode;

use secrets_core::generate::os_rng;
use secrets_core::postgres::scram;
use secrets_core::safe_fs::{limits, read_limited};

use crate::args::HashCommand;
use crate::failure::Failure;

pub fn run(command: HashCommand) -> Result<ExitCode, Failure> {
    match command {
        HashCommand::Scram(a) => {
            if a.iterations < 4096 {
                return Err(Failure::Error("--iterations must be at least 4096".into()));
            }
            let bytes = read_limited(
                std::io::stdin().lock(),
                limits::STDIN,
                std::path::Path::new("<stdin>"),
            )?;
            let input = std::str::from_utf8(&bytes)
                .map_err(|_| Failure::Error("<stdin>: the password is not UTF-8".into()))?;
            // One line: the trailing newline of `echo` or a file is not part of it.
            let password = input
                .strip_suffix('\n')
                .map(|p| p.strip_suffix('\r').unwrap_or(p))
                .unwrap_or(input);
            if password.is_empty() || password.contains('\n') {
                return Err(Failure::Error(
                    "stdin must hold one non-empty line: the password".into(),
                ));
            }
            let mut salt = [0u8; scram::SALT_BYTES];
            rand_fill(&mut salt);
            crate::output::print(&format!(
                "{}\n",
                scram::verifier(password, &salt, a.iterations)
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn rand_fill(buf: &mut [u8]) {
    use secrets_core::generate::alphabet::bytes;
    buf.copy_from_slice(&bytes(&mut os_rng(), buf.len()));
}
