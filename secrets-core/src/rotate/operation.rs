//! Rotating a `.env` in one call: what `secrets rotate` does, for any
//! deploy tool. The file is read, planned, rotated and replaced under the
//! lock of a [`SecureFile`]; an age-encrypted file is decrypted in memory
//! and encrypted again; with a live step ([`Database`]) the accounts'
//! passwords change on the server and in the file together, or neither
//! (`crate::live::transaction`).
//! Nothing is written when anything fails.

use std::path::{Path, PathBuf};

use rand::{CryptoRng, Rng};

use super::{apply, plan, Consequence, PlannedKey, RotateError, Selection, Skipped};
use crate::compose::ComposeProject;
use crate::crypt::{self, CryptError, Identities, Recipients};
use crate::envfile::render::Disagreement;
use crate::envfile::{Document, ParseError};
use crate::keys::AgeKeys;
use crate::live::RestartReaders;
use crate::safe_fs::{limits, FsError};
use crate::secure_file::{SecureFile, WriteError};
use crate::stack::Stack;
use crate::SecretValue;

/// A live system whose credentials change with the file: the live step
/// (`rotate --apply STEP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Database {
    /// PostgreSQL roles named by the manifest's `postgres_role` (needs the
    /// `postgres` feature).
    Postgres,
    /// MariaDB/MySQL accounts named by the manifest's `mysql_user` (needs
    /// the `mysql` feature).
    Mysql,
    /// Redis ACL users named by the manifest's `redis_user` (needs the
    /// `redis` feature).
    Redis,
    /// The image's own CLI, run in its compose service with the value on
    /// stdin: the manifest's `live_command` (needs
    /// [`RotateRequest::compose`]).
    Command,
}

/// The live step under its other name.
pub type LiveStep = Database;

impl Database {
    /// What `--apply`, the manifest and the journal call it.
    pub fn name(self) -> &'static str {
        match self {
            Database::Postgres => "postgres",
            Database::Mysql => "mysql",
            Database::Redis => "redis",
            Database::Command => "command",
        }
    }
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
    /// The `.env`'s owner, from the file's options ([`rotate_env`] sets it).
    env_owner: Option<u32>,
    /// The compose project whose containers [`Database::Command`] runs its
    /// commands in.
    pub compose: Option<ComposeProject>,
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
            .field("compose", &self.compose)
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
            env_owner: None,
            compose: None,
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
    /// The live step's accounts whose passwords changed (database roles,
    /// `user@host` accounts).
    pub roles: Vec<String>,
    /// The live step that ran (or, in a dry run, would run).
    pub live_step: Option<Database>,
    /// In a dry run: the accounts the live step would change, as
    /// `(key, account)` (a MySQL user without a host stands for every host,
    /// listed when the server is asked).
    pub live_accounts: Vec<(String, String)>,
    /// What the live step wants the operator to know: where a change
    /// lives, a step left for `--resume`.
    pub live_notes: Vec<String>,
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
    /// A live step needs a manifest naming the accounts.
    #[error("a live rotation needs a manifest that names each key's account (postgres_role, mysql_user, redis_user, live_command)")]
    DatabaseNeedsManifest,
    /// None of the keys names an account of the live step.
    #[error("none of the keys names an account of this live step in the manifest (postgres_role, mysql_user, redis_user, live_command)")]
    NoRoles,
    /// `--apply command` without the compose project to run it in.
    #[error("a `command` live step runs in the compose project's containers: give its compose project (RotateRequest::compose)")]
    CommandNeedsCompose,
    /// No administrator connection was given.
    #[error("a database rotation needs the administrator's connection URL")]
    NoAdminConnection,
    /// The URL read from stdin is not UTF-8.
    #[error("<stdin>: the admin URL is not UTF-8")]
    AdminUrlNotUtf8,
    /// The admin URL was to come from a `.env` another user owns: it says
    /// which server gets root's identity and which account changes there,
    /// so it is authority, not data.
    #[error("{key}: the admin URL is taken from the .env only when root or the caller owns it (it is owned by uid {uid}); give it as AdminSource::Stdin or AdminSource::Url")]
    AdminUrlInForeignFile {
        /// The variable named.
        key: String,
        /// The `.env`'s owner.
        uid: u32,
    },
    /// A role's owner is not vouched for by the manifest.
    #[error(transparent)]
    Authority(#[from] crate::postgres::authority::AuthorityError),
    /// The live step failed or was refused.
    #[error(transparent)]
    Live(#[from] crate::live::LiveError),
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
    request.env_owner = file.options().owner().and_then(|o| o.uid);
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
        let (resumed, done) = database::resume(&mut request, &locked, &doc)?;
        report.resumed = Some(resumed);
        if let Some(done) = done {
            report.restarted = done.restarted;
            report.restart_failed = done.restart_failed;
            report.live_notes = done.notes;
        }
        return Ok(report);
    }
    let stack = request.stack;
    let mut selection = request.selection.clone();
    selection.consent.keep_previous = request.keep_previous;
    selection.consent.live_postgres = request.database == Some(Database::Postgres);
    selection.consent.live_step = request.database.map(Database::name);
    let plan = plan(&doc, stack, &selection, request.now)?;
    report.live_step = request.database;
    if let (Some(step), true) = (request.database, request.dry_run) {
        if !plan.keys.is_empty() {
            report.live_accounts = database::planned(&request, step, &plan, &doc)?;
        }
    }
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
            (Some(step), _) => {
                let old = parse(&path, &bytes)?;
                let new = (&old, &doc, &bytes[..], rendered.as_bytes());
                let done = database::apply(&mut request, step, &plan, new, &locked)?;
                report.roles = done.accounts;
                report.restarted = done.restarted;
                report.restart_failed = done.restart_failed;
                report.live_notes = done.notes;
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

/// The live side of a rotation: which accounts change, and the engine
/// that changes them.
mod database {
    use super::{AdminSource, Database, Resumed, RotateEnvError, RotateRequest, Versions};
    use crate::compose::ComposeProject;
    use crate::envfile::Document;
    use crate::live::command::{self, CommandEngine};
    use crate::live::{transaction, AccountChange, Engine, LiveError};
    use crate::postgres::authority::role_of;
    use crate::rotate::{Plan, RotateError};
    use crate::safe_fs::{limits, read_limited};
    use crate::secure_file::Locked;
    use crate::stack::Stack;
    use crate::SecretValue;

    /// Whether root or the caller owns the `.env`: only then may it name
    /// servers or accounts.
    fn env_trusted(request: &RotateRequest<'_>) -> bool {
        let me = crate::safe_fs::caller_uid();
        request.env_owner.is_none_or(|u| u == 0 || u == me)
    }

    /// The admin URL from stdin, the `.env` or the request.
    fn admin_url(
        request: &RotateRequest<'_>,
        doc: &Document,
    ) -> Result<SecretValue, RotateEnvError> {
        Ok(match &request.admin {
            Some(AdminSource::Stdin) => {
                let stdin = std::path::Path::new("<stdin>");
                let bytes = read_limited(std::io::stdin().lock(), limits::STDIN, stdin)?;
                let text =
                    std::str::from_utf8(&bytes).map_err(|_| RotateEnvError::AdminUrlNotUtf8)?;
                SecretValue::new(text.trim().to_owned())
            }
            Some(AdminSource::Url(url)) => url.clone(),
            Some(AdminSource::Var(var)) => {
                // Which server, reached with root's identity (a socket's
                // peer authentication), is authority: never from a file
                // another user owns.
                if let Some(uid) = request.env_owner.filter(|_| !env_trusted(request)) {
                    return Err(RotateEnvError::AdminUrlInForeignFile {
                        key: var.clone(),
                        uid,
                    });
                }
                doc.get(var)
                    .cloned()
                    .ok_or_else(|| RotateError::NotInFile {
                        suggestion: crate::suggest::closest(var, doc.keys()),
                        key: var.clone(),
                    })?
            }
            None => return Err(RotateEnvError::NoAdminConnection),
        })
    }

    /// Connects the engine a run (or a journal) names, through the admin URL.
    fn connect(name: &str, url: &SecretValue) -> Result<Box<dyn Engine>, LiveError> {
        let _ = url;
        match name {
            #[cfg(feature = "postgres")]
            "postgres" => crate::live::postgres::PostgresEngine::connect(url)
                .map(|e| Box::new(e) as Box<dyn Engine>)
                .map_err(|e| LiveError::Connect(e.0)),
            #[cfg(not(feature = "postgres"))]
            "postgres" => Err(LiveError::NoEngine("PostgreSQL")),
            #[cfg(feature = "mysql")]
            "mysql" => crate::live::mysql::MysqlEngine::connect(url)
                .map(|e| Box::new(e) as Box<dyn Engine>)
                .map_err(|e| LiveError::Connect(e.0)),
            #[cfg(not(feature = "mysql"))]
            "mysql" => Err(LiveError::NoEngine("MariaDB/MySQL")),
            #[cfg(feature = "redis")]
            "redis" => crate::live::redis::RedisEngine::connect(url)
                .map(|e| Box::new(e) as Box<dyn Engine>)
                .map_err(|e| LiveError::Connect(e.0)),
            #[cfg(not(feature = "redis"))]
            "redis" => Err(LiveError::NoEngine("Redis")),
            other => Err(LiveError::Journal(format!(
                "the journal names the live step `{other}`, which this secrets does not know; resume with the secrets that wrote it"
            ))),
        }
    }

    /// The engine of `--apply command` for `keys`: each key's
    /// `live_command`, its `${NAME}` arguments resolved from `doc`, run in
    /// `compose`'s containers. No admin connection: the container's own CLI
    /// is the authority.
    fn command_engine<'k>(
        compose: Option<&ComposeProject>,
        stack: &Stack,
        keys: impl IntoIterator<Item = &'k str>,
        doc: &Document,
        env_trusted: bool,
    ) -> Result<Box<dyn Engine>, LiveError> {
        let project = compose
            .ok_or_else(|| LiveError::Connect(RotateEnvError::CommandNeedsCompose.to_string()))?;
        let mut commands = Vec::new();
        for key in keys {
            let Some(cmd) = stack.var(key).and_then(|v| v.live_command.as_ref()) else {
                continue;
            };
            let resolved = command::resolve(key, cmd, doc, stack, env_trusted)
                .map_err(|e| LiveError::Refused(e.0))?;
            commands.push((key.to_owned(), resolved));
        }
        Ok(Box::new(CommandEngine::new(
            project.clone(),
            None,
            commands,
        )))
    }

    /// The accounts `key` names for `step` in the manifest (the `.env` is
    /// data, never authority): `(account, named_explicitly)`.
    fn accounts_of(
        step: Database,
        stack: &Stack,
        key: &str,
        before: &Document,
    ) -> Result<Vec<(String, bool)>, RotateEnvError> {
        Ok(match step {
            Database::Postgres => role_of(stack, key, before)?
                .map(|r| (r.role, r.named_explicitly))
                .into_iter()
                .collect(),
            // `app` stands for every host of the user, which the engine
            // lists; only `app@host` names one account explicitly.
            Database::Mysql => (stack.var(key).and_then(|v| v.mysql_user.clone()))
                .unwrap_or_default()
                .into_iter()
                .map(|a| {
                    let explicit = a.contains('@');
                    (a, explicit)
                })
                .collect(),
            // A literal ACL user, named by the manifest itself.
            Database::Redis => (stack.var(key).and_then(|v| v.redis_user.clone()))
                .map(|user| (user, true))
                .into_iter()
                .collect(),
            // `SERVICE:KEY`: the manifest names the service and the command.
            Database::Command => (stack.var(key).and_then(|v| v.live_command.as_ref()))
                .map(|cmd| (crate::live::command::account(key, cmd), true))
                .into_iter()
                .collect(),
        })
    }

    /// Each rotated key's accounts as `(key, account)`, for a dry run: no
    /// connection, so a MySQL user's hosts are not listed yet.
    pub fn planned(
        request: &RotateRequest<'_>,
        step: Database,
        plan: &Plan,
        before: &Document,
    ) -> Result<Vec<(String, String)>, RotateEnvError> {
        let stack = request.stack.ok_or(RotateEnvError::DatabaseNeedsManifest)?;
        let mut out = Vec::new();
        for k in &plan.keys {
            for (account, _) in accounts_of(step, stack, &k.name, before)? {
                out.push((k.name.clone(), account));
            }
        }
        if out.is_empty() {
            return Err(RotateEnvError::NoRoles);
        }
        Ok(out)
    }

    /// Changes the server and commits the .env, both or neither.
    pub fn apply(
        request: &mut RotateRequest<'_>,
        step: Database,
        plan: &Plan,
        (before, after, old_bytes, new_bytes): Versions<'_>,
        file: &Locked<'_>,
    ) -> Result<transaction::Outcome, RotateEnvError> {
        let stack = request.stack.ok_or(RotateEnvError::DatabaseNeedsManifest)?;
        let mut changes = Vec::new();
        for k in &plan.keys {
            for (account, named_explicitly) in accounts_of(step, stack, &k.name, before)? {
                let (Some(old), Some(new)) = (before.get(&k.name), after.get(&k.name)) else {
                    return Err(RotateError::NotInFile {
                        key: k.name.clone(),
                        suggestion: None,
                    }
                    .into());
                };
                changes.push(AccountChange {
                    key: k.name.clone(),
                    account,
                    old: old.clone(),
                    new: new.clone(),
                    named_explicitly,
                });
            }
        }
        if changes.is_empty() {
            return Err(RotateEnvError::NoRoles);
        }
        let mut engine = match step {
            Database::Command => {
                let compose = request.compose.as_ref();
                let keys = plan.keys.iter().map(|k| k.name.as_str());
                command_engine(compose, stack, keys, before, env_trusted(request))?
            }
            _ => connect(step.name(), &admin_url(request, before)?)?,
        };
        let mut keys: Vec<String> = plan.keys.iter().map(|k| k.name.clone()).collect();
        keys.extend(plan.dependents.iter().cloned());
        let restart = request.restart.as_deref_mut();
        let versions = (old_bytes, new_bytes);
        Ok(transaction::run(
            &mut *engine,
            file,
            versions,
            &changes,
            restart,
            &keys,
        )?)
    }

    /// Finishes or undoes an interrupted rotation, whatever its engine.
    pub fn resume(
        request: &mut RotateRequest<'_>,
        file: &Locked<'_>,
        doc: &Document,
    ) -> Result<(Resumed, Option<transaction::Outcome>), RotateEnvError> {
        let mut restart = request.restart.take();
        let request = &*request;
        // The URL is read (from stdin, say) only once the journal names an
        // engine that needs it.
        let mut url = None;
        let vetted = std::cell::RefCell::new(Vec::<String>::new());
        let mut admin = |name: &str| -> Result<Box<dyn Engine>, LiveError> {
            if name == Database::Command.name() {
                // The keys of the journal's accounts, vetted against the
                // manifest (`vet` runs before the engine is built).
                let stack = request.stack.ok_or_else(|| {
                    LiveError::Journal(format!(
                        "{}; the journal is kept",
                        RotateEnvError::DatabaseNeedsManifest
                    ))
                })?;
                let keys = vetted.borrow();
                let keys = keys.iter().map(String::as_str);
                let trusted = env_trusted(request);
                return command_engine(request.compose.as_ref(), stack, keys, doc, trusted);
            }
            if url.is_none() {
                let read =
                    admin_url(request, doc).map_err(|e| LiveError::Connect(crate::one_line(&e)))?;
                url = Some(read);
            }
            connect(name, url.as_ref().expect("just set"))
        };
        // The manifest, not the journal, says which accounts a key's
        // value belongs to and which are named explicitly.
        let mut vet = |engine: &str, changes: &mut [AccountChange]| -> Result<(), LiveError> {
            let step = [
                Database::Postgres,
                Database::Mysql,
                Database::Redis,
                Database::Command,
            ]
            .into_iter()
            .find(|d| d.name() == engine);
            let (Some(step), Some(stack)) = (step, request.stack) else {
                return Err(LiveError::Journal(format!(
                    "resuming a `{engine}` rotation needs the manifest that names its accounts (--manifest FILE or ./secrets.toml); the journal is kept"
                )));
            };
            for c in changes.iter_mut() {
                let named = accounts_of(step, stack, &c.key, doc).map_err(|e| {
                    LiveError::Journal(format!("{}; the journal is kept", crate::one_line(&e)))
                })?;
                let Some((_, explicit)) = named.into_iter().find(|(a, _)| *a == c.account) else {
                    return Err(LiveError::Journal(format!(
                        "the journal names account `{}` for {}, which the manifest does not: resolve by hand; the journal is kept",
                        c.account, c.key
                    )));
                };
                c.named_explicitly = explicit;
                vetted.borrow_mut().push(c.key.clone());
            }
            Ok(())
        };
        Ok(
            match transaction::resume(file, &mut vet, &mut admin, restart.as_deref_mut())? {
                transaction::Resumed::Completed(done) => {
                    (Resumed::Completed(done.accounts.clone()), Some(done))
                }
                transaction::Resumed::Undone(accounts) => (Resumed::Undone(accounts), None),
            },
        )
    }
}
