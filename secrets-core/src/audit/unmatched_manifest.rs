//! SA018: a manifest given to `audit` describes no `.env` the walk found,
//! so none of its check rules ran. Said, never skipped in silence: the file
//! may be missing, or the audited path may spell its directory differently
//! (through a symbolic link) from the manifest's.

use std::path::PathBuf;

use crate::check::{Finding, Rule, RuleId, Severity};
use crate::stack::Stack;

pub static RULE: Rule = Rule {
    id: RuleId::ManifestUnmatched,
    name: "manifest-unmatched",
    severity: Severity::Medium,
    summary: "A manifest given to audit describes no .env under the audited paths",
    help: "audit the directory that holds the stack's .env by the same path as the manifest's, or name its files in `[stack] env_files`",
};

pub fn finding(stack: &Stack) -> Finding {
    let dir = stack.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let names: Vec<String> = (stack.env_files.iter())
        .map(|f| dir.join(f).display().to_string())
        .collect();
    Finding::new(
        &RULE,
        &dir,
        None,
        None,
        format!(
            "the manifest of stack \"{}\" describes no .env found under the audited paths ({}); its check rules did not run",
            stack.name,
            names.join(", ")
        ),
    )
}
