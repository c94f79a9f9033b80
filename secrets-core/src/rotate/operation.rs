//! Rotating a `.env` in one call: what `secrets rotate` does, for any
//! deploy tool. The file is read, planned, rotated and replaced under the
//! lock of a [`SecureFile`]; an age-encrypted file is decrypted in memory
//! and encrypted again; with [`Database::Postgres`] the roles' passwords
//! change in the live database and in the file together, or neither.
//! Nothing is written when anything fails.

use std::path::{Path, PathBuf};

use rand::{CryptoRng, Rng};

use super::{apply, plan, Consequence, PlannedKey, RotateError, Selection, Skipped};
use crate::crypt::{self, CryptError, Identities, Recipients};
use crate::envfile::render::Disagreement;
use crate::envfile::{Document, ParseError};
use crate::keys::AgeKeys;
use crate::live::RestartReaders;
use crate::safe_fs::{limits, FsError};
use crate::secure_file::{SecureFile, WriteError};
use crate::stack::Stack;
use crate::SecretValue;

/// A live system whose credentials change with the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Database {
    /// PostgreSQL roles named by the manifest's `postgres_role` (needs the
    /// `postgres` feature).
    Postgres,
}

/// Where the database administrator's connection URL comes from.
#[non_exhaustive]
pub enum AdminSource {
    /// The URL itself.
    Url(SecretValue),
    /// The value of this variable of the `.env`.
    Var(String),
    /// The whole URL on the process's standard input, read only when the
    /// connection is made (after the new values are computed).
    Stdin,
}

impl std::fmt::Debug for AdminSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdminSource::Url(_) => f.write_str("Url(..)"),
            AdminSource::Var(name) => f.debug_tuple("Var").field(name).finish(),
            AdminSource::Stdin => f.write_str("Stdin"),
        }
    }
}

/// What to rotate, and how. Built with [`RotateRequest::new`], then its
/// fields set.
#[non_exhaustive]
pub struct RotateRequest<'a> {
    /// The manifest's stack; without one, kinds are inferred from values.
    pub stack: Option<&'a Stack>,
    /// The keys to rotate.
    pub selection: Selection,
    /// Keep each old value where its consumer reads it (`previous_keys`),
    /// or else under `NAME_PREVIOUS`.
    pub keep_previous: bool,
    /// Plan only: the report says what would change, nothing is written.
    pub dry_run: bool,
    /// Change the credentials in this live system too.
    pub database: Option<Database>,
    /// The administrator's connection, for `database` and `resume`.
    pub admin: Option<AdminSource>,
    /// Finish or undo a database rotation that its journal shows was
    /// interrupted, instead of rotating.
    pub resume: bool,
    /// Keys for an age-encrypted file (read only when it is one).
    pub keys: AgeKeys,
    /// The time, for stamps, `--due` and signed tokens.
    pub now: std::time::SystemTime,
    /// Recreates the readers of the rotated values once the file is
    /// committed (and, for a live step, before the server forgets the old
    /// values). Without one, the report lists the services to restart.
    pub restart: Option<Box<dyn RestartReaders + 'a>>,
}

impl std::fmt::Debug for RotateRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RotateRequest")
            .field("stack", &self.stack.is_some())
            .field("selection", &self.selection)
            .field("keep_previous", &self.keep_previous)
            .field("dry_run", &self.dry_run)
            .field("database", &self.database)
            .field("admin", &self.admin)
            .field("resume", &self.resume)
            .field("now", &self.now)
            .field("restart", &self.restart.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a> RotateRequest<'a> {
    /// A rotation of `selection`, written, with the clock's time.
    pub fn new(stack: Option<&'a Stack>, selection: Selection) -> Self {
        RotateRequest {
            stack,
            selection,
            keep_previous: false,
            dry_run: false,
            database: None,
            admin: None,
            resume: false,
            keys: AgeKeys::default(),
            now: std::time::SystemTime::now(),
            restart: None,
        }
    }
}

/// How an interrupted database rotation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resumed {
    /// The database and the file now hold the new passwords of these roles.
    Completed(Vec<String>),
    /// The file and the database keep the old passwords of these roles.
    Undone(Vec<String>),
}

/// What a rotation did (or, for a dry run, would do). Names, never values.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct RotateReport {
    /// A dry run: nothing was written.
    pub dry_run: bool,
    /// The keys rotated; none when nothing was due.
    pub keys: Vec<PlannedKey>,
    /// Other keys whose values followed.
    pub dependents: Vec<String>,
    /// `NAME_PREVIOUS` keys written.
    pub previous: Vec<String>,
    /// With `keep_previous`: each key and how its consumer takes two values.
    pub rollovers: Vec<(String, String)>,
    /// Services to restart (the catalog's components, or, with
    /// [`RotateRequest::restart`], what it did not recreate).
    pub services: Vec<String>,
    /// Services [`RotateRequest::restart`] recreated.
    pub restarted: Vec<String>,
    /// Why [`RotateRequest::restart`] failed: the file is committed, and
    /// its readers may still run with the old values.
    pub restart_failed: Option<String>,
    /// Keys `all` or `due` left alone, with their classes.
    pub skipped: Vec<Skipped>,
    /// What the rotated keys' classes mean beyond the file.
    pub consequences: Vec<Consequence>,
    /// Database roles whose passwords changed.
    pub roles: Vec<String>,
    /// A resumed rotation's outcome.
    pub resumed: Option<Resumed>,
    /// Values some readers will read differently.
    pub disagreements: Vec<Disagreement>,
    /// The file's mode changed from the first to the second.
    pub mode_change: Option<(u32, u32)>,
    /// The file was encrypted again, and none of the identities given can
    /// decrypt it any more: only the recipients can.
    pub undecryptable: bool,
}

/// A rotation that did not happen; the file (and the database) are unchanged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RotateEnvError {
    /// The file could not be opened, locked, read or replaced.
    #[error(transparent)]
    File(#[from] WriteError),
    /// The file does not exist.
    #[error("{}: no such file", .0.display())]
    NoFile(PathBuf),
    /// The file is over its size limit.
    #[error(transparent)]
    Fs(#[from] FsError),
    /// The file (or its plaintext) does not parse.
    #[error("{path}:{error}")]
    Parse {
        /// The file.
        path: String,
        /// Where and why (in the message: not a `source()` too).
        error: ParseError,
    },
    /// The rotation cannot be planned or applied.
    #[error(transparent)]
    Rotate(#[from] RotateError),
    /// Decrypting or encrypting failed.
    #[error(transparent)]
    Crypt(#[from] CryptError),
    /// A database step or resume on an age-encrypted file: its journal
    /// would hold plaintext.
    #[error("{}: a database rotation does not work on an age-encrypted file (its journal would hold plaintext)", .0.display())]
    EncryptedWithDatabase(PathBuf),
    /// A dry run cannot include a database step.
    #[error("a dry run cannot change a database")]
    DryRunWithDatabase,
    /// A database step needs a manifest naming the roles.
    #[error("a database rotation needs a manifest that names each key's postgres_role")]
    DatabaseNeedsManifest,
    /// None of the keys has a role.
    #[error("none of the keys has a postgres_role in the manifest")]
    NoRoles,
    /// No administrator connection was given.
    #[error("a database rotation needs the administrator's connection URL")]
    NoAdminConnection,
    /// The URL read from stdin is not UTF-8.
    #[error("<stdin>: the admin URL is not UTF-8")]
    AdminUrlNotUtf8,
    /// A role's owner is not vouched for by the manifest.
    #[error(transparent)]
    Authority(#[from] crate::postgres::authority::AuthorityError),
    /// The database step failed.
    #[cfg(feature = "postgres")]
    #[error(transparent)]
    Postgres(#[from] crate::postgres::PgError),
    /// Built without the `postgres` feature.
    #[error("this build of secrets has no PostgreSQL support (the `postgres` feature)")]
    NoPostgres,
}

/// How an age-encrypted file is sealed again after the rotation.
struct Seal {
    recipients: Recipients,
    identities: Identities,
    armor: bool,
}

/// Rotates the file under its lock; see the module docs.
///
/// ```
/// use std::os::unix::fs::DirBuilderExt;
/// use secrets_core::generate::os_rng;
/// use secrets_core::rotate::{rotate_env, RotateRequest, Selection};
/// use secrets_core::secure_file::{SecureFile, WriteOptions};
///
/// let dir = std::env::temp_dir().join(format!("rotate-env-doc-{}", std::process::id()));
/// std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
/// let env = dir.join(".env");
/// let open = || SecureFile::open(&env, WriteOptions::default());
/// open()?.lock()?.replace(b"API_TOKEN=Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA\n")?;
///
/// let selection = Selection { keys: vec!["API_TOKEN".into()], ..Default::default() };
/// let mut request = RotateRequest::new(None, selection);
/// request.keep_previous = true;
/// let report = rotate_env(open()?, request, &mut os_rng())?;
/// assert_eq!(report.keys[0].name, "API_TOKEN");
/// assert_eq!(report.previous, ["API_TOKEN_PREVIOUS"]);
/// let text = std::fs::read_to_string(&env)?;
/// assert!(text.contains("API_TOKEN_PREVIOUS=Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn rotate_env<R: Rng + CryptoRng + ?Sized>(
    file: SecureFile,
    mut request: RotateRequest<'_>,
    rng: &mut R,
) -> Result<RotateReport, RotateEnvError> {
    let target_mode = file.options().mode();
    let locked = file.lock()?;
    let path = locked.path().to_owned();
    let raw = locked
        .read_up_to(limits::ENCRYPTED_ENV)?
        .ok_or_else(|| RotateEnvError::NoFile(path.clone()))?;
    let (bytes, seal) = open_sealed(&request, &path, raw)?;
    let mut doc = parse(&path, &bytes)?;
    let mut report = RotateReport {
        dry_run: request.dry_run,
        ..RotateReport::default()
    };
    if request.resume {
        report.resumed = Some(database::resume(&request, &locked, &doc, rng)?);
        return Ok(report);
    }
    if request.database.is_some() && request.dry_run {
        return Err(RotateEnvError::DryRunWithDatabase);
    }
    let stack = request.stack;
    let mut selection = request.selection.clone();
    selection.consent.keep_previous = request.keep_previous;
    selection.consent.live_postgres = request.database == Some(Database::Postgres);
    let plan = plan(&doc, stack, &selection, request.now)?;
    if request.keep_previous {
        report.rollovers = (plan.keys.iter())
            .filter_map(|k| Some((k.name.clone(), k.rollover.clone()?)))
            .collect();
    }
    if !request.dry_run && !plan.keys.is_empty() {
        let applied = apply(
            &mut doc,
            stack,
            &plan,
            request.keep_previous,
            rng,
            request.now,
        )?;
        let before_mode = crate::safe_fs::read_meta_nofollow(&path)
            .ok()
            .flatten()
            .map_or(target_mode, |f| f.mode());
        let rendered = doc.render();
        match (request.database, &seal) {
            (Some(Database::Postgres), _) => {
                let old = parse(&path, &bytes)?;
                let new = (&old, &doc, &bytes[..], rendered.as_bytes());
                report.roles = database::apply(&request, &plan, new, &locked, rng)?;
            }
            (None, Some(seal)) => {
                let ciphertext = crypt::encrypt(rendered.as_bytes(), &seal.recipients, seal.armor)?;
                locked.replace(&ciphertext)?;
                report.undecryptable =
                    crypt::decrypt(&ciphertext, &seal.identities, &path).is_err();
            }
            (None, None) => {
                locked.replace(rendered.as_bytes())?;
            }
        }
        report.disagreements = applied.disagreements;
        report.previous = applied.previous;
        report.mode_change = (before_mode != target_mode).then_some((before_mode, target_mode));
    }
    // Plain rotations restart once committed; a live step restarts inside
    // its transaction, before the server forgets the old values.
    if !request.dry_run && !plan.keys.is_empty() && request.database.is_none() {
        if let Some(restart) = request.restart.as_mut() {
            let mut keys: Vec<String> = plan.keys.iter().map(|k| k.name.clone()).collect();
            keys.extend(plan.dependents.iter().cloned());
            match restart.restart(&keys) {
                Ok(done) => report.restarted = done,
                Err(why) => report.restart_failed = Some(why),
            }
        }
    }
    report.keys = plan.keys;
    report.dependents = plan.dependents;
    report.services = plan.services;
    report.skipped = plan.skipped;
    report.consequences = plan.consequences;
    Ok(report)
}

fn parse(path: &Path, bytes: &[u8]) -> Result<Document, RotateEnvError> {
    Document::parse(bytes).map_err(|error| RotateEnvError::Parse {
        path: path.display().to_string(),
        error,
    })
}

/// The plaintext to rotate: the file itself, or, when it is age-encrypted,
/// its content decrypted in memory with what is needed to encrypt it again
/// (recipients are required up front: the age format does not record them).
fn open_sealed(
    request: &RotateRequest<'_>,
    path: &Path,
    raw: crate::SecretBytes,
) -> Result<(crate::SecretBytes, Option<Seal>), RotateEnvError> {
    if !crypt::is_encrypted(&raw) {
        if request.keys.any_given() {
            return Err(CryptError::NotEncrypted(path.to_owned()).into());
        }
        crate::keys::within_env_limit(path, &raw)?;
        return Ok((raw, None));
    }
    if request.database.is_some() || request.resume {
        return Err(RotateEnvError::EncryptedWithDatabase(path.to_owned()));
    }
    // A dry run writes nothing, so it needs no recipients.
    let recipients = if request.dry_run {
        Recipients::new()
    } else {
        request.keys.recipients(request.stack)?
    };
    let identities = request.keys.identities(path)?;
    let plaintext = crypt::decrypt(&raw, &identities, path)?;
    let seal = Seal {
        recipients,
        identities,
        armor: crypt::is_armored(&raw),
    };
    Ok((plaintext, Some(seal)))
}

/// The file before and after, as documents and as bytes.
type Versions<'d> = (&'d Document, &'d Document, &'d [u8], &'d [u8]);

/// The database side of a rotation.
#[cfg(feature = "postgres")]
mod database {
    use rand::{CryptoRng, Rng};

    use super::{AdminSource, Resumed, RotateEnvError, RotateRequest, Versions};
    use crate::envfile::Document;
    use crate::postgres::authority::role_of;
    use crate::postgres::{self, AdminUrl, ResumeOutcome, RoleChange};
    use crate::rotate::{Plan, RotateError};
    use crate::safe_fs::{limits, read_limited};
    use crate::secure_file::Locked;
    use crate::SecretValue;

    /// The admin URL from stdin, the `.env` or the request.
    fn admin_url(request: &RotateRequest<'_>, doc: &Document) -> Result<AdminUrl, RotateEnvError> {
        let url = match &request.admin {
            Some(AdminSource::Stdin) => {
                let stdin = std::path::Path::new("<stdin>");
                let bytes = read_limited(std::io::stdin().lock(), limits::STDIN, stdin)?;
                let text =
                    std::str::from_utf8(&bytes).map_err(|_| RotateEnvError::AdminUrlNotUtf8)?;
                SecretValue::new(text.trim().to_owned())
            }
            Some(AdminSource::Url(url)) => url.clone(),
            Some(AdminSource::Var(var)) => {
                doc.get(var)
                    .cloned()
                    .ok_or_else(|| RotateError::NotInFile {
                        suggestion: crate::suggest::closest(var, doc.keys()),
                        key: var.clone(),
                    })?
            }
            None => return Err(RotateEnvError::NoAdminConnection),
        };
        Ok(AdminUrl::new(url)?)
    }

    /// Changes the database and commits the .env, both or neither; returns
    /// the roles changed.
    pub fn apply<R: Rng + CryptoRng + ?Sized>(
        request: &RotateRequest<'_>,
        plan: &Plan,
        (before, after, old_bytes, new_bytes): Versions<'_>,
        file: &Locked<'_>,
        rng: &mut R,
    ) -> Result<Vec<String>, RotateEnvError> {
        let stack = request.stack.ok_or(RotateEnvError::DatabaseNeedsManifest)?;
        let mut changes = Vec::new();
        for k in &plan.keys {
            // The manifest decides the role; the .env is data.
            let Some(record) = role_of(stack, &k.name, before)? else {
                continue;
            };
            let (Some(old), Some(new)) = (before.get(&k.name), after.get(&k.name)) else {
                return Err(RotateError::NotInFile {
                    key: k.name.clone(),
                    suggestion: None,
                }
                .into());
            };
            changes.push(RoleChange {
                key: k.name.clone(),
                role: record.role,
                old: old.clone(),
                new: new.clone(),
                named_explicitly: record.named_explicitly,
            });
        }
        if changes.is_empty() {
            return Err(RotateEnvError::NoRoles);
        }
        let admin = admin_url(request, before)?;
        postgres::rotate_roles(&admin, file, old_bytes, new_bytes, &changes, rng)?;
        Ok(changes.into_iter().map(|c| c.role).collect())
    }

    /// Finishes or undoes an interrupted rotation.
    pub fn resume<R: Rng + CryptoRng + ?Sized>(
        request: &RotateRequest<'_>,
        file: &Locked<'_>,
        doc: &Document,
        rng: &mut R,
    ) -> Result<Resumed, RotateEnvError> {
        let admin = admin_url(request, doc)?;
        Ok(match postgres::resume(&admin, file, rng)? {
            ResumeOutcome::Completed(roles) => Resumed::Completed(roles),
            ResumeOutcome::Undone(roles) => Resumed::Undone(roles),
        })
    }
}

#[cfg(not(feature = "postgres"))]
mod database {
    use super::{Resumed, RotateEnvError, RotateRequest, Versions};
    use crate::envfile::Document;
    use crate::rotate::Plan;
    use crate::secure_file::Locked;

    pub fn apply<R: ?Sized>(
        _: &RotateRequest<'_>,
        _: &Plan,
        _: Versions<'_>,
        _: &Locked<'_>,
        _: &mut R,
    ) -> Result<Vec<String>, RotateEnvError> {
        Err(RotateEnvError::NoPostgres)
    }

    pub fn resume<R: ?Sized>(
        _: &RotateRequest<'_>,
        _: &Locked<'_>,
        _: &Document,
        _: &mut R,
    ) -> Result<Resumed, RotateEnvError> {
        Err(RotateEnvError::NoPostgres)
    }
}
