//! `secrets hash scram`: a verifier for a password read from stdin (never
//! from argv).

use std::process::ExitCode;

use secrets_core::generate::os_rng;
use secrets_core::postgres::scram::{verifier_of_input, PasswordInputError as E};

use crate::args::HashCommand;
use crate::failure::Failure;

pub fn run(command: HashCommand) -> Result<ExitCode, Failure> {
    let HashCommand::Scram(a) = command;
    let verifier = verifier_of_input(std::io::stdin().lock(), a.iterations, &mut os_rng())
        .map_err(|e| match e {
            E::TooFewIterations => Failure::Error("--iterations must be at least 4096".into()),
            E::NotUtf8 => Failure::Error("<stdin>: the password is not UTF-8".into()),
            E::NotOneLine => {
                Failure::Error("stdin must hold one non-empty line: the password".into())
            }
            e => Failure::from(e),
        })?;
    crate::output::print(&format!("{verifier}\n"))?;
    Ok(ExitCode::SUCCESS)
}
