//! Safe writing of secret files: the one writer every command uses.
//!
//! The recipe: refuse symlinks and special files; write a temporary file in
//! the target's directory, created `O_EXCL|O_NOFOLLOW` at mode 0600; `fchown`
//! and `fchmod` it, `fsync` it, `rename` it over the target and `fsync` the
//! directory. On any error the temporary file is removed and the target is
//! untouched. An advisory lock file beside the target serialises writers.

use std::ffi::OsString;
use std::fs::{self, DirBuilder, File, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::unistd::{Group, Uid, User};
use rand::Rng;
use zeroize::Zeroizing;

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
    #[error("cannot look up `{name}`: {source}")]
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

/// How to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOptions {
    mode: u32,
    /// The owner to set before the file appears.
    pub owner: Option<Owner>,
    /// Write to a symlink's target instead of refusing.
    pub follow_symlinks: bool,
    /// Create a missing parent directory at 0700 (same owner).
    pub mkdir: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            mode: 0o600,
            owner: None,
            follow_symlinks: false,
            mkdir: false,
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

    /// The file mode.
    pub fn mode(&self) -> u32 {
        self.mode
    }

    /// Options that keep an existing file's owner and, when it is a mode a
    /// secret file may have (0600, 0400, 0640, 0440), its mode; any other
    /// mode becomes 0600. Refuses symlinks and special files like every write.
    pub fn preserving(path: &Path) -> Result<Self, WriteError> {
        let file = SecureFile::new(path, WriteOptions::default())?;
        let meta = file.existing()?.ok_or_else(|| WriteError::Io {
            path: path.to_owned(),
            op: "open",
            source: io::Error::from(io::ErrorKind::NotFound),
        })?;
        let mode = meta.mode() & 0o7777;
        let mut options = match mode {
            0o600 | 0o400 => WriteOptions::private(mode == 0o400),
            0o640 | 0o440 => WriteOptions::default().group_readable(mode)?,
            _ => WriteOptions::default(),
        };
        options.owner = Some(Owner {
            uid: Some(meta.uid()),
            gid: Some(meta.gid()),
        });
        Ok(options)
    }
}

/// A write that did not happen. Names the path and the operation, never the
/// content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The target is a symlink and following was not asked for.
    #[error("{0}: is a symbolic link; refusing to write through it")]
    Symlink(PathBuf),
    /// The target is a directory, FIFO, socket or device.
    #[error("{path}: is a {what}, not a regular file")]
    NotRegular {
        /// The target.
        path: PathBuf,
        /// What it is.
        what: &'static str,
    },
    /// The parent directory is missing.
    #[error("{0}: the directory does not exist (--mkdir creates it)")]
    MissingParent(PathBuf),
    /// The parent directory lets others replace the file.
    #[error("{dir}: the directory is writable by {who} (mode {mode:04o}), so they could replace the file; run `chmod go-w {dir}`")]
    UnsafeParent {
        /// The directory.
        dir: PathBuf,
        /// `group`, `others` or `group and others`.
        who: &'static str,
        /// Its mode.
        mode: u32,
    },
    /// `fchown` was refused.
    #[error(
        "{path}: cannot change the owner: {source}; changing the owner needs root or CAP_CHOWN"
    )]
    Chown {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// A mode with bits for others, or no owner read bit.
    #[error("mode {0:04o} is not allowed: secret files are 0600, 0400, or group-readable 0640/0440 at most")]
    Mode(u32),
    /// Any other system call failed.
    #[error("{path}: {op} failed: {source}")]
    Io {
        /// The path operated on.
        path: PathBuf,
        /// The operation (`write`, `fsync`, `rename`, ...).
        op: &'static str,
        /// The error.
        source: io::Error,
    },
}

fn io_err(path: &Path, op: &'static str) -> impl FnOnce(io::Error) -> WriteError {
    let path = path.to_owned();
    move |source| WriteError::Io { path, op, source }
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

/// A held advisory lock; released on drop.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// A secret file and how to write it.
#[derive(Debug, Clone)]
pub struct SecureFile {
    path: PathBuf,
    options: WriteOptions,
}

fn file_type_name(meta: &fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_file() {
        None
    } else if t.is_dir() {
        Some("directory")
    } else if t.is_fifo() {
        Some("FIFO")
    } else if t.is_socket() {
        Some("socket")
    } else if t.is_block_device() || t.is_char_device() {
        Some("device")
    } else {
        Some("special file")
    }
}

impl SecureFile {
    /// A file to be written with `options`. With `follow_symlinks`, a
    /// symlink at `path` is resolved to its target now.
    pub fn new(path: impl Into<PathBuf>, options: WriteOptions) -> Result<Self, WriteError> {
        let mut path = path.into();
        if options.follow_symlinks
            && fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink())
        {
            path = fs::canonicalize(&path).map_err(io_err(&path, "resolve symlink"))?;
        }
        Ok(SecureFile { path, options })
    }

    /// The path written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        }
    }

    fn sibling(&self, suffix: &str) -> PathBuf {
        let mut name = OsString::from(".");
        name.push(self.path.file_name().unwrap_or_default());
        name.push(suffix);
        self.dir().join(name)
    }

    /// Checks the parent directory, creating it with `mkdir`. Returns the
    /// changes made.
    pub fn prepare(&self) -> Result<Vec<Change>, WriteError> {
        let dir = self.dir();
        let mut changes = Vec::new();
        let meta = match fs::metadata(&dir) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if !self.options.mkdir {
                    return Err(WriteError::MissingParent(dir));
                }
                DirBuilder::new()
                    .mode(0o700)
                    .create(&dir)
                    .map_err(io_err(&dir, "mkdir"))?;
                if let Some(o) = self.options.owner {
                    std::os::unix::fs::chown(&dir, o.uid, o.gid).map_err(|source| {
                        WriteError::Chown {
                            path: dir.clone(),
                            source,
                        }
                    })?;
                }
                changes.push(Change::CreatedDirectory(dir.clone()));
                fs::metadata(&dir).map_err(io_err(&dir, "stat"))?
            }
            Err(e) => return Err(io_err(&dir, "stat")(e)),
        };
        if !meta.is_dir() {
            return Err(WriteError::MissingParent(dir));
        }
        let mode = meta.mode() & 0o7777;
        // A sticky directory (like /tmp) lets no one else rename over our file.
        if mode & 0o1000 == 0 && mode & 0o022 != 0 {
            let who = match (mode & 0o020 != 0, mode & 0o002 != 0) {
                (true, true) => "group and others",
                (true, false) => "group",
                _ => "others",
            };
            return Err(WriteError::UnsafeParent { dir, who, mode });
        }
        Ok(changes)
    }

    /// Takes the advisory lock beside the file (`.NAME.lock`), waiting for
    /// other writers. Temporary files are only created under this lock, so
    /// any found now were left by a killed writer: they are removed.
    pub fn lock(&self) -> Result<Lock, WriteError> {
        let path = self.sibling(".lock");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
            .open(&path)
            .map_err(io_err(&path, "open lock file"))?;
        file.lock().map_err(io_err(&path, "lock"))?;
        self.remove_stale_temporaries();
        Ok(Lock { _file: file })
    }

    fn remove_stale_temporaries(&self) {
        let Some(prefix) = self.sibling(".tmp-").file_name().map(|n| n.to_os_string()) else {
            return;
        };
        let Ok(entries) = fs::read_dir(self.dir()) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            if name
                .as_encoded_bytes()
                .starts_with(prefix.as_encoded_bytes())
                && e.file_type().is_ok_and(|t| t.is_file())
            {
                let _ = fs::remove_file(e.path());
            }
        }
    }

    /// The type check every operation starts with: `Ok(None)` when absent.
    fn existing(&self) -> Result<Option<fs::Metadata>, WriteError> {
        match fs::symlink_metadata(&self.path) {
            Ok(m) if m.file_type().is_symlink() => Err(WriteError::Symlink(self.path.clone())),
            Ok(m) => match file_type_name(&m) {
                Some(what) => Err(WriteError::NotRegular {
                    path: self.path.clone(),
                    what,
                }),
                None => Ok(Some(m)),
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&self.path, "stat")(e)),
        }
    }

    fn open_existing(&self) -> Result<Option<File>, WriteError> {
        if self.existing()?.is_none() {
            return Ok(None);
        }
        OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC | nix::libc::O_NONBLOCK)
            .open(&self.path)
            .map(Some)
            .map_err(io_err(&self.path, "open"))
    }

    /// The current content, or `None` when the file does not exist.
    pub fn read(&self) -> Result<Option<Zeroizing<Vec<u8>>>, WriteError> {
        let Some(mut f) = self.open_existing()? else {
            return Ok(None);
        };
        // Sized up front: a growing Vec would free copies of the content
        // that Zeroizing never sees.
        let len = f.metadata().map_err(io_err(&self.path, "stat"))?.len();
        let mut buf = Zeroizing::new(Vec::with_capacity(
            usize::try_from(len).unwrap_or(0).saturating_add(1),
        ));
        f.read_to_end(&mut buf)
            .map_err(io_err(&self.path, "read"))?;
        Ok(Some(buf))
    }

    /// Brings an existing file's mode and owner to the options' without
    /// touching its content.
    pub fn enforce(&self) -> Result<Vec<Change>, WriteError> {
        let Some(f) = self.open_existing()? else {
            return Ok(Vec::new());
        };
        let meta = f.metadata().map_err(io_err(&self.path, "stat"))?;
        let mut changes = Vec::new();
        let mode = meta.mode() & 0o7777;
        // Tighten first, so a change of owner never happens on an open file.
        if mode != self.options.mode {
            f.set_permissions(Permissions::from_mode(self.options.mode))
                .map_err(io_err(&self.path, "chmod"))?;
            changes.push(Change::Mode {
                from: mode,
                to: self.options.mode,
            });
        }
        if let Some(o) = self.options.owner {
            let from = (meta.uid(), meta.gid());
            let to = (o.uid.unwrap_or(from.0), o.gid.unwrap_or(from.1));
            if from != to {
                std::os::unix::fs::fchown(&f, o.uid, o.gid).map_err(|source| {
                    WriteError::Chown {
                        path: self.path.clone(),
                        source,
                    }
                })?;
                changes.push(Change::Owner { from, to });
            }
        }
        Ok(changes)
    }

    /// Replaces the file's content atomically: a reader sees the old file or
    /// the new one, never a mix, and a failure leaves the old one in place.
    pub fn replace(&self, content: &[u8]) -> Result<Change, WriteError> {
        let existed = self.existing()?.is_some();
        let dir = self.dir();
        let (tmp_path, file) = self.create_temp()?;
        let result = (|| {
            let mut file = file;
            file.write_all(content)
                .map_err(io_err(&tmp_path, "write"))?;
            if let Some(o) = self.options.owner {
                std::os::unix::fs::fchown(&file, o.uid, o.gid).map_err(|source| {
                    WriteError::Chown {
                        path: self.path.clone(),
                        source,
                    }
                })?;
            }
            // Created 0600 whatever the umask; set the final mode explicitly.
            file.set_permissions(Permissions::from_mode(self.options.mode))
                .map_err(io_err(&tmp_path, "chmod"))?;
            file.sync_all().map_err(io_err(&tmp_path, "fsync"))?;
            drop(file);
            // Checked again right before the rename: a symlink planted since
            // would be replaced, not followed, but say so rather than do it.
            self.existing()?;
            fs::rename(&tmp_path, &self.path).map_err(io_err(&self.path, "rename"))
        })();
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp_path);
            return Err(e);
        }
        File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(&dir, "fsync directory"))?;
        Ok(if existed {
            Change::Replaced
        } else {
            Change::Created
        })
    }

    fn create_temp(&self) -> Result<(PathBuf, File), WriteError> {
        let mut rng = rand::rng();
        loop {
            let suffix: u64 = rng.random();
            let path = self.sibling(&format!(".tmp-{suffix:016x}"));
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
                .open(&path)
            {
                Ok(f) => return Ok((path, f)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io_err(&path, "create temporary file")(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let f = SecureFile::new(d.path().join(".env"), WriteOptions::default()).unwrap();
        assert_eq!(f.read().unwrap(), None);
        assert_eq!(f.replace(b"A=1\n").unwrap(), Change::Created);
        assert_eq!(fs::metadata(f.path()).unwrap().mode() & 0o777, 0o600);
        assert_eq!(f.replace(b"A=2\n").unwrap(), Change::Replaced);
        assert_eq!(f.read().unwrap().unwrap().as_slice(), b"A=2\n");
        assert_eq!(entries(d.path()), [".env"]);
    }

    #[test]
    fn refuses_symlinks_and_special_files() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("other"), "keep").unwrap();
        std::os::unix::fs::symlink(d.path().join("other"), d.path().join("link")).unwrap();
        let f = SecureFile::new(d.path().join("link"), WriteOptions::default()).unwrap();
        assert!(matches!(f.replace(b"x"), Err(WriteError::Symlink(_))));
        assert!(matches!(f.read(), Err(WriteError::Symlink(_))));
        assert_eq!(fs::read_to_string(d.path().join("other")).unwrap(), "keep");
        let f = SecureFile::new(d.path(), WriteOptions::default()).unwrap();
        assert!(matches!(
            f.replace(b"x"),
            Err(WriteError::NotRegular {
                what: "directory",
                ..
            })
        ));
        let followed = SecureFile::new(
            d.path().join("link"),
            WriteOptions {
                follow_symlinks: true,
                ..Default::default()
            },
        )
        .unwrap();
        followed.replace(b"new").unwrap();
        assert_eq!(fs::read_to_string(d.path().join("other")).unwrap(), "new");
    }

    #[test]
    fn the_lock_removes_temporaries_left_by_a_killed_writer() {
        let d = tempfile::tempdir().unwrap();
        let f = SecureFile::new(d.path().join(".env"), WriteOptions::default()).unwrap();
        fs::write(d.path().join("..env.tmp-0123456789abcdef"), "secret").unwrap();
        fs::write(d.path().join(".other.tmp-0123456789abcdef"), "theirs").unwrap();
        let _lock = f.lock().unwrap();
        assert_eq!(
            entries(d.path()),
            ["..env.lock", ".other.tmp-0123456789abcdef"]
        );
    }

    #[test]
    fn enforce_tightens_an_existing_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        fs::write(&p, "A=1\n").unwrap();
        fs::set_permissions(&p, Permissions::from_mode(0o644)).unwrap();
        let f = SecureFile::new(&p, WriteOptions::default()).unwrap();
        assert_eq!(
            f.enforce().unwrap(),
            [Change::Mode {
                from: 0o644,
                to: 0o600
            }]
        );
        assert_eq!(f.enforce().unwrap(), []);
        assert_eq!(fs::read_to_string(&p).unwrap(), "A=1\n");
    }

    #[test]
    fn parent_checks() {
        let d = tempfile::tempdir().unwrap();
        let f = SecureFile::new(d.path().join("sub/f"), WriteOptions::default()).unwrap();
        assert!(matches!(f.prepare(), Err(WriteError::MissingParent(_))));
        let f = SecureFile::new(
            d.path().join("sub/f"),
            WriteOptions {
                mkdir: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(f.prepare().unwrap().len(), 1);
        assert_eq!(
            fs::metadata(d.path().join("sub")).unwrap().mode() & 0o777,
            0o700
        );
        fs::set_permissions(d.path().join("sub"), Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(
            f.prepare(),
            Err(WriteError::UnsafeParent {
                who: "group and others",
                ..
            })
        ));
        fs::set_permissions(d.path().join("sub"), Permissions::from_mode(0o1777)).unwrap();
        assert!(f.prepare().is_ok(), "a sticky directory is safe");
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
