//! A file that is a secret file only because a compose file names it
//! (`env_file:`, `secrets: file:`): it is audited like any other, but a
//! reference may only direct `--fix` to a file its author could change.
//! Whoever can write a compose file in a shared tree must not steer root's
//! chmod and chown to another project's files, nor have a public file made
//! private (an outage) by naming it. So a named file keeps its findings,
//! and their fixes only when its directory belongs to the owner of the
//! file that named it and it is shaped like a secret file; otherwise each
//! finding says what to do by hand.

use std::path::{Path, PathBuf};

use crate::check::Finding;
use crate::safe_fs::OpenFile;

/// Who named a file, where, and whether `--fix` may act on it.
#[derive(Debug, Clone)]
pub struct Reference {
    /// The file that named it (a compose file).
    pub by: PathBuf,
    /// The line there.
    pub line: usize,
    /// Why `--fix` may not act on it, when it may not.
    pub unfixable: Option<String>,
}

/// The reference to `file` (opened beneath the root, in a directory owned
/// by `dir_uid`) made by `by` at `line`, a file owned by `author`.
pub fn judge(
    by: &Path,
    line: usize,
    author: u32,
    dir_uid: u32,
    file: &OpenFile,
    rel: &Path,
) -> Reference {
    let named = format!("{} names it (line {line})", by.display());
    let unfixable = if dir_uid != author {
        Some(format!(
            "{named}, a file of uid {author}, but its directory belongs to uid {dir_uid}: a reference may only direct fixes to files its author could change"
        ))
    } else if !shaped_like_a_secret(rel, file) {
        Some(format!(
            "{named}, but it is neither named nor shaped like a secret file (no .env name, no secret key, no private key): a file others may need is changed by hand only"
        ))
    } else {
        None
    };
    Reference {
        by: by.to_owned(),
        line,
        unfixable,
    }
}

/// Whether a named file is a secret file by its name (`.env`-like, a
/// secret word, a key, not source code in `secrets/`) or its content (an age file, a private key,
/// a `.env` with a secret key). Only the head within the `.env` limit is
/// read, through the handle already open.
fn shaped_like_a_secret(rel: &Path, file: &OpenFile) -> bool {
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let stem = name.split('.').next().unwrap_or_default();
    if name.contains(".env")
        || name.ends_with("env")
        || crate::check::is_secret_name(stem)
        || super::scope::is_key_name(&name)
        || (super::scope::in_secrets_dir(rel) && !super::scope::is_source_name(&name))
    {
        return true;
    }
    let len = usize::try_from(file.len().min(crate::safe_fs::limits::ENV)).unwrap_or(0);
    let Ok(head) = file.read_prefix(len) else {
        return false;
    };
    crate::crypt::is_encrypted(&head)
        || head.windows(16).any(|w| w == b"PRIVATE KEY-----")
        || crate::envfile::Document::parse(&head)
            .is_ok_and(|doc| doc.keys().any(crate::check::is_secret_name))
}

/// Takes the fix off each finding on a file whose reference may not direct
/// one, saying in the message what to do by hand.
pub fn withhold_fixes<'a>(findings: &mut [Finding], unfixable: impl Fn(&Path) -> Option<&'a str>) {
    for f in findings.iter_mut() {
        let Some(why) = unfixable(&f.path) else {
            continue;
        };
        let Some(fix) = f.fix.take() else { continue };
        f.message = format!(
            "{}; not fixed: {why}; by hand, if right: {}",
            f.message,
            fix.command()
        );
        f.help = std::borrow::Cow::Owned(format!("by hand, if right: {}", fix.command()));
    }
}
