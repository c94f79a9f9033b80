//! `secrets check`: validate one .env.

use std::path::Path;
use std::process::ExitCode;

use secrets_core::check::{check_env, EnvContext};
use secrets_core::envfile::Document;
use secrets_core::secure_file::{SecureFile, WriteOptions};
use secrets_core::unix_now;

use crate::args::{CheckArgs, TextFormat};
use crate::failure::Failure;
use crate::findings;

/// Reads and parses a `.env` without following a symlink; `None` when absent.
fn read_doc(path: &Path) -> Result<Option<Document>, Failure> {
    let Some(bytes) = SecureFile::new(path, WriteOptions::default())?.read()? else {
        return Ok(None);
    };
    let doc =
        Document::parse(&bytes).map_err(|e| Failure::Error(format!("{}:{e}", path.display())))?;
    Ok(Some(doc))
}

pub fn run(args: CheckArgs) -> Result<ExitCode, Failure> {
    let stack = if args.stack.manifest.is_some()
        || !args.stack.with.is_empty()
        || Path::new("secrets.toml").exists()
    {
        Some(super::load_stack(&args.stack)?)
    } else {
        None
    };
    let doc = read_doc(&args.env)?
        .ok_or_else(|| Failure::Error(format!("{}: no such file", args.env.display())))?;
    let example_path = args.env.parent().map_or_else(
        || Path::new(".env.example").to_owned(),
        |d| d.join(".env.example"),
    );
    let example = if example_path.exists() {
        read_doc(&example_path)?
    } else {
        None
    };
    let found = check_env(&EnvContext {
        path: &args.env,
        doc: &doc,
        stack: stack.as_ref(),
        example: example.as_ref(),
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
