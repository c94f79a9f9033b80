//! `secrets decrypt`: an age-encrypted `.env` to stdout, through the
//! stdout protections for secret output.

use std::process::ExitCode;

use crate::args::DecryptArgs;
use crate::failure::Failure;
use crate::output;

pub fn run(args: DecryptArgs) -> Result<ExitCode, Failure> {
    // Judged before anything is decrypted.
    let stdout =
        output::secret_stdout("`secrets write --from FILE.age --out FILE` writes the file itself")?;
    let plaintext = super::crypt::decrypt_file(&args.env, &args.identity)?;
    output::write_secret(&stdout, &plaintext)?;
    Ok(ExitCode::SUCCESS)
}
