//! Safe writing of secret files: the one writer every command uses, built
//! on the handle-based file layer ([`crate::safe_fs`]).
//!
//! [`SecureFile::open`] resolves the directory (creating it with `mkdir`)
//! under the directory rules; [`SecureFile::lock`] locks that directory
//! handle for a bounded time and returns a [`Locked`], the only type that
//! can read, replace or tighten the file: a write without the checks and
//! the lock does not compile. A replacement is a temporary file created
//! `O_EXCL|O_NOFOLLOW` at mode 0600 in the same directory, `fchown`ed and
//! `fchmod`ed to its final mode before the first byte, written, `fsync`ed
//! and renamed over the target; the directory is then `fsync`ed. On any
//! error the temporary file is removed and the target is untouched.

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::unistd::{Group, Uid, User};
use rand::Rng;

use crate::safe_fs::{self, limits, Dir, DirLock, FsError, OpenFile, Trust};

/// Who should own a written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// The user; `None` leaves it as created.
    pub uid: Option<u32>,
    /// The group; `None` leaves it as created.
    pub gid: Option<u32>,
}

/// An owner specification that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OwnerError {
    /// No such user.
    #[error("unknown user `{0}`")]
    UnknownUser(String),
    /// No such group.
    #[error("unknown group `{0}`")]
    UnknownGroup(String),
    /// Not `USER[:GROUP]` or `UID[:GID]`.
    #[error("`{0}` is not USER[:GROUP] or UID[:GID]")]
    Invalid(String),
    /// The user database could not be read.
    #[error("cannot look up `{name}`")]
    Lookup {
        /// The name looked up.
        name: String,
        /// The error.
        source: nix::Error,
    },
}

fn lookup_error(name: &str, source: nix::Error) -> OwnerError {
    OwnerError::Lookup {
        name: name.to_owned(),
        source,
    }
}

impl Owner {
    /// Parses `USER`, `USER:GROUP`, `UID`, `UID:GID` or `:GROUP`. A user
    /// named without a group gets the user's primary group.
    pub fn parse(spec: &str) -> Result<Self, OwnerError> {
        let (user, group) = match spec.split_once(':') {
            Some((u, g)) => (u, Some(g)),
            None => (spec, None),
        };
        if (user.is_empty() && group.is_none_or(str::is_empty)) || group == Some("") {
            return Err(OwnerError::Invalid(spec.to_owned()));
        }
        let (uid, primary_gid) = if user.is_empty() {
            (None, None)
        } else if let Ok(n) = user.parse::<u32>() {
            let u =
                User::from_uid(Uid::from_raw(n)).map_err(|source| lookup_error(user, source))?;
            (Some(n), u.map(|u| u.gid.as_raw()))
        } else {
            let u = User::from_name(user)
                .map_err(|source| lookup_error(user, source))?
                .ok_or_else(|| OwnerError::UnknownUser(user.to_owned()))?;
            (Some(u.uid.as_raw()), Some(u.gid.as_raw()))
        };
        let gid = match group {
            None => primary_gid,
            Some(g) => Some(match g.parse::<u32>() {
                Ok(n) => n,
                Err(_) => Group::from_name(g)
                    .map_err(|source| lookup_error(g, source))?
                    .ok_or_else(|| OwnerError::UnknownGroup(g.to_owned()))?
                    .gid
                    .as_raw(),
            }),
        };
        Ok(Owner { uid, gid })
    }
}

/// Why a service account could not be created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CreateUserError {
    /// Not a name `useradd` takes: lower case letters, digits, `_` and `-`,
    /// starting with a letter or `_`, at most 32 characters.
    #[error("`{0}` is not a user name useradd accepts (a-z, 0-9, _ and -, starting with a letter or _, at most 32)")]
    InvalidName(String),
    /// `useradd` could not be run, or failed.
    #[error("useradd {name}: {why}")]
    Useradd {
        /// The user.
        name: String,
        /// Its error line, or why it could not run.
        why: String,
    },
    /// The user database could not be read.
    #[error(transparent)]
    Lookup(#[from] OwnerError),
}

/// Makes sure the system account `name` exists, as a dedicated service
/// user: `useradd --system --shell /usr/sbin/nologin --no-create-home
/// --user-group`, so it has its own group, no home and no login. Returns
/// whether it was created (false: it already existed, whoever made it).
/// Needs root.
pub fn ensure_system_user(name: &str) -> Result<bool, CreateUserError> {
    let valid = !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !valid {
        return Err(CreateUserError::InvalidName(name.to_owned()));
    }
    let exists = || -> Result<bool, OwnerError> {
        Ok(User::from_name(name)
            .map_err(|source| lookup_error(name, source))?
            .is_some())
    };
    if exists()? {
        return Ok(false);
    }
    let failed = |why: String| CreateUserError::Useradd {
        name: name.to_owned(),
        why,
    };
    let mut command = std::process::Command::new("useradd");
    command
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .args([
            "--system",
            "--shell",
            "/usr/sbin/nologin",
            "--no-create-home",
            "--user-group",
            "--",
            name,
        ]);
    let out = command
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| failed(e.to_string()))?;
    // 9: the name was taken meanwhile, which is what was asked for.
    if !(out.status.success() || out.status.code() == Some(9)) {
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("failed");
        return Err(failed(line.trim().to_owned()));
    }
    if !exists()? {
        return Err(failed(
            "it reported success but the user does not exist".into(),
        ));
    }
    Ok(out.status.success())
}

/// Reads the file at `path` as the writer would find it before keeping its
/// owner (`rotate`): every directory on the way belongs to root, the caller
/// or the file's owner, the one holding it is writable by nobody else, and
/// it is a regular file with one link, read under the directory's lock.
/// What a command hands on (`export`, `get`) is read this way, so that no
/// other user can have put it there. `None` when it does not exist.
pub fn read_held(path: &Path, limit: u64) -> Result<Option<crate::SecretBytes>, WriteError> {
    let options = match WriteOptions::preserving(path) {
        Ok(options) => options,
        Err(WriteError::Fs(e)) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    let file = SecureFile::open(path, options)?;
    let locked = file.lock()?;
    locked.read_up_to(limit)
}

/// How long a writer waits for another writer's lock by default.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(5);

/// How to write.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteOptions {
    mode: u32,
    /// The owner to set before the file appears.
    pub owner: Option<Owner>,
    /// Write to a symlink's target instead of refusing (followed only when
    /// the link sits in a directory nobody but root and the caller can
    /// change, and its target passes the same rules).
    pub follow_symlinks: bool,
    /// Create a missing parent directory at 0700 (same owner).
    pub mkdir: bool,
    /// How long to wait for another writer's lock.
    pub lock_wait: Duration,
    /// The owner was read from the existing file by path ([`WriteOptions::preserving`]):
    /// only a hint, which the handle under the lock must confirm exactly.
    preserved: bool,
    /// An existing file of root's or the caller's may be given to the
    /// owner ([`WriteOptions::adopting_existing`]).
    adopt: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            mode: 0o600,
            owner: None,
            follow_symlinks: false,
            mkdir: false,
            lock_wait: DEFAULT_LOCK_WAIT,
            preserved: false,
            adopt: false,
        }
    }
}

impl WriteOptions {
    /// Owner-only modes: 0600 (the default) or 0400.
    pub fn private(read_only: bool) -> Self {
        WriteOptions {
            mode: if read_only { 0o400 } else { 0o600 },
            ..Self::default()
        }
    }

    /// A mode that lets a group read the file, for deployments where a
    /// container's group must read it. Bits for others are never accepted.
    pub fn group_readable(mut self, mode: u32) -> Result<Self, WriteError> {
        if mode & !0o640 != 0 || mode & 0o400 == 0 {
            return Err(WriteError::Mode(mode));
        }
        self.mode = mode;
        Ok(self)
    }

    /// The same options with `owner`.
    pub fn with_owner(mut self, owner: Option<Owner>) -> Self {
        self.owner = owner;
        self
    }

    /// The same options, letting an existing file of root's or the
    /// caller's be given to the requested owner. Only for a writer whose
    /// every byte comes from the caller, which keeps nothing of the old
    /// file but an identical content (`export compose`): by default an
    /// existing file must already belong to the owner, since whoever owns
    /// the directory could have renamed a file of root's into it.
    pub fn adopting_existing(mut self) -> Self {
        self.adopt = true;
        self
    }

    /// The same options with a lock wait.
    pub fn with_lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// The file mode.
    pub fn mode(&self) -> u32 {
        self.mode
    }

    /// Options that keep an existing file's owner and, when it is a mode a
    /// secret file may have (0600, 0400, 0640, 0440), its mode; any other
    /// mode becomes 0600. The file must be a regular file with one link;
    /// [`Locked::read`] later checks that it is still owned the same.
    pub fn preserving(path: &Path) -> Result<Self, WriteError> {
        let file = safe_fs::read_meta_nofollow(path)?.ok_or_else(|| {
            WriteError::Fs(FsError::Io {
                path: path.to_owned(),
                op: "open",
                source: io::Error::from(io::ErrorKind::NotFound),
            })
        })?;
        let mode = file.mode();
        let mut options = match mode {
            0o600 | 0o400 => WriteOptions::private(mode == 0o400),
            0o640 | 0o440 => WriteOptions::default().group_readable(mode)?,
            _ => WriteOptions::default(),
        };
        options.owner = Some(Owner {
            uid: Some(file.uid()),
            gid: Some(file.gid()),
        });
        options.preserved = true;
        Ok(options)
    }

    fn trust(&self) -> Trust {
        Trust::with_owner(self.owner.and_then(|o| o.uid))
    }
}

/// A write that did not happen. Names the path and the operation, never the
/// content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// Refused or failed in the file layer.
    #[error(transparent)]
    Fs(#[from] FsError),
    /// The parent directory is missing.
    #[error("{0}: the directory does not exist")]
    MissingParent(PathBuf),
    /// `fchown` was refused.
    #[error("{path}: cannot change the owner, which needs root or CAP_CHOWN")]
    Chown {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// A mode with bits for others, or no owner read bit.
    #[error("mode {0:04o} is not allowed: secret files are 0600, 0400, or group-readable 0640/0440 at most")]
    Mode(u32),
    /// The file's owner changed between reading it by path and opening it
    /// under the lock: another file was swapped in.
    #[error("{0}: its owner changed while it was being opened; refusing (was the file swapped?)")]
    OwnerChanged(PathBuf),
    /// An existing file belongs to someone other than the owner it is
    /// written for: completing it and handing it over would give that owner
    /// what it holds (root's file renamed into the owner's directory).
    #[error("{path}: belongs to {found}, not to {wanted} for whom it is written; refusing to complete it and hand it over: check what it holds, then chown it to that user or remove it, and run again")]
    ExistingOwner {
        /// The file.
        path: PathBuf,
        /// Who owns it: user name and uid.
        found: String,
        /// The owner requested: user name and uid.
        wanted: String,
    },
}

/// A user for messages: `name (uid N)`, or `uid N` when it has no name.
pub(crate) fn describe_user(uid: u32) -> String {
    match User::from_uid(Uid::from_raw(uid)) {
        Ok(Some(user)) => format!("{} (uid {uid})", user.name),
        _ => format!("uid {uid}"),
    }
}

/// What changed on an existing file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// The file was created.
    Created,
    /// The content was replaced.
    Replaced,
    /// The mode was changed.
    Mode {
        /// Before.
        from: u32,
        /// After.
        to: u32,
    },
    /// The owner was changed.
    Owner {
        /// Before (uid, gid).
        from: (u32, u32),
        /// After (uid, gid).
        to: (u32, u32),
    },
    /// The parent directory was created.
    CreatedDirectory(PathBuf),
}

/// A secret file in a directory that passed the directory rules. Locking it
/// gives the [`Locked`] that reads and writes it.
///
/// ```
/// use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
/// use secrets_core::secure_file::{Change, SecureFile, WriteOptions};
///
/// // A directory only its owner can change (the rules refuse others).
/// let dir = std::env::temp_dir().join(format!("secure-file-doc-{}", std::process::id()));
/// std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
///
/// let file = SecureFile::open(dir.join(".env"), WriteOptions::default())?;
/// let locked = file.lock()?;
/// assert!(locked.read()?.is_none());
/// assert!(matches!(locked.replace(b"TOKEN=abc\n")?, Change::Created));
/// assert_eq!(&locked.read()?.unwrap()[..], b"TOKEN=abc\n");
/// drop(locked);
///
/// let mode = std::fs::metadata(dir.join(".env"))?.permissions().mode();
/// assert_eq!(mode & 0o777, 0o600);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Nothing is read or written without the lock: the handle has no such
/// methods.
///
/// ```compile_fail
/// use secrets_core::secure_file::{SecureFile, WriteOptions};
/// let file = SecureFile::open("/srv/app/.env", WriteOptions::default()).unwrap();
/// file.replace(b"TOKEN=abc\n"); // error: no method `replace` on `SecureFile`
/// ```
///
/// ```compile_fail
/// use secrets_core::secure_file::{SecureFile, WriteOptions};
/// // A lock does not outlive its file.
/// let locked = {
///     let file = SecureFile::open("/srv/app/.env", WriteOptions::default()).unwrap();
///     file.lock().unwrap()
/// };
/// locked.replace(b"TOKEN=abc\n").unwrap();
/// ```
#[derive(Debug)]
pub struct SecureFile {
    dir: Dir,
    name: OsString,
    path: PathBuf,
    options: WriteOptions,
    created_dir: Option<PathBuf>,
}

impl SecureFile {
    /// Resolves `path`'s directory under the directory rules (creating it at
    /// 0700 with `options.mkdir`). With `follow_symlinks`, a symlink at
    /// `path` is replaced by its target, which must pass the same rules.
    pub fn open(path: impl AsRef<Path>, options: WriteOptions) -> Result<Self, WriteError> {
        let path = path.as_ref();
        let trust = options.trust();
        let (dir_path, name) = safe_fs::split(path)?;
        let owner = options.owner.map(|o| (o.uid, o.gid));
        let (dir, created) = if options.mkdir {
            Dir::open_or_create(&dir_path, &trust, owner)?
        } else {
            match Dir::open(&dir_path, &trust) {
                Ok(d) => (d, false),
                Err(e) if e.is_not_found() => return Err(WriteError::MissingParent(dir_path)),
                Err(e) => return Err(e.into()),
            }
        };
        if options.follow_symlinks {
            if let Some(target) = dir.symlink_target(&name)? {
                let target = if target.is_absolute() {
                    target
                } else {
                    dir.child(target.as_os_str())
                };
                let once = WriteOptions {
                    follow_symlinks: false,
                    ..options
                };
                return Self::open(target, once);
            }
        }
        let created_dir = created.then(|| dir.path().to_owned());
        Ok(SecureFile {
            path: dir.child(&name),
            dir,
            name,
            options,
            created_dir,
        })
    }

    /// The path written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The options.
    pub fn options(&self) -> &WriteOptions {
        &self.options
    }

    /// The directory created by [`SecureFile::open`], if it made one.
    pub fn created_directory(&self) -> Option<Change> {
        self.created_dir.clone().map(Change::CreatedDirectory)
    }

    /// Locks the directory for `options.lock_wait` at most. Temporary files
    /// are only created under this lock, so any of ours found now were left
    /// by a killed writer: they are removed.
    pub fn lock(&self) -> Result<Locked<'_>, WriteError> {
        let lock = self.dir.lock(self.options.lock_wait)?;
        let locked = Locked {
            file: self,
            _lock: lock,
        };
        locked.remove_stale_temporaries();
        Ok(locked)
    }

    /// Locks like [`SecureFile::lock`] but leaves stale temporaries where
    /// they are: for a dry run, which changes nothing in the directory.
    pub fn lock_to_inspect(&self) -> Result<Locked<'_>, WriteError> {
        let lock = self.dir.lock(self.options.lock_wait)?;
        Ok(Locked {
            file: self,
            _lock: lock,
        })
    }

    fn sibling_name(&self, suffix: &str) -> OsString {
        let mut name = OsString::from(".");
        name.push(&self.name);
        name.push(suffix);
        name
    }
}

/// A [`SecureFile`] whose directory is locked: the one type that reads and
/// changes it. Dropping it releases the lock.
#[derive(Debug)]
pub struct Locked<'a> {
    file: &'a SecureFile,
    _lock: DirLock,
}

impl Locked<'_> {
    /// The file.
    pub fn file(&self) -> &SecureFile {
        self.file
    }

    /// The path written.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    fn remove_stale_temporaries(&self) {
        let prefix = self.file.sibling_name(".tmp-");
        let Ok(names) = self.file.dir.names() else {
            return;
        };
        for name in names {
            if !name
                .as_encoded_bytes()
                .starts_with(prefix.as_encoded_bytes())
            {
                continue;
            }
            // Only our own regular files: never another user's planted name.
            let ours = self
                .file
                .dir
                .open_file(&name)
                .ok()
                .flatten()
                .is_some_and(|f| {
                    f.stat().st_uid == safe_fs::caller_uid() && f.require_regular().is_ok()
                });
            if ours {
                let _ = self.file.dir.remove(&name);
            }
        }
    }

    /// The existing target (or companion), opened and checked: a regular
    /// file with one link, owned by root, the caller or the requested
    /// owner; and when an owner is requested, by that owner only (unless
    /// [`WriteOptions::adopting_existing`]). Anyone who can write in a
    /// directory of the owner's can rename a file of root's there (one the
    /// owner cannot read): completing it or handing it over would give its
    /// content to the owner.
    fn existing(&self, name: &OsStr) -> Result<Option<OpenFile>, WriteError> {
        let options = &self.file.options;
        let Some(f) = self.file.dir.open_file(name)? else {
            return Ok(None);
        };
        let f = f.require_changeable(&options.trust())?;
        match options.owner.and_then(|o| o.uid) {
            Some(wanted) if f.uid() != wanted && !options.adopt => Err(WriteError::ExistingOwner {
                path: f.path().to_owned(),
                found: describe_user(f.uid()),
                wanted: describe_user(wanted),
            }),
            _ => Ok(Some(f)),
        }
    }

    /// With [`WriteOptions::preserving`], the owner read by path decided which
    /// directories were trusted: the file under the lock must have exactly
    /// that owner and group (root's file swapped in is not "preserved" as
    /// another user's).
    fn confirm_preserved_owner(&self, f: &OpenFile) -> Result<(), WriteError> {
        let options = &self.file.options;
        if let (true, Some(o)) = (options.preserved, options.owner) {
            if o.uid != Some(f.uid()) || o.gid != Some(f.gid()) {
                return Err(WriteError::OwnerChanged(f.path().to_owned()));
            }
        }
        Ok(())
    }

    /// The existing target's device and inode (after the same checks as
    /// [`Locked::read`]), `None` when absent.
    pub fn identity(&self) -> Result<Option<(u64, u64)>, WriteError> {
        Ok(self.existing(&self.file.name)?.map(|f| f.identity()))
    }

    /// The current content, or `None` when the file does not exist. Refuses
    /// a symlink, a special file, a file with other links and one owned by
    /// someone else, and a file over the size limit for `.env` files.
    pub fn read(&self) -> Result<Option<crate::SecretBytes>, WriteError> {
        self.read_name(&self.file.name, limits::ENV)
    }

    /// [`Locked::read`] with another size limit (an encrypted `.env` is
    /// larger than its plaintext).
    pub fn read_up_to(&self, limit: u64) -> Result<Option<crate::SecretBytes>, WriteError> {
        self.read_name(&self.file.name, limit)
    }

    fn read_name(
        &self,
        name: &OsStr,
        limit: u64,
    ) -> Result<Option<crate::SecretBytes>, WriteError> {
        let Some(f) = self.existing(name)? else {
            return Ok(None);
        };
        self.confirm_preserved_owner(&f)?;
        Ok(Some(f.read_all(limit)?))
    }

    /// What [`Locked::enforce`] would change, changing nothing.
    pub fn planned_enforce(&self) -> Result<Vec<Change>, WriteError> {
        let Some(f) = self.existing(&self.file.name)? else {
            return Ok(Vec::new());
        };
        self.confirm_preserved_owner(&f)?;
        Ok(self.differences(&f))
    }

    /// What [`Locked::replace`] would change, changing nothing: the file
    /// created, or replaced with the mode and owner it would get.
    pub fn planned_replace(&self) -> Result<Vec<Change>, WriteError> {
        let Some(f) = self.existing(&self.file.name)? else {
            return Ok(vec![Change::Created]);
        };
        self.confirm_preserved_owner(&f)?;
        let mut changes = vec![Change::Replaced];
        changes.extend(self.differences(&f));
        Ok(changes)
    }

    /// The existing file's mode and owner against the options'.
    fn differences(&self, f: &OpenFile) -> Vec<Change> {
        let options = &self.file.options;
        let mut changes = Vec::new();
        if f.mode() != options.mode {
            changes.push(Change::Mode {
                from: f.mode(),
                to: options.mode,
            });
        }
        if let Some(o) = options.owner {
            let from = (f.uid(), f.gid());
            let to = (o.uid.unwrap_or(from.0), o.gid.unwrap_or(from.1));
            if from != to {
                changes.push(Change::Owner { from, to });
            }
        }
        changes
    }

    /// Brings an existing file's mode and owner to the options' without
    /// touching its content, through the opened handle.
    pub fn enforce(&self) -> Result<Vec<Change>, WriteError> {
        let Some(f) = self.existing(&self.file.name)? else {
            return Ok(Vec::new());
        };
        self.confirm_preserved_owner(&f)?;
        let options = &self.file.options;
        let mut changes = Vec::new();
        let mode = f.mode();
        // Tighten first, so a change of owner never happens on an open file.
        if mode != options.mode {
            f.chmod(options.mode)?;
            changes.push(Change::Mode {
                from: mode,
                to: options.mode,
            });
        }
        if let Some(o) = options.owner {
            let from = (f.uid(), f.gid());
            let to = (o.uid.unwrap_or(from.0), o.gid.unwrap_or(from.1));
            if from != to {
                f.chown(o.uid, o.gid).map_err(|source| WriteError::Chown {
                    path: self.path().to_owned(),
                    source,
                })?;
                // chown clears set-id bits and may touch the mode: set it again.
                f.chmod(options.mode)?;
                changes.push(Change::Owner { from, to });
            }
        }
        Ok(changes)
    }

    /// Replaces the file's content atomically: a reader sees the old file or
    /// the new one, never a mix, and a failure leaves the old one in place.
    pub fn replace(&self, content: &[u8]) -> Result<Change, WriteError> {
        let name = self.file.name.clone();
        self.replace_name(&name, content, self.file.options.mode)
    }

    fn replace_name(&self, name: &OsStr, content: &[u8], mode: u32) -> Result<Change, WriteError> {
        let existing = self.existing(name)?;
        if let Some(f) = &existing {
            if name == self.file.name {
                self.confirm_preserved_owner(f)?;
            }
        }
        let existed = existing.is_some();
        let dir = &self.file.dir;
        let options = &self.file.options;
        let (tmp_name, tmp) = self.create_temp(name)?;
        let result = (|| {
            if let Some(o) = options.owner {
                tmp.chown(o.uid, o.gid)
                    .map_err(|source| WriteError::Chown {
                        path: dir.child(name),
                        source,
                    })?;
            }
            // Created 0600 whatever the umask; set the final mode explicitly
            // before the first byte.
            tmp.chmod(mode)?;
            tmp.write_all(content)?;
            tmp.sync()?;
            drop(tmp);
            // Checked again right before the rename: a symlink or link
            // planted since would be replaced, not followed, but say so
            // rather than do it.
            self.existing(name)?;
            dir.rename(&tmp_name, name)?;
            Ok(())
        })();
        if let Err(e) = result {
            let _ = dir.remove(&tmp_name);
            return Err(e);
        }
        dir.sync()?;
        Ok(if existed {
            Change::Replaced
        } else {
            Change::Created
        })
    }

    fn create_temp(&self, name: &OsStr) -> Result<(OsString, OpenFile), WriteError> {
        let mut rng = crate::generate::os_rng();
        loop {
            let suffix: u64 = rng.random();
            let mut tmp = OsString::from(".");
            tmp.push(name);
            tmp.push(format!(".tmp-{suffix:016x}"));
            match self.file.dir.create_new(&tmp, 0o600) {
                Ok(f) => return Ok((tmp, f)),
                Err(FsError::Io { source, .. })
                    if source.kind() == io::ErrorKind::AlreadyExists =>
                {
                    continue
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Reads the companion file `.NAME<suffix>` (a rotation journal) under
    /// the same lock and rules.
    pub fn read_companion(&self, suffix: &str) -> Result<Option<crate::SecretBytes>, WriteError> {
        let name = self.file.sibling_name(suffix);
        self.read_name(&name, limits::JOURNAL)
    }

    /// Writes the companion file `.NAME<suffix>` atomically, with the same
    /// owner and mode 0600.
    pub fn replace_companion(&self, suffix: &str, content: &[u8]) -> Result<(), WriteError> {
        let name = self.file.sibling_name(suffix);
        self.replace_name(&name, content, 0o600).map(drop)
    }

    /// Removes the companion file `.NAME<suffix>`.
    pub fn remove_companion(&self, suffix: &str) -> Result<(), WriteError> {
        let name = self.file.sibling_name(suffix);
        if self.existing(&name)?.is_some() {
            self.file.dir.remove(&name)?;
            self.file.dir.sync()?;
        }
        Ok(())
    }

    /// The path of the companion file `.NAME<suffix>` (for messages).
    pub fn companion_path(&self, suffix: &str) -> PathBuf {
        self.file.dir.child(&self.file.sibling_name(suffix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::{self, Permissions};
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn creates_at_0600_and_replaces_atomically() {
        let d = tempfile::tempdir().unwrap();
        let f = SecureFile::open(d.path().join(".env"), WriteOptions::default()).unwrap();
        let locked = f.lock().unwrap();
        assert_eq!(locked.read().unwrap(), None);
        assert_eq!(locked.replace(b"A=1\n").unwrap(), Change::Created);
        assert_eq!(fs::metadata(f.path()).unwrap().mode() & 0o777, 0o600);
        assert_eq!(locked.replace(b"A=2\n").unwrap(), Change::Replaced);
        assert_eq!(locked.read().unwrap().unwrap().as_slice(), b"A=2\n");
        assert_eq!(entries(d.path()), [".env"], "no lock file, no temporary");
    }

    #[test]
    fn refuses_symlinks_hard_links_and_special_files() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("other"), "keep").unwrap();
        std::os::unix::fs::symlink(d.path().join("other"), d.path().join("link")).unwrap();
        let f = SecureFile::open(d.path().join("link"), WriteOptions::default()).unwrap();
        let locked = f.lock().unwrap();
        assert!(matches!(
            locked.replace(b"x"),
            Err(WriteError::Fs(FsError::Symlink(_)))
        ));
        assert!(matches!(
            locked.read(),
            Err(WriteError::Fs(FsError::Symlink(_)))
        ));
        drop(locked);
        assert_eq!(fs::read_to_string(d.path().join("other")).unwrap(), "keep");
        fs::hard_link(d.path().join("other"), d.path().join("hard")).unwrap();
        let f = SecureFile::open(d.path().join("hard"), WriteOptions::default()).unwrap();
        let locked = f.lock().unwrap();
        assert!(matches!(
            locked.enforce(),
            Err(WriteError::Fs(FsError::HardLinked { links: 2, .. }))
        ));
        drop(locked);
        fs::create_dir(d.path().join("sub")).unwrap();
        let f = SecureFile::open(d.path().join("sub"), WriteOptions::default()).unwrap();
        assert!(matches!(
            f.lock().unwrap().replace(b"x"),
            Err(WriteError::Fs(FsError::NotRegular {
                what: "directory",
                ..
            }))
        ));
        let followed = SecureFile::open(
            d.path().join("link"),
            WriteOptions {
                follow_symlinks: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(followed.path(), d.path().join("other"));
    }

    #[test]
    fn the_lock_removes_temporaries_left_by_a_killed_writer() {
        let d = tempfile::tempdir().unwrap();
        let f = SecureFile::open(d.path().join(".env"), WriteOptions::default()).unwrap();
        fs::write(d.path().join("..env.tmp-0123456789abcdef"), "secret").unwrap();
        fs::write(d.path().join(".other.tmp-0123456789abcdef"), "theirs").unwrap();
        let _lock = f.lock().unwrap();
        assert_eq!(entries(d.path()), [".other.tmp-0123456789abcdef"]);
    }

    #[test]
    fn a_second_writer_waits_a_bounded_time() {
        let d = tempfile::tempdir().unwrap();
        let f = SecureFile::open(d.path().join(".env"), WriteOptions::default()).unwrap();
        let _held = f.lock().unwrap();
        let g = SecureFile::open(
            d.path().join(".env"),
            WriteOptions::default().with_lock_wait(Duration::from_millis(100)),
        )
        .unwrap();
        assert!(matches!(
            g.lock(),
            Err(WriteError::Fs(FsError::LockTimeout { .. }))
        ));
    }

    #[test]
    fn enforce_tightens_an_existing_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        fs::write(&p, "A=1\n").unwrap();
        fs::set_permissions(&p, Permissions::from_mode(0o644)).unwrap();
        let f = SecureFile::open(&p, WriteOptions::default()).unwrap();
        let locked = f.lock().unwrap();
        assert_eq!(
            locked.enforce().unwrap(),
            [Change::Mode {
                from: 0o644,
                to: 0o600
            }]
        );
        assert_eq!(locked.enforce().unwrap(), []);
        assert_eq!(fs::read_to_string(&p).unwrap(), "A=1\n");
    }

    #[test]
    fn parent_checks() {
        let d = tempfile::tempdir().unwrap();
        assert!(matches!(
            SecureFile::open(d.path().join("sub/f"), WriteOptions::default()),
            Err(WriteError::MissingParent(_))
        ));
        let mkdir = WriteOptions {
            mkdir: true,
            ..Default::default()
        };
        let f = SecureFile::open(d.path().join("sub/f"), mkdir.clone()).unwrap();
        assert!(f.created_directory().is_some());
        assert_eq!(
            fs::metadata(d.path().join("sub")).unwrap().mode() & 0o777,
            0o700
        );
        fs::set_permissions(d.path().join("sub"), Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(
            SecureFile::open(d.path().join("sub/f"), mkdir.clone()),
            Err(WriteError::Fs(FsError::UnsafeDirectory { .. }))
        ));
        // A sticky directory still lets others create the name first.
        fs::set_permissions(d.path().join("sub"), Permissions::from_mode(0o1777)).unwrap();
        assert!(SecureFile::open(d.path().join("sub/f"), mkdir).is_err());
    }

    #[test]
    fn companions_share_the_lock() {
        let d = tempfile::tempdir().unwrap();
        let f = SecureFile::open(
            d.path().join(".env"),
            WriteOptions::default().group_readable(0o640).unwrap(),
        )
        .unwrap();
        let locked = f.lock().unwrap();
        locked.replace_companion(".journal", b"j").unwrap();
        let p = d.path().join("..env.journal");
        assert_eq!(fs::metadata(&p).unwrap().mode() & 0o777, 0o600);
        assert_eq!(
            locked
                .read_companion(".journal")
                .unwrap()
                .unwrap()
                .as_slice(),
            b"j"
        );
        locked.remove_companion(".journal").unwrap();
        assert!(!p.exists());
    }

    #[test]
    fn an_existing_file_of_anyone_but_the_requested_owner_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(".env");
        fs::write(&p, "A=1\n").unwrap();
        // The caller's own file, to be written for uid 65534: refused, the
        // owner named; companions too.
        let me = safe_fs::caller_uid();
        let other = if me == 65534 { 65533 } else { 65534 };
        fs::write(d.path().join("..env.journal"), "J\n").unwrap();
        let options = WriteOptions::default().with_owner(Some(Owner {
            uid: Some(other),
            gid: None,
        }));
        let f = SecureFile::open(&p, options).unwrap();
        let locked = f.lock().unwrap();
        for result in [
            locked.read().map(drop),
            locked.enforce().map(drop),
            locked.replace(b"B=2\n").map(drop),
            locked.read_companion(".journal").map(drop),
        ] {
            match result {
                Err(WriteError::ExistingOwner { found, wanted, .. }) => {
                    assert!(found.ends_with(&format!("(uid {me})")), "{found}");
                    assert!(wanted.ends_with(&format!("uid {other})")), "{wanted}");
                }
                other => panic!("not refused: {other:?}"),
            }
        }
        drop(locked);
        assert_eq!(fs::read_to_string(&p).unwrap(), "A=1\n");
        // A writer that keeps nothing of the old file may adopt it.
        let adopting = WriteOptions::default()
            .with_owner(Some(Owner {
                uid: Some(other),
                gid: None,
            }))
            .adopting_existing();
        let f = SecureFile::open(&p, adopting).unwrap();
        assert!(f.lock().unwrap().read().unwrap().is_some());
        // The same file written for its owner is completed as before.
        let options = WriteOptions::default().with_owner(Some(Owner {
            uid: Some(me),
            gid: None,
        }));
        let f = SecureFile::open(&p, options).unwrap();
        assert_eq!(
            f.lock().unwrap().replace(b"B=2\n").unwrap(),
            Change::Replaced
        );
    }

    #[test]
    fn owner_specs() {
        assert_eq!(
            Owner::parse("0:0").unwrap(),
            Owner {
                uid: Some(0),
                gid: Some(0)
            }
        );
        assert_eq!(
            Owner::parse("root").unwrap(),
            Owner {
                uid: Some(0),
                gid: Some(0)
            }
        );
        assert_eq!(
            Owner::parse(":0").unwrap(),
            Owner {
                uid: None,
                gid: Some(0)
            }
        );
        assert!(matches!(
            Owner::parse("no-such-user-x"),
            Err(OwnerError::UnknownUser(_))
        ));
        assert!(matches!(
            Owner::parse("root:no-such-group-x"),
            Err(OwnerError::UnknownGroup(_))
        ));
        assert!(matches!(Owner::parse("root:"), Err(OwnerError::Invalid(_))));
        assert!(matches!(Owner::parse(""), Err(OwnerError::Invalid(_))));
    }

    #[test]
    fn modes() {
        assert_eq!(WriteOptions::private(true).mode(), 0o400);
        assert!(WriteOptions::default().group_readable(0o640).is_ok());
        assert!(WriteOptions::default().group_readable(0o644).is_err());
        assert!(WriteOptions::default().group_readable(0o040).is_err());
    }
}
