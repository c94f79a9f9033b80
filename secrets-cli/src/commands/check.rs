//! `secrets check`: validate one .env.

use std::process::ExitCode;

use secrets_core::check::{check_env, template_beside, EnvContext};
use std::time::SystemTime;

use crate::args::{CheckArgs, TextFormat};
use crate::failure::Failure;
use crate::findings;

pub fn run(args: CheckArgs) -> Result<ExitCode, Failure> {
    let stack = super::load_optional_stack(&args.stack)?;
    let no_file = |p: &std::path::Path| Failure::Error(format!("{}: no such file", p.display()));
    let doc =
        super::crypt::read_env(&args.env, &args.identity)?.ok_or_else(|| no_file(&args.env))?;
    // A template named is required; the one beside the .env is optional.
    let example_path = args
        .template
        .clone()
        .unwrap_or_else(|| template_beside(&args.env));
    let example = super::read_env(&example_path)?;
    if example.is_none() && args.template.is_some() {
        return Err(no_file(&example_path));
    }
    let found = check_env(&EnvContext {
        path: &args.env,
        doc: &doc,
        stack: stack.as_ref(),
        example: example.as_ref(),
        example_path: example.as_ref().map(|_| example_path.as_path()),
        now: SystemTime::now(),
    });
    let out = match args.format {
        TextFormat::Text => findings::text(&found),
        TextFormat::Json => format!("{:#}\n", secrets_core::report::to_json(&found)),
    };
    crate::output::print(&out)?;
    Ok(findings::exit_code(&found, args.fail_on))
}
