//! `secrets completions SHELL`: the completion script on stdout.

use std::process::ExitCode;

use crate::args::CompletionsArgs;
use crate::failure::Failure;

pub fn run(args: CompletionsArgs) -> Result<ExitCode, Failure> {
    let script = crate::manual::completions(args.shell);
    crate::output::print(&String::from_utf8_lossy(&script))?;
    Ok(ExitCode::SUCCESS)
}
