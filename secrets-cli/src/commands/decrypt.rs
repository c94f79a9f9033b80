//! `secrets decrypt`: an age-encrypted `.env` to stdout, through the
//! stdout protections for secret output.

use std::process::ExitCode;

use crate::args::DecryptArgs;
use crate::failure::Failure;
use crate::output;

pub fn run(args: DecryptArgs) -> Result<ExitCode, Failure> {
    let plaintext = super::crypt::decrypt_file(&args.env, &args.identity)?;
    if let output::SecretOutput::Replaced(path) = output::write_secret_bytes_stdout(&plaintext)? {
        crate::note!("secrets: stdout was {path}, created by the shell readable by others: wrote a new file there at mode 0600 instead");
    }
    Ok(ExitCode::SUCCESS)
}
