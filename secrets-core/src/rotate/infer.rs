//! Guessing a value's kind from its shape, for rotation without a manifest.

use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;

use crate::generate::{Alphabet, Kind};

/// The longest value a kind is inferred from: a longer one is no secret
/// any generator makes, and a new value is never sized from it.
pub const MAX_INFERRED_LENGTH: usize = 512;

/// The kind a value looks like, or `None` when its shape says nothing safe
/// (a JWT, a URL, a value with spaces, one over [`MAX_INFERRED_LENGTH`]...).
pub fn infer(name: &str, value: &str) -> Option<Kind> {
    let len = value.len();
    let upper_name = name.to_ascii_uppercase();
    if !(8..=MAX_INFERRED_LENGTH).contains(&len) {
        return None;
    }
    if value.split('.').count() == 3 && value.starts_with("eyJ") {
        return None; // a signed token: derived, not generated
    }
    if uuid_like(value) {
        return Some(Kind::Uuid);
    }
    if upper_name.contains("DJANGO") && upper_name.contains("SECRET") {
        return Some(Kind::DjangoSecretKey {
            length: len.max(crate::generate::DJANGO_MIN_LENGTH),
        });
    }
    if len.is_multiple_of(2)
        && value.bytes().all(|b| b.is_ascii_hexdigit())
        && value.bytes().any(|b| b.is_ascii_digit())
    {
        return Some(Kind::Hex { bytes: len / 2 });
    }
    if len == 44
        && value.ends_with('=')
        && !value.ends_with("==")
        && URL_SAFE.decode(value).is_ok_and(|b| b.len() == 32)
    {
        // Without `-`/`_` the value is also standard base64: only the name
        // can tell a Fernet key from it.
        let named = ["FERNET", "ENCRYPTION"]
            .iter()
            .any(|n| upper_name.contains(n));
        if value.contains(['-', '_']) || named {
            return Some(Kind::Fernet);
        }
        if !value.contains(['+', '/']) {
            return None;
        }
    }
    if len == 43
        && upper_name.contains("VAPID")
        && upper_name.contains("PRIVATE")
        && URL_SAFE_NO_PAD.decode(value).is_ok()
    {
        return Some(Kind::VapidPrivateKey);
    }
    if value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Some(Kind::Password {
            length: len,
            alphabet: Alphabet::Alphanumeric,
        });
    }
    if value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        if let Ok(bytes) = URL_SAFE_NO_PAD.decode(value) {
            return Some(Kind::Token { bytes: bytes.len() });
        }
    }
    if value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Some(Kind::Password {
            length: len,
            alphabet: Alphabet::EnvSafe,
        });
    }
    for (engine, urlsafe) in [(&STANDARD, false), (&URL_SAFE, true)] {
        if value.ends_with('=') || value.contains(['+', '/']) {
            if let Ok(bytes) = engine.decode(value) {
                return Some(Kind::Base64 {
                    bytes: bytes.len(),
                    urlsafe,
                    padded: value.ends_with('='),
                });
            }
        }
    }
    None
}

fn uuid_like(v: &str) -> bool {
    v.len() == 36
        && v.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// A one-line description of an inferred kind, for the plan.
pub fn describe(kind: &Kind) -> String {
    match kind {
        Kind::Password { length, alphabet } => {
            format!("password, {length} {} characters", alphabet.name())
        }
        Kind::Hex { bytes } => format!("hex, {bytes} bytes"),
        Kind::Base64 {
            bytes,
            urlsafe,
            padded,
        } => format!(
            "base64{}{}, {bytes} bytes",
            if *urlsafe { " urlsafe" } else { "" },
            if *padded { " padded" } else { " unpadded" }
        ),
        Kind::Token { bytes } => format!("token, {bytes} bytes base64url"),
        Kind::DjangoSecretKey { length } => format!("django-secret-key, {length} characters"),
        other => other.name().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_lengths_are_not_inferred() {
        assert!(infer("API_TOKEN", &"a".repeat(MAX_INFERRED_LENGTH)).is_some());
        assert_eq!(
            infer("API_TOKEN", &"a".repeat(MAX_INFERRED_LENGTH + 1)),
            None
        );
    }

    #[test]
    fn shapes() {
        assert_eq!(
            infer("K", &"ab12".repeat(16)),
            Some(Kind::Hex { bytes: 32 })
        );
        assert_eq!(
            infer("K", "Ab3dEf7hIj9kLm1nOp2qRs4tUv6wXy8z"),
            Some(Kind::Password {
                length: 32,
                alphabet: Alphabet::Alphanumeric
            })
        );
        let token = URL_SAFE_NO_PAD.encode((200u8..232).collect::<Vec<_>>());
        assert!(token.contains(['-', '_']));
        assert_eq!(infer("K", &token), Some(Kind::Token { bytes: 32 }));
        assert_eq!(
            infer("K", "9bK1-9x0wPOD4B6WoSZB0ukz8ejGMpuj_xvG0jC3gFs="),
            Some(Kind::Fernet)
        );
        assert_eq!(
            infer(
                "APP_ENCRYPTION_KEY",
                "9bK1A9x0wPOD4B6WoSZB0ukz8ejGMpujAxvG0jC3gFs="
            ),
            Some(Kind::Fernet)
        );
        assert_eq!(
            infer("K", "9bK1A9x0wPOD4B6WoSZB0ukz8ejGMpujAxvG0jC3gFs="),
            None,
            "ambiguous"
        );
        assert_eq!(
            infer(
                "VAPID_PRIVATE_KEY",
                "B2-nWMoT7niOIF1BAr0-tdvaAqXxUxmg3GAJ_vEHzGg"
            ),
            Some(Kind::VapidPrivateKey)
        );
        assert_eq!(
            infer("K", "0f8fad5b-d9cb-469f-a165-70867728950e"),
            Some(Kind::Uuid)
        );
        let b64 = STANDARD.encode((240u8..=255).chain(0..4).collect::<Vec<_>>());
        assert!(b64.contains(['+', '/']) && b64.ends_with('='));
        assert_eq!(
            infer("K", &b64),
            Some(Kind::Base64 {
                bytes: 20,
                urlsafe: false,
                padded: true
            })
        );
        assert_eq!(
            infer("K", "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.sig"),
            None
        );
        assert_eq!(infer("K", "postgres://u:p@h/db"), None);
        assert_eq!(infer("K", "short"), None);
        assert_eq!(infer("K", "has space in it"), None);
    }
}
