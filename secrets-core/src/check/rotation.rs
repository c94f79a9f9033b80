//! SC012: a key older than its `rotate_after`.

use super::{EnvCheck, EnvContext, Finding, Rule, RuleId, Severity};
use crate::rotate::{last_rotated, STAMP_SKEW};

pub struct RotationOverdue;

static RULE: Rule = Rule {
    id: RuleId::RotationOverdue,
    name: "rotation-overdue",
    severity: Severity::Low,
    summary: "A key is older than its rotate_after, or its age is unknown (no `# rotated:` stamp, or one in the future)",
    help: "run `secrets rotate --due`",
};

impl EnvCheck for RotationOverdue {
    fn rule(&self) -> &'static Rule {
        &RULE
    }

    fn run(&self, cx: &EnvContext<'_>, out: &mut Vec<Finding>) {
        let Some(stack) = cx.stack else { return };
        for v in stack.vars() {
            let (Some(period), Some(line)) = (v.rotate_after, super::line_of(cx.doc, &v.name))
            else {
                continue;
            };
            let message = match last_rotated(cx.doc, &v.name) {
                None => format!(
                    "{} has no `# rotated:` stamp; its age is unknown (rotate_after {} days)",
                    v.name,
                    period.as_secs() / 86_400
                ),
                Some(t) if t > cx.now.saturating_add(STAMP_SKEW.as_secs()) => format!(
                    "{}'s `# rotated:` stamp is in the future, so its age is unknown (rotate_after {} days)",
                    v.name,
                    period.as_secs() / 86_400
                ),
                Some(t) if cx.now.saturating_sub(t) >= period.as_secs() => format!(
                    "{} was last rotated {} days ago (rotate_after {} days)",
                    v.name,
                    cx.now.saturating_sub(t) / 86_400,
                    period.as_secs() / 86_400
                ),
                Some(_) => continue,
            };
            out.push(Finding::new(
                &RULE,
                cx.path,
                Some(line),
                Some(&v.name),
                message,
            ));
        }
    }
}
