//! The pre-deploy gate: find the files that hold secrets under some
//! directories and check that they are private, owned right, kept out of git
//! and out of Docker images, and that compose files and Dockerfiles do not
//! hold secrets themselves. One file per rule; findings never hold a value.

pub mod baseline;
mod compose_literal;
mod compose_ports;
mod described;
mod directory_mode;
mod docker_context;
mod dockerfile;
mod dockerfile_copy;
mod dockerfile_secret;
mod dockerignore;
mod file_mode;
mod file_owner;
mod fix;
mod git;
mod ignore_pattern;
mod journal;
mod kept;
mod outside_reference;
mod plaintext_sibling;
mod reference;
mod same_file;
mod scope;
mod secret_link;
mod template_secret;
mod unmatched_manifest;
mod unreadable;
mod walk;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use fix::Applied;
pub use walk::Tree;

use crate::check::{check_env, EnvContext, Finding, Rule, RuleId, Severity};
use crate::envfile::Document;
use crate::secure_file::Owner;
use crate::stack::Stack;

/// What to audit.
#[derive(Debug)]
#[non_exhaustive]
pub struct AuditOptions<'a> {
    /// Directories (or files) to walk.
    pub roots: Vec<PathBuf>,
    /// The owner secret files must have.
    pub owner: Option<Owner>,
    /// Manifests: every check rule runs on each `.env` a manifest describes
    /// ([`Stack::env_files`]), with that manifest; the first one given wins
    /// where two describe the same file. A `.env` no manifest describes gets
    /// the audit rules only, as [`crate::check`] would be run on it apart.
    /// When manifests are given and none describes a `.env` the audit
    /// found, an SA022 finding (high) says no value was checked.
    pub manifests: Vec<&'a Stack>,
    /// The directory relative `env_files` of a manifest without one
    /// ([`Stack::dir`] is `None`: parsed from text) are taken from. Without
    /// it such a manifest is an error
    /// ([`AuditError::ManifestWithoutDirectory`]), never the working
    /// directory guessed.
    pub manifest_dir: Option<PathBuf>,
    /// The time (rotation ages, token expiry).
    pub now: std::time::SystemTime,
    /// The most bytes of compose files, Dockerfiles, templates and ignore
    /// files the audit keeps in memory, all roots together ([`KEPT_BYTES`]
    /// by default). Each file is read once however many names (hard links)
    /// it has; past the cap, files are left unread and an SA020 finding
    /// ("tree too large to check fully", high) says which.
    pub kept_bytes: u64,
    /// Counts the directory entries walked, for a progress line.
    pub progress: Option<Arc<std::sync::atomic::AtomicU64>>,
}

/// The default of [`AuditOptions::kept_bytes`]: 64 MiB, sixteen compose
/// files at the 4 MiB limit of one (real stacks keep a few KiB).
pub const KEPT_BYTES: u64 = 64 << 20;

impl<'a> AuditOptions<'a> {
    /// An audit of `roots` with no manifest and no expected owner.
    pub fn new(roots: Vec<PathBuf>, now: std::time::SystemTime) -> Self {
        AuditOptions {
            roots,
            owner: None,
            manifests: Vec::new(),
            manifest_dir: None,
            now,
            kept_bytes: KEPT_BYTES,
            progress: None,
        }
    }

    /// With the expected owner of secret files ([`AuditOptions::owner`]).
    pub fn owner(mut self, owner: Owner) -> Self {
        self.owner = Some(owner);
        self
    }

    /// With the manifests whose `.env` files get the check rules
    /// ([`AuditOptions::manifests`]).
    pub fn manifests(mut self, manifests: Vec<&'a Stack>) -> Self {
        self.manifests = manifests;
        self
    }

    /// With the directory of manifests parsed from text
    /// ([`AuditOptions::manifest_dir`]).
    pub fn manifest_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.manifest_dir = Some(dir.into());
        self
    }

    /// With another memory cap ([`AuditOptions::kept_bytes`]).
    pub fn kept_bytes(mut self, bytes: u64) -> Self {
        self.kept_bytes = bytes;
        self
    }
}

/// An audit that could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// A root does not exist.
    #[error("{}: no such file or directory", .0.display())]
    MissingRoot(PathBuf),
    /// A manifest has no directory (it was parsed from text, not loaded
    /// from a file) and names its `.env` files relative to one: give it
    /// with [`Stack::with_dir`] or [`AuditOptions::manifest_dir`].
    #[error("the manifest of stack \"{stack}\" has no directory to take its relative env_files from (give one with Stack::with_dir or AuditOptions::manifest_dir)")]
    ManifestWithoutDirectory {
        /// The stack's name.
        stack: String,
    },
    /// A root could not be opened or listed.
    #[error(transparent)]
    Read(#[from] crate::safe_fs::FsError),
}

/// What an audit found, with the handles of the trees it walked (the only
/// way `--fix` reaches a file).
#[derive(Debug, Default)]
pub struct AuditReport {
    /// Every finding, sorted by path and line.
    pub findings: Vec<Finding>,
    /// The secret-bearing files examined.
    pub files: Vec<PathBuf>,
    trees: Vec<Tree>,
}

impl AuditReport {
    /// Applies the safe fixes of the findings, each once, through the
    /// handles of the audited trees. `owner` is the expected owner of
    /// secret files (`--owner`): files it owns may be repaired too.
    pub fn apply_fixes(&self, owner: Option<Owner>) -> Vec<Applied> {
        fix::apply_fixes(&self.trees, &self.findings, owner, false)
    }

    /// `audit --fix --dry-run`: what [`AuditReport::apply_fixes`] would
    /// do, each file opened and checked as for the repair (a fix that would
    /// be refused carries its error), and nothing changed.
    pub fn planned_fixes(&self, owner: Option<Owner>) -> Vec<Applied> {
        fix::apply_fixes(&self.trees, &self.findings, owner, true)
    }

    /// `secrets audit --fix`: applies the safe fixes (for
    /// `options.owner`), then audits again with the same options. Returns
    /// what remains and what each fix did.
    pub fn fix(
        &self,
        options: &AuditOptions<'_>,
    ) -> Result<(AuditReport, Vec<Applied>), AuditError> {
        let applied = self.apply_fixes(options.owner);
        Ok((audit(options)?, applied))
    }

    /// The findings as SARIF 2.1.0 with every rule's metadata; locations
    /// are relative to the first root walked (resolved to an absolute path
    /// so that code-scanning tools can map them).
    pub fn to_sarif(&self) -> serde_json::Value {
        let absolute = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
        let base = self
            .trees
            .first()
            .map_or_else(|| absolute(Path::new(".")), |t| absolute(&t.root));
        let findings: Vec<Finding> = self
            .findings
            .iter()
            .cloned()
            .map(|mut f| {
                f.path = absolute(&f.path);
                f
            })
            .collect();
        crate::report::to_sarif(&findings, &crate::report::all_rules(), &base)
    }
}

/// Every audit rule, for SARIF rule metadata.
pub fn rules() -> Vec<&'static Rule> {
    vec![
        &file_mode::RULE,
        &file_owner::RULE,
        &directory_mode::RULE,
        &git::RULE_NOT_IGNORED,
        &git::RULE_TRACKED,
        &git::RULE_HISTORY,
        &docker_context::RULE,
        &dockerfile_copy::RULE,
        &dockerfile_secret::RULE,
        &compose_literal::RULE,
        &compose_ports::RULE,
        &template_secret::RULE,
        &unreadable::RULE,
        &git::RULE_UNAVAILABLE,
        &outside_reference::RULE,
        &journal::RULE,
        &plaintext_sibling::RULE,
        &unmatched_manifest::RULE,
        &secret_link::RULE,
        &kept::RULE,
        &same_file::RULE,
        &unmatched_manifest::RULE_NONE,
    ]
}

/// The rules that look at a file's content alone: run once per inode, on
/// the first name read; later names refer to these findings (SA021).
const CONTENT_RULES: &[RuleId] = &[
    RuleId::ComposeLiteralSecret,
    RuleId::ComposePublicDatabasePort,
    RuleId::OutsideReference,
    RuleId::DockerfileSecretValue,
    RuleId::TemplateRealSecret,
];

/// Runs every audit rule over the trees under `options.roots`.
pub fn audit(options: &AuditOptions<'_>) -> Result<AuditReport, AuditError> {
    let mut report = AuditReport::default();
    let described = described::Described::new(&options.manifests, options.manifest_dir.as_deref())
        .map_err(|stack| AuditError::ManifestWithoutDirectory { stack })?;
    let mut matched = vec![false; options.manifests.len()];
    let kept = Arc::new(kept::Kept::new(options.kept_bytes));
    // The content findings of each first name: how many, how severe.
    let mut by_first: HashMap<PathBuf, (usize, Severity)> = HashMap::new();
    for root in &options.roots {
        let walk = walk::Walk {
            kept: Arc::clone(&kept),
            progress: options.progress.clone(),
        };
        let (tree, checked) =
            walk_checking(root, &described, options.now, walk).map_err(|e| match e {
                crate::safe_fs::FsError::Io { source, .. }
                    if source.kind() == std::io::ErrorKind::NotFound =>
                {
                    AuditError::MissingRoot(root.clone())
                }
                e => e.into(),
            })?;
        let out = &mut report.findings;
        let start = out.len();
        out.extend(tree.problems.iter().cloned());
        // Who can read ciphertext, or own it, exposes nothing.
        for file in tree.secret_files.iter().filter(|f| !f.encrypted) {
            file_mode::run(file, out);
            file_owner::run(file, options.owner, out);
            directory_mode::run(file, out);
            journal::run(file, out);
        }
        git::run(&tree, out);
        plaintext_sibling::run(&tree, out);
        docker_context::run(&tree, out);
        dockerfile_copy::run(&tree, out);
        let first = |p: &Path| tree.first_name(p) == Some(p);
        for d in tree.dockerfiles.iter().filter(|d| first(d)) {
            if let Some(text) = tree.content(d) {
                dockerfile_secret::run(d, text, out);
            }
        }
        for c in tree.compose_files.iter().filter(|c| first(c)) {
            if let Some(text) = tree.content(c) {
                let text = String::from_utf8_lossy(text);
                compose_literal::run(c, &text, out);
                compose_ports::run(c, &text, out);
            }
        }
        for t in tree.templates.iter().filter(|t| first(t)) {
            if let Some(bytes) = tree.content(t) {
                template_secret::run(t, bytes, out);
            }
        }
        for f in out[start..]
            .iter()
            .filter(|f| CONTENT_RULES.contains(&f.rule))
        {
            let e = by_first.entry(f.path.clone()).or_insert((0, f.severity));
            e.0 += 1;
            e.1 = e.1.max(f.severity);
        }
        let inputs = (tree.compose_files.iter())
            .chain(&tree.dockerfiles)
            .chain(&tree.templates);
        for path in inputs {
            match tree.first_name(path) {
                Some(first) if first != path => {
                    if let Some((n, severity)) = by_first.get(first) {
                        out.push(same_file::finding(path, first, *n, *severity));
                    }
                }
                _ => {}
            }
        }
        // A file only a compose file named keeps its findings; their fixes
        // only when that reference may direct them. One found by its
        // content alone keeps them, without fixes.
        let unfixable: HashMap<&Path, &str> = (tree.secret_files.iter())
            .filter_map(|f| {
                let by_reference = f.reference.as_ref().and_then(|r| r.unfixable.as_deref());
                let why = by_reference.or(f.unsure.as_deref())?;
                Some((f.path.as_path(), why))
            })
            .collect();
        if !unfixable.is_empty() {
            reference::withhold_fixes(&mut out[start..], |p| unfixable.get(p).copied());
        }
        out.extend(checked);
        // Encrypted ones count: described, though their values are not read.
        for f in tree.secret_files.iter().filter(|f| f.is_env) {
            if let Some((i, _)) = described.stack_for(&f.path) {
                matched[i] = true;
            }
        }
        report
            .files
            .extend(tree.secret_files.iter().map(|f| f.path.clone()));
        report.trees.push(tree);
    }
    for ((stack, dir), _) in described.stacks().zip(&matched).filter(|(_, m)| !**m) {
        report
            .findings
            .push(unmatched_manifest::finding(stack, dir));
    }
    if !matched.is_empty() && !matched.contains(&true) {
        let root = options
            .roots
            .first()
            .map_or(Path::new("."), PathBuf::as_path);
        (report.findings).push(unmatched_manifest::none_checked(root, matched.len()));
    }
    report
        .findings
        .sort_by(|a, b| (&a.path, a.line, a.rule).cmp(&(&b.path, b.line, b.rule)));
    // The same finding twice (two roots, two references) is reported once.
    let mut seen = std::collections::HashSet::new();
    report.findings.retain(|f| {
        seen.insert((
            f.path.clone(),
            f.line,
            f.rule,
            f.key.clone(),
            f.message.clone(),
        ))
    });
    Ok(report)
}

/// Walks `root` while other threads run the check rules on each `.env` a
/// manifest describes as soon as the walk finds it: the walk waits on the
/// file system, the rules on the CPU (about 1M instructions for a 30-key
/// file), so on two cores most of the checking is done when the walk ends.
/// The findings are sorted afterwards, so the report does not depend on
/// scheduling.
fn walk_checking(
    root: &Path,
    described: &described::Described<'_>,
    now: std::time::SystemTime,
    walk: walk::Walk,
) -> Result<(Tree, Vec<Finding>), crate::safe_fs::FsError> {
    if described.is_empty() {
        return Ok((Tree::walk_with(root, None, walk)?, Vec::new()));
    }
    let (tx, rx) = std::sync::mpsc::channel::<walk::FoundEnv>();
    let rx = std::sync::Mutex::new(rx);
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        // The lock only while receiving (a `while let` would
                        // hold it through the checks); the walk dropping its
                        // sender ends the loop.
                        let next = rx
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .recv();
                        let Ok(found) = next else { break };
                        if let Some((_, stack)) = described.stack_for(&found.shown) {
                            check_env_file(&found, stack, now, &mut out);
                        }
                    }
                    out
                })
            })
            .collect();
        let tree = Tree::walk_with(root, Some(tx), walk);
        let checked = handles
            .into_iter()
            // A rule that panicked is a bug; carry the panic on.
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect();
        tree.map(|tree| (tree, checked))
    })
}

/// The check rules on one `.env`; what cannot be read or parsed is a
/// finding, never a silent pass.
fn check_env_file(
    found: &walk::FoundEnv,
    stack: &Stack,
    now: std::time::SystemTime,
    out: &mut Vec<Finding>,
) {
    let path = found.shown.as_path();
    let bytes = match walk::read_beneath(&found.base, &found.rel) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return,
        Err(e) => {
            out.push(unreadable::secret(path, &e));
            return;
        }
    };
    let doc = match Document::parse(&bytes) {
        Ok(doc) => doc,
        Err(e) => {
            out.push(unreadable::unparseable(path, Some(e.line), &e.message));
            return;
        }
    };
    // The template beside it, read as safely: a symlink, FIFO or device
    // there is refused without blocking, and the comparison is skipped.
    let example_path = crate::check::template_beside(path);
    let example_bytes =
        match walk::read_beneath(&found.base, &crate::check::template_beside(&found.rel)) {
            Ok(b) => b,
            Err(e) => {
                out.push(unreadable::input(&example_path, &e));
                None
            }
        };
    let example = example_bytes
        .as_deref()
        .and_then(|b| Document::parse(b).ok());
    out.extend(check_env(&EnvContext {
        path,
        doc: &doc,
        stack: Some(stack),
        example: example.as_ref(),
        example_path: example.as_ref().map(|_| example_path.as_path()),
        now,
    }));
}
