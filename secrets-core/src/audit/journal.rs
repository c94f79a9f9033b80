//! SA016: the journal of an interrupted `rotate --apply` is still there. It
//! holds old and new values and the whole new `.env`, and until it is
//! resumed the database and the `.env` may disagree.

use super::walk::{is_journal_name, SecretFile};
use crate::check::{Finding, Rule, RuleId, Severity};

pub static RULE: Rule = Rule {
    id: RuleId::RotationJournal,
    name: "rotation-journal",
    severity: Severity::Medium,
    summary: "The journal of an interrupted database rotation is still present",
    help: "run `secrets rotate --env FILE --resume` to finish or undo the rotation; it removes the journal",
};

pub fn run(file: &SecretFile, out: &mut Vec<Finding>) {
    let is_journal = file
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(is_journal_name);
    if is_journal {
        out.push(Finding::new(
            &RULE,
            &file.path,
            None,
            None,
            format!(
                "{}: an interrupted rotation left its journal (old and new values)",
                file.path.display()
            ),
        ));
    }
}
