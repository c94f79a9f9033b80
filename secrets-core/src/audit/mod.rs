//! The pre-deploy gate: find the files that hold secrets under some
//! directories and check that they are private, owned right, kept out of git
//! and out of Docker images, and that compose files and Dockerfiles do not
//! hold secrets themselves. One file per rule; findings never hold a value.

mod compose;
mod compose_literal;
mod compose_ports;
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
mod template_secret;
mod walk;

use std::path::{Path, PathBuf};

pub use fix::{apply_fixes, Applied};
pub use walk::Tree;

use crate::check::{check_env, EnvContext, Finding, Rule};
use crate::envfile::Document;
use crate::secure_file::Owner;
use crate::stack::Stack;

/// What to audit.
#[derive(Debug)]
pub struct AuditOptions<'a> {
    /// Directories (or files) to walk.
    pub roots: Vec<PathBuf>,
    /// The owner secret files must have.
    pub owner: Option<Owner>,
    /// A manifest: every check rule then runs on each `.env` found.
    pub stack: Option<&'a Stack>,
    /// Seconds since the epoch.
    pub now: u64,
}

/// An audit that could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// A root could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// What an audit found.
#[derive(Debug, Default)]
pub struct AuditReport {
    /// Every finding, sorted by path and line.
    pub findings: Vec<Finding>,
    /// The secret-bearing files examined.
    pub files: Vec<PathBuf>,
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
    ]
}

/// Runs every audit rule over the trees under `options.roots`.
pub fn audit(options: &AuditOptions<'_>) -> Result<AuditReport, AuditError> {
    let mut report = AuditReport::default();
    for root in &options.roots {
        let tree = Tree::walk(root).map_err(|source| AuditError::Read {
            path: root.clone(),
            source,
        })?;
        let out = &mut report.findings;
        for file in &tree.secret_files {
            file_mode::run(file, out);
            file_owner::run(file, options.owner, out);
            directory_mode::run(file, out);
        }
        git::run(&tree, out);
        docker_context::run(&tree, out);
        dockerfile_copy::run(&tree, out);
        for d in &tree.dockerfiles {
            dockerfile_secret::run(d, out);
        }
        for c in &tree.compose_files {
            compose_literal::run(c, out);
            compose_ports::run(c, out);
        }
        for t in &tree.templates {
            template_secret::run(t, out);
        }
        if let Some(stack) = options.stack {
            for file in tree.secret_files.iter().filter(|f| f.is_env) {
                check_env_file(&file.path, stack, options.now, out);
            }
        }
        report
            .files
            .extend(tree.secret_files.iter().map(|f| f.path.clone()));
    }
    report
        .findings
        .sort_by(|a, b| (&a.path, a.line, a.rule).cmp(&(&b.path, b.line, b.rule)));
    Ok(report)
}

fn check_env_file(path: &Path, stack: &Stack, now: u64, out: &mut Vec<Finding>) {
    let Ok(bytes) = std::fs::read(path).map(zeroize::Zeroizing::new) else {
        return;
    };
    let Ok(doc) = Document::parse(&bytes) else {
        return;
    };
    let example_bytes = path
        .parent()
        .and_then(|d| std::fs::read(d.join(".env.example")).ok());
    let example = example_bytes
        .as_deref()
        .and_then(|b| Document::parse(b).ok());
    out.extend(check_env(&EnvContext {
        path,
        doc: &doc,
        stack: Some(stack),
        example: example.as_ref(),
        now,
    }));
}
