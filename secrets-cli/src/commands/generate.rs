//! `secrets generate`: a complete .env on stdout.

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
            let mut object = serde_json::Map::new();
            for var in stack.vars() {
                let value = resolved
                    .values
                    .get(&var.name)
                    .map(|v| v.expose().to_owned());
                object.insert(
                    var.name.clone(),
                    value.map_or(serde_json::Value::Null, serde_json::Value::String),
                );
            }
            let mut text = serde_json::to_string_pretty(&serde_json::Value::Object(object))?;
            text.push('\n');
            zeroize::Zeroizing::new(text)
        }
    };
    if let Some(warning) = output::make_stdout_private() {
        crate::note!("secrets: warning: {warning}");
    }
    output::write_stdout(&text)
        .map_err(|e| Failure::Error(format!("cannot write to stdout: {e}")))?;
    if !resolved.missing_external.is_empty() {
        crate::note!(
            "secrets: set these yourself: {}",
            resolved.missing_external.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
