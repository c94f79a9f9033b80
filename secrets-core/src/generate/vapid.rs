//! VAPID (RFC 8292) key pairs for Web Push: P-256, base64url without padding.
//!
//! Private keys are made and range-checked everywhere; deriving a public key
//! (`p256`) and verifying a pair (`ring`) need the `vapid` feature.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::{CryptoRng, Rng};
use zeroize::Zeroizing;

/// The order n of the P-256 group, big-endian: private keys are the
/// scalars in `[1, n)` (SEC 1 v2, 3.2.1; FIPS 186-4, D.1.2.3).
const ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// Why a VAPID key could not be derived or verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VapidError {
    /// The private key is not 32 base64url bytes holding a scalar in `[1, n)`.
    #[error("is not a valid P-256 private key (32 bytes, base64url)")]
    InvalidPrivateKey,
    /// Built without the `vapid` feature: no elliptic-curve arithmetic.
    #[error("needs P-256 arithmetic, which this build leaves out (the `vapid` feature)")]
    NotBuiltIn,
}

/// Whether 32 big-endian bytes are a scalar in `[1, n)`. Byte-wise
/// comparison: the bytes are secret, but whether a fresh draw is in range
/// (all but 2^-32 of them are) tells nothing about the key finally kept.
fn in_range(bytes: &[u8]) -> bool {
    bytes.len() == 32 && bytes.iter().any(|&b| b != 0) && bytes < &ORDER[..]
}

/// The 32 bytes of a base64url private key, when it is one.
fn private_bytes(private: &str) -> Result<Zeroizing<Vec<u8>>, VapidError> {
    let bytes = Zeroizing::new(
        URL_SAFE_NO_PAD
            .decode(private.trim_end_matches('='))
            .map_err(|_| VapidError::InvalidPrivateKey)?,
    );
    if in_range(&bytes) {
        Ok(bytes)
    } else {
        Err(VapidError::InvalidPrivateKey)
    }
}

/// A new private key: 32 bytes, 43 base64url characters.
pub fn private_key<R: Rng + CryptoRng + ?Sized>(rng: &mut R) -> crate::SecretValue {
    loop {
        let bytes = super::alphabet::bytes(rng, 32);
        // Zero and values at or above the group order are not keys; retry
        // (probability about 2^-32).
        if in_range(&bytes) {
            return crate::SecretValue::new(URL_SAFE_NO_PAD.encode(&bytes));
        }
    }
}

/// Whether `private` is a valid P-256 private key (32 bytes, base64url, a
/// scalar in `[1, n)`): a range check, with no point multiplication.
pub fn is_private_key(private: &str) -> bool {
    private_bytes(private).is_ok()
}

/// The public key of a private key: the uncompressed point (65 bytes, first
/// byte 0x04), 87 base64url characters.
///
/// ```
/// # #[cfg(feature = "vapid")] {
/// use secrets_core::generate::{os_rng, vapid};
///
/// let private = vapid::private_key(&mut os_rng());
/// let public = vapid::public_key(private.expose())?;
/// assert_eq!(public.len(), 87);
/// assert_eq!(vapid::is_public_key_of(private.expose(), &public), Ok(true));
/// # }
/// # Ok::<(), secrets_core::generate::vapid::VapidError>(())
/// ```
pub fn public_key(private: &str) -> Result<String, VapidError> {
    let bytes = private_bytes(private)?;
    derive_public(&bytes)
}

#[cfg(feature = "vapid")]
fn derive_public(private: &[u8]) -> Result<String, VapidError> {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    let key = p256::SecretKey::from_slice(private).map_err(|_| VapidError::InvalidPrivateKey)?;
    Ok(URL_SAFE_NO_PAD.encode(key.public_key().to_encoded_point(false).as_bytes()))
}

#[cfg(not(feature = "vapid"))]
fn derive_public(_: &[u8]) -> Result<String, VapidError> {
    Err(VapidError::NotBuiltIn)
}

/// Whether `public` (base64url) is an uncompressed P-256 point on the curve.
pub fn is_public_key(public: &str) -> Result<bool, VapidError> {
    let Ok(point) = URL_SAFE_NO_PAD.decode(public.trim_end_matches('=')) else {
        return Ok(false);
    };
    if point.len() != 65 || point[0] != 4 {
        return Ok(false);
    }
    on_curve(&point)
}

#[cfg(feature = "vapid")]
fn on_curve(point: &[u8]) -> Result<bool, VapidError> {
    Ok(p256::PublicKey::from_sec1_bytes(point).is_ok())
}

#[cfg(not(feature = "vapid"))]
fn on_curve(_: &[u8]) -> Result<bool, VapidError> {
    Err(VapidError::NotBuiltIn)
}

/// Whether `public` is the public key of `private`.
///
/// Checked by `ring`, whose fixed-base multiplication uses precomputed
/// tables: about a tenth of the instructions of deriving the point with
/// `p256`, which matters when `audit --manifest` checks hundreds of files.
pub fn is_public_key_of(private: &str, public: &str) -> Result<bool, VapidError> {
    let private = private_bytes(private)?;
    let Ok(public) = URL_SAFE_NO_PAD.decode(public.trim_end_matches('=')) else {
        return Ok(false);
    };
    pair_matches(&private, &public)
}

#[cfg(feature = "vapid")]
fn pair_matches(private: &[u8], public: &[u8]) -> Result<bool, VapidError> {
    let pair = ring::signature::EcdsaKeyPair::from_private_key_and_public_key(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        private,
        public,
        &ring::rand::SystemRandom::new(),
    );
    Ok(pair.is_ok())
}

#[cfg(not(feature = "vapid"))]
fn pair_matches(_: &[u8], _: &[u8]) -> Result<bool, VapidError> {
    Err(VapidError::NotBuiltIn)
}

#[cfg(all(test, not(feature = "vapid")))]
mod without_p256 {
    use super::*;

    #[test]
    fn private_keys_are_made_but_public_ones_are_not_guessed() {
        let private = private_key(&mut crate::generate::os_rng());
        let private = private.expose();
        assert!(is_private_key(private));
        assert_eq!(public_key(private), Err(VapidError::NotBuiltIn));
        assert_eq!(
            is_public_key_of(private, "BAAA"),
            Err(VapidError::NotBuiltIn)
        );
        assert_eq!(public_key("AAAA"), Err(VapidError::InvalidPrivateKey));
    }
}

#[cfg(all(test, feature = "vapid"))]
mod tests {
    use super::*;

    #[test]
    fn validity_agrees_with_derivation() {
        let mut rng = crate::generate::os_rng();
        let good = private_key(&mut rng);
        assert!(is_private_key(good.expose()) && public_key(good.expose()).is_ok());
        // Zero, the group order and short input are not keys.
        let zero = URL_SAFE_NO_PAD.encode([0u8; 32]);
        let order = URL_SAFE_NO_PAD.encode(
            hex::decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")
                .unwrap(),
        );
        for bad in [zero.as_str(), order.as_str(), "AAAA", "not base64!"] {
            assert_eq!(is_private_key(bad), public_key(bad).is_ok(), "{bad}");
            assert!(!is_private_key(bad), "{bad}");
        }
    }

    #[test]
    fn known_private_key_gives_known_public_key() {
        // Private scalar 1: the public key is the P-256 base point G.
        let mut one = [0u8; 32];
        one[31] = 1;
        let private = URL_SAFE_NO_PAD.encode(one);
        let public = URL_SAFE_NO_PAD
            .decode(public_key(&private).unwrap())
            .unwrap();
        assert_eq!(
            hex::encode(&public),
            "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296\
             4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
        );
    }

    #[test]
    fn pair_check_agrees_with_derivation() {
        let mut rng = crate::generate::os_rng();
        for _ in 0..20 {
            let private = private_key(&mut rng);
            let private = private.expose();
            let public = public_key(private).unwrap();
            assert_eq!(is_public_key_of(private, &public), Ok(true));
            assert_eq!(is_public_key(&public), Ok(true));
            let other = public_key(private_key(&mut rng).expose()).unwrap();
            assert_eq!(is_public_key_of(private, &other), Ok(false));
            assert_eq!(is_public_key_of(private, "not base64!"), Ok(false));
            assert_eq!(is_public_key_of(private, &public[..40]), Ok(false));
        }
        assert_eq!(
            is_public_key_of("AAAA", "AAAA"),
            Err(VapidError::InvalidPrivateKey)
        );
    }

    #[test]
    fn zero_is_not_a_private_key() {
        let invalid = Err(VapidError::InvalidPrivateKey);
        assert_eq!(public_key(&URL_SAFE_NO_PAD.encode([0u8; 32])), invalid);
        assert_eq!(public_key("not base64!"), invalid);
        // One below the order is a key; the order itself is not.
        let mut below = ORDER;
        below[31] -= 1;
        assert!(is_private_key(&URL_SAFE_NO_PAD.encode(below)));
        assert!(!is_private_key(&URL_SAFE_NO_PAD.encode(ORDER)));
    }
}
