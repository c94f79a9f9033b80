//! The journal of a live rotation: `.NAME.rotation-journal` beside the
//! `.env`, written through the `.env`'s own lock at 0600 and the `.env`'s
//! owner ([`Locked::replace_companion`]). It names the engine, holds each
//! account's old and new value, the `.env`'s SHA-256 before and its whole
//! text after, and the stage reached, so that `--resume` can finish or undo
//! a cut-off run for any engine.
//!
//! It is no authority: it belongs to the `.env`'s owner, so it may name an
//! engine and accounts, but the accounts are vetted again by the engine's
//! `check` before anything changes.

use std::path::PathBuf;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{AccountChange, LiveError};
use crate::secure_file::Locked;
use crate::SecretValue;

/// The journal's name beside the `.env`: `.NAME` plus this.
pub(crate) const SUFFIX: &str = ".rotation-journal";

/// The version this code writes. Version 1 (PostgreSQL only, before the
/// engines shared a transaction) had no `engine` and no `stage`; it is read
/// as a PostgreSQL journal cut off before the `.env` commit was known.
const VERSION: u32 = 2;

/// How far a run got, beyond what the `.env` itself shows (committed or
/// not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Stage {
    /// The server is being changed; the `.env` may or may not be committed.
    #[default]
    Changing,
    /// The `.env` is committed and its readers were restarted: what is
    /// left is retiring the old values and persisting.
    Restarted,
}

/// One account's change as the journal stores it.
#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    key: String,
    /// Version 1 called it `role`.
    #[serde(alias = "role")]
    account: String,
    #[serde(with = "secret_string")]
    old: SecretValue,
    #[serde(with = "secret_string")]
    new: SecretValue,
    #[serde(default)]
    named_explicitly: bool,
}

mod secret_string {
    use crate::SecretValue;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &SecretValue, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.expose())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SecretValue, D::Error> {
        String::deserialize(d).map(SecretValue::new)
    }
}

fn postgres() -> String {
    "postgres".to_owned()
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    version: u32,
    /// Version 1 journals were all PostgreSQL's.
    #[serde(default = "postgres")]
    engine: String,
    #[serde(default)]
    stage: Stage,
    changes: Vec<Entry>,
    /// The keys whose readers restart (rotated keys and dependents).
    #[serde(default)]
    restart_keys: Vec<String>,
    /// SHA-256 of the `.env` before the rotation, to refuse resuming over a
    /// file edited since.
    old_sha256: String,
    #[serde(with = "secret_string")]
    new_document: SecretValue,
}

/// A journal, read or to be written.
pub(crate) struct Journal {
    /// [`super::Engine::name`] of the engine that changes the server.
    pub engine: String,
    pub stage: Stage,
    pub changes: Vec<AccountChange>,
    pub restart_keys: Vec<String>,
    pub old_sha256: String,
    pub new_document: SecretValue,
}

/// SHA-256 of `bytes`, in hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Where the journal of `env` is.
pub(crate) fn path(env: &Locked<'_>) -> PathBuf {
    env.companion_path(SUFFIX)
}

impl Journal {
    /// Writes (or rewrites) the journal beside `env`.
    pub(crate) fn write(&self, env: &Locked<'_>) -> Result<(), LiveError> {
        let stored = Stored {
            version: VERSION,
            engine: self.engine.clone(),
            stage: self.stage,
            changes: (self.changes.iter())
                .map(|c| Entry {
                    key: c.key.clone(),
                    account: c.account.clone(),
                    old: c.old.clone(),
                    new: c.new.clone(),
                    named_explicitly: c.named_explicitly,
                })
                .collect(),
            restart_keys: self.restart_keys.clone(),
            old_sha256: self.old_sha256.clone(),
            new_document: self.new_document.clone(),
        };
        // Sized once for the worst case (every byte escaped as `\u00XX`), so
        // growth never leaves a freed copy of the values behind.
        let values: usize = (self.changes.iter())
            .map(|c| c.old.expose().len() + c.new.expose().len() + c.key.len() + c.account.len())
            .sum::<usize>()
            + self.restart_keys.iter().map(|k| k.len() + 3).sum::<usize>();
        let capacity = 6 * (values + self.new_document.expose().len()) + 1024;
        let mut text = Zeroizing::new(Vec::with_capacity(capacity));
        serde_json::to_writer(&mut *text, &stored)
            .map_err(|e| LiveError::Journal(format!("cannot write the journal: {e}")))?;
        env.replace_companion(SUFFIX, &text)?;
        Ok(())
    }

    /// The journal beside `env`, if there is one.
    pub(crate) fn read(env: &Locked<'_>) -> Result<Option<Journal>, LiveError> {
        let Some(text) = env.read_companion(SUFFIX)? else {
            return Ok(None);
        };
        let unreadable = |why: String| {
            LiveError::Journal(format!(
                "{}: unreadable journal: {why}; the journal is kept",
                path(env).display()
            ))
        };
        let stored: Stored =
            serde_json::from_slice(&text).map_err(|e| unreadable(e.to_string()))?;
        if !(1..=VERSION).contains(&stored.version) {
            return Err(unreadable(format!(
                "version {} is not one this secrets knows (1 to {VERSION}): resume with the secrets that wrote it",
                stored.version
            )));
        }
        Ok(Some(Journal {
            engine: stored.engine,
            stage: stored.stage,
            changes: (stored.changes.into_iter())
                .map(|e| AccountChange {
                    key: e.key,
                    account: e.account,
                    old: e.old,
                    new: e.new,
                    named_explicitly: e.named_explicitly,
                })
                .collect(),
            restart_keys: stored.restart_keys,
            old_sha256: stored.old_sha256,
            new_document: stored.new_document,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A journal left by the PostgreSQL-only code (version 1) reads as a
    /// PostgreSQL journal with its roles as accounts.
    #[test]
    fn version_one_reads_as_postgres() {
        let v1 = br#"{"version":1,"changes":[{"key":"A","role":"app","old":"o","new":"n","named_explicitly":true}],"old_sha256":"00","new_document":"A=n\n"}"#;
        let stored: Stored = serde_json::from_slice(v1).unwrap();
        assert_eq!(stored.engine, "postgres");
        assert_eq!(stored.stage, Stage::Changing);
        assert_eq!(stored.changes[0].account, "app");
        assert_eq!(stored.changes[0].new.expose(), "n");
    }
}
