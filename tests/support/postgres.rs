//! A throwaway PostgreSQL cluster for the rotation tests: `initdb` with
//! scram-sha-256 authentication, `log_statement=all`, listening on loopback
//! at a free port; run as the `postgres` user; stopped on drop.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use rand::Rng;

/// A running cluster.
#[derive(Debug)]
pub struct Server {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// The port on 127.0.0.1.
    pub port: u16,
    /// The `admin` superuser's password.
    pub admin_password: String,
}

fn find_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

fn as_postgres(bin: &Path, tool: &str, args: &[&str]) -> Result<(), String> {
    let o = Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(bin.join(tool))
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if o.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{tool}: {}",
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ))
    }
}

impl Server {
    /// Starts a cluster, or says why it cannot (`Err`, the reason the test
    /// skips for, such as `PostgreSQL server missing`).
    pub fn start() -> Result<Server, String> {
        let bin =
            find_bin().ok_or("PostgreSQL server missing (/usr/lib/postgresql/*/bin/initdb)")?;
        if !crate::is_root() || !crate::have_program("runuser") {
            return Err("root with runuser missing (the cluster runs as postgres)".into());
        }
        let dir = tempfile::Builder::new()
            .prefix("pg")
            .tempdir_in("/tmp")
            .map_err(|e| e.to_string())?;
        let d = dir.path();
        let admin_password: String = (0..24)
            .map(|_| {
                char::from(
                    b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
                        [rand::rng().random_range(0..56)],
                )
            })
            .collect();
        std::fs::write(d.join("pw"), format!("{admin_password}\n")).map_err(|e| e.to_string())?;
        let chown = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(d)
            .status()
            .map_err(|e| e.to_string())?;
        if !chown.success() {
            return Err("chown to postgres failed (is there a postgres user?)".into());
        }
        let data = d.join("data");
        as_postgres(
            &bin,
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-A",
                "scram-sha-256",
                "--pwfile",
                d.join("pw").to_str().unwrap(),
                "-U",
                "admin",
                "--no-sync",
            ],
        )?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let server = Server {
            dir,
            bin,
            port,
            admin_password,
        };
        server.start_again()?;
        Ok(server)
    }

    /// Starts the stopped cluster again.
    pub fn start_again(&self) -> Result<(), String> {
        let d = self.dir.path();
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c log_statement=all",
            self.port,
            d.display()
        );
        as_postgres(
            &self.bin,
            "pg_ctl",
            &[
                "-D",
                d.join("data").to_str().unwrap(),
                "-l",
                d.join("log").to_str().unwrap(),
                "-o",
                &opts,
                "-w",
                "start",
            ],
        )
    }

    /// Stops the cluster (fast shutdown).
    pub fn stop(&self) -> Result<(), String> {
        as_postgres(
            &self.bin,
            "pg_ctl",
            &[
                "-D",
                self.dir.path().join("data").to_str().unwrap(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        )
    }

    /// The admin connection URL.
    pub fn admin_url(&self) -> String {
        format!(
            "postgresql://admin:{}@127.0.0.1:{}/postgres",
            self.admin_password, self.port
        )
    }

    /// The server log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = as_postgres(
            &self.bin,
            "pg_ctl",
            &[
                "-D",
                self.dir.path().join("data").to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }
}
