//! Docker Swarm secrets, through the docker CLI so that `DOCKER_HOST` and
//! docker contexts are honoured. Values go to `docker secret create` on
//! stdin, as their exact bytes: never in argv, never in the child's
//! environment.
//!
//! Swarm secrets are immutable, so each value gets a versioned name
//! `<prefix>_<key in lower case>_<version>`, the version derived from the
//! content: re-exporting unchanged values creates nothing.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use sha2::{Digest, Sha256};

use super::{target_name, ExportError, Exported};

/// The engine refuses secrets of 500 KiB or more.
pub const MAX_SECRET_BYTES: usize = 500 * 1024 - 1;

/// Longest secret name the engine accepts.
pub const MAX_NAME: usize = 64;

/// Label keys set on every secret created.
pub const LABEL_STACK: &str = "io.secrets.stack";
/// The variable a secret holds.
pub const LABEL_VAR: &str = "io.secrets.var";
/// Its content version.
pub const LABEL_VERSION: &str = "io.secrets.version";
/// When it was created (RFC 3339).
pub const LABEL_CREATED: &str = "io.secrets.created";

/// The docker CLI could not be run, or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DockerError {
    /// No `docker` program.
    #[error("docker is not installed or not on PATH")]
    NotInstalled,
    /// It could not be started (in the message: not a `source()` too).
    #[error("cannot run docker: {0}")]
    Spawn(std::io::Error),
    /// It exited with a failure.
    #[error("docker {command}: {line}")]
    Failed {
        /// The docker command (`secret`, `service`, `info`).
        command: String,
        /// How it exited.
        status: std::process::ExitStatus,
        /// The first line of its stderr.
        line: String,
    },
    /// A service to rewire does not exist.
    #[error("service `{0}` does not exist (docker service inspect failed)")]
    NoService(String),
    /// `docker service inspect` printed what is not its JSON (in the
    /// message: not a `source()` too).
    #[error("unexpected docker service inspect output: {0}")]
    Output(serde_json::Error),
    /// This node is not a swarm manager.
    #[error("this node is not in a swarm (state: {0}); run `docker swarm init` or point DOCKER_HOST at a manager")]
    NotInSwarm(String),
}

/// The docker CLI.
#[derive(Debug, Clone)]
pub struct Docker {
    program: PathBuf,
}

impl Default for Docker {
    fn default() -> Self {
        Docker {
            program: PathBuf::from("docker"),
        }
    }
}

impl Docker {
    /// A docker CLI at another path.
    pub fn at(program: impl Into<PathBuf>) -> Self {
        Docker {
            program: program.into(),
        }
    }

    /// Runs `docker ARGS`, feeding `stdin`; returns stdout, or the first
    /// line of stderr as the error.
    fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> Result<String, DockerError> {
        let out = crate::child::run(Command::new(&self.program).args(args), stdin).map_err(
            |e| match e.kind() {
                std::io::ErrorKind::NotFound => DockerError::NotInstalled,
                _ => DockerError::Spawn(e),
            },
        )?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let line = err.lines().map(str::trim).find(|l| !l.is_empty());
            return Err(DockerError::Failed {
                command: args.first().copied().unwrap_or("").to_owned(),
                status: out.status,
                line: line.unwrap_or("failed").to_owned(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// How to export. The default: no prefix, services, pruning or owner,
/// written, at the clock's time.
#[derive(Debug, Clone)]
pub struct SwarmOptions {
    /// Name prefix and stack label.
    pub prefix: String,
    /// Services to rewire to the new versions.
    pub services: Vec<String>,
    /// Remove this stack's versions no service uses.
    pub prune: bool,
    /// Plan only.
    pub dry_run: bool,
    /// uid of the files in the containers.
    pub uid: Option<u32>,
    /// gid of the files in the containers.
    pub gid: Option<u32>,
    /// The time, for the creation label.
    pub now: std::time::SystemTime,
}

impl Default for SwarmOptions {
    fn default() -> Self {
        SwarmOptions {
            prefix: String::new(),
            services: Vec::new(),
            prune: false,
            dry_run: false,
            uid: None,
            gid: None,
            now: std::time::SystemTime::now(),
        }
    }
}

/// What an export did (or, dry, would do).
#[derive(Debug, Default)]
pub struct SwarmReport {
    /// Secrets created, by name.
    pub created: Vec<String>,
    /// Secrets already there with the same content.
    pub unchanged: Vec<String>,
    /// `service: old -> new` rewirings.
    pub rewired: Vec<String>,
    /// Old versions removed.
    pub pruned: Vec<String>,
    /// The `secrets:` stanza for `docker stack deploy`.
    pub stanza: String,
    /// `_FILE` variables for the images that read them.
    pub file_env: Vec<String>,
}

/// The content version: 8 hex digits of a domain-separated SHA-256. Only 32
/// bits, so the name says which version a value is without serving as a
/// useful hash of it.
pub fn version(prefix: &str, key: &str, value: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"secrets-swarm-v1\0");
    h.update(prefix.as_bytes());
    h.update(b"\0");
    h.update(key.as_bytes());
    h.update(b"\0");
    h.update(value);
    hex::encode(&h.finalize()[..4])
}

/// Whether the engine accepts `name`: `[a-zA-Z0-9]` at both ends,
/// `[a-zA-Z0-9-_.]` inside, at most 64 characters.
pub fn valid_secret_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_NAME
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c))
}

/// The versioned name of a value.
pub fn secret_name(prefix: &str, key: &str, value: &[u8]) -> Result<String, ExportError> {
    let name = format!(
        "{prefix}_{}_{}",
        target_name(key),
        version(prefix, key, value)
    );
    if valid_secret_name(&name) {
        Ok(name)
    } else {
        Err(ExportError::InvalidName(format!(
            "`{name}` is not a valid swarm secret name (at most {MAX_NAME} of [a-zA-Z0-9-_.], alphanumeric at both ends); choose a shorter --prefix"
        )))
    }
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SecretRef {
    secret_name: String,
    file: Option<SecretFile>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SecretFile {
    name: String,
    #[serde(rename = "UID")]
    uid: Option<String>,
    #[serde(rename = "GID")]
    gid: Option<String>,
}

fn service_secrets(docker: &Docker, service: &str) -> Result<Vec<SecretRef>, ExportError> {
    let out = docker
        .run(
            &[
                "service",
                "inspect",
                "--format",
                "{{json .Spec.TaskTemplate.ContainerSpec.Secrets}}",
                service,
            ],
            None,
        )
        .map_err(|_| DockerError::NoService(service.to_owned()))?;
    let text = out.trim();
    if text == "null" || text.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str(text).map_err(|e| DockerError::Output(e).into())
}

/// This stack's secrets (by the stack label), each with the variable its
/// label names: one listing call. Versions are told apart by these labels,
/// never by a name prefix (`peak_db_` is also the start of `peak_db_password_`).
fn stack_secrets(docker: &Docker, prefix: &str) -> Result<Vec<(String, String)>, ExportError> {
    let label = format!("label={LABEL_STACK}={prefix}");
    let format = format!("{{{{.Name}}}}\t{{{{.Label \"{LABEL_VAR}\"}}}}");
    let out = docker.run(
        &["secret", "ls", "--filter", &label, "--format", &format],
        None,
    )?;
    Ok(out
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(name, var)| (name.to_owned(), var.to_owned()))
        .collect())
}

/// Exports the values: one listing call, then one creation per new value;
/// then rewires services and prunes. A failed creation stops everything and
/// names what was created before it.
pub fn export(
    docker: &Docker,
    exported: &[Exported],
    options: &SwarmOptions,
) -> Result<SwarmReport, ExportError> {
    if !valid_secret_name(&options.prefix) {
        return Err(ExportError::InvalidName(format!(
            "`{}` is not a valid secret name prefix",
            options.prefix
        )));
    }
    let mut planned = Vec::new();
    for e in exported {
        let len = e.value.expose().len();
        if len == 0 || len > MAX_SECRET_BYTES {
            return Err(ExportError::Size {
                key: e.key.clone(),
                why: format!("{len} bytes; swarm secrets hold 1 to {MAX_SECRET_BYTES} bytes"),
            });
        }
        planned.push((
            e,
            secret_name(&options.prefix, &e.key, e.value.expose().as_bytes())?,
        ));
    }

    let state = docker.run(&["info", "--format", "{{.Swarm.LocalNodeState}}"], None)?;
    if state.trim() != "active" {
        return Err(DockerError::NotInSwarm(state.trim().to_owned()).into());
    }
    // Every service must exist before anything is created.
    let mut refs = Vec::new();
    for s in &options.services {
        refs.push((s.clone(), service_secrets(docker, s)?));
    }

    let listed = stack_secrets(docker, &options.prefix)?;
    let existing: BTreeSet<&str> = listed.iter().map(|(n, _)| n.as_str()).collect();
    let var_of = |secret: &str| {
        listed
            .iter()
            .find(|(n, _)| n == secret)
            .map(|(_, v)| v.as_str())
    };

    let mut report = SwarmReport::default();
    let created_at = crate::rfc3339_seconds(options.now);
    for (e, name) in &planned {
        if existing.contains(name.as_str()) {
            report.unchanged.push(name.clone());
            continue;
        }
        if !options.dry_run {
            let labels = [
                format!("{LABEL_STACK}={}", options.prefix),
                format!("{LABEL_VAR}={}", e.key),
                format!(
                    "{LABEL_VERSION}={}",
                    version(&options.prefix, &e.key, e.value.expose().as_bytes())
                ),
                format!("{LABEL_CREATED}={created_at}"),
            ];
            let mut args = vec!["secret", "create"];
            for l in &labels {
                args.extend(["--label", l.as_str()]);
            }
            args.extend([name.as_str(), "-"]);
            if let Err(error) = docker.run(&args, Some(e.value.expose().as_bytes())) {
                return Err(if report.created.is_empty() {
                    error.into()
                } else {
                    ExportError::Partial {
                        created: report.created,
                        error: Box::new(error.into()),
                    }
                });
            }
        }
        report.created.push(name.clone());
    }

    for (service, current) in &refs {
        let mut args: Vec<String> = vec!["service".into(), "update".into(), "--detach".into()];
        for (e, name) in &planned {
            for old in current.iter().filter(|r| {
                var_of(&r.secret_name) == Some(e.key.as_str()) && &r.secret_name != name
            }) {
                let target = old
                    .file
                    .as_ref()
                    .map_or_else(|| target_name(&e.key), |f| f.name.clone());
                let uid = options
                    .uid
                    .map(|u| u.to_string())
                    .or_else(|| old.file.as_ref().and_then(|f| f.uid.clone()))
                    .unwrap_or("0".into());
                let gid = options
                    .gid
                    .map(|g| g.to_string())
                    .or_else(|| old.file.as_ref().and_then(|f| f.gid.clone()))
                    .unwrap_or("0".into());
                args.extend(["--secret-rm".into(), old.secret_name.clone()]);
                args.extend([
                    "--secret-add".into(),
                    format!("source={name},target={target},uid={uid},gid={gid},mode=0400"),
                ]);
                report
                    .rewired
                    .push(format!("{service}: {} -> {name}", old.secret_name));
            }
        }
        if args.len() > 3 && !options.dry_run {
            args.push(service.clone());
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            docker.run(&a, None)?;
        }
    }

    if options.prune {
        let current: BTreeSet<&str> = planned.iter().map(|(_, n)| n.as_str()).collect();
        let services: Vec<String> = docker
            .run(&["service", "ls", "--format", "{{.Name}}"], None)?
            .lines()
            .map(str::to_owned)
            .collect();
        let mut used = BTreeSet::new();
        if !services.is_empty() {
            let mut args = vec![
                "service",
                "inspect",
                "--format",
                "{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}} {{end}}",
            ];
            args.extend(services.iter().map(String::as_str));
            used.extend(
                docker
                    .run(&args, None)?
                    .split_whitespace()
                    .map(str::to_owned),
            );
        }
        // Only older versions of the keys exported now: another key's
        // current secret is never touched.
        let keys: BTreeSet<&str> = planned.iter().map(|(e, _)| e.key.as_str()).collect();
        let all = stack_secrets(docker, &options.prefix)?;
        let stale: Vec<&str> = all
            .iter()
            .filter(|(_, var)| keys.contains(var.as_str()))
            .map(|(n, _)| n.as_str())
            .filter(|n| !current.contains(n) && !used.contains(*n))
            .collect();
        if !stale.is_empty() && !options.dry_run {
            let mut args = vec!["secret", "rm"];
            args.extend(&stale);
            docker.run(&args, None)?;
        }
        report.pruned = stale.into_iter().map(str::to_owned).collect();
    }

    report.stanza = String::from("secrets:\n");
    for (e, name) in &planned {
        report.stanza.push_str(&format!(
            "  {}:\n    external: true\n    name: {name}\n",
            target_name(&e.key)
        ));
    }
    report.file_env = super::file_env_lines(exported, "/run/secrets");
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_checked_before_docker_runs() {
        let big = Exported {
            key: "BIG".into(),
            value: crate::SecretValue::new("x".repeat(MAX_SECRET_BYTES + 1)),
            file_env: None,
        };
        let options = SwarmOptions {
            prefix: "p".into(),
            ..SwarmOptions::default()
        };
        let e = export(&Docker::at("/nonexistent/docker"), &[big], &options)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "BIG: 512000 bytes; swarm secrets hold 1 to 511999 bytes");
        let empty = Exported {
            key: "E".into(),
            value: crate::SecretValue::new(String::new()),
            file_env: None,
        };
        assert!(export(&Docker::at("/nonexistent/docker"), &[empty], &options).is_err());
    }

    #[test]
    fn names() {
        assert!(valid_secret_name("peak_postgres_password_0a1b2c3d"));
        assert!(
            !valid_secret_name("_x")
                && !valid_secret_name("x_")
                && !valid_secret_name("a b")
                && !valid_secret_name(&"a".repeat(65))
        );
        let n = secret_name("peak", "POSTGRES_PASSWORD", b"v").unwrap();
        assert!(
            n.starts_with("peak_postgres_password_")
                && n.len() == "peak_postgres_password_".len() + 8
        );
        assert_eq!(
            n,
            secret_name("peak", "POSTGRES_PASSWORD", b"v").unwrap(),
            "stable"
        );
        assert_ne!(
            n,
            secret_name("peak", "POSTGRES_PASSWORD", b"w").unwrap(),
            "content-derived"
        );
        assert!(secret_name(&"p".repeat(50), "A_VERY_LONG_VARIABLE_NAME", b"v").is_err());
    }
}
