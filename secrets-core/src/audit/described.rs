//! Which manifest describes which `.env`: a manifest applies to the files
//! its `[stack] env_files` names (the `.env` beside it by default), never to
//! every `.env` under the audited roots, so an unrelated application's file
//! is not held to another stack's variables.

use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

use crate::stack::Stack;

/// The manifests of an audit, each with the files it describes.
pub(super) struct Described<'a> {
    stacks: Vec<(&'a Stack, Vec<Pattern>)>,
}

enum Pattern {
    Exact(PathBuf),
    Glob(GlobMatcher),
}

impl<'a> Described<'a> {
    /// An `env_files` entry that is not a valid glob is taken literally:
    /// the file of that exact name.
    pub(super) fn new(stacks: &[&'a Stack]) -> Self {
        let stacks = stacks
            .iter()
            .map(|stack| {
                let patterns = stack
                    .env_files
                    .iter()
                    .map(|p| {
                        let p = lexical_absolute(p);
                        let text = p.to_string_lossy();
                        let is_glob = text.contains(['*', '?', '[', '{']);
                        match GlobBuilder::new(&text).literal_separator(true).build() {
                            Ok(glob) if is_glob => Pattern::Glob(glob.compile_matcher()),
                            _ => Pattern::Exact(p),
                        }
                    })
                    .collect();
                (*stack, patterns)
            })
            .collect();
        Described { stacks }
    }

    /// Whether there is no manifest at all.
    pub(super) fn is_empty(&self) -> bool {
        self.stacks.is_empty()
    }

    /// The first manifest (in the order given) describing `env`.
    pub(super) fn stack_for(&self, env: &Path) -> Option<&'a Stack> {
        let env = lexical_absolute(env);
        self.stacks
            .iter()
            .find(|(_, patterns)| {
                patterns.iter().any(|p| match p {
                    Pattern::Exact(path) => *path == env,
                    Pattern::Glob(glob) => glob.is_match(&env),
                })
            })
            .map(|(stack, _)| *stack)
    }
}

/// `path` made absolute against the working directory without touching the
/// file system: `.` dropped, `..` taken lexically. Only used to compare
/// names; files are opened through the walk's handles.
fn lexical_absolute(path: &Path) -> PathBuf {
    let mut out = if path.is_absolute() {
        PathBuf::new()
    } else {
        std::env::current_dir().unwrap_or_default()
    };
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(env_files: &[&str]) -> Stack {
        let mut stack = Stack::from_components("s", &[]).expect("stack");
        stack.env_files = env_files.iter().map(PathBuf::from).collect();
        stack
    }

    #[test]
    fn a_manifest_describes_its_files_and_no_other() {
        let app = stack(&["/srv/app/.env"]);
        let tenants = stack(&["/srv/tenants/*/.env"]);
        let d = Described::new(&[&app, &tenants]);
        let name = |p: &str| d.stack_for(Path::new(p)).map(|s| s.env_files[0].clone());
        assert_eq!(name("/srv/app/.env"), Some("/srv/app/.env".into()));
        assert_eq!(name("/srv/app/./sub/../.env"), Some("/srv/app/.env".into()));
        assert_eq!(
            name("/srv/tenants/a/.env"),
            Some("/srv/tenants/*/.env".into())
        );
        // `*` stays within one directory.
        assert_eq!(name("/srv/tenants/a/b/.env"), None);
        assert_eq!(name("/srv/other/.env"), None);
        assert_eq!(name("/srv/app/.env.local"), None);
    }

    #[test]
    fn relative_names_are_taken_from_the_working_directory() {
        let here = std::env::current_dir().expect("cwd");
        let app = stack(&["app/.env"]);
        let d = Described::new(&[&app]);
        assert!(d.stack_for(&here.join("app/.env")).is_some());
        assert!(d.stack_for(Path::new("./app/.env")).is_some());
        assert!(d.stack_for(Path::new("app/.env.prod")).is_none());
    }
}
