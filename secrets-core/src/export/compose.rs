//! Compose file secrets: one file per secret under a directory, written by
//! the secure writer. Plain compose bind-mounts the host file and ignores the
//! service's uid/gid/mode, so the host file's owner and mode are what the
//! container sees.

use std::path::{Path, PathBuf};

use super::{target_name, ExportError, Exported};
use crate::secure_file::{SecureFile, WriteOptions};

/// What was written.
#[derive(Debug)]
pub struct ComposeExport {
    /// Files written, by key.
    pub files: Vec<(String, PathBuf)>,
    /// The `secrets:` YAML for the compose file.
    pub yaml: String,
    /// The `_FILE` variables images need to read their secrets from files.
    pub file_env: Vec<String>,
}

/// Writes each value to `dir/<key in lower case>` with `options`; a changed
/// value replaces its file atomically.
pub fn export(
    exported: &[Exported],
    dir: &Path,
    options: &WriteOptions,
) -> Result<ComposeExport, ExportError> {
    // One file per key, named in lower case: two keys that differ only in
    // case would write one file twice.
    let mut seen = std::collections::BTreeMap::new();
    for e in exported {
        if let Some(other) = seen.insert(target_name(&e.key), &e.key) {
            return Err(ExportError::InvalidName(format!(
                "{other} and {} would both be written to {}; rename one",
                e.key,
                target_name(&e.key)
            )));
        }
    }
    let mut files = Vec::new();
    let mut yaml = String::from("secrets:\n");
    for e in exported {
        let path = dir.join(target_name(&e.key));
        // Every byte is the .env's value (an existing file is kept only
        // when identical), so a file of root's may be given to the owner.
        let file = SecureFile::open(&path, options.clone().adopting_existing())?;
        let file = file.lock()?;
        // Unchanged content is not rewritten, but owner and mode still are enforced.
        let same = file
            .read()?
            .is_some_and(|old| &old[..] == e.value.expose().as_bytes());
        if same {
            file.enforce()?;
        } else {
            file.replace(e.value.expose().as_bytes())?;
        }
        yaml.push_str(&format!(
            "  {}:\n    file: {}\n",
            target_name(&e.key),
            path.display()
        ));
        files.push((e.key.clone(), path));
    }
    Ok(ComposeExport {
        files,
        yaml,
        file_env: Vec::new(),
    })
}
