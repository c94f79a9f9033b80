//! SA010: a compose `environment:` entry with a secret-looking name and a
//! literal value instead of `${...}`: the secret lives in the compose file.

use std::path::Path;

use crate::check::{is_secret_name, Finding, Rule, RuleId, Severity};
use crate::compose_text::entries_under;

pub static RULE: Rule = Rule {
    id: RuleId::ComposeLiteralSecret,
    name: "compose-literal-secret",
    severity: Severity::High,
    summary: "A compose file gives a secret-looking environment variable a literal value",
    help: "write NAME: ${NAME} and keep the value in the .env (or use secrets:)",
};

pub fn run(compose: &Path, text: &str, out: &mut Vec<Finding>) {
    for item in entries_under(text, "environment") {
        let (name, value) = match (item.text.split_once('='), item.text.split_once(':')) {
            (Some((n, v)), None) => (n, v),
            (None, Some((n, v))) => (n, v),
            (Some((n1, v1)), Some((n2, v2))) => {
                if n1.len() < n2.len() {
                    (n1, v1)
                } else {
                    (n2, v2)
                }
            }
            (None, None) => continue,
        };
        let (name, value) = (name.trim(), value.trim().trim_matches(['"', '\'']));
        if value.is_empty() || value.contains('$') || !is_secret_name(name) {
            continue;
        }
        let message = format!(
            "{} line {}: {name} has a literal value instead of ${{{name}}}",
            compose.display(),
            item.line
        );
        out.push(Finding::new(
            &RULE,
            compose,
            Some(item.line),
            Some(name),
            message,
        ));
    }
}
