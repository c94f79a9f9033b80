//! SC007: a value that does not have the shape its consumer accepts: odd or
//! non-hex hex, base64 not decoding to N bytes, a Fernet key that is not 32
//! bytes, an invalid VAPID key, a JWT secret under 32 bytes, a raw key not
//! exactly its length, a Laravel key that is not 32 bytes, a SuperTokens key
//! with `_`, a MinIO access key with `,` or `=`, a Supabase dashboard password
//! with other characters than letters and digits.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;

use super::{EnvCheck, EnvContext, Finding, Rule, RuleId, Severity};
use crate::envfile::is_dotenvx_encrypted;
use crate::generate::{django_key_passes_w009, laravel_key_is_valid, vapid, Derivation, Kind};
use crate::manifest::Source;

pub struct Format;

static RULE: Rule = Rule {
    id: RuleId::WrongFormat,
    name: "wrong-format",
    severity: Severity::High,
    summary: "A value does not have the length or encoding its consumer requires",
    help: "regenerate it with `secrets rotate KEY` (with the manifest giving its kind)",
};

/// What is wrong with `value` for `kind`, or `None`.
fn kind_problem(kind: &Kind, value: &str) -> Option<String> {
    let b64 = |engine: &base64::engine::GeneralPurpose| engine.decode(value).map(|b| b.len()).ok();
    match *kind {
        Kind::Hex { .. } | Kind::ImgproxyKey | Kind::ImgproxySalt => hex_problem(value, kind_bytes(kind)),
        Kind::Base64 { bytes, urlsafe, padded } => {
            let engine = match (urlsafe, padded) {
                (false, true) => &STANDARD,
                (false, false) => &STANDARD_NO_PAD,
                (true, true) => &URL_SAFE,
                (true, false) => &URL_SAFE_NO_PAD,
            };
            match b64(engine) {
                Some(n) if n == bytes => None,
                Some(n) => Some(format!("decodes to {n} bytes, not {bytes}")),
                None => Some("is not valid base64 of the configured variant".into()),
            }
        }
        Kind::Token { bytes } => match b64(&URL_SAFE_NO_PAD) {
            Some(n) if n >= bytes => None,
            Some(n) => Some(format!("decodes to {n} bytes, fewer than {bytes}")),
            None => Some("is not unpadded base64url".into()),
        },
        Kind::JwtSecret { alg } => jwt_secret_problem(value, alg.key_bytes()),
        Kind::Fernet => match b64(&URL_SAFE) {
            Some(32) if value.len() == 44 => None,
            _ => Some("is not a Fernet key (padded urlsafe base64 of 32 bytes, 44 characters)".into()),
        },
        Kind::VapidPrivateKey => (!vapid::is_private_key(value)).then(|| "is not a P-256 private key (32 bytes, base64url)".into()),
        Kind::Uuid => (uuid_parse(value).is_none()).then(|| "is not a UUID".into()),
        Kind::DjangoSecretKey { .. } => (!django_key_passes_w009(value))
            .then(|| "fails Django's W009 (at least 50 characters, 5 distinct, no django-insecure- prefix)".into()),
        Kind::Password { length, .. } => {
            (value.chars().count() < length).then(|| format!("is {} characters, shorter than the {length} the manifest asks for", value.chars().count()))
        }
        Kind::RawKey { length, alphabet } => {
            let n = value.chars().count();
            if n != length {
                Some(format!("is {n} characters; its consumer takes exactly {length} as the raw key"))
            } else if !alphabet.contains_all(value) {
                Some(format!("has characters outside the {} alphabet", alphabet.name()))
            } else {
                None
            }
        }
        Kind::LaravelKey => (!laravel_key_is_valid(value))
            .then(|| "is not a Laravel AES-256-CBC key (`base64:` and 32 bytes in base64, or 32 characters)".into()),
        Kind::Username { .. } => None,
    }
}

fn kind_bytes(kind: &Kind) -> usize {
    match kind {
        Kind::Hex { bytes } => *bytes,
        Kind::ImgproxyKey => 32,
        Kind::ImgproxySalt => 16,
        _ => 0,
    }
}

fn uuid_parse(v: &str) -> Option<uuid::Uuid> {
    uuid::Uuid::parse_str(v).ok()
}

fn hex_problem(value: &str, bytes: usize) -> Option<String> {
    // imgproxy takes comma-separated lists during a rollover.
    for part in value.split(',') {
        if part.len() % 2 == 1 {
            return Some("has an odd number of hex digits".into());
        }
        if !part.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Some("is not hex".into());
        }
        if bytes > 0 && part.len() != bytes * 2 {
            return Some(format!("is {} bytes of hex, not {bytes}", part.len() / 2));
        }
    }
    None
}

fn jwt_secret_problem(value: &str, min_bytes: usize) -> Option<String> {
    if value.len() < 32 {
        return Some(format!(
            "is {} characters; PostgREST and Hasura refuse JWT secrets under 32",
            value.len()
        ));
    }
    if value.len() < min_bytes {
        return Some(format!(
            "is shorter than the {min_bytes} bytes its algorithm needs (RFC 7518)"
        ));
    }
    if value.starts_with('@') {
        return Some("starts with `@`, which PostgREST reads as a file path".into());
    }
    None
}

/// Rules of particular consumers, by their variable names.
fn name_problem(key: &str, value: &str) -> Option<String> {
    match key {
        "API_KEYS" => value.split(',').find_map(|k| {
            if k.contains('_') {
                Some("contains `_`, which SuperTokens refuses in API keys".to_owned())
            } else if k.len() < 20
                || !k
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'=' || b == b'-')
            {
                Some(
                    "needs keys of at least 20 characters of [A-Za-z0-9=-] for SuperTokens"
                        .to_owned(),
                )
            } else {
                None
            }
        }),
        "MINIO_ROOT_USER" | "MINIO_ACCESS_KEY" => {
            if value.contains([',', '=']) {
                Some("contains `,` or `=`, which MinIO refuses in access keys".into())
            } else if value.len() < 3 {
                Some("is shorter than MinIO's 3 characters".into())
            } else {
                None
            }
        }
        "MINIO_ROOT_PASSWORD" | "MINIO_SECRET_KEY" => {
            (value.len() < 8).then(|| "is shorter than MinIO's 8 characters".into())
        }
        "JWT_SECRET" | "PGRST_JWT_SECRET" | "PGRAPHILE_JWT_SECRET" => jwt_secret_problem(value, 32),
        // Supabase's self-hosting guide: at least one letter, no special
        // characters (Studio's basic auth through Kong).
        "DASHBOARD_PASSWORD" => {
            if !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
                Some("has characters other than letters and digits, which Supabase's dashboard refuses".into())
            } else if !value.bytes().any(|b| b.is_ascii_alphabetic()) {
                Some("has no letter; Supabase's dashboard refuses digits alone".into())
            } else {
                None
            }
        }
        _ => None,
    }
}

impl EnvCheck for Format {
    fn rule(&self) -> &'static Rule {
        &RULE
    }

    fn run(&self, cx: &EnvContext<'_>, out: &mut Vec<Finding>) {
        for (line, e) in cx.doc.entries_with_lines() {
            let value = e.value().expose();
            if value.is_empty() || super::is_placeholder(value) || is_dotenvx_encrypted(value) {
                continue; // reported by their own rules
            }
            let by_kind = match cx.stack.and_then(|s| s.var(e.key())).map(|v| &v.source) {
                Some(Source::Generate(kind)) => kind_problem(kind, value),
                Some(Source::Derive {
                    derivation: Derivation::VapidPublicKey,
                    ..
                }) => {
                    // Mastodon's `rake mastodon:webpush:generate_vapid_key`
                    // prints padded keys; both spellings decode alike.
                    match vapid::is_public_key(value) {
                        Ok(true) => None,
                        Ok(false) => Some("is not an uncompressed P-256 public key".to_owned()),
                        // Fail closed: what cannot be verified is a finding.
                        Err(e) => Some(format!("cannot be verified: it {e}")),
                    }
                }
                _ => None,
            };
            if let Some(problem) = by_kind.or_else(|| name_problem(e.key(), value)) {
                out.push(Finding::new(
                    &RULE,
                    cx.path,
                    Some(line),
                    Some(e.key()),
                    format!("{} {problem}", e.key()),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::JwtAlg;

    #[test]
    fn kind_rules() {
        assert_eq!(
            kind_problem(&Kind::Hex { bytes: 2 }, "abc").as_deref(),
            Some("has an odd number of hex digits")
        );
        assert_eq!(kind_problem(&Kind::Hex { bytes: 2 }, "abcd"), None);
        assert_eq!(
            kind_problem(&Kind::ImgproxyKey, "abcd").as_deref(),
            Some("is 2 bytes of hex, not 32")
        );
        assert!(kind_problem(&Kind::Fernet, "abc").is_some());
        assert!(kind_problem(&Kind::JwtSecret { alg: JwtAlg::Hs256 }, "short").is_some());
        assert!(kind_problem(
            &Kind::Base64 {
                bytes: 3,
                urlsafe: false,
                padded: true
            },
            "YWJj"
        )
        .is_none());
        assert!(kind_problem(
            &Kind::Base64 {
                bytes: 4,
                urlsafe: false,
                padded: true
            },
            "YWJj"
        )
        .is_some());
        assert!(kind_problem(&Kind::VapidPrivateKey, "AAAA").is_some());
        assert!(name_problem("API_KEYS", "abcdefghij_klmnopqrstuv").is_some());
        assert!(
            name_problem("API_KEYS", "abcdefghijklmnopqrstuv,ABCDEFGHIJKLMNOPQRSTUV").is_none()
        );
        assert!(name_problem("MINIO_ROOT_USER", "a=b").is_some());
        assert!(name_problem("DASHBOARD_PASSWORD", "abc123XYZ").is_none());
        assert!(name_problem("DASHBOARD_PASSWORD", "12345678901").is_some());
        assert!(name_problem("DASHBOARD_PASSWORD", "abc_123").is_some());
    }

    #[test]
    fn raw_and_laravel_keys() {
        use crate::generate::Alphabet;
        let vault = Kind::RawKey {
            length: 32,
            alphabet: Alphabet::Alphanumeric,
        };
        // `openssl rand -hex 16`, as Supabase's guide says: 32 characters.
        assert_eq!(
            kind_problem(&vault, "0123456789abcdef0123456789abcdef"),
            None
        );
        assert_eq!(
            kind_problem(&vault, "your-encryption-key-32-chars-min").as_deref(),
            Some("has characters outside the alphanumeric alphabet")
        );
        assert_eq!(
            kind_problem(&vault, &"a".repeat(33)).as_deref(),
            Some("is 33 characters; its consumer takes exactly 32 as the raw key")
        );
        assert!(kind_problem(&Kind::LaravelKey, "base64:AAAA").is_some());
        assert!(kind_problem(&Kind::LaravelKey, &"k".repeat(32)).is_none());
    }

    /// Mastodon's rake task prints padded VAPID keys (Ruby's
    /// urlsafe_encode64); they are the same keys.
    #[cfg(feature = "vapid")] // VAPID pairs need P-256 arithmetic
    #[test]
    fn padded_vapid_keys_are_accepted() {
        use crate::envfile::Document;
        use crate::stack::Stack;
        let stack = Stack::from_components("v", &["vapid".into()]).unwrap();
        let private = Kind::VapidPrivateKey.generate(&mut crate::generate::os_rng());
        let public = Derivation::VapidPublicKey
            .derive(&private, std::time::UNIX_EPOCH)
            .unwrap();
        let findings = |text: String| {
            let doc = Document::parse(text.as_bytes()).unwrap();
            let cx = EnvContext {
                path: std::path::Path::new(".env"),
                doc: &doc,
                stack: Some(&stack),
                example: None,
                example_path: None,
                now: std::time::UNIX_EPOCH,
            };
            let mut out = Vec::new();
            Format.run(&cx, &mut out);
            out.len()
        };
        let env = |suffix: &str, point: &str| {
            format!(
                "VAPID_PRIVATE_KEY={}{suffix}\nVAPID_PUBLIC_KEY={point}{suffix}\n",
                private.expose()
            )
        };
        assert_eq!(findings(env("", public.expose())), 0);
        assert_eq!(findings(env("=", public.expose())), 0);
        assert_eq!(findings(env("", "BAAA")), 1);
    }
}
