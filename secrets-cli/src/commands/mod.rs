//! One module per subcommand.

pub mod audit;
pub mod catalog;
pub mod check;
pub mod completions;
pub mod crypt;
pub mod decrypt;
pub mod edit;
pub mod encrypt;
pub mod export;
pub mod generate;
pub mod get;
pub mod hash;
pub mod init;
pub mod man;
pub mod rotate;
pub mod run;
pub mod set;
pub mod write;

use std::path::Path;

use secrets_core::keys::parse_env;
use secrets_core::manifest::{ManifestError, Namespace};
use secrets_core::stack::Stack;
use secrets_core::stack_source::{StackSource, StackSourceError};

use crate::args::StackArgs;
use crate::failure::Failure;

fn source(args: &StackArgs) -> StackSource {
    let (manifest, components) = (args.manifest.clone(), args.with.clone());
    StackSource {
        manifest,
        components,
    }
}

/// The stack named by `--manifest` and `--with`, or `./secrets.toml`.
pub fn load_stack(args: &StackArgs) -> Result<Stack, Failure> {
    source(args).load().map_err(stack_error)
}

/// The stack when one is named (or `./secrets.toml` exists); `None` lets a
/// command work from the file alone.
pub fn load_optional_stack(args: &StackArgs) -> Result<Option<Stack>, Failure> {
    source(args).load_optional().map_err(stack_error)
}

/// A stack error, with the CLI's hints: an unknown component from the
/// command line is placed at `--with`, and an unknown name with no close
/// known one points to the command that lists them.
pub fn stack_error(e: impl Into<StackSourceError>) -> Failure {
    let e = match e.into() {
        StackSourceError::NoManifest => return Failure::Error("no ./secrets.toml here: pass --manifest FILE, or --with COMP,... to use catalog components (`secrets catalog` lists them)".into()),
        StackSourceError::Manifest(e) => e,
        e => return Failure::from(e),
    };
    let ManifestError::Unknown {
        origin,
        namespace,
        name,
        suggestion,
    } = &e
    else {
        return Failure::from(e);
    };
    let place = match origin.is_argument() {
        true => "--with".to_owned(),
        false => origin.to_string(),
    };
    let hint = match (suggestion, namespace) {
        (Some(s), _) => format!("; did you mean `{s}`?"),
        (None, Namespace::Component) => "; `secrets catalog` lists the components".to_owned(),
        (None, Namespace::Kind) => "; `secrets catalog` lists the kinds".to_owned(),
        (None, _) => String::new(),
    };
    Failure::Error(format!("{place}: unknown {namespace} `{name}`{hint}"))
}

/// Reads and parses a `.env` without following a symlink, within the size
/// limit; `None` when absent.
pub fn read_env(path: &Path) -> Result<Option<secrets_core::envfile::Document>, Failure> {
    use secrets_core::unstable::safe_fs::{limits, read_secret};
    let bytes = read_secret(path, limits::ENV)?;
    Ok(bytes.map(|b| parse_env(path, &b)).transpose()?)
}

/// The CLI's hint for a missing directory.
pub fn write_error(e: secrets_core::secure_file::WriteError) -> Failure {
    use secrets_core::secure_file::WriteError;
    match e {
        WriteError::MissingParent(_) => Failure::Error(format!("{e} (--mkdir creates it)")),
        // The library names its option; the command's is --owner.
        WriteError::ForeignOwner { path, uid } => Failure::Error(format!(
            "{}: is owned by uid {uid}, not by root, the caller or the requested owner (--owner); refusing to use it",
            path.display()
        )),
        e => Failure::from(e),
    }
}

/// Warns about values some readers will read differently (names, never values).
pub fn warn_disagreements(disagreements: &[secrets_core::envfile::render::Disagreement]) {
    for d in disagreements {
        let readers: Vec<String> = d.readers.iter().map(ToString::to_string).collect();
        crate::warn!(
            "secrets: warning: {} will be read differently by {}",
            d.name,
            readers.join(", ")
        );
    }
}
