//! Which manifest describes which `.env`: a manifest applies to the files
//! its `[stack] env_files` names (the `.env` beside it by default), never to
//! every `.env` under the audited roots, so an unrelated application's file
//! is not held to another stack's variables.

use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

use super::walk::normalize;

use crate::stack::Stack;

/// The manifests of an audit, each with the files it describes.
pub(super) struct Described<'a> {
    stacks: Vec<(&'a Stack, PathBuf, Vec<Pattern>)>,
    /// The working directory, read once: relative names are taken from it.
    cwd: PathBuf,
}

enum Pattern {
    Exact(PathBuf),
    Glob(GlobMatcher),
}

impl<'a> Described<'a> {
    /// Each `env_files` entry is taken relative to the manifest's
    /// directory, whose own name is literal: a directory called `app[1]`
    /// is not a pattern. An entry that is not a valid glob is taken
    /// literally. A manifest with no directory (parsed from text) takes
    /// `default_dir`; with neither, a relative entry is an error naming the
    /// stack: the working directory is never guessed, since a wrong guess
    /// matches no `.env` and skips every check rule.
    pub(super) fn new(stacks: &[&'a Stack], default_dir: Option<&Path>) -> Result<Self, String> {
        let cwd = std::env::current_dir().unwrap_or_default();
        let stacks = stacks
            .iter()
            .map(|stack| {
                let dir = match stack.dir.as_deref().or(default_dir) {
                    Some(dir) => dir,
                    None if stack.env_files.iter().all(|f| f.is_absolute()) => Path::new("/"),
                    None => return Err(stack.name.clone()),
                };
                let base = absolute(&cwd, dir);
                let patterns = (stack.env_files.iter())
                    .map(|entry| pattern(&base, entry))
                    .collect();
                Ok((*stack, dir.to_owned(), patterns))
            })
            .collect::<Result<_, _>>()?;
        Ok(Described { stacks, cwd })
    }

    /// Whether there is no manifest at all.
    pub(super) fn is_empty(&self) -> bool {
        self.stacks.is_empty()
    }

    /// The manifests, in the order given, each with the directory its
    /// `env_files` are taken from.
    pub(super) fn stacks(&self) -> impl Iterator<Item = (&'a Stack, &Path)> + '_ {
        self.stacks
            .iter()
            .map(|(stack, dir, _)| (*stack, dir.as_path()))
    }

    /// The first manifest (in the order given) describing `env`, with its
    /// position.
    pub(super) fn stack_for(&self, env: &Path) -> Option<(usize, &'a Stack)> {
        let env = absolute(&self.cwd, env);
        self.stacks
            .iter()
            .position(|(_, _, patterns)| {
                patterns.iter().any(|p| match p {
                    Pattern::Exact(path) => *path == env,
                    Pattern::Glob(glob) => glob.is_match(&env),
                })
            })
            .map(|i| (i, self.stacks[i].0))
    }
}

/// `entry` beneath `base`: the base's components escaped, the entry's
/// own taken as a pattern when it holds one.
fn pattern(base: &Path, entry: &Path) -> Pattern {
    let exact = normalize(&base.join(entry));
    let text = entry.to_string_lossy();
    if !text.contains(['*', '?', '[', '{']) {
        return Pattern::Exact(exact);
    }
    let mut parts: Vec<String> = Vec::new();
    let start = if entry.is_absolute() {
        Path::new("/")
    } else {
        base
    };
    for c in start.components() {
        if let Component::Normal(name) = c {
            parts.push(globset::escape(&name.to_string_lossy()));
        }
    }
    for c in entry.components() {
        match c {
            Component::ParentDir => {
                parts.pop();
            }
            Component::Normal(name) => parts.push(name.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    let glob = format!("/{}", parts.join("/"));
    match GlobBuilder::new(&glob).literal_separator(true).build() {
        Ok(glob) => Pattern::Glob(glob.compile_matcher()),
        Err(_) => Pattern::Exact(exact),
    }
}

/// `path` made absolute against `cwd` without touching the file system
/// (`..` taken lexically). Only used to compare names; files are opened
/// through the walk's handles.
fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    normalize(&cwd.join(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(env_files: &[&str]) -> Stack {
        let mut stack = Stack::from_components("s", &[]).expect("stack");
        stack.env_files = env_files.iter().map(PathBuf::from).collect();
        stack
    }

    fn in_dir(dir: &str, env_files: &[&str]) -> Stack {
        let mut s = stack(env_files);
        s.dir = Some(dir.into());
        s
    }

    #[test]
    fn the_manifest_s_directory_name_is_never_a_pattern() {
        for dir in ["/srv/app[1]", "/srv/app{x}", "/srv/a*b", "/srv/q?"] {
            let s = in_dir(dir, &[".env", ".env.*", "tenants/*/.env"]);
            let d = Described::new(&[&s], None).unwrap();
            let found = |p: &str| d.stack_for(Path::new(&format!("{dir}/{p}"))).is_some();
            assert!(found(".env"), "{dir}");
            assert!(found(".env.production"), "{dir}");
            assert!(found("tenants/a/.env"), "{dir}");
        }
        let s = in_dir("/srv/app[1]", &[".env"]);
        let d = Described::new(&[&s], None).unwrap();
        assert!(d.stack_for(Path::new("/srv/app1/.env")).is_none());
    }

    #[test]
    fn by_default_the_env_files_beside_the_manifest() {
        let s = Stack::from_components("s", &[]).expect("stack");
        let mut s = s;
        s.dir = Some("/srv/app".into());
        let d = Described::new(&[&s], None).unwrap();
        assert!(d.stack_for(Path::new("/srv/app/.env")).is_some());
        assert!(d.stack_for(Path::new("/srv/app/.env.production")).is_some());
        assert!(d.stack_for(Path::new("/srv/app/sub/.env")).is_none());
        assert!(d.stack_for(Path::new("/srv/other/.env")).is_none());
    }

    #[test]
    fn a_manifest_describes_its_files_and_no_other() {
        let app = stack(&["/srv/app/.env"]);
        let tenants = stack(&["/srv/tenants/*/.env"]);
        let d = Described::new(&[&app, &tenants], None).unwrap();
        let name = |p: &str| {
            d.stack_for(Path::new(p))
                .map(|(_, s)| s.env_files[0].clone())
        };
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
    fn relative_names_need_a_directory() {
        let app = stack(&["app/.env"]);
        assert_eq!(Described::new(&[&app], None).err().as_deref(), Some("s"));
        let d = Described::new(&[&app], Some(Path::new("/srv"))).unwrap();
        assert!(d.stack_for(Path::new("/srv/app/.env")).is_some());
        assert!(d.stack_for(Path::new("/srv/app/.env.prod")).is_none());
        // The manifest's own directory outranks the default.
        let own = in_dir("/opt", &["app/.env"]);
        let d = Described::new(&[&own], Some(Path::new("/srv"))).unwrap();
        assert!(d.stack_for(Path::new("/opt/app/.env")).is_some());
        assert!(d.stack_for(Path::new("/srv/app/.env")).is_none());
        // Relative audited paths are taken from the working directory.
        let here = std::env::current_dir().expect("cwd");
        let d = Described::new(&[&app], Some(&here)).unwrap();
        assert!(d.stack_for(Path::new("./app/.env")).is_some());
    }
}
