//! Unix sockets that receive a login.
//!
//! A socket path is only a name: whoever can write to a directory on it
//! can put a listener of their own there and read the administrator's
//! password sent to it. So a socket is opened once (`O_PATH`), the process
//! listening on that inode is asked who it is (`SO_PEERCRED`), and every
//! later connection goes through `/proc/self/fd/N`, which reaches that
//! inode and no other, whatever then happens to the path. The listener
//! must be root or the caller, or exactly the account the admin URL names
//! with `requirepeer=` (libpq's parameter for the same check).

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::fs::{FileType, Mode, OFlags};

/// How long the listener may leave the probe waiting (a full backlog
/// would otherwise block `connect` for ever).
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection to the unix socket at `path`, waiting at most `limit` for
/// room in its listener's backlog.
fn connect_within(path: &Path, limit: Duration) -> io::Result<UnixStream> {
    use rustix::io::Errno;
    use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
    let fd = rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
        None,
    )?;
    let addr = SocketAddrUnix::new(path)?;
    let deadline = Instant::now() + limit;
    loop {
        // A unix socket connects at once or says EAGAIN (backlog full),
        // never EINPROGRESS; the socket stays unconnected to try again.
        match rustix::net::connect(&fd, &addr) {
            Ok(()) => break,
            Err(Errno::AGAIN | Errno::INTR) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(Errno::AGAIN) => return Err(io::ErrorKind::TimedOut.into()),
            Err(e) => return Err(e.into()),
        }
    }
    let stream = UnixStream::from(fd);
    stream.set_nonblocking(false)?;
    Ok(stream)
}

/// The account a socket's listener must run as (`requirepeer=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequiredPeer {
    uid: u32,
    name: String,
}

impl RequiredPeer {
    /// An account name, or a numeric uid (a container's user with no
    /// name on the host).
    pub(crate) fn parse(value: &str) -> Result<RequiredPeer, String> {
        if let Ok(uid) = value.parse::<u32>() {
            return Ok(RequiredPeer {
                uid,
                name: value.to_owned(),
            });
        }
        match nix::unistd::User::from_name(value) {
            Ok(Some(user)) => Ok(RequiredPeer {
                uid: user.uid.as_raw(),
                name: value.to_owned(),
            }),
            Ok(None) => Err(format!(
                "requirepeer names `{}`, which is no account here (give a uid for a container's user)",
                crate::display::escape_controls(value)
            )),
            Err(e) => Err(format!(
                "requirepeer: looking up `{}`: {e}",
                crate::display::escape_controls(value)
            )),
        }
    }
}

/// A unix socket whose listener was checked, reached only through the
/// inode that was checked.
#[derive(Debug)]
pub(crate) struct PinnedSocket {
    inode: OwnedFd,
    shown: PathBuf,
}

impl PinnedSocket {
    /// Opens `path`, refuses anything but a socket, and connects once to
    /// ask the listener's uid: root or the caller, or `required` when the
    /// URL names one. Nothing is sent on that connection.
    pub(crate) fn pin(
        path: &Path,
        required: Option<&RequiredPeer>,
    ) -> Result<PinnedSocket, String> {
        let lossy = path.to_string_lossy();
        let shown = crate::display::escape_controls(&lossy);
        let inode = rustix::fs::open(path, OFlags::PATH | OFlags::CLOEXEC, Mode::empty())
            .map_err(|e| format!("{shown}: {}", io::Error::from(e)))?;
        let stat = rustix::fs::fstat(&inode).map_err(|e| format!("{shown}: {e}"))?;
        if FileType::from_raw_mode(stat.st_mode) != FileType::Socket {
            return Err(format!("{shown} is not a unix socket; nothing was sent"));
        }
        let pinned = PinnedSocket {
            inode,
            shown: path.to_owned(),
        };
        let probe = connect_within(&pinned.path(), PROBE_TIMEOUT).map_err(|e| {
            if e.kind() == io::ErrorKind::TimedOut {
                format!(
                    "{shown}: its listener accepted no connection within {} s; nothing was sent",
                    PROBE_TIMEOUT.as_secs()
                )
            } else {
                format!("{shown}: {e}")
            }
        })?;
        let uid = rustix::net::sockopt::socket_peercred(&probe)
            .map_err(|e| format!("{shown}: cannot ask who listens on it: {e}; nothing was sent"))?
            .uid
            .as_raw();
        drop(probe);
        // The name is looked up only for a refusal (a lookup may connect
        // to nscd, which the tests' fault injection counts).
        let owner = || {
            let name = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                .ok()
                .flatten()
                .map_or_else(|| uid.to_string(), |u| u.name);
            crate::display::escape_controls(&name).into_owned()
        };
        match required {
            Some(r) if r.uid == uid => Ok(pinned),
            Some(r) => Err(format!(
                "{shown} is served by {} (uid {uid}), not by {} that requirepeer names; nothing was sent",
                owner(),
                crate::display::escape_controls(&r.name)
            )),
            None if uid == 0 || uid == rustix::process::geteuid().as_raw() => Ok(pinned),
            None => Err({
                let owner = owner();
                format!(
                "{shown} is served by {owner} (uid {uid}), not by root or you, and whoever can change its directory could be listening there; nothing was sent. If {owner} is the server's own account, add requirepeer={owner} to the admin URL"
                )
            }),
        }
    }

    /// A path that reaches the checked inode and nothing else.
    pub(crate) fn path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/self/fd/{}", self.inode.as_raw_fd()))
    }

    /// The path as the user gave it, for messages.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn shown(&self) -> &Path {
        &self.shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::unix::net::UnixListener;

    #[test]
    fn a_socket_swapped_after_the_check_is_not_reached() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sock");
        let checked = UnixListener::bind(&path).unwrap();
        let pinned = PinnedSocket::pin(&path, None).unwrap();
        checked.accept().unwrap(); // the probe
                                   // Someone replaces the path with a listener of their own.
        std::fs::rename(&path, dir.path().join("old.sock")).unwrap();
        let impostor = UnixListener::bind(&path).unwrap();
        impostor.set_nonblocking(true).unwrap();
        let mut c = UnixStream::connect(pinned.path()).unwrap();
        let (mut reached, _) = checked.accept().unwrap();
        assert_eq!(
            impostor.accept().unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        std::io::Write::write_all(&mut c, b"AUTH").unwrap();
        let mut got = [0u8; 4];
        reached.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"AUTH");
        assert_eq!(pinned.shown(), path);
    }

    #[test]
    fn a_listener_that_never_accepts_is_given_up_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("full.sock");
        // Backlog 0 holds one pending connection (Linux admits backlog + 1):
        // fill it, never accept.
        let fd = rustix::net::socket(
            rustix::net::AddressFamily::UNIX,
            rustix::net::SocketType::STREAM,
            None,
        )
        .unwrap();
        let addr = rustix::net::SocketAddrUnix::new(&path).unwrap();
        rustix::net::bind(&fd, &addr).unwrap();
        rustix::net::listen(&fd, 0).unwrap();
        let mut held = Vec::new();
        while let Ok(s) = connect_within(&path, Duration::from_millis(50)) {
            held.push(s);
            assert!(held.len() < 100, "the backlog never filled");
        }
        let start = Instant::now();
        let e = connect_within(&path, Duration::from_millis(300)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(start.elapsed() >= Duration::from_millis(300));
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn only_sockets_are_pinned() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain");
        std::fs::write(&file, "x").unwrap();
        let e = PinnedSocket::pin(&file, None).unwrap_err();
        assert!(e.contains("is not a unix socket"), "{e}");
        let e = PinnedSocket::pin(&dir.path().join("absent"), None).unwrap_err();
        assert!(e.contains("No such file"), "{e}");
    }

    #[test]
    fn requirepeer_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sock");
        let _l = UnixListener::bind(&path).unwrap();
        let me = rustix::process::geteuid().as_raw();
        let other = RequiredPeer::parse(&(me + 1).to_string()).unwrap();
        let e = PinnedSocket::pin(&path, Some(&other)).unwrap_err();
        assert!(e.contains("that requirepeer names"), "{e}");
        let mine = RequiredPeer::parse(&me.to_string()).unwrap();
        PinnedSocket::pin(&path, Some(&mine)).unwrap();
        assert_eq!(RequiredPeer::parse("root").unwrap().uid, 0);
        assert!(RequiredPeer::parse("no-such-account-here")
            .unwrap_err()
            .contains("no account here"));
    }
}
