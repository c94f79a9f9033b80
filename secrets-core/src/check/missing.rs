//! SC001: a variable of the manifest is not in the file.

use super::{EnvCheck, EnvContext, Finding, Rule, RuleId, Severity};

pub struct Missing;

static RULE: Rule = Rule {
    id: RuleId::MissingVariable,
    name: "missing-variable",
    severity: Severity::Medium,
    summary: "A variable the manifest declares is not in the file",
    help: "run `secrets write --out FILE` with the same manifest to append it",
};

impl EnvCheck for Missing {
    fn rule(&self) -> &'static Rule {
        &RULE
    }

    fn run(&self, cx: &EnvContext<'_>, out: &mut Vec<Finding>) {
        let Some(stack) = cx.stack else { return };
        for v in stack.vars() {
            if cx.doc.get(&v.name).is_none() {
                out.push(Finding::new(
                    &RULE,
                    cx.path,
                    None,
                    Some(&v.name),
                    format!("{} is declared in the manifest but not set", v.name),
                ));
            }
        }
    }
}
