//! Signed HMAC JSON Web Tokens (RFC 7519), as Supabase-style `anon` and
//! `service_role` keys are: `{"alg":"HS256","typ":"JWT"}` over the claims,
//! keyed with the bytes of the shared JWT secret string.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;
use zeroize::Zeroizing;

use std::time::Duration;

use crate::secret::joined;

/// Why a token did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwtError {
    /// Not three base64url segments holding JSON.
    #[error("not a well-formed JWT")]
    Malformed,
    /// The header names another algorithm than HS256.
    #[error("the JWT is not signed with HS256")]
    Algorithm,
    /// The signature does not match the secret.
    #[error("the JWT signature does not match the secret")]
    Signature,
    /// `exp` is in the past.
    #[error("the JWT expired")]
    Expired,
}

/// Signs `claims` with HS256, adding `iat = now` and, when given,
/// `exp = now + expires_in` (both written in seconds since the epoch).
pub fn sign_hs256(
    secret: &[u8],
    claims: &Map<String, Value>,
    now: std::time::SystemTime,
    expires_in: Option<Duration>,
) -> String {
    let now = crate::epoch_secs(now);
    let mut payload = claims.clone();
    payload.insert("iat".into(), Value::from(now));
    if let Some(lifetime) = expires_in {
        payload.insert(
            "exp".into(),
            Value::from(now.saturating_add(lifetime.as_secs())),
        );
    }
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(Value::Object(payload).to_string());
    let signing_input = format!("{header}.{body}");
    // The signature makes the token a credential: it and the token are
    // built without growth, and the signature's own buffer is cleared.
    let signature = Zeroizing::new(URL_SAFE_NO_PAD.encode(mac(secret, signing_input.as_bytes())));
    std::mem::take(&mut *joined(&[&signing_input, ".", &signature]))
}

/// Verifies an HS256 token against `secret` and returns its claims.
/// `now` checks `exp` when the token has one (`UNIX_EPOCH`: any `exp` passes).
pub fn verify_hs256(
    token: &str,
    secret: &[u8],
    now: std::time::SystemTime,
) -> Result<Map<String, Value>, JwtError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let header: Value = decode_json(h)?;
    if header.get("alg").and_then(Value::as_str) != Some("HS256") {
        return Err(JwtError::Algorithm);
    }
    let key = Hs256Key::new(secret);
    if !key.signed(h, p, s)? {
        return Err(JwtError::Signature);
    }
    let Value::Object(claims) = decode_json(p)? else {
        return Err(JwtError::Malformed);
    };
    if let Some(exp) = claims.get("exp").and_then(Value::as_u64) {
        if exp <= crate::epoch_secs(now) {
            return Err(JwtError::Expired);
        }
    }
    Ok(claims)
}

/// An HS256 key ready to check signatures: the HMAC state after the key,
/// so that checking many tokens against one known secret (the published
/// defaults) hashes the key once.
#[derive(Clone)]
pub(crate) struct Hs256Key(Hmac<Sha256>);

impl Hs256Key {
    pub(crate) fn new(secret: &[u8]) -> Self {
        Hs256Key(<Hmac<Sha256>>::new_from_slice(secret).expect("HMAC takes keys of any length"))
    }

    /// Whether `signature` (base64url) is this key's MAC of
    /// `header.payload`. The header is not read: a token whose header
    /// names another algorithm has no HS256 MAC that matches.
    fn signed(&self, header: &str, payload: &str, signature: &str) -> Result<bool, JwtError> {
        let mut sig = [0u8; 32];
        let len = URL_SAFE_NO_PAD
            .decode_slice(signature, &mut sig)
            .map_err(|_| JwtError::Malformed)?;
        let mut m = self.0.clone();
        m.update(header.as_bytes());
        m.update(b".");
        m.update(payload.as_bytes());
        Ok(m.verify_slice(&sig[..len]).is_ok())
    }

    /// Whether `token` is three segments whose signature is this key's MAC.
    pub(crate) fn signed_token(&self, token: &str) -> bool {
        let mut parts = token.split('.');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(h), Some(p), Some(s), None) => self.signed(h, p, s).unwrap_or(false),
            _ => false,
        }
    }
}

fn decode_json(segment: &str) -> Result<Value, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| JwtError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)
}

fn mac(secret: &[u8], input: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256>>::new_from_slice(secret).expect("HMAC takes keys of any length");
    m.update(input);
    m.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7515_appendix_a1_known_answer() {
        // RFC 7515 A.1: the HS256 example signature over the given signing input.
        let key = URL_SAFE_NO_PAD
            .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
            .unwrap();
        let input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        assert_eq!(
            URL_SAFE_NO_PAD.encode(mac(&key, input.as_bytes())),
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        );
    }

    #[test]
    fn signed_tokens_verify_and_carry_claims() {
        let mut claims = Map::new();
        claims.insert("role".into(), "anon".into());
        let t = sign_hs256(
            b"s3cret-s3cret-s3cret-s3cret-s3cret",
            &claims,
            crate::at(1000),
            Some(Duration::from_secs(60)),
        );
        let back =
            verify_hs256(&t, b"s3cret-s3cret-s3cret-s3cret-s3cret", crate::at(1001)).unwrap();
        assert_eq!(back["role"], "anon");
        assert_eq!(back["iat"], 1000);
        assert_eq!(back["exp"], 1060);
        assert_eq!(
            verify_hs256(&t, b"other", crate::at(1001)),
            Err(JwtError::Signature)
        );
        assert_eq!(
            verify_hs256(&t, b"s3cret-s3cret-s3cret-s3cret-s3cret", crate::at(1060)),
            Err(JwtError::Expired)
        );
        assert_eq!(
            verify_hs256("a.b", b"x", std::time::UNIX_EPOCH),
            Err(JwtError::Malformed)
        );
    }
}
