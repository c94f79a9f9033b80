//! age encryption at rest: `.env.age` files in the standard age format
//! (binary or ASCII-armored), encrypted to age X25519 and SSH (`ssh-ed25519`,
//! `ssh-rsa`) public keys and decrypted in memory with an age identity file
//! or an unencrypted SSH private key. Whatever the `age` CLI writes is read
//! here, and the other way round.
//!
//! Recognising an encrypted file ([`is_encrypted`]) is always available (the
//! audit needs it); encrypting and decrypting need the `age` cargo feature,
//! and without it they fail with [`CryptError::Unsupported`]. Plaintext only
//! lives in zeroizing buffers; errors name files and positions, never
//! content, and never echo a recipient (a secret key pasted in its place
//! must not reach a log).

use std::path::{Path, PathBuf};

use crate::safe_fs::FsError;

/// The first line of a binary age file.
pub const HEADER: &[u8] = b"age-encryption.org/v1\n";

/// The first line of an ASCII-armored age file.
pub const ARMOR_BEGIN: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";

/// How many leading bytes [`is_encrypted`] may need (armor may follow
/// some whitespace).
pub const PREFIX_LEN: usize = 512;

/// Whether `bytes` start like an age file, binary or armored.
pub fn is_encrypted(bytes: &[u8]) -> bool {
    bytes.starts_with(HEADER) || is_armored(bytes)
}

/// Whether `bytes` start like an ASCII-armored age file (leading whitespace
/// allowed, as the age spec allows).
pub fn is_armored(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    bytes[start..].starts_with(ARMOR_BEGIN)
}

/// Encryption or decryption that did not happen. Names files and where a
/// recipient came from, never a value, a key or a recipient.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptError {
    /// Built without the `age` feature.
    #[error("this build of secrets has no age encryption (the `age` cargo feature)")]
    Unsupported,
    /// The input does not start like an age file.
    #[error("{0}: not an age-encrypted file (no `age-encryption.org/v1` or armor header)")]
    NotEncrypted(PathBuf),
    /// No identity was given to decrypt with.
    #[error("{0}: is age-encrypted and no identity was given to decrypt it")]
    NoIdentities(PathBuf),
    /// None of the identities opens the file.
    #[error("{0}: none of the identities given can decrypt it (it was encrypted to other keys)")]
    NoMatchingIdentity(PathBuf),
    /// The file is encrypted to a passphrase (`age -p`), not to recipients.
    #[error("{0}: is encrypted with a passphrase, not to keys; passphrases are not supported (encrypt to an age or SSH public key)")]
    PassphraseFile(PathBuf),
    /// The ciphertext does not authenticate: changed, damaged or truncated.
    #[error("{path}: {what}; nothing was decrypted")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: &'static str,
    },
    /// An SSH private key protected by a passphrase: no prompt is made.
    #[error("{0}: is a passphrase-protected SSH key, and secrets never asks for a passphrase: use an unencrypted key (such as the host key /etc/ssh/ssh_host_ed25519_key) or an age identity file")]
    ProtectedKey(PathBuf),
    /// An SSH key of a kind age cannot use.
    #[error("{path}: {what} SSH keys are not supported (ssh-ed25519 and ssh-rsa are)")]
    UnsupportedKey {
        /// The key file.
        path: PathBuf,
        /// Its kind.
        what: String,
    },
    /// A file given as an identity that is not one.
    #[error("{path}: not an age identity file or SSH private key{hint}")]
    InvalidIdentity {
        /// The file.
        path: PathBuf,
        /// A hint (a public key given in its place).
        hint: &'static str,
    },
    /// A recipient that is not an age or SSH public key.
    #[error("{origin}: {reason}")]
    InvalidRecipient {
        /// Where it was given (`FILE:LINE`, or its position).
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// Encrypting needs at least one recipient.
    #[error("no recipients to encrypt to")]
    NoRecipients,
    /// The plaintext is over the size limit of a `.env`.
    #[error("{path}: the decrypted content is over the limit of {limit} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: u64,
    },
    /// The recipients could not be combined in one file.
    #[error("cannot encrypt: {0}")]
    Encrypt(&'static str),
    /// Reading a key or recipients file failed or was refused.
    #[error(transparent)]
    Fs(#[from] FsError),
}

/// Public keys to encrypt to. `Debug` shows how many, not which.
#[derive(Default)]
pub struct Recipients {
    #[cfg(feature = "age")]
    list: Vec<Box<dyn age::Recipient + Send>>,
}

impl std::fmt::Debug for Recipients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Recipients({})", self.len())
    }
}

impl Recipients {
    /// No recipients yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many.
    pub fn len(&self) -> usize {
        #[cfg(feature = "age")]
        return self.list.len();
        #[cfg(not(feature = "age"))]
        0
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds one public key: `age1...` (X25519), or `ssh-ed25519 ...` /
    /// `ssh-rsa ...` (a trailing comment is allowed, as in a `.pub` file).
    /// `origin` says where it was given, for errors.
    pub fn add(&mut self, text: &str, origin: &str) -> Result<(), CryptError> {
        let invalid = |reason: &str| CryptError::InvalidRecipient {
            origin: origin.to_owned(),
            reason: reason.to_owned(),
        };
        let text = text.trim();
        if text.starts_with("AGE-SECRET-KEY-") {
            return Err(invalid(
                "is an age secret key, not a recipient: give its public key (`age-keygen -y KEYFILE`)",
            ));
        }
        if text.starts_with("-----BEGIN") {
            return Err(invalid(
                "is a private key, not a recipient: give its public key",
            ));
        }
        #[cfg(feature = "age")]
        {
            let recipient: Box<dyn age::Recipient + Send> = if text.starts_with("age1") {
                Box::new(
                    text.parse::<age::x25519::Recipient>()
                        .map_err(|_| invalid("is not a valid age X25519 public key (age1...)"))?,
                )
            } else if text.starts_with("ssh-") {
                use age::ssh::ParseRecipientKeyError as E;
                Box::new(text.parse::<age::ssh::Recipient>().map_err(|e| match e {
                    E::Unsupported(kind) => invalid(&format!(
                        "{kind} keys are not supported (ssh-ed25519 and ssh-rsa are)"
                    )),
                    E::RsaModulusTooSmall => invalid("is an RSA key under 2048 bits"),
                    E::RsaModulusTooLarge => invalid("is an RSA key over 4096 bits"),
                    _ => invalid("is not a valid SSH public key"),
                })?)
            } else {
                return Err(invalid(
                    "is not an age (age1...) or SSH (ssh-ed25519, ssh-rsa) public key",
                ));
            };
            self.list.push(recipient);
            Ok(())
        }
        #[cfg(not(feature = "age"))]
        Err(CryptError::Unsupported)
    }

    /// Adds every recipient of a recipients file (age's format: one per
    /// line, blank lines and `#` comments skipped; an SSH `.pub` file is
    /// one). Read within [`crate::safe_fs::limits::KEY`] bytes; a file
    /// with no recipient is an error. Who can read the secrets is decided
    /// here, so the file is read like a key file
    /// ([`crate::safe_fs::read_trusted`]): another user who could add a line
    /// would receive every secret encrypted to it.
    pub fn add_file(&mut self, path: &Path) -> Result<(), CryptError> {
        use crate::safe_fs::{limits, read_trusted};
        let bytes = read_trusted(path, limits::KEY)?.ok_or_else(|| not_found(path))?;
        let text = std::str::from_utf8(&bytes).map_err(|_| CryptError::InvalidRecipient {
            origin: path.display().to_string(),
            reason: "is not UTF-8 text".into(),
        })?;
        let before = self.len();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            self.add(line, &format!("{}:{}", path.display(), i + 1))?;
        }
        if self.len() == before {
            return Err(CryptError::InvalidRecipient {
                origin: path.display().to_string(),
                reason: "holds no recipients".into(),
            });
        }
        Ok(())
    }
}

fn not_found(path: &Path) -> CryptError {
    CryptError::Fs(FsError::Io {
        path: path.to_owned(),
        op: "open",
        source: std::io::ErrorKind::NotFound.into(),
    })
}

/// Private keys to decrypt with. `Debug` shows how many.
#[derive(Default)]
pub struct Identities {
    #[cfg(feature = "age")]
    list: Vec<Box<dyn age::Identity>>,
}

impl std::fmt::Debug for Identities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Identities({})", self.len())
    }
}

impl Identities {
    /// No identities yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many.
    pub fn len(&self) -> usize {
        #[cfg(feature = "age")]
        return self.list.len();
        #[cfg(not(feature = "age"))]
        0
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds the keys of `path`: an age identity file (`AGE-SECRET-KEY-1...`
    /// lines, as `age-keygen` writes them) or an unencrypted OpenSSH or PEM
    /// ed25519/RSA private key. Read like a secret file (no symlink as the
    /// last component, within [`crate::safe_fs::limits::KEY`] bytes) into
    /// a buffer zeroized after parsing. A passphrase-protected SSH key is
    /// refused at once: there is no prompt.
    pub fn add_file(&mut self, path: &Path) -> Result<(), CryptError> {
        use crate::safe_fs::{limits, read_secret};
        let bytes = read_secret(path, limits::KEY)?.ok_or_else(|| not_found(path))?;
        let trimmed = bytes.trim_ascii_start();
        let invalid = |hint| CryptError::InvalidIdentity {
            path: path.to_owned(),
            hint,
        };
        if trimmed.starts_with(b"ssh-") || trimmed.starts_with(b"age1") {
            return Err(invalid(
                " (it is a public key: decrypting needs the private key)",
            ));
        }
        #[cfg(feature = "age")]
        {
            if trimmed.starts_with(b"-----BEGIN") {
                use age::ssh::{Identity, UnsupportedKey};
                let identity = Identity::from_buffer(trimmed, None).map_err(|_| invalid(""))?;
                return match identity {
                    Identity::Unencrypted(_) => {
                        self.list.push(Box::new(identity));
                        Ok(())
                    }
                    Identity::Encrypted(_)
                    | Identity::Unsupported(
                        UnsupportedKey::EncryptedPem | UnsupportedKey::EncryptedSsh(_),
                    ) => Err(CryptError::ProtectedKey(path.to_owned())),
                    Identity::Unsupported(
                        UnsupportedKey::Hardware(kind) | UnsupportedKey::Type(kind),
                    ) => Err(CryptError::UnsupportedKey {
                        path: path.to_owned(),
                        what: kind,
                    }),
                };
            }
            let file = age::IdentityFile::from_buffer(trimmed).map_err(|_| invalid(""))?;
            let keys = file.into_identities().map_err(|_| invalid(""))?;
            if keys.is_empty() {
                return Err(invalid(" (it holds no key)"));
            }
            self.list
                .extend(keys.into_iter().map(|k| k as Box<dyn age::Identity>));
            Ok(())
        }
        #[cfg(not(feature = "age"))]
        Err(CryptError::Unsupported)
    }
}

/// Encrypts `plaintext` to every recipient, in the binary age format or
/// ASCII-armored. The ciphertext holds nothing secret.
pub fn encrypt(
    plaintext: &[u8],
    recipients: &Recipients,
    armor: bool,
) -> Result<Vec<u8>, CryptError> {
    if recipients.is_empty() {
        return Err(CryptError::NoRecipients);
    }
    #[cfg(feature = "age")]
    {
        backend::encrypt(plaintext, recipients, armor)
    }
    #[cfg(not(feature = "age"))]
    {
        let _ = (plaintext, armor);
        Err(CryptError::Unsupported)
    }
}

/// Decrypts an age file (binary or armored) read from `path` (named in
/// errors) into one zeroizing buffer, never grown: the plaintext is at most
/// as long as the ciphertext, and at most [`crate::safe_fs::limits::ENV`].
/// Nothing is returned unless every chunk authenticated.
pub fn decrypt(
    ciphertext: &[u8],
    identities: &Identities,
    path: &Path,
) -> Result<crate::SecretBytes, CryptError> {
    if !is_encrypted(ciphertext) {
        return Err(CryptError::NotEncrypted(path.to_owned()));
    }
    if identities.is_empty() {
        return Err(CryptError::NoIdentities(path.to_owned()));
    }
    #[cfg(feature = "age")]
    {
        if is_armored(ciphertext) {
            let reader = age::armor::ArmoredReader::new(ciphertext);
            backend::decrypt(reader, ciphertext.len(), identities, path)
        } else {
            backend::decrypt(ciphertext, ciphertext.len(), identities, path)
        }
    }
    #[cfg(not(feature = "age"))]
    Err(CryptError::Unsupported)
}

/// Decrypts the age file `file` (opened with
/// [`crate::safe_fs::open_secret`]) as [`decrypt`] does, reading the
/// ciphertext as a stream: only the plaintext is held whole. The file must
/// be a regular file within [`crate::safe_fs::limits::ENCRYPTED_ENV`] bytes.
/// Not part of the stable API: it takes the file layer's handle
/// ([`crate::unstable`]).
#[doc(hidden)]
pub fn decrypt_file(
    file: &crate::safe_fs::OpenFile,
    identities: &Identities,
) -> Result<crate::SecretBytes, CryptError> {
    use crate::safe_fs::limits;
    let path = file.path();
    if file.len() > limits::ENCRYPTED_ENV {
        return Err(CryptError::Fs(FsError::TooLarge {
            path: path.to_owned(),
            size: file.len(),
            limit: limits::ENCRYPTED_ENV,
        }));
    }
    let head = file.read_prefix(PREFIX_LEN)?;
    if !is_encrypted(&head) {
        return Err(CryptError::NotEncrypted(path.to_owned()));
    }
    if identities.is_empty() {
        return Err(CryptError::NoIdentities(path.to_owned()));
    }
    #[cfg(feature = "age")]
    {
        let len = usize::try_from(file.len()).unwrap_or(usize::MAX);
        let reader = std::io::BufReader::with_capacity(64 << 10, file);
        if is_armored(&head) {
            backend::decrypt(
                age::armor::ArmoredReader::new(reader),
                len,
                identities,
                path,
            )
        } else {
            backend::decrypt(reader, len, identities, path)
        }
    }
    #[cfg(not(feature = "age"))]
    Err(CryptError::Unsupported)
}

#[cfg(feature = "age")]
mod backend {
    use std::io::{BufRead, Read, Write};
    use std::path::Path;

    use zeroize::Zeroizing;

    use super::{CryptError, Identities, Recipients};
    use crate::safe_fs::limits;

    const DAMAGED: &str = "the ciphertext was changed, damaged or truncated";

    pub fn encrypt(
        plaintext: &[u8],
        recipients: &Recipients,
        armor: bool,
    ) -> Result<Vec<u8>, CryptError> {
        let encryptor = age::Encryptor::with_recipients(
            recipients
                .list
                .iter()
                .map(|r| r.as_ref() as &dyn age::Recipient),
        )
        .map_err(|e| match e {
            age::EncryptError::MissingRecipients => CryptError::NoRecipients,
            age::EncryptError::IncompatibleRecipients { .. } => {
                CryptError::Encrypt("these recipients cannot share one file")
            }
            _ => CryptError::Encrypt("the recipients could not wrap the file key"),
        })?;
        // Writes into a Vec cannot fail; the size is known within a few
        // percent, so one allocation.
        let io = |_| CryptError::Encrypt("writing the ciphertext failed");
        let mut out = Vec::with_capacity(plaintext.len() / 3 * 4 + plaintext.len() / 16 + 4096);
        if armor {
            let armored =
                age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
                    .map_err(io)?;
            let mut w = encryptor.wrap_output(armored).map_err(io)?;
            w.write_all(plaintext).map_err(io)?;
            w.finish().and_then(|a| a.finish()).map_err(io)?;
        } else {
            let mut w = encryptor.wrap_output(&mut out).map_err(io)?;
            w.write_all(plaintext).map_err(io)?;
            w.finish().map_err(io)?;
        }
        Ok(out)
    }

    pub fn decrypt<R: BufRead>(
        input: R,
        ciphertext_len: usize,
        identities: &Identities,
        path: &Path,
    ) -> Result<crate::SecretBytes, CryptError> {
        let damaged = |what| CryptError::Damaged {
            path: path.to_owned(),
            what,
        };
        let decryptor = age::Decryptor::new_buffered(input).map_err(|e| match e {
            age::DecryptError::UnknownFormat => {
                damaged("it is in an age format version this build does not know")
            }
            _ => damaged(DAMAGED),
        })?;
        if decryptor.is_scrypt() {
            return Err(CryptError::PassphraseFile(path.to_owned()));
        }
        let mut reader = decryptor
            .decrypt(identities.list.iter().map(|i| i.as_ref()))
            .map_err(|e| match e {
                age::DecryptError::NoMatchingKeys => {
                    CryptError::NoMatchingIdentity(path.to_owned())
                }
                age::DecryptError::KeyDecryptionFailed
                | age::DecryptError::ExcessiveWork { .. } => {
                    CryptError::PassphraseFile(path.to_owned())
                }
                _ => damaged(DAMAGED),
            })?;
        let limit = usize::try_from(limits::ENV).unwrap_or(usize::MAX);
        // One byte more than can come, to see the end; never reallocated.
        let cap = ciphertext_len.min(limit).saturating_add(1);
        let mut buf = Zeroizing::new(vec![0u8; cap]);
        let mut filled = 0;
        loop {
            if filled == buf.len() {
                return Err(CryptError::TooLarge {
                    path: path.to_owned(),
                    limit: limits::ENV,
                });
            }
            match reader.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // The last chunk is only returned once it authenticated; a
                // failure anywhere discards everything read so far.
                Err(_) => return Err(damaged(DAMAGED)),
            }
        }
        buf.truncate(filled);
        Ok(buf.into())
    }
}

#[cfg(all(test, feature = "age"))]
mod tests {
    use super::*;

    fn keypair() -> (String, tempfile::TempDir) {
        let sk = age::x25519::Identity::generate();
        let pk = sk.to_public().to_string();
        let d = tempfile::tempdir().unwrap();
        use age::secrecy::ExposeSecret;
        std::fs::write(
            d.path().join("key.txt"),
            format!("# a comment\n{}\n", sk.to_string().expose_secret()),
        )
        .unwrap();
        (pk, d)
    }

    #[test]
    fn round_trips_binary_and_armored() {
        let (pk, d) = keypair();
        let mut r = Recipients::new();
        r.add(&pk, "test").unwrap();
        let mut ids = Identities::new();
        ids.add_file(&d.path().join("key.txt")).unwrap();
        for armor in [false, true] {
            let ct = encrypt(b"A=1\nB='x y'\n", &r, armor).unwrap();
            assert!(is_encrypted(&ct));
            assert_eq!(is_armored(&ct), armor);
            let pt = decrypt(&ct, &ids, Path::new("f")).unwrap();
            assert_eq!(pt.as_slice(), b"A=1\nB='x y'\n");
            // The same through the file handle, streamed.
            let p = d.path().join("f.age");
            std::fs::write(&p, &ct).unwrap();
            let f = crate::safe_fs::open_secret(&p).unwrap().unwrap();
            assert_eq!(
                decrypt_file(&f, &ids).unwrap().as_slice(),
                b"A=1\nB='x y'\n"
            );
        }
    }

    #[test]
    fn failures_are_classified() {
        let (pk, d) = keypair();
        let (other, _d2) = keypair();
        let mut r = Recipients::new();
        r.add(&other, "test").unwrap();
        let mut ids = Identities::new();
        ids.add_file(&d.path().join("key.txt")).unwrap();
        let p = Path::new("f");
        let ct = encrypt(b"A=1\n", &r, false).unwrap();
        assert!(matches!(
            decrypt(&ct, &ids, p),
            Err(CryptError::NoMatchingIdentity(_))
        ));
        let mut r = Recipients::new();
        r.add(&pk, "test").unwrap();
        let mut ct = encrypt(b"A=1\n", &r, false).unwrap();
        assert!(matches!(
            decrypt(&ct[..ct.len() - 1], &ids, p),
            Err(CryptError::Damaged { .. })
        ));
        let last = ct.len() - 1;
        ct[last] ^= 1;
        assert!(matches!(
            decrypt(&ct, &ids, p),
            Err(CryptError::Damaged { .. })
        ));
        assert!(matches!(
            decrypt(b"A=1\n", &ids, p),
            Err(CryptError::NotEncrypted(_))
        ));
    }

    #[test]
    fn recipients_are_checked_and_never_echoed() {
        let mut r = Recipients::new();
        let e = r
            .add("AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQ", "-r 1")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("-r 1: is an age secret key"), "{e}");
        assert!(!e.contains("QQQQ"), "{e}");
        assert!(r.add("age1notakey", "x").is_err());
        assert!(r.add("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "x").is_err());
        assert!(r.is_empty());
        assert!(matches!(
            encrypt(b"x", &r, false),
            Err(CryptError::NoRecipients)
        ));
    }

    #[test]
    fn detection() {
        assert!(is_encrypted(b"age-encryption.org/v1\n-> X25519 abc\n"));
        assert!(is_encrypted(
            b"\n  -----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n"
        ));
        assert!(!is_encrypted(b"age-encryption.org/v1"));
        assert!(!is_encrypted(b"A=1\n"));
    }
}
