//! Compose file secrets: one file per secret under a directory, written by
//! the secure writer. Plain compose bind-mounts the host file and ignores the
//! service's uid/gid/mode, so the host file's owner and mode are what the
//! container sees.

use std::path::{Path, PathBuf};

use super::{target_name, ExportError, Exported};
use crate::secure_file::{Change, SecureFile, WriteError, WriteOptions};

/// What was written.
#[derive(Debug)]
pub struct ComposeExport {
    /// Files written, by key.
    pub files: Vec<(String, PathBuf)>,
    /// The `secrets:` YAML for the compose file.
    pub yaml: String,
    /// The `_FILE` variables images need to read their secrets from files.
    pub file_env: Vec<String>,
    /// What changed in each key's file (with a dry run, what would), in
    /// the order of `files`.
    pub changes: Vec<Vec<Change>>,
}

/// Writes each value to `dir/<key in lower case>` with `options`; a changed
/// value replaces its file atomically.
pub fn export(
    exported: &[Exported],
    dir: &Path,
    options: &WriteOptions,
    dry_run: bool,
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
    let mut changes = Vec::new();
    let mut yaml = String::from("secrets:\n");
    for e in exported {
        let path = dir.join(target_name(&e.key));
        // Every byte is the .env's value (an existing file is kept only
        // when identical), so a file of root's may be given to the owner.
        let mut options = options.clone().adopting_existing();
        // A dry run creates no directory: a missing one is reported.
        options.mkdir &= !dry_run;
        let file = match SecureFile::open(&path, options) {
            Err(WriteError::MissingParent(parent)) if dry_run => {
                changes.push(vec![Change::CreatedDirectory(parent), Change::Created]);
                push_yaml(&mut yaml, &e.key, &path);
                files.push((e.key.clone(), path));
                continue;
            }
            opened => opened?,
        };
        let mut done: Vec<Change> = file.created_directory().into_iter().collect();
        let file = match dry_run {
            true => file.lock_to_inspect()?,
            false => file.lock()?,
        };
        // Unchanged content is not rewritten, but owner and mode still are enforced.
        let same = file
            .read()?
            .is_some_and(|old| &old[..] == e.value.expose().as_bytes());
        done.extend(match (same, dry_run) {
            (true, true) => file.planned_enforce()?,
            (true, false) => file.enforce()?,
            (false, true) => file.planned_replace()?,
            (false, false) => vec![file.replace(e.value.expose().as_bytes())?],
        });
        changes.push(done);
        push_yaml(&mut yaml, &e.key, &path);
        files.push((e.key.clone(), path));
    }
    Ok(ComposeExport {
        files,
        yaml,
        file_env: Vec::new(),
        changes,
    })
}

/// The compose `secrets:` entry of one file.
fn push_yaml(yaml: &mut String, key: &str, path: &Path) {
    yaml.push_str(&format!(
        "  {}:\n    file: {}\n",
        target_name(key),
        path.display()
    ));
}
