//! A throwaway Docker engine in swarm mode for the export tests: `dockerd` on
//! a private socket in a temporary directory (vfs storage, no iptables, no
//! bridge), a one-node swarm, and a busybox image imported from Debian's
//! busybox-static (no registry is reachable). Stopped by its pid file on drop.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A running engine.
#[derive(Debug)]
pub struct Engine {
    dir: tempfile::TempDir,
    /// `unix://.../docker.sock`.
    pub host: String,
    // One engine at a time per test process: a swarm manager listens on
    // port 2377 on every interface, so two cannot run side by side.
    _one_at_a_time: std::sync::MutexGuard<'static, ()>,
}

static ONE_ENGINE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The image the tests run.
pub const IMAGE: &str = "secrets-test/busybox:1";

impl Engine {
    /// Starts an engine, or says why it cannot (`Err`, the reason the test
    /// skips for, such as `dockerd missing`).
    pub fn start() -> Result<Engine, String> {
        // A test that panicked while holding it poisons nothing we rely on.
        let serial = ONE_ENGINE.lock().unwrap_or_else(|e| e.into_inner());
        for p in ["dockerd", "docker"] {
            if !crate::have_program(p) {
                return Err(format!("{p} missing"));
            }
        }
        if !crate::is_root() {
            return Err("root missing (dockerd needs it)".into());
        }
        let busybox = Path::new("/bin/busybox");
        if !busybox.exists() {
            return Err("busybox-static missing (/bin/busybox)".into());
        }
        let dir = tempfile::Builder::new()
            .prefix("dk")
            .tempdir_in("/tmp")
            .map_err(|e| e.to_string())?;
        let d = dir.path();
        let host = format!("unix://{}/docker.sock", d.display());
        let log = std::fs::File::create(d.join("dockerd.log")).map_err(|e| e.to_string())?;
        Command::new("setsid")
            .arg("dockerd")
            .arg("--host")
            .arg(&host)
            .arg("--data-root")
            .arg(d.join("data"))
            .arg("--exec-root")
            .arg(d.join("exec"))
            .arg("--pidfile")
            .arg(d.join("docker.pid"))
            .args([
                "--iptables=false",
                "--ip6tables=false",
                "--bridge=none",
                "--storage-driver=vfs",
            ])
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start dockerd: {e}"))?;
        let engine = Engine {
            dir,
            host,
            _one_at_a_time: serial,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !engine
            .docker()
            .arg("info")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(engine.dir.path().join("dockerd.log"))
                    .unwrap_or_default();
                return Err(format!(
                    "dockerd did not answer within 60 s: {}",
                    log.lines().last().unwrap_or("")
                ));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        engine.ok(&["swarm", "init", "--advertise-addr", "127.0.0.1"])?;
        let rootfs = engine.dir.path().join("rootfs/bin");
        std::fs::create_dir_all(&rootfs).map_err(|e| e.to_string())?;
        std::fs::copy(busybox, rootfs.join("busybox")).map_err(|e| e.to_string())?;
        for tool in ["sh", "cat", "sha256sum", "sleep"] {
            std::os::unix::fs::symlink("busybox", rootfs.join(tool)).map_err(|e| e.to_string())?;
        }
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "tar -C '{}' -c . | docker import - {IMAGE} >/dev/null",
                engine.dir.path().join("rootfs").display()
            ))
            .env("DOCKER_HOST", &engine.host)
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err("docker import of the busybox image failed".into());
        }
        Ok(engine)
    }

    /// A docker command aimed at this engine.
    pub fn docker(&self) -> Command {
        let mut c = Command::new("docker");
        c.env("DOCKER_HOST", &self.host);
        c
    }

    /// Runs docker and returns stdout; Err with stderr on failure.
    pub fn ok(&self, args: &[&str]) -> Result<String, String> {
        let o = self
            .docker()
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        if !o.status.success() {
            return Err(format!(
                "docker {args:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&o.stdout).into_owned())
    }

    /// The engine's directory.
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.docker().args(["swarm", "leave", "--force"]).output();
        let pidfile = self.dir.path().join("docker.pid");
        if let Ok(pid) = std::fs::read_to_string(&pidfile) {
            let _ = Command::new("kill").arg(pid.trim()).status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while pidfile.exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        // dockerd leaves network namespaces mounted under its exec root.
        let prefix = self.dir.path().to_string_lossy().into_owned();
        let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
        let mut points: Vec<&str> = mounts
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1))
            .filter(|m| m.starts_with(&prefix))
            .collect();
        points.sort_by_key(|p| std::cmp::Reverse(p.len()));
        for m in points {
            let _ = Command::new("umount").arg("-l").arg(m).status();
        }
        // vfs layers can hold many files; remove them the fast way.
        let _ = Command::new("rm").arg("-rf").arg(self.dir.path()).status();
    }
}
