//! SC010: a derived value that no longer matches its inputs: a URL without
//! the current password, an alias that drifted, a public key of another
//! private key, a token that does not verify with the current secret or has
//! expired.

use super::{EnvCheck, EnvContext, Finding, Rule, RuleId, Severity};
use crate::envfile::is_dotenvx_encrypted;
use crate::generate::{jwt, Derivation};
use crate::manifest::Source;

pub struct Stale;

static RULE: Rule = Rule {
    id: RuleId::StaleDerived,
    name: "stale-derived",
    severity: Severity::High,
    summary:
        "A derived value (alias, template, public key, signed token) does not match its inputs",
    help: "rotate the input (`secrets rotate INPUT`) to recompute every dependent",
};

impl EnvCheck for Stale {
    fn rule(&self) -> &'static Rule {
        &RULE
    }

    fn run(&self, cx: &EnvContext<'_>, out: &mut Vec<Finding>) {
        let Some(stack) = cx.stack else { return };
        let get = |n: &str| cx.doc.get(n).map(|v| v.expose());
        for v in stack.vars() {
            let Some(value) = get(&v.name) else { continue };
            // Ciphertext on either side cannot be compared (SC017 notes it).
            let encrypted = std::iter::once(v.name.as_str())
                .chain(v.source.inputs())
                .filter_map(get)
                .any(is_dotenvx_encrypted);
            if encrypted {
                continue;
            }
            let problem = match &v.source {
                Source::SameAs(other) => get(other)
                    .filter(|o| *o != value)
                    .map(|_| format!("differs from {other}")),
                Source::Template(t) => t
                    .render(|n| get(n))
                    .filter(|expected| expected.expose() != value)
                    .map(|_| {
                        format!(
                            "does not match its template over {}",
                            t.references().collect::<Vec<_>>().join(", ")
                        )
                    }),
                Source::Derive { derivation, from } => match (derivation, get(from)) {
                    (_, None) => None,
                    (Derivation::VapidPublicKey, Some(private)) => {
                        use crate::generate::vapid::{is_public_key_of, VapidError};
                        match is_public_key_of(private, value) {
                            Ok(true) => None,
                            Ok(false) => Some(format!("is not the public key of {from}")),
                            // The private key's own format finding says why.
                            Err(VapidError::InvalidPrivateKey) => None,
                            Err(e) => Some(format!("cannot be compared with {from}: it {e}")),
                        }
                    }
                    (Derivation::SignedJwt { .. }, Some(secret)) => {
                        match jwt::verify_hs256(value, secret.as_bytes(), cx.now) {
                            Ok(_) => None,
                            Err(jwt::JwtError::Expired) => Some("has expired".to_owned()),
                            Err(jwt::JwtError::Signature) => {
                                Some(format!("is not signed with the current {from}"))
                            }
                            Err(e) => Some(format!("is not a valid token: {e}")),
                        }
                    }
                },
                _ => None,
            };
            if let Some(problem) = problem {
                let line = super::line_of(cx.doc, &v.name);
                out.push(Finding::new(
                    &RULE,
                    cx.path,
                    line,
                    Some(&v.name),
                    format!("{} {problem}", v.name),
                ));
            }
        }
    }
}
