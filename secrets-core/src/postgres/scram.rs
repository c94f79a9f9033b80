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

/// The client and server keys of `password` with `salt` and `iterations`.
///
/// The password is normalised with SASLprep as the server does; a password
/// SASLprep rejects is used as raw bytes, as the server does too. An ASCII
/// password is used in place; a normalised one only in a zeroizing buffer.
fn keys(password: &str, salt: &[u8], iterations: u32) -> (Zeroizing<[u8; 32]>, [u8; 32]) {
    // Already normalised (borrowed), or refused: the raw password.
    let normalized = match stringprep::saslprep(password) {
        Ok(std::borrow::Cow::Owned(p)) => Some(Zeroizing::new(p)),
        _ => None,
    };
    let prepared = normalized.as_deref().map_or(password, String::as_str);
    let mut salted = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<Sha256>(prepared.as_bytes(), salt, iterations, salted.as_mut());
    let client_key = Zeroizing::new(hmac(salted.as_ref(), b"Client Key"));
    let server_key = hmac(salted.as_ref(), b"Server Key");
    (client_key, server_key)
}

/// The verifier of `password` with `salt` and `iterations`:
/// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`.
///
/// The password is normalised with SASLprep as the server does; a password
/// SASLprep rejects is used as raw bytes, as the server does too.
pub fn verifier(password: &str, salt: &[u8], iterations: u32) -> String {
    let (client_key, server_key) = keys(password, salt, iterations);
    // Sliced: a second `AsRef` impl for arrays (hybrid-array, through age)
    // makes `.as_ref()` ambiguous.
    let stored_key = Sha256::digest(&client_key[..]);
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

/// A password on input that cannot be hashed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordInputError {
    /// Fewer iterations than PostgreSQL's default.
    #[error("iterations must be at least {DEFAULT_ITERATIONS}")]
    TooFewIterations,
    /// Reading failed or the input is over its limit.
    #[error(transparent)]
    Read(#[from] crate::safe_fs::FsError),
    /// The password is not UTF-8.
    #[error("the password is not UTF-8")]
    NotUtf8,
    /// Empty, or more than one line.
    #[error("the input must hold one non-empty line: the password")]
    NotOneLine,
}

/// The verifier, with a fresh salt, of the password that `input` (named
/// `<stdin>` in errors) holds on one line: the trailing newline of `echo`
/// or a file is not part of it. The iterations are checked before anything
/// is read.
///
/// ```
/// use secrets_core::generate::os_rng;
/// use secrets_core::postgres::scram::verifier_of_input;
///
/// let v = verifier_of_input(&b"correct horse\n"[..], 4096, &mut os_rng())?;
/// assert!(v.starts_with("SCRAM-SHA-256$4096:"));
/// assert!(verifier_of_input(&b"a\nb\n"[..], 4096, &mut os_rng()).is_err());
/// # Ok::<(), secrets_core::postgres::scram::PasswordInputError>(())
/// ```
pub fn verifier_of_input<R: Rng + CryptoRng + ?Sized>(
    input: impl std::io::Read,
    iterations: u32,
    rng: &mut R,
) -> Result<String, PasswordInputError> {
    if iterations < DEFAULT_ITERATIONS {
        return Err(PasswordInputError::TooFewIterations);
    }
    let stdin = std::path::Path::new("<stdin>");
    let bytes = crate::safe_fs::read_limited(input, crate::safe_fs::limits::STDIN, stdin)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| PasswordInputError::NotUtf8)?;
    let password = (text.strip_suffix('\n'))
        .map(|p| p.strip_suffix('\r').unwrap_or(p))
        .unwrap_or(text);
    if password.is_empty() || password.contains('\n') {
        return Err(PasswordInputError::NotOneLine);
    }
    let mut salt = [0u8; SALT_BYTES];
    rng.fill_bytes(&mut salt);
    Ok(verifier(password, &salt, iterations))
}

/// The most PBKDF2 iterations a server may ask of the login check (as
/// postgres-protocol and pgjdbc): more lets an impostor burn our CPU.
#[cfg(feature = "postgres")]
const MAX_ITERATIONS: u32 = 100_000;

/// The client side of a SCRAM-SHA-256(-PLUS) login, RFC 5802 and RFC 7677,
/// as PostgreSQL runs it (an empty user name: the startup message names the
/// role). Done here rather than with postgres-protocol's, which copies the
/// password into a plain buffer it frees uncleared.
#[cfg(feature = "postgres")]
pub(crate) struct ScramClient {
    gs2_header: &'static str,
    /// `tls-server-end-point` data: the hash of the server's certificate.
    binding: Vec<u8>,
    nonce: String,
    /// The server's signature the final message must carry.
    expected: Option<[u8; 32]>,
}

#[cfg(feature = "postgres")]
impl ScramClient {
    /// A login with a fresh nonce; `binding` (the server certificate's
    /// hash) makes it SCRAM-SHA-256-PLUS with `tls-server-end-point`.
    pub(crate) fn new<R: Rng + CryptoRng + ?Sized>(rng: &mut R, binding: Option<Vec<u8>>) -> Self {
        let mut nonce = [0u8; 18];
        rng.fill_bytes(&mut nonce);
        ScramClient::with_nonce(STANDARD.encode(nonce), binding)
    }

    fn with_nonce(nonce: String, binding: Option<Vec<u8>>) -> Self {
        let (gs2_header, binding) = match binding {
            Some(b) => ("p=tls-server-end-point,,", b),
            None => ("n,,", Vec::new()),
        };
        ScramClient {
            gs2_header,
            binding,
            nonce,
            expected: None,
        }
    }

    fn first_bare(&self) -> String {
        format!("n=,r={}", self.nonce)
    }

    /// The client-first-message.
    pub(crate) fn first_message(&self) -> String {
        format!("{}{}", self.gs2_header, self.first_bare())
    }

    /// The client-final-message answering `server_first`, with the proof
    /// that we know `password`.
    pub(crate) fn final_message(
        &mut self,
        password: &str,
        server_first: &[u8],
    ) -> Result<String, String> {
        let bad = |what: &str| format!("SCRAM: the server's first message {what}");
        let text = std::str::from_utf8(server_first).map_err(|_| bad("is not UTF-8"))?;
        let mut fields = text.split(',');
        let mut field = |name: &str| {
            fields
                .next()
                .and_then(|f| f.strip_prefix(name))
                .ok_or_else(|| bad(&format!("lacks `{name}`")))
        };
        let nonce = field("r=")?;
        let salt = STANDARD
            .decode(field("s=")?)
            .map_err(|_| bad("has a salt that is not base64"))?;
        let iterations: u32 = field("i=")?
            .parse()
            .map_err(|_| bad("has a bad iteration count"))?;
        if fields.next().is_some() {
            return Err(bad("has unknown extensions"));
        }
        if !nonce.starts_with(&self.nonce) || nonce.len() == self.nonce.len() {
            return Err(bad("does not extend our nonce"));
        }
        if !(1..=MAX_ITERATIONS).contains(&iterations) {
            return Err(bad(&format!(
                "asks for {iterations} iterations (at most {MAX_ITERATIONS})"
            )));
        }
        let mut cbind = self.gs2_header.as_bytes().to_vec();
        cbind.extend_from_slice(&self.binding);
        let without_proof = format!("c={},r={nonce}", STANDARD.encode(cbind));
        let auth_message = format!("{},{text},{without_proof}", self.first_bare());
        let (client_key, server_key) = keys(password, &salt, iterations);
        let stored_key = Sha256::digest(&client_key[..]);
        let signature = hmac(&stored_key, auth_message.as_bytes());
        let mut proof = Zeroizing::new(*client_key);
        for (p, s) in proof.iter_mut().zip(signature) {
            *p ^= s;
        }
        self.expected = Some(hmac(&server_key, auth_message.as_bytes()));
        Ok(format!("{without_proof},p={}", STANDARD.encode(&proof[..])))
    }

    /// Checks the server-final-message: the server proves it knows the
    /// verifier (an impostor does not).
    pub(crate) fn verify_server(&self, server_final: &[u8]) -> Result<(), String> {
        let expected = self
            .expected
            .ok_or("SCRAM: the server's final message came too early")?;
        let text = std::str::from_utf8(server_final).unwrap_or("");
        if let Some(error) = text.strip_prefix("e=") {
            return Err(format!("SCRAM: the server refused: {error}"));
        }
        let given = text
            .strip_prefix("v=")
            .and_then(|v| STANDARD.decode(v).ok())
            .ok_or("SCRAM: the server's final message does not parse")?;
        let same = given.len() == expected.len()
            && given
                .iter()
                .zip(expected)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        same.then_some(())
            .ok_or_else(|| "SCRAM: the server's signature is wrong".to_owned())
    }
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

    /// RFC 7677's exchange, with PostgreSQL's empty user name: the proof
    /// changes with it, so it is checked the server's way, against the
    /// verifier: H(proof XOR HMAC(StoredKey, AuthMessage)) = StoredKey.
    #[cfg(feature = "postgres")]
    #[test]
    fn client_proof_checks_against_the_verifier() {
        let salt = STANDARD.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let v = verifier("pencil", &salt, 4096);
        let (stored, server_key) = v.rsplit_once('$').unwrap().1.split_once(':').unwrap();
        let (stored, server_key) = (
            STANDARD.decode(stored).unwrap(),
            STANDARD.decode(server_key).unwrap(),
        );
        for binding in [None, Some(vec![7u8; 32])] {
            let mut c = ScramClient::with_nonce("rOprNGfwEbeRWgbNEkqO".into(), binding.clone());
            let first = c.first_message();
            let server_first =
                "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
            let last = c.final_message("pencil", server_first.as_bytes()).unwrap();
            let (without_proof, proof) = last.rsplit_once(",p=").unwrap();
            let header = if binding.is_some() {
                "p=tls-server-end-point,,"
            } else {
                "n,,"
            };
            assert_eq!(first, format!("{header}n=,r=rOprNGfwEbeRWgbNEkqO"));
            let mut cbind = header.as_bytes().to_vec();
            cbind.extend(binding.unwrap_or_default());
            assert!(without_proof.starts_with(&format!("c={},r=", STANDARD.encode(cbind))));
            let auth = format!("{},{server_first},{without_proof}", &first[header.len()..]);
            let signature = hmac(&stored, auth.as_bytes());
            let key: Vec<u8> = STANDARD
                .decode(proof)
                .unwrap()
                .iter()
                .zip(signature)
                .map(|(p, s)| p ^ s)
                .collect();
            assert_eq!(Sha256::digest(&key)[..], stored[..]);
            let server_final = format!("v={}", STANDARD.encode(hmac(&server_key, auth.as_bytes())));
            c.verify_server(server_final.as_bytes()).unwrap();
            assert!(c.verify_server(b"v=AAAA").is_err());
            assert!(c.verify_server(b"e=invalid-proof").is_err());
        }
        let mut c = ScramClient::with_nonce("abc".into(), None);
        for refused in [
            "r=xyz1,s=AAAA,i=4096",
            "r=abc,s=AAAA,i=4096",
            "r=abcd,s=AAAA,i=1000000",
            "r=abcd,s=@@,i=1",
            "m=x,r=abcd,s=AAAA,i=1",
        ] {
            assert!(
                c.final_message("pw", refused.as_bytes()).is_err(),
                "{refused}"
            );
        }
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
