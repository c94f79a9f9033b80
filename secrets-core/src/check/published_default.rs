//! SC005: a value published in public example files: it protects nothing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::{EnvCheck, EnvContext, Finding, Rule, Severity};

pub struct PublishedDefault;

static RULE: Rule = Rule {
    id: "SC005",
    name: "published-default",
    severity: Severity::High,
    summary: "A secret equals a default published in public example files",
    help: "rotate it: `secrets rotate KEY`",
};

/// The Supabase self-hosting example's JWT secret.
const SUPABASE_DEMO_SECRET: &str = "your-super-secret-jwt-token-with-at-least-32-characters-long";

/// Why a value is a published default, or `None`.
pub fn published_default(value: &str) -> Option<&'static str> {
    let lower = value.to_ascii_lowercase();
    if lower == "minioadmin" {
        return Some("MinIO's default credentials");
    }
    if value == SUPABASE_DEMO_SECRET {
        return Some("the Supabase demo JWT secret");
    }
    if value.starts_with(crate::generate::DJANGO_INSECURE_PREFIX) {
        return Some("a Django startproject key (django-insecure-)");
    }
    // Tokens issued by `supabase-demo` or signed with the demo secret.
    let mut parts = value.split('.');
    if let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    {
        if let Ok(bytes) = URL_SAFE_NO_PAD.decode(payload) {
            if let Ok(claims) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                if claims.get("iss").and_then(|i| i.as_str()) == Some("supabase-demo") {
                    return Some("a Supabase demo token");
                }
            }
        }
        if crate::generate::jwt::verify_hs256(value, SUPABASE_DEMO_SECRET.as_bytes(), 0).is_ok() {
            return Some("a token signed with the Supabase demo secret");
        }
    }
    None
}

impl EnvCheck for PublishedDefault {
    fn rule(&self) -> &'static Rule {
        &RULE
    }

    fn run(&self, cx: &EnvContext<'_>, out: &mut Vec<Finding>) {
        for (line, key, value) in super::secret_entries(cx) {
            if let Some(what) = published_default(value) {
                out.push(Finding::new(
                    &RULE,
                    cx.path,
                    Some(line),
                    Some(key),
                    format!("{key} is {what}"),
                ));
            }
        }
    }
}
