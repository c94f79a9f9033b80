//! SA004-SA006: a secret file inside a git work tree that is not ignored, is
//! tracked, or is in the history of any ref. Git is asked once per
//! repository and question, for all the files together; the history is one
//! `git log --all` pass listing every path ever added, filtered here to the
//! secret-bearing ones, so files deleted or renamed since, or only on
//! another branch, are found too. An age-encrypted file is
//! none of these: ciphertext may be committed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::ignore_pattern;
use super::walk::{self, Tree};
use crate::check::{Finding, Fix, Rule, RuleId, Severity};

pub static RULE_NOT_IGNORED: Rule = Rule {
    id: RuleId::GitNotIgnored,
    name: "git-not-ignored",
    severity: Severity::High,
    summary: "A secret file inside a git work tree is not ignored",
    help: "add it to .gitignore (--fix does it)",
};

pub static RULE_TRACKED: Rule = Rule {
    id: RuleId::GitTracked,
    name: "git-tracked",
    severity: Severity::High,
    summary: "A secret file is tracked by git",
    help: "git rm --cached FILE, commit, and rotate every secret in it",
};

pub static RULE_HISTORY: Rule = Rule {
    id: RuleId::GitHistory,
    name: "git-history",
    severity: Severity::High,
    summary: "A secret file is in the git history of some ref, even if deleted or renamed since",
    help: "rotate every secret it ever held; rewriting history (git filter-repo) does not unpublish clones",
};

/// The work tree root holding the directory `dir` (or `dir` itself), if any.
fn repo_root(dir: &Path) -> Option<PathBuf> {
    let abs = std::fs::canonicalize(dir).ok()?;
    abs.ancestors()
        .find(|a| a.join(".git").exists())
        .map(Path::to_path_buf)
}

pub static RULE_UNAVAILABLE: Rule = Rule {
    id: RuleId::GitUnavailable,
    name: "git-unavailable",
    severity: Severity::High,
    summary: "A git repository is in the audited tree (or holds it) but git could not be asked whether secret files are ignored, tracked or in its history",
    help: "install git (or fix the error shown) and audit again; until then nothing is known about these files and git",
};

/// Runs git in `root` with `paths` NUL-separated on stdin or as arguments;
/// returns its output, or why git gave no answer.
fn git_raw(root: &Path, args: &[&str], stdin: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let mut command = Command::new("git");
    command
        .current_dir(root)
        // A repository in a shared tree must not make root run its
        // fsmonitor hook, a pager or gpg; no optional index lock either.
        .args([
            "--no-pager",
            "-c",
            "core.fsmonitor=false",
            "-c",
            "log.showSignature=false",
        ])
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
    Ok(out.stdout)
}

/// [`git_raw`], its output split into its NUL-separated entries.
fn git(root: &Path, args: &[&str], stdin: Option<&[u8]>) -> Result<Vec<String>, String> {
    Ok(String::from_utf8_lossy(&git_raw(root, args, stdin)?)
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

/// Git's answers for the files on disk of one repository.
struct Answers {
    ignored: HashSet<String>,
    tracked: HashSet<String>,
}

fn ask(root: &Path, rels: &[&str]) -> Result<Answers, String> {
    if rels.is_empty() {
        return Ok(Answers {
            ignored: HashSet::new(),
            tracked: HashSet::new(),
        });
    }
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
    Ok(Answers { ignored, tracked })
}

/// Whether a path of the history is secret-bearing as the walk judges
/// files on disk: `.env` and `.env.*` but not templates, or anything
/// under a `secrets/` directory.
fn is_secret_path(rel: &str) -> bool {
    let mut parts = rel.rsplit('/');
    let name = parts.next().unwrap_or("");
    // `.env.age` and the like hold ciphertext (age's own suffix).
    !name.ends_with(".age") && (walk::is_env_name(name) || parts.any(|p| p == "secrets"))
}

/// `path` relative to `scope` when it lies within it.
fn within_scope<'a>(scope: Option<&str>, path: &'a str) -> Option<&'a str> {
    match scope {
        Some("") => Some(path),
        Some(s) => path.strip_prefix(s)?.strip_prefix('/'),
        None => None,
    }
}

/// Every secret-bearing path ever added on any ref, with the commit that
/// first added it: one `git log` pass. `scope` is where the audited tree
/// starts within the repository (`""` for all of it; `None` when only
/// `files` were named), `files` the paths on disk to look for as well.
///
/// The whole history is listed without a pathspec and filtered here: a
/// pathspec makes git diff every commit twice (once to limit the history,
/// once for the names), which measured slower than listing every added path.
fn history(
    root: &Path,
    scope: Option<&str>,
    files: &[&str],
) -> Result<BTreeMap<String, String>, String> {
    let mut specs: Vec<String> = Vec::new();
    match scope {
        Some("") => {}
        Some(s) => specs.push(format!(":(literal){s}")),
        None if files.is_empty() => return Ok(BTreeMap::new()),
        None => {}
    }
    if !specs.is_empty() || scope.is_none() {
        // Files outside the scope's patterns (named by compose, or audited
        // one by one) are looked for by name.
        specs.extend(
            files
                .iter()
                .filter(|f| !within_scope(scope, f).is_some_and(is_secret_path))
                .map(|f| format!(":(literal){f}")),
        );
    }
    // --full-history: with a pathspec, a side branch that added and removed
    // a file before its merge is not pruned. --no-renames: a rename target
    // counts as added.
    let mut args = vec![
        "log",
        "--all",
        "--full-history",
        "--no-renames",
        "--no-show-signature",
        "--no-ext-diff",
        "--no-color",
        "--diff-filter=A",
        "--name-only",
        "-z",
        "--format=%x01%H",
    ];
    if !specs.is_empty() {
        args.push("--");
        args.extend(specs.iter().map(String::as_str));
    }
    let out = git_raw(root, &args, None)?;
    let mut added: BTreeMap<String, String> = BTreeMap::new();
    let mut commit: &[u8] = b"";
    let mut after_header = false;
    for item in out.split(|&b| b == 0).filter(|i| !i.is_empty()) {
        if let Some(hash) = item.strip_prefix(b"\x01") {
            commit = hash;
            after_header = true;
            continue;
        }
        // The name list follows its commit after one newline.
        let path = match (after_header, item.strip_prefix(b"\n")) {
            (true, Some(p)) => p,
            _ => item,
        };
        after_header = false;
        let path = String::from_utf8_lossy(path);
        if within_scope(scope, &path).is_some_and(is_secret_path) || files.contains(&&*path) {
            // Newest first: the last commit seen is the one that first added it.
            let commit = String::from_utf8_lossy(commit).into_owned();
            added.insert(path.into_owned(), commit);
        }
    }
    Ok(added)
}

/// A repository to ask about: how to show it, which part of it was
/// audited, and its secret files on disk (shown path, path in it).
struct Repo {
    shown: PathBuf,
    scope: Option<String>,
    files: Vec<(PathBuf, String)>,
}

/// How to show a repository: beneath the audited root when it is there.
fn shown_repo(tree: &Tree, tree_root: Option<&Path>, repo: &Path) -> PathBuf {
    match tree_root.and_then(|t| repo.strip_prefix(t).ok()) {
        Some(within) if within.as_os_str().is_empty() => tree.root.clone(),
        Some(within) => tree.root.join(within),
        None => repo.to_owned(),
    }
}

/// The entry of the repository at `root`, widening its audited scope to
/// `scope` (`Some("")` is all of it, `None` only the files on disk).
fn add_repo<'a>(
    repos: &'a mut BTreeMap<PathBuf, Repo>,
    tree: &Tree,
    tree_root: Option<&Path>,
    root: PathBuf,
    scope: Option<String>,
) -> &'a mut Repo {
    let shown = shown_repo(tree, tree_root, &root);
    let repo = repos.entry(root).or_insert(Repo {
        shown,
        scope: None,
        files: Vec::new(),
    });
    // Scopes are prefixes of one another's paths: the shortest is widest.
    repo.scope = match (repo.scope.take(), scope) {
        (Some(a), Some(b)) => Some(if a.len() <= b.len() { a } else { b }),
        (a, b) => a.or(b),
    };
    repo
}

/// The repositories holding the audited tree or found in it, each with
/// the part of it audited and its secret files on disk.
fn repositories(tree: &Tree) -> BTreeMap<PathBuf, Repo> {
    let tree_root = std::fs::canonicalize(&tree.root).ok();
    let tree_root = tree_root.as_deref();
    let mut repos: BTreeMap<PathBuf, Repo> = BTreeMap::new();
    if tree.walked {
        // The repository holding the root: only the audited part of it.
        if let Some(t) = tree_root {
            if let Some(root) = repo_root(t) {
                let scope = t.strip_prefix(&root).unwrap_or(Path::new(""));
                let scope = scope.to_string_lossy().into_owned();
                add_repo(&mut repos, tree, tree_root, root, Some(scope));
            }
        }
        for r in &tree.repositories {
            if let Ok(root) = std::fs::canonicalize(r) {
                add_repo(&mut repos, tree, tree_root, root, Some(String::new()));
            }
        }
    }
    // Ciphertext may be committed: that is what encrypting it is for.
    for f in tree.secret_files.iter().filter(|f| !f.encrypted) {
        let Some(root) = f.path.parent().and_then(repo_root) else {
            continue;
        };
        let Ok(abs) = std::fs::canonicalize(&f.path) else {
            continue;
        };
        let Ok(rel) = abs.strip_prefix(&root) else {
            continue;
        };
        let rel = rel.to_string_lossy().into_owned();
        add_repo(&mut repos, tree, tree_root, root.clone(), None)
            .files
            .push((f.path.clone(), rel));
    }
    repos
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
    for (root, repo) in repositories(tree) {
        let rels: Vec<&str> = repo.files.iter().map(|(_, r)| r.as_str()).collect();
        let answers =
            ask(&root, &rels).and_then(|a| Ok((a, history(&root, repo.scope.as_deref(), &rels)?)));
        let (answers, history) = match answers {
            Ok(a) => a,
            Err(why) => {
                // Fail closed: no claim about ignored, tracked or history.
                let names: Vec<String> = repo
                    .files
                    .iter()
                    .map(|(p, _)| p.display().to_string())
                    .collect();
                let files = if names.is_empty() {
                    String::new()
                } else {
                    format!(" for {}", names.join(", "))
                };
                out.push(Finding::new(
                    &RULE_UNAVAILABLE,
                    &repo.shown,
                    None,
                    None,
                    format!(
                        "git checks did not run{files} in {}: {why}",
                        repo.shown.display()
                    ),
                ));
                continue;
            }
        };
        let on_disk: HashMap<&str, &Path> = repo
            .files
            .iter()
            .map(|(p, r)| (r.as_str(), p.as_path()))
            .collect();
        for (path, rel) in &repo.files {
            let shown = path.display();
            if !answers.ignored.contains(rel) {
                let f = Finding::new(
                    &RULE_NOT_IGNORED,
                    path,
                    None,
                    None,
                    format!("{shown} is not ignored by git in {}", repo.shown.display()),
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
        }
        for (rel, commit) in &history {
            let short = &commit[..commit.len().min(12)];
            let (path, message) = match on_disk.get(rel.as_str()) {
                Some(path) => (
                    path.to_path_buf(),
                    format!(
                        "{} is in the git history: added in commit {short}",
                        path.display()
                    ),
                ),
                // Deleted or renamed since, or on another branch only.
                None => {
                    // Under the audited root when it is there, as files on disk are.
                    let within = repo
                        .scope
                        .as_deref()
                        .filter(|s| !s.is_empty())
                        .and_then(|s| rel.strip_prefix(s)?.strip_prefix('/'));
                    let path = match within {
                        Some(within) => tree.root.join(within),
                        None => repo.shown.join(rel),
                    };
                    let message = format!(
                        "{} is not in the work tree but is in the git history: added in commit {short}",
                        path.display()
                    );
                    (path, message)
                }
            };
            out.push(Finding::new(&RULE_HISTORY, &path, None, None, message));
        }
    }
}
