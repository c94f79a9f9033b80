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

/// A service's reference to a secret, as the engine lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct SecretRef {
    /// The secret's name.
    pub secret_name: String,
    /// Where it is mounted, when it is a file.
    pub file: Option<SecretFile>,
}

/// The file a service's secret is mounted as.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct SecretFile {
    /// The file name under `/run/secrets`.
    pub name: String,
    /// Its owner in the container.
    #[serde(rename = "UID")]
    pub uid: Option<String>,
    /// Its group in the container.
    #[serde(rename = "GID")]
    pub gid: Option<String>,
}

impl SecretRef {
    /// A reference to `secret_name`, mounted as `file` when given.
    pub fn new(secret_name: impl Into<String>, file: Option<SecretFile>) -> Self {
        SecretRef {
            secret_name: secret_name.into(),
            file,
        }
    }
}

impl SecretFile {
    /// The file `name`, owned by `uid:gid` when given.
    pub fn new(name: impl Into<String>, uid: Option<u32>, gid: Option<u32>) -> Self {
        SecretFile {
            name: name.into(),
            uid: uid.map(|u| u.to_string()),
            gid: gid.map(|g| g.to_string()),
        }
    }
}

/// What the engine holds that a plan depends on. Read from a running engine
/// with [`SwarmListing::read`]; built by a caller from its own records; or
/// empty ([`Default`]) for a first export, so that a plan needs no engine.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SwarmListing {
    /// This stack's secrets (by its label): name and the variable it holds.
    pub secrets: Vec<(String, String)>,
    /// The secret references of each service to rewire.
    pub services: Vec<(String, Vec<SecretRef>)>,
    /// The secrets services use, one entry per service using one (only
    /// needed to prune: a version is pruned once no service uses it after
    /// the rewiring).
    pub in_use: Vec<String>,
}

impl SwarmListing {
    /// An empty listing: a first export, nothing to rewire or prune.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a secret of this stack, holding `variable`.
    pub fn with_secret(mut self, name: impl Into<String>, variable: impl Into<String>) -> Self {
        self.secrets.push((name.into(), variable.into()));
        self
    }

    /// Adds a service to rewire and its current references (which count as
    /// in use).
    pub fn with_service(mut self, name: impl Into<String>, refs: Vec<SecretRef>) -> Self {
        self.in_use
            .extend(refs.iter().map(|r| r.secret_name.clone()));
        self.services.push((name.into(), refs));
        self
    }

    /// Reads what `options` needs from the engine: that it is a swarm
    /// manager, the stack's secrets (one listing call), each service of
    /// `options.services` (each must exist) and, to prune, the secrets every
    /// service uses.
    pub fn read(docker: &Docker, options: &SwarmOptions) -> Result<Self, ExportError> {
        let state = docker.run(&["info", "--format", "{{.Swarm.LocalNodeState}}"], None)?;
        if state.trim() != "active" {
            return Err(DockerError::NotInSwarm(state.trim().to_owned()).into());
        }
        let mut listing = SwarmListing::default();
        for s in &options.services {
            listing
                .services
                .push((s.clone(), service_secrets(docker, s)?));
        }
        listing.secrets = stack_secrets(docker, &options.prefix)?;
        if options.prune {
            let services: Vec<String> = docker
                .run(&["service", "ls", "--format", "{{.Name}}"], None)?
                .lines()
                .map(str::to_owned)
                .collect();
            if !services.is_empty() {
                let mut args = vec![
                    "service",
                    "inspect",
                    "--format",
                    "{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}} {{end}}",
                ];
                args.extend(services.iter().map(String::as_str));
                // One word per secret per service.
                listing.in_use.extend(
                    docker
                        .run(&args, None)?
                        .split_whitespace()
                        .map(str::to_owned),
                );
            }
        }
        Ok(listing)
    }
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

/// What an export will do, computed from a listing without the engine:
/// the report it will give, and the engine calls that carry it out. Holds
/// names, never values.
#[derive(Debug)]
#[non_exhaustive]
pub struct SwarmPlan {
    /// What the export does (as a dry run reports it).
    pub report: SwarmReport,
    /// Each service's `docker service update` arguments.
    updates: Vec<(String, Vec<String>)>,
    /// The index in `exported` and the name of each secret to create.
    creations: Vec<(usize, String)>,
}

/// Plans the export of `exported` against `listing`: which versioned
/// secrets to create and which exist, which services to rewire, what to
/// prune. Runs nothing, so it works without an engine.
pub fn plan(
    exported: &[Exported],
    listing: &SwarmListing,
    options: &SwarmOptions,
) -> Result<SwarmPlan, ExportError> {
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
    let existing: BTreeSet<&str> = listing.secrets.iter().map(|(n, _)| n.as_str()).collect();
    let var_of = |secret: &str| {
        listing
            .secrets
            .iter()
            .find(|(n, _)| n == secret)
            .map(|(_, v)| v.as_str())
    };

    let mut report = SwarmReport::default();
    let mut creations = Vec::new();
    for (i, (_, name)) in planned.iter().enumerate() {
        if existing.contains(name.as_str()) {
            report.unchanged.push(name.clone());
        } else {
            creations.push((i, name.clone()));
            report.created.push(name.clone());
        }
    }

    let mut updates = Vec::new();
    // Uses that the rewiring removes.
    let mut dropped: Vec<&str> = Vec::new();
    for service in &options.services {
        let current = listing
            .services
            .iter()
            .find(|(s, _)| s == service)
            .map_or(&[][..], |(_, refs)| refs.as_slice());
        let mut args: Vec<String> = Vec::new();
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
                dropped.push(&old.secret_name);
                args.extend([
                    "--secret-add".into(),
                    format!("source={name},target={target},uid={uid},gid={gid},mode=0400"),
                ]);
                report
                    .rewired
                    .push(format!("{service}: {} -> {name}", old.secret_name));
            }
        }
        if !args.is_empty() {
            updates.push((service.clone(), args));
        }
    }

    if options.prune {
        let current: BTreeSet<&str> = planned.iter().map(|(_, n)| n.as_str()).collect();
        // Only older versions of the keys exported now, that no service
        // uses once rewired: another key's current secret is never touched.
        let keys: BTreeSet<&str> = planned.iter().map(|(e, _)| e.key.as_str()).collect();
        report.pruned = listing
            .secrets
            .iter()
            .filter(|(_, var)| keys.contains(var.as_str()))
            .map(|(n, _)| n.as_str())
            .filter(|n| {
                let uses = listing.in_use.iter().filter(|u| u == n).count();
                let removed = dropped.iter().filter(|d| *d == n).count();
                !current.contains(n) && uses <= removed
            })
            .map(str::to_owned)
            .collect();
    }

    report.stanza = String::from("secrets:\n");
    for (e, name) in &planned {
        report.stanza.push_str(&format!(
            "  {}:\n    external: true\n    name: {name}\n",
            target_name(&e.key)
        ));
    }
    report.file_env = super::file_env_lines(exported, "/run/secrets");
    Ok(SwarmPlan {
        report,
        updates,
        creations,
    })
}

/// Carries `plan` out on the engine: one creation per new value (its bytes
/// on stdin), then the rewirings, then the pruning. A failed creation stops
/// everything and names what was created before it.
pub fn apply(
    docker: &Docker,
    plan: SwarmPlan,
    exported: &[Exported],
    options: &SwarmOptions,
) -> Result<SwarmReport, ExportError> {
    let created_at = crate::rfc3339_seconds(options.now);
    let mut created = Vec::new();
    for (i, name) in &plan.creations {
        let e = &exported[*i];
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
            return Err(if created.is_empty() {
                error.into()
            } else {
                ExportError::Partial {
                    created,
                    error: Box::new(error.into()),
                }
            });
        }
        created.push(name.clone());
    }
    for (service, args) in &plan.updates {
        let mut a: Vec<&str> = vec!["service", "update", "--detach"];
        a.extend(args.iter().map(String::as_str));
        a.push(service);
        docker.run(&a, None)?;
    }
    if !plan.report.pruned.is_empty() {
        let mut args = vec!["secret", "rm"];
        args.extend(plan.report.pruned.iter().map(String::as_str));
        docker.run(&args, None)?;
    }
    Ok(plan.report)
}

/// Exports the values: [`SwarmListing::read`] (one listing call), [`plan`],
/// then [`apply`] unless `options.dry_run`. Sizes and names are checked
/// before the engine is asked anything.
pub fn export(
    docker: &Docker,
    exported: &[Exported],
    options: &SwarmOptions,
) -> Result<SwarmReport, ExportError> {
    // Checked first, offline: a value the engine would refuse stops the
    // export before any call.
    plan(exported, &SwarmListing::default(), options)?;
    let listing = SwarmListing::read(docker, options)?;
    let plan = plan(exported, &listing, options)?;
    if options.dry_run {
        return Ok(plan.report);
    }
    apply(docker, plan, exported, options)
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

    fn value(key: &str, v: &str) -> Exported {
        Exported {
            key: key.into(),
            value: crate::SecretValue::new(v.into()),
            file_env: None,
        }
    }

    #[test]
    fn a_plan_needs_no_engine() {
        // Whatever DOCKER_HOST says, planning asks nothing of an engine.
        let values = [value("DB_PASSWORD", "new"), value("API_KEY", "same")];
        let options = SwarmOptions {
            prefix: "shop".into(),
            services: vec!["shop_api".into()],
            prune: true,
            ..SwarmOptions::default()
        };
        let first = plan(&values, &SwarmListing::new(), &options).unwrap();
        assert_eq!(first.report.created.len(), 2);
        assert!(first.report.rewired.is_empty() && first.report.pruned.is_empty());

        let old_db = secret_name("shop", "DB_PASSWORD", b"old").unwrap();
        let older_db = secret_name("shop", "DB_PASSWORD", b"older").unwrap();
        let api = secret_name("shop", "API_KEY", b"same").unwrap();
        let other = secret_name("shop", "OTHER", b"x").unwrap();
        let listing = SwarmListing::new()
            .with_secret(&old_db, "DB_PASSWORD")
            .with_secret(&older_db, "DB_PASSWORD")
            .with_secret(&api, "API_KEY")
            .with_secret(&other, "OTHER")
            .with_service(
                "shop_api",
                vec![
                    SecretRef::new(
                        &old_db,
                        Some(SecretFile::new("db_password", Some(70), Some(70))),
                    ),
                    SecretRef::new(&api, None),
                ],
            );
        let next = plan(&values, &listing, &options).unwrap();
        let new_db = secret_name("shop", "DB_PASSWORD", b"new").unwrap();
        assert_eq!(next.report.created, vec![new_db.clone()]);
        assert_eq!(next.report.unchanged, vec![api]);
        assert_eq!(
            next.report.rewired,
            vec![format!("shop_api: {old_db} -> {new_db}")]
        );
        assert_eq!(
            next.updates[0].1.last().unwrap(),
            &format!("source={new_db},target=db_password,uid=70,gid=70,mode=0400")
        );
        // Versions no service uses once rewired are pruned (the old one
        // shop_api used is replaced there); another key's secret is not.
        assert_eq!(next.report.pruned, vec![old_db.clone(), older_db]);
        // A version another service still uses stays.
        let mut shared = listing.clone();
        shared.in_use.push(old_db.clone()); // shop_worker's
        let kept = plan(&values, &shared, &options).unwrap();
        assert!(
            !kept.report.pruned.contains(&old_db),
            "{:?}",
            kept.report.pruned
        );
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
