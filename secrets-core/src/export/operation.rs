//! Exporting a `.env` in one call: what `secrets export` does, for any
//! deploy tool. The file (age-encrypted or not) is read, its secret values
//! selected, and they go to Docker Swarm, Compose files or a Kubernetes
//! manifest.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::compose::{self, ComposeExport};
use super::swarm::{self, Docker, SwarmOptions, SwarmReport};
use super::{k8s, select, ExportError};
use crate::keys::AgeKeys;
use crate::secure_file::{Change, Owner, SecureFile, WriteOptions};
use crate::stack::Stack;

/// Where the values go.
#[derive(Debug)]
#[non_exhaustive]
pub enum Destination {
    /// Docker Swarm secrets, through the docker CLI.
    Swarm {
        /// The docker CLI.
        docker: Docker,
        /// The secret name prefix; default the stack's name, else the
        /// `.env`'s directory name, in lower case.
        prefix: Option<String>,
        /// Services to rewire to the new secrets.
        services: Vec<String>,
        /// Remove the older versions of the exported keys nothing uses.
        prune: bool,
        /// Report only: nothing is created, rewired or removed.
        dry_run: bool,
        /// The owner of the secret in the container; default the manifest's.
        uid: Option<u32>,
        /// Its group; default the manifest's.
        gid: Option<u32>,
    },
    /// One file per secret in `dir`, written with `options` (created with
    /// the directory when missing; the owner defaults to the manifest's).
    Compose {
        /// The directory.
        dir: PathBuf,
        /// How each file is written.
        options: WriteOptions,
    },
    /// A Kubernetes `Secret`; returned, or written to a file.
    K8s {
        /// The object's name.
        name: String,
        /// Its namespace.
        namespace: Option<String>,
        /// The file to write it to (0600), and how.
        out: Option<(PathBuf, WriteOptions)>,
    },
}

/// What to export.
#[derive(Debug)]
#[non_exhaustive]
pub struct ExportRequest<'a> {
    /// The manifest's stack: with one, its literals are no secrets.
    pub stack: Option<&'a Stack>,
    /// The `.env` (or `.env.age`).
    pub env: PathBuf,
    /// Only these keys (default every secret value).
    pub keys: Vec<String>,
    /// The identities for an age-encrypted `.env`.
    pub age: AgeKeys,
    /// Where the values go.
    pub destination: Destination,
    /// The time, for the secrets' creation labels.
    pub now: std::time::SystemTime,
    /// Report what would be written and write nothing (Compose files, a
    /// Kubernetes manifest file; Swarm has its own `dry_run`).
    pub dry_run: bool,
}

impl<'a> ExportRequest<'a> {
    /// An export of every secret value of `env`, with the clock's time.
    pub fn new(stack: Option<&'a Stack>, env: impl Into<PathBuf>, to: Destination) -> Self {
        ExportRequest {
            stack,
            env: env.into(),
            keys: Vec::new(),
            age: AgeKeys::default(),
            destination: to,
            now: std::time::SystemTime::now(),
            dry_run: false,
        }
    }
}

/// What the destination got.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// Swarm secrets created, kept, rewired and pruned.
    Swarm(SwarmReport),
    /// Compose files written.
    Compose(ComposeExport),
    /// The Kubernetes manifest (it holds the values, in base64).
    K8sManifest(Zeroizing<String>),
    /// The Kubernetes manifest was written to this file (with a dry run,
    /// would be), with what changed there.
    K8sFile(PathBuf, Vec<Change>),
}

/// What an export did. The manifest of [`Outcome::K8sManifest`] holds
/// values; nothing else does.
#[derive(Debug)]
#[non_exhaustive]
pub struct ExportReport {
    /// A dry run: nothing was created, written or removed; the report
    /// says what would be.
    pub dry_run: bool,
    /// Keys left out because they are empty in the file.
    pub left_empty: Vec<String>,
    /// What the destination got.
    pub outcome: Outcome,
}

/// Reads, selects and exports; see the module docs.
///
/// ```
/// use std::os::unix::fs::DirBuilderExt;
/// use secrets_core::export::{export_env, Destination, ExportRequest, Outcome};
/// use secrets_core::secure_file::{SecureFile, WriteOptions};
///
/// let dir = std::env::temp_dir().join(format!("export-env-doc-{}", std::process::id()));
/// std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
/// let env = dir.join(".env");
/// SecureFile::open(&env, WriteOptions::default())?.lock()?.replace(b"API_TOKEN=abc\nEMPTY=\n")?;
///
/// let to = Destination::K8s { name: "app".into(), namespace: None, out: None };
/// let report = export_env(ExportRequest::new(None, &env, to))?;
/// assert_eq!(report.left_empty, ["EMPTY"]);
/// let Outcome::K8sManifest(yaml) = report.outcome else { unreachable!() };
/// assert!(yaml.contains("\"API_TOKEN\": YWJj"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn export_env(request: ExportRequest<'_>) -> Result<ExportReport, ExportError> {
    let ExportRequest {
        stack,
        env,
        keys,
        age,
        destination,
        now,
        dry_run,
    } = request;
    let doc = (age.read_env_held(&env)?).ok_or_else(|| ExportError::NoFile(env.clone()))?;
    let selection = select(&doc, stack, &keys)?;
    drop(doc);
    let (values, left_empty) = (selection.values, selection.left_empty);
    if values.is_empty() {
        return Err(ExportError::NoValues {
            path: env.clone(),
            left_empty,
        });
    }
    let manifest_owner = stack.map_or((None, None), |s| s.secrets_owner);
    let dry_run = dry_run || matches!(destination, Destination::Swarm { dry_run: true, .. });
    let outcome = match destination {
        Destination::Swarm {
            docker,
            prefix,
            services,
            prune,
            dry_run,
            uid,
            gid,
        } => {
            let options = SwarmOptions {
                prefix: prefix.unwrap_or_else(|| default_prefix(stack, &env)),
                services,
                prune,
                dry_run,
                uid: uid.or(manifest_owner.0),
                gid: gid.or(manifest_owner.1),
                now,
            };
            Outcome::Swarm(swarm::export(&docker, &values, &options)?)
        }
        Destination::Compose { dir, mut options } => {
            if options.owner.is_none() && manifest_owner != (None, None) {
                let (uid, gid) = manifest_owner;
                options.owner = Some(Owner { uid, gid });
            }
            options.mkdir = true;
            let mut report = compose::export(&values, &dir, &options, dry_run)?;
            report.file_env = super::file_env_lines(&values, "/run/secrets");
            Outcome::Compose(report)
        }
        Destination::K8s {
            name,
            namespace,
            out,
        } => {
            let manifest = k8s::manifest(&values, &name, namespace.as_deref())?;
            drop(values);
            match out {
                Some((path, options)) if dry_run => {
                    let file = SecureFile::open(&path, options)?;
                    let changes = file.lock_to_inspect()?.planned_replace()?;
                    Outcome::K8sFile(path, changes)
                }
                Some((path, options)) => {
                    let file = SecureFile::open(&path, options)?;
                    let change = file.lock()?.replace(manifest.as_bytes())?;
                    Outcome::K8sFile(path, vec![change])
                }
                None => Outcome::K8sManifest(manifest),
            }
        }
    };
    Ok(ExportReport {
        dry_run,
        left_empty,
        outcome,
    })
}

/// The stack's name, else the name of the `.env`'s directory, as a secret
/// name prefix: lower case, other characters as `-`.
fn default_prefix(stack: Option<&Stack>, env: &Path) -> String {
    let name = stack.map(|s| s.name.clone()).unwrap_or_else(|| {
        std::fs::canonicalize(env)
            .ok()
            .and_then(|p| Some(p.parent()?.file_name()?.to_string_lossy().into_owned()))
            .unwrap_or_default()
    });
    let s: String = name
        .chars()
        .map(|c| match c.is_ascii_alphanumeric() {
            true => c.to_ascii_lowercase(),
            false => '-',
        })
        .collect();
    match s.trim_matches('-') {
        "" => "secrets".into(),
        s => s.to_owned(),
    }
}
