//! `secrets check`: validate one .env.

use std::path::Path;
use std::process::ExitCode;

use secrets_core::check::{check_env, EnvContext};
use secrets_core::unix_now;

use crate::args::{CheckArgs, TextFormat};
use crate::failure::Failure;
use crate::findings;

pub fn run(args: CheckArgs) -> Result<ExitCode, Failure> {
    let stack = super::load_optional_stack(&args.stack)?;
    let doc = super::crypt::read_env(&args.env, &args.identity)?
        .ok_or_else(|| Failure::Error(format!("{}: no such file", args.env.display())))?;
    let (example_path, example) = match &args.template {
        Some(path) => {
            let doc = super::read_env(path)?
                .ok_or_else(|| Failure::Error(format!("{}: no such file", path.display())))?;
            (path.clone(), Some(doc))
        }
        None => {
            let path = args.env.parent().map_or_else(
                || Path::new(".env.example").to_owned(),
                |d| d.join(".env.example"),
            );
            let doc = if path.exists() {
                super::read_env(&path)?
            } else {
                None
            };
            (path, doc)
        }
    };
    let found = check_env(&EnvContext {
        path: &args.env,
        doc: &doc,
        stack: stack.as_ref(),
        example: example.as_ref(),
        example_path: example.as_ref().map(|_| example_path.as_path()),
        now: unix_now(),
    });
    let out = match args.format {
        TextFormat::Text => findings::text(&found),
        TextFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&secrets_core::report::to_json(&found))?
        ),
    };
    crate::output::print(&out)?;
    Ok(if findings::fails(&found, args.fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
