//! SC002: a secret that should have a value is empty.

use super::{EnvCheck, EnvContext, Finding, Rule, RuleId, Severity};
use crate::manifest::Source;

pub struct Empty;

static RULE: Rule = Rule {
    id: RuleId::EmptyValue,
    name: "empty-value",
    severity: Severity::High,
    summary: "A secret variable is set to an empty value",
    help: "remove the line and run `secrets write`, or `secrets rotate KEY` with a manifest",
};

impl EnvCheck for Empty {
    fn rule(&self) -> &'static Rule {
        &RULE
    }

    fn run(&self, cx: &EnvContext<'_>, out: &mut Vec<Finding>) {
        for (line, e) in cx.doc.entries_with_lines() {
            if !e.value().is_empty() {
                continue;
            }
            let applies = match cx.stack.and_then(|s| s.var(e.key())) {
                Some(v) => match v.source {
                    Source::External | Source::Literal(_) => false,
                    // Built from settings alone: a setting too.
                    Source::SameAs(_) | Source::Template(_) => {
                        super::is_secret_key(cx.stack, e.key())
                    }
                    _ => true,
                },
                None => super::is_secret_name(e.key()),
            };
            if applies {
                out.push(Finding::new(
                    &RULE,
                    cx.path,
                    Some(line),
                    Some(e.key()),
                    format!("{} is empty", e.key()),
                ));
            }
        }
    }
}
