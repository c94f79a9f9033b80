//! What the commands share for age-encrypted files: identities and
//! recipients from the arguments or the manifest, and reading a `.env`
//! that may be encrypted.

use std::path::Path;

use secrets_core::crypt::{self, CryptError, Identities, Recipients};
use secrets_core::envfile::Document;
use secrets_core::keys::{self, AgeKeys, ReadEnvError};
use secrets_core::stack::Stack;
use secrets_core::unstable::safe_fs::{limits, open_secret};
use secrets_core::SecretBytes;

use crate::args::{IdentityArgs, RecipientArgs};
use crate::failure::Failure;

/// `-i`, `-r` and `-R` as the library's [`AgeKeys`].
pub fn age_keys(identity: &IdentityArgs, recipients: &RecipientArgs) -> AgeKeys {
    AgeKeys {
        identity_files: identity.identities.clone(),
        recipients: recipients.recipients.clone(),
        recipient_files: recipients.recipients_files.clone(),
    }
}

/// A crypt error, with the flags that supply what was missing.
pub fn failure(e: CryptError) -> Failure {
    match e {
        CryptError::NoIdentities(file) => Failure::Error(format!(
            "{}: is age-encrypted: give the key that decrypts it with -i FILE (an age identity file or an unencrypted SSH private key)",
            file.display()
        )),
        CryptError::NoRecipients => Failure::Error(
            "no recipients to encrypt to (an age file does not record them): give -r RECIPIENT or -R FILE, or list them in the manifest as `[stack] recipients = [...]` or `recipients_file = \"...\"`".into(),
        ),
        e => Failure::from(e),
    }
}

/// The identities of `-i`; none is an error naming the encrypted `file`.
pub fn identities(args: &IdentityArgs, file: &Path) -> Result<Identities, Failure> {
    let keys = AgeKeys {
        identity_files: args.identities.clone(),
        ..AgeKeys::default()
    };
    keys.identities(file).map_err(failure)
}

/// The recipients of `-r` and `-R` when any is given (they replace the
/// manifest's), else the manifest's.
pub fn recipients(args: &RecipientArgs, stack: Option<&Stack>) -> Result<Recipients, Failure> {
    age_keys(
        &IdentityArgs {
            identities: Vec::new(),
        },
        args,
    )
    .recipients(stack)
    .map_err(failure)
}

/// The plaintext of the age-encrypted file `path`, decrypted in memory.
/// The ciphertext is streamed from the file: only the plaintext is held.
pub fn decrypt_file(path: &Path, args: &IdentityArgs) -> Result<SecretBytes, Failure> {
    let file = open_secret(path)?
        .ok_or_else(|| Failure::Error(format!("{}: no such file", path.display())))?
        .require_regular()?;
    decrypt_open(path, file, args)
}

/// [`decrypt_file`] for a file whose content decides what root writes
/// (`write --from`): opened like a key file
/// ([`secrets_core::unstable::safe_fs::open_trusted`]).
pub fn decrypt_file_trusted(path: &Path, args: &IdentityArgs) -> Result<SecretBytes, Failure> {
    let file = secrets_core::unstable::safe_fs::open_trusted(path)?
        .ok_or_else(|| Failure::Error(format!("{}: no such file", path.display())))?;
    decrypt_open(path, file, args)
}

fn decrypt_open(
    path: &Path,
    file: secrets_core::unstable::safe_fs::OpenFile,
    args: &IdentityArgs,
) -> Result<SecretBytes, Failure> {
    let file = file.require_regular()?;
    if !crypt::is_encrypted(&file.read_prefix(crypt::PREFIX_LEN)?) {
        return Err(crypt::CryptError::NotEncrypted(path.to_owned()).into());
    }
    let ids = identities(args, path)?;
    Ok(crypt::decrypt_file(&file, &ids)?)
}

/// Reads a `.env` (or `.env.age`) whose content decides what root runs or
/// writes (`run`, `write --from`): it is read like a key file
/// ([`secrets_core::unstable::safe_fs::read_trusted`]), since a successful decryption
/// says nothing about who wrote a `.env.age` (anyone with the public key
/// can). `None` when absent.
pub fn read_env_trusted(path: &Path, args: &IdentityArgs) -> Result<Option<Document>, Failure> {
    let Some(bytes) = secrets_core::unstable::safe_fs::read_trusted(path, limits::ENCRYPTED_ENV)?
    else {
        return Ok(None);
    };
    if crypt::is_encrypted(&bytes) {
        let ids = identities(args, path)?;
        let plain = crypt::decrypt(&bytes, &ids, path)?;
        return parse(path, &plain).map(Some);
    }
    keys::within_env_limit(path, &bytes)?;
    parse(path, &bytes).map(Some)
}

/// Parses a `.env`'s bytes, naming the file in the error.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Document, Failure> {
    Ok(keys::parse_env(path, bytes)?)
}

/// Reads and parses a `.env` that may be age-encrypted (recognised by its
/// header; then decrypted in memory with `-i`); `None` when absent.
pub fn read_env(path: &Path, args: &IdentityArgs) -> Result<Option<Document>, Failure> {
    let keys = age_keys(args, &RecipientArgs::default());
    keys.read_env(path).map_err(read_failure)
}

/// A read error, with the flags that supply what was missing.
pub fn read_failure(e: ReadEnvError) -> Failure {
    match e {
        ReadEnvError::Crypt(e) => failure(e),
        e => Failure::from(e),
    }
}
