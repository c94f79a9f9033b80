//! `secrets man --dir DIR`: the man pages of `secrets` and each subcommand.

use std::process::ExitCode;

use crate::args::ManArgs;
use crate::failure::Failure;

pub fn run(args: ManArgs) -> Result<ExitCode, Failure> {
    let written = crate::manual::write_man_pages(&args.dir).map_err(|e| {
        // The file layer's errors name the path.
        Failure::Error(format!(
            "cannot write the man pages: {}",
            secrets_core::one_line(&*e)
        ))
    })?;
    crate::note!(
        "secrets: wrote {} man pages to {}",
        written.len(),
        args.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
