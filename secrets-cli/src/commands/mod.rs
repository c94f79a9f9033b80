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
pub mod hash;
pub mod init;
pub mod man;
pub mod rotate;
pub mod run;
pub mod write;

use std::path::Path;

use secrets_core::manifest::{ManifestError, Namespace};
use secrets_core::stack::Stack;

use crate::args::StackArgs;
use crate::failure::Failure;

/// The stack named by `--manifest` and `--with`, or `./secrets.toml`.
pub fn load_stack(args: &StackArgs) -> Result<Stack, Failure> {
    let default = Path::new("secrets.toml");
    let manifest = match (&args.manifest, args.with.is_empty()) {
        (Some(path), _) => Some(path.as_path()),
        (None, true) if default.exists() => Some(default),
        (None, true) => {
            return Err(Failure::Error(
                "no ./secrets.toml here: pass --manifest FILE, or --with COMP,... to use catalog components (`secrets catalog` lists them)".into(),
            ))
        }
        (None, false) => None,
    };
    let stack = match manifest {
        Some(path) => {
            let mut file = secrets_core::manifest::ManifestFile::load(path).map_err(stack_error)?;
            file.include.extend(args.with.iter().map(|c| {
                (
                    c.clone(),
                    secrets_core::manifest::Origin {
                        file: "--with".into(),
                        line: 1,
                        col: 1,
                    },
                )
            }));
            Stack::from_manifest(file).map_err(stack_error)?
        }
        None => Stack::from_components("secrets", &args.with).map_err(stack_error)?,
    };
    Ok(stack)
}

/// A manifest error, with the CLI's hints: an unknown component from the
/// command line is placed at `--with`, and an unknown name with no close
/// known one points to the command that lists them.
pub fn stack_error(e: ManifestError) -> Failure {
    let ManifestError::Unknown {
        origin,
        namespace,
        name,
        suggestion,
    } = &e
    else {
        return Failure::from(e);
    };
    let place = if &*origin.file == "--with" || origin.is_argument() {
        "--with".to_owned()
    } else {
        origin.to_string()
    };
    let hint = match (suggestion, namespace) {
        (Some(s), _) => format!("; did you mean `{s}`?"),
        (None, Namespace::Component) => "; `secrets catalog` lists the components".to_owned(),
        (None, Namespace::Kind) => "; `secrets catalog` lists the kinds".to_owned(),
        (None, _) => String::new(),
    };
    Failure::Error(format!("{place}: unknown {namespace} `{name}`{hint}"))
}

/// The stack when one is named (or `./secrets.toml` exists); `None` lets a
/// command work from the file alone.
pub fn load_optional_stack(args: &StackArgs) -> Result<Option<Stack>, Failure> {
    if args.manifest.is_some() || !args.with.is_empty() || Path::new("secrets.toml").exists() {
        load_stack(args).map(Some)
    } else {
        Ok(None)
    }
}

/// Reads and parses a `.env` without following a symlink, within the size
/// limit; `None` when absent.
pub fn read_env(path: &Path) -> Result<Option<secrets_core::envfile::Document>, Failure> {
    use secrets_core::safe_fs::{limits, read_secret};
    let Some(bytes) = read_secret(path, limits::ENV)? else {
        return Ok(None);
    };
    let doc = secrets_core::envfile::Document::parse(&bytes)
        .map_err(|e| Failure::Error(format!("{}:{e}", path.display())))?;
    Ok(Some(doc))
}

/// The CLI's hint for a missing directory.
pub fn write_error(e: secrets_core::secure_file::WriteError) -> Failure {
    use secrets_core::secure_file::WriteError;
    match e {
        WriteError::MissingParent(_) => Failure::Error(format!("{e} (--mkdir creates it)")),
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
