//! SC005: a value published in public example files: it protects nothing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use std::sync::OnceLock;

use crate::generate::jwt::Hs256Key;

#[cfg(feature = "check")]
use super::{EnvCheck, EnvContext, Finding, Rule, RuleId, Severity};

#[cfg(feature = "check")]
pub struct PublishedDefault;

#[cfg(feature = "check")]
static RULE: Rule = Rule {
    id: RuleId::PublishedDefault,
    name: "published-default",
    severity: Severity::High,
    summary: "A secret equals a default published in public example files",
    help: "rotate it: `secrets rotate KEY`",
};

/// The Supabase self-hosting example's JWT secret.
const SUPABASE_DEMO_SECRET: &str = "your-super-secret-jwt-token-with-at-least-32-characters-long";

/// Random-looking values shipped in projects' env templates or compose
/// defaults (the corpus of self-hosting templates the catalog covers).
const TEMPLATE_VALUES: &[(&str, &str)] = &[
    (
        "UpNVntn3cDxHJpq99YMc1T1AQgQpc8kfYTuRgBiYa15BLrx8etQoXz3gZv1/u2oq",
        "the SECRET_KEY_BASE of Supabase's docker/.env.example",
    ),
    (
        "6c1fe4e407b8911c104518103505b218",
        "the sample ENCRYPTION_KEY of Infisical's .env.example",
    ),
    (
        "5lrMXKKWCVocS/uerPsl7V+TX/aaUaI7iDkgl3tSmLE=",
        "the sample AUTH_SECRET of Infisical's .env.example",
    ),
    (
        "60gp0byfz2dvffa45cxl20p1scy9xbpf6d8c5y0geejgkyp1b5",
        "the SECRET_KEY of Plane's variables.env and compose file",
    ),
    (
        "2FiJk1U2aiVPEQtzLehYGlTSnTnrs7LW",
        "Plane's compose default LIVE_SERVER_SECRET_KEY",
    ),
];

/// Why a value is a published default, or `None`.
pub fn published_default(value: &str) -> Option<&'static str> {
    if value.eq_ignore_ascii_case("minioadmin") {
        return Some("MinIO's default credentials");
    }
    if let Some((_, what)) = TEMPLATE_VALUES.iter().find(|(v, _)| *v == value) {
        return Some(what);
    }
    if value == SUPABASE_DEMO_SECRET {
        return Some("the Supabase demo JWT secret");
    }
    if value.starts_with(crate::generate::DJANGO_INSECURE_PREFIX) {
        return Some("a Django startproject key (django-insecure-)");
    }
    // Tokens issued by `supabase-demo` or signed with the demo secret.
    let mut parts = value.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let demo_issuer = |claims: &[u8]| {
        // The JSON is parsed only when the issuer's name is in it at all,
        // or could be, spelled with escapes.
        (claims.windows(13).any(|w| w == b"supabase-demo") || claims.contains(&b'\\'))
            && serde_json::from_slice::<serde_json::Value>(claims)
                .is_ok_and(|c| c.get("iss").and_then(|i| i.as_str()) == Some("supabase-demo"))
    };
    if URL_SAFE_NO_PAD
        .decode(payload)
        .is_ok_and(|c| demo_issuer(&c))
    {
        return Some("a Supabase demo token");
    }
    static DEMO_KEY: OnceLock<Hs256Key> = OnceLock::new();
    let key = DEMO_KEY.get_or_init(|| Hs256Key::new(SUPABASE_DEMO_SECRET.as_bytes()));
    key.signed_token(value)
        .then_some("a token signed with the Supabase demo secret")
}

#[cfg(feature = "check")]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_values_are_published_and_fresh_ones_are_not() {
        for (value, _) in TEMPLATE_VALUES {
            assert!(published_default(value).is_some(), "{value}");
        }
        let fresh =
            crate::generate::Kind::Hex { bytes: 16 }.generate(&mut crate::generate::os_rng());
        assert!(published_default(fresh.expose()).is_none());
    }
}

#[cfg(test)]
mod demo_tokens {
    use super::*;
    use crate::generate::jwt::sign_hs256;

    fn token(secret: &str, issuer: &str) -> String {
        let claims = serde_json::json!({ "role": "anon", "iss": issuer });
        let serde_json::Value::Object(claims) = claims else {
            unreachable!()
        };
        sign_hs256(secret.as_bytes(), &claims, crate::at(1_700_000_000), None)
    }

    #[test]
    fn demo_tokens_are_found_by_issuer_or_by_signature() {
        // Supabase's published demo anon key (docker/.env.example).
        let published = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYW5vbiIsImlzcyI6InN1cGFiYXNlLWRlbW8iLCJpYXQiOjE2NDE3NjkyMDAsImV4cCI6MTc5OTUzNTYwMH0.dc_X5iR_VP_qT0zsiyj_I_OZ2T9FtRU2BBNWN8Bu4GE";
        assert_eq!(published_default(published), Some("a Supabase demo token"));
        let own_issuer = token(SUPABASE_DEMO_SECRET, "supabase");
        assert_eq!(
            published_default(&own_issuer),
            Some("a token signed with the Supabase demo secret")
        );
        let other_secret = token("k8BhznHshT19xmlQzBwdSqP61ArBj4qRk8Bhzn", "supabase");
        assert_eq!(published_default(&other_secret), None);
        // One signature byte changed.
        let mut tampered = own_issuer.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            published_default(std::str::from_utf8(&tampered).unwrap()),
            None
        );
        // The issuer spelled with a JSON escape is still the demo issuer.
        let escaped = {
            let payload = URL_SAFE_NO_PAD.encode(br#"{"iss":"supabase\u002ddemo","role":"anon"}"#);
            format!("eyJhbGciOiJIUzI1NiJ9.{payload}.c2lnbmF0dXJl")
        };
        assert_eq!(published_default(&escaped), Some("a Supabase demo token"));
        // The issuer's name elsewhere than `iss` is not the demo issuer.
        let mentioned = token(
            "k8BhznHshT19xmlQzBwdSqP61ArBj4qRk8Bhzn",
            "supabase-demo-like",
        );
        assert_eq!(published_default(&mentioned), None);
    }
}
