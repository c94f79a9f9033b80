//! SC003: a value the operator must supply is still empty.

use super::{EnvCheck, EnvContext, Finding, Rule, RuleId, Severity};
use crate::manifest::Source;

pub struct ExternalUnset;

static RULE: Rule = Rule {
    id: RuleId::ExternalUnset,
    name: "external-unset",
    severity: Severity::Medium,
    summary: "A variable supplied by the operator (external) is still empty",
    help: "set it to the value from its provider (API console, mail account...)",
};

impl EnvCheck for ExternalUnset {
    fn rule(&self) -> &'static Rule {
        &RULE
    }

    fn run(&self, cx: &EnvContext<'_>, out: &mut Vec<Finding>) {
        let Some(stack) = cx.stack else { return };
        for v in stack
            .vars()
            .iter()
            .filter(|v| matches!(v.source, Source::External))
        {
            if cx.doc.get(&v.name).is_some_and(|val| val.is_empty()) {
                let line = super::line_of(cx.doc, &v.name);
                out.push(Finding::new(
                    &RULE,
                    cx.path,
                    line,
                    Some(&v.name),
                    format!("{} must be set by you and is empty", v.name),
                ));
            }
        }
    }
}
