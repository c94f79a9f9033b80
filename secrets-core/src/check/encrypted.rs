//! SC017: values encrypted by dotenvx (`encrypted:...`). Their plaintext is
//! not here, so no format, strength or staleness rule can look at them: one
//! note per file says so instead of a false finding per value.

use super::{EnvCheck, EnvContext, Finding, Rule, RuleId, Severity};
use crate::envfile::is_dotenvx_encrypted;

pub struct Encrypted;

static RULE: Rule = Rule {
    id: RuleId::DotenvxEncrypted,
    name: "dotenvx-encrypted",
    severity: Severity::Low,
    summary: "Values encrypted by dotenvx cannot be validated",
    help: "check the decrypted file (`dotenvx decrypt --stdout -f FILE > tmp`) to validate them; decrypt before `secrets rotate`",
};

impl EnvCheck for Encrypted {
    fn rule(&self) -> &'static Rule {
        &RULE
    }

    fn run(&self, cx: &EnvContext<'_>, out: &mut Vec<Finding>) {
        let encrypted: Vec<(usize, &str)> = cx
            .doc
            .entries_with_lines()
            .filter(|(_, e)| is_dotenvx_encrypted(e.value().expose()))
            .map(|(l, e)| (l, e.key()))
            .collect();
        let Some(&(first, _)) = encrypted.first() else {
            return;
        };
        let keys: Vec<&str> = encrypted.iter().map(|(_, k)| *k).collect();
        out.push(Finding::new(
            &RULE,
            cx.path,
            Some(first),
            None,
            format!(
                "{} value{} encrypted by dotenvx cannot be validated: {}",
                keys.len(),
                if keys.len() == 1 { "" } else { "s" },
                keys.join(", ")
            ),
        ));
    }
}
