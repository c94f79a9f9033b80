//! SA015: a compose file names a file (`env_file:`, `secrets: file:`)
//! outside the audited tree, or reached through a symbolic link. Such a
//! file is neither read nor fixed: a compose file in a shared tree must not
//! steer the audit (or `--fix`, run as root) to a file elsewhere on the host.

use std::path::Path;

use crate::check::{Finding, Rule, RuleId, Severity};

pub static RULE: Rule = Rule {
    id: RuleId::OutsideReference,
    name: "outside-reference",
    severity: Severity::High,
    summary: "A compose file names a secret file outside the audited tree or through a symbolic link",
    help: "keep the stack's secret files beneath its directory, named without symlinks, and audit that directory",
};

/// The finding for `named` (as written in `compose` at `line`).
pub fn finding(compose: &Path, line: usize, named: &Path, why: &str) -> Finding {
    Finding::new(
        &RULE,
        compose,
        Some(line),
        None,
        format!(
            "{} line {line}: {} is not audited or fixed: {why}",
            compose.display(),
            named.display()
        ),
    )
}

/// The finding counting the `more` references of `compose` past the most
/// reported one by one (each of them unread and unfixed too).
pub fn more(compose: &Path, more: usize) -> Finding {
    Finding::new(
        &RULE,
        compose,
        None,
        None,
        format!(
            "{}: {more} more references are not audited or fixed (outside the audited tree, through a symbolic link, or unreadable); only the first {} are reported one by one",
            compose.display(),
            super::walk::REFERENCE_FINDINGS
        ),
    )
}
