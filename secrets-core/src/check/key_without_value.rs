//! SC014: a `KEY` line without `=`. Compose and `docker run --env-file` take
//! the value from the environment they run in, python-dotenv reads no
//! value, npm dotenv and dotenvx skip the line, and dotenvy stops with an
//! error: the file no longer says what the value is.

use super::{EnvCheck, EnvContext, Finding, Rule, RuleId, Severity};

pub struct KeyWithoutValue;

static RULE: Rule = Rule {
    id: RuleId::KeyWithoutValue,
    name: "key-without-value",
    severity: Severity::Low,
    summary:
        "A key without `=` takes its value from the host environment, or none (medium for a secret)",
    help: "write `KEY=value` (or `KEY=` for an empty value), or remove the line",
};

impl EnvCheck for KeyWithoutValue {
    fn rule(&self) -> &'static Rule {
        &RULE
    }

    fn run(&self, cx: &EnvContext<'_>, out: &mut Vec<Finding>) {
        for (line, key) in cx.doc.bare_keys() {
            let finding = Finding::new(
                &RULE,
                cx.path,
                Some(line),
                Some(key),
                format!(
                    "{key} has no `=`: Compose and docker run take it from their environment, python-dotenv reads no value, npm dotenv and dotenvx skip it, dotenvy fails"
                ),
            );
            // A secret then lives wherever compose happens to run.
            out.push(if super::is_secret_key(cx.stack, key) {
                finding.with_severity(Severity::Medium)
            } else {
                finding
            });
        }
    }
}
