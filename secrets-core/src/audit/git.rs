//! SA004-SA006: a secret file inside a git work tree that is not ignored, is
//! tracked, or is in the history. Git is asked once per repository and rule,
//! for all the files together.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::walk::Tree;
use crate::check::{Finding, Fix, Rule, Severity};

pub static RULE_NOT_IGNORED: Rule = Rule {
    id: "SA004",
    name: "git-not-ignored",
    severity: Severity::High,
    summary: "A secret file inside a git work tree is not ignored",
    help: "add it to .gitignore (--fix does it)",
};

pub static RULE_TRACKED: Rule = Rule {
    id: "SA005",
    name: "git-tracked",
    severity: Severity::High,
    summary: "A secret file is tracked by git",
    help: "git rm --cached FILE, commit, and rotate every secret in it",
};

pub static RULE_HISTORY: Rule = Rule {
    id: "SA006",
    name: "git-history",
    severity: Severity::High,
    summary: "A secret file is in the git history",
    help: "rotate every secret it ever held; rewriting history (git filter-repo) does not unpublish clones",
};

/// The work tree root holding `path`, if any.
fn repo_root(path: &Path) -> Option<PathBuf> {
    let start = path.parent()?;
    let abs = std::fs::canonicalize(start).ok()?;
    abs.ancestors()
        .find(|a| a.join(".git").exists())
        .map(Path::to_path_buf)
}

/// Runs git in `root` with `paths` NUL-separated on stdin or as arguments;
/// returns the NUL-separated output entries.
fn git(root: &Path, args: &[&str], stdin: Option<&[u8]>) -> Option<Vec<String>> {
    let out = crate::child::run(Command::new("git").current_dir(root).args(args), stdin).ok()?;
    // check-ignore exits 1 when nothing is ignored; that is an answer too.
    if !out.status.success() && out.status.code() != Some(1) {
        return None;
    }
    Some(
        String::from_utf8_lossy(&out.stdout)
            .split('\0')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

pub fn run(tree: &Tree, out: &mut Vec<Finding>) {
    let mut by_repo: BTreeMap<PathBuf, Vec<(PathBuf, String)>> = BTreeMap::new();
    for f in &tree.secret_files {
        let Some(root) = repo_root(&f.path) else {
            continue;
        };
        let Ok(abs) = std::fs::canonicalize(&f.path) else {
            continue;
        };
        let Ok(rel) = abs.strip_prefix(&root) else {
            continue;
        };
        by_repo
            .entry(root.clone())
            .or_default()
            .push((f.path.clone(), rel.to_string_lossy().into_owned()));
    }
    for (root, files) in by_repo {
        let rels: Vec<&str> = files.iter().map(|(_, r)| r.as_str()).collect();
        let stdin: Vec<u8> = rels.iter().flat_map(|r| r.bytes().chain([0])).collect();
        let ignored: HashSet<String> = git(
            &root,
            &["check-ignore", "-z", "--stdin", "--no-index"],
            Some(&stdin),
        )
        .unwrap_or_default()
        .into_iter()
        .collect();
        let mut args = vec!["ls-files", "-z", "--"];
        args.extend(&rels);
        let tracked: HashSet<String> = git(&root, &args, None)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let mut args = vec!["log", "--all", "--format=", "--name-only", "-z", "--"];
        args.extend(&rels);
        let history: HashSet<String> = git(&root, &args, None)
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.trim_matches('\n').to_owned())
            .collect();
        for (path, rel) in &files {
            let shown = path.display();
            if !ignored.contains(rel) {
                let f = Finding::new(
                    &RULE_NOT_IGNORED,
                    path,
                    None,
                    None,
                    format!("{shown} is not ignored by git in {}", root.display()),
                );
                out.push(f.with_fix(Fix::Ignore {
                    file: root.join(".gitignore"),
                    pattern: format!("/{rel}"),
                }));
            }
            if tracked.contains(rel) {
                out.push(Finding::new(
                    &RULE_TRACKED,
                    path,
                    None,
                    None,
                    format!("{shown} is tracked by git"),
                ));
            }
            if history.contains(rel) {
                out.push(Finding::new(
                    &RULE_HISTORY,
                    path,
                    None,
                    None,
                    format!("{shown} is in the git history"),
                ));
            }
        }
    }
}
