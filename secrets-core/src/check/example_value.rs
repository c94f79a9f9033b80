//! SC006: a secret equal to the value in the sibling `.env.example`.

use super::{EnvCheck, EnvContext, Finding, Rule, RuleId, Severity};

pub struct ExampleValue;

static RULE: Rule = Rule {
    id: RuleId::ExampleValue,
    name: "example-value",
    severity: Severity::High,
    summary: "A secret equals the value in the .env.example beside it",
    help: "rotate it: `secrets rotate KEY`; example files are public",
};

impl EnvCheck for ExampleValue {
    fn rule(&self) -> &'static Rule {
        &RULE
    }

    fn run(&self, cx: &EnvContext<'_>, out: &mut Vec<Finding>) {
        let Some(example) = cx.example else { return };
        for (line, key, value) in super::secret_entries(cx) {
            if !value.is_empty() && example.get(key).is_some_and(|v| v.expose() == value) {
                out.push(Finding::new(
                    &RULE,
                    cx.path,
                    Some(line),
                    Some(key),
                    format!("{key} is the value from {}", super::template_name(cx)),
                ));
            }
        }
    }
}
