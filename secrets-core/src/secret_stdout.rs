//! Stdout as a destination for secret material (`generate`, `decrypt`,
//! `export k8s`), judged before any secret is produced.
//!
//! The shell opens what `> FILE` names before `secrets` runs, following a
//! symlink another user may have planted: stdout can be a FIFO whose reader
//! is another user, another user's terminal or pipe (reopened through a
//! `/proc/PID/fd` link), a device, or a socket (a systemd service's stdout
//! is the journal's). So stdout is only written to when it is
//! - an anonymous pipe (it lives on pipefs, which `fstatfs` tells apart from
//!   a FIFO on disk) made by root, the caller or the user logged in to this
//!   session (`/proc/self/loginuid`: `sudo secrets generate | ...`),
//! - this session's controlling terminal (`tcgetsid`), or `/dev/null`,
//! - a regular file the shell just created: it is never written into
//!   (another user may have opened it already); when empty, the caller's
//!   and with one link, the secure writer ([`crate::secure_file`], whose
//!   directory rules apply) replaces its name with a new 0600 file.
//!
//! Everything else is refused: [`SecretStdout::check`] decides, so a command
//! calls it before it draws or decrypts a value, and writes through the
//! [`SecretStdout`] it returns.
//!
//! ```no_run
//! use secrets_core::secret_stdout::SecretStdout;
//!
//! let stdout = SecretStdout::check()?; // before any secret exists
//! let text = b"TOKEN=...\n"; // then produce it
//! stdout.write(text)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

use rustix::fs::FileType;

use crate::safe_fs::caller_uid;
use crate::secure_file::{describe_user, SecureFile, WriteError, WriteOptions};

/// `PIPEFS_MAGIC`: the file system of anonymous pipes (`pipe(2)`).
const PIPEFS_MAGIC: u64 = 0x5049_5045;

/// Why stdout cannot take secret material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StdoutError {
    /// Stdout is something another user may read from.
    #[error("stdout is {what}: {why}; no secret is produced or written")]
    Refused {
        /// What stdout is, with its name when it has one.
        what: String,
        /// Why it is refused.
        why: &'static str,
    },
    /// `fstat`, `fstatfs` or `dup` of stdout failed (stdout closed?).
    #[error("cannot inspect stdout")]
    Inspect(#[source] io::Error),
    /// Writing to the pipe or terminal failed.
    #[error("cannot write to stdout")]
    Write(#[source] io::Error),
    /// The regular file on stdout could not be replaced.
    #[error(transparent)]
    File(#[from] WriteError),
}

/// Where [`SecretStdout::write`] put the text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Written {
    /// Into the pipe, terminal or `/dev/null` on stdout.
    Stream,
    /// Stdout was a file the shell created: a new 0600 file was put in its
    /// place by the secure writer, and the shell's stays empty.
    Replaced(PathBuf),
}

/// Stdout, checked to be a destination for secret material.
#[derive(Debug)]
pub struct SecretStdout {
    fd: OwnedFd,
    target: Target,
}

#[derive(Debug)]
enum Target {
    /// A pipe, this session's terminal or `/dev/null`: written to.
    Stream,
    /// The file the shell created, replaced by name while it is still the
    /// same inode.
    NewFile {
        file: Box<SecureFile>,
        identity: (u64, u64),
    },
}

impl SecretStdout {
    /// Judges file descriptor 1 (see the [module](self) for the rules).
    pub fn check() -> Result<Self, StdoutError> {
        Self::check_fd(io::stdout())
    }

    /// Judges `fd` as [`SecretStdout::check`] judges stdout (a duplicate is
    /// kept and written to).
    pub fn check_fd(fd: impl AsFd) -> Result<Self, StdoutError> {
        let fd =
            rustix::io::fcntl_dupfd_cloexec(fd, 3).map_err(|e| StdoutError::Inspect(e.into()))?;
        let st = rustix::fs::fstat(&fd).map_err(|e| StdoutError::Inspect(e.into()))?;
        let refuse = |what: String, why: &'static str| Err(StdoutError::Refused { what, why });
        let name = || name_of(&fd).unwrap_or_else(|| "?".into());
        let target = match FileType::from_raw_mode(st.st_mode) {
            FileType::Fifo => {
                let fs = rustix::fs::fstatfs(&fd).map_err(|e| StdoutError::Inspect(e.into()))?;
                if u64::try_from(fs.f_type).ok() != Some(PIPEFS_MAGIC) {
                    return refuse(
                        format!("a FIFO on disk ({})", name().display()),
                        "another user may be reading it",
                    );
                }
                if !pipe_owner_trusted(st.st_uid) {
                    return refuse(
                        format!("a pipe made by {}", describe_user(st.st_uid)),
                        "another user's pipe (reopened through /proc) may be read by that user",
                    );
                }
                Target::Stream
            }
            FileType::CharacterDevice
                if rustix::fs::major(st.st_rdev) == 1 && rustix::fs::minor(st.st_rdev) == 3 =>
            {
                Target::Stream // /dev/null
            }
            FileType::CharacterDevice if rustix::termios::isatty(&fd) => {
                // Succeeds only on the caller's controlling terminal.
                let session = rustix::termios::tcgetsid(&fd).ok();
                if session.is_none() || session != rustix::process::getsid(None).ok() {
                    return refuse(
                        format!("a terminal that is not this session's ({})", name().display()),
                        "its owner may be reading it",
                    );
                }
                Target::Stream
            }
            FileType::Socket => {
                return refuse(
                    "a socket".into(),
                    "a service's stdout goes to the journal through one, and whoever reads the journal would get every value",
                )
            }
            FileType::RegularFile => Target::NewFile {
                file: Box::new(shell_created_file(&fd, &st)?),
                identity: (st.st_dev, st.st_ino),
            },
            _ => {
                return refuse(
                    format!("a device ({})", name().display()),
                    "only a pipe, this session's terminal, /dev/null or a new file may take secrets",
                )
            }
        };
        let stdout = SecretStdout { fd, target };
        // Fail now, before any secret exists, if the file's name no
        // longer leads to it.
        if let Target::NewFile { file, identity } = &stdout.target {
            same_file(file, *identity)?;
        }
        Ok(stdout)
    }

    /// Writes `text`: into the stream, or as the new file that replaces the
    /// one the shell created.
    pub fn write(&self, text: &[u8]) -> Result<Written, StdoutError> {
        match &self.target {
            Target::Stream => {
                write_unbuffered(&self.fd, text).map_err(StdoutError::Write)?;
                Ok(Written::Stream)
            }
            Target::NewFile { file, identity } => {
                let locked = file.lock()?;
                if locked.identity()? != Some(*identity) {
                    return Err(refused_file("whose name now names another file"));
                }
                locked.replace(text)?;
                Ok(Written::Replaced(file.path().to_owned()))
            }
        }
    }
}

/// A pipe is trusted when root, the caller or the user logged in to this
/// session made it (`sudo secrets generate | ...` runs in a pipe of the
/// user's shell). Another user's pipe reaches stdout only when the shell
/// opened a planted `/proc/PID/fd/N` link.
fn pipe_owner_trusted(uid: u32) -> bool {
    uid == 0 || uid == caller_uid() || login_uid() == Some(uid)
}

/// The audit login uid of this session, which no unprivileged process can
/// change; `None` when unset (4294967295) or unreadable.
fn login_uid() -> Option<u32> {
    let text = std::fs::read_to_string("/proc/self/loginuid").ok()?;
    text.trim().parse().ok().filter(|&uid| uid != u32::MAX)
}

/// The name the descriptor was opened as (`/proc/self/fd/N`).
fn name_of(fd: &OwnedFd) -> Option<PathBuf> {
    use std::os::fd::AsRawFd;
    std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).ok()
}

fn refused_file(why: &str) -> StdoutError {
    StdoutError::Refused {
        what: format!("a file {why}"),
        why: "another user could have opened it before secrets ran",
    }
}

/// The checks of a regular file on stdout that need no lock: the shell
/// created it (empty, the caller's, one link) under a name that still
/// exists, in a directory the secure writer accepts.
fn shell_created_file(fd: &OwnedFd, st: &rustix::fs::Stat) -> Result<SecureFile, StdoutError> {
    if st.st_size != 0 || st.st_uid != caller_uid() || st.st_nlink != 1 {
        return Err(refused_file("that is not a new, empty file of yours"));
    }
    // Used only to find the directory; the lock later checks that the name
    // still leads to this very inode.
    let link = name_of(fd).ok_or_else(|| refused_file("whose name cannot be read"))?;
    if link.to_string_lossy().ends_with(" (deleted)") {
        return Err(refused_file("that was removed"));
    }
    Ok(SecureFile::open(&link, WriteOptions::default())?)
}

fn same_file(file: &SecureFile, identity: (u64, u64)) -> Result<(), StdoutError> {
    if file.lock()?.identity()? != Some(identity) {
        return Err(refused_file("whose name now names another file"));
    }
    Ok(())
}

/// Writes straight to the descriptor, past the standard library's stdout
/// buffer: that buffer lives as long as the process and would keep a copy
/// of secret text that nothing clears.
fn write_unbuffered(fd: &OwnedFd, mut text: &[u8]) -> io::Result<()> {
    // What was printed before goes first.
    io::stdout().lock().flush()?;
    while !text.is_empty() {
        match rustix::io::write(fd, text) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => text = &text[n..],
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixStream;

    #[test]
    fn an_anonymous_pipe_takes_the_text() {
        use std::io::Read;
        let (r, w) = nix::unistd::pipe().unwrap();
        let out = SecretStdout::check_fd(&w).unwrap();
        assert_eq!(out.write(b"A=1\n").unwrap(), Written::Stream);
        drop((out, w));
        let mut text = String::new();
        std::fs::File::from(r).read_to_string(&mut text).unwrap();
        assert_eq!(text, "A=1\n");
    }

    #[test]
    fn a_fifo_on_disk_a_socket_and_a_device_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("f");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        // Read and write: opening does not wait for a reader.
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&fifo)
            .unwrap();
        let e = SecretStdout::check_fd(&f).unwrap_err().to_string();
        assert!(e.starts_with("stdout is a FIFO on disk ("), "{e}");
        assert!(e.contains("/f)"), "{e}");
        let (a, _b) = UnixStream::pair().unwrap();
        let e = SecretStdout::check_fd(&a).unwrap_err().to_string();
        assert!(e.starts_with("stdout is a socket:"), "{e}");
        let zero = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/zero")
            .unwrap();
        let e = SecretStdout::check_fd(&zero).unwrap_err().to_string();
        assert_eq!(
            e,
            "stdout is a device (/dev/zero): only a pipe, this session's terminal, /dev/null or a new file may take secrets; no secret is produced or written"
        );
        let null = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/null")
            .unwrap();
        let out = SecretStdout::check_fd(&null).unwrap();
        assert_eq!(out.write(b"A=1\n").unwrap(), Written::Stream);
    }

    #[test]
    fn a_new_file_is_replaced_and_another_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(".env");
        let shells = std::fs::File::create(&p).unwrap();
        let out = SecretStdout::check_fd(&shells).unwrap();
        assert_eq!(out.write(b"A=1\n").unwrap(), Written::Replaced(p.clone()));
        assert_eq!(std::fs::read(&p).unwrap(), b"A=1\n");
        assert_eq!(
            shells.metadata().unwrap().len(),
            0,
            "the shell's inode stays empty"
        );
        let full = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        let e = SecretStdout::check_fd(&full).unwrap_err().to_string();
        assert!(
            e.starts_with("stdout is a file that is not a new, empty file of yours"),
            "{e}"
        );
    }
}
