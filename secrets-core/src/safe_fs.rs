//! The file layer for trees another user may write to. Every read, create,
//! mkdir, chmod, chown, rename and lock of a secret file, ignore file or
//! compose-referenced file goes through here.
//!
//! The rules (OpenSSH `StrictModes` and systemd's `CHASE_SAFE`, on handles):
//! - Paths are resolved one component at a time from `/`, each step an
//!   `openat(O_NOFOLLOW)` relative to the directory handle before it. Every
//!   directory on the way must be owned by root, the caller or the file's
//!   requested owner, and must not be writable by group or others unless it
//!   is sticky (like `/tmp`). A symbolic link is followed only inside a
//!   directory that nobody but root and the caller can change.
//! - The directory that holds a written file must not be writable by group
//!   or others at all, sticky or not.
//! - A directory's access ACL counts as its mode does, wherever a rule asks
//!   who can change it: a named user or group an ACL lets write (through
//!   its mask) is judged like the group and others are, by its id. The
//!   mode does not show them (with an ACL its group bits are the mask: a
//!   `root:root` `drwxrwxr-x+` may be any user's to rename entries in). An
//!   ACL that cannot be read or understood fails the check.
//! - Beneath an audited root, files are reached with `openat2(RESOLVE_BENEATH
//!   | RESOLVE_NO_SYMLINKS)`: no symlink anywhere, no escape.
//! - Files are opened `O_NOFOLLOW | O_NONBLOCK` and `fstat`ed: a symlink,
//!   FIFO, socket or device is refused where a regular file is expected, and
//!   a file with more than one link is never changed.
//! - Mode and owner are changed through the opened descriptor, never by name.
//! - A directory is created (`mkdirat`, then opened `O_NOFOLLOW` relative to
//!   the same parent handle and `fstat`ed) by whoever already controls the
//!   names in its parent, so that nobody can swap it for a directory of
//!   someone else's between the two calls ([`RENAME_EXCHANGE`] needs no
//!   more than write access to the parent):
//!   - a parent only root or the caller can change (owned by one of them;
//!     writable by nobody else, by the group only when that is group 0 or
//!     the caller's, or by others only with the sticky bit, which stops
//!     them renaming our entry; through an ACL, by no user but root, the
//!     caller and its owner, and no group but those): created as the
//!     caller, and the new directory must be the caller's before it is
//!     chowned or chmodded;
//!   - a parent owned by another user U and otherwise writable only as
//!     above: created as U, the thread's filesystem uid and gid switched
//!     (`setfsuid`/`setfsgid`, which also drop root's `CAP_DAC_OVERRIDE`,
//!     `CAP_FOWNER` and `CAP_CHOWN` for that thread) for `mkdirat`, `openat`,
//!     `fchown` and `fchmod`. The opened directory must be U's: a directory
//!     of root's swapped in is refused, one of U's is U's own. Its group is
//!     the one asked for (set by U), else its parent's. Nothing root owns is
//!     chowned or chmodded, and a directory meant for a third user is
//!     refused;
//!   - any other parent (writable by a group or by others who could rename
//!     what we make): refused, with the advice to create the directory by
//!     hand.
//!
//!   The parent of a directory made for a secret is also the holder rule's
//!   concern ([`Dir::open_or_create`]): it may not be writable by group or
//!   others at all.
//! - Inputs have a size limit checked with `fstat` before they are read.
//! - Writers lock the directory handle (`flock`) for a bounded time; no lock
//!   files are left behind.
//!
//! [`RENAME_EXCHANGE`]: https://man7.org/linux/man-pages/man2/rename.2.html
//!
//! rustix is used rather than cap-std: every flag is explicit
//! (`RESOLVE_NO_SYMLINKS`, which cap-std never sets), it can `fchown` (cap-std
//! cannot), its directory handles can be locked (cap-std's are `O_PATH`), and
//! it is what cap-std is built on.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::fs::{AtFlags, FileType, FlockOperation, Mode, OFlags, ResolveFlags, Stat};
use rustix::io::Errno;
use zeroize::Zeroizing;

/// Size limits of the inputs, checked before anything is read whole.
pub mod limits {
    /// A `.env` file, its template, or a secret file written by `export`.
    pub const ENV: u64 = 4 << 20;
    /// A manifest (`secrets.toml`).
    pub const MANIFEST: u64 = 1 << 20;
    /// A compose file or a Dockerfile read by the audit.
    pub const COMPOSE: u64 = 4 << 20;
    /// A `.gitignore` or `.dockerignore`.
    pub const IGNORE: u64 = 1 << 20;
    /// Standard input (an admin URL, a password to hash).
    pub const STDIN: u64 = 1 << 20;
    /// A rotation journal (it holds a whole `.env`).
    pub const JOURNAL: u64 = 2 * ENV;
    /// An age-encrypted `.env`: the ciphertext of an [`ENV`]-sized file,
    /// ASCII-armored (a third larger) with room to spare.
    pub const ENCRYPTED_ENV: u64 = ENV + ENV / 2;
    /// An age identity file or SSH private key; an age recipients file.
    pub const KEY: u64 = 1 << 20;
}

/// How many symbolic links one path may pass through (Linux's own limit).
const MAX_SYMLINKS: usize = 40;

/// An operation on the file system that was refused or failed. Names the
/// path and the reason, never content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FsError {
    /// A symbolic link where none may be followed.
    #[error("{0}: is a symbolic link; refusing to follow it")]
    Symlink(PathBuf),
    /// A directory, FIFO, socket or device where a regular file is expected.
    #[error("{path}: is a {what}, not a regular file")]
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What it is.
        what: &'static str,
    },
    /// Not a directory where one is expected.
    #[error("{0}: not a directory")]
    NotDirectory(PathBuf),
    /// The file has other names: changing it would change them too.
    #[error("{path}: has {links} hard links; refusing to change a file with other names")]
    HardLinked {
        /// The file.
        path: PathBuf,
        /// Its link count.
        links: u64,
    },
    /// The file belongs to someone who is neither root, the caller nor the
    /// requested owner.
    #[error("{path}: is owned by uid {uid}, not by root, the caller or the requested owner; refusing to use it")]
    ForeignOwner {
        /// The file.
        path: PathBuf,
        /// Its owner.
        uid: u32,
    },
    /// A directory on the way lets another user replace what it holds.
    #[error("{dir}: {reason}, so another user could replace what it holds{hint}")]
    UnsafeDirectory {
        /// The directory.
        dir: PathBuf,
        /// Why: who owns or can write it.
        reason: String,
        /// What would make it safe, if anything simple does.
        hint: &'static str,
    },
    /// A directory that cannot be created without another user being able
    /// to swap it for one of someone else's.
    #[error("{dir}: cannot be created safely: {reason}; create it yourself first (mkdir, chown, chmod) and run again")]
    CannotCreate {
        /// The directory to be created.
        dir: PathBuf,
        /// Why.
        reason: String,
    },
    /// A path that leads outside the tree it must stay in.
    #[error("{0}: leads outside the tree")]
    Outside(PathBuf),
    /// An input over its size limit.
    #[error("{path}: {size} bytes is over the limit of {limit} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Another process held the lock for longer than the wait allowed.
    #[error("{dir}: another process holds the lock on this directory; gave up after {waited:?}")]
    LockTimeout {
        /// The directory locked.
        dir: PathBuf,
        /// How long was waited.
        waited: Duration,
    },
    /// A system call failed. `Display` names the path and the operation;
    /// the `io::Error` is the [`source`](std::error::Error::source).
    #[error("{path}: {op} failed")]
    Io {
        /// The path operated on.
        path: PathBuf,
        /// The operation.
        op: &'static str,
        /// The error.
        source: io::Error,
    },
}

impl FsError {
    /// Whether this is "no such file or directory".
    pub fn is_not_found(&self) -> bool {
        matches!(self, FsError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}

fn io_error(path: &Path, op: &'static str, e: Errno) -> FsError {
    FsError::Io {
        path: path.to_owned(),
        op,
        source: e.into(),
    }
}

/// The user the process acts as.
pub fn caller_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Who may own the directories on the way to a file and the file itself:
/// root, the caller, and the owner the file is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trust {
    owner: Option<u32>,
}

impl Trust {
    /// Root and the caller only.
    pub fn caller() -> Self {
        Trust { owner: None }
    }

    /// Root, the caller and `uid`, the owner a written file is meant for:
    /// directories it owns may hold its file, since it could read and
    /// replace that file anyway.
    pub fn with_owner(uid: Option<u32>) -> Self {
        Trust { owner: uid }
    }

    /// Whether `uid` is trusted to own directories and files on the way.
    pub fn trusts(&self, uid: u32) -> bool {
        uid == 0 || uid == caller_uid() || self.owner == Some(uid)
    }

    /// Only root and the caller: who may plant a symlink we follow.
    fn trusts_strictly(uid: u32) -> bool {
        uid == 0 || uid == caller_uid()
    }
}

fn type_name(st: &Stat) -> &'static str {
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => "regular file",
        FileType::Directory => "directory",
        FileType::Symlink => "symbolic link",
        FileType::Fifo => "FIFO",
        FileType::Socket => "socket",
        FileType::CharacterDevice | FileType::BlockDevice => "device",
        FileType::Unknown => "special file",
    }
}

fn is_dir(st: &Stat) -> bool {
    FileType::from_raw_mode(st.st_mode) == FileType::Directory
}

fn is_regular(st: &Stat) -> bool {
    FileType::from_raw_mode(st.st_mode) == FileType::RegularFile
}

/// Who may write a directory, if anyone but its owner.
fn writers(mode: u32) -> Option<&'static str> {
    match (mode & 0o020 != 0, mode & 0o002 != 0) {
        (true, true) => Some("group and others"),
        (true, false) => Some("group"),
        (false, true) => Some("others"),
        (false, false) => None,
    }
}

/// A user or group whom a directory's access ACL lets change the names in
/// it (a named `ACL_USER` or `ACL_GROUP` entry with write permission).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AclWriter {
    User(u32),
    Group(u32),
}

impl std::fmt::Display for AclWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AclWriter::User(uid) => write!(f, "uid {uid}"),
            AclWriter::Group(gid) => write!(f, "group {gid}"),
        }
    }
}

/// The largest extended attribute value Linux stores (`XATTR_SIZE_MAX`).
const XATTR_SIZE_MAX: usize = 64 << 10;

/// Who besides the owner, the owning group and others may write to the
/// directory `fd` (`path`, for messages): the named users and groups of its
/// access ACL (`system.posix_acl_access`) whose entry grants write, through
/// the mask entry when there is one. The mode does not show them: with an
/// ACL its group bits are the mask, so `root:root` `drwxrwxr-x+` may be
/// writable by any user. No ACL (`ENODATA`), or a file system without them
/// (`EOPNOTSUPP`): nobody. An ACL that cannot be read or understood is an
/// error (fail closed).
fn acl_writers(fd: BorrowedFd<'_>, path: &Path) -> Result<Vec<AclWriter>, FsError> {
    const NAME: &str = "system.posix_acl_access";
    let mut buf = vec![0u8; XATTR_SIZE_MAX];
    let read = match rustix::fs::fgetxattr(fd, NAME, &mut buf[..]) {
        // An O_PATH handle (the walk's) on kernels that refuse xattrs on
        // them: the same inode through its /proc link.
        Err(Errno::BADF) => {
            let proc = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&fd));
            rustix::fs::getxattr(proc.as_str(), NAME, &mut buf[..])
        }
        other => other,
    };
    let len = match read {
        Ok(len) => len,
        Err(Errno::NODATA | Errno::NOTSUP) => return Ok(Vec::new()),
        Err(e) => return Err(io_error(path, "read the access ACL", e)),
    };
    parse_acl_writers(&buf[..len]).ok_or_else(|| FsError::UnsafeDirectory {
        dir: path.to_owned(),
        reason: "its access ACL (system.posix_acl_access) is not one this program understands"
            .into(),
        hint: "; check it with `getfacl`",
    })
}

/// The writers of [`acl_writers`] from the attribute's value (Linux's
/// `posix_acl_xattr` format, little-endian: a `u32` version 2, then 8-byte
/// entries `{u16 tag, u16 perm, u32 id}`). `None` when it is malformed.
fn parse_acl_writers(blob: &[u8]) -> Option<Vec<AclWriter>> {
    const VERSION: u32 = 2;
    const USER_OBJ: u16 = 0x01;
    const USER: u16 = 0x02;
    const GROUP_OBJ: u16 = 0x04;
    const GROUP: u16 = 0x08;
    const MASK: u16 = 0x10;
    const OTHER: u16 = 0x20;
    const WRITE: u16 = 0x02;
    let (version, entries) = blob.split_first_chunk::<4>()?;
    if u32::from_le_bytes(*version) != VERSION || entries.len() % 8 != 0 {
        return None;
    }
    let mut mask = None;
    let mut named = Vec::new();
    for e in entries.chunks_exact(8) {
        let tag = u16::from_le_bytes([e[0], e[1]]);
        let perm = u16::from_le_bytes([e[2], e[3]]);
        let id = u32::from_le_bytes([e[4], e[5], e[6], e[7]]);
        match tag {
            USER => named.push((AclWriter::User(id), perm)),
            GROUP => named.push((AclWriter::Group(id), perm)),
            MASK => mask = Some(perm),
            USER_OBJ | GROUP_OBJ | OTHER => {}
            _ => return None,
        }
    }
    // Without a mask (the kernel never stores named entries without one)
    // an entry's permissions are taken as they are.
    let mask = mask.unwrap_or(u16::MAX);
    Some(
        named
            .into_iter()
            .filter(|&(_, perm)| perm & mask & WRITE != 0)
            .map(|(who, _)| who)
            .collect(),
    )
}

/// The rule for a directory (`fd`, `st`) on the way to a file (`last`: the
/// one holding it).
fn check_directory(
    path: &Path,
    fd: BorrowedFd<'_>,
    st: &Stat,
    trust: &Trust,
    last: bool,
) -> Result<(), FsError> {
    let uid = st.st_uid;
    let mode = st.st_mode & 0o7777;
    if !trust.trusts(uid) {
        return Err(FsError::UnsafeDirectory {
            dir: path.to_owned(),
            reason: format!("it is owned by uid {uid} (not root, the caller or the file's owner)"),
            hint: "",
        });
    }
    let sticky = mode & 0o1000 != 0;
    // Checked before the mode so that the message names the ACL's user
    // rather than the group bits (which show the ACL's mask).
    let untrusted = acl_writers(fd, path)?.into_iter().find(|w| match *w {
        AclWriter::User(u) => !trust.trusts(u),
        AclWriter::Group(_) => true,
    });
    if let Some(who) = untrusted {
        if last || !sticky {
            return Err(FsError::UnsafeDirectory {
                dir: path.to_owned(),
                reason: format!("it is writable by {who} through an ACL (ls shows `+`)"),
                hint: "; remove the entry with `setfacl -x`",
            });
        }
    }
    if let Some(who) = writers(mode) {
        if last || !sticky {
            return Err(FsError::UnsafeDirectory {
                dir: path.to_owned(),
                reason: format!("it is writable by {who} (mode {mode:04o})"),
                hint: "; make it private with `chmod go-w`",
            });
        }
    }
    Ok(())
}

/// Who may create the directory `child` in `parent` (`st`), so that
/// nobody else can rename it between `mkdirat` and the `openat` that
/// follows (the module's rule): the caller where only root and the caller
/// can change the names in `parent`, its owner where only that owner can,
/// else nobody. The parent's access ACL counts as its mode does: a named
/// user or group it lets write is one more who could rename.
fn creator_in(parent: &Path, fd: BorrowedFd<'_>, child: &Path, st: &Stat) -> Result<u32, FsError> {
    let mode = st.st_mode & 0o7777;
    // The sticky bit lets only an entry's owner (and the directory's)
    // rename it.
    let sticky = mode & 0o1000 != 0;
    let root_group = st.st_gid == 0 || st.st_gid == rustix::process::getegid().as_raw();
    let group_renames = mode & 0o020 != 0 && !sticky && !root_group;
    let others_rename = mode & 0o002 != 0 && !sticky;
    if group_renames || others_rename {
        let who = if others_rename {
            "others".to_owned()
        } else {
            format!("group {}", st.st_gid)
        };
        return Err(FsError::CannotCreate {
            dir: child.to_owned(),
            reason: format!(
                "{} is writable by {who} (mode {mode:04o}), who could swap the new directory for another",
                parent.display()
            ),
        });
    }
    if !sticky {
        let egid = rustix::process::getegid().as_raw();
        let untrusted = acl_writers(fd, parent)?.into_iter().find(|w| match *w {
            AclWriter::User(u) => !(Trust::trusts_strictly(u) || u == st.st_uid),
            AclWriter::Group(g) => !(g == 0 || g == egid),
        });
        if let Some(who) = untrusted {
            return Err(FsError::CannotCreate {
                dir: child.to_owned(),
                reason: format!(
                    "{} is writable by {who} through an ACL (ls shows `+`), who could swap the new directory for another",
                    parent.display()
                ),
            });
        }
    }
    Ok(if Trust::trusts_strictly(st.st_uid) {
        caller_uid()
    } else {
        st.st_uid
    })
}

/// The calling thread acting on files as another user: its filesystem uid
/// and gid switched (`setfsuid`/`setfsgid`, per thread on Linux), so what
/// it creates is that user's and its permission checks are that user's,
/// root's file capabilities (`CAP_DAC_OVERRIDE`, `CAP_FOWNER`, `CAP_CHOWN`)
/// dropped with them. Switched back on drop. A thread started meanwhile
/// would inherit the switched identity: none is.
#[derive(Debug)]
struct ActingAs {
    uid: u32,
    gid: u32,
}

impl ActingAs {
    /// Switches to `uid` and `gid`; `None` (nothing switched) when the
    /// process may not (it is not root). setfsuid reports no error, it
    /// returns the previous id either way: a second call tells whether the
    /// first took effect.
    fn switch(uid: u32, gid: u32) -> Option<ActingAs> {
        use nix::unistd::{setfsgid, setfsuid, Gid, Uid};
        let old_gid = setfsgid(Gid::from_raw(gid)).as_raw();
        if setfsgid(Gid::from_raw(gid)).as_raw() != gid {
            setfsgid(Gid::from_raw(old_gid));
            return None;
        }
        let old_uid = setfsuid(Uid::from_raw(uid)).as_raw();
        // From here, dropping the guard restores both.
        let acting = ActingAs {
            uid: old_uid,
            gid: old_gid,
        };
        (setfsuid(Uid::from_raw(uid)).as_raw() == uid).then_some(acting)
    }
}

impl Drop for ActingAs {
    fn drop(&mut self) {
        use nix::unistd::{setfsgid, setfsuid, Gid, Uid};
        let (uid, gid) = (Uid::from_raw(self.uid), Gid::from_raw(self.gid));
        setfsuid(uid);
        setfsgid(gid);
        if setfsuid(uid) != uid || setfsgid(gid) != gid {
            // The rest of the run would act as that user: stop here.
            eprintln!("secrets: cannot switch the file system identity back; aborting");
            std::process::abort();
        }
    }
}

/// An open directory, reached safely: every operation on the files it holds
/// is relative to this handle.
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
    path: PathBuf,
    stat: Stat,
}

fn open_dir_fd(parent: BorrowedFd<'_>, name: &OsStr) -> Result<OwnedFd, Errno> {
    rustix::fs::openat(
        parent,
        name,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Lexically absolute: relative paths are joined to the working directory
/// (which the kernel reports with no symlink in it).
fn absolute(path: &Path) -> Result<PathBuf, FsError> {
    if path.is_absolute() {
        return Ok(path.to_owned());
    }
    let cwd = std::env::current_dir().map_err(|source| FsError::Io {
        path: PathBuf::from("."),
        op: "find the working directory",
        source,
    })?;
    Ok(cwd.join(path))
}

impl Dir {
    /// Opens the directory `path` by walking from `/` one component at a
    /// time, checking every directory on the way against `trust` and the
    /// last one as the holder of a file (not writable by group or others).
    pub fn open(path: &Path, trust: &Trust) -> Result<Dir, FsError> {
        let mut dir = Self::walk(path, trust, None)?;
        dir.path = path.to_owned();
        check_directory(&dir.path, dir.fd.as_fd(), &dir.stat, trust, true)?;
        Ok(dir)
    }

    /// Like [`Dir::open`], creating the missing last component at 0700
    /// (`mkdirat`, then opened `O_NOFOLLOW` and `fchown`ed through that
    /// handle to `owner`). In a parent that belongs to `owner`'s uid the
    /// directory is created as that user (see the module's rule), so no
    /// directory of root's can be handed over. Returns whether it was
    /// created.
    pub fn open_or_create(
        path: &Path,
        trust: &Trust,
        owner: Option<(Option<u32>, Option<u32>)>,
    ) -> Result<(Dir, bool), FsError> {
        let abs = absolute(path)?;
        let (parent, name) = match (abs.parent(), abs.file_name()) {
            (Some(p), Some(n)) => (p, n),
            _ => return Self::open(&abs, trust).map(|d| (d, false)),
        };
        match Self::open(&abs, trust) {
            Ok(d) => return Ok((d, false)),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
        let parent = Self::open(parent, trust)?;
        let Some(fd) = parent.make_child_dir(&abs, name, 0o700, owner)? else {
            // Created meanwhile by someone else: open it with every check.
            return Self::open(&abs, trust).map(|d| (d, false));
        };
        let stat = rustix::fs::fstat(&fd).map_err(|e| io_error(&abs, "stat", e))?;
        let dir = Dir {
            fd,
            path: path.to_owned(),
            stat,
        };
        check_directory(&dir.path, dir.fd.as_fd(), &dir.stat, trust, true)?;
        Ok((dir, true))
    }

    /// `mkdirat` of `name` here at `mode` by [`creator_in`]'s choice of
    /// user, reopened `O_NOFOLLOW` relative to this handle and checked to be
    /// a directory of that user's; then, through that handle only,
    /// `fchown`ed to `owner` and `fchmod`ed to `mode` (the umask may have
    /// narrowed mkdirat's). `None` when the name already exists.
    fn make_child_dir(
        &self,
        abs: &Path,
        name: &OsStr,
        mode: u32,
        owner: Option<(Option<u32>, Option<u32>)>,
    ) -> Result<Option<OwnedFd>, FsError> {
        let creator = creator_in(&self.path, self.fd.as_fd(), abs, &self.stat)?;
        let (uid, gid) = owner.unwrap_or((None, None));
        let acting = if creator == caller_uid() {
            None
        } else {
            if let Some(uid) = uid.filter(|&u| u != creator) {
                return Err(FsError::CannotCreate {
                    dir: abs.to_owned(),
                    reason: format!(
                        "{} belongs to uid {creator}, who could swap a directory made there for uid {uid}",
                        self.path.display()
                    ),
                });
            }
            // Its group: the one asked for, else its parent's.
            let group = gid.unwrap_or(self.stat.st_gid);
            let acting = ActingAs::switch(creator, group).ok_or_else(|| FsError::CannotCreate {
                dir: abs.to_owned(),
                reason: format!(
                    "{} belongs to uid {creator}, and only root can create a directory there as that user",
                    self.path.display()
                ),
            })?;
            Some(acting)
        };
        match rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(mode)) {
            Ok(()) => {}
            Err(Errno::EXIST) => return Ok(None),
            Err(e) => return Err(io_error(abs, "mkdir", e)),
        }
        let replaced = || FsError::UnsafeDirectory {
            dir: abs.to_owned(),
            reason: "it was replaced right after it was created".into(),
            hint: "",
        };
        let fd = rustix::fs::openat(
            &self.fd,
            name,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| match e {
            Errno::NOTDIR | Errno::LOOP => FsError::Symlink(abs.to_owned()),
            // The creator can always open what it just made.
            Errno::ACCESS => replaced(),
            e => io_error(abs, "open the new directory", e),
        })?;
        let st = rustix::fs::fstat(&fd).map_err(|e| io_error(abs, "stat", e))?;
        if !is_dir(&st) || st.st_uid != creator {
            // Swapped between mkdirat and open: not the directory we made.
            return Err(replaced());
        }
        // From here on the handle is a directory of the creator's.
        let chown = match acting {
            None => owner,
            // Already the owner's: at most the group is changed, as the
            // owner could.
            Some(_) => gid.filter(|&g| g != st.st_gid).map(|g| (None, Some(g))),
        };
        if let Some((uid, gid)) = chown {
            rustix::fs::fchown(
                &fd,
                uid.map(rustix::fs::Uid::from_raw),
                gid.map(rustix::fs::Gid::from_raw),
            )
            .map_err(|e| io_error(abs, "chown the new directory", e))?;
        }
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode))
            .map_err(|e| io_error(abs, "chmod the new directory", e))?;
        drop(acting);
        Ok(Some(fd))
    }

    /// Opens the directory `path` to put public files in (man pages),
    /// creating its last component at `mode` when missing. The walk is
    /// [`Dir::open_for_reading`]'s: a symlink on the way is followed only
    /// where root or the caller placed it, and no rule applies to who owns
    /// the directories, since what goes there is public and
    /// [`Dir::replace_file`] never writes through a name. Creating follows
    /// the module's rule: as the caller where only root and the caller can
    /// change the parent, as the parent's owner where it is another user's,
    /// refused where a group or others could rename the new directory.
    /// Returns whether it was created. Secrets go through
    /// [`crate::secure_file`] instead.
    pub fn open_or_create_public(path: &Path, mode: u32) -> Result<(Dir, bool), FsError> {
        let abs = absolute(path)?;
        // Named in messages as the caller named it.
        let existing = || {
            Self::open_for_reading(&abs).map(|mut d| {
                d.path = path.to_owned();
                (d, false)
            })
        };
        match existing() {
            Err(e) if e.is_not_found() => {}
            found => return found,
        }
        let (Some(parent), Some(name)) = (abs.parent(), abs.file_name()) else {
            return Err(FsError::NotDirectory(abs));
        };
        let parent = Self::open_for_reading(parent)?;
        let Some(fd) = parent.make_child_dir(&abs, name, mode, None)? else {
            // Made meanwhile by someone else.
            return existing();
        };
        let stat = rustix::fs::fstat(&fd).map_err(|e| io_error(&abs, "stat", e))?;
        let path = path.to_owned();
        Ok((Dir { fd, path, stat }, true))
    }

    /// Opens the directory `path` for reading what it holds, following
    /// symlinks only where root or the caller placed them, with no rule on
    /// who owns the directories (reading is not steered by them). Used for
    /// audit roots.
    pub fn open_for_reading(path: &Path) -> Result<Dir, FsError> {
        let mut dir = Self::walk(path, &Trust::caller(), Some(()))?;
        dir.path = path.to_owned();
        Ok(dir)
    }

    /// The walk. `reading`: no ownership or mode rules, only the symlink rule.
    fn walk(path: &Path, trust: &Trust, reading: Option<()>) -> Result<Dir, FsError> {
        let abs = absolute(path)?;
        let mut pending: VecDeque<OsString> = VecDeque::new();
        push_components(&mut pending, &abs, true);
        let root = || -> Result<(OwnedFd, Stat), FsError> {
            let fd = rustix::fs::open(
                "/",
                OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| io_error(Path::new("/"), "open", e))?;
            let st = rustix::fs::fstat(&fd).map_err(|e| io_error(Path::new("/"), "stat", e))?;
            Ok((fd, st))
        };
        // The chain of open directories: `..` pops it, so `..` never leaves
        // what was walked.
        let mut chain: Vec<(OwnedFd, Stat, PathBuf)> = Vec::new();
        let (fd, st) = root()?;
        if reading.is_none() {
            check_directory(Path::new("/"), fd.as_fd(), &st, trust, false)?;
        }
        chain.push((fd, st, PathBuf::from("/")));
        let mut links = 0;
        while let Some(name) = pending.pop_front() {
            if name == ".." {
                if chain.len() > 1 {
                    chain.pop();
                }
                continue;
            }
            let (cur_fd, cur_st, cur_path) = chain.last().expect("the root stays in the chain");
            let next_path = cur_path.join(&name);
            match open_dir_fd(cur_fd.as_fd(), &name) {
                Ok(fd) => {
                    let st = rustix::fs::fstat(&fd).map_err(|e| io_error(&next_path, "stat", e))?;
                    if reading.is_none() {
                        check_directory(&next_path, fd.as_fd(), &st, trust, false)?;
                    }
                    chain.push((fd, st, next_path));
                }
                Err(Errno::NOTDIR | Errno::LOOP) => {
                    let st = rustix::fs::statat(cur_fd, &name, AtFlags::SYMLINK_NOFOLLOW)
                        .map_err(|e| io_error(&next_path, "stat", e))?;
                    if FileType::from_raw_mode(st.st_mode) != FileType::Symlink {
                        return Err(FsError::NotDirectory(next_path));
                    }
                    // A link is followed only where nobody else could have
                    // placed it.
                    let safe_holder = Trust::trusts_strictly(cur_st.st_uid)
                        && writers(cur_st.st_mode & 0o7777).is_none();
                    links += 1;
                    if !safe_holder || links > MAX_SYMLINKS {
                        return Err(FsError::Symlink(next_path));
                    }
                    let target = rustix::fs::readlinkat(cur_fd, &name, Vec::new())
                        .map_err(|e| io_error(&next_path, "read link", e))?;
                    let target = PathBuf::from(OsStr::from_bytes(target.as_bytes()));
                    if target.is_absolute() {
                        chain.truncate(1);
                    }
                    push_components(&mut pending, &target, false);
                }
                Err(e) => return Err(io_error(&next_path, "open", e)),
            }
        }
        let (fd, _, path) = chain.pop().expect("the root stays in the chain");
        // Reopened for reading: the walk's O_PATH handles cannot be locked
        // or fsync'ed. "." names the same inode.
        let fd = rustix::fs::openat(
            &fd,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| io_error(&path, "open", e))?;
        let stat = rustix::fs::fstat(&fd).map_err(|e| io_error(&path, "stat", e))?;
        Ok(Dir { fd, path, stat })
    }

    /// The path this handle was opened as (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory's owner.
    pub fn uid(&self) -> u32 {
        self.stat.st_uid
    }

    /// The directory's group.
    pub fn gid(&self) -> u32 {
        self.stat.st_gid
    }

    /// The handle.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Locks the directory (`flock` on its handle), waiting at most `wait`.
    /// Released when the returned guard is dropped.
    pub fn lock(&self, wait: Duration) -> Result<DirLock, FsError> {
        // An independent open file description: flock locks those, so two
        // writers in one process exclude each other too.
        let fd = rustix::fs::openat(
            &self.fd,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| io_error(&self.path, "open for locking", e))?;
        let start = Instant::now();
        loop {
            match rustix::fs::flock(&fd, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(DirLock { _fd: fd }),
                Err(Errno::WOULDBLOCK | Errno::INTR) => {
                    if start.elapsed() >= wait {
                        return Err(FsError::LockTimeout {
                            dir: self.path.clone(),
                            waited: wait,
                        });
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(io_error(&self.path, "lock", e)),
            }
        }
    }

    /// The target of the symlink `name` in this directory, `None` when
    /// `name` is not a symlink. Only a directory nobody but root and the
    /// caller can change has links worth following: elsewhere, refused.
    pub fn symlink_target(&self, name: &OsStr) -> Result<Option<PathBuf>, FsError> {
        let path = self.child(name);
        let st = match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(io_error(&path, "stat", e)),
        };
        if FileType::from_raw_mode(st.st_mode) != FileType::Symlink {
            return Ok(None);
        }
        if !Trust::trusts_strictly(self.stat.st_uid)
            || writers(self.stat.st_mode & 0o7777).is_some()
        {
            return Err(FsError::Symlink(path));
        }
        let target = rustix::fs::readlinkat(&self.fd, name, Vec::new())
            .map_err(|e| io_error(&path, "read link", e))?;
        Ok(Some(PathBuf::from(OsStr::from_bytes(target.as_bytes()))))
    }

    /// `name` in this directory, as a path for messages (`.env`, not
    /// `./.env`).
    pub fn child(&self, name: &OsStr) -> PathBuf {
        if self.path == Path::new(".") {
            PathBuf::from(name)
        } else {
            self.path.join(name)
        }
    }

    /// Opens the regular file `name` in this directory for reading:
    /// `O_NOFOLLOW | O_NONBLOCK`, then `fstat`. `Ok(None)` when absent.
    pub fn open_file(&self, name: &OsStr) -> Result<Option<OpenFile>, FsError> {
        let path = self.child(name);
        let fd = match rustix::fs::openat(
            &self.fd,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(Errno::LOOP) => return Err(FsError::Symlink(path)),
            Err(e) => return Err(io_error(&path, "open", e)),
        };
        OpenFile::from_fd(fd, path).map(Some)
    }

    /// Creates `name` with `O_CREAT | O_EXCL | O_NOFOLLOW` at `mode`
    /// (the final mode at creation: a umask can only narrow it).
    pub fn create_new(&self, name: &OsStr, mode: u32) -> Result<OpenFile, FsError> {
        let path = self.child(name);
        let fd = rustix::fs::openat(
            &self.fd,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(mode),
        )
        .map_err(|e| io_error(&path, "create", e))?;
        OpenFile::from_fd(fd, path)
    }

    /// `renameat` within this directory: replaces the name `to`, never
    /// what a symlink there points to.
    pub fn rename(&self, from: &OsStr, to: &OsStr) -> Result<(), FsError> {
        rustix::fs::renameat(&self.fd, from, &self.fd, to)
            .map_err(|e| io_error(&self.child(to), "rename", e))
    }

    /// Replaces `name` with a new file holding `content` at `mode` (public
    /// files: man pages). It is created `O_EXCL | O_NOFOLLOW` beside the
    /// name as `.NAME.tmp` and renamed over it, so a link at `name` is
    /// replaced, never written through. A temporary left by an interrupted
    /// run is removed first; one planted meanwhile makes this fail.
    pub fn replace_file(&self, name: &OsStr, content: &[u8], mode: u32) -> Result<(), FsError> {
        let mut temporary = OsString::from(".");
        temporary.push(name);
        temporary.push(".tmp");
        self.remove(&temporary)?;
        let written = self
            .create_new(&temporary, mode)
            .and_then(|f| f.write_all(content))
            .and_then(|()| self.rename(&temporary, name));
        if written.is_err() {
            let _ = self.remove(&temporary);
        }
        written
    }

    /// Removes the file `name` from this directory (never a directory).
    pub fn remove(&self, name: &OsStr) -> Result<(), FsError> {
        match rustix::fs::unlinkat(&self.fd, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(io_error(&self.child(name), "remove", e)),
        }
    }

    /// `fsync` of the directory, so a rename in it is durable.
    pub fn sync(&self) -> Result<(), FsError> {
        rustix::fs::fsync(&self.fd).map_err(|e| io_error(&self.path, "fsync directory", e))
    }

    /// The names in this directory (`.` and `..` left out).
    pub fn names(&self) -> Result<Vec<OsString>, FsError> {
        let fd = rustix::fs::openat(
            &self.fd,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| io_error(&self.path, "open", e))?;
        let mut dir = rustix::fs::Dir::new(fd).map_err(|e| io_error(&self.path, "list", e))?;
        let mut out = Vec::new();
        while let Some(entry) = dir.read() {
            let entry = entry.map_err(|e| io_error(&self.path, "list", e))?;
            let name = OsStr::from_bytes(entry.file_name().to_bytes());
            if name != "." && name != ".." {
                out.push(name.to_owned());
            }
        }
        Ok(out)
    }

    /// Opens `rel`, a path beneath this directory, with no symlink in any
    /// component and no escape (`openat2(RESOLVE_BENEATH |
    /// RESOLVE_NO_SYMLINKS)`; component by component where the kernel lacks
    /// openat2), `O_NONBLOCK` and `fstat`ed. For reading, or for
    /// `fchmod`/`fchown` through the handle; a directory opens too. An empty
    /// `rel` is this directory. `Ok(None)` when absent.
    pub fn open_beneath(&self, rel: &Path) -> Result<Option<OpenFile>, FsError> {
        self.open_beneath_with(rel, OFlags::RDONLY)
    }

    /// [`Dir::open_beneath`] for reading and appending (an ignore file).
    pub fn open_beneath_for_append(&self, rel: &Path) -> Result<Option<OpenFile>, FsError> {
        self.open_beneath_with(rel, OFlags::RDWR | OFlags::APPEND)
    }

    /// The directory `rel` beneath this one, reached as
    /// [`Dir::open_beneath`] does; an empty `rel` is this directory.
    pub fn dir_beneath(&self, rel: &Path) -> Result<Option<Dir>, FsError> {
        let Some(f) = self.open_beneath(rel)? else {
            return Ok(None);
        };
        if !is_dir(&f.stat) {
            return Err(FsError::NotDirectory(f.path));
        }
        Ok(Some(Dir {
            fd: f.fd,
            path: f.path,
            stat: f.stat,
        }))
    }

    fn open_beneath_with(&self, rel: &Path, access: OFlags) -> Result<Option<OpenFile>, FsError> {
        let path = if rel.as_os_str().is_empty() {
            self.path.clone()
        } else {
            self.child(rel.as_os_str())
        };
        let rel = if rel.as_os_str().is_empty() {
            Path::new(".")
        } else {
            rel
        };
        let flags = access | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
        let resolve =
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
        let mut tries = 0;
        let fd = loop {
            match rustix::fs::openat2(&self.fd, rel, flags, Mode::empty(), resolve) {
                Ok(fd) => break fd,
                // A concurrent rename was seen: the kernel asks to retry.
                Err(Errno::AGAIN) if tries < 8 => tries += 1,
                // No openat2 (before Linux 5.6), or a seccomp filter that
                // refuses it: the same rules, one component at a time.
                Err(Errno::NOSYS | Errno::PERM) => {
                    return self.open_beneath_by_components(rel, flags, path)
                }
                Err(e) => return beneath_error(e, path),
            }
        };
        OpenFile::from_fd(fd, path).map(Some)
    }

    /// The fallback of [`Dir::open_beneath`] for kernels before 5.6: each
    /// component opened `O_NOFOLLOW` relative to the one before; `..` and
    /// absolute paths refused.
    fn open_beneath_by_components(
        &self,
        rel: &Path,
        flags: OFlags,
        path: PathBuf,
    ) -> Result<Option<OpenFile>, FsError> {
        let mut names = Vec::new();
        for c in rel.components() {
            match c {
                Component::Normal(n) => names.push(n),
                Component::CurDir => {}
                _ => return Err(FsError::Outside(path)),
            }
        }
        let Some((last, dirs)) = names.split_last() else {
            let fd = rustix::fs::openat(&self.fd, ".", flags, Mode::empty())
                .map_err(|e| io_error(&path, "open", e))?;
            return OpenFile::from_fd(fd, path).map(Some);
        };
        let mut cur: Option<OwnedFd> = None;
        for name in dirs {
            let parent = cur.as_ref().map_or(self.fd.as_fd(), |f| f.as_fd());
            match open_dir_fd(parent, name) {
                Ok(fd) => cur = Some(fd),
                Err(Errno::NOTDIR) => return Err(FsError::Symlink(path)),
                Err(e) => return beneath_error(e, path),
            }
        }
        let parent = cur.as_ref().map_or(self.fd.as_fd(), |f| f.as_fd());
        match rustix::fs::openat(parent, *last, flags, Mode::empty()) {
            Ok(fd) => OpenFile::from_fd(fd, path).map(Some),
            Err(e) => beneath_error(e, path),
        }
    }
}

fn beneath_error(e: Errno, path: PathBuf) -> Result<Option<OpenFile>, FsError> {
    match e {
        Errno::NOENT => Ok(None),
        Errno::LOOP => Err(FsError::Symlink(path)),
        Errno::XDEV => Err(FsError::Outside(path)),
        e => Err(io_error(&path, "open", e)),
    }
}

fn push_components(pending: &mut VecDeque<OsString>, path: &Path, absolute: bool) {
    let mut names: Vec<OsString> = Vec::new();
    for c in path.components() {
        match c {
            Component::RootDir | Component::Prefix(_) => {
                if !absolute {
                    names.clear();
                }
            }
            Component::CurDir => {}
            Component::ParentDir => names.push(OsString::from("..")),
            Component::Normal(n) => names.push(n.to_owned()),
        }
    }
    for n in names.into_iter().rev() {
        pending.push_front(n);
    }
}

/// A new directory only the caller can enter, made for plaintext a program
/// must open by name (an editor): created with a random name at 0700 in a
/// parent reached by the rules for directories on the way (a sticky shared
/// directory such as `/dev/shm` is fine: nobody else can rename or remove
/// what we create there). [`PrivateDir::remove`] deletes it with all it
/// holds, on handles.
#[derive(Debug)]
pub struct PrivateDir {
    parent: Dir,
    name: OsString,
    dir: Dir,
}

impl PrivateDir {
    /// Creates `parent/PREFIX-RANDOM` at 0700 (`mkdirat`, then opened
    /// `O_NOFOLLOW` and checked to be the caller's directory).
    pub fn create(parent: &Path, prefix: &str) -> Result<PrivateDir, FsError> {
        use rand::Rng;
        let parent = Dir::walk(parent, &Trust::caller(), None).map(|mut d| {
            d.path = parent.to_owned();
            d
        })?;
        let mut rng = crate::generate::os_rng();
        let name = loop {
            let name = OsString::from(format!("{prefix}-{:016x}", rng.random::<u64>()));
            match rustix::fs::mkdirat(&parent.fd, &name, Mode::from_raw_mode(0o700)) {
                Ok(()) => break name,
                // Someone else's name (or ours from before): never reused.
                Err(Errno::EXIST) => continue,
                Err(e) => return Err(io_error(&parent.child(&name), "mkdir", e)),
            }
        };
        let path = parent.child(&name);
        let fd = rustix::fs::openat(
            &parent.fd,
            &name,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| io_error(&path, "open the new directory", e))?;
        let st = rustix::fs::fstat(&fd).map_err(|e| io_error(&path, "stat", e))?;
        if !is_dir(&st) || st.st_uid != caller_uid() {
            return Err(FsError::UnsafeDirectory {
                dir: path,
                reason: "it was replaced right after it was created".into(),
                hint: "",
            });
        }
        // The umask may have narrowed mkdirat's mode; never widened.
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o700))
            .map_err(|e| io_error(&path, "chmod the new directory", e))?;
        let stat = rustix::fs::fstat(&fd).map_err(|e| io_error(&path, "stat", e))?;
        Ok(PrivateDir {
            parent,
            name,
            dir: Dir { fd, path, stat },
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Dir {
        &self.dir
    }

    /// Removes everything in the directory (subdirectories too, on
    /// handles, never through a symlink), then the directory. Returns the
    /// names removed from it.
    pub fn remove(self) -> Result<Vec<OsString>, FsError> {
        let names = remove_contents(&self.dir.fd, &self.dir.path)?;
        rustix::fs::unlinkat(&self.parent.fd, &self.name, AtFlags::REMOVEDIR)
            .map_err(|e| io_error(&self.dir.path, "remove the directory", e))?;
        Ok(names)
    }
}

/// Empties the directory `fd`, depth first; returns the names it held.
fn remove_contents(fd: &OwnedFd, path: &Path) -> Result<Vec<OsString>, FsError> {
    let list = rustix::fs::openat(
        fd,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| io_error(path, "open", e))?;
    let mut dir = rustix::fs::Dir::new(list).map_err(|e| io_error(path, "list", e))?;
    let mut names = Vec::new();
    while let Some(entry) = dir.read() {
        let entry = entry.map_err(|e| io_error(path, "list", e))?;
        let name = OsStr::from_bytes(entry.file_name().to_bytes());
        if name != "." && name != ".." {
            names.push(name.to_owned());
        }
    }
    for name in &names {
        let child = path.join(name);
        match rustix::fs::unlinkat(fd, name.as_os_str(), AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => {}
            Err(Errno::ISDIR) => {
                let sub = rustix::fs::openat(
                    fd,
                    name.as_os_str(),
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                )
                .map_err(|e| io_error(&child, "open", e))?;
                remove_contents(&sub, &child)?;
                rustix::fs::unlinkat(fd, name.as_os_str(), AtFlags::REMOVEDIR)
                    .map_err(|e| io_error(&child, "remove", e))?;
            }
            Err(e) => return Err(io_error(&child, "remove", e)),
        }
    }
    Ok(names)
}

/// A held directory lock; released on drop.
#[derive(Debug)]
pub struct DirLock {
    _fd: OwnedFd,
}

/// An opened file with the `fstat` taken right after opening it.
#[derive(Debug)]
pub struct OpenFile {
    fd: OwnedFd,
    path: PathBuf,
    stat: Stat,
}

impl OpenFile {
    fn from_fd(fd: OwnedFd, path: PathBuf) -> Result<Self, FsError> {
        let stat = rustix::fs::fstat(&fd).map_err(|e| io_error(&path, "stat", e))?;
        Ok(OpenFile { fd, path, stat })
    }

    /// The path it was opened as (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its metadata at opening.
    pub fn stat(&self) -> &Stat {
        &self.stat
    }

    /// Permission bits.
    pub fn mode(&self) -> u32 {
        self.stat.st_mode & 0o7777
    }

    /// Owner.
    pub fn uid(&self) -> u32 {
        self.stat.st_uid
    }

    /// Group.
    pub fn gid(&self) -> u32 {
        self.stat.st_gid
    }

    /// Size in bytes.
    pub fn len(&self) -> u64 {
        u64::try_from(self.stat.st_size).unwrap_or(0)
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Device and inode, to tell whether two handles are one file.
    pub fn identity(&self) -> (u64, u64) {
        (self.stat.st_dev, self.stat.st_ino)
    }

    /// Refuses anything but a regular file.
    pub fn require_regular(self) -> Result<Self, FsError> {
        if is_regular(&self.stat) {
            Ok(self)
        } else {
            Err(FsError::NotRegular {
                what: type_name(&self.stat),
                path: self.path,
            })
        }
    }

    /// Refuses what may not be changed in place: not a regular file, more
    /// than one link, or an owner `trust` does not accept.
    pub fn require_changeable(self, trust: &Trust) -> Result<Self, FsError> {
        let f = self.require_regular()?;
        if f.stat.st_nlink != 1 {
            return Err(FsError::HardLinked {
                links: f.stat.st_nlink,
                path: f.path,
            });
        }
        if !trust.trusts(f.stat.st_uid) {
            return Err(FsError::ForeignOwner {
                uid: f.stat.st_uid,
                path: f.path,
            });
        }
        Ok(f)
    }

    /// Reads the whole regular file, refusing one over `limit` bytes before
    /// reading and one that grows past it while read. The buffer is sized
    /// once, so no copy of the content is left behind by growth.
    pub fn read_all(self, limit: u64) -> Result<crate::SecretBytes, FsError> {
        let f = self.require_regular()?;
        let size = f.len();
        if size > limit {
            return Err(FsError::TooLarge {
                path: f.path,
                size,
                limit,
            });
        }
        // Room for what fstat said plus some growth, and one byte more to
        // see the end: a file that keeps growing is refused, not followed.
        let allowed = limit.min(size.saturating_add(4096));
        let cap = usize::try_from(allowed)
            .unwrap_or(usize::MAX)
            .saturating_add(1);
        let mut buf = Zeroizing::new(vec![0u8; cap]);
        let mut filled = 0;
        loop {
            if filled == buf.len() {
                return Err(FsError::TooLarge {
                    path: f.path,
                    size: filled as u64,
                    limit: allowed,
                });
            }
            match rustix::io::read(&f.fd, &mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(Errno::INTR) => {}
                Err(e) => return Err(io_error(&f.path, "read", e)),
            }
        }
        buf.truncate(filled);
        Ok(buf.into())
    }

    /// Up to the first `n` bytes of a regular file (to recognise a format
    /// by its header), read at offset 0 whatever the file offset.
    pub fn read_prefix(&self, n: usize) -> Result<crate::SecretBytes, FsError> {
        if !is_regular(&self.stat) {
            return Err(FsError::NotRegular {
                what: type_name(&self.stat),
                path: self.path.clone(),
            });
        }
        let mut buf = Zeroizing::new(vec![0u8; n]);
        let mut filled = 0;
        while filled < n {
            match rustix::io::pread(&self.fd, &mut buf[filled..], filled as u64) {
                Ok(0) => break,
                Ok(k) => filled += k,
                Err(Errno::INTR) => {}
                Err(e) => return Err(io_error(&self.path, "read", e)),
            }
        }
        buf.truncate(filled);
        Ok(buf.into())
    }

    /// Writes all of `content` at the current offset.
    pub fn write_all(&self, content: &[u8]) -> Result<(), FsError> {
        let mut rest = content;
        while !rest.is_empty() {
            match rustix::io::write(&self.fd, rest) {
                Ok(0) => {
                    return Err(io_error(&self.path, "write", Errno::NOSPC));
                }
                Ok(n) => rest = &rest[n..],
                Err(Errno::INTR) => {}
                Err(e) => return Err(io_error(&self.path, "write", e)),
            }
        }
        Ok(())
    }

    /// `fchmod` through the handle.
    pub fn chmod(&self, mode: u32) -> Result<(), FsError> {
        rustix::fs::fchmod(&self.fd, Mode::from_raw_mode(mode))
            .map_err(|e| io_error(&self.path, "chmod", e))
    }

    /// `fchown` through the handle; `None` leaves that id.
    pub fn chown(&self, uid: Option<u32>, gid: Option<u32>) -> Result<(), io::Error> {
        rustix::fs::fchown(
            &self.fd,
            uid.map(rustix::fs::Uid::from_raw),
            gid.map(rustix::fs::Gid::from_raw),
        )
        .map_err(io::Error::from)
    }

    /// `fsync`.
    pub fn sync(&self) -> Result<(), FsError> {
        rustix::fs::fsync(&self.fd).map_err(|e| io_error(&self.path, "fsync", e))
    }

    /// The handle.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Splits a file path into its directory and name.
pub fn split(path: &Path) -> Result<(PathBuf, OsString), FsError> {
    let name = match path.components().next_back() {
        Some(Component::Normal(n)) => n.to_owned(),
        _ => {
            return Err(FsError::NotRegular {
                path: path.to_owned(),
                what: "directory",
            })
        }
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name))
}

/// Opens an existing file without following a final symlink (and without
/// blocking on a FIFO), for its metadata. `Ok(None)` when absent.
pub fn read_meta_nofollow(path: &Path) -> Result<Option<OpenFile>, FsError> {
    open_secret(path)?
        .map(OpenFile::require_regular)
        .transpose()
}

/// Reads a file that carries authority, as OpenSSH reads a key file under
/// `StrictModes`: its directory must pass [`Dir::open`] for the caller
/// alone (every directory on the way owned by root or the caller, none
/// writable by others unless sticky, its own not writable by others), and
/// the file must be a regular file owned by root or the caller and not
/// writable by group or others. A symlink is followed only where
/// [`Dir::symlink_target`] allows. Its type is checked before it is opened,
/// so a device is never opened. `Ok(None)` when it does not exist.
pub fn read_trusted(path: &Path, limit: u64) -> Result<Option<crate::SecretBytes>, FsError> {
    match open_trusted(path)? {
        Some(f) => f.read_all(limit).map(Some),
        None => Ok(None),
    }
}

/// Opens a file under the rules of [`read_trusted`], for reading it as a
/// stream. `Ok(None)` when it does not exist.
pub fn open_trusted(path: &Path) -> Result<Option<OpenFile>, FsError> {
    let mut path = path.to_owned();
    for _ in 0..MAX_SYMLINKS {
        let (dir_path, name) = split(&path)?;
        let dir = match Dir::open(&dir_path, &Trust::caller()) {
            Ok(d) => d,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        if let Some(target) = dir.symlink_target(&name)? {
            path = if target.is_absolute() {
                target
            } else {
                dir_path.join(target)
            };
            continue;
        }
        // The directory is the caller's alone: nobody can swap the name
        // between this check and the open.
        let st = match rustix::fs::statat(dir.fd(), &name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(io_error(&path, "stat", e)),
        };
        if !is_regular(&st) {
            return Err(FsError::NotRegular {
                what: type_name(&st),
                path,
            });
        }
        let Some(f) = dir.open_file(&name)? else {
            return Ok(None);
        };
        let f = f.require_regular()?;
        if !Trust::trusts_strictly(f.uid()) {
            return Err(FsError::ForeignOwner {
                uid: f.uid(),
                path: f.path,
            });
        }
        if let Some(who) = writers(f.mode()) {
            return Err(FsError::UnsafeDirectory {
                reason: format!("the file is writable by {who} (mode {:04o})", f.mode()),
                dir: f.path,
                hint: "; make it private with `chmod go-w`",
            });
        }
        return Ok(Some(f));
    }
    Err(FsError::Symlink(path))
}

/// Reads a file the user named (a template, a compose file): symlinks on
/// the way are followed as the user named them, but the file itself must
/// be a regular file within `limit` bytes. Its type is checked before it is
/// opened for reading: a link another user planted to a device never makes
/// root open it (opening some devices acts: `/dev/watchdog` arms the
/// watchdog), and a FIFO is refused without blocking. `Ok(None)` when it
/// does not exist.
pub fn read_named(path: &Path, limit: u64) -> Result<Option<crate::SecretBytes>, FsError> {
    use std::os::fd::AsRawFd;
    // An O_PATH handle calls no driver's open and never blocks.
    let handle = match rustix::fs::open(path, OFlags::PATH | OFlags::CLOEXEC, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(None),
        Err(e) => return Err(io_error(path, "open", e)),
    };
    let st = rustix::fs::fstat(&handle).map_err(|e| io_error(path, "stat", e))?;
    if !is_regular(&st) {
        return Err(FsError::NotRegular {
            what: type_name(&st),
            path: path.to_owned(),
        });
    }
    // Reopened through the handle: the very inode checked, whatever the
    // name names by now.
    let fd = rustix::fs::open(
        format!("/proc/self/fd/{}", handle.as_raw_fd()),
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    )
    // No fallback: opening the name again could open what was swapped in.
    .map_err(|e| io_error(path, "reopen through /proc/self/fd (is /proc mounted?)", e))?;
    let f = OpenFile::from_fd(fd, path.to_owned())?;
    if f.identity() != (st.st_dev, st.st_ino) {
        // /proc is not the kernel's: nothing proves what was opened.
        return Err(FsError::Io {
            path: path.to_owned(),
            op: "reopen through /proc/self/fd",
            source: io::Error::other("it opened another file"),
        });
    }
    f.read_all(limit).map(Some)
}

/// Reads a secret file: the final component must not be a symlink (the
/// directories on the way may be), and it must be a regular file within
/// `limit` bytes. `Ok(None)` when it does not exist.
pub fn read_secret(path: &Path, limit: u64) -> Result<Option<crate::SecretBytes>, FsError> {
    match open_secret(path)? {
        Some(f) => f.read_all(limit).map(Some),
        None => Ok(None),
    }
}

/// Opens a secret file as [`read_secret`] does (no symlink as the last
/// component, without blocking), for reading it as a stream: a large
/// input that need not be kept whole (ciphertext). `Ok(None)` when absent.
pub fn open_secret(path: &Path) -> Result<Option<OpenFile>, FsError> {
    let fd = match rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(None),
        Err(Errno::LOOP) => return Err(FsError::Symlink(path.to_owned())),
        Err(e) => return Err(io_error(path, "open", e)),
    };
    OpenFile::from_fd(fd, path.to_owned()).map(Some)
}

/// Reads at the file offset: the handle as a stream (see [`open_secret`]).
impl io::Read for &OpenFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match rustix::io::read(&self.fd, &mut *buf) {
                Err(Errno::INTR) => {}
                other => return other.map_err(io::Error::from),
            }
        }
    }
}

/// Reads at most `limit` bytes from standard input (or any reader), refusing
/// more. The buffer never reallocates.
pub fn read_limited(
    mut reader: impl io::Read,
    limit: u64,
    what: &Path,
) -> Result<crate::SecretBytes, FsError> {
    let cap = usize::try_from(limit)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    let mut buf = Zeroizing::new(vec![0u8; cap.min(64 << 20)]);
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            return Err(FsError::TooLarge {
                path: what.to_owned(),
                size: filled as u64,
                limit,
            });
        }
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(FsError::Io {
                    path: what.to_owned(),
                    op: "read",
                    source,
                })
            }
        }
    }
    buf.truncate(filled);
    Ok(buf.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn set_mode(p: &Path, mode: u32) {
        fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn public_files_replace_their_name_and_never_write_through_it() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim");
        fs::write(&victim, "kept").unwrap();
        let (dir, created) = Dir::open_or_create_public(&d.path().join("pub"), 0o755).unwrap();
        assert!(created);
        assert_eq!(dir.stat.st_mode & 0o7777, 0o755);
        symlink(&victim, d.path().join("pub/page.1")).unwrap();
        // Left by an interrupted run.
        fs::write(d.path().join("pub/.page.1.tmp"), "stale").unwrap();
        dir.replace_file("page.1".as_ref(), b"new", 0o644).unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "kept");
        let page = fs::symlink_metadata(d.path().join("pub/page.1")).unwrap();
        assert!(page.is_file());
        assert_eq!(page.permissions().mode() & 0o7777, 0o644);
        assert_eq!(
            fs::read_to_string(d.path().join("pub/page.1")).unwrap(),
            "new"
        );
        assert!(!d.path().join("pub/.page.1.tmp").exists());
        // A second open finds the directory; a missing parent is an error.
        let (_, created) = Dir::open_or_create_public(&d.path().join("pub"), 0o755).unwrap();
        assert!(!created);
        let e = Dir::open_or_create_public(&d.path().join("none/pub"), 0o755).unwrap_err();
        assert!(e.is_not_found(), "{e}");
    }

    /// nobody:nogroup, to own directories root did not make.
    const NOBODY: u32 = 65534;

    /// The tests that give files to another user need root; elsewhere they
    /// say so and pass.
    fn root() -> bool {
        let root = caller_uid() == 0;
        if !root {
            eprintln!("not root: skipped");
        }
        root
    }

    fn owned_dir(path: &Path, uid: u32, gid: u32, mode: u32) {
        fs::create_dir(path).unwrap();
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
        set_mode(path, mode);
    }

    fn owner_group_mode(path: &Path) -> (u32, u32, u32) {
        use std::os::unix::fs::MetadataExt;
        let m = fs::symlink_metadata(path).unwrap();
        (m.uid(), m.gid(), m.mode() & 0o7777)
    }

    #[test]
    fn directories_are_created_by_whoever_controls_their_parent() {
        if !root() {
            return;
        }
        let d = tempfile::tempdir().unwrap();
        let public = |p: &Path| Dir::open_or_create_public(p, 0o755);

        // Another user's parent: made as that user, in the parent's group.
        let theirs = d.path().join("theirs");
        owned_dir(&theirs, NOBODY, NOBODY, 0o755);
        let (dir, created) = public(&theirs.join("pub")).unwrap();
        assert!(created);
        assert_eq!(
            (dir.uid(), dir.gid(), dir.stat.st_mode & 0o7777),
            (NOBODY, NOBODY, 0o755)
        );
        assert_eq!(
            owner_group_mode(&theirs.join("pub")),
            (NOBODY, NOBODY, 0o755)
        );
        // For that user with a group: the group set by that user.
        let trust = Trust::with_owner(Some(NOBODY));
        let owner = Some((Some(NOBODY), Some(100)));
        let (_, created) = Dir::open_or_create(&theirs.join("app"), &trust, owner).unwrap();
        assert!(created);
        assert_eq!(owner_group_mode(&theirs.join("app")), (NOBODY, 100, 0o700));
        // For a third user: refused before anything is made.
        let parent = Dir::open_for_reading(&theirs).unwrap();
        let third = theirs.join("third");
        let e = parent
            .make_child_dir(&third, "third".as_ref(), 0o700, Some((Some(1), None)))
            .unwrap_err();
        assert!(matches!(e, FsError::CannotCreate { .. }), "{e}");
        assert!(!third.exists());

        // The thread is root again: its next directory is root's.
        let (_, created) = public(&d.path().join("mine")).unwrap();
        assert!(created);
        assert_eq!(owner_group_mode(&d.path().join("mine")), (0, 0, 0o755));

        // Root's group may write (a project at umask 002): made as root.
        let project = d.path().join("project");
        owned_dir(&project, 0, 0, 0o775);
        public(&project.join("pages")).unwrap();
        assert_eq!(owner_group_mode(&project.join("pages")), (0, 0, 0o755));
        // So may it in another user's directory: made as that user.
        let shared = d.path().join("shared");
        owned_dir(&shared, NOBODY, 0, 0o775);
        public(&shared.join("pages")).unwrap();
        assert_eq!(owner_group_mode(&shared.join("pages")), (NOBODY, 0, 0o755));
        // Sticky: nobody else can rename root's entry; made as root.
        let sticky = d.path().join("sticky");
        owned_dir(&sticky, 0, 0, 0o1777);
        public(&sticky.join("pages")).unwrap();
        assert_eq!(owner_group_mode(&sticky.join("pages")), (0, 0, 0o755));

        // Another group, or others, could swap it: refused, nothing made.
        for (name, gid, mode, who) in [
            ("group", NOBODY, 0o775, "group 65534"),
            ("others", 0, 0o777, "others"),
            ("theirs-group", NOBODY, 0o770, "group 65534"),
        ] {
            let p = d.path().join(name);
            owned_dir(
                &p,
                if name == "theirs-group" { NOBODY } else { 0 },
                gid,
                mode,
            );
            let e = public(&p.join("pages")).unwrap_err();
            let text = e.to_string();
            assert!(matches!(e, FsError::CannotCreate { .. }), "{text}");
            assert!(text.contains(&format!("writable by {who}")), "{text}");
            assert!(text.contains("create it yourself"), "{text}");
            assert!(!p.join("pages").exists(), "{name}");
        }
    }

    #[test]
    fn acting_as_another_user_is_this_threads_alone_and_ends_with_the_guard() {
        if !root() {
            return;
        }
        let d = tempfile::tempdir().unwrap();
        set_mode(d.path(), 0o700);
        // A thread started before the switch (one started during it would
        // inherit the thread's identity, as clone copies it).
        let (go, went) = std::sync::mpsc::channel::<()>();
        let other = d.path().join("other");
        let elsewhere = std::thread::spawn(move || {
            went.recv().unwrap();
            fs::create_dir(other)
        });
        {
            let _acting = ActingAs::switch(NOBODY, NOBODY).expect("root may switch");
            // Root's file capabilities are gone: its 0700 directory is
            // closed to this thread.
            let e = fs::create_dir(d.path().join("x")).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
            // The other thread is still root.
            go.send(()).unwrap();
            elsewhere.join().unwrap().unwrap();
        }
        fs::create_dir(d.path().join("x")).unwrap();
        assert_eq!(owner_group_mode(&d.path().join("x")).0, 0);
        assert_eq!(owner_group_mode(&d.path().join("other")).0, 0);
    }

    /// Sets the access ACL of `path` as `setfacl` would (owner rwx, the
    /// `named` entries `(tag, id)` rwx, group r-x, `mask`, others r-x),
    /// written as the raw attribute so that no `acl` package is needed.
    fn set_acl(path: &Path, named: &[(u16, u32)], mask: u16) {
        let mut entries = vec![(0x01, u32::MAX, 7), (0x04, u32::MAX, 5)];
        entries.extend(named.iter().map(|&(tag, id)| (tag, id, 7)));
        entries.extend([(0x10, u32::MAX, mask), (0x20, u32::MAX, 5)]);
        // The kernel takes them sorted by tag, then id.
        entries.sort();
        let mut blob = 2u32.to_le_bytes().to_vec();
        for (tag, id, perm) in entries {
            blob.extend(tag.to_le_bytes());
            blob.extend(perm.to_le_bytes());
            blob.extend(id.to_le_bytes());
        }
        rustix::fs::setxattr(
            path,
            "system.posix_acl_access",
            &blob,
            rustix::fs::XattrFlags::empty(),
        )
        .unwrap();
    }

    #[test]
    fn a_directory_an_acl_lets_another_user_write_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let site = d.path().join("site");
        fs::create_dir(&site).unwrap();
        set_mode(&site, 0o755);
        let public = |name: &str| Dir::open_or_create_public(&site.join(name), 0o755);
        // `drwxrwxr-x+`, the group the caller's: the mode alone would let
        // the caller create here.
        set_acl(&site, &[(0x02, NOBODY)], 7);
        assert_eq!(owner_group_mode(&site).2, 0o775);
        let e = public("pub").unwrap_err();
        assert!(
            matches!(e, FsError::CannotCreate { .. })
                && e.to_string()
                    .contains("writable by uid 65534 through an ACL"),
            "{e}"
        );
        assert!(!site.join("pub").exists());
        let e = Dir::open(&site, &Trust::caller()).unwrap_err();
        assert!(
            e.to_string()
                .contains("writable by uid 65534 through an ACL"),
            "{e}"
        );
        // On the way to a file, as the mode's rule: refused unless sticky.
        // (The walk's handles are O_PATH: read through /proc/self/fd.)
        fs::create_dir(site.join("inner")).unwrap();
        let e = Dir::open(&site.join("inner"), &Trust::caller()).unwrap_err();
        assert!(
            e.to_string()
                .contains("writable by uid 65534 through an ACL"),
            "{e}"
        );
        set_mode(&site, 0o1775);
        Dir::open(&site.join("inner"), &Trust::caller()).unwrap();
        assert!(Dir::open(&site, &Trust::caller()).is_err());
        set_mode(&site, 0o775);
        // A named group likewise.
        set_acl(&site, &[(0x08, NOBODY)], 7);
        let e = public("pub").unwrap_err();
        assert!(
            e.to_string()
                .contains("writable by group 65534 through an ACL"),
            "{e}"
        );
        // A mask without write leaves the entry read-only: allowed.
        set_acl(&site, &[(0x02, NOBODY), (0x08, NOBODY)], 5);
        assert_eq!(owner_group_mode(&site).2, 0o755);
        assert!(public("masked").unwrap().1);
        Dir::open(&site, &Trust::caller()).unwrap();
        // Write for root, the caller and group 0 only: allowed.
        let mut ours = vec![(0x02, 0), (0x02, caller_uid()), (0x08, 0)];
        ours.dedup();
        set_acl(&site, &ours, 7);
        assert!(public("ours").unwrap().1);
    }

    #[test]
    fn acls_are_parsed_defensively() {
        let acl = |entries: &[(u16, u16, u32)]| {
            let mut blob = 2u32.to_le_bytes().to_vec();
            for &(tag, perm, id) in entries {
                blob.extend(tag.to_le_bytes());
                blob.extend(perm.to_le_bytes());
                blob.extend(id.to_le_bytes());
            }
            blob
        };
        let minimal = [
            (0x01, 7, u32::MAX),
            (0x04, 5, u32::MAX),
            (0x20, 5, u32::MAX),
        ];
        assert_eq!(parse_acl_writers(&acl(&minimal)), Some(vec![]));
        let named = acl(&[(0x01, 7, 0), (0x02, 6, 7), (0x08, 2, 8), (0x10, 7, 0)]);
        assert_eq!(
            parse_acl_writers(&named),
            Some(vec![AclWriter::User(7), AclWriter::Group(8)])
        );
        // Without a mask, as they are; with one, through it.
        let unmasked = acl(&[(0x02, 2, 7), (0x02, 4, 9)]);
        assert_eq!(parse_acl_writers(&unmasked), Some(vec![AclWriter::User(7)]));
        let masked = acl(&[(0x02, 7, 7), (0x10, 5, 0)]);
        assert_eq!(parse_acl_writers(&masked), Some(vec![]));
        // Malformed: another version, a cut entry, an unknown tag, nothing.
        let mut v3 = named.clone();
        v3[0] = 3;
        assert_eq!(parse_acl_writers(&v3), None);
        assert_eq!(parse_acl_writers(&named[..named.len() - 1]), None);
        assert_eq!(parse_acl_writers(&acl(&[(0x40, 7, 7)])), None);
        assert_eq!(parse_acl_writers(&[]), None);
    }

    #[test]
    fn walks_and_refuses_writable_directories() {
        let d = tempfile::tempdir().unwrap();
        let sub = d.path().join("sub");
        fs::create_dir(&sub).unwrap();
        set_mode(&sub, 0o755);
        assert!(Dir::open(&sub, &Trust::caller()).is_ok());
        set_mode(&sub, 0o775);
        assert!(matches!(
            Dir::open(&sub, &Trust::caller()),
            Err(FsError::UnsafeDirectory { .. })
        ));
        // Sticky is fine on the way, never for the directory holding a file.
        set_mode(&sub, 0o1777);
        assert!(Dir::open(&sub, &Trust::caller()).is_err());
        fs::create_dir(sub.join("inner")).unwrap();
        set_mode(&sub.join("inner"), 0o700);
        assert!(Dir::open(&sub.join("inner"), &Trust::caller()).is_ok());
        set_mode(&sub, 0o777);
        assert!(matches!(
            Dir::open(&sub.join("inner"), &Trust::caller()),
            Err(FsError::UnsafeDirectory { .. })
        ));
    }

    #[test]
    fn follows_symlinks_only_in_trusted_directories() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir(d.path().join("real")).unwrap();
        symlink("real", d.path().join("link")).unwrap();
        fs::write(d.path().join("real/f"), "x").unwrap();
        let dir = Dir::open(&d.path().join("link"), &Trust::caller()).unwrap();
        assert!(dir.open_file(OsStr::new("f")).unwrap().is_some());
        // `..` after a followed link goes back along the walked chain.
        let up = Dir::open(&d.path().join("link/.."), &Trust::caller()).unwrap();
        assert!(up.open_file(OsStr::new("real")).unwrap().is_some());
        // A link in a directory others can write is not followed.
        set_mode(d.path(), 0o777);
        assert!(matches!(
            Dir::open_for_reading(&d.path().join("link")),
            Err(FsError::Symlink(_))
        ));
        set_mode(d.path(), 0o700);
    }

    #[test]
    fn beneath_refuses_symlinks_and_escapes() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir(d.path().join("a")).unwrap();
        fs::write(d.path().join("a/f"), "x").unwrap();
        symlink("a", d.path().join("l")).unwrap();
        symlink("/etc/hostname", d.path().join("a/abs")).unwrap();
        let dir = Dir::open(d.path(), &Trust::caller()).unwrap();
        let by_components = |d: &Dir, rel: &Path| {
            d.open_beneath_by_components(
                rel,
                OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK,
                d.path.join(rel),
            )
        };
        let openat2 = |d: &Dir, rel: &Path| d.open_beneath(rel);
        type Open<'a> = &'a dyn Fn(&Dir, &Path) -> Result<Option<OpenFile>, FsError>;
        let ways: [Open<'_>; 2] = [&openat2, &by_components];
        for open in ways {
            assert!(open(&dir, Path::new("a/f")).unwrap().is_some());
            assert!(open(&dir, Path::new("a/missing")).unwrap().is_none());
            assert!(matches!(
                open(&dir, Path::new("l/f")),
                Err(FsError::Symlink(_))
            ));
            assert!(matches!(
                open(&dir, Path::new("a/abs")),
                Err(FsError::Symlink(_))
            ));
            assert!(matches!(
                open(&dir, Path::new("../x")),
                Err(FsError::Outside(_) | FsError::Symlink(_))
            ));
        }
    }

    #[test]
    fn reads_are_bounded_and_refuse_special_files() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        fs::write(&p, vec![b'a'; 100]).unwrap();
        assert_eq!(read_secret(&p, 100).unwrap().unwrap().len(), 100);
        assert!(matches!(
            read_secret(&p, 99),
            Err(FsError::TooLarge { size: 100, .. })
        ));
        symlink("/dev/zero", d.path().join("z")).unwrap();
        assert!(matches!(
            read_secret(&d.path().join("z"), 100),
            Err(FsError::Symlink(_))
        ));
        assert!(matches!(
            read_named(&d.path().join("z"), 100),
            Err(FsError::NotRegular { what: "device", .. })
        ));
        nix::unistd::mkfifo(&d.path().join("fifo"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        assert!(matches!(
            read_named(&d.path().join("fifo"), 100),
            Err(FsError::NotRegular { what: "FIFO", .. })
        ));
        assert!(read_secret(&d.path().join("missing"), 1).unwrap().is_none());
        assert!(read_limited(&[0u8; 10][..], 9, Path::new("<stdin>")).is_err());
        assert_eq!(
            read_limited(&[0u8; 10][..], 10, Path::new("<stdin>"))
                .unwrap()
                .len(),
            10
        );
    }

    #[test]
    fn changeable_files_have_one_link() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("f"), "x").unwrap();
        let dir = Dir::open(d.path(), &Trust::caller()).unwrap();
        let f = dir.open_file(OsStr::new("f")).unwrap().unwrap();
        assert!(f.require_changeable(&Trust::caller()).is_ok());
        fs::hard_link(d.path().join("f"), d.path().join("g")).unwrap();
        let f = dir.open_file(OsStr::new("f")).unwrap().unwrap();
        assert!(matches!(
            f.require_changeable(&Trust::caller()),
            Err(FsError::HardLinked { links: 2, .. })
        ));
    }

    #[test]
    fn private_directories_are_0700_and_removed_whole() {
        let d = tempfile::tempdir().unwrap();
        // A shared sticky parent, like /dev/shm.
        set_mode(d.path(), 0o1777);
        let private = PrivateDir::create(d.path(), "t").unwrap();
        let path = private.dir().path().to_owned();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o7777,
            0o700
        );
        private.dir().create_new(OsStr::new("f"), 0o600).unwrap();
        fs::create_dir(path.join("sub")).unwrap();
        fs::write(path.join("sub/g"), "x").unwrap();
        symlink("/etc/hostname", path.join("l")).unwrap();
        let mut removed = private.remove().unwrap();
        removed.sort();
        assert_eq!(removed, ["f", "l", "sub"]);
        assert!(!path.exists());
        assert!(
            fs::metadata("/etc/hostname").is_ok(),
            "a link is removed, never followed"
        );
        // Not sticky and writable by others: refused.
        set_mode(d.path(), 0o777);
        assert!(PrivateDir::create(d.path(), "t").is_err());
        set_mode(d.path(), 0o700);
    }

    #[test]
    fn the_lock_is_bounded() {
        let d = tempfile::tempdir().unwrap();
        let dir = Dir::open(d.path(), &Trust::caller()).unwrap();
        let held = dir.lock(Duration::from_secs(1)).unwrap();
        let t = Instant::now();
        assert!(matches!(
            dir.lock(Duration::from_millis(200)),
            Err(FsError::LockTimeout { .. })
        ));
        assert!(t.elapsed() >= Duration::from_millis(200));
        drop(held);
        assert!(dir.lock(Duration::from_millis(200)).is_ok());
    }
}
