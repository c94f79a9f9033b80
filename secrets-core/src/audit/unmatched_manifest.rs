//! SA018: a manifest given to `audit` describes no `.env` the walk found,
//! so none of its check rules ran. Said, never skipped in silence: the file
//! may be missing, or the audited path may spell its directory differently
//! (through a symbolic link) from the manifest's.

use std::path::Path;

use crate::check::{Finding, Rule, RuleId, Severity};
use crate::stack::Stack;

pub static RULE: Rule = Rule {
    id: RuleId::ManifestUnmatched,
    name: "manifest-unmatched",
    severity: Severity::Medium,
    summary: "A manifest given to audit describes no .env under the audited paths",
    help: "audit the directory that holds the stack's .env by the same path as the manifest's, or name its files in `[stack] env_files`",
};

pub fn finding(stack: &Stack, dir: &Path) -> Finding {
    let names: Vec<String> = (stack.env_files.iter())
        .map(|f| dir.join(f).display().to_string())
        .collect();
    Finding::new(
        &RULE,
        dir,
        None,
        None,
        format!(
            "the manifest of stack \"{}\" describes no .env found under the audited paths ({}); its check rules did not run",
            stack.name,
            names.join(", ")
        ),
    )
}

pub static RULE_NONE: Rule = Rule {
    id: RuleId::NoEnvChecked,
    name: "no-env-checked",
    severity: Severity::High,
    summary: "Manifests were given to audit, but none describes a .env under the audited paths: no value was checked",
    help: "audit the directory that holds the stack's .env by the same path as the manifest's, or name its files in `[stack] env_files`",
};

/// SA022: manifests were given, and not one `.env` the walk found matched
/// any of them, so no value was checked at all. High: a gate that asked
/// for the values to be checked must not pass on a run that checked none.
pub fn none_checked(root: &Path, manifests: usize) -> Finding {
    Finding::new(
        &RULE_NONE,
        root,
        None,
        None,
        format!(
            "{manifests} manifest(s) given, but none describes a .env found under the audited paths: no value was checked"
        ),
    )
}
