//! `secrets generate`: a complete .env on stdout, or only its age
//! ciphertext with `--encrypt-to`.

use std::process::ExitCode;

use secrets_core::envfile::render::{json_document, new_document};
use secrets_core::generate::os_rng;
use secrets_core::stack::Existing;
use std::time::SystemTime;

use crate::args::{EnvFormat, GenerateArgs};
use crate::failure::Failure;
use crate::output;

pub fn run(args: GenerateArgs) -> Result<ExitCode, Failure> {
    // Judged before a value is drawn: a refused stdout costs nothing.
    let stdout = match args.encrypt_to.is_empty() {
        true => Some(output::secret_stdout(
            "`secrets write --out FILE` writes the file itself",
        )?),
        false => None,
    };
    let stack = super::load_stack(&args.stack)?;
    let now = SystemTime::now();
    let resolved = stack.resolve(&Existing::new(), &mut os_rng(), now)?;
    let text = match args.format {
        EnvFormat::Env => {
            let (doc, disagreements) = new_document(&stack, &resolved, now);
            super::warn_disagreements(&disagreements);
            doc.render()
        }
        EnvFormat::Json => json_document(&stack, &resolved),
    };
    if let Some(stdout) = &stdout {
        output::write_secret(stdout, text.as_bytes())?;
    } else {
        // Only ciphertext leaves the process.
        let mut recipients = secrets_core::crypt::Recipients::new();
        for (i, r) in args.encrypt_to.iter().enumerate() {
            recipients.add(r, &format!("--encrypt-to recipient {}", i + 1))?;
        }
        let ciphertext = secrets_core::crypt::encrypt(text.as_bytes(), &recipients, args.armor)?;
        output::write_ciphertext_stdout(&ciphertext, args.armor)?;
    }
    if !resolved.missing_external.is_empty() {
        crate::note!(
            "secrets: set these yourself: {}",
            resolved.missing_external.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
