//! Linking secrets-core into a deploy tool: load a manifest, generate every
//! value, and report names and lengths, never the values.
//!
//! Run: `cargo run -p secrets-examples --example generate_names -- examples/stacks/peakstone.toml`

use std::path::PathBuf;
use std::process::ExitCode;

use secrets_core::generate::os_rng;
use secrets_core::stack::{Existing, Stack};
use std::time::SystemTime;

fn main() -> ExitCode {
    let path: PathBuf = std::env::args_os()
        .nth(1)
        .map_or_else(|| "secrets.toml".into(), PathBuf::from);
    let stack = match Stack::load(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let resolved = match stack.resolve(&Existing::new(), &mut os_rng(), SystemTime::now()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    println!("stack {} ({} variables)", stack.name, stack.vars().len());
    for var in stack.vars() {
        match resolved.values.get(&var.name) {
            // `{value:?}` would print [REDACTED]; the length is not secret.
            Some(value) => println!(
                "  {:<32} {:>4} chars  [{}]",
                var.name,
                value.len(),
                var.component
            ),
            None => println!("  {:<32}  (set by the operator)", var.name),
        }
    }
    ExitCode::SUCCESS
}
