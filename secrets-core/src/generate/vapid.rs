//! VAPID (RFC 8292) key pairs for Web Push: P-256, base64url without padding.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::SecretKey;
use rand::{CryptoRng, Rng};

/// A new private key: 32 bytes, 43 base64url characters.
pub fn private_key<R: Rng + CryptoRng + ?Sized>(rng: &mut R) -> String {
    loop {
        let bytes = super::alphabet::bytes(rng, 32);
        // Zero and values at or above the group order are not keys; retry
        // (probability about 2^-32).
        if let Ok(key) = SecretKey::from_slice(&bytes) {
            return URL_SAFE_NO_PAD.encode(key.to_bytes());
        }
    }
}

/// Whether `private` is a valid P-256 private key (32 bytes, base64url, a
/// scalar in `[1, n)`): a range check, with no point multiplication.
pub fn is_private_key(private: &str) -> bool {
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(private.trim_end_matches('=')) else {
        return false;
    };
    let bytes = zeroize::Zeroizing::new(bytes);
    bytes.len() == 32 && SecretKey::from_slice(&bytes).is_ok()
}

/// The public key of a private key: the uncompressed point (65 bytes, first
/// byte 0x04), 87 base64url characters. `None` when `private` is not a
/// valid P-256 private key.
pub fn public_key(private: &str) -> Option<String> {
    let bytes =
        zeroize::Zeroizing::new(URL_SAFE_NO_PAD.decode(private.trim_end_matches('=')).ok()?);
    if bytes.len() != 32 {
        return None;
    }
    let key = SecretKey::from_slice(&bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(key.public_key().to_encoded_point(false).as_bytes()))
}

/// Whether `public` is the public key of `private`. `None` when `private`
/// is not a valid P-256 private key (its own format finding says why).
///
/// Checked by `ring`, whose fixed-base multiplication uses precomputed
/// tables: about a tenth of the instructions of deriving the point with
/// `p256`, which matters when `audit --manifest` checks hundreds of files.
pub fn is_public_key_of(private: &str, public: &str) -> Option<bool> {
    let private =
        zeroize::Zeroizing::new(URL_SAFE_NO_PAD.decode(private.trim_end_matches('=')).ok()?);
    if private.len() != 32 || SecretKey::from_slice(&private).is_err() {
        return None;
    }
    let Ok(public) = URL_SAFE_NO_PAD.decode(public.trim_end_matches('=')) else {
        return Some(false);
    };
    let pair = ring::signature::EcdsaKeyPair::from_private_key_and_public_key(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &private,
        &public,
        &ring::rand::SystemRandom::new(),
    );
    Some(pair.is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_agrees_with_derivation() {
        let mut rng = crate::generate::os_rng();
        let good = private_key(&mut rng);
        assert!(is_private_key(&good) && public_key(&good).is_some());
        // Zero, the group order and short input are not keys.
        let zero = URL_SAFE_NO_PAD.encode([0u8; 32]);
        let order = URL_SAFE_NO_PAD.encode(
            hex::decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")
                .unwrap(),
        );
        for bad in [zero.as_str(), order.as_str(), "AAAA", "not base64!"] {
            assert_eq!(is_private_key(bad), public_key(bad).is_some(), "{bad}");
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
            let public = public_key(&private).unwrap();
            assert_eq!(is_public_key_of(&private, &public), Some(true));
            let other = public_key(&private_key(&mut rng)).unwrap();
            assert_eq!(is_public_key_of(&private, &other), Some(false));
            assert_eq!(is_public_key_of(&private, "not base64!"), Some(false));
            assert_eq!(is_public_key_of(&private, &public[..40]), Some(false));
        }
        assert_eq!(is_public_key_of("AAAA", "AAAA"), None);
    }

    #[test]
    fn zero_is_not_a_private_key() {
        assert_eq!(public_key(&URL_SAFE_NO_PAD.encode([0u8; 32])), None);
        assert_eq!(public_key("not base64!"), None);
    }
}
