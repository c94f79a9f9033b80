//! `secrets encrypt`: a `.env` encrypted with age to public keys.

use std::process::ExitCode;
use std::time::Duration;

use secrets_core::crypt;
use secrets_core::secure_file::{SecureFile, WriteOptions};
use secrets_core::unstable::safe_fs::{limits, read_secret};

use crate::args::EncryptArgs;
use crate::failure::Failure;

pub fn run(args: EncryptArgs) -> Result<ExitCode, Failure> {
    let stack = super::load_optional_stack(&args.stack)?;
    let recipients = super::crypt::recipients(&args.recipients, stack.as_ref())?;
    let display = args.env.display();
    let plaintext = read_secret(&args.env, limits::ENV)?
        .ok_or_else(|| Failure::Error(format!("{display}: no such file")))?;
    if crypt::is_encrypted(&plaintext) {
        return Err(Failure::Error(format!(
            "{display}: is already age-encrypted"
        )));
    }
    // Only what reads back as a .env is sealed: a mistake is found now,
    // not on the deploy host.
    super::crypt::parse(&args.env, &plaintext)?;
    let ciphertext = crypt::encrypt(&plaintext, &recipients, args.armor)?;
    match &args.out {
        Some(out) => {
            let options = WriteOptions::default().with_lock_wait(Duration::from_secs(args.wait));
            let file = SecureFile::open(out, options).map_err(super::write_error)?;
            file.lock()?.replace(&ciphertext)?;
            crate::note!(
                "secrets: encrypted {display} to {} recipient(s): wrote {} (mode 0600)",
                recipients.len(),
                out.display()
            );
        }
        None => crate::output::write_ciphertext_stdout(&ciphertext, args.armor)?,
    }
    Ok(ExitCode::SUCCESS)
}
