//! Export to orchestrators' secret stores: Docker Swarm (through the docker
//! CLI, values on stdin), Compose file secrets (one private file per secret)
//! and Kubernetes `Secret` manifests.

pub mod compose;
pub mod k8s;
mod operation;
pub mod swarm;

pub use operation::{export_env, Destination, ExportReport, ExportRequest, Outcome};
pub use swarm::DockerError;

use crate::envfile::Document;
use crate::manifest::Source;
use crate::stack::Stack;
use crate::SecretValue;

/// A value to export, with what its image needs to read it from a file.
#[derive(Debug, Clone)]
pub struct Exported {
    /// The variable.
    pub key: String,
    /// Its value.
    pub value: SecretValue,
    /// The `_FILE` variable its image reads (from the catalog), if any.
    pub file_env: Option<String>,
}

/// An export that cannot be done. Names keys and objects, never values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// A key asked for is not in the file.
    #[error("{key} is not in the file{}", crate::suggest::did_you_mean(.suggestion))]
    NotInFile {
        /// The key asked for.
        key: String,
        /// The file's key closest to it ([`crate::suggest::closest`]).
        suggestion: Option<String>,
    },
    /// A name the orchestrator would refuse.
    #[error("{0}")]
    InvalidName(String),
    /// A value over the orchestrator's size limit or empty.
    #[error("{key}: {why}")]
    Size {
        /// The key.
        key: String,
        /// What is wrong.
        why: String,
    },
    /// The docker CLI could not be run or failed.
    #[error(transparent)]
    Docker(#[from] DockerError),
    /// Some secrets were created before a failure; services were not rewired.
    #[error("{error}; created before the failure: {}; no service was changed", created.join(", "))]
    Partial {
        /// Names created.
        created: Vec<String>,
        /// The failure.
        error: Box<ExportError>,
    },
    /// Writing a file failed.
    #[error(transparent)]
    Write(#[from] crate::secure_file::WriteError),
    /// The `.env` could not be read.
    #[error(transparent)]
    Read(#[from] crate::keys::ReadEnvError),
    /// The `.env` does not exist.
    #[error("{}: no such file", .0.display())]
    NoFile(std::path::PathBuf),
    /// The `.env` holds no secret value to export.
    #[error("{}: no secret values to export", .path.display())]
    NoValues {
        /// The file.
        path: std::path::PathBuf,
        /// Keys left out because they are empty.
        left_empty: Vec<String>,
    },
}

/// What [`select`] chose from a file.
#[derive(Debug, Default)]
pub struct Selection {
    /// The values to export, in file order.
    pub values: Vec<Exported>,
    /// Keys that would be exported but are empty in the file (an external
    /// value nobody has set yet), in file order: no orchestrator stores an
    /// empty secret, and a caller says which were left out.
    pub left_empty: Vec<String>,
}

/// The secret values of a file: with a manifest, every variable that is not a
/// literal; without one, every value. Empty ones are left out and named in
/// [`Selection::left_empty`]. `keys` narrows the selection.
pub fn select(
    doc: &Document,
    stack: Option<&Stack>,
    keys: &[String],
) -> Result<Selection, ExportError> {
    for k in keys {
        if doc.get(k).is_none() {
            return Err(ExportError::NotInFile {
                key: k.clone(),
                suggestion: crate::suggest::closest(k, doc.keys()),
            });
        }
    }
    let mut out = Selection::default();
    let mut seen = std::collections::HashSet::new();
    for e in doc.entries().collect::<Vec<_>>().into_iter().rev() {
        let key = e.key();
        if !seen.insert(key.to_owned()) || (!keys.is_empty() && !keys.iter().any(|k| k == key)) {
            continue; // the last assignment wins, once
        }
        let var = stack.and_then(|s| s.var(key));
        let secret = match var.map(|v| &v.source) {
            Some(Source::Literal(_)) => false,
            Some(_) => true,
            None => stack.is_none() || !keys.is_empty(),
        };
        if !secret {
            continue;
        }
        if e.value().is_empty() {
            out.left_empty.push(key.to_owned());
        } else {
            out.values.push(Exported {
                key: key.to_owned(),
                value: e.value().clone(),
                file_env: var.and_then(|v| v.file_env.clone()),
            });
        }
    }
    out.values.reverse();
    out.left_empty.reverse();
    Ok(out)
}

/// The in-container name of a key: lower case, as `/run/secrets/<target>`.
pub fn target_name(key: &str) -> String {
    key.to_ascii_lowercase()
}

/// The `_FILE` lines an image needs to read its secrets from files.
pub fn file_env_lines(exported: &[Exported], dir: &str) -> Vec<String> {
    exported
        .iter()
        .filter_map(|e| {
            e.file_env
                .as_ref()
                .map(|f| format!("{f}={dir}/{}", target_name(&e.key)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_left_out_and_named() {
        let doc = Document::parse(b"A=1\nB=\nC=x\nB=\nLIT=\n").unwrap();
        let s = select(&doc, None, &[]).unwrap();
        let keys: Vec<&str> = s.values.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["A", "C"]);
        assert_eq!(s.left_empty, ["B", "LIT"]);
        // With a manifest, a literal is no secret: not named when empty.
        let stack = Stack::from_manifest(
            crate::manifest::ManifestFile::parse(
                "m.toml",
                "[vars.A]\nkind = \"password\"\n[vars.B]\nexternal = true\n[vars.LIT]\nvalue = \"\"\n",
            )
            .unwrap(),
        )
        .unwrap();
        let s = select(&doc, Some(&stack), &[]).unwrap();
        assert_eq!(s.left_empty, ["B"]);
        let keys: Vec<&str> = s.values.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["A"]);
    }
}
