//! A throwaway PostgreSQL cluster for the rotation tests: `initdb` with
//! scram-sha-256 authentication, `log_statement=all`, listening on loopback
//! at a free port; run as the `postgres` user; stopped on drop. Optionally
//! with TLS (certificates made by `openssl`, see [`Pki`]), its own
//! `pg_hba.conf` and `log_connections`.

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

/// What a cluster starts with beyond initdb's defaults.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// A PEM certificate and its key: the cluster runs with `ssl = on`.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The whole `pg_hba.conf`, instead of initdb's scram-sha-256 rules.
    pub hba: Option<String>,
    /// `log_connections = on`: the log names each login's method.
    pub log_connections: bool,
}

fn chown_postgres(path: &Path) -> Result<(), String> {
    let ok = Command::new("chown")
        .args(["postgres:postgres"])
        .arg(path)
        .status()
        .map_err(|e| e.to_string())?
        .success();
    ok.then_some(())
        .ok_or_else(|| format!("chown postgres {}", path.display()))
}

impl Server {
    /// Starts a cluster, or says why it cannot (`Err`, the reason the test
    /// skips for, such as `PostgreSQL server missing`).
    pub fn start() -> Result<Server, String> {
        Server::start_with(&Options::default())
    }

    /// Starts a cluster with `options`, or says why it cannot.
    pub fn start_with(options: &Options) -> Result<Server, String> {
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
        configure(&data, options)?;
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

    /// The admin URL given to `secrets`: the cluster runs as `postgres`, and
    /// a login goes in clear to a loopback port only when the URL names
    /// who must listen there.
    pub fn secrets_admin_url(&self) -> String {
        format!("{}?requirepeer=postgres", self.admin_url())
    }

    /// The directory of the cluster's unix socket.
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // pg_ctl signals whatever PID postmaster.pid names. If the server
        // is already gone and left the file behind, that PID may now be
        // another test's process (a `secrets` run in a parallel test would
        // die of SIGQUIT with nothing on stderr): signal only a live
        // postmaster.
        let data = self.dir.path().join("data");
        let pid = std::fs::read_to_string(data.join("postmaster.pid"))
            .ok()
            .and_then(|t| t.lines().next().map(str::trim).map(str::to_owned));
        let is_postgres = pid.is_some_and(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        });
        if !is_postgres {
            return;
        }
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

/// Applies `options` to the data directory `data` before the first start.
fn configure(data: &Path, options: &Options) -> Result<(), String> {
    use std::fmt::Write as _;
    use std::os::unix::fs::PermissionsExt;
    let io = |e: std::io::Error| e.to_string();
    let mut conf = String::new();
    if let Some((cert, key)) = &options.tls {
        // initdb's defaults name these files in the data directory; the
        // server refuses a key others can read.
        for (from, to) in [(cert, "server.crt"), (key, "server.key")] {
            std::fs::copy(from, data.join(to)).map_err(io)?;
            chown_postgres(&data.join(to))?;
        }
        std::fs::set_permissions(
            data.join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .map_err(io)?;
        conf.push_str("ssl = on\n");
    }
    if options.log_connections {
        conf.push_str("log_connections = on\n");
    }
    if !conf.is_empty() {
        let mut all = std::fs::read_to_string(data.join("postgresql.conf")).map_err(io)?;
        let _ = write!(all, "\n{conf}");
        std::fs::write(data.join("postgresql.conf"), all).map_err(io)?;
    }
    if let Some(hba) = &options.hba {
        std::fs::write(data.join("pg_hba.conf"), hba).map_err(io)?;
        chown_postgres(&data.join("pg_hba.conf"))?;
    }
    Ok(())
}

/// Certificates made with `openssl` in a temporary directory: `ca.crt` and
/// two leaves it signs, `server.{crt,key}` for `IP:127.0.0.1,DNS:localhost`
/// and `wrong.{crt,key}` for `DNS:wrong.example` only; and `other-ca.crt`,
/// an unrelated CA. ECDSA P-256 with SHA-256 signatures, which channel
/// binding (tls-server-end-point) supports.
#[derive(Debug)]
pub struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    /// Makes the certificates, or says why it cannot (`openssl` missing).
    pub fn make() -> Result<Pki, String> {
        if !crate::have_program("openssl") {
            return Err("openssl missing".into());
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let d = dir.path();
        let openssl = |args: &[&str]| -> Result<(), String> {
            let o = Command::new("openssl")
                .current_dir(d)
                .args(args)
                .output()
                .map_err(|e| e.to_string())?;
            o.status.success().then_some(()).ok_or_else(|| {
                format!(
                    "openssl {}: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&o.stderr)
                )
            })
        };
        let key = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        for ca in ["ca", "other-ca"] {
            let (k, c, subj) = (
                format!("{ca}.key"),
                format!("{ca}.crt"),
                format!("/CN=secrets test {ca}"),
            );
            let mut args = vec!["req", "-x509"];
            args.extend(key);
            args.extend(["-keyout", &k, "-out", &c, "-days", "2", "-subj", &subj]);
            openssl(&args)?;
        }
        for (leaf, san) in [
            ("server", "IP:127.0.0.1,DNS:localhost"),
            ("wrong", "DNS:wrong.example"),
        ] {
            // webpki refuses a leaf that says it is a CA.
            let ext = format!(
                "basicConstraints=critical,CA:FALSE\nsubjectAltName={san}\nextendedKeyUsage=serverAuth\n"
            );
            std::fs::write(d.join(format!("{leaf}.ext")), ext).map_err(|e| e.to_string())?;
            let (k, csr, c, e) = (
                format!("{leaf}.key"),
                format!("{leaf}.csr"),
                format!("{leaf}.crt"),
                format!("{leaf}.ext"),
            );
            let mut args = vec!["req", "-new"];
            args.extend(key);
            args.extend([
                "-keyout",
                &k,
                "-out",
                &csr,
                "-subj",
                "/CN=secrets test server",
            ]);
            openssl(&args)?;
            openssl(&[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &c,
                "-days",
                "2",
                "-extfile",
                &e,
            ])?;
        }
        Ok(Pki { dir })
    }

    /// A file of the set, such as `ca.crt`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}
