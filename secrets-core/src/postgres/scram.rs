//! PostgreSQL SCRAM-SHA-256 verifiers (RFC 5802, RFC 7677), the form
//! `ALTER ROLE ... PASSWORD '<verifier>'` stores as is, so the plaintext never
//! reaches the server or its statement log.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::{CryptoRng, Rng};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// PostgreSQL's default iteration count.
pub const DEFAULT_ITERATIONS: u32 = 4096;

/// Salt length PostgreSQL uses.
pub const SALT_BYTES: usize = 16;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = <Hmac<Sha256>>::new_from_slice(key).expect("HMAC takes keys of any length");
    m.update(data);
    m.finalize().into_bytes().into()
}

/// The verifier of `password` with `salt` and `iterations`:
/// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`.
///
/// The password is normalised with SASLprep as the server does; a password
/// SASLprep rejects is used as raw bytes, as the server does too.
pub fn verifier(password: &str, salt: &[u8], iterations: u32) -> String {
    let prepared: Zeroizing<String> = Zeroizing::new(match stringprep::saslprep(password) {
        Ok(p) => p.into_owned(),
        Err(_) => password.to_owned(),
    });
    let mut salted = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<Sha256>(prepared.as_bytes(), salt, iterations, salted.as_mut());
    let client_key = Zeroizing::new(hmac(salted.as_ref(), b"Client Key"));
    // Sliced: a second `AsRef` impl for arrays (hybrid-array, through age)
    // makes `.as_ref()` ambiguous.
    let stored_key = Sha256::digest(&client_key[..]);
    let server_key = hmac(salted.as_ref(), b"Server Key");
    format!(
        "SCRAM-SHA-256${iterations}:{}${}:{}",
        STANDARD.encode(salt),
        STANDARD.encode(stored_key),
        STANDARD.encode(server_key)
    )
}

/// A verifier with a fresh random salt and the default iterations.
pub fn new_verifier<R: Rng + CryptoRng + ?Sized>(password: &str, rng: &mut R) -> String {
    let mut salt = [0u8; SALT_BYTES];
    rng.fill_bytes(&mut salt);
    verifier(password, &salt, DEFAULT_ITERATIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7677_known_answer() {
        let salt = STANDARD.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        assert_eq!(
            verifier("pencil", &salt, 4096),
            "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="
        );
    }

    #[test]
    fn salts_differ() {
        let mut rng = crate::generate::os_rng();
        let a = new_verifier("pw", &mut rng);
        let b = new_verifier("pw", &mut rng);
        assert_ne!(a, b);
        assert!(a.starts_with("SCRAM-SHA-256$4096:"));
    }
}
