//! SC009: one secret value under two names that are not declared aliases.

use std::collections::BTreeMap;

use super::{EnvCheck, EnvContext, Finding, Rule, RuleId, Severity};
use crate::manifest::Source;

pub struct Reused;

static RULE: Rule = Rule {
    id: RuleId::ReusedValue,
    name: "reused-value",
    severity: Severity::Medium,
    summary: "The same secret value is used under two names that are not declared aliases",
    help: "give each its own value, or declare the alias with `same_as` in the manifest",
};

/// The variable a `same_as` chain ends at.
fn root<'a>(cx: &'a EnvContext<'_>, mut name: &'a str) -> &'a str {
    for _ in 0..64 {
        match cx.stack.and_then(|s| s.var(name)).map(|v| &v.source) {
            Some(Source::SameAs(other)) => name = other,
            _ => break,
        }
    }
    name
}

impl EnvCheck for Reused {
    fn rule(&self) -> &'static Rule {
        &RULE
    }

    fn run(&self, cx: &EnvContext<'_>, out: &mut Vec<Finding>) {
        let mut seen: BTreeMap<&str, (&str, usize)> = BTreeMap::new();
        for (line, key, value) in super::secret_entries(cx) {
            if value.len() < 8 || super::is_placeholder(value) {
                continue;
            }
            // `NAME_PREVIOUS` keeps an old value on purpose during a rollover.
            if key.ends_with(crate::rotate::PREVIOUS_SUFFIX) {
                continue;
            }
            match seen.get(value) {
                Some((first, _)) if root(cx, first) == root(cx, key) => {}
                Some((first, _)) => out.push(Finding::new(
                    &RULE,
                    cx.path,
                    Some(line),
                    Some(key),
                    format!(
                        "{key} has the same value as {first}, and they are not declared aliases"
                    ),
                )),
                None => {
                    seen.insert(value, (key, line));
                }
            }
        }
    }
}
