//! Walking a tree once, on directory handles: secret-bearing files,
//! templates, Dockerfiles, `.dockerignore` files and compose files. Every
//! subdirectory is opened `O_NOFOLLOW` relative to its parent's handle, so a
//! directory swapped for a symlink mid-walk is never followed; every file
//! the rules read is opened beneath the root with no symlink on the way
//! ([`Dir::open_beneath`]) and read once, within its size limit. What cannot
//! be listed or read becomes a finding: nothing is skipped in silence.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;
use std::sync::mpsc::Sender;
use std::sync::Arc;

use rustix::fs::{AtFlags, FileType, Mode, OFlags};

use super::kept::{Input, Kept};
use super::reference::{self, Reference};
use super::{kept, outside_reference, secret_link, unreadable};
use crate::check::Finding;
use crate::safe_fs::{limits, Dir, FsError, OpenFile};

/// The most findings the references of one compose file add one by one;
/// past it, one finding counts the rest (a 4 MiB file could name 400,000
/// files, each a finding kept in memory).
pub(super) const REFERENCE_FINDINGS: usize = 100;

/// The files a compose file names, with their lines.
type References = Vec<(usize, PathBuf)>;

/// Directories never descended into.
const SKIP_DIRS: &[&str] = &[".git", "target", "node_modules"];

/// A file that holds secrets.
#[derive(Debug, Clone)]
pub struct SecretFile {
    /// Its path.
    pub path: PathBuf,
    /// `.env`-style (parsed for check rules), or raw (a `secrets/` file).
    pub is_env: bool,
    /// Mode bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Mode bits of the directory holding it.
    pub dir_mode: u32,
    /// It starts with an age header (binary or armored): ciphertext, not
    /// plaintext.
    pub encrypted: bool,
    /// The compose file that named it, when only a reference made it a
    /// secret file (the walk did not find it by its name).
    pub reference: Option<Reference>,
    /// Why `--fix` leaves it alone when the audit is not sure it is a
    /// secret file (found by its content alone).
    pub unsure: Option<String>,
}

/// How the walk came to a possible secret file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// Its name (`.env`, a key), a reference, or the caller naming it.
    ByName,
    /// A file of a `secrets/` directory that is not source code by its
    /// name: unless it is a script.
    InSecrets,
    /// A configuration-like file: only when its content is a `.env` with
    /// a secret-shaped key.
    ByContent,
}

/// What one walk found, with the handle of its root for reading and fixing.
#[derive(Debug, Default)]
pub struct Tree {
    /// The root walked (a directory, or the directory of a single file).
    pub root: PathBuf,
    base: Option<Arc<Dir>>,
    /// Where `.env` files are sent as they are found, for checking while
    /// the walk goes on (dropped when the walk ends).
    found: Option<Sender<FoundEnv>>,
    /// Secret-bearing files.
    pub secret_files: Vec<SecretFile>,
    /// `.env.example` and other templates.
    pub templates: Vec<PathBuf>,
    /// Dockerfiles.
    pub dockerfiles: Vec<PathBuf>,
    /// Compose files.
    pub compose_files: Vec<PathBuf>,
    /// Directories holding a `.git` (a repository, work tree or submodule).
    pub repositories: Vec<PathBuf>,
    /// Whether a directory was walked (false when the root was one file).
    pub walked: bool,
    /// What the walk itself found: directories it could not list, files
    /// it could not read, compose references leaving the tree.
    pub problems: Vec<Finding>,
    /// The inputs read, by name; hard links share one.
    contents: HashMap<PathBuf, Arc<Input>>,
    /// The audit's store of inputs and its cap.
    kept: Arc<Kept>,
    /// Inputs left unread past the cap.
    left_out: std::collections::BTreeSet<PathBuf>,
    /// Counts the entries walked.
    progress: Option<Arc<std::sync::atomic::AtomicU64>>,
}

/// What the walks of one audit share: the store of inputs (and its cap),
/// and the progress counter.
#[derive(Debug, Default)]
pub(super) struct Walk {
    /// The store of inputs.
    pub kept: Arc<Kept>,
    /// Counts the entries walked.
    pub progress: Option<Arc<std::sync::atomic::AtomicU64>>,
}

/// A plaintext `.env` the walk found, with the handle to read it through.
#[derive(Debug)]
pub struct FoundEnv {
    /// The walked root's directory handle.
    pub base: Arc<Dir>,
    /// The file beneath it.
    pub rel: PathBuf,
    /// Its path for reports.
    pub shown: PathBuf,
}

use super::scope;
pub use super::scope::{is_env_name, is_journal_name, is_template_name};

fn is_dockerfile_name(name: &str) -> bool {
    name == "Dockerfile"
        || name.starts_with("Dockerfile.")
        || name.ends_with(".Dockerfile")
        || name == "Containerfile"
}

fn is_compose_name(name: &str) -> bool {
    let stem = name
        .strip_suffix(".yml")
        .or_else(|| name.strip_suffix(".yaml"));
    stem.is_some_and(|s| {
        s == "compose"
            || s == "docker-compose"
            || s.starts_with("docker-compose.")
            || s.starts_with("compose.")
    })
}

/// `path` with `.` removed and `..` applied, without touching the disk.
pub(super) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let at_root = out.as_os_str() == "/";
                let above = out.as_os_str().is_empty() || out.ends_with("..");
                if above {
                    out.push("..");
                } else if !at_root {
                    out.pop();
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// A directory waiting to be listed: its parent's handle and its name.
struct Pending {
    parent: Rc<OwnedFd>,
    name: std::ffi::OsString,
    path: PathBuf,
    in_secrets: bool,
}

impl Tree {
    /// Walks `root` (a directory, or a single file). Only a root that
    /// cannot be opened at all is an error; everything below is a finding.
    pub fn walk(root: &Path) -> Result<Tree, FsError> {
        Self::walk_sending(root, None)
    }

    /// [`Tree::walk`], sending each plaintext `.env` to `found` as soon as
    /// it is found.
    pub fn walk_sending(root: &Path, found: Option<Sender<FoundEnv>>) -> Result<Tree, FsError> {
        Self::walk_with(root, found, Walk::default())
    }

    /// [`Tree::walk_sending`] keeping what it reads in `kept`, the store
    /// (and cap) the walks of one audit share.
    pub(super) fn walk_with(
        root: &Path,
        found: Option<Sender<FoundEnv>>,
        walk: Walk,
    ) -> Result<Tree, FsError> {
        let mut tree = Tree {
            root: root.to_owned(),
            found,
            kept: walk.kept,
            progress: walk.progress,
            ..Tree::default()
        };
        let meta = std::fs::symlink_metadata(root).map_err(|source| FsError::Io {
            path: root.to_owned(),
            op: "stat",
            source,
        })?;
        if !meta.is_dir() {
            // A single file: its directory is the base; nothing is walked.
            let (dir, name) = crate::safe_fs::split(root)?;
            let base = Dir::open_for_reading(&dir)?;
            tree.root = dir;
            tree.base = Some(Arc::new(base));
            let name = name.to_string_lossy().into_owned();
            tree.add_secret(
                Path::new(&name),
                !is_env_name(&name) && !name.contains("env"),
            );
            tree.read_inputs();
            tree.report_left_out();
            tree.found = None;
            return Ok(tree);
        }
        let base = Dir::open_for_reading(root)?;
        let start = Rc::new(
            rustix::fs::openat(
                base.fd(),
                ".",
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| FsError::Io {
                path: root.to_owned(),
                op: "open",
                source: e.into(),
            })?,
        );
        tree.base = Some(Arc::new(base));
        tree.walked = true;
        tree.list(start, PathBuf::new(), false, true)?;
        tree.follow_compose_references();
        tree.read_inputs();
        tree.report_left_out();
        for list in [
            &mut tree.templates,
            &mut tree.dockerfiles,
            &mut tree.compose_files,
            &mut tree.repositories,
        ] {
            list.sort();
        }
        tree.secret_files.sort_by(|a, b| a.path.cmp(&b.path));
        tree.found = None;
        Ok(tree)
    }

    /// The path of `rel` for reports: the root joined with it.
    fn shown(&self, rel: &Path) -> PathBuf {
        if rel.as_os_str().is_empty() {
            self.root.clone()
        } else {
            self.root.join(rel)
        }
    }

    /// `path` relative to the root, when it is lexically beneath it.
    pub fn relative<'a>(&self, path: &'a Path) -> Option<&'a Path> {
        path.strip_prefix(&self.root).ok()
    }

    /// Lists the tree depth first from `start`. Directory handles are opened
    /// when their turn comes, so at most the depth of the tree is open.
    fn list(
        &mut self,
        start: Rc<OwnedFd>,
        rel: PathBuf,
        in_secrets: bool,
        is_root: bool,
    ) -> Result<(), FsError> {
        let mut stack: Vec<(Rc<OwnedFd>, PathBuf, bool)> = vec![(start, rel, in_secrets)];
        let mut pending: Vec<Pending> = Vec::new();
        let mut first = is_root;
        loop {
            let (fd, rel, in_secrets) = match stack.pop() {
                Some(next) => next,
                None => match pending.pop() {
                    Some(p) => {
                        match rustix::fs::openat(
                            p.parent.as_ref(),
                            &p.name,
                            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                            Mode::empty(),
                        ) {
                            Ok(fd) => (Rc::new(fd), p.path, p.in_secrets),
                            Err(e) => {
                                let shown = self.shown(&p.path);
                                self.problems.push(unreadable::directory(&shown, &e.into()));
                                continue;
                            }
                        }
                    }
                    None => return Ok(()),
                },
            };
            let dir_stat = rustix::fs::fstat(fd.as_ref()).ok();
            let entries = rustix::fs::Dir::read_from(fd.as_ref());
            let mut entries = match entries {
                Ok(d) => d,
                Err(e) if first => {
                    return Err(FsError::Io {
                        path: self.root.clone(),
                        op: "list",
                        source: e.into(),
                    })
                }
                Err(e) => {
                    let shown = self.shown(&rel);
                    self.problems.push(unreadable::directory(&shown, &e.into()));
                    continue;
                }
            };
            first = false;
            // A package marker beside them makes the files of a `secrets/`
            // directory source code (`myapp/secrets/__init__.py`).
            let package = in_secrets
                && scope::package_markers().iter().any(|m| {
                    rustix::fs::statat(fd.as_ref(), *m, AtFlags::SYMLINK_NOFOLLOW).is_ok()
                });
            while let Some(entry) = entries.read() {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        let shown = self.shown(&rel);
                        self.problems.push(unreadable::directory(&shown, &e.into()));
                        break;
                    }
                };
                let name = OsStr::from_bytes(entry.file_name().to_bytes());
                if name == "." || name == ".." {
                    continue;
                }
                if let Some(progress) = &self.progress {
                    progress.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                let mut kind = entry.file_type();
                if kind == FileType::Unknown {
                    // Some file systems leave d_type out.
                    kind = rustix::fs::statat(fd.as_ref(), name, AtFlags::SYMLINK_NOFOLLOW)
                        .map_or(FileType::Unknown, |st| FileType::from_raw_mode(st.st_mode));
                }
                // A name that is not UTF-8 is matched by its lossy form
                // (`.env.\u{fffd}` is still a `.env`) and walked into: a
                // directory must not hide its subtree by its name.
                let text = name.to_string_lossy();
                let text: &str = &text;
                let child = rel.join(name);
                let by_name = scope::is_secret_by_name(text);
                let by_place = in_secrets && !package && !scope::is_source_name(text);
                // Its history is searched (SA006) even with no secret file
                // left; a `.git` symlink could lead git to another repository.
                if text == ".git" && matches!(kind, FileType::Directory | FileType::RegularFile) {
                    self.repositories.push(self.shown(&rel));
                }
                match kind {
                    FileType::Directory if !SKIP_DIRS.contains(&text) => {
                        pending.push(Pending {
                            parent: Rc::clone(&fd),
                            name: name.to_owned(),
                            path: child,
                            in_secrets: in_secrets || text == "secrets",
                        });
                    }
                    // Compose reads through a link; the audit does not, so
                    // the link is a finding of its own, never a skip (a
                    // `secrets` directory reached through one too).
                    FileType::Symlink if by_place || by_name || text == "secrets" => {
                        let shown = self.shown(&child);
                        self.problems
                            .push(secret_link::finding(fd.as_ref(), name, &shown));
                    }
                    // A FIFO, socket or device by a secret name: opened for
                    // nothing (it could block), reported as unreadable.
                    FileType::Fifo
                    | FileType::Socket
                    | FileType::CharacterDevice
                    | FileType::BlockDevice
                    | FileType::Unknown
                        if by_place || by_name =>
                    {
                        let shown = self.shown(&child);
                        let what = match kind {
                            FileType::Fifo => "FIFO",
                            FileType::Socket => "socket",
                            FileType::CharacterDevice | FileType::BlockDevice => "device",
                            _ => "file of a type that could not be read",
                        };
                        self.problems.push(unreadable::secret(
                            &shown,
                            &FsError::NotRegular {
                                path: shown.clone(),
                                what,
                            },
                        ));
                    }
                    FileType::RegularFile => {
                        if by_name {
                            let raw = !is_env_name(text);
                            self.add_secret_with_dir(&child, raw, &dir_stat, Found::ByName);
                        } else if is_template_name(text) {
                            self.templates.push(self.shown(&child));
                        } else if is_dockerfile_name(text) {
                            self.dockerfiles.push(self.shown(&child));
                        } else if is_compose_name(text) {
                            self.compose_files.push(self.shown(&child));
                        } else if by_place {
                            self.add_secret_with_dir(&child, true, &dir_stat, Found::InSecrets);
                        } else if !in_secrets && scope::worth_sniffing(text) {
                            self.add_secret_with_dir(&child, false, &dir_stat, Found::ByContent);
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    fn add_secret_with_dir(
        &mut self,
        rel: &Path,
        raw: bool,
        dir: &Option<rustix::fs::Stat>,
        found: Found,
    ) {
        let dir_mode = dir.as_ref().map(|d| d.st_mode & 0o7777);
        self.add_secret_stat(rel, raw, dir_mode, None, found);
    }

    fn add_secret(&mut self, rel: &Path, raw: bool) {
        self.add_secret_stat(rel, raw, None, None, Found::ByName);
    }

    /// Adds a secret-bearing file from an `fstat` of a handle opened beneath
    /// the root (so its mode and owner are the file's, never a link
    /// target's). `named` is the compose file (path, line, owner) that
    /// made it one, when the walk did not find it by its name. `found`
    /// says how it was found: a file of a `secrets/` directory that turns
    /// out to be a script, or a file whose content is not a `.env` with a
    /// secret, is no secret file.
    fn add_secret_stat(
        &mut self,
        rel: &Path,
        raw: bool,
        dir_mode: Option<u32>,
        named: Option<(&Path, usize, u32)>,
        found: Found,
    ) {
        let shown = self.shown(rel);
        let opened = self.open(rel);
        let f = match opened {
            Ok(Some(f)) => f,
            Ok(None) => return,
            // Only a look at its content could have made it one.
            Err(_) if found == Found::ByContent => return,
            Err(e) => {
                self.problems.push(unreadable::secret(&shown, &e));
                return;
            }
        };
        let mut unsure = None;
        if found == Found::ByContent {
            let len = f.len();
            if len > scope::SNIFF_LIMIT || len == 0 {
                return;
            }
            let Ok(head) = f.read_prefix(usize::try_from(len).unwrap_or(0)) else {
                return;
            };
            if !scope::is_env_with_secrets(&head) {
                return;
            }
            unsure = Some(
                "it is a secret file by its content alone (a .env with a secret key), not by its name, its place or a reference"
                    .to_owned(),
            );
        }
        let (dir_mode, dir_uid) = match dir_mode {
            Some(m) => (m, None),
            None => {
                let parent = rel.parent().unwrap_or(Path::new(""));
                match self.open(parent) {
                    Ok(Some(d)) => (d.mode(), Some(d.uid())),
                    Ok(None) => return,
                    Err(e) => {
                        self.problems.push(unreadable::secret(&shown, &e));
                        return;
                    }
                }
            }
        };
        let f = match f.require_regular() {
            Ok(f) => f,
            Err(e) => return self.problems.push(unreadable::secret(&shown, &e)),
        };
        let reference = named.map(|(by, line, author)| {
            // Unknown only when the caller passed the directory's mode,
            // which it never does for a named file: then nothing is fixed.
            let dir_uid = dir_uid.unwrap_or(u32::MAX);
            reference::judge(by, line, author, dir_uid, &f, rel)
        });
        // The header only, through the handle already open.
        let encrypted = match f.read_prefix(crate::crypt::PREFIX_LEN) {
            Ok(head) if found == Found::InSecrets && scope::is_script(&head) => return,
            Ok(head) => crate::crypt::is_encrypted(&head),
            Err(e) => return self.problems.push(unreadable::secret(&shown, &e)),
        };
        if let (false, false, Some(tx), Some(base)) = (raw, encrypted, &self.found, &self.base) {
            // A receiver gone means nobody checks: nothing to send to.
            let _ = tx.send(FoundEnv {
                base: Arc::clone(base),
                rel: rel.to_owned(),
                shown: shown.clone(),
            });
        }
        self.secret_files.push(SecretFile {
            path: shown,
            is_env: !raw,
            mode: f.mode(),
            uid: f.uid(),
            gid: f.gid(),
            dir_mode,
            encrypted,
            reference,
            unsure,
        });
    }

    /// Opens `rel` beneath the root: no symlink anywhere on the way.
    pub(crate) fn open(&self, rel: &Path) -> Result<Option<OpenFile>, FsError> {
        match &self.base {
            Some(base) => base.open_beneath(rel),
            None => Ok(None),
        }
    }

    /// Opens `rel` beneath the root for reading and appending.
    pub(crate) fn open_for_append(&self, rel: &Path) -> Result<Option<OpenFile>, FsError> {
        match &self.base {
            Some(base) => base.open_beneath_for_append(rel),
            None => Ok(None),
        }
    }

    /// The directory `rel` beneath the root.
    pub(crate) fn dir(&self, rel: &Path) -> Result<Option<Dir>, FsError> {
        match &self.base {
            Some(base) => base.dir_beneath(rel),
            None => Ok(None),
        }
    }

    /// Files compose files name (`env_file:`, `secrets: file:`): added
    /// when beneath the root and reached without a symlink, with the
    /// reference that named them (which decides whether `--fix` may act on
    /// them); a finding (and never read or fixed) otherwise. A compose file
    /// is parsed once per inode; for its later names (hard links), the
    /// references leaving the tree were reported at the first name.
    fn follow_compose_references(&mut self) {
        let mut known: HashSet<PathBuf> =
            self.secret_files.iter().map(|f| f.path.clone()).collect();
        let mut parsed: HashMap<(u64, u64), Rc<References>> = HashMap::new();
        let cwd = std::env::current_dir().unwrap_or_default();
        let root = normalize(&cwd.join(&self.root));
        for compose in self.compose_files.clone() {
            let Some(input) = self.read_once(&compose, limits::COMPOSE, false) else {
                continue;
            };
            let alias = input.first != compose;
            let references = Rc::clone(parsed.entry(input.identity).or_insert_with(|| {
                Rc::new(crate::compose_text::referenced_files(
                    &String::from_utf8_lossy(&input.bytes),
                ))
            }));
            let dir = compose.parent().unwrap_or(Path::new("."));
            // Findings of this file's references, and those past the most
            // one file may add (then counted in one more finding).
            let mut found = Vec::new();
            for (line, named) in references.iter() {
                let line = *line;
                let joined = normalize(&cwd.join(dir).join(named));
                let rel = match joined.strip_prefix(&root) {
                    Ok(rel) if !rel.starts_with("..") => rel.to_owned(),
                    _ => {
                        if !alias {
                            found.push(outside_reference::finding(
                                &compose,
                                line,
                                named,
                                "it is outside the audited tree",
                            ));
                        }
                        continue;
                    }
                };
                let shown = self.shown(&rel);
                if !known.insert(shown.clone()) {
                    // Found by its content alone, or a key by its name
                    // (root's TLS key another user's compose file names),
                    // it is judged as the reference's: the reference
                    // decides about fixes.
                    let key = |p: &Path| {
                        p.file_name()
                            .is_some_and(|n| scope::is_key_name(&n.to_string_lossy()))
                    };
                    let unsure = (self.secret_files.iter())
                        .position(|f| f.path == shown && (f.unsure.is_some() || key(&f.path)));
                    match unsure {
                        Some(i) => drop(self.secret_files.remove(i)),
                        None => continue,
                    }
                }
                match self.open(&rel) {
                    Ok(None) => {}
                    Ok(Some(_)) => {
                        let is_env = rel
                            .file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.contains(".env") || n.ends_with("env"));
                        self.add_secret_stat(
                            &rel,
                            !is_env,
                            None,
                            Some((&compose, line, input.uid)),
                            Found::ByName,
                        );
                    }
                    Err(FsError::Symlink(_) | FsError::Outside(_)) => {
                        if !alias {
                            found.push(outside_reference::finding(
                                &compose,
                                line,
                                named,
                                "it is reached through a symbolic link",
                            ));
                        }
                    }
                    Err(e) => found.push(unreadable::secret(&shown, &e)),
                }
            }
            let more = found.len().saturating_sub(REFERENCE_FINDINGS);
            found.truncate(REFERENCE_FINDINGS);
            self.problems.append(&mut found);
            if more > 0 {
                self.problems.push(outside_reference::more(&compose, more));
            }
        }
    }

    /// Reads the files the rules look into (compose files, Dockerfiles,
    /// templates, `.dockerignore` of build contexts), each once.
    fn read_inputs(&mut self) {
        let mut wanted: Vec<(PathBuf, u64)> = Vec::new();
        wanted.extend(
            self.compose_files
                .iter()
                .map(|p| (p.clone(), limits::COMPOSE)),
        );
        wanted.extend(
            self.dockerfiles
                .iter()
                .map(|p| (p.clone(), limits::COMPOSE)),
        );
        wanted.extend(self.templates.iter().map(|p| (p.clone(), limits::ENV)));
        for d in &self.dockerfiles {
            if let Some(dir) = d.parent() {
                wanted.push((dir.join(".dockerignore"), limits::IGNORE));
            }
        }
        for (path, limit) in wanted {
            self.read_once(&path, limit, false);
        }
    }

    /// Reads `path` beneath the root and keeps it, once per inode in the
    /// audit (a later name shares the first's bytes) and within the
    /// audit's cap (past it, the file is left out and reported once per
    /// walk). A failure is a finding (once) and `None`.
    fn read_once(&mut self, path: &Path, limit: u64, secret: bool) -> Option<Arc<Input>> {
        if let Some(input) = self.contents.get(path) {
            return Some(Arc::clone(input));
        }
        let rel = self.relative(path)?.to_owned();
        let report = |tree: &mut Tree, e: FsError| {
            let f = if secret {
                unreadable::secret(path, &e)
            } else {
                unreadable::input(path, &e)
            };
            if !tree
                .problems
                .iter()
                .any(|p| p.path == f.path && p.rule == f.rule)
            {
                tree.problems.push(f);
            }
        };
        let f = match self.open(&rel) {
            Ok(Some(f)) => f,
            Ok(None) => return None,
            Err(e) => {
                report(self, e);
                return None;
            }
        };
        if let Some(input) = self.kept.known(f.identity()) {
            self.contents.insert(path.to_owned(), Arc::clone(&input));
            return Some(input);
        }
        // What fstat says (a regular file cannot be read past `limit`,
        // anything else is refused by read_all).
        let reserved = f.len().min(limit);
        if !self.kept.reserve(reserved) {
            self.left_out.insert(path.to_owned());
            return None;
        }
        let (identity, uid) = (f.identity(), f.uid());
        match f.read_all(limit) {
            Ok(bytes) => {
                let input = self.kept.keep(
                    reserved,
                    Input {
                        bytes,
                        uid,
                        first: path.to_owned(),
                        identity,
                    },
                );
                self.contents.insert(path.to_owned(), Arc::clone(&input));
                Some(input)
            }
            Err(e) => {
                self.kept.release(reserved);
                report(self, e);
                None
            }
        }
    }

    /// SA020 when this walk left inputs unread past the audit's cap.
    fn report_left_out(&mut self) {
        let left_out = std::mem::take(&mut self.left_out);
        if let Some(first) = left_out.first() {
            let more = left_out.len() - 1;
            self.problems
                .push(kept::finding(first, more, self.kept.cap()));
        }
    }

    /// The content of a compose file, Dockerfile, template or
    /// `.dockerignore` read by the walk; `None` when absent or unreadable
    /// (which the walk reported).
    pub fn content(&self, path: &Path) -> Option<&[u8]> {
        self.contents.get(path).map(|i| i.bytes.as_slice())
    }

    /// The name under which the audit first read the file at `path`: a
    /// different name when `path` is a hard link of a file read before.
    pub fn first_name(&self, path: &Path) -> Option<&Path> {
        self.contents.get(path).map(|i| i.first.as_path())
    }

    /// Reads a secret-bearing file beneath the root within the `.env`
    /// limit, for the check rules. Errors are the caller's to report.
    pub fn read_secret(&self, path: &Path) -> Result<Option<crate::SecretBytes>, FsError> {
        let Some(rel) = self.relative(path) else {
            return Err(FsError::Outside(path.to_owned()));
        };
        match &self.base {
            Some(base) => read_beneath(base, rel),
            None => Ok(None),
        }
    }
}

/// Reads `rel` beneath a walked root within the `.env` limit.
pub(super) fn read_beneath(base: &Dir, rel: &Path) -> Result<Option<crate::SecretBytes>, FsError> {
    match base.open_beneath(rel)? {
        Some(f) => f.read_all(limits::ENV).map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_lexically() {
        assert_eq!(normalize(Path::new("a/./b/../c")), Path::new("a/c"));
        assert_eq!(normalize(Path::new("a/../../x")), Path::new("../x"));
        assert_eq!(normalize(Path::new("/a/../../etc")), Path::new("/etc"));
    }
}
