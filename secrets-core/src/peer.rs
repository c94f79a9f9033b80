//! Who receives a login: the process listening on a unix socket, or on a
//! loopback TCP port when the login goes there without TLS.
//!
//! A socket path is only a name: whoever can write to a directory on it
//! can put a listener of their own there and read the administrator's
//! password sent to it. So a socket is opened once (`O_PATH`), the process
//! listening on that inode is asked who it is (`SO_PEERCRED`), and every
//! later connection goes through `/proc/self/fd/N`, which reaches that
//! inode and no other, whatever then happens to the path. The listener
//! must be root or the caller, or exactly the account the admin URL names
//! with `requirepeer=` (libpq's parameter for the same check).
//!
//! A loopback TCP port is anyone's while no server holds it (a server
//! restarting, Redis with `port 0`): [`check_loopback`] reads the
//! listener's uid from `/proc/net/tcp` and `tcp6` and applies the same
//! rule before a login goes there without TLS. A port with no listener
//! here (forwarded by NAT, or closed) is left to the connection.

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

/// Whether `uid`, listening at `shown`, may receive a login: exactly
/// `required` when the URL names one, else root or the caller. The refusal
/// says who listens, `why` that matters, and the parameter to add.
fn accept(uid: u32, required: Option<&RequiredPeer>, shown: &str, why: &str) -> Result<(), String> {
    // The name is looked up only for a refusal (a lookup may connect to
    // nscd, which the tests' fault injection counts).
    let owner = || {
        let name = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
            .ok()
            .flatten()
            .map_or_else(|| uid.to_string(), |u| u.name);
        crate::display::escape_controls(&name).into_owned()
    };
    match required {
        Some(r) if r.uid == uid => Ok(()),
        Some(r) => Err(format!(
            "{shown} is served by {} (uid {uid}), not by {} that requirepeer names; nothing was sent",
            owner(),
            crate::display::escape_controls(&r.name)
        )),
        None if uid == 0 || uid == rustix::process::geteuid().as_raw() => Ok(()),
        None => {
            let owner = owner();
            Err(format!(
                "{shown} is served by {owner} (uid {uid}), not by root or you, and {why}; nothing was sent. If {owner} is the server's own account, add requirepeer={owner} to the admin URL"
            ))
        }
    }
}

/// Checks who listens on loopback TCP `target`:`port` before a login goes
/// there without a checked certificate: every listening socket that a
/// connection to it reaches (its address or a wildcard) must pass
/// [`accept`]. None at all is not a refusal (the port may be forwarded by
/// NAT; a closed one refuses the connection). The caller then connects to
/// `target` itself, never to a name resolved afterwards.
pub(crate) fn check_loopback(
    target: std::net::IpAddr,
    port: u16,
    required: Option<&RequiredPeer>,
) -> Result<(), String> {
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = match std::fs::read_to_string(table) {
            Ok(t) => t,
            // No IPv6 here.
            Err(e) if e.kind() == io::ErrorKind::NotFound && table.ends_with('6') => continue,
            Err(e) => {
                return Err(format!(
                    "cannot tell who listens on port {port} ({table}: {e}); nothing was sent"
                ))
            }
        };
        // Only the listeners a connection to `target` can reach: another
        // user's on 127.0.0.2 must not block one to 127.0.0.1.
        let reached = loopback_listeners(&text, port)
            .into_iter()
            .filter(|(addr, _)| reaches(*addr, target));
        for (addr, uid) in reached {
            let shown = std::net::SocketAddr::new(addr, port).to_string();
            accept(
                uid,
                required,
                &shown,
                "without a checked certificate the login would reach it (a loopback port is anyone's while no server holds it; TLS with a checked certificate or a unix socket avoids that)",
            )?;
        }
    }
    Ok(())
}

/// Whether a connection to `target` can reach a socket listening on
/// `listener`: the same address (an IPv4-mapped one too), or the wildcard
/// of its family (IPv6's takes IPv4 too unless it is v6-only, which the
/// table does not say).
fn reaches(listener: std::net::IpAddr, target: std::net::IpAddr) -> bool {
    let (l, t) = (listener.to_canonical(), target.to_canonical());
    l == t || (l.is_unspecified() && (l.is_ipv4() == t.is_ipv4() || listener.is_ipv6()))
}

/// The listening sockets of a `/proc/net/tcp{,6}` table on `port` whose
/// address is loopback or the wildcard, with their owners' uids.
fn loopback_listeners(table: &str, port: u16) -> Vec<(std::net::IpAddr, u32)> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let mut found = Vec::new();
    for line in table.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // sl local rem st tx:rx tr:when retrnsmt uid ...
        let (Some(local), Some(&"0A"), Some(uid)) = (fields.get(1), fields.get(3), fields.get(7))
        else {
            continue;
        };
        let Some((hex_ip, hex_port)) = local.split_once(':') else {
            continue;
        };
        if u16::from_str_radix(hex_port, 16).ok() != Some(port) {
            continue;
        }
        // The kernel prints each 32-bit word of the address in host order.
        let words: Option<Vec<[u8; 4]>> = (0..hex_ip.len() / 8)
            .map(|i| {
                u32::from_str_radix(hex_ip.get(i * 8..i * 8 + 8)?, 16)
                    .ok()
                    .map(u32::to_ne_bytes)
            })
            .collect();
        let addr = match words.as_deref() {
            Some([a]) => IpAddr::V4(Ipv4Addr::from(*a)),
            Some([a, b, c, d]) => {
                let mut bytes = [0u8; 16];
                for (i, w) in [a, b, c, d].into_iter().enumerate() {
                    bytes[i * 4..i * 4 + 4].copy_from_slice(w);
                }
                IpAddr::V6(Ipv6Addr::from(bytes))
            }
            _ => continue,
        };
        let canonical = addr.to_canonical();
        if !(canonical.is_loopback() || canonical.is_unspecified()) {
            continue;
        }
        if let Ok(uid) = uid.parse() {
            found.push((addr, uid));
        }
    }
    found
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
        accept(
            uid,
            required,
            &shown,
            "whoever can change its directory could be listening there",
        )?;
        Ok(pinned)
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
    fn loopback_listeners_are_read_from_the_kernels_tables() {
        let v4 = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000   105        0 1 1 0000000000000000 100 0 0 10 0
   1: 00000000:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0
   2: 0100007F:18EB 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 3 1 0000000000000000 100 0 0 10 0
   3: 0A00000A:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1001        0 4 1 0000000000000000 100 0 0 10 0
   4: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1002        0 5 1 0000000000000000 100 0 0 10 0
";
        let found = loopback_listeners(v4, 6379);
        assert_eq!(
            found,
            [
                ("127.0.0.1".parse().unwrap(), 105),
                ("0.0.0.0".parse().unwrap(), 0)
            ]
        );
        let v6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:18EB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 6 1
   1: 0000000000000000FFFF00000100007F:18EB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   998        0 7 1
";
        assert_eq!(
            loopback_listeners(v6, 6379),
            [
                ("::1".parse().unwrap(), 999),
                ("::ffff:127.0.0.1".parse().unwrap(), 998)
            ]
        );
    }

    #[test]
    fn a_loopback_listener_of_ours_passes_and_a_named_other_does_not() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let here = "127.0.0.1".parse().unwrap();
        check_loopback(here, port, None).unwrap();
        let me = rustix::process::geteuid().as_raw();
        let other = RequiredPeer::parse(&(me + 1).to_string()).unwrap();
        let e = check_loopback(here, port, Some(&other)).unwrap_err();
        assert!(e.contains(&format!("127.0.0.1:{port} is served by")), "{e}");
        // A connection to another loopback address does not reach it.
        check_loopback("127.0.0.2".parse().unwrap(), port, Some(&other)).unwrap();
        check_loopback("::1".parse().unwrap(), port, Some(&other)).unwrap();
        drop(l);
        // Nobody listens: left to the connection.
        check_loopback(here, port, Some(&other)).unwrap();
    }

    #[test]
    fn a_listener_is_reached_at_its_address_or_its_wildcard() {
        let ip = |s: &str| -> std::net::IpAddr { s.parse().unwrap() };
        assert!(reaches(ip("127.0.0.1"), ip("127.0.0.1")));
        assert!(reaches(ip("0.0.0.0"), ip("127.0.0.1")));
        assert!(reaches(ip("::"), ip("127.0.0.1")));
        assert!(reaches(ip("::ffff:127.0.0.1"), ip("127.0.0.1")));
        assert!(reaches(ip("::"), ip("::1")));
        assert!(reaches(ip("::1"), ip("::1")));
        assert!(!reaches(ip("127.0.0.2"), ip("127.0.0.1")));
        assert!(!reaches(ip("::1"), ip("127.0.0.1")));
        assert!(!reaches(ip("0.0.0.0"), ip("::1")));
        assert!(!reaches(ip("127.0.0.1"), ip("::1")));
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
