//! SA004-SA006: a secret file inside a git work tree that is not ignored, is
//! tracked, or is in the history. Git is asked once per repository and rule,
//! for all the files together. An age-encrypted file is none of these.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::ignore_pattern;
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

pub static RULE_UNAVAILABLE: Rule = Rule {
    id: "SA014",
    name: "git-unavailable",
    severity: Severity::High,
    summary: "Secret files are inside a git work tree but git could not be asked whether they are ignored, tracked or in the history",
    help: "install git (or fix the error shown) and audit again; until then nothing is known about these files and git",
};

/// Runs git in `root` with `paths` NUL-separated on stdin or as arguments;
/// returns the NUL-separated output entries, or why git gave no answer.
fn git(root: &Path, args: &[&str], stdin: Option<&[u8]>) -> Result<Vec<String>, String> {
    let mut command = Command::new("git");
    command
        .current_dir(root)
        // A repository in a shared tree must not make root run its
        // fsmonitor hook or a pager; no optional index lock either.
        .args(["--no-pager", "-c", "core.fsmonitor=false"])
        .env("GIT_OPTIONAL_LOCKS", "0")
        .args(args);
    let out = crate::child::run(&mut command, stdin).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            "git is not installed or not on PATH".to_owned()
        } else {
            format!("git could not be run: {e}")
        }
    })?;
    // check-ignore exits 1 when nothing is ignored; that is an answer too.
    let nothing_ignored = args[0] == "check-ignore" && out.status.code() == Some(1);
    if !(out.status.success() || nothing_ignored) {
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        return Err(format!("`git {}` failed: {}", args[0], first.trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

/// Git's three answers for one repository.
struct Answers {
    ignored: HashSet<String>,
    tracked: HashSet<String>,
    history: HashSet<String>,
}

fn ask(root: &Path, rels: &[&str]) -> Result<Answers, String> {
    let stdin: Vec<u8> = rels.iter().flat_map(|r| r.bytes().chain([0])).collect();
    let ignored = git(
        root,
        &["check-ignore", "-z", "--stdin", "--no-index"],
        Some(&stdin),
    )?
    .into_iter()
    .collect();
    let mut args = vec!["ls-files", "-z", "--"];
    args.extend(rels);
    let tracked = git(root, &args, None)?.into_iter().collect();
    let mut args = vec!["log", "--all", "--format=", "--name-only", "-z", "--"];
    args.extend(rels);
    let history = git(root, &args, None)?
        .into_iter()
        .map(|s| s.trim_matches('\n').to_owned())
        .collect();
    Ok(Answers {
        ignored,
        tracked,
        history,
    })
}

/// Where the ignore line for `path` goes: the repository's `.gitignore`
/// when the repository is within the audited tree, else the `.gitignore`
/// beside the file (never a file outside what was audited).
fn ignore_fix(tree: &Tree, repo: &Path, path: &Path, rel: &str) -> Option<Fix> {
    let tree_root = std::fs::canonicalize(&tree.root).ok()?;
    if repo.starts_with(&tree_root) {
        let within = repo.strip_prefix(&tree_root).ok()?;
        return Some(Fix::Ignore {
            file: tree.root.join(within).join(".gitignore"),
            pattern: ignore_pattern::gitignore(Path::new(rel))?,
        });
    }
    let dir = path.parent()?;
    Some(Fix::Ignore {
        file: dir.join(".gitignore"),
        pattern: ignore_pattern::gitignore(Path::new(path.file_name()?))?,
    })
}

pub fn run(tree: &Tree, out: &mut Vec<Finding>) {
    let mut by_repo: BTreeMap<PathBuf, Vec<(PathBuf, String)>> = BTreeMap::new();
    // Ciphertext may be committed: that is what encrypting it is for.
    for f in tree.secret_files.iter().filter(|f| !f.encrypted) {
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
        let answers = match ask(&root, &rels) {
            Ok(a) => a,
            Err(why) => {
                // Fail closed: no claim about ignored, tracked or history.
                let names: Vec<String> =
                    files.iter().map(|(p, _)| p.display().to_string()).collect();
                out.push(Finding::new(
                    &RULE_UNAVAILABLE,
                    &root,
                    None,
                    None,
                    format!(
                        "git checks did not run for {} in {}: {why}",
                        names.join(", "),
                        root.display()
                    ),
                ));
                continue;
            }
        };
        for (path, rel) in &files {
            let shown = path.display();
            if !answers.ignored.contains(rel) {
                let f = Finding::new(
                    &RULE_NOT_IGNORED,
                    path,
                    None,
                    None,
                    format!("{shown} is not ignored by git in {}", root.display()),
                );
                out.push(match ignore_fix(tree, &root, path, rel) {
                    Some(fix) => f.with_fix(fix),
                    None => f,
                });
            }
            if answers.tracked.contains(rel) {
                out.push(Finding::new(
                    &RULE_TRACKED,
                    path,
                    None,
                    None,
                    format!("{shown} is tracked by git"),
                ));
            }
            if answers.history.contains(rel) {
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
