//! SA004-SA006: a secret file inside a git work tree that is not ignored, is
//! tracked, or is in the history of any ref. Git is asked once per
//! repository and question, for all the files together; the history is one
//! `git log --all` pass listing every path ever added (merges included),
//! filtered here to the secret-bearing ones, so files deleted or renamed
//! since, or only on another branch, are found too. An age-encrypted file
//! is none of these: ciphertext may be committed. Git runs hardened (see
//! [`Git`]): nothing a repository configures executes, nothing is
//! fetched, and a history git could not read in full (a shallow clone,
//! missing objects, a failing git) is SA014, never a pass.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::ignore_pattern;
use super::walk::Tree;
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
    summary: "A git repository is in the audited tree (or holds it) but git could not be asked whether secret files are ignored, tracked or in its history, or its history is incomplete",
    help: "install git (or fix the error shown: a shallow or partial clone needs its missing history fetched by hand) and audit again; until then nothing is known about what is missing",
};

/// Git as the audit runs it: in a repository it only reads, with nothing
/// the repository (or anyone but the caller) configures able to execute a
/// program or reach the network.
///
/// Why this is enough: the commands run (`rev-parse`, `check-ignore
/// --no-index`, `ls-files`, `log --name-only`) write nothing, check nothing
/// out and show no content, so hooks, filters, textconv and diff drivers
/// have nothing to run on, and each is also switched off by name. What is
/// left that executes a program is a transport (a lazy fetch of a missing
/// object in a partial clone, with its remote helpers, `uploadpack`, ssh,
/// proxy, credential helpers and askpass), the pager, fsmonitor and gpg:
/// a lazy fetch is off (`GIT_NO_LAZY_FETCH`; git 2.47 has no
/// `--no-lazy-fetch` flag), every transport is refused even if one were
/// tried (`GIT_ALLOW_PROTOCOL` naming none overrides any
/// `protocol.*.allow` of the repository), and the rest are switched off on
/// the command line, which git reads after every configuration file, so
/// `include.path`/`includeIf` cannot override it either. The environment
/// is cleared (no `GIT_DIR`, `GIT_EXEC_PATH`, `GIT_PAGER`, `GIT_SSH*`,
/// `GIT_CONFIG*` of the caller's steer it), the system and global
/// configuration are not read, and only the caller's `safe.directory`
/// entries are kept: which repositories of other users git may read is
/// the administrator's decision. Replace refs and grafts are ignored, so
/// neither can hide a commit; `core.alternateRefsCommand` and the like are
/// used by fetch and push only, which never run (and `remote.*.vcs`
/// helpers are transports too, refused). Running git as the repository's
/// owner instead would not do: the repository of the attack is root's,
/// only its config group-writable.
struct Git {
    /// The caller's `safe.directory` entries, in order.
    safe_directories: Vec<String>,
}

/// The first configuration settings of every git command of the audit.
const HARDENING: &[&str] = &[
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "core.askPass=",
    "core.sshCommand=false",
    "credential.helper=",
    "protocol.allow=never",
    "log.showSignature=false",
    // The root commit's files are history too, whatever the repository says.
    "log.showRoot=true",
    "gc.auto=0",
    "maintenance.auto=false",
    "advice.graftFileDeprecated=false",
    // Mapped pack data stays within GIT_ADDRESS_SPACE (git's defaults, 1
    // GiB windows up to 8 GiB, would not fit; smaller windows only cost
    // more mmap calls).
    "core.packedGitWindowSize=32m",
    "core.packedGitLimit=256m",
];

/// How long git may write nothing before it is stopped: a FIFO planted
/// where git reads (`.git/info/exclude`, a `.gitignore`) would block it for
/// good. `git log` writes a line per commit, so a long history is no reason
/// to be quiet this long.
const GIT_IDLE: Duration = Duration::from_secs(30);

/// The address space git may use (`RLIMIT_AS`): a repository costs its
/// author little to make git need gigabytes (a tree of a few KiB listed
/// under many long names, which git diffs whole before writing a line), so
/// past this git fails, and the history is SA014, incomplete, rather than
/// the machine's memory exhausted. Git's pack windows are kept well below
/// it (see [`HARDENING`]), so a large but honest repository fits.
const GIT_ADDRESS_SPACE: u64 = 1 << 30;

impl Git {
    /// Reads the caller's `safe.directory` entries (system, global and
    /// command-line scopes, never a repository's own).
    fn new() -> Git {
        let mut command = Command::new("git");
        command
            .current_dir("/")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_CONFIG")
            .env_remove("GIT_COMMON_DIR")
            .env("GIT_NO_LAZY_FETCH", "1")
            .args(["--no-pager", "config", "--show-scope", "-z", "--get-all"])
            .arg("safe.directory");
        let out = crate::child::run(&mut command, None)
            .map(|o| o.stdout)
            .unwrap_or_default();
        let fields: Vec<&[u8]> = out.split(|&b| b == 0).collect();
        let safe_directories = fields
            .chunks_exact(2)
            .filter(|f| matches!(f[0], b"system" | b"global" | b"command"))
            .map(|f| String::from_utf8_lossy(f[1]).into_owned())
            .collect();
        Git { safe_directories }
    }

    /// A git command in the work tree `root`, hardened as [`Git`] says.
    fn command(&self, root: &Path) -> Command {
        let mut command = Command::new("git");
        command
            .current_dir(root)
            .env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
            )
            .env("LC_ALL", "C")
            .env("GIT_NO_LAZY_FETCH", "1")
            .env("GIT_ALLOW_PROTOCOL", "")
            .env("GIT_PROTOCOL_FROM_USER", "0")
            .env("GIT_TERMINAL_PROMPT", "0")
            // Empty: no askpass program at all (git falls through to the
            // terminal prompt, which is off).
            .env("GIT_ASKPASS", "")
            .env("SSH_ASKPASS", "")
            .env("SSH_ASKPASS_REQUIRE", "never")
            .env("GIT_SSH_COMMAND", "false")
            .env("GIT_PROXY_COMMAND", "")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_ATTR_NOSYSTEM", "1")
            .env("GIT_NO_REPLACE_OBJECTS", "1")
            .env("GIT_GRAFT_FILE", "/dev/null")
            .env("GIT_OPTIONAL_LOCKS", "0")
            .args(["--no-pager", "--no-replace-objects"]);
        // Discovery stops at `root`: a `.git` there that is no repository
        // is an error, not a reason to answer for an enclosing one.
        if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty()) {
            command.env("GIT_CEILING_DIRECTORIES", parent);
        }
        for setting in HARDENING {
            command.args(["-c", setting]);
        }
        for dir in &self.safe_directories {
            command.arg("-c").arg(format!("safe.directory={dir}"));
        }
        command
    }

    /// Runs git in `root` with `paths` NUL-separated on stdin or as
    /// arguments, handing its output to `on_stdout` as it comes; returns
    /// why git gave no answer, if it gave none.
    fn stream(
        &self,
        root: &Path,
        args: &[&str],
        stdin: Option<&[u8]>,
        on_stdout: impl FnMut(&[u8]) -> std::io::Result<()> + Send,
    ) -> Result<(), String> {
        let mut command = self.command(root);
        command.args(args);
        let limits = crate::child::Limits {
            idle: Some(GIT_IDLE),
            address_space: Some(GIT_ADDRESS_SPACE),
        };
        let (status, stderr) = crate::child::stream(&mut command, stdin, limits, on_stdout)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    "git is not installed or not on PATH".to_owned()
                } else if e.kind() == std::io::ErrorKind::TimedOut {
                    format!("`git {}` did not answer: {e} (a FIFO or device where git reads a file of the repository?)", args[0])
                } else {
                    format!("git could not be run: {e}")
                }
            })?;
        // check-ignore exits 1 when nothing is ignored; that is an answer too.
        let nothing_ignored = args[0] == "check-ignore" && status.code() == Some(1);
        if !(status.success() || nothing_ignored) {
            return Err(format!("`git {}` failed: {}", args[0], error_line(&stderr)));
        }
        Ok(())
    }

    /// [`Git::stream`], its whole output collected (for answers no longer
    /// than the question: the paths on disk given to it).
    fn raw(&self, root: &Path, args: &[&str], stdin: Option<&[u8]>) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        self.stream(root, args, stdin, |chunk| {
            out.extend_from_slice(chunk);
            Ok(())
        })?;
        Ok(out)
    }

    /// [`Git::raw`], its output split into its NUL-separated entries.
    fn entries(
        &self,
        root: &Path,
        args: &[&str],
        stdin: Option<&[u8]>,
    ) -> Result<Vec<String>, String> {
        Ok(String::from_utf8_lossy(&self.raw(root, args, stdin)?)
            .split('\0')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect())
    }
}

/// The line of git's stderr that says why it failed (its `fatal:` or
/// `error:` line rather than a warning before it), control characters
/// (the repository names refs and paths) shown as `?`.
fn error_line(stderr: &[u8]) -> String {
    let err = String::from_utf8_lossy(stderr);
    let lines = || err.lines().map(str::trim).filter(|l| !l.is_empty());
    let line = lines()
        .find(|l| l.starts_with("fatal:"))
        .or_else(|| lines().find(|l| l.starts_with("error:")))
        .or_else(|| lines().find(|l| !l.starts_with("hint:")))
        .unwrap_or("no message");
    line.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Git's answers for the files on disk of one repository.
struct Answers {
    ignored: HashSet<String>,
    tracked: HashSet<String>,
}

fn ask(git: &Git, root: &Path, rels: &[&str]) -> Result<Answers, String> {
    if rels.is_empty() {
        return Ok(Answers {
            ignored: HashSet::new(),
            tracked: HashSet::new(),
        });
    }
    let stdin: Vec<u8> = rels.iter().flat_map(|r| r.bytes().chain([0])).collect();
    let ignored = git
        .entries(
            root,
            &["check-ignore", "-z", "--stdin", "--no-index"],
            Some(&stdin),
        )?
        .into_iter()
        .collect();
    let mut args = vec!["ls-files", "-z", "--"];
    args.extend(rels);
    let tracked = git.entries(root, &args, None)?.into_iter().collect();
    Ok(Answers { ignored, tracked })
}

/// Whether a path of the history is secret-bearing as the walk judges
/// files on disk by their names ([`super::scope`]): `.env` and `.env.*`
/// but not templates, keys, or what is not source code under a `secrets/`
/// directory.
fn is_secret_path(rel: &str) -> bool {
    let mut parts = rel.rsplit('/');
    let name = parts.next().unwrap_or("");
    // `.env.age` and the like hold ciphertext (age's own suffix).
    !name.ends_with(".age")
        && (super::scope::is_secret_by_name(name)
            || (!super::scope::is_source_name(name) && parts.any(|p| p == "secrets")))
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
    git: &Git,
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
    // counts as added. --diff-merges=first-parent: a merge lists what it
    // adds to its first parent, so a file that appears in a merge and in
    // none of its parents (an "evil merge") is found. That covers every
    // path of every commit: a path in a commit's tree is added by it
    // against its first parent, or was in that parent, which is walked too
    // (back to a root commit, listed whole with --root).
    let mut args = vec![
        "log",
        "--all",
        "--full-history",
        "--root",
        "--diff-merges=first-parent",
        "--no-renames",
        "--no-relative",
        "--no-show-signature",
        "--no-ext-diff",
        "--no-textconv",
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
    let mut parser = HistoryParser {
        scope,
        files,
        carry: Vec::new(),
        commit: Vec::new(),
        after_header: false,
        added: BTreeMap::new(),
        kept: 0,
        streamed: 0,
        stopped: None,
    };
    let result = git.stream(root, &args, None, |chunk| parser.feed(chunk));
    if let Some(why) = parser.stopped {
        return Err(why);
    }
    result?;
    parser.finish()
}

/// The longest path of the history read (git writes paths of any length;
/// Linux's own limit is 4 KiB): a longer one is SA014, not kept growing.
const MAX_HISTORY_PATH: usize = 1 << 20;

/// The bytes of secret-bearing paths (and their commits) kept from one
/// repository's history: past it the history is SA014, too large to check.
const MAX_HISTORY_KEPT: usize = 16 << 20;

/// The bytes of `git log` output read from one repository: what is kept
/// does not grow with it, but the time taken does, so past this (far more
/// than any real history's names) the history is SA014, too large.
const MAX_HISTORY_STREAM: u64 = 4 << 30;

/// Parses `git log -z --name-only --format=%x01%H` as it streams: items
/// are NUL-separated, a commit's is its hash after `\x01`, the first path
/// after it follows one newline. Only the secret-bearing paths are kept.
struct HistoryParser<'a> {
    scope: Option<&'a str>,
    files: &'a [&'a str],
    /// The start of an item whose NUL has not come yet.
    carry: Vec<u8>,
    commit: Vec<u8>,
    after_header: bool,
    added: BTreeMap<String, String>,
    /// Bytes held in `added`.
    kept: usize,
    streamed: u64,
    /// Why the parse stopped early (git is then ended).
    stopped: Option<String>,
}

impl HistoryParser<'_> {
    fn feed(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.streamed += chunk.len() as u64;
        let mut result = if self.streamed > MAX_HISTORY_STREAM {
            Err(format!(
                "its history lists more than {} GiB of file names; too large to check fully",
                MAX_HISTORY_STREAM >> 30
            ))
        } else {
            self.split(chunk)
        };
        if result.is_ok() && self.carry.len() > MAX_HISTORY_PATH {
            result = Err(format!(
                "its history holds a path longer than {} MiB; too long to check",
                MAX_HISTORY_PATH >> 20
            ));
        }
        result.map_err(|why| {
            self.stopped = Some(why);
            std::io::Error::other("the history was not read to its end")
        })
    }

    /// Hands every complete item of `chunk` (with the carried start of the
    /// first) to [`HistoryParser::item`], and carries the incomplete last.
    fn split(&mut self, chunk: &[u8]) -> Result<(), String> {
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|&b| b == 0) {
            if self.carry.is_empty() {
                self.item(&rest[..end])?;
            } else {
                let mut item = std::mem::take(&mut self.carry);
                item.extend_from_slice(&rest[..end]);
                self.item(&item)?;
            }
            rest = &rest[end + 1..];
        }
        self.carry.extend_from_slice(rest);
        Ok(())
    }

    fn item(&mut self, item: &[u8]) -> Result<(), String> {
        if item.is_empty() {
            return Ok(());
        }
        if let Some(hash) = item.strip_prefix(b"\x01") {
            self.commit = hash.to_vec();
            self.after_header = true;
            return Ok(());
        }
        // The name list follows its commit after one newline.
        let path = match (self.after_header, item.strip_prefix(b"\n")) {
            (true, Some(p)) => p,
            _ => item,
        };
        self.after_header = false;
        let path = String::from_utf8_lossy(path);
        if within_scope(self.scope, &path).is_some_and(is_secret_path)
            || self.files.contains(&&*path)
        {
            // Newest first: the last commit seen is the one that first added it.
            let commit = String::from_utf8_lossy(&self.commit).into_owned();
            let size = path.len() + commit.len();
            if self.added.insert(path.into_owned(), commit).is_none() {
                self.kept += size;
                if self.kept > MAX_HISTORY_KEPT {
                    return Err(format!(
                        "its history holds more than {} MiB of secret file names; too many to check",
                        MAX_HISTORY_KEPT >> 20
                    ));
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<BTreeMap<String, String>, String> {
        let last = std::mem::take(&mut self.carry);
        self.item(&last)?;
        Ok(self.added)
    }
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

/// Whether the repository at `root` is shallow: its history is cut short.
/// Also the first question asked, so that a git that cannot read the
/// repository at all is one finding.
fn is_shallow(git: &Git, root: &Path) -> Result<bool, String> {
    let out = git.raw(root, &["rev-parse", "--is-shallow-repository"], None)?;
    match out.trim_ascii() {
        b"true" => Ok(true),
        b"false" => Ok(false),
        other => Err(format!(
            "`git rev-parse --is-shallow-repository` answered {:?}",
            String::from_utf8_lossy(other)
        )),
    }
}

pub fn run(tree: &Tree, out: &mut Vec<Finding>) {
    let repos = repositories(tree);
    if repos.is_empty() {
        return;
    }
    let git = Git::new();
    for (root, repo) in repos {
        let unavailable =
            |message: String| Finding::new(&RULE_UNAVAILABLE, &repo.shown, None, None, message);
        let names: Vec<String> = repo
            .files
            .iter()
            .map(|(p, _)| p.display().to_string())
            .collect();
        let not_run = |why: &str| {
            let files = if names.is_empty() {
                String::new()
            } else {
                format!(" for {}", names.join(", "))
            };
            unavailable(format!(
                "git checks did not run{files} in {}: {why}",
                repo.shown.display()
            ))
        };
        let rels: Vec<&str> = repo.files.iter().map(|(_, r)| r.as_str()).collect();
        let shallow = match is_shallow(&git, &root) {
            Ok(shallow) => shallow,
            Err(why) => {
                // Fail closed: no claim about ignored, tracked or history.
                out.push(not_run(&why));
                continue;
            }
        };
        match ask(&git, &root, &rels) {
            Ok(answers) => report_answers(tree, &root, &repo, &answers, out),
            Err(why) => out.push(not_run(&why)),
        }
        if shallow {
            out.push(unavailable(format!(
                "history incomplete: {} is a shallow clone; the commits before its cut are not in it and were not searched (`git fetch --unshallow`, then audit again)",
                repo.shown.display()
            )));
        }
        match history(&git, &root, repo.scope.as_deref(), &rels) {
            Ok(history) => report_history(tree, &repo, &history, out),
            Err(why) => out.push(unavailable(format!(
                "history incomplete: the git history of {} could not be read in full, so what it holds was not searched: {why} (an object missing here, as in a partial or damaged clone, is never fetched by audit)",
                repo.shown.display()
            ))),
        }
    }
}

/// SA004 and SA005 for the files on disk of one repository.
fn report_answers(
    tree: &Tree,
    root: &Path,
    repo: &Repo,
    answers: &Answers,
    out: &mut Vec<Finding>,
) {
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
            out.push(match ignore_fix(tree, root, path, rel) {
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
}

/// SA006 for the secret-bearing paths of one repository's history.
fn report_history(
    tree: &Tree,
    repo: &Repo,
    history: &BTreeMap<String, String>,
    out: &mut Vec<Finding>,
) {
    let on_disk: HashMap<&str, &Path> = repo
        .files
        .iter()
        .map(|(p, r)| (r.as_str(), p.as_path()))
        .collect();
    for (rel, commit) in history {
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
        out.push(
            Finding::new(&RULE_HISTORY, &path, None, None, message)
                .with_fingerprint(format!("commit {commit}")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `git log -z --name-only --format=%x01%H` output of two commits.
    const LOG: &[u8] =
        b"\x01c2\0\nsvc/.env\0svc/readme\0secrets/db\0\x01c1\0\nsvc/.env\0x/.env.age\0";

    fn parser<'a>(files: &'a [&'a str]) -> HistoryParser<'a> {
        HistoryParser {
            scope: Some(""),
            files,
            carry: Vec::new(),
            commit: Vec::new(),
            after_header: false,
            added: BTreeMap::new(),
            kept: 0,
            streamed: 0,
            stopped: None,
        }
    }

    #[test]
    fn the_history_parses_alike_whatever_its_chunks() {
        let whole = {
            let mut p = parser(&[]);
            p.feed(LOG).unwrap();
            p.finish().unwrap()
        };
        let expected: BTreeMap<String, String> = [("secrets/db", "c2"), ("svc/.env", "c1")]
            .iter()
            .map(|(p, c)| (p.to_string(), c.to_string()))
            .collect();
        assert_eq!(whole, expected);
        for size in 1..LOG.len() {
            let mut p = parser(&[]);
            for chunk in LOG.chunks(size) {
                p.feed(chunk).unwrap();
            }
            assert_eq!(p.finish().unwrap(), expected, "chunks of {size} bytes");
        }
        // Without the final NUL, the last item still counts.
        let mut p = parser(&["x/.env.age"]);
        p.feed(&LOG[..LOG.len() - 1]).unwrap();
        assert!(p.finish().unwrap().contains_key("x/.env.age"));
    }

    #[test]
    fn a_path_longer_than_the_limit_stops_the_history() {
        let mut p = parser(&[]);
        p.feed(b"\x01c1\0\n").unwrap();
        let long = vec![b'd'; 64 * 1024];
        let mut fed = Ok(());
        for _ in 0..(MAX_HISTORY_PATH / long.len() + 1) {
            fed = p.feed(&long);
            if fed.is_err() {
                break;
            }
        }
        assert!(fed.is_err());
        assert!(p.stopped.unwrap().contains("path longer than"));
    }

    #[test]
    fn secret_paths_past_the_kept_limit_stop_the_history() {
        let mut p = parser(&[]);
        p.feed(b"\x01c1\0\n").unwrap();
        let mut n = 0;
        let fed = loop {
            let item = format!("{:0>1000}/.env\0", n);
            n += 1;
            if let Err(e) = p.feed(item.as_bytes()) {
                break e;
            }
            assert!(n < MAX_HISTORY_KEPT, "never stopped");
        };
        assert!(
            n > MAX_HISTORY_KEPT / 1100,
            "stopped early, after {n}: {fed}"
        );
        assert!(p.stopped.unwrap().contains("too many to check"));
    }
}
