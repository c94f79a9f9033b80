//! Live steps: servers that keep their own copy of a credential (the
//! `stored` rotation class). Each engine is one file behind [`Engine`]
//! (PostgreSQL, MySQL/MariaDB, Redis, a container's own CLI); the
//! transaction that orders the steps, writes the journal, commits the
//! `.env` and resumes a cut-off run knows no engine, so adding one is a new
//! file, not a change to the others.
//!
//! The order every engine follows (the transaction enforces it):
//! [`Engine::check`] (nothing changed yet) → journal written →
//! [`Engine::set_new`] per account → [`Engine::logs_in`] with each new
//! value → `.env` committed → readers restarted → [`Engine::retire_old`]
//! → [`Engine::persist`] → journal removed. A failure before the commit
//! calls [`Engine::restore_old`] for every account already changed.

// Without `rotate` nothing drives the engines.
#![cfg_attr(not(feature = "rotate"), allow(dead_code))]

use std::path::PathBuf;

use crate::secure_file::WriteError;
use crate::SecretValue;

pub(crate) mod command;
#[cfg(feature = "rotate")]
pub(crate) mod journal;
#[cfg(all(feature = "rotate", feature = "mysql"))]
pub(crate) mod mysql;
#[cfg(all(feature = "rotate", feature = "postgres"))]
pub(crate) mod postgres;
#[cfg(all(feature = "rotate", feature = "redis"))]
pub(crate) mod redis;
#[cfg(feature = "rotate")]
pub(crate) mod transaction;

/// One account's credential change on a server. Names and values; only
/// the journal (0600, the `.env`'s owner) stores the values.
#[derive(Debug, Clone)]
pub(crate) struct AccountChange {
    /// The `.env` variable that holds the credential.
    pub key: String,
    /// The account on the server: a role, `user@host`, an ACL user, a
    /// service's user.
    pub account: String,
    /// The value the server and the `.env` hold now.
    pub old: SecretValue,
    /// The value both will hold.
    pub new: SecretValue,
    /// The manifest names the account itself: only then may it be a
    /// privileged account (superuser, the admin connection's own).
    pub named_explicitly: bool,
}

/// Why a live step failed, in words for the operator: names accounts,
/// servers and steps, never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StepError(pub String);

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A server whose copy of a credential changes with the `.env`.
pub(crate) trait Engine {
    /// What `--apply` and the journal call it: `postgres`, `mysql`,
    /// `redis`, `command`.
    fn name(&self) -> &'static str;

    /// Before anything changes: the admin connection works, and every
    /// account exists and may be changed (a privileged account only when
    /// `named_explicitly`). An error here means nothing was changed.
    fn check(&mut self, changes: &[AccountChange]) -> Result<(), StepError>;

    /// Makes the server accept `change.new`. An engine whose accounts can
    /// hold several passwords (Redis) keeps the old one too, until
    /// [`Engine::retire_old`], so no client is refused meanwhile.
    fn set_new(&mut self, change: &AccountChange) -> Result<(), StepError>;

    /// Undoes [`Engine::set_new`]: the server accepts `change.old` again,
    /// and not `change.new`.
    fn restore_old(&mut self, change: &AccountChange) -> Result<(), StepError>;

    /// Whether `account` logs in with `password`, on a fresh connection
    /// that never exposes the password to anyone else (no plaintext over an
    /// unencrypted non-local link). `Ok(false)` is a refusal by the server;
    /// `Err` means the server could not be asked, which is never a "no".
    fn logs_in(&mut self, account: &str, password: &SecretValue) -> Result<bool, StepError>;

    /// The accounts `change` stands for on this server, for the report
    /// (one manifest entry may be several: every host of a MySQL user).
    /// Known after [`Engine::check`].
    fn accounts(&self, change: &AccountChange) -> Vec<String> {
        vec![change.account.clone()]
    }

    /// After the `.env` is committed and its readers restarted: the server
    /// stops accepting `change.old`. Engines whose `set_new` replaced it
    /// already have nothing to do.
    fn retire_old(&mut self, _change: &AccountChange) -> Result<(), StepError> {
        Ok(())
    }

    /// Makes the changes outlive a restart of the server; returns a note
    /// for the operator when they cannot (Redis without an ACL or config
    /// file: "lives until the server restarts").
    fn persist(&mut self) -> Result<Option<String>, StepError> {
        Ok(None)
    }
}

/// Recreates the services that read rotated values, once the `.env` holds
/// the new ones (the step between the commit and `Engine::retire_old`).
/// The CLI's `--restart --compose FILE` is one; a deploy tool brings its own.
pub trait RestartReaders {
    /// Recreates every service that reads one of `keys` (the `.env`
    /// variables rotated, dependents included) and returns the services
    /// recreated, by name. An error leaves the `.env` committed: the
    /// caller reports which services still run with the old values.
    fn restart(&mut self, keys: &[String]) -> Result<Vec<String>, String>;
}

/// A live rotation that did not complete as asked. Names engines,
/// accounts, steps and files, never a value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    /// The engine could not connect (or its connection settings are
    /// refused); nothing was changed.
    #[error("{0}")]
    Connect(String),
    /// The engine's checks refused the rotation before anything changed.
    #[error("{0}; nothing was changed")]
    Refused(String),
    /// A step failed and the old values were restored.
    #[error("{step} failed: {cause}; the old passwords were restored and the .env is unchanged")]
    RolledBack {
        /// The step.
        step: String,
        /// Why.
        cause: String,
    },
    /// A step failed and restoring failed too: the journal stays, and the
    /// rotation must be resumed from it.
    #[error("{step} failed: {cause}; restoring the old passwords failed too ({restore}); the journal {} is kept: run `secrets rotate --env FILE --resume`", .journal.display())]
    Interrupted {
        /// The step.
        step: String,
        /// Why.
        cause: String,
        /// Why the restore failed.
        restore: String,
        /// The journal kept.
        journal: PathBuf,
    },
    /// A journal of an interrupted rotation exists: it must be resumed
    /// first, or the passwords it records would be lost.
    #[error(
        "{0}: an interrupted rotation must be resumed first (`secrets rotate --env FILE --resume`)"
    )]
    JournalExists(PathBuf),
    /// No journal to resume.
    #[error("{0}: no interrupted rotation to resume")]
    NoJournal(PathBuf),
    /// The journal does not match the `.env` any more, does not parse, or
    /// the server's state does not let `--resume` decide.
    #[error("{0}")]
    Journal(String),
    /// This build has no such engine.
    #[error("this build of secrets has no {0} support")]
    NoEngine(&'static str),
    /// Writing the journal or the `.env` failed.
    #[error(transparent)]
    Write(#[from] WriteError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_change_does_not_print_its_values() {
        let change = AccountChange {
            key: "DB_PASSWORD".into(),
            account: "app@%".into(),
            old: SecretValue::new("old-MARKER-value".into()),
            new: SecretValue::new("new-MARKER-value".into()),
            named_explicitly: false,
        };
        assert!(!format!("{change:?}").contains("MARKER"));
    }
}
