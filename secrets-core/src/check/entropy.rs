//! SC008: a secret that is easy to guess (zxcvbn's estimate).

use crate::manifest::Source;
use crate::strength::Guesses;

use super::{EnvCheck, EnvContext, Finding, Rule, RuleId, Severity};

pub struct LowEntropy;

static RULE: Rule = Rule {
    id: RuleId::LowEntropy,
    name: "low-entropy",
    severity: Severity::Medium,
    summary: "A secret is guessable: under 10^12 guesses by zxcvbn's estimate (about 40 bits)",
    help: "replace it with a generated value: `secrets rotate KEY`",
};

/// Below this many guesses (log10) a secret is reported.
const MIN_GUESSES_LOG10: u32 = 12;

impl EnvCheck for LowEntropy {
    fn rule(&self) -> &'static Rule {
        &RULE
    }

    fn run(&self, cx: &EnvContext<'_>, out: &mut Vec<Finding>) {
        for (line, key, value) in super::secret_entries(cx) {
            // A value the manifest computes (a URL over a password, a token
            // signed with a secret, a public key) is as strong as its
            // inputs, which are checked themselves; one that does not match
            // them is SC010's.
            let derived = cx.stack.and_then(|s| s.var(key)).is_some_and(|v| {
                matches!(
                    v.source,
                    Source::Template(_) | Source::SameAs(_) | Source::Derive { .. }
                )
            });
            if derived
                || value.is_empty()
                || super::is_placeholder(value)
                || super::published_default(value).is_some()
            {
                continue; // reported by their own rules
            }
            let message = match crate::strength::guesses(value, MIN_GUESSES_LOG10) {
                Guesses::AtLeast => continue,
                Guesses::Under(guesses) => {
                    format!("{key} is guessable (about 10^{guesses:.0} guesses)")
                }
                Guesses::Unknown => format!(
                    "{key} could not be shown to need 10^{MIN_GUESSES_LOG10} guesses \
                     (built without zxcvbn, the `entropy` feature)"
                ),
            };
            out.push(Finding::new(&RULE, cx.path, Some(line), Some(key), message));
        }
    }
}
