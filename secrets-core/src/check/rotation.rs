//! SC012: a key older than its `rotate_after`.

use super::{EnvCheck, EnvContext, Finding, Rule, RuleId, Severity};
use crate::rotate::{days, stamp_age, StampAge};

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
            let message = match stamp_age(cx.doc, &v.name, cx.now, period) {
                StampAge::Missing => format!(
                    "{} has no `# rotated:` stamp; its age is unknown (rotate_after {} days)",
                    v.name,
                    days(period)
                ),
                StampAge::Future => format!(
                    "{}'s `# rotated:` stamp is in the future, so its age is unknown (rotate_after {} days)",
                    v.name,
                    days(period)
                ),
                StampAge::Overdue(age) => format!(
                    "{} was last rotated {} days ago (rotate_after {} days)",
                    v.name,
                    days(age),
                    days(period)
                ),
                StampAge::Fresh => continue,
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
