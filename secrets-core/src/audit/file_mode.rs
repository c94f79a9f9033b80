//! SA001: a secret file that gives its group or others any access.

use super::walk::SecretFile;
use crate::check::{Finding, Fix, Rule, RuleId, Severity};

pub static RULE: Rule = Rule {
    id: RuleId::FilePermissions,
    name: "file-permissions",
    severity: Severity::High,
    summary: "A secret file gives its group or others access",
    help: "chmod 600 FILE (--fix does it)",
};

pub fn run(file: &SecretFile, out: &mut Vec<Finding>) {
    if file.mode & 0o077 == 0 {
        return;
    }
    let name = file.path.display();
    let who = match (file.mode & 0o070 != 0, file.mode & 0o007 != 0) {
        (true, true) => "its group and others",
        (true, false) => "its group",
        _ => "others",
    };
    let finding = Finding::new(
        &RULE,
        &file.path,
        None,
        None,
        format!("{name} has mode {:04o}: {who} can access it", file.mode),
    );
    let owner_bits = if file.mode & 0o700 == 0 {
        0o600
    } else {
        file.mode & 0o700
    };
    out.push(finding.with_fix(Fix::Chmod {
        path: file.path.clone(),
        mode: owner_bits,
    }));
}
