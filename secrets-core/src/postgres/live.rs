//! Rotation against a live server. Per run, in this order: check the admin
//! connection and the roles; write a journal beside the `.env` (0600, old and
//! new values); `ALTER ROLE ... PASSWORD '<SCRAM verifier>'` for each role;
//! log in as each role with its new password; commit the `.env` through the
//! secure writer; delete the journal. A failure restores the old verifiers
//! and leaves the `.env` untouched; `resume` finishes or undoes a run that a
//! journal shows was interrupted.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use postgres::{Client, Config};
use rand::{CryptoRng, Rng};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::tls::{self, SplitError, Transport};
use super::{alter_role_sql, login, scram};
use crate::secure_file::{Locked, WriteError};
use crate::SecretValue;

/// The administrator's connection URL (it holds a password), with how to
/// reach the server: libpq's `sslmode`, `sslrootcert` and `channel_binding`
/// through rustls (see the `tls` module).
#[derive(Debug, Clone)]
pub struct AdminUrl {
    /// The URL without the TLS parameters.
    rest: SecretValue,
    tls: tls::Settings,
}

impl AdminUrl {
    /// Wraps a URL such as `postgresql://admin:PW@127.0.0.1:5432/postgres`
    /// or `host=db.example user=admin password=PW sslmode=verify-full
    /// sslrootcert=/etc/ssl/db-ca.pem`. Refuses, before any connection, a
    /// URL whose password could go without TLS to a host that is not a unix
    /// socket or loopback address (unless `sslmode=disable`), and reads the
    /// CA file now.
    pub fn new(url: SecretValue) -> Result<Self, PgError> {
        let (rest, params) = tls::split(url.expose()).map_err(|e| match e {
            SplitError::Syntax => PgError::Url,
            SplitError::Param(m) => PgError::Tls(m),
        })?;
        let rest = SecretValue::new(rest.to_string());
        let config = Config::from_str(rest.expose()).map_err(|_| PgError::Url)?;
        let tls = tls::Settings::new(&params, &config).map_err(PgError::Tls)?;
        Ok(AdminUrl { rest, tls })
    }

    fn config(&self) -> Config {
        let mut c = Config::from_str(self.rest.expose()).expect("checked in new");
        c.connect_timeout(Duration::from_secs(10));
        c
    }
}

/// The admin URL with what its first connection learned: whether TLS is
/// in use (`prefer` falls back to plaintext on loopback).
struct Link<'a> {
    admin: &'a AdminUrl,
    tls: bool,
}

/// One role's password change. Deliberately not `Serialize`: only the
/// journal, written through the file layer at 0600, holds its passwords.
#[derive(Debug, Clone)]
pub struct RoleChange {
    /// The `.env` variable.
    pub key: String,
    /// The role.
    pub role: String,
    /// The current password.
    pub old: SecretValue,
    /// The new password.
    pub new: SecretValue,
    /// The manifest names the role itself (a literal `postgres_role` or
    /// `[stack] postgres_roles`): only then may it be a privileged role.
    pub named_explicitly: bool,
}

/// A [`RoleChange`] as the journal stores it.
#[derive(serde::Serialize, serde::Deserialize)]
struct JournalChange {
    key: String,
    role: String,
    #[serde(with = "secret_string")]
    old: SecretValue,
    #[serde(with = "secret_string")]
    new: SecretValue,
    #[serde(default)]
    named_explicitly: bool,
}

impl From<&RoleChange> for JournalChange {
    fn from(c: &RoleChange) -> Self {
        JournalChange {
            key: c.key.clone(),
            role: c.role.clone(),
            old: c.old.clone(),
            new: c.new.clone(),
            named_explicitly: c.named_explicitly,
        }
    }
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

#[derive(serde::Serialize, serde::Deserialize)]
struct Journal {
    version: u32,
    changes: Vec<JournalChange>,
    /// SHA-256 of the `.env` before the rotation, to refuse resuming over a
    /// file edited since.
    old_sha256: String,
    #[serde(with = "secret_string")]
    new_document: SecretValue,
}

/// A failure; names roles, keys and steps, never values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgError {
    /// The admin URL does not parse.
    #[error("the admin URL is not a valid PostgreSQL connection URL")]
    Url,
    /// The admin URL's TLS settings are refused or unusable (a bad
    /// `sslmode`, a missing CA file, a plaintext password to a remote host).
    #[error("admin URL: {0}; nothing was changed")]
    Tls(String),
    /// The admin connection failed.
    #[error("cannot connect as the administrator: {0}")]
    Admin(String),
    /// A role does not exist.
    #[error("role `{0}` does not exist; nothing was changed")]
    NoRole(String),
    /// A privileged role (superuser, CREATEROLE, BYPASSRLS, or the admin
    /// connection's own role) that the manifest does not name itself.
    #[error("role `{role}` is {why}; it is rotated only when the manifest names it (`postgres_role = \"{role}\"` or `[stack] postgres_roles`); nothing was changed")]
    Privileged {
        /// The role.
        role: String,
        /// What makes it privileged.
        why: &'static str,
    },
    /// A step failed and the old verifiers were restored.
    #[error("{step} failed: {cause}; the old passwords were restored and the .env is unchanged")]
    RolledBack {
        /// The step.
        step: String,
        /// Why.
        cause: String,
    },
    /// A step failed and restoring failed too: the journal stays, and the
    /// rotation must be resumed from it.
    #[error("{step} failed: {cause}; restoring the old passwords failed too ({restore})")]
    Interrupted {
        /// The step.
        step: String,
        /// Why.
        cause: String,
        /// Why the restore failed.
        restore: String,
    },
    /// A journal of an interrupted rotation exists: it must be resumed
    /// first, or the passwords it records would be lost.
    #[error("{0}: an interrupted rotation must be resumed first")]
    JournalExists(PathBuf),
    /// No journal to resume.
    #[error("{0}: no interrupted rotation to resume")]
    NoJournal(PathBuf),
    /// The journal does not match the `.env` any more, or does not parse.
    #[error("{0}")]
    Journal(String),
    /// Writing the journal or the `.env` failed.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// The journal beside `env`: `.NAME.rotation-journal`.
pub fn journal_path(env: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(env.file_name().unwrap_or_default());
    name.push(".rotation-journal");
    env.with_file_name(name)
}

fn pg_message(e: &postgres::Error) -> String {
    // The server's own message (no statement text, so no verifier), or the
    // client's description of a connection failure.
    e.as_db_error()
        .map_or_else(|| e.to_string(), |d| d.message().to_owned())
}

/// Connects as the administrator: over TLS with SCRAM-SHA-256-PLUS, or,
/// where the URL allows it, without TLS.
fn connect_admin(admin: &AdminUrl) -> Result<(Client, Link<'_>), PgError> {
    let settings = &admin.tls;
    let fail = |e: postgres::Error| PgError::Admin(tls::describe(&e, settings));
    let tls = match settings.transport {
        Transport::Plain => false,
        Transport::Tls { fallback } => match settings.connect(admin.config(), true) {
            Ok(client) => return Ok((client, Link { admin, tls: true })),
            // libpq's prefer: plaintext when the server has no TLS, only to
            // local hosts (`fallback`). A second connection: the first ran
            // with sslmode=require, so nothing followed the server's "no".
            Err(e) if fallback && tls::server_has_no_tls(&e) => false,
            Err(e) => return Err(fail(e)),
        },
    };
    let client = settings.connect(admin.config(), tls).map_err(fail)?;
    Ok((client, Link { admin, tls }))
}

/// Whether `role` can log in with `password` (on the admin URL's host,
/// port and database), never sending the password where it could be read:
/// over TLS only SCRAM-SHA-256-PLUS, without TLS only SCRAM-SHA-256. Done
/// by hand (see `login`): the password is never handed to tokio-postgres.
fn can_log_in(link: &Link<'_>, role: &str, password: &SecretValue) -> Result<(), String> {
    let mut c = link.admin.config();
    c.user(role);
    login::scram_only(&c, role, password, link.tls.then_some(&link.admin.tls))
}

fn set_password<R: Rng + CryptoRng + ?Sized>(
    client: &mut Client,
    role: &str,
    password: &SecretValue,
    rng: &mut R,
) -> Result<(), String> {
    let verifier = scram::new_verifier(password.expose(), rng);
    client
        .batch_execute(&alter_role_sql(role, &verifier))
        .map_err(|e| pg_message(&e))
}

/// The journal's name beside the `.env`: `.NAME` plus this.
const JOURNAL_SUFFIX: &str = ".rotation-journal";

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Changes the roles' passwords and commits `new_document` to the `.env`,
/// both or neither. The caller holds the `.env`'s lock.
pub fn rotate_roles<R: Rng + CryptoRng + ?Sized>(
    admin: &AdminUrl,
    env: &Locked<'_>,
    old_document: &[u8],
    new_document: &[u8],
    changes: &[RoleChange],
    rng: &mut R,
) -> Result<(), PgError> {
    if env.read_companion(JOURNAL_SUFFIX)?.is_some() {
        return Err(PgError::JournalExists(env.companion_path(JOURNAL_SUFFIX)));
    }
    let (mut client, link) = connect_admin(admin)?;
    let admin_role = admin.config().get_user().map(str::to_owned);
    for c in changes {
        let row = client
            .query_opt(
                "SELECT rolsuper, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = $1",
                &[&c.role],
            )
            .map_err(|e| PgError::Admin(pg_message(&e)))?
            .ok_or_else(|| PgError::NoRole(c.role.clone()))?;
        if c.named_explicitly {
            continue;
        }
        let why = if row.get::<_, bool>(0) {
            Some("a superuser")
        } else if row.get::<_, bool>(1) {
            Some("allowed to create roles (CREATEROLE)")
        } else if row.get::<_, bool>(2) {
            Some("allowed to bypass row-level security (BYPASSRLS)")
        } else if admin_role.as_deref() == Some(c.role.as_str()) {
            Some("the admin connection's own role")
        } else {
            None
        };
        if let Some(why) = why {
            return Err(PgError::Privileged {
                role: c.role.clone(),
                why,
            });
        }
    }
    let journal = Journal {
        version: 1,
        changes: changes.iter().map(JournalChange::from).collect(),
        old_sha256: sha256_hex(old_document),
        new_document: SecretValue::new(String::from_utf8_lossy(new_document).into_owned()),
    };
    // Sized once for the worst case (every byte escaped as `\u00XX`), so
    // growth never leaves a freed copy of the values behind.
    let values: usize = changes
        .iter()
        .map(|c| c.old.expose().len() + c.new.expose().len() + c.key.len() + c.role.len())
        .sum();
    let mut journal_text =
        Zeroizing::new(Vec::with_capacity(6 * (values + new_document.len()) + 1024));
    serde_json::to_writer(&mut *journal_text, &journal)
        .map_err(|e| PgError::Journal(format!("cannot write the journal: {e}")))?;
    env.replace_companion(JOURNAL_SUFFIX, &journal_text)?;

    let mut altered: Vec<&RoleChange> = Vec::new();
    let outcome = (|| {
        for c in changes {
            set_password(&mut client, &c.role, &c.new, rng)
                .map_err(|e| (format!("ALTER ROLE {}", c.role), e))?;
            altered.push(c);
        }
        for c in changes {
            can_log_in(&link, &c.role, &c.new)
                .map_err(|e| (format!("logging in as {} with the new password", c.role), e))?;
        }
        env.replace(new_document).map(drop).map_err(|e| {
            (
                format!("writing {}", env.path().display()),
                crate::one_line(&e),
            )
        })
    })();
    match outcome {
        Ok(()) => {
            env.remove_companion(JOURNAL_SUFFIX)?;
            Ok(())
        }
        Err((step, cause)) => {
            let restore: Result<(), String> = altered.iter().try_for_each(|c| {
                set_password(&mut client, &c.role, &c.old, rng)
                    .map_err(|e| format!("{}: {e}", c.role))
            });
            match restore {
                Ok(()) => {
                    env.remove_companion(JOURNAL_SUFFIX)?;
                    Err(PgError::RolledBack { step, cause })
                }
                Err(restore) => Err(PgError::Interrupted {
                    step,
                    cause,
                    restore,
                }),
            }
        }
    }
}

/// What `resume` did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResumeOutcome {
    /// The database had (or now has) the new passwords; the `.env` was committed.
    Completed(Vec<String>),
    /// The database still had the old passwords; nothing was changed.
    Undone(Vec<String>),
}

/// Finishes or undoes an interrupted rotation of `env` from its journal.
/// The caller holds the `.env`'s lock.
pub fn resume<R: Rng + CryptoRng + ?Sized>(
    admin: &AdminUrl,
    env: &Locked<'_>,
    rng: &mut R,
) -> Result<ResumeOutcome, PgError> {
    let text = env
        .read_companion(JOURNAL_SUFFIX)?
        .ok_or_else(|| PgError::NoJournal(env.path().to_owned()))?;
    let journal: Journal = serde_json::from_slice(&text).map_err(|e| {
        PgError::Journal(format!(
            "{}: unreadable journal: {e}",
            env.companion_path(JOURNAL_SUFFIX).display()
        ))
    })?;
    let current = env.read()?.unwrap_or_default();
    let committed = current.as_slice() == journal.new_document.expose().as_bytes();
    if !committed && sha256_hex(&current) != journal.old_sha256 {
        return Err(PgError::Journal(format!(
            "{} changed since the interrupted rotation; resolve by hand (the journal is {})",
            env.path().display(),
            env.companion_path(JOURNAL_SUFFIX).display()
        )));
    }
    let roles: Vec<String> = journal.changes.iter().map(|c| c.role.clone()).collect();
    let (mut client, link) = connect_admin(admin)?;
    let mut has_new = Vec::new();
    for c in &journal.changes {
        if can_log_in(&link, &c.role, &c.new).is_ok() {
            has_new.push(true);
        } else if can_log_in(&link, &c.role, &c.old).is_ok() {
            has_new.push(false);
        } else {
            return Err(PgError::Journal(format!(
                "role {} accepts neither its old nor its new password; the journal is kept",
                c.role
            )));
        }
    }
    if has_new.iter().all(|n| !n) && !committed {
        env.remove_companion(JOURNAL_SUFFIX)?;
        return Ok(ResumeOutcome::Undone(roles));
    }
    for (c, done) in journal.changes.iter().zip(&has_new) {
        if !done {
            set_password(&mut client, &c.role, &c.new, rng)
                .map_err(|e| PgError::Admin(format!("ALTER ROLE {}: {e}", c.role)))?;
            can_log_in(&link, &c.role, &c.new)
                .map_err(|e| PgError::Admin(format!("logging in as {}: {e}", c.role)))?;
        }
    }
    if !committed {
        env.replace(journal.new_document.expose().as_bytes())?;
    }
    env.remove_companion(JOURNAL_SUFFIX)?;
    Ok(ResumeOutcome::Completed(roles))
}
