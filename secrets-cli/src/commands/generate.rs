//! `secrets generate`: a complete .env on stdout, or only its age
//! ciphertext with `--encrypt-to`.

use std::process::ExitCode;

use secrets_core::envfile::render::new_document;
use secrets_core::generate::os_rng;
use secrets_core::stack::Existing;
use secrets_core::unix_now;

use crate::args::{EnvFormat, GenerateArgs};
use crate::failure::Failure;
use crate::output;

pub fn run(args: GenerateArgs) -> Result<ExitCode, Failure> {
    let stack = super::load_stack(&args.stack)?;
    let now = unix_now();
    let resolved = stack.resolve(&Existing::new(), &mut os_rng(), now)?;
    let text = match args.format {
        EnvFormat::Env => {
            let (doc, disagreements) = new_document(&stack, &resolved, now);
            super::warn_disagreements(&disagreements);
            doc.render()
        }
        EnvFormat::Json => {
            // Written straight into one zeroizing buffer: no copy of a value
            // is left in a JSON tree or an intermediate string.
            let mut buf = zeroize::Zeroizing::new(Vec::new());
            buf.extend_from_slice(b"{\n");
            let vars = stack.vars();
            for (i, var) in vars.iter().enumerate() {
                buf.extend_from_slice(b"  ");
                serde_json::to_writer(&mut *buf, &var.name)?;
                buf.extend_from_slice(b": ");
                match resolved.values.get(&var.name) {
                    Some(v) => serde_json::to_writer(&mut *buf, v.expose())?,
                    None => buf.extend_from_slice(b"null"),
                }
                buf.extend_from_slice(if i + 1 < vars.len() { b",\n" } else { b"\n" });
            }
            buf.extend_from_slice(b"}\n");
            let bytes = std::mem::take(&mut *buf);
            zeroize::Zeroizing::new(String::from_utf8(bytes).expect("JSON is UTF-8"))
        }
    };
    if args.encrypt_to.is_empty() {
        output::secret_to_stdout(text.as_bytes())?;
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
