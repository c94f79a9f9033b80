//! SA021: a compose file, Dockerfile or template that is another name (a
//! hard link) of one the audit already read. Each inode is read once per
//! run: the rules that depend on the content alone ran on the first name,
//! and this one refers to its findings instead of repeating them (a
//! thousand names of one large file would otherwise repeat its findings a
//! thousand times). Rules that depend on where a file is (a Dockerfile's
//! build context, the files a compose file names) still run for each name.

use std::path::Path;

use crate::check::{Finding, Rule, RuleId, Severity};

pub static RULE: Rule = Rule {
    id: RuleId::SameFile,
    name: "same-file",
    severity: Severity::Low,
    summary: "A file is another name (hard link) of one whose findings are reported under its first name",
    help: "fix the findings at the first name (a hard link shares every change made in place), or make this name a file of its own",
};

/// The finding for `path`, the same file as `first`, which had `count`
/// findings of at most `severity`.
pub fn finding(path: &Path, first: &Path, count: usize, severity: Severity) -> Finding {
    Finding::new(
        &RULE,
        path,
        None,
        None,
        format!(
            "{} is the same file as {} (one inode): its {count} finding{} of its content {} reported there",
            path.display(),
            first.display(),
            if count == 1 { "" } else { "s" },
            if count == 1 { "is" } else { "are" },
        ),
    )
    .with_severity(severity)
}
