//! The admin URL's unix sockets, checked once (`crate::unix_peer`) and
//! reached through nothing else.
//!
//! tokio-postgres takes a unix host as a directory and connects to
//! `DIR/.s.PGSQL.PORT` by name. So each checked socket gets a link in a
//! private directory made here (`/proc/self/fd/N`, the checked inode), and
//! the connection's host becomes that directory, itself named through its
//! open descriptor: whatever happens to the paths afterwards, every
//! connection reaches the listener that was checked.

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use postgres::config::Host;
use postgres::Config;
use rustix::fs::{AtFlags, FileType, Mode, OFlags, CWD};

use crate::unix_peer::{PinnedSocket, RequiredPeer};

/// The checked sockets of a config's unix hosts, and the private directory
/// linking to them (removed on drop).
#[derive(Debug)]
pub(crate) struct PinnedHosts {
    /// One per unix host, in the config's order.
    sockets: Vec<(PinnedSocket, String)>,
    dir: OwnedFd,
    dir_path: PathBuf,
}

impl PinnedHosts {
    /// Checks every unix host of `config` (`None` when it has none): the
    /// socket `DIR/.s.PGSQL.PORT` must be served by root or the caller, or
    /// by `peer`.
    pub(crate) fn pin(
        config: &Config,
        peer: Option<&RequiredPeer>,
    ) -> Result<Option<PinnedHosts>, String> {
        let ports = config.get_ports();
        let mut sockets = Vec::new();
        for (i, host) in config.get_hosts().iter().enumerate() {
            let Host::Unix(dir) = host else { continue };
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            let name = format!(".s.PGSQL.{port}");
            sockets.push((PinnedSocket::pin(&dir.join(&name), peer)?, name));
        }
        if sockets.is_empty() {
            return Ok(None);
        }
        let (dir, dir_path) = private_dir()?;
        let pinned = PinnedHosts {
            sockets,
            dir,
            dir_path,
        };
        for (i, (socket, name)) in pinned.sockets.iter().enumerate() {
            let sub = i.to_string();
            rustix::fs::mkdirat(&pinned.dir, &sub, Mode::RWXU)
                .and_then(|()| {
                    rustix::fs::symlinkat(socket.path(), &pinned.dir, format!("{sub}/{name}"))
                })
                .map_err(|e| format!("{}: {e}", pinned.dir_path.display()))?;
        }
        Ok(Some(pinned))
    }

    /// `config` with each unix host replaced by the link to its checked
    /// socket. (tokio-postgres has no way to remove a host, so the rest of
    /// the config is copied.)
    pub(crate) fn config(&self, original: &Config) -> Config {
        let mut c = Config::new();
        if let Some(user) = original.get_user() {
            c.user(user);
        }
        if let Some(password) = original.get_password() {
            c.password(password);
        }
        if let Some(db) = original.get_dbname() {
            c.dbname(db);
        }
        if let Some(options) = original.get_options() {
            c.options(options);
        }
        if let Some(name) = original.get_application_name() {
            c.application_name(name);
        }
        if let Some(t) = original.get_connect_timeout() {
            c.connect_timeout(*t);
        }
        c.target_session_attrs(original.get_target_session_attrs())
            .load_balance_hosts(original.get_load_balance_hosts())
            .ssl_mode(original.get_ssl_mode())
            .channel_binding(original.get_channel_binding());
        let fd = self.dir.as_raw_fd();
        for i in 0..self.sockets.len() {
            c.host_path(format!("/proc/self/fd/{fd}/{i}"));
        }
        for port in original.get_ports() {
            c.port(*port);
        }
        c
    }
}

impl Drop for PinnedHosts {
    fn drop(&mut self) {
        for (i, (_, name)) in self.sockets.iter().enumerate() {
            let _ = rustix::fs::unlinkat(&self.dir, format!("{i}/{name}"), AtFlags::empty());
            let _ = rustix::fs::unlinkat(&self.dir, i.to_string(), AtFlags::REMOVEDIR);
        }
        // The name, only while it is still this directory.
        let same = |a: &rustix::fs::Stat, b: &rustix::fs::Stat| {
            a.st_dev == b.st_dev && a.st_ino == b.st_ino
        };
        if let (Ok(ours), Ok(now)) = (
            rustix::fs::fstat(&self.dir),
            rustix::fs::lstat(&self.dir_path),
        ) {
            if same(&ours, &now) {
                let _ = rustix::fs::unlinkat(CWD, &self.dir_path, AtFlags::REMOVEDIR);
            }
        }
    }
}

/// A new directory only the caller can enter, opened: its name may be
/// moved by others (it is only used for the cleanup), its descriptor not.
fn private_dir() -> Result<(OwnedFd, PathBuf), String> {
    let base = std::env::temp_dir();
    let mut last = String::new();
    for _ in 0..16 {
        let path = base.join(format!(
            "secrets-pg-{}",
            hex::encode({
                let mut b = [0u8; 8];
                rand::RngCore::fill_bytes(&mut crate::generate::os_rng(), &mut b);
                b
            })
        ));
        match rustix::fs::mkdirat(CWD, &path, Mode::RWXU) {
            Ok(()) => return open_private(&path).map(|fd| (fd, path)),
            Err(e) => last = format!("{}: {e}", path.display()),
        }
    }
    Err(format!("cannot make a private directory: {last}"))
}

fn open_private(path: &Path) -> Result<OwnedFd, String> {
    let shown = path.display();
    let fd = rustix::fs::open(
        path,
        OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| format!("{shown}: {e}"))?;
    let st = rustix::fs::fstat(&fd).map_err(|e| format!("{shown}: {e}"))?;
    // Made a moment ago: a directory that is not ours, or that others can
    // enter, was put there by someone else.
    if FileType::from_raw_mode(st.st_mode) != FileType::Directory
        || st.st_uid != rustix::process::geteuid().as_raw()
        || st.st_mode & 0o077 != 0
    {
        return Err(format!("{shown} was replaced as it was made"));
    }
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::unix::net::UnixListener;
    use std::str::FromStr;

    #[test]
    fn the_config_reaches_the_checked_socket_only() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join(".s.PGSQL.5433");
        let checked = UnixListener::bind(&socket).unwrap();
        let original = Config::from_str(&format!(
            "host={} port=5433 user=admin dbname=postgres application_name=x connect_timeout=7",
            dir.path().display()
        ))
        .unwrap();
        let pinned = PinnedHosts::pin(&original, None).unwrap().unwrap();
        checked.accept().unwrap(); // the probe
        let c = pinned.config(&original);
        assert_eq!(c.get_user(), Some("admin"));
        assert_eq!(c.get_dbname(), Some("postgres"));
        assert_eq!(c.get_application_name(), Some("x"));
        assert_eq!(c.get_ports(), &[5433]);
        assert_eq!(
            c.get_connect_timeout(),
            Some(&std::time::Duration::from_secs(7))
        );
        // The path is taken over after the check.
        std::fs::rename(&socket, dir.path().join("moved")).unwrap();
        let impostor = UnixListener::bind(&socket).unwrap();
        impostor.set_nonblocking(true).unwrap();
        let Host::Unix(host) = &c.get_hosts()[0] else {
            panic!("a unix host")
        };
        let mut s = std::os::unix::net::UnixStream::connect(host.join(".s.PGSQL.5433")).unwrap();
        std::io::Write::write_all(&mut s, b"hi").unwrap();
        let (mut reached, _) = checked.accept().unwrap();
        let mut got = [0u8; 2];
        reached.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"hi");
        assert!(impostor.accept().is_err());
        let private = pinned.dir_path.clone();
        assert!(private.exists());
        drop(pinned);
        assert!(!private.exists(), "the private directory is removed");
    }

    #[test]
    fn tcp_hosts_pin_nothing() {
        let c = Config::from_str("host=127.0.0.1 user=admin").unwrap();
        assert!(PinnedHosts::pin(&c, None).unwrap().is_none());
    }
}
