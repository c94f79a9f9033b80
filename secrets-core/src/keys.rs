//! Where the keys of an age-encrypted file come from: identity files that
//! decrypt it, and recipients to encrypt it to again. They are read only
//! once a file turns out to be encrypted: a plaintext file needs none.

use std::path::{Path, PathBuf};

use crate::crypt::{self, CryptError, Identities, Recipients};
use crate::envfile::{Document, ParseError};
use crate::safe_fs::{limits, read_secret, FsError};
use crate::stack::Stack;

/// The identity files and recipients a caller gave. `Debug` shows paths
/// and how many recipients, never their text.
#[derive(Default, Clone)]
pub struct AgeKeys {
    /// Age identity files or unencrypted SSH private keys.
    pub identity_files: Vec<PathBuf>,
    /// Age or SSH public keys.
    pub recipients: Vec<String>,
    /// Files of public keys, one per line.
    pub recipient_files: Vec<PathBuf>,
}

impl std::fmt::Debug for AgeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgeKeys")
            .field("identity_files", &self.identity_files)
            .field("recipients", &self.recipients.len())
            .field("recipient_files", &self.recipient_files)
            .finish()
    }
}

impl AgeKeys {
    /// Whether any identity or recipient was given.
    pub fn any_given(&self) -> bool {
        !self.identity_files.is_empty() || self.recipients_given()
    }

    /// Whether recipients were given (they replace the manifest's).
    pub fn recipients_given(&self) -> bool {
        !self.recipients.is_empty() || !self.recipient_files.is_empty()
    }

    /// The identities, read now; none is [`CryptError::NoIdentities`]
    /// naming the encrypted `file`.
    pub fn identities(&self, file: &Path) -> Result<Identities, CryptError> {
        if self.identity_files.is_empty() {
            return Err(CryptError::NoIdentities(file.to_owned()));
        }
        let mut ids = Identities::new();
        for path in &self.identity_files {
            ids.add_file(path)?;
        }
        Ok(ids)
    }

    /// The recipients given, or else the manifest's `recipients` and
    /// `recipients_file`. None at all is [`CryptError::NoRecipients`]: the
    /// age format does not record who a file was encrypted to.
    pub fn recipients(&self, stack: Option<&Stack>) -> Result<Recipients, CryptError> {
        let mut r = Recipients::new();
        if self.recipients_given() {
            for (i, text) in self.recipients.iter().enumerate() {
                r.add(text, &format!("recipient {} of the command line", i + 1))?;
            }
            for path in &self.recipient_files {
                r.add_file(path)?;
            }
        } else if let Some(stack) = stack {
            for (i, text) in stack.recipients.iter().enumerate() {
                r.add(text, &format!("the manifest's recipients, entry {}", i + 1))?;
            }
            if let Some(path) = &stack.recipients_file {
                r.add_file(path)?;
            }
        }
        if r.is_empty() {
            return Err(CryptError::NoRecipients);
        }
        Ok(r)
    }
}

/// A `.env` that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadEnvError {
    /// Reading failed or was refused (a link, over the size limit).
    #[error(transparent)]
    Fs(#[from] FsError),
    /// The file's place failed the writer's rules ([`AgeKeys::read_env_held`]).
    #[error(transparent)]
    Held(#[from] crate::secure_file::WriteError),
    /// Decrypting failed.
    #[error(transparent)]
    Crypt(#[from] CryptError),
    /// The content does not parse.
    #[error("{path}:{error}")]
    Parse {
        /// The file.
        path: String,
        /// Where and why (in the message: not a `source()` too).
        error: ParseError,
    },
}

/// Reads `path` (no symlink as its last component) within the limit of an
/// encrypted `.env`; `None` when absent. A plaintext file over the `.env`
/// limit is refused.
pub fn read_maybe_encrypted(path: &Path) -> Result<Option<crate::SecretBytes>, FsError> {
    let Some(bytes) = read_secret(path, limits::ENCRYPTED_ENV)? else {
        return Ok(None);
    };
    if !crypt::is_encrypted(&bytes) {
        within_env_limit(path, &bytes)?;
    }
    Ok(Some(bytes))
}

/// Refuses plaintext over the size limit of a `.env`.
pub fn within_env_limit(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    match bytes.len() as u64 {
        size if size > limits::ENV => Err(FsError::TooLarge {
            path: path.to_owned(),
            size,
            limit: limits::ENV,
        }),
        _ => Ok(()),
    }
}

/// Parses a `.env`'s bytes, naming the file in the error.
pub fn parse_env(path: &Path, bytes: &[u8]) -> Result<Document, ReadEnvError> {
    Document::parse(bytes).map_err(|error| ReadEnvError::Parse {
        path: path.display().to_string(),
        error,
    })
}

impl AgeKeys {
    /// Reads and parses a `.env` that may be age-encrypted (recognised by
    /// its header, then decrypted in memory with the identities); `None`
    /// when absent.
    pub fn read_env(&self, path: &Path) -> Result<Option<Document>, ReadEnvError> {
        self.parse_maybe_encrypted(path, read_maybe_encrypted(path)?)
    }

    /// [`AgeKeys::read_env`] for a file whose values are handed on (`export`):
    /// read with [`crate::secure_file::read_held`], so a file another user
    /// could have put in place (a group-writable directory) is refused.
    pub fn read_env_held(&self, path: &Path) -> Result<Option<Document>, ReadEnvError> {
        let bytes = crate::secure_file::read_held(path, limits::ENCRYPTED_ENV)?;
        if let Some(b) = bytes.as_ref().filter(|b| !crypt::is_encrypted(b)) {
            within_env_limit(path, b)?;
        }
        self.parse_maybe_encrypted(path, bytes)
    }

    fn parse_maybe_encrypted(
        &self,
        path: &Path,
        bytes: Option<crate::SecretBytes>,
    ) -> Result<Option<Document>, ReadEnvError> {
        let Some(bytes) = bytes else {
            return Ok(None);
        };
        if crypt::is_encrypted(&bytes) {
            let plain = crypt::decrypt(&bytes, &self.identities(path)?, path)?;
            return parse_env(path, &plain).map(Some);
        }
        parse_env(path, &bytes).map(Some)
    }
}
