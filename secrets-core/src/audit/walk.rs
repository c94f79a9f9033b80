//! Walking a tree once: secret-bearing files, templates, Dockerfiles,
//! `.dockerignore` files and compose files. Only candidate files are stat'ed.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

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
}

/// What one walk found.
#[derive(Debug, Default)]
pub struct Tree {
    /// The root walked.
    pub root: PathBuf,
    /// Secret-bearing files.
    pub secret_files: Vec<SecretFile>,
    /// `.env.example` and other templates.
    pub templates: Vec<PathBuf>,
    /// Dockerfiles.
    pub dockerfiles: Vec<PathBuf>,
    /// Compose files.
    pub compose_files: Vec<PathBuf>,
}

/// `.env` and `.env.*`, but not examples, templates and samples.
pub fn is_env_name(name: &str) -> bool {
    (name == ".env" || name.starts_with(".env.")) && !is_template_name(name)
}

/// `.env.example`, `.env.sample`, `.env.template`, `.env.dist`, `example.env`...
pub fn is_template_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.starts_with(".env") || lower.ends_with(".env"))
        && ["example", "sample", "template", "dist", "defaults"]
            .iter()
            .any(|w| lower.contains(w))
}

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

impl Tree {
    /// Walks `root` (a directory, or a single file).
    pub fn walk(root: &Path) -> io::Result<Tree> {
        let mut tree = Tree {
            root: root.to_owned(),
            ..Tree::default()
        };
        let meta = fs::symlink_metadata(root)?;
        if !meta.is_dir() {
            tree.add_file(root, false);
            return Ok(tree);
        }
        let mut stack = vec![(root.to_owned(), false)];
        while let Some((dir, in_secrets)) = stack.pop() {
            let entries = match fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if dir == root => return Err(e),
                Err(_) => continue, // unreadable subdirectory: nothing to say about its files
            };
            for entry in entries.flatten() {
                let Ok(ft) = entry.file_type() else { continue };
                let name = entry.file_name();
                let Some(name) = name.to_str() else { continue };
                if ft.is_dir() {
                    if !SKIP_DIRS.contains(&name) {
                        stack.push((entry.path(), in_secrets || name == "secrets"));
                    }
                } else if ft.is_file() {
                    let path = entry.path();
                    if in_secrets || is_env_name(name) {
                        tree.add_file(&path, in_secrets && !is_env_name(name));
                    } else if is_template_name(name) {
                        tree.templates.push(path);
                    } else if is_dockerfile_name(name) {
                        tree.dockerfiles.push(path);
                    } else if is_compose_name(name) {
                        tree.compose_files.push(path);
                    }
                }
            }
        }
        // Files that compose files name (`env_file:`, `secrets: file:`).
        let mut known: HashSet<PathBuf> =
            tree.secret_files.iter().map(|f| f.path.clone()).collect();
        for c in tree.compose_files.clone() {
            for named in super::compose::referenced_files(&c) {
                if known.insert(named.clone()) && named.is_file() {
                    let is_env = named
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.contains(".env") || n.ends_with("env"));
                    tree.add_file(&named, !is_env);
                }
            }
        }
        for list in [
            &mut tree.templates,
            &mut tree.dockerfiles,
            &mut tree.compose_files,
        ] {
            list.sort();
        }
        tree.secret_files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(tree)
    }

    fn add_file(&mut self, path: &Path, raw: bool) {
        if let Ok(m) = fs::symlink_metadata(path) {
            if m.is_file() {
                self.secret_files.push(SecretFile {
                    path: path.to_owned(),
                    is_env: !raw,
                    mode: m.mode() & 0o7777,
                    uid: m.uid(),
                    gid: m.gid(),
                });
            }
        }
    }
}
