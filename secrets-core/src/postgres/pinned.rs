//! The admin URL's unix sockets, checked once (`crate::peer`) and
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

use crate::peer::{PinnedSocket, RequiredPeer};

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
        remove_private(&self.dir, &self.dir_path);
    }
}

/// Empties a private directory through its descriptor (its subdirectories
/// and their links; nothing else is ever made there), then removes it by
/// name while the name is still this directory.
fn remove_private(dir: &OwnedFd, path: &Path) {
    let names = |fd: &OwnedFd| -> Vec<std::ffi::CString> {
        rustix::fs::Dir::read_from(fd)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.file_name().to_owned())
                    .filter(|n| n.as_bytes() != b"." && n.as_bytes() != b"..")
                    .collect()
            })
            .unwrap_or_default()
    };
    for sub in names(dir) {
        let opened = rustix::fs::openat(
            dir,
            &sub,
            OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        );
        if let Ok(sub_fd) = opened {
            for link in names(&sub_fd) {
                let _ = rustix::fs::unlinkat(&sub_fd, &link, AtFlags::empty());
            }
        }
        let _ = rustix::fs::unlinkat(dir, &sub, AtFlags::REMOVEDIR);
    }
    let same =
        |a: &rustix::fs::Stat, b: &rustix::fs::Stat| a.st_dev == b.st_dev && a.st_ino == b.st_ino;
    if let (Ok(ours), Ok(now)) = (rustix::fs::fstat(dir), rustix::fs::lstat(path)) {
        if same(&ours, &now) {
            let _ = rustix::fs::unlinkat(CWD, path, AtFlags::REMOVEDIR);
        }
    }
}

/// Removes the private directories that runs killed before their cleanup
/// left in `base` (`secrets-pg-PID-…`, the caller's, mode 0700, whose
/// process is gone).
fn sweep_stale(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<i32>().ok())
            .and_then(rustix::process::Pid::from_raw)
        else {
            continue;
        };
        if rustix::process::test_kill_process(pid) != Err(rustix::io::Errno::SRCH) {
            continue;
        }
        let path = base.join(&name);
        if let Ok(dir) = open_private(&path) {
            remove_private(&dir, &path);
        }
    }
}

/// The private directories' name: `secrets-pg-PID-RANDOM`.
const PREFIX: &str = "secrets-pg-";

/// A new directory only the caller can enter, opened: its name may be
/// moved by others (it is only used for the cleanup), its descriptor not.
fn private_dir() -> Result<(OwnedFd, PathBuf), String> {
    let base = std::env::temp_dir();
    sweep_stale(&base);
    let mut last = String::new();
    for _ in 0..16 {
        let path = base.join(format!(
            "{PREFIX}{}-{}",
            std::process::id(),
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
    fn a_killed_runs_directory_is_swept_and_a_running_ones_kept() {
        let base = tempfile::tempdir().unwrap();
        let make = |name: &str| {
            let d = base.path().join(name);
            std::fs::create_dir(&d).unwrap();
            std::fs::set_permissions(&d, std::os::unix::fs::PermissionsExt::from_mode(0o700))
                .unwrap();
            std::fs::create_dir(d.join("0")).unwrap();
            std::os::unix::fs::symlink("/proc/self/fd/4", d.join("0/.s.PGSQL.5432")).unwrap();
            d
        };
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let gone = child.id();
        child.wait().unwrap();
        let stale = make(&format!("{PREFIX}{gone}-00"));
        let running = make(&format!("{PREFIX}{}-00", std::process::id()));
        let other = base.path().join("unrelated-dir");
        std::fs::create_dir(&other).unwrap();
        sweep_stale(base.path());
        assert!(!stale.exists(), "the killed run's directory is left");
        assert!(running.join("0/.s.PGSQL.5432").is_symlink());
        assert!(other.exists());
    }

    #[test]
    fn tcp_hosts_pin_nothing() {
        let c = Config::from_str("host=127.0.0.1 user=admin").unwrap();
        assert!(PinnedHosts::pin(&c, None).unwrap().is_none());
    }
}
