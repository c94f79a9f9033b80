//! A throwaway MariaDB server for the `--apply mysql` tests:
//! `mariadb-install-db` into a temporary datadir, `mariadbd --no-defaults`
//! on a unix socket and loopback at a free port, `--skip-name-resolve` (so
//! TCP logins reach `user@%` and the socket `user@localhost`), with the
//! general query log on; stopped on drop.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server binary.
const MARIADBD: &str = "/usr/sbin/mariadbd";

/// A running server.
#[derive(Debug)]
pub struct Server {
    dir: tempfile::TempDir,
    child: Child,
    /// The port on 127.0.0.1.
    pub port: u16,
    /// The `admin@127.0.0.1` account's password (ALL on *.* WITH GRANT
    /// OPTION).
    pub admin_password: String,
}

fn run_sql(socket: &Path, user: &str, password: Option<&str>, sql: &str) -> Result<String, String> {
    let mut c = Command::new("mariadb");
    c.args(["--no-defaults", "--batch", "--skip-column-names", "-S"])
        .arg(socket)
        .args(["-u", user]);
    if let Some(pw) = password {
        // The test's own client: its environment, not its argv.
        c.env("MYSQL_PWD", pw);
    }
    let o = crate::run_piped(c, sql.as_bytes());
    match o.status.success() {
        true => Ok(String::from_utf8_lossy(&o.stdout).into_owned()),
        false => Err(String::from_utf8_lossy(&o.stderr).trim().to_owned()),
    }
}

impl Server {
    /// Starts a server, or says why it cannot (`Err`: the reason the test
    /// skips for).
    pub fn start() -> Result<Server, String> {
        if !Path::new(MARIADBD).exists() || !crate::have_program("mariadb-install-db") {
            return Err("MariaDB server missing (/usr/sbin/mariadbd)".into());
        }
        if !crate::have_program("mariadb") {
            return Err("MariaDB client missing (mariadb)".into());
        }
        if !crate::is_root() {
            return Err("root missing (the test server runs with --user=root)".into());
        }
        let dir = tempfile::Builder::new()
            .prefix("mdb")
            .tempdir_in("/tmp")
            .map_err(|e| e.to_string())?;
        let d = dir.path();
        let install = Command::new("mariadb-install-db")
            .arg("--no-defaults")
            .arg(format!("--datadir={}", d.join("data").display()))
            .args([
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ])
            .output()
            .map_err(|e| e.to_string())?;
        if !install.status.success() {
            return Err(format!(
                "mariadb-install-db: {}",
                String::from_utf8_lossy(&install.stderr).trim()
            ));
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let child = Command::new(MARIADBD)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", d.join("data").display()))
            .arg(format!("--socket={}", d.join("sock").display()))
            .arg(format!("--port={port}"))
            .arg(format!("--pid-file={}", d.join("pid").display()))
            .arg(format!("--log-error={}", d.join("error.log").display()))
            .arg(format!(
                "--general-log-file={}",
                d.join("general.log").display()
            ))
            .args([
                "--general-log=1",
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                "--user=root",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        let admin_password: String = {
            use rand::Rng;
            let abc = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
            (0..24)
                .map(|_| char::from(abc[rand::rng().random_range(0..abc.len())]))
                .collect()
        };
        let server = Server {
            dir,
            child,
            port,
            admin_password,
        };
        let started = Instant::now();
        while run_sql(&server.socket(), "root", None, "SELECT 1").is_err() {
            if started.elapsed() > Duration::from_secs(60) {
                return Err(format!(
                    "mariadbd did not start: {}",
                    std::fs::read_to_string(server.dir.path().join("error.log"))
                        .unwrap_or_default()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        server.root(&format!(
            "CREATE USER admin@'127.0.0.1' IDENTIFIED BY '{pw}';\
             GRANT ALL ON *.* TO admin@'127.0.0.1' WITH GRANT OPTION;",
            pw = server.admin_password
        ))?;
        Ok(server)
    }

    /// The server's unix socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("sock")
    }

    /// Runs `sql` as root over the socket; its output (tab-separated rows).
    pub fn root(&self, sql: &str) -> Result<String, String> {
        run_sql(&self.socket(), "root", None, sql)
    }

    /// The admin URL over TCP to loopback (it holds the password).
    pub fn admin_url(&self) -> String {
        format!(
            "mysql://admin:{}@127.0.0.1:{}/",
            self.admin_password, self.port
        )
    }

    /// Whether `user` logs in with `password` over TCP from 127.0.0.1
    /// (`socket` false: reaches `user@%`) or over the socket (`user@localhost`),
    /// and as which account (`CURRENT_USER()`).
    pub fn login(&self, user: &str, password: &str, socket: bool) -> Option<String> {
        let mut c = Command::new("mariadb");
        c.args([
            "--no-defaults",
            "--batch",
            "--skip-column-names",
            "-u",
            user,
        ]);
        match socket {
            true => c.arg("-S").arg(self.socket()),
            false => c.args(["-h", "127.0.0.1", "-P", &self.port.to_string()]),
        };
        c.env("MYSQL_PWD", password);
        let o = crate::run_piped(c, b"SELECT CURRENT_USER();");
        o.status
            .success()
            .then(|| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    }

    /// The general query log so far.
    pub fn general_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("general.log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM: mariadbd shuts down cleanly; then reap it.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
