//! SA007: a secret file inside a Docker build context (a Dockerfile beside
//! or above it) whose `.dockerignore` does not leave it out.

use std::path::{Path, PathBuf};

use super::dockerignore::DockerIgnore;
use super::walk::Tree;
use crate::check::{Finding, Fix, Rule, RuleId, Severity};

pub static RULE: Rule = Rule {
    id: RuleId::DockerContext,
    name: "docker-context",
    severity: Severity::High,
    summary: "A secret file is inside a Docker build context and not excluded by .dockerignore",
    help: "add it to the context's .dockerignore (--fix does it)",
};

/// The build contexts (directories holding a Dockerfile) at or above `file`,
/// nearest first, within the walked tree.
pub fn contexts_of<'a>(tree: &'a Tree, file: &'a Path) -> impl Iterator<Item = PathBuf> + 'a {
    file.ancestors()
        .skip(1)
        .take_while(move |a| a.starts_with(&tree.root))
        .filter(move |a| tree.dockerfiles.iter().any(|d| d.parent() == Some(*a)))
        .map(Path::to_path_buf)
}

pub fn run(tree: &Tree, out: &mut Vec<Finding>) {
    for f in &tree.secret_files {
        for context in contexts_of(tree, &f.path) {
            let Ok(rel) = f.path.strip_prefix(&context) else {
                continue;
            };
            let ignore = tree
                .content(&context.join(".dockerignore"))
                .map(|t| DockerIgnore::parse(&String::from_utf8_lossy(t)))
                .unwrap_or_default();
            if ignore.excludes(rel) {
                continue;
            }
            let message = format!(
                "{} is in the Docker build context {} and not in its .dockerignore",
                f.path.display(),
                context.display()
            );
            let finding = Finding::new(&RULE, &f.path, None, None, message);
            out.push(match super::ignore_pattern::dockerignore(rel) {
                Some(pattern) => finding.with_fix(Fix::Ignore {
                    file: context.join(".dockerignore"),
                    pattern,
                }),
                None => finding,
            });
        }
    }
}
