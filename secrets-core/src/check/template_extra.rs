//! SC016: a key of the file that its template does not name: a typo, or a
//! template out of date for whoever deploys next.

use std::collections::HashSet;

use super::{EnvCheck, EnvContext, Finding, Rule, RuleId, Severity};

pub struct TemplateExtra;

static RULE: Rule = Rule {
    id: RuleId::TemplateKeyExtra,
    name: "template-key-extra",
    severity: Severity::Low,
    summary: "A key of the file is not in its template (.env.example or --template)",
    help: "add it to the template (with a placeholder value), or check its spelling",
};

/// Keys other tools add on purpose: `rotate --keep-previous` copies and
/// the public keys dotenvx writes.
fn expected_extra(template: &HashSet<&str>, key: &str) -> bool {
    key.strip_suffix(crate::rotate::PREVIOUS_SUFFIX)
        .is_some_and(|base| template.contains(base))
        || key.starts_with("DOTENV_PUBLIC_KEY")
}

impl EnvCheck for TemplateExtra {
    fn rule(&self) -> &'static Rule {
        &RULE
    }

    fn run(&self, cx: &EnvContext<'_>, out: &mut Vec<Finding>) {
        let Some(template) = cx.example else { return };
        let template_name = super::template_name(cx);
        let template: HashSet<&str> = template.all_keys().collect();
        let mut seen = HashSet::new();
        let lines = cx
            .doc
            .entries_with_lines()
            .map(|(l, e)| (l, e.key()))
            .chain(cx.doc.bare_keys());
        for (line, key) in lines {
            if !seen.insert(key) || template.contains(key) || expected_extra(&template, key) {
                continue;
            }
            out.push(Finding::new(
                &RULE,
                cx.path,
                Some(line),
                Some(key),
                format!("{key} is not in {template_name}"),
            ));
        }
    }
}
