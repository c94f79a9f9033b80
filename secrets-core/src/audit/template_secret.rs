//! SA012: a template (`.env.example`, ...) holding a real-looking secret: a
//! high-entropy value under a secret-looking name. Templates are public.

use std::path::Path;

use crate::check::{is_placeholder, is_secret_name, Finding, Rule, RuleId, Severity};
use crate::envfile::Document;

pub static RULE: Rule = Rule {
    id: RuleId::TemplateRealSecret,
    name: "template-real-secret",
    severity: Severity::Medium,
    summary: "An example or template file holds a real-looking secret",
    help: "replace it with a placeholder, and rotate the value wherever it is used",
};

/// At least this many guesses (log10) counts as real-looking (about 53 bits).
const REAL_GUESSES_LOG10: u32 = 16;

pub fn run(template: &Path, bytes: &[u8], out: &mut Vec<Finding>) {
    let doc = match Document::parse(bytes) {
        Ok(doc) => doc,
        Err(e) => {
            // A template the rule cannot read is not a pass.
            out.push(
                super::unreadable::unparseable(template, Some(e.line), &e.message)
                    .with_severity(Severity::Low),
            );
            return;
        }
    };
    for (line, e) in doc.entries_with_lines() {
        let v = e.value().expose();
        if v.len() < 12 || !is_secret_name(e.key()) || is_placeholder(v) {
            continue;
        }
        // Unknown (no zxcvbn built in) counts as real: fail closed.
        if !matches!(
            crate::strength::guesses(v, REAL_GUESSES_LOG10),
            crate::strength::Guesses::Under(_)
        ) {
            let message = format!(
                "{} line {line}: {} looks like a real secret in a template",
                template.display(),
                e.key()
            );
            out.push(Finding::new(
                &RULE,
                template,
                Some(line),
                Some(e.key()),
                message,
            ));
        }
    }
}
