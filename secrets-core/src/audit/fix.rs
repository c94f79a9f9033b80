//! `audit --fix`: the safe repairs only (chmod, chown, ignore-file lines).
//! Values and git history are never touched.

use std::fs::{OpenOptions, Permissions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

use crate::check::{Finding, Fix};

/// A repair made, or one that failed, described in one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// What was done, or attempted.
    pub description: String,
    /// The error, when it failed.
    pub error: Option<String>,
}

/// Applies the fixes of `findings`, each once.
pub fn apply_fixes(findings: &[Finding]) -> Vec<Applied> {
    let mut done: Vec<&Fix> = Vec::new();
    let mut out = Vec::new();
    for fix in findings.iter().filter_map(|f| f.fix.as_ref()) {
        if done.contains(&fix) {
            continue;
        }
        done.push(fix);
        let (description, result) = match fix {
            Fix::Chmod { path, mode } => (
                format!("chmod {mode:04o} {}", path.display()),
                std::fs::set_permissions(path, Permissions::from_mode(*mode)),
            ),
            Fix::Chown { path, uid, gid } => (
                format!(
                    "chown {}:{} {}",
                    uid.map_or("-".into(), |u| u.to_string()),
                    gid.map_or("-".into(), |g| g.to_string()),
                    path.display()
                ),
                std::os::unix::fs::lchown(path, *uid, *gid),
            ),
            Fix::Ignore { file, pattern } => (
                format!("add {pattern} to {}", file.display()),
                append_line(file, pattern),
            ),
        };
        out.push(Applied {
            description,
            error: result.err().map(|e| e.to_string()),
        });
    }
    out
}

/// Appends `line` to a text file unless it is already there.
fn append_line(file: &std::path::Path, line: &str) -> std::io::Result<()> {
    let mut f = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(0o644)
        .open(file)?;
    let mut text = String::new();
    f.read_to_string(&mut text)?;
    if text.lines().any(|l| l.trim() == line) {
        return Ok(());
    }
    let sep = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    writeln!(f, "{sep}{line}")
}
