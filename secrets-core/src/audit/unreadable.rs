//! SA013: a file the audit must read could not be opened, listed, read or
//! parsed. The gate fails closed: what it could not check is a finding,
//! never a pass.

use std::path::Path;

use crate::check::{Finding, Rule, RuleId, Severity};
use crate::safe_fs::FsError;

pub static RULE: Rule = Rule {
    id: RuleId::UnreadableFile,
    name: "unreadable-file",
    severity: Severity::High,
    summary: "A secret-bearing file (or a file the audit reads) could not be opened, read or parsed, so it was not checked",
    help: "make it a regular file the audit can read (no symlink, FIFO or device; within the size limit) and valid .env syntax",
};

/// A secret-bearing file that could not be checked (high).
pub fn secret(path: &Path, error: &FsError) -> Finding {
    Finding::new(
        &RULE,
        path,
        None,
        None,
        format!("{}; its checks did not run", crate::one_line(error)),
    )
}

/// A secret-bearing file that does not parse (high).
pub fn unparseable(path: &Path, line: Option<usize>, error: &str) -> Finding {
    Finding::new(
        &RULE,
        path,
        line,
        None,
        format!(
            "{}: does not parse ({error}); its checks did not run",
            path.display()
        ),
    )
}

/// A compose file, Dockerfile, template or ignore file that could not be
/// read: the rules that look into it did not run (medium).
pub fn input(path: &Path, error: &FsError) -> Finding {
    Finding::new(
        &RULE,
        path,
        None,
        None,
        format!(
            "{}; the rules that read it did not run",
            crate::one_line(error)
        ),
    )
    .with_severity(Severity::Medium)
}

/// A directory that could not be listed: its files were not audited (high).
pub fn directory(path: &Path, error: &std::io::Error) -> Finding {
    Finding::new(
        &RULE,
        path,
        None,
        None,
        format!(
            "{}: cannot list the directory: {error}; the files in it were not audited",
            path.display()
        ),
    )
}
