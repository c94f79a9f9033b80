//! `audit --fix`: the safe repairs only (chmod, chown, ignore-file lines).
//! Values and git history are never touched.
//!
//! Every repair goes through the audited tree's root handle: the file is
//! opened beneath the root with no symlink on the way, must be a regular
//! file with one link (or a directory) owned by root, the caller or the
//! expected owner, and is changed through that handle. Anything else is
//! refused and its finding stays.

use std::ffi::OsStr;
use std::path::Path;

use super::walk::Tree;
use crate::check::{Finding, Fix};
use crate::safe_fs::{limits, FsError, Trust};
use crate::secure_file::Owner;

/// A repair made, or one that failed, described in one line.
#[derive(Debug)]
pub struct Applied {
    /// What was done, or attempted.
    pub description: String,
    /// The error, when it failed, with its `io::Error` when there is one.
    pub error: Option<FsError>,
}

/// Applies the fixes of `findings`, each once, within `trees`. `owner` is
/// the audit's expected owner: files it owns may be repaired too. With
/// `dry_run`, every file is opened and checked as for the repair, and
/// nothing is changed: what would fail says so.
pub(crate) fn apply_fixes(
    trees: &[Tree],
    findings: &[Finding],
    owner: Option<Owner>,
    dry_run: bool,
) -> Vec<Applied> {
    let trust = Trust::with_owner(owner.and_then(|o| o.uid));
    let mut done: Vec<&Fix> = Vec::new();
    let mut out = Vec::new();
    for fix in findings.iter().filter_map(|f| f.fix.as_ref()) {
        if done.contains(&fix) {
            continue;
        }
        done.push(fix);
        let description = fix.command();
        let result = match fix {
            Fix::Chmod { path, mode } => {
                within(trees, path).and_then(|(t, rel)| chmod(t, rel, *mode, &trust, dry_run))
            }
            Fix::Chown { path, uid, gid } => {
                within(trees, path).and_then(|(t, rel)| chown(t, rel, *uid, *gid, &trust, dry_run))
            }
            Fix::Ignore { file, pattern } => {
                within(trees, file).and_then(|(t, rel)| append_line(t, rel, pattern, dry_run))
            }
        };
        out.push(Applied {
            description,
            error: result.err(),
        });
    }
    out
}

/// The tree `path` lies beneath (lexically), and `path` relative to it.
fn within<'a>(trees: &'a [Tree], path: &'a Path) -> Result<(&'a Tree, &'a Path), FsError> {
    trees
        .iter()
        .filter_map(|t| t.relative(path).map(|rel| (t, rel)))
        .find(|(_, rel)| !rel.starts_with(".."))
        .ok_or_else(|| FsError::Outside(path.to_owned()))
}

fn missing(path: &Path) -> FsError {
    FsError::Io {
        path: path.to_owned(),
        op: "open",
        source: std::io::ErrorKind::NotFound.into(),
    }
}

fn chmod(tree: &Tree, rel: &Path, mode: u32, trust: &Trust, dry_run: bool) -> Result<(), FsError> {
    let f = tree.open(rel)?.ok_or_else(|| missing(rel))?;
    let f = if f.stat().st_mode & 0o170000 == 0o040000 {
        if !trust.trusts(f.uid()) {
            return Err(FsError::ForeignOwner {
                uid: f.uid(),
                path: f.path().to_owned(),
            });
        }
        f
    } else {
        f.require_changeable(trust)?
    };
    if dry_run {
        return Ok(());
    }
    f.chmod(mode)
}

fn chown(
    tree: &Tree,
    rel: &Path,
    uid: Option<u32>,
    gid: Option<u32>,
    trust: &Trust,
    dry_run: bool,
) -> Result<(), FsError> {
    let f = tree
        .open(rel)?
        .ok_or_else(|| missing(rel))?
        .require_changeable(trust)?;
    // A file of someone else's in a directory the new owner controls may
    // have been renamed there by that owner (root's `.env` taken from
    // another project): handing it over would give them its values.
    if let Some(new_owner) = uid.filter(|&u| u != f.uid()) {
        let dir = tree.dir(rel.parent().unwrap_or(Path::new("")))?;
        if dir.is_some_and(|d| d.uid() == new_owner) {
            return Err(FsError::UnsafeDirectory {
                dir: f.path().to_owned(),
                reason: format!(
                    "belongs to uid {}, in a directory uid {new_owner} owns, who could have moved it there from elsewhere",
                    f.uid()
                ),
                hint: "; check what it holds, then chown it by hand",
            });
        }
    }
    if dry_run {
        return Ok(());
    }
    let mode = f.mode();
    f.chown(uid, gid).map_err(|source| FsError::Io {
        path: f.path().to_owned(),
        op: "chown",
        source,
    })?;
    // chown clears set-id bits; keep the permission bits as they were.
    f.chmod(mode & 0o777)
}

/// Appends `line` to the ignore file `rel` unless it is already there. An
/// existing file must be a regular file with one link (never a symlink,
/// FIFO or device); a missing one is created `O_EXCL` beside the others,
/// owned like its directory.
fn append_line(tree: &Tree, rel: &Path, line: &str, dry_run: bool) -> Result<(), FsError> {
    debug_assert!(!line.contains('\n'), "patterns are one line");
    let dir_rel = rel.parent().unwrap_or(Path::new(""));
    let name = rel.file_name().unwrap_or(OsStr::new(""));
    let dir = tree.dir(dir_rel)?.ok_or_else(|| missing(dir_rel))?;
    let existing = dir_rel.join(name);
    match tree.open_for_append(&existing)? {
        Some(f) => {
            // Anyone's ignore file may get a line; what matters is that it
            // is the one file it seems to be.
            let anyone = Trust::with_owner(Some(f.uid()));
            let f = f.require_changeable(&anyone)?;
            let text = read_through(&f)?;
            if String::from_utf8_lossy(&text)
                .lines()
                .any(|l| l.trim_end() == line)
            {
                return Ok(());
            }
            if dry_run {
                return Ok(());
            }
            let sep = if text.is_empty() || text.ends_with(b"\n") {
                ""
            } else {
                "\n"
            };
            f.write_all(format!("{sep}{line}\n").as_bytes())
        }
        None if dry_run => Ok(()),
        None => {
            let f = dir.create_new(name, 0o644)?;
            // The repository's owner keeps editing it.
            let _ = f.chown(Some(dir.uid()), Some(dir.gid()));
            f.chmod(0o644)?;
            f.write_all(format!("{line}\n").as_bytes())
        }
    }
}

/// Reads an ignore file through its read-write handle (the offset starts
/// at 0; appends go to the end whatever the offset).
fn read_through(f: &crate::safe_fs::OpenFile) -> Result<Vec<u8>, FsError> {
    let size = f.len();
    if size > limits::IGNORE {
        return Err(FsError::TooLarge {
            path: f.path().to_owned(),
            size,
            limit: limits::IGNORE,
        });
    }
    let mut buf = vec![0u8; usize::try_from(size).unwrap_or(0)];
    let mut filled = 0;
    while filled < buf.len() {
        match rustix::io::read(f.fd(), &mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => {
                return Err(FsError::Io {
                    path: f.path().to_owned(),
                    op: "read",
                    source: e.into(),
                })
            }
        }
    }
    buf.truncate(filled);
    Ok(buf)
}
