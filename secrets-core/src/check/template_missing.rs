//! SC015: a key of the template (the `.env.example` beside the file, or
//! `check --template`) that the file does not name: high for a secret, which
//! Compose would then read as empty; low for a setting, which usually has a
//! default.

use std::collections::HashSet;

use super::{EnvCheck, EnvContext, Finding, Rule, RuleId, Severity};

pub struct TemplateMissing;

static RULE: Rule = Rule {
    id: RuleId::TemplateKeyMissing,
    name: "template-key-missing",
    severity: Severity::High,
    summary:
        "A key of the template (.env.example or --template) is not in the file (low for a setting)",
    help: "add it (`secrets write` adds manifest variables), or drop it from the template",
};

impl EnvCheck for TemplateMissing {
    fn rule(&self) -> &'static Rule {
        &RULE
    }

    fn run(&self, cx: &EnvContext<'_>, out: &mut Vec<Finding>) {
        let Some(template) = cx.example else { return };
        let template_name = super::template_name(cx);
        let mut seen: HashSet<&str> = cx.doc.all_keys().collect();
        for key in template.all_keys() {
            // In the file, or reported already.
            if !seen.insert(key) {
                continue;
            }
            // SC001 already reports a manifest variable that is absent.
            if cx.stack.and_then(|s| s.var(key)).is_some() {
                continue;
            }
            let finding = Finding::new(
                &RULE,
                cx.path,
                None,
                Some(key),
                format!("{key} is in {template_name} but not in the file"),
            );
            out.push(if super::is_secret_key(cx.stack, key) {
                finding
            } else {
                finding.with_severity(Severity::Low)
            });
        }
    }
}
