//! A throwaway `redis-server` for the `--apply redis` tests: a unix socket
//! in a temporary directory (no TCP port), an ACL file, users `admin`
//! (+@all) and `app` (limited, password [`Server::reset_app`] sets);
//! stopped on drop.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// The admin user's password.
pub const ADMIN_PASSWORD: &str = "RedisAdminPw0123456789";

/// A running server.
#[derive(Debug)]
pub struct Server {
    dir: tempfile::TempDir,
    child: Option<Child>,
}

/// The SHA-256 hex form Redis keeps of a password.
pub fn sha256_hex(password: &str) -> String {
    hex::encode(Sha256::digest(password.as_bytes()))
}

impl Server {
    /// Starts a server, or says why it cannot (`Err`: the reason the test
    /// skips for).
    pub fn start() -> Result<Server, String> {
        if !crate::have_program("redis-server") {
            return Err("redis-server missing".into());
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        std::fs::write(
            dir.path().join("users.acl"),
            format!(
                "user default off\nuser admin on #{} ~* &* +@all\n",
                sha256_hex(ADMIN_PASSWORD)
            ),
        )
        .map_err(|e| e.to_string())?;
        let mut s = Server { dir, child: None };
        s.spawn()?;
        Ok(s)
    }

    fn spawn(&mut self) -> Result<(), String> {
        let d = self.dir.path();
        let child = Command::new("redis-server")
            .args(["--port", "0", "--unixsocket"])
            .arg(self.socket())
            .args(["--unixsocketperm", "700", "--dir"])
            .arg(d)
            .args(["--save", "", "--appendonly", "no", "--aclfile"])
            .arg(self.acl_file())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("redis-server: {e}"))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if UnixStream::connect(self.socket()).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err("redis-server did not start".into())
    }

    /// Stops the server and starts it again from its ACL file.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn().unwrap();
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_file(self.socket());
    }

    /// The unix socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("redis.sock")
    }

    /// The ACL file.
    pub fn acl_file(&self) -> PathBuf {
        self.dir.path().join("users.acl")
    }

    /// The admin URL `secrets` is given (it holds the admin's password).
    pub fn admin_url(&self) -> String {
        format!(
            "unix://{}?user=admin&pass={ADMIN_PASSWORD}",
            self.socket().display()
        )
    }

    /// Sends inline commands on one fresh connection; returns each reply's
    /// first line.
    pub fn call(&self, lines: &[&str]) -> Vec<String> {
        let mut c = UnixStream::connect(self.socket()).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        lines
            .iter()
            .map(|line| {
                c.write_all(format!("{line}\r\n").as_bytes()).unwrap();
                let mut reply = Vec::new();
                let mut b = [0u8; 1];
                while c.read(&mut b).unwrap_or(0) == 1 {
                    reply.push(b[0]);
                    if reply.ends_with(b"\r\n") {
                        break;
                    }
                }
                String::from_utf8_lossy(&reply).trim_end().to_owned()
            })
            .collect()
    }

    /// Whether `user` logs in with `password`.
    pub fn logs_in(&self, user: &str, password: &str) -> bool {
        let reply = self.call(&[&format!("AUTH {user} {password}")]);
        match reply[0].as_str() {
            "+OK" => true,
            r if r.starts_with("-WRONGPASS") => false,
            r => panic!("AUTH {user}: {r}"),
        }
    }

    /// (Re)creates `app` with the one password `password`, limited to
    /// GET/SET on `app:*`, and saves the ACL file.
    pub fn reset_app(&self, password: &str) {
        let admin = format!("AUTH admin {ADMIN_PASSWORD}");
        let setuser = format!(
            "ACL SETUSER app reset on #{} ~app:* -@all +get +set",
            sha256_hex(password)
        );
        let replies = self.call(&[&admin, &setuser, "ACL SAVE"]);
        assert!(replies.iter().all(|r| r == "+OK"), "{replies:?}");
    }

    /// The directory the server runs in.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
